"""StringLookup against Keras 3.

Keras' lookup layers need TensorFlow (they raise ImportError without it, also
on the JAX backend), which this environment lacks. So the references are: the
closed-form examples of Keras' own docstrings (outputs quoted there), a
Python dict lookup for random tokens, and Keras' JAX-backend
`encode_categorical_inputs` (what the layer applies after the lookup) for the
one_hot / multi_hot / count encodings; config keys come from Keras' signatures.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

VOCAB = ["a", "b", "c", "d"]
DATA = np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])


def test_docstring_examples_int_and_inverse():
    layer = lx.layers.StringLookup(vocabulary=VOCAB)
    assert layer([["a", "c", "d"], ["d", "z", "b"]]).tolist() == [[1, 3, 4], [4, 0, 2]]
    inverse = lx.layers.StringLookup(vocabulary=VOCAB, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [
        ["a", "c", "d"],
        ["d", "[UNK]", "b"],
    ]
    # Round trip, as in Keras' "forward and inverse lookup pairs" example.
    assert inverse(layer(DATA)).tolist() == [["a", "c", "d", "d"], ["d", "[UNK]", "b", "[UNK]"]]


def test_docstring_examples_encodings():
    def run(mode: str, data: np.ndarray, **kw):
        return lx.layers.StringLookup(vocabulary=VOCAB, output_mode=mode, **kw)(data)

    one_hot = run("one_hot", np.array(["a", "b", "c", "d", "z"]))
    assert one_hot.tolist() == np.eye(5)[[1, 2, 3, 4, 0]].tolist()
    assert run("multi_hot", DATA).tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    assert run("count", DATA).tolist() == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    tf_idf = run("tf_idf", DATA, idf_weights=[0.25, 0.75, 0.6, 0.4])
    assert_close(tf_idf, [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]])
    # Specials given explicitly: the OOV weight comes first.
    tf_idf = lx.layers.StringLookup(
        output_mode="tf_idf", vocabulary=["[UNK]", *VOCAB], idf_weights=[0.9, 0.25, 0.75, 0.6, 0.4]
    )(DATA)
    assert_close(tf_idf, [[0, 0.25, 0, 0.6, 0.8], [1.8, 0, 0.75, 0, 0.4]])
    assert run("multi_hot", DATA, max_tokens=8, pad_to_max_tokens=True).shape == (2, 8)


def test_docstring_examples_mask_oov_and_adapt():
    masked = lx.layers.StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]
    assert masked(np.array([["a", "c", ""], ["d", "", "b"]])).tolist() == [[2, 4, 0], [5, 0, 3]]
    # Two OOV buckets: FarmHash64 of the string, as TensorFlow's to_hash_bucket_fast.
    two = lx.layers.StringLookup(vocabulary=VOCAB, num_oov_indices=2)
    assert two(np.array([["a", "c", "d"], ["m", "z", "b"]])).tolist() == [[2, 4, 5], [0, 1, 3]]
    adapted = lx.layers.StringLookup()
    adapted.adapt(np.array([["a", "c", "d"], ["d", "z", "b"]]))
    assert adapted.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert adapted(np.array([["a", "c", "d"], ["d", "z", "b"]])).tolist() == [[5, 3, 1], [1, 2, 4]]
    capped = lx.layers.StringLookup(max_tokens=3)
    capped.adapt(["x", "y", "y", "z", "z", "z"])
    assert capped.get_vocabulary() == ["[UNK]", "z", "y"]


def test_hashes_match_tensorflow_documented_buckets():
    from layerax.layers.preprocessing.lookup import _strings

    # tf.strings.to_hash_bucket_fast / _strong and keras.layers.Hashing docstring values.
    assert [_strings.fingerprint64(w.encode()) % 3 for w in ["Hello", "TensorFlow", "2.x"]] == [
        0,
        2,
        2,
    ]
    assert [_strings.fingerprint64(c.encode()) % 3 for c in "ABCDE"] == [1, 0, 1, 1, 2]
    # FarmHash Fingerprint64 values documented for BigQuery's FARM_FINGERPRINT and Redshift's
    # farmFingerprint64 (signed 64-bit).
    documented = {
        "alphabet": -2427165924636348523,
        "1footrue": -1541654101129638711,
        "2applefalse": 2794438866806483259,
        "3true": -4880158226897771312,
        "Amazon Redshift": 8085098817162212970,
    }
    for text, value in documented.items():
        assert _strings.fingerprint64(text.encode()) == value % (1 << 64)
    assert [_strings.siphash64(w.encode(), (1, 2)) % 3 for w in ["Hello", "TF"]] == [2, 0]
    assert [_strings.siphash64(c.encode(), (133, 137)) % 3 for c in "ABCDE"] == [1, 2, 1, 0, 2]
    salted = lx.layers.StringLookup(vocabulary=["zz"], num_oov_indices=3, salt=133)
    assert salted(np.array(list("ABCDE"))).tolist() == [0, 0, 2, 1, 0]


@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_random_tokens_against_dict_lookup_and_keras_encoding(shape):
    k = keras()
    from keras.src.utils.numerical_utils import encode_categorical_inputs

    rng = np.random.default_rng(len(shape))
    vocab = [f"w{i}" for i in range(6)]
    tokens = rng.choice(vocab + ["oov1", "oov2"], size=shape)
    index = {t: i + 1 for i, t in enumerate(vocab)}
    expected = np.vectorize(lambda t: index.get(t, 0))(tokens)
    ints = lx.layers.StringLookup(vocabulary=vocab)(tokens)
    assert ints.dtype == np.int32 and ints.tolist() == expected.tolist()
    for mode in ("one_hot", "multi_hot", "count"):
        ours = lx.layers.StringLookup(vocabulary=vocab, output_mode=mode)(tokens)
        theirs = encode_categorical_inputs(k.ops.convert_to_tensor(expected), mode, 7, "float32")
        assert ours.dtype == np.float32
        assert_close(ours, np.asarray(theirs))
    # Bytes and object arrays decode with `encoding`.
    as_bytes = np.char.encode(tokens, "utf-8")
    assert lx.layers.StringLookup(vocabulary=vocab)(as_bytes).tolist() == expected.tolist()
    assert (
        lx.layers.StringLookup(vocabulary=vocab)(tokens.astype(object)).tolist()
        == expected.tolist()
    )


def test_vocabulary_file_set_vocabulary_and_sizes(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n", encoding="utf-8")
    layer = lx.layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.vocabulary_size() == 4
    assert layer.get_config()["vocabulary"] is None  # a file goes to the assets, as in Keras
    layer.set_vocabulary(["x", "y"])
    assert layer(["y", "a"]).tolist() == [2, 0]
    assert layer.get_vocabulary(include_special_tokens=False) == ["x", "y"]
    # Special tokens at the start are recognised (what save_assets writes).
    layer.set_vocabulary(["[UNK]", "x"])
    assert layer.get_vocabulary() == ["[UNK]", "x"]


def test_config_round_trip_and_keys_match_keras_signature():
    k = keras()
    layer = lx.layers.StringLookup(
        vocabulary=VOCAB, mask_token="", num_oov_indices=2, max_tokens=10
    )
    config = layer.get_config()
    params = set(inspect.signature(k.layers.StringLookup.__init__).parameters) - {"self", "kwargs"}
    # Keras' config: the signature, plus IndexLookup's oov_method and the frozen vocabulary size.
    assert set(config) == params | {"trainable", "dtype", "oov_method", "vocabulary_size"}
    clone = lx.layers.StringLookup.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    assert clone(DATA).tolist() == layer(DATA).tolist()
    assert lx.layers.StringLookup.from_config(clone.get_config()).get_config() == clone.get_config()


def test_model_save_load_keeps_an_adapted_vocabulary_and_idf(tmp_path):
    tf_idf = lx.layers.StringLookup(output_mode="tf_idf")
    tf_idf.adapt(np.array([["a", "b"], ["b", "c"], ["b", "b"]]))
    # Keras' IDF: log(1 + documents / (1 + document frequency)), the OOV weight their mean.
    idf = np.log(1 + 3 / (1 + np.array([3.0, 1.0, 1.0])))
    assert_close(tf_idf.idf_weights, np.concatenate([[idf.mean()], idf]))
    inp = lx.Input(shape=(2,), dtype="string")
    model = lx.Model(inp, tf_idf(inp))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = lx.saving.load_model(path)
    data = np.array([["c", "q"], ["b", "a"]])
    assert loaded.layers[1].get_vocabulary() == tf_idf.get_vocabulary()
    assert_close(loaded(data), model(data))


def test_errors_name_the_argument():
    cases = [
        ({"max_tokens": 1}, "max_tokens"),
        ({"num_oov_indices": -1}, "num_oov_indices"),
        ({"output_mode": "bogus"}, "output_mode"),
        ({"invert": True, "output_mode": "count"}, "invert"),
        ({"sparse": True, "output_mode": "count"}, "sparse"),
        ({"idf_weights": [1.0]}, "idf_weights"),
        ({"pad_to_max_tokens": True}, "max_tokens"),
        ({"vocabulary": ["a", "a"]}, "repeated"),
        ({"vocabulary": ["a", ""], "mask_token": ""}, "mask"),
        ({"vocabulary": ["a", "b", "c"], "max_tokens": 3}, "max_tokens"),
        ({"vocabulary": "/no/such/file.txt"}, "does not exist"),
    ]
    for kwargs, word in cases:
        with pytest.raises(ValueError, match=word):
            lx.layers.StringLookup(**kwargs)
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        lx.layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(["z"])
    with pytest.raises(RuntimeError, match="adapt"):
        lx.layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="static vocabulary"):
        lx.layers.StringLookup(vocabulary=VOCAB).adapt(["a"])


def _keras_written(class_name: str, **config):
    """A layer config in the format Keras 3 writes (`keras.layers`, a DTypePolicy dict, and
    the hidden `vocabulary_size` of IndexLookup.get_config)."""
    policy = {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    base = {"name": class_name.lower(), "trainable": True, "dtype": policy}
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "registered_name": None,
        "config": {**base, **config},
    }


def test_keras_written_configs_load_without_warnings():
    import warnings

    lookup = {
        "invert": False,
        "max_tokens": None,
        "num_oov_indices": 1,
        "mask_token": None,
        "output_mode": "int",
        "sparse": False,
        "pad_to_max_tokens": False,
        "idf_weights": None,
        "oov_method": "floormod",
        "salt": None,
    }
    configs = [
        (
            _keras_written(
                "StringLookup",
                **lookup,
                oov_token="[UNK]",
                vocabulary=["a", "b"],
                vocabulary_size=3,
                encoding="utf-8",
            ),
            ["b", "q"],
            [2, 0],
        ),
        (
            _keras_written(
                "IntegerLookup",
                **lookup,
                oov_token=-1,
                vocabulary=[3, 5],
                vocabulary_dtype="int64",
                vocabulary_size=3,
            ),
            np.array([5, 9]),
            [2, 0],
        ),
        (
            _keras_written(
                "TextVectorization",
                max_tokens=None,
                standardize="lower_and_strip_punctuation",
                split="whitespace",
                ngrams=None,
                output_mode="int",
                output_sequence_length=3,
                pad_to_max_tokens=False,
                sparse=False,
                ragged=False,
                vocabulary=["x", "y"],
                idf_weights=None,
                encoding="utf-8",
                vocabulary_size=4,
            ),
            ["Y x z"],
            [[3, 2, 1]],
        ),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for config, data, expected in configs:
            layer = lx.saving.deserialize_keras_object(config)
            assert type(layer).__name__ == config["class_name"]
            assert layer(data).tolist() == expected

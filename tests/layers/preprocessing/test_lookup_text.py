"""TextVectorization. Keras' layer needs TensorFlow (absent here), so the references are
Keras' docstring outputs, Python's own string operations for standardize/split/n-grams
(the semantics of TensorFlow's ops that Keras calls), and StringLookup on the tokens."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

TEXTS = ["The cat sat.", "the DOG, the cat!", "A bird"]


def _python_tokens(text: str, ngrams: tuple[int, ...] = (1,)) -> list[str]:
    """Keras' default pipeline in plain Python: ASCII lowercase, strip Keras' punctuation
    class, split on whitespace, then n-grams joined by spaces."""
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    words = re.sub(r"[!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~']", "", lowered).split()
    return [" ".join(words[i : i + n]) for n in ngrams for i in range(len(words) - n + 1)]


def test_docstring_example_with_a_vocabulary():
    layer = lx.layers.TextVectorization(
        max_tokens=5000,
        output_mode="int",
        output_sequence_length=4,
        vocabulary=["earth", "wind", "and", "fire"],
    )
    out = layer(np.array([["earth wind and fire"], ["fire and earth michigan"]]))
    assert out.tolist() == [[2, 3, 4, 5], [5, 4, 2, 1]]
    assert layer.compute_output_shape((None, 1)) == (None, 4)


@pytest.mark.parametrize("ngrams", [None, 2, (1, 3)])
def test_adapt_and_call_match_a_python_pipeline(ngrams):
    widths = (
        (1,)
        if ngrams is None
        else tuple(range(1, ngrams + 1))
        if isinstance(ngrams, int)
        else ngrams
    )
    layer = lx.layers.TextVectorization(ngrams=ngrams)
    layer.adapt(TEXTS)
    counts: dict[str, int] = {}
    for text in TEXTS:
        for token in _python_tokens(text, widths):
            counts[token] = counts.get(token, 0) + 1
    # Keras' order: by count, ties by the token, both descending.
    expected_vocab = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    assert layer.get_vocabulary() == ["", "[UNK]", *expected_vocab]
    index = {t: i + 2 for i, t in enumerate(expected_vocab)}
    query = ["the cat flew", "bird"]
    rows = [[index.get(t, 1) for t in _python_tokens(q, widths)] for q in query]
    width = max(len(r) for r in rows)
    assert layer(query).tolist() == [r + [0] * (width - len(r)) for r in rows]


def test_standardize_and_split_options_and_callables():
    text = np.array(["Hello, World!  Ünïcode"])

    def run(**kwargs):
        layer = lx.layers.TextVectorization(**kwargs)
        layer.adapt(text)
        return layer.get_vocabulary(include_special_tokens=False)

    assert sorted(run(standardize=None)) == sorted(["Hello,", "World!", "Ünïcode"])
    assert sorted(run(standardize="lower")) == sorted(["hello,", "world!", "Ünïcode"])  # ASCII only
    assert sorted(run(standardize="strip_punctuation")) == sorted(["Hello", "World", "Ünïcode"])
    assert sorted(run(split="character", standardize=None)) == sorted(set("Hello, World!  Ünïcode"))
    unsplit = lx.layers.TextVectorization(split=None, standardize="lower", vocabulary=["a b"])
    assert unsplit(np.array([["A B"], ["a"]])).tolist() == [[2], [1]]
    custom = lx.layers.TextVectorization(
        standardize=lambda t: np.char.replace(t, "-", " "),
        split=lambda t: [s.split(" ") for s in t],
        vocabulary=["x", "y"],
    )
    assert custom(["x-y", "y"]).tolist() == [[2, 3], [3, 0]]


def test_output_modes_equal_string_lookup_on_the_tokens():
    layer_args = {"max_tokens": 8, "pad_to_max_tokens": True}
    docs = ["a b b c", "c d", "e"]
    tokens = [["a", "b", "b", "c"], ["c", "d", "", ""], ["e", "", "", ""]]
    for mode in ("multi_hot", "count", "tf_idf"):
        tv = lx.layers.TextVectorization(output_mode=mode, **layer_args)
        tv.adapt(docs)
        lookup = lx.layers.StringLookup(output_mode=mode, mask_token="", **layer_args)
        lookup.adapt([t for t in " ".join(docs).split()])  # same counts
        if mode == "tf_idf":
            # Document frequencies: each doc a row of tokens (padding "" is the mask).
            lookup = lx.layers.StringLookup(output_mode=mode, mask_token="", **layer_args)
            lookup.adapt([np.array(d.split()) for d in docs])
            assert_close(tv._lookup_layer.idf_weights, lookup.idf_weights)
        assert tv.get_vocabulary() == lookup.get_vocabulary()
        assert_close(tv(docs), lookup(np.array(tokens)))
        assert tv(docs).shape == (3, 8)


def test_adapt_on_generators_pydatasets_and_steps():
    def batches():
        yield np.array(["a a b"])
        yield np.array(["b c"]), np.array([1])  # (x, y): x is used
        yield np.array(["d d d d"])

    layer = lx.layers.TextVectorization()
    layer.adapt(batches(), steps=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "a", "c"]

    class Texts(lx.utils.PyDataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return np.array([["x y", "y"][i]])

    layer.adapt(Texts())
    assert layer.get_vocabulary() == ["", "[UNK]", "y", "x"]


def test_config_round_trip_and_keys_match_keras_signature():
    k = keras()
    layer = lx.layers.TextVectorization(ngrams=(1, 2), output_sequence_length=3)
    layer.adapt(TEXTS)
    config = layer.get_config()
    params = set(inspect.signature(k.layers.TextVectorization.__init__).parameters) - {
        "self",
        "kwargs",
    }
    assert set(config) == params | {"trainable", "dtype", "vocabulary_size"}
    assert config["vocabulary_size"] == layer.vocabulary_size()
    clone = lx.layers.TextVectorization.from_config(config)
    assert clone.compute_output_shape((None,)) == (None, 3)
    clone.set_vocabulary(layer.get_vocabulary())
    assert clone(TEXTS).tolist() == layer(TEXTS).tolist()


def test_errors():
    cases = [
        ({"standardize": "upper"}, "standardize"),
        ({"split": "comma"}, "split"),
        ({"ngrams": "2"}, "ngrams"),
        ({"output_mode": "count", "output_sequence_length": 3}, "output_sequence_length"),
        ({"ragged": True}, "ragged"),
        ({"sparse": True}, "sparse"),
    ]
    for kwargs, word in cases:
        with pytest.raises(ValueError, match=word):
            lx.layers.TextVectorization(**kwargs)
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        lx.layers.TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="strings"):
        lx.layers.TextVectorization(vocabulary=["a"])(np.array([1.0]))

"""IntegerLookup: the layer harness (it runs under jax.jit and vmap), Keras' docstring
examples (Keras' layer itself needs TensorFlow, absent here) and numpy/jit agreement."""

from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.models import host_prefix
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer

VOCAB = [12, 36, 1138, 42]


def test_harness():
    check_layer(
        lambda: lx.layers.IntegerLookup(vocabulary=[0, 2, 3]),
        (4, 3),
        input_dtype="int32",
        run_grad=False,
        expected_num_trainable_weights=0,
    )


def test_docstring_examples():
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    assert lx.layers.IntegerLookup(vocabulary=[12, 1138, 42])(data).tolist() == [
        [1, 2, 3],
        [3, 0, 0],
    ]
    adapted = lx.layers.IntegerLookup()
    adapted.adapt(data)
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    floormod = lx.layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2)
    assert floormod(np.array([[12, 1138, 42], [37, 1000, 36]])).tolist() == [[2, 4, 5], [1, 0, 3]]
    masked = lx.layers.IntegerLookup(vocabulary=VOCAB, mask_token=0)
    assert masked(np.array([[12, 1138, 42], [42, 0, 36]])).tolist() == [[2, 4, 5], [5, 0, 3]]
    assert lx.layers.IntegerLookup(vocabulary=VOCAB, output_mode="multi_hot")(
        np.array([[12, 1138, 42, 42], [42, 7, 36, 7]])
    ).tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    tf_idf = lx.layers.IntegerLookup(
        output_mode="tf_idf", vocabulary=VOCAB, idf_weights=[0.25, 0.75, 0.6, 0.4]
    )(np.array([[12, 1138, 42, 42], [42, 7, 36, 7]]))
    assert_close(tf_idf, [[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]])
    inverse = lx.layers.IntegerLookup(vocabulary=VOCAB, invert=True)
    assert inverse(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [[12, 1138, 42], [42, -1, 36]]


@pytest.mark.parametrize("shape", [(6,), (3, 5)])
def test_jit_agrees_with_the_host_path_and_a_dict(shape):
    rng = np.random.default_rng(len(shape))
    data = rng.choice(np.array(VOCAB + [7, 99]), size=shape)
    index = {v: i + 2 for i, v in enumerate(VOCAB)}
    layer = lx.layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2)
    expected = np.vectorize(lambda v: index.get(int(v), int(v) % 2))(data)
    assert layer(data).tolist() == expected.tolist()
    jitted = jax.jit(lambda x: layer(x))
    assert np.asarray(jitted(jnp.asarray(data, jnp.int32))).tolist() == expected.tolist()
    encoded = jax.jit(lambda x: lx.layers.IntegerLookup(vocabulary=VOCAB, output_mode="count")(x))
    assert_close(
        encoded(jnp.asarray(data, jnp.int32)),
        lx.layers.IntegerLookup(vocabulary=VOCAB, output_mode="count")(data),
    )
    inverse = lx.layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=2, invert=True)
    back = np.asarray(jax.jit(lambda i: inverse(i))(jnp.asarray(expected, jnp.int32)))
    assert back.tolist() == np.array([-1, -1] + VOCAB)[expected].tolist()


def test_farmhash_oov_method_hashes_the_decimal_string():
    from layerax.layers.preprocessing.lookup import _strings

    layer = lx.layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=3, oov_method="farmhash")
    out = layer(np.array([7, 12, 123456]))
    assert out.tolist() == [
        _strings.fingerprint64(b"7") % 3,
        3,
        _strings.fingerprint64(b"123456") % 3,
    ]
    # Hashing strings cannot compile: as a model's first layer it joins the host prefix,
    # while the floormod layer stays in the compiled part.
    model = lx.Sequential([lx.Input((3,), dtype="int32"), layer, lx.layers.Embedding(7, 2)])
    prefix = host_prefix.find(model)
    assert prefix.host_layers == [layer]
    assert prefix.apply(np.array([[7, 12, 123456]])).tolist() == [out.tolist()]
    floormod = lx.layers.IntegerLookup(vocabulary=VOCAB, num_oov_indices=3)
    assert host_prefix.find(lx.Sequential([lx.Input((3,), dtype="int32"), floormod])) is None


def test_config_matches_keras_signature_and_round_trips(tmp_path):
    k = keras()
    layer = lx.layers.IntegerLookup(vocabulary=np.array(VOCAB), mask_token=0, oov_token=-7)
    config = layer.get_config()
    params = set(inspect.signature(k.layers.IntegerLookup.__init__).parameters) - {"self", "kwargs"}
    assert set(config) == params | {"trainable", "dtype", "vocabulary_size"}
    assert config["vocabulary"] == VOCAB and all(type(v) is int for v in config["vocabulary"])
    clone = lx.layers.IntegerLookup.from_config(config)
    data = np.array([[12, 0, 5]])
    assert clone(data).tolist() == layer(data).tolist() == [[2, 0, 1]]
    # In a compiled model, saved and loaded.
    model = lx.Sequential([lx.Input((3,), dtype="int32"), clone, lx.layers.Embedding(6, 2)])
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert_close(lx.saving.load_model(path)(data), model(data))


def test_errors():
    with pytest.raises(ValueError, match="vocabulary_dtype"):
        lx.layers.IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="oov_method"):
        lx.layers.IntegerLookup(oov_method="md5")
    with pytest.raises(ValueError, match="salt"):
        lx.layers.IntegerLookup(salt=3)
    with pytest.raises(TypeError, match="integer"):
        lx.layers.IntegerLookup(vocabulary=VOCAB)(np.array([0.5]))

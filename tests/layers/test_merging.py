"""Merging layers and their functional forms: harness, Keras parity (with masks), errors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(3)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


@pytest.mark.parametrize("name", ELEMENTWISE + ["Concatenate"])
def test_merge_harness(name):
    # Element-wise layers broadcast a (2, 1, 4) input against a (2, 3, 4) one.
    shapes = [(2, 3, 4), (2, 3, 4)] if name == "Concatenate" else [(2, 3, 4), (2, 1, 4)]
    expected = (2, 3, 8) if name == "Concatenate" else (2, 3, 4)
    layer = check_layer(lambda: getattr(lx.layers, name)(), shapes,
                        expected_output_shape=expected, expected_num_trainable_weights=0)
    assert layer.supports_masking


def test_dot_harness():
    check_layer(lambda: lx.layers.Dot(axes=(2, 1), normalize=True), [(2, 3, 4), (2, 4, 5)],
                expected_output_shape=(2, 3, 5))


@pytest.mark.parametrize(
    "name,shapes",
    [
        ("Add", [(2, 3), (2, 3), (2, 3)]),
        ("Add", [(2, 4), (2, 3, 4)]),  # lower rank: a size-1 axis is inserted after the batch
        ("Subtract", [(2, 3, 4), (2, 3, 1)]),
        ("Multiply", [(2, 3), (2, 3), (2, 1)]),
        ("Average", [(2, 3, 4), (2, 3, 4), (2, 1, 4)]),
        ("Maximum", [(2, 3), (2, 3), (2, 3)]),
        ("Minimum", [(2, 3, 4), (2, 1, 4)]),
    ],
)
def test_elementwise_keras_parity(name, shapes):
    k = keras()
    inputs = [_x(*s) for s in shapes]
    ours, theirs = getattr(lx.layers, name)(), getattr(k.layers, name)()
    keras_parity(ours, theirs, inputs)
    none_batch = [(None, *s[1:]) for s in shapes]
    assert ours.compute_output_shape(none_batch) == tuple(theirs.compute_output_shape(none_batch))


@pytest.mark.parametrize(
    "axis,shapes",
    [(-1, [(2, 3, 4), (2, 3, 2)]), (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]), (0, [(2, 3), (1, 3)])],
)
def test_concatenate_keras_parity(axis, shapes):
    k = keras()
    ours, theirs = lx.layers.Concatenate(axis=axis), k.layers.Concatenate(axis=axis)
    keras_parity(ours, theirs, [_x(*s) for s in shapes])
    assert ours.get_config()["axis"] == axis


@pytest.mark.parametrize(
    "axes,normalize,shapes",
    [
        (1, False, [(2, 4), (2, 4)]),
        (-1, True, [(2, 4), (2, 4)]),
        ((2, 1), False, [(2, 3, 4), (2, 4, 5)]),
        ((1, 1), True, [(2, 3, 4), (2, 3, 5)]),
        (2, False, [(2, 3, 4), (2, 5, 4)]),
        ((1, 2), False, [(2, 4), (2, 3, 4)]),
        ((2, 1), True, [(2, 3, 4), (2, 4)]),
    ],
)
def test_dot_keras_parity(axes, normalize, shapes):
    k = keras()
    ours = lx.layers.Dot(axes=axes, normalize=normalize)
    theirs = k.layers.Dot(axes=axes, normalize=normalize)
    keras_parity(ours, theirs, [_x(*s) for s in shapes])
    none_batch = [(None, *s[1:]) for s in shapes]
    assert ours.compute_output_shape(none_batch) == tuple(theirs.compute_output_shape(none_batch))


def test_dot_normalize_is_cosine_proximity():
    a, b = _x(3, 5), _x(3, 5)
    cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    assert_close(lx.layers.Dot(axes=1, normalize=True)([a, b])[:, 0], cos, 1e-5, 1e-6)


def _keras_masked(x, mask):
    from keras.src import backend as keras_backend

    x = jnp.asarray(x)
    keras_backend.set_keras_mask(x, jnp.asarray(mask))
    return x


@pytest.mark.parametrize("name", ["Add", "Subtract", "Multiply", "Average", "Maximum",
                                  "Minimum", "Concatenate"])
def test_merge_masks_like_keras(name):
    from keras.src import backend as keras_backend

    k = keras()
    x1, x2 = _x(2, 3, 4), _x(2, 3, 4)
    m1 = np.array([[True, True, False], [True, False, False]])
    m2 = np.array([[True, False, False], [False, True, True]])
    theirs = getattr(k.layers, name)()
    expected = theirs([_keras_masked(x1, m1), _keras_masked(x2, m2)])
    ours = getattr(lx.layers, name)()
    out = ours([x1, x2], mask=[m1, m2])
    assert_close(out, np.asarray(expected), 1e-5, 1e-6)
    mask = ours.compute_mask([x1, x2], [m1, m2])
    assert np.array_equal(mask, np.asarray(keras_backend.get_keras_mask(expected)))
    assert np.array_equal(mask, m1 | m2)


def test_merge_mask_with_one_missing_mask():
    from keras.src import backend as keras_backend

    k = keras()
    x1, x2 = _x(2, 3, 4), _x(2, 3, 4)
    m1 = np.array([[True, False, True], [False, False, True]])
    for name in ("Maximum", "Multiply", "Concatenate"):
        expected = getattr(k.layers, name)()([_keras_masked(x1, m1), jnp.asarray(x2)])
        ours = getattr(lx.layers, name)()
        assert_close(ours([x1, x2], mask=[m1, None]), np.asarray(expected), 1e-5, 1e-6)
        want = keras_backend.get_keras_mask(expected)
        got = ours.compute_mask([x1, x2], [m1, None])
        assert (got is None) == (want is None), name
        if got is not None:
            assert np.array_equal(got, np.asarray(want))
    assert lx.layers.Dot(axes=2).compute_mask([x1, x2], [m1, m1]) is None


def test_functional_forms_match_layers_and_keras():
    k = keras()
    a, b, c = _x(2, 3), _x(2, 3), _x(2, 3)
    for name in ("add", "multiply", "average", "maximum", "minimum"):
        ours = getattr(lx.layers, name)([a, b, c])
        assert_close(ours, np.asarray(getattr(k.layers, name)([a, b, c])), 1e-5, 1e-6)
    assert_close(lx.layers.subtract([a, b]), a - b)
    assert_close(lx.layers.concatenate([a, b], axis=0), np.concatenate([a, b], 0))
    assert_close(lx.layers.dot([a, b], axes=1), (a * b).sum(-1, keepdims=True), 1e-5, 1e-6)
    assert_close(lx.layers.dot([a, b], 1, normalize=True),
                 np.asarray(k.layers.dot([a, b], axes=1, normalize=True)), 1e-5, 1e-6)
    assert lx.layers.add([a, b], name="sum_ab") is not None


def test_merge_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'cat'.*\(Concatenate\).*axis=-1.*axis 1 differs.*"
                                         r"\[\(2, 3, 4\), \(2, 5, 2\)\]"):
        lx.layers.Concatenate(name="cat")([jnp.ones((2, 3, 4)), jnp.ones((2, 5, 2))])
    with pytest.raises(ValueError, match=r"'cat2'.*axis=1.*different ranks"):
        lx.layers.Concatenate(axis=1, name="cat2")([jnp.ones((2, 3)), jnp.ones((2, 3, 1))])
    layer = lx.layers.Concatenate(name="cat3")
    layer([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match=r"'cat3'.*\[\(2, 3\), \(5, 4\)\]"):
        layer([jnp.ones((2, 3)), jnp.ones((5, 4))])
    with pytest.raises(ValueError, match=r"'sub'.*exactly 2 inputs.*3 input"):
        lx.layers.Subtract(name="sub")([jnp.ones((1, 2))] * 3)
    with pytest.raises(ValueError, match=r"'add(_\d+)?'.*list of inputs"):
        lx.layers.Add()(jnp.ones((1, 2)))
    with pytest.raises(ValueError, match=r"'mx'.*incompatible shapes.*\(3,\) and \(4,\)"):
        lx.layers.Maximum(name="mx")([jnp.ones((2, 3)), jnp.ones((2, 4))])
    with pytest.raises(ValueError, match=r"'mul'.*different batch sizes"):
        lx.layers.Multiply(name="mul")([jnp.ones((2, 3)), jnp.ones((3, 3))])
    with pytest.raises(ValueError, match=r"'d'.*axis values 4 \(at axis 1\) != 5 \(at axis 1\)"):
        lx.layers.Dot(axes=1, name="d")([jnp.ones((2, 4)), jnp.ones((2, 5))])
    with pytest.raises(ValueError, match=r"batch axis 0"):
        lx.layers.Dot(axes=0)([jnp.ones((2, 4)), jnp.ones((2, 4))])
    with pytest.raises(TypeError, match="axes"):
        lx.layers.Dot(axes="last")
    with pytest.raises(ValueError, match=r"one mask \(or None\) per input"):
        lx.layers.Add()([jnp.ones((1, 2)), jnp.ones((1, 2))], mask=[jnp.ones((1,), bool)])


def test_custom_merge_subclasses_with_keras_and_masked_signatures():
    class Diff(lx.layers.Merge):  # Keras' private signature
        def _merge_function(self, inputs):
            return inputs[0] - inputs[1]

    class MaskedSum(lx.layers.Merge):
        def _merge_function(self, inputs, masks):
            return sum(jnp.where(m, x, 0.0) if m is not None else x
                       for x, m in zip(inputs, masks))

    a, b = _x(2, 3, 4), _x(2, 3, 4)
    assert_close(Diff()([a, b]), a - b)
    m = np.array([[True, False, True], [False, True, True]])
    assert_close(MaskedSum()([a, b], mask=[m, None]), np.where(m[..., None], a, 0.0) + b)
    check_layer(lambda: Diff(), [(2, 3), (2, 3)], expected_output_shape=(2, 3))

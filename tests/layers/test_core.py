"""Core layers: EinsumDense, Embedding, Identity, Lambda, Masking (harness, parity, errors)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core.serialization import register_serializable
from tests.helpers import assert_close, keras
from tests.layers.harness import check_layer, keras_parity

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


# ---------------------------------------------------------------- EinsumDense
EINSUM_CASES = [
    # (equation, output_shape, bias_axes, input_shape, expected output shape)
    ("ab,bc->ac", 4, "c", (3, 5), (3, 4)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5), (2, 3, 4)),
    ("abc,cde->abde", (None, 4, 2), "be", (2, 3, 5), (2, 3, 4, 2)),
    ("...b,bc->...c", 4, "c", (2, 3, 5, 6), (2, 3, 5, 4)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3), (2, 4, 3)),
    ("abc,cd->abd", (3, 4), None, (2, 3, 5), (2, 3, 4)),
]


@pytest.mark.parametrize(
    "equation,output_shape,bias_axes,input_shape,expected", [EINSUM_CASES[i] for i in (2, 3, 4)]
)
def test_einsum_dense_harness(equation, output_shape, bias_axes, input_shape, expected):
    check_layer(
        lambda: lx.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes),
        input_shape,
        expected_output_shape=expected,
        expected_num_trainable_weights=1 + (bias_axes is not None),
        expected_num_non_trainable_weights=0,
    )


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,expected", EINSUM_CASES)
def test_einsum_dense_keras_parity(equation, output_shape, bias_axes, input_shape, expected):
    k = keras()
    if bias_axes == "be":
        # Keras cannot create a bias over an axis left as None; layerax takes it from the input.
        output_shape = expected[1:]
    keras_parity(
        lx.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh"),
        k.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes, activation="tanh"),
        _x(*input_shape),
    )


def test_einsum_dense_weight_names_shapes_and_formula():
    layer = lx.layers.EinsumDense("abc,cde->abde", (None, 4, 2), bias_axes="be")
    x = _x(2, 3, 5)
    y = layer(x)
    shapes = [(w.name, w.shape) for w in layer.weights]
    assert shapes == [("kernel", (5, 4, 2)), ("bias", (3, 1, 2))]
    expected = np.einsum("abc,cde->abde", x, layer.weights[0].numpy()) + layer.weights[1].numpy()
    assert_close(y, expected, 1e-5, 1e-5)


def test_einsum_dense_lora_parity_and_training():
    k = keras()
    x = _x(4, 3)
    ours = lx.layers.EinsumDense("ab,bc->ac", 5, bias_axes="c", lora_rank=2, lora_alpha=4.0)
    theirs = k.layers.EinsumDense("ab,bc->ac", 5, bias_axes="c", lora_rank=2, lora_alpha=4.0)
    keras_parity(ours, theirs, x)
    assert [w.name for w in ours.weights] == ["kernel", "bias", "lora_kernel_a", "lora_kernel_b"]
    assert [w.name for w in ours.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    # Effective kernel = kernel + (alpha / rank) * a @ b.
    kern, bias, a, b = (w.numpy() for w in ours.weights)
    assert_close(ours(x), x @ (kern + 2.0 * a @ b) + bias, 1e-5, 1e-5)
    assert ours.get_config()["lora_rank"] == 2
    with pytest.raises(ValueError, match="already enabled"):
        ours.enable_lora(2)


def test_einsum_dense_variance_scaling_uses_einsum_fans():
    # Kernel (c, d, e) = (50, 4, 6): Keras' fan_in is c=50 (the contracted input axis), not
    # the convolution-style 4 * 50 = 200.
    init = lx.initializers.VarianceScaling(1.0, "fan_in", "uniform", seed=3)
    layer = lx.layers.EinsumDense("abc,cde->abde", (None, 4, 6), kernel_initializer=init)
    layer(jnp.ones((1, 2, 50)))
    kernel = layer.weights[0].numpy()
    limit = np.sqrt(3.0 / 50)
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit


def test_einsum_dense_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"proj.*invalid einsum equation"):
        lx.layers.EinsumDense("ab->b", 3, name="proj")(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"proj_1.*rank 3.*received an input of rank 2"):
        lx.layers.EinsumDense("abc,cd->abd", (None, 4), name="proj_1")(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"bias dimension 'x'"):
        lx.layers.EinsumDense("ab,bc->ac", 4, bias_axes="x")(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"needs 1"):
        lx.layers.EinsumDense("ab,bc->ac", (4, 2))(jnp.ones((2, 3)))
    layer = lx.layers.EinsumDense("ab,bc->ac", 4, name="e")
    layer(jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"'e'.*expected ndim=2, found ndim=3"):
        layer(jnp.ones((2, 3, 3)))


# ------------------------------------------------------------------ Embedding
def test_embedding_harness_and_mask():
    layer = check_layer(
        lambda: lx.layers.Embedding(6, 3, mask_zero=True),
        (2, 4),
        input_dtype="int32",
        expected_output_shape=(2, 4, 3),
        expected_num_trainable_weights=1,
    )
    assert layer.weights[0].name == "embeddings"
    x = jnp.array([[0, 1, 2, 0]])
    assert layer.compute_mask(x).tolist() == [[False, True, True, False]]
    assert layer.supports_masking
    assert lx.layers.Embedding(6, 3).compute_mask(x) is None


@pytest.mark.parametrize("kwargs", [{}, {"mask_zero": True}, {"lora_rank": 2}])
def test_embedding_keras_parity(kwargs):
    k = keras()
    x = RNG.integers(0, 7, size=(3, 5)).astype("int32")
    ours, theirs = lx.layers.Embedding(7, 4, **kwargs), k.layers.Embedding(7, 4, **kwargs)
    keras_parity(ours, theirs, x)
    if kwargs.get("mask_zero"):
        assert np.array_equal(ours.compute_mask(x), np.asarray(theirs.compute_mask(x)))


def test_embedding_lookup_gradient_float_input_and_initial_weights():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = lx.layers.Embedding(4, 3, weights=table)
    assert layer.built
    x = jnp.array([[1.0, 3.0, 1.0]])  # floats are cast to int32, as in Keras
    assert_close(layer(x), table[[1, 3, 1]][None])
    grads = jax.grad(lambda l: jnp.sum(l(x)))(layer)
    expected = np.zeros((4, 3), "float32")
    expected[1] = 2.0
    expected[3] = 1.0
    assert_close(jax.tree.leaves(grads)[0], expected)


def test_embedding_rejects_bad_arguments():
    with pytest.raises(ValueError, match="input_dim"):
        lx.layers.Embedding(0, 3)
    with pytest.raises(ValueError, match="output_dim"):
        lx.layers.Embedding(3, 2.5)
    with pytest.raises(TypeError, match=r"'emb'.*integer indices.*complex64"):
        lx.layers.Embedding(3, 2, name="emb")(jnp.ones((1, 2), jnp.complex64))


# ------------------------------------------------------------ Identity/Masking
def test_identity_harness_parity_and_mask_passthrough():
    check_layer(lambda: lx.layers.Identity(), (2, 3))
    keras_parity(lx.layers.Identity(), keras().layers.Identity(), _x(2, 3))
    mask = jnp.array([True, False])
    assert lx.layers.Identity().compute_mask(jnp.ones((2, 3)), mask) is mask
    assert lx.layers.Identity().built


@pytest.mark.parametrize("mask_value", [0.0, 1.5])
def test_masking_harness_and_keras_parity(mask_value):
    x = _x(3, 4, 2)
    x[0, 1] = mask_value
    x[2, 3] = mask_value
    x[1, 0, 0] = mask_value  # only one feature equal: not masked
    if mask_value == 0.0:
        check_layer(lambda: lx.layers.Masking(mask_value), (3, 4, 2), inputs=jnp.asarray(x))
    ours, theirs = lx.layers.Masking(mask_value), keras().layers.Masking(mask_value)
    keras_parity(ours, theirs, x)
    mask = ours.compute_mask(x)
    assert np.array_equal(mask, np.asarray(theirs.compute_mask(x)))
    assert mask.tolist() == [[True, False, True, True], [True] * 4, [True, True, True, False]]
    assert np.all(np.asarray(ours(x))[0, 1] == 0.0)


# --------------------------------------------------------------------- Lambda
@register_serializable(package="layerax_tests")
def _double(x):
    return 2.0 * x


def _module_level_square(x):
    return x * x


def test_lambda_harness_with_serializable_functions():
    check_layer(lambda: lx.layers.Lambda(lx.activations.tanh), (2, 3))
    layer = check_layer(lambda: lx.layers.Lambda(_double), (2, 3))
    assert layer.get_config()["function"]["config"] == "layerax_tests>_double"
    assert_close(layer(jnp.ones((1, 2))), np.full((1, 2), 2.0))


def test_lambda_keras_parity():
    k = keras()
    fn = lambda x: jnp.sin(x) * 2.0  # noqa: E731
    keras_parity(lx.layers.Lambda(fn), k.layers.Lambda(fn), _x(2, 3))


def test_lambda_config_is_a_marker_and_needs_safe_mode_false():
    fn = lambda x, scale: x * scale  # noqa: E731
    layer = lx.layers.Lambda(fn, arguments={"scale": 3.0}, output_shape=(4,))
    config = layer.get_config()
    marker = config["function"]
    assert marker["class_name"] == "__lambda__"
    assert "code" not in marker["config"] and marker["config"]["name"] == fn.__qualname__
    with pytest.raises(ValueError, match=r"Python function.*safe_mode=False"):
        lx.layers.Lambda.from_config(config)
    with pytest.raises(ValueError, match="safe_mode=False"):
        lx.layers.Lambda.from_config(config, safe_mode=True)
    clone = lx.layers.Lambda.from_config(config, safe_mode=False)
    assert_close(clone(jnp.ones((1, 4))), 3.0 * np.ones((1, 4)))
    assert clone.compute_output_shape((None, 4)) == (None, 4)
    # custom_objects resolve the marker without leaving safe mode.
    other = lambda x, scale: x - scale  # noqa: E731
    config["function"]["config"]["name"] = "shift"
    rebuilt = lx.layers.Lambda.from_config(config, custom_objects={"shift": other})
    assert_close(rebuilt(jnp.ones((1, 4))), -2.0 * np.ones((1, 4)))


def test_lambda_named_function_is_imported_only_outside_safe_mode():
    config = lx.layers.Lambda(_module_level_square).get_config()
    assert config["function"]["config"] == "_module_level_square"
    with pytest.raises(ValueError, match="safe_mode=False"):
        lx.layers.Lambda.from_config(config)
    config["function"].pop("id")  # as if loaded in another process
    clone = lx.layers.Lambda.from_config(config, safe_mode=False)
    assert clone.function is _module_level_square
    dead = {"class_name": "__lambda__", "config": {"name": "<lambda>", "module": "m", "id": 1}}
    with pytest.raises(ValueError, match="custom_objects"):
        lx.layers.Lambda.from_config({**config, "function": dead}, safe_mode=False)


def test_lambda_output_shape_mask_training_and_errors():
    layer = lx.layers.Lambda(lambda x: jnp.concatenate([x, x], -1),
                             output_shape=lambda s: (s[0], 2 * s[1]))
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    inferred = lx.layers.Lambda(lambda x: x[:, :2])
    assert inferred.compute_output_shape((None, 5)) == (None, 2)
    # Masks: a callable computes the output mask; the function may take mask and training.
    seen = {}

    def fn(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x

    masked = lx.layers.Lambda(fn, mask=lambda x, m: m[:, ::-1])
    m = jnp.array([[True, False]])
    masked(jnp.ones((1, 2)), mask=m, training=True)
    assert seen["mask"] is m and seen["training"] is True
    assert masked.compute_mask(jnp.ones((1, 2)), m).tolist() == [[False, True]]
    assert masked.supports_masking and not inferred.supports_masking
    with pytest.raises(TypeError, match="callable"):
        lx.layers.Lambda(3)
    with pytest.raises(ValueError, match="output_shape"):
        lx.layers.Lambda(lambda x: x, output_shape="wide")
    with pytest.raises(NotImplementedError, match=r"'boom'.*output_shape"):
        lx.layers.Lambda(lambda x: x.reshape(7), name="boom").compute_output_shape((None, 3))


KERAS_CONFIG_CASES = [
    ("Embedding", (5, 3), {"mask_zero": True}),
    ("Identity", (), {}),
    ("Masking", (), {"mask_value": 2.0}),
    ("Activation", ("tanh",), {}),
    ("ReLU", (), {"max_value": 2.0, "threshold": 0.5}),
    ("LeakyReLU", (), {"negative_slope": 0.1}),
    ("PReLU", (), {"shared_axes": [1]}),
    ("ELU", (), {}),
    ("Softmax", (), {"axis": 1}),
    ("Flatten", (), {"data_format": "channels_first"}),
    ("Reshape", ((2, -1),), {}),
    ("UpSampling2D", (), {"size": 3, "interpolation": "bilinear"}),
    ("ZeroPadding2D", (), {"padding": ((1, 2), (3, 4))}),
    ("Cropping3D", (), {"cropping": 2}),
    ("Add", (), {}),
    ("Concatenate", (), {"axis": 1}),
    ("Dot", ((1, 2),), {"normalize": True}),
    ("Dropout", (0.3,), {"noise_shape": (None, 1), "seed": 3}),
    ("SpatialDropout2D", (0.2,), {"data_format": "channels_first"}),
    ("AlphaDropout", (0.1,), {}),
    ("ActivityRegularization", (), {"l1": 0.1}),
]


@pytest.mark.parametrize("name,args,kwargs", KERAS_CONFIG_CASES,
                         ids=[c[0] for c in KERAS_CONFIG_CASES])
def test_keras_configs_rebuild_equivalent_layers(name, args, kwargs):
    # A config written by Keras 3 rebuilds the same layer (porting saved configs).
    keras_config = getattr(keras().layers, name)(*args, **kwargs).get_config()
    ours = getattr(lx.layers, name).from_config(keras_config)
    reference = getattr(lx.layers, name)(*args, **kwargs).get_config()
    got = ours.get_config()
    for key in reference:
        if key != "name":
            assert got[key] == reference[key], key

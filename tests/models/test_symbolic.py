"""lx.Input, InputLayer, symbolic layer calls: shape/dtype inference, nodes, layer.input/output."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.models.keras_tensor import TensorOperator
from tests.helpers import assert_close
from tests.models.custom_layers import AddPair, ConcatLast


def test_input_shape_dtype_name_and_aliases():
    x = lx.Input(shape=(3,), name="features")
    assert isinstance(x, lx.KerasTensor)
    assert x.shape == (None, 3) and x.dtype == "float32" and x.name == "features" and x.ndim == 2
    assert lx.layers.Input is lx.Input and lx.layers.InputLayer is lx.InputLayer
    layer = x._lx_history[0]
    assert isinstance(layer, lx.InputLayer) and layer.name == "features"
    assert layer.output is x and layer.batch_shape == (None, 3)
    assert lx.Input((2, None), batch_size=4, dtype="int32").shape == (4, 2, None)
    t = lx.Input(batch_shape=(8, 5), dtype="bfloat16")
    assert t.shape == (8, 5) and t.dtype == "bfloat16"
    # Keras' automatic names.
    assert lx.InputLayer(shape=(1,)).name == "input_layer_2"


def test_input_layer_config_round_trip_and_wrapping_a_tensor():
    layer = lx.InputLayer(shape=(4, None), dtype="int32", name="tokens")
    config = layer.get_config()
    assert config == {
        "batch_shape": (None, 4, None), "dtype": "int32", "sparse": False, "ragged": False,
        "name": "tokens", "optional": False,
    }
    again = lx.InputLayer.from_config(config)
    assert again.output.shape == (None, 4, None) and again.output.dtype == "int32"
    x = lx.Input(shape=(2,))
    wrapped = lx.Input(tensor=x)
    assert wrapped is x and x._lx_history[0].batch_shape == (None, 2)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({}, "needs a `shape`"),
        ({"shape": (2,), "batch_shape": (None, 2)}, "both `shape` and `batch_shape`"),
        ({"batch_size": 2, "batch_shape": (2, 2)}, "both `batch_size` and `batch_shape`"),
        ({"shape": (2,), "sparse": True}, "sparse and ragged"),
        ({"shape": (-1,)}, "Negative dimensions"),
    ],
)
def test_input_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        lx.Input(**kwargs)
    with pytest.raises(TypeError, match="tuple of integers"):
        lx.Input(shape=("a",))


def test_symbolic_call_builds_layer_and_records_node():
    x = lx.Input(shape=(3,))
    dense = lx.layers.Dense(2, name="d")
    y = dense(x)
    assert dense.built and dense.kernel.shape == (3, 2)
    assert isinstance(dense.kernel.value, jax.Array)
    assert y.shape == (None, 2) and y.dtype == "float32"
    assert dense.input is x and dense.output is y
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    # A second call adds a node; `output` stays the first call's.
    z = dense(lx.Input(shape=(3,)))
    assert z is not y and dense.output is y and len(dense._lx_inbound_nodes) == 2
    assert y._lx_history == (dense, 0, 0) and z._lx_history == (dense, 1, 0)


def test_layer_never_called_symbolically_has_no_output():
    dense = lx.layers.Dense(2, name="lonely")
    with pytest.raises(AttributeError, match="lonely.*never been called"):
        dense.output
    assert not hasattr(dense, "input_shape")
    dense(jnp.ones((1, 3)))  # an eager call records nothing
    with pytest.raises(AttributeError, match="lonely"):
        dense.input


def test_user_attribute_named_output_still_works():
    class Head(lx.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.output = lx.layers.Dense(2, name="inner")

        def call(self, x: Any) -> Any:
            return self.output(x)

    head = Head()
    y = head(lx.Input(shape=(3,)))
    assert y.shape == (None, 2)
    assert isinstance(head.output, lx.layers.Dense)
    assert [w.path for w in head.weights] == ["head/inner/kernel", "head/inner/bias"]


def test_declared_compute_output_shape_is_used_without_tracing():
    calls = []

    class Declared(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            calls.append(type(x))
            return jnp.concatenate([x, x], axis=-1)

        def compute_output_shape(self, input_shape: Any) -> Any:
            return (*input_shape[:-1], 2 * input_shape[-1])

    y = Declared()(lx.Input(shape=(5, 3)))
    assert y.shape == (None, 5, 6) and calls == []


def test_traced_shapes_mark_unknown_dimensions_and_dtypes():
    a = lx.Input(shape=(None, 3))
    b = lx.Input(shape=(None, 2))
    y = ConcatLast()([a, b])
    assert y.shape == (None, None, 5)

    class ArgMax(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            return jnp.argmax(x, axis=-1).astype("int32")

    class SumTime(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            return jnp.sum(x, axis=1)

    assert ArgMax()(a).dtype == "int32" and ArgMax()(a).shape == (None, None)
    assert SumTime()(a).shape == (None, 3)


def test_multi_output_layer_gives_structured_symbolic_outputs():
    class Split(lx.layers.Layer):
        def call(self, x: Any) -> Any:
            return {"left": x[..., :1], "right": (x[..., 1:], x * 2)}

    layer = Split()
    out = layer(lx.Input(shape=(4,)))
    assert out["left"].shape == (None, 1)
    assert out["right"][0].shape == (None, 3) and out["right"][1].shape == (None, 4)
    assert [t._lx_history[2] for t in (out["left"], *out["right"])] == [0, 1, 2]
    assert layer.output_shape == {"left": (None, 1), "right": ((None, 3), (None, 4))}


def test_input_spec_is_checked_on_symbolic_calls():
    with pytest.raises(ValueError, match=r"Input 0 of layer 'dense_s'.*min_ndim=2.*\(None,\)"):
        lx.layers.Dense(2, name="dense_s")(lx.Input(shape=()))
    dense = lx.layers.Dense(2, name="fixed")
    dense(lx.Input(shape=(3,)))
    with pytest.raises(ValueError, match=r"fixed.*axis -1.*3"):
        dense(lx.Input(shape=(4,)))


def test_symbolic_tensor_misuse_raises_clear_errors():
    x = lx.Input(shape=(3,))
    with pytest.raises(TypeError, match="symbolic tensor.*hold no values.*lx.Layer"):
        np.asarray(x)
    with pytest.raises(TypeError, match="KerasTensor"):
        jnp.exp(x)
    with pytest.raises(TypeError, match="no truth value"):
        bool(x)
    with pytest.raises(TypeError, match="Iterating over a symbolic tensor"):
        list(x)
    with pytest.raises(TypeError, match="len\\(\\) of a symbolic tensor"):
        len(x)


def test_layer_creating_sublayers_lazily_builds_concrete_weights():
    class Lazy(lx.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.inner = lx.layers.Dense(3, name="inner")

        def call(self, x: Any) -> Any:
            return self.inner(x) * 2.0

    lazy = Lazy(name="lazy")
    y = lazy(lx.Input(shape=(2,)))
    assert y.shape == (None, 3)
    kernel = lazy.inner.kernel
    assert kernel.path == "lazy/inner/kernel"
    assert isinstance(kernel.value, jax.Array) and not isinstance(kernel.value, jax.core.Tracer)
    model = lx.Model(lazy.input, y)
    x = np.ones((2, 2), np.float32)
    assert_close(model(x), 2.0 * (x @ kernel.numpy() + lazy.inner.bias.numpy()))


def test_symbolic_call_with_randomness_and_training_flag_leaks_nothing():
    class Noise(lx.layers.Layer):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed_generator = lx.random.SeedGenerator(3)

        def call(self, x: Any, training: Any = None) -> Any:
            if training:
                return x + jax.random.normal(self.seed_generator.next(), x.shape)
            return x

    noise = Noise()
    state = noise.seed_generator.state.numpy().copy()
    x = lx.Input(shape=(3,))
    y = noise(x, training=True)
    assert y.shape == (None, 3)
    np.testing.assert_array_equal(noise.seed_generator.state.numpy(), state)
    assert noise._lx_inbound_nodes[0].kwargs == {"training": True}
    model = lx.Model(x, y)
    data = jnp.zeros((2, 3))
    first, second = model(data), model(data)
    # training=True recorded in the graph: noise is drawn on every call, state advances.
    assert float(jnp.abs(first).sum()) > 0 and not np.allclose(first, second)


def test_list_inputs_and_node_bookkeeping():
    a, b = lx.Input(shape=(2,), name="a"), lx.Input(shape=(2,), name="b")
    add = AddPair(name="add")
    y = add([a, b])
    node = add._lx_inbound_nodes[0]
    assert node.input_tensors == [a, b] and node.outputs == [y]
    assert add.input == [a, b] and add.input_shape == [(None, 2), (None, 2)]


def test_python_operators_on_symbolic_tensors_record_layers():
    x = lx.Input(shape=(3,), name="x")
    y = lx.Input(shape=(3,), name="y")
    total = (x + y) * 2.0 - 1.0
    picked = (-total)[:, 1:] ** 2
    scaled = np.float32(3.0) * x / 2.0
    compared = (x > 0.5) & (y <= 1.0)
    projected = x @ np.ones((3, 2), "float32")
    assert picked.shape == (None, 2) and projected.shape == (None, 2) and compared.dtype == "bool"
    model = lx.Model([x, y], [total, picked, scaled, compared, projected, abs(x) // 1.0 % 2.0])
    names = [layer.name for layer in model.layers if isinstance(layer, TensorOperator)]
    assert {"add", "multiply", "subtract", "negative", "get_item", "power", "matmul"} <= set(names)
    a = np.array([[0.0, 1.0, 2.0]], "float32")
    b = np.array([[1.0, 1.0, 3.0]], "float32")
    out = model([a, b])
    expected_total = (a + b) * 2 - 1
    assert_close(out[0], expected_total)
    assert_close(out[1], (-expected_total)[:, 1:] ** 2)
    assert_close(out[2], 3 * a / 2)
    np.testing.assert_array_equal(out[3], (a > 0.5) & (b <= 1.0))
    assert_close(out[4], a @ np.ones((3, 2)))
    assert_close(out[5], np.abs(a) // 1 % 2)
    rebuilt = lx.Model.from_config(model.get_config())
    assert_close(rebuilt([a, b]), out)
    with pytest.raises(ValueError, match="Unknown tensor operator 'cube'"):
        TensorOperator("cube")

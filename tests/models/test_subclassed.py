"""Subclassed models around custom layers (the Keras subclassing guide), against Keras."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras

X = np.random.default_rng(4).normal(size=(3, 3)).astype("float32")


def make_classes(api: Any, ops: Any) -> tuple[type, type]:
    class Linear(api.layers.Layer):
        def __init__(self, units: int = 32, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape: Any) -> None:
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="zeros")

        def call(self, inputs: Any) -> Any:
            return ops.matmul(inputs, self.w) + self.b

    class MLPBlock(api.Model):
        def __init__(self, hidden: int = 4, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = hidden
            self.linear_1 = Linear(hidden)
            self.linear_2 = Linear(hidden)
            self.linear_3 = Linear(1)

        def call(self, inputs: Any) -> Any:
            x = self.linear_1(inputs)
            x = ops.maximum(x, 0.0)
            x = self.linear_2(x)
            x = ops.maximum(x, 0.0)
            return self.linear_3(x)

    return Linear, MLPBlock


def test_subclassed_model_matches_keras():
    k = keras()
    _, MLPBlock = make_classes(lx, jnp)
    _, KerasMLP = make_classes(k, k.ops)
    ours, theirs = MLPBlock(), KerasMLP()
    assert ours(X).shape == (3, 1)
    theirs(X)
    assert len(ours.weights) == len(theirs.weights) == 6 and len(ours.trainable_weights) == 6
    assert [layer.name for layer in ours.layers] == ["linear", "linear_1", "linear_2"]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    assert_close(ours(X), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)


def test_subclassed_model_in_jax_transforms_and_inside_a_functional_model():
    _, MLPBlock = make_classes(lx, jnp)
    block = MLPBlock(hidden=4, name="block")
    x = lx.Input(shape=(3,), name="x")
    y = block(x)  # builds the block from the symbolic shape
    assert y.shape == (None, 1) and len(block.weights) == 6
    model = lx.Model(x, lx.layers.Dense(2, name="head")(y))
    assert [layer.name for layer in model.layers] == ["x", "block", "head"]
    ws = [w.value for w in model.weights]

    def reference(ws: list[Any], x: Any) -> Any:
        w1, b1, w2, b2, w3, b3, kh, bh = ws
        h = jnp.maximum(x @ w1 + b1, 0)
        h = jnp.maximum(h @ w2 + b2, 0)
        return jnp.sum(((h @ w3 + b3) @ kh + bh) ** 2)

    grads = jax.jit(jax.grad(lambda m, x: jnp.sum(m(x) ** 2)))(model, X)
    assert_close([g.value for g in grads.weights], jax.grad(reference)(ws, X), rtol=1e-5, atol=1e-6)


def test_subclassed_model_config_and_clone():
    _, MLPBlock = make_classes(lx, jnp)
    block = MLPBlock(hidden=3, name="block")
    block(X)
    config = block.get_config()
    assert config["hidden"] == 3 and config["name"] == "block"
    again = MLPBlock.from_config(config)
    again(X)
    again.set_weights(block.get_weights())
    assert_close(again(X), block(X))
    clone = lx.models.clone_model(block)
    assert type(clone) is MLPBlock and clone.hidden == 3 and clone is not block
    clone(X)
    assert not np.allclose(clone.weights[0].numpy(), block.weights[0].numpy())

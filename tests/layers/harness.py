"""The layer tests' harness: `check_layer` is `lx.testing.check_layer` (the checks every layer
passes) with the mixed-precision check opt-in (`run_mixed_precision_check=True`);
`keras_parity` compares a layer with Keras 3 (the test-only oracle)."""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from layerax import testing
from tests.helpers import assert_close, keras

check_layer = functools.partial(testing.check_layer, run_mixed_precision_check=False)


def _shape_of(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_shape_of(v) for v in x]
    return tuple(np.shape(x))


def keras_parity(
    lx_layer: lx.Layer,
    keras_layer: Any,
    inputs: Any,
    *,
    call_kwargs: dict[str, Any] | None = None,
    keras_call_kwargs: dict[str, Any] | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    check_input_grad: bool = True,
    multi_input_args: bool = False,
    compile_keras: bool = False,
    random_weights: bool = False,
) -> None:
    """Copies Keras' weights into the layerax layer and compares outputs and input gradients.

    Both layers are built by a first call; then `lx_layer.set_weights(
    keras_layer.get_weights())` must reproduce Keras' outputs (and gradients
    of their sum with respect to floating inputs) within `rtol`.

    Options: `multi_input_args=True` passes the entries of the list `inputs`
    as separate positional arguments (`layer(query, value)`).
    `compile_keras=True` builds the Keras layer with `build(*input_shapes)`
    and runs its forward pass (`stateless_call`) under `jax.jit`: one
    compilation instead of Keras' op-by-op eager dispatch.
    `random_weights=True` overwrites the built Keras layer's weights with
    normal(0, 0.5) values first, so both layers may be created with cheap
    initializers (e.g. zeros) without weakening the comparison (only for
    layers whose weights may take any value).
    """
    k = keras()
    call_kwargs = dict(call_kwargs or {})
    keras_call_kwargs = dict(call_kwargs if keras_call_kwargs is None else keras_call_kwargs)

    def args(x: Any) -> tuple[Any, ...]:
        return tuple(x) if multi_input_args else (x,)

    if (compile_keras or random_weights) and not keras_layer.built:
        keras_layer.build(*[_shape_of(x) for x in args(inputs)])
    if random_weights:
        rng = np.random.default_rng(7)
        keras_layer.set_weights(
            [rng.normal(0.0, 0.5, np.shape(w)).astype(np.asarray(w).dtype)
             for w in keras_layer.get_weights()]
        )
    if compile_keras:

        def keras_forward(tv: Any, ntv: Any, x: Any) -> Any:
            return keras_layer.stateless_call(tv, ntv, *args(x), **keras_call_kwargs)[0]

        keras_out = jax.jit(keras_forward)(
            [v.value for v in keras_layer.trainable_variables],
            [v.value for v in keras_layer.non_trainable_variables],
            inputs,
        )
    else:
        keras_out = keras_layer(*args(inputs), **keras_call_kwargs)
    lx_layer(*args(inputs), **call_kwargs)
    kw = keras_layer.get_weights()
    assert [tuple(w.shape) for w in kw] == [tuple(v.shape) for v in lx_layer.weights], (
        "weight shapes differ: keras "
        f"{[(w.path, tuple(w.shape)) for w in keras_layer.weights]} vs layerax "
        f"{[(v.path, v.shape) for v in lx_layer.weights]}"
    )
    lx_layer.set_weights(kw)
    ours = lx_layer(*args(inputs), **call_kwargs)
    assert_close(ours, jax.tree.map(np.asarray, keras_out), rtol, atol)

    float_input = all(
        np.asarray(x).dtype.kind == "f" for x in jax.tree.leaves(inputs)
    )
    if check_input_grad and float_input:
        tv = [v.value for v in keras_layer.trainable_variables]
        ntv = [v.value for v in keras_layer.non_trainable_variables]

        def keras_total(x: Any) -> Any:
            out, _ = keras_layer.stateless_call(tv, ntv, *args(x), **keras_call_kwargs)
            return sum(jnp.sum(o) for o in jax.tree.leaves(out))

        def lx_total(layer: Any, x: Any) -> Any:
            return sum(jnp.sum(o) for o in jax.tree.leaves(layer(*args(x), **call_kwargs)))

        # The layer goes in as a pytree: a state-assigning call (training=True) mutates a clone.
        lx_grad = jax.jit(jax.grad(lx_total, argnums=1))(lx_layer, inputs)
        assert_close(lx_grad, jax.jit(jax.grad(keras_total))(inputs), rtol, atol)
    del k

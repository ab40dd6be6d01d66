"""`check_layer` (the checks every layer passes) and `keras_parity` (Keras 3 as an oracle)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras


def _make_input(shape: tuple[int, ...], dtype: str, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return jnp.asarray(rng.integers(0, 5, size=shape), dtype)
    if np.dtype(dtype).kind == "b":
        return jnp.asarray(rng.integers(0, 2, size=shape).astype(bool))
    return jnp.asarray(rng.normal(size=shape), dtype)


def _with_none_batch(shape: Any) -> Any:
    if isinstance(shape, list):
        return [_with_none_batch(s) for s in shape]
    return (None, *tuple(shape)[1:])


def check_layer(
    factory: Callable[[], lx.Layer],
    input_shape: Any,
    *,
    input_dtype: str = "float32",
    inputs: Any = None,
    call_kwargs: dict[str, Any] | None = None,
    expected_output_shape: Any = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    run_grad: bool = True,
    run_vmap: bool = True,
    check_output_shape: bool = True,
    multi_input_args: bool = False,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> lx.Layer:
    """Builds `factory()` on inputs of `input_shape` and checks the Layer contract.

    Checks: lazy build; `compute_output_shape` (with a None batch) agrees with
    the real output; weight counts; `get_config`/`from_config` round trip with
    the same weights giving the same output; pytree flatten/unflatten; raw
    `jax.jit` over the layer pytree; `lx.function`; `stateless_call`;
    `jax.grad` with respect to the inputs and to the layer pytree;
    `jax.vmap` over the inputs. Returns the built layer.

    With `multi_input_args=True`, `input_shape` (and `inputs`) is a list whose
    entries are passed as separate positional arguments, e.g.
    `layer(query, value)`, and `compute_output_shape` receives one shape per
    argument; `jax.vmap` then maps over every argument.
    """
    call_kwargs = dict(call_kwargs or {})

    def call(l: Any, x: Any, **extra: Any) -> Any:
        kwargs = {**call_kwargs, **extra}
        return l(*x, **kwargs) if multi_input_args else l(x, **kwargs)

    if inputs is None:
        if isinstance(input_shape, list):
            inputs = [_make_input(tuple(s), input_dtype, i) for i, s in enumerate(input_shape)]
        else:
            inputs = _make_input(tuple(input_shape), input_dtype, 0)
    layer = factory()
    assert not layer.built or layer.weights is not None
    out = call(layer, inputs)
    assert layer.built, f"{layer.name} is not built after its first call"
    out_shapes = jax.tree.map(lambda o: tuple(o.shape), out)
    if expected_output_shape is not None:
        assert out_shapes == expected_output_shape or out_shapes == tuple(expected_output_shape), (
            f"output shape {out_shapes} != expected {expected_output_shape}"
        )
    if check_output_shape:
        if multi_input_args:
            declared = layer.compute_output_shape(*_with_none_batch(list(input_shape)))
        else:
            declared = layer.compute_output_shape(_with_none_batch(input_shape))
        got = jax.tree.map(lambda s: (None, *s[1:]), out_shapes, is_leaf=lambda s: isinstance(s, tuple) and all(isinstance(d, int) for d in s))
        declared_n = jax.tree.map(
            lambda s: (None, *tuple(s)[1:]),
            declared,
            is_leaf=lambda s: isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s),
        )
        assert declared_n == got, f"compute_output_shape {declared} vs real {out_shapes}"
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights

    deterministic = call_kwargs.get("training") is not True
    # Config round trip with the same weights.
    config = layer.get_config()
    clone = type(layer).from_config(config)
    call(clone, inputs)
    clone.set_weights(layer.get_weights())
    if deterministic:
        assert_close(call(clone, inputs), call(layer, inputs), rtol, atol)
    assert type(layer).from_config(clone.get_config()).get_config() == clone.get_config()

    # Pytree round trip and raw jax.jit over the layer.
    leaves, treedef = jax.tree_util.tree_flatten(layer)
    assert len(leaves) == len(layer.variables)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(layer)
    eager = call(layer, inputs)
    if deterministic:
        assert_close(call(rebuilt, inputs), eager, rtol, atol)
        jitted = jax.jit(call)(layer, inputs)
        assert_close(jitted, eager, rtol, atol)
        compiled = lx.function(lambda x: call(layer, x))(inputs)
        assert_close(compiled, eager, rtol, atol)
        tv = [v.value for v in layer.trainable_variables]
        ntv = [v.value for v in layer.non_trainable_variables]
        args = tuple(inputs) if multi_input_args else (inputs,)
        stateless_out, _ = jax.jit(
            lambda tv, ntv, x: layer.stateless_call(tv, ntv, *x, **call_kwargs)
        )(tv, ntv, args)
        assert_close(stateless_out, eager, rtol, atol)

    float_input = np.dtype(input_dtype).kind == "f"
    if run_grad:
        def total(l: Any, x: Any, **extra: Any) -> Any:
            return sum(jnp.sum(o.astype(jnp.float32)) for o in jax.tree.leaves(call(l, x, **extra)))

        # Transforms run under jax.jit: one compilation instead of one per primitive. The
        # inputs' gradient goes through the layer pytree, so that layers that assign state in
        # the call (BatchNormalization with training=True) mutate a clone, not the live layer.
        if layer.trainable_weights and float_input:
            # Both gradients from one compilation.
            grads, gx = jax.jit(jax.grad(total, argnums=(0, 1)))(layer, inputs)
        elif layer.trainable_weights:
            grads = jax.jit(jax.grad(total))(layer, inputs)
        elif float_input:
            gx = jax.jit(jax.grad(total, argnums=1))(layer, inputs)
        if layer.trainable_weights:
            assert type(grads) is type(layer)
            for g in jax.tree.leaves(grads):
                assert np.all(np.isfinite(np.asarray(g, np.float32)))
        if float_input:
            for g in jax.tree.leaves(gx):
                assert np.all(np.isfinite(np.asarray(g)))
        if layer.trainable_weights:
            _check_returned_layer_trains(layer, inputs, total, grads, call_kwargs, rtol, atol)
    if run_vmap and deterministic and (
        multi_input_args or not isinstance(inputs, (list, tuple, dict))
    ):
        # Built with numpy: no compilation for the bookkeeping.
        def pair(x: Any) -> Any:
            host = np.asarray(x)
            return np.stack([host, host[::-1] if float_input else host])

        stacked = jax.tree.map(pair, list(inputs)) if multi_input_args else pair(inputs)
        vmapped = jax.jit(jax.vmap(lambda x: call(layer, x)))(stacked)
        assert_close(jax.tree.map(lambda v: np.asarray(v)[0], vmapped), eager, rtol, atol)
    return layer


_SGD_RATE = 0.1


def _returned_by_jit(layer: Any) -> Any:
    """The layer as a raw `jax.jit` returns it: a clone holding concrete arrays (a live layer)."""
    return jax.jit(lambda l: l)(layer)


class _SumModel(lx.Model):
    """Wraps a layer for `fit`: every row of the output is the sum of the layer's outputs, so
    that `fit` with the loss `_row_value` differentiates the harness' `total`."""

    def __init__(self, layer: Any, total: Callable[..., Any], training: Any):
        super().__init__()
        self.inner = layer
        object.__setattr__(self, "_total", total)
        # The mode the harness' other checks call the layer in (fit's own is training=True).
        object.__setattr__(self, "_inner_training", training)

    def call(self, x: Any) -> Any:
        batch = jax.tree.leaves(x)[0].shape[0]
        value = self._total(self.inner, x, training=self._inner_training)
        return jnp.broadcast_to(value, (batch, 1))


def _row_value(y_true: Any, y_pred: Any) -> Any:
    return y_pred[:, 0]


def _check_returned_layer_trains(
    layer: Any,
    inputs: Any,
    total: Callable[..., Any],
    grads: Any,
    call_kwargs: dict[str, Any],
    rtol: float,
    atol: float,
) -> None:
    """The layer `jax.jit` returns trains: its tape gradients equal `jax.grad` over the pytree
    (`grads`), an optimizer step and a `fit` step move its weights by them, and the original
    layer does not move. Eager tape (no compilation) and one compiled `fit` step."""
    expected = [np.asarray(v.value, np.float32) for v in grads.trainable_variables]
    original = [np.asarray(v.value) for v in layer.trainable_variables]
    stepped = [w - _SGD_RATE * g for w, g in zip(original, expected)]
    grad_tol = dict(rtol=max(rtol, 1e-4), atol=max(atol, 1e-5))

    live = _returned_by_jit(layer)
    trainable = live.trainable_variables
    with lx.GradientTape() as tape:
        loss = total(live, inputs)
    tape_grads = tape.gradient(loss, trainable)
    assert all(g is not None for g in tape_grads), (
        f"{layer.name}: the tape found no gradient for "
        f"{[v.path for v, g in zip(trainable, tape_grads) if g is None]} on the layer "
        "jax.jit returned"
    )
    assert_close([np.asarray(g, np.float32) for g in tape_grads], expected, **grad_tol)
    lx.optimizers.SGD(_SGD_RATE).apply_gradients(zip(tape_grads, trainable))
    assert_close([v.value for v in trainable], stepped, **grad_tol)

    # fit, on another returned clone (the tape step advanced the first one's seed states).
    training = call_kwargs.get("training", False)
    if layer.losses:
        # fit also minimises the layer's losses (regularizers, add_loss): so does the reference.
        def objective(l: Any, x: Any) -> Any:
            value = total(l, x, training=training)
            return value + sum(jnp.sum(loss) for loss in l.losses)

        with_losses = jax.grad(objective)(layer, inputs)
        stepped = [
            w - _SGD_RATE * np.asarray(v.value, np.float32)
            for w, v in zip(original, with_losses.trainable_variables)
        ]
    model = _SumModel(_returned_by_jit(layer), total, training)
    model.compile(optimizer=lx.optimizers.SGD(_SGD_RATE), loss=_row_value)
    batch = jax.tree.leaves(inputs)[0].shape[0]
    x = list(inputs) if isinstance(inputs, (list, tuple)) else inputs
    model.fit(x, np.zeros((batch, 1), np.float32), batch_size=batch, shuffle=False, verbose=0)
    assert_close([v.value for v in model.inner.trainable_variables], stepped, **grad_tol)
    assert_close([v.value for v in layer.trainable_variables], original)


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

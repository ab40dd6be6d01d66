"""`check_layer`: builds a layer on sample inputs and checks the Layer contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.context import CTX
from layerax.core.layer import Layer
from layerax.core.layer import eager_masks
from layerax.dtype_policies import set_dtype_policy
from layerax.function import function
from layerax.models.model import Model
from layerax.optimizers import SGD
from layerax.tape import GradientTape

_SGD_RATE = 0.1
_MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")


def _assert_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6,
                  what: str = "values") -> None:
    """Leaf by leaf `np.testing.assert_allclose` of two pytrees of arrays."""
    a_leaves = jax.tree_util.tree_leaves(actual)
    e_leaves = jax.tree_util.tree_leaves(expected)
    assert len(a_leaves) == len(e_leaves), (
        f"{what}: {len(a_leaves)} arrays vs {len(e_leaves)} expected"
    )
    for a, e in zip(a_leaves, e_leaves):
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(e, np.float64),
                                   rtol=rtol, atol=atol, err_msg=what)


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


def _is_int_shape(s: Any) -> bool:
    return isinstance(s, tuple) and all(isinstance(d, int) for d in s)


def _is_shape(s: Any) -> bool:
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _new_layer(layer_cls: Callable[..., Layer], init_kwargs: dict[str, Any] | None) -> Layer:
    layer = layer_cls(**init_kwargs) if init_kwargs is not None else layer_cls()
    if not isinstance(layer, Layer):
        raise TypeError(
            "check_layer: `layer_cls` must be a Layer class or a function returning a layer. "
            f"Received: layer_cls={layer_cls!r}, which returned {type(layer).__name__}"
        )
    return layer


def check_layer(
    layer_cls: Callable[..., Layer],
    input_shape: Any = None,
    *,
    init_kwargs: dict[str, Any] | None = None,
    input_dtype: str = "float32",
    input_data: Any = None,
    inputs: Any = None,
    call_kwargs: dict[str, Any] | None = None,
    expected_output_shape: Any = None,
    expected_output_dtype: Any = None,
    expected_output: Any = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_losses: int | None = None,
    supports_masking: bool | None = None,
    expected_mask_shape: Any = None,
    input_mask: Any = None,
    run_training_check: bool = True,
    run_mixed_precision_check: bool = True,
    mixed_precision_policy: str = "mixed_float16",
    run_grad: bool = True,
    run_vmap: bool = True,
    check_output_shape: bool = True,
    multi_input_args: bool = False,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> Layer:
    """Builds a layer on sample inputs and checks the Layer contract (Keras' `run_layer_test`).

    The checks, each of which an argument can switch off or narrow:

    * build: the layer builds lazily on its first call; `compute_output_shape`
      (with a None batch) agrees with the real output (`check_output_shape`);
      output shape, dtype, values and weight counts as expected;
    * `get_config`/`from_config` round trip: the clone with the same weights
      gives the same output;
    * pytree flatten/unflatten, raw `jax.jit` over the layer, `lx.function`
      and `stateless_call` give the eager output;
    * `run_grad`: `jax.grad` with respect to the floating inputs and to the
      layer pytree is finite;
    * `run_training_check`: `GradientTape` gradients of the summed output
      equal `jax.grad` of a `stateless_call` and of the pytree; an SGD step
      moves the weights by them; one compiled `fit` step gives a finite loss,
      changes the trainable weights by exactly one SGD step and leaves the
      original layer as it was;
    * `run_vmap`: `jax.vmap` over a batch of inputs;
    * `supports_masking`: the layer's flag; when True, `compute_mask` agrees
      with the mask attached to the eager output and the mask a downstream
      layer receives (`expected_mask_shape` checks its shape);
    * `run_mixed_precision_check`: a fresh layer built under
      `mixed_precision_policy` (`"mixed_float16"`, as Keras, or
      `"mixed_bfloat16"`) keeps its floating variables in float32 and returns
      floating outputs in the compute dtype (when it autocasts).

    Args:
        layer_cls: a Layer class, called with `init_kwargs`, or a function of
            no arguments returning a new layer (then `init_kwargs` is None).
        input_shape: the shape of the sample input (with its batch size), or a
            list of shapes for several inputs.
        init_kwargs: the constructor's keyword arguments.
        input_dtype: the dtype of generated inputs.
        input_data: the inputs themselves (numpy or JAX arrays) instead of
            generated ones; `inputs` is an alias.
        inputs: alias of `input_data`.
        call_kwargs: keyword arguments of every call (e.g. `training=True`).
        expected_output_shape: the output shape (a structure of shapes).
        expected_output_dtype: the dtype of every output array.
        expected_output: the expected output values (checked with `rtol`/`atol`).
        expected_num_trainable_weights: the number of trainable weights.
        expected_num_non_trainable_weights: the number of non-trainable weights.
        expected_num_losses: the number of losses after the first call.
        supports_masking: the expected value of `layer.supports_masking`; True
            also runs the mask check.
        expected_mask_shape: the shape of `compute_mask`'s result.
        input_mask: the mask of the inputs in the mask check (default: a
            random boolean mask of the first two dimensions).
        run_training_check: run the tape and `fit` checks.
        run_mixed_precision_check: run the mixed-precision check.
        mixed_precision_policy: the policy of that check.
        run_grad: run the gradient checks (the training check needs them).
        run_vmap: run the `jax.vmap` check.
        check_output_shape: compare `compute_output_shape` with the output.
        multi_input_args: `input_shape` (and the inputs) is a list whose entries
            are separate positional arguments, e.g. `layer(query, value)`;
            `compute_output_shape` receives one shape per argument.
        rtol: relative tolerance of the comparisons.
        atol: absolute tolerance of the comparisons.

    Returns:
        The built layer.

    Raises:
        AssertionError: a check failed; the message names it.
        ValueError: inconsistent arguments.

    Example:
        >>> import layerax as lx
        >>> layer = lx.testing.check_layer(
        ...     lx.layers.Dense, (2, 3), init_kwargs={"units": 4},
        ...     expected_output_shape=(2, 4), expected_num_trainable_weights=2,
        ...     supports_masking=True, run_vmap=False)
        >>> layer.kernel.shape
        (3, 4)
    """
    if input_data is not None and inputs is not None:
        raise ValueError(
            "check_layer: pass the inputs as `input_data` or as `inputs`, not both."
        )
    inputs = input_data if input_data is not None else inputs
    if inputs is None and input_shape is None:
        raise ValueError(
            "check_layer needs `input_shape` or `input_data`. Received neither; pass e.g. "
            "input_shape=(2, 3)."
        )
    if expected_mask_shape is not None and supports_masking is not True:
        raise ValueError(
            "check_layer: `expected_mask_shape` needs supports_masking=True. Received: "
            f"supports_masking={supports_masking!r}"
        )
    if mixed_precision_policy not in _MIXED_POLICIES:
        raise ValueError(
            f"check_layer: `mixed_precision_policy` must be one of {_MIXED_POLICIES}. "
            f"Received: mixed_precision_policy={mixed_precision_policy!r}"
        )
    call_kwargs = dict(call_kwargs or {})

    def call(l: Any, x: Any, **extra: Any) -> Any:
        kwargs = {**call_kwargs, **extra}
        return l(*x, **kwargs) if multi_input_args else l(x, **kwargs)

    if inputs is None:
        if isinstance(input_shape, list):
            inputs = [_make_input(tuple(s), input_dtype, i) for i, s in enumerate(input_shape)]
        else:
            inputs = _make_input(tuple(input_shape), input_dtype, 0)
    else:
        inputs = jax.tree.map(jnp.asarray, inputs)
        if input_shape is None:
            shapes = [tuple(np.shape(x)) for x in inputs] if isinstance(inputs, (list, tuple)) \
                else tuple(np.shape(inputs))
            input_shape = shapes
    layer = _new_layer(layer_cls, init_kwargs)
    out = call(layer, inputs)
    assert layer.built, f"{layer.name} is not built after its first call"
    out_shapes = jax.tree.map(lambda o: tuple(o.shape), out)
    if expected_output_shape is not None:
        assert out_shapes == expected_output_shape or out_shapes == tuple(expected_output_shape), (
            f"{layer.name}: output shape {out_shapes} != expected {expected_output_shape}"
        )
    if expected_output_dtype is not None:
        for o in jax.tree.leaves(out):
            assert np.dtype(o.dtype) == np.dtype(expected_output_dtype), (
                f"{layer.name}: output dtype {o.dtype} != expected {expected_output_dtype}"
            )
    if expected_output is not None:
        _assert_close(out, expected_output, rtol, atol, what=f"{layer.name}: output")
    if check_output_shape:
        if multi_input_args:
            declared = layer.compute_output_shape(*_with_none_batch(list(input_shape)))
        else:
            declared = layer.compute_output_shape(_with_none_batch(input_shape))
        got = jax.tree.map(lambda s: (None, *s[1:]), out_shapes, is_leaf=_is_int_shape)
        declared_n = jax.tree.map(lambda s: (None, *tuple(s)[1:]), declared, is_leaf=_is_shape)
        assert declared_n == got, (
            f"{layer.name}: compute_output_shape {declared} vs real {out_shapes}"
        )
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights, (
            f"{layer.name}: {len(layer.trainable_weights)} trainable weights, expected "
            f"{expected_num_trainable_weights}"
        )
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, (
            f"{layer.name}: {len(layer.non_trainable_weights)} non-trainable weights, expected "
            f"{expected_num_non_trainable_weights}"
        )
    if expected_num_losses is not None:
        assert len(layer.losses) == expected_num_losses, (
            f"{layer.name}: {len(layer.losses)} losses, expected {expected_num_losses}"
        )

    deterministic = call_kwargs.get("training") is not True
    _check_config_round_trip(layer, inputs, call, deterministic, rtol, atol)

    # Pytree round trip and raw jax.jit over the layer.
    leaves, treedef = jax.tree_util.tree_flatten(layer)
    assert len(leaves) == len(layer.variables)
    rebuilt = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(rebuilt) is type(layer)
    eager = call(layer, inputs)
    args_of = (lambda x: tuple(x)) if multi_input_args else (lambda x: (x,))
    if deterministic:
        _assert_close(call(rebuilt, inputs), eager, rtol, atol, what="unflattened pytree")
        jitted = jax.jit(call)(layer, inputs)
        _assert_close(jitted, eager, rtol, atol, what="jax.jit over the layer")
        compiled = function(lambda x: call(layer, x))(inputs)
        _assert_close(compiled, eager, rtol, atol, what="lx.function")
        tv = [v.value for v in layer.trainable_variables]
        ntv = [v.value for v in layer.non_trainable_variables]
        stateless_out, _ = jax.jit(
            lambda tv, ntv, x: layer.stateless_call(tv, ntv, *x, **call_kwargs)
        )(tv, ntv, args_of(inputs))
        _assert_close(stateless_out, eager, rtol, atol, what="stateless_call")

    float_input = np.dtype(input_dtype).kind == "f" and all(
        np.dtype(x.dtype).kind == "f" for x in jax.tree.leaves(inputs)
    )
    if run_grad:
        _check_gradients(layer, inputs, call, call_kwargs, args_of, float_input,
                         run_training_check, rtol, atol)
    if run_vmap and deterministic and (
        multi_input_args or not isinstance(inputs, (list, tuple, dict))
    ):
        # Built with numpy: no compilation for the bookkeeping.
        def pair(x: Any) -> Any:
            host = np.asarray(x)
            return np.stack([host, host[::-1] if float_input else host])

        stacked = jax.tree.map(pair, list(inputs)) if multi_input_args else pair(inputs)
        vmapped = jax.jit(jax.vmap(lambda x: call(layer, x)))(stacked)
        _assert_close(jax.tree.map(lambda v: np.asarray(v)[0], vmapped), eager, rtol, atol,
                      what="jax.vmap")
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking, (
            f"{layer.name}: supports_masking is {layer.supports_masking}, expected "
            f"{supports_masking}"
        )
    if supports_masking:
        _check_masks(layer, inputs, call, multi_input_args, input_mask, expected_mask_shape)
    if run_mixed_precision_check:
        _check_mixed_precision(layer_cls, init_kwargs, inputs, call, mixed_precision_policy)
    return layer


def _check_config_round_trip(layer: Layer, inputs: Any, call: Callable[..., Any],
                             deterministic: bool, rtol: float, atol: float) -> None:
    config = layer.get_config()
    clone = type(layer).from_config(config)
    call(clone, inputs)
    clone.set_weights(layer.get_weights())
    if deterministic:
        _assert_close(call(clone, inputs), call(layer, inputs), rtol, atol,
                      what=f"{layer.name}: from_config(get_config()) with the same weights")
    assert type(layer).from_config(clone.get_config()).get_config() == clone.get_config(), (
        f"{layer.name}: get_config() of from_config(config) differs from config"
    )


def _total(call: Callable[..., Any]) -> Callable[..., Any]:
    def total(l: Any, x: Any, **extra: Any) -> Any:
        return sum(jnp.sum(o.astype(jnp.float32)) for o in jax.tree.leaves(call(l, x, **extra)))

    return total


def _check_gradients(layer: Layer, inputs: Any, call: Callable[..., Any],
                     call_kwargs: dict[str, Any], args_of: Callable[[Any], tuple[Any, ...]],
                     float_input: bool, run_training_check: bool,
                     rtol: float, atol: float) -> None:
    total = _total(call)
    # Transforms run under jax.jit: one compilation instead of one per primitive. The
    # inputs' gradient goes through the layer pytree, so that layers that assign state in
    # the call (BatchNormalization with training=True) mutate a clone, not the live layer.
    grads = gx = None
    if layer.trainable_weights and float_input:
        grads, gx = jax.jit(jax.grad(total, argnums=(0, 1)))(layer, inputs)
    elif layer.trainable_weights:
        grads = jax.jit(jax.grad(total))(layer, inputs)
    elif float_input:
        gx = jax.jit(jax.grad(total, argnums=1))(layer, inputs)
    if grads is not None:
        assert type(grads) is type(layer)
        for g in jax.tree.leaves(grads):
            assert np.all(np.isfinite(np.asarray(g, np.float32))), (
                f"{layer.name}: a weight gradient is not finite"
            )
    if gx is not None:
        for g in jax.tree.leaves(gx):
            assert np.all(np.isfinite(np.asarray(g))), f"{layer.name}: an input gradient is not finite"
    if grads is not None and run_training_check:
        _check_training(layer, inputs, total, grads, call_kwargs, args_of, rtol, atol)


def _returned_by_jit(layer: Any) -> Any:
    """The layer as a raw `jax.jit` returns it: a clone holding concrete arrays (a live layer)."""
    return jax.jit(lambda l: l)(layer)


class _SumModel(Model):
    """Wraps a layer for `fit`: every row of the output is the sum of the layer's outputs, so
    that `fit` with the loss `_row_value` differentiates the checks' summed output."""

    def __init__(self, layer: Any, total: Callable[..., Any], training: Any):
        super().__init__()
        self.inner = layer
        object.__setattr__(self, "_total", total)
        # The mode the other checks call the layer in (fit's own is training=True).
        object.__setattr__(self, "_inner_training", training)

    def call(self, x: Any) -> Any:
        batch = jax.tree.leaves(x)[0].shape[0]
        value = self._total(self.inner, x, training=self._inner_training)
        return jnp.broadcast_to(value, (batch, 1))


def _row_value(y_true: Any, y_pred: Any) -> Any:
    return y_pred[:, 0]


def _check_training(
    layer: Any,
    inputs: Any,
    total: Callable[..., Any],
    grads: Any,
    call_kwargs: dict[str, Any],
    args_of: Callable[[Any], tuple[Any, ...]],
    rtol: float,
    atol: float,
) -> None:
    """The layer `jax.jit` returns trains: its tape gradients equal `jax.grad` of a
    `stateless_call` and over the pytree (`grads`), an optimizer step and a `fit` step move its
    weights by them, and the original layer does not move."""
    expected = [np.asarray(v.value, np.float32) for v in grads.trainable_variables]
    original = [np.asarray(v.value) for v in layer.trainable_variables]
    stepped = [w - _SGD_RATE * g for w, g in zip(original, expected)]
    grad_tol = dict(rtol=max(rtol, 1e-4), atol=max(atol, 1e-5))

    # The reference of the tape: jax.grad of the pure function of the trainable values.
    ntv = [v.value for v in layer.non_trainable_variables]

    def stateless_total(tv: Any, x: Any) -> Any:
        out, _ = layer.stateless_call(tv, ntv, *args_of(x), **call_kwargs)
        return sum(jnp.sum(o.astype(jnp.float32)) for o in jax.tree.leaves(out))

    stateless_grads = jax.jit(jax.grad(stateless_total))(
        [v.value for v in layer.trainable_variables], inputs
    )
    _assert_close([np.asarray(g, np.float32) for g in stateless_grads], expected,
                  what=f"{layer.name}: jax.grad of stateless_call vs of the pytree", **grad_tol)

    live = _returned_by_jit(layer)
    trainable = live.trainable_variables
    with GradientTape() as tape:
        loss = total(live, inputs)
    tape_grads = tape.gradient(loss, trainable)
    assert all(g is not None for g in tape_grads), (
        f"{layer.name}: the tape found no gradient for "
        f"{[v.path for v, g in zip(trainable, tape_grads) if g is None]} on the layer "
        "jax.jit returned"
    )
    _assert_close([np.asarray(g, np.float32) for g in tape_grads], expected,
                  what=f"{layer.name}: GradientTape gradients vs jax.grad", **grad_tol)
    SGD(_SGD_RATE).apply_gradients(zip(tape_grads, trainable))
    _assert_close([v.value for v in trainable], stepped,
                  what=f"{layer.name}: an SGD step with the tape's gradients", **grad_tol)

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
    model.compile(optimizer=SGD(_SGD_RATE), loss=_row_value)
    batch = jax.tree.leaves(inputs)[0].shape[0]
    x = list(inputs) if isinstance(inputs, (list, tuple)) else inputs
    history = model.fit(x, np.zeros((batch, 1), np.float32), batch_size=batch, shuffle=False,
                        verbose=0)
    assert np.isfinite(history.history["loss"][0]), (
        f"{layer.name}: the fit step's loss is {history.history['loss'][0]}"
    )
    trained = [np.asarray(v.value) for v in model.inner.trainable_variables]
    moved = any(not np.array_equal(t, w) for t, w in zip(trained, original))
    nonzero = any(np.any(np.asarray(g) != 0) for g in expected)
    assert moved or not nonzero, f"{layer.name}: fit did not change the trainable weights"
    _assert_close(trained, stepped, what=f"{layer.name}: the weights after one fit step",
                  **grad_tol)
    _assert_close([v.value for v in layer.trainable_variables], original,
                  what=f"{layer.name}: the original layer after training its clones")


def _default_mask(x: Any, seed: int) -> Any:
    shape = tuple(np.shape(x))
    shape = shape[:2] if len(shape) >= 2 else shape
    mask = np.random.default_rng(seed).integers(0, 2, size=shape).astype(bool)
    mask[..., 0] = True
    return jnp.asarray(mask)


def _same_masks(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
                and len(a) == len(b) and all(_same_masks(x, y) for x, y in zip(a, b)))
    return np.shape(a) == np.shape(b) and bool(np.all(np.asarray(a) == np.asarray(b)))


class _MaskProbe(Layer):
    """Records the mask its call receives."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        object.__setattr__(self, "seen", [])

    def call(self, x: Any, mask: Any = None) -> Any:
        self.seen.append(mask)
        return x


def _check_masks(layer: Layer, inputs: Any, call: Callable[..., Any], multi_input_args: bool,
                 input_mask: Any, expected_mask_shape: Any) -> None:
    """`compute_mask` agrees with the mask on the eager output and the one downstream sees."""
    many = isinstance(inputs, (list, tuple))
    if input_mask is None:
        input_mask = [_default_mask(x, i) for i, x in enumerate(inputs)] if many \
            else _default_mask(inputs, 0)
    expected = layer.compute_mask(list(inputs) if many else inputs, input_mask)
    if expected_mask_shape is not None:
        shape = jax.tree.map(lambda m: tuple(np.shape(m)), expected)
        assert expected is not None and (
            shape == expected_mask_shape or shape == tuple(expected_mask_shape)
        ), f"{layer.name}: compute_mask's shape is {shape}, expected {expected_mask_shape}"
    # Fresh arrays carry the input mask (as an Embedding's or Masking's output would).
    masked = [jnp.array(x) for x in inputs] if many else jnp.array(inputs)
    eager_masks.attach_masks(masked, input_mask)
    out = call(layer, masked)
    attached = eager_masks.attached_mask(out)
    assert _same_masks(attached, expected), (
        f"{layer.name}: the mask on the eager output ({attached}) differs from "
        f"compute_mask(inputs, mask) ({expected})"
    )
    probe = _MaskProbe()
    probe(out)
    seen = probe.seen[0]
    first = expected[0] if isinstance(expected, (list, tuple)) and not isinstance(
        out, (list, tuple)) else expected
    assert _same_masks(seen, first), (
        f"{layer.name}: the next layer received the mask {seen}, but compute_mask gives "
        f"{expected}"
    )
    del multi_input_args


def _check_mixed_precision(layer_cls: Callable[..., Layer], init_kwargs: dict[str, Any] | None,
                           inputs: Any, call: Callable[..., Any], policy: str) -> None:
    """Under a mixed policy: float32 variables, floating outputs in the compute dtype."""
    # The global setting itself (None: follow floatx), not the policy it resolves to.
    previous = CTX.process.dtype_policy
    if init_kwargs is not None:
        layer = _new_layer(layer_cls, {**init_kwargs, "dtype": policy})
    else:
        set_dtype_policy(policy)
        try:
            layer = _new_layer(layer_cls, None)
        finally:
            set_dtype_policy(previous)
    compute = policy.removeprefix("mixed_")
    assert layer.compute_dtype == compute, (
        f"{layer.name}: compute_dtype is {layer.compute_dtype} under the policy {policy!r}, "
        f"expected {compute}"
    )
    outputs = call(layer, inputs)
    for weight in layer.weights:
        if np.dtype(weight.dtype).kind == "f":
            assert np.dtype(weight.dtype) == np.float32, (
                f"{layer.name}: the variable {weight.path} is {weight.dtype} under {policy!r}; "
                "Keras keeps variables in the variable dtype, float32"
            )
    float_input = any(np.dtype(x.dtype).kind == "f" for x in jax.tree.leaves(inputs))
    if layer.autocast and (float_input or layer.weights):
        for o in jax.tree.leaves(outputs):
            if np.dtype(o.dtype).kind == "f":
                assert np.dtype(o.dtype) == np.dtype(compute), (
                    f"{layer.name}: a floating output is {o.dtype} under {policy!r}, expected "
                    f"the compute dtype {compute}"
                )


__all__ = ["check_layer"]

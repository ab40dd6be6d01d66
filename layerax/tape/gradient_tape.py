"""`lx.GradientTape`: TensorFlow's gradient tape, eager or compiled, on JAX.

The tape records the operations of its `with` block on JAX's own linearize
trace (the one `jax.vjp` uses) and transposes them with JAX's backward pass,
so a compiled tape step is the same computation as `jax.value_and_grad`.
Because that trace is internal to JAX, the tape checks the installed jax
version on first use; everything else in layerax uses public JAX only.
"""

from __future__ import annotations

import contextlib
import enum
import sys
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.context import CTX, Interceptor, pop_interceptor, push_interceptor
from layerax.core.state import is_bound_here, is_trace_local
from layerax.core.layer import Layer
from layerax.core.variable import Variable

# The jax versions the tape is verified on. CI (`.ci/run`) runs the tape, core and
# trainer tests on MIN_JAX_VERSION, on the newest jax pip gives Python 3.11 (0.10.2)
# and on the newest jax pip gives Python 3.12 and 3.13, unpinned; MAX_TESTED_JAX_VERSION
# is the newest release that run verified. A newer jax is accepted when the first-use
# self-check passes.
MIN_JAX_VERSION = "0.7.2"
MAX_TESTED_JAX_VERSION = "0.12.0.1"

_NON_PERSISTENT_MSG = (
    "A non-persistent GradientTape can only be used to compute one set of gradients (or "
    "jacobians). Create the tape with `lx.GradientTape(persistent=True)` to call gradient() "
    "several times."
)


class UnconnectedGradients(enum.Enum):
    """What `GradientTape.gradient` returns for sources the target does not depend on.

    Example:
        >>> import layerax as lx
        >>> lx.UnconnectedGradients("zero") is lx.UnconnectedGradients.ZERO
        True
    """

    NONE = "none"
    ZERO = "zero"


class UnsupportedJaxError(RuntimeError):
    """The installed jax cannot run `GradientTape` (see `docs/tape.md`).

    Raised by the first `GradientTape()` when the jax version is outside the
    supported range and fails the tape's self-check.

    Example:
        >>> import layerax as lx
        >>> issubclass(lx.tape.UnsupportedJaxError, RuntimeError)
        True
    """


# ----------------------------------------------------------------- version
_BACKEND: dict[str, Any] = {"engine": None, "error": None}


def _jax_version() -> str:
    return jax.__version__


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:3]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _unsupported(version: str, cause: BaseException | str) -> UnsupportedJaxError:
    return UnsupportedJaxError(
        f"lx.GradientTape does not work with the installed jax {version}. The tape runs on "
        f"JAX-internal autodiff machinery and supports jax {MIN_JAX_VERSION} to "
        f"{MAX_TESTED_JAX_VERSION}: CI tests {MIN_JAX_VERSION}, 0.10.2 and the newest release "
        f"(verified up to {MAX_TESTED_JAX_VERSION}); a newer jax is accepted when the tape's "
        f"first-use self-check passes. Install a supported version, e.g. "
        f"`pip install 'jax=={MAX_TESTED_JAX_VERSION}' 'jaxlib=={MAX_TESTED_JAX_VERSION}'`, or "
        "write the training step with the functional API, which works on every jax version: "
        "`loss, grads = jax.value_and_grad(loss_fn)(values)` where `loss_fn(values)` calls "
        "`model.stateless_call(values, non_trainable_values, x)` (see README, 'A first model'). "
        f"Cause: {type(cause).__name__ if isinstance(cause, BaseException) else 'check'}: {cause}"
    )


def _self_check(compare_traces: bool = True) -> None:
    """A tiny tape gradient against jax.value_and_grad: proves the internals behave as expected.

    The fast path compares the traced computations (no compilation): on the
    verified versions they are identical. Otherwise the tape must still give
    the right numbers eagerly.
    """
    x = np.asarray([0.5, -1.5, 2.0], np.float32)

    def f(v: Any) -> Any:
        return jnp.sum(jnp.sin(v) * v)

    def with_tape(v: Any) -> Any:
        with GradientTape() as tape:
            tape.watch(v)
            y = f(v)
        return y, tape.gradient(y, v)

    if compare_traces and str(jax.make_jaxpr(with_tape)(x)) == str(
        jax.make_jaxpr(jax.value_and_grad(f))(x)
    ):
        return
    with jax.ensure_compile_time_eval():
        y, grad = with_tape(jnp.asarray(x))
        value, grad = float(y), np.asarray(grad)
    want = np.sin(x) + x * np.cos(x)
    value_ok = abs(value - float(np.sum(np.sin(x) * x))) <= 1e-5
    if not (value_ok and np.allclose(grad, want, rtol=1e-5, atol=1e-6)):
        raise AssertionError(f"tape gradient {grad} differs from the closed form {want}")


def _engine() -> Any:
    """The recording engine (imports JAX internals on first use, then self-checks)."""
    engine = _BACKEND["engine"]
    if engine is not None:
        return engine
    if _BACKEND["error"] is not None:
        raise _BACKEND["error"]
    version = _jax_version()
    if _version_tuple(version) < _version_tuple(MIN_JAX_VERSION):
        error = _unsupported(version, f"jax {version} is older than {MIN_JAX_VERSION}")
        _BACKEND["error"] = error
        raise error
    try:
        from layerax.tape import _engine as engine
    except Exception as err:  # the internals moved: nothing of the tape can run
        error = _unsupported(version, err)
        _BACKEND["error"] = error
        raise error from err
    _BACKEND["engine"] = engine  # the self-check itself uses a tape
    try:
        _self_check()
    except Exception as err:
        _BACKEND["engine"] = None
        error = _unsupported(version, err)
        _BACKEND["error"] = error
        raise error from err
    return engine


# ----------------------------------------------------------------- helpers
def _unconnected_mode(value: Any) -> UnconnectedGradients:
    if isinstance(value, UnconnectedGradients):
        return value
    if isinstance(value, str):
        try:
            return UnconnectedGradients(value.lower())
        except ValueError:
            pass
    raise ValueError(
        "unconnected_gradients must be 'none', 'zero' or an lx.UnconnectedGradients member. "
        f"Received: unconnected_gradients={value!r}"
    )


def _is_float(dtype: Any) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


def _is_array_like(x: Any) -> bool:
    return isinstance(x, (jax.Array, np.ndarray, np.generic, int, float, complex))


def _shape_dtype(x: Any) -> tuple[tuple[int, ...], Any]:
    if not (hasattr(x, "shape") and hasattr(x, "dtype")):
        x = jnp.asarray(x)
    return tuple(x.shape), x.dtype


def _flatten_sources(sources: Any) -> tuple[list[Any], Any]:
    leaves, treedef = jax.tree_util.tree_flatten(
        sources, is_leaf=lambda x: isinstance(x, (Variable, Layer))
    )
    for leaf in leaves:
        if isinstance(leaf, Layer):
            raise TypeError(
                f"GradientTape sources must be variables or arrays; received the layer "
                f"'{leaf.name}'. Pass `{leaf.name}.trainable_variables` instead."
            )
        if not (isinstance(leaf, Variable) or _is_array_like(leaf)):
            raise TypeError(
                "GradientTape sources must be lx.Variable objects or arrays (or nested "
                f"lists/tuples/dicts of them). Received a {type(leaf).__name__}: {leaf!r}"
            )
    return leaves, treedef


def _flatten_targets(target: Any) -> list[Any]:
    leaves = jax.tree_util.tree_leaves(target, is_leaf=lambda x: isinstance(x, Variable))
    for leaf in leaves:
        if not (isinstance(leaf, Variable) or _is_array_like(leaf)):
            raise TypeError(
                "GradientTape.gradient expects the target to be an array computed inside the "
                "tape's block (or a list/tuple/dict of them). Received a "
                f"{type(leaf).__name__}: {leaf!r}"
            )
    return leaves


# ----------------------------------------------------------------- the tape
class GradientTape(Interceptor):
    """Records operations in a `with` block for automatic differentiation (TF's tape).

    Trainable variables read inside the block are watched automatically;
    `watch` adds arrays (no need to rebind them: `tape.watch(x)` is enough)
    and other variables. After the block, `gradient` differentiates any value
    computed inside it with respect to watched variables, watched arrays or
    intermediate values. Values computed in the block are ordinary arrays
    afterwards (`float(loss)`, `print(loss)`), and variable assignments in the
    block (BatchNorm statistics, random seeds, metrics) take effect without
    being differentiated.

    The same step runs eagerly or inside `lx.function`; compiled, it is the
    same computation as `jax.value_and_grad` of the equivalent pure function.
    See `docs/tape.md` for semantics, limits and the supported jax versions.

    Args:
        persistent: Allow more than one `gradient`/`jacobian` call.
        watch_accessed_variables: Watch trainable variables read in the block.
            With False, only what `watch` names is differentiable.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0, 2.0]), name="w")
        >>> x = jnp.array(3.0)
        >>> with lx.GradientTape() as tape:
        ...     tape.watch(x)
        ...     loss = jnp.sum(w * w) * x
        >>> dw, dx = tape.gradient(loss, [w, x])
        >>> dw.tolist(), float(dx), float(loss)
        ([6.0, 12.0], 5.0, 15.0)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self._engine = _engine()
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._trace: Any = None
        self._recording = False
        self._suspended = 0
        self._used = False
        self._trace_cm: Any = None
        self._released_variables: tuple[Variable, ...] = ()

    # ------------------------------------------------------------ block
    def __enter__(self) -> GradientTape:
        if self._recording:
            raise ValueError(
                "This GradientTape is already recording: a tape cannot be re-entered inside its "
                "own block. Use a second tape for nested recording."
            )
        engine = self._engine
        parent = engine.jc.current_trace()
        trace = self._trace
        if trace is not None and not trace.released:
            if trace.parent_trace is not parent:
                raise RuntimeError(
                    "A GradientTape can only be re-entered where it was first entered (the same "
                    "jax.jit / lx.function trace, or eagerly). Create a new tape instead."
                )
            trace.reopen()  # TF: re-entering a tape continues its recording
        else:
            trace = self._trace = engine.TapeTrace(parent)
            self._used = False
        self._trace_cm = engine.jc.set_current_trace(trace)
        self._trace_cm.__enter__()
        push_interceptor(self)
        self._recording = True
        # Where the block was opened: an lx.function called after that frame returned sees a
        # tape left open (an `__enter__` without `__exit__`) and warns (layerax/function.py).
        self._lx_opened_in = sys._getframe(1)
        self._lx_leak_warned = False
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self._recording:  # already stopped by a non-persistent gradient() call
            return
        if self._engine.jc.current_trace() is not self._trace and exc_type is None:
            # Nothing is changed, so the inner block can still be closed first.
            raise RuntimeError(
                "GradientTape blocks must be nested properly: a tape (or a stop_recording block) "
                "opened inside this tape's block was still open when the block ended."
            )
        self._stop(exc_type, exc, tb)

    def _stop(self, *exc: Any) -> None:
        self._lx_opened_in = None
        pop_interceptor(self)
        self._trace_cm.__exit__(*exc)
        self._trace_cm = None
        self._recording = False
        self._trace.close()
        if self._used and not self._persistent:
            self._release()

    def _release(self) -> None:
        if self._trace is not None:
            self._released_variables = self.watched_variables()  # TF keeps the list
            self._trace.release()
        self._trace = None

    # ------------------------------------------------- interceptor hooks
    def read(self, variable: Any, value: Any) -> Any:
        """Returns the tape's value of `variable` (called by `Variable.value`)."""
        if self._suspended:
            return value
        trace = self._trace
        entry = trace.variables.get(id(variable))
        if entry is None or entry.base is not value:
            entry = self._entry_for(variable, value, entry)
            if entry is None:
                return value
        jc = self._engine.jc
        current = jc.current_trace()
        if current is not trace and current is not trace.parent_trace and jc.is_jit_trace(current):
            # Read by closure inside a jax.jit traced in this block: jax.jit will
            # cache this value, so the tape marks it to recognise stale reuse.
            return trace.jit_closure_tracer(entry, variable.path)
        return entry.tracer

    def _entry_for(self, variable: Any, value: Any, entry: Any) -> Any:
        """The variable's entry for its current `value`, or None if it is not watched."""
        trace = self._trace
        if is_bound_here(variable):
            # The pure bridge put a watched array into the variable (a tape
            # around stateless_call): the variable stands for that array.
            tracer = trace.watched_tracer(value)
            if tracer is not None:
                entry = self._engine.VariableEntry(variable, tracer.tangent, value, tracer)
                trace.variables[id(variable)] = entry
                return entry
        if entry is None:
            if (
                not (self._watch_accessed and variable.trainable)
                or is_trace_local(variable)
                or not _is_float(value.dtype)
            ):
                return None
            return self._watch_variable(variable, value)
        # The variable was assigned (or rebound) since it was last read: its
        # reads share one tangent, so its gradient sums over all of them.
        entry.base = value
        entry.tracer = trace.new_tracer(value, entry.tangent)
        return entry

    def assign(self, variable: Any, value: Any) -> Any:
        """Strips tapes from an assigned value (called by `Variable.assign`): not differentiated."""
        return self._engine.strip_tapes(value)

    def _watch_variable(self, variable: Variable, value: Any) -> Any:
        trace = self._trace
        tracer = trace.new_source(value)
        entry = self._engine.VariableEntry(variable, tracer.tangent, value, tracer)
        trace.variables[id(variable)] = entry
        return entry

    def _outer_value(self, variable: Variable) -> Any:
        """The variable's value as the interceptors outside this tape see it."""
        value = variable._value
        for interceptor in CTX.interceptors:
            if interceptor is self:
                break
            value = interceptor.read(variable, value)
        return value

    def _outer_array(self, array: Any) -> Any:
        """`array` as the tapes outside this one see it (their tracer if they watch it)."""
        value = array
        for interceptor in CTX.interceptors:
            if interceptor is self:
                break
            if isinstance(interceptor, GradientTape) and interceptor._recording:
                tracer = interceptor._trace.watched_tracer(array)
                if tracer is not None:
                    value = tracer
        return value

    # ------------------------------------------------------------ public
    def watch(self, tensor: Any) -> None:
        """Ensures `tensor` (an array, a variable, or a nested structure of them) is traced.

        Arrays are watched by identity: operations that consume this very
        array inside the block are recorded, so `tape.watch(x)` needs no
        rebinding (and, as in TF, returns None).

        Raises:
            RuntimeError: outside the tape's block.
            ValueError: for values that are not JAX arrays or variables
                (numpy arrays and Python numbers must be converted with
                `jnp.asarray` first, as TF requires tensors).
        """
        if not self._recording:
            raise RuntimeError(
                "tape.watch() must be called inside the tape's `with` block, before the watched "
                "value is used."
            )
        engine = self._engine
        trace = self._trace
        leaves = jax.tree_util.tree_leaves(tensor, is_leaf=lambda x: isinstance(x, Variable))
        for leaf in leaves:
            if isinstance(leaf, Variable):
                if id(leaf) not in trace.variables and _is_float(leaf.dtype):
                    self._watch_variable(leaf, self._outer_value(leaf))
                continue
            if not isinstance(leaf, jax.Array):
                raise ValueError(
                    "tape.watch() expects JAX arrays or lx.Variable objects. Received a "
                    f"{type(leaf).__name__}. Convert it first: `x = jnp.asarray(x)`, then "
                    "`tape.watch(x)` and use that `x` in the block."
                )
            if not _is_float(leaf.dtype):
                continue  # as in TF: integer values have no gradient
            if engine.tangent_of(trace, leaf) is not None:
                continue  # already recorded (a watched array or an intermediate value)
            trace.watch_array(leaf, self._outer_array(leaf))

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables watched so far, in the order they were first read or watched.

        Example:
            >>> import layerax as lx
            >>> a, b = lx.Variable(1.0, name="a"), lx.Variable(2.0, name="b")
            >>> with lx.GradientTape() as tape:
            ...     y = b * a
            >>> [v.name for v in tape.watched_variables()]
            ['b', 'a']
        """
        if self._trace is None:
            return self._released_variables
        return tuple(entry.variable for entry in self._trace.variables.values())

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Temporarily stops recording: values of the block act as constants inside.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> w = lx.Variable(3.0)
            >>> with lx.GradientTape() as tape:
            ...     y = w * w
            ...     with tape.stop_recording():
            ...         z = y * w  # not recorded
            ...     loss = y + z
            >>> float(tape.gradient(loss, w)), float(loss)
            (6.0, 36.0)
        """
        if not self._recording:
            raise RuntimeError("stop_recording() can only be used inside the tape's `with` block.")
        engine = self._engine
        if engine.jc.current_trace() is not self._trace:
            raise RuntimeError(
                "stop_recording() must be used on the innermost active tape, directly in its "
                "block (not inside a nested tape or a JAX transformation)."
            )
        self._suspended += 1
        try:
            with engine.jc.set_current_trace(engine.StopTrace(self._trace)):
                yield
        finally:
            self._suspended -= 1

    def reset(self) -> None:
        """Clears what the tape recorded, as if it were exited and re-entered anew.

        Values computed before the reset act as constants afterwards.

        Example:
            >>> import layerax as lx
            >>> w = lx.Variable(3.0)
            >>> with lx.GradientTape() as tape:
            ...     first = w * w
            ...     tape.reset()
            ...     total = first + 5.0 * w
            >>> float(tape.gradient(total, w))
            5.0
        """
        engine = self._engine
        if self._recording:
            if engine.jc.current_trace() is not self._trace:
                raise RuntimeError(
                    "reset() must be called directly in the tape's block, not inside a nested "
                    "tape, stop_recording() or a JAX transformation."
                )
            parent = self._trace.parent_trace
            self._trace_cm.__exit__(None, None, None)
            self._trace.close()
            self._trace.release()
            self._trace = engine.TapeTrace(parent)
            self._trace_cm = engine.jc.set_current_trace(self._trace)
            self._trace_cm.__enter__()
        elif self._trace is not None:
            self._release()
        self._released_variables = ()
        self._used = False

    # --------------------------------------------------------- gradients
    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
    ) -> Any:
        """Gradient of `target` with respect to `sources`.

        Args:
            target: An array computed in the block, or a (nested) list of
                them: the gradient of their sum. A non-scalar target is summed
                too (TF's semantics). A target that is itself one of the
                sources (`tape.gradient(v, [v, u])`) gives that source ones,
                as in TF, even if the tape never recorded it.
            sources: A variable, a watched array, an intermediate array of
                the block, or any nested list/tuple/dict of them.
            output_gradients: Cotangents for the target (same structure, None
                entries meaning ones), e.g. to weight its elements.
            unconnected_gradients: "none" (default) returns None for sources
                the target does not depend on; "zero" returns zeros.

        Returns:
            Gradients with the structure of `sources`.

        Raises:
            RuntimeError: on a second call to a non-persistent tape.
            TypeError: when the target or a source is not an array/variable.
        """
        mode = _unconnected_mode(unconnected_gradients)
        linear, live, source_leaves, treedef = self._linearize(target, sources, "gradient")
        direct = _targets_that_are_sources(target, live, source_leaves)
        cotangents = self._cotangents(live + direct, target, output_gradients)
        grads = list(linear.transpose(cotangents[: len(live)]))
        for (index, leaf), cotangent in zip(direct, cotangents[len(live) :]):
            # TF: a target that is itself a source (a variable, an array) passes its
            # cotangent (ones) to that source, even when nothing recorded it.
            for position, source in enumerate(source_leaves):
                if source is leaf:
                    grad = grads[position]
                    grads[position] = cotangent if grad is None else grad + cotangent
        out = [self._fill(g, s, mode) for g, s in zip(grads, source_leaves)]
        return jax.tree_util.tree_unflatten(treedef, out)

    def jacobian(
        self,
        target: Any,
        sources: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Jacobian of the array `target` with respect to each source.

        Each result has shape `target.shape + source.shape`. The backward pass
        is vectorized over the target's elements with `jax.vmap`.
        `parallel_iterations` and `experimental_use_pfor` are accepted for TF
        compatibility and ignored.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> x = jnp.array([1.0, 2.0])
            >>> with lx.GradientTape() as tape:
            ...     tape.watch(x)
            ...     y = x * x
            >>> tape.jacobian(y, x).tolist()
            [[2.0, 0.0], [0.0, 4.0]]
        """
        del parallel_iterations, experimental_use_pfor
        mode = _unconnected_mode(unconnected_gradients)
        _check_single_array(target, "jacobian")
        t_shape, t_dtype = _shape_dtype(target)
        linear, live, source_leaves, treedef = self._linearize(target, sources, "jacobian")
        size = int(np.prod(t_shape))
        shapes = [_shape_dtype(s) for s in source_leaves]
        if live and size:
            basis = jnp.eye(size, dtype=t_dtype).reshape((size, *t_shape))
            columns = jax.vmap(lambda ct: linear.transpose([ct]))(basis)
        else:
            columns = [None] * len(source_leaves)
        out = []
        for column, (shape, dtype) in zip(columns, shapes):
            if column is None:
                out.append(
                    jnp.zeros(t_shape + shape, dtype) if mode is UnconnectedGradients.ZERO else None
                )
            else:
                out.append(column.reshape(t_shape + shape))
        return jax.tree_util.tree_unflatten(treedef, out)

    def batch_jacobian(
        self,
        target: Any,
        source: Any,
        unconnected_gradients: Any = UnconnectedGradients.NONE,
        parallel_iterations: Any = None,
        experimental_use_pfor: bool = True,
    ) -> Any:
        """Per-example Jacobians: `result[i] = d target[i] / d source[i]`.

        `target` has shape `(batch, *y)` and `source` `(batch, *x)`; the
        result has shape `(batch, *y, *x)`. As in TF, the rows of `target`
        must depend only on the matching rows of `source`.

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> x = jnp.array([[1.0, 2.0], [3.0, 4.0]])
            >>> with lx.GradientTape() as tape:
            ...     tape.watch(x)
            ...     y = x ** 2
            >>> tape.batch_jacobian(y, x)[1].tolist()
            [[6.0, 0.0], [0.0, 8.0]]
        """
        del parallel_iterations, experimental_use_pfor
        mode = _unconnected_mode(unconnected_gradients)
        _check_single_array(target, "batch_jacobian")
        t_shape, t_dtype = _shape_dtype(target)
        s_shape, s_dtype = _shape_dtype(source)
        if not t_shape or not s_shape or t_shape[0] != s_shape[0]:
            raise ValueError(
                "batch_jacobian needs target and source with the same first (batch) dimension. "
                f"Received target shape {t_shape} and source shape {s_shape}."
            )
        batch, y_shape = t_shape[0], t_shape[1:]
        linear, live, _, _ = self._linearize(target, source, "batch_jacobian")
        size = int(np.prod(y_shape))
        if not live or not size or batch == 0:
            if mode is UnconnectedGradients.ZERO or (live and (not size or batch == 0)):
                return jnp.zeros((batch, *y_shape, *s_shape[1:]), s_dtype)
            return None
        # One backward pass per element of a row, for all rows at once.
        eye = jnp.eye(size, dtype=t_dtype)
        basis = jnp.broadcast_to(eye[:, None, :], (size, batch, size)).reshape(
            (size, batch, *y_shape)
        )
        (column,) = jax.vmap(lambda ct: linear.transpose([ct]))(basis)
        if column is None:
            if mode is UnconnectedGradients.ZERO:
                return jnp.zeros((batch, *y_shape, *s_shape[1:]), s_dtype)
            return None
        column = jnp.moveaxis(column, 0, 1)  # (batch, size, *x)
        return column.reshape((batch, *y_shape, *s_shape[1:]))

    # -------------------------------------------------------- internals
    def _linearize(
        self, target: Any, sources: Any, what: str
    ) -> tuple[Any, list[Any], list[Any], Any]:
        """The recorded linear map from sources to the connected target leaves.

        Returns:
            `(linear, live, source_leaves, treedef)`: `live` lists
            `(index, value)` of the target leaves the tape recorded.
        """
        engine = self._engine
        trace = self._trace
        if trace is None or trace.released:
            if self._used or trace is not None:
                raise RuntimeError(_NON_PERSISTENT_MSG)
            raise RuntimeError(
                f"GradientTape.{what}() was called on a tape that never recorded: use it as "
                "`with lx.GradientTape() as tape:` around the computation first."
            )
        if self._used and not self._persistent:
            raise RuntimeError(_NON_PERSISTENT_MSG)
        jc = engine.jc
        if jc.is_staging_trace(trace.parent_trace) and jc.is_eval_trace(jc.current_trace()):
            raise RuntimeError(
                f"GradientTape.{what}() was called eagerly on a tape that recorded inside a "
                "compiled function (lx.function / jax.jit) whose trace has ended. Call "
                f"{what}() inside the same compiled function, right after the tape's block."
            )
        target_leaves = _flatten_targets(target)
        source_leaves, treedef = _flatten_sources(sources)
        live, outs = [], []
        for index, leaf in enumerate(target_leaves):
            if isinstance(leaf, Variable):
                entry = trace.variables.get(id(leaf))
                if entry is None:
                    continue
                leaf = entry.tracer
            tangent = engine.tangent_of(trace, leaf)
            if tangent is not None:
                live.append((index, leaf))
                outs.append(tangent)
        source_vars = []
        for leaf in source_leaves:
            if isinstance(leaf, Variable):
                entry = trace.variables.get(id(leaf))
                tangent = entry.tangent if entry is not None else None
            else:
                tangent = engine.tangent_of(trace, leaf)
            source_vars.append(None if tangent is None else engine.jc.tangent_var(tangent))
        linear = engine.linear_map(trace, outs, source_vars)
        self._used = True
        if not self._persistent:
            if self._recording and engine.jc.current_trace() is trace:
                self._stop(None, None, None)  # TF: a non-persistent tape stops recording here
            elif not self._recording:
                self._release()
        return linear, live, source_leaves, treedef

    def _cotangents(self, live: list[Any], target: Any, output_gradients: Any) -> list[Any]:
        if output_gradients is None:
            given: list[Any] = []
        else:
            given = jax.tree_util.tree_leaves(
                output_gradients, is_leaf=lambda x: x is None or isinstance(x, Variable)
            )
            n_targets = len(_flatten_targets(target))
            if len(given) != n_targets:
                raise ValueError(
                    f"output_gradients must have one entry per target array: the target has "
                    f"{n_targets} arrays, output_gradients has {len(given)}."
                )
        cotangents = []
        for index, leaf in live:
            shape, dtype = _shape_dtype(leaf)
            grad = given[index] if given else None
            if grad is None:
                base = leaf._value if isinstance(leaf, Variable) else leaf
                cotangents.append(jax.lax.full_like(self._engine.strip_tapes(base), 1, dtype))
                continue
            grad = grad.value if isinstance(grad, Variable) else grad
            grad = jnp.asarray(self._engine.strip_tapes(grad), dtype)
            if tuple(grad.shape) != shape:
                raise ValueError(
                    f"output_gradients entry {index} has shape {tuple(grad.shape)}, but the "
                    f"target array it belongs to has shape {shape}."
                )
            cotangents.append(grad)
        return cotangents

    @staticmethod
    def _fill(grad: Any, source: Any, mode: UnconnectedGradients) -> Any:
        if grad is not None or mode is UnconnectedGradients.NONE:
            return grad
        shape, dtype = _shape_dtype(source)
        return jnp.zeros(shape, dtype)

    def __repr__(self) -> str:
        if self._recording:
            state = "recording"
        else:
            state = "released" if self._trace is None else "stopped"
        return f"<GradientTape persistent={self._persistent} {state}>"


def _targets_that_are_sources(
    target: Any, live: list[Any], source_leaves: list[Any]
) -> list[tuple[int, Any]]:
    """`(index, leaf)` of the floating target leaves the tape did not record that are sources too.

    A recorded target (a watched variable or array among them) already reaches
    its own source through the recorded linear map.
    """
    recorded = {index for index, _ in live}
    kinds = (Variable, jax.Array, np.ndarray)
    source_ids = {id(leaf) for leaf in source_leaves if isinstance(leaf, kinds)}
    out = []
    for index, leaf in enumerate(_flatten_targets(target)):
        if index in recorded or id(leaf) not in source_ids:
            continue
        if _is_float(_shape_dtype(leaf)[1]):
            out.append((index, leaf))
    return out


def _check_single_array(target: Any, what: str) -> None:
    if isinstance(target, Variable) or not _is_array_like(target):
        raise TypeError(
            f"GradientTape.{what}() expects the target to be one array computed in the block. "
            f"Received a {type(target).__name__}."
        )

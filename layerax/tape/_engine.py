"""The recording machinery of `GradientTape`: its trace, its tracers, `stop_recording`.

A tape's `with` block runs under a `TapeTrace`, a subclass of JAX's
`LinearizeTrace`: every operation on a value that depends on a watched
variable or array is computed as usual in the enclosing trace (eagerly,
inside a jit trace, or inside an outer tape) and its linear tangent is
recorded into a jaxpr. Private JAX names come from `_compat` only.

A value computed in the block is a `TapeTracer`. While the block runs it acts
as an array of the enclosing trace (eager values convert with `float()`,
`np.asarray`, `print`); once the block is closed it lowers to that plain
value wherever it is used, so training steps can return the loss.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from layerax.tape import _compat as jc

if jc.missing_names():
    raise ImportError(
        "the installed jax lacks JAX-internal names the tape records with: "
        + "; ".join(jc.missing_names())
    )

JIT_CLOSURE_MSG = (
    "A function compiled with jax.jit read variable '{path}' by closure in an earlier "
    "GradientTape block, and is now called again in a tape. jax.jit cached its first trace, so "
    "the variable is frozen at its value from then and this tape cannot differentiate it. Use "
    "`lx.function` instead of jax.jit (inside a tape it runs inline and is differentiated), or "
    "pass the layer as an argument: `jax.jit(lambda m, x: m(x))(model, x)`."
)

ESCAPE_MSG = (
    "A value computed inside a GradientTape block that ran under jax.vmap, shard_map or another "
    "batching transformation (the value is a {kind}) was used after the block. Tape values can be "
    "used after the block eagerly and under lx.function, jax.jit, jax.grad and jax.jvp only. "
    "Compute what you need inside the block, or take each value you use afterwards out of the "
    "tape before the block ends: `value = jax.lax.stop_gradient(value)`."
)


def _is_concrete(x: Any) -> bool:
    return jc.to_concrete_value(x) is not None


class TapeTracer(jc.LinearizeTracer):
    """A value recorded on a tape. `__slots__ = ()` keeps LinearizeTracer's layout."""

    __slots__ = ()

    # ---------------------------------------------------- after the block
    def _stranded(self) -> bool:
        """Closed, and its primal belongs to a transformation that cannot take it back."""
        primal = self.primal
        return (
            self._trace.closed
            and isinstance(primal, jc.Tracer)
            and not isinstance(primal, (jc.JaxprTracer, jc.LinearizeTracer, jc.JVPTracer))
        )

    def _closed_primal(self) -> Any:
        if self._stranded():
            raise RuntimeError(ESCAPE_MSG.format(kind=type(self.primal).__name__))
        return self.primal

    def full_lower(self) -> Any:
        # EvalTrace lowers its arguments: a closed tape's values become plain arrays.
        if self._trace.closed:
            return jc.full_lower(self._closed_primal())
        return self

    @property
    def dimension_as_value(self) -> Any:
        # A jit trace asks foreign values for this hook; only closed values answer.
        if not self._trace.closed:
            raise AttributeError("dimension_as_value")
        primal = self._closed_primal()
        return lambda: primal

    # ----------------------------------------- eager array conveniences
    def _concrete(self, what: str) -> Any:
        value = jc.to_concrete_value(self.primal)
        if value is None:
            raise TypeError(
                f"{what} needs a concrete value, but this GradientTape value is traced (the tape "
                "runs inside jax.jit or lx.function). Return the value from the compiled "
                "function and convert it outside, or use jax.debug.print to print it."
            )
        return value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.asarray(self._concrete("np.asarray()"))
        return out.astype(dtype) if dtype is not None else out

    def __float__(self) -> float:
        return float(self._concrete("float()"))

    def __int__(self) -> int:
        return int(self._concrete("int()"))

    def __complex__(self) -> complex:
        return complex(self._concrete("complex()"))

    def item(self, *args: Any) -> Any:
        return np.asarray(self._concrete(".item()")).item(*args)

    def tolist(self) -> Any:
        return np.asarray(self._concrete(".tolist()")).tolist()

    def numpy(self) -> np.ndarray:
        """The value as a numpy array (TF's `Tensor.numpy()`); not differentiable."""
        return np.asarray(self._concrete(".numpy()"))

    def block_until_ready(self) -> TapeTracer:
        primal = self.primal
        if _is_concrete(primal) and hasattr(primal, "block_until_ready"):
            primal.block_until_ready()
        return self

    def __repr__(self) -> str:
        primal = self.primal
        if _is_concrete(primal):
            return repr(primal)
        if self._stranded():  # JAX may print the value in its own error (eager shard_map)
            return f"TapeValue({jc.typeof(self)}): " + ESCAPE_MSG.format(kind=type(primal).__name__)
        return f"TapeValue({jc.typeof(self)})"

    def __str__(self) -> str:
        primal = self.primal
        return str(primal) if _is_concrete(primal) else repr(self)

    def __format__(self, spec: str) -> str:
        primal = self.primal
        if _is_concrete(primal):
            return format(jc.to_concrete_value(primal), spec)
        return format(repr(self), spec)

    def _short_repr(self) -> str:
        return f"TapeValue({jc.typeof(self)})"


class JitClosureTracer(TapeTracer):
    """A variable's tape value read by closure inside a `jax.jit` trace (which caches it)."""

    __slots__ = ()


_AD_TRACERS = (jc.LinearizeTracer, jc.JVPTracer)


class VariableEntry:
    """What a recording knows about one variable: its tangent input and current tracer."""

    __slots__ = ("variable", "tangent", "base", "tracer")

    def __init__(self, variable: Any, tangent: Any, base: Any, tracer: Any) -> None:
        self.variable = variable
        self.tangent = tangent
        self.base = base
        self.tracer = tracer


class TapeTrace(jc.LinearizeTrace):
    """One recording of a tape: a LinearizeTrace plus the tape's bookkeeping.

    Attributes:
        closed: The block has exited; the trace's values lower to their primal.
        variables: id(variable) -> VariableEntry, in the order first watched.
        by_id: id(object) -> (object, primal, tangent) for arrays watched by identity
            (`tape.watch(x)` without rebinding) and for escaped values that
            were rewritten in place.
    """

    def __init__(self, parent_trace: Any) -> None:
        jc.init_linearize_trace(self, parent_trace, jc.new_tangent_trace())
        self.closed = False
        self.released = False
        self.variables: dict[int, VariableEntry] = {}
        self.by_id: dict[int, tuple[Any, Any, Any]] = {}
        self.jit_closure_paths: dict[int, str] = {}
        self._ad_escapes: list[weakref.ref[Any]] = []
        # The jaxpr variables of the tangent inputs this recording created: the
        # linear inputs of the recorded jaxpr (JAX's rules may add residual inputs).
        self.linear_inputs: list[Any] = []

    # ------------------------------------------------------ tracers
    def adopt(self, tracer: Any) -> Any:
        tracer.__class__ = TapeTracer
        if isinstance(tracer.primal, _AD_TRACERS) and not isinstance(tracer.primal, TapeTracer):
            # Under jax.grad / jax.jvp: rewritten in place when the block closes.
            self._ad_escapes.append(weakref.ref(tracer))
        return tracer

    def new_tangent_input(self, primal: Any) -> Any:
        """A fresh linear input of the recorded jaxpr, typed as the tangent of `primal`."""
        tangent = jc.new_tangent_input(self.tangent_trace, primal)
        self.linear_inputs.append(jc.tangent_var(tangent))
        return tangent

    def new_source(self, primal: Any) -> TapeTracer:
        """A value whose tangent is a fresh input of the recorded jaxpr."""
        return self.adopt(jc.LinearizeTracer(self, primal, self.new_tangent_input(primal)))

    def new_tracer(self, primal: Any, tangent: Any) -> TapeTracer:
        return self.adopt(jc.LinearizeTracer(self, primal, tangent))

    def jit_closure_tracer(self, entry: VariableEntry, path: str) -> TapeTracer:
        tracer = self.new_tracer(entry.base, entry.tangent)
        tracer.__class__ = JitClosureTracer
        self.jit_closure_paths[id(tracer)] = path
        return tracer

    def watch_array(self, array: Any, primal: Any) -> None:
        """Records `array` (by identity) as a source whose value here is `primal`."""
        self.by_id[id(array)] = (array, primal, self.new_tangent_input(primal))

    def watched_tracer(self, value: Any) -> Any:
        """This recording's tracer for a watched array, or None."""
        hit = self.by_id.get(id(value))
        if hit is None or hit[0] is not value:
            return None
        return self.new_tracer(hit[1], hit[2])

    def to_primal_tangent_pair(self, val: Any) -> tuple[Any, Any]:
        if isinstance(val, jc.LinearizeTracer):
            tag = self.tag
            while True:
                trace = val._trace
                if trace.tag is tag:
                    return val.primal, val.tangent
                if not (isinstance(trace, TapeTrace) and trace.closed):
                    break
                check_not_stale(val)
                # A value of a closed tape (e.g. an inner tape used for a
                # gradient penalty): its primal may still be ours.
                val = val.primal
                if not isinstance(val, jc.LinearizeTracer):
                    break
        hit = self.by_id.get(id(val))
        if hit is not None and hit[0] is val:
            return hit[1], hit[2]
        return val, jc.zero_tangent(val)

    # ------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Ends the block: values lower to their primal from now on."""
        self.closed = True
        escapes, self._ad_escapes = self._ad_escapes, []
        for ref in escapes:
            tracer = ref()
            if tracer is None or type(tracer) is not TapeTracer or tracer._trace is not self:
                continue
            # Under jax.grad/jvp the value must stay that transformation's
            # tracer: turn it into a copy of its primal and remember our
            # tangent by identity, so tape.gradient still finds it.
            primal, tangent = tracer.primal, tracer.tangent
            jc.copy_tracer_into(tracer, primal)
            self.by_id[id(tracer)] = (tracer, primal, tangent)

    def reopen(self) -> None:
        self.closed = False

    def release(self) -> None:
        """Frees the recording (residuals, watched arrays) once no gradient can be asked."""
        self.released = True
        self.variables = {}
        self.by_id = {}
        self._ad_escapes = []
        self.linear_inputs = []
        self.tangent_trace.invalidate()


def _wrap_rule(name: str) -> Any:
    base = getattr(jc.LinearizeTrace, name)

    def rule(self: TapeTrace, *args: Any, **kwargs: Any) -> Any:
        out = base(self, *args, **kwargs)
        if type(out) is jc.LinearizeTracer:
            self.adopt(out)
        elif isinstance(out, (list, tuple)):
            for item in out:
                if type(item) is jc.LinearizeTracer:
                    self.adopt(item)
        return out

    rule.__name__ = name
    return rule


for _name in jc.LINEARIZE_RULES:
    setattr(TapeTrace, _name, _wrap_rule(_name))


class StopTrace(jc.LinearizeTrace):
    """The trace of `stop_recording()`: the tape's values act as constants (their primal)."""

    def __init__(self, tape_trace: TapeTrace) -> None:
        jc.init_linearize_trace(self, tape_trace.parent_trace, tape_trace.tangent_trace)

    def to_primal_tangent_pair(self, val: Any) -> tuple[Any, Any]:
        tag = self.tag
        while isinstance(val, jc.LinearizeTracer):
            trace = val._trace
            if trace.tag is tag or (isinstance(trace, TapeTrace) and trace.closed):
                check_not_stale(val)
                val = val.primal
            else:
                break
        return val, jc.zero_tangent(val)


def check_not_stale(value: Any) -> None:
    """Raises if `value` is a variable read that a cached jax.jit trace kept from an older block."""
    if type(value) is JitClosureTracer and value._trace.closed:
        path = value._trace.jit_closure_paths.get(id(value), "?")
        raise RuntimeError(JIT_CLOSURE_MSG.format(path=path))


def linear_map(trace: TapeTrace, out_tangents: list[Any], sources: list[Any]) -> Any:
    """The recorded linear map from `sources` (tangent variables or None) to `out_tangents`."""
    return jc.linear_jaxpr(
        trace.tangent_trace,
        out_tangents,
        sources,
        trace.linear_inputs,
        jc.structured_residuals(trace),
    )


def tangent_of(trace: TapeTrace, value: Any) -> Any:
    """The tangent `trace` recorded for `value`, or None if it recorded none."""
    tag = trace.tag
    while isinstance(value, jc.LinearizeTracer):
        other = value._trace
        if other.tag is tag:
            tangent = value.tangent
            return None if type(tangent) is jc.Zero else tangent
        if not isinstance(other, TapeTrace):
            break
        # A value of another tape nested in this one: this tape recorded its primal.
        value = value.primal
    hit = trace.by_id.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[2]
    return None


def strip_tapes(value: Any) -> Any:
    """The value under every tape's recording (what an assignment stores)."""
    while isinstance(value, jc.LinearizeTracer) and isinstance(value._trace, TapeTrace):
        value = value.primal
    return value


def is_tape_value(value: Any) -> bool:
    return isinstance(value, jc.LinearizeTracer) and isinstance(value._trace, TapeTrace)

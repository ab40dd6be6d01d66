"""Every private JAX name the GradientTape uses, and the shims between JAX versions.

JAX has no public imperative tape. The tape runs the code of its `with`
block under JAX's own linearize trace (what `jax.vjp` and `jax.grad` use),
installed as the current trace without a function boundary, and transposes
the recorded linear jaxpr with JAX's backward pass. Those pieces live in
`jax._src` and change between minor releases, so this module is the only one
that touches them; nothing else in layerax imports it. It is imported on the
first use of a tape, never by `import layerax`.

Verified with the full tape tests on jax 0.7.2 (CI's low-jax stage), 0.8.2,
0.9.1 and 0.10.2 (the main test run).
Known changes the shims absorb:

* `LinearizeTrace.__init__`: `(parent, tangent, tag=None)` up to 0.9.0,
  `(parent, tangent, is_vjp, tag)` in 0.9.1, `(parent, tangent, is_vjp)` with
  the tag read from `tangent.tag` since 0.9.2.
* `ad_util.p2tz` (0.9.1+) was `Zero.from_primal_value` before.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from jax._src import ad_util as _ad_util
from jax._src import core as _core
from jax._src import source_info_util as _source_info_util
from jax._src.interpreters import ad as _ad
from jax._src.interpreters import partial_eval as _pe

Tracer = _core.Tracer
LinearizeTrace = _ad.LinearizeTrace
LinearizeTracer = _ad.LinearizeTracer
JVPTracer = _ad.JVPTracer
JaxprTracer = _pe.DynamicJaxprTracer
Zero = _ad_util.Zero
set_current_trace = _core.set_current_trace
full_lower = _core.full_lower
to_concrete_value = _core.to_concrete_value
typeof = _core.typeof

try:  # jax >= 0.9.1
    _p2tz = _ad_util.p2tz
except AttributeError:  # pragma: no cover - older jax
    _p2tz = Zero.from_primal_value

_LINEARIZE_PARAMS = inspect.signature(LinearizeTrace.__init__).parameters

# The LinearizeTrace methods that produce tracers; the tape wraps each one that
# this jax version defines (the set changes between versions).
LINEARIZE_RULES = tuple(
    name for name in dir(LinearizeTrace) if name.startswith("process_") or name == "stage_value"
)


def zero_tangent(value: Any) -> Any:
    """The symbolic zero tangent of `value`."""
    return _p2tz(value)


def current_trace() -> Any:
    return _core.trace_ctx.trace


def is_staging_trace(trace: Any) -> bool:
    """Whether `trace` builds a jaxpr (jit, scan, cond, ... tracing)."""
    return isinstance(trace, _pe.DynamicJaxprTrace)


def is_eval_trace(trace: Any) -> bool:
    """Whether `trace` runs operations eagerly (no transformation active)."""
    return isinstance(trace, _core.EvalTrace)


def is_jit_trace(trace: Any) -> bool:
    """Whether `trace` stages out a `jax.jit` (also `eval_shape`, `make_jaxpr`) call."""
    if not isinstance(trace, _pe.DynamicJaxprTrace):
        return False
    debug = getattr(trace.frame, "debug_info", None)
    return debug is not None and debug.traced_for in ("jit", "pjit")


def new_tangent_trace() -> Any:
    """A jaxpr-building trace for the tangents, tagged like `ad.linearize` tags its own."""
    debug = _core.DebugInfo("GradientTape", "GradientTape", None, None)
    trace = _pe.DynamicJaxprTrace(debug, auto_dce=True)
    trace.tag = _core.TraceTag()
    return trace


def init_linearize_trace(trace: Any, parent: Any, tangent_trace: Any) -> None:
    """Calls `LinearizeTrace.__init__` with this jax version's signature (reverse mode)."""
    kwargs = {}
    if "is_vjp" in _LINEARIZE_PARAMS:
        kwargs["is_vjp"] = True
    if "tag" in _LINEARIZE_PARAMS:
        kwargs["tag"] = tangent_trace.tag
    LinearizeTrace.__init__(trace, parent, tangent_trace, **kwargs)


def new_tangent_input(tangent_trace: Any, primal: Any) -> Any:
    """A fresh input of the tangent jaxpr with the tangent type of `primal`."""
    aval = typeof(primal).to_tangent_aval()
    return tangent_trace.new_arg(aval, _source_info_util.current())


def tangent_var(tangent: Any) -> Any:
    """The jaxpr variable a tangent tracer stands for."""
    return tangent.val


def copy_tracer_into(target: Any, source: Any) -> None:
    """Turns `target` in place into a copy of `source` (a tracer with the same slot layout)."""
    target.__class__ = type(source)
    for klass in type(source).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot == "__weakref__" or slot.startswith("__"):
                continue
            try:
                value = object.__getattribute__(source, slot)
            except AttributeError:
                continue
            object.__setattr__(target, slot, value)


class LinearJaxpr:
    """The recorded tangent computation, cut out of the tangent trace, ready to transpose."""

    def __init__(self, jaxpr: Any, consts: list[Any], source_positions: list[int | None]) -> None:
        self.jaxpr = jaxpr
        self.consts = consts
        self.source_positions = source_positions

    def transpose(self, cotangents: Sequence[Any]) -> list[Any]:
        """Cotangents of the sources (None where unconnected) for output `cotangents`."""
        invars = self.jaxpr.invars
        undefined = [_ad.UndefinedPrimal(v.aval) for v in invars]
        if cotangents:
            result = _ad.backward_pass(self.jaxpr, True, self.consts, undefined, list(cotangents))
        else:
            result = [Zero(v.aval) for v in invars]
        out = []
        for pos in self.source_positions:
            ct = None if pos is None else result[pos]
            out.append(None if ct is None or type(ct) is Zero else ct)
        return out


def linear_jaxpr(
    tangent_trace: Any, out_tangents: Sequence[Any], sources: Sequence[Any]
) -> LinearJaxpr:
    """Cuts the jaxpr from the tangent trace's inputs (and `sources`) to `out_tangents`.

    Args:
        tangent_trace: The tape's tangent trace.
        out_tangents: Tangent tracers of the targets (non-zero ones only).
        sources: For each source, its tangent jaxpr variable or None. A
            variable that is not an input of the jaxpr (the tangent of an
            intermediate value) becomes one: its defining equation is kept and
            a new input is added to it, so the cotangent of that input is the
            gradient with respect to the intermediate value, while gradients
            of earlier sources still flow through it (TF's semantics).
    """
    info = _source_info_util.current()
    outs = [tangent_trace.to_jaxpr_tracer(t, info) for t in out_tangents]
    debug = _core.DebugInfo("GradientTape", "GradientTape", None, tuple("" for _ in outs))
    jaxpr, consts = tangent_trace.to_jaxpr(outs, debug, info)[:2]
    jaxpr, inputs = _add_intermediate_inputs(jaxpr, sources)
    sources = [inputs.get(v, v) for v in sources]
    jaxpr, used_consts, _ = _pe.dce_jaxpr_consts(
        jaxpr,
        [True] * len(jaxpr.outvars),
        [False] * len(jaxpr.constvars) + [True] * len(jaxpr.invars),
    )
    consts = [c for c, used in zip(consts, used_consts) if used]
    position = {v: i for i, v in enumerate(jaxpr.invars)}
    return LinearJaxpr(jaxpr, consts, [None if v is None else position.get(v) for v in sources])


def _add_intermediate_inputs(jaxpr: Any, sources: Sequence[Any]) -> tuple[Any, dict[Any, Any]]:
    invars = set(jaxpr.invars)
    wanted = [v for v in dict.fromkeys(s for s in sources if s is not None) if v not in invars]
    if not wanted:
        return jaxpr, {}
    wanted_set = set(wanted)
    renamed = {v: _core.Var(v.aval) for v in wanted}
    extra_inputs = {v: _core.Var(v.aval) for v in wanted}

    def add_eqn(v: Any) -> Any:
        # v = v_original + new_input: the new input's cotangent is v's cotangent.
        return _core.new_jaxpr_eqn(
            [renamed[v], extra_inputs[v]], [v], _ad_util.add_jaxvals_p, {}, _core.no_effects
        )

    eqns = []
    constvars = [renamed.get(v, v) for v in jaxpr.constvars]
    for v in jaxpr.constvars:
        if v in wanted_set:
            eqns.append(add_eqn(v))
    for eqn in jaxpr.eqns:
        hits = [v for v in eqn.outvars if v in wanted_set]
        if hits:
            eqn = eqn.replace(outvars=[renamed.get(v, v) for v in eqn.outvars])
        eqns.append(eqn)
        eqns.extend(add_eqn(v) for v in hits)
    jaxpr = jaxpr.replace(
        constvars=constvars,
        invars=list(jaxpr.invars) + [extra_inputs[v] for v in wanted],
        eqns=eqns,
    )
    return jaxpr, extra_inputs

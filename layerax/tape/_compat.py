"""Every private JAX name layerax uses, found through one table, and the shims between versions.

JAX has no public imperative tape. The tape runs the code of its `with`
block under JAX's own linearize trace (what `jax.vjp` and `jax.grad` use),
installed as the current trace without a function boundary. What it records
is a linear jaxpr from the watched values' tangents to the targets'; the
gradient is that jaxpr transposed by the public `jax.linear_transpose`.

Only the recording needs JAX internals. Each name is looked up through
`_LOCATIONS`: public homes (`jax`, `jax.core`, `jax.extend.core`) first, the
private one last. A name that no location has is recorded, not raised:
`import layerax` never fails because JAX moved something, and the first tape
reports every missing name at once (`missing_names`). Nothing outside this
module imports from `jax._src`.

The version shims, one row per change that affects layerax. Verified with the
full tape tests on jax 0.7.2 (CI's low-jax stage), 0.10.2 (Python 3.11) and
the newest jax on Python 3.12 (0.12.0.1 at the time of writing):
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Sequence
from typing import Any

import jax

# (what changed, jax versions, how this module absorbs it)
VERSION_SHIMS: tuple[tuple[str, str, str], ...] = (
    (
        "LinearizeTrace.__init__ signature",
        "(parent, tangent, tag=None) <= 0.9.0; (parent, tangent, is_vjp, tag) 0.9.1; "
        "(parent, tangent, is_vjp) with the tag read from tangent.tag >= 0.9.2",
        "init_linearize_trace passes the keywords the installed signature has",
    ),
    (
        "symbolic zero of a primal",
        "Zero.from_primal_value <= 0.9.0; ad_util.p2tz >= 0.9.1",
        "the 'p2tz' row of _LOCATIONS lists both",
    ),
    (
        "set_current_trace, TraceTag",
        "jax.core (deprecated 0.8.2, removed 0.10.0); jax.extend.core since",
        "jax.extend.core is tried first",
    ),
    (
        "linear jaxpr with residual inputs",
        ">= 0.11.1: residuals of JAX's own rules may enter the tangent jaxpr as inputs "
        "(LinearizeTrace.structured_residuals), and pe.dce_jaxpr_consts moves constants to "
        "inputs",
        "the gradient is jax.linear_transpose of a function that binds residual inputs and "
        "constants as closed-over values; only the tape's own tangent inputs are linear",
    ),
)

# name -> candidate locations "module:attribute.path", tried in order.
_LOCATIONS: dict[str, tuple[str, ...]] = {
    # public
    "Tracer": ("jax.core:Tracer",),
    "typeof": ("jax:typeof", "jax._src.core:typeof"),
    "eval_jaxpr": ("jax.core:eval_jaxpr", "jax._src.core:eval_jaxpr"),
    "set_current_trace": (
        "jax.extend.core:set_current_trace",
        "jax._src.core:set_current_trace",
    ),
    "TraceTag": ("jax.extend.core:TraceTag", "jax._src.core:TraceTag"),
    "DebugInfo": ("jax.extend.core:DebugInfo", "jax._src.core:DebugInfo"),
    "Var": ("jax.extend.core:Var", "jax._src.core:Var"),
    "new_jaxpr_eqn": ("jax.extend.core:new_jaxpr_eqn", "jax._src.core:new_jaxpr_eqn"),
    "no_effects": ("jax.extend.core:no_effects", "jax._src.core:no_effects"),
    # private: the recording
    "trace_ctx": ("jax._src.core:trace_ctx",),
    "EvalTrace": ("jax._src.core:EvalTrace",),
    "full_lower": ("jax._src.core:full_lower",),
    "to_concrete_value": ("jax._src.core:to_concrete_value",),
    "LinearizeTrace": ("jax._src.interpreters.ad:LinearizeTrace",),
    "LinearizeTracer": ("jax._src.interpreters.ad:LinearizeTracer",),
    "JVPTracer": ("jax._src.interpreters.ad:JVPTracer",),
    "DynamicJaxprTrace": ("jax._src.interpreters.partial_eval:DynamicJaxprTrace",),
    "DynamicJaxprTracer": ("jax._src.interpreters.partial_eval:DynamicJaxprTracer",),
    "Zero": ("jax._src.ad_util:Zero",),
    "p2tz": ("jax._src.ad_util:p2tz", "jax._src.ad_util:Zero.from_primal_value"),
    # private, optional: the transpose. Without it jax.linear_transpose does the same job
    # (same numbers; its partial evaluation leaves empty calls in a compiled step's jaxpr).
    "backward_pass": ("jax._src.interpreters.ad:backward_pass",),
    "UndefinedPrimal": ("jax._src.interpreters.ad:UndefinedPrimal",),
    "current_source_info": ("jax._src.source_info_util:current",),
    # private: lx.function's fast path names the concrete array class without creating one
    # (importing layerax must not start the XLA backend).
    "ArrayImpl": ("jax._src.array:ArrayImpl",),
}


class _Missing:
    """Stands for a name the installed jax does not have; fails on use, naming it."""

    def __init__(self, name: str, tried: tuple[str, ...]) -> None:
        self.name = name
        self.tried = tried

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ImportError(self.describe())

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise ImportError(self.describe())

    def describe(self) -> str:
        return f"{self.name} (looked for at {', '.join(self.tried)})"


def _find(locations: tuple[str, ...]) -> Any:
    for location in locations:
        module_name, _, attr_path = location.partition(":")
        try:
            value: Any = importlib.import_module(module_name)
            for attr in attr_path.split("."):
                value = getattr(value, attr)
        except (ImportError, AttributeError):
            continue
        return value
    return None


_MISSING: dict[str, _Missing] = {}


def _resolve(name: str) -> Any:
    value = _find(_LOCATIONS[name])
    if value is None:
        value = _MISSING[name] = _Missing(name, _LOCATIONS[name])
    return value


def missing_names() -> list[str]:
    """The names of `_LOCATIONS` the installed jax has at none of their locations."""
    return [missing.describe() for missing in _MISSING.values()]


Tracer = _resolve("Tracer")
typeof = _resolve("typeof")
eval_jaxpr = _resolve("eval_jaxpr")
set_current_trace = _resolve("set_current_trace")
TraceTag = _resolve("TraceTag")
DebugInfo = _resolve("DebugInfo")
Var = _resolve("Var")
new_jaxpr_eqn = _resolve("new_jaxpr_eqn")
no_effects = _resolve("no_effects")
_trace_ctx = _resolve("trace_ctx")
EvalTrace = _resolve("EvalTrace")
full_lower = _resolve("full_lower")
to_concrete_value = _resolve("to_concrete_value")
LinearizeTrace = _resolve("LinearizeTrace")
LinearizeTracer = _resolve("LinearizeTracer")
JVPTracer = _resolve("JVPTracer")
DynamicJaxprTrace = _resolve("DynamicJaxprTrace")
JaxprTracer = _resolve("DynamicJaxprTracer")
Zero = _resolve("Zero")
_p2tz = _resolve("p2tz")
_current_source_info = _resolve("current_source_info")
# Optional names: None where missing (their users fall back on public API).
ARRAY_TYPE = _find(_LOCATIONS["ArrayImpl"])
_backward_pass = _find(_LOCATIONS["backward_pass"])
_UndefinedPrimal = _find(_LOCATIONS["UndefinedPrimal"])

if isinstance(LinearizeTrace, type):
    _LINEARIZE_PARAMS = inspect.signature(LinearizeTrace.__init__).parameters
    # The LinearizeTrace methods that produce tracers; the tape wraps each one that
    # this jax version defines (the set changes between versions).
    LINEARIZE_RULES = tuple(
        name for name in dir(LinearizeTrace) if name.startswith("process_") or name == "stage_value"
    )
else:  # pragma: no cover - the tape reports the missing name on first use
    _LINEARIZE_PARAMS = {}
    LINEARIZE_RULES = ()


def zero_tangent(value: Any) -> Any:
    """The symbolic zero tangent of `value`."""
    return _p2tz(value)


def current_trace() -> Any:
    return _trace_ctx.trace


def is_staging_trace(trace: Any) -> bool:
    """Whether `trace` builds a jaxpr (jit, scan, cond, ... tracing)."""
    return isinstance(trace, DynamicJaxprTrace)


def is_eval_trace(trace: Any) -> bool:
    """Whether `trace` runs operations eagerly (no transformation active)."""
    return isinstance(trace, EvalTrace)


def is_jit_trace(trace: Any) -> bool:
    """Whether `trace` stages out a `jax.jit` (also `eval_shape`, `make_jaxpr`) call."""
    if not isinstance(trace, DynamicJaxprTrace):
        return False
    debug = getattr(trace.frame, "debug_info", None)
    return debug is not None and debug.traced_for in ("jit", "pjit")


def new_tangent_trace() -> Any:
    """A jaxpr-building trace for the tangents, tagged like `ad.linearize` tags its own."""
    debug = DebugInfo("GradientTape", "GradientTape", None, None)
    trace = DynamicJaxprTrace(debug, auto_dce=True)
    trace.tag = TraceTag()
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
    return tangent_trace.new_arg(aval, _current_source_info())


def structured_residuals(trace: Any) -> list[Any]:
    """The residual values JAX's rules passed into the tangent jaxpr as inputs (jax >= 0.11.1).

    They are the values of the tangent trace's inputs that the tape did not
    create itself, in the order they were created.
    """
    return jax.tree_util.tree_leaves(getattr(trace, "structured_residuals", []))


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
    """The recorded tangent computation, cut to what the targets need, ready to transpose.

    Attributes:
        jaxpr: Its inputs are the closed-over values (constants and residuals
            of JAX's rules) first, then the connected linear inputs; it binds
            no constants of its own, so it evaluates the same way on every jax.
        closed: Values of the leading, closed-over inputs.
        source_positions: For each source, its position among the linear
            inputs, or None when the targets do not depend on it.
    """

    def __init__(self, jaxpr: Any, closed: list[Any], source_positions: list[int | None]) -> None:
        self.jaxpr = jaxpr
        self.closed = closed
        self.source_positions = source_positions

    def transpose(self, cotangents: Sequence[Any]) -> list[Any]:
        """Cotangents of the sources (None where unconnected) for output `cotangents`."""
        jaxpr, closed = self.jaxpr, self.closed
        linear_avals = [v.aval for v in jaxpr.invars[len(closed) :]]
        if not cotangents or not linear_avals:
            return [None] * len(self.source_positions)

        if _backward_pass is not None and _UndefinedPrimal is not None and not _PUBLIC_ONLY:
            # JAX's own transpose, as jax.vjp runs it: the program equals value_and_grad's.
            undefined = [_UndefinedPrimal(aval) for aval in linear_avals]
            cts = _backward_pass(jaxpr, True, (), [*closed, *undefined], list(cotangents))
            result = cts[len(closed) :]
        else:

            def linear(*tangents: Any) -> list[Any]:
                return eval_jaxpr(jaxpr, (), *closed, *tangents)

            shapes = [jax.ShapeDtypeStruct(aval.shape, aval.dtype) for aval in linear_avals]
            result = jax.linear_transpose(linear, *shapes)(list(cotangents))
        out = []
        for pos in self.source_positions:
            ct = None if pos is None else result[pos]
            out.append(None if ct is None or isinstance(ct, Zero) else ct)
        return out


# Tests set this to check the public transpose path (jax.linear_transpose) on every jax.
_PUBLIC_ONLY = False


def linear_jaxpr(
    tangent_trace: Any,
    out_tangents: Sequence[Any],
    sources: Sequence[Any],
    linear_inputs: Sequence[Any],
    residuals: Sequence[Any],
) -> LinearJaxpr:
    """Cuts the jaxpr from the recorded linear inputs (and `sources`) to `out_tangents`.

    Args:
        tangent_trace: The tape's tangent trace.
        out_tangents: Tangent tracers of the targets (non-zero ones only).
        sources: For each source, its tangent jaxpr variable or None. A
            variable that is not an input of the jaxpr (the tangent of an
            intermediate value) becomes one: its defining equation is kept and
            a new input is added to it, so the cotangent of that input is the
            gradient with respect to the intermediate value, while gradients
            of earlier sources still flow through it (TF's semantics).
        linear_inputs: The jaxpr variables of the tangent inputs the tape
            created (watched variables and arrays).
        residuals: `structured_residuals(trace)`: values of the other inputs.
    """
    info = _current_source_info()
    outs = [tangent_trace.to_jaxpr_tracer(t, info) for t in out_tangents]
    debug = DebugInfo("GradientTape", "GradientTape", None, tuple("" for _ in outs))
    jaxpr, consts = tangent_trace.to_jaxpr(outs, debug, info)[:2]
    consts = list(consts)
    # Constants bind the leading inputs: as constvars up to jax 0.11.0, as the
    # first (unattached) inputs since.
    inputs = [*jaxpr.constvars, *jaxpr.invars]
    if jaxpr.constvars and len(jaxpr.constvars) != len(consts):
        raise AssertionError(
            f"the recorded tangent jaxpr binds {len(jaxpr.constvars)} constants, but JAX "
            f"returned {len(consts)} constant values"
        )
    const_vars, rest = inputs[: len(consts)], inputs[len(consts) :]
    own = set(linear_inputs)
    linear = [v for v in rest if v in own]
    residual_vars = [v for v in rest if v not in own]
    if len(residual_vars) != len(residuals):
        raise AssertionError(
            f"the recorded tangent jaxpr has {len(residual_vars)} inputs that are neither "
            f"watched values nor one of the {len(residuals)} residuals JAX recorded"
        )
    eqns, extra = _add_intermediate_inputs(list(jaxpr.eqns), sources)
    linear += [extra[v] for v in extra]
    sources = [extra.get(v, v) for v in sources]
    eqns, live = _connected(eqns, jaxpr.outvars)
    linear = [v for v in linear if v in live]
    closed_vars = [*const_vars, *residual_vars]
    jaxpr = jaxpr.replace(constvars=[], invars=[*closed_vars, *linear], eqns=eqns)
    position = {v: i for i, v in enumerate(linear)}
    return LinearJaxpr(
        jaxpr,
        [*consts, *residuals],
        [None if v is None else position.get(v) for v in sources],
    )


def _connected(eqns: list[Any], outvars: Sequence[Any]) -> tuple[list[Any], set[Any]]:
    """The equations the outputs depend on, and every variable they read."""
    live = {v for v in outvars if isinstance(v, Var)}
    kept = []
    for eqn in reversed(eqns):
        if eqn.effects or any(v in live for v in eqn.outvars):
            kept.append(eqn)
            live.update(v for v in eqn.invars if isinstance(v, Var))
    kept.reverse()
    return kept, live


def _add_intermediate_inputs(
    eqns: list[Any], sources: Sequence[Any]
) -> tuple[list[Any], dict[Any, Any]]:
    """Makes each source that an equation defines also a new linear input, added to it.

    Returns the new equations and, per such source variable, its new input.
    """
    defined = {v for eqn in eqns for v in eqn.outvars}
    wanted = [v for v in dict.fromkeys(s for s in sources if s is not None) if v in defined]
    if not wanted:
        return eqns, {}
    wanted_set = set(wanted)
    renamed = {v: Var(v.aval) for v in wanted}
    extra_inputs = {v: Var(v.aval) for v in wanted}
    out = []
    for eqn in eqns:
        hits = [v for v in eqn.outvars if v in wanted_set]
        if not hits:
            out.append(eqn)
            continue
        out.append(eqn.replace(outvars=[renamed.get(v, v) for v in eqn.outvars]))
        for v in hits:
            # v = v_original + new_input: the new input's cotangent is v's cotangent.
            out.append(
                new_jaxpr_eqn([renamed[v], extra_inputs[v]], [v], jax.lax.add_p, {}, no_effects)
            )
    return out, extra_inputs

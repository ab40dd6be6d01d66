"""The step machinery of `fit` / `evaluate` / `predict`: compiled steps and the batches fed to them.

A train, test or predict step is compiled once per model with `lx.function`
(`step_function`). With `steps_per_execution=K`, K steps run per call: as a
`lax.scan` over the state the single step assigns, unrolled, or as a loop of
single steps, whichever is fastest (trainers/multi_step.py). The batches of a
loop are grouped, put on the devices and described by one of three small
classes: `OneBatch` (one step), `EachBatch` (several steps run one by one:
eagerly, a group of one, or the "loop" body) and `StackedBatches` (a group
stacked along a new leading axis for the scan, which keeps its batches too).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax
import numpy as np

from layerax.core.context import CTX
from layerax.distribution.data import place_batch_for_step, prefetch_to_device
from layerax.function import Function, function
from layerax.trainers import multi_step
from layerax.trainers.stateless import stateful_adapter, state_variables, symbolic_build, takes_state

_STEP_METHODS = {"train": "train_step", "test": "test_step", "predict": "predict_step"}


# ------------------------------------------------------------------ compiled steps
def step_function(model: Any, kind: str) -> Callable[[Any], Any]:
    """The model's `kind` step ("train", "test" or "predict"), compiled once and cached."""
    cache = model._lx_state().functions
    fn = cache.get(kind)
    if fn is not None:
        return fn
    step = getattr(model, _STEP_METHODS[kind])
    if takes_state(step):  # Keras-JAX's `step(state, data)`: run it on the variables' values
        step = stateful_adapter(model, kind, step)
    fn = cache[kind] = step if model.run_eagerly else function(step)
    if isinstance(fn, Function) and _is_default_step(model, kind):
        fn._lx_before_first_entry = functools.partial(_expect_step_state, model, kind, fn)
    return fn


def _is_default_step(model: Any, kind: str) -> bool:
    """Whether the model runs the built-in `kind` step with the built-in loss."""
    from layerax.trainers.default_steps import DefaultSteps
    from layerax.trainers.loss_and_metrics import LossAndMetrics

    method = _STEP_METHODS[kind]
    if getattr(type(model), method, None) is not getattr(DefaultSteps, method):
        return False
    return kind == "predict" or type(model).compute_loss is LossAndMetrics.compute_loss


def _expect_step_state(model: Any, kind: str, fn: Function, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> None:
    """Before the first trace of a built-in step: creates what its trace would (the model's
    weights, the compiled loss and metrics, the optimizer's slots; as Keras'
    `_symbolic_build`) and declares the state the step touches, so that its first trace
    needs no discovery pass (`Function._lx_expect_state`)."""
    if kwargs or len(args) != 1:
        return
    symbolic_build(model, args[0], kind)
    parts = state_variables(model, kind)
    weights = parts[0] + parts[1]
    if kind == "train":  # the optimizer assigns the weights; BatchNorm its statistics
        fn._lx_expect_state(weights + parts[2] + parts[3], [])
    elif kind == "test":
        fn._lx_expect_state(parts[2], weights)
    else:
        fn._lx_expect_state([], weights)


# ------------------------------------------------------------------ prepared batches
class OneBatch:
    """One batch, run by one call of the single step."""

    __slots__ = ("batch",)

    def __init__(self, batch: Any) -> None:
        self.batch = batch

    def run(self, model: Any, kind: str) -> tuple[Any, list[Any]]:
        out = step_function(model, kind)(self.batch)
        return out, [out]


class EachBatch:
    """Several batches, each run by its own call of the single step."""

    __slots__ = ("batches",)

    def __init__(self, batches: list[Any]) -> None:
        self.batches = batches

    def run(self, model: Any, kind: str) -> tuple[Any, list[Any]]:
        fn = step_function(model, kind)
        outs = [fn(batch) for batch in self.batches]
        return outs[-1], outs


class StackedBatches:
    """A group of equally shaped batches for one multi-step call (trainers/multi_step.py).

    Attributes:
        stacked: The batches' leaves stacked (and placed with the batch on axis 1), for a
            scanned or unrolled body.
        count: The number of batches.
        batches: The batches themselves (on the host), for a loop of single steps.
    """

    __slots__ = ("stacked", "count", "batches")

    def __init__(self, stacked: Any, count: int, batches: list[Any]) -> None:
        self.stacked, self.count, self.batches = stacked, count, batches

    def run(self, model: Any, kind: str) -> tuple[Any, list[Any]]:
        single = step_function(model, kind)
        assert isinstance(single, Function)
        body = multi_step.planned_body(model, kind)
        if body == "loop":
            outs = [single(place_batch_for_step(batch)) for batch in self.batches]
            return outs[-1], outs
        if body is None:  # "auto", still measuring: the chooser runs the group
            chooser = multi_step.chooser_of(model, kind)
            if chooser.next_body() == "loop":
                outs = chooser.run_loop(single, [place_batch_for_step(b) for b in self.batches])
                return outs[-1], outs
            fn = multi_step.scanned_function(model, kind, self.batches[0], single, unroll=False)
            out = chooser.run_scan(fn, self.stacked, self.count)
        else:
            fn = multi_step.scanned_function(model, kind, self.batches[0], single, body == "unroll")
            out = fn(self.stacked)
        if kind != "predict":
            return out, [out]
        # (K, batch, ...) -> (K * batch, ...): the batches of a group have equal shapes.
        flat = jax.tree.map(lambda v: v.reshape((-1,) + v.shape[2:]), out)
        return jax.tree.map(lambda v: v[-1], out), [flat]


Prepared = OneBatch | EachBatch | StackedBatches


def without_trailing_none(batch: Any) -> Any:
    """A batch as Keras passes it to a step: `(x, y)` without sample weights, `(x,)`
    without targets, so that `x, y = data` works in a custom train_step."""
    if isinstance(batch, tuple):
        while len(batch) > 1 and batch[-1] is None:
            batch = batch[:-1]
    return batch


def prepare_steps(model: Any, kind: str, batches: list[Any]) -> Prepared:
    """Puts a group of host batches on the devices (split along the batch axis under
    `lx.distribution`): one by one, or stacked for a multi-step call."""
    batches = [without_trailing_none(batch) for batch in batches]
    if len(batches) == 1 or model.run_eagerly or multi_step.planned_body(model, kind) == "loop":
        return EachBatch([place_batch_for_step(batch) for batch in batches])
    stacked = jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *batches)
    return StackedBatches(place_batch_for_step(stacked, batch_axis=1), len(batches), batches)


def execute_steps(model: Any, kind: str, prepared: Prepared) -> tuple[Any, list[Any]]:
    """Runs prepared batches; returns the last step's logs (or outputs) and, for
    "predict", the outputs of all steps as chunks to concatenate (one per call)."""
    prefix = host_prefix_of(model)
    if prefix is None:
        return prepared.run(model, kind)
    # The batches went through the host layers: the model's call runs the rest.
    with prefix.active():
        return prepared.run(model, kind)


def run_steps(model: Any, kind: str, batches: list[Any]) -> tuple[Any, list[Any]]:
    """Runs one batch (or a group of K batches in one compiled call), as `execute_steps`."""
    prepared = prepare_steps(model, kind, list(host_batches(model, batches)))
    return execute_steps(model, kind, prepared)


def steps_stream(model: Any, kind: str, batches: Iterable[Any]) -> Iterator[tuple[int, Prepared]]:
    """Groups of `steps_per_execution` batches, prefetched to the devices: group i+1 is
    transferred while group i runs. Yields `(number_of_steps, prepared_group)`."""
    # Without a distribution on a CPU backend, batches stay on the host until the call
    # (which takes numpy arrays in its C++ path): there is no transfer to overlap.
    on_host = CTX.distribution is None and jax.default_backend() == "cpu"
    batches = host_batches(model, batches)
    if model.steps_per_execution == 1:
        if on_host:
            return ((1, OneBatch(without_trailing_none(b))) for b in batches)
        groups: Iterable[Any] = batches

        def place(batch: Any) -> tuple[int, Prepared]:
            return 1, OneBatch(place_batch_for_step(without_trailing_none(batch)))
    else:
        groups = grouped(batches, model.steps_per_execution)

        def place(group: Any) -> tuple[int, Prepared]:
            return len(group), prepare_steps(model, kind, group)
    if on_host:
        return map(place, groups)
    return prefetch_to_device(groups, size=2, place=place)


def direct_steps(model: Any, kind: str, adapter: Any, epoch: int,
                 skip_steps: int = 0) -> Callable[[], tuple[Any, int]] | None:
    """A loop over the adapter's `epoch` (after `skip_steps` batches) that calls the compiled
    step directly, for a loop that calls no batch hook; it returns `(last_logs, steps_run)`.

    Taken when each batch is one call of the compiled step, fed from the host as it is:
    one step per execution (or several whose body is a loop of single steps,
    `multi_step_body` "loop" or chosen so by "auto"), a CPU backend, no distribution and
    no host prefix (the common case on a CPU). None otherwise.

    For in-memory arrays (`ArrayAdapter.flat_epoch`) no Python code but the loop's runs
    between two steps, so after the first step the loop keeps the state's buffers in hand
    and passes them from one compiled call to the next (`Function._lx_flat_runner`); the
    variables get their new values when it ends (or stops on an error). Otherwise it calls
    the step on each batch and stops early when `model.stop_training` is set.
    """
    if model.steps_per_execution != 1 and multi_step.planned_body(model, kind) != "loop":
        return None
    if (model.run_eagerly or CTX.distribution is not None or jax.default_backend() != "cpu"
            or host_prefix_of(model) is not None):
        return None
    step = step_function(model, kind)
    flat = getattr(adapter, "flat_epoch", None)
    flat = flat(epoch) if flat is not None and isinstance(step, Function) else None
    if flat is None:
        batches = map(without_trailing_none, adapter.epoch(epoch))
        return lambda: _each_batch(model, step, itertools.islice(batches, skip_steps, None))
    layout, arrays = flat
    return lambda: _run_flat(model, step, layout, itertools.islice(arrays, skip_steps, None))


def _each_batch(model: Any, step: Any, batches: Iterator[Any]) -> tuple[Any, int]:
    state = model._lx_state()
    logs, count = {}, 0
    for batch in batches:
        logs = step(batch)
        count += 1
        if state.stop_training:
            break
    return logs, count


def _run_flat(model: Any, step: Function, layout: tuple[bool, ...],
              arrays: Iterator[list[Any]]) -> tuple[Any, int]:
    """Runs `step` on batches given as lists of their arrays (`layout`: which of x, y and
    sample_weight they are): the first through the step itself, which traces or finds its
    entry, the next ones through that entry (`_lx_flat_runner`)."""
    first = next(arrays, None)
    if first is None:
        return {}, 0
    logs = step(_as_batch(layout, first))
    runner = step._lx_flat_runner((_as_batch(layout, first),))
    if runner is None:  # a call that would not run the entry: call the step on each batch
        runner = lambda rest: _each_batch(model, step, (_as_batch(layout, a) for a in rest))  # noqa: E731
    last, count = runner(arrays)
    return (logs, 1) if count == 0 else (last, count + 1)


def _as_batch(layout: tuple[bool, ...], arrays: list[Any]) -> tuple[Any, ...]:
    """The batch tuple of a flat batch: its arrays, with None where `layout` has none."""
    parts = iter(arrays)
    return tuple(next(parts) if present else None for present in layout)


def grouped(batches: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to `size` consecutive batches of equal shapes, each yielded as soon as it
    is complete (a generator is never read further ahead than the group being formed)."""
    group: list[Any] = []
    shapes = None
    for batch in batches:
        batch_shapes = jax.tree.map(np.shape, batch)
        if group and batch_shapes != shapes:
            yield group
            group = []
        group.append(batch)
        shapes = batch_shapes
        if len(group) == size:
            yield group
            group = []
    if group:
        yield group


# ------------------------------------------------------------------ host prefix (strings)
def host_prefix_of(model: Any) -> Any:
    """The model's first layers that take strings (`models/host_prefix.py`), found once
    per compiled model (`model._lx_find_host_prefix()`) and cached with the compiled
    steps; None for most models."""
    cache = model._lx_state().functions
    if "host_prefix" not in cache:
        cache["host_prefix"] = model._lx_find_host_prefix()
    return cache["host_prefix"]


def host_batches(model: Any, batches: Iterable[Any]) -> Iterable[Any]:
    """`batches` with the host prefix applied to each batch's x, on the host (lazily)."""
    prefix = host_prefix_of(model)
    if prefix is None:
        return batches

    def on_host(batch: Any) -> Any:
        x, rest = (batch[0], batch[1:]) if isinstance(batch, tuple) else (batch, ())
        if not model.built:
            model(x)  # builds the model from the strings, eagerly, once
        return (prefix.apply(x), *rest)

    return map(on_host, batches)

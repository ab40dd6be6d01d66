"""The training bookkeeping of a model, kept in one object outside its pytree.

`compile`, `fit`, `evaluate` and `predict` keep the optimizer, the compile
arguments, the loss tracker, the compiled steps, `history` and `stop_training`
in a `TrainingState` stored under the model attribute `_lx_training`. The
pytree description of layers neither keys nor walks `_lx_`-prefixed attributes
(layerax/core/pytree.py), so training never changes
`jax.tree_util.tree_structure(model)` and a user's `jax.jit` over the model
keeps its compiled program after `fit`. The Keras-named attributes of the
model (`model.optimizer`, `model.history`, `model.stop_training`, ...) are
properties of `Trainer` that read and write this object.
"""

from __future__ import annotations

import weakref
from typing import Any

# The attributes of a model that are properties over its TrainingState (set without
# touching the layer-structure version: they are not part of the model's structure).
STATE_ATTRIBUTES = frozenset({
    "optimizer",
    "loss",
    "compiled",
    "run_eagerly",
    "jit_compile",
    "steps_per_execution",
    "multi_step_body",
    "stop_training",
    "history",
})


class TrainingState:
    """What `compile` and `fit` keep about one model's training.

    A pytree clone of a model (what `jax.jit` or `jax.tree.map` hand back)
    starts with its original's state object and takes its own copy the first
    time it uses it (`for_model`): the same optimizer, settings and metric
    trackers, an empty cache of compiled steps (those of the original run the
    original's `train_step`), so training or recompiling a clone never changes
    the original's training.

    Attributes:
        optimizer: The optimizer given to `compile` (None before).
        compile_args: `loss`, `loss_weights`, `metrics` and `weighted_metrics`
            as passed to `compile`.
        compile_config: The JSON-able part of the compile arguments.
        compiled: Whether `compile` was called.
        run_eagerly: Run the steps without compiling them.
        jit_compile: The `jit_compile` argument of `compile`.
        steps_per_execution: Steps per compiled call.
        multi_step_body: How a multi-step call runs its steps: "auto" (measured),
            "scan", "unroll" or "loop" (trainers/multi_step.py). Kept by `compile`.
        stop_training: Set (by a callback) to end `fit` after the current step.
        history: The `History` of the last `fit`.
        loss_tracker: The `Mean` of the loss reported in the logs.
        compile_loss: The `CompileLoss` (made at the first step, from its outputs).
        compile_metrics: The `CompileMetrics` (None without metrics).
        added_trackers: `add_metric` name -> its tracking metric.
        functions: The compiled steps (`"train"`, `"test_multi"`, `"reset"`, ...).

    Example:
        >>> import layerax as lx
        >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> state = model._lx_state()
        >>> state.optimizer is model.optimizer, state.compiled
        (True, True)
    """

    __slots__ = (
        "_owner",
        "optimizer",
        "compile_args",
        "compile_config",
        "compiled",
        "run_eagerly",
        "jit_compile",
        "steps_per_execution",
        "multi_step_body",
        "stop_training",
        "history",
        "loss_tracker",
        "compile_loss",
        "compile_metrics",
        "added_trackers",
        "functions",
    )

    def __init__(self, owner: Any) -> None:
        self._owner = weakref.ref(owner)
        self.optimizer: Any = None
        self.compile_args: dict[str, Any] = {
            "loss": None, "loss_weights": None, "metrics": None, "weighted_metrics": None,
        }
        self.compile_config: dict[str, Any] = {}
        self.compiled = False
        self.run_eagerly = False
        self.jit_compile: Any = True
        self.steps_per_execution = 1
        self.multi_step_body = "auto"
        self.stop_training = False
        self.history: Any = None
        self.loss_tracker: Any = None
        self.compile_loss: Any = None
        self.compile_metrics: Any = None
        self.added_trackers: dict[str, Any] = {}
        self.functions: dict[str, Any] = {}

    def owned_by(self, model: Any) -> bool:
        """Whether this is `model`'s own state (not one inherited by a pytree clone)."""
        return self._owner() is model

    def for_model(self, model: Any) -> TrainingState:
        """A copy for `model` (a clone of the owner): shared settings, optimizer and
        trackers, no compiled steps."""
        copy = object.__new__(TrainingState)
        for name in TrainingState.__slots__:
            setattr(copy, name, getattr(self, name))
        copy._owner = weakref.ref(model)
        copy.compile_args = dict(self.compile_args)
        copy.compile_config = dict(self.compile_config)
        copy.added_trackers = dict(self.added_trackers)
        copy.functions = {}
        return copy

    def __getstate__(self) -> dict[str, Any]:
        # A weak reference cannot be copied by pickle, nor compiled steps: the owner
        # of an unpickled (or deep-copied) state is set by the model that first uses it.
        state = {name: getattr(self, name) for name in TrainingState.__slots__}
        state["_owner"] = None
        state["functions"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)
        if self._owner is None:
            self._owner = _dead_reference

    def __repr__(self) -> str:
        return (
            f"TrainingState(compiled={self.compiled}, optimizer={type(self.optimizer).__name__}, "
            f"steps_per_execution={self.steps_per_execution})"
        )


def _dead_reference() -> None:
    """The owner of a state no model claimed yet (after unpickling or deep copying)."""
    return None


__all__ = ["STATE_ATTRIBUTES", "TrainingState"]

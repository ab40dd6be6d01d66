"""The Keras-named training attributes of a model, over its `TrainingState`.

`model.optimizer`, `model.loss`, `model.compiled`, `model.run_eagerly`,
`model.jit_compile`, `model.steps_per_execution`, `model.stop_training` and
`model.history` are properties that read and write the model's one
`TrainingState` (trainers/state.py), kept outside the model's pytree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from layerax.trainers.state import STATE_ATTRIBUTES, TrainingState


class TrainingAttributes:
    """Mixin of `lx.Model`: the training attributes and the state behind them."""

    def _lx_state(self) -> TrainingState:
        """This model's training bookkeeping (made on first use; see trainers/state.py)."""
        state = self.__dict__.get("_lx_training")
        if state is not None and state._owner() is self:
            return state
        if state is None:
            state = TrainingState(self)
        else:
            state = state.for_model(self)  # a pytree clone's first use of its original's
        # Not an attribute assignment: the state is no part of the layer's structure.
        self.__dict__["_lx_training"] = state
        return state

    def __setattr__(self, name: str, value: Any) -> None:
        if name in STATE_ATTRIBUTES:
            object.__setattr__(self, name, value)  # the property: no structure change
            return
        super().__setattr__(name, value)

    @property
    def optimizer(self) -> Any:
        """The optimizer given to `compile` (None before)."""
        return self._lx_state().optimizer

    @optimizer.setter
    def optimizer(self, value: Any) -> None:
        self._lx_state().optimizer = value

    @property
    def loss(self) -> Any:
        """The `loss` argument of `compile` (None before)."""
        return self._lx_state().compile_args["loss"]

    @loss.setter
    def loss(self, value: Any) -> None:
        state = self._lx_state()
        state.compile_args = {**state.compile_args, "loss": value}
        state.compile_loss = None  # made again from the new loss at the next step
        state.functions = {}

    @property
    def compiled(self) -> bool:
        """Whether `compile` was called."""
        return self._lx_state().compiled

    @compiled.setter
    def compiled(self, value: bool) -> None:
        self._lx_state().compiled = bool(value)

    @property
    def run_eagerly(self) -> bool:
        """Whether the steps run without compilation (`compile(run_eagerly=True)`)."""
        return self._lx_state().run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        state = self._lx_state()
        if bool(value) != state.run_eagerly:
            state.run_eagerly = bool(value)
            state.functions = {}

    @property
    def jit_compile(self) -> Any:
        """The `jit_compile` argument of `compile` (`False` runs the steps eagerly)."""
        return self._lx_state().jit_compile

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        state = self._lx_state()
        state.jit_compile = value
        self.run_eagerly = state.compile_config.get("run_eagerly", False) or value is False

    @property
    def steps_per_execution(self) -> int:
        """Steps run per compiled call (`compile(steps_per_execution=...)`)."""
        return self._lx_state().steps_per_execution

    @steps_per_execution.setter
    def steps_per_execution(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(
                "`steps_per_execution` must be an integer >= 1. Received: "
                f"steps_per_execution={value!r}"
            )
        self._lx_state().steps_per_execution = int(value)

    @property
    def multi_step_body(self) -> str:
        """How a call of `steps_per_execution` > 1 steps runs them.

        `"auto"` (the default) measures, on the first multi-step groups of `fit`,
        `evaluate` or `predict`, a loop of single-step calls against a `lax.scan`
        and keeps the faster (`multi_step_chosen` tells which): a scan saves the
        host's work per step, but on XLA:CPU a convolution's weight gradient runs
        much slower inside it. `"scan"`, `"unroll"` (one program of K copies of
        the step: longer to compile) and `"loop"` force a body. Every body
        computes the same steps; `compile` keeps this setting.

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((2,)), lx.layers.Dense(1)])
            >>> model.multi_step_body
            'auto'
            >>> model.multi_step_body = "scan"
            >>> model.multi_step_chosen
            {'train': 'scan', 'test': 'scan', 'predict': 'scan'}
        """
        return self._lx_state().multi_step_body

    @multi_step_body.setter
    def multi_step_body(self, value: str) -> None:
        from layerax.trainers import multi_step

        state = self._lx_state()
        state.multi_step_body = multi_step.check_body(self, value)

    @property
    def multi_step_chosen(self) -> dict[str, str]:
        """The body each kind of multi-step call ("train", "test", "predict") runs now.

        Under `multi_step_body="auto"`, a kind appears once its measurement chose
        ("scan" or "loop"); `compile` forgets the choices.
        """
        from layerax.trainers import multi_step

        return multi_step.chosen_bodies(self)

    @property
    def stop_training(self) -> bool:
        """Set it to True (from a callback) to end `fit` after the current step."""
        return self._lx_state().stop_training

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        self._lx_state().stop_training = bool(value)

    @property
    def history(self) -> Any:
        """The `History` callback of the last `fit` (None before)."""
        return self._lx_state().history

    @history.setter
    def history(self, value: Any) -> None:
        self._lx_state().history = value

    def _require_compiled(self, what: str) -> None:
        if not self._lx_state().compiled:
            raise RuntimeError(
                f"You must call `compile()` before calling `{what}()` on model '{self.name}'. "
                "For example: `model.compile(optimizer='adam', loss='mse')`."
            )


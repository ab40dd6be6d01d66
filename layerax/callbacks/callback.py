"""`lx.callbacks.Callback`: hooks the training loop calls at each stage."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any


def default(method: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a hook as the do-nothing default, so dispatchers can skip it.

    Example:
        >>> from layerax.callbacks.callback import default, is_default
        >>> is_default(default(lambda self, logs=None: None))
        True
    """
    method._lx_default = True  # type: ignore[attr-defined]
    return method


def is_default(method: Any) -> bool:
    """Whether `method` is a hook's default implementation (not overridden).

    Example:
        >>> import layerax as lx
        >>> from layerax.callbacks.callback import is_default
        >>> is_default(lx.callbacks.Callback().on_epoch_end), is_default(lx.callbacks.History().on_epoch_end)
        (True, False)
    """
    return getattr(method, "_lx_default", False)


@dataclasses.dataclass(frozen=True)
class ResumePosition:
    """Where `fit` continues an interrupted run: what `Callback.resume_position` returns.

    Args:
        epoch: The epoch to continue (0-based); `fit` starts there instead of
            at `initial_epoch`.
        step: The batches of that epoch already done: `fit` skips them.
        shuffle_seed: The seed the interrupted run shuffled its data with
            (`params["shuffle_seed"]` of that run), so that the resumed run
            sees the same batches; None keeps this run's seed.

    Example:
        >>> import layerax as lx
        >>> lx.callbacks.ResumePosition(epoch=3, step=20)
        ResumePosition(epoch=3, step=20, shuffle_seed=None)
    """

    epoch: int
    step: int = 0
    shuffle_seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("epoch", "step", "shuffle_seed"):
            value = getattr(self, name)
            if name == "shuffle_seed" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"ResumePosition expects `{name}` to be an integer >= 0"
                    f"{' or None' if name == 'shuffle_seed' else ''}. Received: {name}={value!r}"
                )


class Callback:
    """Base class of callbacks: override the hooks you need.

    `fit`, `evaluate` and `predict` call the hooks with the current epoch or
    batch index and a `logs` dict of metric values. A callback reaches the
    model through `self.model` (set by `set_model`) and the loop's settings
    through `self.params`: `verbose`, `epochs`, `steps`, and in `fit`
    `shuffle_seed`, the seed that shuffles the data of this run.

    Hooks: `on_{train,test,predict}_begin/end(logs)`,
    `on_epoch_begin/end(epoch, logs)` and
    `on_{train,test,predict}_batch_begin/end(batch, logs)`
    (`on_batch_begin/end` are the older names of the train batch hooks).

    Resuming: right after `on_train_begin`, `fit` asks every callback for
    `resume_position()`. A callback that restored an interrupted run's state
    there (as `BackupAndRestore` does) returns a `ResumePosition`; `fit` then
    starts at its epoch, skips its `step` batches and shuffles with its seed
    (and passes that seed on as `params["shuffle_seed"]`).

    Example:
        >>> import layerax as lx
        >>> class Stopper(lx.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         if logs["loss"] < 0.1:
        ...             self.model.stop_training = True
        >>> class FakeModel:
        ...     stop_training = False
        >>> cb = Stopper(); cb.set_model(FakeModel())
        >>> cb.on_epoch_end(0, {"loss": 0.05}); cb.model.stop_training
        True
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] | None = None
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        """Receives the loop's settings (`verbose`, `epochs`, `steps`, ...)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Receives the model being trained, evaluated or run."""
        self._model = model

    @property
    def model(self) -> Any:
        """The model set by `set_model`."""
        return self._model

    @default
    def on_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Older name of `on_train_batch_begin`."""

    @default
    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        """Older name of `on_train_batch_end`."""

    @default
    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Called at the start of an epoch of `fit`."""

    @default
    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """Called at the end of an epoch of `fit` with its training and validation logs."""

    @default
    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before a training batch."""
        self.on_batch_begin(batch, logs=logs)

    @default
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after a training batch with the running metric values."""
        self.on_batch_end(batch, logs=logs)

    @default
    def on_test_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before an evaluation batch."""

    @default
    def on_test_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after an evaluation batch."""

    @default
    def on_predict_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Called before a prediction batch."""

    @default
    def on_predict_batch_end(self, batch: int, logs: Any = None) -> None:
        """Called after a prediction batch (`logs["outputs"]` holds its outputs)."""

    @default
    def on_train_begin(self, logs: Any = None) -> None:
        """Called at the start of `fit`."""

    @default
    def on_train_end(self, logs: Any = None) -> None:
        """Called at the end of `fit`."""

    @default
    def on_test_begin(self, logs: Any = None) -> None:
        """Called at the start of `evaluate` (and of validation in `fit`)."""

    @default
    def on_test_end(self, logs: Any = None) -> None:
        """Called at the end of `evaluate` (and of validation in `fit`)."""

    @default
    def on_predict_begin(self, logs: Any = None) -> None:
        """Called at the start of `predict`."""

    @default
    def on_predict_end(self, logs: Any = None) -> None:
        """Called at the end of `predict`."""

    @default
    def resume_position(self) -> ResumePosition | None:
        """Where `fit` should continue, asked once right after `on_train_begin`.

        Returns:
            A `ResumePosition` when this callback restored an interrupted run
            (the model's and optimizer's state) in `on_train_begin`; None (the
            default) to leave the start of `fit` as its arguments say. At most
            one callback of a `fit` may return a position.

        Example:
            >>> import layerax as lx
            >>> class SkipDone(lx.callbacks.Callback):
            ...     def resume_position(self):
            ...         return lx.callbacks.ResumePosition(epoch=2)
            >>> model = lx.Sequential([lx.Input((1,)), lx.layers.Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> import numpy as np
            >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=3,
            ...                     callbacks=[SkipDone()], verbose=0)
            >>> history.epoch  # epochs 0 and 1 were done by the interrupted run
            [2]
        """
        return None


__all__ = ["Callback", "ResumePosition"]

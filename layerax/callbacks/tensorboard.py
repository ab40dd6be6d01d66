"""`TensorBoard`: write training logs as TensorBoard event files (needs `tensorboardX`)."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from layerax.callbacks.callback import Callback

_INSTALL_HINT = (
    "The TensorBoard callback writes event files with the `tensorboardX` package, which is not "
    "installed. Install it with `pip install layerax[tensorboard]` (or `pip install tensorboardX`)."
)


def _summary_writer_class() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    return SummaryWriter


def _parse_profile_batch(profile_batch: Any) -> tuple[int, int]:
    message = (
        "profile_batch must be a non-negative integer or a pair of positive integers (start, stop) "
        f"with start <= stop, e.g. 2 or (10, 20). Received: profile_batch={profile_batch!r}"
    )
    if isinstance(profile_batch, str):
        parts = profile_batch.split(",")
        try:
            profile_batch = tuple(int(p) for p in parts) if len(parts) > 1 else int(parts[0])
        except ValueError as err:
            raise ValueError(message) from err
    if isinstance(profile_batch, int) and not isinstance(profile_batch, bool):
        if profile_batch < 0:
            raise ValueError(message)
        return profile_batch, profile_batch
    if isinstance(profile_batch, (tuple, list)) and len(profile_batch) == 2:
        start, stop = (int(v) for v in profile_batch)
        if start < 1 or stop < start:
            raise ValueError(message)
        return start, stop
    raise ValueError(message)


class TensorBoard(Callback):
    """Logs metrics (and optionally weight histograms and a profile) for TensorBoard.

    Event files go to `log_dir/train` and `log_dir/validation`, with Keras'
    tag names: `epoch_loss`, `epoch_accuracy`, ... (validation values under
    the same tags in the validation run), `epoch_learning_rate`,
    `batch_<name>` when `update_freq` is per batch, and
    `evaluation_<name>_vs_iterations` after `evaluate`.

    Requires `tensorboardX` (`pip install layerax[tensorboard]`).

    Args:
        log_dir: Directory of the event files.
        histogram_freq: Every that many epochs, write a histogram of each
            weight of `model.weights` (0: never).
        write_graph: Accepted for compatibility; graphs are not written.
        write_images: Also write 2D weights as images (with histograms).
        write_steps_per_second: Log training steps per second.
        update_freq: `"epoch"`, `"batch"` or an integer N (log batch values
            every N batches; each written batch waits for the device).
        profile_batch: Batch (or `(start, stop)` batches) to profile with
            `jax.profiler`; the trace goes to `log_dir/train/plugins/profile`.
            0 disables profiling.
        embeddings_freq: Must be 0 (embedding projections are not supported).
        embeddings_metadata: Must be None.

    Example:
        >>> import layerax as lx, tempfile
        >>> cb = lx.callbacks.TensorBoard(log_dir=tempfile.mkdtemp())
        >>> cb.on_train_begin(); cb.on_epoch_end(0, {"loss": 0.5}); cb.on_train_end()
    """

    # Batch logs are converted only when they are written.
    _lx_lazy_logs = True

    def __init__(
        self,
        log_dir: Any = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: Any = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ) -> None:
        super().__init__()
        self._writer_class = _summary_writer_class()
        if embeddings_freq or embeddings_metadata is not None:
            raise ValueError(
                "The layerax TensorBoard callback does not write embedding projections. Leave "
                f"`embeddings_freq=0` and `embeddings_metadata=None`. Received: "
                f"embeddings_freq={embeddings_freq}, embeddings_metadata={embeddings_metadata!r}"
            )
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(
                f"update_freq must be 'epoch', 'batch' or a positive integer. Received: {update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self._start_batch, self._stop_batch = _parse_profile_batch(profile_batch)
        self._should_trace = self._start_batch > 0
        self._is_tracing = False
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0.0
        self._batch_start_time = 0.0

    # ------------------------------------------------------------ writers
    def _writer(self, which: str) -> Any:
        if which not in self._writers:
            path = self._train_dir if which == "train" else self._val_dir
            self._writers[which] = self._writer_class(logdir=path)
        return self._writers[which]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    @staticmethod
    def _scalar_items(logs: Any) -> list[tuple[str, float]]:
        if callable(logs) and not isinstance(logs, dict):
            logs = logs()
        items = []
        for name, value in (logs or {}).items():
            array = np.asarray(value)  # fetches device values when written
            if array.ndim == 0 and array.dtype.kind in "biuf":
                items.append((name, float(array)))
        return items

    # -------------------------------------------------------------- hooks
    def on_train_begin(self, logs: Any = None) -> None:
        self._global_train_batch = 0

    def on_train_end(self, logs: Any = None) -> None:
        if self._is_tracing:
            self._stop_trace()
        self._close_writers()

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._should_trace and self._global_train_batch == self._start_batch:
            self._start_trace()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._writer("train")
            if self.write_steps_per_second and self._batch_start_time:
                elapsed = max(time.time() - self._batch_start_time, 1e-9)
                writer.add_scalar("batch_steps_per_second", 1.0 / elapsed, step)
            for name, value in self._scalar_items(logs):
                writer.add_scalar(f"batch_{name}", value, step)
        if self._is_tracing and step >= self._stop_batch:
            self._stop_trace()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)

    def on_test_end(self, logs: Any = None) -> None:
        optimizer = getattr(self.model, "optimizer", None) if self.model is not None else None
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return
        step = int(np.asarray(optimizer.iterations))
        writer = self._writer("validation")
        for name, value in self._scalar_items(logs):
            writer.add_scalar(f"evaluation_{name}_vs_iterations", value, step)
        writer.flush()

    # ------------------------------------------------------------ helpers
    def _iterations(self) -> float:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations"):
            return float(self._global_train_batch)
        return float(np.asarray(optimizer.iterations))

    def _learning_rates(self) -> dict[str, float]:
        optimizer = getattr(self.model, "optimizer", None) if self.model is not None else None
        if optimizer is None:
            return {}
        inner = getattr(optimizer, "optimizers", None)
        try:
            if inner:
                return {f"learning_rate_{opt.name}": float(np.asarray(opt.learning_rate)) for opt in inner}
            if hasattr(optimizer, "learning_rate"):
                return {"learning_rate": float(np.asarray(optimizer.learning_rate))}
        except (AttributeError, TypeError):  # e.g. a wrapped optax transform without a rate
            return {}
        return {}

    def _log_epoch_metrics(self, epoch: int, logs: dict[str, Any]) -> None:
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train.update(self._learning_rates())
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / elapsed
        for which, values in (("train", train), ("validation", val)):
            items = self._scalar_items(values)
            if not items:
                continue
            writer = self._writer(which)
            for name, value in items:
                writer.add_scalar(f"epoch_{name}", value, epoch)
            writer.flush()

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for weight in getattr(self.model, "weights", None) or ():
            name = str(getattr(weight, "path", None) or getattr(weight, "name", "weight")).replace(":", "_")
            value = np.asarray(weight)
            writer.add_histogram(f"{name}/histogram", value, epoch)
            if self.write_images:
                image = np.squeeze(value)
                if image.ndim == 1:
                    image = image[None, :]
                if image.ndim == 2:
                    low, high = float(image.min()), float(image.max())
                    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
                    writer.add_image(f"{name}/image", scaled, epoch, dataformats="HW")
        writer.flush()

    def _start_trace(self) -> None:
        import jax

        os.makedirs(self._train_dir, exist_ok=True)
        jax.profiler.start_trace(self._train_dir)
        self._is_tracing = True

    def _stop_trace(self) -> None:
        import jax

        jax.profiler.stop_trace()
        self._is_tracing = False


__all__ = ["TensorBoard"]

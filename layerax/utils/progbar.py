"""`lx.utils.Progbar`: Keras' progress bar, with lazily converted values.

Values may be JAX arrays (or a callable returning the values): they are
converted to Python floats only when a line is actually drawn, so a training
loop that reports every step forces a device sync at most once per redraw
(every `interval` seconds in a terminal, once per epoch when the output is a
file or pipe). In Jupyter/Colab the bar is an HTML display updated in place.
"""

from __future__ import annotations

import html
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any


import numpy as np

from layerax.core.flags import get_flag


class _LoggingStream:
    """A write/flush stream that sends each finished line to the `"layerax"` logger.

    A carriage return starts the line over (the progress bar redraws its line), so that
    only the last state of a line is logged.
    """

    def __init__(self) -> None:
        self._line = ""

    def write(self, text: str) -> None:
        parts = text.split("\n")
        for i, part in enumerate(parts):
            self._line = (self._line + part).rsplit("\r", 1)[-1]
            if i < len(parts) - 1:
                logging.getLogger("layerax").info(self._line.rstrip())
                self._line = ""

    def flush(self) -> None:
        pass


_LOG_STREAM = _LoggingStream()


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter/IPython kernel or Colab (rich display available)."""
    if "google.colab" in sys.modules:
        return True
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a broken IPython means no notebook
        return False
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


def _to_python(value: Any) -> Any:
    """A float for scalars (this is where a device value is fetched), else numpy / as is."""
    if isinstance(value, (int, float)):
        return value
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - leave exotic values alone
        return value
    if array.ndim == 0 and array.dtype.kind in "biuf":
        return float(array)
    return array


def _format_value(value: Any) -> str:
    value = _to_python(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf" and value.size:
            value = float(np.mean(value))
        else:
            return f" {value}"
    if isinstance(value, (int, float)):
        return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"
    return f" {value}"


def _format_eta(seconds: float) -> str:
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_time(time_per_unit: float, unit_name: str) -> str:
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


class Progbar:
    """A progress bar with ETA, time per step and metric values.

    Args:
        target: Total number of steps, or None if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (animated bar) or 2 (one line at the end).
        interval: Minimum seconds between redraws.
        stateful_metrics: Names whose values are shown as given (all others
            are averaged over the steps). Exclusive with `stateless_metrics`.
        stateless_metrics: Names that are averaged (all others shown as given).
        unit_name: Name of a step in the display.
        file: Where to write (`sys.stdout` by default).

    Example:
        >>> import io, layerax as lx
        >>> out = io.StringIO()
        >>> bar = lx.utils.Progbar(2, verbose=2, file=out)
        >>> bar.update(1, [("loss", 0.5)])
        >>> bar.update(2, [("loss", 0.25)])
        >>> out.getvalue().startswith("2/2 - ") and out.getvalue().endswith("loss: 0.2500\\n")
        True
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Any = None,
        stateless_metrics: Any = None,
        unit_name: str = "step",
        file: Any = None,
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided: the first "
                "lists the metrics shown as given (the rest are averaged), the second the metrics "
                "that are averaged (the rest are shown as given)."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._file = file
        self._notebook = in_notebook()
        stream = self.file
        self._dynamic_display = self._notebook or (
            (hasattr(stream, "isatty") and stream.isatty()) or "PYCHARM_HOSTED" in os.environ
        )
        self._seen_so_far = 0
        self._values: dict[str, list[Any]] = {}
        self._values_order: list[str] = []
        self._pending: Callable[[], Any] | None = None
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_total_width = 0
        self._display_handle: Any = None
        self.renders = 0  # how many times a line was drawn (each may fetch device values)

    @property
    def file(self) -> Any:
        """Where the bar writes: the given stream, else stdout (or the `logging` stream when
        interactive logging is off)."""
        if self._file is not None:
            return self._file
        # `lx.config.disable_interactive_logging()`: the lines go to `logging` instead.
        return sys.stdout if get_flag("interactive_logging") else _LOG_STREAM

    # ------------------------------------------------------------ values
    def _is_stateless(self, key: str) -> bool:
        if self.stateful_metrics is not None:
            return key not in self.stateful_metrics
        return key in self.stateless_metrics  # type: ignore[operator]

    def _record(self, current: int, values: Any, finalize: bool) -> None:
        if callable(values) and not isinstance(values, Mapping):
            # Lazily produced values replace the shown ones when (and if) they are drawn.
            self._pending = values
            return
        self._pending = None
        items = values.items() if isinstance(values, Mapping) else (values or [])
        for key, value in items:
            if key not in self._values_order:
                self._values_order.append(key)
            if self._is_stateless(key):
                if finalize:
                    self._values[key] = [value, 1]
                else:
                    base = max(current - self._seen_so_far, 1)
                    if key not in self._values:
                        self._values[key] = [value * base, base]
                    else:
                        self._values[key][0] = self._values[key][0] + value * base
                        self._values[key][1] += base
            else:
                self._values[key] = [value, 1]

    def _resolve_pending(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            produced = pending()
            items = produced.items() if isinstance(produced, Mapping) else (produced or [])
            for key, value in items:
                if key not in self._values_order:
                    self._values_order.append(key)
                self._values[key] = [value, 1]

    # ------------------------------------------------------------ update
    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Moves the bar to step `current` and records `values`.

        Args:
            current: Index of the current step (1-based count of steps done).
            values: `[(name, value), ...]`, a dict, or a callable returning
                either (called only when the line is drawn). Values may be JAX
                arrays: they are converted only when drawn.
            finalize: Whether this is the last update (default: `current >= target`).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values, finalize)
        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        self._seen_so_far = current
        if self.verbose == 1:
            if not finalize and (now - self._last_update < self.interval or not self._dynamic_display):
                return
            self._resolve_pending()
            self._draw_bar(current, now, time_per_unit, finalize)
            self._last_update = now
        elif self.verbose == 2 and finalize:
            self._resolve_pending()
            self._draw_summary(current, now, time_per_unit)
            self._last_update = now

    def add(self, n: int, values: Any = None) -> None:
        """Advances the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    # ------------------------------------------------------------ drawing
    def _metrics_text(self) -> str:
        text = ""
        for key in self._values_order:
            total, count = self._values[key]
            value = _to_python(total)
            if count > 1 and isinstance(value, (int, float, np.ndarray)):
                value = value / count
            text += f" - {key}:{_format_value(value)}"
        return text

    def _draw_bar(self, current: int, now: float, time_per_unit: float, finalize: bool) -> None:
        self.renders += 1
        color = self._dynamic_display and not self._notebook
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            count = f"%{digits}d/%d" % (current, self.target)
            filled = int(self.width * min(current / self.target, 1.0))
            if color:
                bar = f"\x1b[1m{count}\x1b[0m \x1b[32m{'━' * filled}\x1b[0m\x1b[37m{'━' * (self.width - filled)}\x1b[0m"
                special = 8 + (9 if filled else 0) + 9
            else:
                bar = f"{count} [{'=' * filled}{'.' * (self.width - filled)}]"
                special = 0
        else:
            bar, special = "%7d/Unknown" % current, 0
        if self.target is not None and self.target > 0 and not finalize:
            timing = _format_eta(time_per_unit * (self.target - current))
        else:
            timing = f"{now - self._start:.0f}s"
        info = (f" \x1b[1m{timing}\x1b[0m" if color else f" {timing}")
        special += 8 if color else 0
        info += _format_time(time_per_unit, self.unit_name) + self._metrics_text()
        if self._notebook:
            self._notebook_display(current, bar + info)
            return
        line = bar + info
        width = len(line) - special
        if self._dynamic_display:
            message = "\r" + line
            if self._prev_total_width > width:
                message += " " * (self._prev_total_width - width)
        else:
            message = line
        if finalize or not self._dynamic_display:
            message += "\n"
        self._prev_total_width = width
        self.file.write(message)
        self.file.flush()

    def _draw_summary(self, current: int, now: float, time_per_unit: float) -> None:
        self.renders += 1
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            count = f"%{digits}d/%d" % (current, self.target)
        else:
            count = f"{current}"
        line = f"{count} - {now - self._start:.0f}s -{_format_time(time_per_unit, self.unit_name)}"
        line += self._metrics_text()
        if self._notebook:
            self._notebook_display(current, line)
            return
        self.file.write(line + "\n")
        self.file.flush()

    def message(self, text: str) -> None:
        """Prints a line of text (an HTML line in notebooks), e.g. the epoch header."""
        if self._notebook:
            from IPython import display as ipd

            ipd.display(ipd.HTML(f"<b>{html.escape(text)}</b>"))
        else:
            self.file.write(text + "\n")
            self.file.flush()

    def _notebook_display(self, current: int, text: str) -> None:
        from IPython import display as ipd  # only reached when in_notebook()

        maximum = self.target if self.target else max(current, 1)
        markup = (
            f'<div style="font-family: monospace"><progress value="{current}" max="{maximum}" '
            f'style="width: 20em; vertical-align: middle"></progress> {html.escape(text)}</div>'
        )
        if self._display_handle is None:
            self._display_handle = ipd.display(ipd.HTML(markup), display_id=True)
        else:
            self._display_handle.update(ipd.HTML(markup))

    def _estimate_step_duration(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        # The first step includes compilation: time the others when there are some.
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit


__all__ = ["Progbar", "in_notebook"]

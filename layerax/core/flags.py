"""Process-wide switches read by the trainer, the progress bar and the attention layers.

They live in `core/` (which imports nothing from above it) so that any module can read
them; `lx.config` and `lx.utils` export the public setters.
"""

from __future__ import annotations

import os

_FLAGS: dict[str, object] = {
    "interactive_logging": True,
    "traceback_filtering": True,
    # None means "enabled where supported" (Keras' default); False disables it.
    "flash_attention": None,
    # Range checks of labels and Embedding ids inside compiled steps (core/index_checks.py).
    "index_checks": False,
    "max_epochs": int(os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in os.environ else None,
    "max_steps_per_epoch": (
        int(os.environ["KERAS_MAX_STEPS_PER_EPOCH"]) if "KERAS_MAX_STEPS_PER_EPOCH" in os.environ else None
    ),
}


def get_flag(name: str) -> object:
    return _FLAGS[name]


def set_flag(name: str, value: object) -> None:
    _FLAGS[name] = value

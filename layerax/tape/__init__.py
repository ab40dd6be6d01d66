"""`lx.GradientTape`: TensorFlow-style gradient tapes on JAX (see `docs/tape.md`).

Importing this package imports nothing of the tape itself: `GradientTape` and
its companions load on first access, and the tape's engine loads JAX's
internals, and checks the installed jax, the first time a tape is created.
`_compat` (the one table of JAX-internal names) can be imported on its own
and never fails: a missing name is reported when a tape first needs it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GradientTape", "UnconnectedGradients", "UnsupportedJaxError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from layerax.tape import gradient_tape

        return getattr(gradient_tape, name)
    raise AttributeError(f"module 'layerax.tape' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

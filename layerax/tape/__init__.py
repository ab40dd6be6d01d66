"""`lx.GradientTape`: TensorFlow-style gradient tapes on JAX (see `docs/tape.md`).

Importing this package touches no JAX internals; the tape loads them, and
checks the installed jax version, the first time a tape is created.
"""

from __future__ import annotations

from layerax.tape.gradient_tape import GradientTape as GradientTape
from layerax.tape.gradient_tape import UnconnectedGradients as UnconnectedGradients
from layerax.tape.gradient_tape import UnsupportedJaxError as UnsupportedJaxError

__all__ = ["GradientTape", "UnconnectedGradients", "UnsupportedJaxError"]

"""Keras 3's `SymbolicScope`: marks code that runs only to infer shapes and dtypes.

layerax enters it while it traces a layer with `jax.eval_shape` to build a
functional graph (`layerax/models/symbolic.py`), as Keras does around its
`compute_output_spec`. A custom layer can ask `in_symbolic_scope()` to skip
work that only matters for real values (printing, host callbacks, counters).
The depth is per thread (`CTX.symbolic_depth`).
"""

from __future__ import annotations

from typing import Any

from layerax.core.context import CTX

__all__ = ["SymbolicScope", "in_symbolic_scope"]

class SymbolicScope:
    """A context inside which calls are symbolic (shape inference only).

    Example:
        >>> import layerax as lx
        >>> from layerax.core.symbolic_scope import in_symbolic_scope
        >>> with lx.SymbolicScope():
        ...     inside = in_symbolic_scope()
        >>> inside, in_symbolic_scope()
        (True, False)
    """

    def __enter__(self) -> SymbolicScope:
        CTX.symbolic_depth += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        CTX.symbolic_depth -= 1


def in_symbolic_scope() -> bool:
    """Whether a `SymbolicScope` is open in this thread."""
    return CTX.symbolic_depth > 0

"""Range checks of integer indices: class labels of sparse losses and Embedding ids.

`jnp.take` and `one_hot` do not fail on a bad index (an out-of-range label gives a loss of
0, an out-of-range id a NaN row, a negative id silently reads another row). TF raises on
both; so does layerax:

- eagerly (concrete arrays), always: a `ValueError` naming the first bad value, its
  position and the valid range;
- under `jit` (`fit`, `lx.function`), only while `lx.config.enable_index_checks()` is on:
  the compiled step then carries a host callback that raises the same message (wrapped by
  JAX in a `JaxRuntimeError`). The switch is read when a step is traced, so a step traced
  with it off has no check at all, at no cost; set it before the first `fit`/call.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from layerax.core.flags import get_flag


def _first_bad(values: np.ndarray, size: int) -> tuple[tuple[int, ...], Any] | None:
    bad = (values < 0) | (values >= size)
    if not bad.any():
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    return where, values[where].item()


def _message(owner: str, what: str, size: int, found: tuple[tuple[int, ...], Any], fix: str) -> str:
    where, value = found
    return (
        f"In {owner}, {what} {value} at index {list(where)} is out of range: valid values are "
        f"0 to {size - 1} (inclusive). {fix}"
    )


def check_indices(values: Any, size: int, owner: str, what: str, fix: str) -> None:
    """Raises if an entry of the integer array `values` lies outside `[0, size)`.

    Concrete arrays are checked now; traced ones only with the index-check switch on.

    Example:
        >>> import numpy as np
        >>> from layerax.core.index_checks import check_indices
        >>> check_indices(np.array([0, 2]), 3, "my_loss", "label", "")
        >>> try:
        ...     check_indices(np.array([0, 3]), 3, "my_loss", "label", "")
        ... except ValueError as e:
        ...     print(e)
        In my_loss, label 3 at index [1] is out of range: valid values are 0 to 2 (inclusive).
    """
    if isinstance(values, jax.core.Tracer):
        if not get_flag("index_checks"):
            return

        def host_check(array: Any) -> None:
            found = _first_bad(np.asarray(array), size)
            if found is not None:
                raise ValueError(_message(owner, what, size, found, fix))

        jax.debug.callback(host_check, values)
        return
    found = _first_bad(np.asarray(values), size)
    if found is not None:
        raise ValueError(_message(owner, what, size, found, fix).rstrip())

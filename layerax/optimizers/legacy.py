"""`lx.optimizers.legacy`: Keras 2's optimizers, which Keras 3 (and layerax) do not have.

The names exist so that code importing them gets Keras 3's explanation when it
uses them, not an AttributeError.
"""

from __future__ import annotations

from typing import Any, NoReturn

_MESSAGE = (
    "`keras.optimizers.legacy` is not supported in Keras 3 nor in layerax. Use the optimizer "
    "of the same name in `lx.optimizers` (e.g. lx.optimizers.Adam) instead."
)


class _Legacy:
    def __init__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImportError(_MESSAGE)


class Optimizer(_Legacy):
    """Keras 2's optimizer base class: raises ImportError, as in Keras 3.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.Optimizer()
        ... except ImportError as err:
        ...     print("lx.optimizers.Adam" in str(err))
        True
    """


class Adagrad(_Legacy):
    """Keras 2's Adagrad: raises ImportError; use `lx.optimizers.Adagrad`.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.Adagrad()
        ... except ImportError as err:
        ...     print("not supported" in str(err))
        True
    """


class Adam(_Legacy):
    """Keras 2's Adam: raises ImportError; use `lx.optimizers.Adam`.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.Adam(0.1)
        ... except ImportError as err:
        ...     print("not supported" in str(err))
        True
    """


class Ftrl(_Legacy):
    """Keras 2's Ftrl: raises ImportError; use `lx.optimizers.Ftrl`.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.Ftrl()
        ... except ImportError as err:
        ...     print("not supported" in str(err))
        True
    """


class RMSprop(_Legacy):
    """Keras 2's RMSprop: raises ImportError; use `lx.optimizers.RMSprop`.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.RMSprop()
        ... except ImportError as err:
        ...     print("not supported" in str(err))
        True
    """


class SGD(_Legacy):
    """Keras 2's SGD: raises ImportError; use `lx.optimizers.SGD`.

    Example:
        >>> import layerax as lx
        >>> try:
        ...     lx.optimizers.legacy.SGD()
        ... except ImportError as err:
        ...     print("not supported" in str(err))
        True
    """


__all__ = ["SGD", "Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop"]

"""Global settings under Keras 3's names: floatx, epsilon, image data format.

The values live in `CTX.process` (layerax/core/context.py), where the kernel reads them.
"""

from __future__ import annotations

from layerax.core.context import CTX

_FLOATX_CHOICES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


def floatx() -> str:
    """The default float dtype of new variables and computations (`"float32"`).

    Example:
        >>> import layerax as lx
        >>> lx.config.floatx()
        'float32'
    """
    return CTX.process.floatx


def set_floatx(value: str) -> None:
    """Sets the default float dtype (one of bfloat16, float16, float32, float64).

    Example:
        >>> import layerax as lx
        >>> lx.config.set_floatx("float16"); lx.config.floatx()
        'float16'
        >>> lx.config.set_floatx("float32")
    """
    value = str(value)
    if value not in _FLOATX_CHOICES:
        raise ValueError(f"Unknown floatx: {value!r}. Expected one of {list(_FLOATX_CHOICES)}.")
    CTX.process.floatx = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (`1e-7`).

    Example:
        >>> import layerax as lx
        >>> lx.config.epsilon()
        1e-07
    """
    return CTX.process.epsilon


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor used in numeric expressions.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_epsilon(1e-5); lx.config.epsilon()
        1e-05
        >>> lx.config.set_epsilon(1e-7)
    """
    CTX.process.epsilon = float(value)


def image_data_format() -> str:
    """The default `data_format` of image layers: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx
        >>> lx.config.image_data_format()
        'channels_last'
    """
    return CTX.process.image_data_format


def set_image_data_format(data_format: str) -> None:
    """Sets the default `data_format` of every layer that takes one.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_image_data_format("channels_first")
        >>> lx.config.image_data_format()
        'channels_first'
        >>> lx.config.set_image_data_format("channels_last")
    """
    data_format = str(data_format).lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"Unknown data_format: {data_format!r}. Expected one of {list(_DATA_FORMATS)}."
        )
    CTX.process.image_data_format = data_format


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Makes every `lx.function` run its Python body eagerly (for debugging), as in TF.

    Example:
        >>> import layerax as lx
        >>> lx.config.run_functions_eagerly(True)
        >>> lx.config.functions_run_eagerly()
        True
        >>> lx.config.run_functions_eagerly(False)
    """
    CTX.process.run_eagerly = bool(run_eagerly)


def functions_run_eagerly() -> bool:
    """Whether `run_functions_eagerly(True)` is in force.

    Example:
        >>> import layerax as lx
        >>> lx.config.functions_run_eagerly()
        False
    """
    return CTX.process.run_eagerly


def standardize_data_format(data_format: str | None) -> str:
    """Returns `data_format`, or the global default when it is None; validates it."""
    if data_format is None:
        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {list(_DATA_FORMATS)}. "
            f"Received: data_format={data_format!r}"
        )
    return data_format


__all__ = [
    "epsilon",
    "floatx",
    "functions_run_eagerly",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "run_functions_eagerly",
    "set_image_data_format",
]

from layerax.core.dtype_policy import dtype_policy as dtype_policy  # noqa: E402
from layerax.core.dtype_policy import set_dtype_policy as set_dtype_policy  # noqa: E402

__all__ += ["dtype_policy", "set_dtype_policy"]

from layerax import runtime_config as _runtime_config  # noqa: E402
from layerax.runtime_config import *  # noqa: E402,F403

__all__ += _runtime_config.__all__

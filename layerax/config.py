"""Global settings under Keras 3's names: floatx, epsilon, image data format."""

from __future__ import annotations

_SETTINGS = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}

_FLOATX_CHOICES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


def floatx() -> str:
    """The default float dtype of new variables and computations (`"float32"`).

    Example:
        >>> import layerax as lx
        >>> lx.config.floatx()
        'float32'
    """
    return _SETTINGS["floatx"]


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
    _SETTINGS["floatx"] = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (`1e-7`).

    Example:
        >>> import layerax as lx
        >>> lx.config.epsilon()
        1e-07
    """
    return _SETTINGS["epsilon"]


def set_epsilon(value: float) -> None:
    """Sets the fuzz factor used in numeric expressions.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_epsilon(1e-5); lx.config.epsilon()
        1e-05
        >>> lx.config.set_epsilon(1e-7)
    """
    _SETTINGS["epsilon"] = float(value)


def image_data_format() -> str:
    """The default `data_format` of image layers: `"channels_last"` or `"channels_first"`.

    Example:
        >>> import layerax as lx
        >>> lx.config.image_data_format()
        'channels_last'
    """
    return _SETTINGS["image_data_format"]


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
    _SETTINGS["image_data_format"] = data_format


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
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]

from layerax.dtype_policies import dtype_policy as dtype_policy  # noqa: E402
from layerax.dtype_policies import set_dtype_policy as set_dtype_policy  # noqa: E402
from layerax.function import functions_run_eagerly as functions_run_eagerly  # noqa: E402
from layerax.function import run_functions_eagerly as run_functions_eagerly  # noqa: E402

__all__ += ["dtype_policy", "functions_run_eagerly", "run_functions_eagerly", "set_dtype_policy"]

from layerax import runtime_config as _runtime_config  # noqa: E402
from layerax.runtime_config import *  # noqa: E402,F403

__all__ += _runtime_config.__all__

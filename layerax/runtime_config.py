"""Keras 3's runtime switches (`lx.config.*`): interactive logging, traceback filtering,
flash attention and the debugging caps on epochs and steps per epoch."""

from __future__ import annotations

from layerax.core import serialization as _serialization
from layerax.core.flags import get_flag, set_flag


def enable_interactive_logging() -> None:
    """Progress bars and epoch lines go to stdout (the default).

    Example:
        >>> import layerax as lx
        >>> lx.config.enable_interactive_logging(); lx.config.is_interactive_logging_enabled()
        True
    """
    set_flag("interactive_logging", True)


def disable_interactive_logging() -> None:
    """Progress bars and epoch lines go to Python's `logging` (logger `"layerax"`, level INFO)
    instead of stdout, e.g. for batch jobs whose stdout is not a terminal.

    Example:
        >>> import layerax as lx
        >>> lx.config.disable_interactive_logging(); lx.config.is_interactive_logging_enabled()
        False
        >>> lx.config.enable_interactive_logging()
    """
    set_flag("interactive_logging", False)


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to stdout (True) or to `logging` (False).

    Example:
        >>> import layerax as lx
        >>> lx.config.is_interactive_logging_enabled()
        True
    """
    return bool(get_flag("interactive_logging"))


def enable_traceback_filtering() -> None:
    """Turns traceback filtering on (the default; the flag is kept for Keras compatibility,
    layerax's errors are raised from the user's frame already).

    Example:
        >>> import layerax as lx
        >>> lx.config.enable_traceback_filtering(); lx.config.is_traceback_filtering_enabled()
        True
    """
    set_flag("traceback_filtering", True)


def disable_traceback_filtering() -> None:
    """Turns traceback filtering off.

    Example:
        >>> import layerax as lx
        >>> lx.config.disable_traceback_filtering(); lx.config.is_traceback_filtering_enabled()
        False
        >>> lx.config.enable_traceback_filtering()
    """
    set_flag("traceback_filtering", False)


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on.

    Example:
        >>> import layerax as lx
        >>> lx.config.is_traceback_filtering_enabled()
        True
    """
    return bool(get_flag("traceback_filtering"))


def enable_flash_attention() -> None:
    """Lets attention layers use a fused (flash) kernel where one is supported (the default).

    As in Keras, the flag then reads `None` ("use it when possible"), not True.

    Example:
        >>> import layerax as lx
        >>> lx.config.enable_flash_attention(); print(lx.config.is_flash_attention_enabled())
        None
    """
    set_flag("flash_attention", None)


def disable_flash_attention() -> None:
    """Stops attention layers from using a fused (flash) kernel.

    Example:
        >>> import layerax as lx
        >>> lx.config.disable_flash_attention(); lx.config.is_flash_attention_enabled()
        False
        >>> lx.config.enable_flash_attention()
    """
    set_flag("flash_attention", False)


def is_flash_attention_enabled() -> bool | None:
    """`False` when disabled, else `None` (enabled where supported), as in Keras.

    Example:
        >>> import layerax as lx
        >>> print(lx.config.is_flash_attention_enabled())
        None
    """
    return get_flag("flash_attention")  # type: ignore[return-value]


def enable_index_checks() -> None:
    """Checks class labels and Embedding ids inside compiled steps too (a debugging aid).

    Eagerly, an out-of-range or negative label of a sparse categorical loss, or id of an
    `Embedding`, always raises a `ValueError`. Inside `fit` or an `lx.function` the arrays
    are traced; with this switch on, steps traced afterwards check them on the host and
    raise the same message (in a `JaxRuntimeError`). It is read when a step is traced:
    turn it on before the first `fit`. Off (the default), compiled steps carry no check.

    Example:
        >>> import layerax as lx
        >>> lx.config.enable_index_checks(); lx.config.is_index_checks_enabled()
        True
        >>> lx.config.disable_index_checks()
    """
    set_flag("index_checks", True)


def disable_index_checks() -> None:
    """Turns the compiled-step checks of `enable_index_checks` off (the default).

    Example:
        >>> import layerax as lx
        >>> lx.config.disable_index_checks(); lx.config.is_index_checks_enabled()
        False
    """
    set_flag("index_checks", False)


def is_index_checks_enabled() -> bool:
    """Whether compiled steps check labels and Embedding ids (see `enable_index_checks`).

    Example:
        >>> import layerax as lx
        >>> lx.config.is_index_checks_enabled()
        False
    """
    return bool(get_flag("index_checks"))


def _check_limit(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive integer or None (no limit). Received: {name}={value!r}"
        )
    return value


def set_max_epochs(max_epochs: int | None) -> None:
    """Caps the number of epochs of every `fit` (a debugging aid; None removes the cap).

    Also set by the `KERAS_MAX_EPOCHS` environment variable.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_max_epochs(2); lx.config.max_epochs()
        2
        >>> lx.config.set_max_epochs(None)
    """
    set_flag("max_epochs", _check_limit("max_epochs", max_epochs))


def max_epochs() -> int | None:
    """The cap on epochs set by `set_max_epochs` (None: no cap).

    Example:
        >>> import layerax as lx
        >>> print(lx.config.max_epochs())
        None
    """
    return get_flag("max_epochs")  # type: ignore[return-value]


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Caps the number of steps of every epoch of `fit` (a debugging aid; None removes it).

    Also set by the `KERAS_MAX_STEPS_PER_EPOCH` environment variable.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_max_steps_per_epoch(3); lx.config.max_steps_per_epoch()
        3
        >>> lx.config.set_max_steps_per_epoch(None)
    """
    set_flag("max_steps_per_epoch", _check_limit("max_steps_per_epoch", max_steps_per_epoch))


def max_steps_per_epoch() -> int | None:
    """The cap on steps per epoch set by `set_max_steps_per_epoch` (None: no cap).

    Example:
        >>> import layerax as lx
        >>> print(lx.config.max_steps_per_epoch())
        None
    """
    return get_flag("max_steps_per_epoch")  # type: ignore[return-value]



def backend() -> str:
    """The backend's name: always `"jax"` (layerax runs on JAX only).

    Example:
        >>> import layerax as lx
        >>> lx.config.backend()
        'jax'
    """
    return "jax"


_KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")


def set_backend(backend: str) -> None:
    """Keras' backend switch: `"jax"` is accepted (nothing to reload); other backends raise.

    Raises:
        ValueError: for any backend but `"jax"`, naming what is available.

    Example:
        >>> import layerax as lx
        >>> lx.config.set_backend("jax")
        >>> lx.config.backend()
        'jax'
    """
    if backend == "jax":
        return
    if backend in _KERAS_BACKENDS:
        raise ValueError(
            f"layerax runs on JAX only, so it cannot switch to backend={backend!r}. Use "
            "set_backend('jax') (a no-op), or Keras itself for the other backends."
        )
    raise ValueError(
        f"Available backends are {_KERAS_BACKENDS}, and layerax runs on 'jax'. "
        f"Received: backend={backend!r}"
    )


def is_nnx_enabled() -> bool:
    """Whether Keras' Flax NNX integration is on: always False here.

    layerax layers are their own pytrees; Flax NNX modules are used through
    `lx.layers.FlaxLayer` instead.

    Example:
        >>> import layerax as lx
        >>> lx.config.is_nnx_enabled()
        False
    """
    return False


def enable_unsafe_deserialization() -> None:
    """Disables safe mode for the whole process, allowing `Lambda` layers' code to load.

    As in Keras it wins over a call's `safe_mode=True`; only do this for files
    you trust.

    Example:
        >>> import layerax as lx
        >>> lx.config.enable_unsafe_deserialization  # doctest: +ELLIPSIS
        <function enable_unsafe_deserialization at ...>
    """
    _serialization.enable_unsafe_deserialization()

__all__ = [
    "backend",
    "enable_unsafe_deserialization",
    "is_nnx_enabled",
    "set_backend",
    "disable_flash_attention",
    "disable_index_checks",
    "disable_interactive_logging",
    "disable_traceback_filtering",
    "enable_flash_attention",
    "enable_index_checks",
    "enable_interactive_logging",
    "enable_traceback_filtering",
    "is_flash_attention_enabled",
    "is_index_checks_enabled",
    "is_interactive_logging_enabled",
    "is_traceback_filtering_enabled",
    "max_epochs",
    "max_steps_per_epoch",
    "set_max_epochs",
    "set_max_steps_per_epoch",
]

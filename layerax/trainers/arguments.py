"""Up-front checks of the data and loop arguments of fit/evaluate/predict (issue 24, item 13).

Each check runs before any work is done and names the argument, the value received and
what is valid, instead of a silent default (`batch_size=0` meaning 32), a truncation
(`batch_size=8.5`), nothing trained (`epochs=-1`) or an error after a full epoch
(`validation_freq=0`).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from layerax.trainers import callback_hooks

_VERBOSE = ("auto", 0, 1, 2)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_positive_int(method: str, name: str, value: Any, allow_none: bool = True) -> None:
    """Raises unless `value` is an integer >= 1 (or None where `allow_none`)."""
    if value is None and allow_none:
        return
    if not _is_int(value) or value < 1:
        none = " or None" if allow_none else ""
        raise ValueError(
            f"In {method}(), `{name}` must be a positive integer{none}. Received: {name}={value!r}"
            + (f" of type {type(value).__name__}" if not _is_int(value) else "")
        )


def check_non_negative_int(method: str, name: str, value: Any) -> None:
    """Raises unless `value` is an integer >= 0."""
    if not _is_int(value) or value < 0:
        raise ValueError(
            f"In {method}(), `{name}` must be an integer >= 0. Received: {name}={value!r}"
        )


def check_verbose(method: str, verbose: Any) -> None:
    """Raises unless `verbose` is "auto", 0, 1 or 2 (booleans count as 0/1, as in Keras)."""
    if isinstance(verbose, bool) or verbose in _VERBOSE and (verbose == "auto" or _is_int(verbose)):
        return
    raise ValueError(
        f"In {method}(), `verbose` must be one of \"auto\", 0 (silent), 1 (progress bar) or "
        f"2 (one line per epoch). Received: verbose={verbose!r}"
    )


def check_callbacks(method: str, callbacks: Any) -> None:
    """Raises unless `callbacks` is None, a Callback or a list/tuple of Callbacks."""
    base = callback_hooks.callback_type()
    if callbacks is None or isinstance(callbacks, base):
        return
    if isinstance(callbacks, (list, tuple)):
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, base):
                raise TypeError(
                    f"In {method}(), `callbacks` must be a list of lx.callbacks.Callback instances. "
                    f"Received: callbacks[{i}]={cb!r} of type {type(cb).__name__}."
                )
        return
    raise TypeError(
        f"In {method}(), `callbacks` must be a list of lx.callbacks.Callback instances (or None). "
        f"Received: callbacks={callbacks!r} of type {type(callbacks).__name__}."
    )


def _first_leaf(x: Any) -> Any:
    while isinstance(x, (list, tuple)) and x:
        x = x[0]
    while isinstance(x, dict) and x:
        x = next(iter(x.values()))
    return x


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, dict):
        return [leaf for v in x.values() for leaf in _leaves(v)]
    if isinstance(x, (list, tuple)):
        return [leaf for v in x for leaf in _leaves(v)]
    return [x]


def check_numeric(method: str, name: str, x: Any) -> None:
    """Raises for string or object arrays (or lists of strings), which no compiled step takes.

    Example:
        >>> import numpy as np
        >>> from layerax.trainers.arguments import check_numeric
        >>> check_numeric("fit", "y", np.array([0, 1]))
        >>> try:
        ...     check_numeric("fit", "y", np.array(["cat", "dog"]))
        ... except TypeError as e:
        ...     print(str(e)[:60])
        In fit(), `y` holds strings (dtype <U3, e.g. 'cat'): the com
    """
    for leaf in _leaves(x):
        if isinstance(leaf, str) or (
            isinstance(leaf, np.ndarray) and leaf.size and (
                leaf.dtype.kind in "US" or (leaf.dtype.kind == "O" and isinstance(leaf.flat[0], str))
            )
        ):
            array = np.asarray(leaf)
            example = str(array.reshape(-1)[0]) if array.size else leaf
            raise TypeError(
                f"In {method}(), `{name}` holds strings (dtype {array.dtype}, e.g. {example!r}): the "
                "compiled training step takes numbers only. Map the labels to integer class ids "
                "first, e.g. `classes, ids = np.unique(labels, return_inverse=True)`, and pass the ids."
            )


def check_data(method: str, name: str, x: Any) -> None:
    """Raises for data that no adapter takes: strings, lists of Python numbers, empty arrays."""
    if x is None:
        return
    if isinstance(x, (str, bytes)):
        raise TypeError(
            f"In {method}(), `{name}` must be arrays (numpy or JAX, or a list/dict of them), a "
            f"generator or a PyDataset. Received: {name}={x!r} of type {type(x).__name__}."
        )
    if isinstance(x, (list, tuple)) and x and all(
        isinstance(e, numbers.Number) and not isinstance(e, bool) for e in x
    ):
        raise ValueError(
            f"In {method}(), `{name}` is a list of {len(x)} Python numbers; a list means one "
            f"array per model input. Pass an array instead: {name}=np.asarray({name}) "
            "(one sample per row)."
        )
    if name in ("y", "sample_weight"):
        check_numeric(method, name, x)
    leaf = _first_leaf(x)
    if hasattr(leaf, "shape") and hasattr(leaf, "dtype") and np.ndim(leaf) > 0 and np.shape(leaf)[0] == 0:
        raise ValueError(
            f"In {method}(), `{name}` has no samples: received an array of shape "
            f"{tuple(np.shape(leaf))}. Pass at least one sample."
        )


def _is_weight(value: Any) -> bool:
    return value is None or (isinstance(value, numbers.Real) and not isinstance(value, bool))


def check_loss_weights(loss_weights: Any, output_names: list[str] | None) -> None:
    """Raises unless `loss_weights` is None, a number, or a list/dict of numbers, one per output.

    `output_names` are the model's outputs where known at `compile` (Functional, Sequential),
    else None (a subclassed model: the length is checked at the first step).
    """
    if _is_weight(loss_weights):
        return
    if isinstance(loss_weights, dict):
        entries = list(loss_weights.items())
    elif isinstance(loss_weights, (list, tuple)):
        entries = list(enumerate(loss_weights))
    else:
        raise TypeError(
            "In compile(), `loss_weights` must be a number, a list of numbers (one per output) "
            f"or a dict {{output_name: number}}. Received: loss_weights={loss_weights!r}"
        )
    for key, value in entries:
        if not _is_weight(value):
            raise TypeError(
                f"In compile(), `loss_weights[{key!r}]` must be a number. Received: {value!r} of "
                f"type {type(value).__name__}."
            )
    if isinstance(loss_weights, (list, tuple)) and output_names is not None:
        check_loss_weights_length(loss_weights, output_names)


def check_loss_weights_length(loss_weights: Any, output_names: list[str]) -> None:
    """Raises when a list of `loss_weights` does not have one entry per output."""
    if len(loss_weights) != len(output_names):
        raise ValueError(
            f"In compile(), `loss_weights` has {len(loss_weights)} entries but the model has "
            f"{len(output_names)} output(s) ({list(output_names)}). Pass one weight per output, "
            "or a single number."
        )


def check_loop_arguments(method: str, **arguments: Any) -> None:
    """Checks the arguments of `fit`/`evaluate`/`predict` that were passed, by name.

    Example:
        >>> from layerax.trainers.arguments import check_loop_arguments
        >>> check_loop_arguments("fit", batch_size=8, epochs=2)
        >>> try:
        ...     check_loop_arguments("fit", batch_size=0)
        ... except ValueError as e:
        ...     print(e)
        In fit(), `batch_size` must be a positive integer or None. Received: batch_size=0
    """
    for name, value in arguments.items():
        if name in ("batch_size", "validation_batch_size", "steps_per_epoch", "validation_steps", "steps"):
            check_positive_int(method, name, value)
        elif name == "validation_freq":
            check_positive_int(method, name, value, allow_none=False)
        elif name in ("epochs", "initial_epoch"):
            check_non_negative_int(method, name, value)
        elif name == "verbose":
            check_verbose(method, value)
        elif name == "callbacks":
            check_callbacks(method, value)
        elif name in ("x", "y", "sample_weight"):
            check_data(method, name, value)
        else:  # pragma: no cover - a caller's typo
            raise KeyError(name)


def declared_output_names(model: Any) -> list[str] | None:
    """The output names of a Functional or built Sequential model (None: not known yet).

    A model kind without `output_names` may say them through `_lx_declared_output_names()`
    (Sequential does, once its input shape is known)."""
    names = getattr(model, "output_names", None)
    if names:
        return list(names)
    declared = getattr(model, "_lx_declared_output_names", None)
    return declared() if declared is not None else None


def resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    return int(verbose)


def debug_caps(epochs: int, steps_per_epoch: int | None) -> tuple[int, int | None]:
    """Applies `lx.config.set_max_epochs` / `set_max_steps_per_epoch`, warning like Keras."""
    from layerax.core.flags import get_flag

    max_epochs = get_flag("max_epochs")
    if max_epochs and max_epochs < epochs:
        warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=3)
        epochs = max_epochs  # type: ignore[assignment]
    max_steps = get_flag("max_steps_per_epoch")
    if max_steps and (not steps_per_epoch or max_steps < steps_per_epoch):
        warnings.warn(f"Limiting steps_per_epoch to {max_steps}", stacklevel=3)
        steps_per_epoch = max_steps  # type: ignore[assignment]
    return epochs, steps_per_epoch


def fit_seed() -> int:
    from layerax.core.random import make_default_seed

    return make_default_seed()


def is_plain_config(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, (list, tuple)):
        return all(is_plain_config(v) for v in value)
    if isinstance(value, dict):
        return all(is_plain_config(v) for v in value.values())
    return False

"""Keras backend helpers (`lx.backend`), for code written against `keras.backend`.

`int_shape`, the global settings (`floatx`, `epsilon`, `image_data_format`),
`clear_session`, `gradients` and `learning_phase`. In layerax the learning
phase is the `training` argument of `Layer.__call__` (propagated to nested
layers); `learning_phase()` reports the value in force inside a call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np

from layerax.backend_dtypes import is_float_dtype as is_float_dtype
from layerax.backend_dtypes import is_int_dtype as is_int_dtype
from layerax.backend_dtypes import result_type as result_type
from layerax.backend_dtypes import standardize_dtype as standardize_dtype
from layerax.config import epsilon as epsilon
from layerax.config import floatx as floatx
from layerax.config import image_data_format as image_data_format
from layerax.config import set_epsilon as set_epsilon
from layerax.config import set_floatx as set_floatx
from layerax.config import set_image_data_format as set_image_data_format
from layerax.core.context import CTX
from layerax.core.state import StateScope


def int_shape(x: Any) -> tuple[int | None, ...]:
    """The static shape of an array, variable or symbolic tensor, as a tuple of ints/None.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.backend.int_shape(jnp.zeros((2, 3)))
        (2, 3)
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        shape = np.shape(x)
    return tuple(None if d is None else int(d) for d in shape)


def clear_session(free_memory: bool = True) -> None:
    """Resets layerax's global state: layer name counters, the global seed generator, the
    global dtype policy and the call context; with `free_memory`, JAX's compilation caches.

    Example:
        >>> import layerax as lx
        >>> _ = lx.layers.Dense(1); lx.backend.clear_session()
        >>> lx.layers.Dense(1).name
        'dense'
    """
    from layerax import dtype_policies
    from layerax.core import naming

    naming.reset_uids()
    CTX.process.seed_generator = None
    dtype_policies.set_dtype_policy(None)
    CTX.call_training = None
    CTX.call_depth = 0
    CTX.name_scope.clear()
    if free_memory:
        jax.clear_caches()


def get_uid(prefix: str = "") -> int:
    """A counter per `prefix`: 1 on the first call, then 2, 3, ... (shared with automatic
    layer names, and reset by `clear_session`).

    Example:
        >>> import layerax as lx
        >>> lx.backend.get_uid("my_block"), lx.backend.get_uid("my_block")
        (1, 2)
    """
    from layerax.core import naming

    naming._UIDS[prefix] += 1
    return naming._UIDS[prefix]


def is_keras_tensor(x: Any) -> bool:
    """Whether `x` is a symbolic tensor (`lx.KerasTensor`, e.g. the output of `lx.Input`),
    as opposed to a concrete array.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.backend.is_keras_tensor(lx.Input((3,))), lx.backend.is_keras_tensor(np.ones(3))
        (True, False)
    """
    from layerax.models.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def learning_phase() -> int:
    """1 inside a call made with `training=True`, else 0 (Keras 2's learning phase).

    Example:
        >>> import layerax as lx
        >>> lx.backend.learning_phase()
        0
    """
    return 1 if CTX.call_training else 0


def gradients(loss: Callable[[], Any], variables: Sequence[Any]) -> list[Any]:
    """Gradients of a zero-argument loss function with respect to `variables`.

    The old `K.gradients(loss, variables)` took a symbolic loss; on JAX the loss
    is a function, evaluated with the variables bound to traced values (for a
    loss computed imperatively, use `lx.GradientTape`).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0, 2.0]))
        >>> [g.tolist() for g in lx.backend.gradients(lambda: jnp.sum(w * w), [w])]
        [[2.0, 4.0]]
    """
    if not callable(loss):
        raise TypeError(
            "lx.backend.gradients expects a zero-argument function computing the loss (JAX "
            "differentiates functions). Wrap the computation: `gradients(lambda: loss_fn(), "
            "variables)`, or record it with `lx.GradientTape`."
        )
    variables = list(variables)

    def bound(values: list[Any]) -> Any:
        with StateScope(variables, values):
            return loss()

    return jax.grad(bound)([v.value for v in variables])


def function(inputs: Any, outputs: Any) -> Callable[..., Any]:
    """A compiled callable from input arrays to the listed (intermediate) outputs of a model.

    The old way to read an inner layer's activations:
    `lx.backend.function([model.input], [model.get_layer("hidden").output])`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> inp = lx.Input((3,))
        >>> hidden = lx.layers.Dense(4, name="hidden")(inp)
        >>> out = lx.layers.Dense(1)(hidden)
        >>> get_hidden = lx.backend.function([inp], [hidden])
        >>> [a.shape for a in get_hidden([jnp.ones((2, 3))])]
        [(2, 4)]
    """
    from layerax.function import function as compile_function
    from layerax.models.model import Model

    single_input = not isinstance(inputs, (list, tuple))
    single_output = not isinstance(outputs, (list, tuple))
    sub_model = Model(inputs, outputs)
    compiled = compile_function(lambda xs: sub_model(xs, training=False))

    def run(values: Any) -> Any:
        if not single_input and not isinstance(values, (list, tuple)):
            raise TypeError(
                f"This function takes a list of {len(inputs)} input arrays; received "
                f"{type(values).__name__}."
            )
        xs = values if single_input else list(values)
        out = compiled(xs)
        if single_output:
            return np.asarray(out)
        return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]

    return run


from layerax.runtime_config import backend as backend  # noqa: E402

__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "function",
    "get_uid",
    "gradients",
    "image_data_format",
    "int_shape",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "learning_phase",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]

"""The TensorFlow SavedModel export (`format="tf_saved_model"`), through `jax2tf`.

Each endpoint becomes a `tf.function` of a `tf.Module` whose weights are
`tf.Variable`s; the JAX program is embedded as StableHLO (`jax2tf` native
serialization), so TF Serving and `tf.saved_model.load` can run it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from layerax.export import jax_format

__all__ = ["write_saved_model"]


def _tensorflow() -> Any:
    try:
        import tensorflow as tf
    except ImportError:
        raise ImportError(
            "format='tf_saved_model' needs TensorFlow: `pip install tensorflow`. Without it, "
            "export with format='jax' (StableHLO programs that run with jax alone)."
        ) from None
    return tf


def write_saved_model(filepath: str | os.PathLike[str],
                      endpoints: dict[str, tuple[Callable[..., Any], Any]],
                      variables: Sequence[Any], options: Any = None) -> None:
    """Writes `endpoints` (pure `fn(values, *inputs)`) as a SavedModel at `filepath`."""
    tf = _tensorflow()
    from jax.experimental import jax2tf

    module = tf.Module()
    module.variables_list = [tf.Variable(np.asarray(v.value), trainable=False) for v in variables]
    for name, (fn, signature) in endpoints.items():
        tf_specs = [tf.TensorSpec(jax_format._spec_shape(s), jax_format._spec_dtype(s))
                    for s in signature]
        polymorphic = [None] + ["(" + ", ".join(
            ("b" if i == 0 else f"d{i}") if d is None else str(d)
            for i, d in enumerate(jax_format._spec_shape(s))) + ")" for s in signature]
        converted = jax2tf.convert(fn, polymorphic_shapes=polymorphic, with_gradient=False)

        def endpoint(*inputs: Any, _converted: Any = converted) -> Any:
            return _converted(list(module.variables_list), *inputs)

        setattr(module, name, tf.function(endpoint, input_signature=tf_specs, autograph=False))
    signatures = {"serving_default": getattr(module, next(iter(endpoints)))}
    tf.saved_model.save(module, os.fspath(filepath), signatures=signatures, options=options)

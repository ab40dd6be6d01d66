"""`compare_with_keras`: one layerax layer against its Keras 3 twin, built from the same config.

Beyond `keras_parity` (outputs and input gradients with Keras' weights) it
gives the Keras layer random weights first (so that ones/zeros initial values
cannot hide a mistake), and checks weight names, output shapes (also with a
None batch) and the plain-valued entries of `get_config()`.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

import layerax as lx
from tests.helpers import keras
from tests.layers.harness import keras_parity


def randomize_weights(keras_layer: Any, seed: int = 0, positive: tuple[str, ...] = ()) -> None:
    """Random weights for a built Keras layer; names in `positive` get values in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    values = []
    for w in keras_layer.weights:
        shape = tuple(w.shape)
        if w.name in positive:
            values.append(rng.uniform(0.5, 1.5, size=shape).astype("float32"))
        else:
            values.append(rng.normal(size=shape).astype("float32"))
    keras_layer.set_weights(values)


def cheap_initializers(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """`config` with every random-by-default initializer of `cls` set to "zeros".

    Random initializers compile one XLA program per weight shape (slow on a
    loaded CPU); the compared weights are overwritten anyway, and both layers
    get the same config, so parity is unaffected.
    """
    config = dict(config)
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name.endswith("_initializer") and param.default == "glorot_uniform":
            config.setdefault(name, "zeros")
    return config


def compare_with_keras(
    name: str,
    config: dict[str, Any],
    inputs: Any,
    *,
    call_kwargs: dict[str, Any] | None = None,
    positive: tuple[str, ...] = ("moving_variance", "moving_stddev", "renorm_stddev"),
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> tuple[lx.Layer, Any]:
    """Builds `lx.layers.<name>(**config)` and `keras.layers.<name>(**config)` and compares them."""
    k = keras()
    config = cheap_initializers(getattr(lx.layers, name), config)
    ours = getattr(lx.layers, name)(**config)
    theirs = getattr(k.layers, name)(**config)
    theirs(inputs)  # build (inference mode: no state update)
    randomize_weights(theirs, positive=positive)
    keras_parity(ours, theirs, inputs, call_kwargs=call_kwargs, rtol=rtol, atol=atol)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    none_batch = (None, *np.shape(inputs)[1:])
    assert tuple(ours.compute_output_shape(none_batch)) == tuple(
        theirs.compute_output_shape(none_batch)
    )
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config), set(ours_config) ^ set(theirs_config)
    for key, value in theirs_config.items():
        if key != "name" and not isinstance(value, dict):
            assert ours_config[key] == value, (key, ours_config[key], value)
    return ours, theirs

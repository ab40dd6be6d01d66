"""Optimizers (`lx.optimizers`): Keras names and arguments, optax math."""

from __future__ import annotations

from typing import Any

import optax

from layerax.core import serialization
from layerax.optimizers import legacy as legacy
from layerax.optimizers import schedules as schedules
from layerax.optimizers.base import Optimizer as Optimizer
from layerax.optimizers.builtin import SGD as SGD
from layerax.optimizers.builtin import Adadelta as Adadelta
from layerax.optimizers.builtin import Adafactor as Adafactor
from layerax.optimizers.builtin import Adagrad as Adagrad
from layerax.optimizers.builtin import Adam as Adam
from layerax.optimizers.builtin import Adamax as Adamax
from layerax.optimizers.builtin import AdamW as AdamW
from layerax.optimizers.builtin import Lion as Lion
from layerax.optimizers.builtin import Nadam as Nadam
from layerax.optimizers.builtin import RMSprop as RMSprop
from layerax.optimizers.extra import Ftrl as Ftrl
from layerax.optimizers.extra import Lamb as Lamb
from layerax.optimizers.extra import Muon as Muon
from layerax.optimizers.extra import ScheduleFreeAdamW as ScheduleFreeAdamW
from layerax.optimizers.loss_scale import LossScaleOptimizer as LossScaleOptimizer
from layerax.optimizers.multi import MultiOptimizer as MultiOptimizer
from layerax.optimizers.multi import OptimizerMap as OptimizerMap

def get(identifier: Any) -> Optimizer:
    """An optimizer from a name (`"adam"`), a config dict, an instance or an optax transformation.

    Example:
        >>> import layerax as lx, optax
        >>> type(lx.optimizers.get("adam")).__name__
        'Adam'
        >>> type(lx.optimizers.get(optax.sgd(0.1))).__name__
        'Optimizer'
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, optax.GradientTransformation):
        return Optimizer(identifier)
    found = serialization.resolve(
        identifier, "optimizer", "optimizers", accept=lambda x: isinstance(x, Optimizer)
    )
    if found is None:
        raise ValueError("Could not interpret optimizer identifier: None.")
    return found


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Config dict of an optimizer.

    Example:
        >>> import layerax as lx
        >>> lx.optimizers.serialize(lx.optimizers.SGD(0.5))["config"]["learning_rate"]
        0.5
    """
    return serialization.serialize(optimizer)


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> Optimizer:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> opt = lx.optimizers.deserialize({"class_name": "Adam", "config": {"learning_rate": 0.1}})
        >>> round(float(opt.learning_rate), 3)
        0.1
    """
    return serialization.deserialize(config, "optimizer", "optimizers", custom_objects=custom_objects)


__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "LossScaleOptimizer",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "legacy",
    "schedules",
    "serialize",
]

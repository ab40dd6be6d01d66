"""layerax: the Keras way of writing models, on JAX.

Layers are objects with `build`, `add_weight` and `call`; under the hood every
layer is a JAX pytree, so training steps run through `jax.grad` and `jax.jit`.
"""

from __future__ import annotations

from layerax import activations as activations
from layerax import applications as applications
from layerax import backend as backend
from layerax import config as config
from layerax import constraints as constraints
from layerax import datasets as datasets
from layerax import distillation as distillation
from layerax import distribution as distribution
from layerax import dtype_policies as dtype_policies
from layerax import initializers as initializers
from layerax import layers as layers
from layerax import losses as losses
from layerax import metrics as metrics
from layerax import mixed_precision as mixed_precision
from layerax import callbacks as callbacks
from layerax import models as models
from layerax import ops as ops
from layerax import optimizers as optimizers
from layerax import preprocessing as preprocessing
from layerax import random as random
from layerax import regularizers as regularizers
from layerax import saving as saving
from layerax import testing as testing
from layerax import tree as tree
from layerax import utils as utils
from layerax import visualization as visualization
from layerax import wrappers as wrappers
from layerax.core.layer import Layer as Layer
from layerax.remat import RematScope as RematScope
from layerax.remat import remat as remat
from layerax.core.variable import Variable as Variable
from layerax.function import Function as Function
from layerax.function import function as function
from layerax.function import jit as jit
from layerax.models.model import Model as Model
from layerax.tape import GradientTape as GradientTape
from layerax.tape import UnconnectedGradients as UnconnectedGradients
from layerax.models.sequential import Sequential as Sequential
from layerax.models.input_layer import Input as Input
from layerax.models.input_layer import InputLayer as InputLayer
from layerax.models.keras_tensor import KerasTensor as KerasTensor
from layerax.core.input_spec import InputSpec as InputSpec
from layerax.dtype_policies import DTypePolicy as DTypePolicy
from layerax.dtype_policies import FloatDTypePolicy as FloatDTypePolicy
from layerax.initializers import Initializer as Initializer
from layerax.losses import Loss as Loss
from layerax.metrics import Metric as Metric
from layerax.optimizers import Optimizer as Optimizer
from layerax.regularizers import Regularizer as Regularizer
from layerax.scopes import device as device
from layerax.models.operation import Operation as Operation
from layerax.stateless_scope import StatelessScope as StatelessScope
from layerax.core.symbolic_scope import SymbolicScope as SymbolicScope
from layerax import legacy as legacy
from layerax import export as export
from layerax.scopes import name_scope as name_scope
from layerax.scopes import version as version

from layerax._version import __version__ as __version__  # noqa: E402

__all__ = [
    "DTypePolicy",
    "FloatDTypePolicy",
    "Function",
    "GradientTape",
    "Initializer",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "Loss",
    "Metric",
    "Model",
    "Operation",
    "Optimizer",
    "Regularizer",
    "RematScope",
    "Sequential",
    "StatelessScope",
    "SymbolicScope",
    "UnconnectedGradients",
    "Variable",
    "activations",
    "applications",
    "backend",
    "config",
    "constraints",
    "datasets",
    "device",
    "distillation",
    "distribution",
    "dtype_policies",
    "export",
    "function",
    "initializers",
    "remat",
    "jit",
    "layers",
    "legacy",
    "losses",
    "metrics",
    "mixed_precision",
    "callbacks",
    "models",
    "name_scope",
    "ops",
    "optimizers",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "testing",
    "tree",
    "utils",
    "version",
    "visualization",
    "wrappers",
]

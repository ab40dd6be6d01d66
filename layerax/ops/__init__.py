"""`lx.ops`: Keras 3's operations namespace (`keras.ops`) on JAX.

Code written against `from keras import ops` runs with `from layerax import ops`: the same
names, signatures, defaults and dtype rules. The families live in submodules, as in Keras:
`ops.numpy`, `ops.core`, `ops.nn`, `ops.math`, `ops.linalg` and `ops.image`; their names are
also available directly as `ops.<name>`.

Example:
    >>> import numpy as np
    >>> from layerax import ops
    >>> ops.sum(ops.square(np.array([1.0, 2.0])))
    Array(5., dtype=float32)
"""

from __future__ import annotations

from layerax.ops import _sparse, _symbolic
from layerax.ops import core as core
from layerax.ops import einops as einops
from layerax.ops import image as image
from layerax.ops import linalg as linalg
from layerax.ops import math as math
from layerax.ops import nn as nn
from layerax.ops import numpy as numpy
# Ops that do not take sparse (BCOO) inputs say so instead of misreading them (see _sparse).
for _family in (core, einops, image, linalg, math, nn, numpy):
    _sparse.guard_family(_family)

from layerax.ops.core import *  # noqa: E402, F403
from layerax.ops.einops import *  # noqa: E402, F403
from layerax.ops.image import *  # noqa: E402, F403
from layerax.ops.linalg import *  # noqa: E402, F403
from layerax.ops.math import *  # noqa: E402, F403
from layerax.ops.nn import *  # noqa: E402, F403
from layerax.ops.numpy import *  # noqa: E402, F403

# Each op is wrapped once so that it also takes the functional API's symbolic tensors (see
# `_symbolic`); the families and this namespace share the wrappers.
_WRAPPERS: dict[int, object] = {}
for _family in (core, einops, image, linalg, math, nn, numpy):
    _symbolic.wrap_family(_family, _family.__name__.rsplit(".", 1)[-1], _WRAPPERS)
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
del _WRAPPERS, _family, _name

# No two families define the same name (tests/ops/test_names.py checks it).
_FAMILIES = (core, einops, image, linalg, math, nn, numpy)
__all__ = sorted(
    {*(op for family in _FAMILIES for op in family.__all__), "core", "image", "linalg", "math",
     "nn", "numpy"}
)

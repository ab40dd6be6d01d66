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

import importlib

from layerax.ops import core as core
from layerax.ops import numpy as numpy
from layerax.ops.core import *  # noqa: F403
from layerax.ops.numpy import *  # noqa: F403

# The nn, math, linalg and image families are written separately (branch ops-nn); until they
# are merged into a checkout, `lx.ops` goes without them. Any other import error propagates.
_OPTIONAL_FAMILIES = ("nn", "math", "linalg", "image")
_families = [core, numpy]
for _name in _OPTIONAL_FAMILIES:
    try:
        _module = importlib.import_module(f"layerax.ops.{_name}")
    except ModuleNotFoundError as _error:
        if _error.name != f"layerax.ops.{_name}":
            raise
        continue
    globals()[_name] = _module
    globals().update({_op: getattr(_module, _op) for _op in _module.__all__})
    _families.append(_module)

__all__ = sorted({*(_op for _family in _families for _op in _family.__all__),
                  *(_family.__name__.rsplit(".", 1)[1] for _family in _families)})

del importlib, _name, _families

"""`layerax.core` is a kernel: importing and using it loads no module above it.

The check runs in a fresh interpreter whose `layerax` package is a bare namespace (its
`__init__`, which imports the whole library, does not run), so any module of
`layerax` outside `core/` that the kernel imports, at import time or inside a function
it calls, shows up in `sys.modules`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import layerax

# Modules above core/ that importing core may still pull in (none: the stateful-type registry
# lives in core/state.py).
PENDING_UPWARD: set[str] = set()

_SCRIPT = r"""
import importlib, json, pkgutil, sys, types
root = sys.argv[1]
package = types.ModuleType("layerax")
package.__path__ = [root]
sys.modules["layerax"] = package
import layerax.core
names = sorted(m.name for m in pkgutil.walk_packages(layerax.core.__path__, "layerax.core."))
for name in names:
    importlib.import_module(name)

import jax, jax.numpy as jnp, numpy as np
from layerax.core.layer import Layer
from layerax.core.context import CTX
from layerax.core.state import StateScope


class Affine(Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), initializer=lambda s, d: jnp.ones(s, d))
        self.b = self.add_weight(shape=(2,), initializer=lambda s, d: jnp.zeros(s, d),
                                 trainable=False, dtype="int32")

    def call(self, x):
        return x @ self.w + self.b


layer = Affine(dtype="mixed_bfloat16")
y = layer(np.ones((3, 4), np.float32))
z = jax.jit(lambda lay, x: lay(x))(layer, jnp.ones((3, 4)))
try:
    layer.add_weight(shape=(1,), initializer="zeros")
    error = None
except ValueError as err:
    error = str(err)
print(json.dumps({
    "modules": sorted(m for m in sys.modules if m.startswith("layerax")),
    "submodules": names,
    "y": np.asarray(y, np.float32).tolist(),
    "z": np.asarray(z, np.float32).tolist(),
    "dtypes": [str(y.dtype), layer.w.value.dtype.name, layer.b.value.dtype.name],
    "floatx": CTX.process.floatx,
    "error": error,
}))
"""


def _run_kernel_alone() -> dict:
    root = str(Path(layerax.__file__).parent)
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, root], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_core_imports_nothing_above_it():
    found = _run_kernel_alone()
    assert "layerax.core.layer.base" in found["submodules"]
    above = {
        m for m in found["modules"] if m != "layerax" and not m.startswith("layerax.core")
    }
    assert above <= PENDING_UPWARD, (
        f"layerax.core imported modules outside core/: {sorted(above - PENDING_UPWARD)}"
    )
    # A layer made with the kernel alone works: callable initializers, mixed precision,
    # jax.jit over the layer.
    expected = np.full((3, 2), 4.0)
    np.testing.assert_allclose(found["y"], expected)
    np.testing.assert_allclose(found["z"], expected)
    assert found["dtypes"] == ["bfloat16", "float32", "int32"]
    assert found["floatx"] == "float32"
    # A string identifier needs its catalogue; the error says how to register it.
    assert "Could not interpret initializer identifier: 'zeros'" in found["error"]
    assert "import layerax" in found["error"]

"""Test configuration: Keras 3 (test-only oracle) runs on its JAX backend."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

import layerax as lx  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_names_and_seed():
    """Each test starts with fresh layer names and a fixed global seed."""
    import sys

    from layerax.core import naming

    naming.reset_uids()
    if "keras" in sys.modules:
        # Keras' automatic names (the oracle's) must not depend on earlier tests either.
        # No gc.collect() (free_memory): with the caches of a whole run it costs seconds per test.
        sys.modules["keras"].backend.clear_session(free_memory=False)
    lx.utils.set_random_seed(1234)
    # Process-wide dtype settings come back after each test, so no test sees another's.
    from layerax.core.context import CTX

    floatx, policy = CTX.process.floatx, CTX.process.dtype_policy
    yield
    CTX.process.floatx, CTX.process.dtype_policy = floatx, policy



def pytest_sessionstart(session):
    """Prints the versions this run tests first, even with -q (CI runs several versions)."""
    import sys

    import jax
    import jaxlib

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not hasattr(session.config, "workerinput"):
        reporter.write_line(
            f"layerax tests: Python {sys.version.split()[0]}, jax {jax.__version__}, "
            f"jaxlib {jaxlib.__version__}"
        )

"""Checks that run in a subprocess with 8 virtual CPU devices (see ../test_multidevice.py).

Files here are named `check_*.py` so that the main test session (one device) does not
collect them; the subprocess runs pytest with `-o python_files=check_*.py`.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _eight_devices_and_no_distribution_left():
    import jax

    import layerax as lx

    assert jax.device_count() == 8, (
        "These checks need XLA_FLAGS=--xla_force_host_platform_device_count=8 set before "
        "jax starts; run them through tests/distribution/test_multidevice.py."
    )
    yield
    lx.distribution.set_distribution(None)

"""Runs the checks in multidevice/ on 8 virtual CPU devices, in one subprocess.

`XLA_FLAGS=--xla_force_host_platform_device_count=8` only works before JAX
starts, and the rest of the suite runs on one device in this process, so the
checks run in a child pytest session; each check is reported here as a test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CHECKS = HERE / "multidevice"
ROOT = HERE.parent.parent


def _check_ids() -> list[str]:
    ids = []
    for path in sorted(CHECKS.glob("check_*.py")):
        for name in re.findall(r"^def (test_\w+)", path.read_text(), flags=re.MULTILINE):
            ids.append(f"{path.stem}::{name}")
    return ids


CHECK_IDS = _check_ids()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    xml = tmp_path_factory.mktemp("multidevice") / "report.xml"
    env = dict(os.environ)
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.pop("PYTEST_ADDOPTS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-o", "python_files=check_*.py", f"--junitxml={xml}", str(CHECKS)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if not xml.exists():
        pytest.fail(f"The 8-device session did not run:\n{proc.stdout}\n{proc.stderr}")
    results = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        # (An Element without children is falsy: compare with None, never use `or`.)
        problems = [case.find(tag) for tag in ("failure", "error", "skipped")]
        problem = next((p for p in problems if p is not None), None)
        results[f"{module}::{case.get('name')}"] = (
            None if problem is None else f"{problem.get('message')}\n{problem.text}"
        )
    return results, proc.stdout[-4000:]


def test_the_checks_were_found():
    assert len(CHECK_IDS) >= 10


@pytest.mark.parametrize("check", CHECK_IDS)
def test_on_eight_devices(report, check):
    results, output = report
    assert check in results, f"{check} did not run in the 8-device session:\n{output}"
    problem = results[check]
    assert problem is None, problem

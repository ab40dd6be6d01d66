"""The install path: `python -m build` makes a complete wheel and sdist, the wheel installs into
a fresh virtual environment, and every notebook's first cell, made from the one install
constant (`layerax._install`), installs that wheel when executed there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import layerax
from layerax._install import INSTALL_REQUIREMENT, install_cell

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "colab").glob("*.ipynb"))


def test_every_notebook_starts_with_the_install_cell() -> None:
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        first = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "".join(first["source"]) == install_cell(), (
            f"{path.name}: run `python -m colab.install_cell` to rewrite its first cell")
    assert f"%pip install -q {INSTALL_REQUIREMENT}" in install_cell()


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return out


def test_wheel_and_sdist_metadata_are_complete(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    assert wheel.name.startswith(f"layerax-{layerax.__version__}-py3")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
    assert "layerax/py.typed" in names and "layerax/__init__.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "colab/")) for n in names)
    assert meta["Version"] == layerax.__version__
    assert meta["Requires-Python"] == ">=3.11"
    requires = meta.get_all("Requires-Dist")
    for dep in ("jax>=", "jaxlib>=", "optax>=", "numpy>="):
        assert any(r.startswith(dep) and "extra" not in r for r in requires), dep
    classifiers = meta.get_all("Classifier")
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Typing :: Typed" in classifiers
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    # An SPDX expression (PEP 639), not the deprecated free-text `License` field.
    assert meta["License-Expression"] == "Apache-2.0" and meta["License"] is None
    assert not any(c.startswith("License ::") for c in classifiers)
    assert meta["Summary"] and "layerax" in meta.get_payload()
    with tarfile.open(sdist) as tf:
        members = tf.getnames()
    top = f"layerax-{layerax.__version__}"
    for needed in ("pyproject.toml", "README.md", "layerax/__init__.py", "layerax/py.typed"):
        assert f"{top}/{needed}" in members, needed


def _fresh_venv_with_dependencies(where: Path) -> Path:
    """A new venv that sees this environment's packages (jax, numpy, IPython, ...) but not
    layerax: a directory of links to every site-packages entry except layerax's, on a .pth."""
    subprocess.run([sys.executable, "-m", "venv", str(where / "venv")], check=True, timeout=300)
    python = where / "venv" / "bin" / "python"
    deps = where / "deps"
    deps.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if entry.name.lower().startswith(("layerax", "__editable__")) or entry.suffix == ".pth":
            continue
        (deps / entry.name).symlink_to(entry)
    venv_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
    Path(venv_site, "outer_dependencies.pth").write_text(str(deps) + "\n")
    return python


def test_notebook_install_cell_installs_the_wheel_in_a_fresh_venv(dist: Path, tmp_path: Path) -> None:
    python = _fresh_venv_with_dependencies(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(dist), PIP_DISABLE_PIP_VERSION_CHECK="1")
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('layerax'))"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert probe.stdout.strip() == "None", probe.stdout + probe.stderr
    # Execute the notebook cell (IPython magics included) in that venv, then use the install.
    script = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "import sys\n"
        "shell = InteractiveShell.instance()\n"
        f"result = shell.run_cell({install_cell()!r})\n"
        "sys.exit(0 if result.success else 1)\n"
    )
    run = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    check = subprocess.run(
        [str(python), "-c",
         "import layerax as lx, numpy as np, sys\n"
         "m = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])\n"
         "print(lx.__version__, lx.__file__.startswith(sys.prefix), m(np.ones((1, 3))).shape)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.split() == [layerax.__version__, "True", "(1,", "2)"]
    # A second run of the cell is a no-op.
    again = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=300)
    assert "nothing to install" in again.stdout

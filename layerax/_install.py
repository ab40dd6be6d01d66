"""Where layerax installs from, in one place: the notebooks' first cell is made from it.

`INSTALL_REQUIREMENT` is what `pip install` is given. It is the PyPI name;
until layerax is published there, point it at another source (a git URL
such as `"layerax @ git+https://github.com/<org>/layerax"`, or a wheel's
path) and run `python -m colab.install_cell` to rewrite the first cell of every
notebook. `tests/packaging/test_install_path.py` checks that every notebook's
first cell is `install_cell()` and executes that cell against a wheel built
from this checkout.
"""

from __future__ import annotations

__all__ = ["INSTALL_REQUIREMENT", "install_cell"]

INSTALL_REQUIREMENT = "layerax"


def install_cell(requirement: str = INSTALL_REQUIREMENT) -> str:
    """The source of every notebook's first code cell (an IPython `%pip install` line).

    Example:
        >>> from layerax._install import install_cell
        >>> "%pip install -q layerax" in install_cell()
        True
    """
    return (
        "# Install layerax (skipped when it is importable already: a local checkout, or a\n"
        "# second run of this cell).\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("layerax") is None:\n'
        f"    %pip install -q {requirement}\n"
        "else:\n"
        '    print("layerax is importable already: nothing to install")\n'
    )

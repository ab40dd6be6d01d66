"""Rewrites the first code cell of every notebook in colab/ from `layerax._install`.

Run `python -m colab.install_cell` after changing `INSTALL_REQUIREMENT`.
"""

from __future__ import annotations

import json
from pathlib import Path

from layerax._install import install_cell

COLAB = Path(__file__).resolve().parent


def rewrite(path: Path) -> bool:
    """Sets the notebook's first code cell to `install_cell()`; True when it changed."""
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    lines = install_cell().splitlines(keepends=True)
    if cell["source"] == lines:
        return False
    cell["source"] = lines
    cell["outputs"] = []
    cell["execution_count"] = None
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


if __name__ == "__main__":
    for notebook in sorted(COLAB.glob("*.ipynb")):
        print(("rewrote " if rewrite(notebook) else "unchanged ") + notebook.name)

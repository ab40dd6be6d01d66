"""The import graph of layerax's subpackages: `core/` imports nothing above it, and no cycles.

Every import counts, function-local ones too (they still tie the modules together). A unit is
a first-level module or subpackage of `layerax` (`layerax.models`, `layerax.layers`,
`layerax.core`, ...). `KNOWN_CYCLE_EDGES` lists the few upward edges that close today's
cycles, each with its reason; the table is exact, so it shrinks as they are removed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import layerax

ROOT = Path(layerax.__file__).parent

# (importer, imported): the upward edges that close a cycle today (none: the layering is
# core < ... < trainers < models < saving < callbacks, docs/architecture.md).
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = ("layerax", *path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    """Every `layerax...` module named by an import of the file, at any depth of the code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "layerax" or name.startswith("layerax.")}


def _unit(module: str) -> str:
    return ".".join(module.split(".")[:2])


def subpackage_edges() -> set[tuple[str, str]]:
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    edges = set()
    for module, path in modules.items():
        for target in _imports(path, module):
            if target in modules and _unit(module) != _unit(target) and "." in target:
                if "." in module:  # layerax/__init__.py re-exports everything
                    edges.add((_unit(module), _unit(target)))
    return edges


def cycles_without(edges: set[tuple[str, str]], removed: set[tuple[str, str]]) -> list[set[str]]:
    """The strongly connected components (more than one unit) of the graph minus `removed`."""
    graph: dict[str, set[str]] = {}
    for a, b in edges - removed:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())

    def reach(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in graph[stack.pop()] - seen:
                seen.add(nxt)
                stack.append(nxt)
        return seen

    reachable = {unit: reach(unit) for unit in graph}
    components = {frozenset(u for u in reachable[a] if a in reachable[u]) | {a} for a in graph}
    return sorted((set(c) for c in components if len(c) > 1), key=sorted)


EDGES = subpackage_edges()


def test_core_imports_nothing_above_it() -> None:
    upward = sorted(
        (a, b) for a, b in EDGES
        if a == "layerax.core" and (a, b) not in KNOWN_CYCLE_EDGES
    )
    assert not upward, (
        f"layerax.core imports {upward}: core must import only core, JAX and numpy (move the "
        "shared code into core, or let the upper layer register itself with core)"
    )


def test_no_cycle_between_subpackages() -> None:
    cycles = cycles_without(EDGES, set(KNOWN_CYCLE_EDGES))
    assert not cycles, (
        f"import cycles between subpackages: {cycles}. Break them, or (for a known one, with "
        "its issue) list the upward edge that closes it in KNOWN_CYCLE_EDGES"
    )


def test_known_cycle_edges_still_exist_and_still_close_a_cycle() -> None:
    stale = sorted(edge for edge in KNOWN_CYCLE_EDGES if edge not in EDGES)
    assert not stale, f"{stale} no longer exist: remove them from KNOWN_CYCLE_EDGES"
    for edge in KNOWN_CYCLE_EDGES:
        others = set(KNOWN_CYCLE_EDGES) - {edge}
        assert cycles_without(EDGES, others), (
            f"{edge} no longer closes a cycle: remove it from KNOWN_CYCLE_EDGES"
        )
    assert all(isinstance(r, str) and r.startswith("issue") for r in KNOWN_CYCLE_EDGES.values())


def test_the_scanner_sees_local_and_relative_imports(tmp_path: Path) -> None:
    source = "def f():\n    from layerax.models import model\n    from . import tree\n"
    path = ROOT / "core" / "example.py"
    (tmp_path / "x.py").write_text(source)
    found = _imports(tmp_path / "x.py", "layerax.core.example")
    assert found == {"layerax.models", "layerax.models.model", "layerax.core", "layerax.core.tree"}
    assert _module_name(path) == "layerax.core.example"


def documented_rows() -> dict[str, int]:
    """`docs/architecture.md`'s layering table: `layerax.<unit>` -> its row."""
    text = (ROOT.parent / "docs" / "architecture.md").read_text()
    table = text.split("<!-- layers: start -->")[1].split("<!-- layers: end -->")[0]
    rows: dict[str, int] = {}
    for line in table.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for name in cells[1].split(","):
            rows[f"layerax.{name.strip().strip('`')}"] = int(cells[0])
    return rows


def test_every_import_goes_up_the_documented_layering() -> None:
    rows = documented_rows()
    units = {unit for edge in EDGES for unit in edge}
    missing = sorted(units - set(rows))
    assert not missing, f"{missing} are not in docs/architecture.md's table: give each a row"
    stale = sorted(set(rows) - units - {"layerax.tree"})
    assert not stale, f"docs/architecture.md lists {stale}, which import nothing and are imported by nothing"
    wrong = sorted((a, rows[a], b, rows[b]) for a, b in EDGES if rows[a] <= rows[b])
    assert not wrong, (
        f"imports against docs/architecture.md's layering (importer, row, imported, row): {wrong}. "
        "A package may import only packages in rows above its own: move the code, let the upper "
        "package install itself below (as callbacks and saving do), or change the table"
    )


def test_the_layering_check_sees_an_upward_import() -> None:
    rows = documented_rows()
    assert rows["layerax.core"] < rows["layerax.trainers"] < rows["layerax.models"] < rows["layerax.saving"]
    assert rows["layerax.saving"] < rows["layerax.callbacks"]
    # The edge the table forbids is one the scanner would report.
    assert ("layerax.models", "layerax.trainers") in EDGES
    assert ("layerax.trainers", "layerax.models") not in EDGES


def test_upper_packages_install_themselves_below(monkeypatch) -> None:
    import pytest

    from layerax.models import saving_hooks
    from layerax.trainers import callback_hooks

    assert layerax.models.load_model is layerax.saving.load_model
    assert layerax.models.save_model is layerax.saving.save_model
    assert {"load_model", "save_model"} <= set(dir(layerax.models))
    assert callback_hooks.callback_type() is layerax.callbacks.Callback
    assert type(callback_hooks.callback_list(None, add_history=True)) is layerax.callbacks.CallbackList
    # Without them, the error names the import that installs them.
    monkeypatch.setattr(saving_hooks, "_INSTALLED", {})
    monkeypatch.setattr(callback_hooks, "_INSTALLED", {})
    with pytest.raises(RuntimeError, match="import layerax"):
        layerax.models.load_model  # noqa: B018
    with pytest.raises(RuntimeError, match="import layerax"):
        callback_hooks.callback_type()
    with pytest.raises(ValueError, match="Unknown saving functions"):
        saving_hooks.install_saving(load=print)
    with pytest.raises(TypeError, match="must subclass"):
        callback_hooks.install_callbacks(layerax.callbacks.History, layerax.callbacks.Callback)

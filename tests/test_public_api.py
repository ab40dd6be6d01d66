"""Every public name imports, has a docstring with an example, and its examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import types

import pytest

import layerax as lx



def _public_modules() -> list[str]:
    """`layerax` and every module reachable from it through `__all__` (e.g. lx.optimizers.schedules)."""
    found, stack = [], [lx]
    while stack:
        module = stack.pop()
        if module.__name__ in found:
            continue
        found.append(module.__name__)
        for name in getattr(module, "__all__", []):
            value = getattr(module, name, None)
            if isinstance(value, types.ModuleType) and value.__name__.startswith("layerax"):
                stack.append(value)
    return sorted(found)


API_MODULES = _public_modules()


def public_objects():
    seen = set()
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or id(obj) in seen:
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj)):
                continue
            seen.add(id(obj))
            yield f"{module_name}.{name}", obj


PUBLIC = list(public_objects())


def test_api_modules_have_all():
    for module_name in API_MODULES:
        assert hasattr(importlib.import_module(module_name), "__all__"), module_name
    for expected in ("layerax.layers", "layerax.optimizers", "layerax.optimizers.schedules",
                     "layerax.losses", "layerax.metrics", "layerax.callbacks", "layerax.utils"):
        assert expected in API_MODULES


@pytest.mark.parametrize("qualname,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_public_name_has_docstring_with_example(qualname, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{qualname} has no docstring"
    assert ">>>" in doc, f"{qualname}'s docstring has no runnable example"


@pytest.mark.parametrize("qualname,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_docstring_examples_run(qualname, obj):
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(obj, qualname, globs={}):
        from layerax.core import naming

        naming.reset_uids()
        lx.utils.set_random_seed(0)
        result = runner.run(test, out=lambda s: None)
        assert result.failed == 0, f"{qualname}: {result.failed} docstring example(s) failed"

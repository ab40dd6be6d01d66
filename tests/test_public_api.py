"""Every public name imports, has a docstring with an example, and its examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import types

import pytest

import layerax as lx

# Modules whose public names (their __all__) are the API.
API_MODULES = ["layerax"] + sorted(
    m.name
    for m in pkgutil.walk_packages(lx.__path__, "layerax.")
    if not any(part.startswith("_") for part in m.name.split("."))
    and ".core" not in m.name
)


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
        module = importlib.import_module(module_name)
        if module_name.count(".") <= 1 or module_name.endswith("__init__"):
            assert hasattr(module, "__all__") or not module.__name__.startswith("layerax."), module_name


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

"""Every public name imports and has a docstring with an example; every public method and
property has a docstring; the examples run, those of methods and properties included."""

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


def _private_bases() -> dict[str, list[type]]:
    """The layerax base classes outside the public API (mixins such as the Layer's weights
    mixin), each assigned to the first public class that inherits it, so that the examples
    of their methods run once."""
    public_ids = {id(obj) for _, obj in PUBLIC}
    assigned: set[int] = set()
    found: dict[str, list[type]] = {}
    for qualname, obj in PUBLIC:
        if not inspect.isclass(obj):
            continue
        for base in obj.__mro__[1:]:
            if (base.__module__.startswith("layerax") and id(base) not in public_ids
                    and id(base) not in assigned):
                assigned.add(id(base))
                found.setdefault(qualname, []).append(base)
    return found


PRIVATE_BASES = _private_bases()


def _doctests(qualname: str, obj: object) -> list[doctest.DocTest]:
    """The examples of `obj`: a class's own docstring, its methods' and properties' (and
    those of the private bases it is assigned), a function's docstring."""
    if not inspect.isclass(obj):
        return doctest.DocTestFinder(recurse=False).find(obj, qualname, globs={})
    finder = doctest.DocTestFinder(recurse=True)
    tests = finder.find(obj, qualname, globs={})
    for base in PRIVATE_BASES.get(qualname, []):
        tests += finder.find(base, f"{qualname}<{base.__qualname__}>", globs={})
    return [t for t in tests if t.examples]


def _members(cls: type) -> list[tuple[str, object]]:
    """Public methods and properties of `cls`, with the class of the MRO that defines them."""
    found = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        owner = next((c for c in cls.__mro__ if name in vars(c)), None)
        if owner is None or not owner.__module__.startswith("layerax"):
            continue
        member = vars(owner)[name]
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if isinstance(member, property) or inspect.isfunction(member):
            found.append((f"{owner.__qualname__}.{name}", member))
    return found


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


def test_public_methods_and_properties_have_docstrings():
    """An override may share its base's docstring (`inspect.getdoc` finds it)."""
    missing = set()
    for qualname, obj in PUBLIC:
        if inspect.isclass(obj):
            for name, member in _members(obj):
                if not inspect.getdoc(getattr(obj, name.rsplit(".", 1)[1], member)):
                    missing.add(f"{obj.__module__}: {name}")
    assert not missing, f"{len(missing)} public members have no docstring: {sorted(missing)}"


@pytest.mark.parametrize("qualname,obj", PUBLIC, ids=[q for q, _ in PUBLIC])
def test_docstring_examples_run(qualname, obj):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in _doctests(qualname, obj):
        from layerax.core import naming

        naming.reset_uids()
        lx.utils.set_random_seed(0)
        result = runner.run(test, out=lambda s: None)
        assert result.failed == 0, f"{qualname}: {result.failed} docstring example(s) failed"

"""layerax's public names, module by module, against Keras 3's (the installed oracle).

Every public name of a Keras module must exist in the matching layerax module,
unless it is in `LEFT_OUT` (never: TF-, torch- or quantization-only) or in
`PENDING` (planned, with the issue that adds it). The tables are exact: a name
listed there that layerax now has fails the test, so they shrink as work lands.
Each name's behaviour is tested in its own family's tests; this file checks
only that nothing a Keras program reaches for is missing without a reason.
"""

from __future__ import annotations

import importlib

import pytest

keras = pytest.importorskip("keras")

QUANTIZATION = "quantization (int8/int4/float8/GPTQ/AWQ) is not supported"

LEFT_OUT: dict[str, dict[str, str]] = {
    "": {
        "Quantizer": QUANTIZATION,
        "quantizers": QUANTIZATION,
        "src": "Keras' private implementation package",
    },
    "layers": {
        "TFSMLayer": "loads a TensorFlow SavedModel: TensorFlow-only",
        "TorchModuleWrapper": "wraps a torch.nn.Module: torch-backend-only",
    },
    "dtype_policies": {
        name: QUANTIZATION
        for name in ("AWQDTypePolicy", "GPTQDTypePolicy", "Int4DTypePolicy",
                     "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "DTypePolicyMap")
    },
}

ISSUE19 = "issue 19 (preprocessing layers, datasets, data utilities)"
ISSUE20 = "issue 20 (.keras files and lx.applications)"
ISSUE23 = "issue 23 (Orbax checkpoints and export)"

PENDING: dict[str, dict[str, str]] = {
    "": {},
}

MODULES = [
    "", "layers", "ops", "ops.nn", "ops.numpy", "ops.linalg", "ops.image", "activations",
    "losses", "metrics", "optimizers", "optimizers.schedules", "optimizers.legacy", "callbacks",
    "initializers", "regularizers", "constraints", "utils", "utils.bounding_boxes", "utils.legacy",
    "legacy", "legacy.saving", "saving", "models", "config", "backend", "random", "tree",
    "mixed_precision", "dtype_policies", "distribution", "export", "distillation",
    "visualization", "wrappers", "preprocessing", "preprocessing.image", "preprocessing.sequence",
    "applications", "applications.imagenet_utils",
    "datasets", "datasets.mnist", "datasets.fashion_mnist", "datasets.cifar10", "datasets.cifar100",
    "datasets.imdb", "datasets.reuters", "datasets.boston_housing", "datasets.california_housing",
]


def _public(module: object) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


def _keras_module(path: str) -> object:
    return importlib.import_module("keras" + ("." + path if path else ""))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p or "keras")
def test_every_keras_name_exists_or_has_a_reason(path: str) -> None:
    import layerax

    kmod = _keras_module(path)
    target = "layerax" + ("." + path if path else "")
    lmod = importlib.import_module(target)
    known = {**LEFT_OUT.get(path, {}), **PENDING.get(path, {})}
    missing = sorted(_public(kmod) - _public(lmod) - set(known))
    assert not missing, (
        f"{target} lacks Keras' public names {missing}: add them, or list them in LEFT_OUT or "
        "PENDING with the reason"
    )
    stale = sorted(set(known) & _public(lmod))
    assert not stale, f"{target} now has {stale}: remove them from LEFT_OUT/PENDING"
    assert layerax is not None


def test_tables_name_only_keras_modules_and_names() -> None:
    for table in (LEFT_OUT, PENDING):
        for path, names in table.items():
            assert path in MODULES, path
            kmod = _keras_module(path)
            assert set(names) <= _public(kmod) | {"src"}, (path, set(names) - _public(kmod))
            assert all(isinstance(r, str) and r for r in names.values())


def test_pending_modules_are_not_half_present() -> None:
    """A pending submodule is absent from layerax as a whole, not as an empty stub."""
    import layerax

    for name in PENDING[""]:
        assert not hasattr(layerax, name), name

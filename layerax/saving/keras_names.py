"""The one table between Keras 3's module names and layerax's families.

A Keras `.keras` config names every object by `module` (`keras.layers`,
`keras.initializers`, ...), `class_name` and `registered_name` (None for
built-ins, `"package>Name"` for registered custom objects). layerax's classes
carry Keras' class names, so mapping a config is a matter of the module:
`KERAS_MODULES` gives, for each layerax family, the Keras module its built-in
classes live in, and `MODEL_MODULES` the modules Keras writes for its model
classes. `keras_module(class_name, hint)` finds the family of a class named in
a layerax config; the hint (the config key holding it: `kernel_initializer`,
`loss`, ...) settles names that two families share (`Identity`, `MeanSquaredError`).
`KERAS_CLASS_NAMES` lists the classes that Keras writes under another name than
its (and layerax's) class name.
"""

from __future__ import annotations

from typing import Any

__all__ = ["KERAS_CLASS_NAMES", "KERAS_MODULES", "MODEL_MODULES", "from_keras_class_names",
           "keras_application_module", "keras_class_name", "keras_module", "layerax_family"]

# layerax family module -> Keras module of its built-in classes.
KERAS_MODULES: dict[str, str] = {
    "layerax.layers": "keras.layers",
    "layerax.initializers": "keras.initializers",
    "layerax.regularizers": "keras.regularizers",
    "layerax.constraints": "keras.constraints",
    "layerax.optimizers.schedules": "keras.optimizers.schedules",
    "layerax.optimizers": "keras.optimizers",
    "layerax.losses": "keras.losses",
    "layerax.metrics": "keras.metrics",
    "layerax.activations": "keras.activations",
}

# Model classes: Keras writes `keras` for Sequential/Model and its source module for Functional.
MODEL_MODULES: dict[str, str] = {
    "Sequential": "keras",
    "Model": "keras",
    "Functional": "keras.src.models.functional",
    "DTypePolicy": "keras",
    "FloatDTypePolicy": "keras",
}

# layerax class name -> the `class_name` Keras writes (and reads) for it: Keras' class
# `GroupedQueryAttention` is exported, serialized and looked up as `GroupQueryAttention`.
KERAS_CLASS_NAMES: dict[str, str] = {"GroupedQueryAttention": "GroupQueryAttention"}
_FROM_KERAS = {keras: ours for ours, keras in KERAS_CLASS_NAMES.items()}

# Config keys whose value belongs to one family (checked before the general search).
_HINTS: tuple[tuple[str, str], ...] = (
    ("_initializer", "layerax.initializers"),
    ("_regularizer", "layerax.regularizers"),
    ("_constraint", "layerax.constraints"),
    ("learning_rate", "layerax.optimizers.schedules"),
    ("optimizer", "layerax.optimizers"),
    ("loss", "layerax.losses"),
    ("metrics", "layerax.metrics"),
)

_ORDER = (
    "layerax.layers", "layerax.initializers", "layerax.regularizers", "layerax.constraints",
    "layerax.optimizers.schedules", "layerax.optimizers", "layerax.losses", "layerax.metrics",
)


def _family_has(family: str, class_name: str) -> bool:
    import importlib

    from layerax.core.layer import Layer

    if family == "layerax.layers":
        import layerax

        obj = getattr(importlib.import_module("layerax.layers"), class_name, None)
        obj = obj if obj is not None else getattr(layerax.models, class_name, None)
        return isinstance(obj, type) and issubclass(obj, Layer)
    obj = getattr(importlib.import_module(family), class_name, None)
    return isinstance(obj, type)


def layerax_family(class_name: str, hint: str | None = None) -> str | None:
    """The layerax family module holding built-in class `class_name`, or None (a custom class).

    Example:
        >>> from layerax.saving.keras_names import layerax_family
        >>> layerax_family("Dense"), layerax_family("Identity", "kernel_initializer")
        ('layerax.layers', 'layerax.initializers')
    """
    if class_name in MODEL_MODULES:
        return "layerax.models"
    if hint:
        for suffix, family in _HINTS:
            if hint.endswith(suffix) and _family_has(family, class_name):
                return family
    for family in _ORDER:
        if _family_has(family, class_name):
            return family
    return None


def keras_module(class_name: str, hint: str | None = None) -> str | None:
    """The Keras module Keras writes for built-in class `class_name` (None for a custom class).

    Example:
        >>> from layerax.saving.keras_names import keras_module
        >>> keras_module("Dense"), keras_module("Sequential"), keras_module("MeanSquaredError", "loss")
        ('keras.layers', 'keras', 'keras.losses')
    """
    if class_name in MODEL_MODULES:
        return MODEL_MODULES[class_name]
    family = layerax_family(class_name, hint)
    return KERAS_MODULES.get(family) if family else None


def keras_application_module(class_name: str) -> str | None:
    """Keras' module for a layer class of `lx.applications` (`LayerScale`), else None.

    Keras finds the custom layers of its applications (ConvNeXt's `LayerScale`,
    InceptionResNetV2's `CustomScaleLayer`) by the module they live in,
    `keras.src.applications.<family>`; layerax's classes of the same name live in
    `layerax.applications.<family>`.

    Example:
        >>> from layerax.saving.keras_names import keras_application_module
        >>> keras_application_module("LayerScale"), keras_application_module("Dense")
        ('keras.src.applications.convnext', None)
    """
    from layerax.core import registry

    cls = registry.lookup("layers", class_name)
    module = getattr(cls, "__module__", "")
    if isinstance(cls, type) and module.startswith("layerax.applications."):
        return "keras.src.applications." + module.removeprefix("layerax.applications.")
    return None


def keras_class_name(class_name: str) -> str:
    """The `class_name` Keras writes for the built-in layerax class `class_name`.

    Example:
        >>> from layerax.saving.keras_names import keras_class_name
        >>> keras_class_name("GroupedQueryAttention"), keras_class_name("Dense")
        ('GroupQueryAttention', 'Dense')
    """
    return KERAS_CLASS_NAMES.get(class_name, class_name)


def from_keras_class_names(tree: Any) -> Any:
    """A Keras config whose built-in classes are renamed to layerax's class names.

    Example:
        >>> from layerax.saving.keras_names import from_keras_class_names
        >>> from_keras_class_names({"module": "keras.layers", "class_name": "GroupQueryAttention",
        ...                         "config": {}})["class_name"]
        'GroupedQueryAttention'
    """
    if isinstance(tree, list):
        return [from_keras_class_names(v) for v in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: from_keras_class_names(v) for k, v in tree.items()}
    name = out.get("class_name")
    if isinstance(name, str) and name in _FROM_KERAS and str(out.get("module") or "").startswith("keras"):
        out["class_name"] = _FROM_KERAS[name]
    return out

"""Where each layer's variables live in a weights file: Keras 3's saving layout.

Keras 3 saves the state of a model by walking it from the root: every layer
gets a group whose `vars` entry holds its own variables as `vars/0`,
`vars/1`, ... (trainable first, then non-trainable, in creation order), and
its sub-layers are visited through their attributes, in sorted attribute
order with private (`_`-prefixed) attributes last. A sub-layer reached through
an attribute gets a group named after the attribute (`hidden/vars/0`); layers
inside a list, tuple or dict get a group named after their class in snake case,
made unique within the container (`layers/dense`, `layers/dense_1`, ...);
nested containers are `container`, `container_1`, .... Sequential and
Functional models list their `layers` (a Functional model's InputLayers
included, a Sequential's not). A layer reached a second time (a shared layer)
is saved once, under its first path. Each layer's `vars` group carries the
layer's name as an attribute.

`layout(model)` computes that walk for a layerax model, so the `.weights.h5`
files of the two libraries are interchangeable for the same architecture, and
the numpy and safetensors formats use the same paths as keys
(`layers/dense/vars/0`). Paths depend on the architecture only, not on the
auto-generated layer names, so weights load into a fresh instance of the same
model. Random-seed states (not saved by Keras) are listed separately.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from layerax.core.layer import Layer
from layerax.core.naming import to_snake_case
from layerax.core.variable import Variable

__all__ = ["LayerEntry", "layout"]


@dataclasses.dataclass
class LayerEntry:
    """One saved layer: its group path, name, own variables and seed-generator states."""

    path: str
    name: str
    layer: Layer
    variables: list[Variable]
    seed_states: list[Variable]

    def var_key(self, index: int | str) -> str:
        """Key of variable `index` (`layers/dense/vars/0`; `vars/0` for the root)."""
        return _join(self.path, f"vars/{index}")

    def seed_key(self, index: int) -> str:
        """Key of seed-generator state `index` (layerax formats only)."""
        return _join(self.path, f"seed_generators/{index}")


_SKIP: set[str] | None = None


def _skipset() -> set[str]:
    """Attribute names of the base Layer: never walked (Keras skips its base Layer's too)."""
    global _SKIP
    if _SKIP is None:
        probe = Layer(name="_lx_layout_probe")
        _SKIP = set(dir(probe)) | {"_layers", "_graph_plan"}
    return _SKIP


def _join(path: str, name: str) -> str:
    return f"{path}/{name}" if path else name


def _name_key(name: str) -> str:
    # Private attributes sort after public ones, as in Keras.
    return f"~{name}" if name.startswith("_") else name


def _children(layer: Layer) -> list[tuple[str, Any]]:
    """`(attribute, value)` pairs to walk, in Keras' order."""
    from layerax.models.functional import Functional
    from layerax.models.model import Model

    custom = getattr(layer, "_lx_saveable_children", None)
    if custom is not None:
        return list(custom())
    found: list[tuple[str, Any]] = []
    if isinstance(layer, Functional):
        found.append(("layers", layer.layers))
    attrs: dict[str, Any] = {}
    skip = _skipset()
    for name, value in layer.__dict__.items():
        if name.startswith("_lx_") or name.startswith("__") or name in skip:
            continue
        if isinstance(value, (Layer, list, tuple, dict)):
            attrs[name] = value
    attrs.update(_layer_properties(layer, skip))
    if isinstance(layer, Model):
        attrs["layers"] = layer.layers
    for name in sorted(attrs, key=_name_key):
        found.append((name, attrs[name]))
    return found


def _layer_properties(layer: Layer, skip: set[str]) -> dict[str, Layer]:
    """Properties returning a sub-layer (`MultiHeadAttention.query_dense`): Keras walks
    `dir(layer)`, so such a layer is saved under the property's (public) name."""
    found: dict[str, Layer] = {}
    for name in dir(type(layer)):
        if name in skip or name.startswith("__") or not isinstance(getattr(type(layer), name, None), property):
            continue
        try:
            value = getattr(layer, name)
        except Exception:  # a property that needs state the layer lacks: Keras skips it too
            continue
        if isinstance(value, Layer):
            found[name] = value
    return found


def layout(model: Layer) -> list[LayerEntry]:
    """The layers of `model` in Keras 3's saving order, with their group paths.

    Example:
        >>> import layerax as lx
        >>> from layerax.saving.keras_layout import layout
        >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(4), lx.layers.Dense(2)])
        >>> [(e.path, len(e.variables)) for e in layout(model)]
        [('', 0), ('layers/dense', 2), ('layers/dense_1', 2)]
    """
    entries: list[LayerEntry] = []
    visited: set[int] = set()

    def visit(layer: Layer, path: str) -> None:
        if id(layer) in visited:
            return
        visited.add(id(layer))
        seed_ids = {id(g.state) for g in layer._seed_generators}
        own = [v for v in layer._own_weights() if id(v) not in seed_ids]
        seeds = [g.state for g in layer._seed_generators]
        entries.append(LayerEntry(path, layer.name, layer, own, seeds))
        for attr, value in _children(layer):
            child_path = _join(path, attr)
            if isinstance(value, Layer):
                visit(value, child_path)
            else:
                visit_container(value, child_path, set())

    def visit_container(container: Any, path: str, seen: set[int]) -> None:
        if id(container) in seen:
            return
        seen.add(id(container))
        items = list(container.values()) if isinstance(container, dict) else list(container)
        used: dict[str, int] = {}
        for item in items:
            if isinstance(item, Layer):
                name = _unique(to_snake_case(type(item).__name__), used)
                visit(item, _join(path, name))
            elif isinstance(item, (list, tuple, dict)):
                name = _unique("container", used)
                visit_container(item, _join(path, name), seen)

    visit(model, "")
    return entries


def _unique(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name

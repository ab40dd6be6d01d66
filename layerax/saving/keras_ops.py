"""Keras 3's op nodes in `.keras` functional configs, read and written by layerax.

A Keras functional graph records each `keras.ops` call on symbolic tensors
(`keras.ops.concatenate(...)`, `x + y`, `x[:, 0]`, the `NotEqual` of an
`Embedding(mask_zero=True)`'s mask) as a node whose `module` is
`keras.src.ops.<family>` and whose `class_name` is the op's class (`Add`,
`NotEqual`, `ExpandDims`). The op's constant arguments are its `config`
(`{"axis": -1}`); its tensors, and the arguments that may be tensors (the `2.0`
of `x * 2.0`, the key of `x[:, 0]`), are the node's call arguments.

layerax records the same calls as `OpLayer`s (`op="numpy.concatenate"`) and the
Python operators as `TensorOperator`s. `from_keras_graph` turns Keras' op nodes
into `OpLayer` configs of the `lx.ops` function of the same name (snake case of
the class) and `to_keras_graph` does the reverse, so either library loads the
other's graphs.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from layerax.core.naming import to_snake_case

__all__ = ["from_keras_graph", "to_keras_graph"]

_PREFIX = "keras.src.ops."
# Parameters of an op that Keras passes at call time (tensors, or values that may be
# tensors); every other parameter is a constructor argument of the op's class.
_CALL_PARAMS = frozenset({
    "x", "x1", "x2", "x3", "xs", "y", "a", "b", "inputs", "key", "condition", "indices",
    "values", "target", "output", "logits", "labels", "query", "value", "mask", "kernel",
    "bias", "scale", "offset", "mean", "variance", "updates", "start_indices", "sequence",
    "fn", "elements", "input", "images",
})


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _op_function(family: str, name: str) -> Any:
    from layerax import ops

    fn = getattr(getattr(ops, family, None), name, None)
    return getattr(fn, "__wrapped__", fn) if callable(fn) else None


def _template(tree: Any, tensors: list[Any]) -> Any:
    """Keras' node arguments with each `__keras_tensor__` replaced by an op-input marker."""
    if isinstance(tree, dict):
        if tree.get("class_name") == "__keras_tensor__":
            tensors.append(tree)
            return {"class_name": "__op_input__", "config": {"index": len(tensors) - 1}}
        return {k: _template(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_template(v, tensors) for v in tree]
    return tree


def _keras_op_to_layerax(layer: dict[str, Any]) -> dict[str, Any]:
    family = layer["module"][len(_PREFIX):]
    name = to_snake_case(layer["class_name"])
    if _op_function(family, name) is None:
        raise ValueError(
            f"The Keras graph uses the op {layer['class_name']!r} (module {layer['module']!r}), "
            f"which layerax does not know: expected a function `lx.ops.{family}.{name}`. Register "
            "a replacement layer under that name with `@lx.saving.register_serializable()` (a "
            f"layer class named {layer['class_name']!r} whose `call` takes the node's arguments) "
            f"or pass `custom_objects={{{layer['class_name']!r}: cls}}` to `load_model`."
        )
    config = {k: v for k, v in layer.get("config", {}).items() if k != "name"}
    nodes = []
    op_args: Any = []
    op_kwargs: dict[str, Any] = {}
    for node in layer.get("inbound_nodes", []):
        tensors: list[Any] = []
        op_args = _template(list(node.get("args", [])), tensors)
        if name == "get_item" and len(op_args) == 2 and isinstance(op_args[1], list):
            # Keras writes the key `(slice, 0)` of `x[:, 0]` as a list.
            op_args[1] = {"class_name": "__tuple__", "config": {"items": op_args[1]}}
        op_kwargs = {**config, **_template(dict(node.get("kwargs", {})), tensors)}
        nodes.append({"args": tensors, "kwargs": {}})
    return {
        "class_name": "OpLayer", "registered_name": "OpLayer", "name": layer["name"],
        "config": {"name": layer["name"], "trainable": True, "op": f"{family}.{name}",
                   "args": op_args, "kwargs": op_kwargs},
        "inbound_nodes": nodes,
    }


def _walk_graphs(config: Any, convert: Any) -> Any:
    """`config` with `convert` applied to the layer list of every functional graph in it."""
    if isinstance(config, list):
        return [_walk_graphs(v, convert) for v in config]
    if not isinstance(config, dict):
        return config
    out = {k: _walk_graphs(v, convert) for k, v in config.items()}
    inner = out.get("config")
    if isinstance(inner, dict) and isinstance(inner.get("layers"), list) and "output_layers" in inner:
        out["config"] = {**inner, "layers": [convert(l) for l in inner["layers"]]}
    return out


def from_keras_graph(config: Any) -> Any:
    """A Keras model config with its op nodes as layerax `OpLayer` configs.

    Example:
        >>> from layerax.saving.keras_ops import from_keras_graph
        >>> node = {"module": "keras.src.ops.numpy", "class_name": "Mean", "name": "mean",
        ...         "config": {"name": "mean", "axis": 1}, "registered_name": "Mean",
        ...         "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
        ...                            "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}}]}
        >>> graph = {"class_name": "Functional", "config": {"layers": [node], "output_layers": []}}
        >>> layer = from_keras_graph(graph)["config"]["layers"][0]
        >>> layer["class_name"], layer["config"]["op"], layer["config"]["kwargs"]
        ('OpLayer', 'numpy.mean', {'axis': 1})
    """
    def convert(layer: Any) -> Any:
        if isinstance(layer, dict) and str(layer.get("module") or "").startswith(_PREFIX):
            return _keras_op_to_layerax(layer)
        return layer

    return _walk_graphs(copy.deepcopy(config), convert)


def _fill(tree: Any, tensors: list[Any]) -> Any:
    if isinstance(tree, dict):
        if tree.get("class_name") == "__op_input__":
            return tensors[tree["config"]["index"]]
        if tree.get("class_name") == "__tuple__":  # Keras' GetItem takes its key as a list
            return [_fill(v, tensors) for v in tree["config"]["items"]]
        return {k: _fill(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_fill(v, tensors) for v in tree]
    return tree


def _keras_constants(tree: Any) -> Any:
    """Slices as Keras' `__slice__` tags, tuples (the key of `x[:, 0]`) as lists."""
    if type(tree) is slice:
        return {"class_name": "__slice__", "config": {"start": tree.start, "stop": tree.stop, "step": tree.step}}
    if isinstance(tree, dict):
        if tree.get("class_name") == "__tuple__":
            items = tree["config"].get("value", tree["config"].get("items", []))
            return [_keras_constants(v) for v in items]
        return {k: _keras_constants(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_keras_constants(v) for v in tree]
    return tree


def _layerax_op_to_keras(layer: dict[str, Any]) -> dict[str, Any]:
    config = layer["config"]
    name = layer["name"]
    if layer["class_name"] == "TensorOperator":
        family, op = "numpy", config["op"]
        def call_args(node: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
            return _keras_constants(list(node.get("args", []))), dict(node.get("kwargs", {}))

        constructor: dict[str, Any] = {}
    else:
        family, _, op = config["op"].partition(".")
        fn = _op_function(family, op)
        params = list(inspect.signature(fn).parameters) if fn is not None else []
        args, kwargs = list(config.get("args", [])), dict(config.get("kwargs", {}))
        named = dict(zip(params, args))
        named.update(kwargs)
        extra = args[len(params):]
        constructor = {k: _keras_constants(v) for k, v in named.items() if k not in _CALL_PARAMS}
        positional = [named[p] for p in params if p in _CALL_PARAMS and p in named] + extra

        def call_args(node: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
            tensors = list(node.get("args", []))
            return _keras_constants(_fill(positional, tensors)), {}

    nodes = []
    for node in layer.get("inbound_nodes", []):
        a, k = call_args(node)
        nodes.append({"args": a, "kwargs": k})
    return {
        "module": f"{_PREFIX}{family}", "class_name": _camel(op), "registered_name": _camel(op),
        "name": name, "config": {"name": name, **constructor}, "inbound_nodes": nodes,
    }


def to_keras_graph(config: Any) -> Any:
    """A layerax model config with its `OpLayer` / `TensorOperator` nodes in Keras' op form.

    Example:
        >>> from layerax.saving.keras_ops import to_keras_graph
        >>> node = {"class_name": "OpLayer", "name": "mean", "inbound_nodes": [],
        ...         "config": {"name": "mean", "op": "numpy.mean", "kwargs": {"axis": 1},
        ...                    "args": [{"class_name": "__op_input__", "config": {"index": 0}}]}}
        >>> graph = {"class_name": "Functional", "config": {"layers": [node], "output_layers": []}}
        >>> layer = to_keras_graph(graph)["config"]["layers"][0]
        >>> layer["module"], layer["class_name"], layer["config"]
        ('keras.src.ops.numpy', 'Mean', {'name': 'mean_op', 'axis': 1})
    """
    def convert(layer: Any) -> Any:
        if isinstance(layer, dict) and layer.get("class_name") in ("OpLayer", "TensorOperator"):
            return _layerax_op_to_keras(layer)
        return layer

    return _rename_op_nodes(_walk_graphs(copy.deepcopy(config), convert))


def _rename_op_nodes(config: Any) -> Any:
    """Op nodes renamed `<name>_op`: Keras' loader names the ops it records itself (the
    `not_equal` of an Embedding's mask) after the op, and op names must be unique."""
    if isinstance(config, list):
        return [_rename_op_nodes(v) for v in config]
    if not isinstance(config, dict):
        return config
    config = {k: _rename_op_nodes(v) for k, v in config.items()}
    inner = config.get("config")
    if not (isinstance(inner, dict) and isinstance(inner.get("layers"), list) and "output_layers" in inner):
        return config
    names = {l["name"] for l in inner["layers"] if isinstance(l, dict)}
    renames = {}
    for layer in inner["layers"]:
        if str(layer.get("module") or "").startswith(_PREFIX):
            new = f"{layer['name']}_op"
            while new in names:
                new += "_"
            renames[layer["name"]] = new
            names.add(new)

    def fix(tree: Any) -> Any:
        if isinstance(tree, dict):
            out = {k: fix(v) for k, v in tree.items()}
            history = out.get("keras_history")
            if isinstance(history, list) and history and history[0] in renames:
                out["keras_history"] = [renames[history[0]], *history[1:]]
            if out.get("name") in renames and "inbound_nodes" in out:
                out["name"] = renames[out["name"]]
                out["config"] = {**out["config"], "name": out["name"]}
            return out
        if isinstance(tree, (list, tuple)):  # layerax's own configs keep call arguments as tuples
            return [fix(v) for v in tree]
        return tree

    layers = [fix(l) for l in inner["layers"]]
    ends = {k: [[renames.get(e[0], e[0]), *e[1:]] if isinstance(e, list) and e and isinstance(e[0], str) else e
                for e in (inner[k] if isinstance(inner[k], list) and inner[k] and isinstance(inner[k][0], list) else [inner[k]])]
            for k in ("input_layers", "output_layers") if k in inner}
    for k, v in ends.items():
        inner_v = inner[k]
        ends[k] = v if (isinstance(inner_v, list) and inner_v and isinstance(inner_v[0], list)) else v[0]
    return {**config, "config": {**inner, "layers": layers, **ends}}

"""Symbolic tensors (`lx.Input`) and layer calls on them: the recording side of the functional API.

Calling a layer on `KerasTensor`s builds the layer from their shapes, infers
the output shapes and dtypes without computing anything (the layer's own
`compute_output_spec`/`compute_output_shape` when it overrides one, else
`jax.eval_shape` of its call), and records a `Node` on the layer
(`layer._lx_inbound_nodes`). Models read these nodes once, when they are
constructed, to derive an execution plan; running a model never touches them.

Masks: a symbolic tensor may carry the spec of its mask (`_lx_mask`); the
same `run_layer` routine routes masks between layers at graph-construction
time (under `jax.eval_shape`) and when a model runs, so both agree.
"""

from __future__ import annotations

import inspect
import operator
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core import layer as _layer_module
from layerax.core import naming
from layerax.core.input_spec import assert_input_compatibility
from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.core.state import StateScope

__all__ = ["Input", "InputLayer", "KerasTensor", "TensorOperator"]

# Stand-in sizes for unknown (None) dimensions while tracing a layer abstractly: a
# dimension of the output that differs between the two evaluations is unknown too.
_PLACEHOLDERS = (7, 11)


# ------------------------------------------------------------------ tensors
class KerasTensor:
    """A symbolic tensor: a shape (None for unknown sizes), a dtype and its history.

    `lx.Input` creates them; calling a layer on them returns new ones. They
    hold no values: they describe the graph from which `lx.Model(inputs,
    outputs)` builds a model.

    Args:
        shape: Shape tuple; `None` marks an unknown size (the batch size).
        dtype: Dtype name (`"float32"` by default).
        name: Name of the tensor.

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,))
        >>> x.shape, x.dtype, x.ndim
        ((None, 3), 'float32', 2)
    """

    __slots__ = ("shape", "dtype", "name", "_lx_history", "_lx_mask", "__weakref__")

    def __init__(self, shape: Any, dtype: Any = "float32", name: str | None = None) -> None:
        self.shape = _standardize_shape(shape)
        self.dtype = _dtype_name(dtype)
        self.name = name or naming.uniquify("keras_tensor")
        # (layer, node_index, tensor_index) of the call that produced this tensor.
        self._lx_history: tuple[Any, int, int] | None = None
        # The spec of the tensor's mask (a KerasTensor without history), if any.
        self._lx_mask: KerasTensor | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"A symbolic tensor ({self!r}) was converted to an array. Symbolic tensors (from "
            "`lx.Input`) hold no values: inside a functional model, compute with layers, e.g. "
            "wrap the computation in a custom `lx.Layer` and call it on the tensor."
        )

    def __bool__(self) -> bool:
        raise TypeError(
            f"A symbolic tensor ({self!r}) has no truth value: it holds no data. Python control "
            "flow on symbolic tensors is not possible; use it inside a layer's `call` instead."
        )

    # Python operators record a `TensorOperator` layer in the graph, as Keras 3 records
    # an operation: `x + y`, `2 * x`, `x[:, 0]` work on symbolic tensors.
    __array_ufunc__ = None  # numpy scalars on the left defer to our reflected operators

    def __getitem__(self, key: Any) -> KerasTensor:
        return TensorOperator("get_item")(self, key)

    def __neg__(self) -> KerasTensor:
        return TensorOperator("negative")(self)

    def __abs__(self) -> KerasTensor:
        return TensorOperator("absolute")(self)

    def __invert__(self) -> KerasTensor:
        return TensorOperator("logical_not")(self)


def _binary_operator(op: str, reflected: bool = False) -> Any:
    def method(self: KerasTensor, other: Any) -> Any:
        args = (other, self) if reflected else (self, other)
        return TensorOperator(op)(*args)

    method.__name__ = op
    return method


for _dunder, _op in (
    ("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "divide"),
    ("floordiv", "floor_divide"), ("mod", "mod"), ("pow", "power"), ("matmul", "matmul"),
    ("and", "logical_and"), ("or", "logical_or"), ("xor", "logical_xor"),
):
    setattr(KerasTensor, f"__{_dunder}__", _binary_operator(_op))
    setattr(KerasTensor, f"__r{_dunder}__", _binary_operator(_op, reflected=True))
for _dunder, _op in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal")):
    setattr(KerasTensor, f"__{_dunder}__", _binary_operator(_op))
del _dunder, _op


def _standardize_shape(shape: Any) -> tuple[Any, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError as err:
        raise TypeError(f"A shape must be a tuple of integers or None. Received: {shape!r}") from err
    out = []
    for d in dims:
        if d is None:
            out.append(None)
        elif isinstance(d, int) or (hasattr(d, "__index__") and not isinstance(d, bool)):
            if int(d) < 0:
                raise ValueError(f"Negative dimensions are not allowed. Received shape: {dims}")
            out.append(int(d))
        else:
            raise TypeError(
                f"A shape must be a tuple of integers or None. Received: {dims} (entry {d!r})"
            )
    return tuple(out)


def _dtype_name(dtype: Any) -> str:
    if dtype is None:
        return _config.floatx()
    return jnp.dtype(dtype).name


def _leafy(x: Any) -> bool:
    """Leaves of call-argument trees: everything but lists, tuples and dicts."""
    return not isinstance(x, (list, tuple, dict))


def flatten_args(tree: Any) -> tuple[list[Any], Any]:
    """Flattens call arguments, keeping every non-container (layers, constants) as a leaf."""
    return jax.tree_util.tree_flatten(tree, is_leaf=_leafy)


def contains_symbolic(x: Any) -> bool:
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, (list, tuple)):
        return any(contains_symbolic(v) for v in x)
    if isinstance(x, dict):
        return any(contains_symbolic(v) for v in x.values())
    return False


def is_symbolic_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """The `SYMBOLIC["check"]` hook: whether any call argument is a symbolic tensor."""
    for a in args:
        if type(a) is KerasTensor or contains_symbolic(a):
            return True
    if kwargs:
        for v in kwargs.values():
            if contains_symbolic(v):
                return True
    return False


# -------------------------------------------------------------------- nodes
class Node:
    """One call of a layer on symbolic tensors.

    Attributes:
        layer: The layer called.
        args, kwargs: The call's arguments, symbolic tensors included.
        input_tensors: The symbolic tensors among the arguments, in order.
        outputs: The symbolic outputs, flattened.
        output_tree: Tree structure of the outputs (for unflattening).
        mask_routing: Where the masks of the inputs go (see `mask_routing`).
        is_input: Whether this is the node of an `InputLayer`.
    """

    __slots__ = (
        "layer", "args", "kwargs", "input_tensors", "outputs", "output_tree", "mask_routing",
        "is_input",
    )

    def __init__(
        self,
        layer: Layer,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        outputs: list[KerasTensor],
        output_tree: Any,
        mask_routing: Any = ((), None),
        is_input: bool = False,
    ) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        leaves, _ = flatten_args((args, kwargs))
        self.input_tensors = [x for x in leaves if isinstance(x, KerasTensor)]
        self.outputs = outputs
        self.output_tree = output_tree
        self.mask_routing = mask_routing
        self.is_input = is_input

    @property
    def output_tensors(self) -> list[KerasTensor]:
        return self.outputs

    @property
    def output_structure(self) -> Any:
        return jax.tree_util.tree_unflatten(self.output_tree, self.outputs)

    def __repr__(self) -> str:
        return f"<Node layer={self.layer.name}, inputs={len(self.input_tensors)}>"


def inbound_nodes(layer: Layer) -> list[Node]:
    """The nodes recorded on `layer` (symbolic calls), oldest first."""
    nodes = layer.__dict__.get("_lx_inbound_nodes")
    if nodes is None:
        nodes = []
        # Bookkeeping lives in `_lx_` attributes, invisible to tracking and pytree keys;
        # object.__setattr__ keeps it from invalidating the global structure caches.
        object.__setattr__(layer, "_lx_inbound_nodes", nodes)
    return nodes


def _add_node(layer: Layer, node: Node) -> int:
    nodes = inbound_nodes(layer)
    nodes.append(node)
    index = len(nodes) - 1
    for i, tensor in enumerate(node.outputs):
        tensor._lx_history = (layer, index, i)
    return index


def node_attribute(layer: Layer, attr: str) -> Any:
    """The `SYMBOLIC["attr"]` hook: `layer.input`, `.output`, `.input_shape`, `.output_shape`."""
    nodes = layer.__dict__.get("_lx_inbound_nodes")
    if not nodes:
        raise AttributeError(
            f"Layer '{layer.name}' has never been called on symbolic tensors and thus has no "
            f"defined {attr}. Call it on `lx.Input(...)` tensors (the functional API) first."
        )
    node = nodes[0]
    if attr in ("input", "input_shape"):
        values: Any = node.input_tensors
        values = values[0] if len(values) == 1 else list(values)
    else:
        values = node.output_structure
    if attr.endswith("_shape"):
        return jax.tree_util.tree_map(lambda t: t.shape, values)
    return values


# -------------------------------------------------------------- InputLayer
class InputLayer(Layer):
    """The layer behind `lx.Input`: the entry point of a functional model.

    Its `output` is the symbolic tensor that `lx.Input` returns. It has no
    weights and does nothing when the model runs.

    Args:
        shape: Shape without the batch dimension (`None` for unknown sizes).
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (`lx.config.floatx()` by default).
        sparse: Only `False`/`None` (sparse inputs are not supported).
        ragged: Only `False`/`None` (ragged inputs are not supported).
        batch_shape: Full shape including the batch dimension (instead of
            `shape` and `batch_size`).
        input_tensor: An existing symbolic tensor to wrap.
        optional: Whether the input may be None (kept for Keras compatibility).
        name: Layer name (also the name of the tensor).

    Example:
        >>> import layerax as lx
        >>> layer = lx.layers.InputLayer(shape=(4,), name="features")
        >>> layer.output.shape, layer.batch_shape, layer.name
        ((None, 4), (None, 4), 'features')
    """

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        ragged: bool | None = None,
        batch_shape: Any = None,
        input_tensor: KerasTensor | None = None,
        optional: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Keras 2 spellings.
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to InputLayer: {kwargs}")
        super().__init__(name=name)
        if sparse or ragged:
            raise ValueError(
                f"InputLayer '{self.name}': sparse and ragged inputs are not supported by "
                "layerax. Pass dense arrays (pad ragged data and use a mask)."
            )
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    "Argument `input_tensor` must be a symbolic tensor (from `lx.Input`). "
                    f"Received: {input_tensor!r} of type {type(input_tensor).__name__}"
                )
            batch_shape = input_tensor.shape
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError(
                    "You cannot pass both `shape` and `batch_shape` to Input/InputLayer. "
                    f"Received: shape={shape}, batch_shape={batch_shape}"
                )
            if batch_size is not None and batch_shape is not None:
                raise ValueError(
                    "You cannot pass both `batch_size` and `batch_shape` to Input/InputLayer. "
                    f"Received: batch_size={batch_size}, batch_shape={batch_shape}"
                )
            if shape is None and batch_shape is None:
                raise ValueError(
                    "Input/InputLayer needs a `shape` argument (the shape without the batch "
                    "dimension), e.g. `lx.Input(shape=(28, 28, 1))`."
                )
            if shape is not None:
                batch_shape = (batch_size, *_standardize_shape(shape))
        object.__setattr__(self, "_batch_shape", _standardize_shape(batch_shape))
        object.__setattr__(self, "_input_dtype", _dtype_name(dtype))
        object.__setattr__(self, "optional", bool(optional))
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, self._input_dtype, name=name)
        node = Node(self, (), {}, [input_tensor], jax.tree_util.tree_structure(0), is_input=True)
        _add_node(self, node)
        object.__setattr__(self, "built", True)

    @property
    def batch_shape(self) -> tuple[Any, ...]:
        """The input shape, batch dimension included."""
        return self._batch_shape

    @property
    def dtype(self) -> str:
        """The dtype of the input."""
        return self._input_dtype

    def call(self, inputs: Any = None) -> Any:
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": self.optional,
        }


def Input(  # noqa: N802 - Keras' name
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    ragged: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: KerasTensor | None = None,
    optional: bool = False,
) -> KerasTensor:
    """Creates a symbolic input tensor, the start of a functional model.

    Args:
        shape: Shape without the batch dimension, e.g. `(28, 28, 1)`;
            `None` entries are sizes that may vary.
        batch_size: Optional fixed batch size.
        dtype: Dtype of the input (`lx.config.floatx()` by default).
        sparse: Only `False`/`None`.
        ragged: Only `False`/`None`.
        batch_shape: Full shape including the batch dimension.
        name: Name of the input (unique within a model).
        tensor: An existing symbolic tensor to wrap.
        optional: Kept for Keras compatibility.

    Returns:
        A `KerasTensor` whose batch dimension is `None` (unless fixed).

    Example:
        >>> import layerax as lx
        >>> x = lx.Input(shape=(3,), name="x")
        >>> y = lx.layers.Dense(2)(x)
        >>> x.shape, y.shape, y.dtype
        ((None, 3), (None, 2), 'float32')
    """
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        input_tensor=tensor,
        optional=optional,
        name=name,
    )
    return layer.output


# ------------------------------------------------------------ operators
_OPERATORS: dict[str, Any] = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "floor_divide": operator.floordiv,
    "mod": operator.mod,
    "power": operator.pow,
    "matmul": operator.matmul,
    "logical_and": operator.and_,
    "logical_or": operator.or_,
    "logical_xor": operator.xor,
    "less": operator.lt,
    "less_equal": operator.le,
    "greater": operator.gt,
    "greater_equal": operator.ge,
    "negative": operator.neg,
    "absolute": operator.abs,
    "logical_not": operator.invert,
    "get_item": operator.getitem,
}
# Operators whose output has the shape of the (first) input: they pass masks on.
_ELEMENTWISE = frozenset(_OPERATORS) - {"matmul", "get_item"}


class TensorOperator(Layer):
    """A Python operator on symbolic tensors, recorded as a layer of the graph.

    `x + y`, `2.0 * x`, `-x`, `x @ w`, `x[:, 0]` on symbolic tensors create
    one (named after the operation: `add`, `multiply`, `get_item`, ...); when
    the model runs it applies the operator to the arrays.

    Args:
        op: Name of the operation (`"add"`, `"subtract"`, `"multiply"`,
            `"divide"`, `"power"`, `"matmul"`, `"negative"`, `"get_item"`, ...).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> x = lx.Input(shape=(3,))
        >>> y = 2.0 * x + 1.0
        >>> model = lx.Model(x, y[:, :2])
        >>> [type(layer).__name__ for layer in model.layers][1:]
        ['TensorOperator', 'TensorOperator', 'TensorOperator']
        >>> model(jnp.ones((1, 3))).tolist()
        [[3.0, 3.0]]
    """

    def __init__(self, op: str, **kwargs: Any) -> None:
        if op not in _OPERATORS:
            raise ValueError(
                f"Unknown tensor operator {op!r}. Known operators: {sorted(_OPERATORS)}"
            )
        if kwargs.get("name") is None:
            kwargs["name"] = naming.uniquify(op)
        super().__init__(**kwargs)
        self.op = op
        self.supports_masking = op in _ELEMENTWISE

    def call(self, *args: Any) -> Any:
        return _OPERATORS[self.op](*args)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op}


# -------------------------------------------------------------------- masks
def _any_mask(masks: Any) -> bool:
    if masks is None:
        return False
    if isinstance(masks, (list, tuple)):
        return any(_any_mask(m) for m in masks)
    if isinstance(masks, dict):
        return any(_any_mask(m) for m in masks.values())
    return True


def wants_mask(layer: Layer, has_input_mask: bool) -> bool:
    """Whether the layer's output mask must be computed (Keras 3's rule).

    Layers that override `compute_mask` (Embedding, Masking) produce masks;
    layers with `supports_masking` pass their input mask on. Models answer
    from their own graph.
    """
    own = getattr(layer, "_lx_wants_mask", None)
    if own is not None:
        return bool(own(has_input_mask))
    overridden = type(layer).compute_mask is not Layer.compute_mask
    if not (layer.supports_masking or overridden):
        return False
    return has_input_mask or overridden


def mask_routing(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Where input masks go for one call: `(targets, first)`.

    `targets` lists `(keyword, location)` pairs: the mask of the argument at
    `location` (`("a", i)` positional, `("k", name)` keyword) is passed as
    `keyword` (`mask`, or `<arg>_mask` when the call takes several tensor
    arguments). `first` locates the first argument, whose mask is the
    `previous_mask` of `compute_mask`.
    """
    info = layer._call_info()
    names = [
        p.name
        for p in info.params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    positional = [
        p.name for p in info.params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    tensor_args: list[tuple[str | None, tuple[str, Any]]] = []
    for i, a in enumerate(args):
        if contains_symbolic(a):
            tensor_args.append((positional[i] if i < len(positional) else None, ("a", i)))
    for k, v in kwargs.items():
        if k not in ("mask", "training") and not k.endswith("_mask") and contains_symbolic(v):
            tensor_args.append((k, ("k", k)))
    targets: list[tuple[str, tuple[str, Any]]] = []
    if len(tensor_args) == 1:
        if "mask" in names and kwargs.get("mask") is None:
            targets.append(("mask", tensor_args[0][1]))
    else:
        for name, loc in tensor_args:
            key = f"{name}_mask"
            if name is not None and key in names and kwargs.get(key) is None:
                targets.append((key, loc))
    if args:
        first: Any = ("a", 0)
    elif kwargs:
        first = ("k", next(iter(kwargs)))
    else:
        first = None
    return tuple(targets), first


def _at(args: Any, kwargs: Any, loc: Any) -> Any:
    if loc is None:
        return None
    kind, key = loc
    if kind == "a":
        return args[key] if key < len(args) else None
    return kwargs.get(key)


class _MaskRequest:
    """Asks a model being called for the masks of its outputs (see `run_layer`)."""

    __slots__ = ("model", "masks", "answered")

    def __init__(self, model: Any) -> None:
        self.model = model
        self.masks: Any = None
        self.answered = False


_MASK_REQUESTS: list[_MaskRequest] = []


def answer_mask_request(model: Any, masks: Any) -> None:
    """Called by a model at the end of its graph: hands its output masks to the caller."""
    if _MASK_REQUESTS and _MASK_REQUESTS[-1].model is model and not _MASK_REQUESTS[-1].answered:
        _MASK_REQUESTS[-1].masks = masks
        _MASK_REQUESTS[-1].answered = True


def run_layer(
    layer: Layer,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    arg_masks: tuple[Any, ...],
    kwarg_masks: dict[str, Any],
    routing: tuple[Any, Any],
) -> tuple[Any, Any]:
    """Calls `layer` with masks routed as Keras 3 does; returns `(outputs, output_masks)`.

    `arg_masks`/`kwarg_masks` mirror `args`/`kwargs` with the mask of each
    tensor (or None). Used both under `jax.eval_shape` (graph construction)
    and when a model runs.
    """
    targets, first = routing
    call_kwargs = kwargs
    for keyword, loc in targets:
        mask = _at(arg_masks, kwarg_masks, loc)
        if _any_mask(mask):
            if call_kwargs is kwargs:
                call_kwargs = dict(kwargs)
            call_kwargs[keyword] = mask
    explicit = call_kwargs.get("mask")
    previous = explicit if explicit is not None else _at(arg_masks, kwarg_masks, first)
    if not wants_mask(layer, _any_mask(previous)):
        return layer(*args, **call_kwargs), None
    if getattr(layer, "_lx_wants_mask", None) is not None:
        # A model computes its output masks while it runs; ask for them instead of
        # running its graph a second time through compute_mask.
        request = _MaskRequest(layer)
        _MASK_REQUESTS.append(request)
        try:
            outputs = layer(*args, **call_kwargs)
        finally:
            _MASK_REQUESTS.pop()
        return outputs, request.masks
    outputs = layer(*args, **call_kwargs)
    return outputs, layer.compute_mask(_at(args, kwargs, first), previous)


def flatten_masks(masks: Any, count: int) -> list[Any]:
    """The masks of `count` flat outputs (None where a mask is missing)."""
    if masks is None:
        return [None] * count
    flat = jax.tree_util.tree_leaves(masks, is_leaf=lambda m: m is None)
    flat = flat[:count]
    return flat + [None] * (count - len(flat))


# ------------------------------------------------------------ symbolic call
def _shape_tree(x: Any) -> Any:
    if isinstance(x, KerasTensor):
        return x.shape
    if isinstance(x, list):
        return [_shape_tree(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_shape_tree(v) for v in x)
    if isinstance(x, dict):
        return {k: _shape_tree(v) for k, v in x.items()}
    return getattr(x, "shape", None)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _shapes_to_specs(shapes: Any, dtype: Any) -> Any:
    if _is_shape(shapes):
        return Spec(tuple(shapes), dtype)
    if isinstance(shapes, dict):
        return {k: _shapes_to_specs(v, dtype) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_shapes_to_specs(v, dtype) for v in shapes)
    if hasattr(shapes, "shape") and hasattr(shapes, "dtype"):
        return shapes
    try:
        return Spec(tuple(shapes), dtype)
    except TypeError as err:
        raise ValueError(
            f"compute_output_shape() returned {shapes!r}, which is not a shape tuple (or a "
            "list/tuple/dict of them)."
        ) from err


def _declared_output_specs(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Output specs from the layer's own `compute_output_spec`/`compute_output_shape`, if any."""
    cls = type(layer)
    try:
        if cls.compute_output_spec is not Layer.compute_output_spec:
            return layer.compute_output_spec(*args, **kwargs)
        if cls.compute_output_shape is not Layer.compute_output_shape:
            params = [
                p.name
                for p in inspect.signature(cls.compute_output_shape).parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            ]
            if len(params) > 1 and all(p.endswith("_shape") for p in params):
                info = layer._call_info()
                bound = dict(zip([p.name for p in info.params], args))
                bound.update(kwargs)
                shapes = layer.compute_output_shape(
                    **{p: _shape_tree(bound.get(p[: -len("_shape")])) for p in params}
                )
            else:
                first = args[0] if args else next(iter(kwargs.values()), None)
                shapes = layer.compute_output_shape(_shape_tree(first))
            return _shapes_to_specs(shapes, jnp.dtype(layer.compute_dtype).name)
    except NotImplementedError:
        return None
    return None


def _trace(
    layer: Layer, leaves: list[Any], treedef: Any, routing: Any, with_outputs: bool
) -> tuple[Any, Any]:
    """Output specs and output-mask specs by abstract evaluation (two placeholder sizes)."""
    positions = [i for i, x in enumerate(leaves) if isinstance(x, KerasTensor)]
    results = []
    for size in _PLACEHOLDERS:
        def concrete(t: KerasTensor | None) -> Any:
            if t is None:
                return None
            return jax.ShapeDtypeStruct(tuple(size if d is None else d for d in t.shape), t.dtype)

        values = [concrete(leaves[i]) for i in positions]
        masks = [concrete(leaves[i]._lx_mask) for i in positions]

        def run(values: list[Any], masks: list[Any]) -> Any:
            filled = list(leaves)
            mask_leaves: list[Any] = [None] * len(leaves)
            for i, v, m in zip(positions, values, masks):
                filled[i] = v
                mask_leaves[i] = m
            args, kwargs = jax.tree_util.tree_unflatten(treedef, filled)
            margs, mkwargs = jax.tree_util.tree_unflatten(treedef, mask_leaves)
            # The pure bridge lets the call read and even assign variables (seed
            # generators, moving statistics) and restores everything afterwards.
            with StateScope([], [], adopt_missing=True):
                outputs, out_masks = run_layer(layer, args, kwargs, margs, mkwargs, routing)
            if not with_outputs:
                outputs = None
            return outputs, out_masks

        results.append(jax.eval_shape(run, values, masks))
    return _merge_specs(results[0][0], results[1][0]), _merge_specs(results[0][1], results[1][1])


def _merge_specs(a: Any, b: Any) -> Any:
    """Specs of `a` with None where `a` and `b` (placeholder runs) differ."""
    if a is None:
        return None
    flat_a, tree = jax.tree_util.tree_flatten(a)
    flat_b = jax.tree_util.tree_leaves(b)
    merged = [
        Spec(tuple(d if d == e else None for d, e in zip(x.shape, y.shape)), x.dtype)
        for x, y in zip(flat_a, flat_b)
    ]
    return jax.tree_util.tree_unflatten(tree, merged)


def symbolic_call(layer: Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The `SYMBOLIC["call"]` hook: builds `layer`, records a node, returns symbolic outputs."""
    kwargs = dict(kwargs)
    if layer.input_spec is not None and args:
        assert_input_compatibility(layer.input_spec, args[0], layer.name)
    if not layer.built:
        layer._maybe_build(args, kwargs)
    leaves, treedef = flatten_args((args, kwargs))
    routing = mask_routing(layer, args, kwargs)
    mask_leaves = [x._lx_mask if isinstance(x, KerasTensor) else None for x in leaves]
    margs, mkwargs = jax.tree_util.tree_unflatten(treedef, mask_leaves)
    explicit = kwargs.get("mask")
    previous = explicit if explicit is not None else _at(margs, mkwargs, routing[1])
    has_mask = _any_mask(previous)
    want_mask = wants_mask(layer, has_mask)
    if has_mask and not want_mask and not layer.supports_masking:
        warnings.warn(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
            "mask attached to it. However, this layer does not support masking and will "
            "therefore destroy the mask information. Downstream layers will not see the mask.",
            stacklevel=3,
        )
    specs = _declared_output_specs(layer, args, kwargs)
    mask_specs = None
    if specs is None or want_mask:
        traced, mask_specs = _trace(layer, leaves, treedef, routing, with_outputs=specs is None)
        if specs is None:
            specs = traced
    flat_specs, out_tree = jax.tree_util.tree_flatten(specs)
    outputs = [KerasTensor(s.shape, s.dtype) for s in flat_specs]
    for tensor, mask in zip(outputs, flatten_masks(mask_specs, len(outputs))):
        if mask is not None:
            tensor._lx_mask = KerasTensor(mask.shape, mask.dtype, name=f"{tensor.name}_mask")
    node = Node(layer, tuple(args), kwargs, outputs, out_tree, routing)
    _add_node(layer, node)
    return jax.tree_util.tree_unflatten(out_tree, outputs)


def install() -> None:
    """Installs the functional API's hooks into the core Layer."""
    _layer_module.SYMBOLIC["check"] = is_symbolic_call
    _layer_module.SYMBOLIC["call"] = symbolic_call
    _layer_module.SYMBOLIC["attr"] = node_attribute


install()


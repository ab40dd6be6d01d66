"""`lx.Sequential`: a plain stack of layers, each with one input and one output."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.core import naming, serialization
from layerax.core.layer import Layer
from layerax.core.shape_inference import Spec
from layerax.models import host_prefix, masking
from layerax.models.model import Model
from layerax.models.input_layer import InputLayer
from layerax.models.keras_tensor import KerasTensor, _dtype_name
from layerax.models.node import inbound_nodes

__all__ = ["Sequential"]


def _standardize_build_shape(input_shape: Any) -> tuple[Any, ...] | None:
    """A single shape tuple, or None when `input_shape` is not one (nested inputs)."""
    if isinstance(input_shape, (list, tuple)) and all(
        d is None or isinstance(d, int) for d in input_shape
    ):
        return tuple(input_shape)
    return None


class Sequential(Model):
    """A stack of layers where each layer has exactly one input and one output.

    Layers come from the constructor or `add()`. When the first layer is an
    `lx.Input` (or a layer given `input_shape=`), the model is built at once
    and has symbolic `inputs`/`outputs`; otherwise it is built by `build()`
    or on its first call.

    Args:
        layers: Optional list of layers (an `lx.Input(...)` tensor may come first).
        trainable: Whether the model's weights are trainable.
        name: Model name.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> model = lx.Sequential([
        ...     lx.Input(shape=(3,)),
        ...     lx.layers.Dense(2, activation="relu", name="layer1"),
        ...     lx.layers.Dense(4, name="layer2"),
        ... ])
        >>> model.output_shape, [layer.name for layer in model.layers]
        ((None, 4), ['layer1', 'layer2'])
        >>> model(jnp.ones((5, 3))).shape
        (5, 4)
        >>> model.pop().name, model.output_shape
        ('layer2', (None, 2))
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # Never the functional dispatch of Model.__new__: positional args are layers.
        return Layer.__new__(cls, *args, **kwargs)

    def __init__(self, layers: Any = None, trainable: bool = True, name: str | None = None) -> None:
        super().__init__(trainable=trainable, name=name)
        self._layers = []
        object.__setattr__(self, "_lx_chain", None)
        object.__setattr__(self, "_lx_input_dtype", None)
        if layers:
            if isinstance(layers, (Layer, KerasTensor)):
                layers = [layers]
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # -------------------------------------------------------------- layers
    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Adds a layer (or an `lx.Input` tensor, as first element) on top of the stack.

        Raises:
            ValueError: for a non-layer, a duplicate layer name, or a second Input.
        """
        if isinstance(layer, KerasTensor):
            origin = layer._lx_history[0] if layer._lx_history is not None else None
            if isinstance(origin, InputLayer):
                layer = origin
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `lx.Layer` can be added to a Sequential model. "
                f"Received: {layer!r} (of type {type(layer).__name__})"
            )
        if not self._layers and getattr(layer, "_lx_input_shape_arg", None) is not None:
            # Keras allows `Dense(4, input_shape=(3,))` as first layer.
            self._layers.append(InputLayer(shape=layer._lx_input_shape_arg))
        for existing in self._layers:
            if existing.name == layer.name and existing is not layer:
                raise ValueError(
                    "All layers added to a Sequential model should have unique names. Name "
                    f"'{layer.name}' is already the name of a layer in model '{self.name}'. "
                    "Pass a distinct `name=` argument."
                )
        if isinstance(layer, InputLayer) and self._layers and isinstance(self._layers[0], InputLayer):
            raise ValueError(
                f"Sequential model '{self.name}' has already been configured to use input shape "
                f"{self._layers[0].batch_shape}. You cannot add a different Input layer to it."
            )
        if isinstance(layer, InputLayer) and self._layers:
            raise ValueError(
                f"An Input can only be the first layer of Sequential model '{self.name}'."
            )
        self._layers.append(layer)
        chain = self._lx_chain
        if rebuild and chain is not None and not isinstance(layer, InputLayer):
            # Extend the symbolic chain instead of rebuilding it all (in the model's name
            # scope, as a rebuild would).
            with naming.name_scope(self.name):
                chain.append(layer(chain[-1]))
        elif rebuild:
            self._maybe_rebuild()
        else:
            self._lx_reset()

    def pop(self, rebuild: bool = True) -> Layer:
        """Removes and returns the top layer.

        Raises:
            ValueError: when the model has no layers.
        """
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers to pop.")
        layer = self._layers.pop()
        chain = self._lx_chain
        if rebuild and chain is not None and len(chain) > 2:
            chain.pop()
        elif rebuild:
            self._maybe_rebuild()
        else:
            self._lx_reset()
        return layer

    def _lx_reset(self) -> None:
        object.__setattr__(self, "built", False)
        object.__setattr__(self, "_lx_chain", None)

    def _maybe_rebuild(self) -> None:
        self._lx_reset()
        if not self._layers:
            return
        first = self._layers[0]
        if isinstance(first, InputLayer) and len(self._layers) > 1:
            self.build(first.batch_shape)
        elif isinstance(first, Model) and len(self._layers) > 1:
            try:
                shape = first.input_shape
            except AttributeError:
                return
            if _standardize_build_shape(shape) is not None:
                self.build(shape)

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the InputLayer (as in Keras)."""
        layers = list(self._layers)
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return layers

    # --------------------------------------------------------------- build
    def _maybe_build(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        # A deferred build on real data: remember the data's dtype for the InputLayer.
        first = args[0] if args else None
        dtype = getattr(first, "dtype", None)
        if dtype is not None and not isinstance(first, KerasTensor):
            object.__setattr__(self, "_lx_input_dtype", _dtype_name(dtype))
        elif isinstance(first, KerasTensor):
            object.__setattr__(self, "_lx_input_dtype", first.dtype)
        super()._maybe_build(args, kwargs)

    def build(self, input_shape: Any = None) -> None:
        """Builds the stack symbolically for inputs of `input_shape` (batch dimension included)."""
        if not self._layers:
            raise ValueError(
                f"Sequential model '{self.name}' cannot be built because it has no layers. "
                "Call `model.add(layer)` first."
            )
        first = self._layers[0]
        if input_shape is None and isinstance(first, InputLayer):
            input_shape = first.batch_shape
        shape = _standardize_build_shape(input_shape)
        if shape is None:
            # Nested or unknown inputs: the layers are built by the first call.
            return
        if isinstance(first, InputLayer):
            ref = first.batch_shape
            if len(ref) != len(shape) or any(
                a is not None and b is not None and a != b for a, b in zip(ref, shape)
            ):
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {ref}. You cannot build it with input_shape {shape}."
                )
        else:
            dtype = self._lx_input_dtype or first.compute_dtype
            self._layers.insert(0, InputLayer(batch_shape=shape, dtype=dtype))
        x = self._layers[0].output
        chain = [x]
        try:
            for layer in self._layers[1:]:
                x = layer(x)
                chain.append(x)
        except NotImplementedError:
            # A layer without symbolic shape inference: run the stack eagerly instead.
            object.__setattr__(self, "_lx_chain", None)
            return
        object.__setattr__(self, "_lx_chain", chain)

    # --------------------------------------------------------------- call
    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        prefix = host_prefix.active_for(self)
        if prefix is not None:  # inside fit's compiled step: the host layers already ran
            return prefix.device_call(inputs, training, mask)
        x = inputs
        first = self._layers[0] if self._layers else None
        if isinstance(first, InputLayer) and hasattr(x, "dtype") and hasattr(x, "shape"):
            x = self._lx_convert_input(x, first)
        return self._lx_run_stack(x, self._layers, mask)

    def _lx_run_stack(self, x: Any, layers: list[Layer], mask: Any) -> Any:
        """Runs `layers` (a tail of the stack) on `x`, routing the masks."""
        for layer in layers:
            if isinstance(layer, InputLayer):
                continue
            if mask is None and not masking.wants_mask(layer, False):
                x = layer(x)
                continue
            routing = (
                (("mask", ("a", 0)),) if layer._call_info().accepts_mask else (),
                ("a", 0),
            )
            x, mask = masking.run_layer(layer, (x,), {}, (mask,), {}, routing)
        if masking.has_mask_request():
            masking.answer_mask_request(self, mask)
        return x

    def _lx_convert_input(self, x: Any, input_layer: InputLayer) -> Any:
        dtype = input_layer.dtype
        if dtype == "string":
            return x  # host strings (numpy): the host layers take them as they are
        if not isinstance(x, jax.Array):
            x = jnp.asarray(x, dtype=dtype)
        elif x.dtype != dtype:
            x = x.astype(dtype)
        shape = input_layer.batch_shape
        if x.ndim == len(shape) - 1 and shape[-1] == 1:
            x = jnp.expand_dims(x, -1)
        elif x.ndim == len(shape) + 1 and x.shape[-1] == 1:
            x = jnp.squeeze(x, -1)
        if x.ndim != len(shape) or any(
            ref is not None and got != ref for got, ref in zip(x.shape[1:], shape[1:])
        ):
            raise ValueError(
                f"Input 0 of Sequential model '{self.name}' is incompatible with the model: "
                f"expected shape {shape}, received an array of shape {tuple(x.shape)}."
            )
        return x

    def _lx_wants_mask(self, has_input_mask: bool) -> bool:
        if has_input_mask:
            return True
        chain = self._lx_chain
        if chain is not None:
            return chain[-1]._lx_mask is not None
        return any(masking.wants_mask(layer, False) for layer in self.layers)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the output for `inputs` with input mask `previous_mask` (runs the stack)."""
        x, mask = inputs, previous_mask
        for layer in self.layers:
            routing = ((("mask", ("a", 0)),) if layer._call_info().accepts_mask else (), ("a", 0))
            x, mask = masking.run_layer(layer, (x,), {}, (mask,), {}, routing)
        return mask

    def compute_output_spec(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """Output spec; the recorded output when the input shape is the model's own."""
        chain = self._lx_chain
        if chain is not None and tuple(getattr(inputs, "shape", ())) == chain[0].shape:
            return Spec(chain[-1].shape, jnp.dtype(chain[-1].dtype))
        return super().compute_output_spec(inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape; the recorded one when `input_shape` is the model's own."""
        chain = self._lx_chain
        if chain is not None and tuple(input_shape) == chain[0].shape:
            return chain[-1].shape
        return super().compute_output_shape(input_shape)

    # ------------------------------------------------------ symbolic info
    def _lx_require_chain(self, what: str) -> list[KerasTensor]:
        chain = self._lx_chain
        if chain is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no defined {what} yet: it is not built. "
                "Start it with `lx.Input(shape=...)`, call `build(input_shape)`, or call it on data."
            )
        return chain

    @property
    def inputs(self) -> list[KerasTensor]:
        """The model's symbolic input, in a list (the model must know its input shape).

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> model.inputs[0].shape, model.outputs[0].shape
            ((None, 3), (None, 2))
        """
        return [self._lx_require_chain("inputs")[0]]

    def _lx_declared_output_names(self) -> list[str] | None:
        """`output_0`, ... once the input shape is known (for `compile`'s loss dicts)."""
        try:
            outputs = self.outputs
        except (AttributeError, ValueError):
            return None
        return [f"output_{i}" for i in range(len(outputs))] if outputs else None

    @property
    def outputs(self) -> list[KerasTensor]:
        """The model's symbolic output, in a list (the model must know its input shape)."""
        return [self._lx_require_chain("outputs")[-1]]

    @property
    def input(self) -> KerasTensor:  # type: ignore[override]
        return self._lx_require_chain("input")[0]

    @property
    def output(self) -> KerasTensor:  # type: ignore[override]
        return self._lx_require_chain("output")[-1]

    @property
    def input_shape(self) -> Any:  # type: ignore[override]
        return self._lx_require_chain("input shape")[0].shape

    @property
    def output_shape(self) -> Any:  # type: ignore[override]
        return self._lx_require_chain("output shape")[-1].shape

    def _lx_nodes_in_model(self) -> set[int]:
        chain = self._lx_chain or []
        found = set()
        for t in chain:
            layer, index, _ = t._lx_history
            found.add(id(inbound_nodes(layer)[index]))
        return found

    # -------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The configs of the layers (InputLayer included) and the build shape."""
        from layerax.core.serialization_lib import serialize_layer

        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [serialize_layer(layer) for layer in self._layers],
        }
        if self._lx_chain is not None:
            config["build_input_shape"] = self._lx_chain[0].shape
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        """Rebuilds the stack from `get_config()`'s output (fresh weights)."""
        from layerax.core.serialization_lib import deserialize_layer

        if not isinstance(config, dict) or "layers" not in config:
            raise ValueError(
                "A Sequential model config must be a dict with 'name' and 'layers' (from "
                f"`model.get_config()`). Received: {config!r}"
            )
        with serialization.custom_object_scope(custom_objects or {}):
            model = cls(name=config.get("name"), trainable=config.get("trainable", True))
            for layer_config in config["layers"]:
                model.add(deserialize_layer(layer_config, custom_objects=custom_objects), rebuild=False)
            model._maybe_rebuild()
            build_shape = config.get("build_input_shape")
            if model._lx_chain is None and build_shape:
                model.build(tuple(build_shape))
        return model

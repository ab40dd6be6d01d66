"""`lx.Model`: a Layer with the training API; `Model(inputs, outputs)` builds a Functional model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layerax.core import serialization
from layerax.core.layer import Layer
from layerax.models import host_prefix
from layerax.models.saving_hooks import saving_function
from layerax.trainers.trainer import Trainer

# User subclasses of Model called with (inputs, outputs) become subclasses of both
# the user's class and Functional (Keras' "functional subclass" pattern); one per class.
_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}


def _is_functional_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )


def _functional_class(cls: type) -> type:
    from layerax.models.functional import Functional

    if issubclass(cls, Functional):
        return cls
    if cls is Model:
        return Functional
    derived = _FUNCTIONAL_SUBCLASSES.get(cls)
    if derived is None:
        derived = type(
            cls.__name__,
            (cls, Functional),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__},
        )
        _FUNCTIONAL_SUBCLASSES[cls] = derived
    return derived


class Model(Trainer, Layer):
    """A layer that groups layers and, with `compile`/`fit`, trains them.

    There are three ways to make one:

    * `lx.Model(inputs, outputs)`: the functional API (a graph of layer calls
      on `lx.Input` tensors);
    * `lx.Sequential([...])`: a stack of layers;
    * subclassing: sub-layers in `__init__`, computation in `call`; `layers`
      lists the tracked sub-layers.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class MLP(lx.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = lx.layers.Dense(8, activation="relu", name="hidden")
        ...         self.out = lx.layers.Dense(2, name="out")
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> model = MLP()
        >>> model(jnp.ones((1, 4))).shape
        (1, 2)
        >>> [layer.name for layer in model.layers]
        ['hidden', 'out']
        >>> inputs = lx.Input(shape=(4,))
        >>> functional = lx.Model(inputs, lx.layers.Dense(2)(inputs))
        >>> type(functional).__name__, functional(jnp.ones((1, 4))).shape
        ('Functional', (1, 2))
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # Only `Model(inputs, outputs)` itself dispatches here, as in Keras: a subclass's own
        # `__init__(self, encoder, decoder)` takes two positional arguments of its own. A
        # subclass that passes (inputs, outputs) to `super().__init__` becomes functional there.
        if cls is Model and _is_functional_call(args, kwargs):
            return Layer.__new__(_functional_class(cls), *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _is_functional_call(args, kwargs):
            from layerax.models.functional import Functional

            if not isinstance(self, Functional):
                # A subclass that builds its graph in __init__ and calls
                # super().__init__(inputs, outputs): it becomes functional.
                object.__setattr__(self, "__class__", _functional_class(type(self)))
            Functional.__init__(self, *args, **kwargs)  # type: ignore[arg-type]
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments (name=..., trainable=..., "
                f"dtype=...) or (inputs, outputs) for a functional model. Received {len(args)} "
                "positional argument(s)."
            )
        super().__init__(**kwargs)

    @property
    def layers(self) -> list[Layer]:
        """The tracked sub-layers, in the order they were assigned."""
        return list(self._direct_sublayers())

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer of the model by name or by index in `layers`.

        Raises:
            ValueError: when neither or both are given, or nothing matches.
        """
        if (name is None) == (index is None):
            raise ValueError(
                "Provide exactly one of `name` or `index` to get_layer(). "
                f"Received: name={name!r}, index={index!r}"
            )
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only "
                    f"has {len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
        )

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Model '{self.name}' ({type(self).__name__}) does not implement `call()`. Subclass "
            "lx.Model and define `call(self, inputs)`, or build a Functional or Sequential model."
        )

    def _lx_find_host_prefix(self) -> Any:
        """The model's first layers that take strings (`models/host_prefix.py`), or None;
        the trainer calls it once per compiled model and caches the result."""
        return host_prefix.find(self)

    # ------------------------------------------------------------- summary
    def summary(
        self,
        line_length: int | None = None,
        positions: list[float] | None = None,
        print_fn: Callable[[str], Any] | None = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Prints a table of the layers, their output shapes and parameter counts.

        Args:
            line_length: Total width of the table (88 or 108 characters by default).
            positions: Relative (<= 1) or absolute right edges of the columns.
            print_fn: Called once with the whole summary text (`print` by default).
            expand_nested: Also list the layers of nested models.
            show_trainable: Add a column telling whether each layer is trainable.
            layer_range: `[first_name, last_name]`: only the rows between these layers.

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential(
            ...     [lx.Input(shape=(3,)), lx.layers.Dense(2, name="dense")], name="tiny"
            ... )
            >>> model.summary(line_length=60)
            Model: "tiny"
            ┏━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━┓
            ┃ Layer (type)             ┃ Output Shape      ┃   Param # ┃
            ┡━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━┩
            │ dense (Dense)            │ (None, 2)         │         8 │
            └──────────────────────────┴───────────────────┴───────────┘
             Total params: 8 (32.00 B)
             Trainable params: 8 (32.00 B)
             Non-trainable params: 0 (0.00 B)
        """
        from layerax.models.summary import summary_text

        text = summary_text(
            self,
            line_length=line_length,
            positions=positions,
            expand_nested=expand_nested,
            show_trainable=show_trainable,
            layer_range=layer_range,
        )
        (print_fn or print)(text)

    def _repr_html_(self) -> str:
        """A rich HTML summary for notebooks."""
        from layerax.models.summary import summary_html

        return summary_html(self)

    # -------------------------------------------------------------- saving
    def save(self, filepath: Any, overwrite: bool = True, zipped: Any = None, **kwargs: Any) -> None:
        """Saves the whole model: a Keras 3 `.keras` archive, or layerax's own `.layerax`.

        A `.keras` path writes Keras 3's format (config with Keras' module
        names, `model.weights.h5`, compile config, the optimizer's slots for
        Adam, AdamW, SGD, RMSprop, Adagrad, Adamax, Lion): `keras.saving.load_model`
        loads it. A
        `.layerax` archive holds the config, the weights, the `compile()`
        arguments, seed states and (with `include_optimizer=True`, the default)
        any optimizer's state; `lx.models.load_model(path)` restores a model
        that predicts identically and continues training where this one
        stopped. The write is atomic.

        Args:
            filepath: Path ending in `.keras` or `.layerax`.
            overwrite: Replace an existing file (otherwise FileExistsError).
            zipped: Kept for Keras compatibility (the archive is always a zip).
            **kwargs: `include_optimizer=True`.

        Example:
            >>> import os, tempfile, layerax as lx, numpy as np
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.layerax")
            >>> model.save(path)
            >>> x = np.ones((2, 3), "float32")
            >>> bool(np.array_equal(lx.models.load_model(path)(x), model(x)))
            True
        """
        include_optimizer = kwargs.pop("include_optimizer", True)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to save(): {sorted(kwargs)}")
        if zipped is False:
            raise ValueError("`zipped=False` is not supported: a layerax model archive is a zip file.")
        saving_function("save_model")(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: bool | None = None,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Writes the model's inference call as a serving artifact (endpoint `serve`).

        Args:
            filepath: The directory to write.
            format: `"jax"`: StableHLO programs (`jax.export`) with the weights, which run
                with jax alone and keep unknown (None) dimensions symbolic, so any batch
                size works (see `lx.export.load_jax_export`). `"tf_saved_model"` (Keras'
                default): a TensorFlow SavedModel through jax2tf; needs TensorFlow.
            verbose: Print what was written (default True).
            input_signature: One entry per call argument (`lx.InputSpec`, shape tuples,
                lists/dicts of them); by default the model's inputs.
            **kwargs: `platforms` (format "jax": e.g. `("cpu", "cuda", "tpu")`) and
                `jax2tf_kwargs`.

        Example:
            >>> import layerax as lx, numpy as np, tempfile, os
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> path = os.path.join(tempfile.mkdtemp(), "served")
            >>> model.export(path, format="jax", verbose=False)
            >>> serve = lx.export.load_jax_export(path)["serve"]
            >>> serve(np.ones((7, 3), "float32")).shape
            (7, 2)
        """
        from layerax.export.export_archive import export_model

        export_model(self, filepath, format=format, verbose=verbose,
                     input_signature=input_signature, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, max_shard_size: Any = None) -> None:
        """Saves the model's variables; the format follows the suffix.

        `.weights.npz` (numpy), `.safetensors` (`pip install layerax[safetensors]`)
        or `.weights.h5` (Keras 3's layout, `pip install layerax[h5]`: files
        are interchangeable with Keras for the same architecture). The write
        is atomic.

        Example:
            >>> import os, tempfile, layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.npz")
            >>> model.save_weights(path)
            >>> model.load_weights(path)
        """
        if max_shard_size is not None:
            raise ValueError("`max_shard_size` (sharded weight files) is not supported.")
        saving_function("save_weights")(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Loads weights saved by `save_weights` (or Keras 3's `.weights.h5`, or an archive).

        Everything is checked before any variable changes: a mismatch raises a
        ValueError naming the first mismatching variable and leaves the model
        unchanged, unless `skip_mismatch=True` (mismatching layers are then
        skipped with a warning).

        Example:
            >>> import os, tempfile, layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> path = os.path.join(tempfile.mkdtemp(), "model.weights.npz")
            >>> model.save_weights(path)
            >>> bigger = lx.Sequential([lx.Input((3,)), lx.layers.Dense(5)])
            >>> bigger.load_weights(path)
            Traceback (most recent call last):
            ...
            ValueError: Could not load the weights from ...
        """
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to load_weights(): {sorted(kwargs)}")
        saving_function("load_weights")(self, filepath, skip_mismatch=skip_mismatch)

    # -------------------------------------------------------------- config
    def get_compile_config(self) -> dict[str, Any] | None:
        """The arguments of `compile()` as JSON-able data (None if not compiled).

        `model.save` stores it; `load_model` passes it to `compile_from_config`.

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> model.compile(optimizer="sgd", loss="mse")
            >>> model.get_compile_config()["loss"]
            'mse'
        """
        return saving_function("compile_config")(self)

    def compile_from_config(self, config: dict[str, Any]) -> None:
        """Compiles the model from what `get_compile_config` returned.

        An optimizer that could not be saved (a raw optax transformation) leaves
        the model uncompiled, with a warning.

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> opt = lx.optimizers.serialize(lx.optimizers.Adam())
            >>> model.compile_from_config({"optimizer": opt, "loss": "mse"})
            >>> type(model.optimizer).__name__
            'Adam'
        """
        import warnings

        if not saving_function("compile_from_config")(self, config):
            warnings.warn(
                f"Model '{self.name}' was not compiled from its saved compile config: its "
                f"optimizer ({config.get('optimizer_class')}) could not be saved. Call "
                "`model.compile(...)` yourself.",
                stacklevel=2,
            )

    def to_json(self, **kwargs: Any) -> str:
        """The model's serialized config as a JSON string (`json.dumps` kwargs pass through).

        `lx.models.model_from_json` rebuilds the model (fresh weights).

        Example:
            >>> import layerax as lx
            >>> model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2)])
            >>> type(lx.models.model_from_json(model.to_json())).__name__
            'Sequential'
        """
        import json

        from layerax.core.serialization_lib import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        """Creates a model from `get_config()`'s output (a functional graph or constructor args)."""
        from layerax.models.functional_config import is_functional_config

        if is_functional_config(config):
            target = _functional_class(cls)
            return target.from_config(config, custom_objects=custom_objects)
        with serialization.custom_object_scope(custom_objects or {}):
            return Layer.from_config.__func__(cls, config)  # type: ignore[attr-defined]


def model_from_json(json_string: str, custom_objects: Any = None) -> Any:
    """Rebuilds a model from `model.to_json()`'s output (fresh weights, no compile state).

    Args:
        json_string: What `Model.to_json()` returned.
        custom_objects: User classes and functions by name.

    Example:
        >>> import layerax as lx
        >>> inputs = lx.Input((4,))
        >>> model = lx.Model(inputs, lx.layers.Dense(2)(inputs))
        >>> lx.models.model_from_json(model.to_json()).output_shape
        (None, 2)
    """
    import json

    from layerax.core.serialization_lib import deserialize_keras_object

    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)

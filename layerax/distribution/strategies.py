"""`Distribution`, `DataParallel`, `ModelParallel` and the global distribution.

A distribution decides where arrays live: variables get a layout when they
are created (each device receives only its shard), batches are split along
their batch axis, and compiled steps (`lx.function`, `fit`) keep the state in
those layouts. The computation itself is left to XLA's GSPMD partitioner: the
model code does not change.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from layerax.core import placement
from layerax.core.context import CTX
from layerax.core.state import is_bound_here, is_trace_local
from layerax.distribution.layouts import (
    DEFAULT_BATCH_DIM_NAME,
    DeviceMesh,
    LayoutMap,
    TensorLayout,
    named_sharding,
)


class Distribution:
    """Base class: where variables, data and layer outputs are placed.

    Args:
        device_mesh: The `DeviceMesh`.
        batch_dim_name: The mesh axis that splits the batch.
        auto_shard_dataset: Kept for Keras compatibility (layerax feeds each
            process its own data: see `lx.distribution.initialize`).

    Subclass it to place variables yourself: override `get_variable_layout`.

    Example:
        >>> import layerax as lx
        >>> class ReplicateAll(lx.distribution.Distribution):
        ...     pass
        >>> mesh = lx.distribution.DeviceMesh((1,), ["batch"])
        >>> strategy = ReplicateAll(mesh, batch_dim_name="batch")
        >>> strategy.get_data_layout((16, 3)).axes, strategy.num_model_replicas
        (('batch', None), 1)
    """

    def __init__(self, device_mesh: DeviceMesh, batch_dim_name: str | None = None,
                 auto_shard_dataset: bool = True) -> None:
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = jax.process_count()
        self._process_id = jax.process_index()
        self._is_multi_process = self._num_processes > 1
        self._replicated = NamedSharding(device_mesh.backend_mesh, PartitionSpec())
        self._mesh_devices = frozenset(device_mesh.backend_mesh.devices.flat)

    # ------------------------------------------------------------ Keras API
    @property
    def device_mesh(self) -> DeviceMesh:
        """The mesh the distribution places variables and batches on."""
        return self._device_mesh

    @property
    def batch_dim_name(self) -> str | None:
        """The mesh axis along which batches are split (None: batches are replicated)."""
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self) -> bool:
        """Whether `fit` gives each process its own part of the dataset; settable."""
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value: bool) -> None:
        self._auto_shard_dataset = value

    @property
    def num_processes(self) -> int:
        """The number of JAX processes the distribution spans."""
        return self._num_processes

    @property
    def num_model_replicas(self) -> int:
        """How many copies of the model run side by side (the batch axis size)."""
        if self._batch_dim_name is None:
            return 1
        return self._device_mesh.axis_size(self._batch_dim_name)

    def get_data_layout(self, data_shape: Sequence[int]) -> TensorLayout:
        """The layout of a batch of this shape: split along dimension 0."""
        spec: list[str | None] = [None] * len(data_shape)
        if spec:
            spec[0] = self._batch_dim_name
        return TensorLayout(spec, self._device_mesh)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        """The layout of a variable (replicated unless a subclass says otherwise)."""
        return TensorLayout([None] * len(variable.shape), self._device_mesh)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        """The layout of an intermediate tensor (a layer output, `"<layer path>/output"`)."""
        del path
        return None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Makes this the active distribution inside a `with` block."""
        previous = distribution()
        set_distribution(self)
        try:
            yield
        finally:
            set_distribution(previous)

    def distribute_dataset(self, dataset: Any) -> Any:
        """Returns `dataset`: each process already passes its own part of the data to `fit`."""
        return dataset

    def __repr__(self) -> str:
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"

    # ------------------------------------------- layerax internals (placement)
    def _lx_on_mesh(self, value: Any) -> bool:
        sharding = getattr(value, "sharding", None)
        return isinstance(sharding, NamedSharding) and sharding.device_set == self._mesh_devices

    def _lx_variable_sharding(self, variable: Any) -> NamedSharding:
        layout = self.get_variable_layout(variable)
        if layout is None:
            return self._replicated
        if len(layout.axes) != len(variable.shape):
            raise ValueError(
                f"The layout {layout.axes} for variable '{variable.path}' has {len(layout.axes)} "
                f"axes but the variable has shape {variable.shape}. Give one mesh axis name (or "
                "None) per dimension."
            )
        sharding = layout.backend_layout
        _check_divisible(variable.shape, sharding, f"variable '{variable.path}'")
        return sharding

    def _lx_create_variable_value(self, variable: Any, make: Any) -> tuple[Any, bool]:
        """Creates a variable's value on the host and sends each device its shard."""
        host = _host_device()
        with jax.default_device(host) if host is not None else contextlib.nullcontext():
            value, owns = make()
        if self._lx_on_mesh(value):
            # Laid out explicitly (e.g. optimizer slots created like their parameter).
            variable._sharding = value.sharding
            return value, owns
        variable._value = value  # the layout looks at the path and the shape
        sharding = self._lx_variable_sharding(variable)
        if host is not None and isinstance(value, jax.Array) and not self._lx_on_mesh(value):
            value = np.asarray(value)  # on the host already: no copy
        variable._sharding = sharding
        return placement.put(value, sharding), True

    def _lx_place_state(self, variables: Sequence[Any]) -> None:
        """Moves variables created before the distribution (or without it) onto the mesh."""
        for var in variables:
            if var._sharding is None and not is_bound_here(var) and not is_trace_local(var):
                sharding = self._lx_variable_sharding(var)
                var._value = placement.put(var._value, sharding)
                var._sharding = sharding
                var._owns_buffer = True

    def _lx_data_sharding(self, shape: tuple[int, ...], batch_axis: int) -> NamedSharding | None:
        """The sharding of a batch leaf, or None when it cannot be split evenly."""
        if len(shape) <= batch_axis:
            return self._replicated
        layout = self.get_data_layout(shape[batch_axis:])
        spec = [None] * batch_axis + list(layout.axes)
        sharding = named_sharding(self._device_mesh.backend_mesh, spec)
        try:
            _check_divisible(shape, sharding, "batch", local=True)
        except ValueError:
            return None
        return sharding

    def _lx_place_input(self, x: Any, batch_axis: int = 0) -> Any:
        """A batch leaf (this process's part of it) split along `batch_axis` over the mesh."""
        if not isinstance(x, (np.ndarray, jax.Array)) or isinstance(x, jax.core.Tracer):
            return x
        if self._lx_on_mesh(x):
            return x
        shape = tuple(x.shape)
        sharding = self._lx_data_sharding(shape, batch_axis)
        if sharding is None:
            if self._is_multi_process:
                batch_size = self.num_model_replicas // self._num_processes or 1
                raise ValueError(
                    f"A batch of shape {shape} cannot be split over the {self.num_model_replicas} "
                    f"replicas of {self}: in a multi-process run each process's batch size "
                    f"must be a multiple of {batch_size}. Drop the last partial batch (e.g. "
                    "pass `steps_per_epoch`) or choose a batch size that divides evenly."
                )
            # A ragged (last) batch: replicated, the computation stays correct.
            sharding = self._replicated
        if sharding is self._replicated or not self._is_multi_process:
            return placement.put(x, sharding)
        with jax.ensure_compile_time_eval():
            return jax.make_array_from_process_local_data(sharding, np.asarray(x))

    def _lx_place_batch(self, batch: Any, batch_axis: int = 0) -> Any:
        return jax.tree.map(lambda x: self._lx_place_input(x, batch_axis), batch)

    def _lx_output_layout(self, path: str) -> NamedSharding | None:
        layout = self.get_tensor_layout(path)
        return None if layout is None else layout.backend_layout


class DataParallel(Distribution):
    """Data parallelism: the model replicated on every device, each batch split over them.

    Args:
        device_mesh: A (1D) `DeviceMesh`; its first axis splits the batch.
        devices: Devices to use instead of a mesh (all devices by default).
        auto_shard_dataset: Kept for Keras compatibility.

    Example:
        >>> import layerax as lx, numpy as np
        >>> strategy = lx.distribution.DataParallel()
        >>> with strategy.scope():
        ...     layer = lx.layers.Dense(2)
        ...     y = layer(np.ones((4, 3), "float32"))
        >>> layer.kernel.value.sharding.is_fully_replicated
        True
    """

    def __init__(self, device_mesh: DeviceMesh | None = None, devices: Any = None,
                 auto_shard_dataset: bool = True) -> None:
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "Expected `device_mesh` to be a `DeviceMesh`. Received: "
                    f"device_mesh={device_mesh!r} (of type {type(device_mesh).__name__})"
                )
            if len(device_mesh.shape) != 1:
                warnings.warn(
                    f"DataParallel expects a 1D mesh but received shape {device_mesh.shape}; "
                    "the first axis splits the batch.",
                    stacklevel=2,
                )
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
            return
        chosen = devices if devices is not None else jax.devices()
        found = np.asarray(chosen, dtype=object).reshape(-1)
        mesh = DeviceMesh((len(found),), [DEFAULT_BATCH_DIM_NAME], list(found))
        super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)


class ModelParallel(Distribution):
    """Model (and data) parallelism: variables split as a `LayoutMap` says.

    Variables whose path matches a key of the layout map get its layout, the
    others are replicated; batches are split along `batch_dim_name`. Keys
    ending in `/output` lay out layer outputs (e.g. `"mlp/dense/output"`).

    Args:
        layout_map: The `LayoutMap` (which carries the mesh).
        batch_dim_name: Mesh axis that splits the batch (the mesh's first by
            default).
        auto_shard_dataset: Kept for Keras compatibility.

    Example:
        >>> import layerax as lx, numpy as np
        >>> mesh = lx.distribution.DeviceMesh((1, 1), ["batch", "model"])
        >>> layout_map = lx.distribution.LayoutMap(mesh)
        >>> layout_map[".*kernel"] = (None, "model")
        >>> with lx.distribution.ModelParallel(layout_map=layout_map).scope():
        ...     layer = lx.layers.Dense(4)
        ...     y = layer(np.ones((2, 3), "float32"))
        >>> tuple(layer.kernel.value.sharding.spec), layer.bias.value.sharding.is_fully_replicated
        ((None, 'model'), True)
    """

    def __init__(self, *, layout_map: LayoutMap | None = None, batch_dim_name: str | None = None,
                 auto_shard_dataset: bool = True, **kwargs: Any) -> None:
        kwargs.pop("device_mesh", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments for ModelParallel: {sorted(kwargs)}")
        if layout_map is None:
            raise ValueError(
                "ModelParallel needs a `layout_map` argument (an lx.distribution.LayoutMap)."
            )
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "Argument `layout_map` must be a `LayoutMap` instance. Received: "
                f"layout_map={layout_map!r} (of type {type(layout_map).__name__})"
            )
        mesh = layout_map.device_mesh
        batch_dim_name = batch_dim_name or mesh.axis_names[0]
        if batch_dim_name not in mesh.axis_names:
            raise ValueError(
                f"`batch_dim_name`={batch_dim_name!r} is not an axis of the mesh "
                f"{mesh.axis_names}."
            )
        super().__init__(mesh, batch_dim_name, auto_shard_dataset)
        self._layout_map = layout_map
        self._has_output_layouts = any(key.endswith("/output") for key in layout_map)

    def get_variable_layout(self, variable: Any) -> TensorLayout:
        layout = self._layout_map[variable.path]
        if layout is not None:
            return layout
        return super().get_variable_layout(variable)

    def get_tensor_layout(self, path: str) -> TensorLayout | None:
        return self._layout_map[path]

    def _lx_output_layout(self, path: str) -> NamedSharding | None:
        if not self._has_output_layouts:
            return None
        return super()._lx_output_layout(path)


def distribution() -> Distribution | None:
    """The active distribution, or None.

    Example:
        >>> import layerax as lx
        >>> lx.distribution.distribution() is None
        True
    """
    return CTX.distribution


def set_distribution(value: Distribution | None) -> None:
    """Makes `value` the active distribution for everything created and run from now on.

    Example:
        >>> import layerax as lx
        >>> lx.distribution.set_distribution(lx.distribution.DataParallel())
        >>> type(lx.distribution.distribution()).__name__
        'DataParallel'
        >>> lx.distribution.set_distribution(None)
    """
    if value is not None and not isinstance(value, Distribution):
        raise TypeError(
            "set_distribution expects an lx.distribution.Distribution (DataParallel, "
            f"ModelParallel) or None. Received: {value!r}"
        )
    CTX.distribution = value


def distribute_tensor(tensor: Any, layout: TensorLayout | NamedSharding) -> jax.Array:
    """`tensor` laid out as `layout` (inside a traced function: a sharding constraint).

    Example:
        >>> import layerax as lx, numpy as np
        >>> mesh = lx.distribution.DeviceMesh((1,), ["batch"])
        >>> x = lx.distribution.distribute_tensor(
        ...     np.ones((4, 2)), lx.distribution.TensorLayout(("batch", None), mesh))
        >>> x.sharding.spec[0]
        'batch'
    """
    sharding = layout.backend_layout if isinstance(layout, TensorLayout) else layout
    if isinstance(tensor, jax.core.Tracer):
        return jax.lax.with_sharding_constraint(tensor, sharding)
    return placement.put(tensor, sharding)


def _host_device() -> Any:
    """This process's first CPU device (initializers draw there), or None without a CPU backend."""
    try:
        return jax.local_devices(backend="cpu")[0]
    except RuntimeError:
        return None


def _check_divisible(shape: Sequence[int], sharding: NamedSharding, what: str,
                     local: bool = False) -> None:
    mesh = sharding.mesh
    for dim, (size, axes) in enumerate(zip(shape, sharding.spec)):
        if axes is None:
            continue
        names = axes if isinstance(axes, tuple) else (axes,)
        parts = int(np.prod([mesh.shape[n] for n in names]))
        if local and jax.process_count() > 1:
            parts = max(1, parts // jax.process_count())
        if size % parts:
            raise ValueError(
                f"Cannot split dimension {dim} (size {size}) of {what} of shape {tuple(shape)} "
                f"into {parts} equal parts over mesh axes {names}. Choose sizes divisible by "
                "the mesh axis size, or another layout."
            )


__all__ = [
    "DataParallel",
    "Distribution",
    "ModelParallel",
    "distribute_tensor",
    "distribution",
    "set_distribution",
]

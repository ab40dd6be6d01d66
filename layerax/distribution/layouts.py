"""Devices, meshes and layouts (Keras 3 names) over `jax.sharding.Mesh`/`NamedSharding`."""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

DEFAULT_BATCH_DIM_NAME = "batch"


def list_devices(device_type: str | None = None) -> list[str]:
    """The devices of one type (all processes' devices), as `"platform:id"` strings.

    Args:
        device_type: `"cpu"`, `"gpu"` or `"tpu"`; None gives the default
            backend's devices (TPU or GPU when present, else CPU).

    Example:
        >>> import layerax as lx
        >>> lx.distribution.list_devices()[0]
        'cpu:0'
    """
    return [f"{d.platform}:{d.id}" for d in jax.devices(_backend(device_type))]


def get_device_count(device_type: str | None = None) -> int:
    """How many devices of that type there are, over all processes.

    Example:
        >>> import layerax as lx
        >>> lx.distribution.get_device_count() == len(lx.distribution.list_devices())
        True
    """
    return jax.device_count(_backend(device_type))


def _backend(device_type: str | None) -> str | None:
    if device_type is None:
        return None
    if not isinstance(device_type, str):
        raise TypeError(f"`device_type` must be a string such as 'tpu'. Received: {device_type!r}")
    return device_type.lower()


def _to_jax_device(device: Any) -> Any:
    """A jax Device from a Device or a `"platform:id"` string."""
    if isinstance(device, jax.Device):
        return device
    if isinstance(device, (str, np.str_)):
        platform, _, index = str(device).partition(":")
        for candidate in jax.devices(platform.lower()):
            if str(candidate.id) == index:
                return candidate
        raise ValueError(
            f"Unknown device {device!r}. Available devices: {list_devices(platform.lower())}"
        )
    raise TypeError(
        f"Devices must be jax devices or strings like 'tpu:0'. Received: {device!r} "
        f"(of type {type(device).__name__})"
    )


def named_sharding(mesh: Mesh, axes: Sequence[str | None]) -> NamedSharding:
    """`NamedSharding(mesh, PartitionSpec(*axes))` without trailing Nones.

    Compiled computations return their outputs with the trailing Nones dropped; a
    spec written the same way compares equal to them, so a step's outputs have the
    very sharding its inputs had (no resharding, no recompilation).
    """
    axes = list(axes)
    while axes and axes[-1] is None:
        axes.pop()
    return NamedSharding(mesh, PartitionSpec(*axes))


class DeviceMesh:
    """A named grid of devices (Keras' `DeviceMesh`, a `jax.sharding.Mesh`).

    Args:
        shape: Mesh shape, e.g. `(2, 4)`.
        axis_names: One name per mesh dimension, e.g. `("batch", "model")`.
        devices: Devices (strings like `"tpu:3"` or jax devices) to arrange;
            all devices of the default backend by default.

    Example:
        >>> import layerax as lx
        >>> n = len(lx.distribution.list_devices())
        >>> mesh = lx.distribution.DeviceMesh((n,), ["batch"])
        >>> mesh.shape, mesh.axis_names, type(mesh.backend_mesh).__name__
        ((1,), ['batch'], 'Mesh')
    """

    def __init__(self, shape: Sequence[int], axis_names: Sequence[str],
                 devices: Any = None) -> None:
        if not shape or not axis_names:
            raise ValueError(
                f"Shape and axis_names cannot be empty. Received: shape={shape}, "
                f"axis_names={axis_names}"
            )
        if len(shape) != len(axis_names):
            raise ValueError(
                "Shape and axis_names should have the same size. Received: "
                f"shape={shape}, axis_names={axis_names}"
            )
        if devices is None:
            devices = jax.devices()
        flat = [_to_jax_device(d) for d in np.asarray(devices, dtype=object).reshape(-1)]
        if math.prod(shape) != len(flat):
            raise ValueError(
                f"Shape does not match the number of devices. Received: shape={tuple(shape)} "
                f"({math.prod(shape)} devices) but {len(flat)} devices. Pass a shape whose "
                "product is the device count."
            )
        self._shape = tuple(int(s) for s in shape)
        self._axis_names = list(axis_names)
        self._jax_devices = np.empty(len(flat), dtype=object)
        self._jax_devices[:] = flat
        self._jax_devices = self._jax_devices.reshape(self._shape)
        self._backend_mesh: Mesh | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        """The mesh's shape: the number of devices along each axis.

        Example:
            >>> import layerax as lx
            >>> lx.distribution.DeviceMesh((1,), ["batch"]).shape
            (1,)
        """
        return self._shape

    @property
    def axis_names(self) -> list[str]:
        """The mesh axes' names, in the order of `shape`.

        Example:
            >>> import layerax as lx
            >>> lx.distribution.DeviceMesh((1,), ["batch"]).axis_names
            ['batch']
        """
        return self._axis_names

    @property
    def devices(self) -> np.ndarray:
        """The devices, as an array of `"platform:id"` strings in the mesh's shape."""
        return np.vectorize(lambda d: f"{d.platform}:{d.id}", otypes=[object])(self._jax_devices)

    @property
    def backend_mesh(self) -> Mesh:
        """The `jax.sharding.Mesh`."""
        if self._backend_mesh is None:
            self._backend_mesh = Mesh(self._jax_devices, tuple(self._axis_names))
        return self._backend_mesh

    def axis_size(self, name: str) -> int:
        """Number of devices along the mesh axis `name`."""
        return self._shape[self._axis_names.index(name)]

    def __repr__(self) -> str:
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


class TensorLayout:
    """How an array is split over a mesh (Keras' `TensorLayout`, a `NamedSharding`).

    Args:
        axes: One entry per array dimension: a mesh axis name to split that
            dimension over, or None to keep it whole.
        device_mesh: The `DeviceMesh`; may be set later (once).

    Example:
        >>> import layerax as lx
        >>> mesh = lx.distribution.DeviceMesh((1,), ["model"])
        >>> layout = lx.distribution.TensorLayout((None, "model"), mesh)
        >>> tuple(layout.backend_layout.spec)
        (None, 'model')
    """

    def __init__(self, axes: Sequence[str | None], device_mesh: DeviceMesh | None = None) -> None:
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._backend_layout: NamedSharding | None = None
        self._validate_axes()

    @property
    def axes(self) -> tuple[str | None, ...]:
        """The mesh axis each tensor axis is sharded along (None: replicated).

        Example:
            >>> import layerax as lx
            >>> lx.distribution.TensorLayout(("batch", None)).axes
            ('batch', None)
        """
        return self._axes

    @property
    def device_mesh(self) -> DeviceMesh | None:
        """The mesh the layout refers to; set once (a ValueError on a second time)."""
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh: DeviceMesh) -> None:
        if self._device_mesh is not None:
            raise ValueError(
                f"Cannot override the device mesh of a TensorLayout. Existing value: "
                f"{self._device_mesh}"
            )
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self) -> NamedSharding:
        """The `jax.sharding.NamedSharding`."""
        if self._device_mesh is None:
            raise ValueError(
                f"TensorLayout {self.axes} has no device mesh. Pass `device_mesh=` or add the "
                "layout to a LayoutMap, which sets its mesh."
            )
        if self._backend_layout is None:
            self._backend_layout = named_sharding(self._device_mesh.backend_mesh, self._axes)
        return self._backend_layout

    def _validate_axes(self) -> None:
        if self._device_mesh is None:
            return
        valid = set(self._device_mesh.axis_names)
        unknown = {a for a in self._axes if a is not None} - valid
        if unknown:
            raise ValueError(
                f"Invalid axis names for a TensorLayout: {sorted(unknown)}. Valid axis names "
                f"(those of the mesh): {sorted(valid)}"
            )

    def __repr__(self) -> str:
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


class LayoutMap(collections.abc.MutableMapping):
    """Maps variable (and layer output) paths to layouts by regular expression.

    A lookup returns the layout of the key equal to the path, else of the one
    key that fully matches it as a regular expression (`re.fullmatch`), else
    None (replicated). Values may be `TensorLayout`s or tuples of axis names.

    Args:
        device_mesh: The `DeviceMesh` the layouts refer to.

    Example:
        >>> import layerax as lx
        >>> mesh = lx.distribution.DeviceMesh((1, 1), ["batch", "model"])
        >>> layout_map = lx.distribution.LayoutMap(mesh)
        >>> layout_map[".*dense.*kernel"] = (None, "model")
        >>> layout_map["mlp/dense/kernel"].axes, layout_map["mlp/dense/bias"]
        ((None, 'model'), None)
    """

    def __init__(self, device_mesh: DeviceMesh) -> None:
        self._layout_map: collections.OrderedDict[str, TensorLayout] = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key: str) -> TensorLayout | None:
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches several layout specification keys: {matches}. Make sure "
                "each variable path matches at most one key of the LayoutMap."
            )
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key: str, layout: Any) -> None:
        if key in self._layout_map:
            raise ValueError(
                f"{key!r} already exists in the LayoutMap with value {self._layout_map[key]}. "
                "Do not use duplicate keys."
            )
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(axes=layout, device_mesh=None)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A LayoutMap value must be a TensorLayout or a tuple of axis names. Received: "
                f"{layout!r} (of type {type(layout).__name__})"
            )
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key: str) -> None:
        self._layout_map.pop(key)

    def __len__(self) -> int:
        return len(self._layout_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout_map)

    @property
    def device_mesh(self) -> DeviceMesh:
        """The mesh given to the layouts the map holds."""
        return self._device_mesh


__all__ = [
    "DEFAULT_BATCH_DIM_NAME",
    "DeviceMesh",
    "LayoutMap",
    "TensorLayout",
    "get_device_count",
    "list_devices",
]

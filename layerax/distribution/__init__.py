"""Multi-device and multi-host training (`lx.distribution`, Keras 3 names).

Everything maps onto JAX's own machinery: a `DeviceMesh` is a
`jax.sharding.Mesh`, a `TensorLayout` a `NamedSharding`, and the partitioning
of the computation is GSPMD's. Select a strategy with `set_distribution(...)`
(or `with strategy.scope():`) before creating the model:

- `DataParallel()`: weights replicated, every batch split over the devices.
- `ModelParallel(layout_map=...)`: weights split as a `LayoutMap` of regular
  expressions over variable paths says, batches split along `batch_dim_name`.

Variables are created directly with their layout (each device receives only
its shard), `fit`/`evaluate`/`predict` and `lx.function` split batches along
the batch axis and keep the state in place, and `initialize()` joins several
processes (hosts) into one program.
"""

from __future__ import annotations

from layerax.distribution.data import distribute_data as distribute_data
from layerax.distribution.data import prefetch_to_device as prefetch_to_device
from layerax.distribution.data import to_host_local as to_host_local
from layerax.distribution.layouts import DeviceMesh as DeviceMesh
from layerax.distribution.layouts import LayoutMap as LayoutMap
from layerax.distribution.layouts import TensorLayout as TensorLayout
from layerax.distribution.layouts import get_device_count as get_device_count
from layerax.distribution.layouts import list_devices as list_devices
from layerax.distribution.multihost import initialize as initialize
from layerax.distribution.multihost import num_processes as num_processes
from layerax.distribution.multihost import process_id as process_id
from layerax.distribution.strategies import DataParallel as DataParallel
from layerax.distribution.strategies import Distribution as Distribution
from layerax.distribution.strategies import ModelParallel as ModelParallel
from layerax.distribution.strategies import distribute_tensor as distribute_tensor
from layerax.distribution.strategies import distribution as distribution
from layerax.distribution.strategies import set_distribution as set_distribution

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "Distribution",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_data",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "num_processes",
    "prefetch_to_device",
    "process_id",
    "set_distribution",
    "to_host_local",
]

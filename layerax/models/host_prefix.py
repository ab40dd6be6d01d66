"""A model's host prefix: its first layers that take strings, run on the host before `fit`'s
compiled step.

Strings have no JAX dtype, so a layer such as `StringLookup` or
`TextVectorization` (class attribute `_lx_runs_on_host = True`) cannot run
inside `jax.jit`. When such layers come first in a model (directly after its
inputs, or after other host layers), `fit`/`evaluate`/`predict` and the
`*_on_batch` methods:

1. find them once per compiled model (`find`, cached with the compiled steps):
   for a `Sequential` model the leading host layers, for a functional model
   the host nodes whose inputs are model inputs or host outputs, plus a
   functional "device part" whose inputs are the tensors crossing the border;
2. run them on each numpy batch (`HostPrefix.apply`), on the host, before the
   batch goes to the device;
3. compile the rest: while the steps run, `prefix.active()` is in force and the
   model's `call` hands its (already preprocessed) inputs to the device part
   (`device_call`), so the traced step never sees a string.

Per step this costs the host layers themselves and a list lookup; there is no
graph walk per step. Calling the model directly (`model(strings)`) runs every
layer eagerly, host layers included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from layerax.core.context import CTX

# The prefixes in force are `CTX.host_prefixes` (per thread, innermost last); the model's
# call checks the innermost one's `.model`.


def runs_on_host(layer: Any) -> bool:
    """Whether `layer` must run on the host (it takes strings)."""
    return bool(getattr(layer, "_lx_runs_on_host", False)) and not getattr(layer, "invert", False)


class HostPrefix:
    """The host layers of `model` and how the rest of the model runs without them."""

    def __init__(self, model: Any, host_layers: list[Any], apply: Any, device_call: Any) -> None:
        self.model = model
        self.host_layers = host_layers
        self._apply = apply
        self._device_call = device_call

    def apply(self, x: Any) -> Any:
        """Runs the host layers on a batch of model inputs; returns the device part's inputs."""
        return self._apply(x)

    def device_call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        """The model's outputs from what `apply` returned (used inside the compiled step)."""
        return self._device_call(inputs, training, mask)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Within the block, `self.model`'s call runs its device part only."""
        CTX.host_prefixes.append(self)
        try:
            yield
        finally:
            CTX.host_prefixes.pop()


def active_for(model: Any) -> HostPrefix | None:
    """The prefix whose device part `model.call` must run now, if any."""
    active = CTX.host_prefixes
    if active and active[-1].model is model:
        return active[-1]
    return None


def find(model: Any) -> HostPrefix | None:
    """The host prefix of a `Sequential` or functional `model` (None if it has none)."""
    from layerax.models.functional import Functional
    from layerax.models.sequential import Sequential

    if isinstance(model, Sequential):
        return _sequential_prefix(model)
    if isinstance(model, Functional):
        return _functional_prefix(model)
    return None


def _sequential_prefix(model: Any) -> HostPrefix | None:
    layers = model.layers
    count = 0
    while count < len(layers) and runs_on_host(layers[count]):
        count += 1
    if count == 0:
        return None
    host, rest = layers[:count], layers[count:]

    def apply(x: Any) -> Any:
        for layer in host:
            x = layer(x)
        return x

    def device_call(x: Any, training: Any, mask: Any) -> Any:
        return model._lx_run_stack(x, rest, mask)

    return HostPrefix(model, list(host), apply, device_call)


def _functional_prefix(model: Any) -> HostPrefix | None:
    from layerax.models.functional import Functional

    available = {id(t) for t in model._lx_inputs}
    host_nodes = []
    for node in model._lx_node_list:
        tensors = node.input_tensors
        if (
            runs_on_host(node.layer)
            and len(tensors) == 1
            and len(node.outputs) == 1
            and node.args
            and node.args[0] is tensors[0]
            and id(tensors[0]) in available
        ):
            host_nodes.append(node)
            available.add(id(node.outputs[0]))
    if not host_nodes:
        return None
    host_ids = {id(n) for n in host_nodes}
    frontier: list[Any] = []
    seen: set[int] = set()

    def cross(t: Any) -> None:
        if id(t) in available and id(t) not in seen:
            seen.add(id(t))
            frontier.append(t)

    for node in model._lx_node_list:
        if id(node) not in host_ids:
            for t in node.input_tensors:
                cross(t)
    for t in model._lx_outputs:
        cross(t)
    device = Functional(frontier, model._lx_outputs_struct, name=f"{model.name}_device_part")
    inputs = list(model._lx_inputs)

    def apply(x: Any) -> Any:
        values = dict(zip((id(t) for t in inputs), model._lx_flat_inputs(x)))
        for node in host_nodes:
            values[id(node.outputs[0])] = node.layer(values[id(node.input_tensors[0])])
        return [values[id(t)] for t in frontier]

    def device_call(x: Any, training: Any, mask: Any) -> Any:
        return device.call(x, training=training)

    return HostPrefix(model, [n.layer for n in host_nodes], apply, device_call)

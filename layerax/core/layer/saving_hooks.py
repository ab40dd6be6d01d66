"""Keras 3's per-layer saving hooks: build config and own-variables store.

`model.save` / `lx.saving.load_model` (and `save_weights` / `load_weights`)
call these on every layer they save, so that a layer can rebuild itself from
a recorded shape (`get_build_config` / `build_from_config`) and lay its
variables out in the weights file its own way (`save_own_variables` /
`load_own_variables`). The defaults give Keras 3's layout: `store["0"]`,
`store["1"]`, ... are the layer's own variables, trainable ones first, in
creation order.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import numpy as np

__all__ = ["SavingHooksMixin"]


def _as_shape(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and all(v is None or isinstance(v, int) for v in value):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return [_as_shape(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_shape(v) for k, v in value.items()}
    return value


class SavingHooksMixin:
    """The saving hooks of `lx.Layer` (see the module docstring)."""

    def get_build_config(self) -> dict[str, Any] | None:
        """The shapes the layer was built with, for `build_from_config`; None if unbuilt.

        Returns `{"input_shape": shape}` or, for a layer whose `build` takes
        several `<name>_shape` arguments, `{"shapes_dict": {...}}`, as Keras 3.

        Example:
            >>> import layerax as lx, numpy as np
            >>> layer = lx.layers.Dense(2)
            >>> _ = layer(np.ones((1, 3), "float32"))
            >>> layer.get_build_config()
            {'input_shape': (1, 3)}
        """
        shapes = self.__dict__.get("_build_shapes")
        if shapes is None:
            return None
        if isinstance(shapes, dict) and all(str(k).endswith("_shape") for k in shapes):
            return {"shapes_dict": dict(shapes)}
        return {"input_shape": shapes}

    def build_from_config(self, config: Mapping[str, Any] | None) -> None:
        """Builds the layer from what `get_build_config` returned.

        Example:
            >>> import layerax as lx
            >>> layer = lx.layers.Dense(2)
            >>> layer.build_from_config({"input_shape": [None, 3]})
            >>> layer.kernel.shape
            (3, 2)
        """
        if not config:
            return
        if config.get("input_shape") is not None:
            self.build(_as_shape(config["input_shape"]))  # type: ignore[attr-defined]
        elif config.get("shapes_dict") is not None:
            self.build(**{k: _as_shape(v) for k, v in config["shapes_dict"].items()})  # type: ignore[attr-defined]
        object.__setattr__(self, "built", True)

    def _lx_saved_variables(self) -> list[Any]:
        """The layer's own variables as saved (seed-generator states excluded)."""
        seeds = {id(g.state) for g in self._seed_generators}  # type: ignore[attr-defined]
        return [v for v in self._own_weights() if id(v) not in seeds]  # type: ignore[attr-defined]

    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Writes the layer's own variables into `store` under `"0"`, `"1"`, ...

        Override it (with `load_own_variables`) to save other state or another
        layout; `store` maps string keys to arrays.

        Example:
            >>> import layerax as lx, numpy as np
            >>> layer = lx.layers.Dense(2)
            >>> _ = layer(np.ones((1, 3), "float32"))
            >>> store = {}
            >>> layer.save_own_variables(store)
            >>> sorted(store), store["0"].shape
            (['0', '1'], (3, 2))
        """
        for i, var in enumerate(self._lx_saved_variables()):
            store[str(i)] = np.asarray(var.value)

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Assigns the layer's own variables from `store` (what `save_own_variables` wrote).

        Raises:
            ValueError: when the store does not hold one entry per variable.

        Example:
            >>> import layerax as lx, numpy as np
            >>> layer = lx.layers.Dense(2)
            >>> _ = layer(np.ones((1, 3), "float32"))
            >>> layer.load_own_variables({"0": np.ones((3, 2)), "1": np.zeros(2)})
            >>> float(layer.kernel.numpy().sum())
            6.0
        """
        variables = self._lx_saved_variables()
        if len(store) != len(variables):
            raise ValueError(
                f"Layer '{self.name}' expected {len(variables)} variable(s) in the store, "  # type: ignore[attr-defined]
                f"received {len(store)} (keys {sorted(store)}). Check that the saved layer has "
                "the same architecture, or override `load_own_variables`."
            )
        for i, var in enumerate(variables):
            if str(i) not in store:
                raise ValueError(
                    f"Layer '{self.name}': the store has no entry '{i}' for variable "  # type: ignore[attr-defined]
                    f"'{var.path}' (keys {sorted(store)})."
                )
            var.assign(np.asarray(store[str(i)]))

"""`InputSpec`: what a layer accepts, checked on every call with an error that names the layer."""

from __future__ import annotations

from typing import Any

from layerax.core import registry


@registry.register("layers")
class InputSpec:
    """Rank, shape, axis and dtype constraints on one input of a layer.

    Args:
        dtype: Expected dtype (checked when given).
        shape: Expected shape; `None` entries match any size.
        ndim: Expected rank.
        max_ndim: Largest accepted rank.
        min_ndim: Smallest accepted rank.
        axes: `{axis: size}` for axes whose size is fixed (e.g. `{-1: 16}`).
        allow_last_axis_squeeze: Accept a trailing axis of size 1 too many or too few.
        name: Name of the input, for messages.

    Example:
        >>> import layerax as lx
        >>> spec = lx.layers.InputSpec(ndim=4)
        >>> spec.ndim
        4
    """

    def __init__(
        self,
        dtype: Any = None,
        shape: Any = None,
        ndim: int | None = None,
        max_ndim: int | None = None,
        min_ndim: int | None = None,
        axes: dict[int, int] | None = None,
        allow_last_axis_squeeze: bool = False,
        name: str | None = None,
    ) -> None:
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    # Equal specs compare equal, so layers holding them have equal pytree structures.
    _lx_static_eq = True

    def __eq__(self, other: object) -> bool:
        return type(other) is InputSpec and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((self.ndim, self.min_ndim, self.max_ndim))

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v not in (None, {}, False)}
        return "InputSpec(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"

    def get_config(self) -> dict[str, Any]:
        """The spec's fields, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.InputSpec(ndim=2, axes={-1: 3}).get_config()["ndim"]
            2
        """
        return dict(vars(self))

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> InputSpec:
        """Inverse of `get_config` (also after a JSON round trip, which makes axes keys strings)."""
        config = dict(config)
        if config.get("shape") is not None:
            config.pop("ndim", None)
        if config.get("axes"):
            config["axes"] = {int(k): v for k, v in config["axes"].items()}
        return cls(**config)


def _shape_of(x: Any) -> tuple[Any, ...] | None:
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else None


def assert_input_compatibility(specs: Any, inputs: Any, layer_name: str) -> None:
    """Raises a ValueError naming `layer_name` when `inputs` break `specs`."""
    if specs is None:
        return
    if isinstance(specs, InputSpec):
        specs = [specs]
    flat = list(inputs) if isinstance(inputs, (list, tuple)) and len(specs) > 1 else [inputs]
    if len(flat) != len(specs):
        raise ValueError(
            f"Layer '{layer_name}' expects {len(specs)} input(s), but it received "
            f"{len(flat)} input tensors."
        )
    for index, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None:
            continue
        shape = _shape_of(x)
        if shape is None:
            raise TypeError(
                f"Layer '{layer_name}' expects array inputs. Input {index} has no shape: "
                f"received an object of type {type(x).__name__}."
            )
        rank = len(shape)
        where = f"Input {index} of layer '{layer_name}'"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and rank != spec.ndim:
            raise ValueError(
                f"{where} is incompatible with the layer: expected ndim={spec.ndim}, "
                f"found ndim={rank}. Full shape received: {shape}"
            )
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(
                f"{where} is incompatible with the layer: expected max_ndim={spec.max_ndim}, "
                f"found ndim={rank}. Full shape received: {shape}"
            )
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(
                f"{where} is incompatible with the layer: expected min_ndim={spec.min_ndim}, "
                f"found ndim={rank}. Full shape received: {shape}"
            )
        if spec.dtype is not None and str(getattr(x, "dtype", "")) != str(spec.dtype):
            raise ValueError(
                f"{where} is incompatible with the layer: expected dtype={spec.dtype}, "
                f"found dtype={getattr(x, 'dtype', None)}"
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{where} is incompatible with the layer: expected axis {axis} of the input "
                    f"shape to have value {size}, but received input with shape {shape}"
                )
        if spec.shape is not None and len(spec.shape) == rank:
            for got, want in zip(shape, spec.shape):
                if want is not None and got is not None and got != want:
                    raise ValueError(
                        f"{where} is incompatible with the layer: expected shape={spec.shape}, "
                        f"found shape={shape}"
                    )

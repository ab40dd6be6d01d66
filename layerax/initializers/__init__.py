"""Weight initializers with Keras 3's names, arguments and defaults."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core import registry, serialization
from layerax.core.random import make_default_seed
from layerax.core.resolvers import register_resolver
from layerax.initializers.base import Initializer as Initializer
from layerax.initializers.base import _dtype
from layerax.initializers.base import compute_fans as compute_fans
from layerax.initializers.stft import STFT as STFT


@registry.register("initializers", "zeros")
class Zeros(Initializer):
    """All zeros.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.Zeros()((2,)).tolist()
        [0.0, 0.0]
    """

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        return jnp.zeros(tuple(shape), _dtype(dtype))


@registry.register("initializers", "ones")
class Ones(Initializer):
    """All ones.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.Ones()((1, 2)).tolist()
        [[1.0, 1.0]]
    """

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        return jnp.ones(tuple(shape), _dtype(dtype))


@registry.register("initializers", "constant")
class Constant(Initializer):
    """A constant value.

    Args:
        value: The scalar (or broadcastable array) to fill with.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.Constant(3.0)((2,)).tolist()
        [3.0, 3.0]
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        return jnp.broadcast_to(jnp.asarray(self.value, _dtype(dtype)), tuple(shape))

    def get_config(self) -> dict[str, Any]:
        value = self.value
        return {"value": np.asarray(value).tolist() if not np.isscalar(value) else value}


class RandomInitializer(Initializer):
    """Base of random initializers: a fixed integer `seed` gives the same values on every call;
    `seed=None` gives new values on every call (reproducible with `set_random_seed`).

    Values are drawn on the host with numpy and transferred once: drawing them with
    `jax.random` would compile a new XLA program for every weight shape (about half
    a second each on a CPU), which made building a model slow.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(
                f"{type(self).__name__}: `seed` must be an integer or None. Received: seed={seed!r}"
            )
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        seed = self.seed if self.seed is not None else make_default_seed()
        return np.random.default_rng(int(seed))

    def get_config(self) -> dict[str, Any]:
        """The initializer's configuration: its `seed`."""
        return {"seed": self.seed}


def _truncated_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal samples redrawn until they lie within two standard deviations."""
    out = rng.standard_normal(shape, dtype=np.float32)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()), dtype=np.float32)
        bad = np.abs(out) > 2.0
    return out


def _to_device(values: np.ndarray, dtype: Any) -> jax.Array:
    return jnp.asarray(np.asarray(values, np.float32), dtype=_dtype(dtype))


@registry.register("initializers", "random_normal", "normal")
class RandomNormal(RandomInitializer):
    """Normal distribution.

    Args:
        mean: Mean.
        stddev: Standard deviation.
        seed: Integer seed or None.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.RandomNormal(stddev=1.0, seed=1)((3, 4)).shape
        (3, 4)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        sample = self._rng().standard_normal(tuple(shape), dtype=np.float32)
        return _to_device(self.mean + self.stddev * sample, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@registry.register("initializers", "random_uniform", "uniform")
class RandomUniform(RandomInitializer):
    """Uniform distribution on `[minval, maxval)`.

    Example:
        >>> import layerax as lx
        >>> w = lx.initializers.RandomUniform(-1.0, 1.0, seed=0)((100,))
        >>> bool((w >= -1).all() and (w < 1).all())
        True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        dtype = _dtype(dtype)
        rng = self._rng()
        if jnp.issubdtype(dtype, jnp.integer):
            return jnp.asarray(rng.integers(self.minval, self.maxval, tuple(shape)), dtype)
        return _to_device(rng.uniform(self.minval, self.maxval, tuple(shape)), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@registry.register("initializers", "truncated_normal")
class TruncatedNormal(RandomInitializer):
    """Normal distribution with values beyond two standard deviations redrawn.

    Example:
        >>> import layerax as lx
        >>> w = lx.initializers.TruncatedNormal(stddev=1.0, seed=0)((1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        sample = _truncated_normal(self._rng(), tuple(shape))
        return _to_device(self.mean + self.stddev * sample, dtype)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@registry.register("initializers", "variance_scaling")
class VarianceScaling(RandomInitializer):
    """Scales the variance to the weight's fan: the family behind Glorot, He and LeCun.

    Args:
        scale: Scaling factor (positive).
        mode: "fan_in", "fan_out" or "fan_avg".
        distribution: "truncated_normal", "untruncated_normal" or "uniform".
        seed: Integer seed or None.

    Example:
        >>> import layerax as lx
        >>> init = lx.initializers.VarianceScaling(2.0, "fan_in", "uniform", seed=0)
        >>> bool(abs(init((50, 10))).max() <= (6.0 / 50) ** 0.5)
        True
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ) -> None:
        super().__init__(seed)
        self.input_axes = list(input_axes) if input_axes is not None else None
        self.output_axes = list(output_axes) if output_axes is not None else None
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"Invalid `mode` argument: {mode!r}. Expected one of {self._MODES}.")
        distribution = distribution.lower()
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution!r}. "
                f"Expected one of {self._DISTRIBUTIONS}."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        fan_in, fan_out = compute_fans(tuple(shape), self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        rng, shape = self._rng(), tuple(shape)
        if self.distribution in ("truncated_normal", "normal"):
            stddev = math.sqrt(scale) / 0.87962566103423978
            out = stddev * _truncated_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            out = math.sqrt(scale) * rng.standard_normal(shape, dtype=np.float32)
        else:
            limit = math.sqrt(3.0 * scale)
            out = rng.uniform(-limit, limit, shape)
        return _to_device(out, dtype)

    def get_config(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _variance_preset(name: str, scale: float, mode: str, distribution: str, doc: str) -> type:
    def __init__(self: Any, seed: int | None = None, input_axes: Any = None, output_axes: Any = None) -> None:
        VarianceScaling.__init__(
            self, scale=scale, mode=mode, distribution=distribution, seed=seed,
            input_axes=input_axes, output_axes=output_axes,
        )

    def get_config(self: Any) -> dict[str, Any]:
        """The initializer's configuration: `seed` and the axes (its scale, mode and
        distribution are fixed by the class)."""
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


def _preset_doc(name: str, what: str, snake: str) -> str:
    return (
        f"{what}\n\n    Args:\n        seed: Integer seed or None.\n\n    Example:\n"
        f"        >>> import layerax as lx\n"
        f"        >>> lx.initializers.get({snake!r})((4, 3)).shape\n        (4, 3)\n    "
    )


GlorotUniform = registry.register("initializers", "glorot_uniform")(_variance_preset(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    _preset_doc("GlorotUniform", "Uniform in ±sqrt(6 / (fan_in + fan_out)) (Xavier).", "glorot_uniform"),
))
GlorotNormal = registry.register("initializers", "glorot_normal")(_variance_preset(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    _preset_doc("GlorotNormal", "Truncated normal, stddev sqrt(2 / (fan_in + fan_out)).", "glorot_normal"),
))
HeUniform = registry.register("initializers", "he_uniform")(_variance_preset(
    "HeUniform", 2.0, "fan_in", "uniform",
    _preset_doc("HeUniform", "Uniform in ±sqrt(6 / fan_in).", "he_uniform"),
))
HeNormal = registry.register("initializers", "he_normal")(_variance_preset(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    _preset_doc("HeNormal", "Truncated normal, stddev sqrt(2 / fan_in).", "he_normal"),
))
LecunUniform = registry.register("initializers", "lecun_uniform")(_variance_preset(
    "LecunUniform", 1.0, "fan_in", "uniform",
    _preset_doc("LecunUniform", "Uniform in ±sqrt(3 / fan_in).", "lecun_uniform"),
))
LecunNormal = registry.register("initializers", "lecun_normal")(_variance_preset(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    _preset_doc("LecunNormal", "Truncated normal, stddev sqrt(1 / fan_in).", "lecun_normal"),
))


@registry.register("initializers", "orthogonal", "OrthogonalInitializer")
class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix, reshaped to the weight shape (last axis = columns).

    Args:
        gain: Multiplicative factor.
        seed: Integer seed or None.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> q = lx.initializers.Orthogonal(seed=0)((4, 4))
        >>> bool(jnp.allclose(q.T @ q, jnp.eye(4), atol=1e-5))
        True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"The Orthogonal initializer needs a shape of rank >= 2. Received: shape={shape}"
            )
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = self._rng().standard_normal(flat)
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return _to_device(self.gain * q.reshape(shape), dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


@registry.register("initializers", "identity", "IdentityInitializer")
class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed).

    Example:
        >>> import layerax as lx
        >>> lx.initializers.Identity(2.0)((2, 2)).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                f"The Identity initializer needs a 2-D shape. Received: shape={shape}"
            )
        return (self.gain * jnp.eye(*shape)).astype(_dtype(dtype))

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal
STFTInitializer = STFT

# Keras' lowercase aliases name the same classes (`glorot_uniform is GlorotUniform`).
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, orthogonal, identity, stft = VarianceScaling, Orthogonal, Identity, STFT
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal

def get(identifier: Any) -> Any:
    """Returns an initializer from a name, a config dict, an instance or a callable.

    Example:
        >>> import layerax as lx
        >>> type(lx.initializers.get("glorot_uniform")).__name__
        'GlorotUniform'
    """
    return serialization.resolve(identifier, "initializer", "initializers")


def serialize(initializer: Any) -> Any:
    """Config dict of an initializer.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.serialize(lx.initializers.Constant(2.0))["config"]
        {'value': 2.0}
    """
    return serialization.serialize(initializer)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> init = lx.initializers.deserialize({"class_name": "Ones", "config": {}})
        >>> type(init).__name__
        'Ones'
    """
    return serialization.deserialize(config, "initializer", "initializers", custom_objects=custom_objects)


__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "OrthogonalInitializer",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

# The kernel (Layer.add_weight) resolves identifiers through this catalogue.
register_resolver("initializers", get)

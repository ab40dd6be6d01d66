"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout and ActivityRegularization.

The random layers draw their noise from a `SeedGenerator` attribute: its state
is a (non-trainable) variable of the layer, so every call, also inside
`lx.function` or `stateless_call`, draws fresh noise, and a fixed `seed` makes
the sequence of masks reproducible. With `training` falsy they are the identity.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax import regularizers
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.core.random import SeedGenerator
from layerax.layers._args import build_at_init


def _check_rate(rate: Any, name: str = "rate") -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(
            f"Invalid value received for argument `{name}`. Expected a float value between 0 "
            f"and 1. Received: {name}={rate!r}"
        )
    return rate


def _noise_shape(inputs: jax.Array, noise_shape: Any) -> tuple[int, ...]:
    if noise_shape is None:
        return tuple(inputs.shape)
    return tuple(inputs.shape[i] if d is None else d for i, d in enumerate(noise_shape))


def _dropout(layer: Layer, inputs: jax.Array, rate: float, noise_shape: Any,
             seed: SeedGenerator) -> jax.Array:
    """Zeroes entries with probability `rate`, scales the others by `1 / (1 - rate)`."""
    shape = _noise_shape(inputs, noise_shape)
    if len(shape) != inputs.ndim:
        raise ValueError(
            f"Layer '{layer.name}': `noise_shape` {tuple(noise_shape)} must have one entry per "
            f"input axis; the input has shape {tuple(inputs.shape)}."
        )
    if rate >= 1:
        return jnp.zeros_like(inputs)
    keep = jax.random.bernoulli(seed.next(), 1.0 - rate, shape)
    kept = inputs / jnp.asarray(1.0 - rate, inputs.dtype)
    return jnp.where(keep, kept, jnp.zeros((), inputs.dtype))


class Dropout(Layer):
    """Randomly zeroes a fraction `rate` of the inputs during training.

    The kept entries are scaled by `1 / (1 - rate)` so that the expected sum is
    unchanged. Outside training (`training` falsy) the layer is the identity.

    Args:
        rate: Fraction of the entries dropped, in [0, 1].
        noise_shape: Shape of the binary mask, broadcast to the input; `None` entries
            take the input's size (e.g. `(None, 1, None)` drops whole timesteps' features
            identically for every timestep).
        seed: Integer seed of the layer's `SeedGenerator` (None: from the global seed).

    Call arguments:
        inputs: Any tensor.
        training: Whether to drop (default False).

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.Dropout(0.5, seed=0)
        >>> sorted(set(layer(jnp.ones((100,)), training=True).tolist()))
        [0.0, 2.0]
        >>> layer(jnp.ones((3,))).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.seed = seed
        self.noise_shape = self._validate_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        build_at_init(self)

    @staticmethod
    def _validate_noise_shape(noise_shape: Any) -> tuple[Any, ...] | None:
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                f"integers. Received: noise_shape={noise_shape!r}"
            )
        try:
            noise_shape = tuple(noise_shape)
        except TypeError as err:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected an iterable of "
                f"integers (e.g., a tuple or list). Received: noise_shape={noise_shape!r}"
            ) from err
        for i, dim in enumerate(noise_shape):
            if dim is None:
                continue
            if isinstance(dim, bool) or not isinstance(dim, int):
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all elements "
                    f"to be integers or None. Received element at index {i}: {dim!r} (type: "
                    f"{type(dim).__name__})"
                )
            if dim <= 0:
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all dimensions "
                    "to be positive integers or None. Received negative or zero value at index "
                    f"{i}: {dim}"
                )
        return noise_shape

    def call(self, inputs: Any, training: Any = False) -> jax.Array:
        if training and self.rate > 0:
            return _dropout(self, jnp.asarray(inputs), self.rate, self.noise_shape,
                            self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class _SpatialDropout(Dropout):
    """Drops whole feature maps: one mask entry per (example, channel)."""

    _rank = 0

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _spatial_noise_shape(self, inputs: jax.Array) -> tuple[int, ...]:
        shape = inputs.shape
        ones = (1,) * self._rank
        if self.data_format == "channels_first":
            return (shape[0], shape[1], *ones)
        return (shape[0], *ones, shape[-1])

    def call(self, inputs: Any, training: Any = False) -> jax.Array:
        if training and self.rate > 0:
            inputs = jnp.asarray(inputs)
            return _dropout(self, inputs, self.rate, self._spatial_noise_shape(inputs),
                            self.seed_generator)
        return inputs

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["noise_shape"]
        if self._rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of `(batch, steps, channels)` inputs.

    One decision per (example, channel), shared by all timesteps: better than
    `Dropout` when neighbouring timesteps are strongly correlated.

    Args:
        rate: Fraction of the channels dropped, in [0, 1].
        seed: Integer seed (None: from the global seed).

    Input shape:
        3D `(batch, steps, channels)`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.layers.SpatialDropout1D(0.5, seed=1)(jnp.ones((2, 4, 8)), training=True)
        >>> bool((y == y[:, :1, :]).all())
        True
    """

    _rank = 1

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of images: one decision per (example, channel).

    Args:
        rate: Fraction of the channels dropped, in [0, 1].
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.
        seed: Integer seed (None: from the global seed).

    Input shape:
        4D `(batch, rows, cols, channels)` (or channels first).

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.layers.SpatialDropout2D(0.5, seed=1)(jnp.ones((2, 3, 3, 8)), training=True)
        >>> bool((y == y[:, :1, :1, :]).all())
        True
    """

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Dropout of whole feature maps of volumes: one decision per (example, channel).

    Args:
        rate: Fraction of the channels dropped, in [0, 1].
        data_format: `"channels_last"` or `"channels_first"`; default
            `lx.config.image_data_format()`.
        seed: Integer seed (None: from the global seed).

    Input shape:
        5D `(batch, d1, d2, d3, channels)` (or channels first).

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.layers.SpatialDropout3D(0.5, seed=1)(jnp.ones((2, 2, 2, 2, 4)), training=True)
        >>> bool((y == y[:, :1, :1, :1, :]).all())
        True
    """

    _rank = 3


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` during training.

    Args:
        stddev: Standard deviation of the noise, in [0, 1].
        seed: Integer seed (None: from the global seed).

    Call arguments:
        inputs: Any tensor.
        training: Whether to add noise (default False).

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.layers.GaussianNoise(0.1, seed=0)(jnp.zeros((4000,)), training=True)
        >>> round(float(y.std()), 1)
        0.1
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = _check_rate(stddev, "stddev")
        self.seed = seed
        if stddev > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any, training: Any = False) -> jax.Array:
        if training and self.stddev > 0:
            inputs = jnp.asarray(inputs)
            noise = jax.random.normal(self.seed_generator.next(), inputs.shape,
                                      jnp.dtype(self.compute_dtype))
            return inputs + self.stddev * noise
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by 1-centered Gaussian noise during training.

    The noise has standard deviation `sqrt(rate / (1 - rate))`.

    Args:
        rate: Drop probability the noise imitates, in [0, 1).
        seed: Integer seed (None: from the global seed).

    Call arguments:
        inputs: Any tensor.
        training: Whether to apply the noise (default False).

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.layers.GaussianDropout(0.5, seed=0)(jnp.ones((4000,)), training=True)
        >>> round(float(y.mean()), 1), round(float(y.std()), 1)
        (1.0, 1.0)
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.seed = seed
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any, training: Any = False) -> jax.Array:
        if training and self.rate > 0:
            inputs = jnp.asarray(inputs)
            stddev = math.sqrt(self.rate / (1.0 - self.rate)) if self.rate < 1 else math.inf
            noise = jax.random.normal(self.seed_generator.next(), inputs.shape,
                                      jnp.dtype(self.compute_dtype))
            return inputs * (1.0 + stddev * noise)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's constants: the fixed point that AlphaDropout preserves.
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks).

    Dropped entries are set to SELU's negative saturation value `-alpha * scale`,
    then an affine map `a * x + b` restores zero mean and unit variance.

    Args:
        rate: Fraction of the entries dropped, in [0, 1].
        noise_shape: Shape of the binary mask (None entries: the input's size).
        seed: Integer seed (None: from the global seed).

    Call arguments:
        inputs: Any tensor.
        training: Whether to drop (default False).

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax
        >>> x = jax.random.normal(jax.random.key(0), (20000,))
        >>> y = lx.layers.AlphaDropout(0.2, seed=0)(x, training=True)
        >>> abs(round(float(y.mean()), 1)), round(float(y.std()), 1)
        (0.0, 1.0)
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _check_rate(rate)
        self.seed = seed
        self.noise_shape = Dropout._validate_noise_shape(noise_shape)
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        build_at_init(self)

    def call(self, inputs: Any, training: Any = False) -> jax.Array:
        if training and self.rate > 0:
            inputs = jnp.asarray(inputs)
            shape = _noise_shape(inputs, self.noise_shape)
            alpha_p = -_SELU_ALPHA * _SELU_SCALE
            uniform = jax.random.uniform(self.seed_generator.next(), shape, inputs.dtype)
            kept = (uniform >= self.rate).astype(inputs.dtype)
            a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
            b = -a * alpha_p * self.rate
            x = inputs * kept + alpha_p * (1 - kept)
            return a * x + b
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rate": self.rate,
            "seed": self.seed,
            "noise_shape": self.noise_shape,
        }


class ActivityRegularization(Layer):
    """Identity layer that adds `l1 * sum(|x|) + l2 * sum(x**2)` (per example) to `losses`.

    As for every activity regularizer, the penalty of a batch is divided by the
    batch size.

    Args:
        l1: L1 factor.
        l2: L2 factor.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> layer = lx.layers.ActivityRegularization(l1=0.5, l2=0.25)
        >>> _ = layer(jnp.array([[2.0, -2.0]]))
        >>> float(layer.losses[0])
        4.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        build_at_init(self)

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}

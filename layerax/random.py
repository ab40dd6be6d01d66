"""Random numbers (`lx.random`): seeded by an int, a `SeedGenerator`, a key, or the global seed."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax.core.random import SeedGenerator as SeedGenerator
from layerax.core.random import draw_key as _draw_key


def draw_key(seed: Any) -> jax.Array:
    """A JAX key from an int seed, a `SeedGenerator` (advances it), a key, or None (global).

    Example:
        >>> import layerax as lx, jax
        >>> jax.random.key_data(lx.random.draw_key(3)).tolist() == jax.random.key_data(jax.random.key(3)).tolist()
        True
    """
    return _draw_key(seed)


def _dtype(dtype: Any) -> Any:
    return jnp.dtype(dtype or _config.floatx())


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples from a normal distribution.

    `seed` may be an int (fixed), a `SeedGenerator` (advances), a JAX key, or
    None (the global generator; inside `lx.function` its state is captured).

    Example:
        >>> import layerax as lx
        >>> lx.random.normal((2, 3), seed=0).shape
        (2, 3)
    """
    return mean + stddev * jax.random.normal(draw_key(seed), tuple(shape), _dtype(dtype))


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples uniformly from `[minval, maxval)`.

    Example:
        >>> import layerax as lx
        >>> x = lx.random.uniform((100,), seed=1)
        >>> bool((x >= 0).all() and (x < 1).all())
        True
    """
    return jax.random.uniform(draw_key(seed), tuple(shape), _dtype(dtype), minval, maxval)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Normal samples redrawn beyond two standard deviations.

    Example:
        >>> import layerax as lx
        >>> bool((abs(lx.random.truncated_normal((100,), seed=0)) <= 2).all())
        True
    """
    sample = jax.random.truncated_normal(draw_key(seed), -2.0, 2.0, tuple(shape), _dtype(dtype))
    return mean + stddev * sample


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> jax.Array:
    """Integers uniformly from `[minval, maxval)`.

    Example:
        >>> import layerax as lx
        >>> int(lx.random.randint((), 3, 4, seed=0))
        3
    """
    return jax.random.randint(draw_key(seed), tuple(shape), minval, maxval, jnp.dtype(dtype))


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> jax.Array:
    """Draws `num_samples` class indices per row of `logits` (shape `(batch, classes)`).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> lx.random.categorical(jnp.array([[0.0, 100.0]]), 3, seed=0).tolist()
        [[1, 1, 1]]
    """
    logits = jnp.asarray(logits)
    out = jax.random.categorical(draw_key(seed), logits[:, None, :], axis=-1,
                                 shape=(logits.shape[0], num_samples))
    return out.astype(jnp.dtype(dtype))


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> jax.Array:
    """Zeroes each element with probability `rate` and scales the rest by `1 / (1 - rate)`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> y = lx.random.dropout(jnp.ones(1000), 0.5, seed=0)
        >>> sorted(set(y.tolist()))
        [0.0, 2.0]
    """
    inputs = jnp.asarray(inputs)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"`rate` must be in [0, 1). Received: rate={rate}")
    shape = tuple(noise_shape) if noise_shape is not None else inputs.shape
    shape = tuple(inputs.shape[i] if d is None else d for i, d in enumerate(shape))
    keep = jax.random.bernoulli(draw_key(seed), 1.0 - rate, shape)
    return jnp.where(keep, inputs / (1.0 - rate), jnp.zeros_like(inputs))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> jax.Array:
    """Shuffles `x` along `axis`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> sorted(lx.random.shuffle(jnp.arange(5), seed=0).tolist())
        [0, 1, 2, 3, 4]
    """
    return jax.random.permutation(draw_key(seed), jnp.asarray(x), axis=axis, independent=False)



def _floats(value: Any) -> jax.Array:
    return jnp.asarray(value, _dtype(None)) if isinstance(value, (list, tuple)) else jnp.asarray(value)


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples from Gamma(`alpha`, 1) (shape parameter `alpha`, scale 1).

    Example:
        >>> import layerax as lx
        >>> x = lx.random.gamma((4000,), alpha=3.0, seed=0)
        >>> round(float(x.mean()), 1)
        3.0
    """
    return jax.random.gamma(draw_key(seed), _floats(alpha), shape=tuple(shape), dtype=_dtype(dtype))


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples the number of successes of `counts` trials with success probability `probabilities`.

    `counts` and `probabilities` broadcast to `shape`; the result is in `dtype`
    (floatx by default), as in Keras.

    Example:
        >>> import layerax as lx
        >>> x = lx.random.binomial((4000,), counts=10, probabilities=0.3, seed=0)
        >>> round(float(x.mean()))
        3
    """
    return jax.random.binomial(draw_key(seed), _floats(counts), _floats(probabilities),
                               shape=tuple(shape), dtype=_dtype(dtype))


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> jax.Array:
    """Samples from Beta(`alpha`, `beta`) on [0, 1].

    Example:
        >>> import layerax as lx
        >>> x = lx.random.beta((4000,), alpha=2.0, beta=6.0, seed=0)
        >>> round(float(x.mean()), 2)
        0.25
    """
    return jax.random.beta(draw_key(seed), _floats(alpha), _floats(beta), shape=tuple(shape),
                           dtype=_dtype(dtype))

__all__ = [
    "beta",
    "binomial",
    "gamma",
    "SeedGenerator",
    "categorical",
    "draw_key",
    "dropout",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]

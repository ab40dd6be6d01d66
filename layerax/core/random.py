"""Random state: `SeedGenerator` (a key held in a non-trainable variable) and the global seed."""

from __future__ import annotations

import random as python_random
from typing import Any

import jax
import numpy as np

from layerax.core import naming
from layerax.core.context import CTX
from layerax.core.variable import Variable


def make_default_seed() -> int:
    """A fresh integer seed from Python's `random` (seeded by `set_random_seed`)."""
    return python_random.randint(1, 2**31 - 1)


class SeedGenerator:
    """A stream of JAX random keys whose state is a variable.

    `next()` returns a fresh key and advances the state. Because the state is
    a non-trainable `Variable` owned by the layer that holds the generator, it
    advances under `lx.function` and is returned by `stateless_call`, so a
    compiled step draws new random numbers on every call.

    Args:
        seed: Integer seed. `None` draws one from Python's `random` module,
            which `lx.utils.set_random_seed` makes reproducible.
        name: Name of the generator (its state is `<name>/seed_generator_state`).

    Example:
        >>> import layerax as lx, jax
        >>> gen = lx.random.SeedGenerator(42)
        >>> a = jax.random.normal(gen.next(), (2,))
        >>> b = jax.random.normal(gen.next(), (2,))
        >>> bool((a != b).all())
        True
    """

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(
                f"SeedGenerator expects an integer seed or None. Received: seed={seed!r}"
            )
        self._initial_seed = int(seed) if seed is not None else make_default_seed()
        self.name = name or naming.auto_name("SeedGenerator")
        with naming.name_scope(self.name):
            with jax.ensure_compile_time_eval():
                data = jax.random.key_data(jax.random.key(self._initial_seed))
            self.state = Variable(data, name="seed_generator_state", trainable=False)

    def next(self) -> jax.Array:
        """Returns a fresh key and advances the state."""
        key = jax.random.wrap_key_data(self.state.value)
        new_key, out = jax.random.split(key)
        self.state.assign(jax.random.key_data(new_key))
        return out

    def get_config(self) -> dict[str, Any]:
        """The generator's initial seed and name (its current state is not part of it).

        Example:
            >>> import layerax as lx
            >>> lx.random.SeedGenerator(7, name="gen").get_config()
            {'seed': 7, 'name': 'gen'}
        """
        return {"seed": self._initial_seed, "name": self.name}

    def __repr__(self) -> str:
        return f"<SeedGenerator name={self.name} seed={self._initial_seed}>"


def global_seed_generator() -> SeedGenerator:
    """The generator used by random ops called with `seed=None`."""
    gen = CTX.process.seed_generator
    if gen is None:
        with naming.name_scope("global"):
            gen = CTX.process.seed_generator = SeedGenerator(name="global_seed_generator")
    return gen


def set_random_seed(seed: int) -> None:
    """Seeds Python's `random`, numpy and layerax, making a whole program reproducible.

    Example:
        >>> import layerax as lx
        >>> lx.utils.set_random_seed(0)
        >>> a = lx.random.normal((2,))
        >>> lx.utils.set_random_seed(0)
        >>> b = lx.random.normal((2,))
        >>> bool((a == b).all())
        True
    """
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_random_seed expects an integer. Received: seed={seed!r}")
    python_random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))
    with naming.name_scope("global"):
        CTX.process.seed_generator = SeedGenerator(int(seed), name="global_seed_generator")


def draw_key(seed: Any) -> jax.Array:
    """A key from an int seed, a SeedGenerator, a key array, or the global generator (None)."""
    if seed is None:
        return global_seed_generator().next()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)):
        return jax.random.key(int(seed))
    if isinstance(seed, jax.Array) or isinstance(seed, jax.core.Tracer):
        if jax.dtypes.issubdtype(seed.dtype, jax.dtypes.prng_key):
            return seed
        return jax.random.wrap_key_data(seed)
    raise TypeError(
        "`seed` must be None, an integer, a `lx.random.SeedGenerator` or a JAX key. "
        f"Received: seed={seed!r}"
    )

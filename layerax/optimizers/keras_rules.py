"""Keras 3's update rules for `Nadam` and `Adafactor`, as optax transformations.

optax's `nadam` and `adafactor` differ from Keras' (Keras' Nadam uses the
momentum schedule `beta_1 * (1 - 0.5 * 0.96**t)` of Dozat's paper; Keras'
Adafactor always factors the last two axes and has no parameter-scale
option), so a `.keras` file's optimizer state only continues training the
same way under Keras' rules. The state leaves are Keras' optimizer variables
(same shapes and dtypes), which keeps the `.keras` exchange a plain copy.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax


class NadamState(NamedTuple):
    """Keras' Nadam variables: `u_product` (a scalar), the momentums and velocities."""

    count: Any
    u_product: Any
    momentum: Any
    velocity: Any


def keras_nadam(beta_1: float, beta_2: float, epsilon: float) -> optax.GradientTransformation:
    """Keras' Nadam direction (to be scaled by the learning rate).

    Example:
        >>> import jax.numpy as jnp
        >>> from layerax.optimizers.keras_rules import keras_nadam
        >>> tx = keras_nadam(0.9, 0.999, 1e-7)
        >>> updates, state = tx.update([jnp.ones(2)], tx.init([jnp.zeros(2)]))
        >>> [round(float(u), 4) for u in updates[0]]  # -(1 + 0.48528 * 0.1 / (1 - 0.468 * 0.48528))
        [-1.0628, -1.0628]
    """

    def init(params: Any) -> NadamState:
        dtype = jax.tree.leaves(params)[0].dtype if jax.tree.leaves(params) else jnp.float32
        zeros = jax.tree.map(jnp.zeros_like, params)
        return NadamState(jnp.zeros((), jnp.int32), jnp.ones((), dtype), zeros, zeros)

    def update(grads: Any, state: NadamState, params: Any = None) -> tuple[Any, NadamState]:
        t = (state.count + 1).astype(jnp.float32)
        u_t = beta_1 * (1.0 - 0.5 * jnp.power(0.96, t))
        u_next = beta_1 * (1.0 - 0.5 * jnp.power(0.96, t + 1.0))
        u_product = state.u_product * u_t.astype(state.u_product.dtype)

        def one(g: Any, m: Any, v: Any) -> tuple[Any, Any, Any]:
            dtype = m.dtype
            g = g.astype(dtype)
            m = m + (g - m) * (1 - beta_1)
            v = v + (jnp.square(g) - v) * (1 - beta_2)
            prod, ut, un = (x.astype(dtype) for x in (u_product, u_t, u_next))
            m_hat = un * m / (1 - prod * un) + (1 - ut) * g / (1 - prod)
            v_hat = v / (1 - jnp.power(jnp.asarray(beta_2, dtype), t.astype(dtype)))
            return -m_hat / (jnp.sqrt(v_hat) + epsilon), m, v

        out = jax.tree.map(one, grads, state.momentum, state.velocity)
        pick = lambda i: jax.tree.map(lambda x: x[i], out, is_leaf=lambda x: isinstance(x, tuple))
        return pick(0), NadamState(state.count + 1, u_product, pick(1), pick(2))

    return optax.GradientTransformation(init, update)


class AdafactorState(NamedTuple):
    """Keras' Adafactor variables per parameter: `r`, `c` (int32 0 placeholders for
    parameters of rank < 2, as Keras has) and the velocity `v`."""

    count: Any
    r: Any
    c: Any
    v: Any


def _rms(x: Any) -> Any:
    return jnp.sqrt(jnp.mean(jnp.square(x)))


def keras_adafactor(beta_2_decay: float, epsilon_1: float, epsilon_2: float,
                    clip_threshold: float) -> optax.GradientTransformationExtraArgs:
    """Keras' Adafactor update (it takes `learning_rate=`; returns the change of the params).

    Example:
        >>> import jax.numpy as jnp
        >>> from layerax.optimizers.keras_rules import keras_adafactor
        >>> tx = keras_adafactor(-0.8, 1e-30, 1e-3, 1.0)
        >>> params = [jnp.ones((2, 2))]
        >>> updates, _ = tx.update([jnp.ones((2, 2))], tx.init(params), params,
        ...                        learning_rate=jnp.float32(0.1))
        >>> round(float(updates[0][0, 0]), 4)
        -0.1
    """

    def init(params: Any) -> AdafactorState:
        def factor(p: Any, drop: int) -> Any:
            if p.ndim < 2:
                return jnp.zeros((), jnp.int32)
            shape = p.shape[:-1] if drop == -1 else p.shape[:-2] + p.shape[-1:]
            return jnp.zeros(shape, p.dtype)

        return AdafactorState(jnp.zeros((), jnp.int32),
                              jax.tree.map(lambda p: factor(p, -1), params),
                              jax.tree.map(lambda p: factor(p, -2), params),
                              jax.tree.map(jnp.zeros_like, params))

    def update(grads: Any, state: AdafactorState, params: Any, *, learning_rate: Any,
               **unused: Any) -> tuple[Any, AdafactorState]:
        step = (state.count + 1).astype(jnp.float32)

        def one(g: Any, w: Any, r: Any, c: Any, v: Any) -> tuple[Any, Any, Any, Any]:
            dtype = w.dtype
            g = g.astype(dtype)
            t = step.astype(dtype)
            rho = jnp.minimum(learning_rate.astype(dtype), 1 / jnp.sqrt(t))
            alpha = jnp.maximum(epsilon_2, _rms(w)) * rho
            g2 = jnp.square(g) + epsilon_1
            beta = 1 - jnp.power(t, beta_2_decay)
            if w.ndim >= 2:
                r = beta * r + (1 - beta) * jnp.mean(g2, axis=-1)
                c = beta * c + (1 - beta) * jnp.mean(g2, axis=-2)
                v = (r / jnp.mean(r, axis=-1, keepdims=True))[..., None] * c[..., None, :]
            else:
                v = beta * v + (1 - beta) * g2
            u = g / jnp.sqrt(v)
            u = u / jnp.maximum(1.0, _rms(u) / clip_threshold)
            return -alpha * u, r, c, v

        out = jax.tree.map(one, grads, params, state.r, state.c, state.v)
        pick = lambda i: jax.tree.map(lambda x: x[i], out, is_leaf=lambda x: isinstance(x, tuple))
        return pick(0), AdafactorState(state.count + 1, pick(1), pick(2), pick(3))

    return optax.GradientTransformationExtraArgs(init, update)

"""Keras 3's newer optimizers: `Ftrl`, `Lamb`, `Muon`, `ScheduleFreeAdamW`.

Lamb is optax's transformations; the others follow Keras' update rules, which
optax does not have in the same form (optax's `contrib.muon` and
`contrib.schedule_free` scale and average differently), written as optax
`GradientTransformation`s.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from layerax.core import registry
from layerax.core.variable import Variable
from layerax.optimizers.base import Optimizer


def _check_non_negative(owner: str, **values: float) -> None:
    for key, value in values.items():
        if value < 0.0:
            raise ValueError(
                f"{owner}: `{key}` needs to be positive or zero. Received: {key}={value}"
            )


# ------------------------------------------------------------------------ Ftrl
class _FtrlState(NamedTuple):
    accumulator: Any
    linear: Any


def _ftrl(learning_rate_power: float, initial_accumulator_value: float, l1: float, l2: float,
          l2_shrinkage: float, beta: float) -> optax.GradientTransformationExtraArgs:
    def init(params: Any) -> _FtrlState:
        accumulator = jax.tree.map(lambda p: jnp.full_like(p, initial_accumulator_value), params)
        return _FtrlState(accumulator, jax.tree.map(jnp.zeros_like, params))

    def update(grads: Any, state: _FtrlState, params: Any, *, learning_rate: Any,
               **unused: Any) -> tuple[Any, _FtrlState]:
        def one(g: Any, w: Any, n: Any, z: Any) -> tuple[Any, Any, Any]:
            lr = learning_rate.astype(w.dtype)
            l2_total = l2 + beta / (2.0 * lr)
            new_n = n + jnp.square(g)
            sigma = (jnp.power(new_n, -learning_rate_power) - jnp.power(n, -learning_rate_power)) / lr
            new_z = z + g + 2.0 * l2_shrinkage * w - sigma * w
            quadratic = jnp.power(new_n, -learning_rate_power) / lr + 2.0 * l2_total
            new_w = (jnp.clip(new_z, -l1, l1) - new_z) / quadratic
            return new_w - w, new_n, new_z

        out = jax.tree.map(one, grads, params, state.accumulator, state.linear)
        pick = lambda i: jax.tree.map(lambda t: t[i], out, is_leaf=lambda t: isinstance(t, tuple))
        return pick(0), _FtrlState(pick(1), pick(2))

    return optax.GradientTransformationExtraArgs(init, update)


@registry.register("optimizers", "ftrl")
class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al., 2013), Keras' update rule.

    Per variable `w` with gradient `g` (accumulator `n`, linear term `z`)::

        n_new = n + g**2
        z += g + 2 * l2_shrinkage * w - (n_new**-p - n**-p) / lr * w
        w = (clip(z, -l1, l1) - z) / (n_new**-p / lr + 2 * (l2 + beta / (2 * lr)))

    Args:
        learning_rate: Step size (0.001).
        learning_rate_power: `p` above, <= 0 (-0.5); 0 keeps the rate fixed.
        initial_accumulator_value: Starting value of `n`, >= 0 (0.1).
        l1_regularization_strength: L1 strength, >= 0 (0.0).
        l2_regularization_strength: Stabilising L2 strength, >= 0 (0.0).
        l2_shrinkage_regularization_strength: L2 penalty added to the
            gradient (magnitude shrinkage), >= 0 (0.0).
        beta: The paper's beta (0.0).
        **kwargs: The common optimizer arguments (`weight_decay`, `clipnorm`,
            `gradient_accumulation_steps`, `name`, ...).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([0.5, -0.5]))
        >>> opt = lx.optimizers.Ftrl(0.1, l1_regularization_strength=0.01)
        >>> _ = opt.apply_gradients([(jnp.array([1.0, -1.0]), w)])
        >>> [round(x, 4) for x in w.numpy().tolist()]
        [0.2529, -0.2529]
    """

    _transform_takes_learning_rate = True

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 **kwargs: Any) -> None:
        _check_non_negative(
            "Ftrl", initial_accumulator_value=initial_accumulator_value,
            l1_regularization_strength=l1_regularization_strength,
            l2_regularization_strength=l2_regularization_strength,
            l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength,
        )
        if learning_rate_power > 0.0:
            raise ValueError(
                "Ftrl: `learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}"
            )
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return _ftrl(self.learning_rate_power, self.initial_accumulator_value,
                     self.l1_regularization_strength, self.l2_regularization_strength,
                     self.l2_shrinkage_regularization_strength, self.beta)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }


# ------------------------------------------------------------------------ Lamb
@registry.register("optimizers", "lamb")
class Lamb(Optimizer):
    """LAMB (You et al., 2019): Adam steps rescaled per variable by a trust ratio.

    The Adam direction `m_hat / (sqrt(v_hat) + epsilon)` is multiplied by
    `||w|| / ||direction||` (1 when either norm is zero); optax's
    `scale_by_adam` and `scale_by_trust_ratio`.

    Args:
        learning_rate: Step size (0.001).
        beta_1: Decay of the first moment (0.9).
        beta_2: Decay of the second moment (0.999).
        epsilon: Numerical stability constant (1e-7).
        **kwargs: The common optimizer arguments.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([3.0, 4.0]))
        >>> _ = lx.optimizers.Lamb(0.1).apply_gradients([(jnp.array([1.0, 1.0]), w)])
        >>> [round(x, 4) for x in w.numpy().tolist()]
        [2.6464, 3.6464]
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.chain(
            optax.scale_by_adam(b1=self.beta_1, b2=self.beta_2, eps=self.epsilon),
            optax.scale_by_trust_ratio(),
            optax.scale(-1.0),
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


# ------------------------------------------------------------------------ Muon
class _KerasAdamState(NamedTuple):
    count: Any
    mu: Any
    nu: Any


def _keras_adam(b1: float, b2: float, eps: float) -> optax.GradientTransformation:
    """Adam with Keras' epsilon placement: `m * sqrt(1-b2^t) / (1-b1^t) / (sqrt(v) + eps)`."""

    def init(params: Any) -> _KerasAdamState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return _KerasAdamState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads: Any, state: _KerasAdamState, params: Any = None) -> Any:
        count = state.count + 1
        mu = jax.tree.map(lambda m, g: m + (g - m) * (1 - b1), state.mu, grads)
        nu = jax.tree.map(lambda v, g: v + (jnp.square(g) - v) * (1 - b2), state.nu, grads)

        def direction(m: Any, v: Any) -> Any:
            t = count.astype(m.dtype)
            alpha = jnp.sqrt(1 - jnp.power(b2, t)) / (1 - jnp.power(b1, t))
            return m * alpha / (jnp.sqrt(v) + eps)

        return jax.tree.map(direction, mu, nu), _KerasAdamState(count, mu, nu)

    return optax.GradientTransformation(init, update)


def _transpose_last(x: Any) -> Any:
    return jnp.swapaxes(x, -1, -2)


def _newton_schulz(x: Any, steps: int, a: float, b: float, c: float) -> Any:
    """Keras' quintic Newton-Schulz iteration towards the orthogonal factor of `x`."""
    wide = x.shape[-2] > x.shape[-1]
    if wide:
        x = _transpose_last(x)
    x = x / (jnp.linalg.norm(x, axis=(-2, -1), keepdims=True) + 1e-7)
    for _ in range(steps):
        gram = x @ _transpose_last(x)
        x = a * x + (b * gram + c * gram @ gram) @ x
    return _transpose_last(x) if wide else x


class _MuonState(NamedTuple):
    momentum: Any


def _muon(momentum: float, nesterov: bool, ns_steps: int, abc: tuple[float, float, float],
          rms_rate: float | None) -> optax.GradientTransformation:
    def init(params: Any) -> _MuonState:
        return _MuonState(jax.tree.map(jnp.zeros_like, params))

    def update(grads: Any, state: _MuonState, params: Any = None) -> Any:
        mom = jax.tree.map(lambda m, g: momentum * m + g, state.momentum, grads)

        def step(m: Any, g: Any) -> Any:
            direction = _newton_schulz(g + momentum * m if nesterov else m, ns_steps, *abc)
            if rms_rate is not None:
                direction = direction * (max(m.shape[0], m.shape[1]) ** 0.5 * rms_rate)
            return -direction

        return jax.tree.map(step, mom, grads), _MuonState(mom)

    return optax.GradientTransformation(init, update)


@registry.register("optimizers", "muon")
class Muon(Optimizer):
    """Muon: momentum orthogonalised by Newton-Schulz for matrices, AdamW elsewhere.

    A 2-D variable takes the Muon step: momentum `m = momentum * m + g`
    (Nesterov: the direction is `g + momentum * m`), orthogonalised by
    `ns_steps` quintic Newton-Schulz iterations and scaled by
    `sqrt(max(rows, cols)) * rms_rate` (Moonlight). Every other variable, a
    variable whose path contains "embedding" (with `exclude_embeddings`) and
    one whose path matches a regex of `exclude_layers` takes an Adam step
    with learning rate `learning_rate * adam_lr_ratio`. Decoupled weight
    decay is `weight_decay` on Muon variables and `adam_weight_decay` on Adam
    ones, as in Keras.

    Args:
        learning_rate: Step size (0.001).
        adam_beta_1: Adam's first-moment decay (0.9).
        adam_beta_2: Adam's second-moment decay (0.999).
        adam_weight_decay: Weight decay of the Adam variables (0.004).
        epsilon: Adam's stability constant (1e-7).
        weight_decay: Weight decay of the Muon variables (0.004).
        exclude_layers: Regexes of variable paths that use Adam.
        exclude_embeddings: Embedding variables use Adam (True).
        muon_a: Newton-Schulz coefficient a (3.4445).
        muon_b: Newton-Schulz coefficient b (-4.7750).
        muon_c: Newton-Schulz coefficient c (2.0315).
        adam_lr_ratio: Adam's learning rate relative to `learning_rate` (1).
        momentum: Muon momentum (0.95).
        ns_steps: Newton-Schulz iterations (5).
        nesterov: Nesterov momentum (True).
        rms_rate: Update RMS scale (0.2); None disables the scaling.
        **kwargs: The common optimizer arguments.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.eye(2) * 3.0)
        >>> opt = lx.optimizers.Muon(0.1, weight_decay=0.0)
        >>> _ = opt.apply_gradients([(jnp.eye(2), w)])
        >>> round(float(w.numpy()[0, 0]), 3), round(float(w.numpy()[0, 1]), 3)
        (2.969, 0.0)
    """

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9,
                 adam_beta_2: float = 0.999, adam_weight_decay: float | None = 0.004,
                 epsilon: float = 1e-7, weight_decay: float | None = 0.004,
                 exclude_layers: list[str] | None = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.7750, muon_c: float = 2.0315,
                 adam_lr_ratio: float = 1, momentum: float = 0.95, ns_steps: int = 5,
                 nesterov: bool = True, rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        if int(ns_steps) != ns_steps or ns_steps < 0:
            raise ValueError(
                f"Muon: `ns_steps` must be a non-negative integer. Received: ns_steps={ns_steps}"
            )
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.adam_weight_decay = adam_weight_decay
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = exclude_embeddings
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum = adam_lr_ratio, momentum
        self.ns_steps, self.nesterov, self.rms_rate = int(ns_steps), nesterov, rms_rate
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.identity()  # per variable: see `_transform_for`

    def _should_use_adamw(self, variable: Variable) -> bool:
        """Whether `variable` takes the Adam step (not 2-D, an embedding, or excluded)."""
        if len(variable.shape) != 2:
            return True
        if self.exclude_embeddings and "embedding" in variable.path.lower():
            return True
        return any(re.search(pattern, variable.path) for pattern in self.exclude_layers)

    def _transform_for(self, variables: list[Variable]) -> optax.GradientTransformation:
        labels = ["adam" if self._should_use_adamw(v) else "muon" for v in variables]
        adam = optax.chain(_keras_adam(self.adam_beta_1, self.adam_beta_2, self.epsilon),
                           optax.scale(-float(self.adam_lr_ratio)))
        muon = _muon(self.momentum, self.nesterov, self.ns_steps,
                     (self.muon_a, self.muon_b, self.muon_c), self.rms_rate)
        return optax.multi_transform({"adam": adam, "muon": muon}, labels)

    def _weight_decay_for(self, var: Variable) -> float | None:
        if not self._decays(var):
            return None
        return self.adam_weight_decay if self._should_use_adamw(var) else self.weight_decay

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
            "epsilon": self.epsilon, "exclude_layers": self.exclude_layers,
            "muon_a": self.muon_a, "muon_b": self.muon_b, "muon_c": self.muon_c,
            "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
            "ns_steps": self.ns_steps, "nesterov": self.nesterov,
            "exclude_embeddings": self.exclude_embeddings,
            "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate,
        }


# ----------------------------------------------------------- ScheduleFreeAdamW
class _ScheduleFreeState(NamedTuple):
    count: Any
    z: Any
    nu: Any


def _schedule_free_adamw(b1: float, b2: float, eps: float,
                         warmup_steps: int) -> optax.GradientTransformationExtraArgs:
    def init(params: Any) -> _ScheduleFreeState:
        zeros = jax.tree.map(jnp.zeros_like, params)
        return _ScheduleFreeState(jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads: Any, state: _ScheduleFreeState, params: Any, *, learning_rate: Any,
               original_params: Any, **unused: Any) -> tuple[Any, _ScheduleFreeState]:
        first = state.count == 0
        t = state.count + 1

        def one(g: Any, y: Any, y0: Any, z: Any, v: Any) -> tuple[Any, Any, Any]:
            step = t.astype(y.dtype)
            lr = learning_rate.astype(y.dtype)
            if warmup_steps > 0:
                lr = lr * jnp.minimum(step / warmup_steps, 1.0)
            # z starts as the variable's value before the first step (Keras copies it at
            # build time); taking it here also covers state created while tracing.
            z_old = jnp.where(first, y0, z)
            new_v = v + (jnp.square(g) - v) * (1 - b2)
            denom = jnp.sqrt(new_v / (1 - jnp.power(b2, step))) + eps
            new_z = z_old - lr * g / denom
            weight = 1.0 / step
            x_old = (y - (1 - b1) * z_old) / b1
            x_new = (1 - weight) * x_old + weight * new_z
            y_new = (1 - b1) * new_z + b1 * x_new
            return y_new - y, new_z, new_v

        out = jax.tree.map(one, grads, params, original_params, state.z, state.nu)
        pick = lambda i: jax.tree.map(lambda o: o[i], out, is_leaf=lambda o: isinstance(o, tuple))
        return pick(0), _ScheduleFreeState(t, pick(1), pick(2))

    return optax.GradientTransformationExtraArgs(init, update)


@registry.register("optimizers", "schedulefreeadamw")
class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024), Keras' update rule.

    The variable holds `y`, an interpolation between the Adam-preconditioned
    SGD sequence `z` and its uniform average `x`: per step `t`,
    `z -= lr * g / (sqrt(v_hat) + epsilon)`, `x = lerp(x, z, 1/t)`,
    `y = (1 - beta_1) * z + beta_1 * x`. No learning-rate schedule is needed;
    `warmup_steps` ramps the rate linearly from 0.

    Args:
        learning_rate: Step size (0.0025).
        beta_1: Interpolation between `z` and `x` (0.9).
        beta_2: Decay of the second moment (0.999).
        epsilon: Numerical stability constant (1e-8).
        warmup_steps: Linear warm-up steps (0).
        **kwargs: The common optimizer arguments.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.ScheduleFreeAdamW(0.1).apply_gradients([(jnp.array([2.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.9
    """

    _transform_takes_learning_rate = True

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, **kwargs: Any) -> None:
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(
                f"ScheduleFreeAdamW: `beta_1` must be in (0, 1]. Received: beta_1={beta_1}"
            )
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.warmup_steps = warmup_steps
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return _schedule_free_adamw(self.beta_1, self.beta_2, self.epsilon, self.warmup_steps)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}

"""Built-in optimizers with Keras 3's names and defaults; the update math is optax's
(Keras' own rules, in `keras_rules`, where optax's differ: Nadam, Adafactor)."""

from __future__ import annotations

from typing import Any

import optax

from layerax.core import registry
from layerax.optimizers import keras_rules
from layerax.optimizers.base import Optimizer

_COMMON = """
    Common args (all optimizers): `weight_decay`, `clipnorm`, `clipvalue`,
    `global_clipnorm`, `name`; `learning_rate` is a float or a
    `lx.optimizers.schedules.LearningRateSchedule`."""


@registry.register("optimizers", "sgd")
class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum; optax's `sgd`.

    Args:
        learning_rate: Step size (0.01).
        momentum: Momentum coefficient (0.0: none).
        nesterov: Use Nesterov momentum.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.SGD(0.1).apply_gradients([(jnp.array([2.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.8
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"`momentum` must be in [0, 1]. Received: momentum={momentum}")
        self.momentum, self.nesterov = momentum, nesterov
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.sgd(1.0, momentum=self.momentum or None, nesterov=self.nesterov)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@registry.register("optimizers", "adam")
class Adam(Optimizer):
    """Adam; optax's `adam` (or `amsgrad`). Epsilon is added to the bias-corrected root.

    Args:
        learning_rate: Step size (0.001).
        beta_1: Decay of the first moment (0.9).
        beta_2: Decay of the second moment (0.999).
        epsilon: Numerical stability constant (1e-7).
        amsgrad: Use the AMSGrad variant.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Adam(0.1).apply_gradients([(jnp.array([3.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.9
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        if self.amsgrad:
            return optax.amsgrad(1.0, b1=self.beta_1, b2=self.beta_2, eps=self.epsilon)
        return optax.adam(1.0, b1=self.beta_1, b2=self.beta_2, eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


@registry.register("optimizers", "adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (0.004 by default); optax's `adamw`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.AdamW(0.1, weight_decay=0.5).apply_gradients([(jnp.array([3.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.85
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **kwargs: Any) -> None:
        if weight_decay is None:
            raise ValueError("AdamW needs a float `weight_decay`. Use lx.optimizers.Adam for none.")
        if amsgrad:
            raise ValueError("AdamW does not support amsgrad=True; use Adam(amsgrad=True, weight_decay=...).")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         weight_decay=weight_decay, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.adamw(1.0, b1=self.beta_1, b2=self.beta_2, eps=self.epsilon,
                           weight_decay=self.weight_decay)

    def _optax_weight_decay(self) -> bool:
        return True

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("amsgrad")
        return config


@registry.register("optimizers", "rmsprop")
class RMSprop(Optimizer):
    """RMSprop with Keras 3's epsilon placement (inside the root: `g / sqrt(v + epsilon)`);
    optax's `rmsprop`.

    Args:
        learning_rate: Step size (0.001).
        rho: Decay of the squared-gradient average (0.9).
        momentum: Momentum coefficient (0.0).
        epsilon: Numerical stability constant (1e-7).
        centered: Normalise by the variance estimate instead of the second moment.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.RMSprop(0.01).apply_gradients([(jnp.array([1.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.9684
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.rmsprop(1.0, decay=self.rho, eps=self.epsilon, eps_in_sqrt=True,
                             centered=self.centered, momentum=self.momentum or None)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


@registry.register("optimizers", "adagrad")
class Adagrad(Optimizer):
    """Adagrad; optax's `adagrad`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Adagrad(0.1).apply_gradients([(jnp.array([1.0]), w)])
        >>> float(w.numpy()[0]) < 1.0
        True
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.adagrad(1.0, initial_accumulator_value=self.initial_accumulator_value,
                             eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@registry.register("optimizers", "adadelta")
class Adadelta(Optimizer):
    """Adadelta; optax's `adadelta`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Adadelta(1.0).apply_gradients([(jnp.array([1.0]), w)])
        >>> float(w.numpy()[0]) < 1.0
        True
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.rho, self.epsilon = rho, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.adadelta(1.0, rho=self.rho, eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


@registry.register("optimizers", "adamax")
class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm); optax's `adamax`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Adamax(0.1).apply_gradients([(jnp.array([2.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.9
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.adamax(1.0, b1=self.beta_1, b2=self.beta_2, eps=self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


@registry.register("optimizers", "nadam")
class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016), Keras 3's update rule.

    The momentum follows the schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)`,
    whose running product is part of the state (as in Keras, so a `.keras`
    file's state continues training the same way).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Nadam(0.1).apply_gradients([(jnp.array([2.0]), w)])
        >>> float(w.numpy()[0]) < 1.0
        True
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return keras_rules.keras_nadam(self.beta_1, self.beta_2, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


@registry.register("optimizers", "lion")
class Lion(Optimizer):
    """Lion (sign of an interpolated momentum); optax's `lion`.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> _ = lx.optimizers.Lion(0.1).apply_gradients([(jnp.array([5.0]), w)])
        >>> round(float(w.numpy()[0]), 4)
        0.9
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any) -> None:
        self.beta_1, self.beta_2 = beta_1, beta_2
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return optax.lion(1.0, b1=self.beta_1, b2=self.beta_2, weight_decay=self.weight_decay or 0.0)

    def _optax_weight_decay(self) -> bool:
        return True

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


@registry.register("optimizers", "adafactor")
class Adafactor(Optimizer):
    """Adafactor (Shazeer and Stern, 2018), Keras 3's update rule.

    Second moments of parameters of rank >= 2 are factored over their last two
    axes (row and column statistics `r`, `c`); the step is
    `max(epsilon_2, rms(w)) * min(learning_rate, 1 / sqrt(t))` times the
    clipped normalised gradient.

    Args:
        learning_rate: Step size (0.001); the step uses `min(learning_rate, 1 / sqrt(t))`.
        beta_2_decay: Exponent of the second-moment decay, `1 - t**beta_2_decay` (-0.8).
        epsilon_1: Added to the squared gradients (1e-30).
        epsilon_2: Smallest parameter scale (1e-3).
        clip_threshold: The normalised update is clipped to this RMS (1.0).
        relative_step: Kept for Keras compatibility; Keras 3's step is
            `min(learning_rate, 1 / sqrt(t))` either way.
        **kwargs: The common optimizer arguments.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0, 2.0]))
        >>> _ = lx.optimizers.Adafactor(0.1).apply_gradients([(jnp.array([1.0, 1.0]), w)])
        >>> bool((w.numpy() < jnp.array([1.0, 2.0])).all())
        True
    """

    _transform_takes_learning_rate = True

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True,
                 **kwargs: Any) -> None:
        if "min_dim_size_to_factor" in kwargs:
            raise TypeError(
                "Adafactor follows Keras 3 and always factors the last two axes of parameters of "
                "rank >= 2: remove `min_dim_size_to_factor`, or wrap optax's "
                "`lx.optimizers.Optimizer(optax.adafactor(...))` for optax's variant."
            )
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step
        super().__init__(learning_rate=learning_rate, **kwargs)

    def _make_transform(self) -> optax.GradientTransformation:
        return keras_rules.keras_adafactor(self.beta_2_decay, self.epsilon_1, self.epsilon_2,
                                           self.clip_threshold)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}

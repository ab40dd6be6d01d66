"""Learning-rate schedules with Keras 3's names and formulas: `schedule(step) -> learning rate`."""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from layerax.core import registry, serialization


@registry.register_base("optimizers.schedules")
class LearningRateSchedule:
    """Base class: a callable from the optimizer's step counter to a learning rate.

    Example:
        >>> import layerax as lx
        >>> class Halve(lx.optimizers.schedules.LearningRateSchedule):
        ...     def __call__(self, step):
        ...         return 0.1 / (1.0 + step)
        >>> round(float(Halve()(1)), 3)
        0.05
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step).")

    def get_config(self) -> dict[str, Any]:
        """The schedule's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5).get_config()["decay_steps"]
            10
        """
        raise NotImplementedError(f"{type(self).__name__} must implement get_config().")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Creates a schedule from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> schedule = lx.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
            >>> clone = type(schedule).from_config(schedule.get_config())
            >>> round(float(clone(10)), 6)
            0.05
        """
        return cls(**config)


def _step(step: Any) -> Any:
    return jnp.asarray(step, jnp.float32)


@registry.register("optimizers.schedules")
class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)` (floored when `staircase`).

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)
        >>> float(s(10))
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"`decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = jnp.floor(p)
        return self.initial_learning_rate * jnp.power(jnp.float32(self.decay_rate), p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@registry.register("optimizers.schedules")
class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[i]` while `boundaries[i-1] < step <= boundaries[i]`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
        >>> [float(s(t)) for t in (10, 11, 25)]
        [1.0, 0.5, 0.10000000149011612]
    """

    def __init__(self, boundaries: list[Any], values: list[float], name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of `boundaries` should be 1 less than the length of `values`. "
                f"Received: boundaries={boundaries}, values={values}"
            )
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step: Any) -> Any:
        step = _step(step)
        index = jnp.sum(step > jnp.asarray(self.boundaries, jnp.float32))
        return jnp.asarray(self.values, jnp.float32)[index]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@registry.register("optimizers.schedules")
class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate` over `decay_steps`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0)
        >>> float(s(5))
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"`decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> Any:
        step = _step(step)
        decay_steps = jnp.float32(self.decay_steps)
        if self.cycle:
            multiplier = jnp.where(step == 0, 1.0, jnp.ceil(step / decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = jnp.minimum(step, decay_steps)
        fraction = step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * jnp.power(1.0 - fraction, self.power) + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@registry.register("optimizers.schedules")
class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
        >>> float(s(1))
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        if decay_steps <= 0:
            raise ValueError(f"`decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = jnp.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@registry.register("optimizers.schedules")
class CosineDecay(LearningRateSchedule):
    """Cosine decay over `decay_steps`, after an optional linear warmup to `warmup_target`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.CosineDecay(1.0, decay_steps=10)
        >>> round(float(s(5)), 4)
        0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        if decay_steps <= 0:
            raise ValueError(f"`decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step: Any, start: Any) -> Any:
        fraction = step / self.decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(jnp.float32(math.pi) * fraction))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: Any) -> Any:
        step = _step(step)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(step, self.decay_steps), self.initial_learning_rate)
        step = jnp.minimum(step, self.decay_steps + self.warmup_steps)
        warm = (self.warmup_target - self.initial_learning_rate) * (
            step / max(self.warmup_steps, 1)
        ) + self.initial_learning_rate
        decayed = self._decay(step - self.warmup_steps, self.warmup_target)
        return jnp.where(step < self.warmup_steps, warm, decayed)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@registry.register("optimizers.schedules")
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by `t_mul`, peaks by `m_mul`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.CosineDecayRestarts(1.0, first_decay_steps=10)
        >>> float(s(0)), round(float(s(5)), 4)
        (1.0, 0.5)
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        if first_decay_steps <= 0:
            raise ValueError(
                f"`first_decay_steps` must be > 0. Received: first_decay_steps={first_decay_steps}"
            )
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> Any:
        fraction = _step(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = jnp.floor(fraction)
            fraction = fraction - restart
        else:
            t_mul = jnp.float32(self.t_mul)
            restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            done = (1.0 - t_mul**restart) / (1.0 - t_mul)
            fraction = (fraction - done) / t_mul**restart
        m_fac = jnp.float32(self.m_mul) ** restart
        cosine = 0.5 * m_fac * (1.0 + jnp.cos(jnp.float32(math.pi) * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Config dict of a schedule.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.InverseTimeDecay(1.0, 2, 0.5)
        >>> lx.optimizers.schedules.serialize(s)["class_name"]
        'InverseTimeDecay'
    """
    return serialization.serialize(schedule)


def deserialize(config: dict[str, Any], custom_objects: Any = None) -> LearningRateSchedule:
    """Inverse of `serialize`.

    Example:
        >>> import layerax as lx
        >>> s = lx.optimizers.schedules.deserialize(
        ...     {"class_name": "CosineDecay", "config": {"initial_learning_rate": 1.0, "decay_steps": 4}})
        >>> s.decay_steps
        4
    """
    return serialization.deserialize(
        config, "learning rate schedule", "optimizers.schedules", custom_objects=custom_objects
    )


__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LearningRateSchedule",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "deserialize",
    "serialize",
]

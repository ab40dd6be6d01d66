"""`LossScaleOptimizer`: dynamic loss scaling for float16 training (Keras 3 semantics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp

from layerax.core import naming, registry
from layerax.core.state import run_with_state, state_is_routed
from layerax.core.variable import Variable
from layerax.function import function
from layerax.optimizers.base import Optimizer

_INNER_ONLY = ("weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
               "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
               "gradient_accumulation_steps")
_DEFAULTS = {"use_ema": False, "ema_momentum": 0.99}


@registry.register("optimizers", "loss_scale_optimizer")
class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer with dynamic loss scaling, against float16 underflow.

    The loss is multiplied by a scale before differentiation (`scale_loss`),
    so small gradients survive float16; `apply` divides the gradients by it
    again. When any gradient is not finite, the step is skipped (variables and
    optimizer state unchanged) and the scale halved; after
    `dynamic_growth_steps` finite steps in a row it is doubled. `fit` wraps
    the optimizer automatically when the model's dtype policy is
    `"mixed_float16"` (`compile(auto_scale_loss=True)`).

    Args:
        inner_optimizer: The `lx.optimizers.Optimizer` to wrap.
        initial_scale: Starting loss scale (`2**15`).
        dynamic_growth_steps: Finite steps after which the scale doubles.
        name: Optimizer name.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> w = lx.Variable(jnp.array([1.0]))
        >>> opt = lx.optimizers.LossScaleOptimizer(lx.optimizers.SGD(0.5), initial_scale=8.0)
        >>> float(opt.scale_loss(jnp.float32(2.0)))
        16.0
        >>> opt.apply([jnp.array([8.0])], [w])  # scaled gradient 8 -> true gradient 1
        >>> w.numpy().tolist(), float(opt.dynamic_scale.value)
        ([0.5], 8.0)
        >>> opt.apply([jnp.array([jnp.inf])], [w])  # overflow: skipped, scale halved
        >>> w.numpy().tolist(), float(opt.dynamic_scale.value)
        ([0.5], 4.0)
    """

    def __init__(
        self,
        inner_optimizer: Optimizer,
        initial_scale: float = 2.0**15,
        dynamic_growth_steps: int = 2000,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Set "
                "`loss_scale_factor` on the inner optimizer for a fixed scale instead."
            )
        for key in _INNER_ONLY:
            if key in kwargs:
                value = kwargs.pop(key)
                if value != _DEFAULTS.get(key):
                    raise ValueError(
                        f"LossScaleOptimizer does not support `{key}`. Set `{key}` on the "
                        "`inner_optimizer` instead."
                    )
        if kwargs:
            raise ValueError(
                f"LossScaleOptimizer does not support arguments: {sorted(kwargs)}."
            )
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(
                "LossScaleOptimizer expects an `lx.optimizers.Optimizer` to wrap, e.g. "
                f"`LossScaleOptimizer(lx.optimizers.Adam())`. Received: {inner_optimizer!r}"
            )
        if int(dynamic_growth_steps) < 1:
            raise ValueError(
                "`dynamic_growth_steps` must be a positive integer. Received: "
                f"dynamic_growth_steps={dynamic_growth_steps}"
            )
        self.name = name or naming.auto_name("LossScaleOptimizer")
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        inner_optimizer.loss_scale_factor = None
        with naming.name_scope(self.name):
            self.step_counter = Variable(jnp.zeros((), jnp.int32), name="step_counter",
                                         trainable=False)
            self.dynamic_scale = Variable(jnp.asarray(self.initial_scale, jnp.float32),
                                          name="dynamic_scale", trainable=False)
        self._compiled_apply = function(self._apply_step)

    # ----------------------------------------------------------- delegation
    @property
    def iterations(self) -> Any:  # type: ignore[override]
        """The inner optimizer's step count (skipped steps do not count)."""
        return self.inner_optimizer.iterations

    @property
    def _iterations(self) -> Variable:  # type: ignore[override]
        return self.inner_optimizer._iterations

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self.inner_optimizer.learning_rate = value

    @property
    def variables(self) -> list[Variable]:
        """`step_counter`, `dynamic_scale`, then the inner optimizer's variables."""
        return [self.step_counter, self.dynamic_scale, *self.inner_optimizer.variables]

    @property
    def built(self) -> bool:
        """Whether the inner optimizer has created its state."""
        return self.inner_optimizer.built

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """The inner optimizer's (writes its moving averages when it has use_ema=True)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    @property
    def _built_variables(self) -> list[Variable]:  # type: ignore[override]
        return self.inner_optimizer._built_variables

    @_built_variables.setter
    def _built_variables(self, value: list[Variable]) -> None:
        self.inner_optimizer._built_variables = value

    def build(self, var_list: Sequence[Variable]) -> None:
        self.inner_optimizer.build(var_list)

    # -------------------------------------------------------------- scaling
    def scale_loss(self, loss: Any) -> Any:
        """`loss` times the current scale (differentiate this one)."""
        return loss * self.dynamic_scale.value.astype(jnp.result_type(loss))

    def check_finite(self, grads: Sequence[Any]) -> Any:
        """Whether every gradient is finite (a boolean scalar)."""
        checks = [jnp.all(jnp.isfinite(g)) for g in grads if g is not None]
        return jnp.all(jnp.stack(checks)) if checks else jnp.bool_(True)

    # ---------------------------------------------------------------- apply
    def apply(self, grads: Sequence[Any],
              trainable_variables: Sequence[Variable] | None = None) -> None:
        """Unscales `grads` and applies them, or skips the step if any is not finite."""
        if trainable_variables is None:
            trainable_variables = self.inner_optimizer._built_variables
            if not trainable_variables:
                raise ValueError(
                    f"Optimizer '{self.name}' was not built: pass `trainable_variables` or call "
                    "`optimizer.build(variables)` first."
                )
        grads = [g.value if isinstance(g, Variable) else g for g in grads]
        variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}' received {len(grads)} gradients for "
                f"{len(variables)} variables."
            )
        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        grads = [g for g, _ in pairs]
        variables = [v for _, v in pairs]
        if state_is_routed():
            self._apply_step(grads, variables)
        else:
            self._compiled_apply(grads, variables)

    def _apply_step(self, grads: list[Any], variables: list[Variable]) -> None:
        inner = self.inner_optimizer
        finite = self.check_finite(grads)
        scale = self.dynamic_scale.value
        unscaled = [
            jnp.where(finite, jnp.asarray(g, jnp.float32) / scale, 0.0).astype(jnp.asarray(g).dtype)
            for g in grads
        ]
        # The inner update always runs (no data-dependent Python branch under jit); on a
        # non-finite step every variable it touched is put back to its previous value.
        inner._group_for(variables)
        touched = list(variables) + inner.variables
        before = [v.value for v in touched]
        inner.apply(unscaled, variables)
        for var, old in zip(touched, before):
            var.assign(jnp.where(finite, var.value, old))
        counter = self.step_counter.value
        grow = counter == self.dynamic_growth_steps - 1
        self.dynamic_scale.assign(
            jnp.where(finite, jnp.where(grow, scale * 2.0, scale), scale * 0.5)
        )
        self.step_counter.assign(
            jnp.where(finite, jnp.where(grow, 0, counter + 1), 0).astype(counter.dtype)
        )

    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
    ) -> tuple[list[Any], list[Any]]:
        """Pure version of `apply` over the variables given to `build`.

        Returns:
            `(new_trainable_values, new_optimizer_values)`.
        """
        params = self.inner_optimizer._built_variables
        if not params:
            raise ValueError(
                f"Optimizer '{self.name}' must be built before stateless_apply: call "
                "`optimizer.build(model.trainable_variables)`."
            )
        self.inner_optimizer._group_for(list(params))
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError(
                f"Optimizer '{self.name}': stateless_apply expected {len(own)} optimizer variable "
                f"values, received {len(optimizer_variables)}."
            )
        values = list(optimizer_variables) + list(trainable_variables)
        _, new_values = run_with_state(own + list(params), values, self._apply_step,
                                       list(grads), list(params))
        return new_values[len(own):], new_values[: len(own)]

    # --------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The configuration: the serialized inner optimizer and the loss-scale arguments."""
        from layerax.core import serialization

        return {
            "name": self.name,
            "inner_optimizer": serialization.serialize(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> LossScaleOptimizer:
        """Creates the optimizer, its inner optimizer deserialized, from `get_config()`'s output."""
        from layerax import optimizers

        config = dict(config)
        inner = optimizers.deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)

    def __repr__(self) -> str:
        return f"<LossScaleOptimizer name={self.name} inner={self.inner_optimizer!r}>"

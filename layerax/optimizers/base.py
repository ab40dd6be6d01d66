"""`lx.optimizers.Optimizer`: Keras-style optimizers whose math is optax's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from layerax.core import naming, registry
from layerax.core.state import run_with_state, state_is_routed
from layerax.core.variable import Tracer, Variable
from layerax.function import function, register_stateful_type
from layerax.optimizers import schedules as _schedules


class _StateGroup:
    """Optax state for one list of variables, stored leaf by leaf in variables."""

    def __init__(self, variables: list[Variable], state_vars: list[Variable], treedef: Any,
                 transform: optax.GradientTransformation,
                 averages: list[Variable] | None = None) -> None:
        self.variables = variables
        self.transform = transform
        self.index = {id(v): i for i, v in enumerate(variables)}
        self.state_vars = state_vars
        self.treedef = treedef
        # The exponential moving averages of `variables` (use_ema=True), else empty.
        self.averages = averages or []


def _clip_by_norm(g: jax.Array, clip_norm: float) -> jax.Array:
    l2sum = jnp.sum(jnp.square(g))
    positive = l2sum > 0
    l2norm = jnp.where(positive, jnp.sqrt(jnp.where(positive, l2sum, 1.0)), l2sum)
    return g * clip_norm / jnp.maximum(l2norm, clip_norm)


def _concrete(var: Variable) -> jax.Array:
    value = var._value
    if isinstance(value, Tracer):
        # Built while tracing: zeros stand in, laid out like the variable (optimizer state
        # follows the sharding of its parameter under lx.distribution).
        if var._sharding is not None:
            return jnp.zeros(var.shape, var.dtype, device=var._sharding)
        return jnp.zeros(var.shape, var.dtype)
    return value


@registry.register_base("optimizers")
class Optimizer:
    """An optimizer: Keras' interface over an optax `GradientTransformation`.

    Keras usage (`apply_gradients(zip(grads, vars))`, `learning_rate`,
    `iterations`, `clipnorm`, ...) drives optax math. The optimizer's state
    lives in variables, so `lx.function` captures it, and an eager
    `apply_gradients` runs as one compiled update. Any optax transformation
    can be wrapped directly: `lx.optimizers.Optimizer(optax.adamw(1e-3))`.

    Args:
        transform: An optax transformation that includes its learning rate.
            Built-in subclasses leave it None and build their own.
        learning_rate: Float or `LearningRateSchedule` (built-in subclasses).
        weight_decay: Decoupled weight decay coefficient.
        clipnorm: Clip each gradient to this L2 norm.
        clipvalue: Clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: Clip all gradients together to this global norm.
        gradient_accumulation_steps: None, or an int N >= 2: the variables
            change only every N-th step, with the mean of the N gradients
            since the last change (optax's `MultiSteps`). Every step counts
            in the learning-rate schedule; `iterations` is the number of
            real updates (steps // N), as in Keras.
        name: Optimizer name.
        use_ema: Keep an exponential moving average of the trained variables
            ("Polyak averaging"), as Keras 3 does: after each step
            `average = ema_momentum * average + (1 - ema_momentum) * variable`
            (the first step copies the variable). `fit` ends by writing the
            averages into the variables; `lx.callbacks.SwapEMAWeights`
            evaluates with them.
        ema_momentum: The averaging momentum, in [0, 1] (default 0.99).
        ema_overwrite_frequency: If set (an int >= 1), the variables are
            overwritten by their averages every that many steps.

    Example:
        >>> import layerax as lx, jax.numpy as jnp, optax
        >>> w = lx.Variable(jnp.array([1.0, 2.0]))
        >>> opt = lx.optimizers.Optimizer(optax.sgd(0.5))
        >>> _ = opt.apply_gradients([(jnp.array([1.0, 1.0]), w)])
        >>> w.numpy().tolist()
        [0.5, 1.5]
    """

    def __init__(
        self,
        transform: optax.GradientTransformation | None = None,
        *,
        learning_rate: Any = 0.001,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - {"use_ema", "ema_momentum", "ema_overwrite_frequency",
                                 "loss_scale_factor", "gradient_accumulation_steps", "decay"}
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(unknown)}"
            )
        self.use_ema = bool(kwargs.get("use_ema", False))
        self.ema_momentum = kwargs.get("ema_momentum", 0.99)
        self.ema_overwrite_frequency = kwargs.get("ema_overwrite_frequency")
        if self.use_ema:
            _check_ema_arguments(type(self).__name__, self.ema_momentum,
                                 self.ema_overwrite_frequency)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(
                "Only one of `clipnorm` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, global_clipnorm={global_clipnorm}"
            )
        self.name = name or naming.auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.loss_scale_factor = kwargs.get("loss_scale_factor")
        self.gradient_accumulation_steps = _accumulation_steps(
            kwargs.get("gradient_accumulation_steps"), type(self).__name__
        )
        self._exclude_ids: set[int] = set()
        self._exclude_names: tuple[str, ...] = ()
        self._groups: dict[frozenset[int], _StateGroup] = {}
        self._built_variables: list[Variable] = []
        with naming.name_scope(self.name):
            self._iterations = Variable(jnp.zeros((), jnp.int32), name="iteration", trainable=False)
            if transform is not None:
                if not isinstance(transform, optax.GradientTransformation):
                    raise TypeError(
                        "Optimizer expects an optax.GradientTransformation (e.g. optax.adam(1e-3)). "
                        f"Received: {transform!r}"
                    )
                self._transform = transform
                self._schedule = None
                self._learning_rate = None
            else:
                self._transform = self._make_transform()
                self._set_learning_rate(learning_rate)
        self._compiled_update = function(self._update_step)

    # ----------------------------------------------------------- subclasses
    def _make_transform(self) -> optax.GradientTransformation:
        """The optax transformation with a unit learning rate (subclasses override)."""
        raise ValueError(
            "lx.optimizers.Optimizer needs an optax transformation, e.g. "
            "`lx.optimizers.Optimizer(optax.adam(1e-3))`, or use a built-in optimizer such as "
            "`lx.optimizers.Adam()`."
        )

    def _optax_weight_decay(self) -> bool:
        """Whether the optax transformation applies `weight_decay` itself."""
        return False

    # Subclasses whose update is not `learning_rate * something` set this: their
    # transformation's `update` then receives `learning_rate=` (and `original_params=`,
    # the values before weight decay) and returns the whole change of the variables.
    _transform_takes_learning_rate = False

    def _transform_for(self, variables: list[Variable]) -> optax.GradientTransformation:
        """The transformation for one list of variables (Muon picks per variable)."""
        return self._transform

    def _weight_decay_for(self, var: Variable) -> float | None:
        """The decoupled weight decay of `var` (None: none)."""
        if not self.weight_decay or self._optax_weight_decay() or not self._decays(var):
            return None
        return self.weight_decay

    @property
    def iterations(self) -> Any:
        """The step count: the `iteration` variable, counting every `apply`.

        With `gradient_accumulation_steps=N` it is, as in Keras, the number of
        real updates: the steps counted so far divided by N (an array).
        """
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    # ------------------------------------------------------- learning rate
    def _set_learning_rate(self, learning_rate: Any) -> None:
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, (float, int))
        ):
            self._schedule = learning_rate
            self._learning_rate = None
        else:
            self._schedule = None
            self._learning_rate = Variable(
                jnp.asarray(learning_rate, jnp.float32), name="learning_rate", trainable=False
            )

    def _current_learning_rate(self) -> Any:
        if self._schedule is not None:
            return jnp.asarray(self._schedule(self._iterations.value), jnp.float32)
        return self._learning_rate.value

    @property
    def learning_rate(self) -> Any:
        """The current learning rate (a schedule is evaluated at `iterations`)."""
        if self._learning_rate is None and self._schedule is None:
            raise AttributeError(
                f"Optimizer '{self.name}' wraps an optax transformation whose learning rate lives "
                "inside it. Build the transformation with `optax.inject_hyperparams` or use a "
                "built-in optimizer (e.g. lx.optimizers.Adam) to read or change it."
            )
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if self._learning_rate is None:
            raise TypeError(
                f"Optimizer '{self.name}' has no learning-rate variable to set (it uses a "
                "schedule or a wrapped optax transformation). Create the optimizer with a float "
                "learning rate to change it during training."
            )
        self._learning_rate.assign(jnp.asarray(value, jnp.float32))

    # ------------------------------------------------------------- state
    @property
    def variables(self) -> list[Variable]:
        """`iterations`, the learning rate, then the optax state of each variable group."""
        found = [self._iterations]
        if self._learning_rate is not None:
            found.append(self._learning_rate)
        for group in self._groups.values():
            found.extend(group.state_vars)
            found.extend(group.averages)
        return found

    @property
    def _trainable_variables(self) -> list[Variable]:
        """The variables the optimizer was built for (Keras' name, used by SwapEMAWeights)."""
        return list(self._built_variables)

    @property
    def _model_variables_moving_average(self) -> list[Variable]:
        """The moving averages of `_trainable_variables`, in the same order (use_ema=True)."""
        if not self.use_ema:
            raise AttributeError(
                f"Optimizer '{self.name}' keeps no moving averages: create it with use_ema=True."
            )
        return [self._average_of(v) for v in self._built_variables]

    def _average_of(self, var: Variable) -> Variable:
        for group in self._groups.values():
            if id(var) in group.index and group.averages:
                return group.averages[group.index[id(var)]]
        raise ValueError(
            f"Optimizer '{self.name}' holds no moving average for variable '{var.path}': it was "
            "not built for it. Build the optimizer with the model's trainable variables."
        )

    def finalize_variable_values(self, var_list: Sequence[Variable]) -> None:
        """Writes the moving averages into `var_list` when `use_ema=True` (`fit` calls it last).

        Example:
            >>> import layerax as lx, jax.numpy as jnp
            >>> w = lx.Variable(jnp.array([1.0]))
            >>> opt = lx.optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
            >>> for _ in range(2):
            ...     _ = opt.apply_gradients([(jnp.array([1.0]), w)])
            >>> opt.finalize_variable_values([w])
            >>> w.numpy().tolist()  # 0.5 * 0.0 + 0.5 * -1.0
            [-0.5]
        """
        if not self.use_ema:
            return
        for var in var_list:
            var.assign(self._average_of(var).value)

    def build(self, var_list: Sequence[Variable]) -> None:
        """Creates the optimizer state for `var_list` (otherwise done on the first apply)."""
        self._group_for(list(var_list))
        self._built_variables = list(var_list)

    @property
    def built(self) -> bool:
        """Whether the optimizer has created its state (on `build` or the first update).

        Example:
            >>> import layerax as lx
            >>> opt = lx.optimizers.SGD(0.1)
            >>> before = opt.built
            >>> opt.build([lx.Variable([1.0])])
            >>> before, opt.built
            (False, True)
        """
        return bool(self._groups)

    def _group_for(self, variables: list[Variable]) -> _StateGroup:
        key = frozenset(id(v) for v in variables)
        group = self._groups.get(key)
        if group is not None:
            return group
        for var in variables:
            if not isinstance(var, Variable):
                raise TypeError(
                    f"Optimizer '{self.name}' can only update lx.Variable objects. Received: "
                    f"{type(var).__name__}. Pass `model.trainable_variables`."
                )
        transform = self._full_transform(list(variables))
        with jax.ensure_compile_time_eval():
            state = transform.init([_concrete(v) for v in variables])
        leaves_with_path, treedef = jax.tree_util.tree_flatten_with_path(state)
        state_vars = []
        with naming.name_scope(self.name):
            for path, leaf in leaves_with_path:
                label = _state_label(path, variables)
                state_vars.append(Variable(leaf, name=label, trainable=False))
            averages = []
            if self.use_ema:
                # Zeros, as Keras (the first step copies the variable); concrete even when the
                # first step is being traced.
                with jax.ensure_compile_time_eval():
                    zeros = [jnp.zeros_like(_concrete(v)) for v in variables]
                averages = [Variable(z, name=f"{v.name}_average", trainable=False)
                            for z, v in zip(zeros, variables)]
        group = _StateGroup(list(variables), state_vars, treedef, transform, averages)
        self._groups[key] = group
        if not self._built_variables:
            self._built_variables = list(variables)
        return group

    # ------------------------------------------------------------- apply
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """Applies `(gradient, variable)` pairs; pairs whose gradient is None are skipped.

        Returns:
            The `iterations` variable.
        """
        grads, variables = [], []
        for pair in grads_and_vars:
            try:
                grad, var = pair
            except (TypeError, ValueError) as err:
                raise TypeError(
                    "apply_gradients expects an iterable of (gradient, variable) pairs, e.g. "
                    "`zip(grads, model.trainable_variables)`."
                ) from err
            if grad is None:
                continue
            grads.append(grad)
            variables.append(var)
        if not variables:
            raise ValueError(
                "No gradients provided for any variable. Check that the loss depends on the "
                "variables and that the tape watched them."
            )
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Variable] | None = None) -> None:
        """Applies `grads` to `trainable_variables` (Keras 3's form)."""
        if trainable_variables is None:
            if not self._built_variables:
                raise ValueError(
                    f"Optimizer '{self.name}' was not built: pass `trainable_variables` or call "
                    "`optimizer.build(variables)` first."
                )
            trainable_variables = self._built_variables
        variables = list(trainable_variables)
        grads = list(grads)
        if len(grads) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}' received {len(grads)} gradients for "
                f"{len(variables)} variables."
            )
        if self.loss_scale_factor:
            # The loss was multiplied by the factor (scale_loss): undo it on the gradients.
            grads = [None if g is None else g / self.loss_scale_factor for g in grads]
        group = self._group_for(variables)
        ordered = [None] * len(group.variables)
        for grad, var in zip(grads, variables):
            ordered[group.index[id(var)]] = grad.value if isinstance(grad, Variable) else grad
        if state_is_routed():
            self._update_step(group, ordered)
        else:
            self._compiled_update(group, ordered)

    def scale_loss(self, loss: Any) -> Any:
        """The loss to differentiate: times `loss_scale_factor` when set (Keras 3).

        `fit` differentiates `optimizer.scale_loss(loss)`; `apply` divides the
        gradients by the factor again. `LossScaleOptimizer` scales dynamically.

        Example:
            >>> import layerax as lx
            >>> float(lx.optimizers.SGD(loss_scale_factor=4.0).scale_loss(1.5))
            6.0
        """
        if self.loss_scale_factor:
            return loss * self.loss_scale_factor
        return loss

    def _update_step(self, group: _StateGroup, grads: list[Any]) -> None:
        variables = group.variables
        params = [v.value for v in variables]
        grads = [jnp.asarray(g).astype(p.dtype) for g, p in zip(grads, params)]
        state = jax.tree_util.tree_unflatten(group.treedef, [s.value for s in group.state_vars])
        updates, new_state = group.transform.update(grads, state, params)
        for state_var, value in zip(group.state_vars, jax.tree_util.tree_leaves(new_state)):
            state_var.assign(value)
        new_values = []
        for var, param, update in zip(variables, params, updates):
            new = param + update.astype(param.dtype)
            if var.constraint is not None:
                new = var.constraint(new)
            var.assign(new)
            new_values.append(new)
        if self.use_ema:
            self._update_averages(group, new_values)
        self._iterations.assign(self._iterations.value + 1)

    def _full_transform(self, variables: list[Variable]) -> optax.GradientTransformation:
        """`_keras_step`, behind optax's `MultiSteps` with `gradient_accumulation_steps`."""
        transform = self._keras_step(variables)
        if self.gradient_accumulation_steps:
            transform = optax.MultiSteps(
                transform, every_k_schedule=self.gradient_accumulation_steps
            ).gradient_transformation()
        return transform

    def _keras_step(self, variables: list[Variable]) -> optax.GradientTransformation:
        """One Keras step for `variables` as an optax transformation.

        Clipping, then decoupled weight decay on the variables (before the
        update, as Keras does), then the optimizer's own transformation scaled
        by the learning rate; it returns the whole change of the variables, so
        `MultiSteps` can accumulate in front of all of it.
        """
        inner = self._transform_for(variables)
        decays = [self._weight_decay_for(v) for v in variables]
        has_lr = self._learning_rate is not None or self._schedule is not None

        def update(grads: Any, state: Any, params: Any = None, **extra: Any) -> Any:
            grads = self._clip(list(grads))
            if not has_lr:
                return inner.update(grads, state, params)
            lr = self._current_learning_rate()
            decayed = [
                p if not wd else p - (lr * wd).astype(p.dtype) * p for p, wd in zip(params, decays)
            ]
            if self._transform_takes_learning_rate:
                updates, state = inner.update(grads, state, decayed, learning_rate=lr,
                                              original_params=list(params))
            else:
                updates, state = inner.update(grads, state, decayed)
                updates = [u * lr.astype(u.dtype) for u in updates]
            return [d - p + u for d, p, u in zip(decayed, params, updates)], state

        return optax.GradientTransformationExtraArgs(inner.init, update)

    def _update_averages(self, group: _StateGroup, new_values: list[Any]) -> None:
        """The EMA step (before `iterations` counts this step, as in Keras)."""
        step = self._iterations.value
        not_first = step != 0
        averaged = []
        for average, value in zip(group.averages, new_values):
            momentum = not_first.astype(value.dtype) * self.ema_momentum
            new_average = momentum * average.value + (1 - momentum) * value
            average.assign(new_average)
            averaged.append(new_average)
        if self.ema_overwrite_frequency:
            overwrite = (step + 1) % self.ema_overwrite_frequency == 0
            for var, value, new_average in zip(group.variables, new_values, averaged):
                var.assign(jnp.where(overwrite, new_average, value))

    def _clip(self, grads: list[Any]) -> list[Any]:
        if self.clipnorm:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = jnp.sqrt(sum(jnp.sum(jnp.square(g.astype(jnp.float32))) for g in grads))
            scale = self.global_clipnorm / jnp.maximum(norm, self.global_clipnorm)
            return [g * scale.astype(g.dtype) for g in grads]
        if self.clipvalue:
            return [jnp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(
        self, var_list: Sequence[Variable] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Excludes variables (or variables whose path contains one of `var_names`) from decay."""
        self._exclude_ids.update(id(v) for v in var_list or ())
        self._exclude_names = tuple(var_names or ())

    def _decays(self, var: Variable) -> bool:
        if id(var) in self._exclude_ids:
            return False
        return not any(name in var.path for name in self._exclude_names)

    def minimize(self, loss: Any, var_list: Any, tape: Any = None) -> Variable:
        """Computes the gradients of `loss` with a GradientTape and applies them (TF/Keras 2 API).

        Args:
            loss: A zero-argument callable returning the loss (recorded on a
                new tape, or on `tape`), or a loss value computed inside the
                block of `tape`.
            var_list: The variables to train (or a zero-argument callable
                returning them, called after `loss`).
            tape: The `lx.GradientTape` that recorded `loss`; required when
                `loss` is a value rather than a callable.

        Returns:
            The `iteration` variable.

        Example:
            >>> import layerax as lx, jax.numpy as jnp, optax
            >>> w = lx.Variable(jnp.array([1.0, 2.0]))
            >>> opt = lx.optimizers.Optimizer(optax.sgd(0.5))
            >>> _ = opt.minimize(lambda: jnp.sum(w * w), [w])
            >>> w.numpy().tolist()
            [0.0, 0.0]
        """
        from layerax.tape import GradientTape

        if not callable(loss) and tape is None:
            raise ValueError(
                "`tape` is required when a loss value (not a callable) is passed to minimize(): "
                "compute it inside `with lx.GradientTape() as tape:` and pass `tape=tape`, or "
                f"pass a zero-argument function that returns the loss. Received: loss={loss!r}"
            )
        tape = tape if tape is not None else GradientTape()
        if callable(loss):
            with tape:
                if not callable(var_list):
                    tape.watch(list(var_list))
                loss = loss()
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

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
        if not self._built_variables:
            raise ValueError(
                f"Optimizer '{self.name}' must be built before stateless_apply: call "
                "`optimizer.build(model.trainable_variables)`."
            )
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError(
                f"Optimizer '{self.name}': stateless_apply expected {len(own)} optimizer variable "
                f"values, received {len(optimizer_variables)}."
            )
        params = self._built_variables
        group = self._group_for(params)
        values = list(optimizer_variables) + list(trainable_variables)
        _, new_values = run_with_state(own + params, values, self._update_step, group, list(grads))
        return new_values[len(own) :], new_values[: len(own)]

    # ------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The optimizer's constructor arguments (Keras' names), from which `from_config` rebuilds it.

        A learning-rate schedule is serialized as a nested config.

        Example:
            >>> import layerax as lx
            >>> config = lx.optimizers.Adam(0.01, beta_1=0.8).get_config()
            >>> config["name"], round(config["learning_rate"], 6), config["beta_1"]
            ('adam', 0.01, 0.8)
        """
        if self._schedule is not None:
            lr: Any = _schedules.serialize(self._schedule)
        elif self._learning_rate is not None:
            lr = float(self._learning_rate.numpy())
        else:
            lr = None
        config = {
            "name": self.name,
            "learning_rate": lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }
        if self.gradient_accumulation_steps:
            config["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Optimizer:
        """Creates an optimizer (with fresh state) from `get_config()`'s output.

        Args:
            config: The configuration.
            custom_objects: Custom classes its learning-rate schedule may name.

        Example:
            >>> import layerax as lx
            >>> opt = lx.optimizers.Adam.from_config(lx.optimizers.Adam(0.01).get_config())
            >>> type(opt).__name__, opt.built
            ('Adam', False)
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _accumulation_steps(steps: Any, owner: str) -> int | None:
    if not steps:
        return None  # Keras: None or 0 means no accumulation
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(
            f"{owner}: `gradient_accumulation_steps` must be an integer >= 2 (or None for no "
            f"accumulation). Received: gradient_accumulation_steps={steps!r}"
        )
    return int(steps)


def _check_ema_arguments(owner: str, momentum: Any, frequency: Any) -> None:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not (
        0 <= momentum <= 1
    ):
        raise ValueError(
            f"{owner}: `ema_momentum` must be a number in the range [0, 1]. "
            f"Received: ema_momentum={momentum!r}"
        )
    if frequency is not None and (
        isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 1
    ):
        raise ValueError(
            f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency!r}"
        )


def _state_label(path: Any, variables: list[Variable]) -> str:
    """A readable name for one optax state leaf, e.g. `1_mu_0` (chain index, field, param)."""
    parts = []
    for key in path:
        if isinstance(key, jax.tree_util.SequenceKey):
            parts.append(str(key.idx))
        elif isinstance(key, jax.tree_util.GetAttrKey):
            parts.append(key.name)
        elif isinstance(key, jax.tree_util.DictKey):
            parts.append(str(key.key))
        else:
            parts.append(str(key))
    return "_".join(parts) or "state"


register_stateful_type(Optimizer)

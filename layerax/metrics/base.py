"""`lx.metrics.Metric`: stateful metrics whose state lives in `lx.Variable`s.

A metric accumulates statistics over batches with `update_state` and reports
them with `result`. The state is held in variables created with
`add_variable`, so an update inside an `lx.function` step (or a compiled
train step) is pure JAX code on the variables' values: no host transfer,
and the compiled step carries the state in and out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax import dtype_policies
from layerax import initializers
from layerax.core import naming, registry
from layerax.core.state import run_with_state
from layerax.core.variable import Variable
from layerax.function import register_stateful_type


@registry.register("metrics", "metric")
class Metric:
    """Base class of metrics: subclass it and implement `update_state` and `result`.

    Create the state in `__init__` with `self.add_variable(...)`; update it
    with `variable.assign(...)` / `assign_add(...)` in `update_state`; compute
    the value from it in `result`. `reset_state` sets every variable to zero
    (override it for other initial values).

    Args:
        dtype: Computation dtype (`lx.config.floatx()` by default).
        name: Metric name (the snake-case class name by default).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class CountPositives(lx.metrics.Metric):
        ...     def __init__(self, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.count = self.add_variable((), "zeros", name="count")
        ...     def update_state(self, values, sample_weight=None):
        ...         self.count.assign_add(jnp.sum(jnp.asarray(values) > 0).astype("float32"))
        ...     def result(self):
        ...         return self.count.value
        >>> m = CountPositives()
        >>> m.update_state([1.0, -2.0, 3.0]); float(m.result())
        2.0
        >>> float(m([5.0])), [v.name for v in m.variables]
        (3.0, ['count'])
    """

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or naming.auto_name(type(self).__name__)
        self._dtype_policy = dtype_policies.get(dtype or _config.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    # ------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        # Metrics assigned as attributes contribute their variables (Keras' tracker).
        if isinstance(value, Metric) and "_metrics" in self.__dict__:
            if not any(m is value for m in self._metrics):
                self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self) -> None:
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}.__init__() did not call `super().__init__()`. Add "
                "`super().__init__(**kwargs)` at the start of the metric's __init__."
            )

    @property
    def dtype(self) -> str:
        """The dtype the metric computes in."""
        return self._dtype

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Creates a non-trainable state variable of the metric.

        Args:
            shape: Shape of the variable.
            initializer: Initializer name, instance or callable (e.g. `"zeros"`).
            dtype: dtype (floatx by default).
            aggregation: Accepted for Keras compatibility (how replicas combine).
            name: Variable name.
        """
        self._check_super_called()
        del aggregation
        init = initializers.get(initializer)
        with naming.name_scope(self.name.replace("/", ">")):
            variable = Variable(init, name=name, trainable=False, dtype=dtype, shape=tuple(shape))
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None, name: str | None = None) -> Variable:
        """Alias of `add_variable` (Keras' backwards-compatible name)."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The metric's state variables, then those of its sub-metrics."""
        found = list(self._variables)
        for metric in self._metrics:
            found.extend(metric.variables)
        return found

    # -------------------------------------------------------------- state
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulates a batch into the metric's state variables (subclasses implement it).

        Args:
            *args: The batch, e.g. `y_true, y_pred` (`values` for reduction metrics).
            **kwargs: E.g. `sample_weight`.

        Example:
            >>> import layerax as lx
            >>> m = lx.metrics.Mean()
            >>> m.update_state([1.0, 2.0]); m.update_state([6.0])
            >>> float(m.result())
            3.0
        """
        raise NotImplementedError(
            f"Metric '{self.name}' ({type(self).__name__}) does not implement `update_state`."
        )

    def result(self) -> jax.Array:
        """The metric's value computed from its state (subclasses implement it).

        Example:
            >>> import layerax as lx
            >>> m = lx.metrics.MeanSquaredError()
            >>> m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
            >>> float(m.result())
            0.5
        """
        raise NotImplementedError(f"Metric '{self.name}' ({type(self).__name__}) does not implement `result`.")

    def reset_state(self) -> None:
        """Sets every state variable to zero."""
        for v in self.variables:
            v.assign(jnp.zeros(v.shape, v.dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> jax.Array:
        """Updates the state with the batch and returns the new result."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ---------------------------------------------------- pure versions
    def _check_values(self, metric_variables: Sequence[Any]) -> None:
        if len(metric_variables) != len(self.variables):
            raise ValueError(
                f"`metric_variables` must hold one value per variable of {type(self).__name__} "
                f"'{self.name}' (`metric.variables`, {len(self.variables)} of them). Received "
                f"{len(metric_variables)} values."
            )

    def stateless_update_state(self, metric_variables: Sequence[Any], *args: Any, **kwargs: Any) -> list[Any]:
        """Pure `update_state`: returns the new variable values; the metric is untouched."""
        self._check_values(metric_variables)
        _, values = run_with_state(self.variables, list(metric_variables), self.update_state, *args, **kwargs)
        return values

    def stateless_result(self, metric_variables: Sequence[Any]) -> jax.Array:
        """Pure `result` computed from the given variable values."""
        self._check_values(metric_variables)
        out, _ = run_with_state(self.variables, list(metric_variables), self.result)
        return out

    def stateless_reset_state(self) -> list[Any]:
        """The variable values `reset_state` would set, without changing the metric."""
        variables = self.variables
        _, values = run_with_state(variables, [v.value for v in variables], self.reset_state)
        return values

    # ------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The metric's constructor arguments, from which `from_config` rebuilds it.

        Example:
            >>> import layerax as lx
            >>> lx.metrics.Mean(name="loss").get_config()
            {'name': 'loss', 'dtype': 'float32'}
        """
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Creates a metric (with fresh state) from `get_config()`'s output.

        Example:
            >>> import layerax as lx
            >>> m = lx.metrics.Mean.from_config({"name": "loss", "dtype": "float32"})
            >>> m.name, float(m.result())
            ('loss', 0.0)
        """
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


register_stateful_type(Metric)

__all__ = ["Metric"]

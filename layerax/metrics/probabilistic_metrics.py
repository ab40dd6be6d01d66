"""Probabilistic and hinge metrics: means of the matching loss functions."""

from __future__ import annotations

from typing import Any

from layerax.core import registry
from layerax.losses.hinge_losses import categorical_hinge, hinge, squared_hinge
from layerax.losses.probabilistic_losses import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from layerax.metrics.reduction_metrics import _SimpleWrapper


@registry.register("metrics", "kl_divergence")
class KLDivergence(_SimpleWrapper):
    """Mean Kullback-Leibler divergence between label and predicted distributions.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.KLDivergence()
        >>> m.update_state([[0.5, 0.5]], [[0.25, 0.75]])
        >>> round(float(m.result()), 4)
        0.1438
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(fn=kl_divergence, name=name, dtype=dtype)
        self._direction = "down"


@registry.register("metrics", "poisson")
class Poisson(_SimpleWrapper):
    """Mean Poisson loss.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Poisson()
        >>> m.update_state([[1.0, 0.0]], [[1.0, 2.0]])
        >>> float(m.result())
        1.5
    """

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(fn=poisson, name=name, dtype=dtype)
        self._direction = "down"


@registry.register("metrics", "binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(_SimpleWrapper):
    """Mean binary cross-entropy.

    Args:
        from_logits: Whether `y_pred` holds logits.
        label_smoothing: See `lx.losses.BinaryCrossentropy`.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.BinaryCrossentropy()
        >>> m.update_state([[0.0, 1.0]], [[0.4, 0.6]])
        >>> round(float(m.result()), 4)
        0.5108
    """

    _config_keys = ("from_logits", "label_smoothing")

    def __init__(
        self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            fn=binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"


@registry.register("metrics", "categorical_crossentropy")
class CategoricalCrossentropy(_SimpleWrapper):
    """Mean categorical cross-entropy.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.CategoricalCrossentropy()
        >>> m.update_state([[0, 1, 0]], [[0.05, 0.95, 0.0]])
        >>> round(float(m.result()), 4)
        0.0513
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
        label_smoothing: float = 0, axis: int = -1,
    ) -> None:
        super().__init__(
            fn=categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"


@registry.register("metrics", "sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_SimpleWrapper):
    """Mean sparse categorical cross-entropy (entries labelled `ignore_class` are left out).

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SparseCategoricalCrossentropy()
        >>> m.update_state([1], [[0.05, 0.95, 0.0]])
        >>> round(float(m.result()), 4)
        0.0513
    """

    _config_keys = ("from_logits", "ignore_class", "axis")

    def __init__(
        self, name: str = "sparse_categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
        ignore_class: int | None = None, axis: int = -1,
    ) -> None:
        super().__init__(
            fn=sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
            ignore_class=ignore_class, axis=axis,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis
        self._direction = "down"


@registry.register("metrics", "hinge")
class Hinge(_SimpleWrapper):
    """Mean hinge loss.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.Hinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> float(m.result())
        1.0
    """

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(fn=hinge, name=name, dtype=dtype)
        self._direction = "down"


@registry.register("metrics", "squared_hinge")
class SquaredHinge(_SimpleWrapper):
    """Mean squared hinge loss.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.SquaredHinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
        >>> float(m.result())
        1.25
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(fn=squared_hinge, name=name, dtype=dtype)
        self._direction = "down"


@registry.register("metrics", "categorical_hinge")
class CategoricalHinge(_SimpleWrapper):
    """Mean categorical hinge loss.

    Example:
        >>> import layerax as lx
        >>> m = lx.metrics.CategoricalHinge()
        >>> m.update_state([[0.0, 1.0]], [[0.5, 0.25]])
        >>> float(m.result())
        1.25
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(fn=categorical_hinge, name=name, dtype=dtype)
        self._direction = "down"


__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "Hinge",
    "KLDivergence",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
]

"""The losses a `Distiller` applies between teacher and student: logits and features."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax import losses as losses_module
from layerax import tree

__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation"]


def _resolve_loss(identifier: Any) -> Any:
    """A loss name becomes the loss (as `lx.losses.get` gives it); None stays None."""
    if identifier is None:
        return None
    return losses_module.get(identifier)


def _resolve_losses(loss: Any, owner: str) -> Any:
    resolved = tree.map_structure(_resolve_loss, loss, none_is_leaf=True)
    if all(fn is None for fn in tree.flatten(resolved)):
        raise ValueError(
            f"{owner}: `loss` must contain at least one loss that is not None. Received: "
            f"loss={loss!r}. Pass e.g. loss='mse', or None only for outputs to skip."
        )
    return resolved


def _sum_of(values: list[Any]) -> Any:
    return jnp.sum(jnp.stack([jnp.asarray(v, jnp.float32) for v in values]))


class DistillationLoss:
    """Base class of the losses between a teacher's and a student's outputs.

    Subclass it and override `compute_loss(teacher_outputs, student_outputs)`,
    which returns a scalar; `validate_outputs` and
    `validate_model_compatibility` may be overridden to check the inputs.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> class L1Match(lx.distillation.DistillationLoss):
        ...     def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        ...         return jnp.mean(jnp.abs(teacher_outputs - student_outputs))
        >>> float(L1Match().compute_loss(jnp.ones((2, 3)), jnp.zeros((2, 3))))
        1.0
    """

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The scalar loss between the teacher's and the student's outputs."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement "
            "`compute_loss(self, teacher_outputs, student_outputs, **kwargs)`."
        )

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Raises ValueError when the two outputs have different structures."""
        try:
            tree.assert_same_structure(teacher_outputs, student_outputs)
        except (ValueError, TypeError) as err:
            raise ValueError(
                f"{type(self).__name__}: the teacher's and the student's outputs must have "
                f"the same structure. {err}"
            ) from err

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Raises ValueError when the loss cannot be used with these models (no check here)."""


class LogitsDistillation(DistillationLoss):
    """Distillation from the final outputs (logits), softened by a temperature.

    Both outputs are divided by `temperature`. A `lx.losses.KLDivergence`
    instance is then applied to their softmaxes and multiplied by
    `temperature**2`; any other loss (a loss name such as the default
    `"kl_divergence"` resolves to the loss *function*) is applied to the
    scaled logits directly, as Keras 3.15 does. The result is the mean of
    each output's loss, summed over the outputs.

    Args:
        temperature: A positive number; higher values give softer targets.
        loss: A loss name, a loss, or a structure of them matching the
            model's outputs (None skips an output).

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> kd = lx.distillation.LogitsDistillation(temperature=2.0,
        ...                                          loss=lx.losses.KLDivergence())
        >>> teacher = jnp.array([[2.0, 0.0, -2.0]])
        >>> float(kd.compute_loss(teacher, teacher))
        0.0
        >>> float(kd.compute_loss(teacher, jnp.zeros((1, 3)))) > 0
        True
    """

    def __init__(self, temperature: float = 3.0, loss: Any = "kl_divergence") -> None:
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(
                "LogitsDistillation: `temperature` must be a number. Received: "
                f"temperature={temperature!r} of type {type(temperature).__name__}."
            )
        if temperature <= 0:
            raise ValueError(
                f"LogitsDistillation: `temperature` must be positive. Received: "
                f"temperature={temperature}."
            )
        self.temperature = temperature
        self.loss = _resolve_losses(loss, "LogitsDistillation")

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The temperature-scaled loss between the logits, summed over the outputs."""
        t = self.temperature

        def one(loss_fn: Any, teacher: Any, student: Any) -> Any:
            if loss_fn is None:
                return 0.0
            teacher, student = teacher / t, student / t
            if isinstance(loss_fn, losses_module.KLDivergence):
                value = loss_fn(jax.nn.softmax(teacher, axis=-1), jax.nn.softmax(student, axis=-1))
                return jnp.mean(value) * t**2
            return jnp.mean(loss_fn(teacher, student))

        values = tree.map_structure(
            one, self.loss, teacher_outputs, student_outputs, none_is_leaf=True
        )
        return _sum_of(tree.flatten(values))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, the losses serialized."""
        return {"temperature": self.temperature, "loss": _serialize_losses(self.loss)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LogitsDistillation":
        """Recreates the loss from `get_config()`."""
        return cls(**{**config, "loss": _deserialize_losses(config["loss"])})


class FeatureDistillation(DistillationLoss):
    """Distillation from the outputs of intermediate layers (or the final outputs).

    The loss (mean squared error by default) compares the teacher's layer
    `teacher_layer_name` with the student's layer `student_layer_name`; with
    no layer names, the models' final outputs. Layer names need Functional or
    Sequential models.

    Args:
        loss: A loss name, a loss, or a structure of them matching the
            features (None skips one).
        teacher_layer_name: The teacher layer whose output is the target.
        student_layer_name: The student layer whose output is trained.

    Example:
        >>> import layerax as lx, jax.numpy as jnp
        >>> fd = lx.distillation.FeatureDistillation(loss="mse")
        >>> float(fd.compute_loss(jnp.ones((2, 4)), jnp.zeros((2, 4))))
        1.0
    """

    def __init__(
        self,
        loss: Any = "mse",
        teacher_layer_name: str | None = None,
        student_layer_name: str | None = None,
    ) -> None:
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _resolve_losses(loss, "FeatureDistillation")

    def validate_model_compatibility(self, teacher: Any, student: Any) -> None:
        """Checks that named layers exist, in models that have a static graph."""
        for role, model, name in (
            ("teacher", teacher, self.teacher_layer_name),
            ("student", student, self.student_layer_name),
        ):
            if self.teacher_layer_name is None and self.student_layer_name is None:
                return
            if getattr(model, "inputs", None) is None:
                raise ValueError(
                    f"FeatureDistillation with layer names needs Functional or Sequential "
                    f"models; the {role} model '{model.name}' is subclassed (no symbolic "
                    "inputs/outputs). Use a Functional/Sequential model, drop the layer names "
                    "(to distill the final outputs), or use LogitsDistillation."
                )
            if name is not None:
                try:
                    model.get_layer(name=name)
                except ValueError as err:
                    raise ValueError(f"FeatureDistillation: in the {role} model: {err}") from err

    def validate_outputs(self, teacher_outputs: Any, student_outputs: Any) -> None:
        """Also checks that the loss structure matches the features'."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except (ValueError, TypeError) as err:
            raise ValueError(
                "FeatureDistillation: the structure of `loss` must match the features'. "
                f"Received loss={self.loss!r} for features of structure "
                f"{jax.tree.structure(teacher_outputs)}. {err}"
            ) from err

    def compute_loss(self, teacher_outputs: Any, student_outputs: Any, **kwargs: Any) -> Any:
        """The mean loss between the features, summed over the features."""

        def one(loss_fn: Any, teacher: Any, student: Any) -> Any:
            return 0.0 if loss_fn is None else jnp.mean(loss_fn(teacher, student))

        values = tree.map_structure(
            one, self.loss, teacher_outputs, student_outputs, none_is_leaf=True
        )
        return _sum_of(tree.flatten(values))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, the losses serialized."""
        return {
            "loss": _serialize_losses(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "FeatureDistillation":
        """Recreates the loss from `get_config()`."""
        return cls(**{**config, "loss": _deserialize_losses(config["loss"])})


def _serialize_losses(loss: Any) -> Any:
    return tree.map_structure(
        lambda fn: None if fn is None else losses_module.serialize(fn), loss, none_is_leaf=True
    )


def _deserialize_losses(config: Any) -> Any:
    if isinstance(config, dict) and config.get("class_name") == "function":
        return losses_module.deserialize(config["config"])  # Keras' form of a loss function
    if isinstance(config, dict) and "class_name" in config:
        return losses_module.deserialize(config)
    if isinstance(config, (list, tuple)):
        return type(config)(_deserialize_losses(c) for c in config)
    if isinstance(config, dict):
        return {k: _deserialize_losses(v) for k, v in config.items()}
    return None if config is None else losses_module.deserialize(config)

"""`lx.distillation.Distiller`: a model that trains a student from labels and a frozen teacher."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax import tree
from layerax.distillation.distillation_loss import DistillationLoss, _resolve_loss
from layerax.models.model import Model

__all__ = ["Distiller"]

_FINAL = "final_output"


class Distiller(Model):
    """Knowledge distillation: trains `student` from the labels and a frozen `teacher`.

    The loss of a batch is
    `student_loss_weight * student_loss + (1 - student_loss_weight) * distillation_loss`,
    where `student_loss` is the compiled loss between the labels and the
    student's predictions and `distillation_loss` the weighted sum of the
    `distillation_losses` between teacher and student. Calling the distiller
    runs the student; the teacher is set non-trainable. `fit` logs `loss`,
    `student_loss`, `distillation_loss` and `total_loss` (and the compiled
    metrics).

    Args:
        teacher: A trained `lx.Model`, the source of the knowledge.
        student: The `lx.Model` to train.
        distillation_losses: A `DistillationLoss` (`LogitsDistillation`,
            `FeatureDistillation`, ...) or a list of them.
        distillation_loss_weights: One weight per distillation loss (default:
            all 1.0).
        student_loss_weight: Weight of the supervised loss, in `[0, 1]`.
        name: The model's name.
        **kwargs: Passed to `lx.Model`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> teacher = lx.Sequential([lx.Input((4,)), lx.layers.Dense(3)])
        >>> student = lx.Sequential([lx.Input((4,)), lx.layers.Dense(3)])
        >>> distiller = lx.distillation.Distiller(
        ...     teacher, student, lx.distillation.LogitsDistillation(temperature=2.0),
        ...     student_loss_weight=0.5)
        >>> distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        >>> x, y = np.ones((8, 4), "float32"), np.zeros((8,), "int32")
        >>> history = distiller.fit(x, y, epochs=1, verbose=0)
        >>> sorted(history.history)
        ['distillation_loss', 'loss', 'student_loss', 'total_loss']
    """

    def __init__(
        self,
        teacher: Model,
        student: Model,
        distillation_losses: Any,
        distillation_loss_weights: list[float] | None = None,
        student_loss_weight: float = 0.5,
        name: str = "distiller",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        _check_models(teacher, student)
        self.teacher = teacher
        self.student = student
        weight_is_number = isinstance(student_loss_weight, (int, float))
        if isinstance(student_loss_weight, bool) or not weight_is_number:
            raise ValueError(
                "Distiller: `student_loss_weight` must be a number. Received: "
                f"student_loss_weight={student_loss_weight!r}."
            )
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                "Distiller: `student_loss_weight` must be between 0.0 and 1.0. Received: "
                f"student_loss_weight={student_loss_weight}."
            )
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError(
                "Distiller: `distillation_losses` cannot be None. Pass a distillation loss "
                "(e.g. lx.distillation.LogitsDistillation()) or a list of them."
            )
        if isinstance(distillation_losses, (list, tuple)):
            losses = list(distillation_losses)
            weights = [1.0] * len(losses) if distillation_loss_weights is None else list(
                distillation_loss_weights
            )
            if len(weights) != len(losses):
                raise ValueError(
                    f"Distiller: got {len(weights)} `distillation_loss_weights` for "
                    f"{len(losses)} `distillation_losses`; pass one weight per loss."
                )
        else:
            losses, weights = [distillation_losses], [1.0]
        for loss in losses:
            if not isinstance(loss, DistillationLoss):
                raise TypeError(
                    "Distiller: each distillation loss must be an "
                    f"lx.distillation.DistillationLoss. Received: {loss!r}."
                )
            loss.validate_model_compatibility(teacher, student)
        self._lx_distillation_losses = losses
        self.distillation_loss_weights = weights
        self._teacher_features = _feature_extractor(teacher, _layer_names(losses, "teacher"))
        self._student_features = _feature_extractor(student, _layer_names(losses, "student"))
        self.teacher.trainable = False
        from layerax.metrics import Mean

        self.student_loss_tracker = Mean(name="student_loss")
        self.distillation_loss_tracker = Mean(name="distillation_loss")
        self.total_loss_tracker = Mean(name="total_loss")

    @property
    def distillation_losses(self) -> list[DistillationLoss]:
        """The distillation losses, in order."""
        return self._lx_distillation_losses

    def compile(self, optimizer: Any = "adam", loss: Any = None, metrics: Any = None,
                **kwargs: Any) -> None:
        """Compiles the distiller; `loss` is the student's supervised loss (required).

        Args:
            optimizer: The optimizer of the student's weights.
            loss: The loss between the labels and the student's predictions (a
                name, a loss, or a structure of them for several outputs).
            metrics: A list of metrics of the student's predictions.
            **kwargs: Passed to `Model.compile`.
        """
        if loss is None:
            raise ValueError(
                "Distiller.compile(): `loss` (the student's supervised loss) cannot be None. "
                "Pass e.g. loss='sparse_categorical_crossentropy'."
            )
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(
                f"Distiller.compile(): `metrics` must be a list or a tuple. Received: "
                f"metrics={metrics!r} of type {type(metrics).__name__}."
            )
        self._lx_student_loss = tree.map_structure(_resolve_loss, loss)
        self._lx_student_loss_config = loss
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """The student's predictions."""
        return self.student(inputs, training=training, **kwargs)

    def _features(self, which: str, x: Any, y_pred: Any) -> dict[str, Any]:
        if which == "teacher":
            if self._teacher_features is None:
                return {_FINAL: self.teacher(x, training=False)}
            return self._teacher_features(x, training=False)
        if self._student_features is None:
            return {_FINAL: y_pred}
        return self._student_features(x, training=True)

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Any:
        """The weighted sum of the student's loss and the distillation losses of a batch.

        Also updates the `student_loss`, `distillation_loss` and `total_loss`
        trackers.
        """
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss: Any = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(
                lambda fn, target, pred: fn(target, pred), self._lx_student_loss, y, y_pred
            ))
            student_loss = jnp.sum(jnp.stack(values)) if len(values) > 1 else values[0]
            student_loss = jnp.mean(student_loss)
        distillation_loss: Any = 0.0
        if self.student_loss_weight < 1.0:
            teacher = self._features("teacher", x, y_pred)
            student = self._features("student", x, y_pred)
            weighted = zip(self._lx_distillation_losses, self.distillation_loss_weights)
            for loss_fn, weight in weighted:
                if getattr(loss_fn, "teacher_layer_name", None) is not None:
                    t_out = teacher[loss_fn.teacher_layer_name]
                    s_out = student[getattr(loss_fn, "student_layer_name", None) or _FINAL]
                else:
                    t_out, s_out = teacher[_FINAL], y_pred
                loss_fn.validate_outputs(t_out, s_out)
                value = loss_fn.compute_loss(t_out, s_out)
                if jnp.ndim(value) > 0:
                    raise ValueError(
                        f"Distiller: {type(loss_fn).__name__}.compute_loss() must return a "
                        f"scalar. Received a value of shape {jnp.shape(value)}."
                    )
                distillation_loss = distillation_loss + weight * value
        w = self.student_loss_weight
        total = w * jnp.asarray(student_loss, jnp.float32) + (1.0 - w) * jnp.asarray(
            distillation_loss, jnp.float32
        )
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total)
        return total

    def train_step(self, data: Any) -> dict[str, Any]:
        """One step on the student's trainable weights, with the loss of `compute_loss`."""
        from layerax.tape import GradientTape
        from layerax.trainers import data_adapters

        x, y, sample_weight = data_adapters.unpack(data)
        trainable = self.trainable_variables
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
            for extra in self.losses:
                loss = loss + jnp.asarray(extra, jnp.float32)
        grads = tape.gradient(loss, trainable)
        self.optimizer.apply_gradients(zip(grads, trainable))
        batch = tree.flatten(x)[0].shape[0]
        self._lx_state().loss_tracker.update_state(loss, sample_weight=batch)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def reset_metrics(self) -> None:
        """Resets the compiled metrics and the three loss trackers."""
        super().reset_metrics()
        for tracker in (self.student_loss_tracker, self.distillation_loss_tracker,
                        self.total_loss_tracker):
            tracker.reset_state()

    def get_config(self) -> dict[str, Any]:
        """The teacher, the student and the distillation losses, serialized."""
        from layerax.saving import serialize_keras_object

        return {
            "name": self.name,
            "teacher": serialize_keras_object(self.teacher),
            "student": serialize_keras_object(self.student),
            "distillation_losses": [
                {"class_name": type(loss).__name__, "config": loss.get_config()}
                for loss in self._lx_distillation_losses
            ],
            "distillation_loss_weights": list(self.distillation_loss_weights),
            "student_loss_weight": self.student_loss_weight,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> "Distiller":
        """Recreates a distiller (with fresh weights) from `get_config()`."""
        from layerax import distillation
        from layerax.saving import deserialize_keras_object

        config = dict(config)
        config["teacher"] = deserialize_keras_object(config["teacher"], custom_objects)
        config["student"] = deserialize_keras_object(config["student"], custom_objects)
        found = []
        for entry in config["distillation_losses"]:
            loss_cls = getattr(distillation, entry["class_name"], None)
            if loss_cls is None and custom_objects:
                loss_cls = custom_objects.get(entry["class_name"])
            if loss_cls is None:
                raise ValueError(
                    f"Distiller.from_config(): unknown distillation loss "
                    f"{entry['class_name']!r}. Pass its class in `custom_objects`."
                )
            found.append(loss_cls.from_config(entry["config"]))
        config["distillation_losses"] = found
        return cls(**config)


def _check_models(teacher: Any, student: Any) -> None:
    for role, model in (("teacher", teacher), ("student", student)):
        if not isinstance(model, Model):
            raise ValueError(
                f"Distiller: the {role} must be an lx.Model. Received: {model!r} of type "
                f"{type(model).__name__}."
            )
    for part in ("inputs", "outputs"):
        t_tensors, s_tensors = getattr(teacher, part, None), getattr(student, part, None)
        if t_tensors is None or s_tensors is None:
            continue
        if len(t_tensors) != len(s_tensors):
            raise ValueError(
                f"Distiller: the teacher has {len(t_tensors)} {part} and the student "
                f"{len(s_tensors)}; they must match."
            )
        for t, s in zip(t_tensors, s_tensors):
            t_shape, s_shape = tuple(t.shape), tuple(s.shape)
            compatible = len(t_shape) == len(s_shape) and all(
                a is None or b is None or a == b for a, b in zip(t_shape, s_shape)
            )
            if not compatible:
                raise ValueError(
                    f"Distiller: the teacher's and the student's {part[:-1]} shapes are "
                    f"incompatible. Teacher: {t_shape}, student: {s_shape}. All dimensions "
                    "must match."
                )
            if t.dtype != s.dtype:
                raise ValueError(
                    f"Distiller: the teacher's and the student's {part[:-1]} dtypes must "
                    f"match. Teacher: {t.dtype}, student: {s.dtype}."
                )


def _layer_names(losses: list[DistillationLoss], role: str) -> list[str]:
    names: list[str] = []
    for loss in losses:
        name = getattr(loss, f"{role}_layer_name", None)
        if name and name not in names:
            names.append(name)
    return names


def _feature_extractor(model: Model, layer_names: list[str]) -> Model | None:
    """One model giving the final output and the named layers' outputs in one pass."""
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(
            f"Distiller: cannot extract layer outputs from model '{model.name}', which has no "
            "symbolic inputs (a subclassed model). Use a Functional or Sequential model."
        )
    outputs = {_FINAL: model.output}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")

"""Knowledge distillation (`lx.distillation`): train a student model from a teacher's outputs."""

from __future__ import annotations

from layerax.distillation.distillation_loss import DistillationLoss as DistillationLoss
from layerax.distillation.distillation_loss import FeatureDistillation as FeatureDistillation
from layerax.distillation.distillation_loss import LogitsDistillation as LogitsDistillation
from layerax.distillation.distiller import Distiller as Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]

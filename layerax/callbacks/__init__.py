"""Callbacks (`lx.callbacks`): hooks into `fit`, `evaluate` and `predict`, with Keras 3's API.

The training loop drives them through a `CallbackList`, which passes batch
logs lazily (JAX arrays are fetched only by callbacks that need the values).
"""

from __future__ import annotations

from layerax.callbacks.backup_and_restore import BackupAndRestore as BackupAndRestore
from layerax.callbacks.callback import Callback as Callback
from layerax.callbacks.callback import ResumePosition as ResumePosition
from layerax.callbacks.callback_list import CallbackList as CallbackList
from layerax.callbacks.callback_list import pythonify_logs as pythonify_logs
from layerax.callbacks.csv_logger import CSVLogger as CSVLogger
from layerax.callbacks.early_stopping import EarlyStopping as EarlyStopping
from layerax.callbacks.history import History as History
from layerax.callbacks.learning_rate import LearningRateScheduler as LearningRateScheduler
from layerax.callbacks.learning_rate import ReduceLROnPlateau as ReduceLROnPlateau
from layerax.callbacks.misc import LambdaCallback as LambdaCallback
from layerax.callbacks.misc import TerminateOnNaN as TerminateOnNaN
from layerax.callbacks.model_checkpoint import ModelCheckpoint as ModelCheckpoint
from layerax.callbacks.monitor_callback import MonitorCallback as MonitorCallback
from layerax.callbacks.orbax_checkpoint import OrbaxCheckpoint as OrbaxCheckpoint
from layerax.callbacks.progbar_logger import ProgbarLogger as ProgbarLogger
from layerax.callbacks.remote_monitor import RemoteMonitor as RemoteMonitor
from layerax.callbacks.swap_ema_weights import SwapEMAWeights as SwapEMAWeights
from layerax.callbacks.tensorboard import TensorBoard as TensorBoard
from layerax.trainers.callback_hooks import install_callbacks as _install_callbacks

# The training loops (below this package) reach the callbacks through this.
_install_callbacks(Callback, CallbackList)

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "MonitorCallback",
    "OrbaxCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "ResumePosition",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
    "pythonify_logs",
]

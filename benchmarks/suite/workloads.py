"""The workloads: model shape, batch size, data, and how long each measurement runs.

Every framework trains the same architecture with Adam (lr 1e-3, epsilon 1e-7) and a
softmax cross-entropy on integer labels, over the same batches (`Workload.data`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

NUM_CLASSES = 10


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark problem.

    Attributes:
        name: Short key (used on the command line).
        title: Human description for the report.
        kind: "tiny_mlp", "mlp", "cnn", "lstm", "gru" or "transformer" (selects the model
            builders).
        input_shape: Shape of one sample (channels last).
        batch_size: Samples per step.
        steps: Batches per epoch; a multiple of 16 so `steps_per_execution=16` divides it.
        epochs: Epochs per timed repetition.
        reps: Timed repetitions (interleaved across candidates).
        compile_reps: Fresh builds timed for time-to-first-step.
        sizes: Layer widths of the MLPs.
    """

    name: str
    title: str
    kind: str
    input_shape: tuple[int, ...]
    batch_size: int
    steps: int
    epochs: int
    reps: int
    compile_reps: int
    sizes: tuple[int, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def steps_per_rep(self) -> int:
        return self.steps * self.epochs

    def data(self, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """`steps * batch_size` float32 samples and int32 labels (a fixed seed: same batches)."""
        rng = np.random.default_rng(seed)
        n = self.steps * self.batch_size
        x = rng.normal(size=(n, *self.input_shape)).astype(np.float32)
        y = rng.integers(0, NUM_CLASSES, size=(n,)).astype(np.int32)
        return x, y

    def quick(self) -> Workload:
        """A smoke-test version: one short repetition (recurrent ones over 8 time steps)."""
        shape = self.input_shape
        if self.kind in ("lstm", "gru"):
            shape = (8, *shape[1:])
        return dataclasses.replace(
            self, input_shape=shape, steps=16, epochs=1, reps=1, compile_reps=1
        )


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in [
        Workload(
            "tiny_mlp", "overhead-bound MLP 16-16-10, batch 8", "mlp",
            (16,), 8, steps=128, epochs=4, reps=15, compile_reps=5, sizes=(16, 16, 10),
        ),
        Workload(
            "mlp", "compute-bound MLP 784-1024-1024-10, batch 256", "mlp",
            (784,), 256, steps=16, epochs=1, reps=5, compile_reps=5, sizes=(784, 1024, 1024, 10),
        ),
        Workload(
            "cnn", "CNN conv32-pool-conv64-pool-dense10 on 32x32x3, batch 32", "cnn",
            (32, 32, 3), 32, steps=16, epochs=1, reps=5, compile_reps=5,
        ),
        Workload(
            "lstm", "LSTM(64) over 64 steps of 16 features + dense10, batch 32", "lstm",
            (64, 16), 32, steps=16, epochs=1, reps=5, compile_reps=5, needs=("LSTM",),
        ),
        Workload(
            "lstm256", "LSTM(64) over 256 steps of 16 features + dense10, batch 32", "lstm",
            (256, 16), 32, steps=16, epochs=1, reps=5, compile_reps=5, needs=("LSTM",),
        ),
        Workload(
            "gru", "GRU(64) (reset_after=True) over 64 steps of 16 features + dense10, batch 32",
            "gru", (64, 16), 32, steps=16, epochs=1, reps=5, compile_reps=5, needs=("GRU",),
        ),
        Workload(
            "transformer",
            "Transformer encoder block (4 heads x 16, FFN 128, post-LN) on 64x64 tokens, "
            "mean-pool + dense10, batch 16",
            "transformer", (64, 64), 16, steps=16, epochs=1, reps=5, compile_reps=5,
            needs=("MultiHeadAttention",),
        ),
    ]
}

# Transformer block hyper-parameters (shared by every framework's builder).
HEADS, HEAD_DIM, FFN = 4, 16, 128
LSTM_UNITS = 64
GRU_UNITS = 64
LN_EPSILON = 1e-5
LEARNING_RATE = 1e-3
ADAM_EPSILON = 1e-7


def param_count(leaves: Any) -> int:
    """Number of scalars in a list of arrays."""
    return int(sum(int(np.prod(np.shape(a))) for a in leaves))

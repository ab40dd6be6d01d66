"""The training loops compared. Each candidate builds a fresh model and returns a runner.

A runner has `first()` (the first step or the first `fit`, compilation included),
`run()` (one timed repetition: `workload.epochs` epochs of `workload.steps` batches, blocking
on the result) and `params()` (number of trainable scalars: the same in every framework).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks.suite import models_jax, models_keras
from benchmarks.suite.workloads import ADAM_EPSILON, LEARNING_RATE, Workload, param_count

SPE = 16  # steps_per_execution of the `fit` variants that use it


class Data:
    """The workload's batches: numpy on the host (for `fit`) and the same ones on the device."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.x, self.y = workload.data()
        b = workload.batch_size
        self.batches = [
            (jnp.asarray(self.x[i * b:(i + 1) * b]), jnp.asarray(self.y[i * b:(i + 1) * b]))
            for i in range(workload.steps)
        ]
        # The same image batches transposed to channels-first, for Equinox's Conv2d (made here,
        # before any measurement, so they do not count as a candidate's memory).
        self.batches_nchw = self.batches
        if self.x.ndim == 4:
            x = np.ascontiguousarray(np.transpose(self.x, (0, 3, 1, 2)))
            self.batches_nchw = [
                (jnp.asarray(x[i * b:(i + 1) * b]), y) for i, (_, y) in enumerate(self.batches)
            ]


def _xent(logits: Any, labels: Any) -> Any:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def _adam() -> optax.GradientTransformation:
    return optax.adam(LEARNING_RATE, eps=ADAM_EPSILON)


class StepLoop:
    """Calls `step(x, y)` over device batches; blocks on the last loss."""

    def __init__(self, step: Callable[[Any, Any], Any], batches: list[Any], epochs: int,
                 count: Callable[[], int]) -> None:
        self.step, self.batches, self.epochs, self.params = step, batches, epochs, count

    def first(self) -> None:
        jax.block_until_ready(self.step(*self.batches[0]))

    def run(self) -> None:
        loss = None
        for _ in range(self.epochs):
            for x, y in self.batches:
                loss = self.step(x, y)
        jax.block_until_ready(loss)


class NumpyLoop(StepLoop):
    """Like `StepLoop`, but slices each batch from the host numpy arrays, as `fit` does."""

    def __init__(self, step: Callable[[Any, Any], Any], data: Data, count: Callable[[], int]) -> None:
        super().__init__(step, data.batches, data.workload.epochs, count)
        self.x, self.y, self.b = data.x, data.y, data.workload.batch_size
        self.steps = data.workload.steps

    def first(self) -> None:
        jax.block_until_ready(self.step(self.x[: self.b], self.y[: self.b]))

    def run(self) -> None:
        loss, b = None, self.b
        for _ in range(self.epochs):
            for i in range(self.steps):
                loss = self.step(self.x[i * b:(i + 1) * b], self.y[i * b:(i + 1) * b])
        jax.block_until_ready(loss)


class FitLoop:
    """`model.fit` over the numpy arrays: verbose=0, no callbacks, no shuffling."""

    def __init__(self, model: Any, data: Data, spe: int) -> None:
        self.model, self.data, self.spe = model, data, spe
        self.b, self.epochs = data.workload.batch_size, data.workload.epochs

    def _fit(self, x: Any, y: Any, epochs: int) -> None:
        self.model.fit(x, y, batch_size=self.b, epochs=epochs, verbose=0, shuffle=False)
        jax.block_until_ready([v.value for v in self.model.trainable_variables])

    def first(self) -> None:
        n = self.b * self.spe  # exactly one compiled execution
        self._fit(self.data.x[:n], self.data.y[:n], 1)

    def run(self) -> None:
        self._fit(self.data.x, self.data.y, self.epochs)

    def params(self) -> int:
        return param_count([v.value for v in self.model.trainable_variables])


# ----------------------------------------------------------------- hand-written JAX
def _reference_step(workload: Workload) -> tuple[Callable[[Any, Any], Any], Callable[[], int]]:
    params, forward = models_jax.build(workload)
    tx = _adam()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(params: Any, opt_state: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(lambda p: _xent(forward(p, x), y))(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    state = {"params": params, "opt": tx.init(params)}

    def run(x: Any, y: Any) -> Any:
        state["params"], state["opt"], loss = step(state["params"], state["opt"], x, y)
        return loss

    return run, lambda: param_count(jax.tree.leaves(state["params"]))


def reference_device(workload: Workload, data: Data) -> StepLoop:
    step, count = _reference_step(workload)
    return StepLoop(step, data.batches, workload.epochs, count)


def reference_numpy(workload: Workload, data: Data) -> NumpyLoop:
    step, count = _reference_step(workload)
    return NumpyLoop(step, data, count)


# ----------------------------------------------------------------- layerax
def _lx_model(workload: Workload) -> Any:
    import layerax as lx

    return models_keras.build(lx, workload)


def layerax_fit(workload: Workload, data: Data, spe: int = 1) -> FitLoop:
    import layerax as lx

    model = _lx_model(workload)
    model.compile(
        optimizer=lx.optimizers.Adam(LEARNING_RATE, epsilon=ADAM_EPSILON),
        loss=lx.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=spe,
    )
    return FitLoop(model, data, spe)


def layerax_tape(workload: Workload, data: Data) -> StepLoop:
    """The TF2 idiom: `@lx.function` around a `GradientTape` step."""
    import layerax as lx

    model = _lx_model(workload)
    optimizer = lx.optimizers.Adam(LEARNING_RATE, epsilon=ADAM_EPSILON)
    loss_object = lx.losses.SparseCategoricalCrossentropy(from_logits=True)

    @lx.function
    def step(x: Any, y: Any) -> Any:
        with lx.GradientTape() as tape:
            loss = loss_object(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    count = lambda: param_count([v.value for v in model.trainable_variables])  # noqa: E731
    return StepLoop(step, data.batches, workload.epochs, count)


def layerax_pytree(workload: Workload, data: Data) -> StepLoop:
    """Raw `jax.jit` over the model as a pytree, gradients as a model-shaped pytree, optax."""
    model = _lx_model(workload)
    tx = _adam()

    @functools.partial(jax.jit, donate_argnums=(0, 1))
    def step(model: Any, opt_state: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(lambda m: _xent(m(x, training=True), y))(model)
        updates, opt_state = tx.update(grads, opt_state, model)
        return optax.apply_updates(model, updates), opt_state, loss

    state = {"model": model, "opt": tx.init(model)}

    def run(x: Any, y: Any) -> Any:
        state["model"], state["opt"], loss = step(state["model"], state["opt"], x, y)
        return loss

    count = lambda: param_count([v.value for v in state["model"].trainable_variables])  # noqa: E731
    return StepLoop(run, data.batches, workload.epochs, count)


# ----------------------------------------------------------------- Keras 3 (JAX backend)
def _keras_model(workload: Workload) -> Any:
    import keras

    return models_keras.build(keras, workload)


def keras_fit(workload: Workload, data: Data, spe: int = 1) -> FitLoop:
    import keras

    model = _keras_model(workload)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE, epsilon=ADAM_EPSILON),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        steps_per_execution=spe,
    )
    return FitLoop(model, data, spe)


def keras_stateless(workload: Workload, data: Data) -> StepLoop:
    """The loop of Keras' "writing a training loop from scratch in JAX" guide (state donated)."""
    import keras

    model = _keras_model(workload)
    optimizer = keras.optimizers.Adam(LEARNING_RATE, epsilon=ADAM_EPSILON)
    optimizer.build(model.trainable_variables)
    loss_object = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def compute_loss(trainable: Any, non_trainable: Any, x: Any, y: Any) -> Any:
        logits, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        return loss_object(y, logits), non_trainable

    grad_fn = jax.value_and_grad(compute_loss, has_aux=True)

    @functools.partial(jax.jit, donate_argnums=0)
    def step(state: Any, x: Any, y: Any) -> Any:
        trainable, non_trainable, opt_vars = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, x, y)
        trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
        return loss, (trainable, non_trainable, opt_vars)

    holder = {"state": (
        [v.value for v in model.trainable_variables],
        [v.value for v in model.non_trainable_variables],
        [v.value for v in optimizer.variables],
    )}

    def run(x: Any, y: Any) -> Any:
        loss, holder["state"] = step(holder["state"], x, y)
        return loss

    return StepLoop(run, data.batches, workload.epochs, lambda: param_count(holder["state"][0]))


# ----------------------------------------------------------------- Flax NNX
def _nnx_setup(workload: Workload) -> tuple[Any, Any, Any]:
    from flax import nnx

    from benchmarks.suite import models_nnx

    model = models_nnx.build(workload)
    optimizer = nnx.Optimizer(model, _adam(), wrt=nnx.Param)

    @nnx.jit
    def train_step(model: Any, optimizer: Any, x: Any, y: Any) -> Any:
        loss, grads = nnx.value_and_grad(lambda m: _xent(m(x), y))(model)
        optimizer.update(model, grads)
        return loss

    return model, optimizer, train_step


def _nnx_count(model: Any) -> Callable[[], int]:
    from flax import nnx

    return lambda: param_count(jax.tree.leaves(nnx.state(model, nnx.Param)))


def nnx_jit(workload: Workload, data: Data) -> StepLoop:
    model, optimizer, train_step = _nnx_setup(workload)
    return StepLoop(lambda x, y: train_step(model, optimizer, x, y), data.batches,
                    workload.epochs, _nnx_count(model))


def nnx_cached(workload: Workload, data: Data) -> StepLoop:
    from flax import nnx

    model, optimizer, train_step = _nnx_setup(workload)
    cached = nnx.cached_partial(train_step, model, optimizer)
    return StepLoop(cached, data.batches, workload.epochs, _nnx_count(model))


# ----------------------------------------------------------------- Equinox
def eqx_filter_jit(workload: Workload, data: Data) -> StepLoop:
    import equinox as eqx

    from benchmarks.suite import models_eqx

    model = models_eqx.build(workload)
    tx = _adam()

    # The batch comes first so that "all-except-first" donates exactly the model and state.
    @eqx.filter_jit(donate="all-except-first")
    def step(batch: Any, model: Any, opt_state: Any) -> Any:
        x, y = batch
        loss, grads = eqx.filter_value_and_grad(lambda m: _xent(jax.vmap(m)(x), y))(model)
        updates, opt_state = tx.update(grads, opt_state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    state = {"model": model, "opt": tx.init(eqx.filter(model, eqx.is_array))}

    def run(x: Any, y: Any) -> Any:
        state["model"], state["opt"], loss = step((x, y), state["model"], state["opt"])
        return loss

    batches = data.batches_nchw if models_eqx.channels_first(workload) else data.batches
    count = lambda: param_count(jax.tree.leaves(eqx.filter(state["model"], eqx.is_array)))  # noqa: E731
    return StepLoop(run, batches, workload.epochs, count)


# ----------------------------------------------------------------- the list
@dataclasses.dataclass
class Candidate:
    """One row of the table."""

    key: str
    framework: str
    label: str
    factory: Callable[[Workload, Data], Any]
    data_path: str = "device"  # "device": arrays already on the device; "numpy": host batches
    fit: bool = False
    notes: str = ""
    unavailable: str | None = None


REFERENCE = "jax_device"
REFERENCE_NUMPY = "jax_numpy"


def _importable(module: str) -> str | None:
    try:
        __import__(module)
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        return f"{module} not importable ({type(e).__name__}: {e})"
    return None


def candidates(workload: Workload) -> list[Candidate]:
    """All rows for `workload`, with the reason when one cannot run here."""
    import layerax as lx

    rows = [
        Candidate(REFERENCE, "JAX", "jax.jit + optax, device arrays (reference)", reference_device),
        Candidate(REFERENCE_NUMPY, "JAX", "jax.jit + optax, numpy batches (reference for fit)",
                  reference_numpy, data_path="numpy"),
        Candidate("lx_fit", "layerax", "fit", layerax_fit, data_path="numpy", fit=True),
        Candidate("lx_fit_spe", "layerax", f"fit, steps_per_execution={SPE}",
                  functools.partial(layerax_fit, spe=SPE), data_path="numpy", fit=True),
        Candidate("lx_function", "layerax", "lx.function + GradientTape", layerax_tape),
        Candidate("lx_pytree", "layerax", "jax.jit over the model pytree + optax", layerax_pytree),
        Candidate("keras_fit", "Keras 3", "fit", keras_fit, data_path="numpy", fit=True),
        Candidate("keras_fit_spe", "Keras 3", f"fit, steps_per_execution={SPE}",
                  functools.partial(keras_fit, spe=SPE), data_path="numpy", fit=True),
        Candidate("keras_stateless", "Keras 3", "stateless_call + jax.jit", keras_stateless),
        Candidate("nnx_jit", "Flax NNX", "nnx.jit", nnx_jit),
        Candidate("nnx_cached", "Flax NNX", "nnx.jit + nnx.cached_partial", nnx_cached),
        Candidate("eqx", "Equinox", "eqx.filter_jit", eqx_filter_jit),
    ]
    missing = models_keras.missing_layers(lx, workload)
    keras_problem = _importable("keras")
    if keras_problem is None:
        import keras

        if keras.backend.backend() != "jax":
            keras_problem = f"Keras backend is {keras.backend.backend()!r}; set KERAS_BACKEND=jax"
        elif models_keras.missing_layers(keras, workload):
            keras_problem = "keras lacks " + ", ".join(models_keras.missing_layers(keras, workload))
    flax_problem = _importable("flax.nnx")
    for row in rows:
        if row.framework == "layerax" and missing:
            row.unavailable = "not available: lx.layers." + ", lx.layers.".join(missing) + " missing"
        elif row.framework == "Keras 3" and keras_problem:
            row.unavailable = keras_problem
        elif row.framework == "Flax NNX" and flax_problem:
            row.unavailable = flax_problem
        elif row.key == "nnx_cached" and not flax_problem:
            from flax import nnx

            if not hasattr(nnx, "cached_partial"):
                row.unavailable = "not in this flax version"
        elif row.framework == "Equinox":
            row.unavailable = _importable("equinox")
    return rows

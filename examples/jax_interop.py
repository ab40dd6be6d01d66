"""JAX interop: layerax models are pytrees, so raw JAX transformations apply to them.

Every layer and model is a JAX pytree whose leaves are its variables' values.
This example uses no `fit` and no tape, only JAX:

1. `jax.jit` and `jax.grad` on a model: the gradient is a model-shaped pytree,
   and `jax.tree.map` applies an SGD update, giving a new model;
2. a whole training loop in that pure style, with an optax optimizer and the
   model's `stateless_call`;
3. per-example gradients with `jax.vmap(jax.grad(...))`, checked against the
   batch gradient;
4. an ensemble of five models trained at once: the models are stacked leaf by
   leaf (`jax.tree.map(jnp.stack, ...)`) and one `jax.vmap`-ed step trains all
   of them.

Run: python examples/jax_interop.py
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

import layerax as lx


def make_model(seed: int) -> lx.Model:
    lx.utils.set_random_seed(seed)
    model = lx.Sequential([
        lx.Input(shape=(64,)),
        lx.layers.Dense(64, activation="relu"),
        lx.layers.Dense(10),
    ])
    return model


def loss_fn(model, x, y):
    logits = model(x)
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


@jax.jit
def predict_classes(model, x):
    return jnp.argmax(model(x), -1)


def accuracy(model, x, y) -> float:
    return float(np.mean(np.asarray(predict_classes(model, x)) == y))


def main() -> dict[str, float]:
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    perm = np.random.default_rng(0).permutation(len(x))
    # numpy arrays: slicing them costs nothing (slicing a jax array eagerly compiles a
    # small program per distinct slice).
    x_train, y_train = x[perm[:1500]], y[perm[:1500]]
    x_test, y_test = x[perm[1500:]], y[perm[1500:]]
    results = {}

    # 1. jax.jit, jax.grad and jax.tree.map on a model ---------------------------------
    model = make_model(0)
    logits = jax.jit(lambda m, x: m(x))(model, x_train[:4])
    print("jitted call:", logits.shape)

    @jax.jit
    def sgd_step(model, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(model, x, y)  # grads: a model-shaped pytree
        new_model = jax.tree.map(lambda p, g: p - 0.5 * g, model, grads)
        return new_model, loss

    first_loss = None
    for epoch in range(20):
        for start in range(0, 1500, 100):
            batch = slice(start, start + 100)
            model, loss = sgd_step(model, x_train[batch], y_train[batch])
            first_loss = float(loss) if first_loss is None else first_loss
    results["sgd_pytree"] = accuracy(model, x_test, y_test)
    print(f"1. SGD with jax.grad + jax.tree.map: loss {first_loss:.3f} -> {float(loss):.3f}, "
          f"test accuracy {results['sgd_pytree']:.3f}")
    # The returned model is a fresh copy; `model` now names it and it is a normal layer.
    assert isinstance(model, lx.Model) and len(model.weights) == 4

    # 2. optax + stateless_call: the values of the variables as explicit state -----------
    model = make_model(1)
    optimizer = optax.adam(1e-2)
    params = [v.value for v in model.trainable_variables]
    opt_state = optimizer.init(params)

    @jax.jit
    def adam_step(params, opt_state, x, y):
        def pure_loss(params):
            logits, _ = model.stateless_call(params, [], x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(pure_loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    for epoch in range(10):
        for start in range(0, 1500, 100):
            params, opt_state, loss = adam_step(
                params, opt_state, x_train[start : start + 100], y_train[start : start + 100]
            )
    for variable, value in zip(model.trainable_variables, params):
        variable.assign(value)  # write the trained values back into the live model
    results["optax_stateless"] = accuracy(model, x_test, y_test)
    print(f"2. optax + stateless_call: test accuracy {results['optax_stateless']:.3f}")

    # 3. Per-example gradients -----------------------------------------------------------
    xb, yb = x_train[:32], y_train[:32]
    per_example_grad = jax.jit(jax.vmap(jax.grad(loss_fn), in_axes=(None, 0, 0)))
    per_example = per_example_grad(model, xb[:, None], yb[:, None])
    batch_grad = jax.jit(jax.grad(loss_fn))(model, xb, yb)
    kernel = model.layers[0].kernel  # the same variable in every model-shaped pytree
    per_example_kernels = per_example.layers[0].kernel.value  # (32, 64, 64)
    per_example_kernels = np.asarray(per_example_kernels)
    norms = np.sqrt(np.sum(np.square(per_example_kernels), axis=(1, 2)))
    error = float(np.max(np.abs(per_example_kernels.mean(0) - batch_grad.layers[0].kernel.numpy())))
    print(f"3. per-example gradients: {per_example_kernels.shape[0]} kernels of shape "
          f"{tuple(kernel.shape)}; norms from {norms.min():.2e} to {norms.max():.2e}; "
          f"their mean matches the batch gradient (max error {error:.1e})")
    results["per_example_error"] = error

    # 4. An ensemble trained with one vmapped step ---------------------------------------
    members = [make_model(seed) for seed in range(10, 15)]
    ensemble = jax.tree.map(lambda *leaves: jnp.stack(leaves), *members)
    print("4. stacked ensemble kernel:", ensemble.layers[0].kernel.shape)
    ensemble_step = jax.jit(jax.vmap(sgd_step, in_axes=(0, None, None)))
    for epoch in range(10):
        for start in range(0, 1500, 100):
            batch = slice(start, start + 100)
            ensemble, _ = ensemble_step(ensemble, x_train[batch], y_train[batch])
    probabilities = jax.jit(jax.vmap(lambda m, x: jax.nn.softmax(m(x)), in_axes=(0, None)))(
        ensemble, x_test
    )  # (5, n, 10)
    probabilities = np.asarray(probabilities)
    member_accuracies = np.mean(probabilities.argmax(-1) == y_test, axis=1)
    averaged = float(np.mean(probabilities.mean(0).argmax(-1) == y_test))
    print(f"   member accuracies {[round(float(a), 3) for a in member_accuracies]}, "
          f"averaged ensemble {averaged:.3f}")
    # One member, taken out of the stack, is an ordinary model again.
    third = jax.tree.map(lambda leaf: leaf[2], ensemble)
    assert abs(accuracy(third, x_test, y_test) - float(member_accuracies[2])) < 1e-6
    results["ensemble"] = averaged
    return results


if __name__ == "__main__":
    main()

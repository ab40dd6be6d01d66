"""lx.remat / RematScope over layers that assign state: the same values, gradients and state
as without rematerialization, in every mode of execution, and no tracer leaks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from layerax.core.variable import Tracer
from tests.ops._parity import assert_close

X = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


class Counter(lx.layers.Layer):
    """Counts its training calls in a non-trainable variable that its output depends on."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, x, training=False):
        if training:
            self.count.assign(self.count + 1.0)
        return x * self.scale + 0.1 * self.count


class Penalty(lx.layers.Layer):
    """Adds an activity penalty with `add_loss` and reports a metric with `add_metric`."""

    def call(self, x):
        self.add_loss(0.01 * jnp.sum(x**2))
        self.add_metric(jnp.mean(x), name="mean_in")
        return jnp.tanh(x)


KINDS = {
    "batch_norm": lambda: lx.layers.BatchNormalization(momentum=0.9),
    "dropout": lambda: lx.layers.Dropout(0.5, seed=3),
    "add_loss": Penalty,
    "counter": Counter,
}


def _model(kinds, mode):
    with lx.RematScope(mode=mode):  # the layers only: test_fit nests the Sequential too
        layers = [lx.layers.Dense(4)] + [KINDS[k]() for k in kinds] + [lx.layers.Dense(1)]
    model = lx.Sequential(layers)
    model(X)
    return model


def _pair(kinds, mode="full"):
    """A model without remat and the same model (same variable values) with it."""
    plain, remat = _model(kinds, None), _model(kinds, mode)
    for target, source in zip(remat.variables, plain.variables):
        target.assign(source.value)
    return plain, remat


def _values(model):
    return [np.asarray(v.value) for v in model.variables]


def _loss(model, x, training=True):
    return jnp.mean((model(x, training=training) - Y) ** 2) + sum(model.losses)


def _assert_concrete(model, losses=True):
    assert not any(isinstance(v._value, Tracer) for v in model.variables)
    assert not (losses and any(isinstance(loss, Tracer) for loss in model.losses))


ALL = ("batch_norm", "dropout", "add_loss", "counter")


def test_eager_call_and_tape_match_the_plain_layers():
    plain, remat = _pair(ALL)
    with jax.checking_leaks():
        assert_close(remat(X, training=True), plain(X, training=True), 1e-6, 1e-6)
    for layer, plain_layer in zip(remat.layers, plain.layers):  # each layer's state
        assert_close(_values(layer), _values(plain_layer), 1e-6, 1e-6, what=layer.name)
    assert_close(remat.losses, plain.losses, 1e-6, 1e-6, what="losses")
    assert [name for name, _, _ in remat.added_metrics] == ["mean_in"]
    assert_close(remat.added_metrics[0][1], plain.added_metrics[0][1], 1e-6, 1e-6)
    grads = []
    for model in (plain, remat):
        with lx.GradientTape() as tape:
            loss = _loss(model, X)
        grads.append((loss, *tape.gradient(
            loss, [model.trainable_variables, model.non_trainable_variables])))
        _assert_concrete(model, losses=False)  # the losses are the tape's values
    assert_close(grads[1][:2], grads[0][:2], 1e-5, 1e-6, what="tape gradients")
    assert all(g is None for g in grads[1][2])  # non-trainable state gets no gradient
    assert_close(_values(remat), _values(plain), 1e-6, 1e-6, what="state after the tape")


def test_jit_grad_of_the_model_pytree_matches_plain():
    plain, remat = _pair(ALL)

    def loss_and_state(model, x):
        return _loss(model, x), [v.value for v in model.variables]

    step = jax.jit(jax.value_and_grad(loss_and_state, has_aux=True, allow_int=True))
    results = [step(model, X) for model in (plain, remat)]
    (loss_p, state_p), grads_p = results[0]
    (loss_r, state_r), grads_r = results[1]
    assert_close(loss_r, loss_p, 1e-5, 1e-6)
    float_grads = [jax.tree.leaves(g) for g in (grads_p, grads_r)]
    float_grads = [[g for g in gs if g.dtype != jax.dtypes.float0] for gs in float_grads]
    assert_close(float_grads[1], float_grads[0], 1e-5, 1e-6, what="gradients, every leaf")
    assert_close(state_r, state_p, 1e-6, 1e-6, what="state the clone ends with")
    index = [i for i, v in enumerate(remat.variables) if v is remat.layers[1].moving_mean][0]
    assert not np.allclose(state_r[index], remat.variables[index].numpy())  # it advanced
    _assert_concrete(remat)  # the live model is untouched, as without remat


def test_tape_in_lx_function_matches_plain():
    plain, remat = _pair(ALL)
    outs = []
    for model in (plain, remat):
        @lx.function
        def step(x, model=model):
            with lx.GradientTape() as tape:
                loss = _loss(model, x)
            grads = tape.gradient(loss, model.trainable_variables)
            for v, g in zip(model.trainable_variables, grads):
                v.assign_sub(0.1 * g)
            return loss

        with jax.checking_leaks():
            outs.append([step(X), step(X)])
        _assert_concrete(model)
    assert_close(outs[1], outs[0], 1e-5, 1e-6)
    assert_close(_values(remat), _values(plain), 1e-5, 1e-6)
    assert float(remat.layers[-2].count.value) == 2.0


def test_fit_with_batch_norm_and_dropout_built_in_a_remat_scope():
    histories, models = [], []
    for mode in (None, "full"):
        lx.utils.set_random_seed(7)
        with lx.RematScope(mode=mode):
            model = lx.Sequential([lx.layers.Dense(8), lx.layers.BatchNormalization(),
                                   lx.layers.Dropout(0.3), lx.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        with jax.checking_leaks():  # fit runs the pure bridge: stateless forward, jax.grad
            history = model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
        histories.append(history.history["loss"])
        models.append(model)
    assert models[1].layers[0]._remat_mode.mode == "full"
    assert_close(histories[1], histories[0], 1e-5, 1e-6, what="losses")
    assert_close(_values(models[1]), _values(models[0]), 1e-5, 1e-6,
                 what="weights, moving statistics and seed states")
    assert not np.allclose(models[1].layers[1].moving_variance.numpy(), 1.0)


def test_batch_norm_gradient_and_statistics_against_a_closed_form():
    with lx.RematScope(mode="full"):
        bn = lx.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    bn(X)
    weights = jnp.linspace(-1.0, 1.0, X.size, dtype="float32").reshape(X.shape)

    def by_hand(gamma, beta, x):
        mean, var = jnp.mean(x, axis=0), jnp.var(x, axis=0)
        return jnp.sum(((x - mean) / jnp.sqrt(var + 1e-3) * gamma + beta) * weights)

    def with_layer(layer, x):
        return jnp.sum(layer(x, training=True) * weights), layer.moving_mean.value

    (value, moving_mean), grads = jax.value_and_grad(with_layer, argnums=(0, 1),
                                                     has_aux=True)(bn, X)
    want = jax.grad(by_hand, argnums=(0, 1, 2))(bn.gamma.value, bn.beta.value, X)
    assert_close([grads[0].gamma.value, grads[0].beta.value, grads[1]], list(want), 1e-5, 1e-5)
    assert_close(value, by_hand(bn.gamma.value, bn.beta.value, X), 1e-5, 1e-5)
    assert_close(moving_mean, 0.1 * X.mean(axis=0), 1e-6, 1e-6)
    bn(X, training=True)  # eagerly, the live layer's statistics advance
    assert_close(bn.moving_variance.value, 0.9 + 0.1 * X.var(axis=0), 1e-5, 1e-6)


def _remat_equations(fn, *args):
    jaxpr = str(jax.make_jaxpr(fn)(*args))
    return jaxpr.count("checkpoint") + jaxpr.count("remat")


def test_the_gradient_is_still_checkpointed():
    _, remat = _pair(("batch_norm", "counter"))
    assert _remat_equations(jax.grad(_loss, allow_int=True), remat, X) > 0
    plain = _model(("batch_norm",), None)
    assert _remat_equations(jax.grad(_loss, allow_int=True), plain, X) == 0
    checkpointed = lx.remat(lambda model, x: _loss(model, x))
    assert _remat_equations(jax.grad(checkpointed, allow_int=True), plain, X) > 0


def test_remat_of_a_layer_its_call_and_a_function_calling_layers():
    plain, remat = _pair(("batch_norm", "dropout"))
    dense, bn, dropout = remat.layers[:3]
    hidden, plain_hidden = dense(X), plain.layers[0](X)
    assert_close(lx.remat(bn)(hidden, training=True),
                 plain.layers[1](plain_hidden, training=True), 1e-6, 1e-6)
    assert_close(lx.remat(dropout.call)(hidden, training=True),
                 plain.layers[2].call(plain_hidden, training=True), 1e-6, 1e-6)
    assert_close(_values(remat), _values(plain), 1e-6, 1e-6)
    by_closure = lx.remat(lambda x: remat(x, training=True))
    by_argument = lx.remat(lambda model, x: model(x, training=True))
    assert_close(by_closure(X), plain(X, training=True), 1e-6, 1e-6)
    assert_close(by_argument(remat, X), plain(X, training=True), 1e-6, 1e-6)
    assert_close(_values(remat), _values(plain), 1e-6, 1e-6)


def test_unbuilt_layers_and_the_global_seed_inside_remat():
    draws = []
    for use_remat in (False, True):
        lx.utils.set_random_seed(5)
        model = lx.Sequential([lx.layers.Dense(3), lx.layers.Dropout(0.5)])
        noisy = lambda x: model(x, training=True) + lx.random.normal((8, 3))  # noqa: E731
        fn = lx.function(lx.remat(noisy) if use_remat else noisy)
        draws.append([fn(X), fn(X), lx.random.normal((2,)), *_values(model)])
    assert_close(draws[1], draws[0], 1e-6, 1e-6)


@pytest.mark.parametrize("mode, kwargs", [
    ("larger_than", {"output_size_threshold": 4}), ("list_of_layers", {"layer_names": ["bn"]}),
])
def test_other_modes_thread_state(mode, kwargs):
    plain = lx.layers.BatchNormalization(name="bn")
    with lx.RematScope(mode=mode, **kwargs):
        remat = lx.layers.BatchNormalization(name="bn")
    plain(X), remat(X)
    assert_close(remat(X, training=True), plain(X, training=True), 1e-6, 1e-6)
    assert_close(_values(remat), _values(plain), 1e-6, 1e-6)
    assert _remat_equations(jax.grad(lambda m: jnp.sum(m(X, training=True) ** 2)), remat) > 0


def test_a_raw_jit_closure_still_refuses_to_leak_state():
    with lx.RematScope(mode="full"):
        bn = lx.layers.BatchNormalization()
    bn(X)
    with pytest.raises(RuntimeError, match="moving_mean' was assigned a traced value"):
        jax.jit(lambda x: bn(x, training=True))(X)
    _assert_concrete(bn)


def test_mixed_precision_keeps_the_state_in_float32():
    def make(mode):
        with lx.RematScope(mode=mode):
            layers = [lx.layers.Dense(3, dtype="mixed_bfloat16"),
                      lx.layers.BatchNormalization(dtype="mixed_bfloat16")]
        model = lx.Sequential(layers)
        model(X)
        return model

    plain, remat = make(None), make("full")
    for target, source in zip(remat.variables, plain.variables):
        target.assign(source.value)

    def loss_and_state(model):
        out = model(X, training=True)
        return jnp.sum(out.astype("float32") ** 2), (out.dtype, [v.value for v in model.variables])

    (want, (want_dtype, want_state)), want_grads = jax.value_and_grad(
        loss_and_state, has_aux=True)(plain)
    (got, (got_dtype, got_state)), got_grads = jax.value_and_grad(
        loss_and_state, has_aux=True)(remat)
    assert got_dtype == want_dtype == jnp.bfloat16
    assert [s.dtype for s in got_state] == [s.dtype for s in want_state]  # float32 statistics
    assert_close([got, got_state, jax.tree.leaves(got_grads)],
                 [want, want_state, jax.tree.leaves(want_grads)], 1e-5, 1e-5)

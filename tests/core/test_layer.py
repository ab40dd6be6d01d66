"""The Layer contract, using the project's source documents' own examples."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras


class Linear(lx.layers.Layer):
    """Seed example: weights created in __init__ with add_weight."""

    def __init__(self, units=32, input_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs, **kwargs):
        return jnp.matmul(inputs, self.w) + self.b


class LazyLinear(lx.layers.Layer):
    """Seed example: weights created in build from the first input's shape."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.w) + self.b


class ComputeSum(lx.layers.Layer):
    """Seed example: a non-trainable weight updated in call."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = lx.Variable(jnp.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(jnp.sum(inputs, axis=0))
        return self.total.value


class MLPBlock(lx.layers.Layer):
    """Seed example: nested layers."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1 = LazyLinear(32)
        self.linear_2 = LazyLinear(32)
        self.linear_3 = LazyLinear(1)

    def call(self, inputs):
        x = jax.nn.relu(self.linear_1(inputs))
        x = jax.nn.relu(self.linear_2(x))
        return self.linear_3(x)


class ActivityRegularizer(lx.layers.Layer):
    """Seed example: a loss created during the forward pass."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * jnp.sum(inputs))
        return inputs


class MyDense(lx.layers.Layer):
    """Seed example (TF2 era): add_variable('w', shape) and `inputs @ self.kernel`."""

    def __init__(self, inp_dim, outp_dim):
        super().__init__()
        self.kernel = self.add_variable("w", [inp_dim, outp_dim], trainable=True)

    def call(self, inputs, training=None):
        out = inputs @ self.kernel
        return jax.nn.relu(out)


def test_linear_in_init():
    x = jnp.ones((2, 2))
    layer = Linear(4, 2)
    y = layer(x)
    assert y.shape == (2, 4)
    assert_close(y, np.ones((2, 2)) @ layer.w.numpy() + layer.b.numpy())
    assert [w.path for w in layer.weights] == ["linear/variable", "linear/variable_1"]


def test_lazy_build_from_first_input_shape():
    seen = []

    class Recorder(LazyLinear):
        def build(self, input_shape):
            seen.append(input_shape)
            super().build(input_shape)

    layer = Recorder(5)
    assert not layer.built and layer.weights == []
    layer(jnp.ones((3, 7)))
    layer(jnp.ones((3, 7)))
    assert layer.built and seen == [(3, 7)]
    assert [w.shape for w in layer.weights] == [(7, 5), (5,)]


def test_build_receives_nested_shapes():
    got = {}

    class Pair(lx.layers.Layer):
        def build(self, input_shape):
            got["shape"] = input_shape

        def call(self, inputs):
            a, b = inputs
            return a + b.sum()

    Pair()([jnp.ones((2, 3)), jnp.ones((4,))])
    assert got["shape"] == [(2, 3), (4,)]


def test_non_trainable_weights():
    layer = ComputeSum(2)
    x = jnp.ones((2, 2))
    layer(x)
    y = layer(x)
    assert_close(y, [4.0, 4.0])
    assert layer.weights == layer.non_trainable_weights and layer.trainable_weights == []
    assert layer.variables == layer.weights


def test_nested_layers_track_weights_in_order():
    mlp = MLPBlock()
    y = mlp(jnp.ones((3, 64)))
    assert y.shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6
    assert [w.path for w in mlp.weights] == [
        f"mlp_block/lazy_linear{s}/variable{t}"
        for s, t in [("", ""), ("", "_1"), ("_1", "_2"), ("_1", "_3"), ("_2", "_4"), ("_2", "_5")]
    ]


def test_tracking_through_lists_dicts_tuples_and_shared_layers():
    shared = lx.layers.Dense(2)

    class Holder(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = [lx.layers.Dense(3), shared]
            self.by_name = {"a": lx.layers.Dense(4)}
            self.pair = (shared, lx.layers.Dense(5))
            self.later = []

        def call(self, x):
            out = [b(x) for b in self.blocks] + [self.by_name["a"](x)] + [p(x) for p in self.pair]
            return out + [layer(x) for layer in self.later]

    holder = Holder()
    holder.later.append(lx.layers.Dense(6))
    holder(jnp.ones((1, 2)))
    names = [w.path.split("/")[-2] for w in holder.weights]
    assert names == ["dense_1", "dense_1", "dense", "dense", "dense_2", "dense_2", "dense_3", "dense_3", "dense_4", "dense_4"]
    assert len({id(w) for w in holder.weights}) == 10  # shared layer counted once


def test_trainable_setter_freezes_recursively():
    mlp = MLPBlock()
    mlp(jnp.ones((1, 4)))
    mlp.linear_2.trainable = False
    assert len(mlp.trainable_weights) == 4 and len(mlp.non_trainable_weights) == 2
    assert mlp.weights == mlp.trainable_weights[:2] + mlp.non_trainable_weights + mlp.trainable_weights[2:]
    mlp.trainable = False
    assert mlp.trainable_weights == [] and len(mlp.non_trainable_weights) == 6
    assert mlp.trainable_variables == [] and len(mlp.non_trainable_variables) == 6
    mlp.trainable = True
    assert len(mlp.trainable_weights) == 6


def test_losses_collected_recursively_and_cleared_each_top_level_call():
    class OuterLayer(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert layer.losses == []
    layer(jnp.zeros((1, 1)))
    assert_close(layer.losses, [0.0])
    layer(jnp.ones((2, 3)))
    assert len(layer.losses) == 1  # not accumulated
    assert_close(layer.losses[0], 0.06)


def test_weight_regularizer_penalty_in_losses():
    layer = lx.layers.Dense(2, kernel_regularizer=lx.regularizers.L2(0.5))
    layer(jnp.ones((1, 3)))
    assert_close(layer.losses, [0.5 * np.sum(layer.kernel.numpy() ** 2)])


def test_training_flag_reaches_nested_layers():
    class Flag(lx.layers.Layer):
        def call(self, x, training=None):
            return x * (2.0 if training else 1.0)

    class Outer(lx.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Flag()
            self.fixed = Flag()

        def call(self, x, training=None):
            return self.inner(x) + self.fixed(x, training=False)

    outer = Outer()
    x = jnp.ones(())
    assert float(outer(x, training=True)) == 3.0
    assert float(outer(x, training=False)) == 2.0
    assert float(outer(x)) == 2.0


def test_training_default_from_call_signature():
    class Defaults(lx.layers.Layer):
        def call(self, x, training=True):
            return x * (2.0 if training else 1.0)

    assert float(Defaults()(jnp.ones(()))) == 2.0


def test_add_variable_tf2_positional_form():
    layer = MyDense(3, 2)
    y = layer(jnp.ones((4, 3)))
    assert y.shape == (4, 2)
    assert layer.kernel.name == "w" and layer.kernel.path == "my_dense/w"
    assert_close(y, np.maximum(np.ones((4, 3)) @ layer.kernel.numpy(), 0))


def test_add_weight_defaults_and_initializers():
    layer = lx.layers.Layer()
    w = layer.add_weight(shape=(30, 40))
    lim = np.sqrt(6 / 70)
    assert np.all(np.abs(w.numpy()) <= lim) and np.std(w.numpy()) > lim / 3  # glorot_uniform
    i = layer.add_weight(shape=(2,), dtype="int32")
    assert i.numpy().tolist() == [0, 0]
    c = layer.add_weight(shape=(2,), initializer=lx.initializers.Constant(3.0))
    assert c.numpy().tolist() == [3.0, 3.0]
    for name in ["zeros", "ones", "random_normal", "random_uniform", "truncated_normal",
                 "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
                 "lecun_uniform", "orthogonal", "identity"]:
        assert layer.add_weight(shape=(3, 3), initializer=name).shape == (3, 3)


def test_unknown_initializer_lists_valid_names():
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier: 'glorot'.*glorot_uniform"):
        lx.layers.Layer().add_weight(shape=(2,), initializer="glorot")


def test_auto_names():
    names = [lx.layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert lx.layers.Dense(1, name="head").name == "head"
    assert MLPBlock().name == "mlp_block"


def test_forgot_super_init():
    class Broken(lx.layers.Layer):
        def __init__(self):
            self.dense = lx.layers.Dense(2)

    with pytest.raises(RuntimeError, match=r"Broken.*super\(\).__init__\(\)"):
        Broken()

    class Broken2(lx.layers.Layer):
        def __init__(self):
            self.units = 3

        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match="super"):
        Broken2()(jnp.ones(1))


def test_unknown_kwargs_rejected():
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments passed to Dense.*foo"):
        lx.layers.Dense(2, foo=1)


def test_get_set_weights_and_errors_change_nothing():
    layer = lx.layers.Dense(2)
    layer(jnp.ones((1, 3)))
    before = layer.get_weights()
    assert [w.shape for w in before] == [(3, 2), (2,)]
    with pytest.raises(ValueError, match=r"expects 2 weight arrays.*received 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"weight 1 \('dense/bias'\) has shape \(2,\).*\(3,\).*Nothing was changed"):
        layer.set_weights([np.zeros((3, 2)), np.zeros((3,))])
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    layer.set_weights([np.ones((3, 2)), np.full((2,), 2.0)])
    assert_close(layer(jnp.ones((1, 3))), [[5.0, 5.0]])


def test_config_round_trip_auto_and_explicit():
    layer = LazyLinear(7, name="lin")
    config = layer.get_config()
    assert config["units"] == 7 and config["name"] == "lin"
    clone = LazyLinear.from_config(config)
    assert clone.units == 7 and clone.name == "lin"
    dense = lx.layers.Dense(3, activation="relu", kernel_regularizer="l2")
    again = lx.layers.Dense.from_config(dense.get_config())
    assert again.get_config() == dense.get_config()


def test_config_not_serializable_asks_for_get_config():
    class Custom(lx.layers.Layer):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

    with pytest.raises(NotImplementedError, match="get_config"):
        Custom(lambda x: x).get_config()


def test_compute_output_shape_default_and_override():
    assert LazyLinear(5).compute_output_shape((None, 3)) == (None, 5)
    assert MLPBlock().compute_output_shape((None, 8)) == (None, 1)
    assert lx.layers.Dense(4).compute_output_shape((None, 2, 3)) == (None, 2, 4)


def test_compute_mask_default():
    layer = lx.layers.Layer()
    assert layer.compute_mask(jnp.ones(2), jnp.array([True, False])) is None
    dense = lx.layers.Dense(2)
    mask = jnp.array([True, False])
    assert dense.compute_mask(jnp.ones((2, 3)), mask) is mask


def test_call_before_build_stateless_raises():
    with pytest.raises(ValueError, match=r"dense.*must be built"):
        lx.layers.Dense(2).stateless_call([], [], jnp.ones((1, 2)))


def test_count_params():
    layer = lx.layers.Dense(4)
    layer(jnp.ones((1, 3)))
    assert layer.count_params() == 16
    with pytest.raises(ValueError, match="isn't built"):
        lx.layers.Dense(2).count_params()


class PassMask(lx.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs * 2.0


class MaskedSum(lx.layers.Layer):
    def call(self, inputs, mask=None):
        weights = jnp.ones(inputs.shape[:2]) if mask is None else mask.astype(inputs.dtype)
        return jnp.sum(inputs * weights[..., None], axis=1)


def test_eager_calls_attach_and_consume_masks_like_keras():
    k = keras()
    ids = np.array([[3, 1, 0, 0], [2, 5, 7, 0]], "int32")
    ours_embed = lx.layers.Embedding(10, 3, mask_zero=True)
    theirs_embed = k.layers.Embedding(10, 3, mask_zero=True)
    ours_embed.build(ids.shape)
    theirs_embed.build(ids.shape)
    ours_embed.set_weights(theirs_embed.get_weights())
    ours, theirs = ours_embed(ids), theirs_embed(ids)
    np.testing.assert_array_equal(np.asarray(ours._keras_mask), np.asarray(theirs._keras_mask))
    # A layer with supports_masking passes the mask on; one taking `mask=` receives it.
    passed = PassMask()(ours)
    np.testing.assert_array_equal(np.asarray(passed._keras_mask), ids != 0)
    assert_close(MaskedSum()(passed), MaskedSum()(passed, mask=jnp.asarray(ids != 0)))
    assert_close(MaskedSum()(passed), np.asarray(k.ops.sum(theirs * 2.0 * (ids != 0)[..., None], axis=1)))
    # Masking computes its mask from the values; a layer without mask support drops it.
    values = np.where(ids[..., None] == 0, 0.0, 1.0).astype("float32") * np.ones((1, 1, 2), "float32")
    masked = lx.layers.Masking()(values)
    np.testing.assert_array_equal(
        np.asarray(masked._keras_mask), np.asarray(k.layers.Masking()(values)._keras_mask)
    )
    assert not hasattr(lx.layers.Dense(2)(jnp.asarray(values)), "_keras_mask")
    assert not hasattr(lx.layers.Embedding(10, 3)(ids), "_keras_mask")


def test_positional_array_for_training_is_rejected():
    # Keras raises too (`training` must be given as a keyword).
    x = lx.Input(shape=(3,))
    model = lx.Model(x, lx.layers.Dense(2)(x))
    data = np.ones((2, 3), "float32")
    assert model(data, False).shape == (2, 2)
    with pytest.raises(TypeError, match="positional argument `training`"):
        model(data, data)


def test_layer_frozen_before_build_stays_frozen_in_a_model():
    k = keras()
    ours = lx.Sequential([lx.Input((3,)), lx.layers.Dense(2, trainable=False), lx.layers.Dense(1)])
    theirs = k.Sequential([k.Input((3,)), k.layers.Dense(2, trainable=False), k.layers.Dense(1)])
    assert [len(ours.trainable_weights), len(ours.non_trainable_weights)] == [
        len(theirs.trainable_weights), len(theirs.non_trainable_weights)] == [2, 2]
    frozen = ours.layers[0].get_weights()
    ours.compile(optimizer="sgd", loss="mse")
    x = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)
    ours.fit(x, np.ones((4, 1), "float32"), epochs=1, verbose=0)
    for before, after in zip(frozen, ours.layers[0].get_weights()):
        np.testing.assert_array_equal(before, after)
    ours.layers[0].trainable = True
    assert len(ours.trainable_weights) == 4

"""The layer classes the family tests leave out go through `lx.testing.check_layer`, with
Keras 3 as the oracle of their output shapes and weight counts."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import layerax as lx
from layerax.testing import check_layer
from tests.helpers import keras


def _keras_counts(layer, x):
    out = layer(x)
    return tuple(out.shape), len(layer.trainable_weights), len(layer.non_trainable_weights)


def test_conv_lstm_1d_matches_keras_shapes_and_weight_counts():
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 2)).astype("float32")
    shape, n_tw, n_ntw = _keras_counts(keras().layers.ConvLSTM1D(2, 3, padding="same"), x)
    check_layer(
        lx.layers.ConvLSTM1D, init_kwargs=dict(filters=2, kernel_size=3, padding="same"),
        input_data=x, expected_output_shape=shape, expected_num_trainable_weights=n_tw,
        expected_num_non_trainable_weights=n_ntw, run_vmap=False,
        run_mixed_precision_check=False,
    )


def test_stacked_rnn_cells_through_an_rnn_match_keras():
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
    k = keras().layers
    shape, n_tw, n_ntw = _keras_counts(
        k.RNN(k.StackedRNNCells([k.SimpleRNNCell(3), k.GRUCell(2)])), x
    )
    check_layer(
        lambda: lx.layers.RNN(
            lx.layers.StackedRNNCells([lx.layers.SimpleRNNCell(3), lx.layers.GRUCell(2)])
        ),
        input_data=x, expected_output_shape=shape, expected_num_trainable_weights=n_tw,
        expected_num_non_trainable_weights=n_ntw, run_vmap=False,
        run_mixed_precision_check=False,
    )


class _Maximum(lx.layers.Merge):
    """A merging layer on the base class alone: the elementwise maximum."""

    def _merge_function(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = jnp.maximum(out, x)
        return out


def test_merge_base_class_subclass_with_masks_and_mixed_precision():
    rng = np.random.default_rng(2)
    a, b = (rng.normal(size=(2, 3, 4)).astype("float32") for _ in range(2))
    layer = check_layer(
        _Maximum, init_kwargs={}, input_data=[a, b], expected_output_shape=(2, 3, 4),
        expected_output=np.maximum(a, b), expected_output_dtype="float32",
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
        supports_masking=True, expected_mask_shape=(2, 3), run_vmap=False,
    )
    assert isinstance(layer, lx.layers.Merge)
    k_out = keras().layers.Maximum()([a, b])
    np.testing.assert_allclose(np.asarray(layer([a, b])), np.asarray(k_out))


def test_conv_lstm_3d_matches_keras_shapes_and_weight_counts():
    x = np.random.default_rng(3).normal(size=(2, 2, 3, 3, 3, 1)).astype("float32")
    shape, n_tw, n_ntw = _keras_counts(keras().layers.ConvLSTM3D(2, 2, padding="same"), x)
    check_layer(
        lx.layers.ConvLSTM3D, init_kwargs=dict(filters=2, kernel_size=2, padding="same"),
        input_data=x, expected_output_shape=shape, expected_num_trainable_weights=n_tw,
        expected_num_non_trainable_weights=n_ntw, run_vmap=False,
        run_mixed_precision_check=False,
    )


def test_conv_lstm_cell_one_step_matches_keras():
    from keras.src.layers.rnn.conv_lstm import ConvLSTMCell as KerasConvLSTMCell

    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    h, c = (rng.normal(size=(2, 4, 2)).astype("float32") for _ in range(2))
    theirs = KerasConvLSTMCell(1, 2, 3, padding="same")
    k_out, k_states = theirs(x, [h, c])
    ours = lx.layers.ConvLSTMCell(1, 2, 3, padding="same")
    ours(x, [h, c])
    ours.set_weights(theirs.get_weights())
    # The step with Keras' weights as the expected output; then the contract on that layer.
    layer = check_layer(
        lambda: ours, input_shape=[x.shape, [h.shape, c.shape]], input_data=[x, [h, c]],
        multi_input_args=True,
        expected_output=(np.asarray(k_out), [np.asarray(s) for s in k_states]),
        expected_num_trainable_weights=len(theirs.trainable_weights),
        expected_num_non_trainable_weights=len(theirs.non_trainable_weights),
        run_vmap=False, run_mixed_precision_check=False,
    )
    assert [w.shape for w in layer.weights] == [tuple(w.shape) for w in theirs.weights]


def test_input_layer_is_an_identity_with_no_weights():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    k_layer = keras().layers.InputLayer(shape=(3,))
    layer = check_layer(
        lambda: lx.layers.InputLayer(shape=(3,)), input_data=x, expected_output=x,
        expected_output_shape=(2, 3), expected_output_dtype="float32",
        expected_num_trainable_weights=len(k_layer.trainable_weights),
        expected_num_non_trainable_weights=len(k_layer.non_trainable_weights),
        run_vmap=False, run_mixed_precision_check=False,
    )
    assert list(layer.get_config()["batch_shape"]) == list(k_layer.get_config()["batch_shape"])


def test_mixed_precision_check_leaves_the_global_policy_as_it_was():
    # The check sets a global policy for a layer factory; afterwards new layers follow floatx
    # again (it once restored the resolved "float32" policy, which pinned them to float32).
    from layerax import testing
    from layerax.core.context import CTX

    assert CTX.process.dtype_policy is None
    testing.check_layer(lambda: lx.layers.Dense(2), input_shape=(2, 3),
                        run_training_check=False, run_mixed_precision_check=True)
    assert CTX.process.dtype_policy is None
    lx.config.set_floatx("float16")
    try:
        assert lx.Layer().add_weight(shape=(1,)).dtype == np.float16
    finally:
        lx.config.set_floatx("float32")

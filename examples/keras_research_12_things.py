"""The twelve things a Keras researcher should know (François Chollet, TF 2.0), on layerax.

A one-to-one port of the thread "TF 2.0 + Keras: 12 things you need to know for
deep learning research". Every snippet keeps its shape; only the imports change:

    tf.keras.layers.Layer  -> lx.Layer              tf.matmul     -> jnp.matmul
    tf.Variable            -> lx.Variable           tf.reduce_sum -> jnp.sum
    tf.GradientTape        -> lx.GradientTape       tf.nn.relu    -> jax.nn.relu
    tf.function            -> lx.function           tf.nn.dropout -> lx.random.dropout
    tf.data.Dataset        -> a Python generator of numpy batches

MNIST is replaced by scikit-learn's bundled 8x8 digits (64 features, no download).

Run: python examples/keras_research_12_things.py
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax import layers
from layerax.layers import Layer


def make_dataset(batch_size: int, seed: int = 0):
    """The `tf.data.Dataset.from_tensor_slices(...).shuffle(...).batch(...)` of the thread."""
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    perm = np.random.default_rng(seed).permutation(len(x))
    for start in range(0, len(x) - batch_size + 1, batch_size):  # full batches only
        idx = perm[start : start + batch_size]
        yield x[idx], y[idx]


# 1) The first class you need to know is Layer. A Layer encapsulates a state
#    (weights) and some computation (defined in the call method).
class LinearWithVariables(Layer):
    """y = w.x + b, with variables created in __init__ as in the thread's first snippet."""

    def __init__(self, units=32, input_dim=32):
        super().__init__()
        w_init = lx.initializers.RandomNormal()
        self.w = lx.Variable(
            initial_value=w_init(shape=(input_dim, units), dtype="float32"), trainable=True
        )
        b_init = lx.initializers.Zeros()
        self.b = lx.Variable(initial_value=b_init(shape=(units,), dtype="float32"), trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.w) + self.b


# 2) The add_weight method gives you a shortcut for building weights.
class LinearAddWeight(Layer):
    def __init__(self, units=32, input_dim=32):
        super().__init__()
        self.w = self.add_weight(
            shape=(input_dim, units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.w) + self.b


# 3) Better: create weights in build(input_shape), called with the shape of the
#    first input the layer sees. No need to specify input_dim.
class Linear(Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return jnp.matmul(inputs, self.w) + self.b


# 5) Weights can be trainable or non-trainable.
class ComputeSum(Layer):
    """Returns the sum of the inputs."""

    def __init__(self, input_dim):
        super().__init__()
        # Create a non-trainable weight.
        self.total = lx.Variable(initial_value=jnp.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(jnp.sum(inputs, axis=0))
        return self.total


# 6) Layers can be recursively nested to create bigger computation blocks.
class MLP(Layer):
    """Simple stack of Linear layers."""

    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(10)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = jax.nn.relu(x)
        x = self.linear_2(x)
        x = jax.nn.relu(x)
        return self.linear_3(x)


# 7) Layers can create losses during the forward pass (e.g. regularization).
class ActivityRegularization(Layer):
    """Layer that creates an activity sparsity regularization loss."""

    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        # We use `add_loss` to create a regularization loss that depends on the inputs.
        self.add_loss(self.rate * jnp.sum(inputs))
        return inputs


class SparseMLP(Layer):
    """Stack of Linear layers with a sparsity regularization loss."""

    def __init__(self, output_dim):
        super().__init__()
        self.dense_1 = layers.Dense(32, activation=jax.nn.relu)
        self.regularization = ActivityRegularization(1e-2)
        self.dense_2 = layers.Dense(output_dim)

    def call(self, inputs):
        x = self.dense_1(inputs)
        x = self.regularization(x)
        return self.dense_2(x)


# 10) Some layers behave differently in training and inference: a `training` argument.
class Dropout(Layer):
    def __init__(self, rate):
        super().__init__()
        self.rate = rate

    def call(self, inputs, training=None):
        # A Python `if` on the `training` flag works under lx.function too: the flag is a
        # Python bool, so each value gets its own compiled program.
        if training:
            return lx.random.dropout(inputs, rate=self.rate)
        return inputs


class MLPWithDropout(Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.dropout = Dropout(0.5)
        self.linear_3 = Linear(10)

    def call(self, inputs, training=None):
        x = self.linear_1(inputs)
        x = jax.nn.relu(x)
        x = self.dropout(x, training=training)
        return self.linear_3(x)


def thing_1_to_3() -> None:
    print("== 1-3) Layer, add_weight, build")
    x = jnp.ones((2, 2))
    linear_layer = LinearWithVariables(4, 2)
    y = linear_layer(x)
    print(y)
    assert len(linear_layer.weights) == 2
    assert LinearAddWeight(4, 2)(x).shape == (2, 4)
    linear_layer = Linear(4)  # At instantiation we don't know the inputs' shape...
    y = linear_layer(x)  # ...the weights are created on the first call.
    assert linear_layer.w.shape == (2, 4) and y.shape == (2, 4)


def thing_4() -> None:
    print("== 4) Training a layer with a GradientTape")
    # Instantiate our linear layer (defined above).
    linear_layer = Linear(10)
    # Instantiate a logistic loss function that expects integer targets.
    loss_fn = lx.losses.SparseCategoricalCrossentropy(from_logits=True)
    # Instantiate an optimizer.
    optimizer = lx.optimizers.SGD(learning_rate=1e-1)
    losses = []
    # Iterate over the batches of the dataset (eagerly: each operation runs on its own).
    for step, (x, y) in enumerate(make_dataset(batch_size=128)):
        # Open a GradientTape.
        with lx.GradientTape() as tape:
            # Forward pass.
            logits = linear_layer(x)
            # Loss value for this batch.
            loss = loss_fn(y, logits)
        # Get gradients of weights wrt the loss.
        gradients = tape.gradient(loss, linear_layer.trainable_weights)
        # Update the weights of our linear layer.
        optimizer.apply_gradients(zip(gradients, linear_layer.trainable_weights))
        losses.append(float(loss))
        if step % 5 == 0:
            print(step, float(loss))
    print(f"eager tape training: loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    assert losses[-1] < losses[0]


def thing_5() -> None:
    print("== 5) Non-trainable weights")
    my_sum = ComputeSum(2)
    x = jnp.ones((2, 2))
    y = my_sum(x)
    print(y.numpy())  # [2. 2.]
    y = my_sum(x)
    print(y.numpy())  # [4. 4.]
    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []
    np.testing.assert_allclose(y.numpy(), [4.0, 4.0])


def thing_6() -> None:
    print("== 6) Nested layers")
    mlp = MLP()
    # The first call to the `mlp` object will create the weights.
    y = mlp(jnp.ones(shape=(3, 64)))
    # Weights are recursively tracked.
    assert len(mlp.weights) == 6
    print("MLP weights:", [w.shape for w in mlp.weights])


def thing_7_8() -> None:
    print("== 7-8) add_loss, losses are reset at each top-level call")
    mlp = SparseMLP(1)
    y = mlp(jnp.ones((10, 10)))
    print(mlp.losses)  # List containing one float32 scalar
    assert len(mlp.losses) == 1
    mlp(jnp.ones((10, 10)))
    assert len(mlp.losses) == 1  # No accumulation.

    # Let's demonstrate how to use these losses in a training loop.
    mlp = SparseMLP(10)
    loss_fn = lx.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = lx.optimizers.SGD(learning_rate=1e-1)
    first = last = None
    for step, (x, y) in enumerate(make_dataset(batch_size=128, seed=1)):
        with lx.GradientTape() as tape:
            logits = mlp(x)
            loss = loss_fn(y, logits)
            # Add the extra losses created during the forward pass.
            loss += sum(mlp.losses)
            gradients = tape.gradient(loss, mlp.trainable_weights)
        optimizer.apply_gradients(zip(gradients, mlp.trainable_weights))
        if step % 5 == 0:
            print(step, float(loss))
        first = float(loss) if first is None else first
        last = float(loss)
    print(f"training with add_loss: loss {first:.3f} -> {last:.3f}")
    assert last < first


def thing_9() -> float:
    print("== 9) Compile a training step with lx.function")
    # Prepare our layer, loss, and optimizer.
    mlp = MLP()
    loss_fn = lx.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = lx.optimizers.SGD(learning_rate=1e-1)

    # Create a training step function.
    @lx.function  # Make it fast.
    def train_on_batch(x, y):
        with lx.GradientTape() as tape:
            logits = mlp(x)
            loss = loss_fn(y, logits)
            gradients = tape.gradient(loss, mlp.trainable_weights)
        optimizer.apply_gradients(zip(gradients, mlp.trainable_weights))
        return loss

    for epoch in range(15):
        for step, (x, y) in enumerate(make_dataset(batch_size=64, seed=epoch)):
            loss = train_on_batch(x, y)
        if epoch % 5 == 0:
            print(epoch, float(loss))
    digits = load_digits()
    x_all = (digits.data / 16.0).astype("float32")
    accuracy = float(jnp.mean(jnp.argmax(mlp(x_all), -1) == digits.target))
    print(f"lx.function training: accuracy {accuracy:.3f} "
          f"(traced {train_on_batch.trace_count} times)")
    return accuracy


def thing_10() -> None:
    print("== 10) The training flag")
    mlp = MLPWithDropout()
    y_train = mlp(jnp.ones((2, 2)), training=True)
    y_test = mlp(jnp.ones((2, 2)), training=False)
    # Inference is deterministic; training applies dropout.
    np.testing.assert_allclose(y_test, mlp(jnp.ones((2, 2)), training=False))
    print("train/test outputs differ:", bool(jnp.any(y_train != y_test)))


def thing_11() -> None:
    print("== 11) Built-in layers")
    # Reuse what exists: from Dense to Conv2D to LSTM, to Conv2DTranspose or ConvLSTM2D.
    x = jnp.ones((2, 8, 8, 1))
    y = layers.Conv2D(4, 3, padding="same")(x)
    y = layers.BatchNormalization()(y, training=True)
    y = layers.Conv2DTranspose(1, 3, strides=2, padding="same")(y)
    print("Conv2D -> BatchNormalization -> Conv2DTranspose:", x.shape, "->", y.shape)
    assert y.shape == (2, 16, 16, 1)
    sequence = jnp.ones((2, 5, 3))
    print("LSTM:", sequence.shape, "->", layers.LSTM(8)(sequence).shape)
    frames = jnp.ones((2, 3, 8, 8, 1))  # (batch, time, rows, cols, channels)
    print("ConvLSTM2D:", frames.shape, "->", layers.ConvLSTM2D(4, 3, padding="same")(frames).shape)


def thing_12() -> None:
    print("== 12) The Functional API")
    # We use an `Input` object to describe the shape and dtype of the inputs.
    # The shape argument is per-sample; it does not include the batch size.
    inputs = lx.Input(shape=(16,))
    # We call layers on these "type" objects and they return updated types.
    x = Linear(32)(inputs)  # We are reusing the Linear layer we defined earlier.
    x = Dropout(0.5)(x)  # We are reusing the Dropout layer we defined earlier.
    outputs = Linear(10)(x)
    # A functional `Model` can be defined by specifying inputs and outputs.
    # A model is itself a layer like any other.
    model = lx.Model(inputs, outputs)
    # A functional model already has weights, before being called on any data.
    assert len(model.weights) == 4
    # Let's call our model on some data, for fun.
    y = model(jnp.ones((2, 16)))
    assert y.shape == (2, 10)
    # You can pass a `training` argument in `__call__` (it goes down to the Dropout layer).
    y = model(jnp.ones((2, 16)), training=True)
    model.summary()


def main() -> float:
    lx.utils.set_random_seed(0)
    thing_1_to_3()
    thing_4()
    thing_5()
    thing_6()
    thing_7_8()
    accuracy = thing_9()
    thing_10()
    thing_11()
    thing_12()
    print(f"final accuracy {accuracy:.3f}")
    return accuracy


if __name__ == "__main__":
    main()

"""A tour of the Keras API, as listed in the article "Keras 相关推荐" (a Keras overview).

Each section of the article, with `keras` replaced by layerax, on the 8x8 digits:

* backend: `function` (read an inner layer), `int_shape`, `image_data_format`,
  `learning_phase`, `gradients`;
* models: Sequential and Functional; `compile` with an optimizer object with
  `clipnorm`; `fit` / `evaluate` / `predict`; training from a Python generator
  (what `fit_generator` did: `fit` takes generators); `layers`, `get_layer`, `pop`;
* layers: advanced activations (LeakyReLU, PReLU, ELU), merge layers
  (Concatenate, Dot with cosine normalization, and the `concatenate` function),
  Lambda, Highway, MaxoutDense, dilated ("atrous") convolution, Input;
  `name`, `trainable` (freezing for fine-tuning), `input` / `output`,
  `get_weights` / `set_weights`; a custom layer with `build`, `call` and
  `compute_output_shape` (Keras 1's `get_output_shape_for`);
* objectives with one-hot labels (`to_categorical`), optimizers, `History` and
  callbacks (EarlyStopping, LambdaCallback, a custom one);
* recurrent layers, wrappers (TimeDistributed, Bidirectional) and stateful RNNs
  are in examples/keras_tour_rnn.py.

Not ported: `utils.convert_kernel` / `convert_all_kernels_in_model` flipped
convolution kernels between Theano and TensorFlow; layerax has one convolution
convention (TensorFlow's, like Keras 3), so there is nothing to convert.

Run: python examples/keras_tour.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from sklearn.datasets import load_digits

import layerax as lx
from layerax import backend as K
from layerax import layers


def load_data():
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    perm = np.random.default_rng(0).permutation(len(x))
    x, labels = x[perm], digits.target[perm]
    y = lx.utils.to_categorical(labels, num_classes=10)  # one-hot for categorical_crossentropy
    return (x[:1200], y[:1200]), (x[1200:1500], y[1200:1500]), (x[1500:1750], y[1500:1750])


class RowColumnSums(layers.Layer):
    """A custom layer: the 8 row sums and 8 column sums of an 8x8 image, with a learned scale."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(16,), initializer="ones", name="scale")

    def call(self, inputs):
        images = jnp.reshape(inputs, (-1, 8, 8))
        sums = jnp.concatenate([images.sum(axis=2), images.sum(axis=1)], axis=-1)
        return sums * self.scale / 8.0

    def compute_output_shape(self, input_shape):  # Keras 1's get_output_shape_for
        return (input_shape[0], 16)


class BatchLossRecorder(lx.callbacks.Callback):
    """A custom callback: keeps the loss of every training batch."""

    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))


def build_model() -> lx.Model:
    pixels = lx.Input(shape=(64,), name="pixels")
    x = layers.Dense(64, name="hidden")(pixels)
    x = layers.LeakyReLU(negative_slope=0.1)(x)
    sums = RowColumnSums(name="row_column_sums")(pixels)
    s = layers.Dense(16)(sums)
    s = layers.PReLU()(s)
    merged = layers.Concatenate(name="merge")([x, s])
    merged = layers.Lambda(lambda t: t * 0.5, name="halve")(merged)
    hidden_2 = layers.Dense(32, name="hidden_2")(merged)
    hidden_2 = layers.ELU()(hidden_2)
    outputs = layers.Dense(10, activation="softmax", name="classes")(hidden_2)
    return lx.Model(pixels, outputs, name="tour")


def backend_section(model, x) -> None:
    print("== backend")
    get_hidden = K.function([model.input], [model.get_layer("hidden").output])
    hidden = get_hidden([x[:5]])[0]
    print("hidden activations:", K.int_shape(hidden), "image data format:", K.image_data_format())

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            print("   learning_phase inside a call with training =", training,
                  "->", K.learning_phase())
            return inputs

    Probe()(x[:1], training=True)
    Probe()(x[:1], training=False)
    w = lx.Variable(jnp.array([1.0, 2.0, 3.0]))
    print("gradients of sum(w**2):", K.gradients(lambda: jnp.sum(w**2), [w])[0].tolist())


def main() -> dict[str, float]:
    lx.utils.set_random_seed(0)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data()
    results = {}

    print("== a functional model: two branches merged with Concatenate")
    model = build_model()
    model.summary()

    backend_section(model, x_train)

    print("== compile / fit / evaluate / predict, with callbacks and History")
    optimizer = lx.optimizers.SGD(learning_rate=0.1, momentum=0.9, clipnorm=1.0)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    recorder = BatchLossRecorder()
    epochs_seen = []
    history = model.fit(
        x_train, y_train, batch_size=100, epochs=12, verbose=0,
        validation_data=(x_val, y_val),
        callbacks=[
            lx.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
            lx.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch)),
            recorder,
        ],
    )
    print("History keys:", sorted(history.history), "epochs run:", len(epochs_seen))
    print(f"batch losses recorded: {len(recorder.losses)}, first {recorder.losses[0]:.3f}, "
          f"last {recorder.losses[-1]:.3f}")
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=50, verbose=0)
    probabilities = model.predict(x_test[:3], verbose=0)
    print(f"test accuracy {accuracy:.4f}; "
          f"predictions for 3 images: {probabilities.argmax(-1).tolist()}")
    results["functional"] = accuracy

    print("== layers, get_layer, name, input/output")
    print([layer.name for layer in model.layers])
    hidden_layer = model.get_layer("hidden")
    features = lx.Model(model.input, hidden_layer.output)
    print("feature extractor from model.input to get_layer('hidden').output:",
          features.predict(x_test[:2], verbose=0).shape)

    print("== get_weights / set_weights")
    twin = build_model()  # same architecture, fresh weights
    twin.set_weights(model.get_weights())
    same = np.allclose(twin.predict(x_test, verbose=0), model.predict(x_test, verbose=0), atol=1e-6)
    print("weight shapes:", [w.shape for w in model.get_weights()][:4],
          "... twin predicts the same:", same)
    results["set_weights_same"] = float(same)

    print("== training from a Python generator (the fit_generator use case)")

    def batch_generator(x, y, batch_size):
        rng = np.random.default_rng(1)
        while True:  # endless, as Keras generators are
            idx = rng.integers(0, len(x), size=batch_size)
            # augmentation: a little noise on each image
            noisy = x[idx] + rng.normal(0, 0.05, size=x[idx].shape).astype("float32")
            yield noisy, y[idx]

    sequential = lx.Sequential([
        lx.Input(shape=(64,)),
        layers.Dense(64, activation="relu", name="base_1"),
        layers.Dense(32, activation="relu", name="base_2"),
        layers.Dense(10, activation="softmax", name="head"),
    ])
    sequential.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    sequential.fit(
        batch_generator(x_train, y_train, 50), steps_per_epoch=24, epochs=8,
        validation_data=batch_generator(x_val, y_val, 50), validation_steps=6, verbose=2,
    )
    _, gen_accuracy = sequential.evaluate(x_test, y_test, batch_size=50, verbose=0)
    print(f"test accuracy after training from a generator {gen_accuracy:.4f}")
    results["generator"] = gen_accuracy

    print("== pop and trainable: fine-tune a new head on a frozen base")
    sequential.pop()  # remove the 10-class head
    for layer in sequential.layers:
        layer.trainable = False
    sequential.add(layers.Dense(2, activation="softmax", name="is_zero_head"))
    print([(layer.name, layer.trainable) for layer in sequential.layers])
    frozen_before = sequential.get_layer("base_1").get_weights()[0].copy()
    y_zero = lx.utils.to_categorical(np.argmax(y_train, -1) == 0, num_classes=2)
    sequential.compile(optimizer=lx.optimizers.Adam(0.01), loss="categorical_crossentropy",
                       metrics=["accuracy"])
    sequential.fit(x_train, y_zero, batch_size=100, epochs=5, verbose=0)
    frozen_after = sequential.get_layer("base_1").get_weights()[0]
    y_zero_test = lx.utils.to_categorical(np.argmax(y_test, -1) == 0, num_classes=2)
    _, zero_accuracy = sequential.evaluate(x_test, y_zero_test, batch_size=50, verbose=0)
    print(f"frozen base unchanged: {np.array_equal(frozen_before, frozen_after)}; "
          f"'is it a zero?' accuracy {zero_accuracy:.4f}")
    results["frozen_unchanged"] = float(np.array_equal(frozen_before, frozen_after))
    results["finetuned"] = zero_accuracy

    print("== more layers: Dot (cosine), concatenate, Highway, MaxoutDense, atrous convolution")
    a, b = jnp.asarray(x_test[:4]), jnp.asarray(x_test[4:8])
    cosine = layers.Dot(axes=1, normalize=True)([a, b])
    expected = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    print("cosine similarity:", [f"{v:.3f}" for v in np.asarray(cosine)[:, 0]],
          "numpy:", [f"{v:.3f}" for v in expected])
    print("concatenate:", layers.concatenate([a, b]).shape)
    print("Highway:", layers.Highway()(a).shape,
          "MaxoutDense:", layers.MaxoutDense(8, nb_feature=4)(a).shape)
    atrous = layers.Conv2D(4, 3, dilation_rate=2)  # Keras 1's AtrousConvolution2D(atrous_rate=2)
    print("dilated convolution on 8x8:", atrous(jnp.ones((1, 8, 8, 1))).shape)
    results["cosine_error"] = float(np.max(np.abs(np.asarray(cosine)[:, 0] - expected)))
    return results


if __name__ == "__main__":
    out = main()
    print("results:", {k: round(v, 4) for k, v in out.items()})

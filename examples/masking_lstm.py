"""Masking: `Embedding(mask_zero=True)` tells an LSTM to skip the padding.

From "TensorFlow 2.x: three ways to build models" (section 3.3, the `mask`
argument). `MyLayer` is the article's layer: it computes the mask with
`self.embedding.compute_mask(inputs)` and passes it to the LSTM by hand. In a
Functional model the same mask flows from the Embedding to the LSTM by itself.

The data are variable-length sequences of tokens 1..49, padded at the end with
zeros (`pad_sequences(padding="post")`). The label is whether the *last real*
token is even, so a model must know where each sequence ends. The example
checks that the masked model's output does not depend on how much padding
follows a sequence.

Run: python examples/masking_lstm.py
"""

from __future__ import annotations

import numpy as np

import layerax as lx
from layerax import layers

VOCAB = 50
MAX_LEN = 12


class MyLayer(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(input_dim=VOCAB, output_dim=16, mask_zero=True)
        self.lstm = layers.LSTM(32)

    def call(self, inputs):
        x = self.embedding(inputs)
        # Note that you could also prepare a `mask` tensor manually.
        # It only needs to be a boolean tensor
        # with the right shape, i.e. (batch_size, timesteps).
        mask = self.embedding.compute_mask(inputs)
        output = self.lstm(x, mask=mask)  # The layer will ignore the masked values
        return output


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, MAX_LEN + 1, size=n)
    sequences = [list(rng.integers(1, VOCAB, size=length)) for length in lengths]
    x = lx.utils.pad_sequences(sequences, maxlen=MAX_LEN, padding="post")
    y = np.array([seq[-1] % 2 == 0 for seq in sequences], dtype="int32")
    return x.astype("int32"), y


def main() -> dict[str, float]:
    lx.utils.set_random_seed(0)
    x_train, y_train = make_data(1200, seed=0)
    x_test, y_test = make_data(500, seed=1)
    print("a padded batch:\n", x_train[:3])

    # The article's layer inside a subclassed model.
    class Classifier(lx.Model):
        def __init__(self):
            super().__init__()
            self.encoder = MyLayer()
            self.head = layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            return self.head(self.encoder(inputs))

    # The same network in the Functional API: the mask propagates by itself.
    inputs = lx.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=VOCAB, output_dim=16, mask_zero=True)(inputs)
    x = layers.LSTM(32)(x)
    functional = lx.Model(inputs, layers.Dense(1, activation="sigmoid")(x))

    results = {}
    candidates = (
        ("MyLayer (explicit mask)", Classifier()),
        ("Functional (implicit mask)", functional),
    )
    for name, model in candidates:
        model.compile(optimizer=lx.optimizers.Adam(5e-3), loss="binary_crossentropy")
        model.fit(x_train, y_train, batch_size=100, epochs=5, verbose=0)
        probabilities = model.predict(x_test, batch_size=100, verbose=0)[:, 0]
        accuracy = float(np.mean((probabilities > 0.5) == y_test))
        # Padding the same sequences to twice the length must not change the outputs.
        longer = np.pad(x_test[:100], ((0, 0), (0, MAX_LEN)))
        on_longer = model.predict(longer, verbose=0)[:, 0]
        difference = float(np.max(np.abs(on_longer - probabilities[:100])))
        print(f"{name}: test accuracy {accuracy:.4f}, "
              f"output change with {MAX_LEN} more padding steps {difference:.1e}")
        results[name] = accuracy
        results[name + " padding change"] = difference
    return results


if __name__ == "__main__":
    main()

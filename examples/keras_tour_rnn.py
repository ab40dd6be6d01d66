"""The Keras tour, recurrent part: RNN layers, wrappers, stateful RNNs and unroll.

The article "Keras 相关推荐" (a Keras overview) lists, besides the layers of
examples/keras_tour.py:

* recurrent layers (SimpleRNN, LSTM, GRU);
* wrappers: `TimeDistributed` applies a layer to every time step, and
  `Bidirectional` runs a recurrent layer both ways ("LSTM into BLSTM");
* `stateful=True`: the final states of a batch become the initial states of the
  next one, until `reset_states()`;
* `unroll=True`: the recurrence unrolled, trading memory for speed.

This script checks each on generated sequences. A bidirectional GRU with a
`TimeDistributed` head tags every step of a sequence with "is the next value
larger?", which needs the future, hence both directions. A stateful LSTM fed a
sequence in chunks gives the output of one pass over the whole sequence. An
unrolled LSTM computes what the looped one computes.

Run: python examples/keras_tour_rnn.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import layerax as lx
from layerax import layers

STEPS = 10


def tagging_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random walks; the tag of step t says whether step t + 1 is higher (the last: 0)."""
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=(n, STEPS, 1)), axis=1).astype("float32")
    tags = np.zeros((n, STEPS, 1), dtype="float32")
    tags[:, :-1, 0] = x[:, 1:, 0] > x[:, :-1, 0]
    return x, tags


def main() -> dict[str, float]:
    lx.utils.set_random_seed(0)
    results = {}

    print("== recurrent layers")
    sequence = jnp.asarray(np.random.default_rng(0).normal(size=(2, STEPS, 3)).astype("float32"))
    for layer in (layers.SimpleRNN(4), layers.GRU(4, return_sequences=True),
                  layers.LSTM(4, return_state=True)):
        out = layer(sequence)
        shapes = [o.shape for o in out] if isinstance(out, (list, tuple)) else out.shape
        print(f"{type(layer).__name__}({layer.units}, return_sequences={layer.return_sequences}, "
              f"return_state={layer.return_state}): {shapes}")

    print("== Bidirectional + TimeDistributed: tag each step with 'does the walk go up next?'")
    x_train, y_train = tagging_data(1000, seed=0)
    x_test, y_test = tagging_data(200, seed=1)
    model = lx.Sequential([
        lx.Input(shape=(STEPS, 1)),
        layers.Bidirectional(layers.GRU(16, return_sequences=True), merge_mode="concat"),
        layers.TimeDistributed(layers.Dense(1, activation="sigmoid")),
    ])
    model.summary()
    model.compile(optimizer=lx.optimizers.Adam(1e-2), loss="binary_crossentropy")
    model.fit(x_train, y_train, batch_size=100, epochs=8, verbose=2)
    predicted = model.predict(x_test, batch_size=100, verbose=0) > 0.5
    # The last step has no next value; score the others.
    accuracy = float(np.mean(predicted[:, :-1] == (y_test[:, :-1] > 0.5)))
    print(f"per-step tagging accuracy {accuracy:.4f}")
    results["bidirectional"] = accuracy

    print("== stateful: a sequence fed in chunks continues where the last chunk stopped")
    long_sequence = np.random.default_rng(2).normal(size=(4, 3 * STEPS, 3)).astype("float32")
    whole = layers.LSTM(8)
    expected = np.asarray(whole(long_sequence))  # one pass over 30 steps
    stateful = layers.LSTM(8, stateful=True)
    stateful(long_sequence[:, :STEPS])  # build (and run the first chunk)
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    for start in range(0, 3 * STEPS, STEPS):  # three chunks of 10 steps
        chunked = np.asarray(stateful(long_sequence[:, start : start + STEPS]))
    difference = float(np.max(np.abs(chunked - expected)))
    print(f"three stateful chunks vs one pass: max difference {difference:.1e}")
    stateful.reset_states()
    first_chunk_again = np.asarray(stateful(long_sequence[:, :STEPS]))
    fresh = np.asarray(whole(long_sequence[:, :STEPS]))
    reset_difference = float(np.max(np.abs(first_chunk_again - fresh)))
    print(f"after reset_states(), the first chunk again: max difference {reset_difference:.1e}")
    results["stateful"] = difference
    results["reset"] = reset_difference

    print("== unroll=True computes the same as the loop")
    looped = layers.LSTM(8)
    unrolled = layers.LSTM(8, unroll=True)
    looped(long_sequence[:, :STEPS])
    unrolled(long_sequence[:, :STEPS])
    unrolled.set_weights(looped.get_weights())
    chunk = long_sequence[:, :STEPS]
    unroll_difference = float(np.max(np.abs(np.asarray(unrolled(chunk) - looped(chunk)))))
    print(f"unrolled vs looped LSTM: max difference {unroll_difference:.1e}")
    results["unroll"] = unroll_difference
    return results


if __name__ == "__main__":
    out = main()
    print("results:", {k: float(f"{v:.4g}") for k, v in out.items()})

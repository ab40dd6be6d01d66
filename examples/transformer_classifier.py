"""A Transformer text classifier (MultiHeadAttention) on synthetic token sequences.

The model of Keras' "Text classification with Transformer" example, with
`keras` replaced by layerax: a `TokenAndPositionEmbedding` layer, a
`TransformerBlock` (self-attention, feed-forward network, residual
connections, layer normalization, dropout), average pooling and a classifier.

The task needs both attention and positions. Every sequence holds one token
`A` and one token `B` among random filler tokens; the label says whether `A`
comes before `B`. A bag-of-words model cannot solve it: both classes contain
the same tokens.

Run: python examples/transformer_classifier.py
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import layerax as lx
from layerax import layers

VOCAB_SIZE = 20
MAXLEN = 16
TOKEN_A, TOKEN_B = 1, 2


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = lx.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = jnp.shape(x)[-1]
        positions = jnp.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(3, VOCAB_SIZE, size=(n, MAXLEN))  # filler tokens 3..19
    for row in x:
        i, j = rng.choice(MAXLEN, size=2, replace=False)
        row[i], row[j] = TOKEN_A, TOKEN_B
    y = (np.argmax(x == TOKEN_A, axis=1) < np.argmax(x == TOKEN_B, axis=1)).astype("int32")
    return x.astype("int32"), y


def main() -> float:
    lx.utils.set_random_seed(0)
    x_train, y_train = make_data(2000, seed=0)
    x_val, y_val = make_data(500, seed=1)
    print(f"{len(x_train)} training sequences, {y_train.mean():.0%} with A before B")

    embed_dim = 32  # Embedding size for each token
    num_heads = 2  # Number of attention heads
    ff_dim = 32  # Hidden layer size in feed forward network inside transformer

    inputs = layers.Input(shape=(MAXLEN,), dtype="int32")
    embedding_layer = TokenAndPositionEmbedding(MAXLEN, VOCAB_SIZE, embed_dim)
    x = embedding_layer(inputs)
    transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    model = lx.Model(inputs=inputs, outputs=outputs)
    model.summary()

    model.compile(optimizer=lx.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=50, epochs=12,
                        validation_data=(x_val, y_val), verbose=2)
    accuracy = history.history["val_accuracy"][-1]
    print(f"validation accuracy {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()

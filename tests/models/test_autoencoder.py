"""The encoder-decoder autoencoder of the functional API guide (models used as layers).

`test_conv_autoencoder_*` needs Conv2D, MaxPooling2D, GlobalMaxPooling2D, Reshape,
Conv2DTranspose and UpSampling2D from `lx.layers` (written in parallel with the
models package); the Dense version checks the same structure meanwhile.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

import layerax as lx
from tests.helpers import assert_close, keras

IMAGES = np.random.default_rng(7).uniform(size=(2, 28, 28, 1)).astype("float32")
SMALL_IMAGES = IMAGES[:, :8, :8]


# ------------------------------------------------------ the guide, verbatim
def conv_autoencoder(api: Any) -> tuple[Any, Any]:
    layers = api.layers
    encoder_input = api.Input(shape=(28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder_output = layers.GlobalMaxPooling2D()(x)
    encoder = api.Model(encoder_input, encoder_output, name="encoder")

    x = layers.Reshape((4, 4, 1))(encoder_output)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder_output = layers.Conv2DTranspose(1, 3, activation="relu")(x)
    autoencoder = api.Model(encoder_input, decoder_output, name="autoencoder")
    return encoder, autoencoder


def composed_conv_autoencoder(api: Any) -> tuple[Any, Any, Any]:
    """The same, with encoder and decoder as separate models called like layers."""
    layers = api.layers
    encoder_input = api.Input(shape=(28, 28, 1), name="original_img")
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    encoder = api.Model(encoder_input, layers.GlobalMaxPooling2D()(x), name="encoder")

    decoder_input = api.Input(shape=(16,), name="encoded_img")
    x = layers.Reshape((4, 4, 1))(decoder_input)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    decoder = api.Model(decoder_input, layers.Conv2DTranspose(1, 3, activation="relu")(x), name="decoder")

    autoencoder_input = api.Input(shape=(28, 28, 1), name="img")
    autoencoder = api.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
    return encoder, decoder, autoencoder


def footer(model: Any) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lambda text, line_break=False: lines.append(text))
    return [line.rstrip() for line in "".join(lines).splitlines() if "params:" in line]


def test_conv_autoencoder_matches_keras():
    k = keras()
    encoder, autoencoder = conv_autoencoder(lx)
    k_encoder, k_autoencoder = conv_autoencoder(k)
    assert encoder.output_shape == (None, 16)
    assert autoencoder.output_shape == (None, 28, 28, 1)
    assert [type(layer).__name__ for layer in autoencoder.layers] == [
        type(layer).__name__ for layer in k_autoencoder.layers
    ]
    assert footer(autoencoder) == footer(k_autoencoder)
    assert encoder.count_params() == k_encoder.count_params()
    autoencoder.set_weights(k_autoencoder.get_weights())
    # Compiled calls: one compilation per model instead of one per eager operation.
    run = jax.jit(lambda model, x: model(x))
    assert_close(run(autoencoder, IMAGES), jax.jit(k_autoencoder)(IMAGES), rtol=1e-4, atol=1e-5)
    assert_close(run(encoder, IMAGES), jax.jit(k_encoder)(IMAGES), rtol=1e-4, atol=1e-5)


def test_conv_autoencoder_from_models_called_like_layers():
    encoder, decoder, autoencoder = composed_conv_autoencoder(lx)
    assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]
    assert autoencoder.output_shape == (None, 28, 28, 1)
    assert len(autoencoder.weights) == len(encoder.weights) + len(decoder.weights)
    assert_close(autoencoder(IMAGES), decoder(encoder(IMAGES)), rtol=1e-5, atol=1e-6)


# ------------------------------------------- the same structure with Dense
def dense_autoencoder(api: Any) -> tuple[Any, Any, Any]:
    # Small 8x8 images keep the weights (and their compilation) small.
    layers = api.layers
    encoder_input = api.Input(shape=(8, 8, 1), name="original_img")
    x = layers.Dense(4, activation="relu", name="enc_hidden")(layers.Flatten(name="flatten")(encoder_input))
    encoder = api.Model(encoder_input, layers.Dense(16, name="code")(x), name="encoder")
    decoder_input = api.Input(shape=(16,), name="encoded_img")
    x = layers.Dense(64, activation="sigmoid", name="dec_out")(decoder_input)
    decoder = api.Model(decoder_input, layers.Reshape((8, 8, 1), name="image")(x), name="decoder")
    autoencoder_input = api.Input(shape=(8, 8, 1), name="img")
    autoencoder = api.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
    return encoder, decoder, autoencoder


def test_dense_autoencoder_structure_matches_keras():
    k = keras()
    encoder, decoder, autoencoder = dense_autoencoder(lx)
    k_encoder, k_decoder, k_autoencoder = dense_autoencoder(k)
    assert encoder.output_shape == (None, 16) and decoder.output_shape == (None, 8, 8, 1)
    assert autoencoder.output_shape == (None, 8, 8, 1)
    assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]
    assert footer(autoencoder) == footer(k_autoencoder)
    autoencoder.set_weights(k_autoencoder.get_weights())
    assert_close(autoencoder(SMALL_IMAGES), np.asarray(k_autoencoder(SMALL_IMAGES)), rtol=1e-5, atol=1e-6)
    # The nested models are the same objects: training the autoencoder trains the encoder.
    assert autoencoder.get_layer("encoder") is encoder
    assert_close(encoder(SMALL_IMAGES), np.asarray(k_encoder(SMALL_IMAGES)), rtol=1e-5, atol=1e-6)
    # The whole graph, nested models included, survives a config round trip.
    rebuilt = lx.Model.from_config(autoencoder.get_config())
    rebuilt.set_weights(autoencoder.get_weights())
    assert_close(rebuilt(SMALL_IMAGES), autoencoder(SMALL_IMAGES), rtol=1e-6)

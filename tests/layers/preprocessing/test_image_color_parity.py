"""Colour/mixing image layers against Keras 3 (JAX backend).

Random layers: Keras draws a transformation, both layers apply it with `transform_images`
(value parity); our own draws have Keras' keys, shapes and ranges. Deterministic layers
(Equalization, AutoContrast, Solarization with fixed arguments) are compared by calling
them. `get_config()` entries equal Keras'.
"""

from __future__ import annotations

import warnings
from typing import Any

import jax
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

SHAPES = [(3, 6, 7, 3), (2, 5, 4, 3)]

# name, config, value range of the test images.
RANDOM = [
    ("RandomContrast", {"factor": 0.5}, 255),
    ("RandomBrightness", {"factor": (-0.3, 0.4)}, 255),
    ("RandomHue", {"factor": 0.8}, 255),
    ("RandomSaturation", {"factor": (0.2, 0.9), "value_range": (0, 1)}, 1),
    ("RandomGrayscale", {"factor": 0.5}, 255),
    ("RandomSharpness", {"factor": 0.7}, 255),
    ("RandomInvert", {}, 255),
    ("RandomPosterization", {"factor": (2, 6)}, 255),
    ("RandomColorDegeneration", {"factor": 0.6}, 255),
    ("RandomGaussianBlur", {"factor": 0.8, "sigma": (0.5, 1.0)}, 255),
    ("RandomErasing", {"scale": (0.1, 0.5), "fill_value": 7.0}, 255),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": (0.4, 0.9)}, 255),
    ("CutMix", {"factor": 0.8}, 255),
    ("MixUp", {"alpha": 0.5}, 255),
]


def _images(shape: tuple[int, ...], high: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, high, shape).astype("float32")


def _plain(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _check_config(ours: Any, theirs: Any) -> None:
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config), set(ours_config) ^ set(theirs_config)
    for key, value in theirs_config.items():
        if key not in ("name", "dtype"):
            assert _plain(ours_config[key]) == _plain(value), (key, ours_config[key], value)


def _keras_transformation(layer: Any, x: np.ndarray) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' MixUp asks for int64 (truncated to int32)
        t = layer.get_random_transformation(x, training=True)
    return jax.tree.map(np.asarray, t)


@pytest.mark.parametrize("name,config,high", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_layer_transform_parity(name: str, config: dict[str, Any], high: float) -> None:
    k = keras()
    ours = getattr(lx.layers, name)(**config, seed=1)
    theirs = getattr(k.layers, name)(**config, seed=1)
    _check_config(ours, theirs)
    for i, shape in enumerate(SHAPES):
        x = _images(shape, high, i)
        t = _keras_transformation(theirs, x)
        # Both sides compiled: one compilation per shape instead of one per eager op.
        expected = np.asarray(jax.jit(theirs.transform_images)(x, t))
        assert_close(jax.jit(ours.transform_images)(x, t), expected, rtol=1e-4,
                     atol=2e-3 * high)
        if i:
            continue
        # Our own draw: Keras' keys, shapes and dtypes kinds.
        mine = ours.get_random_transformation(x, training=True)
        assert jax.tree.structure(jax.tree.map(np.asarray, mine)) == jax.tree.structure(t)
        for a, b in zip(jax.tree.leaves(mine), jax.tree.leaves(t)):
            assert np.shape(a) == np.shape(b)
            assert np.asarray(a).dtype.kind == np.asarray(b).dtype.kind
        # training=False is the identity.
        assert_close(ours(x, training=False), x)


def _draw_summary(layer: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    t = layer.get_random_transformation(x, training=True)
    if not isinstance(t, dict):
        t = {"t": t}
    return {k: np.asarray(v, np.float32) for k, v in t.items()
            if k not in ("batch_masks", "fill_value")}


@pytest.mark.parametrize("name,config", [
    ("RandomContrast", {"factor": (0.2, 0.6)}),
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomHue", {"factor": (0.1, 0.7)}),
    ("RandomSaturation", {"factor": 0.4}),
    ("RandomGrayscale", {"factor": 0.3}),
    ("RandomInvert", {"factor": 0.6}),
    ("RandomPosterization", {"factor": 5}),
    ("RandomErasing", {"factor": 0.5, "scale": 0.4}),
    ("MixUp", {"alpha": 0.4}),
])
def test_random_draws_match_keras_distribution(name: str, config: dict[str, Any]) -> None:
    """Means, minima and maxima of 400 per-image draws agree with Keras' draws."""
    k = keras()
    x = np.zeros((400, 4, 4, 3), np.float32)
    ours = _draw_summary(getattr(lx.layers, name)(**config, seed=3), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' MixUp asks for int64 (truncated to int32)
        theirs = _draw_summary(getattr(k.layers, name)(**config, seed=3), x)
    assert set(ours) == set(theirs)
    if "permutation_order" in ours:
        assert sorted(ours.pop("permutation_order").tolist()) == list(range(len(x)))
        theirs.pop("permutation_order")
    for key in theirs:
        a, b = ours[key].ravel(), theirs[key].ravel()
        spread = max(float(b.std()), 1e-3)
        assert abs(a.mean() - b.mean()) < 0.25 * spread + 1e-3, (key, a.mean(), b.mean())
        assert a.min() >= b.min() - 0.1 * spread - 1e-3 and a.max() <= b.max() + 0.1 * spread + 1e-3


@pytest.mark.parametrize("name,config", [
    ("Equalization", {"bins": 12}),
    ("Equalization", {"value_range": (0, 1), "bins": 8}),
    ("AutoContrast", {}),
    ("AutoContrast", {"value_range": (0, 1)}),
    ("Solarization", {"value_range": (0, 1)}),
])
def test_deterministic_layers_equal_keras(name: str, config: dict[str, Any]) -> None:
    k = keras()
    ours = getattr(lx.layers, name)(**config)
    theirs = getattr(k.layers, name)(**config)
    _check_config(ours, theirs)
    high = config.get("value_range", (0, 255))[1]
    for i, shape in enumerate(SHAPES):
        x = np.round(_images(shape, 255, i + 5)) * (high / 255)
        x[0, ..., 1] = x[0, 0, 0, 1]  # a constant channel
        # (Keras' JAX Equalization loops over the bins in Python: few bins keep it quick.)
        assert_close(ours(x), np.asarray(theirs(x)), rtol=1e-5, atol=1e-4 * high)
        if i == 0:
            assert_close(ours(x[0]), np.asarray(theirs(x[:1]))[0], rtol=1e-5,
                         atol=1e-4 * high)
        assert_close(ours(x, training=False), x)


def test_color_jitter_and_policies_configs_and_steps() -> None:
    k = keras()
    config = {"brightness_factor": 0.2, "contrast_factor": (0.1, 0.3),
              "saturation_factor": (0.4, 0.6), "hue_factor": 0.1, "value_range": (0, 1)}
    ours, theirs = lx.layers.RandomColorJitter(**config), k.layers.RandomColorJitter(**config)
    _check_config(ours, theirs)
    # The jitter is its steps in order: with each step's transformation, the same values.
    x = _images(SHAPES[0], 1.0)
    t = ours.get_random_transformation(x)
    expected = x
    for name, step in (("random_brightness", theirs.random_brightness),
                       ("random_contrast", theirs.random_contrast),
                       ("random_saturation", theirs.random_saturation),
                       ("random_hue", theirs.random_hue)):
        expected = np.asarray(step.transform_images(expected, jax.tree.map(np.asarray, t[name])))
    assert_close(ours.transform_images(x, t), expected, rtol=1e-4, atol=1e-3)
    _check_config(lx.layers.RandAugment(num_ops=3, factor=0.3),
                  k.layers.RandAugment(num_ops=3, factor=0.3))
    _check_config(lx.layers.AugMix(num_chains=2, all_ops=False),
                  k.layers.AugMix(num_chains=2, all_ops=False))


def test_rand_augment_applies_the_chosen_layers() -> None:
    """With Keras' sub-layer transformations, each chosen op gives Keras' sub-layer output."""
    k = keras()
    ours, theirs = lx.layers.RandAugment(num_ops=2), k.layers.RandAugment(num_ops=2)
    x = np.round(_images((2, 6, 6, 3), 255, 9))
    names = ours._AUGMENT_LAYERS
    transforms = jax.jit(lambda v: ours.get_random_transformation(
        v, seed=jax.random.key(0))["transforms"])(x)
    # Brightness then auto-contrast (eagerly); solarization then sharpness (compiled).
    for idxes, compiled in (([3, 9], False), ([8, 6], True)):
        t = {"transforms": transforms, "layer_idxes": np.asarray(idxes, np.int32)}
        expected = x
        for i in idxes:
            sub = getattr(theirs, names[i])
            tt = jax.tree.map(np.asarray, transforms[names[i]])
            expected = np.asarray(sub.transform_images(expected, tt))
        apply = jax.jit(ours.transform_images) if compiled else ours.transform_images
        assert_close(apply(x, t), expected, rtol=1e-4, atol=0.05)


def test_aug_mix_takes_keras_transformation() -> None:
    """A transformation in Keras' form (chains of named steps) gives Keras' values."""
    k = keras()
    config = {"num_chains": 2, "chain_depth": 2, "all_ops": False, "seed": 4}
    ours, theirs = lx.layers.AugMix(**config), k.layers.AugMix(**config)
    x = np.round(_images((2, 5, 5, 3), 255, 11))

    def step(name: str) -> dict[str, Any]:
        drawn = getattr(theirs, name).get_random_transformation(x)
        return {"layer_name": name, "transformation": jax.tree.map(np.asarray, drawn)}

    t = {"chain_mixing_weights": np.asarray([0.3, 0.7], np.float32),
         "weight_sample": np.asarray(0.4, np.float32),
         "chain_transforms": [[step("solarization"), step("random_posterization")],
                              [step("auto_contrast")]]}
    assert_close(ours.transform_images(x, t), np.asarray(theirs.transform_images(x, t)),
                 rtol=1e-4, atol=0.05)
    # (Our own draws run compiled in test_image_color_layers' fit step.)


@pytest.mark.parametrize("name,kwargs", [
    ("RandomContrast", {"factor": 1.5}),
    ("RandomBrightness", {"factor": 2.0}),
    ("RandomBrightness", {"factor": 0.1, "value_range": (0,)}),
    ("RandomHue", {"factor": -0.5}),
    ("RandomGrayscale", {"factor": 1.2}),
    ("RandomPosterization", {"factor": 9}),
    ("RandomGaussianBlur", {"kernel_size": 4}),
    ("RandomErasing", {"fill_value": (1, 2)}),
    ("Solarization", {"addition_factor": 2.0}),
    ("Equalization", {"value_range": 255}),
    ("MixUp", {"alpha": -1.0}),
    ("RandAugment", {"factor": 3.0}),
])
def test_bad_arguments(name: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=name if name != "RandAugment" else "factor"):
        getattr(lx.layers, name)(**kwargs)


def test_bad_rank_and_channels() -> None:
    with pytest.raises(ValueError, match="rank 3"):
        lx.layers.RandomContrast(0.2)(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="3 channels"):
        lx.layers.RandomColorDegeneration(0.2).compute_output_shape((None, 4, 4, 1))


def _numpy_equalize(x: np.ndarray, bins: int = 256) -> np.ndarray:
    out = np.empty_like(x)
    for c in range(x.shape[-1]):
        channel = x[..., c]
        index = np.clip((channel * (bins - 1) / 255.0).astype(np.int64), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        cdf = np.cumsum(hist)
        low = cdf[np.nonzero(cdf)[0][0]]
        table = np.clip(np.round((cdf - low) * 255 / max(cdf[-1] - low, 1)), 0, 255)
        equalized = table[np.clip(channel / 255.0 * (bins - 1), 0, bins - 1).astype(np.int64)]
        out[..., c] = channel if np.count_nonzero(hist) <= 1 else equalized
    return out


def test_equalization_default_bins_against_numpy() -> None:
    for i, shape in enumerate(SHAPES):
        x = np.round(_images(shape, 255, i))
        x[..., 2] = 17.0
        assert_close(lx.layers.Equalization()(x), _numpy_equalize(x), atol=1e-4)

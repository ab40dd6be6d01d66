"""Augmentation policies: RandAugment and AugMix.

Both pick, per call, which of their augmentation layers to apply. The choice is a drawn
integer (not a Python-side choice), so that a compiled `fit` step picks again at every step:
under a trace only the chosen layer runs (`lax.switch`), and eagerly the drawn index picks the
layer to run.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from layerax.layers.preprocessing.image.affine import RandomRotation, RandomShear, RandomTranslation
from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer
from layerax.layers.preprocessing.image.color import (
    RandomBrightness,
    RandomColorDegeneration,
    RandomContrast,
)
from layerax.layers.preprocessing.image.tone import (
    AutoContrast,
    Equalization,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)

_GEOMETRIC = ("random_shear", "random_translation", "random_rotation")
_TONE = ("random_posterization", "solarization", "auto_contrast", "equalization")
_COLOR = ("random_brightness", "random_color_degeneration", "random_contrast", "random_sharpness")


def _make_layers(owner: Any, factor: tuple, value_range: Any, interpolation: str,
                 seed: int | None, data_format: str | None, names: tuple[str, ...],
                 kwargs: dict[str, Any]) -> None:
    """Sets the augmentation layers `names` on `owner` with Keras' settings for a policy."""
    # Only the dtype carries over from the policy's own arguments (a shared `name` would not).
    kwargs = {k: v for k, v in kwargs.items() if k == "dtype"}
    common = {"seed": seed, "data_format": data_format, **kwargs}
    colour = {"value_range": value_range, **common}
    makers = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor,
                                            interpolation=interpolation, **common),
        "random_translation": lambda: RandomTranslation(
            height_factor=factor, width_factor=factor, interpolation=interpolation, **common),
        "random_rotation": lambda: RandomRotation(factor=factor, interpolation=interpolation,
                                                  **common),
        "random_brightness": lambda: RandomBrightness(factor=factor, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor=factor, **colour),
        "random_contrast": lambda: RandomContrast(factor=factor, **colour),
        "random_sharpness": lambda: RandomSharpness(factor=factor, **colour),
        "random_posterization": lambda: RandomPosterization(
            factor=max(1, int(8 * factor[1])), **colour),
        "solarization": lambda: Solarization(addition_factor=factor, threshold_factor=factor,
                                             **colour),
        "auto_contrast": lambda: AutoContrast(value_range=value_range, data_format=data_format,
                                              **kwargs),
        "equalization": lambda: Equalization(value_range=value_range, data_format=data_format,
                                             **kwargs),
    }
    for name in names:
        layer = makers[name]()
        layer.bounding_box_format = owner.bounding_box_format
        setattr(owner, name, layer)


def _is_traced(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def _apply_chosen(layers: list[Any], transforms: list[Any], index: Any, images: jax.Array,
                  dtype: Any) -> jax.Array:
    """`layers[index].transform_images(images, transforms[index])`; `index == len(layers)`
    (or beyond) leaves the images unchanged."""
    branches = [
        (lambda x, layer=layer, t=t: layer.transform_images(x, t).astype(dtype))
        for layer, t in zip(layers, transforms)
    ] + [lambda x: x.astype(dtype)]
    if _is_traced(images) or _is_traced(index):
        return jax.lax.switch(jnp.clip(index, 0, len(layers)), branches, images)
    return branches[min(max(int(index), 0), len(layers))](images)


class _Policy(BaseImagePreprocessingLayer):
    """The candidate order of a policy (private): its own list, not the dict's key order,
    which `jax.jit` sorts."""

    _USE_BASE_FACTOR = False
    _order: tuple[str, ...] = ()

    def _layer_order(self, transforms: dict[str, Any]) -> list[str]:
        return [name for name in self._order if name in transforms]


class RandAugment(_Policy):
    """RandAugment: `num_ops` augmentations chosen at random from a fixed list, per call.

    The candidates are shear, translation, rotation, brightness, colour degeneration,
    contrast, sharpness, posterization, solarization, auto-contrast and equalization, all
    with strength `factor`. Each call draws one transformation for every candidate and
    `num_ops` indices (the same for the whole batch).

    Args:
        value_range: The `(low, high)` range of the pixel values.
        num_ops: How many augmentations to apply in sequence.
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair: the strength.
        interpolation: `"bilinear"` or `"nearest"`, for the geometric candidates.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.RandAugment(num_ops=1, seed=0)
        >>> layer(np.random.rand(2, 4, 4, 3).astype("float32") * 255).shape
        (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)
    _AUGMENT_LAYERS = (*_GEOMETRIC, *_COLOR, "random_posterization", "solarization",
                       "auto_contrast", "equalization")

    def __init__(self, value_range: Any = (0, 255), num_ops: int = 2, factor: Any = 0.5,
                 interpolation: str = "bilinear", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: `num_ops` should be a non-negative integer. "
                             f"Received: num_ops={num_ops}")
        self.value_range = value_range
        self.num_ops = num_ops
        self._set_factor(factor)
        self.interpolation = interpolation
        self._set_seed(seed)
        self._order = self._AUGMENT_LAYERS
        _make_layers(self, self.factor, value_range, interpolation, seed, data_format,
                     self._AUGMENT_LAYERS, kwargs)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        keys = jax.random.split(self._next_key(seed), len(self._AUGMENT_LAYERS) + 1)
        indices = jax.random.randint(keys[0], (self.num_ops,), 0, len(self._AUGMENT_LAYERS))
        transforms = {
            name: getattr(self, name).get_random_transformation(data, training=True, seed=key)
            for name, key in zip(self._AUGMENT_LAYERS, keys[1:])
        }
        return {"transforms": transforms, "layer_idxes": indices}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        names = self._layer_order(transformation["transforms"])
        layers = [getattr(self, n) for n in names]
        transforms = [transformation["transforms"][n] for n in names]
        for i in range(self.num_ops):
            images = _apply_chosen(layers, transforms, transformation["layer_idxes"][i],
                                   images, self.compute_dtype)
        return images

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        names = self._layer_order(transformation["transforms"])
        masks = jnp.asarray(segmentation_masks)
        for i in range(self.num_ops):
            index = transformation["layer_idxes"][i]
            for j, name in enumerate(names):
                moved = getattr(self, name).transform_segmentation_masks(
                    masks, transformation["transforms"][name])
                masks = jnp.where(index == j, jnp.asarray(moved).astype(masks.dtype), masks)
        return masks

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        if not training or transformation is None:
            return bounding_boxes
        out = dict(bounding_boxes)
        for i in range(self.num_ops):
            index = transformation["layer_idxes"][i]
            for j, name in enumerate(self._layer_order(transformation["transforms"])):
                layer = getattr(self, name)
                if name in _GEOMETRIC:
                    moved = layer.transform_bounding_boxes(dict(out),
                                                           transformation["transforms"][name])
                else:
                    moved = out
                for key in ("boxes", "labels"):
                    out[key] = jnp.where(index == j, moved[key], out[key])
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation, "seed": self.seed}


class AugMix(_Policy):
    """AugMix: a random convex mix of `num_chains` augmentation chains, blended with the input.

    Each chain applies `chain_depth` steps; each step is one candidate augmentation or none,
    drawn at random per call (the same for the whole batch). The chains are mixed by
    Dirichlet(`alpha`) weights and the result blended with the input by a Beta(`alpha`,
    `alpha`) weight, then clipped to `value_range`. With `all_ops=False` the colour
    candidates (brightness, colour degeneration, contrast, sharpness) are left out.

    Args:
        value_range: The `(low, high)` range of the pixel values.
        num_chains: Number of chains.
        chain_depth: Steps per chain.
        factor: A number in [0, 1] (meaning `(0, f)`) or a pair: the strength.
        alpha: Concentration of the Dirichlet and Beta draws.
        all_ops: Whether the colour candidates are included.
        interpolation: `"bilinear"` or `"nearest"`, for the geometric candidates.
        seed: Integer seed of the layer's `SeedGenerator`.
        data_format: `"channels_last"` (default) or `"channels_first"`.
        **kwargs: Base layer arguments.

    Input shape:
        A batch of images (rank 4), one image (rank 3), or a dict with `"images"`.

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.AugMix(num_chains=1, chain_depth=1, all_ops=False, seed=0)
        >>> layer(np.random.rand(2, 4, 4, 3).astype("float32") * 255).shape
        (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, value_range: Any = (0, 255), num_chains: int = 3, chain_depth: int = 3,
                 factor: Any = 0.3, alpha: float = 1.0, all_ops: bool = True,
                 interpolation: str = "bilinear", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        for name, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"AugMix: `{name}` should be a positive integer. "
                                 f"Received: {name}={value}")
        self.value_range = value_range
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self._set_factor(factor)
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self._set_seed(seed)
        self._augment_layers = (*_GEOMETRIC, *_TONE, *(_COLOR if all_ops else ()))
        self._order = self._augment_layers
        _make_layers(self, self.factor, value_range, interpolation, seed, data_format,
                     self._augment_layers, kwargs)

    def get_random_transformation(self, data: Any, training: bool = True,
                                  seed: Any = None) -> Any:
        if not training:
            return None
        names = self._augment_layers
        k_mix, k_weight, k_steps = jax.random.split(self._next_key(seed), 3)
        mixing = jax.random.dirichlet(k_mix, jnp.full((self.num_chains,), self.alpha,
                                                      jnp.float32))
        weight = jax.random.beta(k_weight, self.alpha, self.alpha, (), jnp.float32)
        step_keys = jax.random.split(k_steps, self.num_chains * self.chain_depth)
        chains = []
        for c in range(self.num_chains):
            steps = []
            for d in range(self.chain_depth):
                keys = jax.random.split(step_keys[c * self.chain_depth + d], len(names) + 1)
                steps.append({
                    # len(names) means "no augmentation at this step" (Keras' None choice).
                    "layer_index": jax.random.randint(keys[0], (), 0, len(names) + 1),
                    "transformations": {
                        name: getattr(self, name).get_random_transformation(
                            data, training=True, seed=key)
                        for name, key in zip(names, keys[1:])
                    },
                })
            chains.append(steps)
        return {"chain_mixing_weights": mixing, "weight_sample": weight,
                "chain_transforms": chains}

    def _run_step(self, step: dict[str, Any], images: jax.Array, masks: bool = False) -> Any:
        """One chain step, in Keras' form (`layer_name`) or ours (`layer_index`)."""
        if "layer_name" in step:
            layer = getattr(self, step["layer_name"])
            if masks:
                return layer.transform_segmentation_masks(images, step["transformation"])
            return layer.transform_images(images, step["transformation"])
        names = self._layer_order(step["transformations"])
        layers = [getattr(self, n) for n in names]
        transforms = [step["transformations"][n] for n in names]
        if not masks:
            return _apply_chosen(layers, transforms, step["layer_index"], images,
                                 self.compute_dtype)
        out = images
        for j, (layer, t) in enumerate(zip(layers, transforms)):
            moved = jnp.asarray(layer.transform_segmentation_masks(images, t))
            out = jnp.where(step["layer_index"] == j, moved.astype(images.dtype), out)
        return out

    def _mix(self, values: jax.Array, transformation: Any, masks: bool = False) -> jax.Array:
        dtype = values.dtype
        mixing = jnp.asarray(transformation["chain_mixing_weights"], dtype)
        weight = jnp.asarray(transformation["weight_sample"], dtype)
        mixed = jnp.zeros_like(values)
        for c, chain in enumerate(transformation["chain_transforms"]):
            out = values
            for step in chain:
                out = jnp.asarray(self._run_step(step, out, masks)).astype(dtype)
            mixed = mixed + out * mixing[c]
        return weight * values + (1 - weight) * mixed

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images, self.compute_dtype)
        if not training or transformation is None:
            return images
        mixed = self._mix(images, transformation)
        return jnp.clip(mixed, self.value_range[0], self.value_range[1]).astype(
            self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, transformation: Any,
                                     training: bool = True) -> Any:
        if not training or transformation is None:
            return segmentation_masks
        masks = jnp.asarray(segmentation_masks)
        return self._mix(masks.astype(jnp.result_type(masks, jnp.float32)), transformation,
                         masks=True)

    def transform_bounding_boxes(self, bounding_boxes: dict[str, Any], transformation: Any,
                                 training: bool = True) -> dict[str, Any]:
        return bounding_boxes

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation, "seed": self.seed}

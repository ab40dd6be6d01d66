"""`ContrastLimitedAdaptiveHistogramEqualization` (CLAHE), Keras 3.15's algorithm."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from layerax.layers.preprocessing.image.base import BaseImagePreprocessingLayer

_BINS = 256


def _tile_cdfs(tiles: Any, clip_limit: float, tile_pixels: int) -> Any:
    """Per-tile equalization maps `(..., 256)` in `[0, 255]` from integer pixels `(..., P)`."""
    lead = tiles.shape[:-1]
    flat = tiles.reshape(-1, tiles.shape[-1])
    rows = jnp.arange(flat.shape[0])[:, None]
    # A scatter-add histogram: the same counts as a sum of one-hot rows, without the P x 256 array.
    hists = jnp.zeros((flat.shape[0], _BINS), "float32").at[rows, flat].add(1.0)
    hists = hists.reshape(lead + (_BINS,))
    if clip_limit > 0:
        limit = jnp.asarray(clip_limit * tile_pixels / float(_BINS), hists.dtype)
        clipped = jnp.clip(hists, 0, limit)
        hists = clipped + jnp.sum(hists - clipped, axis=-1, keepdims=True) / float(_BINS)
    cdf = jnp.cumsum(hists, axis=-1)
    low = jnp.min(cdf, axis=-1, keepdims=True)
    span = jnp.asarray(tile_pixels, cdf.dtype) - low
    span = jnp.where(span == 0, jnp.ones_like(span), span)
    return jnp.clip((cdf - low) * 255.0 / span, 0, 255)


def _neighbours(size: int, tile: int, grid: int) -> tuple[Any, Any, Any]:
    """For each pixel row (or column): the two tile indices around it (in the edge-padded
    grid of `grid + 2` tiles) and the weight of the second."""
    pos = (jnp.arange(size, dtype="float32") - tile / 2.0) / tile + 1.0
    first = jnp.floor(pos)
    weight = pos - first
    lo = jnp.clip(first, 0, grid + 1).astype("int32")
    hi = jnp.clip(first + 1.0, 0, grid + 1).astype("int32")
    return lo, hi, weight


def clahe(images: Any, clip_limit: float, tile_grid_size: tuple[int, int]) -> Any:
    """CLAHE of float `(B, H, W, C)` images with values in `[0, 255]`."""
    batch, height, width, channels = images.shape
    grid_h, grid_w = (int(g) for g in tile_grid_size)
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
    if pad_h or pad_w:
        images = jnp.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    pixels = jnp.clip(images.astype("int32"), 0, _BINS - 1)
    tiles = pixels.reshape(batch, grid_h, tile_h, grid_w, tile_w, channels)
    tiles = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(batch, grid_h, grid_w, channels, -1)
    cdf = _tile_cdfs(tiles, clip_limit, tile_h * tile_w)
    # Repeat the border tiles so every pixel has four neighbouring maps to blend.
    cdf = jnp.pad(cdf, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")
    y0, y1, wy = _neighbours(tile_h * grid_h, tile_h, grid_h)
    x0, x1, wx = _neighbours(tile_w * grid_w, tile_w, grid_w)
    b = jnp.arange(batch)[:, None, None, None]
    c = jnp.arange(channels)[None, None, None, :]
    ys = (y0[None, :, None, None], y1[None, :, None, None])
    xs = (x0[None, None, :, None], x1[None, None, :, None])

    def look(y: Any, x: Any) -> Any:
        return cdf[b, y, x, c, pixels]

    wx = wx[None, None, :, None]
    wy = wy[None, :, None, None]
    top = look(ys[0], xs[0]) * (1.0 - wx) + look(ys[0], xs[1]) * wx
    bottom = look(ys[1], xs[0]) * (1.0 - wx) + look(ys[1], xs[1]) * wx
    out = top * (1.0 - wy) + bottom * wy
    return out[:, :height, :width, :]


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Contrast Limited Adaptive Histogram Equalization (CLAHE).

    The image is cut into a grid of tiles; each tile's histogram (256 bins),
    clipped at `clip_limit` times the mean bin count with the excess spread
    evenly, gives an equalization map, and each pixel blends the maps of its
    four nearest tiles bilinearly. The layer is deterministic: it applies at
    inference too. Values are mapped from `value_range` to `[0, 255]` and
    back, and the result is cast to the input's dtype. Histograms use a
    scatter-add rather than Keras' one-hot sum (same counts, less memory).

    Args:
        value_range: `(low, high)` of the input values. Defaults to `(0, 255)`.
        clip_limit: Contrast limit (0 or less: plain adaptive equalization).
        tile_grid_size: `(rows, columns)` of tiles.
        data_format: `"channels_last"` or `"channels_first"`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`
        (channels first with `data_format="channels_first"`).

    Output shape:
        Same as the input.

    Example:
        >>> import layerax as lx, numpy as np
        >>> x = np.random.default_rng(0).uniform(0, 255, (1, 16, 16, 3)).astype("float32")
        >>> lx.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))(x).shape
        (1, 16, 16, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), clip_limit: float = 4.0,
                 tile_grid_size: Any = (8, 8), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        name = type(self).__name__
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"{name}: `value_range` must be a tuple or list of two numbers "
                             f"(low, high). Received: value_range={value_range!r}")
        if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
                or not all(isinstance(g, int) and g > 0 for g in tile_grid_size)):
            raise ValueError(f"{name}: `tile_grid_size` must be two positive integers (rows, "
                             f"columns). Received: tile_grid_size={tile_grid_size!r}")
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float)):
            raise TypeError(f"{name}: `clip_limit` must be a number. Received: "
                            f"clip_limit={clip_limit!r}")
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images: Any, transformation: Any = None,
                         training: bool = True) -> Any:
        images = jnp.asarray(images)
        dtype = images.dtype
        if self.data_format == "channels_first":
            images = jnp.moveaxis(images, -3, -1)
        work = self._transform_value_range(images.astype("float32"), self.value_range, (0, 255))
        work = clahe(work, float(self.clip_limit), tuple(self.tile_grid_size))
        work = self._transform_value_range(work, (0, 255), self.value_range)
        out = work.astype(dtype)
        return jnp.moveaxis(out, -1, -3) if self.data_format == "channels_first" else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}

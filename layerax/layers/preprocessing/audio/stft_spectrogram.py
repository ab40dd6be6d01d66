"""`STFTSpectrogram`: a spectrogram layer whose DFT is a (trainable) strided convolution."""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import jax
import jax.numpy as jnp

from layerax import config as _config
from layerax import ops
from layerax.core.input_spec import InputSpec
from layerax.core.layer import Layer
from layerax.initializers.stft import STFT, _scipy_window

_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _convolve(inputs: jax.Array, kernel: Any, frame_step: int, padding: str,
              data_format: str) -> jax.Array:
    """Every channel through `kernel`: `(batch, channels, freq, frames)`."""
    if data_format == "channels_last":
        _, time, channels = inputs.shape
        signals = jnp.transpose(inputs, (0, 2, 1)).reshape(-1, time, 1)
    else:
        _, channels, time = inputs.shape
        signals = inputs.reshape(-1, 1, time)
    out = ops.conv(signals, jnp.asarray(kernel, inputs.dtype), strides=frame_step,
                   padding=padding, data_format=data_format)
    if data_format == "channels_last":
        out = jnp.transpose(out, (0, 2, 1))
    return out.reshape(-1, channels, out.shape[1], out.shape[2])


def _arrange(x: jax.Array, data_format: str, expand_dims: bool) -> jax.Array:
    """`(batch, channels, freq, frames)` to the output layout."""
    batch, channels, freq, frames = x.shape
    if data_format == "channels_last":
        if expand_dims:
            return jnp.transpose(x, (0, 3, 2, 1))
        return jnp.transpose(x.reshape(batch, channels * freq, frames), (0, 2, 1))
    if expand_dims:
        return jnp.transpose(x, (0, 1, 3, 2))
    return x.reshape(batch, channels * freq, frames)


@functools.partial(jax.jit, static_argnames=("mode", "frame_step", "padding", "data_format",
                                             "expand_dims"))
def _stft_forward(inputs: jax.Array, real_kernel: Any, imag_kernel: Any, *, mode: str,
                  frame_step: int, padding: str, data_format: str,
                  expand_dims: bool) -> jax.Array:
    def arrange(x: jax.Array) -> jax.Array:
        return _arrange(x, data_format, expand_dims)

    real = imag = None
    if real_kernel is not None:
        real = _convolve(inputs, real_kernel, frame_step, padding, data_format)
    if imag_kernel is not None:
        imag = _convolve(inputs, imag_kernel, frame_step, padding, data_format)
    if mode == "real":
        return arrange(real)
    if mode == "imag":
        return arrange(imag)
    if mode == "angle":
        return arrange(jnp.arctan2(imag, real))
    if mode == "stft":
        return arrange(jnp.concatenate([real, imag], axis=2))
    power = jnp.square(real) + jnp.square(imag)
    if mode == "psd":
        # One-sided density: the bins between DC and Nyquist count twice.
        inner = jnp.pad(power[:, :, 1:-1, :], ((0, 0), (0, 0), (1, 1), (0, 0)))
        return arrange(power + inner)
    eps = _config.epsilon()
    magnitude = arrange(jnp.sqrt(jnp.maximum(power, eps)))
    if mode == "magnitude":
        return magnitude
    return jnp.log(jnp.maximum(magnitude, eps))


class STFTSpectrogram(Layer):
    """Computes the spectrogram of a (multi-channel) signal with a convolution.

    The real and imaginary parts of the windowed DFT are two convolution kernels
    (`real_kernel`, `imag_kernel`, initialized by `lx.initializers.STFT`), applied to
    each channel with stride `frame_step`. The kernels are trainable weights: the layer
    starts as an exact STFT and can be fine-tuned.

    Args:
        mode: `"log"` (default: log magnitude), `"magnitude"`, `"psd"` (power spectral
            density, the inner bins doubled), `"real"`, `"imag"`, `"angle"` (phase) or
            `"stft"` (real and imaginary parts concatenated along the frequency axis).
        frame_length: Window length in samples.
        frame_step: Step between windows (default `frame_length // 2`); in
            `[1, frame_length]`.
        fft_length: DFT size (default the next power of two of `frame_length`); at least
            `frame_length`. Gives `fft_length // 2 + 1` frequency bins.
        window: A SciPy window name, an array of `frame_length` values, or None.
        periodic: Use the periodic form of a named window.
        scaling: `"density"` (default), `"spectrum"` or None (see `lx.initializers.STFT`).
        padding: `"valid"` or `"same"` (of the convolution along time).
        expand_dims: Keep the frequency and channel axes separate (a 4-D output) instead of
            merging them.
        data_format: `"channels_last"` (`(batch, time, channels)` inputs, the default) or
            `"channels_first"`.

    Input shape:
        `(batch, time, channels)` (channels_last) or `(batch, channels, time)`.

    Output shape:
        channels_last: `(batch, frames, channels * freq)`, or `(batch, frames, freq,
        channels)` with `expand_dims=True`; channels_first: `(batch, channels * freq,
        frames)`, or `(batch, channels, frames, freq)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.STFTSpectrogram(mode="magnitude", frame_length=8, window=None)
        >>> layer(np.ones((1, 32, 1), "float32")).shape
        (1, 7, 5)
    """

    def __init__(self, mode: str = "log", frame_length: int = 256, frame_step: int | None = None,
                 fft_length: int | None = None, window: Any = "hann", periodic: bool = False,
                 scaling: str | None = "density", padding: str = "valid",
                 expand_dims: bool = False, data_format: str | None = None,
                 **kwargs: Any) -> None:
        if frame_step is not None and (frame_step > frame_length or frame_step < 1):
            raise ValueError(
                "STFTSpectrogram: `frame_step` should be a positive integer not greater than "
                f"`frame_length`. Received: frame_step={frame_step}, frame_length={frame_length}"
            )
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                "STFTSpectrogram: `fft_length` should be at least `frame_length`. Received: "
                f"fft_length={fft_length}, frame_length={frame_length}"
            )
        if fft_length is not None and (fft_length & -fft_length) != fft_length:
            warnings.warn(
                "STFTSpectrogram: `fft_length` is recommended to be a power of two. Received: "
                f"fft_length={fft_length}",
                stacklevel=2,
            )
        if mode not in _MODES:
            raise ValueError(
                f"STFTSpectrogram: `mode` must be one of {', '.join(_MODES)}. Received: "
                f"mode={mode!r}"
            )
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                "STFTSpectrogram: `scaling` must be None, 'density' or 'spectrum'. Received: "
                f"scaling={scaling!r}"
            )
        if padding not in ("valid", "same"):
            raise ValueError(
                "STFTSpectrogram: `padding` must be 'valid' or 'same'. Received: "
                f"padding={padding!r}"
            )
        if isinstance(window, str):
            _scipy_window(window, 1, periodic)  # an unknown window name raises here
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or 2 ** int(math.ceil(math.log2(frame_length)))
        self.window = window
        self.periodic = periodic
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = expand_dims
        self.data_format = _config.standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape: Any) -> None:
        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(
                name="real_kernel", shape=shape,
                initializer=STFT("real", self.window, self.scaling, self.periodic))
        if self.mode != "real":
            self.imag_kernel = self.add_weight(
                name="imag_kernel", shape=shape,
                initializer=STFT("imag", self.window, self.scaling, self.periodic))

    def call(self, inputs: Any) -> jax.Array:
        inputs = jnp.asarray(inputs)
        if inputs.dtype not in (jnp.float16, jnp.float32, jnp.float64):
            raise TypeError(
                "STFTSpectrogram: invalid input type. Expected float16, float32 or float64. "
                f"Received: input type={inputs.dtype}"
            )
        real = self.real_kernel.value if self.mode != "imag" else None
        imag = self.imag_kernel.value if self.mode != "real" else None
        # One compiled program per input shape, eager calls included.
        return _stft_forward(inputs, real, imag, mode=self.mode, frame_step=self._frame_step,
                             padding=self.padding, data_format=self.data_format,
                             expand_dims=self.expand_dims)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            batch, time, channels = shape
        else:
            batch, channels, time = shape
        freq = self._fft_length // 2 + 1
        if self.mode == "stft":
            freq *= 2
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = (time - self.frame_length) // self._frame_step + 1
        if self.expand_dims:
            if self.data_format == "channels_last":
                return (batch, frames, freq, channels)
            return (batch, channels, frames, freq)
        merged = None if channels is None else freq * channels
        if self.data_format == "channels_last":
            return (batch, frames, merged)
        return (batch, merged, frames)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if window is not None and not isinstance(window, str):
            window = jnp.asarray(window).tolist()
        return {
            **super().get_config(),
            "mode": self.mode,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "window": window,
            "periodic": self.periodic,
            "scaling": self.scaling,
            "padding": self.padding,
            "data_format": self.data_format,
            "expand_dims": self.expand_dims,
        }

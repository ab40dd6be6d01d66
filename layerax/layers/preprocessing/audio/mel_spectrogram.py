"""`MelSpectrogram`: a (log-)mel spectrogram of raw audio, with Keras' mel filter bank."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.core.layer import Layer
from layerax.ops.math import stft

# HTK's mel scale: mel(f) = 1127 * ln(1 + f / 700).
_MEL_BREAK_HZ = 700.0
_MEL_Q = 1127.0


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    return _MEL_Q * np.log1p(hz / _MEL_BREAK_HZ)


def linear_to_mel_weight_matrix(num_mel_bins: int, num_spectrogram_bins: int,
                                sampling_rate: float, lower_edge_hertz: float,
                                upper_edge_hertz: float) -> np.ndarray:
    """Triangular mel filters (peak 1, linear in mel), `(num_spectrogram_bins, num_mel_bins)`.

    The spectrogram bins are evenly spaced on `[0, sampling_rate / 2]`; the DC bin gets no
    weight (HTK). The `num_mel_bins + 2` band edges are evenly spaced in mel between the
    two edge frequencies; band `i` rises from edge `i` to edge `i + 1` and falls to `i + 2`.
    """
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins, dtype=np.float32)[1:]
    bins_mel = _hz_to_mel(freqs.astype(np.float64))[:, None]
    edges = np.linspace(_hz_to_mel(np.float64(lower_edge_hertz)),
                        _hz_to_mel(np.float64(upper_edge_hertz)), num_mel_bins + 2)
    lower, center, upper = edges[None, :-2], edges[None, 1:-1], edges[None, 2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, ((1, 0), (0, 0))).astype(np.float32)


def _mel_forward(x: jax.Array, mel: jax.Array, *, sequence_length: int, sequence_stride: int,
                 fft_length: int, window: Any, mag_exp: float,
                 db: tuple[float, float, float] | None) -> jax.Array:
    """The spectrogram, mel bands and (with `db`: min power, ref power, top dB) decibels,
    as `(..., num_mel_bins, frames)`."""
    real, imag = stft(x, sequence_length, sequence_stride, fft_length, window=window,
                      center=True)
    spec = jnp.power(jnp.sqrt(jnp.square(real) + jnp.square(imag)), mag_exp)
    out = jnp.tensordot(spec, mel, axes=1)
    if db is not None:
        min_power, ref_power, top_db = db
        out = 10.0 * jnp.log10(jnp.maximum(out, min_power))
        out = out - 10.0 * np.log10(max(abs(ref_power), min_power))
        # The floor is relative to the maximum over the whole input (all examples), as Keras.
        out = jnp.maximum(out, jnp.max(out) - top_db)
    return jnp.swapaxes(out, -1, -2)


_mel_forward_jit = jax.jit(
    _mel_forward,
    static_argnames=("sequence_length", "sequence_stride", "fft_length", "window", "mag_exp",
                     "db"),
)


class MelSpectrogram(Layer):
    """Converts raw audio to a mel spectrogram, in decibels by default.

    The signal is framed (centred, reflect-padded), windowed and Fourier transformed
    (`lx.ops.stft`); the magnitude raised to `mag_exp` is mapped to `num_mel_bins`
    triangular mel bands on `[min_freq, max_freq]`, then (with `power_to_db`) converted
    to decibels relative to `ref_power`, floored at `min_power` and clipped to `top_db`
    below the maximum (the maximum over the whole input, as in Keras).

    Args:
        fft_length: FFT size.
        sequence_stride: Samples between frames.
        sequence_length: Window length (default `fft_length`); at most `fft_length`.
        window: `"hann"`, `"hamming"` or None.
        sampling_rate: Sampling rate of the signal, in Hz.
        num_mel_bins: Number of mel bands.
        min_freq: Lower edge of the lowest band, in Hz.
        max_freq: Upper edge of the highest band (default `sampling_rate / 2`).
        power_to_db: Convert to decibels.
        top_db: Dynamic range kept below the maximum, in dB.
        mag_exp: Exponent of the magnitude (1: magnitude, 2: power).
        min_power: Floor of the power before the logarithm.
        ref_power: The power of 0 dB.

    Input shape:
        `(batch, samples)` or `(samples,)`.

    Output shape:
        `(batch, num_mel_bins, frames)` or `(num_mel_bins, frames)`, with
        `frames = 1 + samples // sequence_stride`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> layer = lx.layers.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8)
        >>> layer(np.random.default_rng(0).normal(size=(2, 160)).astype("float32")).shape
        (2, 8, 11)
    """

    def __init__(self, fft_length: int = 2048, sequence_stride: int = 512,
                 sequence_length: int | None = None, window: Any = "hann",
                 sampling_rate: int = 16000, num_mel_bins: int = 128, min_freq: float = 20.0,
                 max_freq: float | None = None, power_to_db: bool = True, top_db: float = 80.0,
                 mag_exp: float = 2.0, min_power: float = 1e-10, ref_power: float = 1.0,
                 **kwargs: Any) -> None:
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length or fft_length
        if self.fft_length < self.sequence_length:
            raise ValueError(
                "MelSpectrogram: `fft_length` must be greater than or equal to "
                f"`sequence_length`. Received: sequence_length={self.sequence_length}, "
                f"fft_length={self.fft_length}."
            )
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq or int(sampling_rate / 2)
        self.power_to_db = power_to_db
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        super().__init__(**kwargs)

    def _mel_matrix(self) -> np.ndarray:
        return linear_to_mel_weight_matrix(self.num_mel_bins, self.fft_length // 2 + 1,
                                           self.sampling_rate, self.min_freq, self.max_freq)

    def call(self, inputs: Any) -> jax.Array:
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        x = jnp.asarray(inputs, dtype)
        options = dict(
            sequence_length=self.sequence_length, sequence_stride=self.sequence_stride,
            fft_length=self.fft_length, window=self.window, mag_exp=float(self.mag_exp),
            db=(float(self.min_power), float(self.ref_power), float(self.top_db))
            if self.power_to_db else None,
        )
        mel = jnp.asarray(self._mel_matrix(), dtype)
        # One compiled program per input shape (eager calls too); a window given as an array
        # is not hashable, so that case runs op by op.
        forward = _mel_forward_jit if isinstance(self.window, (str, type(None))) else _mel_forward
        return forward(x, mel, **options).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        shape = tuple(input_shape)
        samples = shape[-1]
        frames = None
        if samples is not None:
            padded = samples + 2 * (self.fft_length // 2)
            frames = (padded - self.fft_length) // self.sequence_stride + 1
        return (*shape[:-1], self.num_mel_bins, frames)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "fft_length": self.fft_length,
            "sequence_stride": self.sequence_stride,
            "sequence_length": self.sequence_length,
            "window": self.window,
            "sampling_rate": self.sampling_rate,
            "num_mel_bins": self.num_mel_bins,
            "min_freq": self.min_freq,
            "max_freq": self.max_freq,
            "power_to_db": self.power_to_db,
            "top_db": self.top_db,
            "mag_exp": self.mag_exp,
            "min_power": self.min_power,
            "ref_power": self.ref_power,
        }

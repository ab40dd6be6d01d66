"""Math ops of `keras.ops`: segment reductions, top-k, FFTs and STFTs, special functions.

Complex results of the FFT family are, as in Keras, `(real, imag)` tuples, and complex inputs
are passed the same way.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax.ops.nn import _float, _t

__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2", "in_top_k",
    "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "stft", "top_k", "view_as_complex", "view_as_real",
]


def _num_segments(segment_ids: jax.Array, num_segments: int | None, op: str) -> int:
    if num_segments is not None:
        return int(num_segments)
    if isinstance(segment_ids, jax.core.Tracer):
        raise ValueError(
            f"`{op}` needs `num_segments` under jax.jit (the output shape must be static). "
            f"Pass num_segments=... . Received: num_segments=None"
        )
    return int(jnp.max(segment_ids)) + 1 if segment_ids.size else 0


def _segment(reduce: Any, op: str, data: Any, segment_ids: Any, num_segments: int | None,
             sorted: bool) -> jax.Array:
    ids = _t(segment_ids)
    return reduce(_t(data), ids, _num_segments(ids, num_segments, op), indices_are_sorted=sorted)


def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> jax.Array:
    """Sum of the rows of `data` in each segment (rows with segment id `i` go to output `i`).

    Args:
        data: Array whose first axis is split into segments.
        segment_ids: Integer id of each row, `(data.shape[0],)`.
        num_segments: Number of segments (needed under jit; inferred from the ids otherwise).
        sorted: Whether the ids are sorted (a hint).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.segment_sum(np.array([1, 2, 3]), np.array([0, 0, 1]), 2).tolist()
        [3, 3]
    """
    return _segment(jax.ops.segment_sum, "segment_sum", data, segment_ids, num_segments, sorted)


def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> jax.Array:
    """Maximum of the rows of `data` in each segment (empty segments: the dtype's lowest).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.segment_max(np.array([1, 2, 3]), np.array([0, 0, 1]), 2).tolist()
        [2, 3]
    """
    return _segment(jax.ops.segment_max, "segment_max", data, segment_ids, num_segments, sorted)


def segment_min(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> jax.Array:
    """Minimum of the rows of `data` in each segment.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.segment_min(np.array([1, 2, 3]), np.array([0, 0, 1]), 2).tolist()
        [1, 3]
    """
    return _segment(jax.ops.segment_min, "segment_min", data, segment_ids, num_segments, sorted)


def segment_prod(data: Any, segment_ids: Any, num_segments: int | None = None,
                 sorted: bool = False) -> jax.Array:
    """Product of the rows of `data` in each segment.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.segment_prod(np.array([1, 2, 3]), np.array([0, 0, 1]), 2).tolist()
        [2, 3]
    """
    return _segment(jax.ops.segment_prod, "segment_prod", data, segment_ids, num_segments, sorted)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[jax.Array, jax.Array]:
    """The `k` largest values along the last axis and their indices (always sorted).

    Example:
        >>> import layerax as lx
        >>> values, indices = lx.ops.math.top_k([1.0, 3.0, 2.0], 2)
        >>> values.tolist(), indices.tolist()
        ([3.0, 2.0], [1, 2])
    """
    return jax.lax.top_k(_t(x), k)


def in_top_k(targets: Any, predictions: Any, k: int) -> jax.Array:
    """Whether each target's prediction is among the `k` largest of its row (NaN never is).

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.in_top_k(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]), 1).tolist()
        [True, False]
    """
    predictions = _t(predictions)
    at_target = jnp.take_along_axis(predictions, _t(targets)[..., None].astype("int32"), axis=-1)
    at_target = jnp.where(jnp.isnan(at_target), -jnp.inf, at_target)
    return jnp.sum(predictions > at_target, axis=-1) < k


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> jax.Array:
    """`log(sum(exp(x)))` over `axis`, computed stably.

    Example:
        >>> import layerax as lx
        >>> round(float(lx.ops.math.logsumexp([0.0, 0.0])), 4)
        0.6931
    """
    axis = tuple(axis) if isinstance(axis, list) else axis
    return jax.scipy.special.logsumexp(_float(x), axis=axis, keepdims=keepdims)


def cdist(x: Any, y: Any) -> jax.Array:
    """Euclidean distances between the rows of `x` `(..., P, M)` and of `y` `(..., R, M)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.math.cdist([[0.0, 0.0]], [[3.0, 4.0]]).tolist()
        [[5.0]]
    """
    x, y = _float(x), _float(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            "`cdist` expects x (..., P, M) and y (..., R, M) of rank >= 2 with the same last "
            f"axis. Received: x.shape={x.shape}, y.shape={y.shape}"
        )
    diff = x[..., :, None, :] - y[..., None, :, :]
    return jnp.sqrt(jnp.sum(diff * diff, axis=-1))


def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> jax.Array:
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis.

    Returns:
        `(..., num_sequences, sequence_length)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.extract_sequences(np.arange(5), 3, 2).tolist()
        [[0, 1, 2], [2, 3, 4]]
    """
    x = _t(x)
    if x.shape[-1] < sequence_length:
        raise ValueError(
            f"`extract_sequences`: the last axis ({x.shape[-1]}) is shorter than "
            f"sequence_length={sequence_length}."
        )
    count = (x.shape[-1] - sequence_length) // sequence_stride + 1
    index = np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return x[..., index]


def _complex(x: Any, op: str) -> jax.Array:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"`{op}` takes a complex input as a tuple `(real, imag)` of two float arrays, as "
            f"in Keras. Received: {type(x).__name__}"
        )
    real, imag = _t(x[0]), _t(x[1])
    if real.shape != imag.shape:
        raise ValueError(f"`{op}`: real and imaginary parts must have the same shape. Received: "
                         f"{real.shape} and {imag.shape}")
    if not (jnp.issubdtype(real.dtype, jnp.floating) and jnp.issubdtype(imag.dtype, jnp.floating)):
        raise ValueError(f"`{op}`: real and imaginary parts must be float arrays. Received: "
                         f"{real.dtype} and {imag.dtype}")
    return jax.lax.complex(real, imag)


def _parts(z: jax.Array) -> tuple[jax.Array, jax.Array]:
    return jnp.real(z), jnp.imag(z)


def fft(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """Discrete Fourier transform along the last axis of a `(real, imag)` pair.

    Example:
        >>> import layerax as lx, numpy as np
        >>> real, imag = lx.ops.math.fft((np.ones(2, np.float32), np.zeros(2, np.float32)))
        >>> real.tolist(), imag.tolist()
        ([2.0, 0.0], [0.0, 0.0])
    """
    return _parts(jnp.fft.fft(_complex(x, "fft")))


def fft2(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """2-D discrete Fourier transform over the last two axes of a `(real, imag)` pair.

    Example:
        >>> import layerax as lx, numpy as np
        >>> real, _ = lx.ops.math.fft2((np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)))
        >>> real.tolist()
        [[4.0, 0.0], [0.0, 0.0]]
    """
    return _parts(jnp.fft.fft2(_complex(x, "fft2")))


def ifft2(x: tuple[Any, Any]) -> tuple[jax.Array, jax.Array]:
    """Inverse 2-D discrete Fourier transform over the last two axes of a `(real, imag)` pair.

    Example:
        >>> import layerax as lx, numpy as np
        >>> real, _ = lx.ops.math.ifft2((np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)))
        >>> real.tolist()
        [[1.0, 0.0], [0.0, 0.0]]
    """
    return _parts(jnp.fft.ifft2(_complex(x, "ifft2")))


def rfft(x: Any, fft_length: int | None = None) -> tuple[jax.Array, jax.Array]:
    """Fourier transform of a real signal along the last axis: `fft_length // 2 + 1` bins.

    Example:
        >>> import layerax as lx, numpy as np
        >>> real, imag = lx.ops.math.rfft(np.ones(4, np.float32))
        >>> real.tolist()
        [4.0, 0.0, 0.0]
    """
    return _parts(jnp.fft.rfft(_float(x), n=fft_length, axis=-1))


def irfft(x: tuple[Any, Any], fft_length: int | None = None) -> jax.Array:
    """Inverse of `rfft`: a real signal of `fft_length` samples from `(real, imag)` bins.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.irfft((np.array([4.0, 0, 0], np.float32),
        ...                    np.zeros(3, np.float32))).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    return jnp.fft.irfft(_complex(x, "irfft"), n=fft_length, axis=-1)


def _window(window: Any, sequence_length: int, fft_length: int, dtype: Any) -> jax.Array | None:
    """The analysis window, zero-padded (centred) to `fft_length`; None for no window."""
    if window is None:
        return None
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f"A string `window` must be 'hann' or 'hamming'. Received: window={window!r}"
            )
        # Periodic windows (the DFT-even form used for spectral analysis).
        phase = 2 * np.pi * np.arange(sequence_length) / sequence_length
        a = 0.5 if window == "hann" else 0.54
        win = jnp.asarray(a - (1 - a) * np.cos(phase), dtype)
    else:
        win = _t(window).astype(dtype)
        if win.shape != (sequence_length,):
            raise ValueError(f"`window` must have shape ({sequence_length},) (sequence_length). "
                             f"Received: window.shape={win.shape}")
    left = (fft_length - sequence_length) // 2
    return jnp.pad(win, (left, fft_length - sequence_length - left))


def stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int,
         window: Any = "hann", center: bool = True) -> tuple[jax.Array, jax.Array]:
    """Short-time Fourier transform along the last axis.

    Args:
        x: Real signal `(..., samples)`, float32 or float64.
        sequence_length: Window length.
        sequence_stride: Step between frames.
        fft_length: FFT size (>= `sequence_length`); frames span `fft_length` samples.
        window: `"hann"`, `"hamming"`, an array of `sequence_length`, or None.
        center: Whether the signal is reflect-padded by `fft_length // 2` on both sides.

    Returns:
        `(real, imag)`, each `(..., num_frames, fft_length // 2 + 1)`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> real, imag = lx.ops.math.stft(np.ones(16, np.float32), 8, 4, 8)
        >>> real.shape
        (5, 5)
    """
    x = _t(x)
    if x.dtype not in (jnp.float32, jnp.float64):
        raise TypeError(f"`stft` expects a float32 or float64 signal. Received: dtype={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError(f"`stft`: fft_length ({fft_length}) must be >= sequence_length "
                         f"({sequence_length}).")
    win = _window(window, sequence_length, fft_length, x.dtype)
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
        x = jnp.pad(x, pad, mode="reflect")
    frames = extract_sequences(x, fft_length, sequence_stride)
    if win is not None:
        frames = frames * win
    return _parts(jnp.fft.rfft(frames, n=fft_length, axis=-1))


def istft(x: tuple[Any, Any], sequence_length: int, sequence_stride: int, fft_length: int,
          length: int | None = None, window: Any = "hann", center: bool = True) -> jax.Array:
    """Inverse short-time Fourier transform (windowed overlap-add) of a `(real, imag)` pair.

    Args:
        x: `(real, imag)`, each `(..., num_frames, fft_length // 2 + 1)`.
        sequence_length, sequence_stride, fft_length, window, center: As given to `stft`.
        length: Number of samples to return (default: all, minus the centring padding).

    Example:
        >>> import layerax as lx, numpy as np
        >>> signal = np.sin(np.arange(32, dtype=np.float32))
        >>> spec = lx.ops.math.stft(signal, 8, 2, 8)
        >>> bool(np.allclose(lx.ops.math.istft(spec, 8, 2, 8, length=32), signal, atol=1e-5))
        True
    """
    z = _complex(x, "istft")
    if z.ndim < 2:
        raise ValueError(f"`istft` expects (..., frames, bins). Received shape: {z.shape}")
    dtype = jnp.real(z).dtype
    win = _window(window, sequence_length, fft_length, dtype)
    frames = jnp.fft.irfft(z, n=fft_length, axis=-1)
    count = frames.shape[-2]
    total = fft_length + sequence_stride * (count - 1)
    index = np.arange(count)[:, None] * sequence_stride + np.arange(fft_length)[None, :]
    weights = jnp.ones(fft_length, dtype) if win is None else win
    # Overlap-add the windowed frames and divide by the overlap-added squared window.
    signal = jnp.zeros((*frames.shape[:-2], total), dtype).at[..., index].add(frames * weights)
    norm = jnp.zeros(total, dtype).at[index].add(jnp.broadcast_to(weights**2, index.shape))
    signal = signal / jnp.where(norm > 1e-10, norm, 1.0)
    if win is None:
        # Keras' normalisation without a window: the frame sum over the stride.
        signal = signal * (fft_length / sequence_stride)
    start = fft_length // 2 if center else 0
    if length is not None:
        return signal[..., start:start + length]
    return signal[..., start:total - fft_length // 2] if center else signal


def rsqrt(x: Any) -> jax.Array:
    """`1 / sqrt(x)`.

    Example:
        >>> import layerax as lx
        >>> lx.ops.math.rsqrt([4.0]).tolist()
        [0.5]
    """
    return jax.lax.rsqrt(_float(x))


def erf(x: Any) -> jax.Array:
    """The error function.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.math.erf(0.0))
        0.0
    """
    return jax.lax.erf(_float(x))


def erfc(x: Any) -> jax.Array:
    """`1 - erf(x)`, accurate for large `x`.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.math.erfc(0.0))
        1.0
    """
    return jax.scipy.special.erfc(_float(x))


def erfinv(x: Any) -> jax.Array:
    """The inverse error function.

    Example:
        >>> import layerax as lx
        >>> float(lx.ops.math.erfinv(0.0))
        0.0
    """
    return jax.scipy.special.erfinv(_float(x))


def logdet(x: Any) -> jax.Array:
    """`log(det(x))` of (batches of) positive-definite matrices, via `slogdet`.

    Example:
        >>> import layerax as lx, numpy as np
        >>> round(float(lx.ops.math.logdet(np.eye(2) * np.e)), 4)
        2.0
    """
    return jnp.linalg.slogdet(_float(x))[1]


def view_as_complex(x: Any) -> jax.Array:
    """A complex array from a float array whose last axis (size 2) holds real and imaginary.

    Example:
        >>> import layerax as lx, numpy as np
        >>> complex(lx.ops.math.view_as_complex(np.array([1.0, 2.0], np.float32)))
        (1+2j)
    """
    x = _float(x)
    if x.ndim == 0 or x.shape[-1] != 2:
        raise ValueError(f"`view_as_complex` expects a last axis of size 2 (real, imag). "
                         f"Received: x.shape={x.shape}")
    return jax.lax.complex(x[..., 0], x[..., 1])


def view_as_real(x: Any) -> jax.Array:
    """A float array with a new last axis `(real, imag)` from a complex array.

    Example:
        >>> import layerax as lx, numpy as np
        >>> lx.ops.math.view_as_real(np.array([1 + 2j], np.complex64)).tolist()
        [[1.0, 2.0]]
    """
    x = _t(x)
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


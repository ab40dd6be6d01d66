"""The `STFT` initializer: a kernel whose convolution computes a windowed DFT (Keras'
`keras.initializers.STFT`, used by STFT spectrogram layers)."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from layerax import config as _config
from layerax.core import registry
from layerax.initializers.base import Initializer


def _scipy_window(window: str, length: int, periodic: bool) -> np.ndarray:
    try:
        from scipy.signal import get_window
    except ImportError as e:
        raise ImportError(
            f"STFT(window={window!r}) builds named windows with SciPy, which is not installed. "
            "`pip install scipy`, or pass the window as an array."
        ) from e
    return np.asarray(get_window(window, length, fftbins=periodic))


@registry.register("initializers", "stft", "STFTInitializer")
class STFT(Initializer):
    """Initializes a `(frame_length, input_channels, fft_bins)` kernel with the real or
    imaginary part of the DFT basis, multiplied by a window.

    Args:
        side: "real" (cosines) or "imag" (sines).
        window: A SciPy window name (e.g. "hann", "hamming"), a 1D array of length
            `frame_length`, or None (rectangular).
        scaling: "density" (divide by the window's L2 norm), "spectrum" (by its L1 norm)
            or None.
        periodic: Use the periodic (DFT-even) form of a named window.

    Example:
        >>> import layerax as lx
        >>> lx.initializers.STFT(window=None)((4, 1, 3)).shape
        (4, 1, 3)
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"STFT: `side` must be 'real' or 'imag'. Received: side={side!r}")
        if isinstance(window, str):
            _scipy_window(window, 1, periodic)  # an unknown name raises here, not at build
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(
                f"STFT: `scaling` must be None, 'density' or 'spectrum'. Received: scaling={scaling!r}"
            )
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        dtype = jnp.dtype(dtype or _config.floatx())
        if len(shape) != 3:
            raise ValueError(
                "STFT initializes kernels of shape (frame_length, input_channels, fft_bins). "
                f"Received: shape={tuple(shape)}"
            )
        frame_length, _, bins = (int(d) for d in shape)
        # DFT angles in float64 on the host, then one cast: the kernel is fixed, not traced.
        time = np.arange(frame_length, dtype=np.float64)[:, None, None]
        freq = np.arange(bins, dtype=np.float64)[None, None, :] / ((bins - 1) * 2)
        angles = -2.0 * np.pi * time * freq
        kernel = np.cos(angles) if self.side == "real" else np.sin(angles)
        if self.window is not None:
            win = self.window
            win = _scipy_window(win, frame_length, self.periodic) if isinstance(win, str) else np.asarray(win)
            if win.shape != (frame_length,):
                raise ValueError(
                    f"STFT: the window must have shape (frame_length,)=({frame_length},). "
                    f"Received: window shape={win.shape}"
                )
            win = win.astype(np.float64).reshape(frame_length, 1, 1)
            kernel = kernel * win
            if self.scaling == "density":
                kernel = kernel / np.sqrt(np.sum(win**2))
            elif self.scaling == "spectrum":
                kernel = kernel / np.sum(np.abs(win))
        return jnp.asarray(kernel, dtype)

    def get_config(self) -> dict[str, Any]:
        window = self.window
        if window is not None and not isinstance(window, str):
            window = np.asarray(window).tolist()
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}


__all__ = ["STFT"]

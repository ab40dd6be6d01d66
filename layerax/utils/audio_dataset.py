"""`lx.utils.audio_dataset_from_directory` (WAV files, decoded with the standard library)."""

from __future__ import annotations

import functools
import os
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from layerax.utils import dataset_index
from layerax.utils.file_dataset import FileDataset, build_subsets

ALLOWED_FORMATS = (".wav",)


def read_wav(path: str) -> tuple[np.ndarray, int]:
    """A PCM WAV file as float32 `(samples, channels)` in [-1, 1), and its sample rate.

    The scaling is `tf.audio.decode_wav`'s: a signed `b`-bit sample `v` becomes `v / 2**(b-1)`
    (8-bit WAV samples are unsigned, centred on 128).
    """
    with wave.open(path, "rb") as f:
        channels, width, rate, count = f.getnchannels(), f.getsampwidth(), f.getframerate(), f.getnframes()
        raw = f.readframes(count)
    if width == 1:
        values = (np.frombuffer(raw, dtype=np.uint8).astype("float32") - 128.0) / 128.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        values = ints.astype("float32") / float(1 << 23)
    elif width in (2, 4):
        ints = np.frombuffer(raw, dtype=f"<i{width}")
        values = (ints.astype("float64") / float(1 << (8 * width - 1))).astype("float32")
    else:  # pragma: no cover - the wave module only writes 1-4 byte samples
        raise ValueError(f"Unsupported WAV sample width {width} bytes in {path}.")
    return values.reshape(-1, channels), rate


def _resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Band-limited (Fourier) resampling along time."""
    if rate_in == rate_out or audio.shape[0] == 0:
        return audio
    n_out = max(1, int(round(audio.shape[0] * rate_out / rate_in)))
    spectrum = np.fft.rfft(audio.astype("float64"), axis=0)
    keep = min(spectrum.shape[0], n_out // 2 + 1)
    out = np.zeros((n_out // 2 + 1, audio.shape[1]), dtype=spectrum.dtype)
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n=n_out, axis=0) * (n_out / audio.shape[0])).astype("float32")


def _load_audio(path: str, sampling_rate: int | None, output_sequence_length: int | None) -> np.ndarray:
    audio, rate = read_wav(path)
    if output_sequence_length is not None:  # like decode_wav(desired_samples=...): cut or zero-pad
        audio = audio[:output_sequence_length]
        if audio.shape[0] < output_sequence_length:
            audio = np.pad(audio, ((0, output_sequence_length - audio.shape[0]), (0, 0)))
    if sampling_rate is not None:
        audio = _resample(audio, rate, sampling_rate)
    return audio


def _pad_batch(samples: list[np.ndarray]) -> np.ndarray:
    """Zero-pads the clips of a batch to the longest (tf.data's `padded_batch`)."""
    longest = max(s.shape[0] for s in samples)
    return np.stack([np.pad(s, ((0, longest - s.shape[0]), (0, 0))) for s in samples])


def _ragged_batch(samples: list[np.ndarray]) -> list[np.ndarray]:
    return list(samples)


def audio_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    batch_size: int | None = 32,
    sampling_rate: int | None = None,
    output_sequence_length: int | None = None,
    ragged: bool = False,
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    follow_links: bool = False,
    verbose: bool = True,
    **kwargs: Any,
) -> FileDataset | list[FileDataset]:
    """A dataset of the `.wav` files in `directory` (one sub-folder per class), read lazily.

    Listing, labels, shuffling and `validation_split` follow Keras' rules (see
    `layerax.utils.dataset_index`). Clips are decoded with Python's `wave` module into
    float32 `(samples, channels)` scaled like `tf.audio.decode_wav`; `output_sequence_length`
    cuts or zero-pads each clip, otherwise a batch is zero-padded to its longest clip.

    Args:
        directory: The folder of the data.
        labels: `"inferred"`, a list/tuple of integer labels, or None.
        label_mode: `"int"`, `"categorical"`, `"binary"` or None.
        class_names: With `labels="inferred"`, the sub-folders to use, in this order.
        batch_size: Clips per batch, or None for single clips.
        sampling_rate: Resample every clip to this rate (Fourier resampling here; Keras
            needs `tensorflow_io`'s resampler, so the values differ slightly).
        output_sequence_length: Length of every clip (cut or zero-padded) before resampling.
        ragged: Batches as lists of clips of their own lengths (cannot go with
            `output_sequence_length`).
        shuffle: Shuffle the files once (and after every epoch).
        seed: Seed of the shuffles; needed with `validation_split` and `shuffle`.
        validation_split: Fraction of the files kept for validation.
        subset: `"training"`, `"validation"` or `"both"`.
        follow_links: Whether to walk into symlinked folders.
        verbose: Print how many files and classes were found.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of the `PyDataset`.

    Returns:
        A `FileDataset` of `(audio, labels)` batches, audio float32 `(batch, samples,
        channels)`, with `class_names` and `file_paths`; `[training, validation]` for "both".

    Example:
        >>> import layerax as lx, numpy as np, os, tempfile, wave
        >>> root = tempfile.mkdtemp(); os.makedirs(os.path.join(root, "beep"))
        >>> with wave.open(os.path.join(root, "beep", "0.wav"), "wb") as f:
        ...     f.setnchannels(1); f.setsampwidth(2); f.setframerate(8000)
        ...     f.writeframes(np.array([0, 16384, -16384], "<i2").tobytes())
        >>> ds = lx.utils.audio_dataset_from_directory(root, output_sequence_length=4, verbose=False)
        >>> x, y = ds[0]
        >>> x[0, :, 0].tolist(), y.tolist()
        ([0.0, 0.5, -0.5, 0.0], [0])
    """
    dataset_index.check_label_arguments(labels, label_mode, class_names, "audio_dataset_from_directory")
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(f"`sampling_rate` should have an integer value. Received: sampling_rate={sampling_rate}")
        if sampling_rate <= 0:
            raise ValueError(f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    dataset_index.check_validation_split_arg(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, found, names = dataset_index.index_directory(
        directory, labels, formats=ALLOWED_FORMATS, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose,
    )
    if label_mode == "binary" and len(names or []) != 2:
        raise ValueError(
            f'When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: class_names={names}'
        )
    encoded = dataset_index.encode_labels(found, label_mode, len(names) if names else 0)
    load = functools.partial(_load_audio, sampling_rate=sampling_rate, output_sequence_length=output_sequence_length)
    return build_subsets(
        paths, encoded, load, "audio files", directory, ALLOWED_FORMATS, names, batch_size=batch_size,
        shuffle=shuffle, seed=seed, validation_split=validation_split, subset=subset, verbose=verbose,
        collate=_ragged_batch if ragged else _pad_batch, **kwargs,
    )


__all__ = ["audio_dataset_from_directory"]

"""Preprocessing layers: the audio family (see `layerax.layers.preprocessing`)."""

from __future__ import annotations

from layerax.layers.preprocessing.audio.mel_spectrogram import MelSpectrogram
from layerax.layers.preprocessing.audio.stft_spectrogram import STFTSpectrogram

__all__: list[str] = ["MelSpectrogram", "STFTSpectrogram"]

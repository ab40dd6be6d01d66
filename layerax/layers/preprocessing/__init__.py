"""Keras 3's preprocessing layers, by family.

* `numeric`: `Normalization`, `Discretization`, `CategoryEncoding`, `Hashing`,
  `HashedCrossing`;
* `lookup`: `IntegerLookup`, `StringLookup`, `TextVectorization` (string
  layers run on the host, on numpy arrays);
* `image`: `Rescaling`, `Resizing`, the crops and the random augmentations;
* `audio`: `MelSpectrogram`, `STFTSpectrogram`.

Each family's subpackage lists its public names in `__all__`; `lx.layers`
exports them all.
"""

from __future__ import annotations

from layerax.layers.preprocessing import audio, image, lookup, numeric

__all__: list[str] = [*numeric.__all__, *lookup.__all__, *image.__all__, *audio.__all__]

for _family in (numeric, lookup, image, audio):
    globals().update({_n: getattr(_family, _n) for _n in _family.__all__})
del _family

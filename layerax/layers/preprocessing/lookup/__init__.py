"""Preprocessing layers: the lookup family (see `layerax.layers.preprocessing`).

`StringLookup` and `TextVectorization` run on the host, on numpy string arrays;
`IntegerLookup` also runs under `jax.jit`. A model whose first layers take
strings runs them before its compiled step (`layerax.trainers.host_prefix`).
"""

from __future__ import annotations

from layerax.layers.preprocessing.lookup.integer_lookup import IntegerLookup
from layerax.layers.preprocessing.lookup.string_lookup import StringLookup
from layerax.layers.preprocessing.lookup.text_vectorization import TextVectorization

__all__: list[str] = ["IntegerLookup", "StringLookup", "TextVectorization"]

"""Core layers: Dense, EinsumDense, Embedding, Identity, Lambda, Masking, Pipeline,
ReversibleEmbedding and the Wrapper base class."""

from __future__ import annotations

from layerax.layers.core.dense import Dense as Dense
from layerax.layers.core.einsum_dense import EinsumDense as EinsumDense
from layerax.layers.core.embedding import Embedding as Embedding
from layerax.layers.core.identity import Identity as Identity
from layerax.layers.core.identity import Masking as Masking
from layerax.layers.core.lambda_layer import Lambda as Lambda
from layerax.layers.core.pipeline import Pipeline as Pipeline
from layerax.layers.core.reversible_embedding import ReversibleEmbedding as ReversibleEmbedding
from layerax.layers.core.wrapper import Wrapper as Wrapper

__all__ = ["Dense", "EinsumDense", "Embedding", "Identity", "Lambda", "Masking", "Pipeline",
           "ReversibleEmbedding", "Wrapper"]

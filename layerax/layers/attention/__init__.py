"""Attention layers: Attention, AdditiveAttention, MultiHeadAttention, GroupedQueryAttention."""

from __future__ import annotations

from layerax.layers.attention.attention import AdditiveAttention as AdditiveAttention
from layerax.layers.attention.attention import Attention as Attention
from layerax.layers.attention.grouped_query_attention import (
    GroupedQueryAttention as GroupedQueryAttention,
)
from layerax.layers.attention.grouped_query_attention import (
    GroupQueryAttention as GroupQueryAttention,
)
from layerax.layers.attention.multi_head_attention import (
    MultiHeadAttention as MultiHeadAttention,
)

__all__ = [
    "AdditiveAttention",
    "Attention",
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "MultiHeadAttention",
]

"""CTC prefix beam search, the `strategy="beam_search"` of `lx.ops.ctc_decode` (private).

The search keeps `beam_width` label prefixes per sample. A prefix carries two log-probabilities:
of the alignments so far that end in a blank (`blank`) and of those that end in its last label
(`label`). At each step every prefix either stays (a blank, or a repeat of its last label that
the CTC rule collapses) or grows by one label; a grown prefix that is already in the beam adds
its probability to that entry, so each prefix appears once. The best `beam_width` candidates by
total probability form the next beam. Everything is a fixed-shape array program: one
`lax.scan` over time, `jax.vmap` over the batch.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

_NEG_INF = -jnp.inf


class _Beam(NamedTuple):
    prefixes: jax.Array  # (beam, time) int32 labels, -1 past each prefix's end
    lengths: jax.Array  # (beam,) int32
    blank: jax.Array  # (beam,) log P(prefix, last emission was a blank)
    label: jax.Array  # (beam,) log P(prefix, last emission was its last label)


def _last_labels(beam: _Beam) -> jax.Array:
    """The last label of each prefix, -1 for the empty prefix."""
    at = jnp.maximum(beam.lengths - 1, 0)[:, None]
    last = jnp.take_along_axis(beam.prefixes, at, axis=1)[:, 0]
    return jnp.where(beam.lengths > 0, last, -1)


def _parents(beam: _Beam, valid: jax.Array) -> jax.Array:
    """`parent[i, j]`: prefix `j` is prefix `i` followed by one more label (both in the beam)."""
    steps = jnp.arange(beam.prefixes.shape[1])
    same = beam.prefixes[:, None, :] == beam.prefixes[None, :, :]
    beyond_i = steps[None, None, :] >= beam.lengths[:, None, None]
    one_longer = beam.lengths[None, :] == beam.lengths[:, None] + 1
    return (jnp.all(same | beyond_i, axis=-1) & one_longer & valid[:, None] & valid[None, :])


def _step(beam: _Beam, log_probs: jax.Array, blank_id: int) -> _Beam:
    """One time step: extend every prefix by every class, merge duplicates, keep the best."""
    width, num_classes = beam.lengths.shape[0], log_probs.shape[0]
    total = jnp.logaddexp(beam.blank, beam.label)
    valid = total > _NEG_INF
    last = _last_labels(beam)
    classes = jnp.arange(num_classes)

    # Growing by label c: after a blank any c starts a new label; after the last label itself,
    # only a blank-separated repeat does (a direct repeat is the same prefix, handled below).
    before = jnp.where(classes[None, :] == last[:, None], beam.blank[:, None], total[:, None])
    grown = before + log_probs[None, :]
    grown = jnp.where((classes == blank_id)[None, :] | ~valid[:, None], _NEG_INF, grown)

    # A grown prefix already in the beam is merged into that entry, and dropped as a candidate.
    parent = _parents(beam, valid)
    has_parent = jnp.any(parent, axis=0)
    parent_of = jnp.argmax(parent, axis=0)
    last_index = jnp.maximum(last, 0)
    from_parent = jnp.where(has_parent, grown[parent_of, last_index], _NEG_INF)
    grown = grown.at[jnp.where(has_parent, parent_of, width), last_index].set(
        _NEG_INF, mode="drop")

    stay_blank = total + log_probs[blank_id]
    repeat = jnp.where(beam.lengths > 0, beam.label + log_probs[last_index], _NEG_INF)
    stay_label = jnp.logaddexp(repeat, from_parent)

    candidates = jnp.concatenate([jnp.logaddexp(stay_blank, stay_label), grown.reshape(-1)])
    _, chosen = jax.lax.top_k(candidates, width)
    stays = chosen < width
    grown_at = jnp.maximum(chosen - width, 0)
    source = jnp.where(stays, chosen, grown_at // num_classes)
    new_label = grown_at % num_classes

    lengths = beam.lengths[source]
    steps = jnp.arange(beam.prefixes.shape[1])
    write = ~stays[:, None] & (steps[None, :] == lengths[:, None])
    prefixes = jnp.where(write, new_label[:, None], beam.prefixes[source])
    return _Beam(
        prefixes=prefixes,
        lengths=lengths + (~stays).astype(lengths.dtype),
        blank=jnp.where(stays, stay_blank[source], _NEG_INF),
        label=jnp.where(stays, stay_label[source], grown.reshape(-1)[grown_at]),
    )


def _decode_one(log_probs: jax.Array, length: jax.Array, beam_width: int, top_paths: int,
                blank_id: int) -> tuple[jax.Array, jax.Array]:
    """Beam search over one sample's `(time, classes)` log-probabilities, first `length` steps."""
    time = log_probs.shape[0]
    start = _Beam(
        prefixes=jnp.full((beam_width, time), -1, jnp.int32),
        lengths=jnp.zeros((beam_width,), jnp.int32),
        blank=jnp.full((beam_width,), _NEG_INF, log_probs.dtype).at[0].set(0.0),
        label=jnp.full((beam_width,), _NEG_INF, log_probs.dtype),
    )

    def scan_step(beam: _Beam, inputs: tuple[jax.Array, jax.Array]) -> tuple[_Beam, None]:
        step_log_probs, active = inputs
        stepped = _step(beam, step_log_probs, blank_id)
        return jax.tree_util.tree_map(lambda new, old: jnp.where(active, new, old), stepped,
                                      beam), None

    active = jnp.arange(time) < length
    beam, _ = jax.lax.scan(scan_step, start, (log_probs, active))
    scores = jnp.logaddexp(beam.blank, beam.label)
    # Ranks past the prefixes the beam holds (top_paths > beam_width) are empty, score -inf.
    extra = max(top_paths - beam_width, 0)
    scores = jnp.pad(scores, (0, extra), constant_values=_NEG_INF)
    prefixes = jnp.pad(beam.prefixes, ((0, extra), (0, 0)), constant_values=-1)
    best = jnp.argsort(-scores, stable=True)[:top_paths]
    scores = scores[best]
    paths = jnp.where((scores > _NEG_INF)[:, None], prefixes[best], -1)
    return paths, scores


# Compiled once per shape and setting, so that eager calls do not recompile the search.
@functools.partial(jax.jit, static_argnames=("beam_width", "top_paths", "blank_id"))
def ctc_beam_search(log_probs: jax.Array, lengths: jax.Array, beam_width: int, top_paths: int,
                    blank_id: int) -> tuple[jax.Array, jax.Array]:
    """The `top_paths` most probable label sequences of each sample, by prefix beam search.

    Args:
        log_probs: Log-probabilities `(batch, time, classes)`.
        lengths: Number of valid steps of each sample, `(batch,)`.
        beam_width: Prefixes kept per step.
        top_paths: Sequences returned per sample.
        blank_id: The blank class.

    Returns:
        `(paths, scores)`: labels `(top_paths, batch, time)` padded with -1, and the total
        log-probability of each sequence over the alignments the beam kept, `(batch, top_paths)`.
    """
    paths, scores = jax.vmap(
        lambda lp, n: _decode_one(lp, n, beam_width, top_paths, blank_id))(log_probs, lengths)
    return jnp.transpose(paths, (1, 0, 2)), scores

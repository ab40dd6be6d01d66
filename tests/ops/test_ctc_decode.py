"""`lx.ops.ctc_decode(strategy="beam_search")` against Keras 3 (JAX backend) and brute force."""

from __future__ import annotations

import functools
import itertools

import jax
import numpy as np
import pytest

from layerax import ops
from tests.helpers import keras

BEAM = dict(strategy="beam_search")


def _logits(seed: int, shape: tuple[int, int, int]) -> np.ndarray:
    return (2 * np.random.default_rng(seed).normal(size=shape)).astype("float32")


@functools.cache
def _keras_decode(beam_width: int):
    # One compiled Keras program per beam width (its eager op compiles its search at every
    # call), returning its 3 best paths.
    return jax.jit(lambda x, n: keras().ops.ctc_decode(x, n, beam_width=beam_width,
                                                      top_paths=3, **BEAM))


def _check_against_keras(x, lengths, beam_width, top_paths, merge_repeated=True):
    want_paths, want_scores = _keras_decode(beam_width)(x, lengths)
    want_paths, want_scores = want_paths[:top_paths], want_scores[:, :top_paths]
    paths, scores = ops.ctc_decode(x, lengths, beam_width=beam_width, top_paths=top_paths,
                                   merge_repeated=merge_repeated, **BEAM)
    assert paths.shape == (top_paths, x.shape[0], x.shape[1]) and paths.dtype == np.int32
    assert scores.shape == (x.shape[0], top_paths) and scores.dtype == want_scores.dtype
    # Keras returns at most 2 * beam_width paths; here the ranks past them are empty.
    kept = want_paths.shape[0]
    np.testing.assert_array_equal(np.asarray(paths[:kept]), np.asarray(want_paths))
    np.testing.assert_allclose(np.asarray(scores[:, :kept]), np.asarray(want_scores),
                               rtol=1e-5, atol=1e-5)
    assert np.all(np.asarray(paths[kept:]) == -1)
    assert np.all(np.asarray(scores[:, kept:]) == -np.inf)


# (beam_width, top_paths): Keras is compiled once per beam width with top_paths=3; fewer paths
# are compared with the first ones of its ranking.
@pytest.mark.parametrize("beam_width, top_paths", [(1, 3), (3, 2), (10, 1)])
def test_beam_search_matches_keras(beam_width, top_paths):
    shape = (3, 9, 5)
    for seed in range(3):
        x = _logits(seed, shape)
        lengths = np.random.default_rng(seed).integers(1, 10, size=3)
        _check_against_keras(x, np.full(3, 9), beam_width, top_paths)
        _check_against_keras(x, lengths, beam_width, top_paths, merge_repeated=seed % 2 == 0)


def _brute_force(log_probs: np.ndarray, blank: int) -> list[tuple[tuple[int, ...], float]]:
    """Every label sequence with its probability, summed over all its alignments, best first."""
    time, classes = log_probs.shape
    probs = np.exp(log_probs.astype(np.float64))
    totals: dict[tuple[int, ...], float] = {}
    for alignment in itertools.product(range(classes), repeat=time):
        collapsed = tuple(k for k, _ in itertools.groupby(alignment) if k != blank)
        p = float(np.prod(probs[np.arange(time), alignment]))
        totals[collapsed] = totals.get(collapsed, 0.0) + p
    return sorted(totals.items(), key=lambda item: -item[1])


@pytest.mark.parametrize("blank, narrow_width", [(0, 3), (3, None)])
def test_wide_beam_search_is_exact(blank, narrow_width):
    # With a beam wider than the number of prefixes (3 labels, 5 steps: 364), nothing is
    # pruned: the result is the exact ranking of label sequences. A narrow beam keeps part of
    # the alignments, so its scores are at most the exact probabilities.
    x = _logits(3 + blank, (2, 5, 4))
    lengths = np.array([5, 4])
    log_probs = np.asarray(jax.nn.log_softmax(x, axis=-1))
    exact = ops.ctc_decode(x, lengths, beam_width=400, top_paths=3, mask_index=blank, **BEAM)
    for b in range(2):
        ranking = _brute_force(log_probs[b, :lengths[b]], blank)
        for rank in range(3):
            labels, p = ranking[rank]
            path = np.asarray(exact[0][rank, b])
            assert tuple(path[path >= 0]) == labels and np.all(path[len(labels):] == -1)
            np.testing.assert_allclose(float(exact[1][b, rank]), np.log(p), rtol=1e-5)
        if narrow_width is None:
            continue
        narrow = ops.ctc_decode(x, lengths, beam_width=narrow_width, top_paths=3,
                                mask_index=blank, **BEAM)
        probability = dict(ranking)
        for rank in range(3):
            path = np.asarray(narrow[0][rank, b])
            exact_p = probability[tuple(path[path >= 0])]
            assert float(narrow[1][b, rank]) <= np.log(exact_p) + 1e-5


def test_beam_search_under_jit():
    x, lengths = _logits(5, (3, 9, 5)), np.array([9, 6, 2])
    decode = jax.jit(lambda v, n: ops.ctc_decode(v, n, beam_width=3, top_paths=3, **BEAM))
    eager = ops.ctc_decode(x, lengths, beam_width=3, top_paths=3, **BEAM)
    for got, want in zip(decode(x, lengths), eager):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    _check_against_keras(x, lengths, 3, 3)


@pytest.mark.parametrize("kwargs, match", [
    ({"strategy": "best"}, "'greedy' or 'beam_search'"),
    ({"strategy": "beam_search", "beam_width": 0}, "beam_width"),
    ({"strategy": "beam_search", "top_paths": 1.5}, "top_paths"),
])
def test_bad_settings_raise_clear_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ops.ctc_decode(np.zeros((1, 3, 4)), np.array([3]), **kwargs)

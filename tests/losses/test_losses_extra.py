"""Dice, Tversky, Circle, CTC and generalized cross-entropy: values, reductions, sample weights
and gradients against Keras 3, configs, name lookup, errors and one training step."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import layerax as lx
from tests.helpers import assert_close, keras

RNG = np.random.default_rng(3)
# (reduction, with sample weights): the per-sample values, and each reduction's own use of weights.
REDUCTIONS = [(None, False), (None, True), ("sum_over_batch_size", True), ("sum", False),
              ("mean_with_sample_weight", True)]


def _probs(shape):
    return RNG.uniform(0.02, 0.98, size=shape).astype("float32")


def _binary(shape):
    return RNG.integers(0, 2, size=shape).astype("float32")


def _embeddings(n, d):
    e = RNG.normal(size=(n, d)).astype("float32")
    return e / np.linalg.norm(e, axis=-1, keepdims=True)


def _ctc_labels(batch, length, classes):
    labels = RNG.integers(1, classes, size=(batch, length))
    lengths = RNG.integers(1, length + 1, size=(batch,))
    return np.where(np.arange(length)[None] < lengths[:, None], labels, 0).astype("int32")


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype("float32")


# name, constructor kwargs, (y_true, y_pred) pairs: two shapes with the defaults, one otherwise
CASES = [
    ("Dice", {}, [(_binary((4, 5)), _probs((4, 5))), (_binary((2, 3, 4)), _probs((2, 3, 4)))]),
    ("Dice", {"axis": (1, 2)}, [(_binary((3, 4, 2)), _probs((3, 4, 2)))]),
    ("Tversky", {}, [(_binary((4, 5)), _probs((4, 5))), (_binary((2, 3, 4)), _probs((2, 3, 4)))]),
    ("Tversky", {"alpha": 0.3, "beta": 0.7, "axis": 1}, [(_binary((3, 6)), _probs((3, 6)))]),
    ("Circle", {}, [(RNG.integers(0, 3, size=6), _embeddings(6, 4)),
                    (RNG.integers(0, 2, size=8), _embeddings(8, 3))]),
    ("Circle", {"gamma": 4.0, "margin": 0.25, "remove_diagonal": False},
     [(RNG.integers(0, 2, size=8), _embeddings(8, 3))]),
    # CTC compiles slowly: one shape here, a second one in test_function_forms_match_keras.
    ("CTC", {}, [(_ctc_labels(3, 4, 5), RNG.normal(size=(3, 6, 5)).astype("float32"))]),
    ("CategoricalGeneralizedCrossEntropy", {},
     [(RNG.integers(0, 4, size=6), _softmax(RNG.normal(size=(6, 4)))),
      (RNG.integers(0, 3, size=5), _softmax(RNG.normal(size=(5, 3))))]),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.2},
     [(RNG.integers(0, 3, size=5), _softmax(RNG.normal(size=(5, 3))))]),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _every_reduction(module, name, kwargs):
    """One jitted function: the loss under every reduction, with and without sample weights,
    and its gradient with respect to `y_pred` (one compilation per input shape)."""
    cls = getattr(module, name)

    def run(y_true, y_pred, sw):
        out = []
        for reduction, weighted in REDUCTIONS:
            loss = cls(reduction=reduction, **kwargs)
            out.append(loss(y_true, y_pred, sample_weight=sw if weighted else None))
        loss = cls(**kwargs)
        out.append(jax.grad(lambda p: loss(y_true, p, sample_weight=sw))(y_pred))
        return out

    return jax.jit(run)


@pytest.mark.parametrize("name,kwargs,pairs", CASES, ids=IDS)
def test_class_values_reductions_and_gradients_match_keras(name, kwargs, pairs):
    ours, ref = _every_reduction(lx.losses, name, kwargs), _every_reduction(keras().losses, name, kwargs)
    for y_true, y_pred in pairs:
        sw = RNG.uniform(0.2, 2.0, size=(y_pred.shape[0],)).astype("float32")
        assert_close(ours(y_true, y_pred, sw), ref(y_true, y_pred, sw), rtol=1e-4, atol=1e-5)


def test_function_forms_match_keras():
    k = keras()
    (t, p), (t3, p3) = CASES[0][2]
    for axis in (None, 1, (1, 2)):
        if axis is not None:
            assert_close(lx.losses.dice(t3, p3, axis=axis), k.losses.dice(t3, p3, axis=axis))
        assert_close(lx.losses.tversky(t3, p3, 0.2, 0.8, axis), k.losses.tversky(t3, p3, 0.2, 0.8, axis))
    assert_close(lx.losses.dice(t, p), k.losses.dice(t, p))
    # Axes read back from a JSON config are a list.
    assert_close(lx.losses.dice(t3, p3, axis=[1, 2]), lx.losses.dice(t3, p3, axis=(1, 2)))
    labels, emb = CASES[4][2][0]
    ref_labels, ref_emb = RNG.integers(0, 3, size=5), _embeddings(5, 4)
    variants = ({}, {"ref_labels": ref_labels, "ref_embeddings": ref_emb, "remove_diagonal": False},
                {"gamma": 3, "margin": 0.1})

    # Compiled: Keras' eager circle and ctc dispatch many small ops.
    @jax.jit
    def circles_and_ctc(labels, emb, t, p):
        ours = [lx.losses.circle(labels, emb, **kw) for kw in variants] + [lx.losses.ctc(t, p)]
        theirs = [k.losses.circle(labels, emb, **kw) for kw in variants] + [k.losses.ctc(t, p)]
        return ours, theirs

    ctc_labels, ctc_logits = _ctc_labels(2, 3, 4), RNG.normal(size=(2, 5, 4)).astype("float32")
    ours, theirs = circles_and_ctc(labels, emb, ctc_labels, ctc_logits)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    t, p = CASES[7][2][0]
    assert_close(lx.losses.categorical_generalized_cross_entropy(t, p, q=0.7),
                 k.losses.categorical_generalized_cross_entropy(t, p, q=0.7))


def test_generalized_cross_entropy_takes_column_labels():
    # Keras 3.15 broadcasts (batch, 1) labels against (batch, classes) into a (batch, batch) loss
    # although its docstring accepts that shape; layerax reads them as the (batch,) labels.
    t, p = CASES[7][2][0]
    fn = lx.losses.categorical_generalized_cross_entropy
    assert_close(fn(t[:, None], p, q=0.5), fn(t, p, q=0.5))
    assert_close(lx.losses.CategoricalGeneralizedCrossEntropy()(t[:, None], p),
                 keras().losses.CategoricalGeneralizedCrossEntropy()(t, p))


@pytest.mark.parametrize("name,kwargs", [(n, kw) for n, kw, _ in CASES[1::2]] + [("CTC", {})])
def test_config_matches_keras_and_round_trips(name, kwargs):
    k = keras()
    ours = getattr(lx.losses, name)(name="my_loss", reduction="sum", **kwargs)
    config = ours.get_config()
    theirs = getattr(k.losses, name)(name="my_loss", reduction="sum", **kwargs)
    assert config == theirs.get_config()
    # A config Keras wrote as JSON (tuples become lists) loads into the same loss.
    from_keras = lx.losses.deserialize(json.loads(json.dumps(k.losses.serialize(theirs))))
    assert type(from_keras) is type(ours)
    assert from_keras.get_config() == json.loads(json.dumps(config))
    again = type(ours).from_config(config)
    assert again.get_config() == config
    restored = lx.losses.deserialize(lx.losses.serialize(ours))
    assert type(restored) is type(ours) and restored.get_config() == config


def test_string_names_resolve_as_in_keras():
    k = keras()
    pairs = [("dice", "Dice"), ("tversky", "Tversky"), ("circle", "Circle"), ("ctc", "CTC")]
    for fn_name, cls_name in pairs:
        fn = lx.losses.get(fn_name)
        assert fn is getattr(lx.losses, fn_name) and k.losses.get(fn_name) is getattr(k.losses, fn_name)
        assert lx.losses.serialize(fn) == fn_name
        assert type(lx.losses.get(cls_name)) is getattr(lx.losses, cls_name)
    missing = {n for n in dir(k.losses) if not n.startswith("_")} - set(dir(lx.losses))
    assert missing == set()


def test_circle_averages_over_the_samples_with_a_loss():
    # The third sample has no positive pair: its loss is 0 and it leaves the average.
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], "float32")
    labels = np.array([0, 0, 1])
    per_sample = lx.losses.circle(labels, emb, gamma=2.0)
    assert float(per_sample[2]) == 0.0
    assert_close(lx.losses.Circle(gamma=2.0)(labels, emb), np.mean(np.asarray(per_sample)[:2]))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"`q` must lie strictly between 0 and 1.*q=1\.5"):
        lx.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match=r"ctc: targets `y_true`.*\(4,\)"):
        lx.losses.ctc(np.ones((4,)), np.zeros((4, 3, 2)))
    with pytest.raises(ValueError, match=r"ctc: `y_pred`.*\(4, 3\)"):
        lx.losses.ctc(np.ones((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"circle: `y_pred`.*\(4,\)"):
        lx.losses.circle(np.ones((4,)), np.ones((4,)))
    with pytest.raises(ValueError, match="reduction"):
        lx.losses.Dice(reduction="average")


def test_compile_with_dice_string_and_fit_one_step_match_keras():
    k = keras()
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = _binary((8, 1))
    model = lx.Sequential([lx.Input((3,)), lx.layers.Dense(1, activation="sigmoid")])
    ref = k.Sequential([k.Input((3,)), k.layers.Dense(1, activation="sigmoid")])
    ref.set_weights([np.asarray(w) for w in model.get_weights()])
    model.compile(optimizer=lx.optimizers.SGD(0.5), loss="dice")
    ref.compile(optimizer=k.optimizers.SGD(0.5), loss="dice")
    ours = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    theirs = ref.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert_close(model.get_weights(), ref.get_weights(), rtol=1e-5, atol=1e-6)

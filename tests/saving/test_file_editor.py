"""`lx.saving.KerasFileEditor` against Keras 3's `keras.saving.KerasFileEditor`.

Both editors open the same files; an edit made in one is loaded by the other
library, and the weights must land where they should.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import keras
import numpy as np
import pytest

import layerax as lx

RNG = np.random.default_rng(11)
X = RNG.standard_normal((4, 3)).astype("float32")


def _dense_pair(lib):
    # Paths follow the class names (layers/dense, layers/dense_1); the names are the layers'.
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu", name="hidden"),
                           lib.layers.Dense(2, name="head")])


def _einsum_head(lib):
    # The second Dense replaced by an EinsumDense: same weights, another saving path.
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu"),
                           lib.layers.EinsumDense("ab,bc->ac", output_shape=2, bias_axes="c")])


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = np.asarray(value)
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A Keras-trained `.keras` file (optimizer state included) and its `.weights.h5`."""
    root = tmp_path_factory.mktemp("editor")
    model = _dense_pair(keras)
    model.set_weights([RNG.uniform(-1, 1, w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.ones((4, 2), "float32"), verbose=0)
    model.save(root / "k.keras")
    model.save_weights(root / "k.weights.h5")
    return {"keras": str(root / "k.keras"), "h5": str(root / "k.weights.h5"),
            "root": root, "expected": np.asarray(model(X)),
            "optimizer": [np.asarray(v) for v in model.optimizer.variables]}


def test_opens_files_as_keras_does(files):
    ours = lx.saving.KerasFileEditor(files["h5"])
    theirs = keras.saving.KerasFileEditor(files["h5"])
    mine, other = _flat(ours.weights_dict), _flat(theirs.weights_dict)
    # Keras' save_weights includes the optimizer's variables
    assert sorted(mine) == sorted(other)
    assert [k for k in mine if not k.startswith("optimizer/")] == [
        "layers/dense/0", "layers/dense/1", "layers/dense_1/0", "layers/dense_1/1"]
    for key in mine:
        np.testing.assert_array_equal(mine[key], other[key])
    assert ours.object_metadata["layers/dense"] == {"name": "hidden"}
    assert ours.config is None and ours.metadata is None


def test_opens_keras_archives(files):
    # (Keras 3.15's own editor fails to open a `.keras` archive: "bad object header
    # version number"; the oracle here is the `.weights.h5` of the same model.)
    ours = lx.saving.KerasFileEditor(files["keras"])
    weights = _flat(lx.saving.KerasFileEditor(files["h5"]).weights_dict)
    mine = _flat(ours.weights_dict)
    assert {k: v.tolist() for k, v in mine.items()} == {k: v.tolist() for k, v in weights.items()}
    # iteration, learning rate, Adam's momentum and velocity of the 4 variables: Keras' order
    saved = [mine[f"optimizer/{i}"] for i in range(len(files["optimizer"]))]
    assert len(ours.weights_dict["optimizer"]) == len(files["optimizer"]) == 10
    for a, b in zip(saved, files["optimizer"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.config["class_name"] == "Sequential" and ours.metadata["keras_version"] == keras.__version__


def test_edited_in_layerax_loads_in_both(files, tmp_path, capsys):
    editor = lx.saving.KerasFileEditor(files["keras"])
    before = editor.compare(_einsum_head(lx))
    # dense_1 only in the file, einsum_dense only in the model, the optimizer (the model is
    # not compiled) only in the file
    assert before == {"status": "error", "error_count": 3, "match_count": 2}
    editor.rename_object("dense_1", "einsum_dense")
    editor.delete_object("optimizer")
    assert editor.compare(_einsum_head(lx)) == {"status": "success", "error_count": 0, "match_count": 4}
    editor.summary()
    printed = capsys.readouterr().out
    assert "einsum_dense ('head')" in printed and "0: shape=(4, 2), dtype=float32" in printed
    editor.save(tmp_path / "edited.weights.h5")
    for lib in (lx, keras):
        model = _einsum_head(lib)
        model.load_weights(str(tmp_path / "edited.weights.h5"))
        np.testing.assert_allclose(np.asarray(model(X)), files["expected"], rtol=1e-5, atol=1e-6)
    # Keras' editor sees what ours wrote.
    again = keras.saving.KerasFileEditor(str(tmp_path / "edited.weights.h5"))
    assert sorted(_flat(again.weights_dict)) == ["layers/dense/0", "layers/dense/1",
                                                 "layers/einsum_dense/0", "layers/einsum_dense/1"]


def test_edited_in_keras_loads_in_layerax(files, tmp_path):
    # A layerax-written file (with its digest user block), edited by Keras' editor.
    mine = _dense_pair(lx)
    mine.load_weights(files["h5"])
    mine.save_weights(str(tmp_path / "lx.weights.h5"))
    editor = keras.saving.KerasFileEditor(str(tmp_path / "lx.weights.h5"))
    kernel = editor.weights_dict["layers"]["dense_1"]["0"]
    editor.delete_object("layers/dense_1")
    editor.add_object("layers/einsum_dense", {"0": kernel, "1": np.full((2,), 0.5, "float32")})
    editor.save(str(tmp_path / "k_edit.weights.h5"))
    model = _einsum_head(lx)
    model.load_weights(str(tmp_path / "k_edit.weights.h5"))
    np.testing.assert_allclose(np.asarray(model.layers[1].kernel), kernel)
    np.testing.assert_allclose(np.asarray(model.layers[1].bias), 0.5)
    # The same edits with our editor give the same file contents.
    ours = lx.saving.KerasFileEditor(str(tmp_path / "lx.weights.h5"))
    ours.delete_object("layers/dense_1")
    ours.add_object("layers/einsum_dense", {"0": kernel, "1": np.full((2,), 0.5, "float32")})
    ours.save(tmp_path / "lx_edit.weights.h5")
    theirs = lx.saving.KerasFileEditor(str(tmp_path / "k_edit.weights.h5"))
    assert {k: v.tolist() for k, v in _flat(ours.weights_dict).items()} == \
        {k: v.tolist() for k, v in _flat(theirs.weights_dict).items()}


def test_weight_edits_and_compare_agree_with_keras(files, tmp_path):
    # No bias in the new head: drop the file's bias. (Keras' editor adds the counts of
    # nested objects twice; its status is the oracle, the counts are ours.)
    def no_bias(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(4, activation="relu"),
                               lib.layers.Dense(2, use_bias=False)])

    ours, theirs = lx.saving.KerasFileEditor(files["h5"]), keras.saving.KerasFileEditor(files["h5"])
    first = ours.compare(no_bias(lx))
    assert first == {"status": "error", "error_count": 2, "match_count": 3}  # optimizer, bias
    assert theirs.compare(no_bias(keras))["status"] == "error"
    for editor in (ours, theirs):
        editor.delete_weight("layers/dense_1", "1")
        editor.delete_object("optimizer")
    assert ours.compare(no_bias(lx)) == {"status": "success", "error_count": 0, "match_count": 3}
    assert theirs.compare(no_bias(keras))["status"] == "success"
    ours.save(tmp_path / "nobias.weights.h5")
    model = no_bias(keras)
    model.load_weights(tmp_path / "nobias.weights.h5")
    np.testing.assert_allclose(np.asarray(model.layers[1].kernel), ours.weights_dict["layers"]["dense_1"]["0"])
    # add_weights puts a bias back; a jit-compiled predict sees it.
    ours.add_weights("dense_1", {"1": np.arange(2, dtype="float32")})
    ours.save(tmp_path / "bias.weights.h5")
    mine = _dense_pair(lx)
    mine.load_weights(str(tmp_path / "bias.weights.h5"))
    np.testing.assert_allclose(np.asarray(mine.layers[1].bias), [0.0, 1.0])
    assert mine.predict(X, verbose=0).shape == (4, 2)


def test_bad_requests_name_the_fix(files, tmp_path):
    editor = lx.saving.KerasFileEditor(files["h5"])
    with pytest.raises(ValueError, match=r"'0' occurs 3 times \(\['layers/dense/0', 'layers/dense_1/0', 'optimizer/0'\]\).*full path"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match=r"'dense_9' is not in the file.*summary"):
        editor.rename_object("dense_9", "x")
    with pytest.raises(ValueError, match=r"path 'layers/nope' is not in the file"):
        editor.delete_object("layers/nope")
    with pytest.raises(ValueError, match=r"new name, not a path"):
        editor.rename_object("dense", "layers/x")
    with pytest.raises(ValueError, match=r"'dense_1' already exists"):
        editor.rename_object("dense", "dense_1")
    with pytest.raises(ValueError, match=r"has no weight '7'. Its weights: \['0', '1'\]"):
        editor.delete_weight("dense", "7")
    with pytest.raises(ValueError, match=r"already exists. Use `add_weights`"):
        editor.add_object("layers/dense", {"0": np.zeros(1)})
    with pytest.raises(ValueError, match=r"parent 'nope' .* add it first"):
        editor.add_object("nope/dense", {"0": np.zeros(1)})
    with pytest.raises(ValueError, match=r"`weights` is a dict"):
        editor.add_weights("dense", [np.zeros(1)])
    with pytest.raises(ValueError, match=r"expects a '.keras' or '.weights.h5' file"):
        lx.saving.KerasFileEditor(str(tmp_path / "w.npz"))
    with pytest.raises(ValueError, match=r"writes a '.weights.h5' file"):
        editor.save(tmp_path / "out.keras")
    assert not (tmp_path / "out.keras").exists()
    # A file with a soft link is refused before anything is read from it.
    with h5py.File(tmp_path / "link.weights.h5", "w") as f:
        f["layers/dense/vars/0"] = np.zeros(2)
        f["layers/dense/vars/1"] = h5py.SoftLink("/layers/dense/vars/0")
    with pytest.raises(ValueError, match=r"'layers/dense/vars/1' is an HDF5 SoftLink"):
        lx.saving.KerasFileEditor(str(tmp_path / "link.weights.h5"))
    with open(files["h5"], "rb") as f:
        (tmp_path / "cut.weights.h5").write_bytes(f.read()[:300])
    with pytest.raises(ValueError, match=r"truncated or corrupted.*save the model again"):
        lx.saving.KerasFileEditor(str(tmp_path / "cut.weights.h5"))
    # A failed edit changed nothing.
    assert sorted(k for k in _flat(editor.weights_dict) if not k.startswith("optimizer/")) == [
        "layers/dense/0", "layers/dense/1", "layers/dense_1/0", "layers/dense_1/1"]

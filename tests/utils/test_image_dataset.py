"""image_dataset_from_directory and the directory listing (layerax/utils/) against Keras 3.15.

Keras' `format="grain"` path reads files with Pillow / `open` and needs no TensorFlow, so
it is the oracle for the values of unshuffled batches; `keras.src.utils.dataset_utils.
index_directory` (pure Python for local paths) is the oracle for the listing, labels,
shuffle and split, which are the same for Keras' `tf` and `grain` formats.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import layerax as lx
from layerax.utils.dataset_index import index_directory
from tests.helpers import keras

pytest.importorskip("PIL")  # the `image` extra; in [test]
from PIL import Image  # noqa: E402


def _images(root, classes=("dog", "cat", "bird"), per_class=3):
    rng = np.random.default_rng(0)
    for c in classes:
        os.makedirs(os.path.join(root, c, "nested"))
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 255, (10, 14, 3), dtype=np.uint8)).save(os.path.join(root, c, f"{i}.png"))
        Image.fromarray(rng.integers(0, 255, (12, 8), dtype=np.uint8)).save(os.path.join(root, c, "nested", "g.JPG"))
        open(os.path.join(root, c, "notes.txt"), "w").close()  # not an image: skipped
    os.makedirs(os.path.join(root, ".hidden"))
    Image.new("RGB", (4, 4)).save(os.path.join(root, ".hidden", "x.png"))
    Image.new("RGB", (4, 4)).save(os.path.join(root, "top.png"))  # not in a class folder
    return root


@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    return _images(str(tmp_path_factory.mktemp("images")))


def _keras_index(*args, **kwargs):
    from keras.src.utils.dataset_utils import index_directory as keras_index

    return keras_index(*args, **kwargs)


@pytest.mark.parametrize("case", [
    dict(labels="inferred", shuffle=False),
    dict(labels="inferred", shuffle=True, seed=7),
    dict(labels="inferred", class_names=["dog", "bird"], shuffle=True, seed=1),
    dict(labels=None, shuffle=True, seed=2),
    dict(labels=[i % 3 for i in range(14)], shuffle=True, seed=3),  # 14 images under the root
])
def test_index_directory_matches_keras(image_root, case):
    formats = (".png", ".jpg")
    ours = index_directory(image_root, formats=formats, verbose=False, **case)
    theirs = _keras_index(image_root, formats=formats, verbose=False, **case)
    assert ours[0] == theirs[0]
    assert ours[2] == theirs[2]
    if theirs[1] is None:
        assert ours[1] is None
    else:
        np.testing.assert_array_equal(np.asarray(ours[1]), np.asarray(theirs[1]))


def _pairs(keras_ds):
    return [(np.asarray(x), np.asarray(y)) for x, y in keras_ds]


@pytest.mark.parametrize("kwargs", [
    dict(label_mode="categorical", color_mode="grayscale", image_size=(6, 5), crop_to_aspect_ratio=True),
    dict(label_mode="int", color_mode="rgba", image_size=4, pad_to_aspect_ratio=True, interpolation="nearest",
         data_format="channels_first"),
])
def test_image_batches_match_keras_grain(image_root, kwargs):
    ours = lx.utils.image_dataset_from_directory(image_root, batch_size=4, shuffle=False, verbose=False, **kwargs)
    theirs = keras().utils.image_dataset_from_directory(
        image_root, batch_size=4, shuffle=False, verbose=False, format="grain", **kwargs
    )
    assert ours.file_paths == theirs.file_paths and ours.class_names == theirs.class_names
    expected = _pairs(theirs)
    assert len(ours) == len(expected) == 3
    for (x, y), (kx, ky) in zip(ours, expected):
        assert x.dtype == np.float32 and x.shape == kx.shape
        np.testing.assert_allclose(x, kx, atol=1e-3)
        assert y.dtype == ky.dtype
        np.testing.assert_array_equal(y, ky)


def test_image_shuffle_split_and_binary(tmp_path):
    root = _images(str(tmp_path), classes=("no", "yes"), per_class=4)
    common = dict(image_size=(4, 4), batch_size=3, seed=11, validation_split=0.3, verbose=False)
    train, val = lx.utils.image_dataset_from_directory(root, subset="both", label_mode="binary", **common)
    k_train, k_val = keras().utils.image_dataset_from_directory(
        root, subset="both", label_mode="binary", format="grain", **common
    )
    assert train.file_paths == k_train.file_paths and val.file_paths == k_val.file_paths
    assert len(val.file_paths) == int(0.3 * 10) and not set(train.file_paths) & set(val.file_paths)
    only_val = lx.utils.image_dataset_from_directory(root, subset="validation", **common)
    assert only_val.file_paths == val.file_paths
    x, y = train[0]
    assert y.shape == (3, 1) and y.dtype == np.float32
    # labels follow the files: the class folder of each file
    names = train.class_names
    first = [names.index(os.path.relpath(p, root).split(os.sep)[0]) for p in train.file_paths[:3]]
    np.testing.assert_array_equal(y[:, 0], first)
    # every epoch sees every training file once, in a fresh order after the first
    seen = [train.file_paths]
    train.on_epoch_end()
    reordered = [train.file_paths[r] for r in train._order]
    assert sorted(reordered) == sorted(seen[0]) and reordered != seen[0]


def test_image_argument_errors(image_root):
    f = lx.utils.image_dataset_from_directory
    with pytest.raises(ValueError, match="seed"):
        f(image_root, validation_split=0.2, subset="training", verbose=False)
    with pytest.raises(ValueError, match="subset"):
        f(image_root, validation_split=0.2, seed=1, verbose=False)
    with pytest.raises(ValueError, match="color_mode"):
        f(image_root, color_mode="cmyk", verbose=False)
    with pytest.raises(ValueError, match="exactly 2"):
        f(image_root, label_mode="binary", verbose=False)
    with pytest.raises(ValueError, match="class_names"):
        f(image_root, class_names=["dog", "wolf"], verbose=False)
    with pytest.raises(ValueError, match="Only one of"):
        f(image_root, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True, verbose=False)
    with pytest.raises(ValueError, match="lengths of `labels`"):
        f(image_root, labels=[0, 1], verbose=False)
    with pytest.raises(ValueError, match="No images"):
        f(os.path.join(image_root, "dog", "nested"), verbose=False)  # no class folders


def test_fit_on_image_dataset_with_workers(image_root):
    train, val = lx.utils.image_dataset_from_directory(
        image_root, image_size=(8, 8), batch_size=4, seed=0, verbose=False, workers=2,
        validation_split=0.25, subset="both",
    )
    model = lx.Sequential([
        lx.Input((8, 8, 3)), lx.layers.Lambda(lambda t: t / 255.0),
        lx.layers.GlobalAveragePooling2D(), lx.layers.Dense(3),
    ])
    model.compile("adam", lx.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert len(history.history["val_loss"]) == 2
    loss, acc = model.evaluate(train, verbose=0)
    assert np.isfinite(loss) and 0 <= acc <= 1
    predictions = model.predict(lx.utils.image_dataset_from_directory(
        image_root, labels=None, image_size=(8, 8), batch_size=5, shuffle=False, verbose=False), verbose=0)
    assert predictions.shape == (14, 3)  # labels=None lists every image under the root


def test_split_dataset_of_file_dataset(image_root):
    ds = lx.utils.image_dataset_from_directory(image_root, image_size=(4, 4), batch_size=5, seed=4, verbose=False)
    left, right = lx.utils.split_dataset(ds, left_size=0.75)
    assert left.file_paths == ds.file_paths[:9] and right.file_paths == ds.file_paths[9:]
    assert left.class_names == ds.class_names and len(left) == 2 and len(right) == 1
    x, y = right[0]
    np.testing.assert_array_equal(y, ds.labels[9:])
    np.testing.assert_array_equal(x, np.concatenate([ds[1][0][4:], ds[2][0]]))
    # a time series splits lazily by windows; any other PyDataset is read once into arrays
    series = lx.utils.timeseries_dataset_from_array(np.arange(20), np.arange(20) * 2, 4, batch_size=5)
    a, b = lx.utils.split_dataset(series, right_size=5)
    assert len(a.start_positions) == 12 and b[0][1].tolist() == [24, 26, 28, 30, 32]

    class Plain(lx.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.arange(4 * i, 4 * i + 4), -np.arange(4 * i, 4 * i + 4)

    (xa, ya), (xb, yb) = lx.utils.split_dataset(Plain(), left_size=9)
    assert xa.tolist() == list(range(9)) and yb.tolist() == [-9, -10, -11]



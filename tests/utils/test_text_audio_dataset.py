"""text_dataset_from_directory and audio_dataset_from_directory (layerax/utils/) against
Keras 3.15: Keras' `format="grain"` text path (plain `open`, no TensorFlow) for the texts,
`keras.src.utils.dataset_utils.index_directory` for the listing, and for audio the closed
form of `tf.audio.decode_wav` (a b-bit sample v is v / 2**(b-1)) on WAV files written with
the `wave` module.
"""

from __future__ import annotations

import os
import pickle
import wave

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras


def _keras_index(*args, **kwargs):
    from keras.src.utils.dataset_utils import index_directory as keras_index

    return keras_index(*args, **kwargs)


def _texts(root):
    texts = {"neg": ["bad film", "awful, really", "zzz"], "pos": ["great", "loved it \u00e9t\u00e9"]}
    for c, items in texts.items():
        os.makedirs(os.path.join(root, c))
        for i, t in enumerate(items):
            with open(os.path.join(root, c, f"{i}.txt"), "w", encoding="utf-8") as f:
                f.write(t)
    return root


@pytest.mark.parametrize("max_length", [None, 4])
def test_text_matches_keras_grain(tmp_path, max_length):
    root = _texts(str(tmp_path))
    ours = lx.utils.text_dataset_from_directory(root, batch_size=2, shuffle=False, max_length=max_length,
                                                label_mode="categorical", verbose=False)
    theirs = keras().utils.text_dataset_from_directory(root, batch_size=2, shuffle=False, max_length=max_length,
                                                       label_mode="categorical", verbose=False, format="grain")
    # (Keras' grain text dataset has no `file_paths`: its listing is index_directory's)
    assert ours.file_paths == _keras_index(root, "inferred", (".txt",), shuffle=False, verbose=False)[0]
    assert ours.class_names == ["neg", "pos"]
    expected = list(theirs)
    assert len(ours) == len(expected) == 3
    for (x, y), (kx, ky) in zip(ours, expected):
        assert x.dtype == object
        assert [str(t) for t in x] == [t if isinstance(t, str) else t.decode() for t in np.asarray(kx).tolist()]
        np.testing.assert_array_equal(y, np.asarray(ky))
    shuffled = lx.utils.text_dataset_from_directory(root, seed=5, verbose=False, labels=None)
    assert shuffled.file_paths == _keras_index(root, None, (".txt",), shuffle=True, seed=5, verbose=False)[0]
    assert isinstance(shuffled[0], np.ndarray)
    # picklable, for use_multiprocessing=True workers
    copy = pickle.loads(pickle.dumps(shuffled))
    assert copy[0].tolist() == shuffled[0].tolist() and copy.file_paths == shuffled.file_paths


def test_text_explicit_labels_and_links(tmp_path):
    root = _texts(str(tmp_path / "data"))
    os.symlink(os.path.join(root, "pos"), os.path.join(root, "neg", "linked"))
    for follow in (False, True):
        listed = _keras_index(root, None, (".txt",), shuffle=False, follow_links=follow, verbose=False)[0]
        labels = [i % 3 for i in range(len(listed))]
        ds = lx.utils.text_dataset_from_directory(root, labels=labels, label_mode="categorical", shuffle=False,
                                                  follow_links=follow, batch_size=None, verbose=False)
        assert ds.file_paths == listed and len(listed) == (7 if follow else 5)
        assert ds.class_names == ["0", "1", "2"]
        text, one_hot = ds[4]
        with open(listed[4], encoding="utf-8") as f:
            assert text == f.read()
        np.testing.assert_array_equal(one_hot, np.eye(3, dtype="float32")[labels[4]])
    with pytest.raises(ValueError, match="class_names"):
        lx.utils.text_dataset_from_directory(root, labels=labels, class_names=["a"], verbose=False)
    with pytest.raises(ValueError, match="label_mode"):
        lx.utils.text_dataset_from_directory(root, label_mode="sparse", verbose=False)


def _wav(path, samples, rate=8000, width=2, channels=1):
    with wave.open(path, "wb") as f:
        f.setnchannels(channels)
        f.setsampwidth(width)
        f.setframerate(rate)
        f.writeframes(samples.tobytes())


def test_audio_decoding_padding_and_labels(tmp_path):
    root = str(tmp_path)
    os.makedirs(os.path.join(root, "a"))
    os.makedirs(os.path.join(root, "b"))
    ints = np.array([[0, 100], [-32768, 32767], [16384, -1]], dtype="<i2")
    _wav(os.path.join(root, "a", "0.wav"), ints, channels=2)
    _wav(os.path.join(root, "b", "0.wav"), np.array([[5, 6]] * 5, dtype="<i2"), channels=2)
    ds = lx.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False)
    x, y = ds[0]
    # decode_wav's scaling is v / 2**15; a batch is zero-padded to its longest clip
    assert x.shape == (2, 5, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, :3], ints / 32768.0)
    np.testing.assert_array_equal(x[0, 3:], 0)
    np.testing.assert_array_equal(y, [0, 1])
    fixed = lx.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False,
                                                  output_sequence_length=4)[0][0]
    np.testing.assert_allclose(fixed[1], np.full((4, 2), [5, 6]) / 32768.0)
    ragged = lx.utils.audio_dataset_from_directory(root, batch_size=2, shuffle=False, verbose=False, ragged=True)
    assert [clip.shape for clip in ragged[0][0]] == [(3, 2), (5, 2)]
    # resampling keeps a constant signal constant and scales the length
    resampled = lx.utils.audio_dataset_from_directory(root, batch_size=None, shuffle=False, verbose=False,
                                                      sampling_rate=16000)[1][0]
    assert resampled.shape == (10, 2)
    np.testing.assert_allclose(resampled, np.full((10, 2), [5, 6]) / 32768.0, atol=1e-6)
    assert ds.file_paths == _keras_index(root, "inferred", (".wav",), shuffle=False, verbose=False)[0]
    with pytest.raises(ValueError, match="ragged"):
        lx.utils.audio_dataset_from_directory(root, ragged=True, output_sequence_length=3, verbose=False)
    with pytest.raises(ValueError, match="sampling_rate"):
        lx.utils.audio_dataset_from_directory(root, sampling_rate=0, verbose=False)

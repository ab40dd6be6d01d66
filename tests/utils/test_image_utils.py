"""lx.utils image helpers (layerax/utils/image_utils.py) against Keras 3, with Pillow."""

from __future__ import annotations

import builtins
import io

import numpy as np
import pytest

import layerax as lx
from tests.helpers import keras


@pytest.mark.parametrize("shape", [(4, 5, 3), (6, 3, 1), (3, 4, 4)])
def test_array_to_img_and_back_match_keras(shape):
    ku = keras().utils
    x = np.random.default_rng(sum(shape)).uniform(0, 3, size=shape).astype("float32")
    for scale in (True, False):
        ours, theirs = lx.utils.array_to_img(x, scale=scale), ku.array_to_img(x, scale=scale)
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        for data_format in ("channels_last", "channels_first"):
            np.testing.assert_array_equal(
                lx.utils.img_to_array(ours, data_format=data_format),
                ku.img_to_array(theirs, data_format=data_format),
            )
    first = np.moveaxis(x, -1, 0)
    np.testing.assert_array_equal(
        np.asarray(lx.utils.array_to_img(first, data_format="channels_first")),
        np.asarray(ku.array_to_img(first, data_format="channels_first")),
    )


def test_grayscale_above_255_uses_mode_i_like_keras():
    x = np.full((2, 3, 1), 1000.0)
    assert lx.utils.array_to_img(x, scale=False).mode == keras().utils.array_to_img(x, scale=False).mode == "I"


def test_save_and_load_match_keras(tmp_path):
    ku = keras().utils
    x = np.random.default_rng(0).uniform(size=(6, 8, 3))
    lx.utils.save_img(tmp_path / "a.png", x)
    ku.save_img(str(tmp_path / "b.png"), x)
    for kwargs in [{}, {"color_mode": "grayscale"}, {"color_mode": "rgba"},
                   {"target_size": (3, 5), "interpolation": "bilinear"},
                   {"target_size": (4, 4), "keep_aspect_ratio": True}]:
        ours = lx.utils.load_img(tmp_path / "a.png", **kwargs)
        theirs = ku.load_img(str(tmp_path / "b.png"), **kwargs)
        assert ours.mode == theirs.mode, kwargs
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    buffer = io.BytesIO((tmp_path / "a.png").read_bytes())
    assert lx.utils.load_img(buffer).size == (8, 6)


def test_save_rgba_as_jpeg_warns_and_converts(tmp_path):
    with pytest.warns(UserWarning, match="RGB"):
        lx.utils.save_img(tmp_path / "a.jpg", np.random.default_rng(1).uniform(size=(4, 4, 4)))
    assert lx.utils.load_img(tmp_path / "a.jpg").mode == "RGB"


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="rank 3"):
        lx.utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="channels"):
        lx.utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="2D or 3D"):
        lx.utils.img_to_array(np.zeros((1, 2, 2, 3)))
    lx.utils.save_img(tmp_path / "a.png", np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="color_mode"):
        lx.utils.load_img(tmp_path / "a.png", color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        lx.utils.load_img(tmp_path / "a.png", target_size=(1, 1), interpolation="cubic")
    with pytest.raises(TypeError, match="io.BytesIO"):
        lx.utils.load_img(3)


def test_clear_error_without_pillow(monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match=r"layerax\[image\]"):
        lx.utils.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match="load_img needs Pillow"):
        lx.utils.load_img("x.png")

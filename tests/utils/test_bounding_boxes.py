"""`lx.utils.bounding_boxes` and `lx.preprocessing` against Keras 3 (JAX backend)."""

from __future__ import annotations

import numpy as np
import pytest

import layerax as lx

keras = pytest.importorskip("keras")
kbb = keras.utils.bounding_boxes
lbb = lx.utils.bounding_boxes

FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh"]


def _boxes(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(0, 20, shape + (2,))
    return np.concatenate([lo, lo + rng.uniform(1, 15, shape + (2,))], -1).astype("float32")


def _close(a, b, tol: float = 1e-5) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_convert_format_every_pair_matches_keras(shape) -> None:
    boxes = _boxes(shape)
    for source in FORMATS:
        for target in FORMATS:
            args = dict(source=source, target=target, height=40, width=30)
            _close(lbb.convert_format(boxes, **args), kbb.convert_format(boxes, **args))
    out = lbb.convert_format({"boxes": boxes}, "XYXY", "xywh")
    _close(out["boxes"], kbb.convert_format(boxes, "xyxy", "xywh"))
    with pytest.raises(ValueError, match="height"):
        lbb.convert_format(boxes, "xyxy", "rel_xyxy")
    with pytest.raises(ValueError, match="format"):
        lbb.convert_format(boxes, "xyxy", "xyz")


def test_clip_crop_pad_affine_match_keras() -> None:
    boxes = _boxes((2, 3)) - 5
    labels = np.array([[0, 1, 2], [3, 4, 5]])
    data = {"boxes": boxes, "labels": labels}
    for fmt, hw in (("xyxy", (12, 10)), ("rel_xyxy", (None, None))):
        src = data if fmt == "xyxy" else {"boxes": boxes / 20, "labels": labels}
        mine = lbb.clip_to_image_size(src, *hw, bounding_box_format=fmt)
        ref = kbb.clip_to_image_size(dict(src), *hw, bounding_box_format=fmt)
        _close(mine["boxes"], ref["boxes"])
        np.testing.assert_array_equal(np.asarray(mine["labels"]), np.asarray(ref["labels"]))
    _close(lbb.crop(boxes, 3, 2, 10, 8), kbb.crop(boxes, 3, 2, 10, 8))
    _close(lbb.pad(boxes, 3, 2), kbb.pad(boxes, 3, 2))
    rng = np.random.default_rng(1)
    params = [rng.uniform(-30, 30, 2), rng.uniform(-0.2, 0.2, 2), rng.uniform(-0.2, 0.2, 2),
              rng.uniform(0.8, 1.2, 2), rng.uniform(-10, 10, 2), rng.uniform(-10, 10, 2)]
    params = [p.astype("float32") for p in params]
    for centre in ((None, None), (0.3, 0.6)):
        _close(lbb.affine_transform(boxes, *params, 24, 32, *centre),
               kbb.affine_transform(boxes, *params, 24, 32, *centre), 1e-4)
    with pytest.raises(NotImplementedError, match="xyxy"):
        lbb.crop(boxes, 0, 0, 1, 1, bounding_box_format="yxyx")
    with pytest.raises(ValueError, match="height"):
        lbb.clip_to_image_size(data)


@pytest.mark.parametrize("shapes", [((4,), (6,)), ((2, 4), (2, 6)), ((2, 4), (6,))])
def test_iou_and_ciou_match_keras(shapes) -> None:
    b1, b2 = _boxes(shapes[0], 2), _boxes(shapes[1], 3)
    if len(shapes[0]) == 2:
        b1[0, 1] = -1.0  # a padding row, for the mask
    for fmt in ("xyxy", "center_xywh"):
        _close(lbb.compute_iou(b1, b2, fmt), kbb.compute_iou(b1, b2, fmt))
    if len(shapes[1]) == len(shapes[0]):
        _close(lbb.compute_iou(b1, b2, "xyxy", use_masking=True, mask_val=-2),
               kbb.compute_iou(b1, b2, "xyxy", use_masking=True, mask_val=-2))
    _close(lbb.compute_iou(b1 / 40, b2 / 40, "rel_xyxy", image_shape=(40, 40, 3)),
           kbb.compute_iou(b1 / 40, b2 / 40, "rel_xyxy", image_shape=(40, 40, 3)))
    paired = b2[..., : shapes[0][-1], :] if len(shapes[1]) == len(shapes[0]) else b2[:4]
    _close(lbb.compute_ciou(b1, paired, "xyxy"), kbb.compute_ciou(b1, paired, "xyxy"), 1e-4)
    with pytest.raises(ValueError, match="image_shape"):
        lbb.compute_iou(b1, b2, "rel_xyxy")


def test_deltas_round_trip_and_match_keras() -> None:
    anchors, boxes = _boxes((5,), 4), _boxes((2, 5), 5)
    for fmt, var in (("center_yxhw", None), ("center_xywh", [0.1, 0.1, 0.2, 0.2])):
        args = dict(anchor_format="xyxy", box_format="xywh", variance=var)
        mine = lbb.encode_box_to_deltas(anchors, boxes, encoding_format=fmt, **args)
        _close(mine, kbb.encode_box_to_deltas(anchors, boxes, encoding_format=fmt, **args))
        back = lbb.decode_deltas_to_boxes(anchors, mine, encoded_format=fmt, **args)
        _close(back, keras.ops.convert_to_numpy(
            kbb.decode_deltas_to_boxes(anchors, np.asarray(mine), encoded_format=fmt, **args)))
        _close(back, boxes, 1e-3)
    levels = lbb.decode_deltas_to_boxes({"p3": anchors}, {"p3": np.zeros((5, 4))}, "xyxy", "xyxy")
    _close(levels["p3"], anchors, 1e-4)
    with pytest.raises(ValueError, match="variance"):
        lbb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[1.0])
    with pytest.raises(ValueError, match="encoding_format"):
        lbb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", encoding_format="xyxy")


@pytest.mark.parametrize("shape", [(13, 17, 3), (2, 3, 12, 9)])
def test_preprocessing_namespace_matches_keras(shape) -> None:
    x = np.random.default_rng(0).uniform(0, 255, shape).astype("float32")
    fmt = "channels_last" if len(shape) == 3 else "channels_first"
    for interpolation in ("bilinear", "nearest"):
        mine = lx.preprocessing.image.smart_resize(x, (6, 5), interpolation, data_format=fmt)
        ref = keras.preprocessing.image.smart_resize(x, (6, 5), interpolation, data_format=fmt)
        assert isinstance(mine, np.ndarray)
        _close(mine, ref, 1e-3)
    seqs = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    np.testing.assert_array_equal(lx.preprocessing.sequence.pad_sequences(seqs, maxlen=4),
                                  keras.preprocessing.sequence.pad_sequences(seqs, maxlen=4))
    assert lx.preprocessing.timeseries_dataset_from_array is lx.utils.timeseries_dataset_from_array
    assert lx.preprocessing.image.load_img is lx.utils.load_img
    with pytest.raises(ValueError, match="size"):
        lx.preprocessing.image.smart_resize(x, (6,))
    with pytest.raises(TypeError, match="unexpected"):
        lx.preprocessing.image.smart_resize(x, (6, 5), antialias=True)

"""lx.visualization against Keras 3's (draw_bounding_boxes needs OpenCV in Keras, which is not
installed here: its boxes are checked against closed forms and Keras' box-format converter)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.image  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import layerax as lx  # noqa: E402
from layerax.visualization.drawing import boxes_to_xyxy  # noqa: E402
from tests.helpers import keras  # noqa: E402

RNG = np.random.default_rng(0)
V = lx.visualization


@pytest.mark.parametrize("shape", [(2, 3), (1, 2, 4)])
def test_box_formats_match_keras_converter(shape):
    k = keras()
    xyxy = np.sort(RNG.uniform(0, 1, size=shape + (2, 2)), axis=-2)  # x1<x2, y1<y2
    boxes = np.stack([xyxy[..., 0, 0], xyxy[..., 0, 1], xyxy[..., 1, 0], xyxy[..., 1, 1]], -1)
    boxes = (boxes * 40).astype("float32")
    for fmt in ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
                "rel_xywh", "rel_center_xywh"):
        given = np.asarray(k.utils.bounding_boxes.convert_format(
            boxes, "xyxy", fmt, height=40, width=50))
        np.testing.assert_allclose(boxes_to_xyxy(given, fmt, 40, 50), boxes, rtol=1e-5,
                                   atol=1e-4, err_msg=fmt)


def _outline(height, width, x1, y1, x2, y2, lo, hi):
    """Closed form: pixels within the band [edge - lo, edge + hi] of the box's edges."""
    r, c = np.mgrid[:height, :width]
    in_x = (c >= x1 - lo) & (c <= x2 + hi)
    in_y = (r >= y1 - lo) & (r <= y2 + hi)
    near_x = ((c >= x1 - lo) & (c <= x1 + hi)) | ((c >= x2 - lo) & (c <= x2 + hi))
    near_y = ((r >= y1 - lo) & (r <= y1 + hi)) | ((r >= y2 - lo) & (r <= y2 + hi))
    return (near_x & in_y) | (near_y & in_x)


def test_draw_bounding_boxes_closed_form():
    images = RNG.uniform(0, 1, size=(2, 20, 24, 3)).astype("float32")
    boxes = {"boxes": np.array([[[0.1, 0.2, 0.5, 0.6], [0, 0, 0.2, 0.2]],
                                [[0.25, 0.25, 0.75, 0.9], [0.3, 0.3, 0.4, 0.4]]]),
             "labels": np.array([[1, -1], [0, 2]])}
    for thickness, (lo, hi) in ((1, (0, 0)), (2, (0, 1)), (3, (1, 1))):
        out = V.draw_bounding_boxes(images, boxes, "rel_xyxy", color=(255, 0, 10),
                                    line_thickness=thickness)
        assert out.shape == images.shape and out.dtype == np.uint8
        base = (np.clip(images, 0, 1) * 255).astype("uint8")
        expected = base.copy()
        absolute = boxes_to_xyxy(boxes["boxes"], "rel_xyxy", 20, 24).astype("int32")
        for i in range(2):
            for j in range(2):
                if boxes["labels"][i, j] == -1:
                    continue  # label -1: no box
                expected[i][_outline(20, 24, *absolute[i, j], lo, hi)] = (255, 0, 10)
        np.testing.assert_array_equal(out, expected)
    # uint8 images in, unchanged where nothing is drawn; the input is not modified.
    ints = (images * 255).astype("uint8")
    copy = ints.copy()
    out = V.draw_bounding_boxes(ints, {"boxes": np.zeros((2, 0, 4)), "labels": np.zeros((2, 0))},
                                "xyxy")
    np.testing.assert_array_equal(out, copy)
    np.testing.assert_array_equal(ints, copy)


def test_draw_bounding_boxes_labels_are_written_above_the_box():
    images = np.zeros((1, 64, 64, 3), "uint8")
    boxes = {"boxes": np.array([[[10, 40, 50, 60]]]), "labels": np.array([[3]]),
             "confidences": np.array([[0.9]])}
    plain = V.draw_bounding_boxes(images, boxes, "xyxy", color=(0, 255, 0), line_thickness=1)
    labelled = V.draw_bounding_boxes(images, boxes, "xyxy", class_mapping={3: "cat"},
                                     color=(0, 255, 0), line_thickness=1)
    changed = np.argwhere((labelled != plain).any(axis=-1)[0])
    assert len(changed) > 0
    # The text sits on a baseline 8 pixels above the box (descenders below it), left-aligned.
    assert changed[:, 0].max() < 40 and changed[:, 0].min() < 40 - 8
    assert changed[:, 1].min() >= 10


@pytest.mark.parametrize("shape", [(2, 6, 5), (1, 4, 9)])
def test_draw_segmentation_masks_matches_keras(shape):
    k = keras()
    images = RNG.uniform(0, 255, size=shape + (3,)).astype("float32")
    masks = RNG.integers(-1, 4, size=shape + (1,)).astype("int32")
    cases = [
        {},
        {"num_classes": 4, "alpha": 0.3},
        {"num_classes": 3, "ignore_index": 0, "blend": False},
        {"num_classes": 4, "color_mapping": {0: (1, 2, 3), 1: (255, 0, 0), 2: (0, 255, 0),
                                             3: (9, 9, 9)}},
    ]
    for kwargs in cases:
        ours = V.draw_segmentation_masks(images, masks, **kwargs)
        theirs = np.asarray(k.visualization.draw_segmentation_masks(images, masks, **kwargs))
        assert ours.dtype == theirs.dtype, kwargs
        np.testing.assert_array_equal(ours, theirs, err_msg=str(kwargs))
    first = np.transpose(images, (0, 3, 1, 2))
    ours = V.draw_segmentation_masks(first, np.transpose(masks, (0, 3, 1, 2)), num_classes=4,
                                     data_format="channels_first")
    theirs = np.asarray(k.visualization.draw_segmentation_masks(
        first, np.transpose(masks, (0, 3, 1, 2)), num_classes=4, data_format="channels_first"))
    np.testing.assert_array_equal(ours, theirs)


def _png(tmp_path, name, fn, *args, **kwargs):
    path = str(tmp_path / name)
    fn(*args, path=path, **kwargs)
    return matplotlib.image.imread(path)


def test_galleries_match_keras_pixels(tmp_path):
    k = keras()
    images = RNG.uniform(0, 1, size=(5, 12, 10, 3)).astype("float32")
    labels = {0: "zero", 1: "one"}
    common = {"value_range": (0, 1), "y_true": np.array([0, 1, 1, 0]),
              "y_pred": np.array([1, 1, 0, 0]), "label_map": labels}
    ours = _png(tmp_path, "a.png", V.plot_image_gallery, images, **common)
    theirs = _png(tmp_path, "b.png", k.visualization.plot_image_gallery, images, **common)
    np.testing.assert_array_equal(ours, theirs)
    ours = _png(tmp_path, "c.png", V.plot_image_gallery, images[:3] * 255, rows=1, scale=1)
    theirs = _png(tmp_path, "d.png", k.visualization.plot_image_gallery, images[:3] * 255,
                  rows=1, scale=1)
    np.testing.assert_array_equal(ours, theirs)
    masks = RNG.integers(0, 3, size=(2, 12, 10, 1))
    kwargs = {"num_classes": 3, "value_range": (0, 1), "y_true": masks, "y_pred": masks[::-1]}
    ours = _png(tmp_path, "e.png", V.plot_segmentation_mask_gallery, images[:2], **kwargs)
    theirs = _png(tmp_path, "f.png", k.visualization.plot_segmentation_mask_gallery,
                  images[:2], **kwargs)
    np.testing.assert_array_equal(ours, theirs)


def test_bounding_box_gallery_is_the_gallery_of_the_drawn_boxes(tmp_path):
    from matplotlib import patches

    images = RNG.uniform(0, 255, size=(2, 16, 16, 3)).astype("float32")
    y_true = {"boxes": np.array([[[1, 1, 9, 9]], [[3, 3, 12, 14]]]), "labels": np.zeros((2, 1))}
    y_pred = {"boxes": np.array([[[2, 2, 8, 8]], [[4, 4, 10, 10]]]), "labels": np.ones((2, 1))}
    ours = _png(tmp_path, "a.png", V.plot_bounding_box_gallery, images, "xyxy", y_true=y_true,
                y_pred=y_pred, legend=True)
    drawn = V.draw_bounding_boxes(images, y_true, "xyxy", color=(0, 188, 212))
    drawn = V.draw_bounding_boxes(drawn, y_pred, "xyxy", color=(255, 235, 59))
    handles = [patches.Patch(color=np.array((0, 188, 212)) / 255.0, label="Ground Truth"),
               patches.Patch(color=np.array((255, 235, 59)) / 255.0, label="Prediction")]
    expected = _png(tmp_path, "b.png", V.plot_image_gallery, drawn, legend_handles=handles)
    np.testing.assert_array_equal(ours, expected)


def test_errors(tmp_path, monkeypatch):
    images = np.zeros((1, 4, 4, 3), "uint8")
    with pytest.raises(ValueError, match="batched 4D"):
        V.draw_bounding_boxes(images[0], {"boxes": [], "labels": []}, "xyxy")
    with pytest.raises(TypeError, match="must be a dict"):
        V.draw_bounding_boxes(images, [1, 2], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        V.draw_bounding_boxes(images, {"boxes": np.zeros((1, 0, 4))}, "xyxy")
    with pytest.raises(ValueError, match="bounding_box_format"):
        V.draw_bounding_boxes(images, {"boxes": np.zeros((1, 0, 4)), "labels": np.zeros((1, 0))},
                              "xxyy")
    with pytest.raises(TypeError, match="integer dtype"):
        V.draw_segmentation_masks(images, np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="label_map"):
        V.plot_image_gallery(images, y_true=[0], path=str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="not both"):
        V.plot_image_gallery(images, path=str(tmp_path / "x.png"), show=True)
    with pytest.raises(ValueError, match="not both"):
        V.plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=[1])
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install layerax\[plot\]"):
        V.plot_image_gallery(images, path=str(tmp_path / "x.png"))

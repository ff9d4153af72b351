"""``keras.utils.bounding_boxes`` (the nine functions) against real Keras 3 (JAX backend).

Every function is a handful of float32 adds/multiplies/divides per coordinate, in the same order
as Keras, so results agree to float32 rounding: rtol=1e-5, atol=1e-5 (atol for coordinates near
zero after subtractions of values ~100; trig in affine_transform adds a few ulps).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.utils import bounding_boxes as sbb  # noqa: E402

from ._numpy_refs_b import iou_matrix_xyxy, xyxy_to  # noqa: E402


class _KerasBoundingBoxes:
    """``keras.utils.bounding_boxes``, looked up when a test first uses it (so it skips only that test
    without Keras)."""

    def __getattr__(self, name):
        if name.startswith("_"):  # pytest's collection probes dunders such as __test__
            raise AttributeError(name)
        return getattr(keras.utils.bounding_boxes, name)

    def __dir__(self):
        return dir(keras.utils.bounding_boxes)


kbb = _KerasBoundingBoxes()

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOL = dict(rtol=1e-5, atol=1e-5)
FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
           "rel_center_xywh")


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def boxes_xyxy(shape=(2, 5), seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-10, 60, shape + (2,))
    wh = rng.uniform(1, 40, shape + (2,))
    return np.concatenate([xy, xy + wh], -1).astype("float32")


def test_all_nine_names_exported():
    assert sorted(sbb.__all__) == sorted(n for n in dir(keras.utils.bounding_boxes) if not n.startswith("_"))


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", ["xyxy", "center_yxhw", "rel_xywh", "rel_center_xywh", "yxyx"])
def test_convert_format_matches_keras(backend, source, target):
    b = np.asarray(kbb.convert_format(boxes_xyxy(), "xyxy", source, height=50, width=80))
    want = np.asarray(kbb.convert_format(b, source, target, height=50, width=80))
    got = sbb.convert_format(b, source.upper(), target, height=50, width=80)
    assert ops.dtype(got) == "float32"
    np.testing.assert_allclose(npy(got), want, **TOL)


def test_convert_format_dict_dtype_and_errors(backend):
    b = boxes_xyxy((3,))
    d = {"boxes": b, "labels": np.arange(3)}
    out = sbb.convert_format(d, "xyxy", "xywh", dtype="float64")
    assert ops.dtype(out["boxes"]) == "float64" and out["labels"] is d["labels"] and d["boxes"] is b
    np.testing.assert_allclose(npy(out["boxes"])[:, 2:], b[:, 2:] - b[:, :2], rtol=1e-6)
    with pytest.raises(ValueError, match="last dimension of 4"):
        sbb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="Invalid source or target format"):
        sbb.convert_format(b, "xyxy", "cxcywh")
    with pytest.raises(ValueError, match="must receive `height` and `width`"):
        sbb.convert_format(b, "xyxy", "rel_xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_keras(backend, fmt):
    b = boxes_xyxy()
    b[0, 0] = [70, 70, 90, 90]     # entirely outside: area 0 after clipping -> label -1
    if fmt == "rel_xyxy":
        b = b / np.array([60, 50, 60, 50], "float32")
    labels = np.arange(10, dtype="int32").reshape(2, 5)
    want = kbb.clip_to_image_size({"boxes": b, "labels": labels}, height=50, width=60, bounding_box_format=fmt)
    got = sbb.clip_to_image_size({"boxes": b, "labels": labels}, height=50, width=60, bounding_box_format=fmt)
    np.testing.assert_allclose(npy(got["boxes"]), np.asarray(want["boxes"]), **TOL)
    np.testing.assert_array_equal(npy(got["labels"]), np.asarray(want["labels"]))
    assert npy(got["labels"])[0, 0] == -1
    with pytest.raises(NotImplementedError):
        sbb.clip_to_image_size({"boxes": b}, 5, 5, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="must be set"):
        sbb.clip_to_image_size({"boxes": b})


def test_affine_transform_matches_keras(backend):
    b = boxes_xyxy((3, 4), seed=1)
    args = dict(angle=np.array([10.0, -35.0, 90.0], "float32"), translate_x=np.array([0.1, -0.2, 0.0], "float32"),
                translate_y=np.array([0.0, 0.3, -0.1], "float32"), scale=np.array([1.0, 0.8, 1.3], "float32"),
                shear_x=np.array([5.0, 0.0, -10.0], "float32"), shear_y=np.array([0.0, 12.0, 3.0], "float32"),
                height=50, width=70)
    want = np.asarray(kbb.affine_transform(b, **args))
    got = sbb.affine_transform(b, **args)
    np.testing.assert_allclose(npy(got), want, rtol=1e-5, atol=1e-4)  # cos/sin/tan ulps times ~100 px
    want_c = np.asarray(kbb.affine_transform(b, **args, center_x=0.2, center_y=0.7))
    np.testing.assert_allclose(npy(sbb.affine_transform(b, **args, center_x=0.2, center_y=0.7)), want_c,
                               rtol=1e-5, atol=1e-4)
    # unbatched boxes are one image (Keras requires a batch axis)
    one = {k: (v[:1] if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    np.testing.assert_allclose(npy(sbb.affine_transform(b[0], **one)), want[0], rtol=1e-5, atol=1e-4)
    with pytest.raises(NotImplementedError):
        sbb.affine_transform(b, **args, bounding_box_format="yxyx")


def test_crop_and_pad_match_keras(backend):
    b = boxes_xyxy((2, 3), seed=2)
    np.testing.assert_allclose(npy(sbb.crop(b, 10, 20, 40, 30)), np.asarray(kbb.crop(b, 10, 20, 40, 30)), **TOL)
    np.testing.assert_allclose(npy(sbb.pad(b, 7, 3)), np.asarray(kbb.pad(b, 7, 3)), **TOL)
    np.testing.assert_allclose(npy(sbb.crop(b[0], 10, 20, 40, 30)), np.asarray(kbb.crop(b[0], 10, 20, 40, 30)),
                               **TOL)
    for fn in (lambda: sbb.crop(b, 1, 1, 5, 5, bounding_box_format="xywh"),
               lambda: sbb.pad(b, 1, 1, bounding_box_format="xywh")):
        with pytest.raises(NotImplementedError):
            fn()


@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh", "rel_yxyx"])
@pytest.mark.parametrize("masking", [False, True])
def test_compute_iou_matches_keras(backend, fmt, masking):
    shape = (20, 30, 3)
    b1 = np.array(kbb.convert_format(boxes_xyxy((2, 4), 3), "xyxy", fmt, height=20, width=30))
    b2 = np.asarray(kbb.convert_format(boxes_xyxy((2, 5), 4), "xyxy", fmt, height=20, width=30))
    b1[0, 0] = -1.0
    for x1, x2 in ((b1, b2), (b1[0], b2[0]), (b1, b2[1]), (b1[1], b2)):
        got = npy(sbb.compute_iou(x1, x2, fmt, use_masking=masking, image_shape=shape))
        if x1.ndim == x2.ndim or not masking:
            want = np.asarray(kbb.compute_iou(x1, x2, fmt, use_masking=masking, image_shape=shape))
        else:   # Keras' masking transposes by boxes1's rank and fails for mixed ranks: reference by hand
            want = np.asarray(kbb.compute_iou(x1, x2, fmt, image_shape=shape))
            y1 = np.asarray(kbb.convert_format(x1, fmt, "yxyx", 20, 30)).max(-1) < 0
            y2 = np.asarray(kbb.convert_format(x2, fmt, "yxyx", 20, 30)).max(-1) < 0
            want = np.where(y1[..., :, None] | y2[..., None, :], -1.0, want)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, **TOL)
    with pytest.raises(ValueError, match="image_shape"):
        sbb.compute_iou(b1, b2, "rel_xyxy")
    with pytest.raises(ValueError, match="boxes1"):
        sbb.compute_iou(b1[0, 0], b2, "xyxy")


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "center_yxhw"])
def test_compute_ciou_matches_keras(backend, fmt):
    b1 = np.asarray(kbb.convert_format(boxes_xyxy((2, 6), 5), "xyxy", fmt))
    b2 = np.asarray(kbb.convert_format(boxes_xyxy((2, 6), 6), "xyxy", fmt))
    want = np.asarray(kbb.compute_ciou(b1, b2, fmt))
    got = npy(sbb.compute_ciou(b1, b2, fmt))
    assert got.shape == want.shape == (2, 6)
    np.testing.assert_allclose(got, want, **TOL)
    np.testing.assert_allclose(npy(sbb.compute_ciou(b1, b1, fmt)), 1.0, atol=1e-5)   # identical boxes
    with pytest.raises(ValueError):
        sbb.compute_ciou(b1, b2, "rel_xyxy")


@pytest.mark.parametrize("enc", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_decode_match_keras(backend, enc, variance):
    anchors = boxes_xyxy((6,), 7)
    boxes = boxes_xyxy((2, 6), 8)
    kw = dict(anchor_format="xyxy", box_format="xyxy", variance=variance)
    want = np.asarray(kbb.encode_box_to_deltas(anchors, boxes, encoding_format=enc, **kw))
    got = npy(sbb.encode_box_to_deltas(anchors, boxes, encoding_format=enc, **kw))
    np.testing.assert_allclose(got, want, **TOL)
    back = sbb.decode_deltas_to_boxes(anchors, got, encoded_format=enc, **kw)
    np.testing.assert_allclose(npy(back), boxes, rtol=1e-4, atol=1e-4)  # exp(log(.)) round trip
    kd = np.asarray(kbb.decode_deltas_to_boxes(anchors, want, encoded_format=enc, **kw))
    np.testing.assert_allclose(npy(back), kd, **TOL)
    lv = sbb.decode_deltas_to_boxes({"p3": anchors, "p4": anchors[:2]}, {"p3": got, "p4": got[:, :2]},
                                    encoded_format=enc, **kw)
    assert sorted(lv) == ["p3", "p4"] and tuple(ops.shape(lv["p4"])) == (2, 2, 4)
    rel = sbb.encode_box_to_deltas(anchors, boxes / 100.0, "xyxy", "rel_xyxy", encoding_format=enc,
                                   image_shape=(100, 100, 3))
    want_rel = kbb.encode_box_to_deltas(anchors, boxes / 100.0, "xyxy", "rel_xyxy", encoding_format=enc,
                                        image_shape=(100, 100, 3))
    np.testing.assert_allclose(npy(rel), np.asarray(want_rel), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="length 4"):
        sbb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[1.0, 2.0])
    with pytest.raises(ValueError, match="encoding_format"):
        sbb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", encoding_format="xyxy")
    with pytest.raises(ValueError, match="encoded_format"):
        sbb.decode_deltas_to_boxes(anchors, got, "xyxy", "xyxy", encoded_format="xyxy")


# ---- NumPy references (no Keras needed) -------------------------------------------------------------
# Inputs are float32 pixel coordinates <= ~100; the references work in float64 on the same float32
# inputs. A conversion is <= 3 float32 adds/multiplies per coordinate (<= ~3 ulp of 100 = 2.3e-5
# absolute), hence atol 1e-4 on pixel outputs and rtol 1e-5; relative coordinates (<= ~1.5) get 1e-5.
PIX = dict(rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_convert_format_matches_numpy_reference(backend, source, target):
    b = boxes_xyxy().astype("float64")
    src = xyxy_to(b, source, height=50, width=80).astype("float32")
    got = sbb.convert_format(src, source, target, height=50, width=80)
    assert ops.dtype(got) == "float32" and tuple(ops.shape(got)) == (2, 5, 4)
    want = xyxy_to(b, target, height=50, width=80)
    np.testing.assert_allclose(npy(got), want, **(PIX if not target.startswith("rel") else TOL))


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
def test_clip_to_image_size_matches_numpy_reference(backend, fmt):
    b = boxes_xyxy()
    b[0, 0] = [70, 70, 90, 90]     # entirely outside the 60 x 50 image
    b[1, 2] = [-5, 10, 0, 20]      # zero width once clipped
    hi = np.array([60, 50, 60, 50], "float32")
    if fmt == "rel_xyxy":
        b, hi = b / hi, np.ones(4, "float32")
    labels = np.arange(10, dtype="int32").reshape(2, 5)
    got = sbb.clip_to_image_size({"boxes": b, "labels": labels}, height=50, width=60, bounding_box_format=fmt)
    want = np.clip(b, 0, hi)
    np.testing.assert_array_equal(npy(got["boxes"]), want)   # clipping is exact
    area = (want[..., 2] - want[..., 0]) * (want[..., 3] - want[..., 1])
    np.testing.assert_array_equal(npy(got["labels"]), np.where(area > 0, labels, -1))
    assert npy(got["labels"])[0, 0] == -1 and npy(got["labels"])[1, 2] == -1


def test_crop_and_pad_match_numpy_reference(backend):
    b = boxes_xyxy((2, 3), seed=2)
    off = np.array([20, 10, 20, 10], "float32")   # left, top, left, top
    np.testing.assert_allclose(npy(sbb.crop(b, 10, 20, 40, 30)), np.clip(b - off, 0, [30, 40, 30, 40]), **PIX)
    np.testing.assert_allclose(npy(sbb.crop(b[0], 10, 20, 40, 30)), np.clip(b[0] - off, 0, [30, 40, 30, 40]), **PIX)
    np.testing.assert_allclose(npy(sbb.pad(b, 7, 3)), b + np.array([3, 7, 3, 7], "float32"), **PIX)


@pytest.mark.parametrize("fmt", ["xyxy", "center_xywh", "rel_yxyx"])
@pytest.mark.parametrize("masking", [False, True])
def test_compute_iou_matches_numpy_reference(backend, fmt, masking):
    """Pairwise IoU of every box pair by the area formula; with masking, pairs where a box is all
    negative (padding) are -1. IoU is a ratio of float32 areas: rtol 1e-5, atol 1e-6."""
    shape = (20, 30, 3)
    a, c = boxes_xyxy((2, 4), 3).astype("float64"), boxes_xyxy((2, 5), 4).astype("float64")
    a[0, 0] = -1.0
    b1 = xyxy_to(a, fmt, height=20, width=30).astype("float32")
    b2 = xyxy_to(c, fmt, height=20, width=30).astype("float32")
    if fmt.startswith("rel"):
        b1[0, 0] = -1.0
    a_abs = a.copy()
    a_abs[0, 0] = -1.0 if not fmt.startswith("rel") else np.array([-30.0, -20.0, -30.0, -20.0])
    want = iou_matrix_xyxy(a_abs, c)
    want = np.nan_to_num(want)
    if masking:
        pad1 = (a_abs < 0).all(-1)
        want = np.where(pad1[..., :, None], -1.0, want)
    got = npy(sbb.compute_iou(b1, b2, fmt, use_masking=masking, image_shape=shape))
    assert got.shape == (2, 4, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    got0 = npy(sbb.compute_iou(b1[1], b2[1], fmt, use_masking=masking, image_shape=shape))
    np.testing.assert_allclose(got0, want[1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "center_yxhw"])
def test_compute_ciou_matches_numpy_reference(backend, fmt):
    """Complete IoU (Zheng et al. 2020) of matching box pairs: ``IoU - rho^2 / c^2 - alpha v`` with
    ``v = 4/pi^2 (atan(w2/h2) - atan(w1/h1))^2`` and ``alpha = v / (1 - IoU + v)``. The layer adds
    epsilons of 1e-7 to denominators; with boxes >= 1 px those move the result by < 1e-6, so
    rtol=atol=1e-5."""
    a, c = boxes_xyxy((2, 6), 5).astype("float64"), boxes_xyxy((2, 6), 6).astype("float64")
    got = npy(sbb.compute_ciou(xyxy_to(a, fmt).astype("float32"), xyxy_to(c, fmt).astype("float32"), fmt))
    iou = np.diagonal(iou_matrix_xyxy(a, c), axis1=-2, axis2=-1)
    ca, cc = (a[..., :2] + a[..., 2:]) / 2, (c[..., :2] + c[..., 2:]) / 2
    rho2 = ((ca - cc) ** 2).sum(-1)
    diag = np.maximum(a[..., 2:], c[..., 2:]) - np.minimum(a[..., :2], c[..., :2])
    c2 = (diag ** 2).sum(-1)
    wa, ha, wc, hc = a[..., 2] - a[..., 0], a[..., 3] - a[..., 1], c[..., 2] - c[..., 0], c[..., 3] - c[..., 1]
    v = 4 / np.pi ** 2 * (np.arctan(wc / hc) - np.arctan(wa / ha)) ** 2
    alpha = v / (1 - iou + v)
    np.testing.assert_allclose(got, iou - rho2 / c2 - alpha * v, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(npy(sbb.compute_ciou(xyxy_to(a, fmt), xyxy_to(a, fmt), fmt)), 1.0, atol=1e-5)


@pytest.mark.parametrize("enc", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_encode_decode_match_numpy_reference(backend, enc, variance):
    """Deltas ``((c - c_a) / s_a, log(s / s_a)) / variance`` in the encoding's coordinate order;
    decoding inverts them. float32 divisions/logs of pixel values: rtol 1e-5, atol 1e-5; the
    round trip through exp(log(.)) is checked at 1e-4."""
    anchors = boxes_xyxy((6,), 7)
    boxes = boxes_xyxy((2, 6), 8)
    ea, eb = xyxy_to(anchors.astype("float64"), enc), xyxy_to(boxes.astype("float64"), enc)
    want = np.concatenate([(eb[..., :2] - ea[..., :2]) / ea[..., 2:], np.log(eb[..., 2:] / ea[..., 2:])], -1)
    if variance is not None:
        want = want / np.asarray(variance)
    kw = dict(anchor_format="xyxy", box_format="xyxy", variance=variance)
    got = npy(sbb.encode_box_to_deltas(anchors, boxes, encoding_format=enc, **kw))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    back = npy(sbb.decode_deltas_to_boxes(anchors, want.astype("float32"), encoded_format=enc, **kw))
    np.testing.assert_allclose(back, boxes, rtol=1e-4, atol=1e-4)

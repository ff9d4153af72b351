"""Resizing, CenterCrop, RandomCrop, RandomFlip, MaxNumBoundingBoxes against real Keras 3 (JAX backend).

Deterministic layers are compared call for call (images, boxes, masks); random layers through
Keras' contract: kshim draws a transformation, both libraries apply it with ``transform_images``
/ ``transform_bounding_boxes``, and a kshim call with a twin layer of the same seed must give the
same result. Tolerances: resizing is separable weight matrices in float32 on both sides (kshim's
einsum vs ``jax.image``), rtol=1e-5 with atol=1e-3 on 0..255 images (~4e-6 relative to the range);
crops and flips move values exactly (equality); box arithmetic is a few float32 ops (1e-5).

The NumPy references (tests/layers/_numpy_refs_c.py, float64) check the same layers without Keras:
resizing by explicit half-pixel index maps (bilinear: two separable interpolation matrices, float32
rounding on the kshim side, so IMG_TOL again; nearest: an index map, so equality), crops and flips by
slicing and ``np.flip``, boxes by shifting/scaling/clipping their coordinates.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import preprocessing as P  # noqa: E402
from . import _numpy_refs_c as R  # noqa: E402
from ._util import npy, tree_np, same_config  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)
IMG_TOL = dict(rtol=1e-5, atol=1e-3)
BOX_TOL = dict(rtol=1e-5, atol=1e-5)


_REF: dict = {}


def ref(key, fn):
    """Real-Keras results are computed once per parameter set and shared by the three backends
    (Keras-JAX compiles every new shape, which dominates the run time)."""
    if key not in _REF:
        _REF[key] = tree_np(fn())
    return _REF[key]


def images(shape=(2, 12, 10, 3), dtype="float32"):
    return rng.uniform(0, 255, shape).astype(dtype)


def boxes(n=2, rel=False, h=12, w=10):
    b = np.array([[1, 2, 6, 9], [3, 0, 10, 5], [-1, -1, -1, -1]], "float32")
    b = np.broadcast_to(b, (n, 3, 4)).copy()
    b[-1, 0] = [0, 0, 0, 0]
    if rel:
        b = b / np.array([w, h, w, h], "float32")
    return {"boxes": b, "labels": np.broadcast_to(np.array([1, 2, 3], "int32"), (n, 3)).copy()}


def cmp_boxes(got, want):
    np.testing.assert_allclose(npy(got["boxes"]), np.asarray(want["boxes"]), **BOX_TOL)
    np.testing.assert_array_equal(npy(got["labels"]), np.asarray(want["labels"]))


# ---- Resizing ---------------------------------------------------------------------------------
RESIZE_CASES = [((5, 7), dict()), ((20, 9), dict()), ((5, 7), dict(interpolation="nearest")),
                ((20, 9), dict(interpolation="nearest")), ((5, 7), dict(interpolation="bicubic")),
                ((5, 7), dict(interpolation="lanczos3")), ((20, 9), dict(interpolation="lanczos5")),
                ((5, 7), dict(antialias=True)), ((5, 7), dict(interpolation="bicubic", antialias=True)),
                ((5, 7), dict(crop_to_aspect_ratio=True)), ((20, 9), dict(crop_to_aspect_ratio=True)),
                ((5, 7), dict(pad_to_aspect_ratio=True, fill_value=7.0)),
                ((20, 9), dict(pad_to_aspect_ratio=True, fill_value=7.0)), ((5, 7), dict(data_format="channels_first"))]
X_RESIZE = images((2, 12, 10, 3))
MASKS = rng.integers(0, 4, (2, 12, 10, 1)).astype("int32")


@pytest.mark.parametrize("case", range(len(RESIZE_CASES)))
def test_resizing_matches_keras(backend, case):
    size, kw = RESIZE_CASES[case]
    x = np.ascontiguousarray(X_RESIZE.transpose(0, 3, 1, 2)) if kw.get("data_format") == "channels_first" \
        else X_RESIZE
    k = keras.layers.Resizing(*size, name="r", **kw)
    s = P.Resizing(*size, name="r", **kw)
    same_config(k, s)
    want = ref(("resize", case), lambda: k(x))
    np.testing.assert_allclose(npy(s(x)), want, **IMG_TOL)
    np.testing.assert_allclose(npy(s(x[0])), want[0], **IMG_TOL)
    assert s.compute_output_shape(x.shape) == tuple(k.compute_output_shape(x.shape))


def _resize_reference(x, size, kw):
    """Resizing by the NumPy references, channels-last (crop or pad to the aspect ratio first)."""
    if kw.get("crop_to_aspect_ratio"):
        top, left, ch, cw = R.aspect_crop_window(x.shape[-3], x.shape[-2], *size)
        x = x[..., top:top + ch, left:left + cw, :]
    elif kw.get("pad_to_aspect_ratio"):
        x = R.aspect_pad(x, *size, kw.get("fill_value", 0.0))
    return R.resize_nearest(x, *size) if kw.get("interpolation") == "nearest" else R.resize_bilinear(x, *size)


REF_RESIZE_CASES = [i for i, (_, kw) in enumerate(RESIZE_CASES)
                    if kw.get("interpolation", "bilinear") in ("bilinear", "nearest") and not kw.get("antialias")]


@pytest.mark.parametrize("case", REF_RESIZE_CASES)
def test_resizing_matches_numpy_reference(backend, case):
    size, kw = RESIZE_CASES[case]
    s = P.Resizing(*size, name="r", **kw)
    want = _resize_reference(X_RESIZE.astype(np.float64), size, kw)
    if kw.get("data_format") == "channels_first":
        got = npy(s(np.ascontiguousarray(X_RESIZE.transpose(0, 3, 1, 2)))).transpose(0, 2, 3, 1)
    else:
        got = npy(s(X_RESIZE))
        np.testing.assert_allclose(npy(s(X_RESIZE[0])), want[0], **IMG_TOL)  # a single image
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, **IMG_TOL)
    cfg = s.get_config()
    assert type(s).from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("size", [(5, 7), (24, 20), (6, 5)])
def test_resizing_reference_identities(size):
    """The reference itself: resizing to the same size is the identity, an exact 2x upsample's
    nearest map repeats each pixel twice, and bilinear weights rows sum to one."""
    np.testing.assert_allclose(R.resize_bilinear(X_RESIZE, 12, 10), X_RESIZE, rtol=1e-12)
    np.testing.assert_array_equal(R.resize_nearest(X_RESIZE, 24, 20), X_RESIZE.repeat(2, 1).repeat(2, 2))
    np.testing.assert_allclose(R.resize_bilinear(np.ones((1, 12, 10, 1)), *size), 1.0, rtol=1e-12)


@pytest.mark.parametrize("size,kw", [((24, 8), dict()), ((6, 6), dict()), ((24, 8), dict(crop_to_aspect_ratio=True)),
                                     ((6, 6), dict(crop_to_aspect_ratio=True)),
                                     ((24, 8), dict(pad_to_aspect_ratio=True))])
def test_resizing_masks_and_boxes_match_numpy_reference(backend, size, kw):
    """Masks follow the images' crop/pad with nearest sampling (labels stay labels). xyxy boxes:
    stretched by the two size ratios; with an aspect-ratio crop (pad) scaled uniformly by the larger
    (smaller) ratio, then moved by the floor of the centred overhang (margin) in the output frame
    as Keras maps them, and clipped to the output."""
    bb = boxes()
    # (named: test_resizing_boxes_and_masks_match_keras compares auto-generated names with Keras')
    s = P.Resizing(*size, bounding_box_format="xyxy", name="r", **kw)
    out = s({"images": X_RESIZE, "segmentation_masks": MASKS, "bounding_boxes": bb})
    got_m = npy(out["segmentation_masks"])
    assert got_m.dtype == MASKS.dtype
    np.testing.assert_array_equal(got_m, _resize_reference(MASKS, size, dict(kw, interpolation="nearest")))
    th, tw = size
    b = bb["boxes"][0, :2].astype(np.float64)  # the two valid boxes of the first image
    if kw.get("crop_to_aspect_ratio"):
        ratio = max(th / 12, tw / 10)
        top, left = np.floor((12 * ratio - th) / 2), np.floor((10 * ratio - tw) / 2)
        b = b * ratio - [left, top, left, top]
    elif kw.get("pad_to_aspect_ratio"):
        ratio = min(th / 12, tw / 10)
        top, left = np.floor((th - 12 * ratio) / 2), np.floor((tw - 10 * ratio) / 2)
        b = b * ratio + [left, top, left, top]
    else:
        b = b * [tw / 10, th / 12, tw / 10, th / 12]
    b = np.clip(b, 0, [tw, th, tw, th])
    np.testing.assert_allclose(npy(out["bounding_boxes"]["boxes"])[0, :2], b, **BOX_TOL)
    np.testing.assert_array_equal(npy(out["bounding_boxes"]["labels"])[0, :2], [1, 2])


def test_resizing_integer_images_stay_integer(backend):
    x = X_RESIZE.astype("uint8")
    for interp in ("bilinear", "nearest"):
        k, s = keras.layers.Resizing(7, 5, interpolation=interp), P.Resizing(7, 5, interpolation=interp)
        got = npy(s(x))
        assert got.dtype == np.uint8
        # rounding of x.5 after float32 interpolation may differ by one level
        np.testing.assert_allclose(got.astype(int), ref(("resize_u8", interp), lambda: k(x)).astype(int), atol=1)


@pytest.mark.parametrize("kw", [dict(), dict(crop_to_aspect_ratio=True), dict(pad_to_aspect_ratio=True)])
@pytest.mark.parametrize("fmt,size", [("xyxy", (6, 6)), ("rel_xyxy", (24, 8)), ("center_yxhw", (24, 8)),
                                      ("xyxy", (24, 8))])
def test_resizing_boxes_and_masks_match_keras(backend, kw, fmt, size):
    x = X_RESIZE
    bb = boxes(rel=fmt.startswith("rel"))
    bb = {"boxes": np.asarray(keras.utils.bounding_boxes.convert_format(bb["boxes"], "rel_xyxy" if fmt.startswith(
        "rel") else "xyxy", fmt, height=12, width=10)), "labels": bb["labels"]}
    masks = MASKS
    k = keras.layers.Resizing(*size, bounding_box_format=fmt, **kw)
    s = P.Resizing(*size, bounding_box_format=fmt, **kw)
    same_config(k, s)
    data = {"images": x, "bounding_boxes": bb, "segmentation_masks": masks, "labels": np.arange(2)}
    kout = ref(("resize_boxes", fmt, size, tuple(kw)),
               lambda: k({kk: (dict(v) if isinstance(v, dict) else v) for kk, v in data.items()}))
    sout = s(data)
    np.testing.assert_allclose(npy(sout["images"]), np.asarray(kout["images"]), **IMG_TOL)
    np.testing.assert_array_equal(npy(sout["segmentation_masks"]), np.asarray(kout["segmentation_masks"]))
    np.testing.assert_array_equal(npy(sout["labels"]), np.arange(2))
    cmp_boxes(sout["bounding_boxes"], kout["bounding_boxes"])


def test_resizing_area_is_block_mean(backend):
    """``"area"`` (Keras runs it on TensorFlow only): an exact 2x downsample is the 2x2 block mean."""
    s = P.Resizing(6, 5, interpolation="area", name="a")
    want = X_RESIZE.reshape(2, 6, 2, 5, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(npy(s(X_RESIZE)), want, rtol=1e-5, atol=1e-4)
    assert P.Resizing.from_config(s.get_config()).interpolation == "area"


def test_resizing_errors(backend):
    with pytest.raises(ValueError):
        P.Resizing(4, 4, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)(images())
    with pytest.raises(ValueError, match="bounding box format"):
        P.Resizing(4, 4)({"images": images(), "bounding_boxes": boxes()})
    with pytest.raises(ValueError, match="rank 3"):
        P.Resizing(4, 4)(np.zeros((2, 2, 4, 4, 3), "float32"))


# ---- CenterCrop -------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(6, 4), (12, 10), (15, 6), (4, 14), (20, 20)])
@pytest.mark.parametrize("df", ["channels_last", "channels_first"])
def test_center_crop_matches_keras(backend, size, df):
    x = X_RESIZE.astype("uint8")
    if df == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    k = keras.layers.CenterCrop(*size, data_format=df, name="c")
    s = P.CenterCrop(*size, data_format=df, name="c")
    same_config(k, s)
    got, want = npy(s(x)), ref(("center", size, df), lambda: k(x))
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, **IMG_TOL)
    np.testing.assert_allclose(npy(s(x, training=False)), want, **IMG_TOL)   # crops in inference too
    np.testing.assert_allclose(npy(s(x[1])), want[1], **IMG_TOL)
    assert s.compute_output_shape(x.shape) == tuple(k.compute_output_shape(x.shape))


@pytest.mark.parametrize("size", [(6, 4), (12, 10), (15, 6), (4, 14), (20, 20)])
def test_center_crop_matches_numpy_reference(backend, size):
    """Large enough: the centred window (top (H - h) // 2, left (W - w) // 2); too small on a side:
    Keras' fallback, a resize of the largest centred window of the target aspect."""
    x = X_RESIZE.astype("uint8")
    h, w = size
    if h <= 12 and w <= 10:
        want = x[:, (12 - h) // 2:(12 - h) // 2 + h, (10 - w) // 2:(10 - w) // 2 + w].astype(np.float64)
    else:
        want = _resize_reference(x.astype(np.float64), size, dict(crop_to_aspect_ratio=True))
    s = P.CenterCrop(*size)
    got = npy(s(x))
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, **IMG_TOL)
    cf = npy(P.CenterCrop(*size, data_format="channels_first")(np.ascontiguousarray(x.transpose(0, 3, 1, 2))))
    np.testing.assert_allclose(cf, want.transpose(0, 3, 1, 2), **IMG_TOL)
    assert tuple(s.compute_output_shape(x.shape)) == want.shape


@pytest.mark.parametrize("size", [(6, 4), (8, 8), (12, 2)])
def test_center_crop_boxes_match_numpy_reference(backend, size):
    """xyxy boxes move by the window's offset and are clipped to it; boxes left with no area are
    dropped (label -1)."""
    bb = boxes()
    out = P.CenterCrop(*size, bounding_box_format="xyxy")({"images": X_RESIZE, "bounding_boxes": bb})
    h, w = size
    top, left = (12 - h) // 2, (10 - w) // 2
    want = np.clip(bb["boxes"][0, :2] - [left, top, left, top], 0, [w, h, w, h])
    got, labels = npy(out["bounding_boxes"]["boxes"])[0, :2], npy(out["bounding_boxes"]["labels"])[0, :2]
    keep = (want[:, 2] > want[:, 0]) & (want[:, 3] > want[:, 1])
    np.testing.assert_allclose(got[keep], want[keep], **BOX_TOL)
    np.testing.assert_array_equal(labels, np.where(keep, [1, 2], -1))


@pytest.mark.parametrize("size", [(6, 4), (15, 6), (4, 14)])
@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy", "xywh"])
def test_center_crop_boxes_match_keras(backend, size, fmt):
    bb = boxes(rel=fmt == "rel_xyxy")
    if fmt == "xywh":
        bb["boxes"] = np.asarray(keras.utils.bounding_boxes.convert_format(bb["boxes"], "xyxy", "xywh"))
    data = {"images": X_RESIZE, "bounding_boxes": bb, "segmentation_masks": X_RESIZE[..., :1]}
    k = keras.layers.CenterCrop(*size, bounding_box_format=fmt)
    s = P.CenterCrop(*size, bounding_box_format=fmt)
    kout = ref(("center_boxes", size, fmt), lambda: k({kk: (dict(v) if isinstance(v, dict) else v)
                                                       for kk, v in data.items()}))
    sout = s(data)
    cmp_boxes(sout["bounding_boxes"], kout["bounding_boxes"])
    np.testing.assert_allclose(npy(sout["segmentation_masks"]), np.asarray(kout["segmentation_masks"]), **IMG_TOL)
    single = s({"images": data["images"][0], "bounding_boxes": {"boxes": bb["boxes"][0], "labels": bb["labels"][0]}})
    np.testing.assert_allclose(npy(single["bounding_boxes"]["boxes"]), np.asarray(kout["bounding_boxes"]["boxes"])[0],
                               **BOX_TOL)


# ---- RandomCrop -------------------------------------------------------------------------------
def test_random_crop_config_and_inference(backend):
    k, s = keras.layers.RandomCrop(6, 8, seed=5, name="c"), P.RandomCrop(6, 8, seed=5, name="c")
    same_config(k, s)
    x = images(dtype="uint8")
    out = s(x, training=False)    # Keras returns the input unchanged in inference (no crop, no cast)
    assert npy(out).dtype == np.uint8
    np.testing.assert_array_equal(npy(out), np.asarray(k(x, training=False)))
    assert isinstance(P.RandomCrop(3, 3).get_config()["seed"], int)     # a seed is drawn, as Keras


@pytest.mark.parametrize("offsets", [(0, 0), (3, 1), (6, 2)])
@pytest.mark.parametrize("df", ["channels_last", "channels_first"])
def test_random_crop_transform_matches_keras(backend, offsets, df):
    x = np.ascontiguousarray(X_RESIZE.transpose(0, 3, 1, 2)) if df == "channels_first" else X_RESIZE
    k = keras.layers.RandomCrop(6, 8, data_format=df)
    s = P.RandomCrop(6, 8, data_format=df)
    want = ref(("crop", offsets, df), lambda: k.transform_images(x, offsets))
    t = (ops.convert_to_tensor(np.int32(offsets[0])), ops.convert_to_tensor(np.int32(offsets[1])))  # as drawn
    np.testing.assert_array_equal(npy(s.transform_images(x, t)), want)
    np.testing.assert_array_equal(npy(s.transform_images(x, offsets)), want)


@pytest.mark.parametrize("offsets", [(0, 0), (3, 1), (6, 2)])
@pytest.mark.parametrize("df", ["channels_last", "channels_first"])
def test_random_crop_transform_matches_numpy_reference(backend, offsets, df):
    h0, w0 = offsets
    want = X_RESIZE[:, h0:h0 + 6, w0:w0 + 8]
    s = P.RandomCrop(6, 8, data_format=df)
    if df == "channels_first":
        got = npy(s.transform_images(np.ascontiguousarray(X_RESIZE.transpose(0, 3, 1, 2)), offsets))
        got = got.transpose(0, 2, 3, 1)
    else:
        got = npy(s.transform_images(X_RESIZE, offsets))
    np.testing.assert_array_equal(got, want)
    cfg = P.RandomCrop(6, 8, seed=5, name="c").get_config()
    assert P.RandomCrop.from_config(cfg).get_config() == cfg and cfg["seed"] == 5


def test_random_crop_call_uses_drawn_offsets(backend):
    x = images((3, 12, 10, 3))
    s1, s2 = P.RandomCrop(5, 4, seed=11), P.RandomCrop(5, 4, seed=11)
    t = s1.get_random_transformation(x, training=True)
    h0, w0 = int(npy(t[0])), int(npy(t[1]))
    assert 0 <= h0 <= 7 and 0 <= w0 <= 6
    np.testing.assert_array_equal(npy(s2(x)), x[:, h0:h0 + 5, w0:w0 + 4])
    # image smaller than the target: the offsets of the centred window of the target's aspect, a
    # (target-sized) slice from there, resized to the target (as Keras)
    small = images((2, 4, 6, 3))
    top, left, _, _ = R.aspect_crop_window(4, 6, 8, 6)
    want = R.resize_bilinear(small[:, top:top + 8, left:left + 6].astype(np.float64), 8, 6)
    np.testing.assert_allclose(npy(P.RandomCrop(8, 6, seed=1)(small)), want, **IMG_TOL)


def test_random_crop_call_matches_keras(backend):
    x = images((3, 12, 10, 3))
    s2 = P.RandomCrop(5, 4, seed=11)
    t = P.RandomCrop(5, 4, seed=11).get_random_transformation(x, training=True)
    k = keras.layers.RandomCrop(5, 4)
    np.testing.assert_array_equal(npy(s2.transform_images(x, t)), np.asarray(k.transform_images(x, tree_np(t))))
    # image smaller than the target: Keras' centred aspect-ratio window, resized
    small = images((2, 4, 6, 3))
    s3, k3 = P.RandomCrop(8, 6, seed=1), keras.layers.RandomCrop(8, 6, seed=1)
    t3 = s3.get_random_transformation(small)
    assert t3 == k3.get_random_transformation(small)
    np.testing.assert_allclose(npy(s3(small)), np.asarray(k3(small)), **IMG_TOL)


def test_random_crop_boxes(backend):
    bb = boxes()
    k = keras.layers.RandomCrop(6, 8, bounding_box_format="xyxy")
    s = P.RandomCrop(6, 8, bounding_box_format="xyxy")
    # equal offsets: Keras' axis swap does not matter, so the results must agree
    cmp_boxes(s.transform_bounding_boxes(dict(bb), (2, 2)), k.transform_bounding_boxes(dict(bb), (2, 2)))
    # unequal offsets: x shifts by w_start and y by h_start (NumPy reference; Keras swaps them)
    got = npy(s.transform_bounding_boxes(dict(bb), (3, 1))["boxes"])
    want = np.maximum(bb["boxes"] - np.array([1, 3, 1, 3], "float32"), 0)
    np.testing.assert_allclose(got, want, **BOX_TOL)
    assert s.transform_bounding_boxes(bb, (3, 1), training=False) is bb
    m = MASKS.astype("float32")
    np.testing.assert_array_equal(npy(s.transform_segmentation_masks(m, (3, 1))), m[:, 3:9, 1:9])


# ---- RandomFlip -------------------------------------------------------------------------------
X_FLIP = images((4, 6, 5, 3))


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("df", ["channels_last", "channels_first"])
def test_random_flip_matches_keras(backend, mode, df):
    x = X_FLIP if df == "channels_last" else np.ascontiguousarray(X_FLIP.transpose(0, 3, 1, 2))
    k = keras.layers.RandomFlip(mode, seed=3, data_format=df, name="f")
    s = P.RandomFlip(mode, seed=3, data_format=df, name="f")
    same_config(k, s)
    t = s.get_random_transformation(x, training=True)
    flips = npy(t["flips"])
    assert flips.shape == (4, 1, 1, 1) and flips.dtype == bool
    t_np = {"flips": np.array([[[[True]]], [[[False]]], [[[True]]], [[[False]]]]), "input_shape": x.shape}
    want = ref(("flip", mode, df), lambda: k.transform_images(x, t_np))
    np.testing.assert_array_equal(npy(s.transform_images(x, t_np)), want)
    twin = P.RandomFlip(mode, seed=3, data_format=df)
    np.testing.assert_array_equal(npy(twin(x)), np.asarray(k.transform_images(x, tree_np(t))))
    np.testing.assert_array_equal(npy(s(x, training=False)), x)
    h_ax, w_ax = (2, 3) if df == "channels_first" else (1, 2)
    expected = x.copy()
    for i in (0, 2):
        if mode != "vertical":
            expected[i] = np.flip(expected[i], w_ax - 1)
        if mode != "horizontal":
            expected[i] = np.flip(expected[i], h_ax - 1)
    np.testing.assert_array_equal(want, expected)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("df", ["channels_last", "channels_first"])
def test_random_flip_matches_numpy_reference(backend, mode, df):
    x = X_FLIP if df == "channels_last" else np.ascontiguousarray(X_FLIP.transpose(0, 3, 1, 2))
    h_ax, w_ax = (2, 3) if df == "channels_first" else (1, 2)
    flips = np.array([True, False, True, False])

    def reference(flags):
        out = x.copy()
        for i in np.nonzero(flags)[0]:
            if mode != "vertical":
                out[i] = np.flip(out[i], w_ax - 1)
            if mode != "horizontal":
                out[i] = np.flip(out[i], h_ax - 1)
        return out

    s = P.RandomFlip(mode, seed=3, data_format=df)
    t_np = {"flips": flips.reshape(4, 1, 1, 1), "input_shape": x.shape}
    np.testing.assert_array_equal(npy(s.transform_images(x, t_np)), reference(flips))
    drawn = npy(P.RandomFlip(mode, seed=3, data_format=df).get_random_transformation(x, training=True)["flips"])
    np.testing.assert_array_equal(npy(s(x)), reference(drawn.reshape(-1)))  # a twin's draw is the call's
    np.testing.assert_array_equal(npy(s(x, training=False)), x)
    cfg = s.get_config()
    assert P.RandomFlip.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_boxes_and_masks_match_numpy_reference(backend, mode):
    """A horizontal flip maps x to W - x (so x1, x2 swap roles), a vertical one y to H - y."""
    bb = boxes()
    t = {"flips": np.array([[[[True]]], [[[False]]]]), "input_shape": (2, 12, 10, 3)}
    s = P.RandomFlip(mode, bounding_box_format="xyxy")
    got = npy(s.transform_bounding_boxes(dict(bb), t)["boxes"])
    want = bb["boxes"][:, :2].astype(np.float64).copy()  # the valid boxes of both images
    if mode != "vertical":
        want[0, :, [0, 2]] = 10 - want[0, :, [2, 0]]
    if mode != "horizontal":
        want[0, :, [1, 3]] = 12 - want[0, :, [3, 1]]
    np.testing.assert_allclose(got[0, :2], want[0], **BOX_TOL)
    np.testing.assert_allclose(got[1, 1], want[1, 1], **BOX_TOL)   # (the second image's first box is empty)
    m = images((2, 12, 10, 1))
    want_m = m.copy()
    if mode != "vertical":
        want_m[0] = want_m[0, :, ::-1]
    if mode != "horizontal":
        want_m[0] = want_m[0, ::-1]
    np.testing.assert_array_equal(npy(s.transform_segmentation_masks(m, t)), want_m)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy", "center_xywh"])
def test_random_flip_boxes_and_masks_match_keras(backend, mode, fmt):
    bb = boxes(rel=fmt == "rel_xyxy")
    if fmt == "center_xywh":
        bb["boxes"] = np.asarray(keras.utils.bounding_boxes.convert_format(bb["boxes"], "xyxy", fmt))
    t = {"flips": np.array([[[[True]]], [[[False]]]]), "input_shape": (2, 12, 10, 3)}
    k = keras.layers.RandomFlip(mode, bounding_box_format=fmt)
    s = P.RandomFlip(mode, bounding_box_format=fmt)
    cmp_boxes(s.transform_bounding_boxes(dict(bb), t), k.transform_bounding_boxes(dict(bb), t))
    m = images((2, 12, 10, 1))
    np.testing.assert_array_equal(npy(s.transform_segmentation_masks(m, t)),
                                  np.asarray(k.transform_segmentation_masks(m, t)))
    out = s({"images": images(), "bounding_boxes": bb}, training=False)
    np.testing.assert_array_equal(npy(out["bounding_boxes"]["boxes"]), bb["boxes"])


# ---- MaxNumBoundingBoxes ----------------------------------------------------------------------
@pytest.mark.parametrize("max_number", [1, 3, 5])
def test_max_num_bounding_boxes_matches_numpy_reference(backend, max_number):
    """The first ``max_number`` boxes and labels, padded with ``fill_value`` up to it; images untouched."""
    s = P.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy", name="m")
    bb = boxes()
    x = images()
    out = s({"images": x, "bounding_boxes": boxes()})
    pad = max(0, max_number - 3)
    want_b = np.pad(bb["boxes"][:, :max_number], ((0, 0), (0, pad), (0, 0)), constant_values=-2)
    want_l = np.pad(bb["labels"][:, :max_number], ((0, 0), (0, pad)), constant_values=-2)
    np.testing.assert_array_equal(npy(out["bounding_boxes"]["boxes"]), want_b)
    np.testing.assert_array_equal(npy(out["bounding_boxes"]["labels"]), want_l)
    np.testing.assert_array_equal(npy(out["images"]), x)
    cfg = s.get_config()
    assert P.MaxNumBoundingBoxes.from_config(cfg).get_config() == cfg



@pytest.mark.parametrize("max_number", [1, 3, 5])
def test_max_num_bounding_boxes_matches_keras(backend, max_number):
    k = keras.layers.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy", name="m")
    s = P.MaxNumBoundingBoxes(max_number, fill_value=-2, bounding_box_format="xyxy", name="m")
    same_config(k, s)
    x = images()
    data = {"images": x, "bounding_boxes": boxes()}
    kout = k({"images": x, "bounding_boxes": boxes()})
    sout = s(data)
    cmp_boxes(sout["bounding_boxes"], kout["bounding_boxes"])
    assert tuple(ops.shape(sout["bounding_boxes"]["boxes"])) == (2, max_number, 4)
    np.testing.assert_array_equal(npy(sout["images"]), x)
    one = s({"images": x[0], "bounding_boxes": {"boxes": boxes()["boxes"][0], "labels": boxes()["labels"][0]}})
    assert tuple(ops.shape(one["bounding_boxes"]["labels"])) == (max_number,)
    shp = s.compute_output_shape({"images": (2, 12, 10, 3), "bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3)}})
    assert list(shp["bounding_boxes"]["boxes"]) == [2, max_number, 4]
    with pytest.raises(KeyError):
        s.compute_output_shape({"bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3), "extra": (1,)}})

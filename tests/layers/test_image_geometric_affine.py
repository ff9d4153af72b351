"""RandomRotation, RandomZoom, RandomTranslation, RandomShear, RandomPerspective, RandomElasticTransform
against real Keras 3 (JAX backend), through Keras' transformation contract.

Keras draws with its own RNG, so each test takes a transformation (kshim's draw, or one written
by hand with Keras' keys), applies it with both libraries' ``transform_images`` /
``transform_bounding_boxes`` / ``transform_segmentation_masks``, and checks that a kshim call with
a twin layer of the same seed gives what Keras gives for kshim's drawn transformation.
Tolerances: the warps resample 0..255 images at float32 coordinates computed with cos/sin/tan
(a few ulps apart between the libraries), so atol=2e-3 (~1e-5 of the range) and rtol=1e-5;
RandomPerspective's homography is a closed form in kshim and an 8x8 solve in Keras (coordinates
agree to ~1e-5 px), so it is compared on smooth images with atol=5e-3, and with nearest sampling
fewer than 1% of pixels may pick the neighbouring source pixel; boxes 1e-4 px.

Without Keras the warps are checked against a NumPy (float64) inverse-mapping reference
(tests/layers/_numpy_refs_c.py ``affine_warp``: each output pixel samples the input at the
transform of its coordinates, with Keras' fill modes) fed with each layer's documented matrix --
translation ``[1, 0, -dx, 0, 1, -dy]``, zoom about the centre, shear ``[1, sx, 0, sy, 1, 0]``, rotation
about the centre. Same IMG_TOL: float32 coordinates vs float64. Nearest sampling is compared
exactly, on transforms chosen so no sample point lies within 1e-3 px of a rounding tie.
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
rng = np.random.default_rng(1)
IMG_TOL = dict(rtol=1e-5, atol=2e-3)
BOX_TOL = dict(rtol=1e-5, atol=1e-4)
X = rng.uniform(0, 255, (3, 9, 11, 2)).astype("float32")
yy, xx = np.meshgrid(np.arange(9), np.arange(11), indexing="ij")
SMOOTH = np.stack([100 + 50 * np.sin(xx / 3.0 + k) * np.cos(yy / 4.0) for k in range(6)], -1).reshape(
    9, 11, 3, 2).transpose(2, 0, 1, 3).astype("float32")
BOXES = {"boxes": np.array([[[1, 1, 5, 6], [2, 3, 10, 8]], [[0, 0, 4, 4], [3, 2, 9, 7]],
                            [[4, 4, 6, 6], [0, 0, 11, 9]]], "float32"),
         "labels": np.array([[0, 1], [1, 2], [2, 3]], "int32")}
_REF: dict = {}


def ref(key, fn):
    """Keras results once per parameter set, shared by the three backends (Keras-JAX compiles each new shape)."""
    if key not in _REF:
        _REF[key] = tree_np(fn())
    return _REF[key]


def bb():
    return {k: v.copy() for k, v in BOXES.items()}


def check_contract(name, kw, t, x=X, tol=IMG_TOL, boxes=True, masks=True, key=None):
    """Apply transformation ``t`` with Keras and kshim: images, masks, boxes (xyxy)."""
    key = key or (name, tuple(sorted(kw.items())))
    k = getattr(keras.layers, name)(bounding_box_format="xyxy", **kw)
    s = getattr(P, name)(bounding_box_format="xyxy", **kw)
    want = ref(key + ("img",), lambda: k.transform_images(x, t))
    got = npy(s.transform_images(x, t))
    assert got.dtype == np.float32
    if tol is None:   # nearest sampling at coordinates computed two ways: a point within ulps of a pixel
        assert np.mean(got != want) < 0.01, np.mean(got != want)  # edge may pick the neighbour (< 1% here)
    else:
        np.testing.assert_allclose(got, want, **tol)
    if masks:
        m = (x[..., :1] > 128).astype("float32")
        np.testing.assert_allclose(npy(s.transform_segmentation_masks(m, t)),
                                   ref(key + ("mask",), lambda: k.transform_segmentation_masks(m, t)), atol=1e-6)
    if boxes:
        kb_ = ref(key + ("box",), lambda: k.transform_bounding_boxes(bb(), t))
        sb = s.transform_bounding_boxes(bb(), t)
        np.testing.assert_allclose(npy(sb["boxes"]), kb_["boxes"], **BOX_TOL)
        np.testing.assert_array_equal(npy(sb["labels"]), kb_["labels"])


def check_twin_call(name, kw, x=X, tol=IMG_TOL):
    """A call of a seeded kshim layer = Keras' transform of what a same-seed twin draws."""
    s, twin = getattr(P, name)(seed=7, **kw), getattr(P, name)(seed=7, **kw)
    t = tree_np(s.get_random_transformation(x, training=True))
    k = getattr(keras.layers, name)(**kw)
    if "seed" in t:   # RandomElasticTransform: the field's key, not comparable with Keras
        return t
    np.testing.assert_allclose(npy(twin(x)), np.asarray(k.transform_images(x, t)), **tol)
    return t


def _no_ties(matrices, h=9, w=11):
    """The sample points of ``matrices`` on an h x w grid stay >= 1e-3 px from a .5 rounding tie (nearest
    sampling is then well defined under float32 coordinate error)."""
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    for a0, a1, a2, b0, b1, b2, _, _ in np.asarray(matrices, np.float64):
        for c in (a0 * xx + a1 * yy + a2, b0 * xx + b1 * yy + b2):
            if np.min(np.abs(np.abs(c - np.floor(c)) - 0.5)) < 1e-3:
                return False
    return True


def check_reference(layer, t, matrices, x=X):
    """``layer.transform_images(x, t)`` equals the NumPy warp by ``matrices`` with the layer's options."""
    got = npy(layer.transform_images(x, t))
    assert got.dtype == np.float32 and got.shape == x.shape
    want = R.affine_warp(x, matrices, layer.fill_mode, layer.fill_value, layer.interpolation)
    if layer.interpolation == "nearest":
        assert _no_ties(matrices, *x.shape[1:3])
        np.testing.assert_array_equal(got, want.astype(np.float32))
    else:
        np.testing.assert_allclose(got, want, **IMG_TOL)
    # segmentation masks take the same warp
    m = (x[..., :1] > 128).astype("float32")
    np.testing.assert_allclose(npy(layer.transform_segmentation_masks(m, t)),
                               R.affine_warp(m, matrices, layer.fill_mode, layer.fill_value, "nearest"), atol=1e-6)
    return got


def _rotation_matrices(angles, h=9, w=11):
    """Rotation by ``angles`` degrees about the image centre, as an output -> input map."""
    th = np.deg2rad(np.asarray(angles, np.float64))
    c, s = np.cos(th), np.sin(th)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    z = np.zeros_like(th)
    return np.stack([c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c, z, z], 1)


def test_affine_reference_basics():
    """The reference itself: the identity matrix returns the image, an integer translation moves it by
    whole pixels (constant fill), and a 180-degree rotation about the centre flips both axes."""
    ident = np.tile([1.0, 0, 0, 0, 1, 0, 0, 0], (3, 1))
    np.testing.assert_allclose(R.affine_warp(X, ident), X, rtol=1e-12)
    shift = np.tile([1.0, 0, -2, 0, 1, -1, 0, 0], (3, 1))   # output (y, x) = input (y - 1, x - 2)
    want = np.zeros_like(X, np.float64)
    want[:, 1:, 2:] = X[:, :-1, :-2]
    np.testing.assert_allclose(R.affine_warp(X, shift, "constant"), want, rtol=1e-12)
    np.testing.assert_allclose(R.affine_warp(X, _rotation_matrices([180.0] * 3)), X[:, ::-1, ::-1],
                               rtol=1e-9, atol=1e-9)


# ---- RandomRotation ---------------------------------------------------------------------------
ROT_KW = [dict(factor=0.2), dict(factor=(-0.3, 0.1), fill_mode="wrap", interpolation="nearest"),
          dict(factor=0.5, fill_mode="constant", fill_value=3.0), dict(factor=0.1, fill_mode="nearest")]


@pytest.mark.parametrize("i", range(len(ROT_KW)))
def test_random_rotation_matches_keras(backend, i):
    kw = ROT_KW[i]
    same_config(keras.layers.RandomRotation(name="r", seed=2, **kw), P.RandomRotation(name="r", seed=2, **kw))
    angle = np.array([30.0, -75.0, 180.0], "float32")
    k = keras.layers.RandomRotation(**kw)
    z, o = np.zeros(3, "float32"), np.ones(3, "float32")
    matrix = ref(("rotm",), lambda: k._compute_affine_matrix(0.5, 0.5, angle, z, z, o, z, z, 9, 11))
    s = P.RandomRotation(**kw)
    np.testing.assert_allclose(npy(s.compute_affine_matrix(0.5, 0.5, angle, z, z, o, z, z, 9, 11)), matrix,
                               rtol=1e-5, atol=1e-5)
    t = {"angle": angle, "rotation_matrix": matrix, "image_height": 9, "image_width": 11, "batch_size": 3}
    check_contract("RandomRotation", kw, t)
    t2 = check_twin_call("RandomRotation", kw)
    lo, hi = s.factor
    assert np.all((t2["angle"] >= lo * 360) & (t2["angle"] < hi * 360))


ROT_REF_ANGLES = np.array([37.0, -71.0, 180.0], "float32")  # (no nearest-sampling ties on 9 x 11)


@pytest.mark.parametrize("i", range(len(ROT_KW)))
def test_random_rotation_matches_numpy_reference(backend, i):
    kw = ROT_KW[i]
    s = P.RandomRotation(**kw)
    z, o = np.zeros(3, "float32"), np.ones(3, "float32")
    want_m = _rotation_matrices(ROT_REF_ANGLES)
    got_m = npy(s.compute_affine_matrix(0.5, 0.5, ROT_REF_ANGLES, z, z, o, z, z, 9, 11))
    np.testing.assert_allclose(got_m, want_m, rtol=1e-5, atol=1e-5)   # float32 cos/sin
    t = {"angle": ROT_REF_ANGLES, "rotation_matrix": want_m.astype("float32"), "image_height": 9, "image_width": 11,
         "batch_size": 3}
    check_reference(s, t, want_m)
    cfg = P.RandomRotation(name="r", seed=2, **kw).get_config()
    assert P.RandomRotation.from_config(cfg).get_config() == cfg


def test_random_rotation_single_image_and_channels_first(backend):
    s = P.RandomRotation(0.25, seed=4)
    t = s.get_random_transformation(X[0], training=True)
    assert tuple(ops.shape(t["rotation_matrix"])) == (8,)
    k = keras.layers.RandomRotation(0.25)
    np.testing.assert_allclose(npy(P.RandomRotation(0.25, seed=4)(X[0])),
                               np.asarray(k.transform_single_image(X[0], tree_np(t))), **IMG_TOL)
    xc = np.ascontiguousarray(X.transpose(0, 3, 1, 2))
    check_twin_call("RandomRotation", dict(factor=0.3, data_format="channels_first"), x=xc)


def test_rotation_boxes_other_formats(backend):
    """kshim converts boxes to xyxy before the warp (Keras treats any format as xyxy): a rel_xyxy
    input gives the xyxy result, relative."""
    t = {"angle": np.array([20.0, -40.0, 90.0], "float32"), "image_height": 9, "image_width": 11, "batch_size": 3}
    s_x = P.RandomRotation(0.2, bounding_box_format="xyxy")
    s_r = P.RandomRotation(0.2, bounding_box_format="rel_xyxy")
    want = npy(s_x.transform_bounding_boxes(bb(), t)["boxes"]) / np.array([11, 9, 11, 9], "float32")
    rel = {"boxes": BOXES["boxes"] / np.array([11, 9, 11, 9], "float32"), "labels": BOXES["labels"]}
    np.testing.assert_allclose(npy(s_r.transform_bounding_boxes(rel, t)["boxes"]), want, **BOX_TOL)


# ---- RandomZoom -------------------------------------------------------------------------------
ZOOM_KW = [dict(height_factor=0.3), dict(height_factor=(-0.5, 0.2), width_factor=(0.1, 0.4)),
           dict(height_factor=0.4, fill_mode="constant", fill_value=-1.0, interpolation="nearest"),
           dict(height_factor=(-0.2, -0.1), width_factor=0.3, fill_mode="wrap")]


@pytest.mark.parametrize("i", range(len(ZOOM_KW)))
def test_random_zoom_matches_keras(backend, i):
    kw = ZOOM_KW[i]
    same_config(keras.layers.RandomZoom(name="z", seed=1, **kw), P.RandomZoom(name="z", seed=1, **kw))
    t = {"height_zoom": np.array([[0.7], [1.3], [1.0]], "float32"), "width_zoom": np.array([[1.2], [0.8], [1.1]],
                                                                                           "float32"),
         "input_shape": X.shape}
    check_contract("RandomZoom", kw, t)
    t2 = check_twin_call("RandomZoom", kw)
    if kw.get("width_factor") is None:
        np.testing.assert_array_equal(t2["height_zoom"], t2["width_zoom"])


@pytest.mark.parametrize("i", range(len(ZOOM_KW)))
def test_random_zoom_matches_numpy_reference(backend, i):
    kw = ZOOM_KW[i]
    hz = np.array([[0.7], [1.3], [1.0]], "float32")
    wz = np.array([[1.2], [0.8], [1.15]], "float32")
    t = {"height_zoom": hz, "width_zoom": wz, "input_shape": X.shape}
    z = np.zeros((3, 1))
    # zoom about the centre: x_in = zx * x + (W - 1) / 2 * (1 - zx), likewise y
    matrices = np.concatenate([wz, z, 5 * (1 - wz.astype(np.float64)), z, hz, 4 * (1 - hz.astype(np.float64)), z, z], 1)
    check_reference(P.RandomZoom(**kw), t, matrices)
    cfg = P.RandomZoom(name="z", seed=1, **kw).get_config()
    assert P.RandomZoom.from_config(cfg).get_config() == cfg


# ---- RandomTranslation ------------------------------------------------------------------------
TR_KW = [dict(height_factor=0.2, width_factor=0.3), dict(height_factor=(-0.5, 0.0), width_factor=(0.1, 0.2),
                                                         fill_mode="constant", fill_value=9.0),
         dict(height_factor=0.3, width_factor=0.3, interpolation="nearest", fill_mode="nearest")]


@pytest.mark.parametrize("i", range(len(TR_KW)))
def test_random_translation_matches_keras(backend, i):
    kw = TR_KW[i]
    same_config(keras.layers.RandomTranslation(name="t", seed=1, **kw), P.RandomTranslation(name="t", seed=1, **kw))
    t = {"translations": np.array([[1.5, -2.0], [-3.0, 0.5], [0.0, 4.0]], "float32"), "input_shape": X.shape}
    check_contract("RandomTranslation", kw, t)
    check_twin_call("RandomTranslation", kw)


@pytest.mark.parametrize("i", range(len(TR_KW)))
def test_random_translation_matches_numpy_reference(backend, i):
    kw = TR_KW[i]
    tr = np.array([[1.3, -2.2], [-3.4, 0.6], [0.1, 4.7]], "float32")   # (dx, dy) per image, in pixels
    t = {"translations": tr, "input_shape": X.shape}
    z, o = np.zeros((3, 1)), np.ones((3, 1))
    matrices = np.concatenate([o, z, -tr[:, :1], z, o, -tr[:, 1:], z, z], 1)
    check_reference(P.RandomTranslation(**kw), t, matrices)
    # whole-pixel translations with constant fill are plain shifts
    s = P.RandomTranslation(0.3, 0.3, fill_mode="constant", fill_value=0.0)
    y = npy(s.transform_images(X, {"translations": np.array([[2.0, 1.0]] * 3, "float32"), "input_shape": X.shape}))
    want = np.zeros_like(X)
    want[:, 1:, 2:] = X[:, :-1, :-2]
    np.testing.assert_allclose(y, want, atol=1e-4)
    cfg = P.RandomTranslation(name="t", seed=1, **kw).get_config()
    assert P.RandomTranslation.from_config(cfg).get_config() == cfg


# ---- RandomShear ------------------------------------------------------------------------------
SH_KW = [dict(x_factor=0.3), dict(x_factor=(0.1, 0.2), y_factor=0.4, fill_mode="constant"),
         dict(y_factor=0.5, interpolation="nearest", fill_mode="wrap")]


@pytest.mark.parametrize("i", range(len(SH_KW)))
def test_random_shear_matches_keras(backend, i):
    kw = SH_KW[i]
    same_config(keras.layers.RandomShear(name="s", seed=1, **kw), P.RandomShear(name="s", seed=1, **kw))
    cfg = P.RandomShear(**kw).get_config()
    restored = P.RandomShear.from_config(cfg)   # Keras' own from_config rejects its (-f, f) pairs
    assert (restored.x_factor, restored.y_factor) == (cfg["x_factor"], cfg["y_factor"])
    t = {"shear_factor": np.array([[0.2, -0.1], [-0.3, 0.25], [0.0, 0.4]], "float32"), "input_shape": X.shape}
    check_contract("RandomShear", kw, t)
    check_twin_call("RandomShear", kw)


@pytest.mark.parametrize("i", range(len(SH_KW)))
def test_random_shear_matches_numpy_reference(backend, i):
    kw = SH_KW[i]
    sf = np.array([[0.13, -0.07], [-0.31, 0.23], [0.0, 0.41]], "float32")   # (x, y) shear per image
    t = {"shear_factor": sf, "input_shape": X.shape}
    z, o = np.zeros(3), np.ones(3)
    matrices = np.stack([o, sf[:, 0], z, sf[:, 1], o, z, z, z], 1)
    check_reference(P.RandomShear(**kw), t, matrices)


# ---- RandomPerspective ------------------------------------------------------------------------
PERS_KW = [dict(), dict(factor=0.5, scale=0.4, interpolation="nearest", fill_value=5.0)]


@pytest.mark.parametrize("i", range(len(PERS_KW)))
def test_random_perspective_matches_keras(backend, i):
    kw = PERS_KW[i]
    same_config(keras.layers.RandomPerspective(name="p", seed=1, **kw), P.RandomPerspective(name="p", seed=1, **kw))
    start = np.array([[[0, 0], [10, 0], [0, 8], [10, 8]]] * 3, "float32")
    shift = np.array([[[0.1, 0.05], [-0.1, 0.2], [0.05, -0.1], [0.0, 0.1]],
                      [[-0.2, 0.1], [0.1, 0.0], [0.2, 0.2], [-0.1, -0.15]],
                      [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]], "float32")
    t = {"apply_perspective": np.array([True, True, False]), "start_points": start,
         "end_points": start + start * shift, "input_shape": SMOOTH.shape}
    tol = dict(rtol=1e-5, atol=5e-3) if kw.get("interpolation") != "nearest" else None
    check_contract("RandomPerspective", kw, t, x=SMOOTH, tol=tol)
    t2 = check_twin_call("RandomPerspective", dict(kw, interpolation="bilinear"), x=SMOOTH,
                         tol=dict(rtol=1e-5, atol=5e-3))
    assert t2["end_points"].shape == (3, 4, 2)


def _homography(src, dst):
    """The projective matrix ``[a0, a1, a2, b0, b1, b2, c0, c1]`` taking the 4 points ``src`` to ``dst``
    (the 8 x 8 linear system of the four correspondences)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(np.asarray(src, np.float64), np.asarray(dst, np.float64)):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.linalg.solve(np.array(rows), np.array(rhs))


@pytest.mark.parametrize("i", range(len(PERS_KW)))
def test_random_perspective_matches_numpy_reference(backend, i):
    """The output pixel at an end point samples the input at its start point: the warp is the
    homography taking the end points to the start points (identity where not applied), constant fill."""
    kw = PERS_KW[i]
    start = np.array([[[0, 0], [10, 0], [0, 8], [10, 8]]] * 3, "float32")
    shift = np.array([[[0.1, 0.05], [-0.1, 0.2], [0.05, -0.1], [0.0, 0.1]],
                      [[-0.2, 0.1], [0.1, 0.0], [0.2, 0.2], [-0.1, -0.15]],
                      [[0.3, 0.1], [0.1, 0.2], [0.2, 0.1], [0.1, 0.2]]], "float32")
    end = start + start * shift
    apply = np.array([True, True, False])
    t = {"apply_perspective": apply, "start_points": start, "end_points": end, "input_shape": SMOOTH.shape}
    s = P.RandomPerspective(**kw)
    got = npy(s.transform_images(SMOOTH, t))
    ident = np.array([1.0, 0, 0, 0, 1, 0, 0, 0])
    matrices = np.stack([_homography(end[j], start[j]) if apply[j] else ident for j in range(3)])
    want = R.affine_warp(SMOOTH, matrices, "constant", kw.get("fill_value", 0.0), kw.get("interpolation", "bilinear"))
    if kw.get("interpolation") == "nearest":   # coordinates from a solve: a near-tie may pick the neighbour
        assert np.mean(got != want.astype(np.float32)) < 0.01
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=5e-3)   # see the module docstring
    np.testing.assert_array_equal(got[2], SMOOTH[2])
    cfg = P.RandomPerspective(name="p", seed=1, **kw).get_config()
    assert P.RandomPerspective.from_config(cfg).get_config() == cfg


# ---- RandomElasticTransform -------------------------------------------------------------------
def test_random_elastic_config_and_untransformed_path_match_keras(backend):
    kw = dict(factor=(0.2, 0.9), scale=0.5, fill_mode="constant", value_range=(10, 200))
    k = keras.layers.RandomElasticTransform(name="e", seed=1, **kw)
    s = P.RandomElasticTransform(name="e", seed=1, **kw)
    same_config(k, s)
    # apply_transform False everywhere: the output is the input clipped to value_range (Keras' path)
    t_k = {"apply_transform": np.array([False, False, False]), "distortion_factor": np.float32(0.3),
           "seed": keras.random.SeedGenerator(1)}
    t_s = dict(t_k, seed=3)
    want = ref(("elastic_noop",), lambda: k.transform_images(X, t_k))
    np.testing.assert_allclose(npy(s.transform_images(X, t_s)), want, rtol=1e-6)
    np.testing.assert_allclose(want, np.clip(X, 10, 200), rtol=1e-6)
    assert P.RandomElasticTransform(scale=0.0).get_random_transformation(X) is None
    with pytest.raises(ValueError, match="scale"):
        P.RandomElasticTransform(scale=2.0)
    with pytest.raises(NotImplementedError):
        P.RandomElasticTransform(fill_mode="edge")


@pytest.mark.parametrize("kw", [dict(), dict(scale=(0.2, 0.6), fill_mode="nearest", interpolation="nearest"),
                                dict(data_format="channels_first")])
def test_random_elastic_equals_ops_elastic_transform(backend, kw):
    """The applied warp is ``ops.image.elastic_transform`` with Keras' alpha/sigma and the drawn key."""
    x = X if kw.get("data_format") != "channels_first" else np.ascontiguousarray(X.transpose(0, 3, 1, 2))
    s = P.RandomElasticTransform(seed=5, value_range=(0, 255), **kw)
    t = s.get_random_transformation(x, training=True)
    f = float(npy(t["distortion_factor"]))
    lo, hi = s.scale
    assert lo <= f < hi and tuple(ops.shape(t["seed"])) == (2,)
    t["apply_transform"] = ops.convert_to_tensor(np.array([True, False, True]))
    got = npy(s.transform_images(x, t))
    alpha, sigma = 11 * 0.1 * f, 9 * 0.05 * f
    full = npy(ops.image.elastic_transform(x, alpha=alpha, sigma=sigma, interpolation=s.interpolation,
                                           fill_mode=s.fill_mode, seed=t["seed"], data_format=s.data_format))
    want = np.clip(np.where(np.array([True, False, True])[:, None, None, None], full, x), 0, 255)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-3)   # conv summation order of the blur
    if s.interpolation == "bilinear":   # sub-pixel fields on a 9x11 image can leave nearest sampling unchanged
        assert np.abs(got[0] - x[0]).max() > 1.0                   # it really deforms
    twin = P.RandomElasticTransform(seed=5, value_range=(0, 255), **kw)
    t2 = twin.get_random_transformation(x)
    np.testing.assert_array_equal(npy(t2["seed"]), npy(t["seed"]))


# ---- argument validation (Keras' error types) --------------------------------------------------
def test_argument_errors(backend):
    for fn in (lambda: P.RandomRotation(0.1, fill_mode="mirror"), lambda: P.RandomZoom(0.1, interpolation="bicubic"),
               lambda: P.RandomTranslation(0.1, 0.1, fill_mode="x"), lambda: P.RandomShear(0.1, fill_mode="x"),
               lambda: P.RandomPerspective(interpolation="lanczos3")):
        with pytest.raises(NotImplementedError):
            fn()
    for fn in (lambda: P.RandomRotation(2.0), lambda: P.RandomZoom(-1.0), lambda: P.RandomZoom(0.1, (0.1, 0.2, 0.3)),
               lambda: P.RandomTranslation(1.5, 0.1), lambda: P.RandomShear(-0.1), lambda: P.RandomShear("a"),
               lambda: P.RandomPerspective(scale=1.5), lambda: P.RandomPerspective(factor=(2, 3))):
        with pytest.raises(ValueError):
            fn()

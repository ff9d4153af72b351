"""RandomPosterization, RandomSharpness, RandomGaussianBlur, Solarization, AutoContrast, Equalization and
ContrastLimitedAdaptiveHistogramEqualization against real Keras 3 (JAX backend) and NumPy references.

Tolerances: TOL from test_image_color_helpers for float pipelines; Equalization's outputs are
rounded look-up values, compared to float32 ulps on inputs whose normalised CDF has no .5 ties
(XLA's fused int/int division is not correctly rounded, so Keras itself flips ties, see below);
CLAHE is bilinear interpolation of float32 CDFs (TOL; one unit for its uint8 truncation).
"""
from __future__ import annotations

import numpy as np
import pytest

from kshim.layers import preprocessing as P

from .test_image_color_helpers import (assert_same_across_backends, check_call, check_transform, images, npy,
                                       outputs_per_backend, pair, same_config)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def f32(*a, shape=None):
    v = np.asarray(a, "float32")
    return v.reshape(shape) if shape else v


TRANSFORM_CASES = [
    ("RandomPosterization", dict(factor=4), {"shift_factor": np.array([7, 4], "uint8")}),
    ("RandomPosterization", dict(factor=(2, 6), value_range=(0, 1)), {"shift_factor": np.array([2, 5], "uint8")}),
    ("RandomSharpness", dict(factor=0.5), {"factor": f32(0.1, 0.9)}),
    ("RandomSharpness", dict(factor=0.5, value_range=(0, 1)), {"factor": f32(1.0, 0.0)}),
    ("RandomGaussianBlur", dict(kernel_size=5), {"should_apply_blur": np.array([True, False]),
                                                 "blur_factor": f32(0.7, 1.3)}),
    ("RandomGaussianBlur", dict(kernel_size=(3, 5), value_range=(0, 1)),
     {"should_apply_blur": np.array([True, True]), "blur_factor": f32(0.3, 0.9)}),
    ("Solarization", dict(addition_factor=0.5, threshold_factor=0.5),
     {"additions": f32(10.0, 0.0, shape=(2, 1, 1, 1)), "thresholds": f32(100.0, 30.0, shape=(2, 1, 1, 1))}),
    ("Solarization", dict(value_range=(0, 1)),
     {"additions": f32(0.0, 60.0, shape=(2, 1, 1, 1)), "thresholds": f32(200.0, 128.0, shape=(2, 1, 1, 1))}),
    ("AutoContrast", dict(), None),
    ("AutoContrast", dict(value_range=(0, 1)), None),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(tile_grid_size=(2, 3)), None),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(tile_grid_size=(4, 2), clip_limit=0,
                                                          value_range=(0, 1)), None),
]


def _input(kw, dtype="float32", channels_first=False, shape=(2, 9, 7, 3)):
    lo, hi = kw.get("value_range", (0, 255))
    x = images(shape, dtype=dtype)
    if dtype != "uint8":
        x = (x / 255.0 * (hi - lo) + lo).astype("float32")
    return np.transpose(x, (0, 3, 1, 2)) if channels_first else x


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=lambda c: f"{c[0]}-{sorted(c[1].items())}")
def test_transform_images_matches_keras(backend, case):
    name, kw, t = case
    check_transform(name, kw, _input(kw), t)
    if "value_range" not in kw:
        # CLAHE casts its float result back to uint8 by truncation: a value within an ulp of an
        # integer may land on either side, so uint8 CLAHE outputs may differ by one.
        uint8_tol = dict(rtol=0, atol=1) if name.startswith("Contrast") else None
        check_transform(name, kw, _input(kw, "uint8"), t, tol=uint8_tol)
    if name != "AutoContrast":  # AutoContrast reduces over axes (1, 2) whatever the data format, as Keras
        check_transform(name, dict(kw, data_format="channels_first"), _input(kw, channels_first=True), t)


def test_constant_channel_is_left_by_autocontrast(backend):
    x = _input({})
    x[0, ..., 1] = 17.0
    y = check_transform("AutoContrast", {}, x, None)
    np.testing.assert_array_equal(y[0, ..., 1], 17.0)
    np.testing.assert_allclose(y[1].min(axis=(0, 1)), 0.0, atol=1e-3)
    np.testing.assert_allclose(y[1].max(axis=(0, 1)), 255.0, rtol=1e-6)


def _reference_equalize(x, bins=256):
    """NumPy float64 reference of Keras' Equalization: one histogram per channel over the batch."""
    out = np.empty(x.shape, np.float64)
    for c in range(x.shape[-1]):
        ch = x[..., c].astype(np.float64)
        idx = np.clip((ch * (bins - 1) / 255.0).astype(np.int64), 0, bins - 1)
        hist = np.bincount(idx.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            out[..., c] = ch
            continue
        cdf = np.cumsum(hist)
        cmin = cdf[np.argmax(cdf > 0)]
        den = max(cdf[-1] - cmin, 1)
        lut = np.clip(np.round((cdf - cmin) * 255.0 / den), 0, 255)
        out[..., c] = lut[np.clip(ch / 255.0 * (bins - 1), 0, bins - 1).astype(np.int64)]
    return out


def _equalization_input(kw, dtype="float32", channels_first=False):
    """(2, 9, 7, 3) images whose lowest histogram bin holds exactly one pixel per channel: the CDF
    denominators are then 126 - 1 = 125 (odd), so ``k * 255 / 125`` is never a .5 tie. Ties would
    make the comparison meaningless: Keras-JAX's fused int/int division is not correctly rounded
    (127.5 comes out 127.49999 with x64 off, exact with it on), so Keras flips them itself."""
    bins = kw.get("bins", 256)
    lo, hi = kw.get("value_range", (0, 255))
    x = np.random.default_rng(3).uniform(255.0 * 1.05 / (bins - 1), 255.0, (2, 9, 7, 3))
    x[0, 0, 0, :] = 0.0
    x = np.round(x).astype("uint8") if dtype == "uint8" else (x / 255.0 * (hi - lo) + lo).astype("float32")
    return np.transpose(x, (0, 3, 1, 2)) if channels_first else x


@pytest.mark.parametrize("kw", [dict(), dict(bins=64), dict(bins=32, value_range=(0, 1))])
def test_equalization_matches_keras_and_reference(backend, kw):
    # Look-up values are multiples of 1/255 of the range; rtol=1e-6 admits only float32 ulps of the
    # final rescale (Keras-JAX computes it in float64 once x64 is on), not a one-step difference.
    exact = dict(rtol=1e-6, atol=1e-7)
    x = _equalization_input(kw)
    y = check_transform("Equalization", kw, x, None, tol=exact)
    lo, hi = kw.get("value_range", (0, 255))
    ref = _reference_equalize((x - lo) / (hi - lo) * 255.0, kw.get("bins", 256)) / 255.0 * (hi - lo) + lo
    np.testing.assert_allclose(y, ref, rtol=1e-6, atol=1e-6)
    if not kw:
        check_transform("Equalization", kw, _equalization_input(kw, "uint8"), None, tol=exact)
    check_transform("Equalization", dict(kw, data_format="channels_first"),
                    _equalization_input(kw, channels_first=True), None, tol=exact)


def test_equalization_keeps_a_single_valued_channel_and_ignores_training_false(backend):
    x = _input({})
    x[..., 2] = 90.0
    layer = P.Equalization()
    y = npy(layer(x))
    np.testing.assert_array_equal(y[..., 2], 90.0)
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)


@pytest.mark.parametrize("name,kw", [
    ("RandomPosterization", dict(factor=(3, 3))),
    ("RandomSharpness", dict(factor=(0.8, 0.8))),
    ("RandomGaussianBlur", dict(factor=(1.0, 1.0), sigma=(0.6, 0.6), kernel_size=3)),
    ("Solarization", dict(value_range=(0, 1))),  # threshold 0: every pixel inverted
    ("AutoContrast", dict()),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(tile_grid_size=(2, 3))),
])
def test_deterministic_call_matches_keras(backend, name, kw):
    x = _input(kw)
    check_call(name, kw, x)
    if not name.startswith("Contrast"):  # (CLAHE: one shape, to keep the eager JAX compilations few)
        check_call(name, kw, x[0])
    if name in ("AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization"):
        check_call(name, kw, x, training=False)  # applied whatever `training` is, as in Keras


@pytest.mark.parametrize("name,kw", [
    ("RandomPosterization", dict(factor=5, value_range=(0, 1), seed=2)),
    ("RandomSharpness", dict(factor=(0.1, 0.7), data_format="channels_first")),
    ("RandomGaussianBlur", dict(factor=0.4, kernel_size=(3, 5), sigma=(0.2, 0.9), value_range=[0, 1], seed=3)),
    ("RandomGaussianBlur", dict()),
    ("Solarization", dict(addition_factor=(0.1, 0.3), threshold_factor=0.6, value_range=(255, 0), seed=1)),
    ("AutoContrast", dict(value_range=(0, 1))),
    ("Equalization", dict(bins=64, value_range=(1, 0), data_format="channels_first")),
    ("ContrastLimitedAdaptiveHistogramEqualization", dict(clip_limit=2.0, tile_grid_size=(4, 4))),
])
def test_config_matches_keras(name, kw):
    k, s = pair(name, name="layer", **kw)
    same_config(k, s)


RANDOM_LAYERS = {
    "RandomPosterization": lambda: P.RandomPosterization(6, seed=21),
    "RandomSharpness": lambda: P.RandomSharpness(0.5, seed=21),
    "RandomGaussianBlur": lambda: P.RandomGaussianBlur(0.5, sigma=(0.3, 1.0), seed=21),
    "Solarization": lambda: P.Solarization(0.5, 0.5, seed=21),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_output_on_every_backend(name):
    assert_same_across_backends(outputs_per_backend(RANDOM_LAYERS[name], images((8, 9, 7, 3))))


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_training_false_and_dict_inputs(backend, name):
    x = images()
    layer = RANDOM_LAYERS[name]()
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)
    masks = np.ones((2, 9, 7, 1), "int32")
    out = layer({"images": x, "labels": np.array([0, 1]), "segmentation_masks": masks})
    assert npy(out["images"]).shape == x.shape and npy(out["images"]).dtype == np.float32
    np.testing.assert_array_equal(npy(out["labels"]), [0, 1])
    np.testing.assert_array_equal(npy(out["segmentation_masks"]), masks)


def test_transformation_draws(backend):
    x = images((64, 2, 2, 3))
    s = npy(P.RandomPosterization((2, 5), seed=1).get_random_transformation(x)["shift_factor"])
    assert s.dtype == np.uint8 and set(np.unique(s)) == {4, 5, 6}  # bits in [2, 5): shifts 8 - bits
    s = npy(P.RandomPosterization((3, 3)).get_random_transformation(x)["shift_factor"])
    assert set(np.unique(s)) == {5}
    t = P.RandomGaussianBlur(factor=(0.5, 0.5), sigma=(0.2, 0.4), seed=1).get_random_transformation(x)
    assert npy(t["blur_factor"]).shape == (2,) and 0.2 <= npy(t["blur_factor"]).min() <= 0.400001
    assert 16 <= npy(t["should_apply_blur"]).sum() <= 48
    t = P.Solarization((0.2, 0.4), (0.5, 1.0), seed=1).get_random_transformation(x)
    a, th = npy(t["additions"]), npy(t["thresholds"])
    assert a.shape == (64, 1, 1, 1) and 0.2 <= a.min() and a.max() <= 0.4 * 255  # only the upper end scaled
    assert 0.5 <= th.min() and th.max() <= 255.0
    assert P.Solarization(0.5).get_random_transformation(x, training=False) is None


@pytest.mark.parametrize("make,match", [
    (lambda: P.RandomPosterization(9), "factor"),
    (lambda: P.RandomPosterization(4, value_range=7), "value_range"),
    (lambda: P.RandomSharpness(1.5), "factor"),
    (lambda: P.RandomGaussianBlur(kernel_size=4), "odd"),
    (lambda: P.RandomGaussianBlur(kernel_size=(3, 3, 3)), "kernel_size"),
    (lambda: P.RandomGaussianBlur(sigma=2.0), "sigma"),
    (lambda: P.Solarization(addition_factor=1.5), "addition_factor"),
    (lambda: P.Solarization(threshold_factor=(0.1, 0.2, 0.3)), "threshold_factor"),
    (lambda: P.AutoContrast(value_range=(0, 1, 2)), "value_range"),
    (lambda: P.Equalization(value_range=5), "value_range"),
])
def test_bad_arguments_raise_value_error_like_keras(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_clahe_keeps_integer_dtype_and_flattens_histograms(backend):
    x = (_input({}, "uint8") // 4).astype("uint8")  # low-contrast images
    y = check_transform("ContrastLimitedAdaptiveHistogramEqualization", dict(tile_grid_size=(2, 3)), x, None,
                        tol=dict(rtol=0, atol=1))  # uint8 results: a truncation may flip by one
    assert y.dtype == np.uint8 and int(y.max()) - int(y.min()) > int(x.max()) - int(x.min())

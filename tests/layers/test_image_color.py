"""RandomContrast, RandomBrightness, RandomHue, RandomSaturation, RandomColorDegeneration,
RandomGrayscale, RandomInvert and RandomColorJitter against real Keras 3 (JAX backend) and NumPy references.

Outputs are compared through ``transform_images`` with the same transformation dict, and through
whole calls whose factors fix the draw; tolerances are in test_image_color_helpers (TOL). The NumPy
references (tests/layers/_numpy_refs_c.py, float64) are the layers' formulas -- per-image channel
means for contrast, an offset for brightness, the HSV hexcone for hue and saturation, ITU-R 601 luma
for grayscale and degeneration -- so a NumPy-only install checks the same cases; against them
kshim's float32 results on 0..255 images are within TOL too (the HSV round trip divides by
max - min, which turns float32 ulps into up to ~2e-4 absolute).
"""
from __future__ import annotations

import numpy as np
import pytest

from kshim import ops
from kshim.layers import Input
from kshim.layers import preprocessing as P

from . import _numpy_refs_c as R
from .test_image_color_helpers import (TOL, assert_same_across_backends, assert_seeded_reproducible, check_call,
                                       check_transform, images, keras, npy, outputs_per_backend, pair, same_config,
                                       to_tensors)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def f32(*a, shape=None):
    v = np.asarray(a, "float32")
    return v.reshape(shape) if shape else v


# name, constructor kwargs, transformation, whether Keras takes uint8 images for it
TRANSFORM_CASES = [
    ("RandomContrast", dict(factor=0.5), {"contrast_factor": f32(0.5, 1.4, shape=(2, 1, 1, 1))}, True),
    ("RandomContrast", dict(factor=(0.2, 0.9), value_range=(0, 1)),
     {"contrast_factor": f32(1.5, 0.1, shape=(2, 1, 1, 1))}, False),
    ("RandomBrightness", dict(factor=0.5), {"rgb_delta": f32(-30.0, 60.0, shape=(2, 1, 1, 1))}, False),
    ("RandomHue", dict(factor=0.5), {"factor": f32(-0.2, 0.45)}, True),
    ("RandomHue", dict(factor=(0.1, 0.9), value_range=(-1, 1)), {"factor": f32(0.3, -0.45)}, False),
    ("RandomSaturation", dict(factor=0.5), {"factor": f32(0.2, 3.0)}, False),
    ("RandomColorDegeneration", dict(factor=0.5), {"factor": f32(-0.3, 0.5, shape=(2, 1, 1, 1))}, True),
    ("RandomGrayscale", dict(factor=0.5), np.array([True, False]).reshape(2, 1, 1, 1), True),
    ("RandomInvert", dict(), {"apply_inversion": np.array([True, False])}, True),
]


def _case_id(c):
    return f"{c[0]}-{len(c[1])}"


def _input(kw, dtype="float32", channels_first=False):
    vr = kw.get("value_range", (0, 255))
    x = images(dtype=dtype)
    if dtype != "uint8":
        x = (x / 255.0 * (vr[1] - vr[0]) + vr[0]).astype("float32")
    return np.transpose(x, (0, 3, 1, 2)) if channels_first else x


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=_case_id)
def test_transform_images_matches_keras(backend, case):
    name, kw, t, takes_uint8 = case
    check_transform(name, kw, _input(kw), t)
    if takes_uint8:
        check_transform(name, kw, _input(kw, "uint8"), t)
    check_transform(name, dict(kw, data_format="channels_first"), _input(kw, channels_first=True), t)


def _reference(name, kw, x, t):
    """The layer's formula on channels-last float images ``x`` with transformation ``t`` (NumPy, float64)."""
    lo, hi = kw.get("value_range", (0, 255))
    x = np.asarray(x, np.float64)
    if name == "RandomContrast":
        mean = x.mean(axis=(1, 2), keepdims=True)
        return np.clip((x - mean) * t["contrast_factor"] + mean, lo, hi)
    if name == "RandomBrightness":
        return np.clip(x + t["rgb_delta"], lo, hi)
    if name == "RandomHue":  # hue turns by the factor (a fraction of the circle), wrapping into [0, 1)
        hsv = R.rgb_to_hsv(R.rescale(x, (lo, hi), (0, 1)))
        h = hsv[..., 0] + t["factor"][:, None, None]
        hsv[..., 0] = np.where(h > 1, h - 1, np.where(h < 0, h + 1, h))
        return R.rescale(np.clip(R.hsv_to_rgb(hsv), 0, 1), (0, 1), (lo, hi))
    if name == "RandomSaturation":  # S scaled by the factor, clipped to value_range (as Keras does)
        hsv = R.rgb_to_hsv(x)
        hsv[..., 1] = np.clip(hsv[..., 1] * t["factor"][:, None, None], lo, hi)
        return R.hsv_to_rgb(hsv)
    if name == "RandomColorDegeneration":
        return np.clip(x + t["factor"] * (R.grayscale(x) - x), lo, hi)
    if name == "RandomGrayscale":
        return np.where(t, R.grayscale(x), x)
    if name == "RandomInvert":
        return np.where(t["apply_inversion"][:, None, None, None], hi - x, x)
    raise KeyError(name)


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=_case_id)
def test_transform_images_matches_numpy_reference(backend, case):
    name, kw, t, _ = case
    x = _input(kw)
    want = _reference(name, kw, x, t)
    layer = getattr(P, name)(**kw)
    got = npy(layer.transform_images(ops.convert_to_tensor(x), to_tensors(t)))
    assert got.shape == x.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, **TOL)
    # channels_first: the same result, transposed
    cf = getattr(P, name)(**dict(kw, data_format="channels_first"))
    got_cf = npy(cf.transform_images(ops.convert_to_tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2))),
                                     to_tensors(t)))
    np.testing.assert_allclose(got_cf, want.transpose(0, 3, 1, 2), **TOL)


def test_hsv_reference_round_trips_and_knows_the_primaries():
    """The reference itself: RGB -> HSV -> RGB is the identity, and pure colours sit at their hues."""
    x = images((3, 5, 4, 3))
    np.testing.assert_allclose(R.hsv_to_rgb(R.rgb_to_hsv(x)), x, rtol=1e-12, atol=1e-9)  # float64 ulps
    prim = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0.5, 0.5, 0.5]], np.float64)
    np.testing.assert_allclose(R.rgb_to_hsv(prim), [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [1 / 6, 1, 1],
                                                    [0, 0, 0.5]], atol=1e-12)


@pytest.mark.parametrize("name,kw,want", [
    # brightness (f, f): the offset is f times the value range's width
    ("RandomBrightness", dict(factor=(0.2, 0.2)), lambda x: np.clip(x + 0.2 * 255, 0, 255)),
    ("RandomBrightness", dict(factor=(-0.3, -0.3), value_range=(0, 1)), lambda x: np.clip(x - 0.3, 0, 1)),
    # saturation (f, f): S is scaled by f / (1 - f)
    ("RandomSaturation", dict(factor=(0.3, 0.3)),
     lambda x: R.hsv_to_rgb(np.concatenate([R.rgb_to_hsv(x)[..., :1], R.rgb_to_hsv(x)[..., 1:2] * 0.3 / 0.7,
                                            R.rgb_to_hsv(x)[..., 2:]], -1))),
    ("RandomColorDegeneration", dict(factor=(0.4, 0.4)), lambda x: np.clip(x + 0.4 * (R.grayscale(x) - x), 0, 255)),
    ("RandomGrayscale", dict(factor=1.0), lambda x: np.broadcast_to(R.grayscale(x), x.shape)),
    ("RandomGrayscale", dict(factor=0.0), lambda x: x),
    ("RandomInvert", dict(factor=(1.0, 1.0)), lambda x: 255 - x),
    ("RandomInvert", dict(factor=(0.0, 0.0)), lambda x: x),
    ("RandomContrast", dict(factor=0.0), lambda x: x),
])
def test_deterministic_call_matches_numpy_reference(backend, name, kw, want):
    x = _input(kw)
    layer = getattr(P, name)(**kw)
    np.testing.assert_allclose(npy(layer(x)), want(x.astype(np.float64)), **TOL)
    np.testing.assert_allclose(npy(layer(x[0])), want(x[:1].astype(np.float64))[0], **TOL)  # a single image


@pytest.mark.parametrize("name,kw", [
    ("RandomBrightness", dict(factor=(0.2, 0.2))),
    ("RandomBrightness", dict(factor=(-0.3, -0.3), value_range=(0, 1))),
    ("RandomSaturation", dict(factor=(0.3, 0.3))),
    ("RandomColorDegeneration", dict(factor=(0.4, 0.4))),
    ("RandomGrayscale", dict(factor=1.0)),
    ("RandomGrayscale", dict(factor=0.0)),
    ("RandomInvert", dict(factor=(1.0, 1.0))),
    ("RandomInvert", dict(factor=(0.0, 0.0))),
    ("RandomContrast", dict(factor=0.0)),
    ("RandomColorJitter", dict(brightness_factor=(0.1, 0.1), contrast_factor=0.0, saturation_factor=(0.6, 0.6))),
])
def test_deterministic_call_matches_keras(backend, name, kw):
    x = _input(kw)
    check_call(name, kw, x)
    check_call(name, kw, x[0])  # a single image


CONFIG_CASES = [
    ("RandomContrast", dict(factor=0.3, value_range=[0, 1], seed=3)),
    ("RandomBrightness", dict(factor=(-0.2, 0.5), value_range=(255, 0), seed=1)),
    ("RandomHue", dict(factor=(0.1, 0.4), data_format="channels_first")),
    ("RandomSaturation", dict(factor=0.8, value_range=[0, 1])),
    ("RandomColorDegeneration", dict(factor=0.2, seed=4)),
    ("RandomGrayscale", dict(factor=0.3, seed=2)),
    ("RandomInvert", dict(factor=(0.2, 0.6), value_range=(0, 1), seed=5)),
    ("RandomColorJitter", dict(value_range=(0, 1), brightness_factor=0.2, hue_factor=(0.1, 0.3), seed=9)),
    ("RandomColorJitter", dict()),
]


@pytest.mark.parametrize("name,kw", CONFIG_CASES)
def test_config_matches_keras(name, kw):
    k, s = pair(name, name="layer", **kw)
    same_config(k, s)


@pytest.mark.parametrize("name,kw", CONFIG_CASES)
def test_config_round_trips(backend, name, kw):
    layer = getattr(P, name)(name="layer", **kw)
    cfg = layer.get_config()
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    if cfg.get("seed") is None:  # unseeded: each instance draws its own augmentations
        return
    # the config holds everything the augmentation depends on (the seed too): the clone's first call
    # equals the original's
    vr = cfg.get("value_range", (0, 255))
    x = R.rescale(images((2, 6, 5, 3)), (0, 255), (min(vr), max(vr))).astype("float32")
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if cfg.get("data_format") == "channels_first" else x
    np.testing.assert_array_equal(npy(clone(x)), npy(layer(x)))


RANDOM_LAYERS = {
    "RandomContrast": lambda: P.RandomContrast(0.5, seed=11),
    "RandomBrightness": lambda: P.RandomBrightness(0.3, seed=11),
    "RandomHue": lambda: P.RandomHue(0.5, seed=11),
    "RandomSaturation": lambda: P.RandomSaturation(0.5, seed=11),
    "RandomColorDegeneration": lambda: P.RandomColorDegeneration(0.5, seed=11),
    "RandomGrayscale": lambda: P.RandomGrayscale(0.5, seed=12),
    "RandomInvert": lambda: P.RandomInvert(seed=11),
    "RandomColorJitter": lambda: P.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3,
                                                     saturation_factor=0.4, hue_factor=0.2, seed=11),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_output_on_every_backend(name):
    x = images((8, 6, 5, 3))
    assert_same_across_backends(outputs_per_backend(RANDOM_LAYERS[name], x))


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_output_on_each_backend(backend, name):
    assert_seeded_reproducible(RANDOM_LAYERS[name], images((8, 6, 5, 3)))


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_training_false_is_identity_and_draws_follow_keras_ranges(backend, name):
    x = images((8, 6, 5, 3))
    layer = RANDOM_LAYERS[name]()
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)
    y = npy(layer(x))
    assert y.shape == x.shape and y.dtype == np.float32
    assert y.min() >= 0.0 and y.max() <= 255.0 + 1e-3


def test_transformation_draws_lie_in_the_factor_ranges(backend):
    x = images((64, 2, 2, 3))
    t = P.RandomContrast((0.2, 0.5), seed=1).get_random_transformation(x)["contrast_factor"]
    assert npy(t).shape == (64, 1, 1, 1) and 0.8 <= npy(t).min() and npy(t).max() <= 1.5
    t = npy(P.RandomBrightness((-0.1, 0.3), value_range=(0, 2), seed=1).get_random_transformation(x)["rgb_delta"])
    assert -0.2 <= t.min() < 0 < t.max() <= 0.6
    t = npy(P.RandomHue((0.4, 0.4), seed=1).get_random_transformation(x)["factor"])
    assert np.all(np.isclose(np.abs(t), 0.2)) and (t > 0).any() and (t < 0).any()
    t = npy(P.RandomSaturation((0.5, 0.5), seed=1).get_random_transformation(x)["factor"])
    np.testing.assert_allclose(t, 1.0, rtol=1e-5)
    t = npy(P.RandomGrayscale(0.25, seed=1).get_random_transformation(x))
    assert t.shape == (64, 1, 1, 1) and t.dtype == bool and 4 <= t.sum() <= 30
    t = npy(P.RandomInvert((0.5, 0.5), seed=1).get_random_transformation(x)["apply_inversion"])
    assert 16 <= t.sum() <= 48


def test_color_jitter_is_its_parts_in_order(backend):
    x = images()
    jit = P.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=0.4, hue_factor=0.2,
                              seed=5)
    t = jit.get_random_transformation(x)
    assert sorted(t) == ["random_brightness", "random_contrast", "random_hue", "random_saturation"]
    y = x
    for part in ("random_brightness", "random_contrast", "random_saturation", "random_hue"):
        y = getattr(jit, part).transform_images(ops.convert_to_tensor(y), t[part])
    np.testing.assert_allclose(npy(jit.transform_images(x, t)), npy(y), rtol=1e-6, atol=1e-6)
    # Keras applies its parts the same way: compare against Keras' parts on the same transformations.
    k = keras.layers.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.3, saturation_factor=0.4,
                                       hue_factor=0.2)
    ky = x
    for part in ("random_brightness", "random_contrast", "random_saturation", "random_hue"):
        ky = getattr(k, part).transform_images(ky, {a: npy(b) for a, b in t[part].items()})
    np.testing.assert_allclose(npy(y), np.asarray(ky), **TOL)


def test_dict_inputs_pass_labels_boxes_masks_through(backend):
    x = images()
    labels = np.eye(3, dtype="float32")[[0, 2]]
    masks = np.random.default_rng(1).integers(0, 3, (2, 9, 7, 1)).astype("int32")
    boxes = {"boxes": np.array([[[0, 0, 2, 3]], [[1, 1, 4, 4]]], "float32"), "labels": np.array([[1], [2]], "int32")}
    for make in RANDOM_LAYERS.values():
        layer = make()
        layer.bounding_box_format = "xyxy"
        out = layer({"images": x, "labels": labels, "segmentation_masks": masks, "bounding_boxes": boxes})
        assert npy(out["images"]).shape == x.shape
        np.testing.assert_array_equal(npy(out["labels"]), labels)
        np.testing.assert_array_equal(npy(out["segmentation_masks"]), masks)
        np.testing.assert_array_equal(npy(out["bounding_boxes"]["boxes"]), boxes["boxes"])
    single = P.RandomInvert(factor=(1.0, 1.0))({"images": x[0], "labels": labels[0]})
    np.testing.assert_allclose(npy(single["images"]), 255.0 - x[0], rtol=1e-6)
    np.testing.assert_array_equal(npy(single["labels"]), labels[0])


def test_symbolic_call_and_output_shape(backend):
    inp = Input(shape=(9, 7, 3))
    for make in RANDOM_LAYERS.values():
        layer = make()
        assert tuple(layer(inp).shape) == (None, 9, 7, 3)
        assert tuple(layer.compute_output_shape((None, 9, 7, 3))) == (None, 9, 7, 3)
    with pytest.raises(ValueError, match="3 channels"):
        P.RandomColorDegeneration(0.2).compute_output_shape((None, 6, 5, 4))


def test_brightness_on_integer_images_saturates(backend):
    """kshim adds integer brightness offsets without uint8 wrap-around (Keras wraps; documented)."""
    x = np.array([[[[250, 3, 128]]]], "uint8")
    layer = P.RandomBrightness(0.5)
    up = npy(layer.transform_images(x, {"rgb_delta": ops.convert_to_tensor(f32(20.7, shape=(1, 1, 1, 1)))}))
    down = npy(layer.transform_images(x, {"rgb_delta": ops.convert_to_tensor(f32(-10.2, shape=(1, 1, 1, 1)))}))
    assert up.dtype == np.uint8 and up.tolist() == [[[[255, 23, 148]]]]
    assert down.tolist() == [[[[240, 0, 118]]]]


BAD_ARGUMENTS = [  # name, args, kwargs, what kshim's message names
    ("RandomContrast", (1.5,), {}, "factor"),
    ("RandomContrast", ((0.1, 0.2, 0.3),), {}, "factor"),
    ("RandomBrightness", (0.2,), dict(value_range=5), "value_range"),
    ("RandomBrightness", (0.2,), dict(value_range=(0, 1, 2)), "value_range"),
    ("RandomHue", ("x",), {}, "factor"),
    ("RandomSaturation", (0.2,), dict(value_range=None), "value_range"),
    ("RandomGrayscale", (1.5,), {}, "between 0 and 1"),
    ("RandomInvert", (-0.5,), {}, "factor"),
    ("RandomColorDegeneration", (2.0,), {}, "factor"),
    ("RandomColorJitter", (), dict(brightness_factor=3.0), "factor"),
]


@pytest.mark.parametrize("name,args,kw,match", BAD_ARGUMENTS)
def test_bad_arguments_raise_value_error_like_keras(backend, name, args, kw, match):
    with pytest.raises(ValueError, match=match):
        getattr(P, name)(*args, **kw)


@pytest.mark.parametrize("name,args,kw,match", BAD_ARGUMENTS)
def test_keras_raises_value_error_on_the_same_arguments(name, args, kw, match):
    with pytest.raises(ValueError):
        getattr(keras.layers, name)(*args, **kw)


def test_bad_image_rank_raises(backend):
    with pytest.raises(ValueError, match="rank 3"):
        P.RandomContrast(0.2)(np.zeros((2, 3), "float32"))

"""``kshim.ops.image`` against references (table in ``cases_image.py``), on every backend; plus its
namespace and signatures against Keras', its errors, jit, the elastic seed contract and symbolic use."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import kshim
import kshim.ops.image as I
from kshim.ops.image_warp import compute_homography_matrix

from .cases import KERAS, OracleMissing, _check_native, _compare, _to_numpy, _to_tensors, build, call_op, keras_ops
from .cases_image import IMAGE_CASES, np_homography

PARAMS = [(c, d) for c in IMAGE_CASES for d in c.dtypes]


def _keras_image():
    k = keras_ops()
    if k is None:
        raise OracleMissing("real Keras 3 (the reference) is not installed")
    return k.image


_EXPECTED: dict = {}   # (case, dtype) -> reference value: the inputs are the same on every backend


def run_image_case(case, dtype):
    args, kwargs, expected = build(case, dtype)
    if expected is None:
        key = (case.key, dtype)
        if key not in _EXPECTED:
            fn = getattr(_keras_image(), case.name) if case.ref == KERAS else case.ref
            _EXPECTED[key] = np.asarray(fn(*args, **kwargs))
        expected = _EXPECTED[key]
    got = call_op(getattr(I, case.name), case, tuple(_to_tensors(a) for a in args),
                  {k: _to_tensors(v) for k, v in kwargs.items()})  # under jit on JAX (see call_op)
    _check_native(got)
    got = _to_numpy(got)
    if case.check is not None:
        case.check(got, expected)
    else:
        _compare(got, expected, case, dtype)


@pytest.mark.parametrize("case,dtype", PARAMS, ids=[f"{c.key}-{d}" for c, d in PARAMS])
def test_image_op(backend, case, dtype):
    try:
        run_image_case(case, dtype)
    except OracleMissing as e:
        pytest.skip(str(e))


def test_case_ids_unique():
    keys = [c.key for c in IMAGE_CASES]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_every_image_op_has_float32_and_float64_cases():
    for name in I.__all__:
        dts = {d for c in IMAGE_CASES if c.name == name for d in c.dtypes}
        assert {"float32", "float64"} <= dts, f"{name}: cases only in {sorted(dts)}"


# ---- namespace and signatures ------------------------------------------------------------------
def test_namespace_and_signatures_match_keras():
    try:
        K = _keras_image()
    except OracleMissing as e:
        pytest.skip(str(e))
    names = sorted(n for n in dir(K) if not n.startswith("_"))
    assert sorted(I.__all__) == names
    for n in names:
        ks = inspect.signature(getattr(K, n))
        ss = inspect.signature(getattr(I, n))
        kp = [(p.name, p.kind, p.default) for p in ks.parameters.values()]
        sp = [(p.name, p.kind, p.default) for p in ss.parameters.values()]
        assert sp == kp, f"{n}: {ss} != Keras {ks}"
        assert getattr(I, n).__doc__ and "Returns:" in getattr(I, n).__doc__


def test_image_is_a_submodule_not_star_imported():
    assert kshim.ops.image is I
    assert not hasattr(kshim.ops, "resize") and not hasattr(kshim.ops, "affine_transform")


# ---- errors ------------------------------------------------------------------------------------
_X = np.zeros((2, 6, 7, 3), "float32")
_PTS = np.zeros((4, 2), "float32")
ERRORS = [
    ("resize", (_X, (0, 4)), {}, ValueError),
    ("resize", (_X, (4,)), {}, ValueError),
    ("resize", (_X[0, 0], (4, 4)), {}, ValueError),
    ("resize", (_X, (4, 4)), {"interpolation": "cubic"}, ValueError),
    ("resize", (_X, (4, 4)), {"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, ValueError),
    ("resize", (_X, (4, 4)), {"fill_mode": "reflect"}, ValueError),
    ("resize", (_X, (4, 4)), {"data_format": "nhwc"}, ValueError),
    ("affine_transform", (_X, np.zeros(8, "float32")), {"interpolation": "bicubic"}, ValueError),
    ("affine_transform", (_X, np.zeros(8, "float32")), {"fill_mode": "edge"}, ValueError),
    ("affine_transform", (_X, np.zeros((1, 2, 8), "float32")), {}, ValueError),
    ("map_coordinates", (_X[0, :, :, 0], np.zeros((2, 3), "float32"), 2), {}, ValueError),
    ("map_coordinates", (_X[0, :, :, 0], np.zeros((3, 3), "float32"), 1), {}, ValueError),
    ("map_coordinates", (_X[0, :, :, 0], np.zeros((2, 3), "float32"), 1), {"fill_mode": "edge"}, ValueError),
    ("extract_patches", (_X, "2"), {}, TypeError),
    ("extract_patches", (_X, (1, 2, 3, 4)), {}, ValueError),
    ("crop_images", (_X, 1, 1, 1, 1), {"target_height": 3, "target_width": 3}, ValueError),
    ("crop_images", (_X, -1, 1), {"target_height": 3, "target_width": 3}, ValueError),
    ("pad_images", (_X, 1, 1), {}, ValueError),
    ("pad_images", (_X,), {"bottom_padding": 1, "right_padding": 1, "target_height": 3, "target_width": 9},
     ValueError),
    ("rgb_to_hsv", (_X.astype("int32"),), {}, ValueError),
    ("hsv_to_rgb", (_X[..., :2],), {}, ValueError),
    ("rgb_to_grayscale", (np.zeros((2, 6, 7, 4), "float32"),), {}, ValueError),
    ("perspective_transform", (_X, np.zeros((4, 3), "float32"), np.zeros((4, 3), "float32")), {}, ValueError),
    ("perspective_transform", (_X, _PTS, _PTS), {"interpolation": "bicubic"}, ValueError),
    ("scale_and_translate", (_X, (2, 3, 3, 3), np.ones(2, "float32"), np.zeros(2, "float32"), (1, 2), "nearest"), {},
     ValueError),
    ("ssim", (_X, _X), {}, ValueError),
    ("gaussian_blur", (_X[0, 0],), {}, ValueError),
    ("elastic_transform", (_X,), {"fill_mode": "edge"}, ValueError),
]


@pytest.mark.parametrize("name,args,kwargs,exc", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_input_raises_like_keras(backend, name, args, kwargs, exc):
    with pytest.raises(exc) as info:
        getattr(I, name)(*args, **kwargs)
    assert str(info.value)
    try:
        K = _keras_image()
    except OracleMissing:
        return
    with pytest.raises(exc):
        getattr(K, name)(*args, **kwargs)


@pytest.mark.parametrize("name,args,kwargs", [
    ("crop_images", (_X, 4, 0), {"target_height": 3, "target_width": 7}),        # window past the bottom
    ("sobel_edges", (_X[0],), {}),                                               # needs a batch
    ("elastic_transform", (_X,), {"sigma": 0.0}),
    ("extract_patches", (_X, 8), {}),                                            # empty output
    ("ssim", (_X, _X[:1]), {"filter_size": 3}),                                  # shapes differ
])
def test_bad_input_kshim_only(backend, name, args, kwargs):
    """Inputs Keras mishandles silently or with an unrelated error; kshim raises ValueError naming them."""
    with pytest.raises(ValueError, match=r"\S"):
        getattr(I, name)(*args, **kwargs)


# ---- properties --------------------------------------------------------------------------------
def test_compute_homography_matches_the_linear_solve(backend):
    r = np.random.default_rng(3)
    start = r.uniform(0, 10, (3, 4, 2))
    end = start + r.uniform(-1, 1, (3, 4, 2))
    got = np.asarray(kshim.ops.convert_to_numpy(compute_homography_matrix(start, end)))
    np.testing.assert_allclose(got, np_homography(start, end), rtol=1e-10, atol=1e-12)


def _np(x):
    return np.asarray(kshim.ops.convert_to_numpy(x))


def test_elastic_transform_same_seed_same_result_on_every_backend():
    x = np.random.default_rng(0).random((2, 10, 12, 3)).astype("float32")
    outs = {}
    for name in ("numpy", "jax", "torch"):
        if not kshim.backends.is_available(name):
            continue
        with kshim.backend.use(name):
            outs[name] = _np(I.elastic_transform(x, alpha=5.0, sigma=2.0, seed=42))
            again = _np(I.elastic_transform(x, alpha=5.0, sigma=2.0, seed=42))
            other = _np(I.elastic_transform(x, alpha=5.0, sigma=2.0, seed=43))
        np.testing.assert_array_equal(outs[name], again)
        assert np.abs(other - outs[name]).max() > 1e-2
        assert np.abs(outs[name] - x).max() > 1e-2
    # the normal draws agree to a few ulps across backends; alpha * blur keeps that at ~1e-6 px
    for name, out in outs.items():
        np.testing.assert_allclose(out, outs["numpy"], rtol=1e-5, atol=1e-5, err_msg=name)


def test_elastic_transform_zero_alpha_is_identity_and_seed_generator_advances(backend):
    x = np.random.default_rng(1).random((2, 7, 8, 3))
    np.testing.assert_array_equal(_np(I.elastic_transform(x, alpha=0.0, sigma=1.0, seed=1)), x)
    gen = kshim.random.SeedGenerator(5)
    a = _np(I.elastic_transform(x, alpha=3.0, sigma=1.0, seed=gen))
    b = _np(I.elastic_transform(x, alpha=3.0, sigma=1.0, seed=gen))
    assert np.abs(a - b).max() > 1e-3


def test_affine_identity_and_integer_shift(backend):
    x = np.random.default_rng(2).random((2, 6, 7, 3))
    ident = np.array([1, 0, 0, 0, 1, 0, 0, 0], "float64")
    np.testing.assert_array_equal(_np(I.affine_transform(x, ident)), x)
    shift = np.array([1, 0, 2, 0, 1, -1, 0, 0], "float64")        # out(y, x) = in(y - 1, x + 2)
    out = _np(I.affine_transform(x, shift, fill_value=-7.0))
    np.testing.assert_array_equal(out[:, 1:, :5], x[:, :-1, 2:])
    assert (out[:, 0] == -7).all() and (out[:, :, 5:] == -7).all()


def test_resize_same_size_is_identity_for_every_kernel(backend):
    x = np.random.default_rng(4).random((1, 5, 6, 2))
    for interp in ("bilinear", "bicubic", "lanczos3", "lanczos5", "area", "nearest"):
        np.testing.assert_array_equal(_np(I.resize(x, (5, 6), interpolation=interp, antialias=True)), x)


def test_jax_jit_matches_eager():
    """Every op traces under jax.jit with its tensor arguments traced (no Python branching on values)."""
    jax = pytest.importorskip("jax")
    if not kshim.backends.is_available("jax"):
        pytest.skip("jax backend unavailable")
    r = np.random.default_rng(5)
    x = r.random((2, 8, 9, 3)).astype("float32")
    t = np.array([[1.1, 0.2, -1.0, -0.1, 0.9, 0.5, 0, 0]] * 2, "float32")
    sp = np.array([[0, 0], [0, 8], [9, 0], [9, 8]], "float32")
    ep = sp + r.uniform(-1, 1, sp.shape).astype("float32")
    coords = np.stack([r.uniform(-1, 9, (5, 4)), r.uniform(-1, 10, (5, 4)), r.uniform(0, 2, (5, 4))]).astype("float32")
    calls = {
        "resize": (lambda a: I.resize(a, (5, 11), interpolation="bicubic", antialias=True), (x,)),
        "scale_and_translate": (lambda a, s, tr: I.scale_and_translate(a, (2, 5, 4, 3), s, tr, (1, 2), "lanczos3"),
                                (x, np.array([0.7, 0.5], "float32"), np.array([0.3, -0.2], "float32"))),
        "affine_transform": (lambda a, m: I.affine_transform(a, m, fill_mode="reflect"), (x, t)),
        "map_coordinates": (lambda a, c: I.map_coordinates(a, c, 1, fill_mode="mirror"), (x[0], coords)),
        "perspective_transform": (lambda a, s, e: I.perspective_transform(a, s, e), (x, sp, ep)),
        "gaussian_blur": (lambda a, s: I.gaussian_blur(a, (5, 3), s), (x, np.array([1.3, 0.6], "float32"))),
        "elastic_transform": (lambda a: I.elastic_transform(a, alpha=4.0, sigma=1.5, seed=3), (x,)),
        "rgb_to_hsv": (lambda a: I.hsv_to_rgb(I.rgb_to_hsv(a)), (x,)),
        "rgb_to_grayscale": (I.rgb_to_grayscale, (x,)),
        "sobel_edges": (I.sobel_edges, (x,)),
        "ssim": (lambda a, c: I.ssim(a, c, filter_size=5), (x, x[::-1])),
        "extract_patches": (lambda a: I.extract_patches(a, (3, 2), strides=(2, 1), padding="same"), (x,)),
        "crop_pad": (lambda a: I.pad_images(I.crop_images(a, 1, 1, 1, 1), 2, 0, 0, 2), (x,)),
    }
    with kshim.backend.use("jax"):
        for name, (fn, args) in calls.items():
            eager = _np(fn(*args))
            jitted = np.asarray(jax.jit(fn)(*args))
            np.testing.assert_allclose(jitted, eager, rtol=1e-5, atol=1e-6, err_msg=name)


def test_symbolic_inputs_build_a_functional_model():
    inp = kshim.Input((8, 10, 3))
    out = I.resize(I.rgb_to_grayscale(inp), (4, 5))
    assert tuple(out.shape) == (None, 4, 5, 1)
    model = kshim.Model(inp, out)
    x = np.random.default_rng(6).random((2, 8, 10, 3)).astype("float32")
    want = _np(I.resize(I.rgb_to_grayscale(x), (4, 5)))
    np.testing.assert_allclose(_np(model(x)), want, rtol=1e-6, atol=1e-7)

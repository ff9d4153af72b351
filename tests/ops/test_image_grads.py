"""Gradients of the differentiable ``kshim.ops.image`` ops: central finite differences on the NumPy
backend (float64, through its tape), then the same gradients on JAX and torch.

Finite differences use eps=1e-6 (truncation ~eps^2, rounding ~1e-16/eps relative to the loss
scale), so rtol=1e-6 with atol=1e-7 * scale has ample margin. The interpolating ops are piecewise
smooth (kinks where a sample crosses a pixel); inputs keep sample positions and colour channels
away from those kinks (fractions in [0.1, 0.9], distinct channel values), so no difference step
crosses one. Across backends the gradients are the same composite on other primitives, so they
agree to float64 rounding: rtol=1e-9, atol=1e-11 * scale.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops.image as I

rng = np.random.default_rng(11)


def _img(*shape, lo=0.05, hi=0.95):
    return rng.uniform(lo, hi, shape)


def _frac_coords(shape, q):
    """Coordinates inside [-1, n] with fractional parts in [0.1, 0.9] (away from the kinks)."""
    return np.stack([rng.integers(-1, n, q) + rng.uniform(0.1, 0.9, q) for n in shape])


def _colours(*shape):
    x = _img(*shape)
    x[..., 1] = np.clip(x[..., 0] + rng.choice([-0.3, 0.3], shape[:-1]), 0.05, 0.95)   # channels well apart
    x[..., 2] = np.clip(x[..., 0] - rng.choice([-0.15, 0.15], shape[:-1]) * 1.7, 0.05, 0.95)
    return x


_SP = np.array([[[0.0, 0.0], [0.0, 5.0], [6.0, 0.0], [6.0, 5.0]]])
GRADS = {
    "resize-bilinear-antialias": (lambda x: I.resize(x, (3, 4), antialias=True), (_img(1, 5, 7, 2),)),
    "resize-bicubic-up": (lambda x: I.resize(x, (6, 7), interpolation="bicubic"), (_img(1, 4, 3, 2),)),
    "resize-lanczos3-cf": (lambda x: I.resize(x, (3, 5), interpolation="lanczos3", data_format="channels_first"),
                           (_img(2, 4, 6),)),
    "resize-area": (lambda x: I.resize(x, (3, 4), interpolation="area"), (_img(5, 7, 2),)),
    "scale_and_translate": (lambda x, s, t: I.scale_and_translate(x, (4, 6, 2), s, t, (0, 1), "linear"),
                            (_img(5, 4, 2), np.array([0.83, 1.37]), np.array([0.21, -0.36]))),
    "scale_and_translate-cubic": (lambda x, s, t: I.scale_and_translate(x, (3, 5), s, t, (0, 1), "cubic", False),
                                  (_img(5, 4), np.array([0.61, 1.23]), np.array([0.13, 0.27]))),
    "affine_transform-constant": (lambda x, t: I.affine_transform(x, t, fill_value=0.3),
                                  (_img(1, 5, 6, 2), np.array([1.071, 0.131, -0.613, -0.093, 0.943, 0.772, 0, 0]))),
    "affine_transform-reflect-cf": (lambda x, t: I.affine_transform(x, t, fill_mode="reflect",
                                                                     data_format="channels_first"),
                                    (_img(2, 5, 4), np.array([0.87, -0.21, 1.33, 0.173, 1.117, -1.413, 0, 0]))),
    "map_coordinates": (lambda x, c: I.map_coordinates(x, c, 1, fill_mode="mirror"),
                        (_img(4, 5, 3), _frac_coords((4, 5, 3), (6,)))),
    "map_coordinates-constant": (lambda x, c: I.map_coordinates(x, c, 1, fill_value=-0.4),
                                 (_img(5, 6), _frac_coords((5, 6), (3, 4)))),
    "gaussian_blur": (lambda x, s: I.gaussian_blur(x, (3, 5), s), (_img(1, 6, 5, 2), np.array([0.9, 1.4]))),
    "rgb_to_hsv": (I.rgb_to_hsv, (_colours(2, 3, 3),)),
    "hsv_to_rgb": (I.hsv_to_rgb, (np.stack([rng.uniform(0.05, 0.95, (2, 3)) * 0.9, _img(2, 3), _img(2, 3)], -1),)),
    "rgb_to_grayscale": (I.rgb_to_grayscale, (_img(3, 4, 3),)),
    "ssim": (lambda a, c: I.ssim(a, c, filter_size=3), (_img(2, 5, 6, 2), _img(2, 5, 6, 2))),
    "perspective_transform": (lambda x, e: I.perspective_transform(x, _SP, e),
                              (_img(1, 5, 6, 2), _SP + np.array([[[0.31, 0.17], [-0.23, 0.41], [0.12, -0.33],
                                                                    [-0.27, -0.19]]]))),
    "elastic_transform": (lambda x: I.elastic_transform(x, alpha=1.5, sigma=1.0, seed=2), (_img(1, 5, 6, 2),)),
    "sobel_edges": (I.sobel_edges, (_img(1, 4, 5, 2),)),
    "extract_patches": (lambda x: I.extract_patches(x, (2, 3), strides=1, padding="same"), (_img(4, 5, 2),)),
}
IDS = sorted(GRADS)


def _value_and_grads(name, fn, args, proj):
    """(loss, grads) of ``sum(fn(*args) * proj)`` on backend ``name``, as NumPy."""
    with kshim.backend.use(name):
        b = kshim.backend.current()
        targs = [kshim.ops.convert_to_tensor(a, "float64") for a in args]
        p = kshim.ops.convert_to_tensor(proj, "float64")

        def loss(*a):
            return b.sum(b.multiply(fn(*a), p), None, False)
        val, grads = b.value_and_grad(loss, argnums=tuple(range(len(args))))(*targs)
        to_np = lambda t: np.asarray(kshim.ops.convert_to_numpy(t))  # noqa: E731
        return float(to_np(val)), [to_np(g) for g in grads]


def _proj(fn, args):
    with kshim.backend.use("numpy"):
        shape = np.shape(kshim.ops.convert_to_numpy(fn(*[np.asarray(a, np.float64) for a in args])))
    return np.random.default_rng(len(shape) + sum(shape)).standard_normal(shape)


@pytest.mark.parametrize("case", IDS)
def test_gradient_matches_finite_differences_numpy(case, eps=1e-6):
    fn, args = GRADS[case]
    args = [np.asarray(a, np.float64) for a in args]
    proj = _proj(fn, args)
    val, grads = _value_and_grads("numpy", fn, args, proj)

    def loss(*a):
        with kshim.backend.use("numpy"):
            return float(np.sum(np.asarray(kshim.ops.convert_to_numpy(fn(*a))) * proj))
    assert np.isclose(val, loss(*args), rtol=1e-12)
    scale = max(1.0, abs(val))
    for i, (a, g) in enumerate(zip(args, grads)):
        assert g.shape == a.shape and g.dtype == np.float64
        fd = np.zeros_like(a)
        for j in range(a.size):
            ap, am = a.copy(), a.copy()
            ap.flat[j] += eps
            am.flat[j] -= eps
            fd.flat[j] = (loss(*args[:i], ap, *args[i + 1:]) - loss(*args[:i], am, *args[i + 1:])) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7 * scale, err_msg=f"{case}: argument {i}")
        assert np.abs(fd).max() > 1e-3, f"{case}: argument {i} has no gradient to check"


@pytest.mark.parametrize("other", ["jax", "torch"])
@pytest.mark.parametrize("case", IDS)
def test_gradient_agrees_across_backends(case, other):
    if not kshim.backends.is_available(other):
        pytest.skip(f"backend {other!r} is not installed")
    fn, args = GRADS[case]
    args = [np.asarray(a, np.float64) for a in args]
    proj = _proj(fn, args)
    v0, g0 = _value_and_grads("numpy", fn, args, proj)
    v1, g1 = _value_and_grads(other, fn, args, proj)
    scale = max(1.0, abs(v0))
    assert np.isclose(v1, v0, rtol=1e-10)
    for i, (a, c) in enumerate(zip(g0, g1)):
        np.testing.assert_allclose(c, a, rtol=1e-9, atol=1e-11 * scale, err_msg=f"{case} on {other}: argument {i}")

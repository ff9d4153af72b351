"""The NumPy backend's fast paths against plain reference implementations: tiled max pooling
(strides == pool), im2col layouts, per-tap conv input grad, the ``where`` VJP's masked multiply
and the fused Threefry primitive (bit-identical to the composite and to the host generator)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from kshim import backends
from kshim.backends.numpy import nn

b = backends.get("numpy")
rng = np.random.default_rng(7)


# ---- max pooling -------------------------------------------------------------------------------
def _ref_max_pool(x, pool, strides, padding, axes):
    """Loop over windows: (max, vjp of ones-weighted cotangent g) with the first max winning ties."""
    xp = np.moveaxis(x, axes, range(len(axes)))
    pads = [tuple(p) for p in padding] + [(0, 0)] * (xp.ndim - len(axes))
    xp = np.pad(xp, pads, constant_values=-np.inf)
    osp = [(n - k) // s + 1 for n, k, s in zip(xp.shape, pool, strides)]
    out = np.empty(tuple(osp) + xp.shape[len(axes):], x.dtype)
    arg = {}
    for o in itertools.product(*[range(m) for m in osp]):
        win = xp[tuple(slice(i * s, i * s + k) for i, s, k in zip(o, strides, pool))]
        flat = win.reshape(-1, *win.shape[len(axes):])
        j = np.argmax(flat, axis=0)  # first maximum in row-major window order
        out[o] = np.take_along_axis(flat, j[None], 0)[0]
        arg[o] = j

    def grad(g):
        gm = np.moveaxis(g, axes, range(len(axes)))
        gx = np.zeros(xp.shape, g.dtype)
        for o, j in arg.items():
            taps = np.unravel_index(j, pool)
            idx = tuple(t + i * s for t, i, s in zip(taps, o, strides))
            rest = np.indices(j.shape)
            np.add.at(gx, idx + tuple(rest), gm[o])
        crop = tuple(slice(lo, n - hi) for (lo, hi), n in zip(padding, gx.shape))
        return np.moveaxis(gx[crop], range(len(axes)), axes)
    return np.moveaxis(out, range(len(axes)), axes), grad


POOLS = [("channels_last", (2, 11, 11, 3), (2, 2), (2, 2), ((0, 0), (0, 0))),     # odd: 11 -> 5
         ("channels_last", (2, 12, 9, 2), (3, 3), (3, 3), ((0, 0), (1, 2))),
         ("channels_first", (2, 3, 7, 8), (2, 2), (2, 2), ((1, 0), (0, 0))),
         ("channels_last", (3, 9, 4), (3,), (3,), ((0, 0),)),
         ("channels_first", (1, 2, 5, 4, 6), (2, 2, 3), (2, 2, 3), ((0, 1), (0, 0), (0, 0))),
         ("channels_last", (2, 7, 7, 3), (3, 2), (2, 1), ((1, 1), (0, 1)))]          # general path


@pytest.mark.parametrize("case", POOLS)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool_matches_reference(case, ties):
    fmt, shape, pool, strides, padding = case
    x = rng.standard_normal(shape)
    if ties:  # relu-like zeros and repeated values: the cotangent must go to the first maximum
        x = np.round(np.maximum(x, 0), 0)
    axes = nn.spatial_axes(x.ndim, fmt)
    out, grad = nn.max_pool(x, pool, strides, padding, fmt, want_grad=True)
    ref, ref_grad = _ref_max_pool(x, pool, strides, padding, axes)
    np.testing.assert_array_equal(out, ref)
    g = rng.standard_normal(out.shape)
    np.testing.assert_allclose(grad(g), ref_grad(g), rtol=1e-14, atol=1e-14)  # overlaps: sum order
    assert nn.max_pool(x.astype(np.float32), pool, strides, padding, fmt)[0].dtype == np.float32


def test_max_pool_grad_non_finite_cotangent():
    x = np.array([[[3.0], [1.0], [0.0], [5.0]]])
    _, grad = nn.max_pool(x, (2,), (2,), ((0, 0),), "channels_last", want_grad=True)
    g = grad(np.array([[[np.inf], [np.nan]]]))
    np.testing.assert_array_equal(g[0, :, 0], [np.inf, 0, 0, np.nan])


# ---- convolution -------------------------------------------------------------------------------
def _ref_conv(x, w, strides, padding, dilation, groups):
    """Channels-last conv by an explicit sum over taps and groups (float64)."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0)] + list(padding) + [(0, 0)])
    k, cg, cout = w.shape[:nd], w.shape[-2], w.shape[-1]
    og = cout // groups
    osp = [(n - d * (kk - 1) - 1) // s + 1 for n, kk, s, d in zip(xp.shape[1:-1], k, strides, dilation)]
    out = np.zeros((x.shape[0], *osp, cout))
    for tap in itertools.product(*[range(kk) for kk in k]):
        sl = (slice(None),) + tuple(slice(t * d, t * d + (o - 1) * s + 1, s)
                                    for t, s, d, o in zip(tap, strides, dilation, osp))
        for gi in range(groups):
            xs = xp[sl][..., gi * cg:(gi + 1) * cg]
            out[..., gi * og:(gi + 1) * og] += xs @ w[tap][:, gi * og:(gi + 1) * og]
    return out


CONVS = [((2, 9, 9, 1), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), 1),   # tap-major im2col (few channels)
         ((2, 8, 7, 3), (3, 2), (2, 1), ((1, 1), (0, 2)), (1, 2), 1),
         ((2, 9, 8, 8), (3, 3), (1, 2), ((1, 2), (1, 0)), (2, 1), 1),   # row-major im2col
         ((2, 7, 6, 8), (2, 3), (2, 1), ((0, 1), (2, 1)), (1, 1), 2),   # groups
         ((2, 7, 6), (3,), (2,), ((2, 1),), (1,), 1)]


@pytest.mark.parametrize("case", CONVS)
def test_conv_forward_and_grads(case):
    xs, k, s, p, d, groups = case
    cout = 4
    x = rng.standard_normal(xs)
    w = rng.standard_normal(k + (xs[-1] // groups, cout))
    out, cols = nn.conv_cl(x, w, s, p, d, groups, keep_cols=True)
    np.testing.assert_allclose(out, _ref_conv(x, w, s, p, d, groups), rtol=1e-12, atol=1e-12)
    # adjoint identities: <conv(x, w), g> is linear in x and in w
    g = rng.standard_normal(out.shape)
    gx = nn.conv_input_grad(g, w, x.shape, s, p, d, groups)
    gw = nn.conv_kernel_grad(cols, g, w.shape, groups)
    assert gx.shape == x.shape and gw.shape == w.shape
    dx, dw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)
    np.testing.assert_allclose(np.sum(_ref_conv(dx, w, s, p, d, groups) * g), np.sum(gx * dx), rtol=1e-10)
    np.testing.assert_allclose(np.sum(_ref_conv(x, dw, s, p, d, groups) * g), np.sum(gw * dw), rtol=1e-10)
    o32, _ = nn.conv_cl(x.astype(np.float32), w.astype(np.float32), s, p, d, groups)
    assert o32.dtype == np.float32
    assert nn.conv_input_grad(g.astype(np.float32), w.astype(np.float32), x.shape, s, p, d,
                              groups).dtype == np.float32


# ---- where -------------------------------------------------------------------------------------
def test_where_grad_masks_non_finite_and_non_bool_condition():
    c = np.array([[2, 0, -1]])
    _, (ga, gb) = b.value_and_grad(
        lambda a, z: b.sum(b.multiply(b.where(c, a, z), np.array([np.inf, 1.0, 2.0])), None, False),
        argnums=(0, 1))(np.ones((2, 3)), np.ones(3))
    np.testing.assert_array_equal(ga, [[np.inf, 0, 2], [np.inf, 0, 2]])
    np.testing.assert_array_equal(gb, [0, 2, 0])

# Threefry's fused kernel (every backend, incl. NumPy): tests/backends/test_threefry_fused.py


# ---- sums over middle axes as a float64 GEMV ----------------------------------------------------
@pytest.mark.parametrize(
    "shape, axis, keepdims",
    [
        ((16, 32, 32, 3), (1, 2), False),  # global average pooling of RGB images: the fast path
        ((16, 32, 32, 3), (1, 2), True),
        ((4, 300, 2), 1, False),
        ((300, 5), 0, True),
        ((3, 40, 40, 8), (-3, -2), False),
        ((2, 3, 70, 2), (1, 2), False),
        ((16, 32, 32, 3), (0, 2), False),  # not one run of axes: NumPy's reduction
        ((16, 32, 32, 16), (1, 2), False),  # trailing block too wide: NumPy's reduction
    ],
)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_wide_sum_over_middle_axes_matches_float64_reference(shape, axis, keepdims, dtype):
    from kshim.backends.numpy import rawops

    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    got = rawops.sum_(x, axis, keepdims)
    want = np.sum(x.astype(np.float64), axis=axis, keepdims=keepdims).astype(dtype)
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    # both accumulate in float64 and round once, so they agree to the last bit but for a
    # rounding tie at the final cast (none in these draws)
    np.testing.assert_array_equal(got, want)


def test_gemv_sum_applies_only_to_a_run_of_axes_before_a_short_block():
    from kshim.backends.numpy import rawops

    x = np.zeros((4, 5, 6, 3), np.float32)
    assert rawops._sum_as_gemv(x, (1, 2)) is not None
    assert rawops._sum_as_gemv(x, (0, 2)) is None
    assert rawops._sum_as_gemv(x, (1, 2, 3)) is None  # trailing axis reduced: NumPy's fast loop
    assert rawops._sum_as_gemv(np.zeros((4, 5, 6, 9), np.float32), (1, 2)) is None
    assert rawops._sum_as_gemv(x, None) is None

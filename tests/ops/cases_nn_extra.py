"""Op cases of the nn_extra area: CTC, adaptive pooling, pixel (un)shuffle, fold/unfold,
``extract_sequences``, layer/RMS normalization, ``psnr``, the sparse activations, ``threshold``,
``saturate_cast``, ``segment_min``/``segment_prod``, ``rearrange`` and the function transforms.

References: real Keras on JAX (``KERAS``) wherever Keras computes in the input's precision;
independent NumPy references elsewhere: a per-sequence alpha recursion for ``ctc_loss``
(``_np_ctc``), a bisection on ``tau`` for ``sparsemax`` (``_np_sparsemax``; Keras 3.15's sparsemax
is wrong when the support has two or more entries, see ``kshim.ops.sparsemax``), ``np.mean``/``np.var``
for the normalizations (Keras computes float64 normalizations in float32), and closed forms for
``jvp``/``map``/``associative_scan``/``custom_gradient``.

Tolerances: the defaults (float32 1e-5/1e-6, float64 1e-10/1e-12) except: ``ctc_loss`` accumulates
a log-sum-exp over up to 9 time steps of values ~10, float32 (2e-5, 1e-5); ``ctc_decode`` in float64
against Keras, which casts float64 inputs to float32 before summing the scores (1e-6, 1e-6).
"""
from __future__ import annotations

import numpy as np
import scipy.special as sps

import kshim.ops as O

from .cases import KERAS, Case, add, rn

_CTC = {"float32": (2e-5, 1e-5), "float64": (1e-10, 1e-12)}
_K32 = {"float32": (1e-5, 1e-6), "float64": (1e-6, 1e-6)}   # Keras computes float64 in float32


# ---- references ------------------------------------------------------------------------------
def _np_ctc(target, output, target_length, output_length, mask_index=0):
    lp = np.asarray(output, np.float64)
    lp = lp - sps.logsumexp(lp, axis=-1, keepdims=True)
    out = []
    for b in range(lp.shape[0]):
        lab = list(target[b, :target_length[b]])
        ext = [mask_index]
        for c in lab:
            ext += [c, mask_index]
        s_len = len(ext)
        alpha = np.full(s_len, -np.inf)
        alpha[0] = lp[b, 0, ext[0]]
        if s_len > 1:
            alpha[1] = lp[b, 0, ext[1]]
        for t in range(1, output_length[b]):
            new = np.full(s_len, -np.inf)
            for s in range(s_len):
                terms = [alpha[s]]
                if s >= 1:
                    terms.append(alpha[s - 1])
                if s >= 2 and ext[s] != mask_index and ext[s] != ext[s - 2]:
                    terms.append(alpha[s - 2])
                new[s] = sps.logsumexp(terms) + lp[b, t, ext[s]]
            alpha = new
        tail = [alpha[-1]] + ([alpha[-2]] if s_len > 1 else [])
        out.append(-sps.logsumexp(tail))
    return np.asarray(out, output.dtype)


def _ctc_inputs(r, d, mask_index=0):
    k, steps = 5, 9
    labels = [c for c in range(k) if c != mask_index]
    target = np.array([[labels[0], labels[1], labels[1], labels[2]],
                       [labels[3], labels[0], labels[0], labels[0]],
                       [labels[2], labels[2], labels[1], labels[0]]], np.int32)
    return (target, rn(r, d, 3, steps, k) * 2, np.array([4, 2, 3], np.int32),
            np.array([9, 6, 7], np.int32))


def _np_sparsemax(x, axis=-1):
    z = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    lo, hi = z.min(-1, keepdims=True) - 1.0, z.max(-1, keepdims=True)
    for _ in range(200):          # sum(max(z - tau, 0)) = 1 is monotone in tau: bisect to ~1e-16
        mid = (lo + hi) / 2
        big = np.maximum(z - mid, 0).sum(-1, keepdims=True) > 1
        lo, hi = np.where(big, mid, lo), np.where(big, hi, mid)
    tau = (lo + hi) / 2
    return np.moveaxis(np.maximum(z - tau, 0), -1, axis).astype(x.dtype)


def _np_layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=1e-7):
    ax = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    xd = x.astype(np.float64)
    y = (xd - xd.mean(ax, keepdims=True)) / np.sqrt(xd.var(ax, keepdims=True) + epsilon)
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y.astype(x.dtype)


def _np_rms_norm(x, scale=None, axis=-1, epsilon=1e-7):
    ax = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    xd = x.astype(np.float64)
    y = xd / np.sqrt(np.mean(xd * xd, ax, keepdims=True) + epsilon)
    return (y if scale is None else y * scale).astype(x.dtype)


def _np_fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im by loops, as torch.nn.functional.fold (the output is always ``output_size``)."""
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)  # noqa: E731
    (oh, ow), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(pair, (output_size, kernel_size, dilation, padding, stride))
    n, ckk, _ = x.shape
    c = ckk // (kh * kw)
    nh, nw = (oh + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (ow + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, oh + 2 * ph, ow + 2 * pw), np.float64)
    xr = x.reshape(n, c, kh, kw, nh, nw)
    for i in range(kh):
        for j in range(kw):
            for a in range(nh):
                for b in range(nw):
                    out[:, :, a * sh + i * dh, b * sw + j * dw] += xr[:, :, i, j, a, b]
    return out[:, :, ph:ph + oh, pw:pw + ow].astype(x.dtype)


def _np_psnr(a, b, max_val):
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return np.asarray(20 * np.log10(max_val) - 10 * np.log10(mse), a.dtype)


# ---- ctc ---------------------------------------------------------------------------------------
add(Case("ctc_loss", lambda r, d: (_ctc_inputs(r, d), {}), _np_ctc, tol=_CTC),
    Case("ctc_loss", lambda r, d: (_ctc_inputs(r, d, 4), {"mask_index": 4}), _np_ctc, tol=_CTC,
         id="ctc_loss-blank-last"),
    Case("ctc_loss", lambda r, d: (_ctc_inputs(r, d), {}), KERAS, tol=_CTC, id="ctc_loss-keras",
         dtypes=("float32",)),
    Case("ctc_decode", lambda r, d: ((rn(r, d, 3, 8, 5) * 2, np.array([8, 5, 7], np.int32)), {}), KERAS,
         out=("int32", "same"), tol=_K32),
    Case("ctc_decode", lambda r, d: ((rn(r, d, 3, 8, 5), np.array([8, 5, 7], np.int32)),
                                     {"merge_repeated": False, "mask_index": 2}), KERAS,
         out=("int32", "same"), tol=_K32, id="ctc_decode-greedy-unmerged"),
    Case("ctc_decode", lambda r, d: ((rn(r, d, 3, 8, 4) * 2, np.array([8, 5, 7], np.int32)),
                                     {"strategy": "beam_search", "beam_width": 5, "top_paths": 3}), KERAS,
         out=("int32", "same"), tol=_K32, id="ctc_decode-beam"),
    Case("ctc_decode", lambda r, d: ((rn(r, d, 2, 6, 6), np.array([6, 4], np.int32)),
                                     {"strategy": "beam_search", "beam_width": 50, "top_paths": 2,
                                      "mask_index": 5}), KERAS,
         out=("int32", "same"), tol=_K32, id="ctc_decode-beam-wide"),
    )

# ---- pooling, pixel shuffle, fold/unfold, extract_sequences ------------------------------------
add(Case("adaptive_average_pool", lambda r, d: ((rn(r, d, 2, 7, 3),), {"output_size": 3}), KERAS),
    Case("adaptive_average_pool", lambda r, d: ((rn(r, d, 2, 7, 9, 3),), {"output_size": (4, 5)}), KERAS,
         id="adaptive_average_pool-2d"),
    Case("adaptive_average_pool", lambda r, d: ((rn(r, d, 2, 3, 5, 6, 4),),
                                                {"output_size": (2, 3, 8), "data_format": "channels_first"}),
         KERAS, id="adaptive_average_pool-3d-channels-first"),
    Case("adaptive_max_pool", lambda r, d: ((rn(r, d, 2, 7, 9, 3),), {"output_size": (4, 5)}), KERAS),
    Case("adaptive_max_pool", lambda r, d: ((rn(r, d, 2, 3, 10),), {"output_size": 4, "data_format": "channels_first"}),
         KERAS, id="adaptive_max_pool-1d-channels-first"),
    Case("adaptive_max_pool", lambda r, d: ((rn(r, d, 2, 5, 6, 4, 2),), {"output_size": (3, 7, 2)}), KERAS,
         id="adaptive_max_pool-3d-upsample"),
    Case("depth_to_space", lambda r, d: ((rn(r, d, 2, 3, 4, 8), 2), {}), KERAS),
    Case("depth_to_space", lambda r, d: ((rn(r, d, 2, 18, 3, 4), 3), {"data_format": "channels_first"}), KERAS,
         id="depth_to_space-channels-first"),
    Case("space_to_depth", lambda r, d: ((rn(r, d, 2, 6, 4, 3), 2), {}), KERAS),
    Case("space_to_depth", lambda r, d: ((rn(r, d, 2, 3, 6, 9), 3), {"data_format": "channels_first"}), KERAS,
         id="space_to_depth-channels-first"),
    Case("unfold", lambda r, d: ((rn(r, d, 2, 3, 7, 6), 3), {"dilation": (2, 1), "padding": 1, "stride": 2}), KERAS),
    Case("unfold", lambda r, d: ((rn(r, d, 1, 2, 4, 5), (2, 3)), {}), KERAS, id="unfold-default"),
    Case("fold", lambda r, d: ((rn(r, d, 2, 12, 9), (5, 6), 2), {"stride": 2, "padding": (1, 0)}), KERAS),
    Case("fold", lambda r, d: ((rn(r, d, 2, 12, 18), (7, 5), (2, 3)), {}), KERAS, id="fold-overlapping"),
    Case("fold", lambda r, d: ((rn(r, d, 1, 8, 8), (6, 5), 2), {"dilation": (2, 1), "stride": (1, 2)}), _np_fold,
         id="fold-dilated-remainder"),
    Case("extract_sequences", lambda r, d: ((rn(r, d, 2, 11), 4, 3), {}), KERAS),
    Case("extract_sequences", lambda r, d: ((rn(r, d, 3, 2, 8), 8, 1), {}), KERAS, id="extract_sequences-whole"),
    )

# ---- normalization, psnr, activations ------------------------------------------------------------
add(Case("layer_normalization", lambda r, d: ((rn(r, d, 3, 4, 5),), {}), _np_layer_norm),
    Case("layer_normalization", lambda r, d: ((rn(r, d, 2, 4, 3), rn(r, d, 3), rn(r, d, 3)), {"epsilon": 1e-3}),
         lambda x, g, b, epsilon: _np_layer_norm(x, g, b, epsilon=epsilon), id="layer_normalization-affine"),
    Case("layer_normalization", lambda r, d: ((rn(r, d, 2, 4, 3), rn(r, d, 4, 3), rn(r, d, 4, 3)), {"axis": [1, 2]}),
         lambda x, g, b, axis: _np_layer_norm(x, g, b, axis), id="layer_normalization-axes"),
    Case("layer_normalization", lambda r, d: ((rn(r, d, 2, 4, 3), rn(r, d, 4), rn(r, d, 4)), {"axis": 1}),
         lambda x, g, b, axis: _np_layer_norm(x, g.reshape(4, 1), b.reshape(4, 1), axis),
         id="layer_normalization-middle-axis"),
    Case("rms_normalization", lambda r, d: ((rn(r, d, 3, 4, 5),), {}), _np_rms_norm),
    Case("rms_normalization", lambda r, d: ((rn(r, d, 3, 4, 5), rn(r, d, 4, 5)), {"axis": (1, 2), "epsilon": 1e-2}),
         lambda x, s, axis, epsilon: _np_rms_norm(x, s, axis, epsilon), id="rms_normalization-axes"),
    Case("psnr", lambda r, d: ((rn(r, d, 2, 4, 4, 3), rn(r, d, 2, 4, 4, 3), 1.0), {}), _np_psnr),
    Case("psnr", lambda r, d: ((rn(r, d, 5, 5), rn(r, d, 5, 5), 255.0), {}), KERAS, id="psnr-keras"),
    Case("sparse_sigmoid", lambda r, d: ((rn(r, d, 3, 4) * 2,), {}), KERAS),
    Case("sparse_sigmoid", lambda r, d: ((np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], d),), {}),
         lambda x: np.clip((x + 1) / 2, 0, 1), id="sparse_sigmoid-kinks"),
    Case("sparsemax", lambda r, d: ((rn(r, d, 4, 6),), {}), _np_sparsemax),
    Case("sparsemax", lambda r, d: ((rn(r, d, 3, 5, 2) * 0.3,), {"axis": 1}), _np_sparsemax, id="sparsemax-axis1"),
    Case("sparsemax", lambda r, d: ((np.array([[-1.0, 0.0, 1.0], [4.0, 1.0, 0.5]], d),), {}), KERAS,
         id="sparsemax-keras-single-support"),
    Case("threshold", lambda r, d: ((rn(r, d, 3, 4), 0.1, -5.0), {}),
         lambda x, t, v: np.where(x > t, x, v).astype(x.dtype)),
    Case("threshold", lambda r, d: ((rn(r, d, 6), -0.5, 0.0), {}), KERAS, id="threshold-keras"),
    )

# ---- saturate_cast, segment_min/prod, rearrange ------------------------------------------------------
_SAT = [1.5, -3e10, 3e10, 200.7, -1.2, 255.5, -128.9, np.inf, -np.inf, np.nan]
add(Case("saturate_cast", lambda r, d: ((np.array(_SAT, d), "uint8"), {}), KERAS, out="uint8"),
    Case("saturate_cast", lambda r, d: ((np.array(_SAT, d), "int32"), {}), KERAS, out="int32",
         id="saturate_cast-int32"),
    Case("saturate_cast", lambda r, d: ((np.array(_SAT, d), "uint32"), {}), KERAS, out="uint32",
         id="saturate_cast-uint32"),
    Case("saturate_cast", lambda r, d: ((np.array([1e300, -1e300, 3.25, -np.inf], d), "float32"), {}), KERAS,
         out="float32", dtypes=("float64",), id="saturate_cast-float64-to-float32"),
    Case("saturate_cast", lambda r, d: ((np.array([-300, 5, 70000], d), "int8"), {}), KERAS, out="int8",
         dtypes=("int32", "int64"), id="saturate_cast-int"),
    Case("segment_min", lambda r, d: ((rn(r, d, 6, 2), np.array([0, 0, 3, 1, -1, 3], np.int32)), {"num_segments": 5}),
         KERAS),
    Case("segment_min", lambda r, d: ((rn(r, d, 5, 2, 3), np.array([0, 1, 1, 2, 2], np.int32)), {"sorted": True}),
         lambda x, ids, sorted: np.stack([x[ids == k].min(0) for k in range(3)]), id="segment_min-inferred"),
    Case("segment_prod", lambda r, d: ((rn(r, d, 6, 2), np.array([0, 0, 3, 1, -1, 3], np.int32)), {"num_segments": 5}),
         KERAS),
    Case("segment_prod", lambda r, d: ((rn(r, d, 5, 3), np.array([2, 0, 2, 1, 2], np.int32)), {"num_segments": 3}),
         KERAS, id="segment_prod-unsorted"),
    Case("rearrange", lambda r, d: ((rn(r, d, 2, 6, 4, 3), "b h w c -> b c h w"), {}), KERAS),
    Case("rearrange", lambda r, d: ((rn(r, d, 2, 6, 4, 3), "b (h1 h) (w1 w) c -> (b h1 w1) h w c"), {"h1": 2, "w1": 2}),
         KERAS, id="rearrange-decompose"),
    Case("rearrange", lambda r, d: ((rn(r, d, 2, 6, 4, 3), "b (h h1) (w w1) c -> b h w (c h1 w1)"), {"h1": 3, "w1": 2}),
         KERAS, id="rearrange-space-to-depth"),
    Case("rearrange", lambda r, d: ((rn(r, d, 2, 6, 4, 3), "b ... c -> c b ..."), {}),
         lambda x, p: np.transpose(x, (3, 0, 1, 2)), id="rearrange-ellipsis"),
    Case("rearrange", lambda r, d: ((rn(r, d, 2, 1, 6), "b 1 (k n) -> n b () k"), {"n": 3}),
         lambda x, p, n: np.transpose(x.reshape(2, 2, 3), (2, 0, 1)).reshape(3, 2, 1, 2), id="rearrange-unit-axes"),
    )


# ---- function transforms ----------------------------------------------------------------------------
def _b_jvp(r, d):
    x, y, vx, vy = rn(r, d, 4), rn(r, d, 4), rn(r, d, 4), rn(r, d, 4)
    fun = lambda a, b: O.multiply(O.sin(a), b)  # noqa: E731
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    want = (np.sin(xd) * yd).astype(d), (np.cos(xd) * vx * yd + np.sin(xd) * vy).astype(d)
    return (fun, (x, y), (vx, vy)), {}, want


def _b_jvp_tree(r, d):
    x, v = rn(r, d, 2, 3), rn(r, d, 2, 3)

    def fun(p):
        s = O.sum(O.square(p["w"]), axis=1)
        return (s, O.exp(p["w"])), O.sum(s)
    xd = x.astype(np.float64)
    out = ((xd ** 2).sum(1).astype(d), np.exp(xd).astype(d))
    tan = ((2 * xd * v).sum(1).astype(d), (np.exp(xd) * v).astype(d))
    return (fun, [{"w": x}], [{"w": v}]), {"has_aux": True}, (out, tan, (xd ** 2).sum().astype(d))


def _b_map(r, d):
    x = rn(r, d, 4, 3)
    return (lambda v: O.sum(O.square(v)), x), {}, (x.astype(np.float64) ** 2).sum(1).astype(d)


def _b_vmap(r, d):
    x, y = rn(r, d, 5, 3), rn(r, d, 5, 3)
    want = (x.astype(np.float64) * y).sum(1).astype(d), (x - y).astype(d)
    return (lambda e: (O.sum(O.multiply(e[0], e[1])), O.subtract(e[0], e[1])), [x, y]), {}, want


def _b_assoc_sum(r, d, reverse=False, axis=0):
    x = rn(r, d, 7, 3)
    xd = np.moveaxis(x.astype(np.float64), axis, 0)
    ys = np.cumsum(xd[::-1], 0)[::-1] if reverse else np.cumsum(xd, 0)
    return (lambda a, b: O.add(a, b), x), {"reverse": reverse, "axis": axis}, np.moveaxis(ys, 0, axis).astype(d)


def _b_assoc_affine(r, d, reverse=False):
    """Composition of affine maps x -> a*x + b: associative but not commutative."""
    a, b = (rn(r, d, 6, 2) * 0.5 + 1), rn(r, d, 6, 2)
    ad, bd = a.astype(np.float64), b.astype(np.float64)
    order = range(5, -1, -1) if reverse else range(6)
    outs_a, outs_b = np.zeros_like(ad), np.zeros_like(bd)
    ca = cb = None
    for i in order:   # f(earlier, later): apply earlier, then later
        ca, cb = (ad[i], bd[i]) if ca is None else (ca * ad[i], ad[i] * cb + bd[i])
        outs_a[i], outs_b[i] = ca, cb
    fn = lambda p, q: (O.multiply(p[0], q[0]), O.add(O.multiply(q[0], p[1]), q[1]))  # noqa: E731
    return (fn, (a, b)), {"reverse": reverse}, (outs_a.astype(d), outs_b.astype(d))


def _custom_gradient_check(got, want):
    """``custom_gradient`` returns a function: its value is f's, its gradient the user's."""
    import kshim
    fn = got.item() if isinstance(got, np.ndarray) else got
    x, gscale = want
    b = kshim.backend.current()
    xt = O.convert_to_tensor(x)
    val, g = b.value_and_grad(lambda v: O.sum(fn(v)))(xt)
    np.testing.assert_allclose(np.asarray(O.convert_to_numpy(val)), np.log1p(np.exp(x.astype(np.float64))).sum(),
                               rtol=1e-5 if x.dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(np.asarray(O.convert_to_numpy(g)), gscale * sps.expit(x.astype(np.float64)),
                               rtol=1e-5 if x.dtype == np.float32 else 1e-12)


def _b_custom_gradient(r, d):
    x = rn(r, d, 5)

    def log1pexp(v):
        e = O.exp(v)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return O.multiply(upstream, O.multiply(3.0, O.subtract(1.0, O.divide(1.0, O.add(e, 1.0)))))
        return O.log(O.add(e, 1.0)), grad
    return (log1pexp,), {}, (x, 3.0)


add(Case("jvp", _b_jvp, out=("same", "same")),
    Case("jvp", _b_jvp_tree, id="jvp-pytree-aux"),
    Case("map", _b_map),
    Case("vectorized_map", _b_vmap, out=("same", "same")),
    Case("associative_scan", _b_assoc_sum),
    Case("associative_scan", lambda r, d: _b_assoc_sum(r, d, reverse=True, axis=1),
         id="associative_scan-reverse-axis1"),
    Case("associative_scan", _b_assoc_affine, out=("same", "same"), id="associative_scan-noncommutative"),
    Case("associative_scan", lambda r, d: _b_assoc_affine(r, d, True), out=("same", "same"),
         id="associative_scan-noncommutative-reverse"),
    Case("custom_gradient", _b_custom_gradient, raw=True, check=_custom_gradient_check),
    )

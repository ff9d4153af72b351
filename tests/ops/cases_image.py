"""Op cases of ``keras.ops.image`` (``kshim.ops.image``), run by ``tests/ops/test_image_ops.py``.

They live in their own list, ``IMAGE_CASES``, not in ``cases.CASES``: ``run_case`` looks a case's
name up in ``kshim.ops``, while the image ops live in the ``kshim.ops.image`` namespace (as in Keras).
``Case.name`` is the name inside ``ops.image``; ``KERAS`` means real ``keras.ops.image.<name>`` on
JAX with x64 (the reference where Keras' backends disagree).

References: real Keras-JAX on the same inputs for nearly everything (resize, scale_and_translate,
affine_transform, map_coordinates, patches, crop/pad, HSV, gaussian_blur, sobel_edges), SciPy
(``ndimage.map_coordinates``/``affine_transform`` with ``grid-constant``/``grid-wrap`` for Keras'
``constant``/``wrap``) where it matches, ``jax.image.resize(method="area")`` for ``area`` (Keras offers
it on TensorFlow only), and NumPy in float64 where Keras-JAX itself loses float64 precision: it
rounds the grayscale weights and perspective homography to float32, and its SSIM drifts by 1e-7.

Tolerances: the default float32 (1e-5, 1e-6) / float64 (1e-10, 1e-12). Loosened, with the reason:
``_PERSP32`` (1e-5, 1e-5): Keras solves the homography with an 8x8 LU in float32, kshim uses a closed
form, so sample coordinates differ by ~1e-6 px and pixel values (in [0, 1]) by up to ~3e-6.
``_SUM32`` (1e-5, 1e-5): Sobel sums six +-1/+-2 multiples of N(0,1)-sized values whose result can
cancel to ~0, so the relative test alone cannot hold. Integer outputs of interpolating ops (resize,
affine, blur) are checked with ``_within_one``: a blend that lands within an ulp of .5 may round
either way (Keras-JAX's XLA fuses multiply-adds, and its resize weights are float64 before the
cast); at least 98% of the pixels must match exactly.
"""
from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from .cases import KERAS, Case, OracleMissing

IMAGE_CASES: list[Case] = []
_PERSP32 = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12)}
_SUM32 = {"float32": (1e-5, 1e-5), "float64": (1e-10, 1e-12)}


def add(*cases: Case) -> None:
    IMAGE_CASES.extend(cases)


def img(r, d, *shape):
    """Image values in [0, 1)."""
    return r.random(shape).astype(d)


def u8(r, d, *shape):
    return (r.random(shape) * 255).astype(d)


def _cf(x):
    return np.moveaxis(x, -1, -3)


def _within_one(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype, got.shape, want.shape)
    diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
    assert diff.max() <= 1, f"max |diff| {diff.max()}"
    assert (diff == 0).mean() >= 0.98, f"only {(diff == 0).mean():.3f} of the pixels match exactly"


# ---- NumPy / SciPy references ------------------------------------------------------------------
def _mode(fill_mode):
    return {"constant": "grid-constant", "wrap": "grid-wrap"}.get(fill_mode, fill_mode)


def np_map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    return ndi.map_coordinates(inputs, coordinates, order=order, mode=_mode(fill_mode), cval=fill_value,
                               prefilter=False).astype(inputs.dtype)


def _nhwc(x, data_format):
    x = np.asarray(x)
    unb = x.ndim == 3
    if unb:
        x = x[None]
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)

    def back(y):
        if data_format == "channels_first":
            y = np.moveaxis(y, -1, 1)
        return y[0] if unb else y
    return x, back


def np_affine(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0, data_format=None):
    x, back = _nhwc(images, data_format)
    t = np.broadcast_to(np.asarray(transform, np.float64).reshape(-1, 8), (x.shape[0], 8))
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        a0, a1, a2, b0, b1, b2 = t[n, :6]
        for c in range(x.shape[-1]):
            out[n, ..., c] = ndi.affine_transform(x[n, ..., c], [[b1, b0], [a1, a0]], offset=[b2, a2],
                                                  order={"nearest": 0, "bilinear": 1}[interpolation],
                                                  mode=_mode(fill_mode), cval=fill_value, prefilter=False)
    return back(out)


def np_homography(start, end):
    """Keras' 8x8 system, solved in float64."""
    s, e = np.asarray(start, np.float64).reshape(-1, 4, 2), np.asarray(end, np.float64).reshape(-1, 4, 2)
    out = []
    for sp, ep in zip(s, e):
        a, rhs = [], []
        for (xs, ys), (xe, ye) in zip(sp, ep):
            a.append([xe, ye, 1, 0, 0, 0, -xs * xe, -xs * ye])
            rhs.append(xs)
        for (xs, ys), (xe, ye) in zip(sp, ep):
            a.append([0, 0, 0, xe, ye, 1, -ys * xe, -ys * ye])
            rhs.append(ys)
        out.append(np.linalg.solve(np.array(a), np.array(rhs)))
    return np.stack(out)


def np_perspective(images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None):
    x, back = _nhwc(images, data_format)
    h = np.broadcast_to(np_homography(start_points, end_points), (x.shape[0], 8))
    gy, gx = np.meshgrid(np.arange(x.shape[1]), np.arange(x.shape[2]), indexing="ij")
    out = np.empty_like(x)
    for n in range(x.shape[0]):
        den = h[n, 6] * gx + h[n, 7] * gy + 1
        xi = (h[n, 0] * gx + h[n, 1] * gy + h[n, 2]) / den
        yi = (h[n, 3] * gx + h[n, 4] * gy + h[n, 5]) / den
        for c in range(x.shape[-1]):
            out[n, ..., c] = ndi.map_coordinates(x[n, ..., c], [yi, xi], order={"nearest": 0, "bilinear": 1}[
                interpolation], mode="grid-constant", cval=fill_value, prefilter=False)
    return back(out)


def np_grayscale(images, data_format=None):
    ax = -1 if data_format != "channels_first" else -3
    w = np.array([0.2989, 0.5870, 0.1140])
    return np.expand_dims(np.tensordot(np.moveaxis(images, ax, -1).astype(np.float64), w, 1), ax).astype(images.dtype)


def _g1d(n, s, ssim_form=False):
    x = np.arange(n) - (n - 1) / 2
    k = np.exp(-(x ** 2) / (2 * s ** 2)) if ssim_form else np.exp(-0.5 * (x / s) ** 2)
    return k / k.sum()


def corr_axis(x, k, axis, same=True):
    """Cross-correlation with a 1-D kernel along ``axis``: 'same' zero padding (extra cell at the end)."""
    n = len(k)
    if same:
        lo = (n - 1) // 2
        pad = [(0, 0)] * x.ndim
        pad[axis] = (lo, n - 1 - lo)
        x = np.pad(x, pad)
    m = x.shape[axis] - n + 1
    return sum(k[t] * np.take(x, np.arange(t, t + m), axis=axis) for t in range(n))


def np_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    x, back = _nhwc(images, data_format)
    y = corr_axis(corr_axis(x.astype(np.float64), _g1d(kernel_size[1], sigma[1]), 1), _g1d(kernel_size[0], sigma[0]), 2)
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        y = np.clip(np.round(y), info.min, info.max)
    return back(y.astype(x.dtype))


def np_ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, data_format=None):
    x, _ = _nhwc(image1, data_format)
    y, _ = _nhwc(image2, data_format)
    x, y = x.astype(np.float64), y.astype(np.float64)
    g = _g1d(filter_size, filter_sigma, ssim_form=True)

    def f(t):
        return corr_axis(corr_axis(t, g, 1, same=False), g, 2, same=False)
    m1, m2 = f(x), f(y)
    s11, s22, s12 = f(x * x) - m1 * m1, f(y * y) - m2 * m2, f(x * y) - m1 * m2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mp = (2 * m1 * m2 + c1) * (2 * s12 + c2) / ((m1 * m1 + m2 * m2 + c1) * (s11 + s22 + c2))
    out = mp.mean(axis=(1, 2)).mean(-1)
    return (out[0] if np.asarray(image1).ndim == 3 else out).astype(np.asarray(image1).dtype)


def jax_area_resize(images, size, interpolation="area", data_format=None, **_):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        raise OracleMissing("jax (the reference for resize 'area') is not installed") from None
    jax.config.update("jax_enable_x64", True)
    x = np.asarray(images)
    shape = list(x.shape)
    h_ax = x.ndim - 3 if data_format != "channels_first" else x.ndim - 2
    shape[h_ax], shape[h_ax + 1] = size
    return np.asarray(jax.image.resize(jnp.asarray(x), tuple(shape), method="area", antialias=False))


def elastic_expected(r, d, shape, alpha, sigma, interpolation, fill_mode, fill_value, seed, data_format):
    """(args, kwargs, expected): the displacement field is ``kshim.random.normal`` on the NumPy backend
    (same seed), everything else NumPy/SciPy."""
    import kshim
    x = img(r, d, *shape)
    xn, back = _nhwc(x, data_format)
    n, h, w, _ = xn.shape
    with kshim.backend.use("numpy"):
        field = np.asarray(kshim.ops.convert_to_numpy(kshim.random.normal((2, n, h, w), dtype=d, seed=seed)))
    field = field.astype(np.float64) * sigma
    ks = int(6 * sigma) | 1
    k = _g1d(ks, sigma)
    field = corr_axis(corr_axis(field, k, 2), k, 3)
    gy, gx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = np.empty_like(xn)
    for b in range(n):
        yi, xi = gy + alpha * field[1, b], gx + alpha * field[0, b]
        for c in range(xn.shape[-1]):
            out[b, ..., c] = ndi.map_coordinates(xn[b, ..., c], [yi, xi], order={"nearest": 0, "bilinear": 1}[
                interpolation], mode=_mode(fill_mode), cval=fill_value, prefilter=False)
    kw = dict(alpha=alpha, sigma=sigma, interpolation=interpolation, fill_mode=fill_mode, fill_value=fill_value,
              seed=seed, data_format=data_format)
    return (x,), kw, back(out)


# ---- resize ------------------------------------------------------------------------------------
for _interp in ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"):
    for _aa in ((False,) if _interp == "nearest" else (False, True)):
        add(Case("resize", lambda r, d, i=_interp, a=_aa: ((img(r, d, 2, 8, 10, 3), (5, 4)),
                                                           {"interpolation": i, "antialias": a}),
                 KERAS, id=f"resize-{_interp}-down{'-aa' if _aa else ''}"),
            Case("resize", lambda r, d, i=_interp, a=_aa: ((img(r, d, 2, 5, 4, 3), (9, 11)),
                                                           {"interpolation": i, "antialias": a}),
                 KERAS, id=f"resize-{_interp}-up{'-aa' if _aa else ''}"))
add(Case("resize", lambda r, d: ((_cf(img(r, d, 2, 8, 10, 3)), (5, 13)),
                                 {"interpolation": "bicubic", "antialias": True, "data_format": "channels_first"}),
         KERAS, id="resize-channels_first"),
    Case("resize", lambda r, d: ((img(r, d, 8, 10, 3), [4, 6]), {"interpolation": "lanczos3", "antialias": True}),
         KERAS, id="resize-unbatched"),
    Case("resize", lambda r, d: ((img(r, d, 1, 6, 9, 2), (6, 9)), {}), KERAS, id="resize-identity"),
    Case("resize", lambda r, d: ((img(r, d, 2, 8, 10, 3), (5, 9)), {"crop_to_aspect_ratio": True}), KERAS,
         id="resize-crop_to_aspect_ratio"),
    Case("resize", lambda r, d: ((_cf(img(r, d, 8, 10, 3)), (9, 5)),
                                 {"crop_to_aspect_ratio": True, "data_format": "channels_first"}),
         KERAS, id="resize-crop_to_aspect_ratio-cf"),
    Case("resize", lambda r, d: ((img(r, d, 2, 8, 10, 3), (5, 9)), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
         KERAS, id="resize-pad_to_aspect_ratio"),
    Case("resize", lambda r, d: ((_cf(img(r, d, 2, 8, 10, 3)), (9, 5)),
                                 {"pad_to_aspect_ratio": True, "fill_value": -1.0, "data_format": "channels_first"}),
         KERAS, id="resize-pad_to_aspect_ratio-cf"),
    Case("resize", lambda r, d: ((img(r, d, 2, 8, 10, 3), (5, 4)), {"interpolation": "area"}), jax_area_resize,
         id="resize-area-down"),
    Case("resize", lambda r, d: ((_cf(img(r, d, 5, 4, 3)), (9, 7)),
                                 {"interpolation": "area", "data_format": "channels_first"}),
         jax_area_resize, id="resize-area-up-cf"),
    Case("resize", lambda r, d: ((u8(r, d, 2, 8, 10, 3), (5, 7)), {}), KERAS, id="resize-uint8", dtypes=("uint8",),
         check=_within_one),
    Case("resize", lambda r, d: ((u8(r, d, 2, 5, 4, 3), (11, 9)), {"interpolation": "bicubic"}), KERAS,
         id="resize-uint8-bicubic", dtypes=("uint8",), check=_within_one),
    Case("resize", lambda r, d: ((u8(r, d, 2, 8, 10, 3), (5, 7)), {"interpolation": "nearest"}), KERAS,
         id="resize-int32-nearest", dtypes=("int32",)),
    )

# ---- scale_and_translate --------------------------------------------------------------------------
for _m in ("linear", "cubic", "lanczos3", "lanczos5"):
    for _aa in (True, False):
        add(Case("scale_and_translate",
                 lambda r, d, m=_m, a=_aa: ((img(r, d, 2, 8, 10, 3), (2, 5, 13, 3), np.array([0.6, 1.3], d),
                                             np.array([0.4, -1.1], d), (1, 2), m, a), {}),
                 KERAS, id=f"scale_and_translate-{_m}{'-aa' if _aa else ''}"))
add(Case("scale_and_translate", lambda r, d: ((img(r, d, 7, 9, 2), (11, 4, 2), np.array([1.7, 0.45], d),
                                               np.array([-0.3, 0.8], d), (0, 1), "bilinear"), {"antialias": True}),
         KERAS, id="scale_and_translate-unbatched"),
    Case("scale_and_translate", lambda r, d: ((u8(r, d, 6, 7), (9, 5), np.array([1.5, 0.7], "float32"),
                                               np.array([0.0, 0.5], "float32"), (0, 1), "cubic"), {}),
         KERAS, id="scale_and_translate-int", dtypes=("int32",), out="float32"),
    )

# ---- affine_transform -----------------------------------------------------------------------------
_TH = 0.3


def _transforms(d):
    return np.array([[np.cos(_TH) * 1.1, -np.sin(_TH), 2.3, np.sin(_TH), np.cos(_TH) * 0.9, -1.7, 0, 0],
                     [0.8123, 0.1371, 1.3717, -0.2113, 1.1847, 0.4329, 0, 0]], d)


for _interp in ("nearest", "bilinear"):
    for _fm in ("constant", "nearest", "wrap", "mirror", "reflect"):
        add(Case("affine_transform", lambda r, d, i=_interp, f=_fm: ((img(r, d, 2, 8, 10, 3), _transforms(d)),
                                                                     {"interpolation": i, "fill_mode": f,
                                                                      "fill_value": 0.25}),
                 KERAS, id=f"affine_transform-{_interp}-{_fm}"))
for _interp, _fm in (("bilinear", "constant"), ("bilinear", "reflect"), ("nearest", "wrap"), ("bilinear", "mirror")):
    add(Case("affine_transform", lambda r, d, i=_interp, f=_fm: ((img(r, d, 2, 8, 10, 3), _transforms(d)),
                                                                 {"interpolation": i, "fill_mode": f,
                                                                  "fill_value": 0.25}),
             np_affine, id=f"affine_transform-scipy-{_interp}-{_fm}"))
add(Case("affine_transform", lambda r, d: ((_cf(img(r, d, 8, 10, 3)), _transforms(d)[0]),
                                           {"data_format": "channels_first"}), KERAS,
         id="affine_transform-unbatched-cf"),
    Case("affine_transform", lambda r, d: ((img(r, d, 3, 6, 7, 2), _transforms(d)[1:]), {"fill_mode": "nearest"}),
         np_affine, id="affine_transform-one-row-for-the-batch"),
    Case("affine_transform", lambda r, d: ((u8(r, d, 2, 8, 10, 3), _transforms("float32")), {}), KERAS,
         id="affine_transform-uint8", dtypes=("uint8",), check=_within_one),
    )

# ---- map_coordinates ------------------------------------------------------------------------------
def _coords(r, d, shape, q=(7, 3)):
    return np.stack([r.uniform(-3, n + 2, q) for n in shape]).astype(d)


for _o in (0, 1):
    for _fm in ("constant", "nearest", "wrap", "mirror", "reflect"):
        add(Case("map_coordinates", lambda r, d, o=_o, f=_fm: ((r.standard_normal((5, 6, 4)).astype(d),
                                                               _coords(r, d, (5, 6, 4)), o), {"fill_mode": f,
                                                                                              "fill_value": -0.5}),
                 KERAS, id=f"map_coordinates-{_o}-{_fm}"),
            Case("map_coordinates", lambda r, d, o=_o, f=_fm: ((r.standard_normal((6, 7)).astype(d),
                                                               _coords(r, d, (6, 7), (4, 5)), o),
                                                              {"fill_mode": f, "fill_value": 2.0}),
                 np_map_coordinates, id=f"map_coordinates-scipy-{_o}-{_fm}"))
add(Case("map_coordinates", lambda r, d: ((r.standard_normal(9).astype(d), _coords(r, d, (9,), (11,)), 1), {}),
         KERAS, id="map_coordinates-1d"),
    Case("map_coordinates", lambda r, d: ((r.standard_normal((4, 5)).astype(d), list(_coords(r, d, (4, 5), (6,))), 1),
                                          {"fill_mode": "mirror"}), KERAS, id="map_coordinates-list"),
    Case("map_coordinates", lambda r, d: ((u8(r, d, 5, 6), _coords(r, "float32", (5, 6), (8,)), 1), {}), KERAS,
         id="map_coordinates-int", dtypes=("int32",)),
    Case("map_coordinates", lambda r, d: ((np.arange(4.0, dtype=d), np.array([[-1.5, -0.5, 0.5, 1.5, 2.5, 3.5]], d), 0),
                                          {}), KERAS, id="map_coordinates-halves-away-from-zero"),
    )

# ---- patches, crop, pad -----------------------------------------------------------------------------
for _sz, _kw, _name in ((2, {}, "int"), ((2, 3), {"strides": 1}, "overlap"),
                        ((3, 3), {"strides": 2, "padding": "same"}, "same"),
                        ((2, 2), {"strides": 1, "dilation_rate": 2}, "dilated")):
    add(Case("extract_patches", lambda r, d, s=_sz, k=_kw: ((img(r, d, 2, 8, 10, 3), s), k), KERAS,
             id=f"extract_patches-{_name}"),
        Case("extract_patches", lambda r, d, s=_sz, k=_kw: ((_cf(img(r, d, 2, 8, 10, 3)), s),
                                                          dict(k, data_format="channels_first")),
             KERAS, id=f"extract_patches-{_name}-cf"))
add(Case("extract_patches", lambda r, d: ((img(r, d, 7, 9, 2), (3, 2)), {"strides": (2, 1)}), KERAS,
         id="extract_patches-unbatched"),
    Case("extract_patches", lambda r, d: ((img(r, d, 2, 6, 7, 8, 2), (2, 2, 3)), {"strides": (1, 2, 1)}), KERAS,
         id="extract_patches-3d-size"),
    Case("extract_patches", lambda r, d: ((u8(r, d, 2, 6, 8, 3), 2), {}), KERAS, id="extract_patches-uint8",
         dtypes=("uint8",)),
    Case("extract_patches_3d", lambda r, d: ((img(r, d, 2, 6, 7, 8, 2), (2, 3, 2)), {}), KERAS,
         id="extract_patches_3d"),
    Case("extract_patches_3d", lambda r, d: ((img(r, d, 6, 7, 8, 2), 3), {"strides": 1, "padding": "same"}), KERAS,
         id="extract_patches_3d-unbatched-same"),
    Case("extract_patches_3d", lambda r, d: ((np.moveaxis(img(r, d, 2, 6, 7, 8, 2), -1, 1), (2, 2, 2)),
                                             {"strides": (1, 2, 3), "data_format": "channels_first"}), KERAS,
         id="extract_patches_3d-cf"),
    Case("crop_images", lambda r, d: ((img(r, d, 2, 8, 10, 3), 1, 2), {"target_height": 5, "target_width": 6}), KERAS),
    Case("crop_images", lambda r, d: ((img(r, d, 8, 10, 3),), {"bottom_cropping": 1, "right_cropping": 2,
                                                               "target_height": 5, "target_width": 6}),
         KERAS, id="crop_images-from-bottom-right"),
    Case("crop_images", lambda r, d: ((_cf(img(r, d, 2, 8, 10, 3)), 2, 1, 3, 4), {"data_format": "channels_first"}),
         KERAS, id="crop_images-cf"),
    Case("crop_images", lambda r, d: ((u8(r, d, 8, 10, 3), 1, 2, 1, 2), {}), KERAS, id="crop_images-uint8",
         dtypes=("uint8",)),
    Case("pad_images", lambda r, d: ((img(r, d, 2, 8, 10, 3), 1, 2), {"target_height": 12, "target_width": 13}), KERAS),
    Case("pad_images", lambda r, d: ((_cf(img(r, d, 8, 10, 3)),), {"bottom_padding": 1, "right_padding": 2,
                                                                   "target_height": 12, "target_width": 13,
                                                                   "data_format": "channels_first"}),
         KERAS, id="pad_images-unbatched-cf"),
    Case("pad_images", lambda r, d: ((img(r, d, 2, 8, 10, 3), 0, 3, 2, 0), {}), KERAS, id="pad_images-all-four"),
    Case("pad_images", lambda r, d: ((u8(r, d, 8, 10, 3), 1, 2, 1, 2), {}), KERAS, id="pad_images-uint8",
         dtypes=("uint8",)),
    )

# ---- colour --------------------------------------------------------------------------------------
def _colours(r, d):
    """Random RGB plus the corner cases: gray (r = g = b), black, pure and mixed primaries, hue wrap."""
    x = img(r, d, 2, 4, 5, 3)
    x[0, 0] = [[0.3, 0.3, 0.3], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    x[0, 1] = [[1, 0, 0.5], [1, 1, 0], [0, 1, 1], [0.9, 0.2, 0.25], [1, 1, 1]]
    return x


def _hsv(r, d):
    x = img(r, d, 2, 4, 5, 3)
    x[0, 0, :, 0] = [0.0, 1 / 6, 0.5, 5 / 6, 1.0]
    x[0, 1, :, 1] = 0.0
    return x


add(Case("rgb_to_grayscale", lambda r, d: ((img(r, d, 2, 4, 5, 3),), {}), KERAS, dtypes=("float32",)),
    Case("rgb_to_grayscale", lambda r, d: ((img(r, d, 2, 4, 5, 3),), {}), np_grayscale, id="rgb_to_grayscale-numpy"),
    Case("rgb_to_grayscale", lambda r, d: ((_cf(img(r, d, 4, 5, 3)),), {"data_format": "channels_first"}),
         np_grayscale, id="rgb_to_grayscale-unbatched-cf"),
    Case("rgb_to_grayscale", lambda r, d: ((u8(r, d, 2, 4, 5, 3),), {}), KERAS, id="rgb_to_grayscale-uint8",
         dtypes=("uint8",)),
    Case("rgb_to_grayscale", lambda r, d: ((img(r, d, 2, 4, 5, 1),), {}), KERAS, id="rgb_to_grayscale-1-channel"),
    Case("rgb_to_hsv", lambda r, d: ((_colours(r, d),), {}), KERAS),
    Case("rgb_to_hsv", lambda r, d: ((_cf(_colours(r, d)[1]),), {"data_format": "channels_first"}), KERAS,
         id="rgb_to_hsv-unbatched-cf"),
    Case("hsv_to_rgb", lambda r, d: ((_hsv(r, d),), {}), KERAS),
    Case("hsv_to_rgb", lambda r, d: ((_cf(_hsv(r, d)),), {"data_format": "channels_first"}), KERAS,
         id="hsv_to_rgb-cf"),
    )

# ---- filters -------------------------------------------------------------------------------------
for _ks, _sg, _name in (((3, 3), (1.0, 1.0), "3x3"), ((3, 5), (1.0, 2.0), "nonsquare"),
                        ((4, 4), (0.7, 1.3), "even"), ((5, 1), (1.5, 0.5), "5x1")):
    add(Case("gaussian_blur", lambda r, d, k=_ks, s=_sg: ((img(r, d, 2, 8, 10, 3), k, s),
                                                        {"data_format": "channels_last"}),
             KERAS, id=f"gaussian_blur-{_name}"),
        Case("gaussian_blur", lambda r, d, k=_ks, s=_sg: ((_cf(img(r, d, 2, 8, 10, 3)), k, s),
                                                        {"data_format": "channels_first"}),
             KERAS, id=f"gaussian_blur-{_name}-cf"))
add(Case("gaussian_blur", lambda r, d: ((img(r, d, 7, 9, 2),), {}), np_blur, id="gaussian_blur-unbatched-default"),
    Case("gaussian_blur", lambda r, d: ((img(r, d, 2, 7, 9, 2), (5, 5), np.array([1.2, 0.8], d)), {}), np_blur,
         id="gaussian_blur-tensor-sigma"),
    Case("gaussian_blur", lambda r, d: ((u8(r, d, 2, 7, 9, 3),), {}), np_blur, id="gaussian_blur-uint8",
         dtypes=("uint8",), check=_within_one),
    Case("sobel_edges", lambda r, d: ((r.standard_normal((2, 6, 7, 3)).astype(d),), {}), KERAS, tol=_SUM32),
    Case("sobel_edges", lambda r, d: ((r.standard_normal((2, 3, 6, 7)).astype(d),), {"data_format": "channels_first"}),
         KERAS, id="sobel_edges-cf", tol=_SUM32),
    Case("sobel_edges", lambda r, d: ((u8(r, d, 1, 5, 6, 2),), {}), KERAS, id="sobel_edges-int", dtypes=("int32",)),
    Case("ssim", lambda r, d: ((img(r, d, 2, 8, 10, 3), img(r, d, 2, 8, 10, 3)), {"filter_size": 5}), KERAS,
         dtypes=("float32",)),
    Case("ssim", lambda r, d: ((img(r, d, 2, 8, 10, 3), img(r, d, 2, 8, 10, 3)), {"filter_size": 5}), np_ssim,
         id="ssim-numpy"),
    Case("ssim", lambda r, d: ((_cf(img(r, d, 12, 13, 3)), _cf(img(r, d, 12, 13, 3))),
                               {"data_format": "channels_first", "max_val": 2.0, "k1": 0.02}), np_ssim,
         id="ssim-unbatched-cf-defaults"),
    )

# ---- perspective, elastic --------------------------------------------------------------------------
def _points(d):
    sp = np.array([[[0, 0], [0, 8], [10, 0], [10, 8]], [[1, 1], [0, 7], [9, 0], [10, 8]]], d)
    ep = np.array([[[1, 0.5], [0, 7.5], [9, 1], [10.5, 8]], [[0, 0], [0, 8], [10, 0], [10, 8]]], d)
    return sp, ep


for _interp in ("nearest", "bilinear"):
    add(Case("perspective_transform", lambda r, d, i=_interp: ((img(r, d, 2, 8, 10, 3), *_points(d)),
                                                               {"interpolation": i, "fill_value": 0.125}),
             KERAS, id=f"perspective_transform-{_interp}", dtypes=("float32",), tol=_PERSP32),
        Case("perspective_transform", lambda r, d, i=_interp: ((img(r, d, 2, 8, 10, 3), *_points(d)),
                                                               {"interpolation": i, "fill_value": 0.125}),
             np_perspective, id=f"perspective_transform-numpy-{_interp}", tol=_PERSP32))
add(Case("perspective_transform", lambda r, d: ((_cf(img(r, d, 8, 10, 3)), _points(d)[0][1], _points(d)[1][0]),
                                                {"data_format": "channels_first"}),
         np_perspective, id="perspective_transform-unbatched-cf", tol=_PERSP32))

for _interp, _fm in (("bilinear", "reflect"), ("nearest", "constant"), ("bilinear", "wrap")):
    add(Case("elastic_transform", lambda r, d, i=_interp, f=_fm: elastic_expected(
        r, d, (2, 9, 11, 3), 2.0, 1.5, i, f, 0.25, 7, "channels_last"), None, id=f"elastic_transform-{_interp}-{_fm}"))
add(Case("elastic_transform", lambda r, d: elastic_expected(r, d, (3, 9, 11), 3.0, 1.0, "bilinear", "mirror", 0.0, 11,
                                                            "channels_first"),
         None, id="elastic_transform-unbatched-cf"))

"""Op cases of the rest of ``keras.ops.numpy`` (kshim/ops/numpy_extra*.py).

References are NumPy (``np.nanmean``, ``np.quantile``, ``np.unique``, ``np.view``, ...) or SciPy
(``scipy.special.erfc``) on the same inputs, cast to the dtype Keras' rules give (the op's result
dtype is asserted separately through ``out``). Where NumPy and Keras differ kshim follows Keras and
the case builds the expected value by hand (``(args, kwargs, expected)``), with the Keras behaviour
named in a comment; real Keras (``KERAS``) is the reference where it is the only definition.

Tolerances are the defaults of cases.py (float32 1e-5 relative, float64 1e-10) unless a case
says otherwise: quantiles, nan-reductions and the elementwise ops are exact up to the rounding of
a few operations; ``corrcoef``/``cdist``/``correlate`` accumulate dot products (float32 1e-4 as
for matmul in cases.py); ``erfc`` sums a 15-term series, float32 ``(2e-5, 0)`` (relative: the
values go down to 1e-36), float64 ``(1e-13, 0)``.
"""
from __future__ import annotations

import numpy as np
import scipy.special as sps

from .cases import Case, add, ints, pos, rn

_ACC = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}
_ERFC = {"float32": (2e-5, 0.0), "float64": (1e-13, 0.0)}


def nanx(r, d, *shape, frac=0.25):
    """Normal values with about ``frac`` of them NaN (at least one NaN, never all)."""
    x = r.standard_normal(shape)
    flat = x.reshape(-1)
    idx = r.permutation(flat.size)[:max(1, int(frac * flat.size))]
    flat[idx] = np.nan
    flat[[i for i in range(flat.size) if i not in set(idx)][0]] = 0.5
    return x.astype(d)


def _allnan_row(r, d):
    """(3, 4) with NaNs, row 1 all NaN."""
    x = nanx(r, d, 3, 4)
    x[1] = np.nan
    return x


def _i32(f):
    return lambda *a, **k: np.asarray(f(*a, **k)).astype(np.int32)


def _f32(f):
    return lambda *a, **k: np.asarray(f(*a, **k)).astype(np.float32)


# ---- nan-reductions ---------------------------------------------------------------------------
_NAN_RED = {"nansum": np.nansum, "nanprod": np.nanprod, "nanmax": np.nanmax, "nanmin": np.nanmin,
            "nanmean": np.nanmean, "nanvar": np.nanvar, "nanstd": np.nanstd, "nanmedian": np.nanmedian}
for _n, _f in _NAN_RED.items():
    add(Case(_n, lambda r, d: ((nanx(r, d, 2, 3, 4),), {}), _f),
        Case(_n, lambda r, d: ((nanx(r, d, 2, 3, 4),), {"axis": -1}), lambda x, axis, _f=_f: _f(x, axis=axis),
             id=f"{_n}-axis-neg"),
        Case(_n, lambda r, d: ((nanx(r, d, 2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
             lambda x, _f=_f, **k: _f(x, **k), id=f"{_n}-keepdims"),
        Case(_n, lambda r, d: ((rn(r, d, 3, 4),), {"axis": 0}), lambda x, axis, _f=_f: _f(x, axis=axis),
             id=f"{_n}-no-nan"))
# an all-NaN row: sums are 0 and products 1; the others are NaN
for _n, _f in _NAN_RED.items():
    add(Case(_n, lambda r, d: ((_allnan_row(r, d),), {"axis": 1}),
             lambda x, axis, _f=_f: np.asarray(_f(x, axis=axis)), id=f"{_n}-all-nan-row"))
# integer inputs: sums/products accumulate in int32, max/min keep the dtype, the rest give floatx
add(Case("nansum", lambda r, d: ((ints(r, d, 3, 4),), {"axis": 1}), _i32(np.sum), id="nansum-int",
         dtypes=("int8", "int32"), out="int32"),
    Case("nanprod", lambda r, d: ((ints(r, d, 3, 4, lo=-3, hi=4),), {}), _i32(np.prod), id="nanprod-int",
         dtypes=("int32",), out="int32"),
    Case("nanmax", lambda r, d: ((ints(r, d, 3, 4),), {"axis": 0}), lambda x, axis: np.max(x, axis=axis),
         id="nanmax-int", dtypes=("int32", "int64")),
    Case("nanmin", lambda r, d: ((ints(r, d, 3, 4),), {}), np.min, id="nanmin-int", dtypes=("int32",)),
    Case("nanmean", lambda r, d: ((ints(r, d, 3, 4),), {"axis": -1}), _f32(lambda x, axis: np.mean(x, axis=axis)),
         id="nanmean-int", dtypes=("int32", "int64"), out="float32"),
    Case("nanvar", lambda r, d: ((ints(r, d, 3, 4),), {}), _f32(np.var), id="nanvar-int", dtypes=("int32",),
         out="float32"),
    Case("nanstd", lambda r, d: ((ints(r, d, 3, 4),), {"axis": 0}), _f32(lambda x, axis: np.std(x, axis=axis)),
         id="nanstd-int", dtypes=("int32",), out="float32"),
    Case("nanmedian", lambda r, d: ((ints(r, d, 3, 5),), {"axis": 1}), _f32(lambda x, axis: np.median(x, axis=axis)),
         id="nanmedian-int", dtypes=("int32",), out="float32"),
    # empty and 0-d inputs
    Case("nansum", lambda r, d: ((np.zeros((0, 3), d),), {"axis": 0}), lambda x, axis: np.nansum(x, axis=axis),
         id="nansum-empty"),
    Case("nanmean", lambda r, d: ((np.zeros((0,), d),), {}, np.asarray(np.nan, d)), None, id="nanmean-empty"),
    Case("nanmax", lambda r, d: ((np.asarray(np.nan, d),), {}, np.asarray(np.nan, d)), None, id="nanmax-scalar-nan"),
    Case("nanmean", lambda r, d: ((np.asarray(2.5, d),), {}), np.nanmean, id="nanmean-scalar"))

# nanargmax/nanargmin: int32; an all-NaN slice gives -1 (Keras on JAX and torch; NumPy raises)
for _n, _f in (("nanargmax", np.nanargmax), ("nanargmin", np.nanargmin)):
    add(Case(_n, lambda r, d: ((nanx(r, d, 3, 4),), {"axis": -1}), _i32(lambda x, axis, _f=_f: _f(x, axis=axis)),
             out="int32"),
        Case(_n, lambda r, d: ((nanx(r, d, 3, 4),), {}), _i32(_f), id=f"{_n}-flat", out="int32"),
        Case(_n, lambda r, d: ((nanx(r, d, 3, 4),), {"axis": 0, "keepdims": True}),
             _i32(lambda x, _f=_f, **k: _f(x, **k)), id=f"{_n}-keepdims", out="int32"),
        Case(_n, lambda r, d: ((ints(r, d, 3, 4),), {"axis": 1}), _i32(lambda x, axis, _f=_f: _f(x, axis=axis)),
             id=f"{_n}-int", dtypes=("int32",), out="int32"))
add(Case("nanargmax", lambda r, d: ((np.array([[np.nan, np.nan], [1.0, np.nan], [-np.inf, np.nan]], d),), {"axis": 1},
                                    np.array([-1, 0, 0], np.int32)), None, id="nanargmax-all-nan", out="int32"),
    Case("nanargmin", lambda r, d: ((np.array([[np.nan, np.nan], [np.nan, 2.0]], d),), {"axis": -1},
                                    np.array([-1, 1], np.int32)), None, id="nanargmin-all-nan", out="int32"))

for _n, _f in (("nancumsum", np.nancumsum), ("nancumprod", np.nancumprod)):
    add(Case(_n, lambda r, d: ((nanx(r, d, 3, 4),), {"axis": 1}), lambda x, axis, _f=_f: _f(x, axis=axis)),
        Case(_n, lambda r, d: ((nanx(r, d, 2, 3),), {}), _f, id=f"{_n}-flat"),
        Case(_n, lambda r, d: ((nanx(r, d, 3, 4),), {"axis": -2}), lambda x, axis, _f=_f: _f(x, axis=axis),
             id=f"{_n}-axis-neg"),
        Case(_n, lambda r, d: ((ints(r, d, 3, 4, lo=-3, hi=4),), {"axis": 0}),
             lambda x, axis, _f=_f: _f(x, axis=axis).astype(x.dtype), id=f"{_n}-int", dtypes=("int32", "int64")))

# ---- quantiles and percentiles ------------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")
for _n, _f, _scale, _nx in (("quantile", np.quantile, 1.0, rn), ("percentile", np.percentile, 100.0, rn),
                            ("nanquantile", np.nanquantile, 1.0, nanx),
                            ("nanpercentile", np.nanpercentile, 100.0, nanx)):
    for _m in _METHODS:
        add(Case(_n, lambda r, d, _s=_scale, _nx=_nx, _m=_m: ((_nx(r, d, 3, 7),
                                                               [0.0, 0.13 * _s, 0.5 * _s, 0.9 * _s, _s]),
                                                              {"axis": -1, "method": _m}),
                 lambda x, q, _f=_f, **k: _f(x, q, **k), id=f"{_n}-{_m}"))
    add(Case(_n, lambda r, d, _s=_scale, _nx=_nx: ((_nx(r, d, 2, 3, 4), 0.3 * _s), {}), _f, id=f"{_n}-all"),
        Case(_n, lambda r, d, _s=_scale, _nx=_nx: ((_nx(r, d, 2, 3, 4), [0.25 * _s, 0.75 * _s]),
                                                   {"axis": (0, 2), "keepdims": True}),
             lambda x, q, _f=_f, **k: _f(x, q, **k), id=f"{_n}-tuple-keepdims"),
        Case(_n, lambda r, d, _s=_scale, _nx=_nx: ((_nx(r, d, 2, 3, 4), [0.6 * _s]), {"keepdims": True}),
             lambda x, q, _f=_f, **k: _f(x, q, **k), id=f"{_n}-none-keepdims"),
        Case(_n, lambda r, d, _s=_scale: ((ints(r, d, 3, 5), 0.4 * _s), {"axis": 0}),
             lambda x, q, _f=_f, **k: _f(x.astype(np.float32), q, **k).astype(np.float32), id=f"{_n}-int",
             dtypes=("int32", "int64"), out="float32"))
# ties of "nearest" round to even (NumPy, Keras on torch); Keras on JAX rounds them down
add(Case("quantile", lambda r, d: ((np.array([5.0, 0.0, 3.0, 1.0, 4.0, 2.0], d), [0.1, 0.3, 0.5, 0.7, 0.9]),
                                   {"method": "nearest"}), lambda x, q, **k: np.quantile(x, q, **k),
         id="quantile-nearest-ties"),
    # a NaN in a slice makes its quantile NaN; nanquantile skips it; an all-NaN slice gives NaN
    Case("quantile", lambda r, d: ((nanx(r, d, 3, 4), 0.5), {"axis": 1}), lambda x, q, **k: np.quantile(x, q, **k),
         id="quantile-nan"),
    Case("nanquantile", lambda r, d: ((_allnan_row(r, d), [0.2, 0.5]), {"axis": 1}),
         lambda x, q, **k: np.nanquantile(x, q, **k), id="nanquantile-all-nan-row"),
    Case("nanpercentile", lambda r, d: ((_allnan_row(r, d), 50.0), {"axis": -1, "method": "nearest"}),
         lambda x, q, **k: np.nanpercentile(x, q, **k), id="nanpercentile-all-nan-row"),
    # infinite samples: a virtual index on a sample returns it exactly (NumPy's lerp gives NaN there,
    # and so does Keras on JAX at q=0 and q=1)
    Case("quantile", lambda r, d: ((np.array([-np.inf, 1.0, np.inf], d), [0.0, 0.5, 1.0]), {},
                                   np.array([-np.inf, 1.0, np.inf], d)), None, id="quantile-inf"),
    Case("quantile", lambda r, d: ((np.asarray(1.5, d), 0.5), {}), lambda x, q: np.quantile(x, q),
         id="quantile-scalar"),
    Case("quantile", lambda r, d: ((rn(r, d, 4, 5), np.array([0.2, 0.8], d)), {"axis": 0}),
         lambda x, q, axis: np.quantile(x, q, axis=axis), id="quantile-q-tensor"))

add(Case("ptp", lambda r, d: ((rn(r, d, 3, 4),), {}), np.ptp),
    Case("ptp", lambda r, d: ((rn(r, d, 2, 3, 4),), {"axis": (0, -1), "keepdims": True}),
         lambda x, **k: np.ptp(x, **k), id="ptp-keepdims"),
    Case("ptp", lambda r, d: ((ints(r, d, 3, 4),), {"axis": 1}), lambda x, axis: np.ptp(x, axis=axis),
         id="ptp-int", dtypes=("int8", "int32", "uint8")))

# ---- sets and search ----------------------------------------------------------------------------
def _np_unique(x, **k):
    """np.unique with kshim's int32 extras and the inverse shaped like x for axis=None."""
    out = np.unique(x, **k)
    if not isinstance(out, tuple):
        return out
    vals, *rest = out
    names = [n for n in ("return_index", "return_inverse", "return_counts") if k.get(n)]
    fixed = []
    for n, v in zip(names, rest):
        if n == "return_inverse" and k.get("axis") is None:
            v = v.reshape(x.shape)
        fixed.append(v.astype(np.int32))
    return (vals, *fixed)


_XU = np.array([[3, 1, 2], [1, 3, 5]])
add(Case("unique", lambda r, d: ((_XU.astype(d),), {}), _np_unique, dtypes=("int32", "float32", "float64")),
    Case("unique", lambda r, d: ((_XU.astype(d),),
                                 {"return_index": True, "return_inverse": True, "return_counts": True}),
         lambda x, **k: _np_unique(x, **k), id="unique-all-extras", out=("same", "int32", "int32", "int32"),
         dtypes=("int64", "float32", "float64")),
    Case("unique", lambda r, d: ((np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]], d),),
                                 {"axis": 0, "return_index": True, "return_inverse": True, "return_counts": True}),
         lambda x, **k: _np_unique(x, **k), id="unique-rows", out=("same", "int32", "int32", "int32")),
    Case("unique", lambda r, d: ((np.array([[2, 1, 2], [0, 3, 0]], d),), {"axis": -1, "return_inverse": True}),
         lambda x, **k: _np_unique(x, **k), id="unique-columns", out=("same", "int32")),
    # NaNs are all distinct (equal_nan=False, as Keras on JAX and torch)
    Case("unique", lambda r, d: ((np.array([1.0, np.nan, 2.0, np.nan, 1.0], d),), {"return_counts": True}),
         lambda x, **k: _np_unique(x, equal_nan=False, **k), id="unique-nan", out=("same", "int32")),
    # size pads with fill_value (default 0, Keras' doc and torch), counts with 0, first indices with
    # the first unique value's index (Keras on JAX); larger unique sets are truncated
    Case("unique", lambda r, d: ((np.array([3, 1, 2, 1, 3, 2], d),),
                                 {"size": 5, "return_index": True, "return_inverse": True, "return_counts": True},
                                 (np.array([1, 2, 3, 0, 0], d), np.array([1, 2, 0, 1, 1], np.int32),
                                  np.array([2, 0, 1, 0, 2, 1], np.int32), np.array([2, 2, 2, 0, 0], np.int32))),
         None, id="unique-size-pad", out=("same", "int32", "int32", "int32")),
    Case("unique", lambda r, d: ((np.array([3, 1, 2, 1], d),), {"size": 2, "fill_value": -7, "return_counts": True},
                                 (np.array([1, 2], d), np.array([2, 1], np.int32))),
         None, id="unique-size-truncate", out=("same", "int32")),
    Case("unique", lambda r, d: ((np.array([[1, 0], [1, 0]], d),), {"axis": 0, "size": 3, "fill_value": 9},
                                 np.array([[1, 0], [9, 9], [9, 9]], d)), None, id="unique-rows-size"),
    Case("unique", lambda r, d: ((np.zeros((0,), d),), {"return_counts": True}),
         lambda x, **k: _np_unique(x, **k), id="unique-empty", out=("same", "int32")),
    Case("unique", lambda r, d: ((np.asarray(4.0, d),), {}), np.unique, id="unique-scalar"))

add(Case("searchsorted", lambda r, d: ((np.array([-1.0, 0.5, 0.5, 2.0, np.nan], d), rn(r, d, 2, 3)), {}),
         _i32(np.searchsorted), out="int32"),
    Case("searchsorted", lambda r, d: ((np.array([-1.0, 0.5, 0.5, 2.0, np.nan], d),
                                        np.array([0.5, np.nan, -2.0, 9.0, 2.0], d)), {"side": "right"}),
         _i32(lambda s, v, side: np.searchsorted(s, v, side=side)), id="searchsorted-right", out="int32"),
    Case("searchsorted", lambda r, d: ((np.array([-1.0, 0.5, 0.5, 2.0, np.nan], d),
                                        np.array([0.5, np.nan, -2.0, 9.0, 2.0], d)), {"side": "left"}),
         _i32(lambda s, v, side: np.searchsorted(s, v, side=side)), id="searchsorted-nan-left", out="int32"),
    Case("searchsorted", lambda r, d: ((np.sort(ints(r, d, 9)), ints(r, d, 4, 2)), {"side": "right"}),
         _i32(lambda s, v, side: np.searchsorted(s, v, side=side)), id="searchsorted-int", dtypes=("int32",),
         out="int32"),
    Case("searchsorted", lambda r, d: ((np.zeros((0,), d), rn(r, d, 3)), {}), _i32(np.searchsorted),
         id="searchsorted-empty", out="int32"),
    Case("searchsorted", lambda r, d: ((np.arange(100, dtype=d), np.array([-5.0, 0.0, 37.5, 99.0, 150.0], d)), {}),
         _i32(np.searchsorted), id="searchsorted-long", out="int32"))
add(Case("digitize", lambda r, d: ((rn(r, d, 3, 4), np.array([-1.0, 0.0, 0.25, 1.0], d)), {}), _i32(np.digitize),
         out="int32"),
    Case("digitize", lambda r, d: ((np.array([0.5, 1.0, 2.5, 4.0, 3.0], d), np.array([3.0, 2.0, 1.0], d)), {}),
         _i32(np.digitize), id="digitize-decreasing", out="int32"),
    Case("digitize", lambda r, d: ((ints(r, d, 6), np.array([-2, 0, 3], d)), {}), _i32(np.digitize),
         id="digitize-int", dtypes=("int32",), out="int32"))
add(Case("isin", lambda r, d: ((np.array([[1.0, np.nan], [3.0, 0.5]], d), np.array([3.0, np.nan, 1.0], d)), {}),
         np.isin, out="bool"),
    Case("isin", lambda r, d: ((ints(r, d, 3, 4), ints(r, d, 2, 2)), {"invert": True}),
         lambda a, c, **k: np.isin(a, c, **k), id="isin-invert", dtypes=("int32",), out="bool"),
    Case("isin", lambda r, d: ((rn(r, d, 3), np.zeros((0,), d)), {}), np.isin, id="isin-empty", out="bool"))


def _b_select(r, d):
    x = rn(r, d, 3, 4)
    conds = [x > 0.5, x < -0.5]
    choices = [x * 2, np.zeros((4,), d) + 7]
    return (conds, choices), {"default": -1.0}, np.select(conds, choices, -1.0).astype(d)


add(Case("select", _b_select),
    Case("select", lambda r, d: (([ints(r, d, 5) > 0], [ints(r, d, 5)]), {}),
         lambda c, v: np.select(c, v, 0).astype(np.int32), id="select-int", dtypes=("int32",), out="int32"),
    Case("argpartition", lambda r, d: ((rn(r, d, 3, 6), 2), {}),
         _i32(lambda x, k: np.argsort(x, axis=-1, kind="stable")), out="int32"),
    Case("argpartition", lambda r, d: ((rn(r, d, 3, 4), -1), {"axis": None}),
         _i32(lambda x, k, axis: np.argsort(x.reshape(-1), kind="stable")), id="argpartition-flat", out="int32"),
    Case("nonzero", lambda r, d: ((np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], d),), {}),
         lambda x: tuple(i.astype(np.int32) for i in np.nonzero(x)), out="int32"),
    Case("nonzero", lambda r, d: ((np.zeros((0,), d),), {}), lambda x: tuple(i.astype(np.int32) for i in np.nonzero(x)),
         id="nonzero-empty", out="int32"),
    Case("unravel_index", lambda r, d: ((np.array([[0, 5], [11, 7]], d), (3, 4)), {}),
         lambda i, s: np.unravel_index(i, s), dtypes=("int32", "int64")),
    # out-of-range indices are clipped and negatives wrap (as Keras on JAX; NumPy raises)
    Case("unravel_index", lambda r, d: ((np.array([-1, 6, 7], d), (2, 3)), {},
                                        (np.array([1, 1, 1], d), np.array([2, 2, 2], d))),
         None, id="unravel_index-clip", dtypes=("int32",)),
    Case("unravel_index", lambda r, d: ((np.array([1.0, 4.0], d), (2, 3)), {}),
         lambda i, s: tuple(v.astype(i.dtype) for v in np.unravel_index(i.astype(np.int64), s)),
         id="unravel_index-float"),
    Case("allclose", lambda r, d: ((np.array([1.0, 2.0, np.nan], d), np.array([1.0 + 1e-9, 2.0, np.nan], d)), {}),
         np.allclose, out="bool"),
    Case("allclose", lambda r, d: ((np.array([1.0, np.nan], d), np.array([1.0, np.nan], d)), {"equal_nan": True}),
         lambda a, c, **k: np.allclose(a, c, **k), id="allclose-equal_nan", out="bool"),
    Case("allclose", lambda r, d: ((np.array([1.0, 2.0], d), np.array([1.0, 2.1], d)), {}), np.allclose,
         id="allclose-false", out="bool"))


def _np_hist(x, bins=10, range=None):  # noqa: A002
    c, e = np.histogram(x, bins=bins, range=range)
    dt = x.dtype if x.dtype.kind == "f" else np.float32
    return c.astype(dt), e.astype(dt)


add(Case("histogram", lambda r, d: ((rn(r, d, 50),), {"bins": 7}), _np_hist),
    Case("histogram", lambda r, d: ((rn(r, d, 40),), {"bins": 4, "range": (-1.0, 1.0)}), _np_hist,
         id="histogram-range"),
    Case("histogram", lambda r, d: ((np.full((3,), 2.0, d),), {"bins": 2}), _np_hist, id="histogram-constant"),
    Case("histogram", lambda r, d: ((np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.0], d),), {"bins": 4}), _np_hist,
         id="histogram-edges"),
    Case("histogram", lambda r, d: ((ints(r, d, 30),), {"bins": 5}), _np_hist, id="histogram-int", dtypes=("int32",),
         out="float32"))
def _b_bincount_2d(r, d):
    x, w = np.array([[0, 1, 1], [2, 0, 0]], np.int32), rn(r, d, 2, 3)
    exp = np.stack([np.bincount(row, weights=wr, minlength=3) for row, wr in zip(x, w)]).astype(d)
    return (x,), {"weights": w}, exp


add(Case("bincount", lambda r, d: ((ints(r, d, 12, lo=0, hi=6),), {}), _i32(np.bincount), dtypes=("int32", "int64"),
         out="int32"),
    Case("bincount", lambda r, d: ((np.array([0, 1, 1, 3], np.int32),), {"weights": pos(r, d, 4), "minlength": 6}),
         lambda x, **k: np.bincount(x, **k).astype(k["weights"].dtype), id="bincount-weights"),
    Case("bincount", _b_bincount_2d, id="bincount-2d"),
    Case("bincount", lambda r, d: ((np.zeros((0,), np.int32),), {"minlength": 3}, np.zeros(3, np.int32)), None,
         id="bincount-empty", dtypes=("int32",), out="int32"))

# ---- corrcoef, correlate, cdist, trapezoid ------------------------------------------------------
add(Case("corrcoef", lambda r, d: ((rn(r, d, 3, 8),), {}), np.corrcoef, tol=_ACC),
    Case("corrcoef", lambda r, d: ((rn(r, d, 6),), {}), np.corrcoef, id="corrcoef-1d", tol=_ACC),
    Case("corrcoef", lambda r, d: ((ints(r, d, 2, 6),), {}), _f32(np.corrcoef), id="corrcoef-int", dtypes=("int32",),
         out="float32", tol=_ACC))
for _mode in ("valid", "same", "full"):
    add(Case("correlate", lambda r, d, _mode=_mode: ((rn(r, d, 7), rn(r, d, 3)), {"mode": _mode}),
             lambda a, v, mode: np.correlate(a, v, mode=mode), id=f"correlate-{_mode}", tol=_ACC),
        Case("correlate", lambda r, d, _mode=_mode: ((rn(r, d, 2), rn(r, d, 5)), {"mode": _mode}),
             lambda a, v, mode: np.correlate(a, v, mode=mode), id=f"correlate-{_mode}-swapped", tol=_ACC))
add(Case("correlate", lambda r, d: ((ints(r, d, 6), ints(r, d, 2)), {}), _f32(np.correlate), id="correlate-int",
         dtypes=("int32",), out="float32"))


def _np_cdist(x, y):
    diff = x[..., :, None, :].astype(np.float64) - y[..., None, :, :]
    return np.sqrt((diff ** 2).sum(-1))


add(Case("cdist", lambda r, d: ((rn(r, d, 4, 3), rn(r, d, 5, 3)), {}), lambda x, y: _np_cdist(x, y).astype(x.dtype),
         tol=_ACC),
    Case("cdist", lambda r, d: ((rn(r, d, 2, 4, 3), rn(r, d, 1, 2, 3)), {}),
         lambda x, y: _np_cdist(x, y).astype(x.dtype), id="cdist-batch", tol=_ACC),
    Case("cdist", lambda r, d: ((ints(r, d, 3, 2), ints(r, d, 2, 2)), {}), _f32(_np_cdist), id="cdist-int",
         dtypes=("int32",), out="float32"))
add(Case("trapezoid", lambda r, d: ((rn(r, d, 3, 5),), {}), np.trapezoid),
    Case("trapezoid", lambda r, d: ((rn(r, d, 3, 5),), {"dx": 0.25, "axis": 0}), lambda y, **k: np.trapezoid(y, **k),
         id="trapezoid-dx"),
    Case("trapezoid", lambda r, d: ((rn(r, d, 2, 5), np.sort(rn(r, d, 5))), {}), np.trapezoid, id="trapezoid-x"),
    Case("trapezoid", lambda r, d: ((rn(r, d, 4, 3), np.cumsum(pos(r, d, 4, 3), 0)), {"axis": 0}),
         lambda y, x, axis: np.trapezoid(y, x, axis=axis), id="trapezoid-x-full"),
    Case("trapezoid", lambda r, d: ((ints(r, d, 2, 4),), {}), _f32(np.trapezoid), id="trapezoid-int",
         dtypes=("int32",), out="float32"))

# ---- shapes ---------------------------------------------------------------------------------------
add(Case("array_split", lambda r, d: ((rn(r, d, 7, 2), 3), {}), lambda x, n: np.array_split(x, n)),
    Case("array_split", lambda r, d: ((rn(r, d, 2, 5), 4), {"axis": -1}), lambda x, n, axis: np.array_split(x, n, axis),
         id="array_split-axis"),
    Case("array_split", lambda r, d: ((rn(r, d, 2), 3), {}), lambda x, n: np.array_split(x, n),
         id="array_split-empty-parts"),
    Case("hsplit", lambda r, d: ((rn(r, d, 2, 6), 3), {}), np.hsplit),
    Case("hsplit", lambda r, d: ((rn(r, d, 6), [1, 4]), {}), np.hsplit, id="hsplit-1d-indices"),
    Case("vsplit", lambda r, d: ((rn(r, d, 4, 3), 2), {}), np.vsplit),
    Case("dsplit", lambda r, d: ((rn(r, d, 1, 2, 4), [3]), {}), np.dsplit),
    Case("dstack", lambda r, d: (([rn(r, d, 3), rn(r, d, 3)],), {}), np.dstack),
    Case("dstack", lambda r, d: (([rn(r, d, 2, 3), rn(r, d, 2, 3, 2)],), {}), np.dstack, id="dstack-2d-3d"),
    Case("dstack", lambda r, d: (([rn(r, d, 2, 3), ints(r, "int32", 2, 3)],), {}), np.dstack, id="dstack-mixed"),
    Case("fliplr", lambda r, d: ((rn(r, d, 2, 3, 2),), {}), np.fliplr),
    Case("flipud", lambda r, d: ((rn(r, d, 3),), {}), np.flipud),
    Case("fliplr", lambda r, d: ((ints(r, d, 2, 3),), {}), np.fliplr, id="fliplr-int", dtypes=("int32", "bool")))
for _k in (1, 2, 3, -1, 4):
    add(Case("rot90", lambda r, d, _k=_k: ((rn(r, d, 2, 3, 4),), {"k": _k, "axes": (0, 2)}),
             lambda x, k, axes: np.rot90(x, k, axes), id=f"rot90-k{_k}"))
add(Case("rot90", lambda r, d: ((rn(r, d, 2, 3),), {}), np.rot90, id="rot90-default"),
    Case("diagflat", lambda r, d: ((rn(r, d, 2, 2),), {"k": 1}), lambda x, k: np.diagflat(x, k)),
    Case("diagflat", lambda r, d: ((rn(r, d, 3),), {"k": -2}), lambda x, k: np.diagflat(x, k), id="diagflat-neg"),
    Case("vander", lambda r, d: ((rn(r, d, 4),), {}), np.vander),
    Case("vander", lambda r, d: ((rn(r, d, 3),), {"N": 5, "increasing": True}), lambda x, **k: np.vander(x, **k),
         id="vander-increasing"),
    Case("vander", lambda r, d: ((rn(r, d, 3),), {"N": 0}), lambda x, N: np.vander(x, N), id="vander-zero"),
    Case("vander", lambda r, d: ((ints(r, d, 4),), {}), np.vander, id="vander-int", dtypes=("int32", "int64")),
    Case("kron", lambda r, d: ((rn(r, d, 2, 3), rn(r, d, 3, 2)), {}), np.kron),
    Case("kron", lambda r, d: ((rn(r, d, 2), rn(r, d, 2, 2, 2)), {}), np.kron, id="kron-ranks"),
    Case("kron", lambda r, d: ((ints(r, d, 2, 2), ints(r, "int8", 2)), {}), np.kron, id="kron-int", dtypes=("int32",)),
    Case("empty_like", lambda r, d: ((rn(r, d, 2, 3),), {}), np.zeros_like),
    Case("empty_like", lambda r, d: ((rn(r, d, 2),), {"dtype": "int32"}), lambda x, dtype: np.zeros_like(x, dtype),
         id="empty_like-dtype", out="int32"))

# ---- elementwise ----------------------------------------------------------------------------------
def _with_nan(r, d, *shape):
    return nanx(r, d, *shape, frac=0.4)


add(Case("fmax", lambda r, d: ((_with_nan(r, d, 3, 1, 4), _with_nan(r, d, 2, 4)), {}), np.fmax),
    Case("fmin", lambda r, d: ((_with_nan(r, d, 3, 1, 4), _with_nan(r, d, 2, 4)), {}), np.fmin),
    Case("fmax", lambda r, d: ((ints(r, d, 3, 4), ints(r, d, 4)), {}), np.fmax, id="fmax-int", dtypes=("int32",)),
    Case("fmin", lambda r, d: ((rn(r, d, 3), 0.0), {}), lambda a, c: np.fmin(a, c).astype(a.dtype), id="fmin-pyfloat"),
    Case("fmod", lambda r, d: ((rn(r, d, 3, 1, 4) * 5, np.array([2.0, -2.0, 0.75, -0.3], d)), {}), np.fmod),
    Case("fmod", lambda r, d: ((np.array([-7.0, 7.0, -7.5, 1e-20, 0.0], d),
                                np.array([2.0, -2.0, 2.0, 1.0, 3.0], d)), {}), np.fmod, id="fmod-signs"),
    Case("fmod", lambda r, d: ((np.array([7, -7, 7, -7, 0], d), np.array([3, 3, -3, -3, 2], d)), {}), np.fmod,
         id="fmod-int", dtypes=("int8", "int32", "int64")),
    Case("fabs", lambda r, d: ((rn(r, d, 3, 4),), {}), np.fabs),
    Case("fabs", lambda r, d: ((ints(r, d, 5),), {}), _f32(np.fabs), id="fabs-int", dtypes=("int32", "int64", "bool"),
         out="float32"))
for _n, _f in (("gcd", np.gcd), ("lcm", np.lcm)):
    add(Case(_n, lambda r, d: ((ints(r, d, 3, 1, lo=-40, hi=41), ints(r, d, 4, lo=-30, hi=31)), {}), _f,
             dtypes=("int8", "int16", "int32", "int64")),
        # 832040 and 514229 are consecutive Fibonacci numbers: Euclid's worst case (28 steps)
        Case(_n, lambda r, d: ((np.array([0, 0, 12, 2 ** 29, 832040], d),
                                np.array([0, 5, 0, 3 * 2 ** 20, 514229], d)), {}),
             _f, id=f"{_n}-edges", dtypes=("int32", "int64")))
add(Case("ldexp", lambda r, d: ((rn(r, d, 3, 4), ints(r, "int32", 4, lo=-20, hi=21)), {}),
         lambda a, e: np.ldexp(a, e).astype(a.dtype)),
    Case("ldexp", lambda r, d: ((np.array([1.5, 3.0, 0.75, -1.0], d), np.array([100, -100, 120, 3], np.int64)), {}),
         lambda a, e: np.ldexp(a, e).astype(a.dtype), id="ldexp-wide"),
    Case("ldexp", lambda r, d: ((np.array([1.0, 3.0], d), 3), {}), lambda a, e: np.ldexp(a, e).astype(a.dtype),
         id="ldexp-pyint"),
    Case("ldexp", lambda r, d: ((np.array([1, 3], d), np.array([2, -1], np.int32)), {}),
         lambda a, e: np.ldexp(a, e).astype(np.float32), id="ldexp-int", dtypes=("int32",), out="float32"),
    Case("logaddexp2", lambda r, d: ((rn(r, d, 3, 1, 4) * 3, rn(r, d, 2, 4) * 3), {}), np.logaddexp2),
    Case("logaddexp2", lambda r, d: ((np.array([-np.inf, np.inf, 1.0, -np.inf, 2.0], d),
                                      np.array([-np.inf, np.inf, 1.0, 0.5, 900.0], d)), {}), np.logaddexp2,
         id="logaddexp2-edges"),
    Case("logaddexp2", lambda r, d: ((ints(r, d, 4), ints(r, d, 4)), {}), _f32(np.logaddexp2), id="logaddexp2-int",
         dtypes=("int32",), out="float32"),
    Case("erfc", lambda r, d: ((np.linspace(-4.0, 26.0 if d == "float64" else 9.0, 301).astype(d),), {}),
         lambda x: sps.erfc(x.astype(np.float64)).astype(x.dtype), tol=_ERFC),
    Case("erfc", lambda r, d: ((np.array([0.0, 0.4999, 0.5, 0.50001, 1.0, 6.28, 6.29, np.inf, -np.inf, np.nan],
                                         d),), {}),
         lambda x: sps.erfc(x.astype(np.float64)).astype(x.dtype), id="erfc-edges", tol=_ERFC),
    Case("erfc", lambda r, d: ((ints(r, d, 2, 3, lo=-2, hi=5),), {}), _f32(lambda x: sps.erfc(x.astype(np.float64))),
         id="erfc-int", dtypes=("int32",), out="float32", tol=_ERFC))
_INF = np.array([-np.inf, np.inf, np.nan, 0.0, -1.0, 1e30])
add(Case("isneginf", lambda r, d: ((_INF.astype(d),), {}), np.isneginf, out="bool"),
    Case("isposinf", lambda r, d: ((_INF.astype(d),), {}), np.isposinf, out="bool"),
    Case("isneginf", lambda r, d: ((ints(r, d, 3),), {}), np.isneginf, id="isneginf-int", dtypes=("int32",),
         out="bool"),
    Case("isposinf", lambda r, d: ((ints(r, d, 3),), {}), np.isposinf, id="isposinf-int", dtypes=("int32",),
         out="bool"),
    Case("isreal", lambda r, d: ((rn(r, d, 2, 3),), {}), np.isreal, out="bool"),
    Case("isreal", lambda r, d: ((ints(r, d, 2),), {}), np.isreal, id="isreal-int", dtypes=("int32",), out="bool"))
for _n, _f in (("bitwise_left_shift", np.left_shift), ("bitwise_right_shift", np.right_shift)):
    add(Case(_n, lambda r, d: ((ints(r, d, 3, 1, lo=-50, hi=100), ints(r, d, 4, lo=0, hi=5)), {}), _f,
             dtypes=("int8", "int32", "int64")),
        Case(_n, lambda r, d: ((ints(r, d, 4, lo=0, hi=100), 2), {}), _f, id=f"{_n}-pyint", dtypes=("uint8", "int32")))

add(Case("geomspace", lambda r, d: ((1.0, 1000.0, 4), {"dtype": d}),
         lambda a, b, n, dtype: np.geomspace(a, b, n).astype(dtype)),
    Case("geomspace", lambda r, d: ((-1.0, -1000.0, 5), {"endpoint": False, "dtype": d}),
         lambda a, b, n, endpoint, dtype: np.geomspace(a, b, n, endpoint=endpoint).astype(dtype),
         id="geomspace-negative"),
    Case("geomspace", lambda r, d: ((np.array([1.0, 2.0], d), np.array([100.0, 32.0], d), 3), {"axis": 1, "dtype": d}),
         lambda a, b, n, axis, dtype: np.geomspace(a, b, n, axis=axis).astype(dtype), id="geomspace-array-axis"),
    Case("geomspace", lambda r, d: ((1, 8, 4), {}), lambda a, b, n: np.geomspace(a, b, n).astype(np.float32),
         id="geomspace-default-dtype", dtypes=("float32",), out="float32"))


# view: the bit patterns of normal numbers, zeros (also -0.0), infinities and NumPy's NaN
_BITS_F = np.array([1.0, -2.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 3.1415927, 1e-30, -6.5e29])
_BITS_F16 = np.array([1.0, -2.0, 0.0, -0.0, np.inf, 65504.0, 6.1e-5, np.nan])
for _src, _dst in (("float32", "int32"), ("float32", "uint8"), ("float64", "int64"), ("float64", "float32"),
                   ("float64", "int16"), ("float16", "int16"), ("float32", "float16"), ("float32", "uint16")):
    add(Case("view", lambda r, d, _s=_src, _t=_dst: (((_BITS_F16 if _s == "float16" else _BITS_F).astype(_s), _t), {}),
             lambda x, t: x.view(t), id=f"view-{_src}-{_dst}", dtypes=(_src,), out=_dst))
for _src, _dst in (("int32", "float32"), ("int64", "float64"), ("uint8", "float32"), ("int16", "int8"),
                   ("int8", "bool"), ("uint8", "int16"), ("int32", "float64")):
    # integer patterns that decode to normal floats, zeros, infinities, or (for narrower dtypes) anything
    def _pat(r, d, _s=_src, _t=_dst):
        if _t.startswith("float"):
            base = {"float32": np.array([1.0, -2.5, 0.0, -0.0, np.inf, 7e-20, -3e31, 1.25], np.float32),
                    "float64": np.array([1.0, -2.5, 0.0, -0.0, -np.inf, 7e-200, -3e301, 1.25], np.float64)}[_t]
            return base.view(_s)
        return ints(r, _s, 2, 4, lo=np.iinfo(_s).min, hi=int(np.iinfo(_s).max) + 1)
    add(Case("view", lambda r, d, _p=_pat, _t=_dst: ((_p(r, d), _t), {}),
             (lambda x, t: x != 0) if _dst == "bool" else (lambda x, t: x.view(t)),  # NumPy keeps raw bytes in bool
             id=f"view-{_src}-{_dst}", dtypes=(_src,), out=_dst))
add(Case("view", lambda r, d: ((rn(r, d, 2, 3),), {"dtype": None}), lambda x, dtype: x, id="view-none"),
    Case("view", lambda r, d: ((rn(r, d, 2, 3), "int32"), {}), lambda x, t: x.view(t), id="view-random-f32",
         dtypes=("float32",), out="int32"),
    Case("view", lambda r, d: ((rn(r, d, 2, 3), "int64"), {}), lambda x, t: x.view(t), id="view-random-f64",
         dtypes=("float64",), out="int64"),
    # nextafter of normal numbers (subnormal results are flushed on JAX; see the op's docstring)
    Case("nextafter", lambda r, d: ((np.array([1.0, 1.0, -1.0, -1.0, 2.0, 0.75, np.inf, -np.inf, 3.0, np.nan], d),
                                     np.array([2.0, 0.0, -2.0, 0.0, 2.0, 0.5, 0.0, 0.0, np.nan, 1.0], d)), {}),
         np.nextafter),
    Case("nextafter", lambda r, d: ((rn(r, d, 3, 4), rn(r, d, 4)), {}), np.nextafter, id="nextafter-random"),
    Case("nextafter", lambda r, d: ((np.array([1, 2], d), np.array([2, 0], d)), {}),
         lambda a, c: np.nextafter(a.astype(np.float32), c.astype(np.float32)), id="nextafter-int", dtypes=("int32",),
         out="float32"))

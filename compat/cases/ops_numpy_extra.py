"""Cross-backend cases of the NumPy-extra ops (``kshim.ops.numpy_extra*``): NaN-aware reductions,
quantiles, searching and sets, shape helpers, statistics, bit ops and ``vectorize``.

Integer-valued results (indices, counts, bins, gcd/lcm, bit patterns) are compared exactly and
not differentiated (``grad=False``). Ops whose output size depends on values get inputs that fix
it: ``unique`` runs with ``size=``, ``nonzero`` runs eagerly (it reads its input on the host).
Inputs avoid ties where an op is discontinuous (sorting, bins, partitions).
"""

from __future__ import annotations

import numpy as np

from .ops import DT, C, F, I, R, op


class V:
    """Fixed values in the case dtype (an input that is not differentiated)."""

    def __init__(self, values):
        self.values = values

    def build(self, rng, dtype):
        return np.asarray(self.values, dtype)


class FNaN(F):
    """A differentiated float input with NaNs at a fixed fraction of (seeded) positions."""

    def __init__(self, shape=(3, 5), lo=-2.0, hi=2.0, frac=0.25):
        super().__init__(shape, lo, hi)
        self.frac = frac

    def build(self, rng, dtype):
        x = super().build(rng, dtype)
        x[rng.uniform(size=self.shape) < self.frac] = np.nan
        return x


class FSorted(F):
    """A sorted 1-D float input with distinct values (not differentiated: see ``grad=False``)."""

    def build(self, rng, dtype):
        return np.sort(super().build(rng, dtype))


# ---- elementwise ----------------------------------------------------------------------------------
op("erfc", F())
op("fabs", F())
op("fmax", F(), F())
op("fmin", F(), F())
op("fmax_nan", FNaN((3, 4)), FNaN((3, 4)), fn=lambda o, a, b: o.fmax(a, b), base="fmax")
op("fmod", F(), F(lo=0.5, hi=1.5))
op("logaddexp2", F(), F())
op("ldexp", F(), I(lo=-5, hi=6))
op("nextafter", F(), F(), grad=False)
op("gcd", I(lo=1, hi=40), I(lo=1, hi=40))
op("lcm", I(lo=1, hi=40), I(lo=1, hi=40))
op("bitwise_left_shift", I(lo=0, hi=255), I(lo=0, hi=5))
op("bitwise_right_shift", I(lo=0, hi=255), I(lo=0, hi=5))
_SPECIAL = [[-np.inf, np.inf, 1.5, np.nan], [0.0, -0.0, -2.0, 3.0]]
op("isneginf", V(_SPECIAL))
op("isposinf", V(_SPECIAL))
op("isreal", F())
op("allclose", F(), F(), fn=lambda o, a, b: (o.allclose(a, b), o.allclose(a, o.add(a, 1e-9))), grad=False)
op("view", F(), fn=lambda o, x: o.view(x, "int32" if o.dtype(x) == "float32" else "int64"), grad=False)

# ---- NaN-aware reductions (long accumulations: reduction tolerance) --------------------------------
for _n in ("nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanmedian"):
    op(_n, FNaN((4, 6)), kw={"axis": 1}, tol=R)
op("nanprod", FNaN((4, 6), lo=0.5, hi=1.5), kw={"axis": 1}, tol=R)
op("nancumsum", FNaN((4, 6)), kw={"axis": 1}, tol=R)
op("nancumprod", FNaN((4, 6), lo=0.5, hi=1.5), kw={"axis": 1}, tol=R)
op("nanargmax", FNaN((4, 6)), kw={"axis": 1}, grad=False)
op("nanargmin", FNaN((4, 6)), kw={"axis": 1}, grad=False)
op("nanquantile", FNaN((4, 6)), C([0.2, 0.5, 0.9]), kw={"axis": 1}, tol=R)
op("nanpercentile", FNaN((4, 6)), C([20.0, 50.0, 90.0]), kw={"axis": 1}, tol=R)
op("ptp", F((4, 6)), kw={"axis": 1}, tol=R)
op("quantile", F((4, 6)), C([0.2, 0.5, 0.9]), kw={"axis": 1}, tol=R)
op("percentile", F((4, 6)), C([20.0, 50.0, 90.0]), kw={"axis": 1}, tol=R)

# ---- searching, sets, counting (integer-valued: exact, no gradient) -------------------------------
op("searchsorted", FSorted((7,)), F((3, 4)), grad=False)
op("digitize", F((3, 4)), C([-1.0, 0.0, 0.25, 1.0]), grad=False)
op("isin", I((3, 4), 0, 8), I((5,), 0, 8), grad=False)
op("argpartition", F((3, 6)), C(2), grad=False)
op("unravel_index", I((2, 3), 0, 12), C((3, 4)), grad=False)
op("nonzero", I((3, 4), 0, 2), grad=False, eager=True)
op(
    "unique",
    I((12,), 0, 5),
    kw={"size": 6, "fill_value": -1, "return_index": True, "return_inverse": True, "return_counts": True},
    grad=False,
)
op("bincount", I((12,), 0, 6), kw={"minlength": 7}, grad=False)
op(
    "bincount_weights",
    I((12,), 0, 6),
    F((12,), 0.1, 1.0),
    fn=lambda o, x, w: o.bincount(x, weights=w, minlength=7),
    tol=R,
    base="bincount",
)
op("histogram", F((50,)), kw={"bins": 7}, grad=False, tol=R)
op("select", F(), fn=lambda o, x: o.select([o.greater(x, 0.5), o.less(x, -0.5)], [o.multiply(x, 2.0), o.sin(x)], -1.0))

# ---- shape helpers ----------------------------------------------------------------------------------
op("array_split", F((7, 2)), C(3))
op("hsplit", F((2, 6)), C(3))
op("vsplit", F((4, 3)), C(2))
op("dsplit", F((1, 2, 4)), C([3]))
op("dstack", F((2, 3)), F((2, 3)), fn=lambda o, a, b: o.dstack([a, b]))
op("fliplr", F((2, 3, 2)))
op("flipud", F())
op("rot90", F((2, 3, 4)), kw={"k": 1, "axes": (0, 2)})
op("diagflat", F((2, 2)), kw={"k": 1})
op("vander", F((4,)), kw={"N": 5})
op("kron", F((2, 3)), F((3, 2)))
op("empty_like", F(), check="shape")
op("geomspace", C(1.0), C(100.0), C(7), kw={"dtype": DT})

# ---- statistics (long accumulations: reduction tolerance) ------------------------------------------
op("corrcoef", F((3, 8)), tol=R)
op("correlate", F((7,)), F((3,)), kw={"mode": "full"}, tol=R)
op("cdist", F((4, 3)), F((5, 3)), tol=R)
op("trapezoid", F((3, 5)), tol=R)

# ---- vectorize (returns a function: applied to a concrete one) --------------------------------------
op(
    "vectorize",
    F((3, 4)),
    F((4,)),
    fn=lambda o, x, y: o.vectorize(lambda a, b: o.add(o.multiply(a, b), o.sin(a)))(x, y),
)
op(
    "vectorize_signature",
    F((3, 4)),
    F((4,)),
    fn=lambda o, x, y: o.vectorize(lambda a, b: o.sum(o.multiply(a, b)), signature="(n),(n)->()")(x, y),
    tol=R,
    base="vectorize",
)

"""Cases for Keras argument semantics of ops kshim already had (issue 14, item 2), against real Keras."""
from __future__ import annotations

import numpy as np

from .cases import KERAS, Case, add


def _scatter(reduction):
    def build(r, d):
        x = r.standard_normal((4, 3)).astype(d)
        idx = np.array([[1], [1], [3]], np.int32)  # a duplicate index: the reduction decides
        u = r.standard_normal((3, 3)).astype(d)
        return (x, idx, u), {"reduction": reduction}
    return build


for _red in ("add", "max", "min", "mul"):
    add(Case("scatter_update", _scatter(_red), KERAS, id=f"scatter_update-{_red}"))


# Edge values Keras (on JAX) and NumPy agree on: the sign bit of -0.0, logaddexp of two equal
# infinities, and segment ops dropping ids outside [0, num_segments) (-inf for empty segment_max).
def _signed_zeros(r, d):
    return (np.array([-0.0, 0.0, -1.5, 2.0, np.inf, -np.inf], d),), {}


def _equal_infinities(r, d):
    return (np.array([-np.inf, np.inf, 1.0], d), np.array([-np.inf, np.inf, 2.0], d)), {}


def _bad_ids(r, d):
    x = r.standard_normal((5, 2)).astype(d)
    return (x, np.array([0, -1, 2, 7, 0], np.int32)), {"num_segments": 4}


add(Case("signbit", _signed_zeros, KERAS, id="signbit-signed-zeros", out="bool"),
    Case("logaddexp", _equal_infinities, np.logaddexp, id="logaddexp-equal-infinities"),  # Keras-JAX gives float32
    Case("segment_sum", _bad_ids, KERAS, id="segment_sum-ids-out-of-range"),
    Case("segment_max", _bad_ids, KERAS, id="segment_max-ids-out-of-range-and-empty"))


def _with_nan(r, d):
    x = r.standard_normal((3, 5)).astype(d)
    x[1, 2] = np.nan
    return (x,), {"axis": 1}


def _array_bounds(axis):
    def build(r, d):
        return (np.array([0.0, 1.0], d), np.array([1.0, 3.0], d)), {"num": 4, "axis": axis, "dtype": d}
    return build


add(Case("median", _with_nan, np.median, id="median-nan-propagates"),
    *[Case(op, _array_bounds(ax), KERAS, id=f"{op}-array-bounds-axis{ax}", raw=True)
      for op in ("linspace", "logspace") for ax in (0, 1, -1)])

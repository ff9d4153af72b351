"""Tolerances of the compatibility matrix, per dtype and per kind of computation.

A pair of results ``a``, ``b`` agrees when, elementwise, ``|a - b| <= atol + rtol * max(|a|, |b|)``
(NaNs must sit at the same places, infinities must be equal).

Why these numbers (eps32 = 1.2e-7, eps64 = 2.2e-16):

* ``exact`` -- initial weights, integer / boolean results, random bits, dropout masks: the design
  promises bit-identical values (host initializers, Threefry on every backend), so 0.
* ``elementwise`` -- float64: rtol 1e-10. libm (NumPy/torch) and XLA implement exp/log/tanh/erf
  with different polynomial approximations that are each within a few ulp; 1e-10 is ~1e6 ulp of
  margin yet catches any real formula difference. float32: rtol 1e-5 (~80 ulp): XLA's fast float32
  transcendentals (tanh, erf, log1p...) are a few ulp off libm, and composites (gelu, softplus,
  log_softmax) chain 3-5 of them.
* ``reduction`` -- matmul, conv, sums, norms, variances: the summation order differs between BLAS,
  XLA and oneDNN, so the error grows like sqrt(n) * eps on top of cancellation. float32: rtol 1e-4,
  atol 1e-5 (absolute term because sums of mixed signs land near 0 where relative error is
  meaningless); float64: rtol 1e-9, atol 1e-12.
* ``gradient`` -- a VJP chains the forward's rounding with the backward's, so one step looser than
  the forward of the same kind.
* ``training`` -- N optimizer steps feed each step's rounding into the next (and Adam-like updates
  divide by small second moments); float32 rtol 1e-3/atol 1e-4 over a handful of steps, float64
  rtol 1e-8/atol 1e-10.
* ``oracle`` -- real Keras 3 on JAX uses its own composites (e.g. its own gelu/softmax formulas),
  so it gets the float32 reduction tolerance -- in float64 too: Keras 3.15 on JAX, given float64
  layers, float64 weights and inputs (x64 on, floatx float64), still returned results that differ
  from three agreeing float64 kshim backends by ~1e-7 relative (float32 rounding somewhere in
  Keras' path), so the oracle column checks float64 cases at float32 precision.
"""

from __future__ import annotations

TOLERANCES: dict[str, dict[str, tuple[float, float]]] = {
    # kind: {dtype: (rtol, atol)}
    "exact": {"float32": (0.0, 0.0), "float64": (0.0, 0.0)},
    "elementwise": {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-13)},
    "reduction": {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-12)},
    "gradient": {"float32": (3e-4, 3e-5), "float64": (1e-8, 1e-11)},
    "training": {"float32": (1e-3, 1e-4), "float64": (1e-8, 1e-10)},
    "oracle": {"float32": (1e-4, 1e-5), "float64": (1e-4, 1e-5)},
}


def get(kind: str, dtype: str) -> tuple[float, float]:
    """``(rtol, atol)`` for a kind of computation in ``dtype`` (non-float dtypes compare exactly)."""
    table = TOLERANCES[kind]
    return table.get(dtype, table["float32"])

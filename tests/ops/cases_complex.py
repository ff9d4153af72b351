"""Op cases of the complex views: ``view_as_complex``, ``view_as_real`` and ``polar`` (the complex dtypes
themselves, promotion, the other ops on complex input and gradients are in ``test_complex.py`` and
``test_complex_grad.py``).

References: NumPy on the same inputs (``x[..., 0] + 1j * x[..., 1]``, ``np.stack([z.real, z.imag], -1)``,
``r * np.exp(1j * t)`` computed in complex128). Tolerances: view_as_complex/view_as_real copy values
(exact: rtol 0); polar rounds a cos/sin and a product: float32 parts (rtol 1e-6, atol 1e-6 for parts near
zero), float64 parts (1e-12, 1e-12).
"""
from __future__ import annotations

import numpy as np

from .cases import Case, add, pos, rn

_COMPLEX = {"float32": np.complex64, "float64": np.complex128}
_TOL = {"float32": 1e-6, "float64": 1e-12}


def _close(tol, dtype):
    def check(got, want):
        assert got.dtype == np.dtype(dtype), f"dtype {got.dtype} != {np.dtype(dtype)}"
        assert got.shape == want.shape, f"shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)

    return check


for _d in ("float32", "float64"):
    _c = _COMPLEX[_d]
    add(Case("view_as_complex", lambda r, d: ((rn(r, d, 4, 3, 2),), {}), lambda x: x[..., 0] + 1j * x[..., 1],
             id=f"view_as_complex-{_d}", dtypes=(_d,), check=_close(0, _c)),
        Case("view_as_real", lambda r, d: (((rn(r, d, 2, 3) + 1j * rn(r, d, 2, 3)).astype(_COMPLEX[d]),), {}),
             lambda z: np.stack([z.real, z.imag], -1), id=f"view_as_real-{_d}", dtypes=(_d,)),
        Case("polar", lambda r, d: ((pos(r, d, 2, 3), rn(r, d, 3)), {}),
             lambda a, t: a.astype(np.float64) * np.exp(1j * t.astype(np.float64)), id=f"polar-{_d}", dtypes=(_d,),
             check=_close(_TOL[_d], _c)))

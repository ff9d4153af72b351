"""Linear-algebra primitives of the numpy backend (declared in ``backends/_protocol.py``).

Plain arrays go straight to ``np.linalg`` (LAPACK; float32 stays float32) or to the NumPy
routines of ``autodiff/rules_linalg.py`` (triangular solves, LU); a traced input goes to the
tape rules of the same module, which record one VJP per output.
"""

from __future__ import annotations

from typing import Any

from .autodiff import rules_linalg as RL
from .autodiff.tensor import Tensor


class LinalgMixin:
    """Decompositions, solves and determinants; mixed into the backend class."""

    def cholesky(self, x: Any) -> Any:
        """Lower Cholesky factor (``np.linalg.cholesky``, reads the lower triangle)."""
        return RL.cholesky(x) if x.__class__ is Tensor else RL.raw_cholesky(x)

    def qr(self, x: Any, complete: bool) -> tuple:
        """QR decomposition (``np.linalg.qr``, Householder / LAPACK geqrf)."""
        return RL.qr(x, complete) if x.__class__ is Tensor else RL.raw_qr(x, complete)

    def svd(self, x: Any, full_matrices: bool, compute_uv: bool) -> Any:
        """Singular value decomposition (``np.linalg.svd``, LAPACK gesdd)."""
        if x.__class__ is Tensor:
            return RL.svd(x, full_matrices, compute_uv)
        return RL.raw_svd(x, full_matrices, compute_uv)

    def eigh(self, x: Any) -> tuple:
        """Eigen-decomposition of symmetric matrices (``np.linalg.eigh``, lower triangle)."""
        return RL.eigh(x) if x.__class__ is Tensor else RL.raw_eigh(x)

    def eig(self, x: Any) -> tuple:
        """Eigen-decomposition of general matrices with a real spectrum (``np.linalg.eig``)."""
        return RL.eig(x) if x.__class__ is Tensor else RL.raw_eig(x)

    def solve(self, a: Any, b: Any) -> Any:
        """``np.linalg.solve`` with matrix right-hand sides of the same batch shape."""
        if a.__class__ is Tensor or b.__class__ is Tensor:
            return RL.solve(a, b)
        return RL.raw_solve(a, b)

    def solve_triangular(self, a: Any, b: Any, lower: bool) -> Any:
        """Triangular solve by substitution, reading only the ``lower`` (or upper) triangle."""
        if a.__class__ is Tensor or b.__class__ is Tensor:
            return RL.solve_triangular(a, b, lower)
        return RL.raw_solve_triangular(a, b, lower)

    def lu_factor(self, x: Any) -> tuple:
        """Packed LU with partial pivoting and int32 0-based pivots (LAPACK getrf's choice)."""
        return RL.lu_factor(x) if x.__class__ is Tensor else RL.raw_lu_factor(x)

    def slogdet(self, x: Any) -> tuple:
        """(sign, log|det|) (``np.linalg.slogdet``); the sign carries no gradient."""
        return RL.slogdet(x) if x.__class__ is Tensor else RL.raw_slogdet(x)

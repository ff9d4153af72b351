"""Linear-algebra primitives of the torch backend (declared in ``backends/_protocol.py``).

``torch.linalg`` (LAPACK on CPU, cuSOLVER/MAGMA on CUDA) with torch's own backward formulas.
torch's ``LinAlgError`` (a RuntimeError) becomes the ValueError that NumPy's and Keras' messages
use for the same failures.
"""

from __future__ import annotations

from typing import Any

import torch


class LinalgMixin:
    """Decompositions, solves and determinants; mixed into the backend class."""

    def cholesky(self, x: Any) -> Any:
        """Lower Cholesky factor of the lower triangle of ``x`` (``torch.linalg.cholesky``)."""
        try:
            return torch.linalg.cholesky(x)
        except torch.linalg.LinAlgError as e:
            raise ValueError(
                f"Cholesky decomposition failed: the input is not a symmetric positive-definite matrix ({e})."
            ) from None

    def qr(self, x: Any, complete: bool) -> tuple:
        """QR decomposition (``torch.linalg.qr``). Differentiated with ``complete`` and M > N, the
        last M - N columns of ``q`` (not unique) are constants, as on the other backends (torch
        itself refuses that gradient)."""
        m, n = x.shape[-2:]
        if complete and m > n and x.requires_grad:
            q, r = torch.linalg.qr(x, mode="reduced")
            extra = torch.linalg.qr(x.detach(), mode="complete")[0][..., n:]
            zeros = torch.zeros(r.shape[:-2] + (m - n, n), dtype=r.dtype, device=r.device)
            return torch.cat([q, extra], -1), torch.cat([r, zeros], -2)
        q, r = torch.linalg.qr(x, mode="complete" if complete else "reduced")
        return q, r

    def svd(self, x: Any, full_matrices: bool, compute_uv: bool) -> Any:
        """Singular value decomposition (``torch.linalg.svd`` / ``svdvals``). Differentiated with
        ``full_matrices`` and M != N, the extra columns of ``u`` / rows of ``vh`` (not unique) are
        constants, as on the other backends."""
        if not compute_uv:
            return torch.linalg.svdvals(x)
        m, n = x.shape[-2:]
        if full_matrices and m != n and x.requires_grad:
            k = min(m, n)
            u, s, vh = torch.linalg.svd(x, full_matrices=False)
            uf, _, vhf = torch.linalg.svd(x.detach(), full_matrices=True)
            return torch.cat([u, uf[..., :, k:]], -1), s, torch.cat([vh, vhf[..., k:, :]], -2)
        u, s, vh = torch.linalg.svd(x, full_matrices=bool(full_matrices))
        return u, s, vh

    def eigh(self, x: Any) -> tuple:
        """Eigen-decomposition of the lower triangle of ``x`` (``torch.linalg.eigh``)."""
        w, v = torch.linalg.eigh(x, UPLO="L")
        return w, v

    def eig(self, x: Any) -> tuple:
        """Eigen-decomposition of matrices with a real spectrum (``torch.linalg.eig``).
        Complex eigenvalues raise ValueError."""
        w, v = torch.linalg.eig(x)
        if not bool(torch.all(w.imag == 0)):
            raise ValueError(
                "eig: the matrix has complex eigenvalues, which kshim cannot represent (it has no "
                "complex dtype); eig supports matrices with a real spectrum only. For a symmetric "
                "matrix use eigh."
            )
        return w.real.to(x.dtype), v.real.to(x.dtype)

    def solve(self, a: Any, b: Any) -> Any:
        """``torch.linalg.solve`` with matrix right-hand sides of the same batch shape."""
        try:
            return torch.linalg.solve(a, b)
        except torch.linalg.LinAlgError as e:
            raise ValueError(f"solve failed: the coefficient matrix is singular ({e}).") from None

    def solve_triangular(self, a: Any, b: Any, lower: bool) -> Any:
        """Triangular solve reading only the ``lower`` (or upper) triangle of ``a``."""
        return torch.linalg.solve_triangular(a, b, upper=not lower)

    def lu_factor(self, x: Any) -> tuple:
        """Packed LU with partial pivoting; pivots converted to int32 0-based row swaps."""
        lu, piv, _ = torch.linalg.lu_factor_ex(x)
        return lu, (piv - 1).to(torch.int32)

    def slogdet(self, x: Any) -> tuple:
        """(sign, log|det|) (``torch.linalg.slogdet``)."""
        sign, logabs = torch.linalg.slogdet(x)
        return sign, logabs

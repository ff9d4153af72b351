"""Linear-algebra primitives of the jax backend (declared in ``backends/_protocol.py``).

``jnp.linalg`` / ``lax.linalg`` (LAPACK on CPU) with JAX's own derivative rules. Failures that
NumPy and torch report as exceptions (a matrix that is not positive definite, a singular system,
complex eigenvalues) come back from JAX as NaN/inf; on concrete arrays this module turns them into
the same ValueError, while under ``jit``/``grad`` tracing (where values are unknown) they stay NaN.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

_HIGHEST = lax.Precision.HIGHEST


def _concrete(*xs) -> bool:
    return not any(isinstance(x, jax.core.Tracer) for x in xs)


def _fails(out, *inputs) -> bool:
    """Eager check: ``out`` has NaN/inf although every input is finite."""
    if not _concrete(out, *inputs):
        return False
    if bool(jnp.all(jnp.isfinite(out))):
        return False
    return all(bool(jnp.all(jnp.isfinite(x))) for x in inputs)


class LinalgMixin:
    """Decompositions, solves and determinants; mixed into the backend class."""

    def cholesky(self, x: Any) -> Any:
        """Lower Cholesky factor of the lower triangle of ``x`` (``jnp.linalg.cholesky``)."""
        out = jnp.linalg.cholesky(x, symmetrize_input=False)
        if _fails(out, x):
            raise ValueError("Cholesky decomposition failed: the input is not a symmetric positive-definite matrix.")
        return out

    def qr(self, x: Any, complete: bool) -> tuple:
        """QR decomposition (``jnp.linalg.qr``). Traced with ``complete`` and M > N, the last
        M - N columns of ``q`` (not unique) are constants for differentiation, as on the other
        backends."""
        m, n = x.shape[-2:]
        if complete and m > n and not _concrete(x):
            q, r = jnp.linalg.qr(x, mode="reduced")
            extra = lax.stop_gradient(jnp.linalg.qr(lax.stop_gradient(x), mode="complete")[0][..., n:])
            zeros = jnp.zeros(r.shape[:-2] + (m - n, n), r.dtype)
            return jnp.concatenate([q, extra], -1), jnp.concatenate([r, zeros], -2)
        q, r = jnp.linalg.qr(x, mode="complete" if complete else "reduced")
        return q, r

    def svd(self, x: Any, full_matrices: bool, compute_uv: bool) -> Any:
        """Singular value decomposition (``jnp.linalg.svd``). Traced with ``full_matrices`` and
        M != N, the extra columns of ``u`` / rows of ``vh`` (not unique) are constants for
        differentiation (JAX has no derivative for the full SVD), as on the other backends."""
        if not compute_uv:
            return jnp.linalg.svd(x, full_matrices=False, compute_uv=False)
        m, n = x.shape[-2:]
        if full_matrices and m != n and not _concrete(x):
            k = min(m, n)
            u, s, vh = jnp.linalg.svd(x, full_matrices=False)
            uf, _, vhf = lax.stop_gradient(jnp.linalg.svd(lax.stop_gradient(x), full_matrices=True))
            return jnp.concatenate([u, uf[..., :, k:]], -1), s, jnp.concatenate([vh, vhf[..., k:, :]], -2)
        u, s, vh = jnp.linalg.svd(x, full_matrices=full_matrices, compute_uv=True)
        return u, s, vh

    def eigh(self, x: Any) -> tuple:
        """Eigen-decomposition of the lower triangle of ``x`` (``jnp.linalg.eigh``)."""
        w, v = jnp.linalg.eigh(x, UPLO="L", symmetrize_input=False)
        return w, v

    def eig(self, x: Any) -> tuple:
        """Eigen-decomposition of matrices with a real spectrum (``lax.linalg.eig``, CPU only;
        eigenvector derivatives enabled: they are valid for distinct eigenvalues). Complex
        eigenvalues raise ValueError on concrete arrays; traced, their entries are NaN."""
        w, v = lax.linalg.eig(
            x, compute_left_eigenvectors=False, compute_right_eigenvectors=True, enable_eigvec_derivs=True
        )
        real = jnp.imag(w) == 0
        if _concrete(w) and not bool(jnp.all(real)):
            raise ValueError(
                "eig: the matrix has complex eigenvalues, which kshim cannot represent (it has no "
                "complex dtype); eig supports matrices with a real spectrum only. For a symmetric "
                "matrix use eigh."
            )
        nan = jnp.asarray(jnp.nan, x.dtype)
        w_r = jnp.where(real, jnp.real(w).astype(x.dtype), nan)
        v_r = jnp.where(real[..., None, :], jnp.real(v).astype(x.dtype), nan)
        return w_r, v_r

    def solve(self, a: Any, b: Any) -> Any:
        """``jnp.linalg.solve`` with matrix right-hand sides of the same batch shape."""
        out = jnp.linalg.solve(a, b)
        if _fails(out, a, b):
            raise ValueError("solve failed: the coefficient matrix is singular.")
        return out

    def solve_triangular(self, a: Any, b: Any, lower: bool) -> Any:
        """Triangular solve reading only the ``lower`` (or upper) triangle of ``a``."""
        return lax.linalg.triangular_solve(a, b, left_side=True, lower=bool(lower), transpose_a=False)

    def lu_factor(self, x: Any) -> tuple:
        """Packed LU with partial pivoting and int32 0-based pivots (``lax.linalg.lu``)."""
        lu, piv, _ = lax.linalg.lu(x)
        return lu, piv.astype(jnp.int32)

    def slogdet(self, x: Any) -> tuple:
        """(sign, log|det|) (``jnp.linalg.slogdet``)."""
        sign, logabs = jnp.linalg.slogdet(x)
        return sign, logabs

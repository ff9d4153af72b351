"""Linear algebra of the NumPy tape: raw forwards (``raw_*``) and one traced rule per primitive.

Matrices are the last two axes; leading axes are batch axes (the frontend gives both operands of
a solve the same batch shape). A decomposition with several outputs records one tape node per
output; each node's VJP is the joint VJP with zero cotangents for the other outputs (the VJP is
linear in the cotangents, so the sum over nodes is the joint VJP).

Gradient formulas (real matrices, ``F_ij = 1 / (w_j - w_i)`` off the diagonal):

* cholesky ``A = L Lᵀ``: ``Ā = sym(L⁻ᵀ Φ(Lᵀ L̄) L⁻¹)``, ``Φ`` = lower triangle, halved diagonal.
* qr (M >= N): ``Ā = (Q̄ + Q copyltu(R R̄ᵀ - Q̄ᵀ Q)) R⁻ᵀ``; M < N splits ``A = [X | Y]``.
* eigh: ``Ā = sym(V (diag(w̄) + F ∘ Vᵀ V̄) Vᵀ)``; eig (real spectrum, unit-norm vectors):
  ``Ā = V⁻ᵀ (diag(w̄) + F ∘ Vᵀ(V̄ - V diag(Vᵀ V̄))) Vᵀ``.
* svd (Townsend, "Differentiating the singular value decomposition"), with ``E_ij = 1/(s_j² - s_i²)``.
* solve ``X = A⁻¹ B``: ``B̄ = A⁻ᵀ X̄``, ``Ā = -B̄ Xᵀ`` (triangular: restricted to the triangle).
* lu ``PᵀA = L U``: ``Ā = P L⁻ᵀ (tril₋₁(Lᵀ L̄) + triu(Ū Uᵀ)) U⁻ᵀ`` (rectangular cases split).
* slogdet: ``Ā = logabsdet̄ · A⁻ᵀ``.

Distinct eigenvalues / singular values are assumed; repeated ones give inf/NaN gradients (as on
JAX and torch). Outputs whose value is not unique (the last M - K columns of a complete QR's Q, the
extra columns of a full SVD's U or Vᵀ of a non-square matrix: any orthonormal completion is valid)
are treated as constants, on every backend: their cotangents are dropped.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, make, val


def _is(x):
    return x.__class__ is Tensor


def _t(x):
    return np.swapaxes(x, -1, -2)


def _sym(x):
    return (x + _t(x)) * 0.5


def _diag(v):
    """(..., n) -> (..., n, n) diagonal matrices."""
    out = np.zeros(v.shape + v.shape[-1:], v.dtype)
    i = np.arange(v.shape[-1])
    out[..., i, i] = v
    return out


def _diagonal(x):
    return np.diagonal(x, axis1=-2, axis2=-1)


def _inv_gaps(w):
    """``F_ij = 1 / (w_j - w_i)`` for i != j, 0 on the diagonal."""
    d = w[..., None, :] - w[..., :, None]
    n = w.shape[-1]
    eye = np.eye(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(eye, 0, 1 / np.where(eye, 1, d))
    return f.astype(w.dtype, copy=False)


def _zero(shape, dtype, g):
    return np.zeros(shape, dtype) if g is None else g


def _linalg_error(name, e):
    return ValueError(f"{name} failed: {e}.")


# ---- cholesky -----------------------------------------------------------------------------------
def raw_cholesky(a):
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError as e:
        raise ValueError(
            f"Cholesky decomposition failed: the input is not a symmetric positive-definite matrix ({e})."
        ) from None


def _cholesky_vjp(l, g):
    linv = np.linalg.inv(l)
    p = np.tril(_t(l) @ g)
    i = np.arange(l.shape[-1])
    p[..., i, i] *= 0.5
    return _sym(_t(linv) @ p @ linv)


def cholesky(x):
    out = raw_cholesky(x.value)
    return make(out, (x,), lambda g: (_cholesky_vjp(out, g),))


# ---- qr -----------------------------------------------------------------------------------------
def raw_qr(a, complete):
    return np.linalg.qr(a, mode="complete" if complete else "reduced")


def _qr_square_vjp(q, r, gq, gr):
    """VJP of the reduced QR of a tall or square matrix (M >= N)."""
    m = r @ _t(gr) - _t(gq) @ q
    m = np.tril(m) + _t(np.tril(m, -1))
    b = gq + q @ m
    return _t(np.linalg.solve(r, _t(b)))


def _qr_vjp(a, q, r, gq, gr, complete):
    mm, n = a.shape[-2:]
    k = min(mm, n)
    gq = _zero(q.shape, q.dtype, gq)
    gr = _zero(r.shape, r.dtype, gr)
    if complete and mm > n:  # Q's last M - N columns are not unique: constants
        q, gq, r, gr = q[..., :, :n], gq[..., :, :n], r[..., :n, :], gr[..., :n, :]
    if mm >= n:
        return _qr_square_vjp(q, r, gq, gr)
    # wide: A = [X | Y], X = Q U (square), R = [U | Qᵀ Y]
    y = a[..., :, k:]
    gu, gv = gr[..., :, :k], gr[..., :, k:]
    gx = _qr_square_vjp(q, r[..., :, :k], gq + y @ _t(gv), gu)
    return np.concatenate([gx, q @ gv], axis=-1)


def qr(x, complete):
    xv = x.value
    q, r = raw_qr(xv, complete)
    return (
        make(q, (x,), lambda g: (_qr_vjp(xv, q, r, g, None, complete),)),
        make(r, (x,), lambda g: (_qr_vjp(xv, q, r, None, g, complete),)),
    )


# ---- svd ----------------------------------------------------------------------------------------
def raw_svd(a, full_matrices, compute_uv):
    try:
        return np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    except np.linalg.LinAlgError as e:
        raise _linalg_error("SVD", e) from None


def _svd_vjp(a, u, s, vh, gu, gs, gvh):
    mm, n = a.shape[-2:]
    k = min(mm, n)
    dt = a.dtype
    if u.shape[-1] > k:  # the extra columns of a full U / rows of Vᵀ are not unique: constants
        u, gu = u[..., :, :k], (None if gu is None else gu[..., :, :k])
    if vh.shape[-2] > k:
        vh, gvh = vh[..., :k, :], (None if gvh is None else gvh[..., :k, :])
    v = _t(vh)
    gv = None if gvh is None else _t(gvh)
    out = np.zeros(a.shape, dt)
    inner = np.zeros(s.shape + s.shape[-1:], dt)
    if gs is not None:
        inner = inner + _diag(gs)
    if gu is not None or gv is not None:
        e = _inv_gaps(s * s)
        sd = _diag(s)
        with np.errstate(divide="ignore"):
            sinv = 1 / s
        if gu is not None:
            j = e * (_t(u) @ gu)
            inner = inner + (j + _t(j)) @ sd
            if mm > k:
                out = out + (gu - u @ (_t(u) @ gu)) * sinv[..., None, :] @ vh
        if gv is not None:
            kk = e * (_t(v) @ gv)
            inner = inner + sd @ (kk + _t(kk))
            if n > k:
                out = out + u @ (sinv[..., :, None] * _t(gv - v @ (_t(v) @ gv)))
    return out + u @ inner @ vh


def svd(x, full_matrices, compute_uv):
    xv = x.value
    if not compute_uv:
        u, s, vh = raw_svd(xv, False, True)
        return make(s, (x,), lambda g: (_svd_vjp(xv, u, s, vh, None, g, None),))
    u, s, vh = raw_svd(xv, full_matrices, True)
    return (
        make(u, (x,), lambda g: (_svd_vjp(xv, u, s, vh, g, None, None),)),
        make(s, (x,), lambda g: (_svd_vjp(xv, u, s, vh, None, g, None),)),
        make(vh, (x,), lambda g: (_svd_vjp(xv, u, s, vh, None, None, g),)),
    )


# ---- eigh / eig ---------------------------------------------------------------------------------
def raw_eigh(a):
    try:
        return np.linalg.eigh(a)
    except np.linalg.LinAlgError as e:
        raise _linalg_error("eigh", e) from None


def _eigh_vjp(w, v, gw, gv):
    inner = np.zeros(v.shape, v.dtype)
    if gw is not None:
        inner = inner + _diag(gw)
    if gv is not None:
        inner = inner + _inv_gaps(w) * (_t(v) @ gv)
    return _sym(v @ inner @ _t(v))


def eigh(x):
    w, v = raw_eigh(x.value)
    return (make(w, (x,), lambda g: (_eigh_vjp(w, v, g, None),)), make(v, (x,), lambda g: (_eigh_vjp(w, v, None, g),)))


def raw_eig(a):
    try:
        w, v = np.linalg.eig(a)
    except np.linalg.LinAlgError as e:
        raise _linalg_error("eig", e) from None
    if np.iscomplexobj(w):
        if np.any(w.imag != 0):
            raise ValueError(
                "eig: the matrix has complex eigenvalues, which kshim cannot represent (it has no "
                "complex dtype); eig supports matrices with a real spectrum only. For a symmetric "
                "matrix use eigh."
            )
        w, v = w.real.copy(), v.real.copy()
    return w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)


def _eig_vjp(w, v, gw, gv):
    inner = np.zeros(v.shape, v.dtype)
    if gw is not None:
        inner = inner + _diag(gw)
    if gv is not None:
        gv = gv - v * _diagonal(_t(v) @ gv)[..., None, :]
        inner = inner + _inv_gaps(w) * (_t(v) @ gv)
    return np.linalg.solve(_t(v), inner @ _t(v))


def eig(x):
    w, v = raw_eig(x.value)
    return (make(w, (x,), lambda g: (_eig_vjp(w, v, g, None),)), make(v, (x,), lambda g: (_eig_vjp(w, v, None, g),)))


# ---- solves -------------------------------------------------------------------------------------
def raw_solve(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError as e:
        raise ValueError(f"solve failed: the coefficient matrix is singular ({e}).") from None


def solve(a, b):
    av, bv = val(a), val(b)
    x = raw_solve(av, bv)

    def vjp(g):
        gb = raw_solve(_t(av), g)
        return (-(gb @ _t(x)) if _is(a) else None), (gb if _is(b) else None)

    return make(x, (a, b), vjp)


def raw_solve_triangular(a, b, lower, block=64):
    """Blocked forward/back substitution (reads only the ``lower``/upper triangle): a GEMM
    updates each block of rows with the rows already solved, then substitution row by row inside
    the block. A zero on the diagonal gives inf/NaN, as LAPACK's trsm."""
    n = a.shape[-1]
    x = np.empty(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(a, b))
    starts = range(0, n, block) if lower else range((n - 1) // block * block, -1, -block)
    with np.errstate(divide="ignore", invalid="ignore"):
        for s0 in starts:
            s1 = min(s0 + block, n)
            done = slice(0, s0) if lower else slice(s1, n)
            rhs = b[..., s0:s1, :]
            if (lower and s0 > 0) or (not lower and s1 < n):
                rhs = rhs - a[..., s0:s1, done] @ x[..., done, :]
            for i in range(s0, s1) if lower else range(s1 - 1, s0 - 1, -1):
                inner = slice(s0, i) if lower else slice(i + 1, s1)
                acc = rhs[..., i - s0, :] - np.einsum("...j,...jk->...k", a[..., i, inner], x[..., inner, :])
                x[..., i, :] = acc / a[..., i, i, None]
    return x


def solve_triangular(a, b, lower):
    av, bv = val(a), val(b)
    x = raw_solve_triangular(av, bv, lower)

    def vjp(g):
        gb = raw_solve_triangular(_t(av), g, not lower)
        ga = None
        if _is(a):
            ga = -(gb @ _t(x))
            ga = np.tril(ga) if lower else np.triu(ga)
        return ga, (gb if _is(b) else None)

    return make(x, (a, b), vjp)


# ---- lu -----------------------------------------------------------------------------------------
def raw_lu_factor(a):
    """LU with partial pivoting (LAPACK getrf's pivot choice: the first largest |value| of the
    column), vectorized over the batch. Returns (packed LU, int32 0-based row swaps)."""
    m, n = a.shape[-2:]
    k = min(m, n)
    lu = np.array(a, copy=True).reshape((-1, m, n))
    piv = np.zeros((lu.shape[0], k), np.int32)
    bi = np.arange(lu.shape[0])
    for j in range(k):
        p = j + np.argmax(np.abs(lu[:, j:, j]), axis=1)
        piv[:, j] = p
        row = lu[bi, j, :].copy()
        lu[bi, j, :] = lu[bi, p, :]
        lu[bi, p, :] = row
        d = lu[:, j, j]
        d = np.where(d == 0, 1, d)  # a zero pivot (singular): column below is zero, leave it
        lu[:, j + 1 :, j] /= d[:, None]
        lu[:, j + 1 :, j + 1 :] -= lu[:, j + 1 :, j, None] * lu[:, None, j, j + 1 :]
    return lu.reshape(a.shape), piv.reshape(a.shape[:-2] + (k,))


def _perm(piv, m):
    """Row order ``perm`` with ``Pᵀ A = A[perm]`` from sequential swaps."""
    perm = np.broadcast_to(np.arange(m), piv.shape[:-1] + (m,)).copy()
    flat, pv = perm.reshape(-1, m), piv.reshape(-1, piv.shape[-1])
    bi = np.arange(flat.shape[0])
    for j in range(pv.shape[-1]):
        p = pv[:, j]
        tmp = flat[bi, j].copy()
        flat[bi, j] = flat[bi, p]
        flat[bi, p] = tmp
    return flat.reshape(perm.shape)


def _lu_square_vjp(l, u, gl, gu):
    """Gradient w.r.t. B = L U (no pivoting) of a square unit-lower L and upper U."""
    inner = np.tril(_t(l) @ np.tril(gl, -1), -1) + np.triu(gu @ _t(u))
    y = _t(np.linalg.solve(u, _t(inner)))  # inner U⁻ᵀ
    return np.linalg.solve(_t(l), y)  # L⁻ᵀ inner U⁻ᵀ


def _lu_vjp(a, lu, piv, g):
    m, n = a.shape[-2:]
    k = min(m, n)
    eye = np.eye(m, k, dtype=lu.dtype)
    l = np.tril(lu[..., :, :k], -1) + eye  # (m, k)
    u = np.triu(lu[..., :k, :])  # (k, n)
    gl = np.tril(g[..., :, :k], -1)
    gu = np.triu(g[..., :k, :])
    l1, u1 = l[..., :k, :], u[..., :, :k]
    gl1, gu1 = gl[..., :k, :], gu[..., :, :k]
    gb_extra = None
    if n > k:  # wide: U2 = L⁻¹ PᵀA2
        u2, gu2 = u[..., :, k:], g[..., :k, k:]
        lt_gu2 = np.linalg.solve(_t(l1), gu2)  # L⁻ᵀ Ū2
        gl1 = gl1 - np.tril(lt_gu2 @ _t(u2), -1)
        gb_extra = lt_gu2
    if m > k:  # tall: L2 = B2 U⁻¹
        l2, gl2 = l[..., k:, :], g[..., k:, :]
        gl2_ut = _t(np.linalg.solve(u1, _t(gl2)))  # L̄2 U⁻ᵀ
        gu1 = gu1 - np.triu(_t(l2) @ gl2_ut)
        gb_extra = gl2_ut
    gb = _lu_square_vjp(l1, u1, gl1, gu1)
    if n > k:
        gb = np.concatenate([gb, gb_extra], axis=-1)
    elif m > k:
        gb = np.concatenate([gb, gb_extra], axis=-2)
    perm = _perm(piv, m)
    ga = np.empty_like(gb)
    np.put_along_axis(ga, np.broadcast_to(perm[..., :, None], gb.shape), gb, axis=-2)
    return ga


def lu_factor(x):
    xv = x.value
    lu, piv = raw_lu_factor(xv)
    return make(lu, (x,), lambda g: (_lu_vjp(xv, lu, piv, g),)), piv


# ---- slogdet ------------------------------------------------------------------------------------
def raw_slogdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.asarray(sign, a.dtype), np.asarray(logabs, a.dtype)


def slogdet(x):
    xv = x.value
    sign, logabs = raw_slogdet(xv)

    def vjp(g):
        return (np.asarray(g)[..., None, None] * _t(np.linalg.inv(xv)),)

    return sign, make(logabs, (x,), vjp)

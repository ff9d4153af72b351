"""Op cases of the linear-algebra area: ``keras.ops.linalg`` (and ``slogdet``/``logdet``/``norm``).

References: ``np.linalg`` and ``scipy.linalg`` computed in float64 from the same inputs (so a
float32 case measures kshim's error only), and real Keras on JAX (``KERAS``) for the corners where
Keras' backends disagree and kshim follows JAX (``cholesky``/``eigh`` of a non-symmetric input use
its symmetric part, ``pinv``/``lstsq`` defaults). Decompositions with sign or order freedom
(``qr``, ``svd``, ``eigh``, ``eig``) are checked by property instead of by value: reconstruction,
orthonormality, triangularity, and the unique parts (singular values, eigenvalues) against NumPy.
Their expected value is an ``Expect`` whose ``==`` runs the check (``run_case`` compares with
``got == expected`` when ``out`` is None), also wired as ``Case.check``; dtypes are asserted inside.

Inputs are well conditioned (``randn + n·I``, ``A Aᵀ / n + I``, eigenvalues 1..n), so errors stay
at a few ulps times cond(A) ~ 10. Tolerances: float32 (2e-5, 2e-6) for the LAPACK-backed ops
(the three backends run different LAPACK builds and blockings, and a solve's error is
cond(A)·eps ≈ 1e-6 relative), SVD-based composites (pinv, lstsq, matrix norms 2/-2/nuc) float32
(5e-5, 5e-6) because the singular vectors' error scales with 1/gap(s) ≈ 3 on these inputs;
float64 (1e-10, 1e-12) as everywhere. Property checks use absolute 3e-5 (float32) / 1e-11
(float64) on O(1) entries: a reconstruction sums n ≤ 5 products of O(1) terms.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sl

from .cases import KERAS, Case, add, ints, rn

_LA = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}
_SVD = {"float32": (5e-5, 5e-6), "float64": (1e-10, 1e-12)}
_PROP = {"float32": 3e-5, "float64": 1e-11}


# ---- inputs -------------------------------------------------------------------------------------
def _mat(r, d, *shape):
    """Well-conditioned square matrices: N(0, 1) entries plus n on the diagonal."""
    n = shape[-1]
    return (r.standard_normal(shape) + n * np.eye(n)).astype(d)


def _spd(r, d, *shape):
    n = shape[-1]
    a = r.standard_normal(shape)
    return (a @ np.swapaxes(a, -1, -2) / n + np.eye(n)).astype(d)


def _chol(r, d, *shape):
    return np.linalg.cholesky(_spd(r, "float64", *shape)).astype(d)


def _real_spectrum(r, d, n, batch=()):
    """``P diag(1..n) P⁻¹`` with a well-conditioned P: real, distinct eigenvalues."""
    p = np.eye(n) + 0.3 * r.standard_normal(batch + (n, n))
    return (p @ (np.arange(1.0, n + 1)[:, None] * np.linalg.inv(p))).astype(d)


def _f64(fn):
    """Reference computed in float64 from the (possibly float32) inputs."""
    def ref(*args, **kwargs):
        args = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
        return fn(*args, **kwargs)
    return ref


def _int_ref(fn):
    """Reference for an integer input: computed in float64, the result is floatx (float32)."""
    def ref(*args, **kwargs):
        out = fn(*[a.astype(np.float64) if isinstance(a, np.ndarray) else a for a in args], **kwargs)
        if isinstance(out, tuple):
            return tuple(np.asarray(o).astype(np.float32) for o in out)
        return np.asarray(out).astype(np.float32)
    return ref


def _stack(fn):
    """A 2-D SciPy reference applied to every matrix of a batch (``rest`` arrays of rank
    >= a.ndim - 1 are batched along with ``a``)."""
    def ref(a, *rest, **kw):
        if a.ndim == 2:
            return fn(a, *rest, **kw)
        outs = [ref(a[i], *[x[i] if isinstance(x, np.ndarray) and x.ndim >= a.ndim - 1 else x for x in rest], **kw)
                for i in range(a.shape[0])]
        if isinstance(outs[0], tuple):
            return tuple(np.stack(p) for p in zip(*outs))
        return np.stack(outs)
    return ref


# ---- property checks ----------------------------------------------------------------------------
class Expect:
    """Expected value of a case whose factors are unique only up to signs/order: ``==`` runs
    ``check(got, *inputs, dtype=...)`` (raising AssertionError on a mismatch) and returns True."""

    def __init__(self, check, dtype, *inputs, **kw):
        self.check, self.dtype, self.inputs, self.kw = check, dtype, inputs, kw

    def __eq__(self, got):
        self.check(got, *self.inputs, dtype=self.dtype, **self.kw)
        return True

    __hash__ = None


def _run_check(got, expected):
    assert expected == got


def _close(a, b, dtype, what):
    t = _PROP[dtype]
    a = np.asarray(a, np.float64)
    np.testing.assert_allclose(a, np.broadcast_to(np.asarray(b, np.float64), a.shape), rtol=t, atol=t,
                               err_msg=what)


def _dtypes(got, dtype):
    for g in got:
        assert str(np.asarray(g).dtype) == dtype, f"dtype {np.asarray(g).dtype} != expected {dtype}"


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _eye(n):
    return np.eye(n)


def _check_qr(got, x, mode="reduced", dtype="float64"):
    q, r = (np.asarray(g, np.float64) for g in got)
    _dtypes(got, dtype)
    m, n = x.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    assert q.shape == x.shape[:-2] + (m, k) and r.shape == x.shape[:-2] + (k, n), (q.shape, r.shape)
    _close(q @ r, x, dtype, "q @ r != x")
    _close(_mT(q) @ q, _eye(k), dtype, "q has no orthonormal columns")
    assert np.all(np.tril(r, -1) == 0), "r is not upper triangular"


def _check_svd(got, x, full_matrices=True, dtype="float64"):
    u, s, vh = (np.asarray(g, np.float64) for g in got)
    _dtypes(got, dtype)
    m, n = x.shape[-2:]
    k = min(m, n)
    su, sv = (m, n) if full_matrices else (k, k)
    assert u.shape == x.shape[:-2] + (m, su) and vh.shape == x.shape[:-2] + (sv, n), (u.shape, vh.shape)
    _close(s, np.linalg.svd(x.astype(np.float64), compute_uv=False), dtype, "singular values")
    _close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], x, dtype, "u diag(s) vh != x")
    _close(_mT(u) @ u, _eye(su), dtype, "u is not orthogonal")
    _close(vh @ _mT(vh), _eye(sv), dtype, "vh is not orthogonal")


def _check_eigh(got, x, dtype="float64"):
    w, v = (np.asarray(g, np.float64) for g in got)
    _dtypes(got, dtype)
    xs = (x.astype(np.float64) + _mT(x.astype(np.float64))) / 2   # kshim uses the symmetric part
    _close(w, np.linalg.eigvalsh(xs), dtype, "eigenvalues (ascending)")
    _close(xs @ v, v * w[..., None, :], dtype, "x v != v diag(w)")
    _close(_mT(v) @ v, _eye(x.shape[-1]), dtype, "v is not orthogonal")


def _check_eig(got, x, dtype="float64"):
    w, v = (np.asarray(g, np.float64) for g in got)
    _dtypes(got, dtype)
    x64 = x.astype(np.float64)
    _close(np.sort(w, -1), np.sort(np.linalg.eigvals(x64).real, -1), dtype, "eigenvalues")
    _close(x64 @ v, v * w[..., None, :], dtype, "x v != v diag(w)")
    _close(np.linalg.norm(v, axis=-2), np.ones(w.shape), dtype, "eigenvectors are not unit vectors")


def _prop(name, check, make, id, **kw):
    """A property-checked case: ``make(r, d) -> inputs``; the check gets ``kw`` too."""
    def build(r, d):
        x = make(r, d)
        opts = {k: v for k, v in kw.items() if k in ("mode", "full_matrices")}
        return (x,), opts, Expect(check, d, x, **opts)
    return Case(name, build, None, id=id, out=None, check=_run_check)


# ---- cholesky / cholesky_inverse ----------------------------------------------------------------
add(Case("cholesky", lambda r, d: ((_spd(r, d, 4, 4),), {}), _f64(np.linalg.cholesky), tol=_LA),
    Case("cholesky", lambda r, d: ((_spd(r, d, 2, 3, 3),), {"upper": True}),
         _f64(lambda x, upper: _mT(np.linalg.cholesky(x))), id="cholesky-upper-batch", tol=_LA),
    Case("cholesky", lambda r, d: ((np.triu(_spd(r, d, 4, 4)) + np.tril(rn(r, d, 4, 4), -1) * 0.1,), {}),
         KERAS, id="cholesky-nonsymmetric", tol=_LA),
    Case("cholesky", lambda r, d: ((np.array([[4, 2], [2, 3]], d),), {}),
         _int_ref(np.linalg.cholesky), id="cholesky-int", dtypes=("int32",), out="float32"),
    Case("cholesky_inverse", lambda r, d: ((_chol(r, d, 4, 4),), {}),
         _f64(lambda l: np.linalg.inv(l @ _mT(l))), tol=_LA),
    Case("cholesky_inverse", lambda r, d: ((_mT(_chol(r, d, 2, 3, 3)),), {"upper": True}),
         _f64(lambda u, upper: np.linalg.inv(_mT(u) @ u)), id="cholesky_inverse-upper-batch", tol=_LA),
    Case("cholesky_inverse", lambda r, d: ((_chol(r, d, 3, 3) + np.triu(rn(r, d, 3, 3), 1),), {}),
         _f64(lambda l: np.linalg.inv(np.tril(l) @ _mT(np.tril(l)))), id="cholesky_inverse-reads-triangle",
         tol=_LA),
    )

# ---- qr / svd / eigh / eig (property checks) ----------------------------------------------------
for _shape in ((5, 3), (3, 3), (3, 5), (2, 4, 3)):
    _sid = "x".join(map(str, _shape))
    for _mode in ("reduced", "complete"):
        add(_prop("qr", _check_qr, lambda r, d, s=_shape: rn(r, d, *s), f"qr-{_mode}-{_sid}", mode=_mode))
    for _full in (True, False):
        add(_prop("svd", _check_svd, lambda r, d, s=_shape: rn(r, d, *s), f"svd-full{int(_full)}-{_sid}",
                  full_matrices=_full))
add(Case("svd", lambda r, d: ((rn(r, d, 2, 4, 3),), {"compute_uv": False}),
         _f64(lambda x, compute_uv: np.linalg.svd(x, compute_uv=False)), id="svd-values", tol=_LA),
    Case("svd", lambda r, d: ((ints(r, d, 3, 2),), {"compute_uv": False}),
         _int_ref(lambda x, compute_uv: np.linalg.svd(x, compute_uv=False)), id="svd-int", dtypes=("int32",),
         out="float32"),
    _prop("eigh", _check_eigh, lambda r, d: _spd(r, d, 2, 4, 4), "eigh-batch"),
    _prop("eigh", _check_eigh, lambda r, d: rn(r, d, 4, 4), "eigh-nonsymmetric-uses-symmetric-part"),
    _prop("eigh", _check_eigh, lambda r, d: _spd(r, d, 5, 5), "eigh-5x5"),
    _prop("eig", _check_eig, lambda r, d: _real_spectrum(r, d, 4), "eig"),
    _prop("eig", _check_eig, lambda r, d: _real_spectrum(r, d, 3, (2,)), "eig-batch"),
    _prop("eig", _check_eig, lambda r, d: np.triu(rn(r, d, 4, 4)) + np.diag(np.arange(4.0)).astype(d),
          "eig-triangular"),
    )

# ---- lu_factor ----------------------------------------------------------------------------------
for _shape in ((4, 4), (2, 3, 3), (3, 5), (5, 3)):
    add(Case("lu_factor", lambda r, d, s=_shape: ((rn(r, d, *s),), {}),
             _stack(lambda a: sl.lu_factor(a.astype(np.float64))), id="lu_factor-" + "x".join(map(str, _shape)),
             out=("same", "int32"), tol=_LA))

# ---- solves and inverses ------------------------------------------------------------------------
def _solve_vec(a, b):
    return np.linalg.solve(a, b[..., None])[..., 0]


add(Case("solve", lambda r, d: ((_mat(r, d, 4, 4), rn(r, d, 4, 2)), {}), _f64(np.linalg.solve), tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, d, 4, 4), rn(r, d, 4)), {}), _f64(_solve_vec), id="solve-vector", tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, d, 2, 3, 3), rn(r, d, 2, 3)), {}), _f64(_solve_vec),
         id="solve-batched-vectors", tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, d, 2, 3, 3), rn(r, d, 3, 2)), {}),
         _f64(lambda a, b: np.linalg.solve(a, np.broadcast_to(b, (2, 3, 2)))), id="solve-broadcast-b", tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, d, 3, 3), rn(r, d, 4, 3, 1)), {}),
         _f64(lambda a, b: np.linalg.solve(np.broadcast_to(a, (4, 3, 3)), b)), id="solve-broadcast-a", tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, d, 3, 3), rn(r, d, 3, 2)), {}), KERAS, id="solve-keras", tol=_LA),
    Case("solve", lambda r, d: ((_mat(r, "float32", 3, 3), rn(r, "float64", 3)), {}), _f64(_solve_vec),
         id="solve-promotes", dtypes=("float64",), tol=_LA),
    Case("solve", lambda r, d: ((np.array([[3, 1], [1, 2]], d), np.array([9, 8], d)), {}),
         _int_ref(np.linalg.solve), id="solve-int", dtypes=("int32",), out="float32"),
    Case("solve_triangular", lambda r, d: ((_mat(r, d, 4, 4), rn(r, d, 4, 2)), {"lower": True}),
         _f64(lambda a, b, lower: sl.solve_triangular(a, b, lower=True)), tol=_LA),
    Case("solve_triangular", lambda r, d: ((_mat(r, d, 4, 4), rn(r, d, 4)), {}),
         _f64(lambda a, b: sl.solve_triangular(a, b)), id="solve_triangular-upper-vector", tol=_LA),
    Case("solve_triangular", lambda r, d: ((_mat(r, d, 2, 3, 3), rn(r, d, 2, 3, 2)), {"lower": True}),
         _f64(_stack(lambda a, b, lower: sl.solve_triangular(a, b, lower=True))), id="solve_triangular-batch",
         tol=_LA),
    Case("solve_triangular", lambda r, d: ((_mat(r, d, 2, 3, 3), rn(r, d, 2, 3)), {}),
         _f64(_stack(lambda a, b: sl.solve_triangular(a, b))), id="solve_triangular-batched-vectors", tol=_LA),
    Case("solve_triangular", lambda r, d: ((_mat(r, d, 3, 3), rn(r, d, 3, 2)), {"lower": True}), KERAS,
         id="solve_triangular-keras", tol=_LA),
    Case("inv", lambda r, d: ((_mat(r, d, 4, 4),), {}), _f64(np.linalg.inv), tol=_LA),
    Case("inv", lambda r, d: ((_mat(r, d, 2, 3, 3),), {}), _f64(np.linalg.inv), id="inv-batch", tol=_LA),
    Case("inv", lambda r, d: ((np.array([[2, 1], [1, 3]], d),), {}), _int_ref(np.linalg.inv), id="inv-int",
         dtypes=("int32", "int64"), out="float32"),
    )

# ---- pseudo-inverse, least squares, rank --------------------------------------------------------
def _rank2(r, d, m, n):
    return (r.standard_normal((m, 2)) @ r.standard_normal((2, n))).astype(d)


add(Case("pinv", lambda r, d: ((rn(r, d, 5, 3),), {}), _f64(np.linalg.pinv), tol=_SVD),
    Case("pinv", lambda r, d: ((rn(r, d, 2, 3, 4),), {}), _f64(np.linalg.pinv), id="pinv-batch-wide", tol=_SVD),
    Case("pinv", lambda r, d: ((_rank2(r, d, 4, 4),), {"rcond": 1e-4}),
         _f64(lambda x, rcond: np.linalg.pinv(x, rcond=rcond)), id="pinv-rank-deficient", tol=_SVD),
    Case("pinv", lambda r, d: ((rn(r, d, 4, 3),), {}), KERAS, id="pinv-keras", tol=_SVD),
    Case("lstsq", lambda r, d: ((rn(r, d, 5, 3), rn(r, d, 5, 2)), {}),
         _f64(lambda a, b: np.linalg.lstsq(a, b)[0]), tol=_SVD),
    Case("lstsq", lambda r, d: ((rn(r, d, 3, 5), rn(r, d, 3)), {}),
         _f64(lambda a, b: np.linalg.lstsq(a, b)[0]), id="lstsq-underdetermined-vector", tol=_SVD),
    Case("lstsq", lambda r, d: ((_rank2(r, d, 4, 4), rn(r, d, 4)), {"rcond": 1e-4}),
         _f64(lambda a, b, rcond: np.linalg.lstsq(a, b, rcond=rcond)[0]), id="lstsq-rank-deficient", tol=_SVD),
    Case("lstsq", lambda r, d: ((rn(r, d, 5, 3), rn(r, d, 5)), {}), KERAS, id="lstsq-keras", tol=_SVD),
    Case("matrix_rank", lambda r, d: ((np.stack([_rank2(r, d, 4, 5), rn(r, d, 4, 5)]),), {}),
         lambda x: np.linalg.matrix_rank(x).astype(np.int32), out="int32"),
    Case("matrix_rank", lambda r, d: ((np.diag(np.array([1.0, 1e-3, 1e-7], d)),), {"tol": 1e-5}),
         lambda x, tol: np.asarray(np.linalg.matrix_rank(x, tol=tol), np.int32), id="matrix_rank-tol", out="int32"),
    Case("matrix_rank", lambda r, d: ((np.zeros((3, 3), d),), {}), KERAS, id="matrix_rank-zero", out="int32"),
    )

# ---- determinants -------------------------------------------------------------------------------
add(Case("det", lambda r, d: ((rn(r, d, 4, 4),), {}), _f64(np.linalg.det), tol=_LA),
    Case("det", lambda r, d: ((rn(r, d, 2, 3, 3),), {}), _f64(np.linalg.det), id="det-batch", tol=_LA),
    Case("det", lambda r, d: ((np.ones((3, 3), d),), {}), _f64(np.linalg.det), id="det-singular"),
    Case("det", lambda r, d: ((np.array([[2, 1], [1, 3]], d),), {}), _int_ref(np.linalg.det), id="det-int",
         dtypes=("int32",), out="float32"),
    Case("slogdet", lambda r, d: ((rn(r, d, 2, 4, 4),), {}), _f64(lambda x: tuple(np.linalg.slogdet(x))), tol=_LA),
    Case("slogdet", lambda r, d: ((np.ones((3, 3), d),), {}), _f64(lambda x: tuple(np.linalg.slogdet(x))),
         id="slogdet-singular"),
    Case("logdet", lambda r, d: ((_spd(r, d, 2, 4, 4),), {}), _f64(lambda x: np.linalg.slogdet(x)[1]), tol=_LA),
    Case("logdet", lambda r, d: ((np.array([[0.0, 2.0], [1.0, 0.0]], d),), {}), KERAS, id="logdet-negative-det"),
    )

# ---- norm: every ord, vector and matrix, axis order and keepdims -------------------------------
_NORM = lambda x, **k: np.linalg.norm(x, **k)  # noqa: E731
for _o in (None, 2, 1, -1, -2, np.inf, -np.inf, 0, 3, 0.5):
    add(Case("norm", lambda r, d, o=_o: ((rn(r, d, 3, 4),), {"ord": o, "axis": 1}), _f64(_NORM),
             id=f"norm-vector-{_o}"),
        Case("norm", lambda r, d, o=_o: ((rn(r, d, 2, 3, 4),), {"ord": o, "axis": 0, "keepdims": True}), _f64(_NORM),
             id=f"norm-vector-{_o}-keepdims"))
for _o in (None, "fro", "nuc", np.inf, -np.inf, 1, -1, 2, -2):
    _tol = _SVD if _o in ("nuc", 2, -2) else None
    add(Case("norm", lambda r, d, o=_o: ((rn(r, d, 4, 3),), {"ord": o}), _f64(_NORM), id=f"norm-matrix-{_o}",
             tol=_tol),
        Case("norm", lambda r, d, o=_o: ((rn(r, d, 3, 2, 4),), {"ord": o, "axis": (2, 0)}), _f64(_NORM),
             id=f"norm-matrix-{_o}-axes20", tol=_tol),
        Case("norm", lambda r, d, o=_o: ((rn(r, d, 3, 2, 4),), {"ord": o, "axis": (-1, 1), "keepdims": True}),
             _f64(_NORM), id=f"norm-matrix-{_o}-keepdims", tol=_tol))
add(Case("norm", lambda r, d: ((rn(r, d, 2, 3, 4),), {"keepdims": True}), _f64(_NORM), id="norm-all-keepdims"),
    Case("norm", lambda r, d: ((ints(r, d, 3, 4),), {"ord": 1, "axis": 0}), _int_ref(_NORM), id="norm-int",
         dtypes=("int32",), out="float32"),
    # Keras computes float64 norms in float32 (its promotion of float64 with a Python float); kshim
    # keeps float64, so the oracle comparison is float32 only.
    Case("norm", lambda r, d: ((rn(r, d, 3, 4),), {"ord": -np.inf, "axis": (1, 0)}), KERAS,
         id="norm-keras-matrix-neginf", dtypes=("float32",)),
    Case("norm", lambda r, d: ((rn(r, d, 3, 4),), {"ord": "nuc"}), KERAS, id="norm-keras-nuc", dtypes=("float32",),
         tol=_SVD),
    Case("norm", lambda r, d: ((rn(r, d, 3, 4),), {"ord": 0.5, "axis": -1, "keepdims": True}), KERAS,
         id="norm-keras-vector-p", dtypes=("float32",)),
    )

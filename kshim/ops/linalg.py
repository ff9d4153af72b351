"""``keras.ops.linalg``: decompositions, solves, inverses, determinants and norms (also in ``kshim.ops``).

Decompositions and solves are backend primitives (``cholesky``, ``qr``, ``svd``, ``eigh``, ``eig``,
``solve``, ``solve_triangular``, ``lu_factor``, ``slogdet``; see ``backends/_protocol.py``); every
other op here is a composite over them, written once. Matrices are the last two axes of a tensor;
leading axes are batch axes.

Dtypes (as Keras on JAX): integer and bool inputs compute in ``floatx()``; float16/bfloat16
compute in float32 (LAPACK has no half precision) and the results are cast back; otherwise the
result has the input dtype (for two operands, their promoted dtype).

Deliberate choices where Keras' backends disagree (documented per op): ``cholesky`` and ``eigh``
use the symmetric part ``(x + xᵀ) / 2`` of their input (Keras on JAX; torch and NumPy read the lower
triangle; the same for symmetric input); ``solve``/``solve_triangular`` treat ``b`` as a batch of
vectors when ``b.ndim == 1`` or ``b.shape == a.shape[:-1]`` (Keras on torch; JAX refuses the
batched form); ``logdet`` is ``log|det|`` (Keras on JAX); ``pinv``/``lstsq``/``matrix_rank`` use
JAX's default cut-offs; ``eig`` supports matrices with a real spectrum only (kshim has no complex
dtype). ``jvp`` (the 16th ``keras.ops.linalg`` name) is written with the function transforms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import dtypes as _dt
from .._validation import MAX_PROBE_ELEMENTS, _OP_LIMIT
from ..backend import current
from ._dispatch import constant, op, promote, tensor
from .numpy_linalg import norm  # noqa: F401  (keras.ops.linalg.norm)

_LAPACK = ("float32", "float64")


# ---- helpers --------------------------------------------------------------------------------------
def _compute_dtype(d: str) -> tuple[str, str]:
    """(dtype the primitives run in, dtype of the result) for an input dtype."""
    out = d if _dt.is_float(d) else _dt.config.floatx()
    return (out if out in _LAPACK else "float32"), out


def _floats(*xs: Any) -> tuple[list, str]:
    """Operands promoted to one dtype and cast to the compute dtype; also the result dtype."""
    b = current()
    ts = promote(*xs) if len(xs) > 1 else [tensor(xs[0])]
    comp, out = _compute_dtype(b.dtype(ts[0]))
    return [t if b.dtype(t) == comp else b.cast(t, comp) for t in ts], out


def _back(x: Any, dtype: str) -> Any:
    """Cast a result (or a tuple of results) to the result dtype; integer tensors stay."""
    b = current()
    if isinstance(x, tuple):
        return tuple(_back(e, dtype) for e in x)
    d = b.dtype(x)
    return b.cast(x, dtype) if _dt.is_float(d) and d != dtype else x


def _shape(x: Any) -> tuple:
    return tuple(current().shape(x))


def _check_matrix(name: str, shape: tuple, square: bool = False, arg: str = "x") -> None:
    if len(shape) < 2:
        raise ValueError(
            f"{name}: expected `{arg}` to have rank >= 2 (a matrix of shape (..., M, N)); "
            f"received input with shape {shape}. Reshape a vector to (1, N) or (N, 1)."
        )
    if square and shape[-1] != shape[-2]:
        raise ValueError(
            f"{name}: expected a square matrix of shape (..., M, M); received non-square input with shape {shape}."
        )


def _mT(x: Any) -> Any:
    """Transpose of the last two axes."""
    b = current()
    n = len(b.shape(x))
    return b.transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _sym(x: Any) -> Any:
    b = current()
    return b.multiply(b.add(x, _mT(x)), constant(b, 0.5, b.dtype(x)))


def _eye_like(x: Any) -> Any:
    b = current()
    shp = b.shape(x)
    return b.broadcast_to(b.eye(shp[-1], shp[-1], 0, b.dtype(x)), tuple(shp))


def _probing() -> bool:
    """True while a functional model infers output shapes by running ops on zero arrays."""
    return _OP_LIMIT.get()[0] == MAX_PROBE_ELEMENTS


def _guarded(fn: Any, shape: tuple, dtype: str, *args: Any) -> Any:
    """``fn(*args)``; while probing shapes on zero arrays (singular, not positive definite) a
    numerical failure gives zeros of ``shape`` instead, since only the shape is wanted."""
    try:
        return fn(*args)
    except ValueError:
        if _probing():
            return current().zeros(shape, dtype)
        raise


def _eps(dtype: str) -> float:
    return float(np.finfo(dtype).eps)


def _rhs(name: str, a: Any, bb: Any) -> tuple[Any, Any, bool]:
    """Shape logic of ``solve``/``solve_triangular``: (a, b) broadcast to one batch shape with ``b``
    as (..., M, K), and whether ``b`` was a (batch of) vector(s)."""
    b = current()
    sa, sb = _shape(a), _shape(bb)
    _check_matrix(name, sa, square=True, arg="a")
    if len(sb) < 1:
        raise ValueError(
            f"{name}: expected `b` to have rank >= 1; received a scalar. `b` has shape (..., M) or (..., M, K)."
        )
    vector = len(sb) == 1 or (len(sb) == len(sa) - 1 and sb == sa[:-1])
    if vector:
        bb = b.reshape(bb, sb + (1,))
        sb = sb + (1,)
    m = sa[-1]
    if sb[-2] != m:
        what = "length" if vector else "number of rows"
        raise ValueError(
            f"{name}: incompatible shapes between `a` {sa} and `b` {_shape(bb)[:-1] if vector else sb}: "
            f"the {what} of `b` ({sb[-2]}) must equal a.shape[-1] ({m})."
        )
    try:
        batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    except ValueError:
        raise ValueError(f"{name}: the batch dimensions of `a` {sa} and `b` {sb} do not broadcast.") from None
    if sa[:-2] != batch:
        a = b.broadcast_to(a, batch + sa[-2:])
    if sb[:-2] != batch:
        bb = b.broadcast_to(bb, batch + sb[-2:])
    return a, bb, vector


def _unvector(x: Any, vector: bool) -> Any:
    if not vector:
        return x
    b = current()
    return b.reshape(x, tuple(b.shape(x)[:-1]))


# ---- factorizations -------------------------------------------------------------------------------
@op
def cholesky(x: Any, upper: bool = False) -> Any:
    """Cholesky factor of a symmetric positive-definite matrix.

    Uses the symmetric part ``(x + xᵀ) / 2`` of ``x`` (as Keras on JAX; for a symmetric input this
    is the matrix itself), so gradients are symmetric.

    Args:
        x: Tensor of shape ``(..., M, M)``.
        upper: If True return the upper-triangular factor ``U`` (``x = Uᵀ U``), else the lower one
            ``L`` (``x = L Lᵀ``).

    Returns:
        A tensor of shape ``(..., M, M)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices, or is not positive definite.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("cholesky", _shape(t), square=True)
    out = _guarded(b.cholesky, _shape(t), b.dtype(t), _sym(t))
    return _back(_mT(out) if upper else out, d)


@op
def cholesky_inverse(x: Any, upper: bool = False) -> Any:
    """Inverse of a symmetric positive-definite matrix from its Cholesky factor.

    As in Keras, ``x`` is the *factor* (``L`` with ``A = L Lᵀ``, or ``U`` with ``A = Uᵀ U`` when
    ``upper``); the result is ``A⁻¹``. Only the factor's triangle is read.

    Args:
        x: Triangular tensor of shape ``(..., M, M)``.
        upper: Whether ``x`` is the upper factor.

    Returns:
        A tensor of shape ``(..., M, M)``: the inverse of ``x xᵀ`` (or ``xᵀ x`` when ``upper``).

    Raises:
        ValueError: If ``x`` is not a batch of square matrices.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("cholesky_inverse", _shape(t), square=True)
    finv = b.solve_triangular(t, _eye_like(t), not upper)
    out = b.matmul(finv, _mT(finv)) if upper else b.matmul(_mT(finv), finv)
    return _back(out, d)


@op
def qr(x: Any, mode: str = "reduced") -> Any:
    """QR decomposition ``x = q r`` (Householder; signs as LAPACK's geqrf).

    Args:
        x: Tensor of shape ``(..., M, N)``.
        mode: ``"reduced"``: ``q`` is ``(..., M, K)`` and ``r`` is ``(..., K, N)`` with
            ``K = min(M, N)``; ``"complete"``: ``q`` is ``(..., M, M)`` and ``r`` ``(..., M, N)``.

    Returns:
        The tuple ``(q, r)``: ``q`` with orthonormal columns, ``r`` upper triangular.

    Raises:
        ValueError: For an unknown ``mode`` or an input of rank < 2.
    """
    if mode not in ("reduced", "complete"):
        raise ValueError(
            f"`mode` argument value not supported. Expected one of {{'reduced', 'complete'}}. Received: mode={mode!r}"
        )
    b = current()
    (t,), d = _floats(x)
    _check_matrix("qr", _shape(t))
    return _back(tuple(b.qr(t, mode == "complete")), d)


@op
def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``x = u @ diag(s) @ vh``.

    Args:
        x: Tensor of shape ``(..., M, N)``.
        full_matrices: If True ``u`` is ``(..., M, M)`` and ``vh`` ``(..., N, N)``; else
            ``(..., M, K)`` and ``(..., K, N)`` with ``K = min(M, N)``.
        compute_uv: If False return only the singular values.

    Returns:
        ``(u, s, vh)`` with ``s`` of shape ``(..., K)`` in descending order, or ``s`` alone.

    Raises:
        ValueError: If ``x`` has rank < 2.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("svd", _shape(t))
    out = b.svd(t, bool(full_matrices), bool(compute_uv))
    return _back(tuple(out) if compute_uv else out, d)


@op
def eigh(x: Any) -> Any:
    """Eigenvalues and eigenvectors of a symmetric matrix.

    Uses the symmetric part ``(x + xᵀ) / 2`` (as Keras on JAX; torch and NumPy read the lower
    triangle, which is the same for a symmetric input).

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        ``(w, v)``: eigenvalues ``(..., M)`` in ascending order and unit eigenvectors as the
        columns of ``v`` ``(..., M, M)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("eigh", _shape(t), square=True)
    return _back(tuple(b.eigh(_sym(t))), d)


@op
def eig(x: Any) -> Any:
    """Eigenvalues and right eigenvectors of a square matrix with a real spectrum.

    kshim differs from Keras here: Keras returns complex tensors; kshim has no complex dtype, so it
    returns real tensors of the input's float dtype and supports only matrices whose eigenvalues
    are all real (symmetric, triangular, diagonalizable with real spectrum, ...). Values and order
    are LAPACK geev's, as in Keras; eigenvectors have unit norm.

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        ``(w, v)``: eigenvalues ``(..., M)`` and eigenvectors as the columns of ``v`` ``(..., M, M)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices, or has a complex eigenvalue
            (under JAX tracing, where values are unknown, those entries are NaN instead).
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("eig", _shape(t), square=True)
    return _back(tuple(b.eig(t)), d)


@op
def lu_factor(x: Any) -> Any:
    """LU decomposition with partial pivoting, in LAPACK's packed form.

    Args:
        x: Tensor of shape ``(..., M, N)``.

    Returns:
        ``(lu, pivots)``: ``lu`` ``(..., M, N)`` holds ``U`` in its upper triangle and the unit
        lower-triangular ``L`` below the diagonal; ``pivots`` ``(..., min(M, N))`` int32, 0-based:
        row ``i`` was swapped with row ``pivots[i]``.

    Raises:
        ValueError: If ``x`` has rank < 2.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("lu_factor", _shape(t))
    lu, piv = b.lu_factor(t)
    return _back(lu, d), piv


# ---- solves and inverses --------------------------------------------------------------------------
@op
def solve(a: Any, b: Any) -> Any:
    """Solve the linear system ``a @ x = b``.

    ``b`` is a (batch of) vector(s) when it is 1-D or has shape ``a.shape[:-1]`` (as torch), else
    a (batch of) matrices ``(..., M, K)``; batch dimensions broadcast.

    Args:
        a: Coefficient matrices of shape ``(..., M, M)``.
        b: Right-hand side of shape ``(..., M)`` or ``(..., M, K)``.

    Returns:
        The solution, of ``b``'s shape (with broadcast batch dimensions).

    Raises:
        ValueError: For non-square ``a``, mismatched shapes, or a singular ``a`` (NumPy, torch and
            eager JAX; traced JAX gives inf/NaN).
    """
    bk = current()
    (ta, tb), d = _floats(a, b)
    ta, tb, vector = _rhs("solve", ta, tb)
    out = _guarded(bk.solve, _shape(tb), bk.dtype(tb), ta, tb)
    return _back(_unvector(out, vector), d)


@op
def solve_triangular(a: Any, b: Any, lower: bool = False) -> Any:
    """Solve ``a @ x = b`` for triangular ``a`` (only its triangle is read).

    Args:
        a: Triangular matrices of shape ``(..., M, M)``.
        b: Right-hand side of shape ``(..., M)`` or ``(..., M, K)`` (see ``solve``).
        lower: Use the lower triangle of ``a`` (else the upper one).

    Returns:
        The solution, of ``b``'s shape. A zero on the diagonal gives inf/NaN (as LAPACK).

    Raises:
        ValueError: For non-square ``a`` or mismatched shapes.
    """
    bk = current()
    (ta, tb), d = _floats(a, b)
    ta, tb, vector = _rhs("solve_triangular", ta, tb)
    return _back(_unvector(bk.solve_triangular(ta, tb, bool(lower)), vector), d)


@op
def inv(x: Any) -> Any:
    """Inverse of square matrices (a solve against the identity).

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        A tensor of shape ``(..., M, M)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices, or is singular (NumPy, torch and
            eager JAX; traced JAX gives inf/NaN).
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("inv", _shape(t), square=True)
    return _back(_guarded(b.solve, _shape(t), b.dtype(t), t, _eye_like(t)), d)


def _cutoff_mask(s: Any, ratio: Any) -> Any:
    """``s > ratio * max(s)`` per matrix (``s`` descending, shape (..., K))."""
    b = current()
    smax = b.getitem(s, (Ellipsis, slice(0, 1)))
    r = _scalar_or_batch(ratio, b.dtype(s))
    return b.greater(s, b.multiply(r, smax))


def _scalar_or_batch(v: Any, dtype: str) -> Any:
    """A threshold as a tensor of ``dtype``: a scalar, or per matrix (shape (...,) -> (..., 1))."""
    b = current()
    if isinstance(v, (int, float)):
        return constant(b, float(v), dtype)
    t = tensor(v, dtype)
    return b.reshape(t, tuple(b.shape(t)) + (1,)) if b.shape(t) else t


def _safe_reciprocal(s: Any, keep: Any) -> Any:
    b = current()
    one = b.ones((), b.dtype(s))
    zero = b.zeros((), b.dtype(s))
    return b.where(keep, b.reciprocal(b.where(keep, s, one)), zero)


@op
def pinv(x: Any, rcond: Any = None) -> Any:
    """Moore-Penrose pseudo-inverse, through the SVD.

    Args:
        x: Tensor of shape ``(..., M, N)``.
        rcond: Singular values ``<= rcond * largest`` are treated as zero. Default (None): JAX's
            ``10 * max(M, N) * eps`` (Keras' default is backend-dependent).

    Returns:
        A tensor of shape ``(..., N, M)``.

    Raises:
        ValueError: If ``x`` has rank < 2.
    """
    b = current()
    (t,), d = _floats(x)
    shp = _shape(t)
    _check_matrix("pinv", shp)
    if rcond is None:
        rcond = 10.0 * max(shp[-2:]) * _eps(b.dtype(t))
    u, s, vh = b.svd(t, False, True)
    sinv = _safe_reciprocal(s, _cutoff_mask(s, rcond))
    out = b.matmul(_mT(vh), b.multiply(b.reshape(sinv, tuple(b.shape(sinv)) + (1,)), _mT(u)))
    return _back(out, d)


@op
def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """Least-squares solution of ``a @ x = b`` (minimum-norm when ``a`` is rank deficient).

    Args:
        a: Matrix of shape ``(M, N)``.
        b: Right-hand side of shape ``(M,)`` or ``(M, K)``.
        rcond: Singular values ``< rcond * largest`` are treated as zero; None means
            ``eps * max(M, N)`` and a negative value means ``eps`` (as NumPy and JAX).

    Returns:
        The solution, of shape ``(N,)`` or ``(N, K)``.

    Raises:
        ValueError: If ``a`` is not 2-D, ``b`` not 1-D or 2-D, or ``b.shape[0] != a.shape[0]``.
    """
    bk = current()
    (ta, tb), d = _floats(a, b)
    sa, sb = _shape(ta), _shape(tb)
    if len(sa) != 2:
        raise ValueError(f"lstsq: expected `a` to have rank 2 (batches are not supported); received a.shape={sa}.")
    if len(sb) not in (1, 2):
        raise ValueError(f"lstsq: expected `b` to have rank 1 or 2; received b.shape={sb}.")
    if sb[0] != sa[0]:
        raise ValueError(f"lstsq: expected b.shape[0] to equal a.shape[0]; received a.shape={sa}, b.shape={sb}.")
    m, n = sa
    dt = bk.dtype(ta)
    if m == 0 or n == 0:
        return _back(bk.zeros((n,) + sb[1:], dt), d)
    eps = _eps(dt)
    if rcond is None:
        rcond = eps * max(m, n)
    elif not bk.is_tensor(rcond) and np.ndim(rcond) == 0 and float(rcond) < 0:
        rcond = eps
    rhs = tb if len(sb) == 2 else bk.reshape(tb, (m, 1))
    u, s, vh = bk.svd(ta, False, True)
    smax = bk.getitem(s, (slice(0, 1),))
    r = _scalar_or_batch(rcond, dt)
    keep = bk.logical_and(bk.greater(s, bk.zeros((), dt)), bk.greater_equal(s, bk.multiply(r, smax)))
    sinv = bk.reshape(_safe_reciprocal(s, keep), (bk.shape(s)[0], 1))
    out = bk.matmul(_mT(vh), bk.multiply(sinv, bk.matmul(_mT(u), rhs)))
    if len(sb) == 1:
        out = bk.reshape(out, (n,))
    return _back(out, d)


@op
def matrix_rank(x: Any, tol: Any = None) -> Any:
    """Rank of matrices: the number of singular values above ``tol``.

    Args:
        x: Tensor of shape ``(..., M, N)``.
        tol: Absolute threshold. Default (None): ``max(s) * max(M, N) * eps`` (NumPy and JAX).

    Returns:
        An int32 tensor of shape ``(...,)``.

    Raises:
        ValueError: If ``x`` has rank < 2.
    """
    b = current()
    (t,), _ = _floats(x)
    shp = _shape(t)
    _check_matrix("matrix_rank", shp)
    dt = b.dtype(t)
    s = b.svd(t, False, False)
    if tol is None:
        keep = _cutoff_mask(s, max(shp[-2:]) * _eps(dt)) if shp[-1] and shp[-2] else b.greater(s, s)
    else:
        keep = b.greater(s, _scalar_or_batch(tol, dt))
    nd = len(b.shape(s))
    return b.sum(b.cast(keep, "int32"), (nd - 1,), False)


# ---- determinants -------------------------------------------------------------------------------
@op
def slogdet(x: Any) -> Any:
    """Sign and natural log of the absolute value of the determinant.

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        ``(sign, logabsdet)``, each of shape ``(...,)``: sign is 1, -1 or 0 (then logabsdet is
        -inf).

        kshim differs from Keras here on purpose: on a batched symbolic input Keras' output spec
        gives ``sign`` the shape ``()`` while its eager result (like kshim's, symbolic or eager)
        has the batch shape ``(...,)``; kshim's symbolic shapes match what the op returns.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("slogdet", _shape(t), square=True)
    return _back(tuple(b.slogdet(t)), d)


@op
def det(x: Any) -> Any:
    """Determinant of square matrices (``sign * exp(logabsdet)`` of ``slogdet``).

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        A tensor of shape ``(...,)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("det", _shape(t), square=True)
    sign, logabs = b.slogdet(t)
    return _back(b.multiply(sign, b.exp(logabs)), d)


@op
def logdet(x: Any) -> Any:
    """Natural log of the determinant of (symmetric positive-definite) matrices.

    Returns ``log|det(x)|`` as Keras on JAX (Keras on torch gives NaN for a negative determinant).

    Args:
        x: Tensor of shape ``(..., M, M)``.

    Returns:
        A tensor of shape ``(...,)``.

    Raises:
        ValueError: If ``x`` is not a batch of square matrices.
    """
    b = current()
    (t,), d = _floats(x)
    _check_matrix("logdet", _shape(t), square=True)
    return _back(b.slogdet(t)[1], d)


# ``jvp`` (keras.ops.linalg.jvp) lives with the function transforms; re-exported for the namespace.
from .nn_extra_transforms import jvp  # noqa: E402,F401

# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]
    __all__ += ["norm", "jvp"]  # re-exported: keras.ops.linalg has them

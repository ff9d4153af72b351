"""Cross-backend cases of the linear-algebra ops (``kshim.ops.linalg``); inputs made well conditioned."""

from __future__ import annotations

from .ops import F, R, op


def _spd(o, x):
    return o.add(o.matmul(x, o.swapaxes(x, -1, -2)), o.multiply(o.eye(x.shape[-1], dtype=x.dtype), 3.0))


def _wc(o, x):
    return o.add(x, o.multiply(o.eye(x.shape[-1], dtype=x.dtype), 4.0))


op("cholesky", F((2, 3, 3)), fn=lambda o, x: o.cholesky(_spd(o, x)), tol=R)
op("cholesky_inverse", F((2, 3, 3)), fn=lambda o, x: o.cholesky_inverse(o.cholesky(_spd(o, x))), tol=R)
op("inv", F((2, 3, 3)), fn=lambda o, x: o.inv(_wc(o, x)), tol=R)
op("det", F((2, 3, 3)), tol=R)
op("slogdet", F((2, 3, 3)), fn=lambda o, x: o.slogdet(_wc(o, x))[1], tol=R)
op("logdet", F((2, 3, 3)), fn=lambda o, x: o.logdet(_spd(o, x)), tol=R)
op("solve", F((2, 3, 3)), F((2, 3, 2)), fn=lambda o, a, b: o.solve(_wc(o, a), b), tol=R)
op(
    "solve_triangular",
    F((2, 3, 3)),
    F((2, 3, 2)),
    fn=lambda o, a, b: o.solve_triangular(_wc(o, a), b, lower=True),
    tol=R,
)
op("qr", F((4, 3)), fn=lambda o, x: tuple(o.square(t) for t in o.qr(x)), tol=R)  # squares: sign freedom
op("svd", F((4, 3)), fn=lambda o, x: o.svd(x, compute_uv=False), tol=R)
op("eigh", F((2, 3, 3)), fn=lambda o, x: (o.eigh(_spd(o, x))[0], o.square(o.eigh(_spd(o, x))[1])), tol=R)
op(
    "eig",
    F((3, 3)),
    fn=lambda o, x: o.eig(o.add(o.triu(x), o.multiply(o.eye(3, dtype=x.dtype), o.arange(3.0) * 3)))[0],
    tol=R,
)
op("lu_factor", F((2, 3, 3)), fn=lambda o, x: o.lu_factor(_wc(o, x)), tol=R)
op("pinv", F((4, 3)), tol=R)
op("lstsq", F((4, 3)), F((4, 2)), tol=R)
op("matrix_rank", F((2, 4, 3)), grad=False)

"""``corrcoef``, ``correlate``, ``cdist`` and ``trapezoid`` (``keras.ops`` NumPy/math namespace).

Differentiable composites: ``correlate`` runs on the backend's 1-D convolution primitive, the
others on elementwise ops, reductions and matmul. Integer inputs are computed in ``floatx``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import norm_axis, op, promote


def _float_tensors(*xs: Any) -> list:
    """Promote to one dtype; integer/bool results become ``floatx``."""
    ts = promote(*xs)
    if not _dt.is_float(current().dtype(ts[0])):
        ts = promote(*ts, dtype=_dt.config.floatx())
    return ts


@op
def corrcoef(x: Any) -> Any:
    """Pearson correlation coefficients between the rows (variables) of ``x``.

    Args:
        x: 1-D or 2-D tensor; each row is a variable, each column an observation.

    Returns:
        ``(rows, rows)`` matrix of coefficients clipped to ``[-1, 1]`` (a 0-d ``1.0`` for 1-D
        input); integer inputs give ``floatx``.

    Raises:
        ValueError: for a tensor of rank other than 1 or 2.
    """
    b = current()
    (x,) = _float_tensors(x)
    nd = len(b.shape(x))
    if nd not in (1, 2):
        raise ValueError(f"corrcoef: x must be 1-D or 2-D; got shape {tuple(b.shape(x))}.")
    v = b.reshape(x, (1, b.shape(x)[0])) if nd == 1 else x
    d = b.dtype(v)
    n = b.shape(v)[1]
    xc = b.subtract(v, b.divide(b.sum(v, (1,), True), b.full((), float(n), d)))
    cov = b.divide(b.matmul(xc, b.transpose(xc, (1, 0))), b.full((), float(n - 1), d))
    sd = b.sqrt(b.einsum("ii->i", cov))
    r = b.shape(sd)[0]
    c = b.divide(b.divide(cov, b.reshape(sd, (r, 1))), b.reshape(sd, (1, r)))
    c = b.minimum(b.maximum(c, b.full((), -1.0, d)), b.ones((), d))
    return b.reshape(c, ()) if nd == 1 else c


@op
def correlate(x1: Any, x2: Any, mode: str = "valid") -> Any:
    """Cross-correlation of two 1-D sequences: ``c[k] = sum_n x1[n + k] * x2[n]`` (NumPy's).

    Args:
        x1: First 1-D tensor.
        x2: Second 1-D tensor.
        mode: ``"valid"`` (length ``max(M, N) - min(M, N) + 1``), ``"same"`` (length
            ``max(M, N)``) or ``"full"`` (length ``M + N - 1``).

    Returns:
        1-D tensor; integer inputs give ``floatx``.

    Raises:
        ValueError: for an unknown ``mode``, inputs that are not 1-D, or an empty input.
    """
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"correlate: mode must be one of ['full', 'same', 'valid']; got mode={mode!r}.")
    b = current()
    a, v = _float_tensors(x1, x2)
    if len(b.shape(a)) != 1 or len(b.shape(v)) != 1:
        raise ValueError(f"correlate: x1 and x2 must be 1-D; got shapes {tuple(b.shape(a))} and {tuple(b.shape(v))}.")
    m, n = b.shape(a)[0], b.shape(v)[0]
    if m == 0 or n == 0:
        raise ValueError("correlate: x1 and x2 must not be empty.")
    swap = n > m
    if swap:  # NumPy: correlate(a, v) = correlate(v, a)[::-1]
        a, v, m, n = v, a, n, m
    full = b.conv(b.reshape(a, (1, m, 1)), b.reshape(v, (n, 1, 1)), [1], [(n - 1, n - 1)], [1], 1, "channels_last")
    full = b.reshape(full, (m + n - 1,))
    if mode == "valid":
        out = b.getitem(full, (slice(n - 1, m),))
    elif mode == "same":
        s = (n - 1) // 2
        out = b.getitem(full, (slice(s, s + m),))
    else:
        out = full
    return b.getitem(out, (slice(None, None, -1),)) if swap else out


@op
def cdist(x: Any, y: Any) -> Any:
    """Euclidean distances between the rows of ``x`` and of ``y`` (``keras.ops.cdist``).

    Keras 3.15's ``cdist`` has no ``p`` argument: distances are always Euclidean. The gradient at
    a zero distance is NaN (the derivative of ``sqrt`` at 0), as in Keras.

    Args:
        x: Tensor of shape ``(..., P, M)``.
        y: Tensor of shape ``(..., R, M)`` (batch dims broadcast against ``x``'s).

    Returns:
        Distances of shape ``(..., P, R)``; integer inputs give ``floatx``.

    Raises:
        ValueError: for inputs of rank < 2 or different last dimensions.
    """
    b = current()
    a, c = _float_tensors(x, y)
    sa, sc = tuple(b.shape(a)), tuple(b.shape(c))
    if len(sa) < 2 or len(sc) < 2:
        raise ValueError(f"cdist: inputs must have rank >= 2; got shapes {sa} and {sc}.")
    if sa[-1] != sc[-1]:
        raise ValueError(f"cdist: the last dimensions of the inputs must match; got shapes {sa} and {sc}.")
    diff = b.subtract(b.reshape(a, sa[:-1] + (1, sa[-1])), b.reshape(c, sc[:-2] + (1,) + sc[-2:]))
    return b.sqrt(b.sum(b.multiply(diff, diff), (len(b.shape(diff)) - 1,), False))


@op
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule.

    Args:
        y: Values to integrate.
        x: Optional sample points: 1-D (length of ``y``'s axis) or shaped like ``y``.
        dx: Spacing of the samples when ``x`` is None.
        axis: Axis to integrate along.

    Returns:
        ``y`` with ``axis`` integrated away; integer inputs give ``floatx``.

    Raises:
        ValueError: if ``x`` does not fit ``y``'s axis.
    """
    b = current()
    args = [y] + ([x] if x is not None else []) + ([dx] if not isinstance(dx, (int, float)) else [])
    ts = _float_tensors(*args)
    yt = ts[0]
    nd = len(b.shape(yt))
    ax = norm_axis(axis, nd)
    n = b.shape(yt)[ax]
    lead = (slice(None),) * ax
    hi = b.getitem(yt, lead + (slice(1, None),))
    lo = b.getitem(yt, lead + (slice(None, -1),))
    dt = b.dtype(yt)
    if x is not None:
        xt = ts[1]
        if len(b.shape(xt)) == 1:
            if b.shape(xt)[0] != n:
                raise ValueError(f"trapezoid: x has length {b.shape(xt)[0]} but y has {n} samples along axis {axis}.")
            d = b.subtract(b.getitem(xt, (slice(1, None),)), b.getitem(xt, (slice(None, -1),)))
            d = b.reshape(d, tuple(n - 1 if i == ax else 1 for i in range(nd)))
        else:
            xl = (slice(None),) * norm_axis(axis, len(b.shape(xt)))
            d = b.subtract(b.getitem(xt, xl + (slice(1, None),)), b.getitem(xt, xl + (slice(None, -1),)))
    elif isinstance(dx, (int, float)):
        d = b.full((), float(dx), dt)
    else:
        d = ts[-1]
    area = b.divide(b.multiply(d, b.add(hi, lo)), b.full((), 2.0, dt))
    return b.sum(area, (len(b.shape(area)) - nd + ax,), False)


# Built at import time; mypy cannot evaluate it, and without it sees every public name (the same ops).
if not TYPE_CHECKING:
    __all__ = [
        _n
        for _n, _v in list(globals().items())
        if not _n.startswith("_") and callable(_v) and getattr(_v, "__module__", None) == __name__
    ]

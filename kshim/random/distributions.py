"""``gamma``, ``beta`` and ``binomial``: rejection samplers with a fixed number of candidates.

Rejection sampling usually loops until a candidate is accepted; a loop with a data-dependent
trip count cannot be traced by ``jax.jit`` and differs between backends. Here every element gets
a fixed number of candidates, all drawn in one block from the call's Threefry key, and the first
accepted candidate is kept. The number of candidates makes a miss negligible (see each sampler);
on a miss the sampler returns a fixed in-distribution value (the mode), documented below.

Everything is computed in float64 and cast to the requested dtype at the end, so the backends'
last-ulp differences in ``log``/``cos`` almost never survive (float32 results are bit-identical
except with a probability of about 2**-29 per element) and accept/reject decisions agree.
"""

from __future__ import annotations

import math as _math
from typing import Any

import numpy as np

from ..backend import current
from ._draw import box_muller, float_dtype, shape_tuple, uniform01

GAMMA_CANDIDATES = 8
"""Marsaglia-Tsang candidates per gamma draw. The acceptance rate is at least 0.951 (at alpha = 1;
higher for larger alpha), so all 8 are rejected with probability below 0.049**8 = 3e-11."""

BINOMIAL_CANDIDATES = 16
"""BTRS candidates per binomial draw with mean >= 10. The acceptance rate is at least about 0.71
(at mean 10), so all 16 are rejected with probability below 0.29**16 = 3e-9."""

_INVERSION_STEPS = 40
"""Binomial draws with mean below 10 invert the CDF over 0..39; P(X >= 40) < 1e-12 for such a
distribution (binomial tails are lighter than the Poisson(10) tail)."""

_BTRS_MIN_MEAN = 10.0


def _f64(value: Any) -> Any:
    """A parameter as a float64 tensor; Python numbers and lists keep their full precision (they are
    not rounded to ``floatx()`` first, as ``convert_to_tensor`` would)."""
    b = current()
    if isinstance(value, (int, float, np.integer, np.floating, list, tuple)):
        return b.convert_to_tensor(np.asarray(value, dtype=np.float64), "float64")
    from ..ops import convert_to_tensor

    return b.cast(convert_to_tensor(value), "float64")


def _check_positive(value: Any, name: str) -> None:
    if isinstance(value, (int, float, np.integer, np.floating)) and not float(value) > 0:
        raise ValueError(f"`{name}` must be positive; received {name}={value}.")


def _log_gamma_draws(alpha: Any, u: Any, n: int) -> Any:
    """log of Gamma(alpha) draws, float64, for a flat ``alpha`` of ``n`` elements.

    ``u`` is a flat float64 block of ``(3 * GAMMA_CANDIDATES + 1) * n`` uniforms: for each candidate
    two uniforms for a normal and one for the test, then one for the ``alpha < 1`` boost
    ``Gamma(alpha) = Gamma(alpha + 1) * U**(1 / alpha)`` (applied in log space, so small alphas do
    not underflow before the end).
    """
    b = current()
    k = GAMMA_CANDIDATES
    f = lambda v: b.full((), v, "float64")  # noqa: E731

    def block(i: int) -> Any:
        return b.reshape(b.getitem(u, (slice(i * k * n, (i + 1) * k * n),)), (k, n))

    z = box_muller(block(0), block(1), "float64")
    test = b.subtract(f(1.0), block(2))  # in (0, 1]
    boost_u = b.subtract(f(1.0), b.getitem(u, (slice(3 * k * n, (3 * k + 1) * n),)))
    boosted = b.less(alpha, f(1.0))
    a1 = b.where(boosted, b.add(alpha, f(1.0)), alpha)
    d = b.subtract(a1, f(1.0 / 3.0))
    c = b.divide(f(1.0), b.sqrt(b.multiply(f(9.0), d)))
    t = b.add(f(1.0), b.multiply(c, z))
    valid = b.greater(t, f(0.0))
    v = b.multiply(b.multiply(t, t), t)
    safe_v = b.where(valid, v, f(1.0))
    zz = b.multiply(z, z)
    squeeze = b.less(test, b.subtract(f(1.0), b.multiply(f(0.0331), b.multiply(zz, zz))))
    bound = b.add(b.multiply(f(0.5), zz), b.multiply(d, b.add(b.subtract(f(1.0), safe_v), b.log(safe_v))))
    accept = b.logical_and(valid, b.logical_or(squeeze, b.less(b.log(test), bound)))
    log_dv = _first_accepted(accept, b.log(b.multiply(d, safe_v)), b.log(d))
    boost = b.where(boosted, b.divide(b.log(boost_u), alpha), f(0.0))
    return b.add(log_dv, boost)


def _first_accepted(accept: Any, values: Any, fallback: Any) -> Any:
    """Per column, the value of the first accepted row of ``(K, n)`` candidates (``fallback`` if none)."""
    b = current()
    n = b.shape(accept)[1]
    first = b.argmax(b.cast(accept, "int32"), 0, False)
    chosen = b.reshape(b.take_along_axis(values, b.reshape(first, (1, n)), 0), (n,))
    return b.where(b.any(accept, (0,), False), chosen, b.broadcast_to(fallback, b.shape(chosen)))


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Draws from the Gamma distribution with shape ``alpha`` and scale 1.

    Marsaglia and Tsang's method (2000) with ``GAMMA_CANDIDATES`` candidates per element; for
    ``alpha < 1`` the ``Gamma(alpha + 1) * U**(1/alpha)`` boost. If every candidate of an element is
    rejected (probability < 3e-11) that element is ``alpha - 1/3`` (about the mode).

    Args:
        shape: Output shape.
        alpha: The shape parameter: a positive float or an array broadcastable to ``shape``.
        dtype: Float dtype of the result (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype or a scalar ``alpha`` is not positive.
    """
    b = current()
    d = float_dtype(dtype)
    shp = shape_tuple(shape)
    _check_positive(alpha, "alpha")
    n = int(np.prod(shp)) if shp else 1
    a = b.reshape(b.broadcast_to(_f64(alpha), shp), (n,))
    u = uniform01(((3 * GAMMA_CANDIDATES + 1) * n,), "float64", seed)
    out = b.exp(_log_gamma_draws(a, u, n))
    return b.cast(b.reshape(out, shp), d)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Any:  # noqa: A002
    """Draws from the Beta distribution, as ``X / (X + Y)`` with ``X ~ Gamma(alpha)``, ``Y ~ Gamma(beta)``.

    The ratio is formed from the logs of the gamma draws (``sigmoid(log X - log Y)``), so it stays
    accurate for small parameters where the gamma draws themselves underflow.

    Args:
        shape: Output shape.
        alpha: First shape parameter: a positive float or an array broadcastable to ``shape``.
        beta: Second shape parameter, same forms as ``alpha``.
        dtype: Float dtype of the result (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype`` with values in ``[0, 1]``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype or a scalar parameter is not positive.
    """
    b = current()
    d = float_dtype(dtype)
    shp = shape_tuple(shape)
    _check_positive(alpha, "alpha")
    _check_positive(beta, "beta")
    n = int(np.prod(shp)) if shp else 1
    a = b.reshape(b.broadcast_to(_f64(alpha), shp), (n,))
    c = b.reshape(b.broadcast_to(_f64(beta), shp), (n,))
    u = uniform01(((3 * GAMMA_CANDIDATES + 1) * 2 * n,), "float64", seed)
    lg = _log_gamma_draws(b.concatenate([a, c], 0), u, 2 * n)
    lx, ly = b.getitem(lg, (slice(0, n),)), b.getitem(lg, (slice(n, 2 * n),))
    out = b.sigmoid(b.subtract(lx, ly))
    return b.cast(b.reshape(out, shp), d)


_FC_TABLE = [
    _math.lgamma(k + 1) - 0.5 * _math.log(2 * _math.pi) - (k + 0.5) * _math.log(k + 1) + (k + 1) for k in range(10)
]


def _stirling_tail(k: Any) -> Any:
    """``log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(sqrt(2 pi))]`` for float64 ``k >= 0``."""
    b = current()
    f = lambda v: b.full((), v, "float64")  # noqa: E731
    k1 = b.add(k, f(1.0))
    k1sq = b.multiply(k1, k1)
    series = b.divide(
        b.subtract(f(1.0 / 12), b.divide(b.subtract(f(1.0 / 360), b.divide(f(1.0 / 1260), k1sq)), k1sq)), k1
    )
    idx = b.cast(b.minimum(b.maximum(k, f(0.0)), f(9.0)), "int64")
    table = b.take(b.convert_to_tensor(np.array(_FC_TABLE), "float64"), idx, 0)
    return b.where(b.less(k, f(10.0)), table, series)


def _binomial_inversion(n: Any, p: Any, u: Any) -> Any:
    """CDF inversion for ``p <= 1/2`` (exact up to ``_INVERSION_STEPS`` successes)."""
    b = current()
    f = lambda v: b.full((), v, "float64")  # noqa: E731
    q = b.subtract(f(1.0), p)
    r = b.divide(p, b.maximum(q, f(1e-300)))
    pmf = b.exp(b.multiply(n, b.log1p(b.negative(p))))  # (1 - p)**n without rounding 1 - p first
    cdf = pmf
    count = b.zeros(b.shape(u), "float64")
    for j in range(_INVERSION_STEPS):
        count = b.add(count, b.cast(b.less_equal(cdf, u), "float64"))
        pmf = b.multiply(pmf, b.multiply(b.divide(b.maximum(b.subtract(n, f(float(j))), f(0.0)), f(j + 1.0)), r))
        cdf = b.add(cdf, pmf)
    return b.minimum(count, n)


def _binomial_btrs(n: Any, p: Any, uu: Any, vv: Any) -> Any:
    """Hormann's BTRS (1993) for ``p <= 1/2`` and ``n p >= 10``; ``uu``/``vv`` are ``(K, m)`` uniforms."""
    b = current()
    f = lambda v: b.full((), v, "float64")  # noqa: E731
    q = b.subtract(f(1.0), p)
    sd = b.sqrt(b.multiply(b.multiply(n, p), q))
    bb = b.add(f(1.15), b.multiply(f(2.53), sd))
    a = b.add(b.add(f(-0.0873), b.multiply(f(0.0248), bb)), b.multiply(f(0.01), p))
    c = b.add(b.multiply(n, p), f(0.5))
    v_r = b.subtract(f(0.92), b.divide(f(4.2), bb))
    r = b.divide(p, q)
    alpha = b.multiply(b.add(f(2.83), b.divide(f(5.1), bb)), sd)
    m = b.floor(b.multiply(b.add(n, f(1.0)), p))
    u = b.subtract(uu, f(0.5))
    us = b.subtract(f(0.5), b.abs(u))
    us_safe = b.maximum(us, f(1e-300))
    k = b.floor(b.add(b.multiply(b.add(b.divide(b.multiply(f(2.0), a), us_safe), bb), u), c))
    quick = b.logical_and(b.greater_equal(us, f(0.07)), b.less_equal(vv, v_r))
    inside = b.logical_and(b.greater_equal(k, f(0.0)), b.less_equal(k, n))
    ks = b.minimum(b.maximum(k, f(0.0)), n)
    lhs = b.log(
        b.divide(b.multiply(b.maximum(vv, f(1e-300)), alpha), b.add(b.divide(a, b.multiply(us_safe, us_safe)), bb))
    )
    nm1 = b.add(b.subtract(n, m), f(1.0))
    nk1 = b.add(b.subtract(n, ks), f(1.0))
    h = b.add(
        b.multiply(b.add(m, f(0.5)), b.log(b.divide(b.add(m, f(1.0)), b.multiply(r, nm1)))),
        b.multiply(b.add(n, f(1.0)), b.log(b.divide(nm1, nk1))),
    )
    h = b.add(h, b.multiply(b.add(ks, f(0.5)), b.log(b.divide(b.multiply(r, nk1), b.add(ks, f(1.0))))))
    h = b.add(
        h,
        b.subtract(
            b.add(_stirling_tail(m), _stirling_tail(b.subtract(n, m))),
            b.add(_stirling_tail(ks), _stirling_tail(b.subtract(n, ks))),
        ),
    )
    accept = b.logical_or(quick, b.logical_and(inside, b.less_equal(lhs, h)))
    return _first_accepted(accept, ks, m)


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Draws from the Binomial distribution: successes in ``counts`` trials of probability ``probabilities``.

    Exact CDF inversion when the mean ``counts * min(p, 1 - p)`` is below 10, else Hormann's BTRS
    rejection sampler with ``BINOMIAL_CANDIDATES`` candidates (if all are rejected, probability
    < 3e-9, the element is the mode ``floor((counts + 1) p)``). The results are integers stored in
    a float dtype, as in Keras, and bit-identical across backends.

    Args:
        shape: Output shape.
        counts: Number of trials: a number or an array broadcastable with ``probabilities`` and ``shape``.
        probabilities: Success probability per trial, in ``[0, 1]``, same forms as ``counts``.
        dtype: Float dtype of the result (default ``floatx()``).
        seed: An int, a ``SeedGenerator``, a ``(2,)`` seed tensor or ``None``.

    Returns:
        A tensor of ``shape`` and ``dtype``.

    Raises:
        ValueError: If ``dtype`` is not a float dtype, or a scalar ``counts`` is negative or a scalar
            ``probabilities`` lies outside ``[0, 1]``.
    """
    b = current()
    d = float_dtype(dtype)
    shp = shape_tuple(shape)
    if isinstance(counts, (int, float, np.integer, np.floating)) and float(counts) < 0:
        raise ValueError(f"`counts` must be non-negative; received counts={counts}.")
    if isinstance(probabilities, (int, float, np.integer, np.floating)) and not 0.0 <= float(probabilities) <= 1.0:
        raise ValueError(f"`probabilities` must be in [0, 1]; received probabilities={probabilities}.")
    size = int(np.prod(shp)) if shp else 1
    f = lambda v: b.full((), v, "float64")  # noqa: E731
    n = b.reshape(b.broadcast_to(b.floor(_f64(counts)), shp), (size,))
    p_full = b.reshape(b.broadcast_to(_f64(probabilities), shp), (size,))
    flip = b.greater(p_full, f(0.5))
    p = b.where(flip, b.subtract(f(1.0), p_full), p_full)
    kk = BINOMIAL_CANDIDATES
    u = uniform01(((2 * kk + 1) * size,), "float64", seed)
    u_inv = b.getitem(u, (slice(0, size),))
    small = _binomial_inversion(n, p, u_inv)
    use_btrs = b.greater_equal(b.multiply(n, p), f(_BTRS_MIN_MEAN))
    mean = None
    if isinstance(counts, (int, float, np.integer, np.floating)) and isinstance(
        probabilities, (int, float, np.integer, np.floating)
    ):
        pp = min(float(probabilities), 1.0 - float(probabilities))
        mean = _math.floor(float(counts)) * pp
    if mean is None or mean >= _BTRS_MIN_MEAN:
        uu = b.reshape(b.getitem(u, (slice(size, (kk + 1) * size),)), (kk, size))
        vv = b.reshape(b.getitem(u, (slice((kk + 1) * size, (2 * kk + 1) * size),)), (kk, size))
        safe_p = b.where(use_btrs, p, f(0.25))
        safe_n = b.where(use_btrs, n, f(100.0))
        large = _binomial_btrs(safe_n, safe_p, uu, vv)
        small = b.where(use_btrs, large, small)
    out = b.where(flip, b.subtract(n, small), small)
    return b.cast(b.reshape(out, shp), d)

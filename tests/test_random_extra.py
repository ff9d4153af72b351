"""``kshim.random`` complete against ``keras.random``: ``gamma``, ``beta``, ``binomial``, ``randint`` with
every integer dtype, ``shuffle(x, axis)``.

Two kinds of checks:
* Portability: the same seed gives bit-identical results on numpy, jax and torch (each backend is
  compared with the NumPy backend), also inside ``jax.jit``.
* Distribution (on the NumPy backend; the others draw the same bits): goodness-of-fit tests against
  SciPy with fixed seeds. Sample size 20000: the KS statistic's 0.1% critical value is
  1.95/sqrt(n) = 0.014, so a CDF error of 0.02 anywhere (a wrong
  shape parameter by ~3%, a mishandled alpha < 1 branch, a missing p > 1/2 flip) fails, while a
  correct sampler passes with probability 0.999 -- and with a fixed seed the outcome is fixed.
  Chi-square tests pool cells with expected count < 5 (the usual validity condition).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim import random as R

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
stats = pytest.importorskip("scipy.stats")

N = 20000
P_MIN = 1e-3
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32"]


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _on_numpy(fn):
    with kshim.backend.use("numpy"):
        return _np(fn())


def _chi2_discrete(samples, pmf_support, pmf):
    """Chi-square p-value of integer samples against ``pmf`` on ``pmf_support`` (tails pooled)."""
    expected = pmf * len(samples)
    observed = np.array([(samples == k).sum() for k in pmf_support], dtype=float)
    keep = expected >= 5
    obs = np.append(observed[keep], len(samples) - observed[keep].sum())
    exp = np.append(expected[keep], len(samples) - expected[keep].sum())
    if exp[-1] < 5:  # fold a tiny remainder into the last cell
        obs[-2] += obs[-1]
        exp[-2] += exp[-1]
        obs, exp = obs[:-1], exp[:-1]
    return stats.chisquare(obs, exp).pvalue


def test_every_keras_random_name_exists():
    missing = [n for n in dir(keras.random) if not n.startswith("_") and not hasattr(R, n)]
    assert not missing, missing


# ---- portability ------------------------------------------------------------------------------------
DRAWS = {
    "gamma": lambda d: R.gamma((7, 9), 0.7, dtype=d, seed=3),
    "gamma_array_alpha": lambda d: R.gamma((4, 3), np.array([0.2, 1.0, 5.0]), dtype=d, seed=4),
    "beta": lambda d: R.beta((50,), 0.5, 2.0, dtype=d, seed=5),
    "binomial_small": lambda d: R.binomial((64,), 12, 0.3, dtype=d, seed=6),
    "binomial_large": lambda d: R.binomial((64,), 2000, 0.7, dtype=d, seed=6),
    "binomial_array": lambda d: R.binomial((2, 4), np.array([3, 50, 500, 10 ** 6]), np.array([0.9, 0.5, 0.01, 0.3]),
                                           dtype=d, seed=7),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(DRAWS))
def test_float_draws_bit_identical_across_backends(backend, name, dtype):
    """Binomial draws are exact everywhere. Gamma and beta are computed in float64 with log/exp/cos,
    whose last bit differs between NumPy, XLA and torch (and, for torch's vectorised kernels, between
    CPUs): float64 results agree to a few ulps (rtol 1e-15, ~4.5 ulp), except that a shape parameter
    alpha < 1 is drawn as ``exp(log g + log(u) / alpha)``: the result's relative error is the absolute
    error of that sum, ~|log x| ulp, so the tiny draws of ``gamma_array_alpha`` (alpha 0.2; x = 1.1e-5,
    |log x| = 11.4) reach ~2e-15 (1.8e-15 seen on an AMD EPYC): rtol 5e-15 there. The differences vanish
    on rounding to float32 (exact), and the accept/reject decisions never differ (a flip would change a
    value by far more than 1e-14)."""
    got = _np(DRAWS[name](dtype))
    assert got.dtype == dtype
    want = _on_numpy(lambda: DRAWS[name](dtype))
    if dtype == "float64" and not name.startswith("binomial"):
        rtol = 5e-15 if name == "gamma_array_alpha" else 1e-15
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_randint_bit_identical_across_backends(backend, dtype):
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -1000), min(info.max, 1000)
    got = _np(R.randint((300,), lo, hi, dtype=dtype, seed=11))
    assert got.dtype == dtype and got.min() >= lo and got.max() < hi
    np.testing.assert_array_equal(got, _on_numpy(lambda: R.randint((300,), lo, hi, dtype=dtype, seed=11)))
    full = _np(R.randint((300,), int(info.min), int(info.max), dtype=dtype, seed=12))  # the widest range
    np.testing.assert_array_equal(full, _on_numpy(lambda: R.randint((300,), int(info.min), int(info.max),
                                                                    dtype=dtype, seed=12)))


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_shuffle_bit_identical_across_backends(backend, axis):
    x = np.arange(2 * 5 * 7, dtype="float32").reshape(2, 5, 7)
    got = _np(R.shuffle(x, axis=axis, seed=9))
    np.testing.assert_array_equal(got, _on_numpy(lambda: R.shuffle(x, axis=axis, seed=9)))
    # One permutation along `axis`, the same for every slice: sorting along the axis restores x.
    np.testing.assert_array_equal(np.sort(got, axis=axis), x)
    perm = np.argsort(np.moveaxis(got, axis, 0).reshape(x.shape[axis], -1)[:, 0])
    np.testing.assert_array_equal(np.moveaxis(got, axis, 0), np.take(np.moveaxis(x, axis, 0),
                                                                     np.argsort(perm), axis=0))


def test_draws_under_jax_jit_equal_eager(backend):
    if backend.name != "jax":
        pytest.skip("jax.jit only")
    import jax
    for name, fn in DRAWS.items():
        np.testing.assert_array_equal(np.asarray(jax.jit(lambda: fn("float32"))()), _np(fn("float32")), err_msg=name)
    traced = jax.jit(lambda a, n, p: (R.gamma((20,), a, seed=1), R.binomial((20,), n, p, seed=2),
                                      R.randint((20,), 0, 10 ** 12, dtype="int64", seed=3)))
    f64 = jax.numpy.float64
    g, b, i = traced(jax.numpy.asarray(0.7, f64), jax.numpy.asarray(40.0, f64), jax.numpy.asarray(0.4, f64))
    np.testing.assert_array_equal(np.asarray(g), _np(R.gamma((20,), 0.7, seed=1)))
    np.testing.assert_array_equal(np.asarray(b), _np(R.binomial((20,), 40, 0.4, seed=2)))
    np.testing.assert_array_equal(np.asarray(i), _np(R.randint((20,), 0, 10 ** 12, dtype="int64", seed=3)))


def test_seed_generator_advances_once_per_call(backend):
    """Every sampler consumes exactly one SeedGenerator step, so the stream after it does not depend on
    which distribution was drawn."""
    for draw in (lambda s: R.gamma((5,), 2.0, seed=s), lambda s: R.beta((5,), 2.0, 3.0, seed=s),
                 lambda s: R.binomial((5,), 10, 0.5, seed=s), lambda s: R.randint((5,), 0, 2 ** 60, "int64", seed=s),
                 lambda s: R.shuffle(np.arange(5), seed=s)):
        gen, ref = R.SeedGenerator(5), R.SeedGenerator(5)
        first = _np(draw(gen))
        assert not np.array_equal(_np(draw(gen)), first)
        ref.next()
        np.testing.assert_array_equal(_np(gen.state.value), _np(ref.state.value) + np.array([0, 1]))


# ---- distributions -----------------------------------------------------------------------------------
# On the NumPy backend only: every backend draws bit-identical samples (tested above, on each sampler's
# code paths), so the distribution is the same everywhere and testing it three times adds nothing.
@pytest.fixture
def on_numpy():
    with kshim.backend.use("numpy"):
        yield


@pytest.mark.parametrize("alpha", [0.05, 0.3, 1.0, 4.5, 60.0])
def test_gamma_distribution(on_numpy, alpha):
    x = _np(R.gamma((N,), alpha, dtype="float64", seed=21))
    assert (x >= 0).all()
    assert stats.kstest(x, stats.gamma(alpha).cdf).pvalue > P_MIN


def test_gamma_with_an_alpha_per_element(on_numpy):
    alphas = np.array([0.5, 2.0, 8.0])
    x = _np(R.gamma((N, 3), alphas, dtype="float64", seed=22))
    for j, a in enumerate(alphas):
        assert stats.kstest(x[:, j], stats.gamma(a).cdf).pvalue > P_MIN


@pytest.mark.parametrize("a,b", [(0.5, 0.5), (2.0, 5.0), (0.05, 0.2), (40.0, 15.0)])
def test_beta_distribution(on_numpy, a, b):
    x = _np(R.beta((N,), a, b, dtype="float64", seed=23))
    assert ((x >= 0) & (x <= 1)).all()
    assert stats.kstest(x, stats.beta(a, b).cdf).pvalue > P_MIN


@pytest.mark.parametrize("n,p", [(1, 0.5), (12, 0.3), (30, 0.4), (25, 0.5), (40, 0.8), (1000, 0.02),
                                 (1000, 0.9), (10 ** 6, 0.3), (7, 0.0), (7, 1.0), (0, 0.4)])
def test_binomial_distribution(on_numpy, n, p):
    """Both samplers: CDF inversion (mean < 10) and BTRS (mean >= 10), with the p > 1/2 flip."""
    x = _np(R.binomial((N,), n, p, dtype="float64", seed=24))
    np.testing.assert_array_equal(x, np.round(x))
    assert x.min() >= 0 and x.max() <= n
    if p in (0.0, 1.0) or n == 0:
        np.testing.assert_array_equal(x, np.full(N, n * p))
        return
    support = np.arange(int(stats.binom.ppf(1e-7, n, p)), int(stats.binom.ppf(1 - 1e-7, n, p)) + 1)
    assert _chi2_discrete(x, support, stats.binom.pmf(support, n, p)) > P_MIN


def test_binomial_broadcasts_counts_and_probabilities(on_numpy):
    counts, probs = np.array([5.0, 20.0, 400.0]), np.array([[0.2], [0.7]])
    x = _np(R.binomial((N // 10, 2, 3), counts, probs, seed=25))
    assert x.dtype == "float32"
    mean = x.mean(axis=0)
    sd = np.sqrt(counts * probs * (1 - probs) / (N // 10))
    assert (np.abs(mean - counts * probs) < 5 * sd).all()  # 5 sigma per cell, 6 cells


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_randint_is_uniform(on_numpy, dtype):
    lo = 0 if dtype.startswith("u") else -3
    x = _np(R.randint((N,), lo, lo + 7, dtype=dtype, seed=26))
    assert x.dtype == dtype
    support = np.arange(lo, lo + 7)
    assert _chi2_discrete(x, support, np.full(7, 1 / 7)) > P_MIN


def test_randint_wide_int64_ranges(on_numpy):
    """A range wider than 2**53: every residue mod 2**10 is reachable (no float64 lattice) and the
    values are uniform (KS against the continuous uniform, which a discrete uniform this wide matches)."""
    lo, hi = -2 ** 62, 2 ** 62 + 12345
    x = _np(R.randint((N,), lo, hi, dtype="int64", seed=27))
    assert x.dtype == np.int64 and x.min() >= lo and x.max() < hi
    assert _chi2_discrete(x % 1024, np.arange(1024), np.full(1024, 1 / 1024)) > P_MIN
    assert stats.kstest((x.astype(np.float64) - lo) / (hi - lo), "uniform").pvalue > P_MIN
    full = _np(R.randint((N,), -2 ** 63, 2 ** 63 - 1, dtype="int64", seed=28))
    assert (full < 0).mean() == pytest.approx(0.5, abs=0.02)


def test_randint_array_bounds(on_numpy):
    lo, hi = np.array([0, 10, -100]), np.array([5, 20, 100])
    x = _np(R.randint((N // 4, 3), lo, hi, seed=29))
    assert (x >= lo).all() and (x < hi).all()
    for j in range(3):
        support = np.arange(lo[j], hi[j])
        assert _chi2_discrete(x[:, j], support, np.full(len(support), 1 / len(support))) > P_MIN


def test_shuffle_is_uniform_over_permutations():
    """All 24 orders of 4 elements, over 2400 seeds: chi-square against 100 each. Run on the NumPy
    backend only: the other backends give bit-identical permutations (tested above)."""
    import itertools
    index = {p: i for i, p in enumerate(itertools.permutations(range(4)))}
    counts = np.zeros(24)
    with kshim.backend.use("numpy"):
        gen = R.SeedGenerator(30)
        for _ in range(2400):
            counts[index[tuple(int(v) for v in _np(R.shuffle(np.arange(4), seed=gen)))]] += 1
    assert stats.chisquare(counts).pvalue > P_MIN


# ---- Keras semantics and errors ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype,lo,hi", [("int8", 0, 1000), ("uint8", -1000, 10), ("int16", 5, 5), ("int32", 10, 3),
                                         ("uint16", 0, 2 ** 20)])
def test_randint_bounds_clip_to_the_dtype_like_keras(backend, dtype, lo, hi):
    """Keras' JAX backend clips the bounds to the dtype's range (maxval above it makes the largest value
    reachable) and returns minval for an empty range."""
    got = _np(R.randint((4000,), lo, hi, dtype=dtype, seed=31))
    want = np.asarray(keras.random.randint((4000,), lo, hi, dtype=dtype, seed=31))
    assert got.dtype == want.dtype
    info = np.iinfo(dtype)
    first, last = min(max(lo, info.min), info.max), max(min(hi - 1, info.max), max(lo, info.min))
    for x in (got, want):
        assert first <= x.min() and x.max() <= last
    if last - first < 300:  # 4000 draws reach both ends of a narrow range (miss chance < 1e-5)
        assert (got.min(), got.max()) == (want.min(), want.max()) == (first, last)


def test_default_dtypes_follow_keras(backend):
    for name, args in (("gamma", ((3,), 2.0)), ("beta", ((3,), 2.0, 3.0)), ("binomial", ((3,), 5, 0.5)),
                       ("randint", ((3,), 0, 5))):
        got = getattr(R, name)(*args, seed=1)
        want = getattr(keras.random, name)(*args, seed=1)
        assert ops.dtype(got) == str(want.dtype), name


def test_errors(backend):
    with pytest.raises(ValueError, match="integer `dtype`"):
        R.randint((3,), 0, 5, dtype="float32")
    with pytest.raises(ValueError, match="float dtype"):
        R.gamma((3,), 1.0, dtype="int32")
    with pytest.raises(ValueError, match="alpha"):
        R.gamma((3,), 0.0)
    with pytest.raises(ValueError, match="beta"):
        R.beta((3,), 1.0, -2.0)
    with pytest.raises(ValueError, match="probabilities"):
        R.binomial((3,), 5, 1.5)
    with pytest.raises(ValueError, match="counts"):
        R.binomial((3,), -1, 0.5)
    with pytest.raises(ValueError, match="out of bounds"):
        R.shuffle(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        keras.random.shuffle(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="rank >= 1"):
        R.shuffle(np.float32(1.0))
    with pytest.raises(ValueError, match="negative"):
        R.uniform((2, -1))

"""The rest of ``keras.initializers``: the lower-case aliases, ``IdentityInitializer``,
``OrthogonalInitializer`` and ``STFT``/``STFTInitializer``/``stft``, against real Keras 3 (JAX backend),
NumPy/SciPy references and distribution tests; plus same seed => same values on every backend.

Tolerances: the initializers compute on the host in float64 and cast once, so values are compared
exactly across backends. Against Keras, which computes in the requested dtype: float64 rtol 1e-12
(elementwise formulas and a QR, a few ulps); float32 atol 1e-5 for STFT kernels, because Keras forms
the phase ``2 pi t f / n`` in float32 (phases up to ~50 rad, so ~3e-6 absolute error in cos/sin).
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import kshim
from kshim import initializers, ops

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

_PUBLIC = sorted(n for n in dir(keras.initializers) if not n.startswith("_"))


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_every_keras_initializer_name_exists():
    missing = [n for n in _PUBLIC if not hasattr(initializers, n)]
    assert not missing, missing
    assert set(_PUBLIC) <= set(initializers.__all__)


@pytest.mark.parametrize("name", [n for n in _PUBLIC if n[0].islower() and n not in ("get", "serialize",
                                                                                       "deserialize")])
def test_lower_case_names_are_the_classes(name):
    """As in Keras, ``zeros``, ``glorot_uniform``, ``stft``, ... are the classes under a second name."""
    kobj = getattr(keras.initializers, name)
    obj = getattr(initializers, name)
    assert isinstance(obj, type) and issubclass(obj, initializers.Initializer)
    assert obj.__name__ == kobj.__name__
    assert type(initializers.get(name)) is obj


def test_alias_classes():
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.OrthogonalInitializer is initializers.Orthogonal
    assert initializers.STFTInitializer is initializers.STFT is initializers.stft


# ---- same seed => same values on every backend ----------------------------------------------------------
SEEDED = [("RandomUniform", {"minval": -1.0, "maxval": 2.0}), ("RandomNormal", {"stddev": 2.0}),
          ("TruncatedNormal", {}), ("VarianceScaling", {"mode": "fan_avg", "distribution": "uniform"}),
          ("GlorotNormal", {}), ("HeUniform", {}), ("LecunNormal", {}), ("Orthogonal", {"gain": 2.0}),
          ("orthogonal", {}), ("glorot_uniform", {})]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", SEEDED, ids=[n for n, _ in SEEDED])
def test_same_seed_same_values_on_every_backend(backend, name, kwargs, dtype):
    cls = getattr(initializers, name)
    got = _np(cls(seed=42, **kwargs)((6, 5), dtype))
    assert got.dtype == dtype
    with kshim.backend.use("numpy"):
        ref = _np(cls(seed=42, **kwargs)((6, 5), dtype))
    np.testing.assert_array_equal(got, ref)
    other = _np(cls(seed=43, **kwargs)((6, 5), dtype))
    assert not np.array_equal(got, other)


# ---- Orthogonal --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (2, 3, 4), (3, 3, 2, 5)])
def test_orthogonal_matches_keras_for_the_same_normal_draws(backend, monkeypatch, shape):
    """Feed Keras' Orthogonal and kshim's the same normal matrix: both QR it, fix column signs with
    sign(diag(R)), transpose when rows < cols, reshape and scale by gain -- same values."""
    import keras.src.initializers.random_initializers as kri
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    flat = (max(rows, cols), min(rows, cols))
    a = np.random.default_rng(5).normal(size=flat)
    monkeypatch.setattr(kri.random, "normal", lambda shape, seed=None, dtype=None, **kw: keras.ops.convert_to_tensor(
        a.reshape(shape), dtype=dtype))
    from kshim.initializers import random_initializers as sri
    monkeypatch.setattr(sri.host, "normal", lambda key, n: a.reshape(-1)[:n].copy())
    want = np.asarray(keras.initializers.Orthogonal(gain=1.5, seed=1)(shape, "float64"))
    got = _np(initializers.Orthogonal(gain=1.5, seed=1)(shape, "float64"))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,dtype,tol", [((8, 8), "float64", 1e-12), ((10, 4), "float32", 1e-6),
                                             ((3, 5, 7), "float32", 1e-6), ((4, 9), "float64", 1e-12)])
def test_orthogonal_is_orthogonal(backend, shape, dtype, tol):
    q = _np(initializers.Orthogonal(gain=3.0, seed=7)(shape, dtype)).astype(np.float64).reshape(-1, shape[-1]) / 3.0
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(small), atol=tol * 10)


def test_orthogonal_is_haar_distributed():
    """For a Haar-random 3x3 orthogonal matrix, ``Q[0, 0]**2 ~ Beta(1/2, 1)`` and every entry has mean 0.
    2000 independent seeds: KS p-value > 1e-3 (a wrong sign convention, e.g. no sign fix or a fixed
    positive diagonal, makes Q[0,0] one-signed: the mean test then fails at > 30 sigma)."""
    from scipy import stats
    q00 = np.array([initializers.Orthogonal(seed=s).host_values((3, 3), "float64")[0, 0] for s in range(2000)])
    assert stats.kstest(q00 ** 2, stats.beta(0.5, 1.0).cdf).pvalue > 1e-3
    # Var(Q00) = 1/3, so the mean of 2000 has sd 0.0129; 4 sd = 0.052.
    assert abs(q00.mean()) < 0.052


def test_orthogonal_and_identity_errors(backend):
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((3,))
    with pytest.raises(ValueError, match="2D matrices"):
        initializers.Identity()((2, 2, 2))
    np.testing.assert_array_equal(_np(initializers.IdentityInitializer(gain=2.0)((2, 3))), 2.0 * np.eye(2, 3))


# ---- STFT ------------------------------------------------------------------------------------------
STFT_CASES = [
    {}, {"side": "imag"}, {"window": "hamming", "scaling": "spectrum"}, {"window": None, "scaling": None},
    {"window": "hann", "periodic": True}, {"window": "blackman", "side": "imag", "periodic": True},
    {"window": "bartlett", "scaling": None}, {"window": ("kaiser", 6.0)}, {"window": "blackmanharris"},
]


# Keras reads a tuple window such as ("kaiser", beta) as an array (and fails); kshim passes it on as
# scipy.signal.get_window does, so that case is checked against SciPy only.
KERAS_STFT_CASES = [k for k in STFT_CASES if not isinstance(k.get("window"), tuple)]


@pytest.mark.parametrize("kwargs", KERAS_STFT_CASES, ids=[json.dumps(k) for k in KERAS_STFT_CASES])
@pytest.mark.parametrize("shape", [(16, 1, 9), (10, 1, 17)])
def test_stft_matches_keras(backend, kwargs, shape):
    for dtype in ("float32", "float64"):
        want = np.asarray(keras.initializers.STFT(**kwargs)(shape, dtype))
        got = _np(initializers.STFTInitializer(**kwargs)(shape, dtype))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("kwargs", STFT_CASES, ids=[json.dumps(k) for k in STFT_CASES])
def test_stft_matches_the_scipy_definition_in_float64(backend, kwargs):
    """``cos``/``sin`` of ``-2 pi t f / n`` times ``scipy.signal.get_window(window, T, fftbins=periodic)``
    over its L2 ("density") or L1 ("spectrum") norm; kshim computes it in float64 (Keras' float64
    kernel is only float32-accurate, ~6e-7, hence the Keras test's atol)."""
    from scipy.signal import get_window
    t, bins = 14, 9
    n = (bins - 1) * 2
    tt, ff = np.meshgrid(np.arange(t), np.arange(bins), indexing="ij")
    phase = -2 * np.pi * tt * ff / n
    want = np.cos(phase) if kwargs.get("side", "real") == "real" else np.sin(phase)
    window = kwargs.get("window", "hann")
    if window is not None:
        win = get_window(window, t, fftbins=kwargs.get("periodic", False))
        scaling = kwargs.get("scaling", "density")
        norm = {"density": np.sqrt(np.sum(win ** 2)), "spectrum": np.sum(np.abs(win)), None: 1.0}[scaling]
        want = want * win[:, None] / norm
    got = _np(initializers.STFT(**kwargs)((t, 1, bins), "float64"))
    np.testing.assert_allclose(got, want[:, None, :], rtol=1e-12, atol=1e-14)


def test_stft_against_the_dft_definition(backend):
    """Real part: ``cos(-2 pi t f / n) * w[t] / ||w||_2`` with SciPy's symmetric Hann window."""
    from scipy.signal import get_window
    t, bins = 12, 7
    n = (bins - 1) * 2
    win = get_window("hann", t, fftbins=False)
    tt, ff = np.meshgrid(np.arange(t), np.arange(bins), indexing="ij")
    want = (np.cos(-2 * np.pi * tt * ff / n) * win[:, None] / np.sqrt(np.sum(win ** 2)))[:, None, :]
    np.testing.assert_allclose(_np(initializers.stft()((t, 1, bins), "float64")), want, rtol=1e-12, atol=1e-14)
    arr = np.linspace(0.5, 1.0, t)
    got = _np(initializers.STFT("imag", arr, "spectrum")((t, 1, bins), "float64"))
    want = (np.sin(-2 * np.pi * tt * ff / n) * arr[:, None] / np.sum(arr))[:, None, :]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_stft_config_and_errors(backend):
    init = initializers.STFT("imag", "hamming", "spectrum", True)
    kcfg = keras.initializers.STFT("imag", "hamming", "spectrum", True).get_config()
    assert init.get_config() == kcfg
    clone = initializers.deserialize(json.loads(json.dumps(initializers.serialize(initializers.STFT(
        window=("kaiser", 5.0))))))
    assert isinstance(clone, initializers.STFT) and clone.window == ("kaiser", 5.0)
    from_keras = initializers.deserialize(keras.initializers.serialize(keras.initializers.STFT(side="imag")))
    assert isinstance(from_keras, initializers.STFT) and from_keras.side == "imag"
    assert isinstance(initializers.get("stft"), initializers.STFT)
    assert isinstance(initializers.deserialize({"class_name": "STFTInitializer", "config": {}}), initializers.STFT)
    with pytest.raises(ValueError, match="side"):
        initializers.STFT(side="both")
    with pytest.raises(ValueError, match="Scaling"):
        initializers.STFT(scaling="l2")
    with pytest.raises(ValueError, match="window"):
        initializers.STFT(window="not_a_window")
    with pytest.raises(ValueError, match="frame_length"):
        initializers.STFT(window=np.ones(5))((6, 1, 4))

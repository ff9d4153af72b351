"""Shared helpers of the colour/mixing layer tests (imported by test_image_color*.py and
test_image_mixing.py; holds no tests itself).

Keras' random layers draw with Keras' RNG, so outputs are compared on deterministic paths: a
transformation dict both libraries apply with ``transform_images``, or factors that fix the draw.
Tolerance for those comparisons (``TOL``): float32 on 0..255 images through a few elementwise ops
(colour-space round trips, 3x3 convolutions, interpolation), so rtol=1e-5 with atol=1e-3 (4e-6 of
the value range) covers summation-order and ulp-level differences between XLA and NumPy/torch.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from ._util import installed_backends, same_config  # noqa: E402,F401  (re-exported to the image test modules)
from kshim import ops  # noqa: E402
from kshim.layers import preprocessing as P  # noqa: E402

BACKENDS = ("numpy", "jax", "torch")
TOL = dict(rtol=1e-5, atol=1e-3)





def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def tree_np(t):
    if isinstance(t, dict):
        return {k: tree_np(v) for k, v in t.items()}
    if isinstance(t, (tuple, list)):
        return type(t)(tree_np(v) for v in t)
    if t is None or isinstance(t, (int, float, str, bool)):
        return t
    return npy(t)


def to_tensors(t):
    """A transformation (numpy leaves) as tensors of the active kshim backend."""
    if isinstance(t, dict):
        return {k: to_tensors(v) for k, v in t.items()}
    if isinstance(t, np.ndarray):
        return ops.convert_to_tensor(t)
    return t


def images(shape=(2, 9, 7, 3), dtype="float32", seed=0, high=255.0):
    r = np.random.default_rng(seed)
    if dtype == "uint8":
        return r.integers(0, 256, shape).astype("uint8")
    return r.uniform(0, high, shape).astype(dtype)


def pair(cls_name, **kw):
    """The Keras layer and the kshim layer of the same class and arguments."""
    return getattr(keras.layers, cls_name)(**kw), getattr(P, cls_name)(**kw)


_KERAS_CACHE: dict = {}


def keras_cached(key, fn):
    """Keras' result for ``key``, computed once per test process (the backend parametrizations of a
    test share it, which keeps the JAX compilations of the oracle to one per case)."""
    if key not in _KERAS_CACHE:
        _KERAS_CACHE[key] = fn()
    return _KERAS_CACHE[key]


def _key(*parts):
    import hashlib
    import pickle
    return hashlib.sha1(pickle.dumps(parts)).hexdigest()


def check_transform(name, kw, x, transformation, tol=None, method="transform_images"):
    """kshim's ``method(x, transformation)`` equals Keras' on the same inputs (dtype and shape too)."""
    s = getattr(P, name)(**kw)
    kout = keras_cached(_key("t", name, kw, x, transformation, method),
                        lambda: np.asarray(getattr(getattr(keras.layers, name)(**kw), method)(x, transformation)))
    sout = getattr(s, method)(ops.convert_to_tensor(x), to_tensors(transformation))
    kout, sout = np.asarray(kout), npy(sout)
    assert sout.shape == kout.shape and sout.dtype == kout.dtype, (sout.shape, kout.shape, sout.dtype, kout.dtype)
    np.testing.assert_allclose(sout.astype("float64"), kout.astype("float64"), **(tol or TOL))
    return sout


def check_call(name, kw, x, tol=None, training=True):
    """A whole call (deterministic arguments) equals Keras'."""
    s = getattr(P, name)(**kw)
    kout = keras_cached(_key("c", name, kw, x, training),
                        lambda: np.asarray(getattr(keras.layers, name)(**kw)(x, training=training)))
    sout = npy(s(x, training=training))
    assert sout.shape == kout.shape and sout.dtype == kout.dtype, (sout.shape, kout.shape, sout.dtype, kout.dtype)
    np.testing.assert_allclose(sout.astype("float64"), kout.astype("float64"), **(tol or TOL))
    return sout


def outputs_per_backend(make, x, calls=2, **call_kw):
    """``calls`` successive outputs of a fresh ``make()`` layer under each installed backend; skips the
    calling test where fewer than two are installed (nothing to compare across)."""
    names = installed_backends()
    if len(names) < 2:
        pytest.skip(f"compares backends; only {names} installed")
    out = {}
    for b in names:
        with kshim.backend.use(b):
            layer = make()
            out[b] = [tree_np(layer(x, **call_kw)) for _ in range(calls)]
    return out


def _close(a, r, atol, mismatch_frac, msg):
    a, r = np.asarray(a, "float64"), np.asarray(r, "float64")
    if mismatch_frac:
        bad = ~np.isclose(a, r, rtol=1e-5, atol=atol)
        assert bad.mean() <= mismatch_frac, f"{msg}: {bad.mean():.4f} of the values differ"
    else:
        np.testing.assert_allclose(a, r, rtol=1e-5, atol=atol, err_msg=msg)


def assert_same_across_backends(out, atol=1e-4, mismatch_frac=0.0):
    """Same seed ⇒ same outputs on every backend (atol: float32 ulps of 0..255 values after a few
    transcendental ops, which the backends' libms round differently); the calls differ.
    ``mismatch_frac``: the share of values allowed outside the tolerance (see the caller's reason)."""
    first_name, *others = out
    ref = out[first_name]
    for b in others:
        for a, r in zip(out[b], ref):
            if isinstance(r, dict):
                for key in r:
                    _close(a[key], r[key], atol, mismatch_frac, f"{b} {key}")
            else:
                _close(a, r, atol, mismatch_frac, b)
    first, second = ref[0], ref[1]
    if isinstance(first, dict):
        first, second = first["images"], second["images"]
    assert not np.array_equal(first, second), "two calls drew the same augmentation"


def assert_seeded_reproducible(make, x, **call_kw):
    """On the active backend: two fresh ``make()`` layers (same seed) give the same two successive
    outputs, bit for bit (same program, same inputs), and the two calls of one layer differ (the seed
    state advances). Needs no second backend and no Keras."""
    a, b = make(), make()
    out_a = [tree_np(a(x, **call_kw)) for _ in range(2)]
    out_b = [tree_np(b(x, **call_kw)) for _ in range(2)]
    for u, v in zip(out_a, out_b):
        for key in (u if isinstance(u, dict) else [None]):
            np.testing.assert_array_equal(u if key is None else u[key], v if key is None else v[key])
    first, second = out_a
    if isinstance(first, dict):
        first, second = first["images"], second["images"]
    assert not np.array_equal(first, second), "two calls drew the same augmentation"

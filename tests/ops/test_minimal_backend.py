"""Adding a backend is one class: a backend built from the protocol alone runs the whole op table.

``MinimalBackend`` is the NumPy backend's primitives under another name, with every optional hook of
``backends/_protocol.py`` left at its ``BaseBackend`` default: no fused kernels (relu, softmax,
log_softmax, logsumexp, threefry2x32), no zero-copy host views, no jit, no multi-tensor ``foreach``.
The frontend must then take its composite paths and never branch on a backend's *name*.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.backends as B
from kshim.backends._base import BaseBackend
from kshim.backends.numpy.backend import NumpyBackend

from .cases import CASES, OracleMissing, run_case

_OPTIONAL = ("relu", "softmax", "log_softmax", "logsumexp", "threefry2x32", "lstm", "gru")


class MinimalBackend(NumpyBackend):
    name = "minimal"
    supports_jit = BaseBackend.supports_jit
    jit_takes_host_arrays = BaseBackend.jit_takes_host_arrays
    cache_constants = BaseBackend.cache_constants
    jit_user_steps = BaseBackend.jit_user_steps
    host_view = BaseBackend.host_view
    foreach = BaseBackend.foreach
    grad_leaf = BaseBackend.grad_leaf


for _hook in _OPTIONAL:
    setattr(MinimalBackend, _hook, None)


@pytest.fixture(scope="module")
def minimal():
    b = MinimalBackend()
    B._cache["minimal"] = b
    try:
        yield b
    finally:
        B._cache.pop("minimal", None)


def test_it_is_a_backend_by_the_protocol(minimal):
    assert isinstance(minimal, B.Backend)
    for hook in _OPTIONAL:
        assert getattr(minimal, hook) is None
    assert B.get("minimal") is minimal


# One case per op (the first): the question is whether every op runs on a protocol-only backend; the
# full table already runs on numpy, whose primitives this backend shares.
_FIRST = list({c.name: c for c in reversed(CASES)}.values())[::-1]


@pytest.mark.parametrize("case", _FIRST, ids=[c.key for c in _FIRST])
def test_op_table(minimal, case):
    with kshim.backend.use(minimal):
        for dtype in case.dtypes[:1]:
            try:
                run_case(case, dtype)
            except OracleMissing as e:
                pytest.skip(str(e))


def test_a_model_trains_and_matches_numpy(minimal):
    """Same seed, same data: the minimal backend (composites everywhere) and the NumPy backend (fused
    kernels) give the same weights after training, to float64 rounding."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 5))
    y = (x @ rng.standard_normal((5, 3))).argmax(-1)
    weights = {}
    for name in ("numpy", "minimal"):
        with kshim.backend.use(name):
            kshim.utils.set_random_seed(3)
            model = kshim.Sequential([kshim.Input((5,)), kshim.layers.Dense(8, activation="relu", dtype="float64"),
                                      kshim.layers.Dropout(0.2, seed=1),
                                      kshim.layers.Dense(3, activation="softmax", dtype="float64")])
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0, shuffle=False)
            assert hist.history["loss"][-1] < hist.history["loss"][0]
            weights[name] = [np.asarray(w) for w in model.get_weights()]
    for a, c in zip(weights["numpy"], weights["minimal"]):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)

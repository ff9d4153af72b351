"""The NumPy backend's fused LSTM/GRU run a large enough batch (``SPLIT_MIN_ELEMENTS``) as two halves,
on two threads where the machine allows (``backends/numpy/rnn.py``):

* the split is a function of the batch size alone: threaded and one-after-the-other runs give the same
  bits, so results do not depend on the machine's cores or on threadpoolctl being installed;
* values and all cotangents equal the unsplit recurrence at float rounding (float64: 1e-12 on O(1)
  values through 20 steps of a few ops each -- ~1000 ulp of margin; float32: 2e-5).
"""

from __future__ import annotations

import numpy as np
import pytest

from kshim.backends.numpy import rnn

B, T, F, U = 35, 20, 5, 6  # an even split would hide an off-by-one; 35 -> halves of 17 and 18


@pytest.fixture(autouse=True)
def split_small_batches(monkeypatch):
    monkeypatch.setattr(rnn, "SPLIT_MIN_ELEMENTS", 4 * U)  # these small test sizes split too


def _args(kind, dtype, batch=B):
    rng = np.random.default_rng(11)
    g = 4 if kind == "lstm" else 3
    x = rng.standard_normal((batch, T, F)).astype(dtype)
    states = [rng.standard_normal((batch, U)).astype(dtype) * 0.5 for _ in range(2 if kind == "lstm" else 1)]
    k = (rng.standard_normal((F, g * U)) * 0.4).astype(dtype)
    rk = (rng.standard_normal((U, g * U)) * 0.4).astype(dtype)
    bias = (rng.standard_normal(g * U if kind == "lstm" else (2, g * U)) * 0.1).astype(dtype)
    cts = [rng.standard_normal((batch, T, U)).astype(dtype)]
    cts += [rng.standard_normal((batch, U)).astype(dtype) for _ in states]
    return [x, *states, k, rk, bias], cts


def _run(fn, args, cts):
    outs, vjp = fn(*args)
    return [np.array(o) for o in outs], [None if g is None else np.array(g) for g in vjp(cts)]


FWD = {"lstm": (rnn.lstm_forward, rnn._LSTM), "gru": (rnn.gru_forward, rnn._GRU)}


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_halves_equal_the_whole_batch(kind, dtype):
    whole, halves = FWD[kind]
    args, cts = _args(kind, dtype)
    tol = 1e-12 if dtype == "float64" else 2e-5
    (o1, g1), (o2, g2) = _run(whole, args, cts), _run(halves, args, cts)
    for a, b in zip(o1 + g1, o2 + g2):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_threaded_and_sequential_halves_give_the_same_bits(kind, monkeypatch):
    _, halves = FWD[kind]
    args, cts = _args(kind, "float32")
    threaded = _run(halves, args, cts)
    monkeypatch.setattr(rnn, "_POOL", [None])  # as on one core, or without threadpoolctl
    sequential = _run(halves, args, cts)
    for a, b in zip(threaded[0] + threaded[1], sequential[0] + sequential[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("batch", "split"), [(1, [1]), (2, [2]), (3, [3]), (4, [2, 2]), (5, [2, 3])])
def test_only_batches_above_the_threshold_are_split(batch, split, monkeypatch):
    monkeypatch.setattr(rnn, "SPLIT_MIN_ELEMENTS", 2 * 4 * U)  # a half of 2 rows and more splits
    calls = []
    halves = rnn.in_batch_halves(lambda *a: calls.append(a[0].shape[0]) or rnn.lstm_forward(*a), 3)
    args, cts = _args("lstm", "float64", batch)
    (o1, g1), (o2, g2) = _run(rnn.lstm_forward, args, cts), _run(halves, args, cts)
    assert calls == split
    for a, b in zip(o1 + g1, o2 + g2):
        if len(split) == 1:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_layer_training_step_takes_the_halves_and_does_not_depend_on_them(monkeypatch):
    """A Keras LSTM model trained with ``fit`` under the NumPy backend reaches the split path (forward
    and backward) and ends with the same weights, bit for bit, whether the halves ran on two threads
    or one after the other."""
    import kshim
    from kshim import backends

    seen = []
    real = rnn.run_halves
    monkeypatch.setattr(rnn, "run_halves", lambda jobs: seen.append(len(jobs)) or real(jobs))
    x, _ = _args("lstm", "float32")
    y = np.arange(B) % 3

    def train():
        with kshim.backend.use(backends.get("numpy")):
            kshim.utils.set_random_seed(3)
            model = kshim.Sequential([kshim.Input((T, F)), kshim.layers.LSTM(U), kshim.layers.Dense(3)])
            model.compile("adam", kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
            model.fit(x[0], y, batch_size=B, epochs=2, verbose=0)
            return [np.array(w) for w in model.get_weights()]

    threaded = train()
    assert len(seen) >= 4  # forward and backward of two steps
    monkeypatch.setattr(rnn, "_POOL", [None])
    sequential = train()
    for a, b in zip(threaded, sequential):
        np.testing.assert_array_equal(a, b)

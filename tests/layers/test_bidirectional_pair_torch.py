"""On torch, a ``Bidirectional`` LSTM/GRU's two fused directions run as one bidirectional kernel call
(``rnn_pair`` with ``mirrored=True``, ``backends/torch/rnn.py``), as ``nn.LSTM(bidirectional=True)``
does: the reverse direction reads the forward input from the end.

The configurations of ``test_bidirectional_pair.py`` (sequences, states, merge modes, a forward layer
that goes backwards, GRU without bias) give the same outputs, states and gradients as the unpaired
path (the kernel once per direction, the backward one on a flipped copy), and so does a float32
``fit`` through the backend's traced step.
"""
from __future__ import annotations

import numpy as np
import pytest

import kshim
from kshim import backends
from kshim.layers import LSTM, Bidirectional, Dense

from .test_bidirectional_pair import CONFIGS, B, F, T, U, _layer, _outputs, counting, paired_and_single, unpaired


@pytest.fixture
def torch_backend():
    pytest.importorskip("torch")
    with kshim.backend.use(backends.get("torch")) as b:
        yield b


@pytest.mark.parametrize("case", list(CONFIGS))
def test_one_bidirectional_call_equals_two_kernel_calls(torch_backend, case):
    for a, b in zip(*paired_and_single(torch_backend, case)):
        # float64: the same per-step arithmetic in one call or two; the tolerance only allows a
        # different reduction order inside torch's kernel
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)


def test_directions_that_do_not_fit_one_call_run_as_two(torch_backend):
    # a backward layer without bias cannot share one kernel call with a forward layer that has one
    layer = _layer("lstm", backward_layer=LSTM(U, go_backwards=True, use_bias=False, dtype="float64"))
    x = np.random.default_rng(3).standard_normal((B, T, F))
    with counting(torch_backend) as counts:
        paired = _outputs(layer, x)
    assert counts == {"rnn_pair": 1, "lstm": 2, "gru": 0}
    with unpaired(torch_backend):
        single = _outputs(layer, x)
    np.testing.assert_array_equal(paired[0], single[0])


def _fit():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((24, T, F)).astype("float32"), rng.integers(0, 3, 24)
    kshim.utils.set_random_seed(5)
    model = kshim.Sequential([kshim.Input((T, F)), Bidirectional(LSTM(U, return_sequences=True)),
                              Bidirectional(LSTM(U)), Dense(3)])
    model.compile("adam", kshim.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    hist = model.fit(x, y, batch_size=B, epochs=2, verbose=0)
    return hist.history["loss"], [np.array(w) for w in model.get_weights()]


def test_fit_through_the_traced_step_matches_the_unpaired_path(torch_backend):
    with counting(torch_backend) as counts:
        losses, weights = _fit()
    assert counts["rnn_pair"] > 0
    with unpaired(torch_backend):
        losses_single, weights_single = _fit()
    # float32 over 8 Adam steps: oneDNN may block one bidirectional call differently from two calls
    np.testing.assert_allclose(losses, losses_single, rtol=1e-5)
    for a, b in zip(weights, weights_single):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

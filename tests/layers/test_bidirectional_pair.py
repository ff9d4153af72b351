"""A ``Bidirectional`` LSTM/GRU on a backend with ``rnn_pair`` (NumPy) runs its two fused directions as
one pair call, on two threads when each direction's gate block reaches ``SPLIT_MIN_ELEMENTS``
(``kshim/layers/rnn/fused.py`` ``paired``, ``backends/numpy/rnn.py`` ``directions_in_parallel``):

* outputs, states and every gradient equal the unpaired path (the same kernel once per direction)
  bit for bit: each direction is the same ``lstm_forward``/``gru_forward`` arithmetic on the same
  arrays, and these sizes are below the batch-halves threshold, so the unpaired path does not split;
* threaded and one-after-the-other pairs give the same bits (a ``fit`` run both ways);
* configurations the pair cannot take (mask, active dropout, stateful, an LSTM paired with a GRU,
  a user's RNN) run the ordinary path, and give the same numbers.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import kshim
from kshim import backends, ops
from kshim.backends.numpy import rnn
from kshim.layers import GRU, LSTM, Bidirectional, Dense

N = ops.convert_to_numpy
B, T, F, U = 6, 7, 3, 4


@pytest.fixture
def numpy_backend():
    with kshim.backend.use(backends.get("numpy")) as b:
        yield b


@pytest.fixture(autouse=True)
def threads_at_test_sizes(monkeypatch):
    monkeypatch.setattr(rnn, "SPLIT_MIN_ELEMENTS", B * 4 * U)  # each direction here runs on its own thread


@contextlib.contextmanager
def counting(b):
    """Counts of ``rnn_pair``, ``lstm`` and ``gru`` calls on backend ``b``."""
    counts = {"rnn_pair": 0, "lstm": 0, "gru": 0}
    originals = {name: getattr(b, name) for name in counts if getattr(b, name) is not None}

    def wrap(name):
        def f(*a, **kw):
            counts[name] += 1
            return originals[name](*a, **kw)
        return f
    for name in originals:
        setattr(b, name, wrap(name))
    try:
        yield counts
    finally:
        for name in originals:
            delattr(b, name)


@contextlib.contextmanager
def unpaired(b):
    b.rnn_pair = None
    try:
        yield
    finally:
        del b.rnn_pair


def _layer(cell="lstm", seed=1, **kw):
    rng = np.random.default_rng(seed)
    cls = LSTM if cell == "lstm" else GRU
    if kw.pop("backward_plain", False):  # the forward layer goes backwards, the backward one forwards
        kw["backward_layer"] = cls(U, dtype="float64", return_sequences=True)
    layer = Bidirectional(cls(U, dtype="float64", **kw.pop("cell_kw", {})), dtype="float64", **kw)
    layer(np.zeros((B, T, F)))
    layer.set_weights([rng.standard_normal(w.shape) * 0.4 for w in layer.get_weights()])
    return layer


def _value_and_grads(b, layer, x, **call_kw):
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]

    def f(tv, xx):
        out, _ = layer.stateless_call(tv, ntv, xx, **call_kw)
        outs = out if isinstance(out, (list, tuple)) else [out]
        total = ops.sum(ops.sin(outs[0]))
        for o in outs[1:]:
            total = ops.add(total, ops.sum(ops.cos(o)))
        return total
    value, (gw, gx) = b.value_and_grad(f, argnums=(0, 1))(tv, ops.convert_to_tensor(x))
    return [N(value)] + [N(g) for g in gw] + [N(gx)]


def _outputs(layer, x, **call_kw):
    out = layer(x, **call_kw)
    return [N(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


CONFIGS = {
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
    "sequences_concat": ("lstm", {"cell_kw": {"return_sequences": True}}),
    "states_sum": ("lstm", {"cell_kw": {"return_state": True}, "merge_mode": "sum"}),
    "gru_states_none": ("gru", {"cell_kw": {"return_state": True, "return_sequences": True}, "merge_mode": None}),
    "go_backwards_ave": ("lstm", {"cell_kw": {"go_backwards": True, "return_sequences": True},
                                  "backward_plain": True, "merge_mode": "ave"}),
    "no_bias_mul": ("gru", {"cell_kw": {"use_bias": False}, "merge_mode": "mul"}),
}


def paired_and_single(b, case: str) -> tuple[list, list]:
    """Outputs and gradients of configuration ``case`` on backend ``b`` with the pair and without it,
    after checking which kernels each way called."""
    cell, kw = CONFIGS[case]
    layer = _layer(cell, **kw)
    x = np.random.default_rng(2).standard_normal((B, T, F))
    with counting(b) as counts:
        paired = _outputs(layer, x) + _value_and_grads(b, layer, x)
    assert counts == {"rnn_pair": 2, "lstm": 0, "gru": 0}  # the call and the gradient's forward
    with unpaired(b), counting(b) as counts:
        single = _outputs(layer, x) + _value_and_grads(b, layer, x)
    assert counts["rnn_pair"] == 0 and counts[cell] == 4
    assert len(paired) == len(single)
    return paired, single


@pytest.mark.parametrize("case", list(CONFIGS))
def test_pair_equals_the_unpaired_path_bit_for_bit(numpy_backend, case):
    for a, b in zip(*paired_and_single(numpy_backend, case)):
        np.testing.assert_array_equal(a, b)


def test_given_initial_states_are_paired(numpy_backend):
    layer = _layer("lstm")
    rng = np.random.default_rng(3)
    x = rng.standard_normal((B, T, F))
    states = [rng.standard_normal((B, U)) for _ in range(4)]
    with counting(numpy_backend) as counts:
        paired = _outputs(layer, x, initial_state=states)
    assert counts["rnn_pair"] == 1
    with unpaired(numpy_backend):
        single = _outputs(layer, x, initial_state=states)
    np.testing.assert_array_equal(paired[0], single[0])


def _fit(seed_data=4):
    rng = np.random.default_rng(seed_data)
    x, y = rng.standard_normal((12, T, F)).astype("float32"), rng.integers(0, 3, 12)
    kshim.utils.set_random_seed(5)
    model = kshim.Sequential([kshim.Input((T, F)), Bidirectional(LSTM(U)), Dense(3)])
    model.compile("adam", kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=B, epochs=2, verbose=0)
    return [np.array(w) for w in model.get_weights()]


def test_threaded_and_sequential_pairs_train_to_the_same_bits(numpy_backend, monkeypatch):
    seen = []
    real = rnn.run_halves
    monkeypatch.setattr(rnn, "run_halves", lambda jobs: seen.append(len(jobs)) or real(jobs))
    threaded = _fit()
    assert len(seen) >= 8  # forward and backward of four steps
    monkeypatch.setattr(rnn, "_POOL", [None])  # as on one core, or without threadpoolctl
    sequential = _fit()
    with unpaired(numpy_backend):
        single = _fit()
    for a, b, c in zip(threaded, sequential, single):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_small_directions_pair_without_threads(numpy_backend, monkeypatch):
    monkeypatch.setattr(rnn, "SPLIT_MIN_ELEMENTS", B * 4 * U + 1)
    seen = []
    monkeypatch.setattr(rnn, "run_halves", lambda jobs: seen.append(1))
    layer = _layer("lstm")
    with counting(numpy_backend) as counts:
        _outputs(layer, np.ones((B, T, F)))
    assert counts["rnn_pair"] == 1 and seen == []


@kshim.saving.register_keras_serializable(package="test_bidirectional_pair")
class _MyRNN(kshim.layers.RNN):
    pass


def _fallbacks():
    x_mask = np.ones((B, T, F))
    x_mask[:, -2:] = 0.0
    return {
        "mask": (lambda: _layer("lstm"), lambda layer: layer(x_mask, mask=np.any(x_mask != 0, axis=-1))),
        "dropout_training": (lambda: _layer("lstm", cell_kw={"dropout": 0.5}),
                             lambda layer: layer(np.ones((B, T, F)), training=True)),
        "lstm_with_gru": (lambda: _layer("lstm", backward_layer=GRU(U, go_backwards=True, dtype="float64")),
                          lambda layer: layer(np.ones((B, T, F)))),
        "stateful": (lambda: _layer("lstm", cell_kw={"stateful": True}), lambda layer: layer(np.ones((B, T, F)))),
        "user_rnn": (lambda: Bidirectional(_MyRNN(kshim.layers.LSTMCell(U))),
                     lambda layer: layer(np.ones((B, T, F), "float32"))),
    }


@pytest.mark.parametrize("case", list(_fallbacks()))
def test_configurations_the_pair_cannot_take_run_the_ordinary_path(numpy_backend, case):
    make, call = _fallbacks()[case]
    outs = []
    for pair in (True, False):
        kshim.utils.set_random_seed(6)  # the same weights and dropout masks both times
        layer = make()
        with contextlib.ExitStack() as stack:
            if not pair:
                stack.enter_context(unpaired(numpy_backend))
            counts = stack.enter_context(counting(numpy_backend))
            outs.append(N(call(layer)))
        assert counts["rnn_pair"] == 0
    np.testing.assert_array_equal(outs[0], outs[1])


def test_dropout_layers_pair_at_inference(numpy_backend):
    layer = _layer("lstm", cell_kw={"dropout": 0.5, "recurrent_dropout": 0.2})
    with counting(numpy_backend) as counts:
        layer(np.ones((B, T, F)), training=False)
    assert counts["rnn_pair"] == 1

"""The torch backend's trace-and-replay ``jit``: replayed programs equal eager execution bit for
bit, retrace per signature, and anything untraceable falls back to eager with the reason kept."""
from __future__ import annotations

import numpy as np
import optree
import pytest

torch = pytest.importorskip("torch")

import kshim  # noqa: E402
from kshim import backends  # noqa: E402
from kshim.backends.torch.tracing import TracedFunction  # noqa: E402

b = backends.get("torch") if backends.is_available("torch") else None


def _fn(x, w, scale):
    """A small pure function with a gradient: ((value, aux), grads)."""
    def loss(w):
        h = b.relu(b.matmul(x, w))
        return b.sum(b.multiply(h, b.convert_to_tensor(scale, "float32")), None, False), h
    return b.value_and_grad(loss, has_aux=True)(w)


def _args(n=4, seed=0):
    r = np.random.default_rng(seed)
    return (torch.from_numpy(r.standard_normal((n, 3)).astype("float32")),
            torch.from_numpy(r.standard_normal((3, 2)).astype("float32")))


def _same(a, b_):
    la, lb = optree.tree_leaves(a), optree.tree_leaves(b_)
    assert len(la) == len(lb)
    for u, v in zip(la, lb):
        assert torch.equal(u, v), (u, v)


def test_replay_equals_eager_bitwise_and_traces_once_per_signature():
    f = TracedFunction(_fn, trace_after=0)
    x, w = _args()
    for _ in range(3):
        _same(f(x, w, 0.5), _fn(x, w, 0.5))
    assert f.num_traces == 1 and not f.fallback_reasons
    x2, w2 = _args(n=7, seed=1)                       # new shape: a second trace
    _same(f(x2, w2, 0.5), _fn(x2, w2, 0.5))
    _same(f(x, w, 2.0), _fn(x, w, 2.0))               # new non-tensor argument: a third
    assert f.num_traces == 3
    x3, w3 = _args(seed=2)                            # same signature, new values: replayed
    _same(f(x3, w3, 0.5), _fn(x3, w3, 0.5))
    assert f.num_traces == 3


def test_traces_only_after_warm_up_calls():
    f = TracedFunction(_fn, trace_after=2)
    x, w = _args()
    f(x, w, 0.5)
    f(x, w, 0.5)
    assert f.num_traces == 0
    _same(f(x, w, 0.5), _fn(x, w, 0.5))
    assert f.num_traces == 1


def test_data_dependent_control_flow_falls_back_to_eager():
    def branchy(x):
        return b.multiply(x, 2.0) if bool(b.sum(x, None, False) > 0) else b.negative(x)
    f = TracedFunction(branchy, trace_after=0)
    pos, neg = torch.ones(3), -torch.ones(3)
    assert torch.equal(f(pos), pos * 2) and torch.equal(f(neg), -neg)
    assert f.num_traces == 0 and f.fallback_reasons


def test_inputs_requiring_grad_are_not_traced():
    f = TracedFunction(lambda x: x * 2, trace_after=0)
    x = torch.ones(2, requires_grad=True)
    y = f(x)
    y.sum().backward()
    assert torch.equal(x.grad, torch.full((2,), 2.0)) and f.num_traces == 0


def _model(seed):
    kshim.utils.set_random_seed(seed)
    m = kshim.Sequential([kshim.Input((6,)), kshim.layers.Dense(16, activation="relu"),
                          kshim.layers.BatchNormalization(), kshim.layers.Dropout(0.3),
                          kshim.layers.Dense(3)])
    return m


@pytest.mark.parametrize("opt", ["adam", "rmsprop"])
def test_fit_traced_equals_eager_bitwise(opt):
    """Many steps (traced after the warm-up calls) give exactly the weights, metrics and predictions
    of eager execution, dropout masks and BatchNorm statistics included."""
    with kshim.backend.use(b):
        r = np.random.default_rng(0)
        x = r.standard_normal((96, 6)).astype("float32")
        y = r.integers(0, 3, 96)
        runs = []
        for eager in (True, False):
            m = _model(1)
            m.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=eager)
            h = m.fit(x, y, batch_size=8, epochs=2, verbose=0)
            ev = m.evaluate(x, y, batch_size=8, verbose=0)
            runs.append((h.history, m.get_weights(), ev, m.predict(x, batch_size=8, verbose=0)))
            if not eager:
                train_fn = m._fns[("train", "torch", True)]
                assert isinstance(train_fn, TracedFunction) and train_fn.num_traces == 1, \
                    train_fn.fallback_reasons
        (h0, w0, e0, p0), (h1, w1, e1, p1) = runs
        assert h0 == h1 and e0 == e1
        for a, c in zip(w0 + [p0], w1 + [p1]):
            np.testing.assert_array_equal(a, c)


def test_constants_written_in_place_or_returned_are_not_folded():
    """A buffer created from constants and then updated in place (or handed out) must be fresh on
    every replay, as in eager execution."""
    def fn(x):
        acc = torch.zeros(3)                      # constant-only ...
        acc.add_(x)                               # ... but written in place
        view = torch.ones(4)[:3]
        view.mul_(2.0)                            # written through a view
        return acc + view, torch.full((2,), 7.0)  # the second output is a constant
    f = TracedFunction(fn, trace_after=0)
    x = torch.arange(3.0)
    for _ in range(3):
        a, c = f(x)
        assert torch.equal(a, x + 2.0) and torch.equal(c, torch.full((2,), 7.0))
        c.add_(1.0)                               # the caller may mutate what it got
    assert f.num_traces == 1

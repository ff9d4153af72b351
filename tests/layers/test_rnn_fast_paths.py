"""Speed paths of the recurrent layers that must not change what they compute (issue 21):

* JAX on CPU projects each step's input inside the scan (``rnn_hoist_input_projection() is False``),
  NumPy and torch once for the whole sequence: both forms give the same outputs and gradients (float64:
  the same products summed in the same order per element, so agreement to a few ulp -- 1e-13 on O(1)
  values leaves ~500 ulp);
* torch runs the built-in ``predict``/``evaluate`` steps without autograd (oneDNN's LSTM takes its
  inference primitive), and inside its trace a GRU forward is one opaque op instead of its ~14 ATen calls
  per step: traced predictions equal eager ones (float32 kernels on the same inputs; 1e-6 relative to
  values of order 1 is ~10 ulp) and the trace holds that one op.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import kshim
from kshim import backends, ops

from ._util import installed_backends

RNNS = {"lstm": kshim.layers.LSTM, "gru": kshim.layers.GRU, "simple": kshim.layers.SimpleRNN}


@contextlib.contextmanager
def hoisting(b, value: bool):
    b.rnn_hoist_input_projection = lambda: value
    try:
        yield
    finally:
        del b.rnn_hoist_input_projection


def _grads(b, layer, x):
    tv = [v.value for v in layer.trainable_variables]
    ntv = [v.value for v in layer.non_trainable_variables]  # the seed generator's state

    def f(tv, x):
        out, _ = layer.stateless_call(tv, ntv, x)
        return ops.sum(ops.sin(out))

    val, grads = b.value_and_grad(f, argnums=(0, 1))(tv, x)
    return float(ops.convert_to_numpy(val)), [ops.convert_to_numpy(g) for g in grads[0]] + [
        ops.convert_to_numpy(grads[1])
    ]


@pytest.mark.parametrize("name", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("kind", list(RNNS))
def test_per_step_projection_equals_hoisted(name, kind):
    if name not in installed_backends():
        pytest.skip(f"{name} is not installed")
    b = backends.get(name)
    x_np = np.random.default_rng(1).standard_normal((3, 7, 5))
    with kshim.backend.use(b):
        kshim.utils.set_random_seed(0)
        layer = RNNS[kind](4, return_sequences=True, dtype="float64")
        x = ops.convert_to_tensor(x_np, "float64")
        layer(x)
        runs = []
        for hoist in (True, False):
            with hoisting(b, hoist):
                runs.append((ops.convert_to_numpy(layer(x)), *_grads(b, layer, x)))
    (o1, v1, g1), (o2, v2, g2) = runs
    np.testing.assert_allclose(o1, o2, rtol=1e-13, atol=1e-13)
    assert abs(v1 - v2) <= 1e-12 * max(1.0, abs(v1))
    for a, c in zip(g1, g2):
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-13)


def test_jax_projects_per_step_on_cpu_only():
    if "jax" not in installed_backends():
        pytest.skip("jax is not installed")
    import jax

    assert backends.get("jax").rnn_hoist_input_projection() is (jax.default_backend() != "cpu")
    assert backends.get("numpy").rnn_hoist_input_projection() is True


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_torch_traced_predict_equals_eager_and_gru_is_one_op(kind):
    if "torch" not in installed_backends():
        pytest.skip("torch is not installed")
    import torch

    b = backends.get("torch")
    x = np.random.default_rng(2).standard_normal((24, 9, 5)).astype("float32")
    with kshim.backend.use(b):
        preds = []
        for eager in (True, False):
            kshim.utils.set_random_seed(0)
            m = kshim.Sequential([kshim.Input((9, 5)), RNNS[kind](6), kshim.layers.Dense(2)])
            m.compile("adam", "mse", run_eagerly=eager)
            runs = [m.predict(x, batch_size=8, verbose=0) for _ in range(3)]  # traced from the 3rd call on
            preds.append(runs[-1])
            if not eager:
                fn = m._fns[("predict", "torch", True)]
                assert fn.num_traces == 1, fn.fallback_reasons
                [prog] = [p for p in fn._programs.values() if hasattr(p, "graph")]
                targets = [str(n.target) for n in prog.graph.graph.nodes if n.op == "call_function"]
                assert any("gru_inference" in t for t in targets) == (kind == "gru")
                if kind == "gru":
                    assert not any("addmm" in t for t in targets)  # no per-step cell ops
        assert torch.is_grad_enabled()  # predict's no_grad does not leak
    np.testing.assert_allclose(preds[0], preds[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_torch_cpu_gru_training_runs_eagerly_lstm_is_traced(kind):
    """torch's CPU GRU is a C++ loop of cell ops that a trace would replay op by op from Python, so the
    train step declines the trace (the reason is recorded) and runs eagerly; the LSTM's trace keeps one
    oneDNN node. Either way the weights equal an eager-only run (trace and replay run the same kernels)."""
    if "torch" not in installed_backends():
        pytest.skip("torch is not installed")
    b = backends.get("torch")
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 7, 3)).astype("float32"), rng.standard_normal((16, 2)).astype("float32")
    weights = []
    with kshim.backend.use(b):
        for eager in (True, False):
            kshim.utils.set_random_seed(0)
            m = kshim.Sequential([kshim.Input((7, 3)), RNNS[kind](5), kshim.layers.Dense(2)])
            m.compile("sgd", "mse", run_eagerly=eager)
            m.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
            weights.append(m.get_weights())
            if not eager:
                [fn] = [f for k, f in m._fns.items() if k[0] == "train"]
                if kind == "gru":
                    assert fn.num_traces == 0
                    assert any("GRU training step on CPU" in r for r in fn.fallback_reasons), fn.fallback_reasons
                else:
                    assert fn.num_traces == 1, fn.fallback_reasons
    for a, c in zip(*weights):
        np.testing.assert_array_equal(a, c)

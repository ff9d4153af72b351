"""Divergence tracing (compat/trace.py): agreement on the bundled models, injected divergences
found at the right layer/step/kind, Sequential / functional / subclassed models, report forms.

The trace is cross-backend by nature (one call runs every backend), so these tests do not take the
``backend`` fixture; they skip when a backend they need is not installed.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import kshim
from kshim import backends as reg
from kshim.compat.trace import default_tolerances, trace_divergence

ALL = [b for b in ("numpy", "jax", "torch") if reg.is_available(b)]


def need(*names: str) -> list[str]:
    missing = [n for n in names if not reg.is_available(n)]
    if missing:
        pytest.skip(f"backend(s) {missing} not installed")
    return list(names)


@pytest.fixture(scope="module")
def mlp_trace():
    need("numpy", "jax", "torch")
    return trace_divergence("mlp", backends=ALL, steps=3)


def test_mlp_backends_agree(mlp_trace):
    r = mlp_trace
    assert r.first_divergence() is None and r.ok, r.describe()
    assert r.init_copied == {b: False for b in ALL}  # kshim builds bit-identical weights
    rec = r.records["numpy"][0]
    assert list(rec["activation"]) == ["dense", "dropout", "dense_1", "(loss)"]
    assert set(rec["gradient"]) == {"dense", "dense_1"} and set(rec["gradient"]["dense"]) == {"kernel", "bias"}
    assert len(r.comparisons) == 3 * 3 * (4 + 2 + 2)  # pairs x steps x (activations + gradients + updates)
    # the losses are the digits batches' cross-entropies (~ln 10 at init), equal across backends
    losses = r.losses()
    assert 1.5 < losses["numpy"][0] < 3.5
    np.testing.assert_allclose(losses["jax"], losses["numpy"], rtol=1e-5)  # float32 loss, a few ulp apart


def test_records_are_the_real_activations_gradients_and_updates(mlp_trace):
    """Step 0's first activation is relu(x W + b) of the initial weights, and the update of an
    Adam step is -lr * sqrt(1-b2) * g / (sqrt(1-b2) |g| + eps) of the recorded gradient."""
    from kshim.compat.training import batch_orders, digits
    (x, _), _ = digits(True)
    x0 = x[batch_orders(len(x), 1, 1337)[0][:32]]  # step 0's batch: the seed's permutation
    with kshim.backend.use("numpy"):
        kshim.utils.clear_session(free_memory=False)
        kshim.utils.set_random_seed(1337)
        from kshim.compat.training import build_mlp
        w = build_mlp().get_weights()
    rec = mlp_trace.records["numpy"][0]
    # float32 matmul of 64 terms vs float64: ~1e-6 relative
    np.testing.assert_allclose(rec["activation"]["dense"]["output"], np.maximum(x0 @ w[0] + w[1], 0),
                               rtol=1e-5, atol=1e-6)
    for name in ("kernel", "bias"):
        g = rec["gradient"]["dense_1"][name].astype(np.float64)
        s = np.sqrt(1 - 0.999)
        expected = -0.01 * s * g / (s * np.abs(g) + 1e-7)
        # float32 Adam arithmetic on weights ~0.1-1 (the update is after - before, one ulp of the weight)
        np.testing.assert_allclose(rec["update"]["dense_1"][name], expected, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("loss_scale", [None, 64.0])
def test_traced_step_is_fits_step(loss_scale):
    """The traced steps train exactly as ``fit`` on the same batches (the seed's first-epoch
    permutation, as ``kshim compare`` trains), dropout and a loss-scaling optimizer included."""
    from kshim.compat.training import batch_orders, build_mlp, digits

    def build():
        model = build_mlp()
        if loss_scale:
            model.compile(optimizer=kshim.optimizers.Adam(0.01, loss_scale_factor=loss_scale),
                          loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model
    traced = {}
    names = need("numpy", "torch")
    trace_divergence(build, backends=names, steps=3, perturb=lambda b, m: traced.setdefault(b, m))
    (x, y), _ = digits(True)
    for b in names:
        with kshim.backend.use(b):
            kshim.utils.clear_session(free_memory=False)
            kshim.utils.set_random_seed(1337)
            model = build()
            first = batch_orders(len(x), 1, 1337)[0][:96]
            model.fit(x[first], y[first], batch_size=32, epochs=1, shuffle=False, verbose=0)
            for w_fit, w_trace in zip(model.get_weights(), traced[b].get_weights()):
                # the same float32 computation; torch's fit replays a traced step, so allow a few ulp
                np.testing.assert_allclose(w_trace, w_fit, rtol=1e-6, atol=1e-7)


def test_trace_follows_the_studys_steps():
    """The trace replays the very steps ``kshim compare`` trains (seed-ordered batches, across an epoch
    boundary with its short last batch), so a divergence the study reports is one the trace can find:
    the traced per-step losses equal the study's per-step training curve (the same float32 steps; a
    few ulp for XLA's fused kernels)."""
    from kshim.compat.training import build_mlp, digits, train_one

    names = need("numpy", "jax")
    (x, _), _ = digits(True)
    batch = 256
    steps = -(-len(x) // batch) + 2  # the whole first epoch, then two steps into the second
    res = trace_divergence("mlp", backends=names, seed=5, steps=steps, batch_size=batch)
    study = train_one("numpy", build_mlp, digits(True), epochs=2, batch_size=batch, seed=5)
    np.testing.assert_allclose(res.losses()["numpy"], study["curve"][:steps], rtol=1e-6)


def test_cnn_backends_agree():
    r = trace_divergence("cnn", backends=need("numpy", "jax", "torch"), steps=3)
    assert r.ok, r.describe()
    assert list(r.records["torch"][0]["activation"])[:3] == ["conv2d", "batch_normalization", "max_pooling2d"]
    assert "moving_mean" in r.records["jax"][0]["update"]["batch_normalization"]


def _scale_kernel(backend: str, layer_name: str, factor: float):
    def perturb(b, model):
        if b == backend:
            layer = model.get_layer(layer_name)
            layer.kernel.assign(kshim.ops.multiply(layer.kernel.value, factor))
    return perturb


def test_kernel_perturbation_on_one_backend_is_located(mlp_trace):
    r = trace_divergence("mlp", backends=ALL, steps=2, perturb=_scale_kernel("torch", "dense", 1 + 1e-3))
    fd = r.first_divergence()
    assert fd is not None, r.describe()
    assert (fd["layer"], fd["step"], fd["kind"]) == ("dense", 0, "activation")
    assert fd["pairs"] == ["jax~torch", "numpy~torch"] and fd["pair"] in fd["pairs"]
    assert fd["tol"] == default_tolerances("float32")["activation"]
    assert 5e-4 < fd["max_rel"] < 2e-3  # a 1e-3 relative change of the pre-activation
    assert "step 0" in r.describe() and "`dense`" in r.describe()


def _grad_scale(c: float):
    """Identity forward, backward scaled by 1 + c: y + stop_gradient(-c y) + c y."""
    def wrap(call):
        def scaled(*args, **kwargs):
            y = call(*args, **kwargs)
            ops = kshim.ops
            return ops.add(ops.add(y, ops.stop_gradient(ops.multiply(y, -c))), ops.multiply(y, c))
        return scaled
    return wrap


def test_gradient_only_divergence():
    def perturb(b, model):
        if b == "numpy":
            layer = model.get_layer("dense_1")
            object.__setattr__(layer, "call", _grad_scale(1e-2)(layer.call))
    r = trace_divergence("mlp", backends=need("numpy", "torch"), steps=2, perturb=perturb)
    fd = r.first_divergence()
    assert fd is not None and (fd["step"], fd["kind"], fd["layer"]) == (0, "gradient", "dense_1"), fd
    step0 = [c for c in r.comparisons if c["step"] == 0 and c["kind"] == "activation"]
    assert step0 and all(c["ok"] for c in step0)  # the forward pass is untouched
    assert 5e-3 < fd["max_rel"] < 2e-2


def test_learning_rate_divergence_is_an_update():
    def perturb(b, model):
        if b == "torch":
            model.optimizer.learning_rate.assign(0.0105)
    r = trace_divergence("mlp", backends=need("numpy", "torch"), steps=2, perturb=perturb)
    fd = r.first_divergence()
    assert fd is not None and (fd["step"], fd["kind"]) == (0, "update"), fd
    assert fd["layer"] == "dense"  # updates are searched in forward order


def _functional():
    L = kshim.layers
    inp = kshim.Input((64,))
    a = L.Dense(16, activation="tanh", name="left")(inp)
    b = L.Dense(16, activation="relu", name="right")(inp)
    shared = L.Dense(16, name="shared")
    out = L.Dense(10, name="head")(L.Add(name="add")([shared(a), shared(b)]))
    model = kshim.Model(inp, out)
    model.compile(optimizer="adam", loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_functional_model_shared_layer_and_perturbation():
    names = need("numpy", "torch")
    r = trace_divergence(_functional, backends=names, steps=2)
    assert r.ok, r.describe()
    acts = list(r.records["numpy"][0]["activation"])
    assert {"left", "right", "shared", "shared#2", "add", "head", "(loss)"} == set(acts)
    r = trace_divergence(_functional, backends=names, steps=2, perturb=_scale_kernel("numpy", "right", 1 + 1e-3))
    fd = r.first_divergence()
    assert (fd["layer"], fd["step"], fd["kind"], fd["pairs"]) == ("right", 0, "activation", ["numpy~torch"])


class _Block(kshim.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = kshim.layers.Dense(units, activation="relu", name="inner")
        self.norm = kshim.layers.LayerNormalization(name="norm")

    def call(self, x):
        return self.norm(self.inner(x))


class _Subclassed(kshim.Model):
    def __init__(self):
        super().__init__()
        self.block = _Block(32, name="block")
        self.drop = kshim.layers.Dropout(0.3, name="drop")
        self.out = kshim.layers.Dense(10, name="out")

    def call(self, x, training=False):
        return self.out(self.drop(self.block(x), training=training))


def _subclassed():
    model = _Subclassed()
    model.compile(optimizer=kshim.optimizers.Adam(0.01),
                  loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_subclassed_model_traced_through_custom_layers():
    models = {}
    r = trace_divergence(_subclassed, backends=need("numpy", "jax", "torch"), steps=2,
                         perturb=lambda b, m: models.setdefault(b, m))
    assert r.ok, r.describe()
    rec = r.records["jax"][0]
    assert list(rec["activation"]) == ["block/inner", "block/norm", "block", "drop", "out", "(loss)"]
    assert set(rec["gradient"]) == {"block/inner", "block/norm", "out"}
    # the call wrappers are removed afterwards
    for model in models.values():
        assert not any("call" in layer.__dict__ for layer in model._flatten_layers())


def test_subclassed_perturbation_inside_a_custom_layer():
    def perturb(b, model):
        if b == "torch":
            k = model.block.inner.kernel
            k.assign(kshim.ops.multiply(k.value, 1 + 1e-3))
    r = trace_divergence(_subclassed, backends=need("numpy", "torch"), steps=1, perturb=perturb)
    fd = r.first_divergence()
    assert (fd["layer"], fd["step"], fd["kind"]) == ("block/inner", 0, "activation"), fd


def _recurrent():
    L = kshim.layers
    inner = kshim.Sequential([L.Dense(8, activation="relu"), L.Dense(8)], name="inner_seq")
    inp = kshim.Input((6, 4))
    h = L.GRU(6)(L.Bidirectional(L.LSTM(5, return_sequences=True), name="bi")(inp))
    model = kshim.Model(inp, L.Dense(3, name="head")(inner(h)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _sequences():
    r = np.random.default_rng(0)
    return (r.normal(size=(24, 6, 4)).astype("float32"), r.integers(0, 3, 24).astype("int32")), None


_recurrent.load_data = _sequences


def test_recurrent_and_nested_sequential():
    """RNN layers are single units (their cells run inside a scan, which a recorded output must
    not leave on JAX); a nested model is traced as itself and through its layers; a wrapper's two
    cells' variables keep distinct names. (numpy/torch: jitting these scans on JAX takes ~40 s on
    this CPU; the JAX path is covered by the subclassed and bundled-model tests.)"""
    r = trace_divergence(_recurrent, backends=need("numpy", "torch"), steps=1, batch_size=12)
    assert r.ok, r.describe()
    rec = r.records["torch"][0]
    assert list(rec["activation"]) == ["bi", "gru", "inner_seq/dense", "inner_seq/dense_1", "inner_seq", "head",
                                       "(loss)"]
    assert sorted(rec["gradient"]["bi"]) == sorted(f"{d}_lstm/lstm_cell/{n}" for d in ("forward", "backward")
                                                   for n in ("kernel", "recurrent_kernel", "bias"))


def test_weights_copied_when_a_model_does_not_build_identically():
    counter = iter(range(10))

    def build():
        c = 0.1 * (1 + next(counter))  # a different constant kernel at every build
        model = kshim.Sequential([kshim.Input((64,)), kshim.layers.Dense(
            10, kernel_initializer=kshim.initializers.Constant(c), name="d")])
        model.compile(optimizer="sgd", loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model
    r = trace_divergence(build, backends=need("numpy", "torch"), steps=2)
    assert r.init_copied == {"numpy": False, "torch": True}
    assert r.ok, r.describe()


def test_script_model(tmp_path):
    script = tmp_path / "tiny.py"
    script.write_text(
        "import numpy as np\nimport kshim as keras\n"
        "def build_model():\n"
        "    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name='d')])\n"
        "    m.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')\n"
        "    return m\n"
        "def load_data():\n"
        "    r = np.random.default_rng(0)\n"
        "    x, y = r.normal(size=(20, 4)).astype('float32'), r.integers(0, 3, 20).astype('int32')\n"
        "    return (x, y), (x, y)\n")
    r = trace_divergence(str(script), backends=need("numpy", "torch"), steps=4, batch_size=8)
    assert r.model == "tiny.py" and r.ok
    # 20 samples in batches of 8: as fit cuts an epoch, step 2 is its short last batch, step 3 the next epoch's first
    assert [r.records["numpy"][s]["activation"]["d"]["output"].shape[0] for s in range(4)] == [8, 8, 4, 8]


def test_reports(mlp_trace, tmp_path):
    r = mlp_trace
    d = r.as_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["first_divergence"] is None and d["ok"] is True
    assert {g["kind"] for g in d["growth"]} == {"activation", "gradient", "update"}
    assert all(len(g["max_rel"]) == 3 for g in d["growth"])
    md = r.to_markdown()
    assert "No divergence" in md and "| jax~torch | gradient | dense_1 |" in md
    pytest.importorskip("matplotlib")
    out = r.plot(str(tmp_path / "trace.png"))
    assert out == str(tmp_path / "trace.png")
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_divergent_report_forms():
    r = trace_divergence("mlp", backends=need("numpy", "torch"), steps=2,
                         perturb=_scale_kernel("torch", "dense_1", 1.01))
    d = json.loads(json.dumps(r.as_dict(), allow_nan=False))
    assert d["first_divergence"]["layer"] == "dense_1" and not d["ok"]
    assert "**!**" in r.to_markdown() and "First divergence at step 0, layer `dense_1`" in r.to_markdown()
    growth = {(g["layer"], g["kind"]): g["max_rel"] for g in r.growth()}
    assert growth[("dense_1", "activation")][0] > 1e-3 > growth[("dense", "activation")][0]


def test_explicit_tolerance_overrides_every_kind():
    r = trace_divergence("mlp", backends=need("numpy", "torch"), steps=1, rtol=0.0, atol=0.0)
    assert r.tolerances == {"activation": (0.0, 0.0), "gradient": (0.0, 0.0), "update": (0.0, 0.0)}
    # numpy and torch round float32 matmuls differently: exact comparison finds a difference
    assert r.first_divergence() is not None


def test_argument_errors():
    with pytest.raises(ValueError, match="at least two backends"):
        trace_divergence("mlp", backends=["numpy"])
    with pytest.raises(ValueError, match="steps"):
        trace_divergence("mlp", backends=["numpy", "numpy"], steps=0)
    with pytest.raises(ValueError, match="Unknown model"):
        trace_divergence("nope", backends=["numpy", "torch"])

    def uncompiled():
        return kshim.Sequential([kshim.Input((64,)), kshim.layers.Dense(2)])
    with pytest.raises(ValueError, match="compiled"):
        trace_divergence(uncompiled, backends=["numpy", "numpy"], steps=1)

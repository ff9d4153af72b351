"""Adafactor, Ftrl, Lamb, Muon, ScheduleFreeAdamW, LossScaleOptimizer and MultiOptimizer/OptimizerMap
against real Keras 3 (JAX backend) as the oracle: same initial weights and gradients, several steps,
then every model variable and every optimizer slot compared, plus slot names/order/shapes (they are
``optimizer/vars/N`` in saved files), configs, positional arguments, errors, the stateless step and
one ``fit`` per optimizer.

Tolerances: float32 rtol 1e-5 / atol 1e-6 -- both sides run the same float32 op sequence, so they
differ by a few ulps per step (the backends' pow/sqrt/matmul rounding), far below the >= 1e-4 a
formula mistake causes. float64 rtol 1e-10 / atol 1e-12 for the same reason at float64 ulps, except
against Keras for Adafactor and Muon: Keras computes ``mean`` and ``norm`` of float64 tensors in
float32 (its promotion of float64 with float32 gives float32; KERAS_NOTES.md), so its float64
results there are only float32-accurate (observed 1e-9..5e-9 relative): rtol 1e-6 for those, and
their float64 accuracy is checked across kshim's backends instead (``test_float64_backends_agree``).
"""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

import kshim
from kshim import ops, optimizers
from kshim.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

TOL = {"float32": (1e-5, 1e-6), "float64": (1e-10, 1e-12)}
_rng = np.random.default_rng(0)
SHAPES = [(3, 4), (4,), (2, 3, 4)]  # a matrix, a vector and a rank-3 kernel: every code path
NAMES = ["k", "b", "c"]
W0 = [_rng.normal(size=s) for s in SHAPES]
GRADS = [[_rng.normal(size=s) * scale for s in SHAPES] for scale in (1.0, 3.0, 0.1, 2.0, 0.5)]

CASES = [
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.1, "relative_step": False, "clip_threshold": 0.5}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "l1_regularization_strength": 0.01,
              "l2_regularization_strength": 0.1, "l2_shrinkage_regularization_strength": 0.05, "beta": 0.5}),
    ("Lamb", {"learning_rate": 0.01}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.1, "clipnorm": 1.0}),
    ("Muon", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.1, "ns_steps": 3}),
    ("Muon", {"learning_rate": 0.01, "exclude_layers": ["^k$"], "weight_decay": None}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"warmup_steps": 3, "weight_decay": 0.01, "learning_rate": 0.01}),
]
IDS = [f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES]
KERAS_F32_REDUCTIONS = ("Adafactor", "Muon")  # Keras' float64 mean/norm run in float32 (see above)

def _keras_run(name, kwargs, dtype):
    opt = getattr(keras.optimizers, name)(**kwargs)
    vs = [keras.Variable(w.astype(dtype), dtype=dtype, name=n) for w, n in zip(W0, NAMES)]
    for g in GRADS:
        opt.apply_gradients(zip([x.astype(dtype) for x in g], vs))
    return opt, vs


def _kshim_run(name, kwargs, dtype, steps=len(GRADS)):
    opt = getattr(optimizers, name)(**kwargs)
    vs = [Variable(w.astype(dtype), dtype=dtype, name=n) for w, n in zip(W0, NAMES)]
    for g in GRADS[:steps]:
        opt.apply_gradients(zip([x.astype(dtype) for x in g], vs))
    return opt, vs


def _tail(path):
    return path.split("/")[-1]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_matches_keras(backend, name, kwargs, dtype):
    rtol, atol = TOL[dtype]
    if dtype == "float64" and name in KERAS_F32_REDUCTIONS:
        rtol, atol = 1e-6, 1e-9
    kopt, kvs = _keras_run(name, kwargs, dtype)
    opt, vs = _kshim_run(name, kwargs, dtype)
    for v, kv in zip(vs, kvs):
        assert v.dtype == dtype
        np.testing.assert_allclose(v.numpy(), np.asarray(kv.numpy()), rtol=rtol, atol=atol)
    assert [_tail(v.path) for v in opt.variables] == [_tail(v.path) for v in kopt.variables]
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    assert int(opt.iterations.numpy()) == len(GRADS)
    for a, b in zip(opt.variables[1:], kopt.variables[1:]):  # every slot (iteration dtype differs: int64)
        np.testing.assert_allclose(a.numpy(), np.asarray(b.numpy()), rtol=rtol, atol=atol, err_msg=a.path)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_float64_backends_agree(backend, name, kwargs):
    """float64 runs in float64 on every backend: each agrees with the JAX backend to float64 round-off
    (observed <= 2e-14 relative between jax and torch over 5 steps)."""
    if backend.name == "jax" or not kshim.backends.is_available("jax"):
        pytest.skip("compares another backend with jax")
    _, vs = _kshim_run(name, kwargs, "float64")
    with kshim.backend.use("jax"):
        _, ref = _kshim_run(name, kwargs, "float64")
    for v, r in zip(vs, ref):
        np.testing.assert_allclose(v.numpy(), r.numpy(), rtol=1e-12, atol=1e-14)


def test_adafactor_slot_layout(backend):
    """Factored row/column accumulators for rank >= 2, two int32 placeholders for rank < 2, as Keras."""
    opt, vs = _kshim_run("Adafactor", {"name": "adafactor"}, "float32", steps=1)
    layout = [(v.path, tuple(v.shape), v.dtype) for v in opt.variables[2:]]
    assert layout == [("adafactor/k", (3,), "float32"), ("adafactor/k", (4,), "float32"),
                      ("adafactor/k_velocity", (3, 4), "float32"),
                      ("b", (), "int32"), ("b", (), "int32"), ("adafactor/b_velocity", (4,), "float32"),
                      ("adafactor/c", (2, 3), "float32"), ("adafactor/c", (2, 4), "float32"),
                      ("adafactor/c_velocity", (2, 3, 4), "float32")]


def test_muon_routes_variables_like_keras(backend):
    """2-D variables take the Muon step unless excluded (an "embedding" path or an exclude_layers
    pattern); the AdamW ones get a velocity slot, created right after their momentum."""
    paths = ["dense/kernel", "embedding/embeddings", "head/kernel"]
    kvs = []
    for path in paths:
        with keras.name_scope(path.split("/")[0]):
            kvs.append(keras.Variable(np.ones((3, 4), "float32"), name=path.split("/")[1]))
    assert [v.path for v in kvs] == paths
    vs = [Variable(np.ones((3, 4), "float32"), name=p.split("/")[1]) for p in paths]
    for v, p in zip(vs, paths):
        v.path = p
    kopt, opt = keras.optimizers.Muon(exclude_layers=["hea"]), optimizers.Muon(exclude_layers=["hea"])
    kopt.build(kvs)
    opt.build(vs)
    want = [_tail(v.path) for v in kopt.variables]
    assert [_tail(v.path) for v in opt.variables] == want
    assert want == ["iteration", "learning_rate", "dense_kernel_momentum", "embedding_embeddings_momentum",
                    "embedding_embeddings_velocity", "head_kernel_momentum", "head_kernel_velocity"]


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_config_round_trip(backend, name, kwargs):
    kcfg = getattr(keras.optimizers, name)(**kwargs).get_config()
    opt = getattr(optimizers, name)(**kwargs)
    cfg = opt.get_config()
    assert set(cfg) == set(kcfg)
    for key, value in kcfg.items():
        if key == "name":
            continue
        if isinstance(value, float):
            assert cfg[key] == pytest.approx(value, rel=1e-7), key  # learning rates pass through float32
        else:
            assert cfg[key] == value, key
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert type(clone) is type(opt)
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == \
        {k: v for k, v in cfg.items() if k != "name"}
    # A config written by real Keras loads into kshim.
    assert type(optimizers.deserialize(keras.optimizers.serialize(getattr(keras.optimizers, name)(**kwargs)))) \
        is type(opt)


@pytest.mark.parametrize("alias", ["adafactor", "ftrl", "muon", "schedulefreeadamw", "lamb"])
def test_get_by_name(backend, alias):
    opt = optimizers.get(alias)
    assert type(opt).__name__.lower() == alias
    if alias != "lamb":  # Keras leaves Lamb out of its name lookup; kshim accepts it too
        assert type(keras.optimizers.get(alias)).__name__ == type(opt).__name__


def test_positional_arguments_follow_keras(backend):
    a = optimizers.Adafactor(0.01, -0.5, 1e-29, 1e-2, 2.0, False, 0.1)
    assert (a.beta_2_decay, a.epsilon_1, a.epsilon_2, a.clip_threshold, a.relative_step, a.weight_decay) == \
        (-0.5, 1e-29, 1e-2, 2.0, False, 0.1)
    f = optimizers.Ftrl(0.1, -0.2, 0.3, 0.01, 0.02, 0.03, 0.4)
    assert (f.learning_rate_power, f.initial_accumulator_value, f.l1_regularization_strength,
            f.l2_regularization_strength, f.l2_shrinkage_regularization_strength, f.beta) == \
        (-0.2, 0.3, 0.01, 0.02, 0.03, 0.4)
    m = optimizers.Muon(0.01, 0.8, 0.9, 0.1, 1e-6, 0.2)
    assert (m.adam_beta_1, m.adam_beta_2, m.adam_weight_decay, m.epsilon, m.weight_decay) == (0.8, 0.9, 0.1, 1e-6,
                                                                                                0.2)
    s = optimizers.ScheduleFreeAdamW(0.01, 0.8, 0.9, 1e-6, 5)
    assert (s.beta_1, s.beta_2, s.epsilon, s.warmup_steps) == (0.8, 0.9, 1e-6, 5)
    lso = optimizers.LossScaleOptimizer(optimizers.SGD(), 8.0, 3)
    assert (lso.initial_scale, lso.dynamic_growth_steps) == (8.0, 3)


@pytest.mark.parametrize("kwargs,match", [
    ({"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    ({"learning_rate_power": 0.5}, "learning_rate_power"),
    ({"l1_regularization_strength": -1.0}, "l1_regularization_strength"),
    ({"l2_regularization_strength": -1.0}, "l2_regularization_strength"),
    ({"l2_shrinkage_regularization_strength": -1.0}, "l2_shrinkage"),
])
def test_ftrl_refuses_bad_hyperparameters_like_keras(backend, kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.Ftrl(**kwargs)
    with pytest.raises(ValueError, match=match):
        keras.optimizers.Ftrl(**kwargs)


@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=IDS[::2])
def test_stateless_apply_equals_apply(backend, name, kwargs):
    opt, vs = _kshim_run(name, kwargs, "float32", steps=0)
    opt.build(vs)
    ref, rvs = _kshim_run(name, kwargs, "float32", steps=0)
    ov, tv = [v.value for v in opt.variables], [v.value for v in vs]
    for g in GRADS:
        tv, ov = opt.stateless_apply(ov, [ops.convert_to_tensor(x.astype("float32")) for x in g], tv)
        ref.apply([x.astype("float32") for x in g], rvs)
    for a, b in zip(tv, rvs):
        np.testing.assert_allclose(ops.convert_to_numpy(a), b.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(ov, ref.variables):
        np.testing.assert_allclose(ops.convert_to_numpy(a), b.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(vs[0].numpy(), W0[0].astype("float32"))  # nothing mutated
    assert int(opt.iterations.numpy()) == 0


# ---- LossScaleOptimizer ---------------------------------------------------------------------------------
SCALE_GRADS = [[x.astype("float32") * 64 for x in g] for g in GRADS + GRADS[:2]]
SCALE_GRADS[2][0][1, 1] = np.inf   # step 3 and 5 are not finite: skipped, scale halved
SCALE_GRADS[4][1][0] = np.nan


def _lso(mod):
    return mod.optimizers.LossScaleOptimizer(mod.optimizers.SGD(0.1, momentum=0.9), initial_scale=64.0,
                                             dynamic_growth_steps=2)


def _keras_lso():
    """Keras' LossScaleOptimizer through its stateless API (its stateful apply fails under JAX's cond)."""
    opt = _lso(keras)
    vs = [keras.Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    opt.build(vs)
    ov, tv = [v.value for v in opt.variables], [v.value for v in vs]
    for g in SCALE_GRADS:
        tv, ov = opt.stateless_apply(ov, g, tv)
    return [np.asarray(t) for t in tv], [np.asarray(o) for o in ov], opt


def test_loss_scale_optimizer_matches_keras(backend):
    want_tv, want_ov, kopt = _keras_lso()
    opt = _lso(kshim)
    vs = [Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    for g in SCALE_GRADS:
        opt.apply(g, vs)
    for v, w in zip(vs, want_tv):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-5, atol=1e-6)
    assert [_tail(v.path) for v in opt.variables] == [_tail(v.path) for v in kopt.variables]
    for a, b in zip(opt.variables, want_ov):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6, err_msg=a.path)
    # 7 steps, 2 skipped: the inner optimizer counted 5; the scale went 64 -> 128 -> 64 -> 32 -> 64.
    assert int(opt.iterations.numpy()) == 5 and float(opt.dynamic_scale.numpy()) == 64.0
    assert float(ops.convert_to_numpy(opt.scale_loss(ops.convert_to_tensor(2.0)))) == 128.0


def test_loss_scale_optimizer_skips_non_finite_steps_under_jit(backend):
    """The skip decision is a tensor ``where``, so the stateless step traces under jax.jit."""
    if backend.name != "jax":
        pytest.skip("jax.jit only")
    import jax
    opt = _lso(kshim)
    vs = [Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    opt.build(vs)
    ref = _lso(kshim)
    rvs = [Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    step = jax.jit(lambda o, g, t: opt.stateless_apply(o, g, t))
    ov, tv = [v.value for v in opt.variables], [v.value for v in vs]
    for g in SCALE_GRADS:
        tv, ov = step(ov, [jax.numpy.asarray(x) for x in g], tv)
        ref.apply(g, rvs)
    for a, b in zip(tv, rvs):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(ov, ref.variables):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-6, atol=1e-7)


def test_loss_scale_optimizer_config_and_errors(backend):
    opt = optimizers.LossScaleOptimizer(optimizers.Adam(0.01, loss_scale_factor=4.0), initial_scale=8.0)
    assert opt.inner_optimizer.loss_scale_factor is None  # never scaled twice
    kcfg = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(0.01), initial_scale=8.0).get_config()
    cfg = opt.get_config()
    assert set(cfg) == set(kcfg) and cfg["initial_scale"] == 8.0 and cfg["dynamic_growth_steps"] == 2000
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(clone.inner_optimizer, optimizers.Adam) and clone.initial_scale == 8.0
    assert isinstance(optimizers.deserialize(keras.optimizers.serialize(
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()))), optimizers.LossScaleOptimizer)
    opt.learning_rate = 0.5
    assert float(ops.convert_to_numpy(opt.inner_optimizer.learning_rate)) == 0.5
    with pytest.raises(ValueError, match="dynamic=False"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=None)  # defaults from old configs are accepted
    with pytest.raises(ValueError, match="foo"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), foo=1)


# ---- MultiOptimizer / OptimizerMap --------------------------------------------------------------------
def _multi(mod):
    O = mod.optimizers
    return O.MultiOptimizer(O.OptimizerMap(O.SGD(0.1, momentum=0.5), {"b": O.Adam(0.01), "c.*": O.Lion(0.01)}))


def test_multi_optimizer_matches_keras(backend):
    kopt = _multi(keras)
    kvs = [keras.Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    opt = _multi(kshim)
    vs = [Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    for g in GRADS:
        kopt.apply([x.astype("float32") for x in g], kvs)
        opt.apply([x.astype("float32") for x in g], vs)
    for v, kv in zip(vs, kvs):
        np.testing.assert_allclose(v.numpy(), np.asarray(kv.numpy()), rtol=1e-5, atol=1e-6)
    strip = [re.sub(r"_\d+$", "", v.path.split("/")[0]) + "/" + _tail(v.path) for v in opt.variables]
    kstrip = [re.sub(r"_\d+$", "", v.path.split("/")[0]) + "/" + _tail(v.path) for v in kopt.variables]
    assert strip == kstrip
    assert [type(o).__name__ for o in opt.optimizers] == [type(o).__name__ for o in kopt.optimizers]
    for a, b in zip(opt.variables, kopt.variables):
        if a.dtype.startswith("float"):
            np.testing.assert_allclose(a.numpy(), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6, err_msg=a.path)
    assert int(opt.iterations.numpy()) == len(GRADS)
    assert [int(o.iterations.numpy()) for o in opt.optimizers] == [len(GRADS)] * 3


def test_multi_optimizer_with_a_callable_and_stateless(backend):
    adam, sgd = optimizers.Adam(0.01), optimizers.SGD(0.1)
    opt = optimizers.MultiOptimizer(lambda v: adam if v.name == "b" else sgd)
    vs = [Variable(w.astype("float32"), name=n) for w, n in zip(W0, NAMES)]
    opt.build(vs)
    assert opt.optimizers == [sgd, adam]  # first-use order for a callable (k, then b)
    ov, tv = [v.value for v in opt.variables], [v.value for v in vs]
    g = [x.astype("float32") for x in GRADS[0]]
    tv, ov = opt.stateless_apply(ov, [ops.convert_to_tensor(x) for x in g], tv)
    np.testing.assert_allclose(ops.convert_to_numpy(tv[0]), W0[0].astype("float32") - 0.1 * g[0], rtol=1e-6)
    assert int(opt.iterations.numpy()) == 0  # stateless: nothing mutated
    with pytest.raises(AttributeError, match="sub-optimizers"):
        opt.learning_rate  # noqa: B018
    with pytest.raises(AttributeError, match="sub-optimizers"):
        opt.learning_rate = 0.1


def test_optimizer_map_lookup_config_and_errors(backend):
    adam, sgd, lion = optimizers.Adam(), optimizers.SGD(), optimizers.Lion()
    m = optimizers.OptimizerMap(lion)
    m["encoder/layer_0/dense"] = adam
    m["encoder/.*"] = sgd
    assert m["encoder/layer_0/dense"] is adam and m["encoder/layer_0/attention"] is sgd and m["decoder"] is lion
    with pytest.raises(ValueError, match="already exists"):
        m["encoder/.*"] = adam
    with pytest.raises(ValueError, match="LossScaleOptimizer"):
        m["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    m["enc.*"] = adam
    with pytest.raises(ValueError, match="Multiple optimizers"):
        m["encoder/x"]  # noqa: B018
    with pytest.raises(TypeError, match="default_optimizer"):
        optimizers.OptimizerMap("adam")
    opt = _multi(kshim)
    cfg = opt.get_config()
    assert set(cfg) == set(_multi(keras).get_config())
    clone = optimizers.deserialize(optimizers.serialize(opt))
    assert [type(o).__name__ for o in clone.optimizers] == ["Adam", "Lion", "SGD"]
    from_keras = optimizers.deserialize(keras.optimizers.serialize(_multi(keras)))
    assert [type(o).__name__ for o in from_keras.optimizers] == ["Adam", "Lion", "SGD"]
    bad = optimizers.MultiOptimizer(lambda v: optimizers.LossScaleOptimizer(optimizers.SGD()))
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used"):
        bad.build([Variable(np.ones(2, "float32"))])


# ---- one fit per new optimizer ---------------------------------------------------------------------------
FIT = {
    "Adafactor": lambda O: O.Adafactor(learning_rate=0.05, relative_step=False),
    "Ftrl": lambda O: O.Ftrl(learning_rate=0.5),
    "Lamb": lambda O: O.Lamb(learning_rate=0.02),
    "Muon": lambda O: O.Muon(learning_rate=0.1),
    "ScheduleFreeAdamW": lambda O: O.ScheduleFreeAdamW(learning_rate=0.02),
    "LossScaleOptimizer": lambda O: O.LossScaleOptimizer(O.Adam(0.02), initial_scale=2.0 ** 10),
    "MultiOptimizer": lambda O: O.MultiOptimizer(O.OptimizerMap(O.SGD(0.05), {".*bias": O.Adam(0.02)})),
}
_FIT_REFERENCE: dict = {}


def _fit(name):
    r = np.random.default_rng(3)
    x = r.normal(size=(64, 5)).astype("float32")
    y = (x @ r.normal(size=(5, 2)) + 0.1).astype("float32")
    kshim.utils.set_random_seed(11)
    model = kshim.Sequential([kshim.Input((5,)), kshim.layers.Dense(8, activation="tanh"), kshim.layers.Dense(2)])
    model.compile(FIT[name](optimizers), "mse")
    hist = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    return hist.history["loss"], model.get_weights()


@pytest.mark.parametrize("name", list(FIT))
def test_fit_trains_and_backends_agree(backend, name):
    # 16 steps of float32 training: backends differ by kernel rounding (~1e-7 per op), amplified by the
    # optimizers' normalisations to ~1e-6; rtol 1e-4 leaves margin while a different rule differs at 1e-2.
    loss, weights = _fit(name)
    assert loss[-1] < 0.8 * loss[0], loss
    if "numpy" not in _FIT_REFERENCE.setdefault(name, {}):
        with kshim.backend.use("numpy"):
            _FIT_REFERENCE[name]["numpy"] = _fit(name)
    ref_loss, ref_weights = _FIT_REFERENCE[name]["numpy"]
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-4)
    for a, b in zip(weights, ref_weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_fit_with_loss_scaling_equals_fit_without(backend):
    """Scaling the loss by 2**10 and the gradients back by 2**-10 is exact in binary floating point, so
    LossScaleOptimizer(SGD) trains exactly as SGD while every gradient is finite."""
    FIT["_sgd"] = lambda O: O.SGD(0.05)
    FIT["_lso_sgd"] = lambda O: O.LossScaleOptimizer(O.SGD(0.05), initial_scale=2.0 ** 10)
    try:
        plain, scaled = _fit("_sgd"), _fit("_lso_sgd")
    finally:
        del FIT["_sgd"], FIT["_lso_sgd"]
    np.testing.assert_allclose(scaled[0], plain[0], rtol=1e-6)
    for a, b in zip(scaled[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)



def test_fit_with_loss_scale_factor_equals_fit_without(backend):
    """``loss_scale_factor`` on a plain optimizer: the step differentiates ``loss * f`` and ``apply``
    divides the gradients by ``f`` (a power of two: exact), so training equals unscaled training."""
    FIT["_sgd"] = lambda O: O.SGD(0.05)
    FIT["_sgd_f"] = lambda O: O.SGD(0.05, loss_scale_factor=2.0 ** 8)
    try:
        plain, scaled = _fit("_sgd"), _fit("_sgd_f")
    finally:
        del FIT["_sgd"], FIT["_sgd_f"]
    np.testing.assert_allclose(scaled[0], plain[0], rtol=1e-6)
    for a, b in zip(scaled[1], plain[1]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# ---- .keras files move both ways -------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("name", [n for n in FIT if not n.startswith("_")])
def test_keras_files_carry_the_optimizer_state_both_ways(tmp_path, name):
    """A model trained with each new optimizer, saved by kshim, loads in Keras with the same optimizer
    variables (same count, order and values: ``optimizer/vars/N``), and the other way round. On the
    NumPy backend only: the other backends hold the same variables (``test_matches_keras``)."""
    r = np.random.default_rng(0)
    x, y = r.normal(size=(32, 5)).astype("float32"), r.normal(size=(32, 2)).astype("float32")

    def trained(mod):
        m = mod.Sequential([mod.Input((5,)), mod.layers.Dense(4, activation="tanh"), mod.layers.Dense(2)])
        m.compile(FIT[name](mod.optimizers), "mse")
        m.fit(x, y, batch_size=8, epochs=1, verbose=0)
        return m

    with kshim.backend.use("numpy"):
        for src, dst in ((kshim, keras), (keras, kshim)):
            model = trained(src)
            path = str(tmp_path / f"{src.__name__}.keras")
            model.save(path)
            loaded = dst.models.load_model(path)
            assert type(loaded.optimizer).__name__ == type(model.optimizer).__name__
            want = [np.asarray(v.numpy()) for v in model.optimizer.variables]
            got = [np.asarray(v.numpy()) for v in loaded.optimizer.variables]
            assert len(got) == len(want) > 2
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)

"""Optimizers and LR schedules vs real Keras 3 (JAX backend) as the oracle.

Tolerance: both sides run the same float32 op sequence, so results agree to a few ulps per step;
differences only come from backend kernels (pow/sqrt/cos rounding in XLA vs NumPy vs torch).
Over 5 steps that stays well below rtol 1e-5 (float32 ulp ~ 6e-8), while any formula
mistake (eps placement, bias correction, decay order) shows up at >= 1e-4.
"""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

import kshim
from kshim import ops, optimizers
from kshim.optimizers import schedules
from kshim.variables import Variable

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

RTOL, ATOL = 1e-5, 1e-6
STEPS = 5
_rng = np.random.default_rng(0)
W0 = [_rng.normal(size=(3, 4)).astype("float32"), _rng.normal(size=(4,)).astype("float32")]
GRADS = [[_rng.normal(size=w.shape).astype("float32") * s for w in W0] for s in (1.0, 3.0, 0.1, 2.0, 0.5)]

CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {}), ("Adam", {"amsgrad": True, "learning_rate": 0.01}), ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "learning_rate": 0.05}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.9}), ("RMSprop", {"centered": True, "momentum": 0.5}),
    ("Adagrad", {"learning_rate": 0.1}), ("Adadelta", {"learning_rate": 1.0}), ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}), ("Lion", {"learning_rate": 0.01}),
    ("SGD", {"weight_decay": 0.05, "learning_rate": 0.1}), ("Adam", {"clipnorm": 1.0}),
    ("Adam", {"global_clipnorm": 1.5}), ("RMSprop", {"clipvalue": 0.5}),
    ("SGD", {"clipnorm": 0.7, "momentum": 0.5}),
]


def _schedule_case(mod):
    return mod.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)


def _run_keras(name, kwargs, schedule=False):
    kw = dict(kwargs)
    if schedule:
        kw["learning_rate"] = _schedule_case(keras)
    opt = getattr(keras.optimizers, name)(**kw)
    vs = [keras.Variable(W0[0], name="k"), keras.Variable(W0[1], name="b")]
    for g in GRADS:
        opt.apply_gradients(zip(g, vs))
    return [np.asarray(v.numpy()) for v in vs], opt


def _make(name, kwargs, schedule=False):
    kw = dict(kwargs)
    if schedule:
        kw["learning_rate"] = _schedule_case(kshim)
    return getattr(optimizers, name)(**kw), [Variable(W0[0], name="k"), Variable(W0[1], name="b")]


def _tail(path):
    # Keras' Nadam slot is an unscoped auto-named "variable", "variable_1", ...
    return re.sub(r"^variable_\d+$", "variable", path.split("/")[-1])


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_matches_keras(backend, name, kwargs):
    want, kopt = _run_keras(name, kwargs)
    opt, vs = _make(name, kwargs)
    for g in GRADS:
        opt.apply_gradients(zip(g, vs))
    for v, w in zip(vs, want):
        np.testing.assert_allclose(v.numpy(), w, rtol=RTOL, atol=ATOL)
    assert [_tail(v.path) for v in opt.variables] == [_tail(v.path) for v in kopt.variables]
    assert [tuple(v.shape) for v in opt.variables] == [tuple(v.shape) for v in kopt.variables]
    assert int(opt.iterations.numpy()) == STEPS
    for a, b in zip(opt.variables[1:], kopt.variables[1:]):  # slots too (iteration dtype differs: int64)
        np.testing.assert_allclose(a.numpy(), np.asarray(b.numpy()), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Nadam"])
def test_schedule_lr_matches_keras(backend, name):
    want, kopt = _run_keras(name, {"momentum": 0.9} if name == "SGD" else {}, schedule=True)
    opt, vs = _make(name, {"momentum": 0.9} if name == "SGD" else {}, schedule=True)
    for g in GRADS:
        opt.apply(g, vs)
    for v, w in zip(vs, want):
        np.testing.assert_allclose(v.numpy(), w, rtol=RTOL, atol=ATOL)
    assert len(opt.variables) == len(kopt.variables)  # no learning_rate variable with a schedule
    np.testing.assert_allclose(ops.convert_to_numpy(opt.learning_rate), float(kopt.learning_rate), rtol=1e-6)


@pytest.mark.parametrize("name,kwargs", CASES[::2], ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES[::2]])
def test_stateless_apply_equals_apply(backend, name, kwargs):
    opt, vs = _make(name, kwargs)
    opt.build(vs)
    ref, rvs = _make(name, kwargs)
    ref.build(rvs)
    ov = [v.value for v in opt.variables]
    tv = [v.value for v in vs]
    for g in GRADS:
        tv, ov = opt.stateless_apply(ov, [ops.convert_to_tensor(x) for x in g], tv)
        ref.apply(g)
    for a, b in zip(tv, rvs):
        np.testing.assert_allclose(ops.convert_to_numpy(a), b.numpy(), rtol=1e-6, atol=1e-7)
    for a, b in zip(ov, ref.variables):
        np.testing.assert_allclose(ops.convert_to_numpy(a), b.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(vs[0].numpy(), W0[0])  # stateless: nothing mutated
    assert int(opt.iterations.numpy()) == 0


def test_stateless_apply_under_jax_jit(backend):
    if backend.name != "jax":
        pytest.skip("jax.jit only")
    import jax
    opt, vs = _make("Adam", {"amsgrad": True, "global_clipnorm": 1.0, "weight_decay": 0.01})
    opt.build(vs)
    ref, rvs = _make("Adam", {"amsgrad": True, "global_clipnorm": 1.0, "weight_decay": 0.01})
    step = jax.jit(lambda o, g, t: opt.stateless_apply(o, g, t))
    ov, tv = [v.value for v in opt.variables], [v.value for v in vs]
    for g in GRADS:
        tv, ov = step(ov, [jax.numpy.asarray(x) for x in g], tv)
        ref.apply(g, rvs)
    for a, b in zip(tv, rvs):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-6, atol=1e-7)


def test_none_gradients_are_skipped(backend):
    opt, vs = _make("SGD", {"learning_rate": 0.1})
    with pytest.warns(UserWarning):
        opt.apply([GRADS[0][0], None], vs)
    np.testing.assert_array_equal(vs[1].numpy(), W0[1])
    np.testing.assert_allclose(vs[0].numpy(), W0[0] - 0.1 * GRADS[0][0], rtol=1e-6)


def test_exclude_from_weight_decay(backend):
    opt, vs = _make("AdamW", {"weight_decay": 0.5, "learning_rate": 0.1})
    kopt = keras.optimizers.AdamW(weight_decay=0.5, learning_rate=0.1)
    kvs = [keras.Variable(W0[0], name="k"), keras.Variable(W0[1], name="b")]
    opt.exclude_from_weight_decay(var_names=["b"])
    kopt.exclude_from_weight_decay(var_names=["b"])
    for g in GRADS:
        opt.apply(g, vs)
        kopt.apply(g, kvs)
    for v, w in zip(vs, kvs):
        np.testing.assert_allclose(v.numpy(), np.asarray(w.numpy()), rtol=RTOL, atol=ATOL)


def test_learning_rate_setter_and_config(backend):
    opt = optimizers.Adam(learning_rate=0.01)
    opt.learning_rate = 0.5
    assert float(ops.convert_to_numpy(opt.learning_rate)) == 0.5
    kcfg = keras.optimizers.Adam(learning_rate=0.01).get_config()
    cfg = optimizers.Adam(learning_rate=0.01).get_config()
    assert set(cfg) == set(kcfg)
    assert cfg["learning_rate"] == kcfg["learning_rate"]
    clone = optimizers.Adam.from_config(cfg)
    assert clone.beta_2 == 0.999
    sched = optimizers.SGD(learning_rate=schedules.CosineDecay(0.1, 10))
    s2 = optimizers.deserialize(optimizers.serialize(sched))
    assert isinstance(s2._learning_rate, schedules.CosineDecay)
    with pytest.raises(TypeError):
        sched.learning_rate = 0.1


@pytest.mark.parametrize("alias,cls", [("adam", "Adam"), ("sgd", "SGD"), ("rmsprop", "RMSprop"),
                                       ("adamw", "AdamW"), ("Adagrad", "Adagrad"), ("nadam", "Nadam"),
                                       ("lion", "Lion"), ("adamax", "Adamax"), ("adadelta", "Adadelta")])
def test_get_aliases(backend, alias, cls):
    opt = optimizers.get(alias)
    assert type(opt).__name__ == cls
    assert type(keras.optimizers.get(alias)).__name__ == cls
    assert optimizers.get(opt) is opt
    assert type(optimizers.get({"class_name": cls, "config": {"learning_rate": 0.3}})).__name__ == cls


def test_get_unknown_raises(backend):
    with pytest.raises(ValueError, match="adam"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="only one of|Only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


SCHEDULES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7)),
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7, staircase=True)),
    ("PiecewiseConstantDecay", dict(boundaries=[2, 5, 8], values=[1.0, 0.5, 0.25, 0.1])),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=6, end_learning_rate=0.01, power=2.0)),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=4, power=0.5, cycle=True)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)),
    ("InverseTimeDecay", dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5, staircase=True)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=8, alpha=0.1)),
    ("CosineDecay", dict(initial_learning_rate=0.0, decay_steps=8, warmup_target=0.2, warmup_steps=4)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3)),
    ("CosineDecayRestarts", dict(initial_learning_rate=0.1, first_decay_steps=3, t_mul=1.0, m_mul=0.5,
                                 alpha=0.1)),
]


@pytest.mark.parametrize("name,kw", SCHEDULES, ids=[f"{n}{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_schedules_match_keras(backend, name, kw):
    ks = getattr(keras.optimizers.schedules, name)(**kw)
    s = getattr(schedules, name)(**kw)
    for step in range(20):
        want = float(ks(step))
        got = float(ops.convert_to_numpy(s(step)))
        got_var = float(ops.convert_to_numpy(s(Variable(step, dtype="int64"))))
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8, err_msg=f"step {step}")
        np.testing.assert_allclose(got_var, want, rtol=1e-6, atol=1e-8)
    assert s.get_config() == ks.get_config()
    s2 = schedules.deserialize(schedules.serialize(s))
    assert s2.get_config() == s.get_config()

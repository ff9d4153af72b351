"""TorchModuleWrapper (torch backend), JaxLayer and FlaxLayer (JAX backend), and the documented
``jax.jit(jax.grad(model.stateless_call ...))`` example.

Oracles: the bare torch module and torch autograd (TorchModuleWrapper; real Keras' wrapper needs
Keras' torch backend, which the oracle venv does not run, so its config keys are compared with the
ones Keras 3.15's ``keras/src/utils/torch_utils.py`` writes: ``name``, ``trainable``, ``dtype``,
``module``, ``output_shape``); the bare JAX function / ``module.apply`` and real Keras 3 (JAX
backend) ``JaxLayer``/``FlaxLayer`` given the same parameters and seed.

Tolerances: kshim runs the same torch/JAX kernels as the bare module/function on the same float32
values, so forward outputs agree to float32 rounding (rtol 1e-6, atol 1e-6); where kshim and the
oracle sum a loss or gradient in a different order or accumulate several optimizer steps, rtol
1e-5 / atol 1e-6.
"""
from __future__ import annotations

import copy
import functools
import os
import re
import types
from pathlib import Path

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers import FlaxLayer, JaxLayer, TorchModuleWrapper

from ._util import npy

EXACT = dict(rtol=1e-6, atol=1e-6)
SUMMED = dict(rtol=1e-5, atol=1e-6)
rng = np.random.default_rng(0)
X = rng.standard_normal((8, 4)).astype("float32")
Y = rng.standard_normal((8, 2)).astype("float32")

# =============================================================================================
# TorchModuleWrapper
# =============================================================================================
torch_only = pytest.mark.backends("torch")


def _torch_mlp(batchnorm: bool = False):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    nn = torch.nn
    mid = [nn.BatchNorm1d(8)] if batchnorm else []
    return nn.Sequential(nn.Linear(4, 8), *mid, nn.Tanh(), nn.Linear(8, 2))


def _wrapped_model(module):
    inp = kshim.Input((4,))
    return kshim.Model(inp, TorchModuleWrapper(module)(inp))


@torch_only
def test_torch_wrapper_variables_follow_parameters_and_buffers(backend):
    module = _torch_mlp(batchnorm=True)
    layer = TorchModuleWrapper(module)
    params = [(k, tuple(p.shape)) for k, p in module.named_parameters()]
    assert [(v.name, v.shape) for v in layer.trainable_weights] == params
    assert [v.name for v in layer.non_trainable_weights] == ["1.running_mean", "1.running_var",
                                                             "1.num_batches_tracked"]
    module[0].weight.requires_grad_(False)  # a frozen parameter is a non-trainable variable
    frozen = TorchModuleWrapper(module)
    assert "0.weight" not in [v.name for v in frozen.trainable_weights]
    assert frozen.non_trainable_weights[0].name == "0.weight"


@torch_only
def test_torch_wrapper_predictions_equal_bare_module(backend):
    import torch
    module = _torch_mlp(batchnorm=True)
    bare = copy.deepcopy(module).eval()
    model = _wrapped_model(module)
    with torch.no_grad():
        want = bare(torch.tensor(X)).numpy()
    np.testing.assert_allclose(model.predict(X, verbose=0), want, **EXACT)
    # training=True runs the module in train mode: batch statistics, and the running ones updated
    layer = model.layers[-1]
    bare.train()
    with torch.no_grad():
        want_train = bare(torch.tensor(X)).numpy()
    np.testing.assert_allclose(npy(layer(X, training=True)), want_train, **EXACT)
    running = {v.name: v.numpy() for v in layer.non_trainable_weights}
    np.testing.assert_allclose(running["1.running_mean"], bare[1].running_mean.numpy(), **EXACT)
    np.testing.assert_allclose(running["1.running_var"], bare[1].running_var.numpy(), **EXACT)
    assert running["1.num_batches_tracked"] == 1


@torch_only
def test_torch_wrapper_gradients_equal_torch_autograd(backend):
    import torch
    module = _torch_mlp()
    bare = copy.deepcopy(module)
    model = _wrapped_model(module)
    x, y = ops.convert_to_tensor(X), ops.convert_to_tensor(Y)
    ntv = [v.value for v in model.non_trainable_variables]

    def loss_fn(tv):
        out, _ = model.stateless_call(tv, ntv, x, training=True)
        return ops.mean(ops.square(out - y))
    loss, grads = backend.value_and_grad(loss_fn)([v.value for v in model.trainable_variables])
    bare_loss = ((bare(torch.tensor(X)) - torch.tensor(Y)) ** 2).mean()
    bare_loss.backward()
    np.testing.assert_allclose(npy(loss), bare_loss.item(), **SUMMED)
    for g, p in zip(grads, bare.parameters()):
        np.testing.assert_allclose(npy(g), p.grad.numpy(), **SUMMED)


@torch_only
def test_torch_wrapper_fit_equals_torch_sgd_loop_and_syncs_module(backend):
    import torch
    module = _torch_mlp()
    bare = copy.deepcopy(module)
    model = _wrapped_model(module)
    model.compile(kshim.optimizers.SGD(0.1), "mse")
    history = model.fit(X, Y, epochs=6, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]  # it trains
    opt = torch.optim.SGD(bare.parameters(), lr=0.1)  # Keras SGD without momentum: w -= lr * g
    want = []
    for _ in range(6):
        opt.zero_grad()
        loss = ((bare(torch.tensor(X)) - torch.tensor(Y)) ** 2).mean()
        want.append(loss.item())
        loss.backward()
        opt.step()
    np.testing.assert_allclose(history, want, **SUMMED)
    # layer.module is the trained module: its own forward equals predict
    trained = model.layers[-1].module
    with torch.no_grad():
        np.testing.assert_allclose(trained(torch.tensor(X)).numpy(), model.predict(X, verbose=0), **EXACT)
        for p, q in zip(trained.parameters(), bare.parameters()):
            np.testing.assert_allclose(p.numpy(), q.detach().numpy(), **SUMMED)


class _CustomStepModel(kshim.Model):
    """A custom ``train_step`` written with kshim's backend-neutral ``kshim.value_and_grad``."""

    def train_step(self, data):
        x, y = data

        def loss_fn():
            y_pred = self(x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss, grads = kshim.value_and_grad(loss_fn, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


def _custom_step_fit(layer):
    inp = kshim.Input((4,))
    model = _CustomStepModel(inp, layer(inp))
    model.compile(kshim.optimizers.SGD(0.1), "mse")
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(X, Y, epochs=6, batch_size=8, verbose=0).history["loss"]
    return model, before, history


@torch_only
def test_torch_wrapper_trains_with_a_custom_train_step(backend):
    model, before, history = _custom_step_fit(TorchModuleWrapper(_torch_mlp(batchnorm=True)))
    assert history[-1] < 0.8 * history[0]
    after = {v.name: v.numpy() for v in model.weights}
    assert after["1.num_batches_tracked"] == 6  # buffers updated through the custom step too
    assert not np.allclose(after["1.running_mean"], before[6])


@torch_only
def test_torch_wrapper_stateless_call_returns_buffers_without_mutating(backend):
    model = _wrapped_model(_torch_mlp(batchnorm=True))
    before = [v.numpy().copy() for v in model.non_trainable_variables]
    _, new_ntv = model.stateless_call([v.value for v in model.trainable_variables],
                                      [v.value for v in model.non_trainable_variables], X, training=True)
    for v, b in zip(model.non_trainable_variables, before):
        np.testing.assert_array_equal(v.numpy(), b)
    assert not np.allclose(npy(new_ntv[0]), before[0])  # running_mean moved
    assert int(npy(new_ntv[2])) == 1


@torch_only
def test_torch_wrapper_keras_file_round_trip(backend, tmp_path):
    module = _torch_mlp(batchnorm=True)
    model = _wrapped_model(module)
    model.compile(kshim.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
    path = str(tmp_path / "torch_wrapper.keras")
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        kshim.saving.load_model(path)  # the config holds a torch.save pickle: refused in safe mode
    loaded = kshim.saving.load_model(path, safe_mode=False)
    assert isinstance(loaded.layers[-1], TorchModuleWrapper)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), **EXACT)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@torch_only
def test_torch_wrapper_weights_file_names_datasets_by_state_dict_key(backend, tmp_path):
    """Keras' TorchModuleWrapper writes ``vars/<state_dict key>`` (``vars/0.weight``, ...), not ``vars/<i>``."""
    import h5py
    module = _torch_mlp(batchnorm=True)
    model = _wrapped_model(module)
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        groups = []
        f.visit(lambda name: groups.append(name) if name.endswith("/vars") else None)
        wrapper_vars = [g for g in groups if "torch_module_wrapper" in g]
        assert len(wrapper_vars) == 1, groups
        assert sorted(f[wrapper_vars[0]].keys()) == sorted(module.state_dict().keys())
    fresh = _wrapped_model(_torch_mlp(batchnorm=True))
    for v in fresh.trainable_variables:
        v.assign(np.zeros(v.shape, "float32"))
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


@torch_only
def test_torch_wrapper_config_keys_and_from_config(backend):
    layer = TorchModuleWrapper(_torch_mlp(), name="tw", output_shape=(None, 2))
    cfg = layer.get_config()
    assert set(cfg) == {"name", "trainable", "dtype", "module", "output_shape"}  # Keras 3.15's keys
    assert cfg["name"] == "tw" and cfg["output_shape"] == (None, 2) and isinstance(cfg["module"], str)
    with pytest.raises(ValueError, match="torch.load"):
        TorchModuleWrapper.from_config(cfg)  # fails closed, as Keras
    clone = TorchModuleWrapper.from_config(cfg, safe_mode=False)
    assert clone.get_config()["output_shape"] == (None, 2)
    np.testing.assert_allclose(npy(clone(X)), npy(layer(X)), **EXACT)
    out = layer(kshim.Input((4,)))  # output_shape drives shape inference
    assert tuple(out.shape) == (None, 2)


@torch_only
def test_torch_wrapper_refuses_uninitialized_lazy_module(backend):
    import torch
    with pytest.raises(ValueError, match="LazyModule"):
        TorchModuleWrapper(torch.nn.LazyLinear(3))


@pytest.mark.backends("numpy", "jax")
def test_torch_wrapper_needs_torch_backend(backend):
    module = _torch_mlp()
    with pytest.raises(ValueError, match="only supported with the torch backend"):
        TorchModuleWrapper(module)
    with kshim.backend.use("torch"):
        layer = TorchModuleWrapper(module)
    with pytest.raises(TypeError, match="holds variables of the 'torch' backend"):
        layer(X)  # made under torch, called under another backend


# =============================================================================================
# JaxLayer / FlaxLayer
# =============================================================================================
jax_only = pytest.mark.backends("jax")


@pytest.fixture
def keras_jax(monkeypatch):
    """Real Keras 3 (JAX backend). Keras' JaxLayer asks ``tf.inside_function()`` before running
    ``init_fn`` even on JAX (TensorFlow is not installed here): a stub answering False stands in."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("the Keras oracle runs on its JAX backend")
    from keras.src.utils import jax_layer
    monkeypatch.setattr(jax_layer, "tf", types.SimpleNamespace(inside_function=lambda: False))
    return keras


def mlp_init(rng, inputs):
    import jax
    k1, k2 = jax.random.split(rng)
    n = inputs.shape[-1]
    return {"dense1": {"w": jax.random.normal(k1, (n, 8)) * 0.5, "b": jax.numpy.zeros(8)},
            "dense2": {"w": jax.random.normal(k2, (8, 2)) * 0.5, "b": jax.numpy.zeros(2)}}


def mlp_call(params, inputs):
    import jax.numpy as jnp
    h = jnp.tanh(inputs @ params["dense1"]["w"] + params["dense1"]["b"])
    return h @ params["dense2"]["w"] + params["dense2"]["b"]


def dropout_call(params, rng, inputs, training):
    import jax
    h = jax.numpy.tanh(inputs @ params["dense1"]["w"] + params["dense1"]["b"])
    if training:
        h = jax.numpy.where(jax.random.bernoulli(rng, 0.5, h.shape), h / 0.5, 0.0)
    return h @ params["dense2"]["w"] + params["dense2"]["b"]


def counting_call(params, state, inputs, training):
    """A model with non-trainable state: a running mean of the inputs, updated when training."""
    out = inputs @ params["w"] - state["mean"]
    if training:
        state = {"mean": 0.9 * state["mean"] + 0.1 * inputs.mean(axis=0) @ params["w"], "n": state["n"] + 1}
    return out, state


def _np_params():
    import jax
    return jax.tree_util.tree_map(np.asarray, mlp_init(jax.random.PRNGKey(1), np.zeros((1, 4), "float32")))


@jax_only
def test_jax_layer_equals_bare_function_and_keras(backend, keras_jax):
    params = _np_params()
    layer, klayer = JaxLayer(mlp_call, params=params), keras_jax.layers.JaxLayer(mlp_call, params=params)
    np.testing.assert_allclose(npy(layer(X)), np.asarray(mlp_call(params, X)), **EXACT)
    np.testing.assert_allclose(npy(layer(X)), np.asarray(klayer(X)), **EXACT)
    # weights in JAX's pytree order (sorted keys), as Keras
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in klayer.get_weights()] == \
        [(8,), (4, 8), (2,), (8, 2)]
    assert layer.params["dense1"]["w"] is layer.trainable_weights[1]
    # init_fn path: same weight structure as Keras
    built, kbuilt = JaxLayer(mlp_call, mlp_init), keras_jax.layers.JaxLayer(mlp_call, mlp_init)
    built(X), kbuilt(X)
    assert [w.shape for w in built.get_weights()] == [w.shape for w in kbuilt.get_weights()]
    assert all(w.dtype == np.float32 for w in built.get_weights())


@jax_only
def test_jax_layer_init_is_seeded_by_set_random_seed(backend):
    def init_weights(seed):
        kshim.utils.set_random_seed(seed)
        layer = JaxLayer(mlp_call, mlp_init)
        layer(X)
        return layer.get_weights()
    first, again, other = init_weights(7), init_weights(7), init_weights(8)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(first[1], other[1])


@jax_only
def test_jax_layer_rng_and_training_match_keras(backend, keras_jax):
    params = _np_params()
    layer = JaxLayer(dropout_call, params=params, seed=5)
    klayer = keras_jax.layers.JaxLayer(dropout_call, params=params, seed=5)
    for training in (True, True, False):  # same seed -> the same keys -> the same dropout masks
        np.testing.assert_allclose(npy(layer(X, training=training)), np.asarray(klayer(X, training=training)),
                                   **EXACT)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), np.asarray(klayer.seed_generator.state.value))
    inference = npy(layer(X))
    np.testing.assert_array_equal(inference, npy(layer(X, training=False)))  # no rng when not training
    assert not np.allclose(npy(layer(X, training=True)), inference)


@jax_only
def test_jax_layer_state_updates_match_keras(backend, keras_jax):
    params = {"w": rng.standard_normal((4, 2)).astype("float32")}
    state = {"mean": np.zeros(2, "float32"), "n": 0}
    layer = JaxLayer(counting_call, params=params, state=state)
    klayer = keras_jax.layers.JaxLayer(counting_call, params=params, state=state)
    assert [(v.shape, v.dtype) for v in layer.non_trainable_weights] == [((2,), "float32"), ((), "int32")]
    for training in (True, False, True):
        np.testing.assert_allclose(npy(layer(X, training=training)), np.asarray(klayer(X, training=training)),
                                   **EXACT)
    for a, b in zip(layer.get_weights(), klayer.get_weights()):
        np.testing.assert_allclose(a, b, **EXACT)
    assert int(layer.state["n"].numpy()) == 2


@jax_only
def test_jax_layer_trains_with_fit(backend):
    import jax
    kshim.utils.set_random_seed(3)
    inp = kshim.Input((4,))
    model = kshim.Model(inp, JaxLayer(mlp_call, mlp_init)(inp))
    model.compile(kshim.optimizers.SGD(0.1), "mse")
    history = model.fit(X, Y, epochs=8, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]
    params = jax.tree_util.tree_map(lambda v: v.value, model.layers[-1].params)
    np.testing.assert_allclose(model.predict(X, verbose=0), np.asarray(mlp_call(params, X)), **EXACT)


@jax_only
def test_jax_layer_config_matches_keras_and_keras_file_round_trip(backend, keras_jax, tmp_path):
    custom = {"mlp_call": mlp_call, "mlp_init": mlp_init}
    layer = JaxLayer(mlp_call, mlp_init, name="jl")
    klayer = keras_jax.layers.JaxLayer(mlp_call, mlp_init, name="jl")
    assert layer.get_config() == klayer.get_config()
    assert JaxLayer.from_config(layer.get_config(), custom_objects=custom).get_config() == layer.get_config()
    model = kshim.Sequential([kshim.Input((4,)), layer])
    path = str(tmp_path / "jax_layer.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path, custom_objects=custom)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), **EXACT)
    # files move both ways: real Keras loads kshim's file, kshim loads Keras' file
    from_keras = keras_jax.saving.load_model(path, custom_objects=custom)
    np.testing.assert_allclose(np.asarray(from_keras(X)), npy(model(X)), **EXACT)
    kpath = str(tmp_path / "keras_jax_layer.keras")
    keras_jax.Sequential([keras_jax.Input((4,)), keras_jax.layers.JaxLayer(mlp_call, mlp_init)]).save(kpath)
    kmodel = keras_jax.saving.load_model(kpath, custom_objects=custom)
    np.testing.assert_allclose(npy(kshim.saving.load_model(kpath, custom_objects=custom)(X)), np.asarray(kmodel(X)),
                               **EXACT)


@pytest.mark.parametrize("bad, match", [
    (lambda params, inputs, x: x, "Unsupported argument in `call_fn`: `x`"),
    (lambda params: params, "Missing required argument in `call_fn`: `inputs`"),
])
@jax_only
def test_jax_layer_signature_errors(backend, bad, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        JaxLayer(bad, params={})
    with pytest.raises(ValueError, match="cannot all be `None`"):
        JaxLayer(mlp_call)


@pytest.mark.backends("numpy", "torch")
def test_jax_and_flax_layers_need_jax_backend(backend):
    with pytest.raises(ValueError, match="only supported with the jax backend"):
        JaxLayer(mlp_call, mlp_init)
    with pytest.raises(ValueError, match="only supported with the jax backend"):
        FlaxLayer(object())


@pytest.mark.backends("numpy", "jax")
def test_torch_wrapper_refused_off_torch_before_importing_torch(backend):
    """As the test above, but with no torch module: refused before torch is imported, so this also
    holds where torch is not installed."""
    with pytest.raises(ValueError, match="only supported with the torch backend"):
        TorchModuleWrapper(object())


@functools.cache
def flax_modules() -> types.SimpleNamespace:
    """Two Flax modules, registered for loading with kshim and with the Keras oracle."""
    nn = pytest.importorskip("flax.linen")
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")

    def register(cls):
        kshim.saving.register_keras_serializable(package="interop_test")(cls)
        keras.saving.register_keras_serializable(package="interop_test")(cls)
        return cls

    @register
    class TwoDense(nn.Module):
        features: int = 2

        @nn.compact
        def __call__(self, inputs):
            return nn.Dense(self.features)(nn.tanh(nn.Dense(8)(inputs)))

        def get_config(self):
            return {"features": self.features}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    @register
    class NormDropout(nn.Module):
        """BatchNorm (mutable ``batch_stats``) and Dropout (the ``dropout`` rng), with ``training``."""

        @nn.compact
        def __call__(self, inputs, training=False):
            x = nn.Dense(8)(inputs)
            x = nn.BatchNorm(use_running_average=not training)(x)
            x = nn.Dropout(0.5, deterministic=not training)(x)
            return nn.Dense(2)(x)

        def get_config(self):
            return {}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    return types.SimpleNamespace(TwoDense=TwoDense, NormDropout=NormDropout)


def _flax_variables(module):
    import jax
    return jax.tree_util.tree_map(np.asarray, module.init({"params": jax.random.PRNGKey(2)}, X))


@jax_only
def test_flax_layer_equals_apply_and_keras(backend, keras_jax):
    module = flax_modules().TwoDense()
    variables = _flax_variables(module)
    layer = FlaxLayer(module, variables=variables)
    klayer = keras_jax.layers.FlaxLayer(module, variables=variables)
    np.testing.assert_allclose(npy(layer(X)), np.asarray(module.apply(variables, X)), **EXACT)
    np.testing.assert_allclose(npy(layer(X)), np.asarray(klayer(X)), **EXACT)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in klayer.get_weights()]
    assert layer.non_trainable_weights == []


@jax_only
def test_flax_layer_batch_stats_and_dropout_match_keras(backend, keras_jax):
    module = flax_modules().NormDropout()
    variables = _flax_variables(module)
    layer = FlaxLayer(module, variables=variables, seed=11)
    klayer = keras_jax.layers.FlaxLayer(module, variables=variables, seed=11)
    assert [v.shape for v in layer.non_trainable_weights] == [(8,), (8,)]  # batch_stats mean, var
    for training in (True, False, True):
        np.testing.assert_allclose(npy(layer(X, training=training)), np.asarray(klayer(X, training=training)),
                                   **EXACT)
    for a, b in zip(layer.get_weights(), klayer.get_weights()):
        np.testing.assert_allclose(a, b, **EXACT)
    assert not np.allclose(layer.get_weights()[-2], variables["batch_stats"]["BatchNorm_0"]["mean"])
    want = module.apply(jax_tree(layer), X, training=False)  # inference: module.apply, no state change
    np.testing.assert_allclose(npy(layer(X)), np.asarray(want), **EXACT)


def _doubled(module, inputs):
    """A FlaxLayer ``method`` that is not bound to the module (it takes the module first)."""
    return 2.0 * module(inputs)


def jax_tree(layer):
    """The layer's variables in Flax's ``{"params": ..., "batch_stats": ...}`` layout."""
    import jax
    return jax.tree_util.tree_map(lambda v: v.value, {**layer.params, **layer.state})


@jax_only
def test_flax_layer_initializes_at_build_and_trains_with_fit(backend, keras_jax):
    module = flax_modules().NormDropout()
    kshim.utils.set_random_seed(4)
    layer = FlaxLayer(module, seed=1)
    klayer = keras_jax.layers.FlaxLayer(module, seed=1)
    model = kshim.Sequential([kshim.Input((4,)), layer])
    klayer(X)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in klayer.get_weights()]
    model.compile(kshim.optimizers.Adam(0.01), "mse")
    before = [w.copy() for w in layer.get_weights()]
    history = model.fit(X, Y, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    assert not np.allclose(layer.get_weights()[-1], before[-1])  # batch_stats var updated by fit


@jax_only
def test_flax_layer_trains_with_a_custom_train_step(backend):
    kshim.utils.set_random_seed(5)
    model, before, history = _custom_step_fit(FlaxLayer(flax_modules().NormDropout(), seed=2))
    assert history[-1] < history[0]
    assert not np.allclose(model.get_weights()[-2], before[-2])  # batch_stats mean, via the custom step


@jax_only
def test_flax_layer_config_matches_keras_and_keras_file_round_trip(backend, keras_jax, tmp_path):
    mods = flax_modules()
    module = mods.TwoDense(3)
    layer = FlaxLayer(module, name="fl")
    klayer = keras_jax.layers.FlaxLayer(module, name="fl")
    assert layer.get_config() == klayer.get_config()
    bound = FlaxLayer(module, method=module.__call__, name="fb")
    assert bound.get_config() == keras_jax.layers.FlaxLayer(module, method=module.__call__, name="fb").get_config()
    assert bound.get_config()["method"] == "__call__"
    assert FlaxLayer.from_config(bound.get_config()).get_config() == bound.get_config()
    unbound = FlaxLayer(module, method=_doubled, name="fu")  # a function taking the module first
    assert unbound.get_config() == keras_jax.layers.FlaxLayer(module, method=_doubled, name="fu").get_config()
    clone = FlaxLayer.from_config(unbound.get_config(), custom_objects={"_doubled": _doubled})
    assert clone.method is _doubled
    np.testing.assert_allclose(npy(unbound(X)), 2 * np.asarray(module.apply(jax_tree(unbound), X)), **EXACT)
    model = kshim.Sequential([kshim.Input((4,)), layer])
    path = str(tmp_path / "flax_layer.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path)
    assert loaded.layers[-1].module == module
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), **EXACT)
    from_keras = keras_jax.saving.load_model(path)  # real Keras reads kshim's file
    np.testing.assert_allclose(np.asarray(from_keras(X)), npy(model(X)), **EXACT)


@jax_only
def test_flax_layer_without_get_config_cannot_be_serialized(backend):
    nn = pytest.importorskip("flax.linen")
    layer = FlaxLayer(nn.Dense(2))
    layer(X)
    with pytest.raises(TypeError, match="must implement the `get_config\\(\\)` method"):
        layer.get_config()


@jax_only
def test_jax_layer_inside_jit_grad_of_stateless_call_equals_bare_grad(backend):
    import jax
    import jax.numpy as jnp
    params = _np_params()
    model = kshim.Sequential([kshim.Input((4,)), JaxLayer(mlp_call, params=params)])
    ntv = [v.value for v in model.non_trainable_variables]

    def loss(tv):
        out, _ = model.stateless_call(tv, ntv, X)
        return jnp.mean((out - Y) ** 2)
    grads = jax.jit(jax.grad(loss))([v.value for v in model.trainable_variables])
    bare = jax.grad(lambda p: jnp.mean((mlp_call(p, X) - Y) ** 2))(params)
    for g, b in zip(grads, jax.tree_util.tree_leaves(bare)):
        np.testing.assert_allclose(np.asarray(g), np.asarray(b), **SUMMED)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "interop.md"


@pytest.mark.backends("jax")
def test_docs_jit_grad_example(backend):
    """Runs the ``jax.jit(jax.grad(...))`` block of docs/interop.md exactly as written (its asserts:
    gradient shapes, the loss falls tenfold, predict after write-back)."""
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(r"<!-- tested: [^>]*test_docs_jit_grad_example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert match, "the tested example block is missing from docs/interop.md"
    namespace: dict = {"__name__": "interop_docs_example"}
    exec(compile(match.group(1), str(DOCS), "exec"), namespace)
    assert namespace["losses"][-1] < 0.1 * namespace["losses"][0]


@torch_only
def test_torch_module_attribute_is_wrapped_and_trained(backend):
    """As Keras on torch: a plain ``torch.nn.Module`` set on a layer or model becomes a
    TorchModuleWrapper, so ``fit`` trains its parameters."""
    torch = pytest.importorskip("torch")

    class Net(kshim.Model):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.body = torch.nn.Linear(4, 2)

        def call(self, x):
            return self.body(x)

    net = Net()
    assert isinstance(net.body, TorchModuleWrapper)
    net.compile(kshim.optimizers.SGD(0.1), "mse")
    before = net.predict(X, verbose=0)
    assert len(net.trainable_variables) == 2
    first = net.evaluate(X, Y, verbose=0)
    net.fit(X, Y, epochs=5, batch_size=8, verbose=0)
    assert net.evaluate(X, Y, verbose=0) < first
    assert not np.allclose(net.predict(X, verbose=0), before)


def test_torch_module_attribute_is_left_alone_off_torch(backend):
    """Keras wraps only on the torch backend; elsewhere the attribute stays the module itself."""
    torch = pytest.importorskip("torch")
    if backend.name == "torch":
        pytest.skip("the torch case is the test above")
    layer = kshim.layers.Layer()
    module = torch.nn.Linear(2, 2)
    layer.body = module
    assert layer.body is module


def test_every_docs_interop_block_runs(backend):
    """Every ```python block of docs/interop.md runs, in order, in one namespace (``x``, ``y``: 4
    features, 1 target, as the TorchModuleWrapper block assumes)."""
    pytest.importorskip("torch")
    pytest.importorskip("flax")
    if backend.name != "jax":
        pytest.skip("the blocks choose their backends themselves; once is enough")
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    namespace: dict = {"__name__": "interop_docs", "x": X, "y": Y[:, :1]}
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), namespace)

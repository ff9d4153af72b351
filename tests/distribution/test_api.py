"""``kshim.distribution``'s API against real Keras 3 (``keras.distribution``) on the same calls,
and the numpy backend's refusal. In-process, one device per backend (the multi-device runs are in
test_jax_sharding.py and test_torch_gloo.py)."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import kshim
from kshim import distribution as kd

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
KD = keras.distribution
DEVICES = ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]


def both(fn):
    """``fn(module)`` on kshim's and Keras' distribution modules: (result or exception type) each."""
    out = []
    for mod in (kd, KD):
        try:
            out.append(fn(mod))
        except Exception as e:  # noqa: BLE001 - the exception type is what is compared
            out.append(type(e))
    return out


@pytest.mark.parametrize("call", [
    lambda d: repr(d.DeviceMesh((2, 2), ("batch", "model"), DEVICES)),
    lambda d: d.DeviceMesh((4,), ("batch",), DEVICES).devices.tolist(),
    lambda d: d.DeviceMesh((2, 2), ("batch", "model"), DEVICES).devices.shape,
    lambda d: d.DeviceMesh((), (), DEVICES),
    lambda d: d.DeviceMesh((2, 2), ("batch",), DEVICES),
    lambda d: d.DeviceMesh((3,), ("batch",), DEVICES),
    lambda d: repr(d.TensorLayout((None, "model"), d.DeviceMesh((2, 2), ("batch", "model"), DEVICES))),
    lambda d: d.TensorLayout(("x",), d.DeviceMesh((4,), ("batch",), DEVICES)),
    lambda d: d.TensorLayout(["batch", None]).axes,
])
def test_mesh_and_layout_match_keras(call):
    mine, theirs = both(call)
    assert mine == theirs


def test_layout_mesh_is_set_once_like_keras():
    for d in (kd, KD):
        mesh = d.DeviceMesh((4,), ("batch",), DEVICES)
        layout = d.TensorLayout(("batch",))
        layout.device_mesh = mesh
        assert layout.device_mesh is mesh
        with pytest.raises(ValueError, match="Cannot override device mesh"):
            layout.device_mesh = mesh
        with pytest.raises(ValueError, match="Invalid axis names"):
            d.TensorLayout(("model",)).device_mesh = mesh


def _layout_map(d):
    m = d.LayoutMap(d.DeviceMesh((2, 2), ("batch", "model"), DEVICES))
    m[".*dense.*kernel"] = (None, "model")
    m[".*dense.*bias"] = ("model",)
    m["conv2d/kernel"] = d.TensorLayout((None, None, None, "model"))
    return m


@pytest.mark.parametrize("call", [
    lambda d: _layout_map(d)["dense_1/kernel"].axes,
    lambda d: _layout_map(d)["my_model/dense_12/bias"].axes,
    lambda d: _layout_map(d)["conv2d/kernel"].axes,
    lambda d: _layout_map(d)["conv3d/kernel"],
    lambda d: _layout_map(d)["dense/kernel"].device_mesh.axis_names,
    lambda d: (len(_layout_map(d)), list(_layout_map(d))),
    lambda d: _layout_map(d).get("nothing", "default"),
    lambda d: _layout_map(d).__setitem__(".*dense.*kernel", (None,)),   # duplicate key
    lambda d: _layout_map(d).__setitem__("x", ["model"]),               # a list is not accepted
    lambda d: _multi(d)["dense/kernel"],                                # two regexes match
    lambda d: _deleted(d),
])
def test_layout_map_matches_keras(call):
    mine, theirs = both(call)
    assert mine == theirs


def _multi(d):
    m = _layout_map(d)
    m["dense.*"] = ("model",)
    return m


def _deleted(d):
    m = _layout_map(d)
    del m["conv2d/kernel"]
    return list(m)


class _Var:
    def __init__(self, path, shape):
        self.path, self.shape = path, shape


@pytest.mark.parametrize("call", [
    lambda d: (d.DataParallel(devices=DEVICES).batch_dim_name, d.DataParallel(devices=DEVICES).num_model_replicas),
    lambda d: d.DataParallel(devices=DEVICES).device_mesh.axis_names,
    lambda d: d.DataParallel(devices=DEVICES).get_data_layout((8, 3, 2)).axes,
    lambda d: d.DataParallel(devices=DEVICES).get_variable_layout(_Var("dense/kernel", (3, 4))).axes,
    lambda d: d.DataParallel(devices=DEVICES).get_tensor_layout("dense/kernel"),
    lambda d: d.DataParallel(device_mesh=d.DeviceMesh((4,), ("data",), DEVICES)).batch_dim_name,
    lambda d: d.DataParallel(device_mesh="mesh"),
    lambda d: (d.DataParallel(devices=DEVICES).auto_shard_dataset,
               d.DataParallel(devices=DEVICES, auto_shard_dataset=False).auto_shard_dataset),
    lambda d: d.DataParallel(devices=DEVICES).data_shard_id,
    lambda d: repr(d.DataParallel(devices=DEVICES)),
    lambda d: d.ModelParallel(),
    lambda d: d.ModelParallel(layout_map={"a": 1}),
    lambda d: d.ModelParallel(layout_map=_layout_map(d)).batch_dim_name,
    lambda d: d.ModelParallel(layout_map=_layout_map(d), batch_dim_name="model").num_model_replicas,
    lambda d: d.ModelParallel(layout_map=_layout_map(d)).get_variable_layout(_Var("dense/kernel", (3, 4))).axes,
    lambda d: d.ModelParallel(layout_map=_layout_map(d)).get_variable_layout(_Var("lstm/kernel", (3, 4))).axes,
    lambda d: d.ModelParallel(layout_map=_layout_map(d)).get_data_layout((8, 5)).axes,
    lambda d: d.ModelParallel(layout_map=_layout_map(d)).get_tensor_layout("dense/bias").axes,
    lambda d: d.ModelParallel(layout_map=_layout_map(d), device_mesh="ignored").num_model_replicas,
])
def test_distributions_match_keras(call):
    mine, theirs = both(call)
    assert mine == theirs


def test_a_two_dimensional_mesh_for_data_parallel_warns():
    with pytest.warns(UserWarning, match="first axis will be used"):
        dp = kd.DataParallel(device_mesh=kd.DeviceMesh((2, 2), ("a", "b"), DEVICES))
    assert dp.batch_dim_name == "a" and dp.num_model_replicas == 4


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_scope_sets_and_restores(name):
    pytest.importorskip(name)
    with kshim.backend.use(name):
        outer = kd.DataParallel(devices=["cpu:0"])
        inner = kd.DataParallel(devices=["cpu:0"])
        assert kd.distribution() is None
        with outer.scope():
            assert kd.distribution() is outer
            with inner.scope():
                assert kd.distribution() is inner
            assert kd.distribution() is outer
        assert kd.distribution() is None
        kd.set_distribution(outer)
        try:
            assert kd.distribution() is outer
        finally:
            kd.set_distribution(None)


def test_numpy_backend_refuses_a_distribution():
    with kshim.backend.use("numpy"):
        dp = kd.DataParallel()  # building the object is harmless: one cpu device
        assert kd.list_devices() == ["cpu:0"] and kd.get_device_count() == 1
        with pytest.raises(ValueError, match="numpy backend.*jax.*torch"):
            kd.set_distribution(dp)
        with pytest.raises(ValueError, match="numpy backend"):
            with dp.scope():
                pass
        assert kd.distribution() is None
        with pytest.raises(ValueError, match="numpy backend"):
            kd.initialize()
        with pytest.raises(ValueError, match="numpy backend"):
            kd.distribute_tensor(np.ones(3), kd.TensorLayout((None,), dp.device_mesh))


def test_fit_on_numpy_with_a_distribution_set_elsewhere_raises():
    pytest.importorskip("jax")
    with kshim.backend.use("jax"):
        dp = kd.DataParallel()
    kd.set_distribution(dp)
    try:
        with kshim.backend.use("numpy"):
            m = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2)])
            m.compile("sgd", "mse")
            with pytest.raises(ValueError, match="numpy backend.*jax.*torch"):
                m.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    finally:
        kd.set_distribution(None)


def test_distribute_tensor_on_jax():
    jax = pytest.importorskip("jax")
    with kshim.backend.use("jax"):
        assert kd.list_devices() == [f"{d.platform}:{d.id}" for d in jax.devices()]
        mesh = kd.DeviceMesh((1,), ("batch",))
        layout = kd.TensorLayout(("batch", None), mesh)
        x = kd.distribute_tensor(np.arange(6.0).reshape(2, 3), layout)
        assert isinstance(x.sharding, jax.sharding.NamedSharding)
        assert x.sharding.spec == jax.sharding.PartitionSpec("batch", None)
        np.testing.assert_array_equal(np.asarray(x), np.arange(6.0).reshape(2, 3))
        # inside a traced function it is a sharding constraint (the value is unchanged)
        y = jax.jit(lambda a: kd.distribute_tensor(a * 2, layout))(x)
        np.testing.assert_array_equal(np.asarray(y), 2 * np.arange(6.0).reshape(2, 3))
        sym = kshim.Input((3,))
        assert kd.distribute_tensor(sym, layout) is sym
        assert isinstance(mesh.backend_mesh, jax.sharding.Mesh)
        assert layout.backend_layout is layout.backend_layout  # built once


def test_single_device_data_parallel_fit_equals_plain_fit_on_jax():
    pytest.importorskip("jax")
    with kshim.backend.use("jax"):
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(20, 4)).astype("float32"), rng.normal(size=(20, 2)).astype("float32")

        def run():
            kshim.utils.set_random_seed(2)
            m = kshim.Sequential([kshim.Input((4,)), kshim.layers.Dense(3, activation="relu"), kshim.layers.Dense(2)])
            m.compile("adam", "mse", metrics=["mae"])
            return m, m.fit(x, y, batch_size=6, epochs=2, verbose=0).history

        ref, h_ref = run()
        with kd.DataParallel().scope():
            m, h = run()
        assert sorted(h) == ["loss", "mae"]
        for k in h_ref:  # one device: the same program, float32 rounding only
            np.testing.assert_allclose(h[k], h_ref[k], rtol=1e-6)
        for a, b in zip(m.get_weights(), ref.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_initialize_reads_keras_environment_variables(monkeypatch):
    pytest.importorskip("jax")
    from kshim.backends.jax import distribution as jd
    seen = []
    monkeypatch.setattr(jd, "initialize", lambda *a: seen.append(a))
    monkeypatch.setenv("KERAS_DISTRIBUTION_JOB_ADDRESSES", "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv("KERAS_DISTRIBUTION_NUM_PROCESSES", "2")
    monkeypatch.setenv("KERAS_DISTRIBUTION_PROCESS_ID", "1")
    with kshim.backend.use("jax"), warnings.catch_warnings():
        kd.initialize()
        kd.initialize("10.0.0.9:1", 3, 0)
    assert seen == [("10.0.0.1:1234,10.0.0.2:2345", 2, 1), ("10.0.0.9:1", 3, 0)]


def test_jax_initialize_checks_the_address_count():
    pytest.importorskip("jax")
    from kshim.backends.jax import distribution as jd
    with pytest.raises(ValueError, match="has 2 jobs, but num_processes is 3"):
        jd.initialize("a:1,b:2", 3, 0)

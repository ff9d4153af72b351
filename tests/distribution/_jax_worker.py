"""Run in a subprocess with ``--xla_force_host_platform_device_count=4`` (set before jax is imported):
trains the same models on one device and under ``kshim.distribution`` and prints a JSON report of
the differences and the shardings seen. ``tests/distribution/test_jax_sharding.py`` asserts on it.
"""
from __future__ import annotations

import json
import os
import sys

os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
os.environ["KSHIM_BACKEND"] = "jax"

import numpy as np  # noqa: E402

import kshim as keras  # noqa: E402
from kshim import distribution as kd  # noqa: E402


def rel(a, b) -> float:
    """Norm-wise relative difference ``max|a-b| / max(max|b|, 1e-30)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30)) if a.size else 0.0


def max_rel(xs, ys) -> float:
    return max(rel(a, b) for a, b in zip(xs, ys))


def history_rel(h1, h2) -> float:
    assert sorted(h1) == sorted(h2), (sorted(h1), sorted(h2))
    return max(rel(h2[k], h1[k]) for k in h1)


def mlp_bn_dropout(dtype: str):
    keras.utils.set_random_seed(7)
    m = keras.Sequential([keras.Input((6,), dtype=dtype),
                          keras.layers.Dense(16, activation="relu", dtype=dtype),
                          keras.layers.BatchNormalization(dtype=dtype),
                          keras.layers.Dropout(0.25, seed=3, dtype=dtype),
                          keras.layers.Dense(3, dtype=dtype)])
    m.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(from_logits=True, name="ce")])
    return m


def data_parallel(dtype: str) -> dict:
    keras.config.set_floatx(dtype)
    rng = np.random.default_rng(0)
    # 44 rows, batch 8: the last batch (4 rows) still divides over 4 devices; val 12 rows, batch 8
    # leaves a 4-row batch too. Shuffling on: the host generator gives both runs the same order.
    x = rng.normal(size=(44, 6)).astype(dtype)
    y = rng.integers(0, 3, 44)
    xv, yv = rng.normal(size=(12, 6)).astype(dtype), rng.integers(0, 3, 12)
    ref = mlp_bn_dropout(dtype)
    h_ref = ref.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(xv, yv)).history
    e_ref, p_ref = ref.evaluate(x, y, 8, verbose=0, return_dict=True), ref.predict(x, 8, verbose=0)
    dist = kd.DataParallel(devices=kd.list_devices())
    with dist.scope():
        m = mlp_bn_dropout(dtype)
        h = m.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(xv, yv)).history
        e, p = m.evaluate(x, y, 8, verbose=0, return_dict=True), m.predict(x, 8, verbose=0)  # batch shapes 8, 4 again
        specs = sorted({str(v.value.sharding.spec) for v in m.variables})
        n_devices = sorted({len(v.value.sharding.device_set) for v in m.trainable_variables})
        batch = dist_batch_spec(m, x[:8])
        odd = dist_batch_spec(m, x[:6])  # 6 rows do not divide over 4 devices: replicated
        cache = train_cache_size(m)
    bn = [i for i, v in enumerate(ref.weights) if "moving" in v.name]
    keras.config.set_floatx("float32")
    return {"history": history_rel(h_ref, h), "weights": max_rel(m.get_weights(), ref.get_weights()),
            "bn_stats": max_rel([m.get_weights()[i] for i in bn], [ref.get_weights()[i] for i in bn]),
            "n_bn": len(bn), "evaluate": history_rel(e_ref, e), "predict": rel(p, p_ref),
            "history_keys": sorted(h), "variable_specs": specs, "variable_devices": n_devices,
            "batch_spec": batch, "odd_batch_spec": odd, "train_cache_size": cache}


def dist_batch_spec(model, x) -> str:
    from kshim.distribution import runtime
    a = runtime.plan(model).batch(x)
    return f"{a.sharding.spec} on {len(a.sharding.device_set)}"


def train_cache_size(model) -> int:
    fns = [f for k, f in model._fns.items() if k[0] == "train"]
    return int(fns[0]._cache_size()) if fns and hasattr(fns[0], "_cache_size") else -1


def model_parallel() -> dict:
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(32, 6)), rng.normal(size=(32, 4))

    def make():
        keras.utils.set_random_seed(3)
        m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(4)])
        m.compile(keras.optimizers.Adam(1e-2), "mse", metrics=["mae"])
        return m

    class Custom(keras.Model):  # a model with its own train_step (it calls the built-in one)
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            return super().train_step(data)

    def make_custom():
        keras.utils.set_random_seed(4)
        m = Custom()
        m.compile(keras.optimizers.Adam(1e-2), "mse")
        return m

    ref = make()
    h_ref = ref.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    hc_ref = make_custom().fit(x, y, batch_size=8, epochs=2, verbose=0).history
    mesh = kd.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = kd.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    with kd.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
        m = make()
        h = m.fit(x, y, batch_size=8, epochs=2, verbose=0).history
        kernel_spec = str(m.layers[0].kernel.value.sharding.spec)
        slot_specs = sorted({str(v.value.sharding.spec) for v in m.optimizer.variables
                             if "dense" in v.name and "kernel" in v.name})
        shard_shape = [tuple(s.data.shape) for s in m.layers[0].kernel.value.addressable_shards][:1]
        custom = make_custom()
        hc = custom.fit(x, y, batch_size=8, epochs=2, verbose=0).history
        custom_spec = str(custom.dense.kernel.value.sharding.spec)
    weights = max_rel(m.get_weights(), ref.get_weights())
    m.fit(x, y, batch_size=8, epochs=1, verbose=0)  # after the scope: trains on, no error
    keras.config.set_floatx("float32")
    return {"history": history_rel(h_ref, h), "weights": weights,
            "custom_history": history_rel(hc_ref, hc), "custom_spec": custom_spec,
            "kernel_spec": kernel_spec, "slot_specs": slot_specs, "shard_shape": [list(s) for s in shard_shape]}


if __name__ == "__main__":
    case = sys.argv[1]
    out = {"devices": kd.list_devices(),
           "result": {"dp32": lambda: data_parallel("float32"), "dp64": lambda: data_parallel("float64"),
                      "mp": model_parallel}[case]()}
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")

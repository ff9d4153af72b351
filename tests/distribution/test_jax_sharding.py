"""JAX sharding equivalence on 4 forced host devices (a subprocess each: XLA_FLAGS must be set
before jax is imported). The worker, ``_jax_worker.py``, trains one model on one device and the
same model under the distribution, on the same global batches, and reports the differences."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("jax")

WORKER = os.path.join(os.path.dirname(__file__), "_jax_worker.py")


def run_worker(case: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "KSHIM_BACKEND", "KERAS_BACKEND")}
    proc = subprocess.run([sys.executable, WORKER, case], capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    out = json.loads(line[len("RESULT "):])
    assert out["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    return out["result"]


@pytest.mark.parametrize("dtype,tol", [
    # float32: the sharded program sums partial reductions (batch mean, BN statistics, gradient
    # all-reduce) in a different order than one device, so results agree to float32 rounding
    # accumulated over 12 Adam steps: rel 1e-5 (issue 16's bound). float64: rel 1e-10.
    ("float32", 1e-5), ("float64", 1e-10)])
def test_data_parallel_equals_single_device(dtype, tol):
    r = run_worker("dp32" if dtype == "float32" else "dp64")
    # History (loss, accuracy, a second metric, and their val_ forms) and the final weights,
    # including the BatchNormalization moving statistics; the model has Dropout (training=True).
    assert r["history_keys"] == ["accuracy", "ce", "loss", "val_accuracy", "val_ce", "val_loss"]
    assert r["history"] < tol
    assert r["weights"] < tol
    assert r["n_bn"] == 2 and r["bn_stats"] < tol
    assert r["evaluate"] < tol and r["predict"] < tol
    # Variables replicated on all 4 devices; a batch sharded on its first axis; a batch that does not
    # divide over the devices replicated; one compiled train step per batch shape (8 and a last 4).
    assert r["variable_specs"] == ["P(None, None)", "P(None,)"]
    assert r["variable_devices"] == [4]
    assert r["batch_spec"] == "P('batch', None) on 4"
    assert r["odd_batch_spec"] == "P(None, None) on 4"
    assert r["train_cache_size"] in (2, -1)


def test_model_parallel_equals_unsharded():
    r = run_worker("mp")
    assert r["history"] < 1e-10 and r["weights"] < 1e-10  # float64
    assert r["kernel_spec"] == "P(None, 'model')"
    assert r["slot_specs"] == ["P(None, 'model')"]  # Adam's momentum/velocity follow their kernel
    assert r["shard_shape"] == [[6, 4]]  # the (6, 8) kernel split in two on the "model" axis
    # a model's own train_step runs on the sharded state and batch too
    assert r["custom_history"] < 1e-10 and r["custom_spec"] == "P(None, 'model')"

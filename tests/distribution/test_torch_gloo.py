"""torch.distributed (gloo, 2 ranks on loopback) equivalence: ``_torch_worker.py`` under torchrun
trains under ``DataParallel``; rank 0 also trains the single-process reference on the same global
batches."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

WORKER = os.path.join(os.path.dirname(__file__), "_torch_worker.py")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND", "XLA_FLAGS")}
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("gloo")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1", "--nproc-per-node", "2",
           WORKER, str(out), "train"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=_env())
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    res = []
    for r in (0, 1):
        with open(out / f"rank{r}.json") as f:
            res.append((json.load(f), dict(np.load(out / f"rank{r}.npz"))))
    return out, res


def rel(a, b) -> float:
    """Norm-wise relative difference ``max|a-b| / max|b|``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))


# float32: the gradient is the all-reduced sum of two half-batch gradients (summation order
# differs from one batch) and 10 Adam steps accumulate that rounding: rel 1e-5. float64: 1e-10.
@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-10)])
def test_two_ranks_equal_single_process(ranks, dtype, tol):
    _, [(j0, a0), (j1, a1)] = ranks
    h, ref = j0[f"{dtype}_history"], j0[f"{dtype}_ref_history"]
    assert sorted(h) == sorted(ref) == ["accuracy", "loss"]
    for k in ref:  # History holds the global values (metrics reduced over ranks) on every rank
        assert rel(h[k], ref[k]) < tol and rel(j1[f"{dtype}_history"][k], ref[k]) < tol
    for k, v in j0[f"{dtype}_ref_eval"].items():
        assert rel(j0[f"{dtype}_eval"][k], v) < tol and rel(j1[f"{dtype}_eval"][k], v) < tol
    ws = sorted(k for k in a0 if k.startswith(f"{dtype}_w"))
    assert len(ws) == 4
    for k in ws:
        assert rel(a0[k], a0[k.replace("_w", "_ref_w")]) < tol
        np.testing.assert_array_equal(a0[k], a1[k])  # identical weights on both ranks
    assert rel(a0[f"{dtype}_pred"], a0[f"{dtype}_ref_pred"]) < tol


@pytest.mark.parametrize("dtype,tol", [("float32", 1e-5), ("float64", 1e-10)])
def test_batchnorm_dropout_and_noise_train_as_on_one_device(ranks, dtype, tol):
    """BatchNormalization's statistics are the global batch's (differentiable sums over ranks) and
    dropout / Gaussian noise are drawn for the global batch with each rank keeping its rows, so two
    ranks train as one process does on the same batches -- also on the short last batch split 3 + 2,
    where the ranks' shares of the loss differ. Tolerances as above (all-reduced sums)."""
    _, [(j0, a0), (j1, a1)] = ranks
    names = j0["bn_names"]
    mv_index = [i for i, n in enumerate(names) if n.endswith("/moving_variance")]
    assert len(mv_index) == 1
    keys = sorted(k for k in a0 if k.startswith(f"bn_{dtype}_w"))
    # (the Dense before BatchNormalization has no bias: its gradient is zero up to rounding, which
    # Adam's normalised step would amplify to +-lr on either side, so no two runs could agree on it)
    assert len(keys) == len(names) == 7
    for k in keys:
        np.testing.assert_array_equal(a0[k], a1[k])  # identical weights on both ranks
        assert rel(a0[k], a0[k.replace("_w", "_ref_w")]) < tol, (k, names[int(k.rsplit("w", 1)[1])])
    h, ref = j0[f"bn_{dtype}_history"], j0[f"bn_{dtype}_ref_history"]
    assert rel(h["loss"], ref["loss"]) < tol and rel(j1[f"bn_{dtype}_history"]["loss"], ref["loss"]) < tol
    mv = a0[f"bn_{dtype}_w{mv_index[0]}"]
    assert not np.allclose(mv, 1.0)  # the statistics did move


def test_only_rank_zero_prints_and_checkpoints(ranks):
    out, [(j0, _), (j1, _)] = ranks
    assert j0["float32_printed"] > 0 and j1["float32_printed"] == 0
    assert (out / "ckpt_rank0_float32.weights.h5").exists()
    assert not (out / "ckpt_rank1_float32.weights.h5").exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="thread names are read from /proc")
def test_shutdown_stops_the_gloo_threads(ranks):
    # BatchNormalization's differentiable all_reduce once kept the process group alive past
    # destroy_process_group (torch.distributed.nn's), so gloo's threads ran into interpreter shutdown
    # and one exit in five under load aborted (SIGABRT). The ranks record their threads after shutdown.
    _, [(j0, _), (j1, _)] = ranks
    for j in (j0, j1):
        assert not [t for t in j["threads_after_shutdown"] if "gloo" in t], j["threads_after_shutdown"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dead_rank_makes_the_other_fail_fast(tmp_path):
    env = _env()
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE="2",
               KSHIM_DISTRIBUTION_TIMEOUT="10")
    procs = []
    for r in (0, 1):
        procs.append(subprocess.Popen([sys.executable, WORKER, str(tmp_path), "die"], env={**env, "RANK": str(r)},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # the communicate timeouts are hang guards; the message shows the 10 s distribution timeout fired
    _, err0 = procs[0].communicate(timeout=180)
    procs[1].communicate(timeout=60)
    assert procs[1].returncode == 3
    assert procs[0].returncode != 0
    assert "another rank has probably died" in err0, err0[-3000:]


def test_torch_declines_model_parallel_and_needs_a_process_group():
    import kshim
    from kshim import distribution as kd
    from kshim.distribution import runtime
    with kshim.backend.use("torch"):
        model = kshim.Sequential([kshim.Input((3,)), kshim.layers.Dense(2)])
        mesh = kd.DeviceMesh((1,), ("batch",), devices=["cpu:0"])
        layout_map = kd.LayoutMap(mesh)
        layout_map[".*kernel"] = (None, "batch")
        with kd.ModelParallel(layout_map=layout_map).scope():
            with pytest.raises(ValueError, match="ModelParallel is not supported on the torch backend"):
                runtime.plan(model)
        with kd.DataParallel(devices=["cpu:0"]).scope():
            with pytest.raises(ValueError, match="torchrun"):
                runtime.plan(model)
        assert kd.distribution() is None

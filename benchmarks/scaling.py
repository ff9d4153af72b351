"""Scaling benchmark: the MLP and CNN workloads under ``kshim.distribution.DataParallel``.

JAX runs on 1, 2 and 4 devices (on a CPU-only machine these are forced host devices,
``--xla_force_host_platform_device_count``, each run in its own subprocess because the flag must
be set before jax is imported; on a GPU machine the visible GPUs, capped at what exists). torch
runs on 1 and 2 gloo ranks (``python -m torch.distributed.run --nproc-per-node N``; nccl on GPUs).
Weak scaling by default: every device gets the workload's batch (128), so the global batch is
128 x N; ``--scaling strong`` keeps the global batch at 128. Each run warms up (compiles), then
times ``fit`` over ``--steps`` steps (median of ``--reps``) and reports step time, samples/s and
samples/s per device. Forced host devices share the machine's cores: on a 2-core CPU the table
measures the overhead of the sharded program, not a speed-up.

    python benchmarks/scaling.py [--workloads mlp,cnn] [--jax 1,2,4] [--torch 1,2] [--steps 10]
        [--reps 3] [--scaling weak|strong] [--json out.json]
    python benchmarks/scaling.py --table out.json     # the table of an earlier run
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _worker(args: argparse.Namespace) -> None:
    """One measurement (inside the subprocess or rank); prints ``RESULT {json}`` on process 0."""
    import numpy as np

    sys.path.insert(0, ROOT)
    from benchmarks.contenders.keras_api import KerasAPIContender
    from benchmarks.workloads import WORKLOADS
    import kshim
    from kshim import distribution as kd

    backend, n = args.worker, args.devices
    contender = KerasAPIContender("kshim", backend)  # selects the backend
    if backend == "torch":
        kd.initialize()
    w = WORKLOADS[args.workload]
    per_device = w.batch_size if args.scaling == "weak" else max(1, w.batch_size // n)
    batch = per_device * n
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * args.steps,) + tuple(w.input_shape), dtype=np.float32)
    y = rng.integers(0, w.num_outputs, size=(batch * args.steps,)).astype(np.int32)
    devices = kd.list_devices()[:n] if backend == "jax" else kd.list_devices()
    dist = kd.DataParallel(devices=devices)
    with dist.scope():
        kshim.utils.set_random_seed(0)
        model = contender.build(w)
        model.fit(x[: 2 * batch], y[: 2 * batch], batch_size=batch, epochs=1, verbose=0, shuffle=False)  # compile
        times = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
            times.append(time.perf_counter() - t0)
    if dist._process_id == 0:
        step = statistics.median(times) / args.steps
        print("RESULT " + json.dumps({
            "backend": backend, "workload": w.name, "devices": n, "device_kind": devices[0].split(":")[0],
            "global_batch": batch, "step_ms": 1e3 * step, "samples_per_s": batch / step,
            "samples_per_s_per_device": batch / step / n, "min_step_ms": 1e3 * min(times) / args.steps}),
            flush=True)


def _visible_gpus() -> int:
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20)
        return len([ln for ln in out.stdout.splitlines() if ln.startswith("GPU")])
    except (OSError, subprocess.SubprocessError):
        return 0


def _run(cmd: list[str], env: dict, timeout: float) -> dict | None:
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}\n")
        return None
    return json.loads(lines[-1][len("RESULT "):])


def _common(args: argparse.Namespace, workload: str, n: int) -> list[str]:
    return ["--workload", workload, "--devices", str(n), "--steps", str(args.steps), "--reps", str(args.reps),
            "--scaling", args.scaling]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", default="mlp,cnn")
    p.add_argument("--jax", default="1,2,4", help="device counts for JAX ('' to skip)")
    p.add_argument("--torch", default="1,2", help="rank counts for torch ('' to skip)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--scaling", choices=("weak", "strong"), default="weak")
    p.add_argument("--json", default=None, help="also write the rows to this file")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--worker", choices=("jax", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--workload", help=argparse.SUPPRESS)
    p.add_argument("--devices", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--table", default=None, metavar="JSON", help="only print the table of a --json file")
    args = p.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(table(json.load(f)))
        return
    if args.worker:
        _worker(args)
        return
    gpus = _visible_gpus()
    rows = []
    base = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND")}
    for workload in [s for s in args.workloads.split(",") if s]:
        for n in [int(s) for s in args.jax.split(",") if s]:
            env = dict(base)
            if gpus == 0:
                env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={n}".strip()
            elif n > gpus:
                continue
            row = _run([sys.executable, __file__, "--worker", "jax"] + _common(args, workload, n), env, args.timeout)
            rows += [row] if row else []
        for n in [int(s) for s in args.torch.split(",") if s]:
            if gpus and n > gpus:
                continue
            env = dict(base, OMP_NUM_THREADS=env_threads(n))
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes", "1",
                   "--nproc-per-node", str(n), __file__, "--worker", "torch"] + _common(args, workload, n)
            row = _run(cmd, env, args.timeout)
            rows += [row] if row else []
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)


def env_threads(n: int) -> str:
    """Intra-op threads per rank: the cores shared out between the ranks."""
    return str(max(1, (os.cpu_count() or 1) // n))


def table(rows: list[dict]) -> str:
    """Markdown: median and best step time over the repetitions; throughput from the best one
    (the least disturbed by other load on a shared machine)."""
    out = ["| backend | workload | devices | global batch | step, median (ms) | step, best (ms) | samples/s "
           "| samples/s per device |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        best = r["global_batch"] / (r["min_step_ms"] / 1e3)
        out.append(f"| {r['backend']} | {r['workload']} | {r['devices']} x {r['device_kind']} | {r['global_batch']} | "
                   f"{r['step_ms']:.1f} | {r['min_step_ms']:.1f} | {best:.0f} | {best / r['devices']:.0f} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()

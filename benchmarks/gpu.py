"""``python benchmarks/gpu.py [--workloads mlp,cnn] [--out PATH] [runner options]``: the benchmark workloads on a GPU.

Finds the GPUs torch and JAX can use (each probed in a subprocess, so neither framework's device setup leaks
into this process) and, for each framework that has one, runs ``python -m benchmarks`` with the contenders of
that framework (kshim on it, Keras 3 on it, the hand-written loop) placed on the GPU
(``KSHIM_BENCH_DEVICE=gpu``: kshim through ``KSHIM_DEVICE``, JAX with ``JAX_PLATFORMS=cuda,cpu``, the torch loop
on ``cuda``). With no GPU it says so and exits 0: the CPU numbers come from ``python -m benchmarks``.
kshim's NumPy backend computes on the CPU only and is left out here.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

PROBE = {
    "torch": "import torch, json; print(json.dumps([torch.cuda.get_device_name(i) "
             "for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []))",
    "jax": "import jax, json\ntry:\n    ds = jax.devices('gpu')\nexcept RuntimeError:\n    ds = []\n"
           "print(json.dumps([str(d) for d in ds]))",
}
CONTENDERS = {"torch": ("kshim-torch", "keras-torch", "torch-loop"), "jax": ("kshim-jax", "keras-jax", "jax-loop")}


def find_gpus() -> dict[str, list[str]]:
    """``{framework: [GPU names]}`` for torch and JAX (an empty list: none, or the framework is absent)."""
    out = {}
    for fw, code in PROBE.items():
        env = dict(os.environ)
        env.pop("JAX_PLATFORMS", None)
        try:
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
            out[fw] = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 and r.stdout.strip() else []
        except (subprocess.TimeoutExpired, ValueError, IndexError):
            out[fw] = []
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="benchmarks/RESULTS_GPU.md", help="Markdown report (default: %(default)s)")
    args, rest = p.parse_known_args(argv)
    gpus = find_gpus()
    for fw, names in gpus.items():
        print(f"{fw}: {', '.join(names) if names else 'no GPU'}")
    chosen = [c for fw, names in gpus.items() if names for c in CONTENDERS[fw]]
    if not chosen:
        print("No GPU found for torch or JAX: nothing to run here. CPU numbers: python -m benchmarks")
        return 0
    os.environ["KSHIM_BENCH_DEVICE"] = "gpu"
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks.runner import main as run
    return run(["--contenders", ",".join(chosen), "--out", args.out, *rest])


if __name__ == "__main__":
    raise SystemExit(main())

"""Contenders: each one trains/predicts a workload and times ``n`` steady-state steps.

A contender is created inside its own worker subprocess (``benchmarks.worker``), so the import of
its framework happens there. Interface::

    c = make(name)            # imports the framework (environment already set by the runner)
    c.setup(workload, x, y)   # build model + optimizer, warm up (compile/trace) train and predict
    c.train(n) -> seconds     # n optimizer steps over the first n batches (one fit epoch for Keras APIs)
    c.predict(n) -> seconds   # forward pass over the first n batches, outputs as NumPy
    c.info() -> dict          # e.g. thread counts, for the report
"""
from __future__ import annotations

from typing import Any

# name -> (module, kind, backend, environment for the subprocess, human label)
CONTENDERS: dict[str, dict[str, Any]] = {
    "kshim-numpy": {"module": "keras_api", "lib": "kshim", "backend": "numpy", "label": "kshim (numpy)"},
    "kshim-jax": {"module": "keras_api", "lib": "kshim", "backend": "jax", "label": "kshim (jax)"},
    "kshim-torch": {"module": "keras_api", "lib": "kshim", "backend": "torch", "label": "kshim (torch)"},
    "keras-jax": {"module": "keras_api", "lib": "keras", "backend": "jax", "label": "Keras 3 (jax)"},
    "keras-torch": {"module": "keras_api", "lib": "keras", "backend": "torch", "label": "Keras 3 (torch)"},
    "torch-loop": {"module": "torch_loop", "lib": "torch", "backend": "torch", "label": "hand-written PyTorch"},
    "jax-loop": {"module": "jax_loop", "lib": "jax", "backend": "jax", "label": "hand-written JAX (jit)"},
}

# Python distributions a contender needs (checked by the runner without importing them).
REQUIRES: dict[str, tuple[str, ...]] = {
    "kshim-numpy": ("kshim",), "kshim-jax": ("kshim", "jax"), "kshim-torch": ("kshim", "torch"),
    "keras-jax": ("keras", "jax"), "keras-torch": ("keras", "torch"), "torch-loop": ("torch",),
    "jax-loop": ("jax",),
}


def subprocess_env(name: str) -> dict[str, str]:
    """Environment variables that select the contender's backend at import time."""
    import os
    spec = CONTENDERS[name]
    # CPU unless benchmarks/gpu.py asked for the GPU (KSHIM_BENCH_DEVICE=gpu): then JAX picks its GPU
    # and kshim is placed there through KSHIM_DEVICE; Keras and the hand-written loops use it by default.
    gpu = os.environ.get("KSHIM_BENCH_DEVICE") == "gpu"
    env = {"JAX_PLATFORMS": "cuda,cpu" if gpu else "cpu"}
    if gpu and spec["lib"] == "kshim" and spec["backend"] != "numpy":
        env["KSHIM_DEVICE"] = "gpu"
    if spec["lib"] == "kshim":
        env["KSHIM_BACKEND"] = spec["backend"]
        env["KERAS_BACKEND"] = spec["backend"]
    elif spec["lib"] == "keras":
        env["KERAS_BACKEND"] = spec["backend"]
    return env


def make(name: str) -> Any:
    spec = CONTENDERS[name]
    if spec["module"] == "keras_api":
        from .keras_api import KerasAPIContender
        return KerasAPIContender(spec["lib"], spec["backend"])
    if spec["module"] == "torch_loop":
        from .torch_loop import TorchLoopContender
        return TorchLoopContender()
    if spec["module"] == "jax_loop":
        from .jax_loop import JaxLoopContender
        return JaxLoopContender()
    raise KeyError(name)

"""torch's side of ``kshim.distribution``: ``torch.distributed`` process groups and collectives.

One process per device (``torchrun``): gloo on CPU, nccl on CUDA. kshim writes no communication
of its own; gradients go through one bucketed ``all_reduce`` per step. It imports nothing from the
kshim frontend.
"""

from __future__ import annotations

import atexit
import datetime
import importlib
import os
from typing import Any, Sequence

import torch
import torch.distributed as dist

DEFAULT_TIMEOUT_S = 60.0


class CollectiveError(RuntimeError):
    """A collective failed or timed out: another rank most likely died."""


def is_initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    return dist.get_rank() if is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if is_initialized() else 1


def _local_kind() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def list_devices(device_type: str | None = None) -> list[str]:
    """One device per rank of the process group (global, as Keras lists them), else the local ones."""
    kind = (device_type or _local_kind()).lower()
    if kind == "gpu":
        kind = "cuda"
    if is_initialized():
        return [f"{kind}:{i}" for i in range(world_size())]
    if kind == "cuda":
        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu:0"]


def get_device_count(device_type: str | None = None) -> int:
    return len(list_devices(device_type))


def timeout_s() -> float:
    return float(os.environ.get("KSHIM_DISTRIBUTION_TIMEOUT", DEFAULT_TIMEOUT_S))


def initialize(job_addresses: str | None, num_processes: int | None, process_id: int | None) -> None:
    """``init_process_group`` (gloo on CPU, nccl on CUDA). Without arguments it reads torchrun's
    environment (``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``). The collective timeout
    is ``KSHIM_DISTRIBUTION_TIMEOUT`` seconds (default 60): a dead rank makes the others fail then."""
    if is_initialized():
        return
    backend = "nccl" if torch.cuda.is_available() and os.environ.get("KSHIM_TORCH_DIST_BACKEND") != "gloo" else "gloo"
    kwargs: dict = {"backend": backend, "timeout": datetime.timedelta(seconds=timeout_s())}
    if job_addresses:
        first = job_addresses.split(",")[0]
        kwargs["init_method"] = first if "://" in first else f"tcp://{first}"
    if num_processes is not None:
        kwargs["world_size"] = int(num_processes)
    elif "WORLD_SIZE" not in os.environ and job_addresses:
        kwargs["world_size"] = len(job_addresses.split(","))
    if process_id is not None:
        kwargs["rank"] = int(process_id)
    # Import TorchDynamo first: importing it while a process group exists keeps references to that
    # group which destroy_process_group cannot drop, so gloo's threads outlive the group and can
    # abort the process while the interpreter shuts down (SIGABRT). The torch backend's step tracing
    # (make_fx) imports it anyway.
    importlib.import_module("torch._dynamo")

    dist.init_process_group(**kwargs)
    # Tear the group down at exit: a process that exits with gloo's threads still running can abort
    # with "terminate called without an active exception" (seen in CI on a 2-node run).
    atexit.register(shutdown)
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank() % torch.cuda.device_count())))


def _run(what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except RuntimeError as e:  # DistBackendError (timeouts, a closed peer) is a RuntimeError
        raise CollectiveError(
            f"kshim.distribution: {what} failed on rank {rank()} of {world_size()} (timeout {timeout_s():g}s); "
            f"another rank has probably died or stopped participating. Original error: {e}"
        ) from e


def all_reduce_mean(tensors: Sequence[Any], weight: float) -> list:
    """``sum over ranks of weight_r * t_r`` for every tensor, in one flat bucket per dtype."""
    out = list(tensors)
    by_dtype: dict = {}
    for i, t in enumerate(out):
        by_dtype.setdefault(t.dtype, []).append(i)
    for idx in by_dtype.values():
        flat = torch.cat([out[i].detach().reshape(-1) for i in idx]) * weight
        _run("all_reduce of the gradients", dist.all_reduce, flat)
        pos = 0
        for i in idx:
            n = out[i].numel()
            out[i] = flat[pos : pos + n].reshape(out[i].shape)
            pos += n
    return out


def all_reduce_sum(tensors: Sequence[Any]) -> list:
    """Elementwise sum over ranks (float tensors in one bucket; others cast through float64)."""
    if not tensors:
        return []
    flat = torch.cat([t.detach().reshape(-1).to(torch.float64) for t in tensors])
    _run("all_reduce of the metric states", dist.all_reduce, flat)
    out, pos = [], 0
    for t in tensors:
        n = t.numel()
        out.append(flat[pos : pos + n].reshape(t.shape).to(t.dtype))
        pos += n
    return out


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks whose backward sums the incoming gradients over ranks (what
    ``torch.distributed.nn.functional.all_reduce`` does; that one is deprecated and warns on every
    call)."""

    @staticmethod
    def forward(ctx: Any, tensor: Any) -> Any:
        out = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        out = grad.clone(memory_format=torch.contiguous_format)
        _run("all_reduce of the batch statistics' gradients", dist.all_reduce, out)
        return out


def all_reduce_sum_autograd(tensor: Any) -> Any:
    """The elementwise sum of ``tensor`` over ranks, differentiable: its backward sums the incoming
    gradients over ranks, so a statistic of the global batch (BatchNormalization's) sends every
    rank's share of the gradient back to every rank's rows."""
    return _run("all_reduce of the batch statistics", _AllReduceSum.apply, tensor)


def broadcast(tensors: Sequence[Any], src: int = 0) -> list:
    """Every tensor as rank ``src`` holds it."""
    out = []
    for t in tensors:
        c = t.detach().clone().contiguous()
        _run("broadcast of the initial weights", dist.broadcast, c, src)
        out.append(c)
    return out


def barrier() -> None:
    _run("barrier", dist.barrier)


def shutdown() -> None:
    if is_initialized():
        dist.destroy_process_group()


def broadcast_seed(seed: int) -> int:
    """Rank 0's host-generator seed on every rank (shuffling and default seeds then agree)."""
    if not is_initialized():
        return seed
    box = [int(seed)]
    _run("broadcast of the host seed", dist.broadcast_object_list, box, 0)
    return int(box[0])

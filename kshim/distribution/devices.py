"""Devices and processes: ``list_devices``, ``get_device_count``, ``initialize`` and the backend lookup."""

from __future__ import annotations

import os
from typing import Any

from ..backend import current

_NUMPY_MESSAGE = (
    "The numpy backend runs in one process on one device and has no distribution support; "
    "kshim.distribution needs the jax backend (jax.sharding) or the torch backend "
    "(torch.distributed). Select one with KSHIM_BACKEND=jax or KSHIM_BACKEND=torch, "
    "or kshim.backend.use('jax')."
)


def backend_lib(what: str = "kshim.distribution") -> Any:
    """The active backend's distribution module.

    Raises:
        ValueError: on the numpy backend (naming jax and torch).
    """
    name = current().name
    if name == "jax":
        from ..backends.jax import distribution as jax_lib

        return jax_lib
    if name == "torch":
        from ..backends.torch import distribution as torch_lib

        return torch_lib
    raise ValueError(
        f"{what}: {_NUMPY_MESSAGE}"
        if name == "numpy"
        else f"{what}: the {name!r} backend has no distribution support (use jax or torch)."
    )


def list_devices(device_type: str | None = None) -> list[str]:
    """All devices of one type (global ones in a multi-process setting), as ``"type:id"`` strings.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``; default the accelerator if any, else CPU.

    Returns:
        Device names. On the numpy backend ``["cpu:0"]`` (it has one device). On torch, one
        device per rank of the initialized process group.
    """
    if current().name == "numpy":
        return ["cpu:0"]
    return backend_lib().list_devices(device_type)


def get_device_count(device_type: str | None = None) -> int:
    """The number of devices ``list_devices(device_type)`` returns.

    Args:
        device_type: ``"cpu"``, ``"gpu"`` or ``"tpu"``; ``None`` (default) counts the accelerator if
            any, else the CPU.

    Returns:
        The device count as an int; always ``1`` on the numpy backend.
    """
    if current().name == "numpy":
        return 1
    return backend_lib().get_device_count(device_type)


def initialize(
    job_addresses: str | None = None, num_processes: int | None = None, process_id: int | None = None
) -> None:
    """Set up multi-process execution (call before any computation).

    JAX: ``jax.distributed.initialize`` with the first address as coordinator. torch:
    ``torch.distributed.init_process_group`` (gloo on CPU, nccl on GPU); with no arguments it
    reads torchrun's environment. ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
    ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID`` fill missing
    arguments, as in Keras.

    Args:
        job_addresses: comma-separated ``host:port`` of every job (the first is the coordinator).
        num_processes: number of processes in the cluster.
        process_id: this process' id in ``[0, num_processes)``.

    Raises:
        ValueError: on the numpy backend.
    """
    env = os.environ
    if job_addresses is None and "KERAS_DISTRIBUTION_JOB_ADDRESSES" in env:
        job_addresses = env["KERAS_DISTRIBUTION_JOB_ADDRESSES"]
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    lib = backend_lib("initialize")
    lib.initialize(job_addresses, num_processes, process_id)
    from ..random import host  # every process shuffles and draws default seeds as process 0 does

    seed, counter = host.get_state()
    host.set_state((lib.broadcast_seed(seed), counter))


def process_info() -> tuple[int, int]:
    """``(num_processes, process_id)`` of the active backend (``(1, 0)`` on numpy)."""
    if current().name == "numpy":
        return 1, 0
    lib = backend_lib()
    if hasattr(lib, "num_processes"):
        return lib.num_processes(), lib.process_id()
    return lib.world_size(), lib.rank()

"""JAX's side of ``kshim.distribution``: devices, ``jax.sharding.Mesh`` / ``NamedSharding``, placement.

It takes plain data (device names ``"cpu:0"``, shapes, axis names) and returns JAX objects; it
imports nothing from the kshim frontend. All communication is XLA's (GSPMD): a jitted step whose
inputs are sharded runs as one SPMD program over the mesh.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def list_devices(device_type: str | None = None) -> list[str]:
    """Global devices of one type as ``"platform:id"`` (Keras' format)."""
    kind = device_type.lower() if device_type else None
    return [f"{d.platform}:{d.id}" for d in jax.devices(backend=kind)]


def get_device_count(device_type: str | None = None) -> int:
    return jax.device_count(device_type.lower() if device_type else None)


def initialize(job_addresses: str | None, num_processes: int | None, process_id: int | None) -> None:
    """``jax.distributed.initialize``; only the coordinator (the first address) is needed."""
    coordinator = job_addresses
    if job_addresses and "," in job_addresses:
        addresses = job_addresses.split(",")
        if num_processes is not None and num_processes != len(addresses):
            raise ValueError(
                f"The provided job_addresses {addresses} has {len(addresses)} jobs, but "
                f"num_processes is {num_processes}"
            )
        coordinator = addresses[0]
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes, process_id=process_id)


def num_processes() -> int:
    return jax.process_count()


def process_id() -> int:
    return jax.process_index()


def _device(name: Any) -> Any:
    if isinstance(name, jax.Device):
        return name
    text = str(name)
    kind, _, idx = text.partition(":")
    for d in jax.devices(backend=kind):
        if d.id == int(idx or 0):
            return d
    raise ValueError(f"Device not found: {text}")


def mesh(devices: np.ndarray, axis_names: Sequence[str]) -> Mesh:
    """A ``jax.sharding.Mesh`` over ``devices`` (an array of device names, already in mesh shape)."""
    devs = np.array([_device(d) for d in np.asarray(devices).reshape(-1)], dtype=object)
    return Mesh(devs.reshape(np.asarray(devices).shape), tuple(axis_names))


def sharding(jax_mesh: Mesh, axes: Sequence[str | None]) -> NamedSharding:
    return NamedSharding(jax_mesh, PartitionSpec(*axes))


def is_traced(x: Any) -> bool:
    return isinstance(x, jax.core.Tracer)


def distribute_tensor(x: Any, layout: Any) -> Any:
    """``with_sharding_constraint`` inside a traced function, ``device_put`` outside."""
    if is_traced(x):
        return jax.lax.with_sharding_constraint(x, layout)
    if isinstance(x, jax.Array) and x.sharding.is_equivalent_to(layout, x.ndim):
        return x
    return jax.device_put(x, layout)


def put(x: Any, layout: Any) -> Any:
    """Place a host or device array with ``layout`` (no copy when it already has it)."""
    return distribute_tensor(x, layout)


def put_batch(x: Any, layout: Any, multi_process: bool) -> Any:
    """A global batch array from this process' data. One process: ``device_put`` of the global
    batch; several: ``x`` is this process' rows (``make_array_from_process_local_data``)."""
    if multi_process:
        return jax.make_array_from_process_local_data(layout, np.asarray(x))
    return jax.device_put(x, layout)


def jit(fn: Callable, donate_argnums: Sequence[int], out_shardings: Any) -> Callable:
    """``jax.jit`` with the state's output shardings pinned (``None``: let XLA choose)."""
    if out_shardings is None:
        return jax.jit(fn, donate_argnums=tuple(donate_argnums))
    return jax.jit(fn, donate_argnums=tuple(donate_argnums), out_shardings=out_shardings)


def sharding_of(x: Any) -> Any:
    return getattr(x, "sharding", None)


def broadcast_seed(seed: int) -> int:
    """Process 0's host-generator seed in every process (shuffling and default seeds then agree)."""
    if jax.process_count() == 1:
        return seed
    from jax.experimental import multihost_utils

    return int(multihost_utils.broadcast_one_to_all(np.uint32(seed & 0xFFFFFFFF)))

"""``kshim.distribution``: Keras 3's distribution API over JAX sharding and ``torch.distributed``.

JAX: a ``jax.sharding.Mesh`` and ``NamedSharding`` per variable and batch; the jitted steps run as
one SPMD program (XLA inserts the collectives). torch: one process per device under ``torchrun``,
gradients averaged with ``torch.distributed.all_reduce``. NumPy: single device; setting a
distribution raises ``ValueError``. See docs/scaling.md.
"""

from __future__ import annotations

from .devices import get_device_count, initialize, list_devices
from .mesh import DeviceMesh, LayoutMap, TensorLayout
from .strategies import DataParallel, ModelParallel, distribute_tensor, distribution, set_distribution

__all__ = [
    "DataParallel",
    "DeviceMesh",
    "LayoutMap",
    "ModelParallel",
    "TensorLayout",
    "distribute_tensor",
    "distribution",
    "get_device_count",
    "initialize",
    "list_devices",
    "set_distribution",
]

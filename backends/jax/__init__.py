"""JAX backend for kshim: primitives on ``jax.Array`` (CPU/GPU/TPU through XLA).

Importing this module turns on ``jax_enable_x64`` (float64/int64 must be real 64-bit types) and
full-precision matmuls. All creation calls pass explicit dtypes so nothing silently becomes 64-bit.
"""

from __future__ import annotations

from .._malloc import tune_malloc
from .backend import JaxBackend

tune_malloc()

__all__ = ["JaxBackend"]

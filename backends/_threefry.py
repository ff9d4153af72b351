"""Threefry-2x32 (20 rounds): its constants and the NumPy uint32 kernel, in one place for
``kshim.random.threefry`` (host bits, the generic in-graph composite) and the backends' fused
``threefry2x32`` kernels."""

from __future__ import annotations

import numpy as np

ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
PARITY = 0x1BD11BDA
MASK = 0xFFFFFFFF


def threefry2x32_uint32(k0: int, k1: int, x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32 of counters ``(x0, x1)`` (broadcast) under key ``(k0, k1)``: wrapping uint32
    arithmetic, in place on fresh copies; returns two uint32 arrays."""
    k0, k1 = int(k0) & MASK, int(k1) & MASK
    ks = (k0, k1, k0 ^ k1 ^ PARITY)
    shape = np.broadcast_shapes(np.shape(x0), np.shape(x1))
    u, v = (np.broadcast_to(x, shape).astype(np.uint32) for x in (x0, x1))
    t = np.empty_like(u)
    u += np.uint32(k0)
    v += np.uint32(k1)
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            u += v
            np.left_shift(v, np.uint32(r), out=t)
            v >>= np.uint32(32 - r)
            v |= t
            v ^= u
        u += np.uint32(ks[(i + 1) % 3])
        v += np.uint32((ks[(i + 2) % 3] + i + 1) & MASK)
    return u, v

"""Threefry-2x32 (20 rounds), the counter-based generator behind all kshim randomness.

Two implementations of one algorithm: ``threefry_host`` on NumPy uint32 (initializers, data
shuffling) and ``threefry_ops`` over any backend's int64 primitives (in-graph: dropout, noise),
so the same key and counter give the same bits everywhere, also inside ``jax.jit``. Both are
checked bit-for-bit against JAX's own ``threefry_2x32`` in the tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backends._threefry import MASK, PARITY, ROTATIONS, threefry2x32_uint32


def threefry_host(key: tuple[int, int], x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32 on NumPy uint32 arrays (wrapping arithmetic)."""
    return threefry2x32_uint32(key[0], key[1], x0, x1)


def threefry_ops(b: Any, k0: Any, k1: Any, x0: Any, x1: Any) -> tuple[Any, Any]:
    """Threefry-2x32 over backend ``b``'s int64 primitives; all values are int64 in [0, 2^32).

    ``k0``/``k1`` are 0-d int64 tensors (the key may be traced, e.g. a seed state under jit).
    A backend may provide the optional fused primitive ``threefry2x32(k0, k1, x0, x1)`` (same
    signature and bits); it is used when present.
    """
    fused = getattr(b, "threefry2x32", None)
    if fused is not None:
        return fused(k0, k1, x0, x1)
    m = b.full((), MASK, "int64")

    def add(u, v):
        return b.bitwise_and(b.add(u, v), m)

    def rotl(u, r):
        return b.bitwise_or(
            b.bitwise_and(b.left_shift(u, b.full((), r, "int64")), m), b.right_shift(u, b.full((), 32 - r, "int64"))
        )

    k2 = b.bitwise_xor(b.bitwise_xor(k0, k1), b.full((), PARITY, "int64"))
    ks = (k0, k1, k2)
    x0, x1 = add(x0, k0), add(x1, k1)
    for i in range(5):
        for r in ROTATIONS[i % 2]:
            x0 = add(x0, x1)
            x1 = b.bitwise_xor(rotl(x1, r), x0)
        x0 = add(x0, ks[(i + 1) % 3])
        x1 = add(add(x1, ks[(i + 2) % 3]), b.full((), i + 1, "int64"))
    return x0, x1


def host_bits(key: tuple[int, int], n: int) -> np.ndarray:
    """``n`` pseudo-random uint32 words for ``key`` (counter layout shared with ``ops_bits``)."""
    half = (n + 1) // 2
    ctr = np.arange(half, dtype=np.uint32)
    y0, y1 = threefry_host(key, ctr, np.zeros(half, np.uint32))
    return np.concatenate([y0, y1])[:n]


def ops_bits(b: Any, k0: Any, k1: Any, n: int) -> Any:
    """``n`` words (int64 in [0, 2^32)) for a possibly traced key, on backend ``b``."""
    half = (n + 1) // 2
    ctr = b.arange(0, half, 1, "int64")
    y0, y1 = threefry_ops(b, k0, k1, ctr, b.zeros((half,), "int64"))
    out = b.concatenate([y0, y1], 0)
    return b.getitem(out, (slice(0, n),)) if 2 * half != n else out

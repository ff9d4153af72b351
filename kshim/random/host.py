"""The host-side generator: initializers, ``fit`` shuffling and default seeds draw from it."""

from __future__ import annotations

import os
import random as _pyrandom

import numpy as np

from .threefry import host_bits

_STATE = {"seed": int.from_bytes(os.urandom(4), "little"), "counter": 0}


def set_seed(seed: int) -> None:
    """Reset the host generator (``kshim.utils.set_random_seed`` calls this)."""
    _STATE["seed"] = int(seed) & 0xFFFFFFFF
    _STATE["counter"] = 0


def get_state() -> tuple[int, int]:
    """``(seed, counter)`` of the host stream (``BackupAndRestore`` saves it for exact resume)."""
    return int(_STATE["seed"]), int(_STATE["counter"])


def set_state(state: tuple[int, int]) -> None:
    """Restore a ``get_state()`` value."""
    _STATE["seed"], _STATE["counter"] = int(state[0]) & 0xFFFFFFFF, int(state[1])


def next_key() -> tuple[int, int]:
    """A fresh key from the global host stream."""
    key = (_STATE["seed"], 0x9E3779B9 ^ _STATE["counter"])
    _STATE["counter"] += 1
    return key


def next_seed() -> int:
    """A fresh 32-bit seed from the global host stream."""
    return int(host_bits(next_key(), 1)[0])


def key_for(seed: int | None) -> tuple[int, int]:
    """Key for an explicit int seed, or the next global key when ``seed`` is None."""
    return next_key() if seed is None else (int(seed) & 0xFFFFFFFF, 0)


def uniform01(key: tuple[int, int], n: int) -> np.ndarray:
    """``n`` float64 uniforms in [0, 1) with 53 random bits each."""
    w = host_bits(key, 2 * n).astype(np.uint64)
    hi, lo = w[:n] >> np.uint64(5), w[n:] >> np.uint64(6)
    return (hi.astype(np.float64) * 67108864.0 + lo.astype(np.float64)) * (1.0 / 9007199254740992.0)


def normal(key: tuple[int, int], n: int) -> np.ndarray:
    """``n`` float64 standard normals (Box-Muller on host; identical for every backend)."""
    u = uniform01(key, 2 * n)
    u1, u2 = 1.0 - u[:n], u[n:]
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def permutation(key: tuple[int, int], n: int) -> np.ndarray:
    """A random permutation of ``range(n)`` (argsort of random words; ties broken by index)."""
    return np.argsort(uniform01(key, n), kind="stable")


def python_seed(seed: int) -> None:
    _pyrandom.seed(seed)

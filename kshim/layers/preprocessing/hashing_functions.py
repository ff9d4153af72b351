"""The hash functions behind Keras' ``Hashing``, ``HashedCrossing`` and multi-OOV lookups, in NumPy.

Keras (through TensorFlow) buckets strings with:

- ``tf.strings.to_hash_bucket_fast``: FarmHash ``Fingerprint64`` (``farmhashna::Hash64``) modulo the
  number of buckets;
- ``tf.strings.to_hash_bucket_strong``: SipHash-2-4 keyed with two 64-bit words (the ``salt``);
- ``tf.sparse.cross_hashed``: ``FingerprintCat64`` folded over the features, starting from the key
  ``0xDECAFCAFFE``; a string feature enters as its ``Fingerprint64``, an integer as its own bits.

The implementations here are written from the published algorithms and checked against their
published test vectors (``tests/layers/test_hashing_layers.py``). They are vectorised: the strings are
grouped by byte length, and each group is hashed as a ``(n, length)`` byte matrix with wrapping
``uint64`` arithmetic, so the Python work is per distinct length, not per string.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["fingerprint64", "siphash64", "fingerprint_cat64", "as_bytes", "CROSS_HASH_KEY"]

_U64 = np.uint64
K0 = _U64(0xC3A5C85C97CB3127)
K1 = _U64(0xB492B66FBE98F273)
K2 = _U64(0x9AE16A3B2F90404F)
_KMUL = _U64(0x9DDFEA08EB382D69)
_CAT_MUL = _U64(0xC6A4A7935BD1E995)
#: ``tf.sparse.cross_hashed``'s default ``hash_key`` (what ``HashedCrossing`` uses).
CROSS_HASH_KEY = 0xDECAFCAFFE


def as_bytes(values: Any, encoding: str = "utf-8") -> list[bytes]:
    """Flatten ``values`` (str, bytes, or an array/list of them) into a list of byte strings."""
    arr = np.asarray(values, dtype=object).reshape(-1)
    return [v if isinstance(v, bytes) else str(v).encode(encoding) for v in arr]


def _u64(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.uint64)


def _rot(v: np.ndarray, s: int) -> np.ndarray:
    """Right rotation by ``s`` bits (FarmHash's ``Rotate``)."""
    return v if s == 0 else (v >> _U64(s)) | (v << _U64(64 - s))


def _rotl(v: np.ndarray, s: int) -> np.ndarray:
    return (v << _U64(s)) | (v >> _U64(64 - s))


def _shift_mix(v: np.ndarray) -> np.ndarray:
    return v ^ (v >> _U64(47))


def _fetch64(m: np.ndarray, off: int) -> np.ndarray:
    return np.ascontiguousarray(m[:, off : off + 8]).view("<u8")[:, 0].astype(np.uint64)


def _fetch32(m: np.ndarray, off: int) -> np.ndarray:
    return np.ascontiguousarray(m[:, off : off + 4]).view("<u4")[:, 0].astype(np.uint64)


def _hash_len16(u: np.ndarray, v: np.ndarray, mul: Any) -> np.ndarray:
    a = (u ^ v) * mul
    a = a ^ (a >> _U64(47))
    b = (v ^ a) * mul
    b = b ^ (b >> _U64(47))
    return b * mul


def _len0to16(m: np.ndarray, n: int) -> np.ndarray:
    rows = m.shape[0]
    if n >= 8:
        mul = K2 + _U64(n * 2)
        a = _fetch64(m, 0) + K2
        b = _fetch64(m, n - 8)
        c = _rot(b, 37) * mul + a
        d = (_rot(a, 25) + b) * mul
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + _U64(n * 2)
        a = _fetch32(m, 0)
        return _hash_len16(_U64(n) + (a << _U64(3)), _fetch32(m, n - 4), mul)
    if n > 0:
        a, b, c = (m[:, i].astype(np.uint64) for i in (0, n >> 1, n - 1))
        y = a + (b << _U64(8))
        z = _U64(n) + (c << _U64(2))
        return _shift_mix(y * K2 ^ z * K0) * K2
    return np.full(rows, K2, dtype=np.uint64)


def _len17to32(m: np.ndarray, n: int) -> np.ndarray:
    mul = K2 + _U64(n * 2)
    a = _fetch64(m, 0) * K1
    b = _fetch64(m, 8)
    c = _fetch64(m, n - 8) * mul
    d = _fetch64(m, n - 16) * K2
    return _hash_len16(_rot(a + b, 43) + _rot(c, 30) + d, a + _rot(b + K2, 18) + c, mul)


def _len33to64(m: np.ndarray, n: int) -> np.ndarray:
    mul = K2 + _U64(n * 2)
    a = _fetch64(m, 0) * K2
    b = _fetch64(m, 8)
    c = _fetch64(m, n - 8) * mul
    d = _fetch64(m, n - 16) * K2
    y = _rot(a + b, 43) + _rot(c, 30) + d
    z = _hash_len16(y, a + _rot(b + K2, 18) + c, mul)
    e = _fetch64(m, 16) * mul
    f = _fetch64(m, 24)
    g = (y + _fetch64(m, n - 32)) * mul
    h = (z + _fetch64(m, n - 24)) * mul
    return _hash_len16(_rot(e + f, 43) + _rot(g, 30) + h, e + _rot(f + a, 18) + g, mul)


def _weak32(m: np.ndarray, off: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, x, y, z = (_fetch64(m, off + 8 * i) for i in range(4))
    a = a + w
    b = _rot(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rot(a, 44)
    return a + z, b + c


def _len_over64(m: np.ndarray, n: int) -> np.ndarray:
    rows = m.shape[0]
    seed = _U64(81)
    x = np.full(rows, seed, dtype=np.uint64)
    y = np.full(rows, seed * K1 + _U64(113), dtype=np.uint64)
    z = _shift_mix(y * K2 + _U64(113)) * K2
    v0 = v1 = w0 = w1 = np.zeros(rows, dtype=np.uint64)
    x = x * K2 + _fetch64(m, 0)
    last64 = n - 64
    for s in range(0, ((n - 1) // 64) * 64, 64):
        x = _rot(x + y + v0 + _fetch64(m, s + 8), 37) * K1
        y = _rot(y + v1 + _fetch64(m, s + 48), 42) * K1
        x = x ^ w1
        y = y + v0 + _fetch64(m, s + 40)
        z = _rot(z + w0, 33) * K1
        v0, v1 = _weak32(m, s, v1 * K1, x + w0)
        w0, w1 = _weak32(m, s + 32, z + w1, y + _fetch64(m, s + 16))
        x, z = z, x
    mul = K1 + ((z & _U64(0xFF)) << _U64(1))
    s = last64
    w0 = w0 + _U64((n - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rot(x + y + v0 + _fetch64(m, s + 8), 37) * mul
    y = _rot(y + v1 + _fetch64(m, s + 48), 42) * mul
    x = x ^ (w1 * _U64(9))
    y = y + v0 * _U64(9) + _fetch64(m, s + 40)
    z = _rot(z + w0, 33) * mul
    v0, v1 = _weak32(m, s, v1 * mul, x + w0)
    w0, w1 = _weak32(m, s + 32, z + w1, y + _fetch64(m, s + 16))
    x, z = z, x
    return _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * K0 + z, _hash_len16(v1, w1, mul) + x, mul)


def _farm_group(m: np.ndarray, n: int) -> np.ndarray:
    if n <= 16:
        return _len0to16(m, n)
    if n <= 32:
        return _len17to32(m, n)
    if n <= 64:
        return _len33to64(m, n)
    return _len_over64(m, n)


def _by_length(data: Sequence[bytes], fn: Callable[[np.ndarray, int], np.ndarray]) -> np.ndarray:
    """Apply ``fn(byte_matrix, length)`` to each group of equal-length byte strings."""
    out = np.empty(len(data), dtype=np.uint64)
    lengths = np.fromiter((len(b) for b in data), dtype=np.int64, count=len(data))
    with np.errstate(over="ignore"):
        for n in np.unique(lengths):
            idx = np.nonzero(lengths == n)[0]
            n = int(n)
            buf = b"".join(data[int(i)] for i in idx)
            m = np.frombuffer(buf, dtype=np.uint8).reshape(len(idx), n) if n else np.zeros((len(idx), 0), np.uint8)
            out[idx] = fn(m, n)
    return out


def fingerprint64(data: Sequence[bytes]) -> np.ndarray:
    """FarmHash ``Fingerprint64`` (TensorFlow's ``Fingerprint64``) of each byte string, as ``uint64``.

    Args:
        data: Byte strings (see :func:`as_bytes`).

    Returns:
        A 1-D ``uint64`` array, one hash per input.
    """
    return _by_length(list(data), _farm_group)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = v2 + v3
    v3 = _rotl(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rotl(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash64(data: Sequence[bytes], key: Sequence[int]) -> np.ndarray:
    """SipHash-2-4 of each byte string with the 128-bit key ``(k0, k1)`` (TensorFlow's
    ``StrongKeyedHash``, as used by ``to_hash_bucket_strong(key=[k0, k1])``).

    Args:
        data: Byte strings (see :func:`as_bytes`).
        key: Two non-negative integers below 2**64.

    Returns:
        A 1-D ``uint64`` array, one hash per input.
    """
    k0, k1 = (_U64(int(k) & 0xFFFFFFFFFFFFFFFF) for k in key)

    def group(m: np.ndarray, n: int) -> np.ndarray:
        rows = m.shape[0]
        v0 = np.full(rows, k0 ^ _U64(0x736F6D6570736575), dtype=np.uint64)
        v1 = np.full(rows, k1 ^ _U64(0x646F72616E646F6D), dtype=np.uint64)
        v2 = np.full(rows, k0 ^ _U64(0x6C7967656E657261), dtype=np.uint64)
        v3 = np.full(rows, k1 ^ _U64(0x7465646279746573), dtype=np.uint64)
        full = n - n % 8
        for off in range(0, full, 8):
            mi = _fetch64(m, off)
            v3 = v3 ^ mi
            v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
            v0 = v0 ^ mi
        last = np.full(rows, _U64((n & 0xFF) << 56), dtype=np.uint64)
        for j in range(n - full):
            last = last | (m[:, full + j].astype(np.uint64) << _U64(8 * j))
        v3 = v3 ^ last
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 = v0 ^ last
        v2 = v2 ^ _U64(0xFF)
        for _ in range(4):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        return v0 ^ v1 ^ v2 ^ v3

    return _by_length(list(data), group)


def fingerprint_cat64(fp1: Any, fp2: Any) -> np.ndarray:
    """TensorFlow's ``FingerprintCat64``: combine two 64-bit fingerprints (not commutative)."""
    with np.errstate(over="ignore"):
        result = _u64(fp1) ^ _CAT_MUL
        result = result ^ (_shift_mix(_u64(fp2) * _CAT_MUL) * _CAT_MUL)
        result = result * _CAT_MUL
        result = _shift_mix(result) * _CAT_MUL
        return _shift_mix(result)

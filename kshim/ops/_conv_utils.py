"""Keras padding rules turned into the explicit (low, high) pairs the protocol takes."""
from __future__ import annotations

from typing import Any, Sequence


def tuplify(value: Any, n: int, name: str) -> tuple:
    """An int or a length-``n`` sequence of ints -> tuple of ``n`` ints."""
    if isinstance(value, int):
        return (value,) * n
    t = tuple(int(v) for v in value)
    if len(t) == 1 and n > 1:
        t = t * n
    if len(t) != n:
        raise ValueError(f"`{name}` must be an int or {n} ints, got {value!r}.")
    return t


def conv_padding(padding: str, in_sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
                 dilation: Sequence[int]) -> list[tuple[int, int]]:
    """Padding pairs for ``valid``/``same``/``causal``; ``same`` puts the extra cell at the end."""
    padding = padding.lower()
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    out = []
    for n, k, s, d in zip(in_sizes, kernel, strides, dilation):
        keff = (k - 1) * d + 1
        if padding == "causal":
            out.append((keff - 1, 0))
            continue
        if padding != "same":
            raise ValueError(f"padding must be 'valid', 'same' or 'causal', got {padding!r}.")
        n_out = -(-n // s)
        total = max((n_out - 1) * s + keff - n, 0)
        out.append((total // 2, total - total // 2))
    return out


def conv_transpose_padding(padding: str, kernel: Sequence[int], strides: Sequence[int],
                           dilation: Sequence[int], output_padding: Sequence[int | None]) -> list[tuple[int, int]]:
    """(lo, hi) pairs for the protocol's conv_transpose reproducing Keras' output sizes:
    valid -> ``n*s + max(k - s, 0)``, same -> ``n*s``; with ``output_padding`` p:
    ``(n-1)*s + k - 2*pad + p`` where pad is ``k // 2`` for same and 0 for valid."""
    padding = padding.lower()
    out = []
    for k, s, d, op in zip(kernel, strides, dilation, output_padding):
        keff = (k - 1) * d + 1
        if padding == "valid":
            op = max(keff, s) - keff if op is None else op
            lo, hi = keff - 1, keff - 1 + op
        elif padding == "same":
            total = s + keff - 2 if op is None else keff + keff % 2 - 2 + op
            lo = min(total // 2 + total % 2, keff - 1)
            hi = total - lo
        else:
            raise ValueError(f"padding must be 'valid' or 'same' for a transposed conv, got {padding!r}.")
        out.append((lo, hi))
    return out

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


def conv_padding(
    padding: str, in_sizes: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int]
) -> list[tuple[int, int]]:
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


def conv_transpose_padding(
    padding: str,
    kernel: Sequence[int],
    strides: Sequence[int],
    dilation: Sequence[int],
    output_padding: Sequence[int | None],
) -> list[tuple[int, int]]:
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


# ---- output sizes, computed from the formulas (nothing is allocated) ------------------------------
def conv_output_length(n: int | None, k: int, s: int, d: int, padding: str) -> int | None:
    """Output length of a convolution/pooling window along one axis (``None`` stays ``None``).

    ``valid``: ``(n - keff) // s + 1``; ``same`` and ``causal``: ``ceil(n / s)``, where
    ``keff = (k - 1) * d + 1`` is the dilated window. May be <= 0 (see :func:`conv_output_shape`).
    """
    if n is None:
        return None
    keff = (k - 1) * d + 1
    if padding.lower() == "valid":
        return (n - keff) // s + 1
    return -(-n // s)


def conv_transpose_output_length(
    n: int | None, k: int, s: int, d: int, padding: str, output_padding: int | None
) -> int | None:
    """Output length of a transposed convolution along one axis (Keras' formula, ``None`` stays ``None``).

    Without ``output_padding``: ``valid`` -> ``n*s + max(keff - s, 0)``, ``same`` -> ``n*s``; with
    ``output_padding`` p: ``(n-1)*s + keff - 2*pad + p``, ``pad = keff // 2`` for ``same`` else 0.
    """
    if n is None:
        return None
    keff = (k - 1) * d + 1
    same = padding.lower() == "same"
    if output_padding is None:
        return n * s if same else n * s + max(keff - s, 0)
    return (n - 1) * s + keff - 2 * (keff // 2 if same else 0) + output_padding


def conv_output_shape(
    input_shape: Any,
    window: Sequence[int],
    strides: Sequence[int],
    padding: str,
    data_format: str,
    channels: int | None = None,
    dilation: Sequence[int] | None = None,
    transpose: bool = False,
    output_padding: Sequence[int | None] | None = None,
    what: str = "kernel_size",
) -> tuple:
    """Output shape of an N-d convolution or pooling over ``input_shape`` (batch and channel axes
    included; ``channels`` replaces the channel dim when given), computed arithmetically.

    Raises:
        ValueError: "Computed output size would be zero or negative" when the (dilated) window does
            not fit the input, naming the input shape, window, strides and padding.
    """
    shape = tuple(input_shape)
    nd = len(window)
    dilation = tuple(dilation) if dilation is not None else (1,) * nd
    cl = data_format == "channels_last"
    spatial = shape[1:-1] if cl else shape[2:]
    if transpose:
        ops_ = tuple(output_padding) if output_padding is not None else (None,) * nd
        out = tuple(
            conv_transpose_output_length(n, k, s, d, padding, p)
            for n, k, s, d, p in zip(spatial, window, strides, dilation, ops_)
        )
    else:
        out = tuple(conv_output_length(n, k, s, d, padding) for n, k, s, d in zip(spatial, window, strides, dilation))
    if any(o is not None and o <= 0 for o in out):
        dil = f", `dilation_rate={tuple(dilation)}`" if any(d != 1 for d in dilation) else ""
        raise ValueError(
            f"Computed output size would be zero or negative. Received: `inputs.shape={shape}`, "
            f"`{what}={tuple(window)}`, `strides={tuple(strides)}`{dil}, `padding={padding}`. "
            f"Use a smaller {what}, padding='same', or a larger input."
        )
    c = shape[-1 if cl else 1] if channels is None else channels
    return (shape[0],) + out + (c,) if cl else (shape[0], c) + out


def check_padded_size(input_shape: Sequence[int], pads: Sequence[tuple[int, int]], data_format: str, op: str) -> None:
    """Refuse a padding that would make the padded input larger than ``MAX_ELEMENTS`` elements
    (a huge window or dilation with ``same`` padding), before the backend allocates it."""
    from .._validation import check_op_output

    shape = tuple(input_shape)
    cl = data_format == "channels_last"
    spatial = shape[1:-1] if cl else shape[2:]
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))
    full = (shape[0],) + padded + (shape[-1],) if cl else (shape[0], shape[1]) + padded
    check_op_output(
        full,
        f"the padded input of {op}",
        fix="The window or dilation is far larger than the input: use padding='valid' or a smaller window.",
    )

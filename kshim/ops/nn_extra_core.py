"""``saturate_cast``, ``segment_min``, ``segment_prod`` and einops-style ``rearrange`` (``keras.ops``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import dtypes as _dt
from ..backend import current
from ._dispatch import op, tensor
from ._dispatch import tensor as _tensor

__all__ = ["saturate_cast", "segment_min", "segment_prod", "rearrange"]


# ---- saturate_cast -----------------------------------------------------------------------------
def _np_dtype(d: str) -> Any:
    if d == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(d)


def _limits(d: str) -> tuple:
    if d == "bool":
        return 0, 1
    if _dt.is_int(d):
        iinfo = np.iinfo(_np_dtype(d))
        return int(iinfo.min), int(iinfo.max)
    info: Any
    if d == "bfloat16":
        import ml_dtypes

        info = ml_dtypes.finfo(ml_dtypes.bfloat16)
    else:
        info = np.finfo(_np_dtype(d))
    return float(info.min), float(info.max)


def _in_range(limit: Any, bound: Any, npd: Any, toward_zero_if: Any) -> Any:
    """``limit`` as a value of ``npd``; nudged toward 0 when rounding took it past ``bound``."""
    v = np.asarray(limit).astype(npd)
    if toward_zero_if(float(v), bound):
        v = np.nextafter(v, np.zeros((), npd)).astype(npd)
    return v


@op
def saturate_cast(x: Any, dtype: Any) -> Any:
    """Casts to ``dtype``, saturating values outside its range to its limits.

    Values are clipped to the target range expressed in the input dtype (nudged inward where the
    input dtype cannot represent a limit exactly, e.g. float32 -> int32 clips at 2147483520) and
    cast; values beyond the nudged limit then map to the exact target limit, so 3e10 saturates to
    2147483647 and inf to the largest finite float on every backend. NaN gives 0 for integer
    targets and stays NaN for float targets. (Keras gets these from XLA's saturating conversion on
    JAX; its torch/NumPy backends can wrap around instead.)

    Args:
        x: Input tensor.
        dtype: Target dtype.

    Returns:
        ``x`` saturated and cast to ``dtype``.
    """
    b = current()
    x = tensor(x)
    d = _dt.standardize_dtype(dtype)
    din = b.dtype(x)
    if din == "bool":
        return b.cast(x, d)
    in_min, in_max = _limits(din)
    out_min, out_max = _limits(d)
    npd = _np_dtype(din)
    lo = _in_range(max(in_min, out_min), out_min, npd, lambda v, bound: v < bound)
    hi = _in_range(min(in_max, out_max), out_max, npd, lambda v, bound: v > bound)
    lo_t, hi_t = b.convert_to_tensor(lo, din), b.convert_to_tensor(hi, din)
    to_int = not _dt.is_float(d) and _dt.is_float(din)
    if to_int:
        x = b.where(b.isnan(x), b.zeros((), din), x)
    y = b.cast(b.minimum(b.maximum(x, lo_t), hi_t), d)
    if to_int:
        y = b.where(b.greater(x, hi_t), b.full((), out_max, d), y)
        y = b.where(b.less(x, lo_t), b.full((), out_min, d), y)
    return y


# ---- segment_min / segment_prod ------------------------------------------------------------------
def _segments(data: Any, segment_ids: Any, num_segments: int | None, name: str) -> tuple:
    """(data, mask (n, segments, 1...), segments). Ids outside ``[0, segments)`` match no segment."""
    b = current()
    x = tensor(data)
    ids = tensor(segment_ids)
    if not _dt.is_int(b.dtype(ids)):
        raise TypeError(f"{name}: segment_ids must be integers, got {b.dtype(ids)}.")
    if len(b.shape(ids)) != 1 or not b.shape(x) or b.shape(ids)[0] != b.shape(x)[0]:
        raise ValueError(
            f"{name}: segment_ids must be 1-D with one id per row of data; got ids "
            f"{tuple(b.shape(ids))} for data {tuple(b.shape(x))}."
        )
    if num_segments is None:
        num_segments = int(b.to_numpy(b.max(ids, None, False))) + 1 if b.shape(ids)[0] else 0
    n = int(num_segments)
    hot = b.equal(b.reshape(ids, (b.shape(ids)[0], 1)), b.reshape(b.arange(0, n, 1, b.dtype(ids)), (1, n)))
    mask = b.reshape(hot, tuple(b.shape(hot)) + (1,) * (len(b.shape(x)) - 1))
    xe = b.reshape(x, (b.shape(x)[0], 1) + tuple(b.shape(x)[1:]))
    return x, xe, mask


def _highest(d: str) -> float | int:
    if _dt.is_float(d):
        return float("inf")
    if d == "bool":
        return True
    return int(np.iinfo(np.dtype(d)).max)


@op
def segment_min(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """Minimum of ``data`` rows per segment id.

    Empty segments give the identity of ``min`` (``+inf`` for floats, the dtype's maximum for
    integers), as Keras on JAX. Ids outside ``[0, num_segments)`` are dropped. ``sorted`` is accepted
    for compatibility (the result does not depend on it).

    Args:
        data: Tensor whose first axis is segmented.
        segment_ids: 1-D integer ids, one per row of ``data``.
        num_segments: Number of segments (default: ``max(segment_ids) + 1``, which needs concrete ids).
        sorted: Whether the ids are sorted (a hint).

    Returns:
        ``(num_segments, *data.shape[1:])`` in ``data``'s dtype.

    Raises:
        TypeError: non-integer ids. ValueError: ids that do not match ``data``'s rows.
    """
    b = current()
    x, xe, mask = _segments(data, segment_ids, num_segments, "segment_min")
    d = b.dtype(x)
    return b.min(b.where(mask, xe, b.full((), _highest(d), d)), (0,), False)


@op
def segment_prod(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Any:  # noqa: A002
    """Product of ``data`` rows per segment id.

    Empty segments give 1; ids outside ``[0, num_segments)`` are dropped; ``sorted`` is a hint.

    Args:
        data: Tensor whose first axis is segmented.
        segment_ids: 1-D integer ids, one per row of ``data``.
        num_segments: Number of segments (default: ``max(segment_ids) + 1``, which needs concrete ids).
        sorted: Whether the ids are sorted (a hint).

    Returns:
        ``(num_segments, *data.shape[1:])`` in ``data``'s dtype.

    Raises:
        TypeError: non-integer ids. ValueError: ids that do not match ``data``'s rows.
    """
    b = current()
    x, xe, mask = _segments(data, segment_ids, num_segments, "segment_prod")
    d = b.dtype(x)
    return b.prod(b.where(mask, xe, b.ones((), d)), (0,), False)


# ---- rearrange -------------------------------------------------------------------------------------
_TOKEN = re.compile(r"\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def _parse_side(text: str, pattern: str) -> list:
    """Groups of axis names; ``()``/``1`` is an empty group, ``...`` a single bare group."""
    groups: list[list[str]] = []
    cur: list[str] | None = None
    for tok in _TOKEN.findall(text):
        if tok == "(":
            if cur is not None:
                raise ValueError(f"rearrange: nested parentheses in {pattern!r}.")
            cur = []
        elif tok == ")":
            if cur is None:
                raise ValueError(f"rearrange: unbalanced ')' in {pattern!r}.")
            groups.append(cur)
            cur = None
        elif tok == "...":
            if cur is not None:
                raise ValueError(f"rearrange: '...' inside parentheses is not supported ({pattern!r}).")
            groups.append(["..."])
        elif tok.isdigit():
            if tok != "1":
                raise ValueError(
                    f"rearrange: only the anonymous axis '1' may be a number, got {tok!r} in "
                    f"{pattern!r}; name the axis and pass its length as a keyword."
                )
            if cur is None:
                groups.append([])
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok):
            if cur is not None:
                cur.append(tok)
            else:
                groups.append([tok])
        else:
            raise ValueError(f"rearrange: unexpected {tok!r} in {pattern!r}.")
    if cur is not None:
        raise ValueError(f"rearrange: unbalanced '(' in {pattern!r}.")
    return groups


@op
def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Any:  # noqa: F811  (Keras' parameter name)
    """Rearranges axes einops-style: ``"b (h p) w c -> b h (p w) c"``, ``p=2``.

    Supports named axes, parenthesized compositions on either side (decomposed with the lengths in
    ``axes_lengths``, at most one unknown per group), anonymous unit axes ``1``/``()`` and, as an
    einops extension Keras lacks, one ``...`` standing for any number of axes.

    Args:
        tensor: Input tensor.
        pattern: ``"<input axes> -> <output axes>"``.
        **axes_lengths: Lengths of axes that a composition on the input side cannot infer.

    Returns:
        The tensor reshaped and transposed as the pattern says.

    Raises:
        ValueError: a malformed pattern, axes that differ between the sides, a rank mismatch, or
            lengths that do not divide the dimensions.
    """
    b = current()
    x = _tensor(tensor)
    shp = tuple(b.shape(x))
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"rearrange: pattern must look like 'a b -> b a', got {pattern!r}.")
    left, right = (_parse_side(s, pattern) for s in pattern.split("->"))
    ell_l = sum(g == ["..."] for g in left)
    ell_r = sum(g == ["..."] for g in right)
    if ell_l > 1 or ell_r != ell_l:
        raise ValueError(f"rearrange: '...' must appear once on both sides or not at all ({pattern!r}).")
    n_ell = len(shp) - (len(left) - ell_l)
    if n_ell < 0 or (not ell_l and n_ell != 0):
        raise ValueError(
            f"rearrange: the input side of {pattern!r} has {len(left)} axes but the tensor has "
            f"rank {len(shp)} (shape {shp})."
        )
    ell = [f"...{i}" for i in range(n_ell)]

    def expand(groups):
        out = []
        for g in groups:
            out.extend([[e] for e in ell] if g == ["..."] else [g])
        return out

    left, right = expand(left), expand(right)
    names_l = [a for g in left for a in g]
    names_r = [a for g in right for a in g]
    for side, names in (("input", names_l), ("output", names_r)):
        dup = sorted({a for a in names if names.count(a) > 1})
        if dup:
            raise ValueError(f"rearrange: axes {dup} appear twice on the {side} side of {pattern!r}.")
    if set(names_l) != set(names_r):
        raise ValueError(
            f"rearrange: both sides of {pattern!r} must name the same axes; only on the input: "
            f"{sorted(set(names_l) - set(names_r))}, only on the output: "
            f"{sorted(set(names_r) - set(names_l))}."
        )
    unknown = sorted(set(axes_lengths) - set(names_l))
    if unknown:
        raise ValueError(f"rearrange: axes_lengths {unknown} do not appear in {pattern!r}.")
    sizes: dict = {}
    for g, dim in zip(left, shp):
        known = 1
        free = [a for a in g if a not in axes_lengths]
        for a in g:
            if a in axes_lengths:
                known *= int(axes_lengths[a])
        if len(free) > 1:
            raise ValueError(
                f"rearrange: cannot infer the lengths of {free} in {pattern!r}; pass all but one of them as keywords."
            )
        if free:
            if known == 0 or dim % known:
                raise ValueError(f"rearrange: dimension {dim} is not divisible by {known} (group {g} of {pattern!r}).")
            sizes[free[0]] = dim // known
        elif known != dim:
            raise ValueError(
                f"rearrange: group {g or '()'} of {pattern!r} has length {known} but the tensor's dimension is {dim}."
            )
        for a in g:
            if a in axes_lengths:
                sizes[a] = int(axes_lengths[a])
    flat = tuple(sizes[a] for a in names_l)
    if flat != shp:
        x = b.reshape(x, flat)
    perm = tuple(names_l.index(a) for a in names_r)
    if perm != tuple(range(len(perm))):
        x = b.transpose(x, perm)
    out = []
    for g in right:
        n = 1
        for a in g:
            n *= sizes[a]
        out.append(n)
    return b.reshape(x, tuple(out)) if tuple(out) != tuple(b.shape(x)) else x

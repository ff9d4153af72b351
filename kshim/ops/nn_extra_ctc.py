"""Connectionist temporal classification: ``ctc_loss`` and ``ctc_decode`` (``keras.ops.nn``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import current
from ._dispatch import op, tensor
from .nn import _c, log_softmax

__all__ = ["ctc_loss", "ctc_decode"]

#: log(0) stand-in: finite so that gradients through unreachable states stay exactly 0, not NaN.
_LOG_ZERO = -1e30


def _float_at_least_32(x: Any) -> Any:
    b = current()
    x = tensor(x)
    d = b.dtype(x)
    want = "float64" if d == "float64" else "float32"
    return x if d == want else b.cast(x, want)


def _int32(x: Any) -> Any:
    """Integer labels/lengths as int32 (floats truncate, as Keras' conversion does)."""
    b = current()
    x = tensor(x)
    return x if b.dtype(x) == "int32" else b.cast(x, "int32")


def _lse(*xs: Any) -> Any:
    """Elementwise log(sum(exp(x_i))), stable; the shift is a constant for differentiation."""
    b = current()
    m = xs[0]
    for x in xs[1:]:
        m = b.maximum(m, x)
    m = b.stop_gradient(m)
    s = b.exp(b.subtract(xs[0], m))
    for x in xs[1:]:
        s = b.add(s, b.exp(b.subtract(x, m)))
    return b.add(b.log(s), m)


def _interleave_blank(t: Any, blank: Any) -> Any:
    """(B, L) -> (B, 2L+1): ``[blank, t0, blank, t1, ..., blank]``."""
    b = current()
    bsz, n = b.shape(t)
    col = b.broadcast_to(blank, (bsz, n, 1))
    pairs = b.concatenate([col, b.reshape(t, (bsz, n, 1))], 2)
    return b.concatenate([b.reshape(pairs, (bsz, 2 * n)), b.broadcast_to(blank, (bsz, 1))], 1)


@op
def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Any:
    """CTC loss per batch element (``-log p(target | output)``), in log space.

    The standard forward (alpha) recursion over the blank-extended label sequence, as a ``scan``
    over time; differentiable on every backend. ``output`` holds logits (``log_softmax`` is applied
    here). float64 inputs are computed and returned in float64 (Keras returns float32 for them);
    lower float precisions are computed in float32. A target that no alignment can produce
    (too long for its ``output_length``) gives a huge finite loss (about 1e30; Keras on JAX gives
    about 1e5, torch gives inf), so gradients stay finite.

    Args:
        target: Integer labels, shape ``(batch, max_label_length)``; entries past
            ``target_length`` are ignored.
        output: Logits, shape ``(batch, max_time, num_classes)``.
        target_length: Label lengths, shape ``(batch,)``.
        output_length: Valid time steps of ``output``, shape ``(batch,)``.
        mask_index: The blank class index.

    Returns:
        The loss, shape ``(batch,)``, in ``output``'s float dtype (at least float32).

    Raises:
        ValueError: wrong ranks, mismatched batch sizes, or ``mask_index`` out of range.
    """
    b = current()
    x = _float_at_least_32(output)
    t = _int32(target)
    tl = _int32(target_length)
    ol = _int32(output_length)
    xs, ts = tuple(b.shape(x)), tuple(b.shape(t))
    if len(xs) != 3 or len(ts) != 2:
        raise ValueError(
            f"ctc_loss: output must be (batch, max_time, num_classes) and target (batch, "
            f"max_label_length); got output {xs} and target {ts}."
        )
    bsz, steps, k = xs
    if ts[0] != bsz or tuple(b.shape(tl)) != (bsz,) or tuple(b.shape(ol)) != (bsz,):
        raise ValueError(
            f"ctc_loss: batch sizes differ: output {xs}, target {ts}, target_length "
            f"{tuple(b.shape(tl))}, output_length {tuple(b.shape(ol))}."
        )
    if not 0 <= int(mask_index) < k:
        raise ValueError(f"ctc_loss: mask_index={mask_index} is not a class index for {k} classes.")
    n = ts[1]
    s_len = 2 * n + 1
    d = b.dtype(x)
    neg = _c(x, _LOG_ZERO)
    blank = b.full((), int(mask_index), "int32")
    logp = log_softmax(x, axis=-1)
    ext = _interleave_blank(t, blank)  # (B, S)
    idx = b.broadcast_to(b.reshape(ext, (bsz, 1, s_len)), (bsz, steps, s_len))
    emit = b.transpose(b.take_along_axis(logp, idx, 2), (1, 0, 2))  # (T, B, S)
    # a skip s-2 -> s is allowed into label position i >= 1 when t[i] != t[i-1]
    if n > 1:
        neq = b.not_equal(b.getitem(t, (slice(None), slice(1, None))), b.getitem(t, (slice(None), slice(0, n - 1))))
        odd = b.concatenate([b.zeros((bsz, 1), "bool"), neq], 1)
    else:
        odd = b.zeros((bsz, n), "bool")
    skip = _interleave_blank(odd, b.zeros((), "bool"))  # (B, S)
    pos = b.reshape(b.arange(0, s_len, 1, "int32"), (1, s_len))
    e0 = b.getitem(emit, (0,))
    alpha0 = b.where(b.less(pos, b.full((), 2, "int32")), e0, neg)
    valid = b.less(b.reshape(b.arange(0, steps, 1, "int32"), (steps, 1)), b.reshape(ol, (1, bsz)))  # (T, B)
    neg1, neg2 = b.full((bsz, 1), _LOG_ZERO, d), b.full((bsz, 2), _LOG_ZERO, d)

    def step(alpha, inp):
        e, ok = inp
        a1 = b.concatenate([neg1, b.getitem(alpha, (slice(None), slice(0, s_len - 1)))], 1)
        a2 = b.concatenate([neg2, b.getitem(alpha, (slice(None), slice(0, max(s_len - 2, 0))))], 1)
        a2 = b.where(skip, a2, neg)
        new = b.add(_lse(alpha, a1, a2), e)
        return b.where(b.reshape(ok, (bsz, 1)), new, alpha), None

    alpha = alpha0
    if steps > 1:
        rest = (b.getitem(emit, (slice(1, None),)), b.getitem(valid, (slice(1, None),)))
        alpha, _ = b.scan(step, alpha0, rest)
    lab = b.minimum(b.maximum(tl, b.zeros((), "int32")), b.full((), n, "int32"))
    last = b.multiply(lab, b.full((), 2, "int32"))
    prev = b.maximum(b.subtract(last, b.ones((), "int32")), b.zeros((), "int32"))
    a_last = b.reshape(b.take_along_axis(alpha, b.reshape(last, (bsz, 1)), 1), (bsz,))
    a_prev = b.reshape(b.take_along_axis(alpha, b.reshape(prev, (bsz, 1)), 1), (bsz,))
    a_prev = b.where(b.greater(lab, b.zeros((), "int32")), a_prev, b.full((bsz,), _LOG_ZERO, d))
    return b.negative(_lse(a_last, a_prev))


# ---- decoding -------------------------------------------------------------------------------
def _greedy(x: Any, lengths: Any, merge_repeated: bool, blank: int) -> tuple:
    b = current()
    bsz, steps, _ = b.shape(x)
    idx = b.cast(b.argmax(x, 2), "int32")
    scores = b.max(x, (2,), False)
    t_idx = b.reshape(b.arange(0, steps, 1, "int32"), (1, steps))
    past = b.greater_equal(t_idx, b.reshape(lengths, (bsz, 1)))
    blank_t = b.full((), blank, "int32")
    idx = b.where(past, blank_t, idx)
    scores = b.where(past, _c(scores, 0.0), scores)
    if merge_repeated and steps > 1:
        rep = b.equal(b.getitem(idx, (slice(None), slice(1, None))), b.getitem(idx, (slice(None), slice(0, steps - 1))))
        rep = b.concatenate([b.zeros((bsz, 1), "bool"), rep], 1)
        idx = b.where(rep, blank_t, idx)
    drop = b.equal(idx, blank_t)
    idx = b.where(drop, b.full((), -1, "int32"), idx)
    key = b.where(drop, b.full((), steps, "int32"), b.broadcast_to(t_idx, (bsz, steps)))
    idx = b.take_along_axis(idx, b.argsort(key, 1), 1)  # kept labels first, in time order
    return b.reshape(idx, (1, bsz, steps)), b.negative(b.sum(scores, (1,), True))


def _beam_one(lp: np.ndarray, length: int, width: int, top: int, blank: int) -> tuple:
    """CTC prefix beam search for one sequence of log-probabilities ``lp`` (T, K) on the host."""
    k = lp.shape[1]
    steps = lp.shape[0]
    ninf = -np.inf
    # beams: prefixes, p_b (ends in blank), p_nb (ends in a label); t = 0 from the empty prefix
    order = [c for c in np.argsort(-lp[0], kind="stable")[: min(k, width)]]
    prefixes = [() if c == blank else (int(c),) for c in order]
    pb = np.array([lp[0, c] if c == blank else ninf for c in order])
    pnb = np.array([ninf if c == blank else lp[0, c] for c in order])
    labels = np.array([c for c in range(k) if c != blank], dtype=np.int64)
    for t in range(1, min(int(length), steps)):
        x = lp[t]
        tot = np.logaddexp(pb, pnb)
        last = np.array([p[-1] if p else -1 for p in prefixes])
        stay_b = tot + x[blank]
        stay_nb = np.where(last >= 0, pnb + x[np.maximum(last, 0)], ninf)
        ext = np.where(labels[None, :] == last[:, None], pb[:, None], tot[:, None]) + x[labels][None, :]
        where = {p: i for i, p in enumerate(prefixes)}
        col = {int(c): j for j, c in enumerate(labels)}
        for i, p in enumerate(prefixes):  # an extension equal to a kept beam merges into it
            if p:
                parent = where.get(p[:-1])
                if parent is not None:
                    j = col[p[-1]]
                    stay_nb[i] = np.logaddexp(stay_nb[i], ext[parent, j])
                    ext[parent, j] = ninf
        cand_tot = np.concatenate([np.logaddexp(stay_b, stay_nb), ext.reshape(-1)])
        keep = np.argsort(-cand_tot, kind="stable")[:width]
        keep = keep[np.isfinite(cand_tot[keep])] if np.isfinite(cand_tot[keep]).any() else keep[:1]
        nw = len(prefixes)
        new = []
        for c in keep:
            if c < nw:
                new.append((prefixes[c], stay_b[c], stay_nb[c]))
            else:
                i, j = divmod(int(c - nw), len(labels))
                new.append((prefixes[i] + (int(labels[j]),), ninf, ext[i, j]))
        prefixes = [p for p, _, _ in new]
        pb, pnb = np.array([v for _, v, _ in new]), np.array([v for _, _, v in new])
    tot = np.logaddexp(pb, pnb)
    best = np.argsort(-tot, kind="stable")[:top]
    paths = np.full((top, steps), -1, np.int32)
    scores = np.full((top,), ninf, lp.dtype)
    for r, i in enumerate(best):
        paths[r, : len(prefixes[i])] = prefixes[i]
        scores[r] = tot[i]
    return paths, scores


@op
def ctc_decode(
    inputs: Any,
    sequence_lengths: Any,
    strategy: str = "greedy",
    beam_width: int = 100,
    top_paths: int = 1,
    merge_repeated: bool = True,
    mask_index: int = 0,
) -> tuple:
    """Decodes the output of a CTC model.

    ``"greedy"`` takes the best class per step (written over backend primitives; traceable).
    ``"beam_search"`` is CTC prefix beam search over ``log_softmax(inputs)``; it runs on the host
    (NumPy) and is therefore not traceable under ``jax.jit`` (decode eagerly); exact ties between
    beam scores are broken by candidate order, which may differ from Keras.

    Args:
        inputs: Logits, shape ``(batch, max_length, num_classes)``.
        sequence_lengths: Valid steps per sequence, shape ``(batch,)``.
        strategy: ``"greedy"`` or ``"beam_search"``.
        beam_width: Beams kept per step (beam search).
        top_paths: Paths returned (beam search; greedy returns one).
        merge_repeated: Merge repeated labels (greedy).
        mask_index: The blank class index (None: the last class).

    Returns:
        ``(decoded, scores)``: ``decoded`` int32 of shape ``(top_paths, batch, max_length)`` (1 path
        for greedy), labels first and -1 after; ``scores`` of shape ``(batch, top_paths)``: for
        greedy the negative sum of each step's best logit, for beam search the log-probability.

    Raises:
        ValueError: unknown ``strategy``, wrong input rank, or bad ``beam_width``/``top_paths``.
    """
    b = current()
    x = _float_at_least_32(inputs)
    if len(b.shape(x)) != 3:
        raise ValueError(f"ctc_decode: inputs must be (batch, max_length, num_classes), got {tuple(b.shape(x))}.")
    bsz, steps, k = b.shape(x)
    blank = k - 1 if mask_index is None else int(mask_index)
    if not 0 <= blank < k:
        raise ValueError(f"ctc_decode: mask_index={mask_index} is not a class index for {k} classes.")
    lengths = _int32(sequence_lengths)
    if strategy == "greedy":
        return _greedy(x, lengths, merge_repeated, blank)
    if strategy != "beam_search":
        raise ValueError(f"Invalid strategy {strategy!r}. Supported values are 'greedy' and 'beam_search'.")
    if int(beam_width) < 1 or not 1 <= int(top_paths) <= int(beam_width):
        raise ValueError(
            f"ctc_decode: need beam_width >= 1 and 1 <= top_paths <= beam_width; got "
            f"beam_width={beam_width}, top_paths={top_paths}."
        )
    lp = b.to_numpy(log_softmax(x, axis=-1))
    ln = b.to_numpy(lengths)
    res = [_beam_one(lp[i], int(ln[i]), int(beam_width), int(top_paths), blank) for i in range(bsz)]
    paths = np.stack([p for p, _ in res], 1) if res else np.zeros((int(top_paths), 0, steps), np.int32)
    scores = np.stack([s for _, s in res], 0) if res else np.zeros((0, int(top_paths)), lp.dtype)
    return tensor(paths), tensor(scores)

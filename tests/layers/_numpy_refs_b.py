"""Independent NumPy references for the attention, recurrent, audio and bounding-box layer tests.

Each function implements a layer's documented equations directly on NumPy arrays (float64 math),
taking the weights a kshim layer reports, so the layer tests can check behaviour on a NumPy-only
install where the real-Keras oracle is absent. No kshim computation is used: ``weights_by_path`` /
``cell_step`` / ``rnn_layer_reference`` only read a layer's weights and configuration (units,
activations, ``go_backwards``, ...).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np


# ---- basics ---------------------------------------------------------------------------------------
def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid."""
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def masked_softmax(logits: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Softmax over the last axis with masked-out positions excluded (rows must keep one position)."""
    if mask is None:
        return softmax(logits)
    mask = np.broadcast_to(mask, logits.shape)
    assert mask.any(-1).all(), "reference expects every row to keep at least one position"
    return softmax(np.where(mask, logits, -np.inf))


def weights_by_path(layer: Any) -> dict[str, np.ndarray]:
    """``{variable.path: value}`` of a kshim layer (float64 NumPy arrays)."""
    return {v.path: np.asarray(w, dtype="float64") for v, w in zip(layer.weights, layer.get_weights())}


# ---- attention ------------------------------------------------------------------------------------
def _proj(x: np.ndarray, w: dict, name: str, eq: str) -> np.ndarray:
    y = np.einsum(eq, x, w[f"{name}/kernel"])
    return y + w[f"{name}/bias"] if f"{name}/bias" in w else y


def _heads_attend(logits: np.ndarray, v: np.ndarray, query: np.ndarray, w: dict, mask: np.ndarray | None,
                  use_causal_mask: bool, sliding_window: int | None,
                  use_gate: bool) -> tuple[np.ndarray, np.ndarray]:
    """The shared tail of MHA and GQA: the padding/causal/sliding-window mask, the masked softmax over
    ``logits`` ``(b, heads, T, S)``, the weighted values, the optional gate and the output projection."""
    t, s = logits.shape[-2:]
    full = np.ones((query.shape[0], t, s), bool)
    if mask is not None:
        full &= np.broadcast_to(mask, full.shape)
    rows, cols = np.arange(t)[:, None], np.arange(s)[None, :]
    if use_causal_mask:
        full &= rows >= cols
    if sliding_window is not None:
        full &= np.abs(rows - cols) < sliding_window
    scores = masked_softmax(logits, full[:, None])
    out = np.einsum("bnts,bsnh->btnh", scores, v)
    if use_gate:
        out = out * sigmoid(_proj(query, w, "gate", "btd,dnh->btnh"))
    return _proj(out, w, "attention_output", "btnh,nhd->btd"), scores


def mha_reference(w: dict, query: np.ndarray, value: np.ndarray, key: np.ndarray | None, key_dim: int,
                  mask: np.ndarray | None = None, use_causal_mask: bool = False,
                  sliding_window: int | None = None, use_gate: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """MultiHeadAttention over axis 1: project q/k/v per head, ``softmax(q k^T / sqrt(key_dim))``, weight
    the values, (gate with ``sigmoid(query @ Wg + bg)``), project back. Returns ``(output, scores)``
    with scores of shape ``(batch, heads, T, S)``. ``mask`` broadcasts to ``(batch, T, S)``."""
    key = value if key is None else key
    q = _proj(query, w, "query", "btd,dnh->btnh")
    k = _proj(key, w, "key", "bsd,dnh->bsnh")
    v = _proj(value, w, "value", "bsd,dnh->bsnh")
    logits = np.einsum("btnh,bsnh->bnts", q / np.sqrt(key_dim), k)
    return _heads_attend(logits, v, query, w, mask, use_causal_mask, sliding_window, use_gate)


def gqa_reference(w: dict, query: np.ndarray, value: np.ndarray, key: np.ndarray | None, head_dim: int,
                  num_query_heads: int, num_key_value_heads: int, mask: np.ndarray | None = None,
                  use_causal_mask: bool = False, sliding_window: int | None = None,
                  use_gate: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Grouped-query attention: query head ``j`` attends with key/value head ``j // (Hq // Hkv)``;
    scale ``1/sqrt(head_dim)``; the sliding window keeps ``|i - j| < sliding_window``. Returns
    ``(output, scores)``, scores ``(batch, Hq, T, S)``."""
    key = value if key is None else key
    rep = num_query_heads // num_key_value_heads
    q = _proj(query, w, "query", "btd,dnh->btnh")
    k = np.repeat(_proj(key, w, "key", "bsd,dnh->bsnh"), rep, axis=2)
    v = np.repeat(_proj(value, w, "value", "bsd,dnh->bsnh"), rep, axis=2)
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(head_dim)
    return _heads_attend(logits, v, query, w, mask, use_causal_mask, sliding_window, use_gate)


def dot_attention_reference(query: np.ndarray, value: np.ndarray, key: np.ndarray | None = None,
                            scale: float = 1.0, score_mode: str = "dot", concat_score_weight: float = 1.0,
                            query_mask: np.ndarray | None = None, value_mask: np.ndarray | None = None,
                            use_causal_mask: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``Attention`` (Luong): scores ``scale * q.k`` ("dot") or ``w * sum(tanh(scale * (q + k)))``
    ("concat"), softmax over value steps (masked by ``value_mask`` and the causal mask), output
    ``scores @ value`` zeroed at masked query steps. Returns ``(output, scores)``."""
    key = value if key is None else key
    if score_mode == "dot":
        logits = scale * np.einsum("btd,bsd->bts", query, key)
    else:
        logits = concat_score_weight * np.tanh(scale * (query[:, :, None] + key[:, None])).sum(-1)
    return _attend(logits, value, query_mask, value_mask, use_causal_mask)


def additive_attention_reference(query: np.ndarray, value: np.ndarray, key: np.ndarray | None = None,
                                 scale: np.ndarray | None = None, query_mask: np.ndarray | None = None,
                                 value_mask: np.ndarray | None = None,
                                 use_causal_mask: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``AdditiveAttention`` (Bahdanau): scores ``sum(scale * tanh(q + k))`` (no ``scale`` when
    ``use_scale=False``), then as :func:`dot_attention_reference`."""
    key = value if key is None else key
    t = np.tanh(query[:, :, None] + key[:, None])
    logits = (t * scale).sum(-1) if scale is not None else t.sum(-1)
    return _attend(logits, value, query_mask, value_mask, use_causal_mask)


def _attend(logits, value, query_mask, value_mask, causal):
    t, s = logits.shape[-2:]
    keep = np.ones(logits.shape, bool)
    if value_mask is not None:
        keep &= value_mask[:, None, :]
    if causal:
        keep &= np.arange(t)[:, None] >= np.arange(s)[None, :]
    scores = masked_softmax(logits, keep)
    out = scores @ value
    if query_mask is not None:
        out = out * query_mask[..., None]
    return out, scores


# ---- recurrent cells and layers -------------------------------------------------------------------
def simple_rnn_step(x: np.ndarray, states: list, ws: Sequence[np.ndarray], act=np.tanh) -> tuple:
    """``h = act(x W + h U + b)``; ``ws`` = ``[W, U(, b)]``."""
    h = x @ ws[0] + states[0] @ ws[1] + (ws[2] if len(ws) > 2 else 0.0)
    h = act(h)
    return h, [h]


def lstm_step(x: np.ndarray, states: list, ws: Sequence[np.ndarray], act=np.tanh, rec_act=sigmoid) -> tuple:
    """Gates ``i, f, c~, o`` from ``x W + h U + b`` (in that order); ``c = f c + i act(c~)``,
    ``h = o act(c)``; states ``[h, c]``."""
    h, c = states
    z = x @ ws[0] + h @ ws[1] + (ws[2] if len(ws) > 2 else 0.0)
    zi, zf, zc, zo = np.split(z, 4, axis=-1)
    c = rec_act(zf) * c + rec_act(zi) * act(zc)
    h = rec_act(zo) * act(c)
    return h, [h, c]


def gru_step(x: np.ndarray, states: list, ws: Sequence[np.ndarray], reset_after: bool = True, act=np.tanh,
             rec_act=sigmoid) -> tuple:
    """Update gate ``z``, reset gate ``r``, candidate ``h~`` (kernel columns in the order z, r, h);
    ``h = z h_prev + (1 - z) h~``. ``reset_after``: ``h~ = act(x W_h + b_h + r (h U_h + b'_h))`` with
    the bias of shape ``(2, 3u)`` (input, recurrent); else ``h~ = act(x W_h + b_h + (r h) U_h)``."""
    h = states[0]
    kernel, rec = ws[0], ws[1]
    bias = ws[2] if len(ws) > 2 else None
    u = rec.shape[0]
    if reset_after:
        bi, br = (bias[0], bias[1]) if bias is not None else (0.0, 0.0)
        xz, xr, xh = np.split(x @ kernel + bi, 3, axis=-1)
        hz, hr, hh = np.split(h @ rec + br, 3, axis=-1)
        z, r = rec_act(xz + hz), rec_act(xr + hr)
        cand = act(xh + r * hh)
    else:
        xz, xr, xh = np.split(x @ kernel + (bias if bias is not None else 0.0), 3, axis=-1)
        z = rec_act(xz + h @ rec[:, :u])
        r = rec_act(xr + h @ rec[:, u:2 * u])
        cand = act(xh + (r * h) @ rec[:, 2 * u:])
    h = z * h + (1 - z) * cand
    return h, [h]


def run_rnn(step, x: np.ndarray, init_states: list, mask: np.ndarray | None = None, go_backwards: bool = False,
            zero_output_for_mask: bool = False) -> tuple[np.ndarray, np.ndarray, list]:
    """Unroll ``step`` over axis 1 of ``x``. A masked step keeps the previous states and repeats the
    previous output (zeros with ``zero_output_for_mask``). ``go_backwards`` walks the steps in reverse
    and returns the sequence in that (reversed) order, as Keras. Returns ``(last_output, sequence,
    final_states)``. The output repeated for a masked *first* step is zeros (as Keras' unrolled loop;
    its scan loop repeats the initial ``h`` there, the same unless an initial state is given)."""
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    states = [np.asarray(s, "float64") for s in init_states]
    prev_out = None
    outs = []
    for t in steps:
        out, new = step(x[:, t], states)
        if prev_out is None:
            prev_out = np.zeros_like(out)
        if mask is not None:
            m = mask[:, t][:, None]
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0.0 if zero_output_for_mask else prev_out)
        states, prev_out = new, out
        outs.append(out)
    seq = np.stack(outs, axis=1)
    return prev_out, seq, states


_ACTIVATIONS = {
    "tanh": np.tanh, "sigmoid": sigmoid, "relu": lambda x: np.maximum(x, 0.0), "linear": lambda x: x,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
}


def cell_step(cell: Any) -> tuple:
    """``(step, n_states)``: the NumPy step function ``step(x, states) -> (output, new_states)`` of a kshim
    built-in cell, from its class, config and weights."""
    cfg = cell.get_config()
    ws = [np.asarray(w, "float64") for w in cell.get_weights()]
    act = _ACTIVATIONS[cfg.get("activation") or "linear"]
    kind = type(cell).__name__
    if kind == "SimpleRNNCell":
        return lambda x, st: simple_rnn_step(x, st, ws, act), 1
    rec_act = _ACTIVATIONS[cfg["recurrent_activation"]]
    if kind == "LSTMCell":
        return lambda x, st: lstm_step(x, st, ws, act, rec_act), 2
    if kind == "GRUCell":
        return lambda x, st: gru_step(x, st, ws, cfg["reset_after"], act, rec_act), 1
    raise NotImplementedError(kind)


def _stacked_step(cells: list):
    steps = [cell_step(c) for c in cells]

    def step(x, states):
        new, i = [], 0
        for fn, n in steps:
            x, st = fn(x, states[i:i + n])
            new += st
            i += n
        return x, new
    return step, [c.units for c in cells for _ in range(cell_step(c)[1])]


def rnn_layer_reference(layer: Any, x: np.ndarray, mask: np.ndarray | None = None,
                        initial_state: list | None = None) -> list:
    """The outputs of a kshim ``RNN``/``SimpleRNN``/``LSTM``/``GRU`` (any built-in cell or a stack of
    them) or ``Bidirectional`` over those, recomputed from the cell equations with the layer's own
    weights, as the list ``[output, *states]`` (``[output]`` without ``return_state``; two outputs
    for ``Bidirectional(merge_mode=None)``)."""
    if type(layer).__name__ == "Bidirectional":
        fwd_init = bwd_init = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_init, bwd_init = initial_state[:half], initial_state[half:]
        zero = layer.forward_layer.return_sequences
        f = rnn_layer_reference_single(layer.forward_layer, x, mask, fwd_init, zero_output_for_mask=zero)
        b = rnn_layer_reference_single(layer.backward_layer, x, mask, bwd_init, zero_output_for_mask=zero)
        fo, bo = f[0], b[0]
        if layer.backward_layer.return_sequences:
            bo = bo[:, ::-1]
        merged = {"concat": lambda: [np.concatenate([fo, bo], -1)], "sum": lambda: [fo + bo],
                  "mul": lambda: [fo * bo], "ave": lambda: [(fo + bo) / 2], None: lambda: [fo, bo]}[layer.merge_mode]()
        n_states = len(f) - 1
        return merged + (f[1:] + b[1:] if n_states else [])
    return rnn_layer_reference_single(layer, x, mask, initial_state)


def rnn_layer_reference_single(layer: Any, x: np.ndarray, mask: np.ndarray | None = None,
                               initial_state: list | None = None, zero_output_for_mask: bool | None = None) -> list:
    """:func:`rnn_layer_reference` for one (non-bidirectional) recurrent layer."""
    cell = layer.cell
    if hasattr(cell, "cells"):
        step, sizes = _stacked_step(cell.cells)
    else:
        step, n = cell_step(cell)
        sizes = [cell.units] * n
    states = initial_state if initial_state is not None else [np.zeros((x.shape[0], u)) for u in sizes]
    zero = layer.zero_output_for_mask if zero_output_for_mask is None else zero_output_for_mask
    last, seq, final = run_rnn(step, np.asarray(x, "float64"), list(states), mask, layer.go_backwards, zero)
    out = [seq if layer.return_sequences else last]
    return out + (list(final) if layer.return_state else [])


# ---- audio ----------------------------------------------------------------------------------------
def hz_to_mel(f: np.ndarray) -> np.ndarray:
    """HTK mel scale ``1127 ln(1 + f / 700)``."""
    return 1127.0 * np.log1p(np.asarray(f, "float64") / 700.0)


def mel_weight_matrix(num_mel_bins: int, num_spectrogram_bins: int, sampling_rate: float, lower_hz: float,
                      upper_hz: float) -> np.ndarray:
    """``(num_spectrogram_bins, num_mel_bins)`` triangular filters equally spaced on the HTK mel scale
    between ``lower_hz`` and ``upper_hz``; the DC bin gets no weight (TensorFlow's / Keras' convention)."""
    freqs = np.linspace(0.0, sampling_rate / 2.0, num_spectrogram_bins)[1:]
    mel = hz_to_mel(freqs)[:, None]
    edges = np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((mel - lower) / (center - lower), (upper - mel) / (upper - center)))
    return np.concatenate([np.zeros((1, num_mel_bins)), w], axis=0)


def periodic_window(name: str | None, length: int) -> np.ndarray:
    """Periodic (DFT-even) Hann/Hamming window of ``length`` points, or ones for ``None``."""
    if name is None:
        return np.ones(length)
    n = np.arange(length)
    a = {"hann": 0.5, "hamming": 0.54}[name]
    return a - (1 - a) * np.cos(2 * np.pi * n / length)


def frames_of(x: np.ndarray, length: int, step: int) -> np.ndarray:
    """``(..., T) -> (..., frames, length)`` windows starting every ``step`` samples (no padding)."""
    n = 1 + (x.shape[-1] - length) // step
    return np.stack([x[..., i * step:i * step + length] for i in range(n)], axis=-2)


def mel_spectrogram_reference(x: np.ndarray, fft_length: int, sequence_stride: int, sequence_length: int | None,
                              window: str | None, sampling_rate: int, num_mel_bins: int, min_freq: float = 20.0,
                              max_freq: float | None = None, power_to_db: bool = True, top_db: float | None = 80.0,
                              mag_exp: float = 2.0, ref_power: float = 1.0, min_power: float = 1e-10) -> np.ndarray:
    """MelSpectrogram of ``(..., T)`` signals as ``(..., num_mel_bins, frames)``: the signal reflect-padded
    by ``fft_length // 2`` on both sides (centred frames), a periodic window of ``sequence_length``
    centred in each ``fft_length`` frame, ``|rfft| ** mag_exp``, the HTK mel filterbank, and optionally
    ``10 log10(max(S, min_power) / max(ref_power, min_power))`` floored at ``max - top_db``."""
    seq = sequence_length or fft_length
    pad = [(0, 0)] * (x.ndim - 1) + [(fft_length // 2, fft_length // 2)]
    xp = np.pad(np.asarray(x, "float64"), pad, mode="reflect")
    win = np.zeros(fft_length)
    left = (fft_length - seq) // 2
    win[left:left + seq] = periodic_window(window, seq)
    spec = np.abs(np.fft.rfft(frames_of(xp, fft_length, sequence_stride) * win, axis=-1)) ** mag_exp
    mel = spec @ mel_weight_matrix(num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq,
                                   max_freq if max_freq is not None else sampling_rate / 2)
    mel = np.swapaxes(mel, -1, -2)
    if not power_to_db:
        return mel
    db = 10 * np.log10(np.maximum(mel, min_power)) - 10 * np.log10(max(ref_power, min_power))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db


# ---- bounding boxes -------------------------------------------------------------------------------
def xyxy_to(boxes: np.ndarray, fmt: str, height: float | None = None, width: float | None = None) -> np.ndarray:
    """Convert absolute ``xyxy`` boxes to ``fmt`` (``rel_`` formats divide x by width, y by height)."""
    x1, y1, x2, y2 = np.moveaxis(np.asarray(boxes, "float64"), -1, 0)
    rel = fmt.startswith("rel_")
    if rel:
        x1, x2, y1, y2 = x1 / width, x2 / width, y1 / height, y2 / height
    base = fmt[4:] if rel else fmt
    w, h, cx, cy = x2 - x1, y2 - y1, (x1 + x2) / 2, (y1 + y2) / 2
    cols = {"xyxy": (x1, y1, x2, y2), "yxyx": (y1, x1, y2, x2), "xywh": (x1, y1, w, h),
            "center_xywh": (cx, cy, w, h), "center_yxhw": (cy, cx, h, w)}[base]
    return np.stack(cols, axis=-1)


def iou_matrix_xyxy(b1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """Pairwise IoU of absolute ``xyxy`` boxes: ``(..., N, 4) x (..., M, 4) -> (..., N, M)``."""
    a = np.asarray(b1, "float64")[..., :, None, :]
    b = np.asarray(b2, "float64")[..., None, :, :]
    iw = np.maximum(0.0, np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]))
    ih = np.maximum(0.0, np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]))
    inter = iw * ih
    area = lambda z: (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)

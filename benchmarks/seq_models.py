"""The sequence workloads' models (``lstm``, ``gru``, ``bilstm``, ``attn``) for every contender.

Same architecture everywhere (issue 21):

* ``lstm``: LSTM(128) over (batch 64, 50 steps, 32 features), last output -> Dense(10);
* ``gru``: the same with GRU(128) (Keras' ``reset_after=True``, torch's form);
* ``bilstm``: Bidirectional(LSTM(64)) (forward and backward final outputs concatenated: 128) -> Dense(10);
* ``attn``: one post-LN transformer encoder block over (batch 32, 64 tokens, d_model 128):
  ``x = LN(x + MHA(x, x))`` with 4 heads x 32, ``x = LN(x + Dense(128)(relu(Dense(256)(x))))``,
  no dropout, LayerNorm epsilon 1e-5 (torch's default) -> mean over tokens -> Dense(10).

Sparse categorical cross-entropy from logits and Adam(1e-3) everywhere (``workloads.py``).
"""
from __future__ import annotations

from typing import Any

import numpy as np

SEQ_WORKLOADS = ("lstm", "gru", "bilstm", "attn")
UNITS, BI_UNITS, D_MODEL, HEADS, KEY_DIM, FFN, LN_EPS = 128, 64, 128, 4, 32, 256, 1e-5


# ---- Keras API (kshim and real Keras 3) ------------------------------------------------------------
def keras_model(K: Any, w: Any) -> Any:
    L = K.layers
    inp = K.Input(w.input_shape)
    if w.kind == "lstm":
        h = L.LSTM(UNITS)(inp)
    elif w.kind == "gru":
        h = L.GRU(UNITS)(inp)
    elif w.kind == "bilstm":
        h = L.Bidirectional(L.LSTM(BI_UNITS))(inp)
    elif w.kind == "attn":
        a = L.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM)(inp, inp)
        x = L.LayerNormalization(epsilon=LN_EPS)(L.Add()([inp, a]))
        f = L.Dense(D_MODEL)(L.Dense(FFN, activation="relu")(x))
        x = L.LayerNormalization(epsilon=LN_EPS)(L.Add()([x, f]))
        h = L.GlobalAveragePooling1D()(x)
    else:
        raise KeyError(w.kind)
    return K.Model(inp, L.Dense(w.num_outputs)(h))


# ---- hand-written PyTorch --------------------------------------------------------------------------
def torch_model(w: Any) -> Any:
    import torch
    from torch import nn
    feat = w.input_shape[-1]

    class Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if w.kind == "lstm":
                self.rnn = nn.LSTM(feat, UNITS, batch_first=True)
            elif w.kind == "gru":
                self.rnn = nn.GRU(feat, UNITS, batch_first=True)
            elif w.kind == "bilstm":
                self.rnn = nn.LSTM(feat, BI_UNITS, batch_first=True, bidirectional=True)
            elif w.kind == "attn":
                self.block = nn.TransformerEncoderLayer(D_MODEL, HEADS, FFN, dropout=0.0, batch_first=True,
                                                        layer_norm_eps=LN_EPS)
            else:
                raise KeyError(w.kind)
            self.head = nn.Linear(UNITS if w.kind != "attn" else D_MODEL, w.num_outputs)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if w.kind == "attn":
                return self.head(self.block(x).mean(dim=1))
            _, h = self.rnn(x)
            h = h[0] if isinstance(h, tuple) else h          # LSTM: (h_n, c_n)
            return self.head(torch.cat([h[0], h[1]], dim=-1) if w.kind == "bilstm" else h[-1])
    return Seq()


# ---- hand-written JAX --------------------------------------------------------------------------------
def _uniform(rng: np.random.Generator, shape: tuple, fan_in: int, fan_out: int) -> np.ndarray:
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=shape).astype(np.float32)


def _rnn_params(rng: np.random.Generator, feat: int, units: int, gates: int) -> dict:
    return {"k": _uniform(rng, (feat, gates * units), feat, gates * units),
            "r": _uniform(rng, (units, gates * units), units, gates * units),
            "b": np.zeros((2, gates * units) if gates == 3 else (gates * units,), np.float32)}


def jax_init(w: Any, seed: int = 0) -> dict:
    import jax
    import jax.numpy as jnp
    rng = np.random.default_rng(seed)
    feat = w.input_shape[-1]
    p: dict[str, Any] = {}
    if w.kind in ("lstm", "gru"):
        p["rnn"] = _rnn_params(rng, feat, UNITS, 4 if w.kind == "lstm" else 3)
        width = UNITS
    elif w.kind == "bilstm":
        p["fw"], p["bw"] = _rnn_params(rng, feat, BI_UNITS, 4), _rnn_params(rng, feat, BI_UNITS, 4)
        width = 2 * BI_UNITS
    elif w.kind == "attn":
        d, hk = D_MODEL, HEADS * KEY_DIM
        for n in ("q", "k", "v"):
            p[n] = _uniform(rng, (d, hk), d, hk)
            p[n + "b"] = np.zeros((hk,), np.float32)
        p["o"], p["ob"] = _uniform(rng, (hk, d), hk, d), np.zeros((d,), np.float32)
        p["f1"], p["f1b"] = _uniform(rng, (d, FFN), d, FFN), np.zeros((FFN,), np.float32)
        p["f2"], p["f2b"] = _uniform(rng, (FFN, d), FFN, d), np.zeros((d,), np.float32)
        for n in ("ln1", "ln2"):
            p[n + "g"], p[n + "b"] = np.ones((d,), np.float32), np.zeros((d,), np.float32)
        width = d
    else:
        raise KeyError(w.kind)
    p["w"], p["wb"] = _uniform(rng, (width, w.num_outputs), width, w.num_outputs), np.zeros(
        (w.num_outputs,), np.float32)
    return jax.tree_util.tree_map(jnp.asarray, p)


def jax_apply(w: Any):
    import jax
    import jax.numpy as jnp
    from jax import lax

    # The input projection is inside the step: on XLA's CPU compiler that is ~1.5x faster than one
    # (T, B, 4U) matmul before the loop (kshim's JAX backend makes the same choice).
    def lstm(p, xs, reverse=False):                    # xs time-major (T, B, F)
        u = p["r"].shape[0]
        zeros = jnp.zeros((xs.shape[1], u), xs.dtype)

        def step(carry, x):
            h, c = carry
            z = x @ p["k"] + p["b"] + h @ p["r"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None
        (h, _), _ = lax.scan(step, (zeros, zeros), xs, reverse=reverse)
        return h

    def gru(p, xs):
        u = p["r"].shape[0]

        def step(h, x):
            x = x @ p["k"] + p["b"][0]
            inner = h @ p["r"] + p["b"][1]
            xz, xr, xh = jnp.split(x, 3, axis=-1)
            iz, ir, ih = jnp.split(inner, 3, axis=-1)
            z, r = jax.nn.sigmoid(xz + iz), jax.nn.sigmoid(xr + ir)
            return z * h + (1 - z) * jnp.tanh(xh + r * ih), None
        h, _ = lax.scan(step, jnp.zeros((xs.shape[1], u), xs.dtype), xs)
        return h

    def ln(x, g, b):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) * lax.rsqrt(v + LN_EPS) * g + b

    def attn(p, x):                                     # (B, S, D)
        b, s, _ = x.shape

        def heads(t):
            return t.reshape(b, s, HEADS, KEY_DIM)
        q, k, v = (heads(x @ p[n] + p[n + "b"]) for n in ("q", "k", "v"))
        logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.sqrt(KEY_DIM).astype(np.float32)
        a = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(logits, axis=-1), v).reshape(b, s, -1)
        x = ln(x + a @ p["o"] + p["ob"], p["ln1g"], p["ln1b"])
        f = jax.nn.relu(x @ p["f1"] + p["f1b"]) @ p["f2"] + p["f2b"]
        return ln(x + f, p["ln2g"], p["ln2b"]).mean(axis=1)

    def apply(p, x, key=None):
        if w.kind == "attn":
            h = attn(p, x)
        else:
            xs = jnp.swapaxes(x, 0, 1)
            if w.kind == "lstm":
                h = lstm(p["rnn"], xs)
            elif w.kind == "gru":
                h = gru(p["rnn"], xs)
            else:
                h = jnp.concatenate([lstm(p["fw"], xs), lstm(p["bw"], xs, reverse=True)], axis=-1)
        return h @ p["w"] + p["wb"]
    return apply

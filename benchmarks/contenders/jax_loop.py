"""The hand-written JAX baseline: a pure model function, ``jax.jit`` of value_and_grad + a hand-written
Adam update (optax is not a dependency), buffers donated. Batches are NumPy slices handed to the jitted
functions, so every step pays one host-to-device transfer of its batch, as kshim's and Keras' ``fit`` and
``predict`` do from NumPy data (device arrays put up front took that transfer out of this contender's
timing only: 0.6-1.1 ms of a (1024, 784) float32 predict batch on CPU).
"""
from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..seq_memory import MemoryProbe
from ..seq_models import SEQ_WORKLOADS, jax_apply, jax_init
from ..workloads import LEARNING_RATE, Workload, warm_up

B1, B2, EPS = 0.9, 0.999, 1e-7           # Keras' Adam defaults


def _glorot(rng: np.random.Generator, shape: tuple, fan_in: int, fan_out: int) -> np.ndarray:
    lim = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-lim, lim, size=shape).astype(np.float32)


def init_params(w: Workload, seed: int = 0) -> dict:
    if w.kind in SEQ_WORKLOADS:
        return jax_init(w, seed)
    rng = np.random.default_rng(seed)
    p: dict[str, Any] = {}
    if w.kind in ("mlp", "tiny"):
        sizes = [784, w.width, w.width, w.num_outputs] if w.kind == "mlp" else [8, 16, w.num_outputs]
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            p[f"w{i}"] = _glorot(rng, (a, b), a, b)
            p[f"b{i}"] = np.zeros((b,), np.float32)
    elif w.kind == "cnn":
        p["c0"] = _glorot(rng, (3, 3, 1, 32), 9, 9 * 32)
        p["cb0"] = np.zeros((32,), np.float32)
        p["c1"] = _glorot(rng, (3, 3, 32, 64), 9 * 32, 9 * 64)
        p["cb1"] = np.zeros((64,), np.float32)
        p["w"] = _glorot(rng, (5 * 5 * 64, w.num_outputs), 1600, w.num_outputs)
        p["b"] = np.zeros((w.num_outputs,), np.float32)
    else:
        raise KeyError(w.kind)
    return jax.tree_util.tree_map(jnp.asarray, p)


def _conv(x: jax.Array, k: jax.Array, b: jax.Array) -> jax.Array:
    y = jax.lax.conv_general_dilated(x, k, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y + b


def _maxpool(x: jax.Array) -> jax.Array:
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def make_apply(w: Workload):
    if w.kind in SEQ_WORKLOADS:
        return jax_apply(w)
    if w.kind in ("mlp", "tiny"):
        n_layers = 3 if w.kind == "mlp" else 2

        def apply(p, x, key=None):
            h = x
            for i in range(n_layers):
                h = h @ p[f"w{i}"] + p[f"b{i}"]
                if i < n_layers - 1:
                    h = jax.nn.relu(h)
            return h
        return apply

    def apply_cnn(p, x, key=None):
        h = _maxpool(jax.nn.relu(_conv(x, p["c0"], p["cb0"])))
        h = _maxpool(jax.nn.relu(_conv(h, p["c1"], p["cb1"])))
        h = h.reshape(h.shape[0], -1)
        if key is not None:                                   # training: dropout(0.5)
            keep = jax.random.bernoulli(key, 0.5, h.shape)
            h = jnp.where(keep, h / 0.5, 0.0)
        return h @ p["w"] + p["b"]
    return apply_cnn


class JaxLoopContender(MemoryProbe):
    def setup(self, w: Workload, x: np.ndarray, y: np.ndarray) -> None:
        self.w = w
        apply = make_apply(w)
        uses_dropout = w.kind == "cnn"

        def loss_fn(p, xb, yb, key):
            out = apply(p, xb, key if uses_dropout else None)
            if w.loss == "sparse_ce_logits":
                logp = jax.nn.log_softmax(out, axis=-1)
                return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=-1))
            return jnp.mean((out - yb) ** 2)

        def train_step(p, opt, key, xb, yb):
            m, v, t, loss_sum = opt
            key, sub = jax.random.split(key)
            loss, g = jax.value_and_grad(loss_fn)(p, xb, yb, sub)
            t = t + 1
            m = jax.tree_util.tree_map(lambda m_, g_: B1 * m_ + (1 - B1) * g_, m, g)
            v = jax.tree_util.tree_map(lambda v_, g_: B2 * v_ + (1 - B2) * g_ * g_, v, g)
            tf = t.astype(jnp.float32)
            lr_t = LEARNING_RATE * jnp.sqrt(1 - B2 ** tf) / (1 - B1 ** tf)
            p = jax.tree_util.tree_map(lambda p_, m_, v_: p_ - lr_t * m_ / (jnp.sqrt(v_) + EPS), p, m, v)
            return p, (m, v, t, loss_sum + loss), key

        self.train_step = jax.jit(train_step, donate_argnums=(0, 1))
        self.apply = jax.jit(lambda p, xb: apply(p, xb, None))
        self.params = init_params(w)
        zeros = jax.tree_util.tree_map(jnp.zeros_like, self.params)
        self.opt = (zeros, jax.tree_util.tree_map(jnp.zeros_like, self.params), jnp.zeros((), jnp.int32),
                    jnp.zeros((), jnp.float32))
        self.key = jax.random.PRNGKey(0)
        b = w.batch_size
        self.xb = [x[i * b:(i + 1) * b] for i in range(w.max_steps)]
        self.yb = [y[i * b:(i + 1) * b] for i in range(w.max_steps)]
        warm_up(self)

    def train(self, n: int) -> float:
        step, p, opt, key, xb, yb = self.train_step, self.params, self.opt, self.key, self.xb, self.yb
        t0 = time.perf_counter()
        for i in range(n):
            p, opt, key = step(p, opt, key, xb[i], yb[i])
        jax.block_until_ready((p, opt))
        float(opt[3])
        dt = time.perf_counter() - t0
        self.params, self.opt, self.key = p, opt, key
        return dt

    def predict(self, n: int) -> float:
        apply, p, xb = self.apply, self.params, self.xb
        t0 = time.perf_counter()
        out = np.concatenate([np.asarray(apply(p, xb[i])) for i in range(n)], axis=0)
        dt = time.perf_counter() - t0
        assert out.shape[0] == n * self.w.batch_size
        return dt

    def info(self) -> dict:
        return {"jax_devices": [str(d) for d in jax.devices()]}

"""``--baseline native``: the bundled mlp and cnn as hand-written PyTorch and JAX training loops.

No kshim and no Keras: plain ``torch`` / ``jax.numpy`` with the same formulas as the Keras layers
(channels-last convolution with "same" padding, BatchNormalization with momentum 0.99 and epsilon
1e-3 on the biased batch variance, 2x2 max pooling, inverted dropout), sparse softmax cross-entropy
on logits, and Adam as Keras writes it (``alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)``,
``w -= alpha * m / (sqrt(v) + eps)``, eps 1e-7). They start from kshim's initial weights and train
on the same batches (``training.batch_orders``). Dropout masks come from each framework's own
generator, so with dropout > 0 the curves agree only statistically.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import training

LR, B1, B2, EPS, BN_MOMENTUM, BN_EPS = 0.01, 0.9, 0.999, 1e-7, 0.99, 1e-3
TRAINABLE = {"mlp": [0, 1, 2, 3], "cnn": [0, 1, 2, 3, 6, 7]}  # indices into Keras' get_weights() order
FRAMEWORKS = ("torch", "jax")


def available() -> list[str]:
    """The frameworks of ``FRAMEWORKS`` that are installed."""
    import importlib.util

    return [f for f in FRAMEWORKS if importlib.util.find_spec(f) is not None]


# ---- the two models, once per framework (xp: torch or jax.numpy; ops: the framework-specific pieces) ----
def _forward(xp: Any, ops: dict, model: str, w: list, x: Any, training: bool, drop: Any) -> tuple[Any, list]:
    """Logits and the new moving statistics ([] for the mlp)."""
    if model == "mlp":
        h = ops["relu"](x @ w[0] + w[1])
        if drop is not None:
            h = h * drop
        return h @ w[2] + w[3], []
    c = ops["relu"](ops["conv"](x, w[0]) + w[1])
    if training:
        mean = c.mean(axis=(0, 1, 2)) if ops["name"] == "jax" else c.mean(dim=(0, 1, 2))
        var = ((c - mean) ** 2).mean(axis=(0, 1, 2)) if ops["name"] == "jax" else ((c - mean) ** 2).mean(dim=(0, 1, 2))
        stats = [
            w[4] * BN_MOMENTUM + ops["stop"](mean) * (1 - BN_MOMENTUM),
            w[5] * BN_MOMENTUM + ops["stop"](var) * (1 - BN_MOMENTUM),
        ]
    else:
        mean, var, stats = w[4], w[5], []
    c = (c - mean) / xp.sqrt(var + BN_EPS) * w[2] + w[3]
    c = ops["pool"](c)
    if drop is not None:
        c = c * drop
    return c.reshape(c.shape[0], -1) @ w[6] + w[7], stats


def _loss_acc(xp: Any, ops: dict, logits: Any, y: Any) -> tuple[Any, Any]:
    logp = ops["log_softmax"](logits)
    picked = ops["take"](logp, y)
    acc = (
        (logits.argmax(-1) == y).astype(xp.float32) if ops["name"] == "jax" else (logits.argmax(-1) == y).to(xp.float32)
    )
    return -picked.mean(), acc.mean()


def _adam(xp: Any, params: list, grads: list, m: list, v: list, t: int) -> tuple[list, list, list]:
    alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
    m = [mi + (g - mi) * (1 - B1) for mi, g in zip(m, grads)]
    v = [vi + (g * g - vi) * (1 - B2) for vi, g in zip(v, grads)]
    return [p - (mi * alpha) / (xp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)], m, v


def _drop_shape(model: str, n: int) -> tuple:
    return (n, 64) if model == "mlp" else (n, 4, 4, 8)


# ---- torch -------------------------------------------------------------------------------------------
def _torch_impl(model: str, init: list, seed: int, rate: float) -> dict:
    import torch
    import torch.nn.functional as F

    ops = {
        "name": "torch",
        "relu": torch.relu,
        "stop": lambda a: a.detach(),
        "conv": lambda x, k: F.conv2d(x.permute(0, 3, 1, 2), k.permute(3, 2, 0, 1), padding="same").permute(0, 2, 3, 1),
        "pool": lambda c: F.max_pool2d(c.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1),
        "log_softmax": lambda z: torch.log_softmax(z, -1),
        "take": lambda lp, y: lp.gather(1, y.long()[:, None])[:, 0],
    }
    gen = torch.Generator().manual_seed(seed)
    tr = TRAINABLE[model]
    w = [torch.tensor(a) for a in init]
    st: dict[str, Any] = {
        "w": w,
        "m": [torch.zeros_like(w[i]) for i in tr],
        "v": [torch.zeros_like(w[i]) for i in tr],
        "t": 0,
    }

    def mask(n):
        if rate <= 0:
            return None
        return (torch.rand(_drop_shape(model, n), generator=gen) >= rate).to(torch.float32) / (1 - rate)

    def loss_fn(params, x, y, drop):
        full = list(st["w"])
        for i, p in zip(tr, params):
            full[i] = p
        logits, stats = _forward(torch, ops, model, full, x, True, drop)
        loss, acc = _loss_acc(torch, ops, logits, y)
        return loss, acc, stats

    def grad(x, y, drop):
        params = [st["w"][i].detach().requires_grad_(True) for i in tr]
        loss, acc, stats = loss_fn(params, x, y, drop)
        grads = torch.autograd.grad(loss, params)
        return loss, acc, stats, grads

    def step(x, y):
        loss, acc, stats, grads = grad(x, y, mask(len(x)))
        st["t"] += 1
        with torch.no_grad():
            new, st["m"], st["v"] = _adam(torch, [st["w"][i] for i in tr], list(grads), st["m"], st["v"], st["t"])
            for i, p in zip(tr, new):
                st["w"][i] = p
            if stats:
                st["w"][4], st["w"][5] = stats
        return float(loss.detach()), float(acc)

    def evaluate(x, y):
        with torch.no_grad():
            logits, _ = _forward(torch, ops, model, st["w"], x, False, None)
            loss, acc = _loss_acc(torch, ops, logits, y)
        return float(loss), float(acc)

    def forward(x):
        with torch.no_grad():
            return _forward(torch, ops, model, st["w"], x, True, mask(len(x)))[0].numpy()

    return {
        "tensor": lambda a: torch.from_numpy(np.ascontiguousarray(a)),
        "step": step,
        "evaluate": evaluate,
        "forward": forward,
        "forward_grad": lambda x, y: float(grad(x, y, mask(len(x)))[0].detach()),
        "weights": lambda: [a.detach().numpy().copy() for a in st["w"]],
    }


# ---- jax ---------------------------------------------------------------------------------------------
def _jax_impl(model: str, init: list, seed: int, rate: float) -> dict:
    import jax
    import jax.numpy as jnp

    ops = {
        "name": "jax",
        "relu": jax.nn.relu,
        "stop": jax.lax.stop_gradient,
        "conv": lambda x, k: jax.lax.conv_general_dilated(
            x, k, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
        ),
        "pool": lambda c: jax.lax.reduce_window(c, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
        "log_softmax": lambda z: jax.nn.log_softmax(z, -1),
        "take": lambda lp, y: jnp.take_along_axis(lp, y[:, None].astype(jnp.int32), 1)[:, 0],
    }
    tr = TRAINABLE[model]
    rest = [i for i in range(len(init)) if i not in tr]

    def merge(params, others):
        full = [None] * len(init)
        for i, p in zip(tr, params):
            full[i] = p
        for i, p in zip(rest, others):
            full[i] = p
        return full

    def drop_mask(key, n):
        if rate <= 0:
            return None
        return jax.random.bernoulli(key, 1 - rate, _drop_shape(model, n)).astype(jnp.float32) / (1 - rate)

    def loss_fn(params, others, x, y, key):
        logits, stats = _forward(jnp, ops, model, merge(params, others), x, True, drop_mask(key, x.shape[0]))
        loss, acc = _loss_acc(jnp, ops, logits, y)
        return loss, (acc, stats)

    vg = jax.value_and_grad(loss_fn, has_aux=True)

    @jax.jit
    def step_fn(params, others, m, v, t, x, y, key):
        (loss, (acc, stats)), grads = vg(params, others, x, y, key)
        alpha = LR * jnp.sqrt(1 - B2**t) / (1 - B1**t)
        m = [mi + (g - mi) * (1 - B1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - B2) for vi, g in zip(v, grads)]
        params = [p - (mi * alpha) / (jnp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)]
        return params, (stats if stats else others), m, v, loss, acc

    fwd_jit = jax.jit(
        lambda params, others, x, key: _forward(
            jnp, ops, model, merge(params, others), x, True, drop_mask(key, x.shape[0])
        )[0]
    )
    grad_jit = jax.jit(lambda params, others, x, y, key: vg(params, others, x, y, key)[0][0])

    @jax.jit
    def eval_fn(params, others, x, y):
        logits, _ = _forward(jnp, ops, model, merge(params, others), x, False, None)
        return _loss_acc(jnp, ops, logits, y)

    st: dict[str, Any] = {
        "p": [jnp.asarray(init[i]) for i in tr],
        "o": [jnp.asarray(init[i]) for i in rest],
        "m": [jnp.zeros(init[i].shape, init[i].dtype) for i in tr],
        "v": [jnp.zeros(init[i].shape, init[i].dtype) for i in tr],
        "t": 0,
        "key": jax.random.PRNGKey(seed),
    }

    def key():
        st["key"], k = jax.random.split(st["key"])
        return k

    def step(x, y):
        st["t"] += 1
        st["p"], st["o"], st["m"], st["v"], loss, acc = step_fn(
            st["p"], st["o"], st["m"], st["v"], jnp.float32(st["t"]), x, y, key()
        )
        return float(loss), float(acc)

    def evaluate(x, y):
        loss, acc = eval_fn(st["p"], st["o"], x, y)
        return float(loss), float(acc)

    return {
        "tensor": jnp.asarray,
        "step": step,
        "evaluate": evaluate,
        "forward": lambda x: np.asarray(fwd_jit(st["p"], st["o"], x, key())),
        "forward_grad": lambda x, y: float(grad_jit(st["p"], st["o"], x, y, key())),
        "weights": lambda: [np.asarray(a) for a in merge(st["p"], st["o"])],
    }


def run(
    framework: str,
    model: str,
    data: tuple,
    init: list,
    seed: int,
    epochs: int,
    batch_size: int,
    dropout: float,
    repeats: int = 0,
) -> dict:
    """Train the bundled ``model`` with the hand-written ``framework`` loop; a run dict as ``training.train_one``."""
    if model not in TRAINABLE:
        raise ValueError(f"no hand-written loop for {model!r}: only {sorted(TRAINABLE)}")
    (x, y), (xv, yv), (xt, yt) = data
    impl = (_torch_impl if framework == "torch" else _jax_impl)(model, [np.asarray(a) for a in init], seed, dropout)
    T = impl["tensor"]
    curve, accs, steps = [], [], []
    val: dict[str, list] = {"loss": [], "accuracy": []}
    t0 = time.perf_counter()
    for order in training.batch_orders(len(x), epochs, seed):
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            xb, yb = T(x[idx]), T(y[idx])
            t = time.perf_counter()
            loss, acc = impl["step"](xb, yb)
            steps.append(time.perf_counter() - t)
            curve.append(loss)
            accs.append(acc)
        lv, av = impl["evaluate"](T(xv), T(yv))
        val["loss"].append(lv)
        val["accuracy"].append(av)
    fit_s = time.perf_counter() - t0
    loss, acc = impl["evaluate"](T(xt), T(yt))
    res = {
        "backend": f"native-{framework}",
        "init": [np.asarray(a) for a in init],
        "weights": impl["weights"](),
        "curve": curve,
        "step_metrics": {"loss": curve, "accuracy": accs},
        "val": val,
        "eval": {"loss": loss, "accuracy": acc},
        "fit_seconds": fit_s,
        "first_step_s": steps[0],
        "step_ms": float(np.median(steps[1:]) * 1e3) if len(steps) > 1 else float("nan"),
    }
    if repeats:
        from .study import measure

        order = training.batch_orders(len(x), 1, seed)[0]
        batches = [
            (T(x[order[i : i + batch_size]]), T(y[order[i : i + batch_size]]))
            for i in range(0, min(len(order) - batch_size + 1, 8 * batch_size), batch_size)
        ]
        res["timing"] = measure(
            {
                "forward": lambda b: impl["forward"](b[0]),
                "forward_grad": lambda b: impl["forward_grad"](*b),
                "step": lambda b: impl["step"](*b),
            },
            batches,
            repeats,
        )
    return res

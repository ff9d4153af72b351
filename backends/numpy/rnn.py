"""Fused recurrent sequences for the NumPy backend: a whole LSTM/GRU sequence as one tape node with a
hand-derived VJP (backprop through time written out), instead of ~15 recorded ops per time step.

The forward pass projects every input step in one GEMM and runs the per-step recurrence on raw
arrays, keeping only what the backward pass needs (gate activations, cell states, previous hidden
states). The backward pass walks time in reverse, accumulating the gate pre-activation cotangents
``dZ`` (T, B, G·U); the weight gradients are then one GEMM each over all steps
(``dK = Xᵀ dZ``, ``dR = H_prevᵀ dZ``). Gate blocks as in ``backends/_protocol.py``.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

#: A sequence whose half-batch gate block (rows/2 x gates*units) has at least this many elements runs
#: as two halves (a function of the shapes alone, so the result does not depend on the machine), on two
#: threads where the machine has two cores. Measured on 2 cores (predict, threads / one call): LSTM(128)
#: batch 64 (16,384) 0.61x, LSTM(256) 0.79x; below it the GIL hand-offs eat the gain (LSTM(64) 0.93x,
#: GRU(128) 0.91x, GRU(64) 1.11x).
SPLIT_MIN_ELEMENTS = 16384


def _project(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    """(B, T, F) -> time-major (T, B, G·U) ``x @ kernel + bias``, contiguous per step."""
    b, t, f = x.shape
    xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(t * b, f)
    xp = xt @ kernel
    if bias is not None:
        xp += bias
    return xp.reshape(t, b, -1)


def _input_grads(dz: np.ndarray, x: np.ndarray, kernel: np.ndarray, hprev: np.ndarray, with_bias: bool) -> tuple:
    """From time-major ``dz`` (T, B, G·U): (dx (B, T, F), dkernel, drecurrent, dbias or None)."""
    t, b, g = dz.shape
    dz2 = dz.reshape(t * b, g)
    xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(t * b, -1)
    dk = xt.T @ dz2
    dr = hprev.reshape(t * b, -1).T @ dz2
    dx = (dz2 @ kernel.T).reshape(t, b, -1).transpose(1, 0, 2)
    db = dz2.sum(axis=0) if with_bias else None
    return dx, dk, dr, db


def lstm_forward(x, h0, c0, kernel, rk, bias):
    """Returns ``(outputs, h, c), vjp`` (see ``backends/_protocol.py`` for the equations)."""
    u = rk.shape[0]
    xp = _project(x, kernel, bias)
    t_len = xp.shape[0]
    gates = np.empty_like(xp)  # activated i, f, g, o per step
    hs = np.empty((t_len + 1,) + h0.shape, h0.dtype)
    cs = np.empty((t_len + 1,) + c0.shape, c0.dtype)
    tcs = np.empty((t_len,) + c0.shape, c0.dtype)
    hs[0], cs[0] = h0, c0
    # All four gates with one tanh: sigmoid(z) = 0.5 + 0.5 tanh(z / 2) on the i, f, o blocks.
    scale = np.full(4 * u, 0.5, xp.dtype)
    scale[2 * u : 3 * u] = 1.0
    shift = np.full(4 * u, 0.5, xp.dtype)
    shift[2 * u : 3 * u] = 0.0
    for t in range(t_len):
        gt = gates[t]
        np.matmul(hs[t], rk, out=gt)
        gt += xp[t]
        gt *= scale
        np.tanh(gt, out=gt)
        gt *= scale
        gt += shift
        c = cs[t + 1]
        np.multiply(gt[:, u : 2 * u], cs[t], out=c)
        c += gt[:, :u] * gt[:, 2 * u : 3 * u]
        np.tanh(c, out=tcs[t])
        np.multiply(gt[:, 3 * u :], tcs[t], out=hs[t + 1])
    out = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))

    def vjp(cts):
        g_out, g_h, g_c = cts
        dz = np.empty_like(gates)
        dh = g_h + g_out[:, -1]
        dc = g_c.copy()
        rkt = rk.T
        # Local derivatives of every step at once (vectorised over time), so the sequential loop below
        # only chains cotangents: dz_i = dc·g·i(1-i), dz_f = dc·c_prev·f(1-f), dz_c = dc·i(1-g²),
        # dz_o = dh·tanh(c)·o(1-o), and dc gains dh·o(1-tanh²(c)).
        i, f, g, o = gates[..., :u], gates[..., u : 2 * u], gates[..., 2 * u : 3 * u], gates[..., 3 * u :]
        d_i = g * i * (1 - i)
        d_f = cs[:-1] * f * (1 - f)
        d_g = i * (1 - g * g)
        d_o = tcs * o * (1 - o)
        d_c = o * (1 - tcs * tcs)
        for t in range(t_len - 1, -1, -1):
            dc += dh * d_c[t]
            d = dz[t]
            np.multiply(dc, d_i[t], out=d[:, :u])
            np.multiply(dc, d_f[t], out=d[:, u : 2 * u])
            np.multiply(dc, d_g[t], out=d[:, 2 * u : 3 * u])
            np.multiply(dh, d_o[t], out=d[:, 3 * u :])
            dc *= f[t]
            dh = d @ rkt
            if t > 0:
                dh += g_out[:, t - 1]
        dx, dk, dr, db = _input_grads(dz, x, kernel, hs[:-1], bias is not None)
        return [dx, dh, dc, dk, dr, db]

    return [out, hs[-1].copy(), cs[-1].copy()], vjp


def gru_forward(x, h0, kernel, rk, bias):
    """Returns ``(outputs, h), vjp`` (``reset_after=True``; see ``backends/_protocol.py``)."""
    u = rk.shape[0]
    xp = _project(x, kernel, None if bias is None else bias[0])
    t_len = xp.shape[0]
    zr = np.empty(xp.shape[:2] + (2 * u,), xp.dtype)  # activated z, r
    hh = np.empty(xp.shape[:2] + (u,), xp.dtype)  # candidate n
    ih = np.empty_like(hh)  # recurrent part of the candidate (h @ U_h + b_h)
    hs = np.empty((t_len + 1,) + h0.shape, h0.dtype)
    hs[0] = h0
    for t in range(t_len):
        inner = hs[t] @ rk
        if bias is not None:
            inner += bias[1]
        a = xp[t, :, : 2 * u] + inner[:, : 2 * u]
        a *= 0.5
        np.tanh(a, out=a)  # sigmoid(v) = 0.5 + 0.5 tanh(v / 2)
        a *= 0.5
        a += 0.5
        zr[t] = a
        ih[t] = inner[:, 2 * u :]
        hh[t] = np.tanh(xp[t, :, 2 * u :] + zr[t, :, u:] * ih[t])
        z = zr[t, :, :u]
        hs[t + 1] = z * hs[t] + (1 - z) * hh[t]
    out = np.ascontiguousarray(hs[1:].transpose(1, 0, 2))

    def vjp(cts):
        g_out, g_h = cts
        dx_p = np.empty_like(xp)
        dinner = np.empty_like(xp)
        dh = g_h + g_out[:, -1]
        rkt = rk.T
        for t in range(t_len - 1, -1, -1):
            z, r, n = zr[t, :, :u], zr[t, :, u:], hh[t]
            da = dh * (1 - z) * (1 - n * n)  # cotangent of the candidate's pre-activation
            dpz = dh * (hs[t] - n) * z * (1 - z)
            dpr = da * ih[t] * r * (1 - r)
            d = dx_p[t]
            d[:, :u], d[:, u : 2 * u], d[:, 2 * u :] = dpz, dpr, da
            di = dinner[t]
            di[:, : 2 * u] = d[:, : 2 * u]
            di[:, 2 * u :] = da * r
            dh = dh * z + di @ rkt
            if t > 0:
                dh += g_out[:, t - 1]
        dx, dk, _, db0 = _input_grads(dx_p, x, kernel, hs[:-1], bias is not None)
        t_, b_, g_ = dinner.shape
        di2 = dinner.reshape(t_ * b_, g_)
        dr = hs[:-1].reshape(t_ * b_, -1).T @ di2
        db = None if bias is None else np.stack([db0, di2.sum(axis=0)])
        return [dx, dh, dk, dr, db]

    return [out, hs[-1].copy()], vjp


_POOL: list = []
_POOL_LOCK = threading.Lock()


def _helper_pool() -> Any:
    """One helper thread, or None where the halves run one after the other: one core, or no
    ``threadpoolctl`` to keep OpenBLAS at one thread per half (two halves each calling a 2-thread
    OpenBLAS oversubscribe the cores: measured slower than no split)."""
    with _POOL_LOCK:
        if not _POOL:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # a dependency; an environment without it runs the halves in turn
                ThreadpoolController = None
            two_cores = (os.cpu_count() or 1) >= 2
            if two_cores and ThreadpoolController is not None:
                helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kshim-rnn")
                _POOL.append((helper, ThreadpoolController()))
            else:
                _POOL.append(None)
        return _POOL[0]


def run_halves(jobs: list[Callable[[], Any]]) -> list:
    """Run the two half-batch jobs, in parallel where ``_helper_pool`` allows (OpenBLAS at one
    thread meanwhile); the results in order."""
    pool = _helper_pool()
    if pool is None:
        return [job() for job in jobs]
    executor, blas = pool
    with blas.limit(limits=1, user_api="blas"):
        other = executor.submit(jobs[1])
        first = jobs[0]()
        return [first, other.result()]


def in_batch_halves(forward: Callable, n_batched: int) -> Callable:
    """``forward(*batched, *weights) -> (outputs, vjp)`` run on each half of the batch (the recurrence
    is independent per row), outputs and input cotangents concatenated, weight cotangents summed.
    NumPy's elementwise ufuncs are single-threaded and dominate a recurrent step (``tanh`` of a 64x512
    gate block: ~240 us of a ~450 us step), so two halves on two cores take ~0.6x the time. Only above
    ``SPLIT_MIN_ELEMENTS``."""

    def run(*args: Any) -> tuple:
        b = args[0].shape[0]
        if b < 2 or (b // 2) * args[n_batched + 1].shape[1] < SPLIT_MIN_ELEMENTS:  # the recurrent kernel
            return forward(*args)
        halves = [slice(0, b // 2), slice(b // 2, b)]

        def half(s: slice) -> Callable[[], Any]:
            return lambda: forward(*(a[s] for a in args[:n_batched]), *args[n_batched:])

        res = run_halves([half(s) for s in halves])
        outs = [np.concatenate(pair, axis=0) for pair in zip(*(r[0] for r in res))]
        vjps = [r[1] for r in res]

        def vjp(cts: Any) -> list:
            def half_vjp(s: slice, f: Callable) -> Callable[[], Any]:
                return lambda: f([c[s] for c in cts])

            grads = run_halves([half_vjp(s, f) for s, f in zip(halves, vjps)])
            batched = [np.concatenate(pair, axis=0) for pair in zip(*(g[:n_batched] for g in grads))]
            weights = [None if a is None else a + b for a, b in zip(*(g[n_batched:] for g in grads))]
            return batched + weights

        return outs, vjp

    return run


_LSTM = in_batch_halves(lstm_forward, 3)
_GRU = in_batch_halves(gru_forward, 2)
_FORWARDS: dict[str, Callable[..., Any]] = {"lstm": lstm_forward, "gru": gru_forward}


def directions_in_parallel(name: str, args_a: tuple, args_b: tuple) -> Callable:
    """``f(*present) -> (outputs, vjp)`` running the two sequences (``None`` arguments left out of
    ``present``) as one node: concurrently when each direction's gate block (rows x gates*units) has
    ``SPLIT_MIN_ELEMENTS`` elements (the same measured break-even as the batch halves: a
    Bidirectional LSTM(64) at batch 64 is 16,384), else one after the other. Each direction runs
    whole (no batch halves inside), so the result depends on the shapes only."""
    forward = _FORWARDS[name]
    n = len(args_a)
    flat = list(args_a) + list(args_b)
    present = [i for i, a in enumerate(flat) if a is not None]
    parallel = all(a[0].shape[0] * a[n - 2].shape[1] >= SPLIT_MIN_ELEMENTS for a in (args_a, args_b))

    def run(jobs: list[Callable[[], Any]]) -> list:
        return run_halves(jobs) if parallel else [job() for job in jobs]

    def f(*values: Any) -> tuple:
        full: list = [None] * len(flat)
        for i, v in zip(present, values):
            full[i] = v
        (outs_a, vjp_a), (outs_b, vjp_b) = run([lambda: forward(*full[:n]), lambda: forward(*full[n:])])
        k = len(outs_a)

        def vjp(cts: Any) -> list:
            ga, gb = run([lambda: vjp_a(cts[:k]), lambda: vjp_b(cts[k:])])
            grads = list(ga) + list(gb)
            return [grads[i] for i in present]

        return list(outs_a) + list(outs_b), vjp

    return f


class RnnMixin:
    """``lstm``, ``gru`` and ``rnn_pair`` (declared in ``backends/_protocol.py``) as ``custom_gradient``
    nodes."""

    if TYPE_CHECKING:  # defined by TransformsMixin; declared for the type checker only

        def custom_gradient(self, *args: Any, **kwargs: Any) -> Any: ...

    def lstm(self, x, h0, c0, kernel, recurrent_kernel, bias):
        if bias is None:
            f = self.custom_gradient(lambda x, h0, c0, k, rk: _drop_last(_LSTM(x, h0, c0, k, rk, None)))
            return tuple(f(x, h0, c0, kernel, recurrent_kernel))
        return tuple(self.custom_gradient(_LSTM)(x, h0, c0, kernel, recurrent_kernel, bias))

    def rnn_pair(self, name: str, args_a: tuple, args_b: tuple, mirrored: bool = False) -> tuple[tuple, tuple]:
        """Both directions of a Bidirectional layer as one node (``directions_in_parallel``); each
        direction reads its own input, so ``mirrored`` changes nothing here."""
        f = directions_in_parallel(name, args_a, args_b)
        outs = self.custom_gradient(f)(*(a for a in list(args_a) + list(args_b) if a is not None))
        k = len(outs) // 2
        return tuple(outs[:k]), tuple(outs[k:])

    def gru(self, x, h0, kernel, recurrent_kernel, bias):
        if bias is None:
            f = self.custom_gradient(lambda x, h0, k, rk: _drop_last(_GRU(x, h0, k, rk, None)))
            return tuple(f(x, h0, kernel, recurrent_kernel))
        return tuple(self.custom_gradient(_GRU)(x, h0, kernel, recurrent_kernel, bias))


def _drop_last(res):
    """Forward result whose VJP omits the (absent) bias' cotangent."""
    outs, vjp = res
    return outs, (lambda cts: vjp(cts)[:-1])

"""LSTM training-step benchmark: kshim (numpy / jax / torch backends) vs a hand-written PyTorch
``nn.LSTM`` step and vs Keras 3 on JAX (when installed).

Model: inputs (batch 64, 50 steps, 32 features) -> LSTM(128) -> Dense(1), MSE loss, Adam.
One "step" = forward + backward + optimizer update on one batch (``train_on_batch`` for kshim and
Keras). Implementations are timed in interleaved rounds (one step each per round, after warm-up)
and the median is reported, so machine-load drift affects all of them alike.

    python benchmarks/lstm_bench.py [--reps 15] [--warmup 3] [--backends numpy,jax,torch]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

B, T, F, U = 64, 50, 32, 128


def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((B, T, F)).astype("float32"), rng.standard_normal((B, 1)).astype("float32")


def kshim_step(backend_name):
    import kshim
    from kshim import backends, layers
    from kshim.layers.rnn import LSTM
    x, y = data()
    b = backends.get(backend_name)
    with kshim.backend.use(b):
        inp = layers.Input((T, F))
        model = kshim.Model(inp, layers.Dense(1)(LSTM(U)(inp)))
        model.compile(optimizer="adam", loss="mse")

    def step():
        with kshim.backend.use(b):
            model.train_on_batch(x, y)
            if backend_name == "torch":
                import torch
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
    return step


def torch_step():
    import torch
    x, y = data()
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    lstm, head = torch.nn.LSTM(F, U, batch_first=True).to(dev), torch.nn.Linear(U, 1).to(dev)
    opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
    xt, yt = torch.tensor(x, device=dev), torch.tensor(y, device=dev)

    def step():
        opt.zero_grad()
        out, _ = lstm(xt)
        loss = torch.mean((head(out[:, -1]) - yt) ** 2)
        loss.backward()
        opt.step()
        float(loss.detach())
    return step


def keras_step():
    import keras
    x, y = data()
    inp = keras.Input((T, F))
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.LSTM(U)(inp)))
    model.compile(optimizer="adam", loss="mse")

    def step():
        model.train_on_batch(x, y)
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--backends", default="numpy,jax,torch")
    args = ap.parse_args()
    impls = {}
    for name in args.backends.split(","):
        try:
            impls[f"kshim[{name}]"] = kshim_step(name)
        except Exception as e:  # noqa: BLE001
            print(f"skipping kshim[{name}]: {e}")
    try:
        impls["torch nn.LSTM (hand-written)"] = torch_step()
    except ImportError:
        pass
    try:
        impls["keras 3 (jax)"] = keras_step()
    except ImportError:
        pass
    for fn in impls.values():
        for _ in range(args.warmup):
            fn()
    times = {k: [] for k in impls}
    for _ in range(args.reps):
        for k, fn in impls.items():
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) * 1e3)
    med = {k: statistics.median(v) for k, v in times.items()}
    ref_t = med.get("torch nn.LSTM (hand-written)")
    ref_k = med.get("keras 3 (jax)")
    print(f"\nLSTM({U}), {T} steps, batch {B}, {F} features; median of {args.reps} interleaved training steps\n")
    print("| implementation | ms/step | vs torch nn.LSTM | vs Keras 3 (jax) |")
    print("|---|---:|---:|---:|")
    for k, v in med.items():
        rt = f"{v / ref_t:.2f}x" if ref_t else "-"
        rk = f"{v / ref_k:.2f}x" if ref_k else "-"
        print(f"| {k} | {v:.1f} | {rt} | {rk} |")


if __name__ == "__main__":
    main()

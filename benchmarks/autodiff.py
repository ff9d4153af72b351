"""Forward+backward of the NumPy backend's tape autodiff vs a hand-written PyTorch loop.

Workloads (batch 128, float32): MLP 784-256-256-10 and CNN conv32-pool-conv64-pool-dense on
28x28x1, sparse softmax cross-entropy. Both contenders run in this process, interleaved, and the
report is the median per-repetition ratio (noise on a shared machine hits both alike).

    python -m benchmarks.autodiff [--reps 7] [--threads N]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _kshim_step(kind: str):
    import kshim as keras
    from kshim import layers
    keras.backend.set_backend("numpy")
    b = keras.backend.current()
    keras.utils.set_random_seed(0)
    if kind == "mlp":
        model = keras.Sequential([keras.Input((784,)), layers.Dense(256, activation="relu"),
                                  layers.Dense(256, activation="relu"), layers.Dense(10)])
        x = np.random.RandomState(0).rand(128, 784).astype("float32")
    else:
        model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                                  layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu"),
                                  layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10)])
        x = np.random.RandomState(0).rand(128, 28, 28, 1).astype("float32")
    y = np.random.RandomState(1).randint(0, 10, 128)
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def loss_fn(tvals):
        logits, _ = model.stateless_call(tvals, ntv, x)
        return keras.ops.mean(keras.ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
    vg = b.value_and_grad(loss_fn)
    return lambda: vg(tv)


def _torch_step(kind: str):
    import torch
    torch.manual_seed(0)
    if kind == "mlp":
        net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                                  torch.nn.ReLU(), torch.nn.Linear(256, 10))
        x = torch.rand(128, 784)
    else:
        net = torch.nn.Sequential(torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                  torch.nn.Conv2d(32, 64, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                  torch.nn.Flatten(), torch.nn.Linear(1600, 10))
        x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    params = list(net.parameters())

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        return torch.autograd.grad(loss, params)
    return step


def _time(fn, min_seconds: float = 0.3) -> float:
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds and n >= 2:
            return dt / n * 1e3


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    args = ap.parse_args(argv)
    import torch
    if args.threads:
        torch.set_num_threads(args.threads)
    print("| workload | kshim numpy ms (median) | PyTorch ms (median) | ratio (median of per-rep) | target |")
    print("|---|---:|---:|---:|---|")
    for kind in ("mlp", "cnn"):
        ks, ts = _kshim_step(kind), _torch_step(kind)
        a, c, r = [], [], []
        for _ in range(args.reps):
            ka, tc = _time(ks), _time(ts)
            a.append(ka)
            c.append(tc)
            r.append(ka / tc)
        ratio = statistics.median(r)
        print(f"| {kind} fwd+bwd, batch 128 | {statistics.median(a):.1f} | {statistics.median(c):.1f} | "
              f"{ratio:.2f}x | <= 2x: {'met' if ratio <= 2 else 'not met'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

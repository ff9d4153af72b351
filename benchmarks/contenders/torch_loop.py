"""The hand-written PyTorch baseline: ``nn.Module`` + ``torch.optim.Adam``, eager, NCHW, default threads.

The data is converted to tensors (and to NCHW) once, up front, and split into batches (views); a
step is ``zero_grad / forward / loss / backward / step`` plus a running loss sum (Keras also keeps a
running mean of the loss).
"""
from __future__ import annotations

import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..seq_memory import MemoryProbe
from ..seq_models import SEQ_WORKLOADS, torch_model
from ..workloads import LEARNING_RATE, Workload, warm_up


def build(w: Workload) -> nn.Module:
    if w.kind == "mlp":
        return nn.Sequential(nn.Linear(784, w.width), nn.ReLU(), nn.Linear(w.width, w.width), nn.ReLU(),
                             nn.Linear(w.width, w.num_outputs))
    if w.kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 5 * 5, w.num_outputs))
    if w.kind == "tiny":
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, w.num_outputs))
    if w.kind in SEQ_WORKLOADS:
        return torch_model(w)
    raise KeyError(w.kind)


class TorchLoopContender(MemoryProbe):
    def setup(self, w: Workload, x: np.ndarray, y: np.ndarray) -> None:
        torch.manual_seed(0)
        self.w = w
        # benchmarks/gpu.py sets KSHIM_BENCH_DEVICE=gpu; everything else runs on the CPU
        self.dev = torch.device("cuda" if os.environ.get("KSHIM_BENCH_DEVICE") == "gpu" else "cpu")
        self.model = build(w).to(self.dev)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.loss_fn = F.cross_entropy if w.loss == "sparse_ce_logits" else F.mse_loss
        xt = torch.from_numpy(x)
        if xt.ndim == 4:
            xt = xt.permute(0, 3, 1, 2).contiguous()
        yt = torch.from_numpy(y).long() if w.loss == "sparse_ce_logits" else torch.from_numpy(y)
        self.xb = [t.to(self.dev) for t in xt.split(w.batch_size)]
        self.yb = [t.to(self.dev) for t in yt.split(w.batch_size)]
        warm_up(self)

    def train(self, n: int) -> float:
        model, opt, loss_fn, xb, yb = self.model, self.opt, self.loss_fn, self.xb, self.yb
        model.train()
        t0 = time.perf_counter()
        total = torch.zeros((), device=self.dev)
        for i in range(n):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb[i]), yb[i])
            loss.backward()
            opt.step()
            total += loss.detach()
        float(total / n)
        return time.perf_counter() - t0

    def predict(self, n: int) -> float:
        model, xb = self.model, self.xb
        model.eval()
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = np.concatenate([model(xb[i]).cpu().numpy() for i in range(n)], axis=0)
        dt = time.perf_counter() - t0
        assert out.shape[0] == n * self.w.batch_size
        return dt

    def info(self) -> dict:
        return {"torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads()}

"""The benchmark workloads: model shapes, batch sizes, losses and the fixed synthetic data.

Every contender builds the *same* model (same layer sizes, Adam(1e-3), same loss) on the *same*
data, which is generated here from a fixed seed and is identical in every subprocess.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    input_shape: tuple          # per sample, channels-last (the Keras convention)
    batch_size: int
    loss: str                   # "sparse_ce_logits" | "mse"
    num_outputs: int            # classes for sparse_ce_logits, units for mse
    max_steps: int              # dataset size in batches (upper bound on steps timed per repetition)
    min_steps: int              # lower bound on steps timed per repetition
    family: str = ""            # the model it builds ("mlp", "lstm", ...); "" means ``name``
    width: int = 256            # hidden width of the ``mlp`` family

    @property
    def kind(self) -> str:
        """The model family every contender builds (a sweep point is a resized ``mlp``/``lstm``/``attn``)."""
        return self.family or self.name


WORKLOADS: dict[str, Workload] = {w.name: w for w in [
    Workload("mlp", "MLP 784-256-256-10 (relu), batch 128, sparse CE from logits",
             (784,), 128, "sparse_ce_logits", 10, max_steps=100, min_steps=3),
    Workload("cnn", "CNN 28x28x1: conv32(3x3,relu)-maxpool2-conv64(3x3,relu)-maxpool2-flatten-dropout(0.5)-"
             "dense10, batch 128, sparse CE from logits",
             (28, 28, 1), 128, "sparse_ce_logits", 10, max_steps=20, min_steps=2),
    Workload("tiny", "tiny MLP 8-16(relu)-1, batch 32, MSE (per-step overhead)",
             (8,), 32, "mse", 1, max_steps=600, min_steps=20),
    # Sequence models (issue 21; the models of every contender are in seq_models.py).
    Workload("lstm", "LSTM(128) over 50 steps x 32 features -> Dense10, batch 64, sparse CE from logits",
             (50, 32), 64, "sparse_ce_logits", 10, max_steps=12, min_steps=2),
    Workload("gru", "GRU(128) (reset_after) over 50 steps x 32 features -> Dense10, batch 64, sparse CE from logits",
             (50, 32), 64, "sparse_ce_logits", 10, max_steps=12, min_steps=2),
    Workload("bilstm", "Bidirectional(LSTM(64)) over 50 steps x 32 features -> Dense10, batch 64, sparse CE "
             "from logits", (50, 32), 64, "sparse_ce_logits", 10, max_steps=12, min_steps=2),
    Workload("attn", "post-LN transformer encoder block (MHA 4 heads x 32, FFN 256, d_model 128, no dropout) "
             "over 64 tokens -> mean-pool -> Dense10, batch 32, sparse CE from logits",
             (64, 128), 32, "sparse_ce_logits", 10, max_steps=12, min_steps=2),
]}

# The ``--sweep`` points (``sweep.py``): the same models at other sizes. The MLP over batch size at width
# 256 and over width at batch 128; LSTM and the attention block over sequence length. Data per point is
# bounded (``max_steps`` batches), so the largest points stay well under 100 MB.
SWEEP_BATCHES = (32, 128, 512, 1024)
SWEEP_WIDTHS = (256, 512, 1024, 2048)
SWEEP_LENGTHS = (25, 50, 100, 200, 400)


def _sweep_workloads() -> dict[str, Workload]:
    mlp, lstm, attn = WORKLOADS["mlp"], WORKLOADS["lstm"], WORKLOADS["attn"]
    out: list[Workload] = []
    for b in SWEEP_BATCHES:
        out.append(Workload(f"mlp-b{b}", f"MLP 784-256-256-10, batch {b}", mlp.input_shape, b, mlp.loss,
                            mlp.num_outputs, max_steps=max(4, 12 * 128 // b), min_steps=2, family="mlp"))
    for wd in SWEEP_WIDTHS:
        out.append(Workload(f"mlp-w{wd}", f"MLP 784-{wd}-{wd}-10, batch 128", mlp.input_shape, 128, mlp.loss,
                            mlp.num_outputs, max_steps=12, min_steps=2, family="mlp", width=wd))
    for base in (lstm, attn):
        for t in SWEEP_LENGTHS:
            desc = base.description.replace(f"over {base.input_shape[0]}", f"over {t}")
            out.append(Workload(f"{base.name}-t{t}", desc, (t,) + tuple(base.input_shape[1:]), base.batch_size,
                                base.loss, base.num_outputs, max_steps=max(3, 12 * 50 // t), min_steps=2,
                                family=base.name))
    return {w.name: w for w in out}


SWEEP_WORKLOADS: dict[str, Workload] = _sweep_workloads()


def get(name: str) -> Workload:
    """A workload of the main table or a sweep point, by name."""
    return WORKLOADS[name] if name in WORKLOADS else SWEEP_WORKLOADS[name]


LEARNING_RATE = 1e-3


def warm_up(contender) -> None:
    """Trace/compile and reach steady state: ``KSHIM_BENCH_WARMUP="rounds,steps"`` (default 2 rounds of 2
    steps of train and predict; the first call compiles, the second one checks nothing recompiles)."""
    import os
    rounds, steps = (int(v) for v in os.environ.get("KSHIM_BENCH_WARMUP", "2,2").split(","))
    for _ in range(rounds):
        contender.train(steps)
        contender.predict(steps)


def make_data(w: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``max_steps * batch_size`` samples; the first k batches do not depend on ``max_steps``."""
    n = w.max_steps * w.batch_size
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n,) + tuple(w.input_shape), dtype=np.float32)
    if w.loss == "sparse_ce_logits":
        y = rng.integers(0, w.num_outputs, size=(n,)).astype(np.int32)
    else:
        y = (x.reshape(n, -1)[:, :1] * 0.5 + 0.1 * rng.standard_normal((n, 1))).astype(np.float32)
    return x, y

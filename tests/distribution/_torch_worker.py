"""One rank of a ``torch.distributed`` (gloo) run, launched by torchrun or by hand.

``python _torch_worker.py OUTDIR MODE``; MODE ``train``: trains under ``DataParallel`` and saves
weights, history and what it printed to ``OUTDIR/rank<r>.npz`` / ``.json`` (rank 0 also trains the
single-process reference on the same global batches); MODE ``die``: rank 1 exits after its first
batch, so rank 0 must fail with kshim's collective error.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ["KSHIM_BACKEND"] = "torch"

import numpy as np  # noqa: E402

import kshim as keras  # noqa: E402
from kshim import distribution as kd  # noqa: E402


def data(dtype: str, n: int = 36):
    rng = np.random.default_rng(0)
    # 36 rows, batch 8: four 8-row batches and a 4-row last one (2 rows per rank); 37 rows: a 5-row
    # last batch, split 3 + 2 (the ranks' shares of the loss differ)
    x = rng.normal(size=(n, 5)).astype(dtype)
    y = rng.integers(0, 3, n)
    return x, y


def mlp(dtype: str):
    keras.utils.set_random_seed(11)
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(12, activation="tanh"), keras.layers.Dense(3)])
    m.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def bn_model():
    keras.utils.set_random_seed(5)
    m = keras.Sequential([keras.Input((5,)), keras.layers.Dense(12, use_bias=False), keras.layers.BatchNormalization(),
                          keras.layers.Dropout(0.3), keras.layers.GaussianNoise(0.1), keras.layers.Dense(3)])
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def fit(model, x, y, **kw):
    return model.fit(x, y, batch_size=8, epochs=2, shuffle=True, **kw).history


def train(outdir: str) -> None:
    kd.initialize()
    rank = int(os.environ["RANK"])
    out: dict = {}
    arrays: dict = {}
    for dtype in ("float32", "float64"):
        keras.config.set_floatx(dtype)
        x, y = data(dtype)
        with kd.DataParallel().scope():
            m = mlp(dtype)
            printed = io.StringIO()
            ckpt = keras.callbacks.ModelCheckpoint(os.path.join(outdir, f"ckpt_rank{rank}_{dtype}.weights.h5"),
                                                   save_weights_only=True)
            with contextlib.redirect_stdout(printed):
                h = fit(m, x, y, verbose=1, callbacks=[ckpt])
            out[f"{dtype}_eval"] = m.evaluate(x, y, verbose=0, return_dict=True)
            arrays[f"{dtype}_pred"] = m.predict(x, verbose=0)
        out[f"{dtype}_history"] = h
        out[f"{dtype}_printed"] = len(printed.getvalue())
        for i, w in enumerate(m.get_weights()):
            arrays[f"{dtype}_w{i}"] = w
        if rank == 0:  # the single-process reference: same global batches, no distribution
            ref = mlp(dtype)  # reseeds the host generator: same initial weights and shuffle order
            out[f"{dtype}_ref_history"] = fit(ref, x, y, verbose=0)
            out[f"{dtype}_ref_eval"] = ref.evaluate(x, y, verbose=0, return_dict=True)
            arrays[f"{dtype}_ref_pred"] = ref.predict(x, verbose=0)
            for i, w in enumerate(ref.get_weights()):
                arrays[f"{dtype}_ref_w{i}"] = w
    for dtype in ("float32", "float64"):  # BatchNormalization, dropout and noise over the global batch
        keras.config.set_floatx(dtype)
        x, y = data(dtype, 37)
        with kd.DataParallel().scope():
            m = bn_model()
            out[f"bn_{dtype}_history"] = fit(m, x, y, verbose=0)
        for i, w in enumerate(m.get_weights()):
            arrays[f"bn_{dtype}_w{i}"] = w
        if rank == 0:
            ref = bn_model()
            out[f"bn_{dtype}_ref_history"] = fit(ref, x, y, verbose=0)
            for i, w in enumerate(ref.get_weights()):
                arrays[f"bn_{dtype}_ref_w{i}"] = w
    keras.config.set_floatx("float32")
    out["bn_names"] = [w.path for w in m.weights]
    # What the exit handler does: after it, gloo's worker threads must be gone (threads still running
    # while the interpreter shuts down can abort the process)
    from kshim.backends.torch import distribution as torch_dist

    torch_dist.shutdown()
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else []
    out["threads_after_shutdown"] = sorted(_thread_name(t) for t in tasks)
    np.savez(os.path.join(outdir, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(outdir, f"rank{rank}.json"), "w") as f:
        json.dump(out, f)


def _thread_name(tid: str) -> str:
    try:
        with open(f"/proc/self/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:  # the thread ended meanwhile
        return ""


def die() -> None:
    kd.initialize()
    rank = int(os.environ["RANK"])
    x, y = data("float32")

    class Die(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if rank == 1:
                os._exit(3)

    with kd.DataParallel().scope():
        m = mlp("float32")
        fit(m, x, y, verbose=0, callbacks=[Die()])


if __name__ == "__main__":
    outdir, mode = sys.argv[1], sys.argv[2]
    train(outdir) if mode == "train" else die()

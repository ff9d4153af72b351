"""``kshim compare``: train the same model with the same seed on every backend and compare.

Reports per backend: final accuracy/loss, loss curve (per batch: the running epoch mean that
Keras logs), time per step (median, excluding the first step, which includes compilation), and
per pair: max divergence of the loss curves and of the final weights. The default model is an MLP
on the bundled 8x8 digits (no download); ``cnn`` is a small Conv2D model; a path to a script must
define ``build_model()`` (returning a compiled model) and optionally ``load_data()``.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import time
from typing import Any, Callable

import numpy as np

from . import tolerances
from .compare import compare_arrays

# Divergence accepted after training: per-step float32 rounding differences compound through
# every optimizer step (and Adam divides by small second moments), so compare's curves and final
# weights get ten times the `training` tolerance (which is sized for a handful of steps).
TRAIN_RTOL_FACTOR = 10.0


def digits(flat: bool) -> tuple:
    from kshim.datasets import digits as d
    (x, y), (xt, yt) = d.load_data()
    x, xt = (x / 16.0).astype("float32"), (xt / 16.0).astype("float32")
    shape = (-1, 64) if flat else (-1, 8, 8, 1)
    return (x.reshape(shape), y.astype("int32")), (xt.reshape(shape), yt.astype("int32"))


def _compile(k: Any, model: Any) -> Any:
    model.compile(optimizer=k.optimizers.Adam(learning_rate=0.01),
                  loss=k.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def build_mlp() -> Any:
    import kshim as k
    L = k.layers
    return _compile(k, k.Sequential([k.Input((64,)), L.Dense(64, activation="relu"), L.Dropout(0.2),
                                     L.Dense(10)]))


def build_cnn() -> Any:
    import kshim as k
    L = k.layers
    return _compile(k, k.Sequential([k.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
                                     L.BatchNormalization(), L.MaxPooling2D(2), L.Dropout(0.2), L.Flatten(),
                                     L.Dense(10)]))


MODELS: dict[str, tuple[Callable, Callable]] = {
    "mlp": (build_mlp, lambda: digits(True)),
    "cnn": (build_cnn, lambda: digits(False)),
}


def resolve(model: str) -> tuple[str, Callable, Callable]:
    """``(label, build_model, load_data)`` for a zoo name or a script path."""
    if model in MODELS:
        return (model,) + MODELS[model]
    if os.path.isfile(model):
        spec = importlib.util.spec_from_file_location("kshim_compare_script", model)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        if not hasattr(mod, "build_model"):
            raise ValueError(f"{model} must define build_model() returning a compiled model.")
        return os.path.basename(model), mod.build_model, getattr(mod, "load_data", lambda: digits(True))
    raise ValueError(f"Unknown model {model!r}: expected one of {sorted(MODELS)} or a path to a .py script.")


def train_one(backend: str, build: Callable, data: tuple, epochs: int, batch_size: int, seed: int) -> dict:
    import kshim
    from kshim._alias import check_kshim_model
    (x, y), (xt, yt) = data
    kshim.utils.clear_session(free_memory=False)
    kshim.utils.set_random_seed(seed)
    with kshim.backend.use(backend):
        model = build()
        check_kshim_model(model, "build_model()")
        init = [np.asarray(w) for w in model.get_weights()]
        curve: list[float] = []
        stamps: list[float] = []

        def on_batch(batch, logs):
            stamps.append(time.perf_counter())
            if logs and "loss" in logs:
                curve.append(float(logs["loss"]))
        cb = kshim.callbacks.LambdaCallback(on_train_batch_end=on_batch)
        t0 = time.perf_counter()
        hist = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0, callbacks=[cb])
        fit_s = time.perf_counter() - t0
        ev = model.evaluate(xt, yt, batch_size=256, verbose=0, return_dict=True)
        steps = np.diff([t0] + stamps)
        return {"backend": backend, "init": init, "weights": [np.asarray(w) for w in model.get_weights()],
                "curve": curve, "epoch_loss": [float(v) for v in hist.history.get("loss", [])],
                "eval": {k: float(v) for k, v in ev.items()}, "fit_seconds": fit_s,
                "first_step_s": float(steps[0]) if len(steps) else 0.0,
                "step_ms": float(np.median(steps[1:]) * 1e3) if len(steps) > 1 else float("nan")}


def run_compare(model: str = "mlp", backends: list[str] | None = None, epochs: int = 3, batch_size: int = 64,
                seed: int = 1337) -> dict:
    from kshim import backends as reg
    backends = list(backends or [b for b in reg.available() if b in ("numpy", "jax", "torch")])
    label, build, load = resolve(model)
    data = load()
    runs = {b: train_one(b, build, data, epochs, batch_size, seed) for b in backends}
    rtol, atol = tolerances.get("training", "float32")
    rtol, atol = rtol * TRAIN_RTOL_FACTOR, atol * TRAIN_RTOL_FACTOR
    pairs = []
    for a, b in itertools.combinations(backends, 2):
        ra, rb = runs[a], runs[b]
        init_ok = len(ra["init"]) == len(rb["init"]) and all(
            compare_arrays(p, q, 0.0, 0.0)[2] for p, q in zip(ra["init"], rb["init"]))
        wdiv, w_ok = 0.0, True
        for p, q in zip(ra["weights"], rb["weights"]):
            ma, _, ok, _ = compare_arrays(p, q, rtol, atol)
            wdiv, w_ok = max(wdiv, ma), w_ok and ok
        ca, cb = np.asarray(ra["curve"]), np.asarray(rb["curve"])
        n = min(len(ca), len(cb))
        cdiv, _, c_ok, _ = compare_arrays(ca[:n], cb[:n], rtol, atol)
        pairs.append({"pair": f"{a}~{b}", "init_identical": bool(init_ok), "max_weight_divergence": wdiv,
                      "max_loss_divergence": cdiv, "ok": bool(init_ok and w_ok and c_ok and len(ca) == len(cb))})
    return {"model": label, "epochs": epochs, "batch_size": batch_size, "seed": seed, "rtol": rtol, "atol": atol,
            "runs": runs, "pairs": pairs, "ok": all(p["ok"] for p in pairs)}


def format_compare(res: dict) -> str:
    lines = [f"kshim compare: {res['model']}, {res['epochs']} epoch(s), batch {res['batch_size']}, "
             f"seed {res['seed']}", "",
             f"{'backend':8s} {'accuracy':>9s} {'loss':>9s} {'ms/step':>9s} {'1st step s':>10s} {'fit s':>7s}"]
    for b, r in res["runs"].items():
        ev = r["eval"]
        acc = ev.get("accuracy", ev.get("compile_metrics", float("nan")))
        lines.append(f"{b:8s} {acc:9.4f} {ev.get('loss', float('nan')):9.4f} {r['step_ms']:9.2f} "
                     f"{r['first_step_s']:10.2f} {r['fit_seconds']:7.2f}")
    lines += ["", f"{'pair':14s} {'init identical':>14s} {'max |dW|':>10s} {'max |dloss|':>11s}  status"]
    for p in res["pairs"]:
        lines.append(f"{p['pair']:14s} {str(p['init_identical']):>14s} {p['max_weight_divergence']:10.2e} "
                     f"{p['max_loss_divergence']:11.2e}  {'ok' if p['ok'] else 'FAIL'}")
    lines.append(f"\ntolerance: rtol={res['rtol']:g} atol={res['atol']:g}; "
                 f"{'all pairs agree' if res['ok'] else 'SOME PAIRS DIVERGE'}")
    return "\n".join(lines)


def write_compare(res: dict, directory: str) -> tuple[list[str], str]:
    """``compare.json`` and ``compare.md`` always; ``compare.png`` when matplotlib is installed.
    Returns (paths, note)."""
    import json
    os.makedirs(directory, exist_ok=True)
    slim = {k: v for k, v in res.items() if k != "runs"}
    slim["runs"] = {b: {k: v for k, v in r.items() if k not in ("init", "weights")} for b, r in res["runs"].items()}
    paths = [os.path.join(directory, "compare.json"), os.path.join(directory, "compare.md")]
    with open(paths[0], "w") as f:
        json.dump(slim, f, indent=1, default=float)
    with open(paths[1], "w") as f:
        f.write("# kshim compare\n\n```\n" + format_compare(res) + "\n```\n")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return paths, "matplotlib is not installed: compare.png skipped (pip install 'kshim[plot]')"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for b, r in res["runs"].items():
        ax1.plot(r["curve"], label=b, alpha=0.8)
    ax1.set(title=f"{res['model']}: training loss per step", xlabel="step", ylabel="loss (epoch running mean)")
    ax1.legend()
    names = list(res["runs"])
    ax2.bar(names, [res["runs"][b]["step_ms"] for b in names])
    ax2.set(title="time per step (median, ms)", ylabel="ms")
    fig.tight_layout()
    png = os.path.join(directory, "compare.png")
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return paths + [png], ""

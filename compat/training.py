"""``kshim compare``: train the same model with the same seed on every backend and compare.

Every backend (and every baseline, ``study``) trains on the same batches: one permutation of the
training data per epoch from the seed (``batch_orders``). Reports per backend: final metrics on the
test split, the per-step training loss and metrics (each step's own batch: the metrics are reset
before every batch), validation metrics after each epoch, time per step (median, excluding the first
step, which includes compilation), and per pair: max divergence of the per-step loss and of the
final weights. The default model is an MLP on the bundled 8x8 digits (no download); ``cnn`` is a
small Conv2D model; a path to a script must define ``build_model()`` (returning a compiled model)
and optionally ``load_data()``.
"""

from __future__ import annotations

import functools
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


DROPOUT = 0.2
"""Dropout rate of the bundled models (``--dropout`` overrides it; 0 makes baselines comparable step by step)."""


def _compile(k: Any, model: Any) -> Any:
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=0.01),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def build_mlp(k: Any = None, dropout: float = DROPOUT) -> Any:
    """The bundled MLP, built with ``k`` (kshim by default; the real ``keras`` module for the Keras baseline)."""
    if k is None:
        import kshim as k
    L = k.layers
    return _compile(k, k.Sequential([k.Input((64,)), L.Dense(64, activation="relu"), L.Dropout(dropout), L.Dense(10)]))


def build_cnn(k: Any = None, dropout: float = DROPOUT) -> Any:
    """The bundled CNN, built with ``k`` (kshim by default; the real ``keras`` module for the Keras baseline)."""
    if k is None:
        import kshim as k
    L = k.layers
    return _compile(
        k,
        k.Sequential(
            [
                k.Input((8, 8, 1)),
                L.Conv2D(8, 3, padding="same", activation="relu"),
                L.BatchNormalization(),
                L.MaxPooling2D(2),
                L.Dropout(dropout),
                L.Flatten(),
                L.Dense(10),
            ]
        ),
    )


MODELS: dict[str, tuple[Callable, Callable]] = {
    "mlp": (build_mlp, lambda: digits(True)),
    "cnn": (build_cnn, lambda: digits(False)),
}


def load_script(path: str) -> Any:
    """Import the script at ``path`` as a module (its ``import keras`` sees whatever ``keras`` is here)."""
    spec = importlib.util.spec_from_file_location("kshim_compare_script", path)
    assert spec is not None and spec.loader is not None  # a file path always gets a source loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, "build_model"):
        raise ValueError(f"{path} must define build_model() returning a compiled model.")
    return mod


def resolve(model: str, dropout: float | None = None) -> tuple[str, Callable, Callable]:
    """``(label, build_model, load_data)`` for a zoo name or a script path.

    ``dropout`` sets the bundled models' dropout rate (``None``: ``DROPOUT``); a script's model is its own.
    """
    if model in MODELS:
        build, load = MODELS[model]
        if dropout is not None:
            build = functools.partial(build, dropout=float(dropout))
        return model, build, load
    if os.path.isfile(model):
        if dropout is not None:
            raise ValueError("--dropout applies to the bundled models (mlp, cnn) only, not to a script.")
        mod = load_script(model)
        return os.path.basename(model), mod.build_model, getattr(mod, "load_data", lambda: digits(True))
    raise ValueError(f"Unknown model {model!r}: expected one of {sorted(MODELS)} or a path to a .py script.")


def split_validation(data: tuple, validation_split: float) -> tuple:
    """``(train, validation, test)``: the last ``validation_split`` of the training arrays (as Keras'
    ``fit(validation_split=...)`` takes them) or, when it is 0, the held-out test split."""
    (x, y), (xt, yt) = data
    if not validation_split:
        return (x, y), (xt, yt), (xt, yt)
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}.")
    n = len(x) - int(len(x) * validation_split)
    return (x[:n], y[:n]), (x[n:], y[n:]), (xt, yt)


def batch_orders(n: int, epochs: int, seed: int) -> list[np.ndarray]:
    """One permutation of the ``n`` training samples per epoch, from ``seed``: every backend, Keras and the
    hand-written loops see exactly these batches in this order."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


def train_one(
    backend: str,
    build: Callable,
    data: tuple,
    epochs: int,
    batch_size: int,
    seed: int,
    validation_split: float = 0.0,
    timing: Callable | None = None,
) -> dict:
    """Train ``build()`` on ``backend``: one ``fit`` per epoch on that epoch's permutation (``batch_orders``).

    The metrics are reset before every batch, so each step's logs are that batch's own loss and metrics
    (the loss before the update, as ``train_on_batch`` returns it), not the epoch's running mean.
    ``timing(model, batches)`` (``study.time_kshim``) adds the forward/backward/optimizer split.
    """
    import kshim
    from kshim._alias import check_kshim_model

    (x, y), (xv, yv), (xt, yt) = split_validation(data, validation_split)
    kshim.utils.clear_session(free_memory=False)
    kshim.utils.set_random_seed(seed)
    with kshim.backend.use(backend):
        model = build()
        check_kshim_model(model, "build_model()")
        init = [np.asarray(w) for w in model.get_weights()]
        curve: list[float] = []
        metrics: dict[str, list[float]] = {}
        steps: list[float] = []  # wall time of each step: batch begin (after the metrics reset) to batch end
        began = [0.0]

        def on_begin(batch, logs):
            model.reset_metrics()
            began[0] = time.perf_counter()

        def on_end(batch, logs):
            steps.append(time.perf_counter() - began[0])
            for name, v in (logs or {}).items():
                metrics.setdefault(name, []).append(float(v))
            if logs and "loss" in logs:
                curve.append(float(logs["loss"]))

        cb = kshim.callbacks.LambdaCallback(on_train_batch_begin=on_begin, on_train_batch_end=on_end)
        val: dict[str, list[float]] = {}
        fit_s = 0.0
        for order in batch_orders(len(x), epochs, seed):
            t = time.perf_counter()
            model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
            fit_s += time.perf_counter() - t
            for name, v in model.evaluate(xv, yv, batch_size=256, verbose=0, return_dict=True).items():
                val.setdefault(name, []).append(float(v))
        ev = model.evaluate(xt, yt, batch_size=256, verbose=0, return_dict=True)
        res = {
            "backend": backend,
            "init": init,
            "weights": [np.asarray(w) for w in model.get_weights()],
            "curve": curve,
            "step_metrics": metrics,
            "val": val,
            "eval": {k: float(v) for k, v in ev.items()},
            "fit_seconds": fit_s,
            "first_step_s": float(steps[0]) if steps else 0.0,
            "step_ms": float(np.median(steps[1:]) * 1e3) if len(steps) > 1 else float("nan"),
        }
        if timing is not None:
            order = batch_orders(len(x), 1, seed)[0]
            res["timing"] = timing(
                model,
                [
                    (x[order[i : i + batch_size]], y[order[i : i + batch_size]])
                    for i in range(0, len(order) - batch_size + 1, batch_size)
                ],
            )
        return res


def pair_stats(ra: dict, rb: dict, rtol: float, atol: float, name: str) -> dict:
    """Divergence of two runs: initial weights, final weights, per-step loss (and the per-step |dloss| curve)."""
    init_ok = len(ra["init"]) == len(rb["init"]) and all(
        p.shape == q.shape and compare_arrays(p, q, 0.0, 0.0)[2] for p, q in zip(ra["init"], rb["init"])
    )
    wdiv, w_ok = 0.0, len(ra["weights"]) == len(rb["weights"])
    for p, q in zip(ra["weights"], rb["weights"]):
        if p.shape != q.shape:
            w_ok = False
            continue
        ma, _, ok, _ = compare_arrays(p, q, rtol, atol)
        wdiv, w_ok = max(wdiv, ma), w_ok and ok
    ca, cb = np.asarray(ra["curve"], dtype="float64"), np.asarray(rb["curve"], dtype="float64")
    n = min(len(ca), len(cb))
    cdiv, _, c_ok, _ = compare_arrays(ca[:n], cb[:n], rtol, atol) if n else (0.0, 0.0, True, None)
    return {
        "pair": name,
        "init_identical": bool(init_ok),
        "max_weight_divergence": float(wdiv),
        "max_loss_divergence": float(cdiv),
        "loss_divergence_curve": np.abs(ca[:n] - cb[:n]).tolist(),
        "ok": bool(init_ok and w_ok and c_ok and len(ca) == len(cb)),
    }


def train_tolerance() -> tuple[float, float]:
    rtol, atol = tolerances.get("training", "float32")
    return rtol * TRAIN_RTOL_FACTOR, atol * TRAIN_RTOL_FACTOR


def run_compare(
    model: str = "mlp",
    backends: list[str] | None = None,
    epochs: int = 3,
    batch_size: int = 64,
    seed: int = 1337,
    validation_split: float = 0.0,
    dropout: float | None = None,
    timing: Callable | None = None,
    resolved: tuple | None = None,
) -> dict:
    """Train ``model`` on every backend from ``seed`` and compare each pair (one seed; ``study.run_study``
    runs several, with baselines and a trace)."""
    from kshim import backends as reg

    backends = list(backends or [b for b in reg.available() if b in ("numpy", "jax", "torch")])
    label, build, load = resolved or resolve(model, dropout)
    data = load()
    runs = {b: train_one(b, build, data, epochs, batch_size, seed, validation_split, timing) for b in backends}
    rtol, atol = train_tolerance()
    pairs = [pair_stats(runs[a], runs[b], rtol, atol, f"{a}~{b}") for a, b in itertools.combinations(backends, 2)]
    return {
        "model": label,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "rtol": rtol,
        "atol": atol,
        "validation": f"validation_split={validation_split:g}" if validation_split else "held-out test split",
        "runs": runs,
        "pairs": pairs,
        "ok": all(p["ok"] for p in pairs),
    }


def format_compare(res: dict) -> str:
    lines = [
        f"kshim compare: {res['model']}, {res['epochs']} epoch(s), batch {res['batch_size']}, seed {res['seed']}",
        "",
        f"{'backend':8s} {'accuracy':>9s} {'loss':>9s} {'ms/step':>9s} {'1st step s':>10s} {'fit s':>7s}",
    ]
    for b, r in res["runs"].items():
        ev = r["eval"]
        acc = ev.get("accuracy", ev.get("compile_metrics", float("nan")))
        lines.append(
            f"{b:8s} {acc:9.4f} {ev.get('loss', float('nan')):9.4f} {r['step_ms']:9.2f} "
            f"{r['first_step_s']:10.2f} {r['fit_seconds']:7.2f}"
        )
    lines += ["", f"{'pair':14s} {'init identical':>14s} {'max |dW|':>10s} {'max |dloss|':>11s}  status"]
    for p in res["pairs"]:
        lines.append(
            f"{p['pair']:14s} {str(p['init_identical']):>14s} {p['max_weight_divergence']:10.2e} "
            f"{p['max_loss_divergence']:11.2e}  {'ok' if p['ok'] else 'FAIL'}"
        )
    lines.append(
        f"\ntolerance: rtol={res['rtol']:g} atol={res['atol']:g}; "
        f"{'all pairs agree' if res['ok'] else 'SOME PAIRS DIVERGE'}"
    )
    return "\n".join(lines)


def write_compare(res: dict, directory: str, text: str | None = None) -> tuple[list[str], str]:
    """Write the report of a comparison or a study into ``directory`` (``study_report.write``: compare.md,
    .json, .csv, .html and the PNG plots). ``text``: the terminal output to include (default: the tables).
    Returns (paths, note)."""
    from . import study_report

    return study_report.write(res, directory, text if text is not None else format_compare(res))

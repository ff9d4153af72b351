"""``--baseline keras``: the same model trained by real Keras 3, in a subprocess per Keras backend.

Keras picks its backend once, at import (``KERAS_BACKEND``), and kshim's ``keras`` alias must not be
in force, so each Keras backend runs in its own ``python -m kshim.compat.study_keras JOB_DIR`` with
``KERAS_BACKEND`` set. The parent writes the job (the data, each seed's batch order and kshim's
initial weights); the child builds the model with real Keras (the bundled builders with the
``keras`` module, or the script's ``build_model()``, whose ``import keras`` is real Keras there),
``set_weights`` kshim's initial weights, trains with ``train_on_batch`` on exactly kshim's batches,
evaluates the validation split after each epoch and the test split at the end, times the
forward/backward/optimizer split, and writes the results back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from . import training

TIMEOUT_S = 900


def installed() -> bool:
    from importlib import metadata

    try:
        return metadata.version("keras").startswith("3.")
    except metadata.PackageNotFoundError:
        return False


def run(
    keras_backend: str,
    model: str,
    data: tuple,
    inits: list,
    seeds: list,
    epochs: int,
    batch_size: int,
    dropout: float | None,
    repeats: int,
) -> list[dict]:
    """One run dict per seed (as ``training.train_one``), or ``{"error": ...}`` per seed if the child failed.

    Raises:
        ImportError: real Keras 3 is not installed.
    """
    if not installed():
        raise ImportError("--baseline keras needs real Keras 3: pip install 'kshim[oracle]'")
    (x, y), (xv, yv), (xt, yt) = data
    with tempfile.TemporaryDirectory(prefix="kshim-keras-") as job:
        arrays = {"x": x, "y": y, "xv": xv, "yv": yv, "xt": xt, "yt": yt}
        for s, (seed, init) in enumerate(zip(seeds, inits)):
            for e, order in enumerate(training.batch_orders(len(x), epochs, seed)):
                arrays[f"order_{s}_{e}"] = order
            for i, w in enumerate(init):
                arrays[f"init_{s}_{i}"] = w
        np.savez(os.path.join(job, "job.npz"), **arrays)
        spec = {
            "model": model if model in training.MODELS else os.path.abspath(model),
            "dropout": dropout,
            "seeds": list(seeds),
            "n_weights": [len(i) for i in inits],
            "epochs": epochs,
            "batch_size": batch_size,
            "repeats": repeats,
        }
        with open(os.path.join(job, "job.json"), "w") as f:
            json.dump(spec, f)
        env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_ALIAS_KERAS", "KSHIM_BACKEND")}
        env["KERAS_BACKEND"] = keras_backend
        try:
            p = subprocess.run(
                [sys.executable, "-m", "kshim.compat.study_keras", job],
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return [{"error": f"real Keras on {keras_backend} did not finish in {TIMEOUT_S} s"}] * len(seeds)
        out = os.path.join(job, "result.json")
        if p.returncode != 0 or not os.path.exists(out):
            tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or [f"exit status {p.returncode}"]
            return [{"error": f"real Keras on {keras_backend} failed: {tail[0]}"}] * len(seeds)
        with open(out) as f:
            results = json.load(f)
        weights = np.load(os.path.join(job, "result.npz"))
        for s, r in enumerate(results):
            if "error" not in r:
                r["init"] = [np.asarray(w) for w in inits[s]]
                r["weights"] = [weights[f"w_{s}_{i}"] for i in range(r.pop("n_final"))]
        return results


# ---- the child --------------------------------------------------------------------------------------
def _build(keras: Any, spec: dict) -> Any:
    name = spec["model"]
    if name in training.MODELS:
        build = training.MODELS[name][0]
        return build(keras, training.DROPOUT if spec["dropout"] is None else spec["dropout"])
    model = training.load_script(name).build_model()
    if not type(model).__module__.startswith("keras"):
        raise TypeError(
            f"build_model() in {os.path.basename(name)} returned a {type(model).__module__} model, "
            f"not a real Keras one: the Keras baseline needs a script that says `import keras`."
        )
    return model


def _timing(keras: Any, model: Any, batches: list, repeats: int) -> dict:
    from .study import measure

    backend = keras.backend.backend()
    loss_obj = keras.losses.get(model.loss) if isinstance(model.loss, str) else model.loss

    def tv() -> list:  # read per call: train_on_batch donates (deletes) the previous buffers on jax
        return [v.value for v in model.trainable_variables]

    def ntv() -> list:
        return [v.value for v in model.non_trainable_variables]

    if backend == "jax":
        import jax

        jfwd = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=True)[0])
        vg = jax.jit(
            jax.value_and_grad(lambda tv, ntv, x, y: loss_obj(y, model.stateless_call(tv, ntv, x, training=True)[0]))
        )
        calls = {
            "forward": lambda b: np.asarray(jfwd(tv(), ntv(), b[0])),
            "forward_grad": lambda b: float(vg(tv(), ntv(), b[0], b[1])[0]),
        }
    elif backend == "torch":
        import torch

        def fwd(b):
            with torch.no_grad():
                return model(b[0], training=True).cpu().numpy()

        def fwd_grad(b):
            model.zero_grad()
            loss = loss_obj(b[1], model(b[0], training=True))
            loss.backward()
            return float(loss.detach())

        calls = {"forward": fwd, "forward_grad": fwd_grad}
    else:
        return {"error": f"no timing split for Keras backend {backend}"}
    calls["step"] = lambda b: model.train_on_batch(b[0], b[1])
    dev = [(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)) for x, y in batches]
    return measure(calls, dev, repeats)


def _train(keras: Any, spec: dict, arrays: Any, s: int) -> tuple[dict, list]:
    seed, bs = spec["seeds"][s], spec["batch_size"]
    keras.utils.set_random_seed(seed)
    model = _build(keras, spec)
    model.set_weights([arrays[f"init_{s}_{i}"] for i in range(spec["n_weights"][s])])
    x, y = arrays["x"], arrays["y"]
    curve, steps = [], []
    metrics: dict[str, list] = {}
    val: dict[str, list] = {}
    t0 = time.perf_counter()
    for e in range(spec["epochs"]):
        order = arrays[f"order_{s}_{e}"]
        for i in range(0, len(order), bs):
            idx = order[i : i + bs]
            t = time.perf_counter()
            logs = model.train_on_batch(x[idx], y[idx], return_dict=True)
            steps.append(time.perf_counter() - t)
            for k, v in logs.items():
                metrics.setdefault(k, []).append(float(v))
            curve.append(float(logs["loss"]))
        for k, v in model.evaluate(arrays["xv"], arrays["yv"], batch_size=256, verbose=0, return_dict=True).items():
            val.setdefault(k, []).append(float(v))
    fit_s = time.perf_counter() - t0
    ev = model.evaluate(arrays["xt"], arrays["yt"], batch_size=256, verbose=0, return_dict=True)
    final = [np.asarray(w) for w in model.get_weights()]
    res = {
        "backend": f"keras-{keras.backend.backend()}",
        "curve": curve,
        "step_metrics": metrics,
        "val": val,
        "eval": {k: float(v) for k, v in ev.items()},
        "fit_seconds": fit_s,
        "first_step_s": steps[0],
        "step_ms": float(np.median(steps[1:]) * 1e3) if len(steps) > 1 else float("nan"),
        "n_final": len(final),
        "keras_version": keras.__version__,
    }
    if spec["repeats"]:
        order = arrays[f"order_{s}_0"]
        batches = [(x[order[i : i + bs]], y[order[i : i + bs]]) for i in range(0, min(len(order) - bs + 1, 8 * bs), bs)]
        try:
            res["timing"] = _timing(keras, model, batches, spec["repeats"])
        except Exception as e:  # noqa: BLE001 - report, keep the training results
            res["timing"] = {"error": f"{type(e).__name__}: {e}"}
    return res, final


def main(job: str) -> int:
    with open(os.path.join(job, "job.json")) as f:
        spec = json.load(f)
    import keras

    if getattr(keras, "__name__", "") != "keras" or not hasattr(keras, "__version__"):
        raise RuntimeError(f"`import keras` gave {keras!r}, not real Keras 3")
    arrays = np.load(os.path.join(job, "job.npz"))
    results, weights = [], {}
    for s in range(len(spec["seeds"])):
        try:
            res, final = _train(keras, spec, arrays, s)
        except Exception as e:  # noqa: BLE001 - the column says why it is empty
            res, final = {"error": f"{type(e).__name__}: {e}"}, []
        results.append(res)
        weights.update({f"w_{s}_{i}": w for i, w in enumerate(final)})
    np.savez(os.path.join(job, "result.npz"), **weights)
    with open(os.path.join(job, "result.json"), "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

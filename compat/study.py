"""``kshim compare`` studies: several seeds, real-Keras and hand-written baselines, a timing split, a trace.

``run_study`` trains the model once per seed on every kshim backend (``training.run_compare``), adds
the baselines as extra columns (``"keras-jax"``, ``"keras-torch"``: real Keras 3 in a subprocess per
Keras backend, ``study_keras``; ``"native-torch"``, ``"native-jax"``: hand-written loops for the
bundled models, ``study_native``), all from kshim's initial weights and on the same batches, then
summarises over the seeds: mean, std, min and max of every final metric and of every pair's
divergence, and the median/min/max over repetitions of the forward, backward and optimizer times.
``--trace`` adds ``compat.trace.trace_divergence`` (where backends first diverge).
"""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from . import training

BASELINES = ("keras", "native")
STOCHASTIC_LAYERS = (
    "Dropout",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
)
"""Layers whose training-time draws differ between kshim and another framework (same distribution, other bits)."""


def summary(values: Sequence[float]) -> dict:
    """``{"mean", "std", "min", "max", "n"}`` of ``values`` (population std; NaNs where there are none)."""
    a = np.asarray([v for v in values if v is not None], dtype="float64")
    if not a.size:
        return {"mean": float("nan"), "std": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {
        "mean": float(a.mean()),
        "std": float(a.std()),
        "min": float(a.min()),
        "max": float(a.max()),
        "n": int(a.size),
    }


def spread(values: Sequence[float] | np.ndarray) -> dict:
    """``{"median", "min", "max", "n"}`` of timing repetitions (ms)."""
    a = np.asarray(values, dtype="float64")
    if not a.size:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "n": 0}
    return {"median": float(np.median(a)), "min": float(a.min()), "max": float(a.max()), "n": int(a.size)}


def split_phases(fwd: list[float], fwd_grad: list[float], step: list[float]) -> dict:
    """Per-repetition ms of the three measured calls -> forward, backward (= forward+gradient - forward),
    optimizer (= full step - forward+gradient) and step, each as ``spread``."""
    f, g, s = (np.asarray(v, dtype="float64") for v in (fwd, fwd_grad, step))
    return {
        "forward": spread(f),
        "backward": spread(np.maximum(g - f, 0.0)),
        "optimizer": spread(np.maximum(s - g, 0.0)),
        "step": spread(s),
    }


def measure(calls: dict[str, Callable[[Any], Any]], batches: list, repeats: int) -> dict:
    """Time each of ``calls`` ("forward", "forward_grad", "step": one batch -> a host value, synchronised)
    over ``batches``, ``repeats`` times after a warm-up, and split the result into phases (ms per step)."""
    for fn in calls.values():
        for b in batches[:1] * 3:  # compile / trace (torch traces after two eager calls) before timing
            fn(b)
    per: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(repeats):
        for k, fn in calls.items():
            t = time.perf_counter()
            for b in batches:
                fn(b)
            per[k].append((time.perf_counter() - t) * 1e3 / len(batches))
    return split_phases(per["forward"], per["forward_grad"], per["step"])


def time_kshim(model: Any, batches: list, repeats: int = 5, max_batches: int = 8) -> dict:
    """The timing split for a trained kshim model on the active backend: a jitted forward-only
    ``stateless_call``, a jitted ``value_and_grad`` of the loss, and ``train_on_batch`` (the full step)."""
    import kshim

    b = kshim.backend.current()
    batches = batches[:max_batches]
    if not batches:
        return {"error": "no full batch to time"}
    try:
        tvars, ntvars = model.trainable_variables, model.non_trainable_variables

        def fwd(tv, ntv, x):
            return model.stateless_call(tv, ntv, x, training=True)[0]

        def loss(tv, ntv, x, y):
            y_pred, _ = model.stateless_call(tv, ntv, x, training=True)
            return model.compute_loss(x, y, y_pred)

        jf, jg = b.jit(fwd), b.jit(b.value_and_grad(loss, argnums=0))
        dev = [(kshim.ops.convert_to_tensor(x), kshim.ops.convert_to_tensor(y)) for x, y in batches]
        host = {id(d): h for d, h in zip(dev, batches)}
        # the values are read per call: the jitted train step donates (deletes) the previous buffers on jax
        calls = {
            "forward": lambda d: b.to_numpy(jf([v.value for v in tvars], [v.value for v in ntvars], d[0])),
            "forward_grad": lambda d: b.to_numpy(
                jg([v.value for v in tvars], [v.value for v in ntvars], d[0], d[1])[0]
            ),
            "step": lambda d: model.train_on_batch(*host[id(d)]),
        }
        return measure(calls, dev, repeats)
    except Exception as e:  # noqa: BLE001 - a model the split cannot drive (custom steps, ...): say why
        return {"error": f"{type(e).__name__}: {e}"}


def stochastic(build: Callable, backend: str) -> list[str]:
    """Names of the layers of ``build()`` that draw random numbers while training (rate > 0)."""
    import kshim

    with kshim.backend.use(backend):
        model = build()
        out = []
        for layer in model._flatten_layers(include_self=False):
            if type(layer).__name__ in STOCHASTIC_LAYERS or type(layer).__name__.startswith("Random"):
                if float(getattr(layer, "rate", getattr(layer, "stddev", 1.0)) or 0.0) > 0.0:
                    out.append(layer.name)
        return out


def run_study(
    model: str = "mlp",
    backends: list[str] | None = None,
    epochs: int = 3,
    batch_size: int = 64,
    seeds: Sequence[int] = (1337,),
    baselines: Sequence[str] = (),
    trace: bool = False,
    validation_split: float = 0.0,
    dropout: float | None = None,
    timing_repeats: int = 5,
    keras_backends: Sequence[str] | None = None,
    trace_steps: int = 5,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Run a study (see the module docstring).

    Args:
        model: ``"mlp"``, ``"cnn"`` or a script path (``training.resolve``).
        backends: kshim backends (default: every installed one).
        epochs, batch_size: of every run.
        seeds: one full comparison per seed.
        baselines: any of ``"keras"`` (real Keras 3 on each of ``keras_backends``, default the jax and
            torch among ``backends``) and ``"native"`` (hand-written torch and JAX loops; bundled models only).
        trace: also run ``compat.trace.trace_divergence`` on the first seed.
        validation_split: hold out this last fraction of the training data for the validation curves
            (0: the test split is the validation set).
        dropout: dropout rate of the bundled models (``None``: their default; 0 makes baselines comparable).
        timing_repeats: repetitions of the timing split (0: no split).
        trace_steps: steps of the trace.
        log: called with a progress line before each phase.

    Returns:
        The study (``format_study``, ``study_report.write``): ``per_seed`` (one ``run_compare`` result per
        seed, baselines included as runs and pairs), ``stats``, ``trace``, ``ok``.

    Raises:
        ValueError: unknown baseline, ``native`` for a script, or a backend a baseline needs is missing.
    """
    from kshim import backends as reg

    say = log or (lambda s: None)
    backends = list(backends or [b for b in reg.available() if b in ("numpy", "jax", "torch")])
    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise ValueError(f"Unknown baseline(s) {unknown}: expected {list(BASELINES)}.")
    if "native" in baselines and model not in training.MODELS:
        raise ValueError(
            f"--baseline native has hand-written loops for the bundled models {sorted(training.MODELS)} "
            f"only, not for {model!r}."
        )
    tracer = _trace_module() if trace else None  # fail before training when the tracer is missing
    resolved = training.resolve(model, dropout)
    label, build, load = resolved
    timing = (lambda m, b: time_kshim(m, b, timing_repeats)) if timing_repeats else None
    per_seed = []
    for seed in seeds:
        say(f"seed {seed}: kshim on {', '.join(backends)}")
        per_seed.append(
            training.run_compare(
                model, backends, epochs, batch_size, seed, validation_split, dropout, timing, resolved=resolved
            )
        )
    noisy = stochastic(build, backends[0])
    if baselines:
        data = training.split_validation(load(), validation_split)
        _add_baselines(
            per_seed,
            baselines,
            model,
            label,
            data,
            epochs,
            batch_size,
            dropout,
            timing_repeats,
            keras_backends,
            backends,
            noisy,
            say,
        )
    study = {
        "model": label,
        "epochs": epochs,
        "batch_size": batch_size,
        "seeds": list(seeds),
        "backends": backends,
        "baselines": list(baselines),
        "stochastic_layers": noisy,
        "validation": per_seed[0]["validation"],
        "rtol": per_seed[0]["rtol"],
        "atol": per_seed[0]["atol"],
        "per_seed": per_seed,
        "stats": aggregate(per_seed),
    }
    study["trace"] = run_trace(tracer, model, backends, seeds[0], trace_steps, batch_size, say) if trace else None
    study["ok"] = all(r["ok"] for r in per_seed)
    return study


def _add_baselines(
    per_seed: list[dict],
    baselines: Sequence[str],
    model: str,
    label: str,
    data: tuple,
    epochs: int,
    batch_size: int,
    dropout: float | None,
    repeats: int,
    keras_backends: Sequence[str] | None,
    backends: list[str],
    noisy: list[str],
    say: Callable[[str], None],
) -> None:
    from . import study_keras, study_native

    seeds = [r["seed"] for r in per_seed]
    inits = [next(iter(r["runs"].values()))["init"] for r in per_seed]
    cols: dict[str, list[dict]] = {}
    if "keras" in baselines:
        for kb in keras_backends or [b for b in ("jax", "torch") if b in backends] or ["jax"]:
            say(f"baseline: real Keras 3 on {kb} (subprocess), seeds {seeds}")
            cols[f"keras-{kb}"] = study_keras.run(kb, model, data, inits, seeds, epochs, batch_size, dropout, repeats)
    if "native" in baselines:
        for nb in study_native.available():
            say(f"baseline: hand-written {nb} loop, seeds {seeds}")
            cols[f"native-{nb}"] = [
                study_native.run(
                    nb,
                    model,
                    data,
                    init,
                    seed,
                    epochs,
                    batch_size,
                    training.DROPOUT if dropout is None else dropout,
                    repeats,
                )
                for init, seed in zip(inits, seeds)
            ]
    for col, runs in cols.items():
        ref = col.split("-", 1)[1]
        ref = ref if ref in backends else backends[0]
        for res, run in zip(per_seed, runs):
            res["runs"][col] = run
            if "error" in run:
                continue
            p = training.pair_stats(run, res["runs"][ref], res["rtol"], res["atol"], f"{col}~{ref}")
            p["baseline"] = True
            p["comparable"] = not noisy
            if noisy:  # different random draws: the numbers are a measurement, not a pass/fail check
                p["note"] = f"{', '.join(noisy)} draw other random numbers in {col}: divergence expected"
            res["pairs"].append(p)
            res["ok"] = res["ok"] and (p["ok"] or not p["comparable"])


def aggregate(per_seed: list[dict]) -> dict:
    """Over the seeds: final metrics per column, divergence per pair, timing phases per column."""
    final: dict[str, dict] = {}
    timing: dict[str, dict] = {}
    for col in per_seed[0]["runs"]:
        runs = [r["runs"].get(col, {}) for r in per_seed]
        names = sorted({k for run in runs for k in run.get("eval", {})})
        final[col] = {k: summary([run.get("eval", {}).get(k) for run in runs]) for k in names}
        final[col]["step_ms"] = summary([run.get("step_ms") for run in runs])
        phases = [run["timing"] for run in runs if isinstance(run.get("timing"), dict) and "step" in run["timing"]]
        if phases:  # the seeds' repetitions pooled: medians of the per-seed medians, extremes of all
            timing[col] = {
                ph: {
                    "median": float(np.median([p[ph]["median"] for p in phases])),
                    "min": min(p[ph]["min"] for p in phases),
                    "max": max(p[ph]["max"] for p in phases),
                    "n": sum(p[ph]["n"] for p in phases),
                }
                for ph in ("forward", "backward", "optimizer", "step")
            }
    pairs: dict[str, dict] = {}
    for name in dict.fromkeys(p["pair"] for r in per_seed for p in r["pairs"]):
        ps = [p for r in per_seed for p in r["pairs"] if p["pair"] == name]
        pairs[name] = {
            "max_weight_divergence": summary([p["max_weight_divergence"] for p in ps]),
            "max_loss_divergence": summary([p["max_loss_divergence"] for p in ps]),
            "ok": sum(bool(p["ok"]) for p in ps),
            "n": len(ps),
            "comparable": all(p.get("comparable", True) for p in ps),
            "baseline": any(p.get("baseline") for p in ps),
        }
    return {"final": final, "pairs": pairs, "timing": timing}


def _trace_module() -> Any:
    try:
        from . import trace as trace_mod
    except ImportError as e:
        raise ImportError(
            f"--trace needs kshim.compat.trace (the divergence tracer), which cannot be imported: {e}"
        ) from e
    return trace_mod


def run_trace(
    trace_mod: Any, model: str, backends: list[str], seed: int, steps: int, batch_size: int, say: Callable[[str], None]
) -> dict:
    """``trace_mod.trace_divergence`` on the study's model: its markdown, dict, first divergence and the
    result object (for its plot)."""
    say(f"trace: {steps} steps on {', '.join(backends)}, seed {seed}")
    t0 = time.perf_counter()
    res = trace_mod.trace_divergence(model, backends=backends, seed=seed, steps=steps, batch_size=batch_size)
    return {
        "markdown": res.to_markdown(),
        "data": res.as_dict(),
        "first_divergence": res.first_divergence(),
        "seconds": time.perf_counter() - t0,
        "result": res,
    }


def fmt_summary(s: dict, spec: str = ".4f") -> str:
    if not s.get("n"):
        return "-"
    if s["n"] == 1:
        return format(s["mean"], spec)
    return f"{s['mean']:{spec}} ± {s['std']:{spec}} [{s['min']:{spec}}, {s['max']:{spec}}]"


def format_study(study: dict) -> str:
    """The terminal tables of a study (``format_compare`` prints a one-seed run without baselines)."""
    st = study["stats"]
    seeds = study["seeds"]
    lines = [
        f"kshim compare: {study['model']}, {study['epochs']} epoch(s), batch {study['batch_size']}, "
        f"seeds {', '.join(map(str, seeds))}; validation: {study['validation']}",
        "",
    ]
    names = [n for n in dict.fromkeys(k for f in st["final"].values() for k in f) if n != "step_ms"]
    lines.append(f"{'column':13s} " + " ".join(f"{n:>34s}" for n in names))
    for col, f in st["final"].items():
        lines.append(f"{col:13s} " + " ".join(f"{fmt_summary(f.get(n, {})):>34s}" for n in names))
    lines += ["", f"{'pair':20s} {'max |dW|':>36s} {'max |dloss|':>36s}  status"]
    for name, p in st["pairs"].items():
        status = f"ok {p['ok']}/{p['n']}" if p["comparable"] else "n/a (other random draws)"
        lines.append(
            f"{name:20s} {fmt_summary(p['max_weight_divergence'], '.2e'):>36s} "
            f"{fmt_summary(p['max_loss_divergence'], '.2e'):>36s}  {status}"
        )
    if st["timing"]:
        lines += [
            "",
            f"{'column':13s} " + " ".join(f"{ph + ' ms':>24s}" for ph in ("forward", "backward", "optimizer", "step")),
        ]
        for col, t in st["timing"].items():
            lines.append(
                f"{col:13s} "
                + " ".join(
                    f"{t[ph]['median']:8.3f} [{t[ph]['min']:.3f}, {t[ph]['max']:.3f}]".rjust(24)
                    for ph in ("forward", "backward", "optimizer", "step")
                )
            )
    errors = [(col, r["error"]) for res in study["per_seed"] for col, r in res["runs"].items() if "error" in r]
    for col, err in dict(errors).items():
        lines.append(f"\n{col}: not run: {err}")
    if study.get("trace"):
        lines += ["", "Divergence trace (first seed):", study["trace"]["markdown"]]
    lines.append(
        f"\ntolerance: rtol={study['rtol']:g} atol={study['atol']:g}; "
        f"{'all comparable pairs agree' if study['ok'] else 'SOME PAIRS DIVERGE'}"
    )
    return "\n".join(lines)


STUDY_LEGEND = (
    "Legend: a cell 'm ± s [lo, hi]' is the mean ± standard deviation [min, max] over the seeds (one value: one "
    "seed). Columns numpy/jax/torch are kshim; keras-B is real Keras 3 on backend B; native-B a hand-written B "
    "loop; all start from kshim's initial weights and see the same batches. accuracy, loss, ... = evaluation on "
    "the test split after training. max |dW| = max |a - b| over the final weights, max |dloss| = over the "
    "per-step training loss; 'ok k/n' = within tolerance for k of the n seeds; 'n/a' = the columns draw other "
    "dropout/noise masks, so they differ by design (use --dropout 0 to compare them step by step). Times: median "
    "[min, max] over repetitions, ms per step; forward = a forward-only call, backward = forward+gradient minus "
    "forward, optimizer = the full train_on_batch step minus forward+gradient (it includes the step's metric "
    "updates and host overhead)."
)

"""``kshim compare --report DIR``: Markdown, JSON (with the environment), CSV of every curve, PNG plots and a
self-contained HTML page (``report_html``) for a study (``study.run_study``) or a one-seed comparison.

Files: ``compare.md``, ``compare.json``, ``compare.csv``, ``compare.html`` always; with matplotlib also
``compare.png`` (per-step training loss and divergence vs step), ``validation.png``, ``timing.png`` and,
with ``--trace``, ``trace.png``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import subprocess
import sys
from typing import Any

import numpy as np

SECTIONS = (("Final metrics (test split)", "final"), ("Divergence", "pairs"), ("Timing (ms per step)", "timing"))


def as_study(res: dict) -> dict:
    """A one-seed ``training.run_compare`` result in the shape of a study."""
    if "per_seed" in res:
        return res
    from .study import aggregate

    return {
        "model": res["model"],
        "epochs": res["epochs"],
        "batch_size": res["batch_size"],
        "seeds": [res["seed"]],
        "backends": [b for b in res["runs"]],
        "baselines": [],
        "stochastic_layers": [],
        "validation": res.get("validation", "held-out test split"),
        "rtol": res["rtol"],
        "atol": res["atol"],
        "per_seed": [res],
        "stats": aggregate([res]),
        "trace": None,
        "ok": res["ok"],
    }


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> str | None:
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _gpus() -> list[str]:
    out = []
    torch = sys.modules.get("torch")  # only what is already imported: a report never loads a framework
    if torch is not None and torch.cuda.is_available():
        out += [f"torch: {torch.cuda.get_device_name(i)}" for i in range(torch.cuda.device_count())]
    jax = sys.modules.get("jax")
    if jax is not None:
        out += [f"jax: {d.device_kind}" for d in jax.devices() if d.platform != "cpu"]
    return out


def environment(study: dict) -> dict:
    """Versions, threads, CPU/GPU, seeds and the git revision of the kshim checkout (None outside one)."""
    torch = sys.modules.get("torch")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {d: _version(d) for d in ("kshim", "numpy", "jax", "jaxlib", "torch", "keras")},
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": {
            "torch": torch.get_num_threads() if torch is not None else None,
            **{k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")},
        },
        "gpus": _gpus(),
        "seeds": list(study["seeds"]),
        "git_revision": _git_revision(),
    }


def _slim_run(run: dict) -> dict:
    return {k: v for k, v in run.items() if k not in ("init", "weights")}


def to_json(study: dict, env: dict) -> dict:
    """The JSON document; ``runs``/``pairs`` are the first seed's (as before studies), ``per_seed`` all."""
    per_seed = [
        {**{k: v for k, v in r.items() if k != "runs"}, "runs": {c: _slim_run(x) for c, x in r["runs"].items()}}
        for r in study["per_seed"]
    ]
    tr = study.get("trace")
    doc = {k: v for k, v in study.items() if k not in ("per_seed", "trace")}
    doc.update(
        {
            "environment": env,
            "runs": per_seed[0]["runs"],
            "pairs": per_seed[0]["pairs"],
            "per_seed": per_seed,
            "seed": study["seeds"][0],
            "trace": None
            if not tr
            else {"first_divergence": tr["first_divergence"], "data": tr["data"], "seconds": tr["seconds"]},
        }
    )
    return doc


def curve_rows(study: dict) -> list[tuple]:
    """``(seed, series, column, x, value)`` for every curve: ``train_<metric>`` per step, ``val_<metric>`` per
    epoch, ``dloss`` (|loss difference| per step) per pair."""
    rows = []
    for res in study["per_seed"]:
        seed = res["seed"]
        for col, run in res["runs"].items():
            for name, values in (run.get("step_metrics") or {"loss": run.get("curve", [])}).items():
                rows += [(seed, f"train_{name}", col, i, v) for i, v in enumerate(values)]
            for name, values in (run.get("val") or {}).items():
                rows += [(seed, f"val_{name}", col, i + 1, v) for i, v in enumerate(values)]
        for p in res["pairs"]:
            rows += [(seed, "dloss", p["pair"], i, v) for i, v in enumerate(p.get("loss_divergence_curve", []))]
    return rows


def to_csv(study: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["seed", "series", "column", "x", "value"])
    for row in curve_rows(study):
        w.writerow([*row[:4], repr(float(row[4]))])
    return buf.getvalue()


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])


def tables(study: dict) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The report's tables as (header, rows) of strings: final metrics, pairs, timing, environment."""
    from .study import fmt_summary

    st = study["stats"]
    names = [n for n in dict.fromkeys(k for f in st["final"].values() for k in f)]
    head = ["column"] + ["ms/step in fit" if n == "step_ms" else n for n in names]
    out = {
        "final": (
            head,
            [
                [c] + [fmt_summary(f.get(n, {}), ".2f" if n == "step_ms" else ".4f") for n in names]
                for c, f in st["final"].items()
            ],
        )
    }
    out["pairs"] = (
        ["pair", "max abs dW", "max abs dloss", "status"],
        [
            [
                n,
                fmt_summary(p["max_weight_divergence"], ".2e"),
                fmt_summary(p["max_loss_divergence"], ".2e"),
                f"ok {p['ok']}/{p['n']}" if p["comparable"] else "n/a (other random draws)",
            ]
            for n, p in st["pairs"].items()
        ],
    )
    phases = ("forward", "backward", "optimizer", "step")
    out["timing"] = (
        ["column"] + [f"{ph} ms median [min, max]" for ph in phases],
        [
            [c] + [f"{t[ph]['median']:.3f} [{t[ph]['min']:.3f}, {t[ph]['max']:.3f}]" for ph in phases]
            for c, t in st["timing"].items()
        ],
    )
    return out


def env_rows(env: dict) -> list[list[str]]:
    rows = [
        ["python", env["python"]],
        ["platform", env["platform"]],
        ["CPU", f"{env['cpu']} ({env['cpu_count']} cores)"],
        ["GPU", ", ".join(env["gpus"]) or "none used"],
        ["seeds", ", ".join(map(str, env["seeds"]))],
        ["git revision", env["git_revision"] or "not in a git checkout"],
    ]
    rows += [[d, v or "not installed"] for d, v in env["versions"].items()]
    rows += [[f"threads: {k}", str(v)] for k, v in env["threads"].items() if v is not None]
    return rows


def to_markdown(study: dict, env: dict, text: str, images: list[str]) -> str:
    parts = [
        f"# kshim compare: {study['model']}",
        "",
        f"{study['epochs']} epoch(s), batch {study['batch_size']}, seeds {', '.join(map(str, study['seeds']))}; "
        f"validation: {study['validation']}; baselines: {', '.join(study['baselines']) or 'none'}; "
        f"tolerance rtol={study['rtol']:g} atol={study['atol']:g}; "
        f"**{'all comparable pairs agree' if study['ok'] else 'SOME PAIRS DIVERGE'}**",
        "",
        "```",
        text,
        "```",
        "",
    ]
    for title, key in SECTIONS:
        head, rows = tables(study)[key]
        if rows:
            parts += [f"## {title}", "", _md_table(head, rows), ""]
    if study.get("trace"):
        parts += ["## Divergence trace", "", study["trace"]["markdown"], ""]
    parts += [f"![{name}]({name})" for name in images]
    parts += ["", "## Environment", "", _md_table(["", ""], env_rows(env)), ""]
    return "\n".join(parts)


def write(study: dict, directory: str, text: str) -> tuple[list[str], str]:
    """Write every report file into ``directory``; ``text`` is the terminal output (tables and legend).
    Returns (paths, note); the note says what was skipped."""
    from . import report_html, study_plots

    study = as_study(study)
    os.makedirs(directory, exist_ok=True)
    env = environment(study)
    images, note = study_plots.render(study)
    pngs = []
    for name, data in images.items():
        pngs.append(os.path.join(directory, f"{name}.png"))
        with open(pngs[-1], "wb") as f:
            f.write(data)
    files = {
        "compare.json": json.dumps(to_json(study, env), indent=1, default=_json_default),
        "compare.md": to_markdown(study, env, text, [os.path.basename(p) for p in pngs]),
        "compare.csv": to_csv(study),
        "compare.html": report_html.render(study, env, text, images),
    }
    paths = []
    for name, content in files.items():
        paths.append(os.path.join(directory, name))
        with open(paths[-1], "w", encoding="utf-8") as f:
            f.write(content)
    return paths + pngs, note


def _json_default(o: Any) -> Any:
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.generic,)):
        return o.item()
    return str(o)

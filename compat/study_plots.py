"""The report's plots as PNG bytes (matplotlib, Agg): per-step loss and divergence vs step, validation
curves, the timing split, and the divergence trace (``TraceResult.plot``)."""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any

import numpy as np

FLOOR = 1e-12  # where an exact 0 of |dloss| is drawn when no pair has a nonzero one
STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "v", "D", "x", "+", "*")


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _loss_and_divergence(plt: Any, study: dict) -> bytes:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    first, rest = study["per_seed"][0], study["per_seed"][1:]
    for i, (col, run) in enumerate(first["runs"].items()):
        if "curve" not in run:
            continue
        (line,) = ax1.plot(run["curve"], STYLES[i % len(STYLES)], label=col, alpha=0.85, lw=1.2)
        for res in rest:  # the other seeds: thin lines in the same colour
            ax1.plot(res["runs"].get(col, {}).get("curve", []), color=line.get_color(), alpha=0.25, lw=0.7)
    ax1.set(
        title=f"{study['model']}: training loss per step (seed {first['seed']}; other seeds faint)",
        xlabel="step",
        ylabel="loss of the step's batch",
    )
    ax1.legend(fontsize=8)
    curves = [(p["pair"], np.asarray(p.get("loss_divergence_curve", []), dtype="float64")) for p in first["pairs"]]
    positive = [c[c > 0].min() for _, c in curves if (c > 0).any()]
    floor = min(positive) / 10 if positive else FLOOR
    for i, (name, d) in enumerate(curves):
        if d.size:  # markers, not lines: exact zeros (drawn at the floor) would otherwise spike the plot
            ax2.semilogy(np.maximum(d, floor), MARKERS[i % len(MARKERS)], ms=3.5, alpha=0.8, label=name)
    ax2.axhline(study["atol"], color="grey", lw=0.8, ls=":", label=f"atol {study['atol']:g}")
    ax2.set(
        title="divergence vs step: |loss_a - loss_b|", xlabel="step", ylabel=f"|dloss| (exact 0 drawn at {floor:.1e})"
    )
    ax2.legend(fontsize=7, ncol=2)
    return _png(fig)


def _validation(plt: Any, study: dict) -> bytes | None:
    first = study["per_seed"][0]
    names = list(dict.fromkeys(k for run in first["runs"].values() for k in run.get("val", {})))
    if not names:
        return None
    fig, axes = plt.subplots(1, len(names), figsize=(5.5 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        for i, col in enumerate(first["runs"]):
            found = [r["runs"].get(col, {}).get("val", {}).get(name) for r in study["per_seed"]]
            curves = np.asarray([c for c in found if c], dtype="float64")
            if not curves.size:
                continue
            x = np.arange(1, curves.shape[1] + 1) + 0.04 * (i - len(first["runs"]) / 2)  # side by side
            mean = curves.mean(0)
            err = np.stack([mean - curves.min(0), curves.max(0) - mean])
            ax.errorbar(x, mean, yerr=err, fmt=STYLES[i % len(STYLES)] + "o", ms=3, capsize=3, label=col)
        ax.set(title=f"validation {name}", xlabel="epoch", ylabel=f"{name} ({study['validation']})")
        ax.legend(fontsize=8)
    return _png(fig)


def _timing(plt: Any, study: dict) -> bytes:
    st = study["stats"]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    if st["timing"]:
        cols = list(st["timing"])
        bottom = np.zeros(len(cols))
        for ph in ("forward", "backward", "optimizer"):
            h = np.array([st["timing"][c][ph]["median"] for c in cols])
            ax.bar(cols, h, bottom=bottom, label=ph)
            bottom += h
        step = np.array([st["timing"][c]["step"]["median"] for c in cols])
        err = np.array(
            [[s - st["timing"][c]["step"]["min"], st["timing"][c]["step"]["max"] - s] for c, s in zip(cols, step)]
        ).T
        ax.errorbar(cols, step, yerr=err, fmt="none", ecolor="black", capsize=4, label="step min-max")
        ax.set(title="time per step: median over repetitions", ylabel="ms")
        ax.legend(fontsize=8)
    else:
        cols = list(st["final"])
        s = [st["final"][c]["step_ms"] for c in cols]
        ax.bar(cols, [v["mean"] for v in s])
        ax.errorbar(
            cols,
            [v["mean"] for v in s],
            yerr=[[v["mean"] - v["min"] for v in s], [v["max"] - v["mean"] for v in s]],
            fmt="none",
            ecolor="black",
            capsize=4,
        )
        ax.set(title="time per step during fit (median of the steps after the first)", ylabel="ms")
    ax.tick_params(axis="x", labelrotation=20)
    return _png(fig)


def _trace(study: dict) -> bytes | None:
    tr = study.get("trace")
    if not tr or tr.get("result") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        path = tr["result"].plot(os.path.join(d, "trace.png"))
        if not path or not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return f.read()


def render(study: dict) -> tuple[dict[str, bytes], str]:
    """``({name: PNG bytes}, note)``; without matplotlib no images and a note saying so."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}, "matplotlib is not installed: compare.png skipped (pip install 'kshim[plot]')"
    out = {
        "compare": _loss_and_divergence(plt, study),
        "validation": _validation(plt, study),
        "timing": _timing(plt, study),
        "trace": _trace(study),
    }
    return {k: v for k, v in out.items() if v}, ""

"""The result of ``trace_divergence`` (``compat/trace.py``): comparisons, first divergence, growth
over steps, and its Markdown / JSON / PNG forms."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

KIND_ORDER = ("activation", "gradient", "update")


def _compare_one(a: np.ndarray, b: np.ndarray, rtol: float, atol: float, scale: float | None) -> dict:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return {"max_abs": math.inf, "max_rel": math.inf, "ratio": math.inf, "message": f"shape {a.shape} != {b.shape}"}
    af, bf = a.astype(np.float64), b.astype(np.float64)
    if a.size == 0:
        return {"max_abs": 0.0, "max_rel": 0.0, "ratio": 0.0, "message": ""}
    nan_a, nan_b = np.isnan(af), np.isnan(bf)
    if np.any(nan_a != nan_b):
        return {"max_abs": math.nan, "max_rel": math.nan, "ratio": math.inf, "message": "NaN at different positions"}
    inf = np.isinf(af) | np.isinf(bf)
    if np.any(af[inf] != bf[inf]):
        return {"max_abs": math.inf, "max_rel": math.inf, "ratio": math.inf, "message": "infinities differ"}
    fin = ~(nan_a | inf)
    af, bf = af[fin], bf[fin]
    if af.size == 0:
        return {"max_abs": 0.0, "max_rel": 0.0, "ratio": 0.0, "message": ""}
    d = np.abs(af - bf)
    mag = np.maximum(np.abs(af), np.abs(bf))
    s = float(mag.max()) if scale is None else max(float(scale), float(mag.max()))
    tol = atol * s + rtol * mag
    dmax = float(d.max())
    ratio = float(np.max(np.where(tol > 0, d / np.where(tol > 0, tol, 1.0), np.where(d > 0, np.inf, 0.0))))
    return {"max_abs": dmax, "max_rel": dmax / s if s > 0 else 0.0, "ratio": ratio, "message": ""}


def compare_pair(a: dict | None, b: dict | None, rtol: float, atol: float, scales: dict | None = None) -> dict:
    """Compare one layer's arrays (``{name: array}``) from two backends.

    Returns ``{max_abs, max_rel, ratio, ok, worst, message}``: ``max_rel`` is the largest
    ``max|a - b| / S`` (``S``: the tensor's scale, or ``scales[name]`` when larger), ``ratio`` the
    largest ``|a - b| / (atol * S + rtol * max(|a|, |b|))`` (``> 1``: out of tolerance).
    """
    if a is None or b is None or set(a) != set(b):
        missing = "one backend" if a is None or b is None else f"names {sorted(set(a) ^ set(b))}"
        return {
            "max_abs": math.inf,
            "max_rel": math.inf,
            "ratio": math.inf,
            "ok": False,
            "worst": "",
            "message": f"recorded on {missing} only",
        }
    out: dict[str, Any] = {"max_abs": 0.0, "max_rel": 0.0, "ratio": 0.0, "ok": True, "worst": "", "message": ""}
    for name in a:
        r = _compare_one(a[name], b[name], rtol, atol, (scales or {}).get(name))
        for k in ("max_abs", "max_rel"):
            if not r[k] <= out[k]:  # NaN wins too
                out[k] = r[k]
        if r["ratio"] > out["ratio"] or not out["worst"]:
            out["worst"] = name
            out["ratio"] = max(out["ratio"], r["ratio"])
            out["message"] = r["message"] or out["message"]
    out["ok"] = out["ratio"] <= 1.0
    return out


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


@dataclasses.dataclass
class TraceResult:
    """What ``trace_divergence`` recorded and found.

    Attributes:
        records: ``{backend: [step record]}``; a step record is ``{"activation": {layer: {name:
            array}}, "gradient": {...}, "update": {...}, "weight_scale": {layer: {name: float}},
            "loss": float}`` (activation names are ``output``/``output0``...; gradient and update
            names are the variables' names).
        comparisons: one row per (pair, step, kind, layer), in search order: ``pair, step, kind,
            layer, max_abs, max_rel, ratio, ok, worst, message``.
        tolerances: ``{kind: (rtol, atol)}`` used.
        init_copied: ``{backend: bool}``: whether the initial weights had to be copied from the
            first backend (False everywhere when kshim built identical weights).
    """

    model: str
    backends: list[str]
    seed: int
    steps: int
    batch_size: int
    dtype: str
    tolerances: dict[str, tuple[float, float]]
    records: dict[str, list[dict]]
    init_copied: dict[str, bool]
    comparisons: list[dict]

    @property
    def ok(self) -> bool:
        """True when no pair exceeds tolerance anywhere."""
        return self.first_divergence() is None

    def first_divergence(self) -> dict | None:
        """The earliest (step, then kind: activation, gradient, update, then layer in search order)
        place where a pair of backends exceeds tolerance, or None.

        Returns:
            ``{pair, pairs, step, layer, kind, max_abs, max_rel, ratio, tol, worst}``: ``pair`` is the
            worst pair there, ``pairs`` every pair out of tolerance there, ``tol`` its ``(rtol, atol)``,
            ``worst`` the array (variable or output) with the largest error.
        """
        for i, row in enumerate(self.comparisons):
            if row["ok"]:
                continue
            same = [
                r
                for r in self.comparisons[i:]
                if (r["step"], r["kind"], r["layer"]) == (row["step"], row["kind"], row["layer"]) and not r["ok"]
            ]
            worst = max(same, key=lambda r: r["ratio"])
            return {
                "pair": worst["pair"],
                "pairs": sorted(r["pair"] for r in same),
                "step": row["step"],
                "layer": row["layer"],
                "kind": row["kind"],
                "max_abs": worst["max_abs"],
                "max_rel": worst["max_rel"],
                "ratio": worst["ratio"],
                "tol": tuple(self.tolerances[row["kind"]]),
                "worst": worst["worst"],
            }
        return None

    def growth(self) -> list[dict]:
        """The divergence's growth over steps: one row per (pair, layer, kind) with ``max_rel`` and
        ``ratio`` lists indexed by step (``nan`` where that step did not record the layer)."""
        rows: dict[tuple, dict] = {}
        for r in self.comparisons:
            key = (r["pair"], r["layer"], r["kind"])
            row = rows.setdefault(
                key,
                {
                    "pair": r["pair"],
                    "layer": r["layer"],
                    "kind": r["kind"],
                    "max_rel": [math.nan] * self.steps,
                    "ratio": [math.nan] * self.steps,
                },
            )
            row["max_rel"][r["step"]] = r["max_rel"]
            row["ratio"][r["step"]] = r["ratio"]
        return list(rows.values())

    def losses(self) -> dict[str, list[float]]:
        """``{backend: [loss per step]}`` (the loss each step differentiated)."""
        return {b: [rec["loss"] for rec in recs] for b, recs in self.records.items()}

    def describe(self) -> str:
        """The first divergence in words."""
        fd = self.first_divergence()
        if fd is None:
            return (
                f"No divergence: every pair of {', '.join(self.backends)} agrees on every layer's activations, "
                f"gradients and updates for {self.steps} step(s)."
            )
        rtol, atol = fd["tol"]
        return (
            f"First divergence at step {fd['step']}, layer `{fd['layer']}`, {fd['kind']} ({fd['worst']}): "
            f"{', '.join(fd['pairs'])} exceed tolerance; worst {fd['pair']} with max |a-b| = {fd['max_abs']:.3g}, "
            f"{fd['max_rel']:.3g} of the tensor's scale, {fd['ratio']:.3g}x the tolerance "
            f"(rtol={rtol:g}, atol={atol:g} x scale)."
        )

    def to_markdown(self) -> str:
        """A Markdown report: settings, the first divergence in words, and a table of the
        tensor-relative error per step for every (pair, kind, layer)."""
        return _markdown(self)

    def as_dict(self) -> dict:
        """A JSON-serializable summary (no arrays): settings, losses, first divergence, growth and
        every comparison row (non-finite numbers as the strings ``"inf"``/``"nan"``)."""
        return _jsonable(
            {
                "model": self.model,
                "backends": self.backends,
                "seed": self.seed,
                "steps": self.steps,
                "batch_size": self.batch_size,
                "dtype": self.dtype,
                "tolerances": {k: list(v) for k, v in self.tolerances.items()},
                "init_copied": self.init_copied,
                "ok": self.ok,
                "losses": self.losses(),
                "first_divergence": self.first_divergence(),
                "description": self.describe(),
                "growth": self.growth(),
                "comparisons": self.comparisons,
            }
        )

    def plot(self, path: str) -> str | None:
        """Write a PNG of the divergence (tensor-relative error, log scale) vs step, one panel per
        kind, one line per layer and pair. Returns ``path``, or None when matplotlib is missing."""
        return _plot(self, path)


def _fmt(v: float, ratio: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return f"{v:.1e}" + (" **!**" if ratio > 1.0 else "")


def _markdown(res: TraceResult) -> str:
    lines = [
        f"# Divergence trace: {res.model}",
        "",
        f"Backends {', '.join(res.backends)}; seed {res.seed}; {res.steps} step(s) of batch {res.batch_size}; "
        f"dtype {res.dtype}.",
        "",
    ]
    copied = [b for b, c in res.init_copied.items() if c]
    lines.append(
        "Initial weights: "
        + (
            f"copied from {res.backends[0]} to {', '.join(copied)} (they did not build identically)."
            if copied
            else "bit-identical on every backend."
        )
    )
    lines += [
        "",
        "Tolerances (a value agrees when |a-b| <= atol x S + rtol x max(|a|,|b|), S = the tensor's "
        "largest magnitude; for updates, the weight's): "
        + "; ".join(f"{k} rtol={r:g} atol={a:g}" for k, (r, a) in res.tolerances.items())
        + ".",
        "",
        "**" + res.describe() + "**",
        "",
        "Loss per step: " + "; ".join(f"{b}: " + ", ".join(f"{v:.6g}" for v in ls) for b, ls in res.losses().items()),
        "",
        "Tensor-relative error max|a-b|/S per step (**!**: out of tolerance):",
        "",
        "| pair | kind | layer | " + " | ".join(f"step {s}" for s in range(res.steps)) + " |",
        "|---|---|---|" + "---:|" * res.steps,
    ]
    for g in res.growth():
        cells = " | ".join(_fmt(v, r) for v, r in zip(g["max_rel"], g["ratio"]))
        lines.append(f"| {g['pair']} | {g['kind']} | {g['layer']} | {cells} |")
    return "\n".join(lines) + "\n"


def _plot(res: TraceResult, path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    fig, axes = plt.subplots(1, len(KIND_ORDER), figsize=(5 * len(KIND_ORDER), 4), sharex=True)
    growth = res.growth()
    layers = list(dict.fromkeys(g["layer"] for g in growth))
    pairs = list(dict.fromkeys(g["pair"] for g in growth))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = ["-", "--", ":", "-."]
    steps = np.arange(res.steps)
    for ax, kind in zip(axes, KIND_ORDER):
        for g in (g for g in growth if g["kind"] == kind):
            y = np.array(g["max_rel"], dtype=float)
            y = np.where(np.isfinite(y), np.maximum(y, 1e-12), np.nan)  # log axis: exact agreement at 1e-12
            ax.plot(
                steps,
                y,
                marker="o",
                ms=3,
                color=colors[layers.index(g["layer"]) % len(colors)],
                ls=styles[pairs.index(g["pair"]) % len(styles)],
                label=f"{g['layer']} ({g['pair']})",
            )
        rtol, atol = res.tolerances[kind]
        ax.axhline(max(atol, 1e-12), color="grey", lw=0.8, ls="--")
        ax.set(yscale="log", title=f"{kind}", xlabel="step", ylabel="max|a-b| / scale")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, max(1, len(labels))), fontsize=7)
    fig.suptitle(f"{res.model}: divergence vs step (dashed: atol)")
    fig.tight_layout(rect=(0, 0.08 + 0.03 * (len(labels) // 4), 1, 1))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


__all__ = ["TraceResult", "compare_pair", "KIND_ORDER"]

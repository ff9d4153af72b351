"""How cost grows (issue 21, item 4): ``python -m benchmarks --sweep [--contenders ...] [--out PATH]``.

The MLP over batch size (32...1024, width 256) and over width (256...2048, batch 128), LSTM(128) and the
transformer block over sequence length (25...400), each timed with the main runner's method (one worker
per contender, interleaved repetitions, medians of per-repetition ratios; ``runner.run_workloads``).
Every kshim contender is paired with a hand-written loop: kshim-torch and kshim-numpy with PyTorch,
kshim-jax with JAX. For each series (family x axis x pair) the report gives ms/step and the ratio at
every size, and a verdict: the ratio must stay flat or fall as the work grows (framework overhead
amortised). "Rises" means the ratio at the largest size exceeds the smallest size's by more than
``RISE_TOLERANCE`` (repetition-to-repetition noise of the ratios on a shared 2-core machine is
~5-10%). Writes the Markdown table (default ``benchmarks/SWEEP.md``) and a PNG of the same numbers
next to it (``sweep.png``; needs matplotlib).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from .report import _fmt_ms, _fmt_ratio, _median, machine_info, paired_ratio
from .workloads import SWEEP_BATCHES, SWEEP_LENGTHS, SWEEP_WIDTHS, SWEEP_WORKLOADS

DEFAULT_OUT = Path(__file__).resolve().parent / "SWEEP.md"
DEFAULT_CONTENDERS = ("kshim-torch", "torch-loop", "kshim-jax", "jax-loop")
PAIRS = (("kshim-torch", "torch-loop"), ("kshim-jax", "jax-loop"), ("kshim-numpy", "torch-loop"))
RISE_TOLERANCE = 0.15

# (family, axis label, sizes, workload name of a size)
SERIES: tuple[tuple[str, str, tuple[int, ...], Callable[[int], str]], ...] = (
    ("mlp", "batch size", SWEEP_BATCHES, lambda n: f"mlp-b{n}"),
    ("mlp", "width", SWEEP_WIDTHS, lambda n: f"mlp-w{n}"),
    ("lstm", "sequence length", SWEEP_LENGTHS, lambda n: f"lstm-t{n}"),
    ("attn", "sequence length", SWEEP_LENGTHS, lambda n: f"attn-t{n}"),
)


def verdict(ratios: list[float | None]) -> str:
    """``flat``/``falls``/``rises`` from the first to the last measured ratio of a series."""
    known = [r for r in ratios if r is not None]
    if len(known) < 2:
        return "not measured"
    first, last = known[0], known[-1]
    if last > first * (1 + RISE_TOLERANCE):
        return "rises"
    return "falls" if last < first * (1 - RISE_TOLERANCE) else "flat"


def series_table(results: dict, op: str, contenders: list[str]) -> list[dict[str, Any]]:
    """One row per (series, pair) with both contenders measured: sizes, ms/step, ratios, verdict."""
    rows = []
    for family, axis, sizes, name in SERIES:
        for a, b in PAIRS:
            if a not in contenders or b not in contenders:
                continue
            wls = [name(n) for n in sizes]
            ratios = [paired_ratio(results, a, b, op, wl) for wl in wls]
            ms = {c: [_median(results[(c, wl, op)].per_step) if (c, wl, op) in results else None for wl in wls]
                  for c in (a, b)}
            rows.append({"family": family, "axis": axis, "sizes": list(sizes), "pair": (a, b), "ratios": ratios,
                         "ms": ms, "verdict": verdict(ratios)})
    return rows


def render(info: dict, rows_by_op: dict[str, list[dict]], reps: int, png: str | None) -> str:
    L = ["# kshim benchmarks: how cost grows (`python -m benchmarks --sweep`)", "",
         f"Machine: {info['cpu']}, {info['cores']} cores, load average at start {info['loadavg_start']}, "
         f"end {info.get('loadavg_end', '?')}; {reps} interleaved repetitions per point; ratios are medians of "
         f"per-repetition ratios; git {info['git']}, {info['date']}, runtime {info.get('runtime_s', 0):.0f} s.", "",
         f"Verdict per series: the ratio at the largest size against the smallest (flat within "
         f"±{RISE_TOLERANCE:.0%}; the target is flat or falling).", ""]
    if png:
        L += [f"![ms/step and ratio against size]({png})", ""]
    for op, rows in rows_by_op.items():
        L += [f"## {op}", ""]
        for r in rows:
            a, b = r["pair"]
            L += [f"### {r['family']} over {r['axis']}: {a} / {b} — {r['verdict']}", "",
                  "| " + r["axis"] + " | " + " | ".join(str(n) for n in r["sizes"]) + " |",
                  "|---|" + "---:|" * len(r["sizes"]),
                  f"| {a} ms/step | " + " | ".join(_fmt_ms(x) for x in r["ms"][a]) + " |",
                  f"| {b} ms/step | " + " | ".join(_fmt_ms(x) for x in r["ms"][b]) + " |",
                  "| ratio | " + " | ".join(_fmt_ratio(x) for x in r["ratios"]) + " |", ""]
    return "\n".join(L)


def plot(rows: list[dict], path: Path) -> bool:
    """ms/step (log-log) and the ratio against size, one panel pair per series; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    keys = [(f, ax) for f, ax, _, _ in SERIES]
    fig, axes = plt.subplots(2, len(keys), figsize=(4.2 * len(keys), 7), squeeze=False)
    for j, (family, axis) in enumerate(keys):
        top, bottom = axes[0][j], axes[1][j]
        for r in (r for r in rows if r["family"] == family and r["axis"] == axis):
            for c, ys in r["ms"].items():
                pts = [(n, y * 1e3) for n, y in zip(r["sizes"], ys) if y is not None]
                if pts:
                    top.plot(*zip(*pts), marker="o", label=c)
            pts = [(n, y) for n, y in zip(r["sizes"], r["ratios"]) if y is not None]
            if pts:
                bottom.plot(*zip(*pts), marker="o", label=f"{r['pair'][0]} / {r['pair'][1]}")
        top.set(title=f"{family} over {axis}", xscale="log", yscale="log", ylabel="train ms/step")
        bottom.set(xscale="log", xlabel=axis, ylabel="ratio (kshim / hand-written)")
        bottom.axhline(1.0, color="grey", lw=0.8)
        sizes = next((r["sizes"] for r in rows if r["family"] == family and r["axis"] == axis), [])
        for a in (top, bottom):
            a.set_xticks(sizes, [str(n) for n in sizes], minor=False)
            a.set_xticks([], minor=True)  # log-scale minor labels overlap the sizes
            if a.lines:
                a.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def report(contenders: list[str], s: Any, png_path: Path | None, log: Callable[[str], None]) -> str:
    """Run every sweep point for ``contenders``; the Markdown section (and the PNG at ``png_path``)."""
    from . import runner

    t0 = time.perf_counter()
    info = machine_info()
    results, _meta = runner.run_workloads(contenders, list(SWEEP_WORKLOADS), s, log)
    info["loadavg_end"] = runner._loadavg()
    info["runtime_s"] = time.perf_counter() - t0
    rows_by_op = {op: series_table(results, op, contenders) for op in ("train", "predict")}
    wrote_png = png_path is not None and plot(rows_by_op["train"], png_path)
    if png_path is not None:
        log(f"wrote {png_path}" if wrote_png else "no sweep PNG: matplotlib is not installed")
    for rows in rows_by_op.values():
        for r in rows:
            if r["verdict"] == "rises":
                log(f"ratio rises: {r['family']} over {r['axis']} ({r['pair'][0]} / {r['pair'][1]})")
    return render(info, rows_by_op, s.reps, png_path.name if wrote_png and png_path is not None else None)


def main(contenders: list[str], s: Any, out: str | None, log: Callable[[str], None]) -> int:
    """``--sweep`` on its own: the section as a file (default ``benchmarks/SWEEP.md``) and its PNG."""
    md_path = Path(out) if out else DEFAULT_OUT
    md = report(contenders, s, md_path.with_name("sweep.png"), log)
    md_path.write_text(md + "\n")
    print(md)
    log(f"wrote {md_path}")
    return 0

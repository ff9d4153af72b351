"""Matrix reports: terminal table, JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import time
from typing import Any

from .runner import CaseResult

STATUS_ORDER = ("pass", "fail", "error", "unavailable", "skipped")


def summary(results: list[CaseResult]) -> dict:
    """``{dtype: {status: count}}`` plus ``total``."""
    out: dict = {}
    for r in results:
        d = out.setdefault(r.dtype, {s: 0 for s in STATUS_ORDER})
        d[r.status] = d.get(r.status, 0) + 1
    return out


def pair_names(results: list[CaseResult]) -> list[str]:
    seen: list[str] = []
    for r in results:
        for p in r.pairs:
            if p.pair not in seen:
                seen.append(p.pair)
    return seen


def _fmt(x: float) -> str:
    return f"{x:.1e}" if x == x else "nan"


def cell(r: CaseResult, pair: str) -> str:
    for p in r.pairs:
        if p.pair == pair:
            return f"{_fmt(p.max_abs)}/{_fmt(p.max_rel)} {'ok' if p.ok else 'FAIL'}"
    return "-"


def table(results: list[CaseResult], only_problems: bool = False) -> str:
    """Case x backend pair: ``max_abs/max_rel ok|FAIL`` per cell."""
    pairs = pair_names(results)
    rows = [["case", "dtype", "status"] + pairs]
    for r in results:
        if only_problems and r.status == "pass":
            continue
        rows.append(
            [r.name, r.dtype, r.status.upper() if r.status in ("fail", "error") else r.status]
            + [cell(r, p) for p in pairs]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def problems(results: list[CaseResult]) -> str:
    lines = []
    for r in results:
        if r.status in ("fail", "error", "unavailable"):
            lines.append(f"  {r.status:11s} {r.name} [{r.dtype}]: {r.reason}")
    return "\n".join(lines)


def summary_line(results: list[CaseResult]) -> str:
    parts = []
    for dtype, counts in summary(results).items():
        parts.append(f"{dtype}: " + ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if counts.get(s)))
    return "; ".join(parts)


def meta(backends: list[str], seconds: float) -> dict:
    from .. import backends as reg

    vers = {}
    for b in backends:
        if b == "numpy":
            import numpy

            vers[b] = numpy.__version__
        else:
            try:
                vers[b] = __import__(b).__version__
            except Exception:  # noqa: BLE001
                vers[b] = "?"
    return {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "backends": vers,
        "seconds": round(seconds, 2),
        "known_backends": reg.names(),
    }


def write(results: list[CaseResult], directory: str, info: dict) -> list[str]:
    """Write ``matrix.json`` and ``matrix.md`` into ``directory``; returns the paths."""
    os.makedirs(directory, exist_ok=True)
    jpath, mpath = os.path.join(directory, "matrix.json"), os.path.join(directory, "matrix.md")
    with open(jpath, "w") as f:
        json.dump(
            {"meta": info, "summary": summary(results), "results": [r.as_dict() for r in results]},
            f,
            indent=1,
            default=str,
        )
    pairs = pair_names(results)
    md = [
        "# kshim compatibility matrix",
        "",
        f"Backends: {', '.join(f'{k} {v}' for k, v in info.get('backends', {}).items())}; "
        f"{info.get('seconds', 0)} s; created {info.get('created', '')}.",
        "",
        f"**Summary** -- {summary_line(results)}",
        "",
        "Cells: max abs / max rel error, and whether every value is within tolerance (see `compat/tolerances.py`).",
        "",
        "| case | dtype | status | " + " | ".join(pairs) + " |",
        "|---|---|---|" + "---|" * len(pairs),
    ]
    for r in results:
        md.append(f"| {r.name} | {r.dtype} | {r.status} | " + " | ".join(cell(r, p) for p in pairs) + " |")
    bad = [r for r in results if r.status in ("fail", "error", "unavailable")]
    if bad:
        md += ["", "## Not passing", ""]
        md += [f"- `{r.name}` [{r.dtype}] **{r.status}**: {r.reason}" for r in bad]
    with open(mpath, "w") as f:
        f.write("\n".join(md) + "\n")
    return [jpath, mpath]


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=1, default=str)

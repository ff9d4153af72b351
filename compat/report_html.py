"""The self-contained HTML page of a ``kshim compare`` report: inline CSS, tables, and every plot as a
``data:image/png;base64`` URI, so the one file renders anywhere with no network and no other files."""

from __future__ import annotations

import base64
import html

CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:.25em .6em;"
    "text-align:right;font-variant-numeric:tabular-nums}th{background:#eee}td:first-child{text-align:left}"
    "pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}img{max-width:100%;display:block;"
    "margin:.5em 0 1.5em}.ok{color:#070}.fail{color:#b00;font-weight:bold}"
)

CAPTIONS = {
    "compare": "Training loss of every step's batch (left) and |loss_a - loss_b| per step for every pair "
    "(right, log scale): identical curves hide each other on the left, not on the right.",
    "validation": "Validation metrics after each epoch: mean over seeds, bars from min to max.",
    "timing": "Time per step split into forward, backward and optimizer (medians over repetitions).",
    "trace": "Divergence trace: per layer, the largest relative difference between backends at each step.",
}


def _table(head: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    return (
        "<table><tr>"
        + "".join(f"<th>{e(h)}</th>" for h in head)
        + "</tr>"
        + "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
        + "</table>"
    )


def render(study: dict, env: dict, text: str, images: dict[str, bytes]) -> str:
    """The HTML document (a string) for ``study``, with ``env`` (``study_report.environment``), the terminal
    ``text`` and ``images`` (``{name: PNG bytes}``) embedded."""
    from .study_report import SECTIONS, env_rows, tables

    e = html.escape
    ok = study["ok"]
    t = tables(study)
    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>kshim compare: {e(study['model'])}</title><style>{CSS}</style></head><body>",
        f"<h1>kshim compare: {e(study['model'])}</h1>",
        f"<p>{study['epochs']} epoch(s), batch {study['batch_size']}, seeds "
        f"{e(', '.join(map(str, study['seeds'])))}; validation: {e(study['validation'])}; baselines: "
        f"{e(', '.join(study['baselines']) or 'none')}; tolerance rtol={study['rtol']:g} atol={study['atol']:g}: "
        f"<span class='{'ok' if ok else 'fail'}'>{'all comparable pairs agree' if ok else 'SOME PAIRS DIVERGE'}"
        "</span></p>",
    ]
    for title, key in SECTIONS:
        head, rows = t[key]
        if rows:
            parts += [f"<h2>{title}</h2>", _table(head, rows)]
    for name, data in images.items():
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        parts += [f"<h2>{e(name)}</h2>", f"<p>{e(CAPTIONS.get(name, ''))}</p>", f"<img alt='{e(name)}' src='{uri}'>"]
    if study.get("trace"):
        parts += ["<h2>Divergence trace</h2>", f"<pre>{e(study['trace']['markdown'])}</pre>"]
    parts += [
        "<h2>Terminal output</h2>",
        f"<pre>{e(text)}</pre>",
        "<h2>Environment</h2>",
        _table(["", ""], env_rows(env)),
        "</body></html>",
    ]
    return "\n".join(parts)

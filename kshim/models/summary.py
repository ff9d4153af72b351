"""``model.summary()`` in Keras 3's table layout (box-drawing borders, wrapped cells)."""
from __future__ import annotations

import shutil
from typing import Any, Callable

import numpy as np

from .._symbolic import KerasTensor


def readable_size(nbytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if nbytes < 1024 or unit == "TB":
            return f"{nbytes:.2f} {unit}"
        nbytes /= 1024.0
    return f"{nbytes:.2f} TB"


def _bytes(variables: list) -> int:
    return int(sum(int(np.prod(v.shape)) * np.dtype(_np_dtype(v.dtype)).itemsize for v in variables))


def _np_dtype(d: str) -> Any:
    return "float16" if d == "bfloat16" else d


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


def _column_widths(line_length: int, positions: list[float]) -> list[int]:
    """Cell widths (padding included, borders excluded) as Keras' rich table lays them out:
    each column asks for its share plus 2 padding cells, and the excess over the table width
    is taken evenly from every column, left to right, rounding half to even."""
    raw, cur = [], 0
    for p in positions:
        w = int(p * line_length) - cur
        raw.append(w + 2)
        cur += w
    max_width = line_length - (len(raw) + 1)
    excess = sum(raw) - max_width
    if excess <= 0:
        return raw
    out, remaining, ratio_left = [], excess, len(raw)
    for w in raw:
        cut = min(w, round(remaining / ratio_left))
        out.append(w - cut)
        remaining -= cut
        ratio_left -= 1
    return out


def _fmt_shape(spec: Any) -> str:
    if isinstance(spec, KerasTensor):
        return str(tuple(spec.shape)).replace(",)", ")") if len(spec.shape) != 1 else f"({spec.shape[0]},)"
    if isinstance(spec, (list, tuple)):
        return "[" + ", ".join(_fmt_shape(s) for s in spec) + "]"
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {_fmt_shape(v)}" for k, v in spec.items()) + "}"
    return "?"


def _rows(model: Any, functional: bool) -> list[list[str]]:
    rows = []
    if functional:
        for layer in model.layers:
            for node in layer._inbound_nodes:
                if not any(node is n for n in model._nodes):
                    continue
                conn = []
                for t in node.input_tensors:
                    n, i = t._history
                    conn.append(f"{n.layer.name}[{n.layer._inbound_nodes.index(n)}][{i}]")
                params = f"{layer.count_params():,}" if layer.built else "0"
                rows.append([f"{layer.name} ({type(layer).__name__})", _fmt_shape(node.outputs_structure),
                             params, ", ".join(conn) or "-"])
        return rows
    specs = getattr(model, "_layer_output_specs", None) or [None] * len(model.layers)
    for layer, spec in zip(model.layers, specs):
        shape = _fmt_shape(spec) if spec is not None else "?"
        params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
        rows.append([f"{layer.name} ({type(layer).__name__})", shape, params])
    return rows


def print_summary(model: Any, line_length: int | None = None, positions: Any = None,
                  print_fn: Callable | None = None) -> None:
    from .functional import Functional
    functional = False
    if isinstance(model, Functional):
        functional = True
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
        default_len, pos = 108, positions or [0.3, 0.56, 0.74, 1.0]
    else:
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
        default_len, pos = 88, positions or [0.45, 0.80, 1.0]
    if isinstance(model, Functional) and not _needs_connections(model):
        functional_rows = True
        header, align, pos = header[:3], align[:3], positions or [0.45, 0.80, 1.0]
        default_len = 88
    else:
        functional_rows = functional
    term = shutil.get_terminal_size((80, 24)).columns - 4
    line_length = min(line_length or default_len, term)
    widths = _column_widths(line_length, pos)
    rows = _rows(model, functional_rows) if model.built else []
    if functional_rows and len(header) == 3:
        rows = [r[:3] for r in rows]
    out = [f'Model: "{model.name}"']

    def border(l, m, r, fill):
        return l + m.join(fill * w for w in widths) + r

    def line(cells, left="│", mid="│", right="│"):
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        lines = []
        for i in range(height):
            parts = []
            for cell, w, a in zip(wrapped, widths, align):
                t = cell[i] if i < len(cell) else ""
                parts.append(" " + (t.rjust(w - 2) if a == "right" else t.ljust(w - 2)) + " ")
            lines.append(left + mid.join(parts) + right)
        return lines
    out.append(border("┏", "┳", "┓", "━"))
    out.extend(line(header, "┃", "┃", "┃"))
    out.append(border("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        out.extend(line(row))
        out.append(border("├", "┼", "┤", "─") if i < len(rows) - 1 else border("└", "┴", "┘", "─"))
    if not rows:
        out.append(border("└", "┴", "┘", "─"))
    weights = model.weights
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    count = lambda vs: int(sum(int(np.prod(v.shape)) for v in vs))  # noqa: E731
    opt_vars = list(model.optimizer.variables) if getattr(model, "optimizer", None) is not None and \
        getattr(model.optimizer, "built", False) else []
    total = count(weights) + count(opt_vars)
    out.append(f" Total params: {total:,} ({readable_size(_bytes(weights) + _bytes(opt_vars))})")
    out.append(f" Trainable params: {count(trainable):,} ({readable_size(_bytes(trainable))})")
    out.append(f" Non-trainable params: {count(non_trainable):,} ({readable_size(_bytes(non_trainable))})")
    if opt_vars:
        out.append(f" Optimizer params: {count(opt_vars):,} ({readable_size(_bytes(opt_vars))})")
    (print_fn or print)("\n".join(out))


def _needs_connections(model: Any) -> bool:
    """Keras shows "Connected to" unless the graph is a plain chain of single-input layers."""
    nodes = [n for n in model._nodes]
    if len(model.inputs) > 1 or len(model.outputs) > 1:
        return True
    for layer in model.layers:
        if len([n for n in layer._inbound_nodes if any(n is m for m in nodes)]) > 1:
            return True
    for n in nodes:
        if len(n.input_tensors) > 1:
            return True
    consumers: dict[int, int] = {}
    for n in nodes:
        for t in n.input_tensors:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
    return any(c > 1 for c in consumers.values())

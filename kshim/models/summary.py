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
    """Word-wrap ``text`` to ``width`` cells as rich does for Keras' table cells: a word longer than
    the cell is cut with an ellipsis; leading spaces (nested-layer indent) stay on the first line."""
    lead = len(text) - len(text.lstrip(" "))
    words = text[lead:].split(" ")
    words[0] = " " * lead + words[0]
    lines, cur = [], ""
    for word in words:
        if len(word) > width:
            word = word[: width - 1] + "…"
        if not cur:
            cur = word
        elif len(cur) + 1 + len(word) <= width:
            cur += " " + word
        else:
            lines.append(cur)
            cur = word
    lines.append(cur)
    return lines


def _column_widths(line_length: int, positions: list[float], ncols: int | None = None) -> list[int]:
    """Cell widths (padding included, borders excluded) as Keras' rich table lays them out.

    Each of the first ``ncols`` columns asks for its share of ``line_length`` (from ``positions``)
    plus 2 padding cells. An excess over the table's inner width is taken evenly from every column,
    left to right, rounding half to even; a shortfall (``positions`` ending before 1.0, or more
    positions than columns) is handed out in proportion to the widths, rounding up, left to right.
    """
    raw, cur = [], 0
    for p in positions:
        w = int(p * line_length) - cur
        raw.append(w + 2)
        cur += w
    raw = raw[:ncols] if ncols is not None else raw
    max_width = line_length - (len(raw) + 1)
    excess = sum(raw) - max_width
    if excess == 0:
        return raw
    if excess < 0:
        out, remaining, ratio_left = [], -excess, sum(raw)
        for w in raw:
            add = -(-w * remaining // ratio_left)  # ceil
            out.append(w + add)
            remaining -= add
            ratio_left -= w
        return out
    out, remaining, ratio_left = [], excess, len(raw)
    for w in raw:
        cut = min(w, round(remaining / ratio_left))
        out.append(w - cut)
        remaining -= cut
        ratio_left -= 1
    return out


class SummaryPositionsError(ValueError, IndexError):
    """``positions`` has fewer entries than the table has columns (Keras raises ``IndexError``)."""


def _fmt_one(shape: Any) -> str:
    """Keras' shape cell: ``(None, 8)``; a 1-D shape prints as ``(None)``, as Keras prints it."""
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _fmt_shape(spec: Any) -> str:
    """A layer output structure as Keras shows it: one shape, or the structure of shapes."""
    if isinstance(spec, KerasTensor):
        return _fmt_one(spec.shape)
    if isinstance(spec, list):
        return "[" + ", ".join(_fmt_shape(s) for s in spec) + "]"
    if isinstance(spec, tuple):
        inner = ", ".join(_fmt_shape(s) for s in spec)
        return f"({inner},)" if len(spec) == 1 else f"({inner})"
    if isinstance(spec, dict):
        return "{" + ", ".join(f"{k}: {_fmt_shape(v)}" for k, v in spec.items()) + "}"
    return "?"


def _layer_shape(layer: Any) -> str:
    """The output-shape cell: the outputs of the layer's last symbolic call; else, for a layer built
    eagerly, ``compute_output_shape`` of its build shape; else ``?`` (unbuilt)."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    if nodes:
        out = nodes[-1].outputs_structure
        leaves = out if isinstance(out, (list, tuple)) else list(out.values()) if isinstance(out, dict) else [out]
        if len(leaves) == 1 and isinstance(leaves[0], KerasTensor):
            return _fmt_one(leaves[0].shape)
        return _fmt_shape(out)
    shape = getattr(layer, "_build_input_shape", None)
    if shape is None or not getattr(layer, "built", False):
        return "?"
    try:
        out = layer.compute_output_shape(shape)
    except Exception:  # noqa: BLE001 - Keras shows "?" when the shape cannot be computed
        return "?"
    if isinstance(out, tuple) and all(d is None or isinstance(d, int) for d in out):
        return _fmt_one(out)
    return "?"


def _params(layer: Any) -> str:
    if not getattr(layer, "built", False):
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _trainable_cell(layer: Any) -> str:
    if not layer.weights:
        return "-"
    return "Y" if layer.trainable else "N"


def _model_nodes(model: Any) -> list:
    return list(getattr(model, "_nodes", []))


def _sequential_like(model: Any) -> bool:
    """Keras' rule: a functional model prints without "Connected to" when every depth of its graph
    holds one node with at most one input tensor, and no layer is called twice in it."""
    nodes = _model_nodes(model)
    ids = {id(n) for n in nodes}
    consumers: dict[int, list] = {id(n): [] for n in nodes}
    for n in nodes:
        for t in n.input_tensors:
            hist = getattr(t, "_history", None)
            if hist is not None and id(hist[0]) in ids:
                consumers[id(hist[0])].append(n)
    depth: dict[int, int] = {}
    for n in reversed(nodes):  # nodes are in topological order: consumers come later
        depth[id(n)] = max((depth[id(c)] + 1 for c in consumers[id(n)] if id(c) in depth), default=0)
    by_depth: dict[int, list] = {}
    for n in nodes:
        by_depth.setdefault(depth[id(n)], []).append(n)
    for group in by_depth.values():
        if len(group) > 1 or len(group[0].input_tensors) > 1:
            return False
    for layer in model.layers:
        if sum(1 for n in layer._inbound_nodes if id(n) in ids) > 1:
            return False
    return True


def _connections(layer: Any, node_ids: set) -> str:
    conn = []
    for node in layer._inbound_nodes:
        if id(node) not in node_ids:
            continue
        for t in node.input_tensors:
            n, i = t._history
            conn.append(f"{n.layer.name}[{n.layer._inbound_nodes.index(n)}][{i}]")
    return ", ".join(conn) or "-"


def _layer_range(layers: list, layer_range: Any) -> tuple[int, int]:
    """Keras' ``layer_range``: two names or regexes (``re.match``); both ends inclusive."""
    import re

    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(
            f"layer_range must be a list or tuple of length 2. Received: layer_range = "
            f"{layer_range} of length {len(layer_range)}"
        )
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, l in enumerate(layers) if re.match(layer_range[0], l.name)]
    upper = [i for i, l in enumerate(layers) if re.match(layer_range[1], l.name)]
    if not lower or not upper:
        raise ValueError(
            f"Passed layer_names do not match the layer names in the model. Received: "
            f"{layer_range}; the layers are {[l.name for l in layers]}."
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def print_summary(
    model: Any,
    line_length: int | None = None,
    positions: Any = None,
    print_fn: Callable | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    """Print ``model``'s summary table exactly as Keras 3 lays it out (see ``Model.summary``)."""
    from .functional import Functional
    from .model import Model

    sequential_like = not isinstance(model, Functional) or _sequential_like(model)
    layers = list(model.layers)
    if sequential_like:
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
        default_len, pos = 88, list(positions or [0.45, 0.80, 1.0])
    else:
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
        default_len, pos = 108, list(positions or [0.3, 0.56, 0.74, 1.0])
    node_ids = {id(n) for n in _model_nodes(model)}
    if show_trainable:
        default_len += 12
        pos = [p * 0.90 for p in pos] + [1.0]
        header.append("Trainable")
        align.append("center")
    columns = shutil.get_terminal_size((80, 24)).columns
    line_length = line_length or min(default_len, columns - 4)
    cur = 0
    for p in pos:
        w = int(p * line_length) - cur
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        cur += w
    if len(pos) < len(header):
        raise SummaryPositionsError(
            f"summary(positions=...) needs one position per column ({len(header)}: "
            f"{', '.join(header)}); got {len(pos)}: {pos}."
        )
    widths = _column_widths(line_length, pos, len(header))

    def layer_rows(layer: Any, level: int = 0) -> list[list[str]]:
        prefix = "   " * level + "└ " if level else ""
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _layer_shape(layer), _params(layer)]
        if not sequential_like:
            row.append(_connections(layer, node_ids))
        if show_trainable:
            row.append(_trainable_cell(layer))
        rows = [row]
        if expand_nested and isinstance(layer, Model) and layer.layers:
            for sub in layer.layers:
                rows.extend(layer_rows(sub, level + 1))
        return rows

    lo, hi = _layer_range(layers, layer_range)
    rows = [r for layer in layers[lo:hi] for r in layer_rows(layer)]
    out = [f'Model: "{model.name}"']

    def border(l, m, r, fill):
        return l + m.join(fill * w for w in widths) + r

    def pad(t: str, w: int, a: str) -> str:
        if a == "right":
            return t.rjust(w)
        if a == "center":
            left = (w - len(t)) // 2
            return " " * left + t + " " * (w - len(t) - left)
        return t.ljust(w)

    def line(cells, left="│", mid="│", right="│", bottom=False):
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        if bottom:  # rich aligns header cells to the bottom of the header row
            wrapped = [[""] * (height - len(c)) + c for c in wrapped]
        lines = []
        for i in range(height):
            parts = []
            for cell, w, a in zip(wrapped, widths, align):
                t = cell[i] if i < len(cell) else ""
                parts.append(" " + pad(t, w - 2, a) + " ")
            lines.append(left + mid.join(parts) + right)
        return lines

    out.append(border("┏", "┳", "┓", "━"))
    out.extend(line(header, "┃", "┃", "┃", bottom=True))
    out.append(border("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        out.extend(line(row))
        out.append(border("├", "┼", "┤", "─") if i < len(rows) - 1 else border("└", "┴", "┘", "─"))
    if not rows:
        out.append(border("└", "┴", "┘", "─"))
    out = [l[:columns] for l in out]  # rich crops lines wider than the console
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    count = lambda vs: int(sum(int(np.prod(v.shape)) for v in vs))  # noqa: E731
    opt = getattr(model, "optimizer", None)
    opt_vars = (
        list(opt.variables)
        if getattr(model, "compiled", False) and opt is not None and getattr(opt, "built", False)
        else []
    )
    total = count(trainable) + count(non_trainable) + count(opt_vars)
    total_bytes = _bytes(trainable) + _bytes(non_trainable) + _bytes(opt_vars)
    out.append(f" Total params: {total:,} ({readable_size(total_bytes)})")
    out.append(f" Trainable params: {count(trainable):,} ({readable_size(_bytes(trainable))})")
    out.append(f" Non-trainable params: {count(non_trainable):,} ({readable_size(_bytes(non_trainable))})")
    if opt_vars:
        out.append(f" Optimizer params: {count(opt_vars):,} ({readable_size(_bytes(opt_vars))})")
    text = "\n".join(out) + "\n"
    if print_fn is not None:
        print_fn(text)
        return
    from ..utils.progbar import print_msg

    print_msg(text, line_break=False)

"""Comparing two backends' results for one case: max abs / max rel error against tolerance."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import tolerances


@dataclasses.dataclass
class PairResult:
    a: str
    b: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    ok: bool = True
    worst: str = ""  # result key with the largest violation (or the largest error)
    message: str = ""  # why it failed

    @property
    def pair(self) -> str:
        return f"{self.a}~{self.b}"

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["pair"] = self.pair
        return d


def tolerance_kind(key: str, case_tol: str) -> str:
    prefix = key.split("/", 1)[0]
    if prefix in ("init", "exact"):
        return "exact"
    if prefix == "grad":
        return "exact" if case_tol == "exact" else "gradient"
    if prefix == "train":
        return "training"
    return case_tol


def compare_arrays(x: Any, y: Any, rtol: float, atol: float) -> tuple[float, float, bool, str]:
    """``(max_abs, max_rel, ok, message)`` for two host values (arrays, scalars or Python values)."""
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        same = _py_equal(x, y)
        return 0.0, 0.0, same, "" if same else f"{x!r} != {y!r}"
    if x.shape != y.shape:
        return float("inf"), float("inf"), False, f"shape {x.shape} != {y.shape}"
    if x.dtype != y.dtype:
        return float("inf"), float("inf"), False, f"dtype {x.dtype} != {y.dtype}"
    if x.size == 0:
        return 0.0, 0.0, True, ""
    if x.dtype.kind in "biuSUO":
        diff = int(np.sum(x != y))
        if x.dtype.kind in "iu" and diff:
            d = np.abs(x.astype(np.float64) - y.astype(np.float64))
            return float(d.max()), 1.0, False, f"{diff} of {x.size} values differ"
        return (0.0, 0.0, True, "") if diff == 0 else (1.0, 1.0, False, f"{diff} of {x.size} values differ")
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    nan_x, nan_y = np.isnan(xf), np.isnan(yf)
    if np.any(nan_x != nan_y):
        return float("nan"), float("nan"), False, "NaN at different positions"
    inf = np.isinf(xf) | np.isinf(yf)
    if np.any(xf[inf] != yf[inf]):
        return float("inf"), float("inf"), False, "infinities differ"
    fin = ~(nan_x | inf)
    xf, yf = xf[fin], yf[fin]
    if xf.size == 0:
        return 0.0, 0.0, True, ""
    d = np.abs(xf - yf)
    mag = np.maximum(np.abs(xf), np.abs(yf))
    big = mag > max(atol, 1e-30)
    max_rel = float((d[big] / mag[big]).max()) if np.any(big) else 0.0
    bad = d > atol + rtol * mag
    ok = not bool(np.any(bad))
    msg = "" if ok else f"{int(bad.sum())} of {x.size} values out of tolerance (rtol={rtol:g}, atol={atol:g})"
    return float(d.max()), max_rel, ok, msg


def _py_equal(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(x), np.asarray(y)))
        except Exception:  # noqa: BLE001
            return False
    return x == y


def compare_results(
    name_a: str, ra: dict, name_b: str, rb: dict, case_tol: str, dtype: str, oracle: bool = False
) -> PairResult:
    """Compare every key of two result dicts (for the oracle: the common ``forward`` keys only,
    without dtype checks, under the ``oracle`` tolerance)."""
    res = PairResult(name_a, name_b)
    if oracle:
        keys = sorted(k for k in set(ra) & set(rb) if k.startswith("forward"))
        if not keys:
            res.ok, res.message = False, "no common forward outputs with the oracle"
            return res
    else:
        missing = set(ra) ^ set(rb)
        if missing:
            res.ok, res.message, res.worst = False, f"results differ in keys: {sorted(missing)[:4]}", sorted(missing)[0]
            return res
        keys = sorted(ra)
    worst_score = -1.0
    for k in keys:
        x, y = ra[k], rb[k]
        kind = "oracle" if oracle else tolerance_kind(k, case_tol)
        rtol, atol = tolerances.get(kind, dtype)
        if (
            oracle
            and isinstance(x, np.ndarray)
            and isinstance(y, np.ndarray)
            and x.dtype != y.dtype
            and x.dtype.kind == "f"
            and y.dtype.kind == "f"
        ):
            y = y.astype(x.dtype)
        ma, mr, ok, msg = compare_arrays(x, y, rtol, atol)
        res.max_abs = max(res.max_abs, ma) if not np.isnan(ma) else ma
        res.max_rel = max(res.max_rel, mr) if not np.isnan(mr) else mr
        score = float("inf") if not ok else ma
        if score > worst_score:
            worst_score, res.worst = score, k
        if not ok and res.ok:
            res.ok, res.message = False, f"{k}: {msg}"
    return res

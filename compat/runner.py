"""Running cases on every installed backend in one process and comparing every pair."""

from __future__ import annotations

import dataclasses
import itertools
import time
import traceback
from typing import Any, Callable, Iterable

from .compare import PairResult, compare_results
from .registry import Case, Unavailable, all_cases

ORACLE = "keras"


@dataclasses.dataclass
class CaseResult:
    name: str
    kind: str
    dtype: str
    status: str  # pass | fail | error | unavailable | skipped
    reason: str = ""
    backends: list = dataclasses.field(default_factory=list)
    pairs: list = dataclasses.field(default_factory=list)  # PairResult
    seconds: dict = dataclasses.field(default_factory=dict)  # backend -> run time
    slow: bool = False

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "unavailable", "skipped")

    @property
    def max_abs(self) -> float:
        return max((p.max_abs for p in self.pairs), default=0.0)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["pairs"] = [p.as_dict() for p in self.pairs]
        return d


# Cases where real Keras itself fails (not kshim): the oracle column is reported as unavailable.
KNOWN_ORACLE_CRASHES = {
    ("layers.SimpleRNN", "float64"): "Keras 3.15's SimpleRNN raises TypeError inside its JAX scan for float64 "
    "layers (a float32/float64 carry mismatch); kshim's three backends still agree",
}


def installed_backends() -> list[str]:
    from kshim import backends

    return [n for n in backends.available() if n in ("numpy", "jax", "torch") or True]


def oracle_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("keras") is not None


def _run_one(case: Case, backend_name: str, dtype: str) -> dict:
    import kshim
    from kshim import config

    old = config.floatx()
    config.set_floatx(dtype)
    try:
        kshim.utils.clear_session(free_memory=False)
        kshim.utils.set_random_seed(case.seed())
        with kshim.backend.use(backend_name) as b:
            return case.run(b, dtype)
    finally:
        config.set_floatx(old)


def run_case(
    case: Case,
    dtype: str,
    backends: Iterable[str] | None = None,
    oracle: bool | str = "auto",
) -> CaseResult:
    """Run ``case`` in ``dtype`` on each backend, compare each pair (and the Keras oracle)."""
    backends = list(backends or installed_backends())
    res = CaseResult(case.name, case.kind, dtype, "pass", backends=list(backends), slow=case.slow)
    if dtype not in case.dtypes:
        res.status, res.reason = "skipped", f"case does not run in {dtype}"
        return res
    why = case.missing()
    if why:
        res.status, res.reason = "unavailable", why
        return res
    results: dict[str, dict] = {}
    errors = []
    for name in backends:
        t0 = time.perf_counter()
        try:
            results[name] = _run_one(case, name, dtype)
        except Unavailable as e:
            res.status, res.reason = "unavailable", str(e)
            return res
        except Exception as e:  # noqa: BLE001 - a crash on one backend is a failed case
            tb = traceback.extract_tb(e.__traceback__)
            where = f" at {tb[-1].filename.split('/')[-1]}:{tb[-1].lineno}" if tb else ""
            errors.append(f"{name}: {type(e).__name__}: {str(e)[:300]}{where}")
        res.seconds[name] = time.perf_counter() - t0
    for a, b in itertools.combinations([n for n in backends if n in results], 2):
        res.pairs.append(compare_results(a, results[a], b, results[b], case.tol, dtype))
    use_oracle = case.oracle is not None and (oracle is True or (oracle == "auto" and oracle_available()))
    if use_oracle and results and case.oracle is not None:  # (use_oracle implies an oracle)
        ref_name = next(iter(results))
        t0 = time.perf_counter()
        try:
            ores = case.oracle(dtype, results[ref_name])
            for name in results:
                res.pairs.append(compare_results(name, results[name], ORACLE, ores, case.tol, dtype, oracle=True))
        except Unavailable as e:
            res.reason = f"oracle unavailable: {e}"
        except Exception as e:  # noqa: BLE001
            known = KNOWN_ORACLE_CRASHES.get((case.name, dtype))
            if known is not None:
                res.reason = f"oracle unavailable: {known}"
            else:
                res.pairs.append(
                    PairResult(
                        ref_name,
                        ORACLE,
                        float("nan"),
                        float("nan"),
                        False,
                        "",
                        f"oracle crashed: {type(e).__name__}: {str(e)[:300]}",
                    )
                )
        res.seconds[ORACLE] = time.perf_counter() - t0
    if errors:
        res.status, res.reason = "error", "; ".join(errors)
    elif any(not p.ok for p in res.pairs):
        res.status = "fail"
        res.reason = "; ".join(f"{p.pair}: {p.message}" for p in res.pairs if not p.ok)
    elif len(results) < 2 and not use_oracle:
        res.reason = "only one backend installed: nothing compared"
    return res


def run_matrix(
    backends: Iterable[str] | None = None,
    dtypes: Iterable[str] = ("float32",),
    filter: str | None = None,  # noqa: A002
    kinds: Any = None,
    oracle: bool | str = "auto",
    include_slow: bool = True,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every selected case in every dtype; returns one ``CaseResult`` per (case, dtype)."""
    out = []
    for case in all_cases(kinds=kinds, filter=filter):
        if case.slow and not include_slow:
            continue
        for dtype in dtypes:
            r = run_case(case, dtype, backends, oracle)
            out.append(r)
            if progress is not None:
                progress(r)
    return out

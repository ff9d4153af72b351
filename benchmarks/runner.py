"""Orchestration: start one worker subprocess per contender, interleave timed repetitions across them,
time imports in fresh subprocesses, and write/print the report."""
from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contenders import CONTENDERS, REQUIRES, subprocess_env
from .workloads import WORKLOADS
from .workloads import get as get_workload

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path(__file__).resolve().parent / "RESULTS.md"
ALL_WORKLOADS = list(WORKLOADS) + ["import"]
# The sequence workloads (issue 21) have their own driver, `python -m benchmarks.seq_bench`; the default
# run (and CI's --quick) keeps to the MLP/CNN/tiny table unless they are named with --workloads.
SEQUENCE_WORKLOADS = ("lstm", "gru", "bilstm", "attn")
DEFAULT_WORKLOADS = [w for w in ALL_WORKLOADS if w not in SEQUENCE_WORKLOADS]
EXTRA_ENV: dict[str, str] = {}       # set by main() from the command line (same for every worker)


@dataclass
class Settings:
    quick: bool
    reps: int
    train_target_s: float            # wall time aimed at per timed repetition (sets the number of steps)
    predict_target_s: float
    calib_steps: int
    min_steps_scale: float
    warmup: str                      # "rounds,steps" of warm-up train/predict calls in each worker
    import_runs: dict[str, int]      # import-probe name -> number of fresh-process runs (min is reported)
    settle_s: float = 0.2            # idle gap before each timed request: the previous contender's spinning
                                     # thread pools (OpenBLAS, OpenMP, XLA) go to sleep first
    setup_timeout_s: float = 900.0
    request_timeout_s: float = 600.0


def settings_for(quick: bool) -> Settings:
    if quick:
        # warm-up of 3 steps: the torch backend traces a step on its 3rd call
        return Settings(True, reps=3, train_target_s=0.2, predict_target_s=0.1, calib_steps=1,
                        min_steps_scale=0.5, warmup="1,3", import_runs={"kshim-numpy": 3}, settle_s=0.05)
    return Settings(False, reps=5, train_target_s=0.5, predict_target_s=0.25, calib_steps=2, min_steps_scale=1.0,
                    warmup="2,2",
                    import_runs={"kshim-numpy": 5, "kshim-jax": 2, "kshim-torch": 2, "keras-jax": 2,
                                 "keras-torch": 2, "torch": 2, "jax": 2})


# ---- workers ---------------------------------------------------------------------------------------
class Worker:
    """A ``benchmarks.worker`` subprocess for one contender and the selected workloads."""

    def __init__(self, name: str, workloads: list[str]) -> None:
        self.name = name
        env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND")}
        env.update(subprocess_env(name))
        env.update(EXTRA_ENV)
        env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"kshim-bench-{os.getpid()}-{name}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", name, ",".join(workloads)],
                                     cwd=str(REPO), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._log, text=True, bufsize=1)
        self._q: queue.Queue = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.ready: dict | None = None
        self.dead: str | None = None

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self._q.put(line)
        self._q.put(None)

    def _read(self, timeout: float) -> dict:
        try:
            line = self._q.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            self.dead = f"timed out after {timeout:.0f}s"
            raise RuntimeError(self.dead)
        if line is None:
            self.dead = f"worker exited (rc={self.proc.poll()}); see {self.log_path}"
            raise RuntimeError(self.dead)
        return json.loads(line)

    def wait_ready(self, timeout: float) -> dict:
        try:
            self.ready = self._read(timeout)
        except RuntimeError as e:
            self.ready = {"event": "ready", "info": {}, "setup_s": {}, "errors": {"*": str(e)}}
        return self.ready

    def request_raw(self, op: str, workload: str, n: int, timeout: float) -> Any:
        """The worker's ``seconds`` field as it sent it (a number, or a richer record for some ops)."""
        if self.dead:
            raise RuntimeError(self.dead)
        self.proc.stdin.write(json.dumps({"op": op, "workload": workload, "n": n}) + "\n")
        self.proc.stdin.flush()
        r = self._read(timeout)
        if not r.get("ok"):
            raise RuntimeError(r.get("error", "error"))
        return r["seconds"]

    def request(self, op: str, workload: str, n: int, timeout: float) -> float:
        return float(self.request_raw(op, workload, n, timeout))

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
        except Exception:
            self.kill()
        self._log.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Series:
    """Per-step seconds of the timed repetitions of one (contender, workload, op)."""
    steps: int = 0
    per_step: list[float] = field(default_factory=list)
    error: str | None = None


def run_workloads(contenders: list[str], workloads: list[str], s: Settings, log) -> tuple[dict, dict]:
    results: dict[tuple[str, str, str], Series] = {}
    meta: dict[str, dict] = {}
    if not workloads or not contenders:
        return results, meta
    log(f"starting {len(contenders)} workers (setup and warm-up run in parallel) ...")
    t0 = time.perf_counter()
    EXTRA_ENV["KSHIM_BENCH_WARMUP"] = s.warmup
    workers = {c: Worker(c, workloads) for c in contenders}
    try:
        for c, w in workers.items():
            r = w.wait_ready(s.setup_timeout_s)
            meta[c] = r
            errs = r.get("errors") or {}
            log(f"  {c:12s} ready after {time.perf_counter() - t0:5.1f}s"
                + (f"  errors: {errs}" if errs else ""))
        for wl in workloads:
            wk = get_workload(wl)
            min_steps = max(1, int(round(wk.min_steps * s.min_steps_scale)))
            log(f"[{wl}] calibrating ...")
            steps: dict[tuple[str, str], int] = {}
            for op, target in (("train", s.train_target_s), ("predict", s.predict_target_s)):
                for c, w in workers.items():
                    key = (c, wl, op)
                    results[key] = Series()
                    err = (meta[c].get("errors") or {}).get(wl) or (meta[c].get("errors") or {}).get("*")
                    if err:
                        results[key].error = err
                        continue
                    try:
                        time.sleep(s.settle_s)
                        est = w.request(op, wl, s.calib_steps, s.request_timeout_s) / s.calib_steps
                    except RuntimeError as e:
                        results[key].error = str(e)
                        continue
                    n = min(wk.max_steps, max(min_steps, math.ceil(target / max(est, 1e-9))))
                    steps[(c, op)] = n
                    results[key].steps = n
            for op in ("train", "predict"):
                active = [c for c in contenders if not results[(c, wl, op)].error]
                for rep in range(s.reps):
                    order = active[rep % len(active):] + active[: rep % len(active)] if active else []
                    for c in order:
                        key = (c, wl, op)
                        if results[key].error:
                            continue
                        n = steps[(c, op)]
                        time.sleep(s.settle_s)
                        try:
                            results[key].per_step.append(workers[c].request(op, wl, n, s.request_timeout_s) / n)
                        except RuntimeError as e:
                            results[key].error = str(e)
                line = "  ".join(f"{c}={_fmt_ms(_median(results[(c, wl, op)].per_step))}" for c in contenders)
                log(f"[{wl}] {op:7s} ms/step: {line}")
    finally:
        for w in workers.values():
            w.close()
    return results, meta


# ---- imports -----------------------------------------------------------------------------------
IMPORT_PROBES: dict[str, tuple[str, dict[str, str], str]] = {
    # name -> (statement, environment, label)
    "kshim-numpy": ("import kshim; kshim.backend.current()", {"KSHIM_BACKEND": "numpy"}, "import kshim (numpy)"),
    "kshim-jax": ("import kshim; kshim.backend.current()", {"KSHIM_BACKEND": "jax"}, "import kshim (jax)"),
    "kshim-torch": ("import kshim; kshim.backend.current()", {"KSHIM_BACKEND": "torch"}, "import kshim (torch)"),
    "keras-jax": ("import keras", {"KERAS_BACKEND": "jax"}, "import keras (jax)"),
    "keras-torch": ("import keras", {"KERAS_BACKEND": "torch"}, "import keras (torch)"),
    "torch": ("import torch", {}, "import torch"),
    "jax": ("import jax, jax.numpy", {}, "import jax"),
}
_PROBE = ("import sys, time, json\nt = time.perf_counter()\n{stmt}\ndt = time.perf_counter() - t\n"
          "print(json.dumps({{'s': dt, 'jax': 'jax' in sys.modules, 'torch': 'torch' in sys.modules}}))")


def import_probes_for(contenders: list[str], s: Settings) -> list[str]:
    wanted = []
    for p in IMPORT_PROBES:
        if p not in s.import_runs:
            continue
        if p in CONTENDERS and p not in contenders:
            continue
        if p == "torch" and not any("torch" in c for c in contenders):
            continue
        if p == "jax" and not any("jax" in c for c in contenders):
            continue
        wanted.append(p)
    return wanted


def time_imports(probes: list[str], s: Settings, log) -> dict[str, dict]:
    out: dict[str, dict] = {}
    base = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND")}
    base["JAX_PLATFORMS"] = "cpu"
    base["PYTHONPATH"] = str(REPO) + os.pathsep + base.get("PYTHONPATH", "")
    runs = {p: [] for p in probes}
    errors: dict[str, str] = {}
    for i in range(max((s.import_runs[p] for p in probes), default=0)):      # interleaved, like the steps
        for p in probes:
            if i >= s.import_runs[p] or p in errors:
                continue
            stmt, env, _ = IMPORT_PROBES[p]
            r = subprocess.run([sys.executable, "-c", _PROBE.format(stmt=stmt)], cwd=str(REPO),
                               env={**base, **env}, capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                errors[p] = (r.stderr.strip().splitlines() or ["failed"])[-1]
                continue
            runs[p].append(json.loads(r.stdout.strip().splitlines()[-1]))
    for p in probes:
        rs = runs[p]
        out[p] = {"label": IMPORT_PROBES[p][2], "runs": len(rs), "error": errors.get(p),
                  "min_s": min((r["s"] for r in rs), default=None),
                  "median_s": _median([r["s"] for r in rs]),
                  "loads_jax": bool(rs and rs[-1]["jax"]), "loads_torch": bool(rs and rs[-1]["torch"])}
        log(f"[import] {out[p]['label']:24s} min {_fmt_s(out[p]['min_s'])} over {len(rs)} runs"
            + (f"  error: {errors[p]}" if p in errors else ""))
    return out


# ---- helpers ----------------------------------------------------------------------------------
def _median(xs: list[float]) -> float | None:
    if not xs:
        return None
    ys = sorted(xs)
    k = len(ys) // 2
    return ys[k] if len(ys) % 2 else 0.5 * (ys[k - 1] + ys[k])


def _fmt_ms(x: float | None) -> str:
    return "—" if x is None else (f"{x * 1e3:.3g}" if x * 1e3 < 100 else f"{x * 1e3:.0f}")


def _fmt_s(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}s"


def available(name: str) -> str | None:
    """Why a contender cannot run here (a missing distribution), or None."""
    for dist in REQUIRES[name]:
        if importlib.util.find_spec(dist) is None:
            return f"{dist} not installed"
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="CI mode: fewer steps and repetitions, no real-Keras contenders unless named, "
                        "import time of kshim (numpy) only; prints the table, writes a file only with --out")
    p.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                   help=f"comma-separated subset of {','.join(ALL_WORKLOADS)} "
                        f"(default: {','.join(DEFAULT_WORKLOADS)})")
    p.add_argument("--contenders", default=None,
                   help=f"comma-separated subset of {','.join(CONTENDERS)} (default: all installed; "
                        "--quick leaves out keras-*)")
    p.add_argument("--out", default=None, help=f"Markdown report path (default: {DEFAULT_OUT} unless --quick)")
    p.add_argument("--omp-wait-policy", choices=("auto", "passive", "active", "inherit"), default="auto",
                   help="OMP_WAIT_POLICY for every worker (torch's OpenMP pool). 'inherit' leaves the "
                        "environment as it is (libgomp's default: spin briefly, then sleep), as users run; "
                        "'passive' sleeps at once, which keeps torch usable when other processes oversubscribe "
                        "the CPUs but adds a thread wake-up to every parallel op. Default 'auto': inherit, "
                        "or passive when the 1-minute load average at start exceeds the core count")
    p.add_argument("--torch-threads", type=int, default=None,
                   help="torch.set_num_threads for every torch contender (default: torch's default)")
    p.add_argument("--blas-threads", type=int, default=None,
                   help="OPENBLAS_NUM_THREADS for every worker (NumPy's BLAS; default: OpenBLAS' default)")
    p.add_argument("--reps", type=int, default=None, help="timed repetitions per contender (median reported)")
    p.add_argument("--sections", default=None,
                   help="what a run reports, a subset of main,seq,sweep: main = the --workloads table; seq = the "
                        "sequence workloads with their memory column (seq_bench.py); sweep = how cost grows "
                        "(sweep.py). Default: all three for a full run without --workloads (RESULTS.md then holds "
                        "everything from one run, ~15 min on 2 cores), main otherwise")
    p.add_argument("--sweep", action="store_true",
                   help="how cost grows (sweep.py): MLP over batch size and width, LSTM and attention over "
                        "sequence length, kshim against the hand-written loops (default contenders "
                        "kshim-torch,torch-loop,kshim-jax,jax-loop); writes benchmarks/SWEEP.md and sweep.png "
                        "unless --out")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from .report import machine_info, render

    args = parse_args(argv)
    s = settings_for(args.quick)
    if args.reps:
        s.reps = args.reps
    policy = args.omp_wait_policy
    if policy == "auto":
        policy = "passive" if os.getloadavg()[0] > (os.cpu_count() or 1) else "inherit"
    if policy != "inherit":
        EXTRA_ENV["OMP_WAIT_POLICY"] = policy.upper()
    if args.blas_threads:
        EXTRA_ENV["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    if args.torch_threads:
        EXTRA_ENV["KSHIM_BENCH_TORCH_THREADS"] = str(args.torch_threads)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ALL_WORKLOADS]
    if bad:
        print(f"unknown workload(s) {bad}; choose from {ALL_WORKLOADS}", file=sys.stderr)
        return 2
    if args.contenders:
        contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
        bad = [c for c in contenders if c not in CONTENDERS]
        if bad:
            print(f"unknown contender(s) {bad}; choose from {list(CONTENDERS)}", file=sys.stderr)
            return 2
    elif args.sweep:
        from .sweep import DEFAULT_CONTENDERS

        contenders = list(DEFAULT_CONTENDERS)
    else:
        contenders = [c for c in CONTENDERS if not (args.quick and c.startswith("keras-"))]
    skipped = {c: why for c in contenders if (why := available(c))}
    contenders = [c for c in contenders if c not in skipped]
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    for c, why in skipped.items():
        log(f"skipping {c}: {why}")

    if args.sweep:
        from . import sweep

        return sweep.main(contenders, s, args.out, log)
    t_start = time.perf_counter()
    info = machine_info()
    info["blas_threads"] = EXTRA_ENV.get("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    info["omp_wait_policy"] = EXTRA_ENV.get("OMP_WAIT_POLICY", os.environ.get("OMP_WAIT_POLICY", "unset"))
    info["omp_wait_policy"] += f" (--omp-wait-policy {args.omp_wait_policy})"
    train_wls = [w for w in workloads if w in WORKLOADS]
    results, meta = run_workloads(contenders, train_wls, s, log)
    imports = time_imports(import_probes_for(contenders, s), s, log) if "import" in workloads else {}
    info["loadavg_end"] = _loadavg()
    info["runtime_s"] = time.perf_counter() - t_start
    md = render(info, s, contenders, skipped, train_wls, results, meta, imports)
    sections = _sections(args)
    out = args.out or (None if args.quick else str(DEFAULT_OUT))
    if "seq" in sections:
        from . import seq_bench

        md += "\n\n" + _demote(seq_bench.report(contenders, list(SEQUENCE_WORKLOADS), s, log))
    if "sweep" in sections:
        from . import sweep

        png = Path(out).with_name("sweep.png") if out else None
        md += "\n\n" + _demote(sweep.report([c for c in sweep.DEFAULT_CONTENDERS if c in contenders], s, png, log))
    print(md)
    if out:
        Path(out).write_text(md)
        log(f"wrote {out} (total {time.perf_counter() - t_start:.0f}s)")
    return 0


def _sections(args: argparse.Namespace) -> set[str]:
    if args.sections:
        return {x.strip() for x in args.sections.split(",") if x.strip()}
    explicit = args.workloads != ",".join(DEFAULT_WORKLOADS)
    return {"main"} if args.quick or explicit else {"main", "seq", "sweep"}


def _demote(md: str) -> str:
    """Headings one level down, so a section's own ``#`` title nests under the report's."""
    return "\n".join("#" + line if line.startswith("#") else line for line in md.splitlines())


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"

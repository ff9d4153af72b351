"""Sequence-model benchmark (issue 21): ``lstm``, ``gru``, ``bilstm``, ``attn`` for every contender,
training step and ``predict``, with the peak memory of a step.

    python -m benchmarks.seq_bench [--workloads lstm,gru,bilstm,attn] [--contenders ...] [--reps 5]
                                   [--quick] [--out PATH] [--omp-wait-policy ...]

Same method as ``python -m benchmarks`` (``runner.py``): one worker process per contender, set up and
warmed up in parallel, steps per repetition calibrated to ~0.5 s, repetitions interleaved round-robin
(rotating order, a settle pause before each), reported as medians and as the median over repetitions of
the per-repetition ratio to a baseline. Then, per workload and contender, the peak RSS growth of a
2-step ``train`` and ``predict`` call in the same worker (``seq_memory.measure``; median of 3).
The workloads are also part of ``python -m benchmarks --workloads ...`` (without the memory column).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

from . import runner
from .contenders import CONTENDERS
from .seq_models import SEQ_WORKLOADS
from .workloads import WORKLOADS

BASELINES = (("torch-loop", "vs PyTorch"), ("jax-loop", "vs JAX"), ("keras-jax", "vs Keras-jax"),
             ("keras-torch", "vs Keras-torch"))
MEM_STEPS, MEM_REPS = 2, 3


def run(contenders: list[str], workloads: list[str], s: runner.Settings, log) -> tuple[dict, dict, dict]:
    """Timing series ``{(c, wl, op): runner.Series}``, memory ``{(c, wl, op): MiB}``, worker meta."""
    results: dict = {}
    memory: dict = {}
    meta: dict = {}
    runner.EXTRA_ENV["KSHIM_BENCH_WARMUP"] = s.warmup
    workers = {c: runner.Worker(c, workloads) for c in contenders}
    t0 = time.perf_counter()
    try:
        for c, w in workers.items():
            meta[c] = w.wait_ready(s.setup_timeout_s)
            errs = meta[c].get("errors") or {}
            log(f"  {c:12s} ready after {time.perf_counter() - t0:5.1f}s" + (f"  errors: {errs}" if errs else ""))
        for wl in workloads:
            wk = WORKLOADS[wl]
            steps: dict = {}
            for op, target in (("train", s.train_target_s), ("predict", s.predict_target_s)):
                for c, w in workers.items():
                    key = results[(c, wl, op)] = runner.Series()
                    err = (meta[c].get("errors") or {}).get(wl) or (meta[c].get("errors") or {}).get("*")
                    if err:
                        key.error = err
                        continue
                    try:
                        time.sleep(s.settle_s)
                        est = w.request(op, wl, s.calib_steps, s.request_timeout_s) / s.calib_steps
                    except RuntimeError as e:
                        key.error = str(e)
                        continue
                    steps[(c, op)] = key.steps = min(wk.max_steps, max(wk.min_steps, math.ceil(target / est)))
            for op in ("train", "predict"):
                active = [c for c in contenders if not results[(c, wl, op)].error]
                for rep in range(s.reps):
                    for c in active[rep % len(active):] + active[: rep % len(active)] if active else []:
                        ser = results[(c, wl, op)]
                        if ser.error:
                            continue
                        time.sleep(s.settle_s)
                        try:
                            n = steps[(c, op)]
                            ser.per_step.append(workers[c].request(op, wl, n, s.request_timeout_s) / n)
                        except RuntimeError as e:
                            ser.error = str(e)
                log(f"[{wl}] {op:7s} ms/step: " + "  ".join(
                    f"{c}={runner._fmt_ms(runner._median(results[(c, wl, op)].per_step))}" for c in contenders))
                for c in active:
                    if results[(c, wl, op)].error:
                        continue
                    try:
                        peaks = [workers[c].request_raw(op + "_mem", wl, MEM_STEPS, s.request_timeout_s)["peak_mb"]
                                 for _ in range(MEM_REPS)]
                        memory[(c, wl, op)] = runner._median([p for p in peaks if p is not None])
                    except RuntimeError as e:
                        log(f"[{wl}] memory of {c} {op}: {e}")
    finally:
        for w in workers.values():
            w.close()
    return results, memory, meta


def _ratio(results: dict, a: str, b: str, op: str, wl: str) -> float | None:
    sa, sb = results.get((a, wl, op)), results.get((b, wl, op))
    if sa is None or sb is None or sa.error or sb.error or not sa.per_step or not sb.per_step:
        return None
    return runner._median([x / y for x, y in zip(sa.per_step, sb.per_step)])


def render(contenders: list[str], workloads: list[str], results: dict, memory: dict, meta: dict,
           info: dict) -> str:
    base = [(b, lab) for b, lab in BASELINES if b in contenders]
    out = ["# kshim sequence-model benchmarks (issue 21)", "",
           f"Machine: {info.get('cpu', '?')}, {os.cpu_count()} cores, load average at start {info.get('load0')}, "
           f"end {info.get('load1')}; OMP_WAIT_POLICY={runner.EXTRA_ENV.get('OMP_WAIT_POLICY', 'inherit')}, "
           f"OPENBLAS_NUM_THREADS={runner.EXTRA_ENV.get('OPENBLAS_NUM_THREADS', 'default')}; "
           f"{info.get('reps')} interleaved repetitions; ratios are medians of per-repetition ratios.", ""]
    for wl in workloads:
        out += [f"## {wl}: {WORKLOADS[wl].description}", ""]
        for op in ("train", "predict"):
            head = ["contender", f"{op} ms/step (median)", "min"] + [lab for _, lab in base] + ["peak RSS MiB"]
            out += ["| " + " | ".join(head) + " |", "|" + "---|" * 2 + "---:|" * (len(head) - 2)]
            for c in contenders:
                ser = results.get((c, wl, op))
                if ser is None:
                    continue
                if ser.error:
                    out.append(f"| {CONTENDERS[c]['label']} | error: {ser.error[:80]} |" + " |" * (len(head) - 2))
                    continue
                med, mn = runner._median(ser.per_step), min(ser.per_step) if ser.per_step else None
                ratios = [_ratio(results, c, b, op, wl) for b, _ in base]
                mem = memory.get((c, wl, op))
                out.append("| " + " | ".join([CONTENDERS[c]["label"], runner._fmt_ms(med), runner._fmt_ms(mn)]
                                              + ["—" if r is None else f"{r:.2f}×" for r in ratios]
                                              + ["—" if mem is None else f"{mem:.1f}"]) + " |")
            out.append("")
    return "\n".join(out)


def report(contenders: list[str], workloads: list[str], s: runner.Settings, log) -> str:
    """Run ``workloads`` for ``contenders`` (timing and memory); the Markdown report."""
    from .report import machine_info

    info = {"cpu": machine_info().get("cpu"), "load0": runner._loadavg(), "reps": s.reps}
    results, memory, meta = run(contenders, workloads, s, log)
    info["load1"] = runner._loadavg()
    return render(contenders, workloads, results, memory, meta, info)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.seq_bench", description=__doc__.split("\n")[0])
    p.add_argument("--workloads", default=",".join(SEQ_WORKLOADS))
    p.add_argument("--contenders", default=",".join(CONTENDERS))
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=None)
    p.add_argument("--omp-wait-policy", choices=("auto", "passive", "active", "inherit"), default="auto")
    p.add_argument("--blas-threads", type=int, default=None, help="OPENBLAS_NUM_THREADS for every worker")
    args = p.parse_args(argv)
    if args.blas_threads:
        runner.EXTRA_ENV["OPENBLAS_NUM_THREADS"] = str(args.blas_threads)
    s = runner.settings_for(args.quick)
    if args.reps:
        s.reps = args.reps
    policy = args.omp_wait_policy
    if policy == "auto":
        policy = "passive" if os.getloadavg()[0] > (os.cpu_count() or 1) else "inherit"
    if policy != "inherit":
        runner.EXTRA_ENV["OMP_WAIT_POLICY"] = policy.upper()
    workloads = [w for w in args.workloads.split(",") if w]
    contenders = [c for c in args.contenders.split(",") if c]
    bad = [w for w in workloads if w not in WORKLOADS] + [c for c in contenders if c not in CONTENDERS]
    if bad:
        print(f"unknown workloads/contenders {bad}", file=sys.stderr)
        return 2
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    for c in list(contenders):
        why = runner.available(c)
        if why:
            log(f"skipping {c}: {why}")
            contenders.remove(c)
    md = report(contenders, workloads, s, log)
    print(md)
    if args.out:
        Path(args.out).write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

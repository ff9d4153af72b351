"""One contender in its own process: ``python -m benchmarks.worker CONTENDER WORKLOAD[,WORKLOAD...]``.

Protocol (JSON lines; the protocol uses the original stdout, everything the frameworks print goes to
stderr): the worker sets up every workload, then prints
``{"event": "ready", "info": {...}, "setup_s": {...}, "errors": {...}}`` and answers requests
``{"op": "train"|"predict", "workload": W, "n": N}`` with ``{"ok": true, "seconds": S}`` (or
``{"ok": false, "error": "..."}``) until ``{"op": "quit"}`` or end of input.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback


def main(argv: list[str]) -> int:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                                   # frameworks' prints must not corrupt the protocol
    sys.stdout = sys.stderr
    name, workloads = argv[0], [w for w in argv[1].split(",") if w]

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    if os.environ.get("KSHIM_BENCH_TORCH_THREADS"):
        import torch
        torch.set_num_threads(int(os.environ["KSHIM_BENCH_TORCH_THREADS"]))
    from .contenders import make
    from .workloads import get as get_workload, make_data

    errors: dict[str, str] = {}
    setup_s: dict[str, float] = {}
    instances: dict[str, object] = {}
    t0 = time.perf_counter()
    try:
        factory_made = [make(name)]
    except Exception as e:                          # framework missing / broken: every workload fails
        send({"event": "ready", "info": {}, "setup_s": {}, "import_s": None,
              "errors": {w: f"import: {type(e).__name__}: {e}" for w in workloads}})
        traceback.print_exc()
        return 0
    import_s = time.perf_counter() - t0
    first = factory_made[0]
    for i, wname in enumerate(workloads):
        t1 = time.perf_counter()
        try:
            c = first if i == 0 else make(name)
            wk = get_workload(wname)
            x, y = make_data(wk)
            c.setup(wk, x, y)
            instances[wname] = c
        except Exception as e:
            errors[wname] = f"setup: {type(e).__name__}: {e}"
            traceback.print_exc()
        setup_s[wname] = time.perf_counter() - t1
    info = {}
    try:
        info = first.info()
    except Exception:
        pass
    send({"event": "ready", "info": info, "setup_s": setup_s, "import_s": import_s, "errors": errors})

    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        c = instances.get(req.get("workload"))
        if c is None:
            send({"ok": False, "error": errors.get(req.get("workload"), "unknown workload")})
            continue
        try:
            seconds = getattr(c, req["op"])(int(req["n"]))
            send({"ok": True, "seconds": seconds})
        except Exception as e:
            traceback.print_exc()
            send({"ok": False, "error": f"{req['op']}: {type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

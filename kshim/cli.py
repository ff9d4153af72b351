"""The ``kshim`` command: ``info``, ``matrix``, ``compare`` and ``run``.

    kshim info [--coverage] [--write docs/coverage.md]
    kshim matrix [--backends numpy,jax,torch] [--dtype float32|float64|all] [--filter SUBSTR] [--report DIR]
    kshim compare [mlp|cnn|path/to/script.py] [--epochs N] [--backends ...] [--seeds N] [--baseline keras|native]
                  [--trace] [--repeats R] [--validation-split F] [--dropout RATE] [--report DIR]
    kshim run [--backend numpy|jax|torch] script.py [args ...]    (also: python -m kshim script.py [args ...])

    kshim --version

Exit status (``EXIT_CODES``; also in ``kshim --help`` and docs/cli.md): 0 everything ran and agreed,
1 a comparison failed (``matrix``: a case failed or errored; ``compare``: a backend pair diverged;
``run``: the script's own status, 1 when it raises), 2 usage error (bad option, unknown backend or
model, backend not installed, no case matches ``--filter``, real Keras needed but missing), 3 an
internal kshim error (a traceback is printed). ``compare`` and ``run`` load scripts with
``import keras`` resolving to kshim (``kshim.alias_keras()``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, Sequence

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success: everything ran and every backend pair agreed",
    EXIT_FAILED: "a comparison failed (matrix: a case failed or errored; compare: a backend pair diverged); "
    "run: the script's own exit status (1 when it raises)",
    EXIT_USAGE: "usage error: bad option, unknown backend or model, backend not installed, "
    "no case matches --filter, real Keras needed but not installed",
    EXIT_INTERNAL: "internal kshim error (a traceback is printed)",
}
"""Exit statuses of the ``kshim`` command (shown in ``kshim --help`` and docs/cli.md)."""

MATRIX_LEGEND = (
    "Legend: each cell is MAX_ABS/MAX_REL ok|FAIL for that backend pair (a~b; 'keras' = real Keras 3) over all of "
    "the case's outputs: MAX_ABS = max |a - b|, MAX_REL = max |a - b| / max(|a|, |b|) over values with magnitude "
    "above atol; ok = every value within |a - b| <= atol + rtol * max(|a|, |b|) for each output's "
    "tolerance kind (compat/tolerances.py: exact, elementwise, reduction, gradient, training, oracle); "
    "'-' = pair not compared."
)
"""Printed under the ``kshim matrix`` table."""

COMPARE_LEGEND = (
    "Legend: accuracy, loss = evaluation on the held-out split after training; ms/step = median wall time of the "
    "steps after the first; 1st step s = the first step (includes tracing/compilation); fit s = the whole fit. "
    "init identical = the initial weights are bit-identical; max |dW| = max |a - b| over the final weights; "
    "max |dloss| = max |a - b| of the per-step training loss; ok = initial weights identical and every final "
    "weight and loss value within |a - b| <= atol + rtol * max(|a|, |b|) (the tolerance line)."
)
"""Printed under the ``kshim compare`` tables."""

NAMESPACES = ("ops", "layers", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers")
"""The namespaces listed first in the coverage report (every other public Keras namespace follows)."""

# Public Keras names kshim leaves out on purpose, with the reason (shown in the report, not counted missing).
LEFT_OUT: dict[tuple[str, str], str] = {
    ("layers", "TFSMLayer"): "loads TensorFlow SavedModels: needs TensorFlow, which kshim does not use",
    ("export", "ExportArchive"): "builds TensorFlow SavedModels (tf.Module endpoints): needs TensorFlow; "
    "model.export writes ONNX, torch.export and jax.export artifacts",
    ("callbacks", "OrbaxCheckpoint"): "needs orbax-checkpoint (JAX-only, 11 extra packages incl. tensorstore) and "
    "Keras' state-tree API; ModelCheckpoint/BackupAndRestore cover checkpointing",
}


def _backends_arg(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.replace(" ", ",").split(",") if v.strip()]


def _check_backends(names: list[str] | None) -> list[str]:
    from . import backends as reg

    if names is None:
        return [n for n in reg.available() if n in ("numpy", "jax", "torch")] + [
            n for n in reg.available() if n not in ("numpy", "jax", "torch")
        ]
    for n in names:
        reg.get(n)  # ValueError for unknown, ImportError for not installed
    return names


# ---- info -----------------------------------------------------------------------------------------
def _public(mod: Any) -> set[str]:
    import types

    names = getattr(mod, "__all__", None) or dir(mod)
    out = set()
    for n in names:
        if n.startswith("_"):
            continue
        v = getattr(mod, n, None)
        if v is None or isinstance(v, types.ModuleType):
            continue
        out.add(n)
    return out


# Keras sub-namespaces whose names kshim keeps flat in a parent (the keras alias shows them as views).
_VIEWED_AS = {"ops.numpy": "ops", "ops.nn": "ops"}


def keras_namespaces(keras: Any) -> list[str]:
    """Every public namespace of the installed Keras (``"ops.image"``, ``"applications.resnet"``...),
    the audited ``NAMESPACES`` first; ``""`` is the package root."""
    import importlib
    import pkgutil

    found: list[str] = []
    todo = [("", keras)]
    while todo:  # descend only into public namespaces (walk_packages would import keras.src.backend.*)
        prefix, pkg = todo.pop()
        for m in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
            if m.name.startswith("_") or m.name in ("src", "api"):
                continue
            rel = f"{prefix}{m.name}"
            found.append(rel)
            if m.ispkg:
                try:
                    todo.append((rel + ".", importlib.import_module(f"keras.{rel}")))
                except Exception:  # noqa: BLE001 - a namespace that needs TensorFlow
                    continue
    rest = sorted(set(found) - set(NAMESPACES))
    return list(NAMESPACES) + [""] + rest


def namespace_modules(namespaces: Sequence[str]) -> Any:
    """Yield ``(namespace, kshim holder path, keras module, kshim module or None)`` for each of
    ``namespaces`` whose Keras module imports (some need TensorFlow); a kshim namespace that does
    not import is ``None``. Shared by the coverage table, the docs generator and the docstring test."""
    import importlib

    for ns in namespaces:
        try:
            kmod = importlib.import_module(f"keras.{ns}" if ns else "keras")
        except Exception:  # noqa: BLE001 - a Keras namespace that needs TensorFlow to import
            continue
        holder = _VIEWED_AS.get(ns, ns)
        try:
            smod = importlib.import_module(f"kshim.{holder}" if holder else "kshim")
        except Exception:  # noqa: BLE001 - a namespace that does not import counts as absent
            smod = None
        yield ns, holder, kmod, smod


def coverage() -> tuple[dict, str]:
    """``{namespace: {"keras": n, "kshim": n, "missing": [...], "left_out": {name: reason}}}`` for every
    public Keras namespace, and the Keras version; needs real Keras installed."""
    from .compat.oracle import import_keras
    from .compat.registry import Unavailable

    try:
        keras = import_keras()
    except Unavailable as e:
        raise ImportError(str(e)) from e
    out: dict[str, dict[str, Any]] = {}
    for ns, _, kmod, smod in namespace_modules(keras_namespaces(keras)):
        k = _public(kmod)
        s = _public(smod) if smod is not None else set()
        left = {n: r for (lns, n), r in LEFT_OUT.items() if lns == ns and n in k and n not in s}
        out[ns or "keras"] = {
            "keras": len(k),
            "kshim": len(k & s),
            "missing": sorted(k - s - set(left)),
            "left_out": left,
        }
    return out, keras.__version__


def cmd_info(args: argparse.Namespace) -> int:
    import kshim
    from . import backends as reg

    print(
        f"kshim {kshim.__kshim_version__} (Keras {kshim.__version__} API)  floatx={kshim.config.floatx()}  "
        f"image_data_format={kshim.config.image_data_format()}  default backend={kshim.backend.default_name()}"
    )
    print(f"{'backend':8s} {'installed':9s} {'version':12s} device")
    for name in reg.names():
        if not reg.is_available(name):
            print(f"{name:8s} {'no':9s} {'-':12s} -  (pip install 'kshim[{name}]')")
            continue
        lib = "numpy" if name == "numpy" else name
        try:
            version = __import__(lib).__version__
            device = reg.get(name).device_name()
        except Exception as e:  # noqa: BLE001
            version, device = "?", f"error: {e}"
        print(f"{name:8s} {'yes':9s} {version:12s} {device}")
    if not args.coverage:
        return EXIT_OK
    try:
        cov, kver = coverage()
    except ImportError:
        print("\n--coverage needs real Keras 3: pip install 'kshim[oracle]'", file=sys.stderr)
        return EXIT_USAGE
    lines = [
        f"# kshim coverage of Keras {kver}",
        "",
        "Public names of each Keras 3 namespace that kshim does not provide (generated by "
        "`kshim info --coverage --write docs/coverage.md`).",
        "",
        "| namespace | Keras names | in kshim | missing | left out on purpose |",
        "|---|---|---|---|---|",
    ]
    for ns, c in cov.items():
        lines.append(f"| {ns} | {c['keras']} | {c['kshim']} | {len(c['missing'])} | {len(c['left_out'])} |")
    total_k = sum(c["keras"] for c in cov.values())
    total_s = sum(c["kshim"] for c in cov.values())
    lines += ["", f"In all: {total_s} of {total_k} public names ({100 * total_s / max(total_k, 1):.0f}%)."]
    lines += [
        "",
        "Left out as features rather than names: **sparse tensors** (Keras has them on TensorFlow and "
        "JAX only; kshim has no sparse tensor type on any backend: `bincount(sparse=True)` raises "
        "ValueError, `one_hot`/`multi_hot` return dense results, `Input(sparse=True)` is recorded so "
        "configs round-trip, and the data stays dense) and "
        "the **float8** dtypes (`cast` names the supported dtypes). Keras' own correctness tests of these "
        "(`python -m kshim.compat.keras_conformance`) are counted as failures, not skipped. "
        "**Complex dtypes** are supported: `complex64` and `complex128` convert on every backend and promote "
        "by Keras' lattice (64-bit results kept, as float64 is; a Python `complex` is weakly typed); `real`, "
        "`imag`, `conj`/`conjugate`, `angle`, `isreal`, `abs`, `view_as_complex`, `view_as_real` and `polar` "
        "compute on them, as do add/subtract/multiply/divide/negative/exp, `matmul`, `sum`/`mean`/`var`/`std`, "
        "the shape ops and `zeros_like`/`ones_like`, with gradients w.r.t. real inputs on numpy, jax and "
        "torch. An op defined on real numbers only raises TypeError for complex input instead of dropping the "
        "imaginary part (an explicit `cast` keeps the real part, as NumPy does); the FFT ops keep Keras' "
        "(real, imag) pairs.",
    ]
    for ns, c in cov.items():
        lines += ["", f"## {ns} ({len(c['missing'])} missing)", ""]
        lines.append(", ".join(f"`{n}`" for n in c["missing"]) if c["missing"] else "(none)")
        for n, why in sorted(c["left_out"].items()):
            lines.append(f"- `{n}` left out: {why}")
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.write:
        import os

        os.makedirs(os.path.dirname(os.path.abspath(args.write)), exist_ok=True)
        with open(args.write, "w") as f:
            f.write(text)
        print(f"wrote {args.write}")
    return EXIT_OK


def _wrap(legend: str) -> str:
    import textwrap

    return textwrap.fill(legend, 110, subsequent_indent="  ")


# ---- matrix -----------------------------------------------------------------------------------------
def _enable_jax_cache() -> None:
    """Persistent XLA compilation cache for the matrix (one compile per case otherwise dominates
    the run time on small CPUs); opt out with KSHIM_JAX_CACHE=0."""
    import importlib.util
    import os

    if os.environ.get("KSHIM_JAX_CACHE", "1") == "0" or importlib.util.find_spec("jax") is None:
        return
    import jax

    path = os.path.join(os.path.expanduser("~"), ".cache", "kshim", "jax")
    try:
        jax.config.update("jax_compilation_cache_dir", path)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except Exception:  # noqa: BLE001 - older jax: no cache, just slower
        pass


def cmd_matrix(args: argparse.Namespace) -> int:
    from .compat import report, runner

    backends = _check_backends(_backends_arg(args.backends))
    dtypes = ["float32", "float64"] if args.dtype == "all" else [args.dtype]
    oracles: dict[str, bool | str] = {"auto": "auto", "on": True, "off": False}
    oracle = oracles[args.oracle]
    _enable_jax_cache()
    t0 = time.perf_counter()
    n = [0]

    def progress(r: Any) -> None:
        n[0] += 1
        if not args.quiet and r.status in ("fail", "error"):
            print(f"  {r.status.upper():5s} {r.name} [{r.dtype}]: {r.reason[:200]}", file=sys.stderr)

    results = runner.run_matrix(
        backends=backends, dtypes=dtypes, filter=args.filter, kinds=args.kind, oracle=oracle, progress=progress
    )
    seconds = time.perf_counter() - t0
    if not results:
        print(f"no case matches filter {args.filter!r}", file=sys.stderr)
        return EXIT_USAGE
    print(report.table(results, only_problems=args.problems_only))
    print(_wrap(MATRIX_LEGEND))
    print()
    probs = report.problems(results)
    if probs:
        print("Not passing:\n" + probs + "\n")
    print(f"{len(results)} case runs on {', '.join(backends)} in {seconds:.1f} s -- {report.summary_line(results)}")
    if args.report:
        paths = report.write(results, args.report, report.meta(backends, seconds))
        print("wrote " + ", ".join(paths))
    return EXIT_FAILED if any(r.status in ("fail", "error") for r in results) else EXIT_OK


# ---- compare -----------------------------------------------------------------------------------------
def _study_mode(args: argparse.Namespace) -> bool:
    """Whether the options ask for a study (several seeds, baselines, a trace or the timing split)."""
    return args.seeds > 1 or bool(args.baseline) or args.trace or bool(args.repeats)


def _baselines(values: list[str] | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for arg in values or [] for v in arg.split(",") if v.strip()))


def cmd_compare(args: argparse.Namespace) -> int:
    from ._alias import RealKerasObjectError, aliased
    from .compat import training

    backends = _check_backends(_backends_arg(args.backends))
    if args.seeds < 1 or (args.repeats or 0) < 0 or not 0.0 <= args.validation_split < 1.0:
        raise ValueError("--seeds must be >= 1, --repeats >= 0 and --validation-split in [0, 1).")
    study_mode = _study_mode(args)
    t0 = time.perf_counter()
    try:
        # A script's `import keras` gets kshim; if this process already imported real Keras (an
        # in-process caller), the script sees it and a real-Keras model is refused by name below.
        with aliased(strict=False):
            if study_mode:
                from .compat import study

                res = study.run_study(
                    args.model,
                    backends=backends,
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    seeds=[args.seed + i for i in range(args.seeds)],
                    baselines=_baselines(args.baseline),
                    trace=args.trace,
                    validation_split=args.validation_split,
                    dropout=args.dropout,
                    timing_repeats=5 if args.repeats is None else args.repeats,
                    trace_steps=args.trace_steps,
                    log=lambda line: print(f"[{time.perf_counter() - t0:6.1f} s] {line}", file=sys.stderr, flush=True),
                )
            else:
                extra = {k: v for k, v in (("validation_split", args.validation_split), ("dropout", args.dropout)) if v}
                res = training.run_compare(
                    args.model,
                    backends=backends,
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    seed=args.seed,
                    **extra,
                )
    except RealKerasObjectError as e:
        print(f"kshim compare: {e}", file=sys.stderr)
        return EXIT_USAGE
    if study_mode:
        text = study.format_study(res) + "\n" + _wrap(study.STUDY_LEGEND)
    else:
        text = training.format_compare(res) + "\n" + _wrap(COMPARE_LEGEND)
    print(text)
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.report:
        paths, note = training.write_compare(res, args.report, text)
        if note:
            print(note)
        print("wrote " + ", ".join(paths))
    return EXIT_OK if res["ok"] else EXIT_FAILED


# ---- run ----------------------------------------------------------------------------------------------
def run_script(script: str, argv: Sequence[str] = (), backend: str | None = None) -> int:
    """Run an unmodified Keras program on kshim: ``import keras`` resolves to kshim.

    The script runs as ``__main__`` (``runpy``) with ``sys.argv == [script, *argv]`` and its
    directory first on ``sys.path``, as ``python script.py`` would.

    Args:
        script: Path of the Python file.
        argv: Its command-line arguments.
        backend: Active backend for the whole run. It wins over the environment and over
            ``os.environ["KERAS_BACKEND"] = ...`` in the script (it sets ``KSHIM_BACKEND``, which
            outranks ``KERAS_BACKEND``, and the process default); only an explicit
            ``kshim.backend.use(...)`` in the script overrides it. Without it, the usual order
            applies, so a script that sets ``KERAS_BACKEND`` before its first op picks the backend.

    Returns:
        The exit status: the script's ``sys.exit`` code, 0 when it finishes, 1 when it raises
        (the traceback is printed from the script's first frame on).

    Raises:
        ValueError: unknown backend name. ImportError: backend not installed.
        FileNotFoundError: no such script. RuntimeError: real Keras already imported here.
    """
    import os
    import runpy
    import traceback

    from . import backend as _backend
    from ._alias import alias_keras

    path = os.path.abspath(script)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such script: {script}")
    if backend:
        _check_backends([backend])
        os.environ["KSHIM_BACKEND"] = backend
        _backend.set_backend(backend)
    alias_keras()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [script, *argv]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return int(e.code or 0)
        print(e.code, file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - the script's own error: show it as Python would
        tb = e.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return run_script(args.script, args.args, backend=args.backend)
    except (FileNotFoundError, RuntimeError) as e:
        print(f"kshim run: {e}", file=sys.stderr)
        return EXIT_USAGE


SUBCOMMANDS = ("info", "matrix", "compare", "run")


def version() -> str:
    """kshim's release from the installed package metadata (``kshim.__kshim_version__`` when not installed)."""
    from importlib import metadata

    try:
        return metadata.version("kshim")
    except metadata.PackageNotFoundError:
        from . import __kshim_version__

        return __kshim_version__


def _epilog() -> str:
    import textwrap

    return "exit status:\n" + "\n".join(
        textwrap.fill(text, 96, initial_indent=f"  {code}  ", subsequent_indent="     ")
        for code, text in EXIT_CODES.items()
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kshim",
        description="kshim: Keras 3 over NumPy, JAX and PyTorch.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kshim {version()}", help="print 'kshim VERSION' and exit")
    sub = p.add_subparsers(dest="command", required=True)
    pi = sub.add_parser("info", help="installed backends, versions, devices, floatx; --coverage vs real Keras")
    pi.add_argument("--coverage", action="store_true", help="list Keras 3 public names kshim lacks")
    pi.add_argument("--write", metavar="PATH", help="with --coverage: also write the list as Markdown")
    pi.set_defaults(fn=cmd_info)
    pm = sub.add_parser("matrix", help="run the compatibility matrix across backends")
    pm.add_argument("--backends", help="comma-separated backends (default: all installed)")
    pm.add_argument("--dtype", default="float32", choices=["float32", "float64", "all"])
    pm.add_argument(
        "--filter",
        metavar="SUBSTR",
        help="only cases whose name contains SUBSTR (case-insensitive; "
        "a comma list matches any of them); exit status 2 when none does",
    )
    pm.add_argument("--kind", action="append", choices=["op", "random", "layer", "model"], help="case kinds")
    pm.add_argument("--oracle", default="auto", choices=["auto", "on", "off"], help="real Keras 3 column")
    pm.add_argument("--report", metavar="DIR", help="write matrix.json and matrix.md into DIR")
    pm.add_argument("--problems-only", action="store_true", help="table rows only for cases not passing")
    pm.add_argument("--quiet", action="store_true")
    pm.set_defaults(fn=cmd_matrix)
    pc = sub.add_parser("compare", help="train one model on every backend with the same seed and compare")
    pc.add_argument("model", nargs="?", default="mlp", help="mlp, cnn, or path/to/script.py defining build_model()")
    pc.add_argument("--epochs", type=int, default=3)
    pc.add_argument("--batch-size", type=int, default=64)
    pc.add_argument("--seed", type=int, default=1337)
    pc.add_argument("--backends", help="comma-separated backends (default: all installed)")
    pc.add_argument(
        "--seeds",
        type=int,
        default=1,
        metavar="N",
        help="a study over N seeds (--seed, --seed+1, ...): mean ± std [min, max] of every result",
    )
    pc.add_argument(
        "--baseline",
        action="append",
        metavar="keras|native",
        help="extra columns: 'keras' = real Keras 3 on the jax/torch backends (subprocess), 'native' = "
        "hand-written torch and JAX loops (mlp, cnn); same initial weights and batches",
    )
    pc.add_argument("--trace", action="store_true", help="trace where the backends first diverge (per layer, step)")
    pc.add_argument("--trace-steps", type=int, default=5, metavar="N", help="steps of the --trace (default 5)")
    pc.add_argument(
        "--repeats",
        type=int,
        default=None,
        metavar="R",
        help="timing split (forward, backward, optimizer) over R repetitions (default 5 in a study, 0 otherwise)",
    )
    pc.add_argument(
        "--validation-split",
        type=float,
        default=0.0,
        metavar="F",
        help="validation curves on the last fraction F of the training data (default: the test split)",
    )
    pc.add_argument(
        "--dropout",
        type=float,
        default=None,
        metavar="RATE",
        help="dropout rate of the bundled models (default 0.2; 0 makes baselines comparable step by step)",
    )
    pc.add_argument("--report", metavar="DIR", help="write compare.md/.json/.csv/.html and the PNG plots into DIR")
    pc.set_defaults(fn=cmd_compare)
    pr = sub.add_parser("run", help="run an unmodified Keras script on kshim (`import keras` resolves to kshim)")
    pr.add_argument(
        "--backend",
        help="active backend for the run (numpy, jax, torch); wins over KERAS_BACKEND "
        "set by the script or the environment",
    )
    pr.add_argument("script", help="path/to/script.py")
    pr.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script (its sys.argv[1:])")
    pr.set_defaults(fn=cmd_run)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kshim`` command; returns its exit status (``EXIT_CODES``; argparse exits 2 itself)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except (ValueError, ImportError) as e:
        print(f"kshim {args.command}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # noqa: BLE001 - a bug in kshim: keep status 1 for "a comparison failed"
        import traceback

        traceback.print_exc()
        print(f"kshim {args.command}: internal error (exit status {EXIT_INTERNAL})", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())

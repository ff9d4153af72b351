"""Run every example in this folder, each in its own ``__main__`` namespace, and report.

    kshim run --backend numpy examples/_run_all.py [-v] [NAME ...]

(or ``python -m kshim run --backend jax examples/_run_all.py``). Between scripts the session is
cleared and the seed reset. Prints one ``PASS``/``SKIP``/``FAIL`` line per script (a failure with
its output and traceback) and exits 1 when any script failed. ``NAME`` arguments select scripts by
substring; ``-v`` shows every script's output. Scripts that exit 0 early (a per-backend example on
another backend) count as SKIP. On JAX, compilations are cached on disk (see
``enable_jax_compilation_cache``). On a small shared CPU, ``OMP_NUM_THREADS=1`` speeds PyTorch up a lot.
"""
import contextlib
import io
import os
import runpy
import sys
import time
import traceback

import keras

HERE = os.path.dirname(os.path.abspath(__file__))


def scripts(selected=()):
    names = sorted(n for n in os.listdir(HERE) if n.endswith(".py") and not n.startswith("_"))
    if selected:
        names = [n for n in names if any(s in n for s in selected)]
    return [os.path.join(HERE, n) for n in names]


def run_one(path, verbose=False):
    """``(status, seconds, detail)`` for one script; its output is kept only when it fails."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    out = io.StringIO()
    saved_argv, saved_path, saved_cwd = sys.argv, list(sys.path), os.getcwd()
    sys.argv = [path]
    sys.path.insert(0, HERE)
    t0 = time.perf_counter()
    status, detail = "PASS", ""
    try:
        with contextlib.redirect_stdout(sys.stdout if verbose else out):
            runpy.run_path(path, run_name="__main__")
    except SystemExit as e:
        if e.code in (None, 0):
            status, detail = "SKIP", out.getvalue().strip().splitlines()[-1:] or [""]
            detail = detail[0]
        else:
            status, detail = "FAIL", f"exit status {e.code!r}\n{out.getvalue()}"
    except BaseException as e:  # noqa: BLE001 - report every script's failure and go on
        if isinstance(e, KeyboardInterrupt):
            raise
        status = "FAIL"
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != path:
            tb = tb.tb_next  # start the traceback at the script's own frame
        detail = out.getvalue()[-4000:] + "".join(traceback.format_exception(type(e), e, tb or e.__traceback__))
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        os.chdir(saved_cwd)
    return status, time.perf_counter() - t0, detail


def enable_jax_compilation_cache():
    """On JAX, keep XLA compilations on disk (~/.cache/kshim/jax) so a second run skips them;
    EXAMPLES_JAX_CACHE=0 turns it off."""
    if keras.backend.backend() != "jax" or os.environ.get("EXAMPLES_JAX_CACHE", "1") == "0":
        return
    import jax
    try:
        jax.config.update("jax_compilation_cache_dir", os.path.join(os.path.expanduser("~"), ".cache", "kshim", "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except Exception:  # noqa: BLE001 - an older jax without the cache: just slower
        pass


def main(argv):
    enable_jax_compilation_cache()
    verbose = "-v" in argv
    argv = [a for a in argv if a != "-v"]
    paths = scripts(argv)
    if not paths:
        print(f"no example matches {argv}")
        return 2
    backend = keras.backend.backend()
    print(f"running {len(paths)} examples on {backend}")
    t_all = time.perf_counter()
    failed, skipped = [], []
    for path in paths:
        name = os.path.basename(path)
        if verbose:
            print(f"---- {name}", flush=True)
        status, seconds, detail = run_one(path, verbose)
        print(f"{status} {name} ({seconds:.1f} s){': ' + detail if status == 'SKIP' and detail else ''}", flush=True)
        if status == "SKIP":
            skipped.append(name)
        if status == "FAIL":
            failed.append(name)
            print("    " + detail.rstrip().replace("\n", "\n    "), flush=True)
    total = time.perf_counter() - t_all
    passed = len(paths) - len(failed) - len(skipped)
    print(f"{passed} passed, {len(skipped)} skipped, {len(failed)} failed of {len(paths)} examples "
          f"on {backend} in {total:.1f} s")
    if failed:
        print("FAILED: " + " ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

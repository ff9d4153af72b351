"""Type-check kshim/, backends/ and compat/ with mypy, as the one package ``kshim``.

setup.py installs ``backends/`` as ``kshim.backends`` and ``compat/`` as ``kshim.compat``; the
editable install does that with an import hook, which mypy cannot follow, and plain ``mypy`` would
name those files ``backends.*`` and ``compat.*``. This wrapper renames them before the build and
otherwise runs mypy as its command line does: options from ``[tool.mypy]`` in pyproject.toml,
one message a line, the summary line, exit status 0 (clean), 1 (errors) or 2 (blocking errors).

Usage: ``python scripts/typecheck.py [mypy options] [files]`` (files default to ``[tool.mypy] files``).
"""

from __future__ import annotations

import sys
import time

from mypy import util
from mypy.fscache import FileSystemCache
from mypy.main import process_options, run_build

_ROOTS = {"backends": "kshim.backends", "compat": "kshim.compat"}


def main(args: list[str]) -> int:
    """Runs mypy on ``args``; returns its exit status."""
    t0 = time.time()
    fscache = FileSystemCache()
    sources, options = process_options(args, fscache=fscache)
    for source in sources:
        top, dot, rest = (source.module or "").partition(".")
        if top in _ROOTS:
            source.module = _ROOTS[top] + dot + rest
    _, messages, blockers = run_build(sources, options, fscache, t0, sys.stdout, sys.stderr)
    n_errors, n_notes, n_files = util.count_stats(messages)
    formatter = util.FancyFormatter(sys.stdout, sys.stderr, options.hide_error_codes)
    if n_errors:
        print(formatter.format_error(n_errors, n_files, len(sources), blockers=blockers, use_color=False))
    else:
        print(formatter.format_success(len(sources), False))
    return (2 if blockers else 1) if n_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

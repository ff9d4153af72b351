"""The ``Example:`` sections of kshim's docstrings, run as doctests on every backend (issue 20).

Every module of the ``kshim`` package is searched with :class:`doctest.DocTestFinder`; each example runs
with ``kshim`` and ``np`` (NumPy) in its namespace, inside ``kshim.backend.use(<backend>)``. Examples are
written backend-neutrally (values shown through ``kshim.ops.convert_to_numpy``), so all of them run on
every backend; one that cannot must say so with ``# doctest: +SKIP`` and a reason next to it.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import kshim

# Modules that import an optional framework at import time, or are entry points with side effects.
_NOT_IMPORTED = ("kshim.__main__",)


def _modules() -> list:
    out = []
    for info in pkgutil.walk_packages(kshim.__path__, "kshim."):
        if info.name in _NOT_IMPORTED:
            continue
        try:
            out.append(importlib.import_module(info.name))
        except ImportError:  # an optional dependency that is not installed here
            continue
    return out


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    seen, tests = set(), []
    for mod in _modules():
        found = finder.find(mod, mod.__name__, globs={})
        # Ops wrapped by a decorator (``@op``) have the wrapper's module; find them through
        # ``__wrapped__`` in the module that defines them.
        for name, obj in vars(mod).items():
            inner = getattr(obj, "__wrapped__", None)
            if inner is not None and getattr(inner, "__module__", None) == mod.__name__:
                found += finder.find(inner, f"{mod.__name__}.{name}", module=mod, globs={})
        for t in found:
            key = (t.filename, t.lineno)
            if t.examples and key not in seen:
                seen.add(key)
                tests.append(t)
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


def test_there_are_examples():
    """The public API carries runnable examples (a floor, so they cannot all vanish unnoticed)."""
    assert len(DOCTESTS) >= 45, len(DOCTESTS)


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_example(backend, test):
    test.globs = {"kshim": kshim, "np": np}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    with kshim.backend.use(backend.name):
        result = runner.run(test, out=out.append, clear_globs=True)
    assert result.failed == 0, "".join(out)

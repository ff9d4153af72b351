"""pytest plugin: run a test suite on every kshim backend.

Installed with kshim (a ``pytest11`` entry point named after this module), so any project that has
kshim installed gets, with no ``conftest.py``:

* ``--backend numpy|jax|torch|all`` or a comma list such as ``--backend numpy,jax`` (default
  ``$KSHIM_TEST_BACKEND``, else ``all``). Unknown names are a usage error (exit status 4).
* The ``backend`` fixture: a test that takes it runs once per selected backend (ids ``[numpy]``,
  ``[jax]``, ``[torch]``) with that backend active (``kshim.backend.use``) and receives the backend
  object. A backend whose library is not installed is skipped, not failed.
* Markers ``@pytest.mark.backends("jax", "torch")`` (run only on those backends) and
  ``@pytest.mark.skip_backend("numpy", reason="...")`` (skip on those, with the reason).
* Opt-in ``--backend-all-tests`` (or the ini option ``kshim_parametrize_all = true``): tests that do
  not take the fixture also run once per selected backend, with that backend active.

A test that neither takes the fixture nor runs under the opt-in flag runs once, on the process
default backend (``KSHIM_BACKEND``...); the markers then skip it when that backend is excluded.

Array libraries are imported only for the backends selected: ``--backend numpy,jax`` never imports
torch. Disable the plugin with ``-p no:kshim.testing.pytest_plugin``. The entry point has the module's
name so that a ``conftest.py`` saying ``pytest_plugins = ["kshim.testing.pytest_plugin"]`` (needed
under ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``) finds it registered already instead of registering it twice,
which pytest refuses.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Generator, Iterator

import pytest

if TYPE_CHECKING:
    from pluggy import Result

ALL = ("numpy", "jax", "torch")
"""The backends ``--backend all`` selects."""

_MARKERS = (
    "backends(*names): run this test only on these kshim backends (a subset of those --backend selects)",
    "skip_backend(*names, reason=None): skip this test on these kshim backends",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kshim", "kshim backends")
    group.addoption(
        "--backend",
        action="store",
        default=None,
        metavar="NAMES",
        help="kshim backend(s) to test: numpy, jax, torch, all, or a comma list such as numpy,jax "
        "(default: $KSHIM_TEST_BACKEND, else all)",
    )
    group.addoption(
        "--backend-all-tests",
        action="store_true",
        default=None,
        help="also run tests that do not take the 'backend' fixture once per selected backend, "
        "with that backend active (ini option: kshim_parametrize_all)",
    )
    parser.addini(
        "kshim_parametrize_all",
        type="bool",
        default=False,
        help="kshim: run every test once per selected backend (as --backend-all-tests)",
    )


def _known_backends() -> list[str]:
    from kshim import backends as reg  # the registry only: imports no array library

    return list(dict.fromkeys([*ALL, *reg.names()]))


def selected_backends(config: pytest.Config) -> list[str]:
    """Backend names selected by ``--backend`` / ``$KSHIM_TEST_BACKEND`` (default ``all``).

    Args:
        config: The pytest config.

    Returns:
        The names, in the order given (``all`` is numpy, jax, torch).

    Raises:
        pytest.UsageError: an unknown backend name, or an empty list.
    """
    opt = config.getoption("--backend") or os.environ.get("KSHIM_TEST_BACKEND") or "all"
    names: list[str] = []
    for n in (s.strip() for s in opt.split(",")):
        for name in ALL if n == "all" else (n,) if n else ():
            if name not in names:
                names.append(name)
    known = _known_backends()
    for n in names:
        if n not in known:
            raise pytest.UsageError(f"--backend: unknown backend {n!r}; choose from {', '.join(known)} or all")
    if not names:
        raise pytest.UsageError("--backend: no backend named")
    return names


def parametrize_all(config: pytest.Config) -> bool:
    """Whether tests without the ``backend`` fixture also run once per backend (the opt-in)."""
    return bool(config.getoption("--backend-all-tests") or config.getini("kshim_parametrize_all"))


def pytest_configure(config: pytest.Config) -> None:
    for line in _MARKERS:
        config.addinivalue_line("markers", line)
    # Full-precision matmuls everywhere while checking equivalence -- only when torch is selected
    # and installed (importing torch otherwise would cost seconds and break `--backend numpy,jax`).
    import importlib.util

    if "torch" in selected_backends(config) and importlib.util.find_spec("torch") is not None:
        import torch

        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def _marker_names(mark: pytest.Mark, known: list[str]) -> list[str]:
    names = [a for arg in mark.args for a in ((arg,) if isinstance(arg, str) else arg)]
    for n in names:
        if n not in known:
            raise ValueError(f"@pytest.mark.{mark.name}: unknown kshim backend {n!r}; choose from {', '.join(known)}")
    return names


def backend_marks(node: Any, known: list[str] | None = None) -> tuple[set[str] | None, dict[str, str]]:
    """The ``backends`` / ``skip_backend`` markers on a test: ``(allowed or None, {name: skip reason})``.

    Several ``backends`` markers intersect; several ``skip_backend`` markers add up.

    Raises:
        ValueError: a marker names an unknown backend.
    """
    known = known or _known_backends()
    allowed: set[str] | None = None
    for m in node.iter_markers("backends"):
        names = set(_marker_names(m, known))
        allowed = names if allowed is None else allowed & names
    skips: dict[str, str] = {}
    for m in node.iter_markers("skip_backend"):
        for n in _marker_names(m, known):
            skips.setdefault(n, m.kwargs.get("reason") or f"skipped on the {n} backend (skip_backend)")
    return allowed, skips


def _is_ours(metafunc: pytest.Metafunc, argname: str) -> bool:
    """Whether ``argname`` resolves to this plugin's fixture (a project's own ``backend`` fixture wins
    and is left alone)."""
    arg2defs = getattr(metafunc, "_arg2fixturedefs", None)
    if arg2defs is None:  # a pytest without this (private) mapping: assume no project overrides it
        return True
    defs = arg2defs.get(argname)
    if not defs:
        return False
    func = getattr(defs[-1], "func", None)
    return getattr(func, "__module__", None) == __name__


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = metafunc.fixturenames
    if "backend" in names and _is_ours(metafunc, "backend"):
        argname = "backend"
    elif "_kshim_backend_all_tests" in names and "backend" not in names and parametrize_all(metafunc.config):
        argname = "_kshim_backend_all_tests"
    else:
        return
    chosen = selected_backends(metafunc.config)
    allowed, skips = backend_marks(metafunc.definition)
    params = [
        pytest.param(n, id=n, marks=[pytest.mark.skip(reason=skips[n])] if n in skips else [])
        for n in chosen
        if allowed is None or n in allowed
    ]
    if not params:
        why = f"runs only on {', '.join(sorted(allowed or ()))}; --backend selected {', '.join(chosen)}"
        params = [pytest.param(None, id="no-backend", marks=[pytest.mark.skip(reason=why)])]
    metafunc.parametrize(argname, params, indirect=True)


def _activate(name: str) -> Iterator[Any]:
    import kshim
    from kshim import backends

    if not backends.is_available(name):
        pytest.skip(f"backend {name!r} is not installed")
    b = backends.get(name)
    with kshim.backend.use(b):
        yield b


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The backend object for this parametrization, made active for the test."""
    yield from _activate(request.param)


@pytest.fixture(autouse=True)
def _kshim_backend_all_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Under ``--backend-all-tests``: makes this parametrization's backend active for a test that
    does not take ``backend``; otherwise does nothing."""
    name = getattr(request, "param", None)
    if name is None:
        yield
        return
    for _ in _activate(name):
        yield


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Markers on a test that runs once (no fixture, no opt-in): skip when the default backend is excluded."""
    callspec = getattr(item, "callspec", None)  # parametrized tests (pytest.Function) have one
    if callspec is not None and ("backend" in callspec.params or "_kshim_backend_all_tests" in callspec.params):
        return
    if item.get_closest_marker("backends") is None and item.get_closest_marker("skip_backend") is None:
        return
    import kshim

    allowed, skips = backend_marks(item)
    name = kshim.backend.default_name()
    if allowed is not None and name not in allowed:
        pytest.skip(f"runs only on {', '.join(sorted(allowed))}; the default backend is {name}")
    if name in skips:
        pytest.skip(skips[name])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Result[None], None]:
    """A test that asks for a backend whose library is not installed is skipped, not failed
    (kshim raises ``ImportError: kshim backend 'jax' needs the 'jax' package, which is not installed``)."""
    outcome = yield
    exc = outcome.excinfo
    if (
        exc is not None
        and issubclass(exc[0], ImportError)
        and "which is not installed" in str(exc[1])
        and "kshim backend" in str(exc[1])
    ):
        outcome.force_exception(pytest.skip.Exception(str(exc[1]), _use_item_location=True))

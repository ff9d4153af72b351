"""pytest plugin: ``--backend`` option and a ``backend`` fixture parametrized over backends."""
from __future__ import annotations

import os

import pytest

ALL = ("numpy", "jax", "torch")


def pytest_addoption(parser):
    group = parser.getgroup("kshim")
    group.addoption("--backend", action="store", default=None,
                    help="kshim backend(s) to test: numpy, jax, torch, all, or a comma list (default: all)")


def selected_backends(config) -> list[str]:
    """Backend names selected by ``--backend`` / ``KSHIM_TEST_BACKEND`` (default all)."""
    opt = config.getoption("--backend") or os.environ.get("KSHIM_TEST_BACKEND") or "all"
    names = list(ALL) if opt == "all" else [n.strip() for n in opt.split(",") if n.strip()]
    for n in names:
        if n not in ALL:
            raise pytest.UsageError(f"--backend: unknown backend {n!r}; choose from {', '.join(ALL)} or all")
    return names


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", selected_backends(metafunc.config), indirect=True)


def pytest_configure(config):
    # Full-precision matmuls everywhere while checking equivalence.
    try:
        import torch
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    except ImportError:
        pass


@pytest.fixture
def backend(request):
    """The backend object for this parametrization, made active for the test."""
    import kshim
    from kshim import backends

    name = request.param
    if not backends.is_available(name):
        pytest.skip(f"backend {name!r} is not installed")
    b = backends.get(name)
    with kshim.backend.use(b):
        yield b


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """A test that asks for a backend whose library is not installed is skipped, not failed
    (kshim raises ``ImportError: kshim backend 'jax' needs the 'jax' package, which is not installed``)."""
    outcome = yield
    exc = outcome.excinfo
    if exc is not None and issubclass(exc[0], ImportError) and "which is not installed" in str(exc[1]) \
            and "kshim backend" in str(exc[1]):
        outcome.force_exception(pytest.skip.Exception(str(exc[1]), _use_item_location=True))

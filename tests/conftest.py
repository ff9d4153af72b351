"""Shared pytest setup: the ``--backend`` option and the ``backend`` fixture.

They come from kshim's pytest plugin (``kshim.testing.pytest_plugin``), which installing kshim
registers through its ``pytest11`` entry point: ``--backend numpy|jax|torch|all`` (default ``all``, or
``$KSHIM_TEST_BACKEND``) parametrizes every test that takes the ``backend`` fixture; uninstalled
backends are skipped. The line below registers it when the entry point did not (kshim not installed,
or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``); when it did, pytest sees the same name and skips it.
"""
import importlib.abc
import importlib.util
import os
import sys

pytest_plugins = ["kshim.testing.pytest_plugin"]


class _HideModules(importlib.abc.MetaPathFinder):
    """``KSHIM_TEST_HIDE=keras,jax,torch``: those packages import as if not installed, so one venv can
    run the suite as the NumPy-only CI job sees it (``pip install -e ".[test]"``)."""

    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden by KSHIM_TEST_HIDE)", name=fullname)
        return None


_HIDDEN = {m.strip() for m in os.environ.get("KSHIM_TEST_HIDE", "").split(",") if m.strip()}
if _HIDDEN:
    _loaded = sorted(m for m in _HIDDEN if m in sys.modules)
    if _loaded:
        raise RuntimeError(f"KSHIM_TEST_HIDE: {_loaded} were imported before tests/conftest.py could hide them")
    sys.meta_path.insert(0, _HideModules(_HIDDEN))
    _real_find_spec = importlib.util.find_spec

    def _find_spec(name, package=None):  # "is it installed?" answers no, as on the NumPy-only install
        if name.split(".")[0] in _HIDDEN:
            return None
        return _real_find_spec(name, package)

    importlib.util.find_spec = _find_spec

# Real Keras 3 is the oracle of many tests; it runs on JAX (TensorFlow is not a test dependency).
os.environ.setdefault("KERAS_BACKEND", "jax")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


# kshim's default backend reads KERAS_BACKEND too: where that backend is not installed (the NumPy-only
# install, or KSHIM_TEST_HIDE), tests that do not take the ``backend`` fixture run on NumPy instead.
if not os.environ.get("KSHIM_BACKEND") and not _importable(os.environ["KERAS_BACKEND"]):
    os.environ["KSHIM_BACKEND"] = "numpy"


def pytest_configure(config):
    """Put JAX in the state every test expects, whichever backends the run selects.

    * ``jax_enable_x64`` on, as kshim's JAX backend sets it when first used: the Keras oracle's float64
      cases need it even in a ``--backend numpy`` run (where kshim's JAX backend is never touched and
      Keras-on-JAX would silently compute float64 cases in float32).
    * XLA's optimisation passes off (``jax_disable_most_optimizations``): the suite compiles thousands
      of small one-off programs (kshim's jitted cases and steps, and the Keras oracle's eager primitives),
      and those passes were most of the compile time -- the compat matrix's layer cases took 130 s instead
      of 271 s with every result still passing. They change no value the tests check beyond the
      tolerances the tests already justify for XLA; ``KSHIM_TEST_XLA_OPTIMIZE=1`` turns them back on
      (``kshim matrix``, the benchmarks and user programs always run with them).
    """
    try:
        import jax
    except ImportError:
        return
    jax.config.update("jax_enable_x64", True)
    if os.environ.get("KSHIM_TEST_XLA_OPTIMIZE") != "1":
        jax.config.update("jax_disable_most_optimizations", True)

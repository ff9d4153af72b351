"""``import keras`` means kshim, when the user asks for it: ``kshim.alias_keras()``.

How the alias maps modules:

* ``keras`` *is* the ``kshim`` module, and ``keras.X.Y`` *is* the module ``kshim.X.Y`` whenever
  kshim has one (``sys.modules["keras.layers"] is kshim.layers``): identity, not a copy, so
  ``keras.layers.Dense is kshim.layers.Dense``, ``isinstance`` checks agree and monkeypatching
  ``keras.config`` patches kshim. The modules keep their own ``__name__`` and ``__spec__``
  (``kshim.layers``); only ``sys.modules`` gains the ``keras...`` keys.
* Keras 3 sub-namespaces that kshim keeps flat in their parent are read-only views of the module
  holding the names: ``keras.ops.nn`` and ``keras.ops.numpy`` forward to ``kshim.ops`` (see
  ``_VIEWS``); ``keras.ops.linalg`` and ``keras.ops.image`` are kshim's own submodules. Views are registered in
  ``sys.modules`` when the alias is installed, and set as attributes of ``kshim.ops`` where it has
  none: ``kshim.ops.nn`` stays kshim's real submodule, so ``from keras.ops.nn import X`` reads the
  view (every op) while the attribute path ``keras.ops.nn.X`` reads ``kshim/ops/nn.py``.
* Legacy paths Keras 3 still has map to the kshim module holding their names:
  ``keras.preprocessing.sequence`` -> ``kshim.preprocessing.sequence`` (``pad_sequences``),
  ``keras.preprocessing.image`` -> ``kshim.preprocessing.image`` (``load_img``, ``img_to_array``, ...).
* Everything else raises ``ModuleNotFoundError`` (an ``ImportError``) that says whether Keras 3
  has the module and kshim lacks it (``keras.applications``), or Keras 3 itself removed it
  (``keras.layers.experimental``, ``keras.preprocessing.text``). Real Keras is never loaded
  under the ``keras`` name while the alias is installed.

``alias_keras()`` raises ``RuntimeError`` when real Keras is already imported: redirecting the
name at that point would leave two frameworks in one process, whose objects cannot be mixed.

The same module holds ``reject_real_keras``, the one check kshim runs where it receives layers
from user code (``Sequential``, layer attribute tracking, ``kshim compare``), so a real-Keras
object handed to kshim fails with a ``TypeError`` that names the fix (the alias).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
import types
from typing import TYPE_CHECKING, Any, Iterator, cast

if TYPE_CHECKING:
    from importlib.abc import Loader  # typing only: importlib.abc is slow to import

from ._foreign import (  # noqa: F401 (re-exported: older code imports these from kshim._alias)
    _FOREIGN_PREFIXES,  # noqa: F401
    RealKerasObjectError,
    _foreign_class,  # noqa: F401
    check_kshim_model,  # noqa: F401
    reject_real_keras,
    symbolic_conversion_error,  # noqa: F401
)

__all__ = ["alias_keras", "unalias_keras", "is_aliased", "aliased", "reject_real_keras", "RealKerasObjectError"]

ENV_VAR = "KSHIM_ALIAS_KERAS"

# Public module paths of Keras 3 (3.15), used only to word errors for paths kshim lacks.
_KERAS3_MODULES = frozenset(
    """
keras keras.activations keras.applications keras.applications.convnext keras.applications.densenet
keras.applications.efficientnet keras.applications.efficientnet_v2 keras.applications.imagenet_utils
keras.applications.inception_resnet_v2 keras.applications.inception_v3 keras.applications.mobilenet
keras.applications.mobilenet_v2 keras.applications.mobilenet_v3 keras.applications.nasnet
keras.applications.resnet keras.applications.resnet50 keras.applications.resnet_v2 keras.applications.vgg16
keras.applications.vgg19 keras.applications.xception keras.backend keras.callbacks keras.config
keras.constraints keras.datasets keras.datasets.boston_housing keras.datasets.california_housing
keras.datasets.cifar10 keras.datasets.cifar100 keras.datasets.fashion_mnist keras.datasets.imdb
keras.datasets.mnist keras.datasets.reuters keras.distillation keras.distribution keras.dtype_policies
keras.export keras.initializers keras.layers keras.legacy keras.legacy.saving keras.losses keras.metrics
keras.mixed_precision keras.models keras.ops keras.ops.image keras.ops.linalg keras.ops.nn keras.ops.numpy
keras.optimizers keras.optimizers.legacy keras.optimizers.schedules keras.preprocessing
keras.preprocessing.image keras.preprocessing.sequence keras.quantizers keras.random keras.regularizers
keras.saving keras.tree keras.utils keras.utils.bounding_boxes keras.utils.legacy keras.visualization
keras.wrappers
""".split()
)

# keras path -> kshim module whose names it shows (Keras 3 nests them; kshim keeps them flat).
_VIEWS = {
    "keras.ops.nn": "kshim.ops",
    "keras.ops.numpy": "kshim.ops",
}

# keras path -> kshim module, where the name differs from ``kshim.<rest>`` (legacy paths).
_RENAMES: dict[str, str] = {"keras": "kshim"}

# Paths Keras 3 does not have (Keras 2 / tf.keras did), with the Keras 3 replacement.
_REMOVED_IN_KERAS3 = {
    "keras.layers.experimental": "its layers moved to `keras.layers` (e.g. `keras.layers.RandomFlip`, "
    "`keras.layers.Rescaling`)",
    "keras.preprocessing.text": "use `keras.layers.TextVectorization`",
    "keras.engine": "import `Layer`, `Model`, `Input` from `keras`, `keras.layers` or `keras.models`",
    "keras.src": "`keras.src` is real Keras' private implementation; import from the public `keras.*` "
    "namespaces instead",
    "keras.wrappers.scikit_learn": "Keras 3 has `keras.wrappers.SKLearnClassifier`/`SKLearnRegressor`",
}

# Names a missing path would have provided, for the error message.
_MISSING_HINTS: dict[str, str] = {}


class _State:
    finder: "_KerasAliasFinder | None" = None
    added_attrs: list[tuple[types.ModuleType, str]] = []


# ---- the finder ----------------------------------------------------------------------------------------
class _View(types.ModuleType):
    """Read-only module view: ``keras.ops.numpy`` showing the names of ``kshim.ops``."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, f"kshim alias: {name} shows the names of {target}.")
        self.__dict__["_kshim_target"] = target
        self.__dict__["__package__"] = name.rpartition(".")[0]

    def _target(self) -> types.ModuleType:
        return importlib.import_module(self.__dict__["_kshim_target"])

    def __getattr__(self, attr: str) -> Any:
        target = self._target()
        if attr == "__all__":
            return _public(target)
        if attr.startswith("__"):
            raise AttributeError(attr)
        try:
            return getattr(target, attr)
        except AttributeError:
            raise AttributeError(
                f"module {self.__name__!r} has no attribute {attr!r}: `import keras` resolves to "
                f"kshim (kshim.alias_keras()), and kshim does not implement "
                f"{self.__name__}.{attr} yet."
            ) from None

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr.startswith("__"):  # the import system's __spec__/__loader__
            self.__dict__[attr] = value
            return
        raise AttributeError(
            f"{self.__name__} is a read-only view of {self.__dict__['_kshim_target']}; set {attr!r} there instead."
        )

    def __dir__(self) -> list[str]:
        return sorted(_public(self._target()))


def _public(mod: types.ModuleType) -> list[str]:
    if callable(getattr(mod, "_public_names", None)):
        return list(mod._public_names())
    return [n for n in dir(mod) if not n.startswith("_") and not isinstance(getattr(mod, n, None), types.ModuleType)]


class _AliasLoader:  # the Loader protocol (create_module/exec_module); importlib.abc is slow to import
    """Loads ``keras.X`` as the already-existing module ``kshim.X`` (or a view)."""

    def __init__(self, target: str, view: bool) -> None:
        self.target, self.view = target, view
        self._own_spec: Any = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if self.view:
            return _View(spec.name, self.target)
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system stamped the ``keras...`` spec on the module; give kshim's own back, so
        # relative imports, ``importlib.reload`` and pickling keep seeing ``kshim...``.
        if not self.view and self._own_spec is not None:
            module.__spec__ = self._own_spec


class _KerasAliasFinder:  # the MetaPathFinder protocol (find_spec)
    """``sys.meta_path`` entry that answers for ``keras`` and ``keras.*`` (and nothing else)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "keras" and not fullname.startswith("keras."):
            return None
        if fullname in _VIEWS:
            return importlib.machinery.ModuleSpec(
                fullname, cast("Loader", _AliasLoader(_VIEWS[fullname], True)), origin=f"alias of {_VIEWS[fullname]}"
            )
        kname = _kshim_name(fullname)
        kspec = _kshim_spec(kname) if kname is not None else None
        if kspec is None:
            raise ModuleNotFoundError(_missing_message(fullname), name=fullname)
        assert kname is not None  # kspec is None otherwise
        return importlib.machinery.ModuleSpec(
            fullname,
            cast("Loader", _AliasLoader(kname, False)),
            origin=f"alias of {kname}",
            is_package=kspec.submodule_search_locations is not None,
        )


def _kshim_name(fullname: str) -> str | None:
    for removed in _REMOVED_IN_KERAS3:
        if fullname == removed or fullname.startswith(removed + "."):
            return None
    if fullname in _MISSING_HINTS:
        return None
    if fullname in _RENAMES:
        return _RENAMES[fullname]
    return "kshim." + fullname[len("keras.") :]


def _kshim_spec(kname: str) -> Any:
    if kname in sys.modules:
        return sys.modules[kname].__spec__
    try:
        return importlib.util.find_spec(kname)
    except (ImportError, AttributeError, ValueError):
        return None


def _missing_message(fullname: str) -> str:
    for removed, hint in _REMOVED_IN_KERAS3.items():
        if fullname == removed or fullname.startswith(removed + "."):
            return (
                f"No module named {fullname!r}: Keras 3 has no `{removed}` ({hint}). `import keras` resolves "
                f"to kshim here (kshim.alias_keras()), which follows Keras 3."
            )
    what = f" ({_MISSING_HINTS[fullname]})" if fullname in _MISSING_HINTS else ""
    parent = fullname.rpartition(".")[0]
    kparent = _kshim_name(parent) if parent else None
    pmod = sys.modules.get(kparent) if kparent else None
    have = ""
    if parent != "keras" and pmod is not None and getattr(pmod, "__path__", None) is not None:
        import pkgutil

        subs = sorted(m.name for m in pkgutil.iter_modules(pmod.__path__) if not m.name.startswith("_"))
        if subs:
            have = f" kshim has {parent}.{{{', '.join(subs)}}}."
    if fullname in _KERAS3_MODULES:
        return (
            f"No module named {fullname!r}{what}: `import keras` resolves to kshim here (kshim.alias_keras()), "
            f"and kshim does not provide `{fullname}` (real Keras 3 does).{have} Run this program with real "
            f"Keras 3 (without the alias), or avoid `{fullname}`."
        )
    return (
        f"No module named {fullname!r}: neither Keras 3 nor kshim (which `import keras` resolves to here, via "
        f"kshim.alias_keras()) has it.{have}"
    )


def _install_views() -> None:
    """Register the ``keras.ops.*`` views in ``sys.modules`` and as attributes where kshim has none.

    They go into ``sys.modules`` up front so the import system never ``setattr``s a view onto
    ``kshim.ops`` in place of a real submodule of the same name (``kshim.ops.nn``).
    """
    for name, target in _VIEWS.items():
        if name not in sys.modules:
            sys.modules[name] = _View(name, target)
        holder = importlib.import_module(target)
        leaf = name.rpartition(".")[2]
        if not hasattr(holder, leaf):
            setattr(holder, leaf, sys.modules[name])
            _State.added_attrs.append((holder, leaf))


# ---- public API --------------------------------------------------------------------------------------
def _real_keras_loaded() -> str | None:
    """A description of the real Keras already imported in this process, or ``None``."""
    import kshim

    mod = sys.modules.get("keras")
    if mod is not None and mod is not kshim:
        version = getattr(mod, "__version__", "?")
        return f"keras {version} from {getattr(mod, '__file__', None) or '?'}"
    for key, mod in list(sys.modules.items()):
        if key.startswith("keras.") and mod is not None and not _is_alias_module(mod):
            return f"the module {key!r} ({getattr(mod, '__file__', None) or '?'})"
    return None


def _is_alias_module(mod: Any) -> bool:
    return isinstance(mod, _View) or getattr(mod, "__name__", "").split(".")[0] == "kshim"


def is_aliased() -> bool:
    """Whether ``kshim.alias_keras()`` is in effect (``import keras`` gives kshim)."""
    return _State.finder is not None and _State.finder in sys.meta_path


def alias_keras() -> None:
    """Make ``import keras`` and every public ``keras.<sub>`` import resolve to kshim.

    Idempotent. Installs a ``sys.meta_path`` finder ahead of the normal ones, so
    ``from keras import layers``, ``from keras.models import Model``, ``keras.utils.*``,
    ``keras.preprocessing.sequence.pad_sequences``, ... all give kshim's modules
    (``sys.modules["keras.layers"] is kshim.layers``). Paths kshim lacks raise an ``ImportError``
    that says so. Also run by ``import kshim`` when ``KSHIM_ALIAS_KERAS=1``, and by ``kshim run``.

    Example:
        The alias is process-wide, so this example is shown but not run by the doctests (the test
        process also imports real Keras as its oracle)::

        >>> import kshim
        >>> kshim.alias_keras()  # doctest: +SKIP
        >>> import keras  # doctest: +SKIP
        >>> keras is kshim  # doctest: +SKIP
        True

    Raises:
        RuntimeError: real Keras is already imported in this process; call ``alias_keras()``
            before the first ``import keras`` (or use ``KSHIM_ALIAS_KERAS=1`` / ``kshim run``).
    """
    if is_aliased():
        return
    real = _real_keras_loaded()
    if real is not None:
        raise RuntimeError(
            f"kshim.alias_keras(): real Keras is already imported in this process ({real}), so `import keras` "
            f"can no longer be redirected to kshim without mixing two frameworks. Call kshim.alias_keras() before "
            f"anything imports keras (first lines of the program), set {ENV_VAR}=1 before starting Python, or run "
            f"the program with `kshim run script.py`."
        )
    import kshim

    finder = _KerasAliasFinder()
    sys.meta_path.insert(0, finder)
    _State.finder = finder
    sys.modules["keras"] = kshim
    _install_views()


def unalias_keras() -> None:
    """Undo ``alias_keras()``: remove the finder and every ``keras...`` entry it put in ``sys.modules``.

    Modules that already did ``import keras`` keep their reference to kshim. Mostly for tests and
    for tools (``kshim compare``) that alias only while they load a script.
    """
    finder, _State.finder = _State.finder, None
    if finder is not None:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
    for key, mod in list(sys.modules.items()):
        if (key == "keras" or key.startswith("keras.")) and _is_alias_module(mod):
            del sys.modules[key]
    for holder, leaf in _State.added_attrs:
        with contextlib.suppress(AttributeError):
            delattr(holder, leaf)
    _State.added_attrs = []


@contextlib.contextmanager
def aliased(strict: bool = True) -> Iterator[bool]:
    """``alias_keras()`` for the duration of a ``with`` block; restores the previous state after.

    Args:
        strict: When real Keras is already imported, raise (``True``) or run the block without
            the alias (``False``; the block then sees real Keras and should check what it builds
            with ``reject_real_keras``).

    Yields:
        Whether the alias is in effect inside the block.
    """
    if is_aliased():
        yield True
        return
    if not strict and _real_keras_loaded() is not None:
        yield False
        return
    alias_keras()
    try:
        yield True
    finally:
        unalias_keras()


def alias_from_env() -> None:
    """Run ``alias_keras()`` when ``KSHIM_ALIAS_KERAS`` is set to a true value (``1``, ``true``, ``yes``, ``on``)."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        alias_keras()
    elif value not in ("", "0", "false", "no", "off"):
        raise ValueError(f"{ENV_VAR}={os.environ[ENV_VAR]!r} is not understood: use 1 (alias `keras` to kshim) or 0.")


# ---- mixing real Keras into kshim ---------------------------------------------------------------------

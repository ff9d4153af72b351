"""Active-backend selection.

Order: ``kshim.backend.use(name)`` (context manager) > ``KSHIM_BACKEND`` > ``KERAS_BACKEND`` >
``~/.kshim/kshim.json`` (``{"backend": ...}``) > ``"numpy"``.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from typing import Any, Iterator

from . import backends as _registry
from ._config import _read_file_config

# ``keras.backend`` re-exports these settings from ``keras.config``; they are the same functions.
from ._config import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format  # noqa: F401

_ACTIVE: contextvars.ContextVar[Any] = contextvars.ContextVar("kshim_backend", default=None)
_DEFAULT: Any = None


def default_name() -> str:
    """The backend name chosen by environment/config file (ignoring ``use``)."""
    for var in ("KSHIM_BACKEND", "KERAS_BACKEND"):
        v = os.environ.get(var)
        if v:
            return v.strip().lower()
    name = _read_file_config().get("backend")
    return str(name).lower() if name else "numpy"


def current() -> Any:
    """The active backend object."""
    b = _ACTIVE.get()
    if b is None:
        global _DEFAULT
        if _DEFAULT is None:
            _DEFAULT = _registry.get(default_name())
        b = _DEFAULT
    return b


def backend() -> str:
    """Name of the active backend.

    Returns:
        The backend's name, e.g. ``"numpy"``, ``"jax"`` or ``"torch"``.
    """
    return current().name


def device(device_name: str) -> Any:
    """Context manager: tensors and variables created inside are placed on ``device_name``.

    Works on every backend, as ``keras.device``: ``"cpu"``/``"cpu:0"``, ``"gpu"``/``"gpu:1"`` (``"cuda:1"``
    too), ``"tpu:0"``, ``"mps"``. The device applies to the backend active when the block starts; the
    previous device is restored on exit. Outside any block a backend uses ``KSHIM_DEVICE`` if set, else
    its framework's default (torch: CUDA if available, else MPS, else CPU, as Keras; JAX: its default
    device; NumPy: the CPU).

    kshim differs from Keras in one way: a device the backend cannot reach in this process (``"gpu"`` with
    no GPU, anything but the CPU on NumPy) raises ``ValueError`` at once, naming the devices it can use,
    instead of failing later at the first allocation.

    Example:
        >>> import kshim
        >>> with kshim.device("cpu:0"):
        ...     x = kshim.ops.ones((2, 2))
        >>> float(kshim.ops.convert_to_numpy(x).sum())
        4.0

    Args:
        device_name: The device, ``"type:index"`` or ``"type"``.

    Returns:
        A context manager (``with kshim.device("gpu:0"): ...``).

    Raises:
        ValueError: If ``device_name`` is malformed or names a device this backend cannot use here.
        TypeError: If ``device_name`` is not a string.
    """
    return current().device_scope(device_name)


def get(name: str) -> Any:
    """Backend object by name (see ``kshim.backends.get``)."""
    return _registry.get(name)


@contextlib.contextmanager
def use(name_or_backend: Any) -> Iterator[Any]:
    """Make a backend active inside a ``with`` block (thread- and task-local).

    Example:
        >>> with kshim.backend.use("numpy") as b:
        ...     b.name
        'numpy'
    """
    b = _resolve(name_or_backend)
    token = _ACTIVE.set(b)
    try:
        yield b
    finally:
        _ACTIVE.reset(token)


def set_backend(name: str) -> None:
    """Set the process-wide default backend (used outside any ``use`` block).

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: unknown backend name.
    """
    global _DEFAULT
    _DEFAULT = _registry.get(_check_name(name))


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(
            f"A backend name must be a string, one of {', '.join(map(repr, _registry.names()))}; "
            f"got {name!r} of type {type(name).__name__}."
        )
    return name


def _resolve(name_or_backend: Any) -> Any:
    """A backend object from a name or a backend object; anything else is a ``TypeError``."""
    if isinstance(name_or_backend, str):
        return _registry.get(name_or_backend)
    if isinstance(getattr(name_or_backend, "name", None), str) and hasattr(name_or_backend, "convert_to_tensor"):
        return name_or_backend
    raise TypeError(
        f"kshim.backend.use() takes a backend name, one of {', '.join(map(repr, _registry.names()))}, "
        f"or a backend object from kshim.backends.get(); got {name_or_backend!r} of type "
        f"{type(name_or_backend).__name__}."
    )


# ---- the rest of Keras' ``keras.backend`` namespace ---------------------------------------------------

_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", "int": "int32"}


def standardize_dtype(dtype: Any) -> str:
    """Canonical dtype name, as ``keras.backend.standardize_dtype``.

    Args:
        dtype: A dtype name, NumPy/JAX/torch dtype, NumPy scalar type, Python ``bool``/``int``/
            ``float``, or ``None`` (meaning ``floatx()``). Python ``int`` maps to ``int32`` as in
            Keras on JAX and PyTorch.

    Returns:
        The dtype name, e.g. ``"float32"``.

    Raises:
        ValueError: not a dtype kshim supports.
    """
    from .dtypes import canonical_dtype

    if dtype is None:
        return floatx()
    try:
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    except TypeError:  # unhashable
        pass
    if not isinstance(dtype, str) and not hasattr(dtype, "name") and hasattr(dtype, "__name__"):
        dtype = dtype.__name__  # NumPy scalar types such as np.float32
    try:
        return canonical_dtype(dtype)
    except TypeError as e:
        raise ValueError(f"Invalid dtype: {dtype!r}") from e


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating-point dtype (``float16``, ``bfloat16``, ``float32``, ``float64``).

    Args:
        dtype: Anything ``standardize_dtype`` accepts (a name, a NumPy/JAX/torch dtype, a Python type).

    Returns:
        ``True`` for a floating-point dtype, else ``False``.

    Raises:
        ValueError: If ``dtype`` is not a dtype kshim supports.
    """
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype (``bool`` is not).

    Args:
        dtype: Anything ``standardize_dtype`` accepts (a name, a NumPy/JAX/torch dtype, a Python type).

    Returns:
        ``True`` for ``int8`` ... ``int64`` and ``uint8`` ... ``uint64``, else ``False``.

    Raises:
        ValueError: If ``dtype`` is not a dtype kshim supports.
    """
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes: Any) -> str:
    """The dtype of an operation combining ``dtypes``, by Keras 3's promotion lattice.

    Python ``int``/``float`` are weak types: they do not widen a tensor dtype (``result_type(int,
    "int8")`` is ``int8``). ``None`` means ``floatx()``; no arguments gives ``floatx()``. Unlike Keras
    on JAX/PyTorch, 64-bit results stay 64-bit (kshim computes float64 in float64).

    Args:
        *dtypes: dtypes as accepted by ``standardize_dtype``, or Python scalar types.

    Returns:
        The promoted dtype name.
    """
    from .dtypes import result_type as _promote

    if not dtypes:
        return floatx()
    strong, weak = [], []
    for d in dtypes:
        if d is int or d is float:
            weak.append(d)
        else:
            strong.append(standardize_dtype(d))
    precision = "16" if floatx() in ("float16", "bfloat16") else floatx()[-2:]
    if not strong:
        return f"float{precision}" if float in weak else f"int{precision}"
    out = _promote(*strong)
    if float in weak and not out.startswith(("float", "bfloat")):
        return f"float{precision}"
    if int in weak and out == "bool":
        return f"int{precision}"
    return out


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor (``keras.Input(...)`` or a layer's output on one).

    Args:
        x: Any value.

    Returns:
        ``True`` if ``x`` is a ``KerasTensor``; ``False`` for concrete tensors and everything else.
    """
    from ._symbolic import KerasTensor

    return isinstance(x, KerasTensor)


def get_uid(prefix: str = "") -> int:
    """Next integer id for ``prefix`` (1, 2, ...), sharing the counters of layer auto-names.

    Args:
        prefix: The name the counter belongs to (e.g. ``"dense"``).

    Returns:
        The new id.
    """
    from . import _naming

    return _naming.next_uid(prefix)


_CLEAR_SESSION_HOOKS: list = []


def on_clear_session(hook: Any) -> Any:
    """Register ``hook()`` to run on every ``clear_session`` (modules above this one register their
    per-session state this way, so the backend module never imports them). Returns ``hook``."""
    _CLEAR_SESSION_HOOKS.append(hook)
    return hook


def clear_session(free_memory: bool = True) -> None:
    """Reset auto-naming counters (``dense``, ``dense_1``, ...) and, by default, run the garbage collector.

    Args:
        free_memory: Whether to call ``gc.collect()``.
    """
    from . import _naming

    _naming.reset()
    for hook in _CLEAR_SESSION_HOOKS:
        hook()
    if free_memory:
        import gc

        gc.collect()

"""``keras.config``: the public configuration functions.

The state lives in :mod:`kshim._config`, the lowest module (internal code imports that); this module is
the public facade, so it may also reach the backend, dtype policies and the Lambda-loading switch.
"""

from __future__ import annotations

from typing import Any

from ._config import (  # noqa: F401
    floatx,
    set_floatx,
    epsilon,
    set_epsilon,
    image_data_format,
    set_image_data_format,
    standardize_data_format,
    enable_interactive_logging,
    disable_interactive_logging,
    is_interactive_logging_enabled,
    enable_traceback_filtering,
    disable_traceback_filtering,
    is_traceback_filtering_enabled,
    enable_flash_attention,
    disable_flash_attention,
    is_flash_attention_enabled,
    is_nnx_enabled,
    set_max_epochs,
    max_epochs,
    set_max_steps_per_epoch,
    max_steps_per_epoch,
)
from ._determinism import DeterminismWarning  # noqa: F401


def enable_determinism(seed: int | None = None) -> None:
    """Make training bitwise reproducible run to run (a kshim extension; Keras 3 has no equivalent).

    Switches every backend to deterministic kernels (torch: deterministic algorithms, cuDNN and
    cuBLAS settings; JAX: XLA's GPU determinism flag; NumPy needs none). An op with no
    deterministic kernel warns, naming the op, instead of raising; a setting that comes too late in
    this process (CUDA or XLA devices already started) gives a ``DeterminismWarning``. Call it at the
    start of the program. Results repeat only from the same seed: pass ``seed`` (or call
    ``kshim.utils.set_random_seed``) to seed initializers, dropout and ``fit``'s shuffling.

    Args:
        seed: If given, also ``kshim.utils.set_random_seed(seed)``.
    """
    from ._determinism import set_deterministic as _set

    _set(True)
    if seed is not None:
        from .utils import set_random_seed

        set_random_seed(seed)


def disable_determinism() -> None:
    """Restore the frameworks' own (faster, possibly non-deterministic) settings."""
    from ._determinism import set_deterministic as _set

    _set(False)


def set_deterministic(enabled: bool) -> None:
    """``enable_determinism()`` when ``enabled`` is True, ``disable_determinism()`` when False.

    Raises:
        TypeError: ``enabled`` is not a bool.
    """
    from ._determinism import set_deterministic as _set

    _set(enabled)


def is_determinism_enabled() -> bool:
    """Whether ``enable_determinism`` is in effect."""
    from ._determinism import is_deterministic

    return is_deterministic()


def enable_unsafe_deserialization() -> None:
    """Allow loading Lambda layers' Python code from files (as ``safe_mode=False`` does)."""
    from ._lambda_code import enable_unsafe_deserialization as _enable

    _enable()


def backend() -> str:
    """Name of the active backend (same as ``kshim.backend.backend()``).

    Returns:
        The backend's name, e.g. ``"numpy"``, ``"jax"`` or ``"torch"``.
    """
    from . import backend as _b

    return _b.backend()


def set_dtype_policy(policy: Any) -> None:
    """Set the global dtype policy (``keras.config.set_dtype_policy``; e.g. ``"mixed_float16"``).

    Args:
        policy: A policy name (``"float32"``, ``"mixed_float16"``, ...), a ``DTypePolicy``, a
            serialized policy dict, or ``None`` to go back to the default, which follows ``floatx()``.

    Raises:
        ValueError: If ``policy`` cannot be interpreted as a dtype policy.
    """
    from .layers.dtype_policy import set_dtype_policy as _set

    _set(policy)


def dtype_policy() -> Any:
    """The global ``DTypePolicy`` (``keras.config.dtype_policy``).

    Returns:
        A ``DTypePolicy``: the one set by ``set_dtype_policy``, else one named after ``floatx()``.
    """
    from .layers.dtype_policy import dtype_policy as _get

    return _get()


def set_backend(backend: str) -> None:
    """Make ``backend`` the process-wide default backend (``keras.config.set_backend``).

    Unlike Keras, kshim needs no module reload: backends are values, so objects created later
    use the new backend while existing variables keep theirs. A ``kshim.backend.use`` block still
    takes precedence inside it.

    Args:
        backend: A backend name (``"numpy"``, ``"jax"``, ``"torch"`` or a registered one).

    Raises:
        TypeError: ``backend`` is not a string.
        ValueError: unknown backend name.
    """
    from . import backend as _b

    _b.set_backend(backend)

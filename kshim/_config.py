"""Global configuration state: floatx, epsilon, image data format, logging and loop caps.

The public facade is ``kshim.config``.
"""

from __future__ import annotations

import json
import os
from typing import Any

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def _config_file() -> str:
    home = os.environ.get("KSHIM_HOME") or os.path.join(os.path.expanduser("~"), ".kshim")
    return os.path.join(home, "kshim.json")


def _read_file_config() -> dict:
    path = _config_file()
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return {}
    return cfg if isinstance(cfg, dict) else {}


def _init_from_file() -> None:
    global _FLOATX, _EPSILON, _IMAGE_DATA_FORMAT
    cfg = _read_file_config()
    if "floatx" in cfg:
        set_floatx(cfg["floatx"])
    if "epsilon" in cfg:
        set_epsilon(cfg["epsilon"])
    if "image_data_format" in cfg:
        set_image_data_format(cfg["image_data_format"])


def floatx() -> str:
    """Default float dtype name (``"float32"`` unless changed).

    The value can also come from ``"floatx"`` in ``$KSHIM_HOME/kshim.json`` (default ``~/.kshim``), read
    at import.

    Returns:
        The dtype name as a string: ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"``.
    """
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: ``float16``, ``bfloat16``, ``float32`` or ``float64``.

    Args:
        value: The dtype name, one of ``"float16"``, ``"bfloat16"``, ``"float32"``, ``"float64"``.

    Raises:
        ValueError: If ``value`` is not one of those names.
    """
    global _FLOATX
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown floatx {value!r}; expected one of float16, bfloat16, float32, float64.")
    _FLOATX = str(value)


def epsilon() -> float:
    """Fuzz factor used in numeric expressions (default 1e-7).

    Returns:
        The current fuzz factor as a Python float.
    """
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by ``epsilon()``.

    Args:
        value: The new fuzz factor; it is stored as ``float(value)``.
    """
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default image data format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        ``"channels_last"`` or ``"channels_first"``.
    """
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the default image data format used by layers whose ``data_format`` is ``None``.

    Args:
        data_format: ``"channels_last"`` or ``"channels_first"`` (case-sensitive).

    Raises:
        ValueError: If ``data_format`` is neither.
    """
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"Unknown data_format {data_format!r}; expected 'channels_last' or 'channels_first'.")
    _IMAGE_DATA_FORMAT = data_format


def standardize_data_format(data_format: str | None) -> str:
    """Resolve ``None`` to the global default and validate."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}.")
    return df


_init_from_file()


# ---- the rest of ``keras.config`` -----------------------------------------------------------------

_FLAGS: dict[str, Any] = {"interactive_logging": True, "traceback_filtering": True, "flash_attention": None}


def _env_int(var: str) -> int | None:
    value = os.environ.get(var)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{var} must be an integer, got {value!r}.") from None


_MAX_EPOCHS: int | None = _env_int("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH: int | None = _env_int("KERAS_MAX_STEPS_PER_EPOCH")


def enable_interactive_logging() -> None:
    """Write logs (progress bars, ``summary()``) to stdout (the default)."""
    _FLAGS["interactive_logging"] = True


def disable_interactive_logging() -> None:
    """Send logs to the ``kshim`` Python logger instead of stdout (for batch jobs on servers)."""
    _FLAGS["interactive_logging"] = False


def is_interactive_logging_enabled() -> bool:
    """Whether logs go to stdout (``True``, the default) or to the ``kshim`` logger.

    Returns:
        The current setting.
    """
    return bool(_FLAGS["interactive_logging"])


def enable_traceback_filtering() -> None:
    """Record that traceback filtering is on (the default).

    kshim raises its errors directly where the misuse is detected, so its tracebacks carry
    no framework frames to filter; the flag is kept for code that sets or reads it.
    """
    _FLAGS["traceback_filtering"] = True


def disable_traceback_filtering() -> None:
    """Record that traceback filtering is off (see ``enable_traceback_filtering``)."""
    _FLAGS["traceback_filtering"] = False


def is_traceback_filtering_enabled() -> bool:
    """Whether traceback filtering is on (``True`` by default).

    Returns:
        The current setting.
    """
    return bool(_FLAGS["traceback_filtering"])


def enable_flash_attention() -> None:
    """Allow attention layers to use a fused (flash) attention kernel where one exists.

    As in Keras this restores the default, under which ``is_flash_attention_enabled()``
    returns ``None`` ("decide automatically").
    """
    _FLAGS["flash_attention"] = None


def disable_flash_attention() -> None:
    """Forbid fused (flash) attention kernels."""
    _FLAGS["flash_attention"] = False


def is_flash_attention_enabled() -> bool | None:
    """``False`` after ``disable_flash_attention()``; otherwise ``None`` (automatic), as in Keras.

    Returns:
        ``None`` or ``False``.
    """
    return _FLAGS["flash_attention"]


def is_nnx_enabled() -> bool:
    """Whether Flax NNX integration is on; kshim has none, so always ``False``.

    Returns:
        ``False``.
    """
    return False


def set_max_epochs(max_epochs: int | None) -> None:
    """Cap the number of epochs of every ``fit()`` call (for quick debugging runs).

    Also settable with the ``KERAS_MAX_EPOCHS`` environment variable.

    Args:
        max_epochs: The cap, or ``None`` for no cap.
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def max_epochs() -> int | None:
    """The cap set by ``set_max_epochs`` or ``KERAS_MAX_EPOCHS`` (``None``: no cap).

    Returns:
        The cap or ``None``.
    """
    return _MAX_EPOCHS


def set_max_steps_per_epoch(max_steps_per_epoch: int | None) -> None:
    """Cap the number of steps of each epoch of ``fit()``, ``evaluate()`` and ``predict()``.

    Also settable with the ``KERAS_MAX_STEPS_PER_EPOCH`` environment variable.

    Args:
        max_steps_per_epoch: The cap, or ``None`` for no cap.
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_steps_per_epoch() -> int | None:
    """The cap set by ``set_max_steps_per_epoch`` or ``KERAS_MAX_STEPS_PER_EPOCH`` (``None``: no cap).

    Returns:
        The cap or ``None``.
    """
    return _MAX_STEPS_PER_EPOCH

"""Device specs shared by every backend: ``"cpu"``, ``"gpu"``/``"cuda"``, ``"tpu"``, ``"mps"``, each with an
optional ``":N"`` index, as ``kshim.device`` / ``keras.device`` and the ``KSHIM_DEVICE`` variable take them."""

from __future__ import annotations

import os
import re

KINDS = ("cpu", "gpu", "tpu", "mps")
_SPEC = re.compile(r"^\s*(cpu|gpu|cuda|tpu|mps)\s*(?::\s*(\d+))?\s*$", re.IGNORECASE)


def parse_device(spec: str) -> tuple[str, int | None]:
    """``"cuda:1"`` -> ``("gpu", 1)``; ``"cpu"`` -> ``("cpu", None)``.

    Raises:
        ValueError: ``spec`` is not one of the forms above.
        TypeError: ``spec`` is not a string.
    """
    if not isinstance(spec, str):
        raise TypeError(f"A device must be a string such as 'cpu', 'gpu:0' or 'cuda:1'; got {spec!r}.")
    m = _SPEC.match(spec)
    if m is None:
        raise ValueError(
            f"Unknown device {spec!r}: use 'cpu', 'gpu' (or 'cuda'), 'tpu' or 'mps', optionally "
            f"with an index such as 'gpu:1'."
        )
    kind = m.group(1).lower()
    return ("gpu" if kind == "cuda" else kind), (int(m.group(2)) if m.group(2) is not None else None)


def env_device() -> str | None:
    """The device asked for by ``KSHIM_DEVICE`` (``None`` when unset or empty)."""
    v = os.environ.get("KSHIM_DEVICE", "").strip()
    return v or None


def unavailable(backend: str, spec: str, available: list[str]) -> ValueError:
    """The error for a device that parses but that this backend cannot reach here."""
    where = ", ".join(available) if available else "none"
    return ValueError(
        f"The {backend} backend cannot compute on {spec!r} in this process (devices it can use: "
        f"{where}). Pick one of those, or unset KSHIM_DEVICE."
    )

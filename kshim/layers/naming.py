"""Auto-names live in :mod:`kshim._naming` (a utility below every layer that uses it); kept here for imports."""

from .._naming import next_uid, reset, to_snake_case, uniquify  # noqa: F401

"""Enumerations of the ``AUC`` metric's options (Keras 3: ``keras.src.metrics.metrics_utils``).

``AUC.curve`` and ``AUC.summation_method`` hold members of these enums, as in Keras. kshim's members are
also ``str`` (``AUCCurve.PR == "PR"``), so code comparing them with the option strings keeps working; the
config records ``.value``, a plain string, as Keras does.
"""

from __future__ import annotations

from enum import Enum


class AUCCurve(str, Enum):
    """The curve an ``AUC`` metric integrates: ROC, PR (precision-recall) or PRGAIN (precision-recall gain)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key: str) -> "AUCCurve":
        """The member named by ``key`` (case-insensitive; Keras accepts only all-lower or all-upper case).

        Args:
            key: ``"ROC"``, ``"PR"`` or ``"PRGAIN"``, or a member (of this enum or Keras' own).

        Returns:
            The member.

        Raises:
            ValueError: If ``key`` names no curve.
        """
        value = str(getattr(key, "value", key)).upper()
        if value not in AUCCurve.__members__:
            raise ValueError(f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]')
        return AUCCurve[value]


class AUCSummationMethod(str, Enum):
    """How an ``AUC`` metric sums the heights of its Riemann sum between adjacent thresholds."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key: str) -> "AUCSummationMethod":
        """The member named by ``key`` (case-insensitive; Keras accepts only lower or capitalized case).

        Args:
            key: ``"interpolation"``, ``"majoring"`` or ``"minoring"``, or a member (of this enum or Keras').

        Returns:
            The member.

        Raises:
            ValueError: If ``key`` names no summation method.
        """
        value = str(getattr(key, "value", key)).upper()
        if value not in AUCSummationMethod.__members__:
            raise ValueError(
                f'Invalid AUC summation method value: "{key}". Expected values are '
                '["interpolation", "majoring", "minoring"]'
            )
        return AUCSummationMethod[value]

"""Full docstrings of the elementwise ops that ``numpy_math`` builds with factories (``_unary_same``,
``_unary_float``, ``_binary``): a factory sets ``__doc__`` from here, falling back to its short ``doc``.
"""

from __future__ import annotations

import textwrap

_F = "Integer and bool inputs are computed in ``kshim.config.floatx()``."


def _unary_float(summary, detail=""):
    para = textwrap.fill(_F + ((" " + detail) if detail else ""), 100)
    return f"""{summary}

{para}

Args:
    x: Input tensor or array-like.

Returns:
    A floating tensor of the shape of ``x``.
"""


def _unary_same(summary, ret, detail=""):
    extra = (textwrap.fill(detail, 100) + "\n\n") if detail else ""
    return f"""{summary}

{extra}Args:
    x: Input tensor or array-like.

Returns:
    {ret}
"""


_PROMO = "The operands are promoted to a common dtype (Python scalars are weakly typed), and broadcast together."


def _binary(summary, ret, detail=""):
    para = textwrap.fill(_PROMO + ((" " + detail) if detail else ""), 100)
    return f"""{summary}

{para}

Args:
    x1: Input tensor or array-like.
    x2: Input tensor or array-like, broadcastable against ``x1``.

Returns:
    {ret}
"""


_SAME = "A tensor of the broadcast shape and the promoted dtype."
_BOOL = "A bool tensor of the broadcast shape."

DOCS: dict[str, str] = {
    "negative": _unary_same("Elementwise ``-x``.", "A tensor of the shape and dtype of ``x``."),
    "floor": _unary_float("Elementwise floor (the largest integer value not above ``x``)."),
    "ceil": _unary_float("Elementwise ceiling (the smallest integer value not below ``x``)."),
    "exp": _unary_float("Elementwise exponential."),
    "expm1": _unary_float("Elementwise ``exp(x) - 1``.", "It is accurate for ``x`` near 0."),
    "log": _unary_float("Natural logarithm.", "Zero gives ``-inf`` and negative values ``nan``."),
    "log1p": _unary_float("Elementwise ``log(1 + x)``.", "It is accurate for ``x`` near 0; ``-1`` gives ``-inf``."),
    "sqrt": _unary_float("Elementwise square root.", "Negative values give ``nan``."),
    "reciprocal": _unary_float("Elementwise ``1 / x``.", "Zero gives ``inf``."),
    "sin": _unary_float("Sine.", "The angle ``x`` is in radians."),
    "cos": _unary_float("Cosine.", "The angle ``x`` is in radians."),
    "tan": _unary_float("Tangent.", "The angle ``x`` is in radians."),
    "arcsin": _unary_float(
        "Inverse sine.", "The result is in radians, in ``[-pi/2, pi/2]``; values outside ``[-1, 1]`` give ``nan``."
    ),
    "arccos": _unary_float(
        "Inverse cosine.", "The result is in radians, in ``[0, pi]``; values outside ``[-1, 1]`` give ``nan``."
    ),
    "arctan": _unary_float("Inverse tangent.", "The result is in radians, in ``[-pi/2, pi/2]``."),
    "sinh": _unary_float("Hyperbolic sine."),
    "cosh": _unary_float("Hyperbolic cosine."),
    "tanh": _unary_float("Hyperbolic tangent."),
    "arcsinh": _unary_float("Inverse hyperbolic sine."),
    "arccosh": _unary_float("Inverse hyperbolic cosine.", "Values below 1 give ``nan``."),
    "arctanh": _unary_float(
        "Inverse hyperbolic tangent.",
        "``-1`` and ``1`` give ``-inf`` and ``inf``; values outside ``[-1, 1]`` give ``nan``.",
    ),
    "isnan": _unary_same("Elementwise NaN test.", "A bool tensor of the shape of ``x`` (all False for integers)."),
    "isinf": _unary_same(
        "Elementwise infinity test.", "A bool tensor of the shape of ``x``, True for ``inf`` and ``-inf``."
    ),
    "isfinite": _unary_same(
        "Elementwise finiteness test.", "A bool tensor of the shape of ``x``, False for ``nan``, ``inf`` and ``-inf``."
    ),
    "logical_not": _unary_same(
        "Elementwise logical NOT.",
        "A bool tensor of the shape of ``x``.",
        "The input is cast to bool first (any non-zero value is True).",
    ),
    "bitwise_not": _unary_same(
        "Elementwise bitwise NOT of integers.",
        "A tensor of the shape and dtype of ``x``.",
        "A bool input gives its logical NOT. ``bitwise_invert`` is the same op.",
    ),
    "add": _binary("Elementwise ``x1 + x2`` with broadcasting.", _SAME),
    "subtract": _binary("Elementwise ``x1 - x2``.", _SAME),
    "multiply": _binary("Elementwise ``x1 * x2``.", _SAME),
    "maximum": _binary("Elementwise maximum (NaN propagates).", _SAME),
    "minimum": _binary("Elementwise minimum (NaN propagates).", _SAME),
    "floor_divide": _binary(
        "Elementwise floor division.",
        _SAME,
        "The quotient is rounded toward ``-inf`` (``-7 // 2`` is ``-4``); integers stay integer.",
    ),
    "mod": _binary(
        "Elementwise remainder with the sign of the divisor.",
        _SAME,
        "It matches ``floor_divide``: ``mod(-7, 3)`` is ``2``.",
    ),
    "equal": _binary("Elementwise ``==``.", _BOOL),
    "not_equal": _binary("Elementwise ``!=``.", _BOOL),
    "less": _binary("Elementwise ``<``.", _BOOL),
    "less_equal": _binary("Elementwise ``<=``.", _BOOL),
    "greater": _binary("Elementwise ``>``.", _BOOL),
    "greater_equal": _binary("Elementwise ``>=``.", _BOOL),
}

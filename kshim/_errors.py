"""Exception classes that keep Keras 3's exception *type* for a misuse while kshim says more.

Keras user code catches the type Keras raises (``except ValueError``); kshim's own earlier releases
raised a different built-in type for some misuses. Each class here derives from both, so either
``except`` clause still works, and the message is kshim's.
"""
from __future__ import annotations

import sys
from typing import Any


class NotCompiledError(ValueError, RuntimeError):
    """``fit``/``evaluate``/``train_on_batch``/``test_on_batch`` before ``compile()``.

    Keras 3 raises ``ValueError``; kshim raised ``RuntimeError`` before, so this is both.
    """


class NotSequentialError(AttributeError, TypeError):
    """``add``/``pop`` on a model that is not a ``Sequential``.

    Keras 3 raises ``AttributeError`` (a functional model has no ``add``); kshim raised
    ``TypeError`` before, so this is both.
    """


class ArgumentError(TypeError, ValueError):
    """A wrong kind of argument (a non-layer given to ``Sequential.add``, an unknown keyword argument
    to a layer, a layer passed where a tensor is expected).

    Keras 3 raises ``ValueError`` for these; kshim raised ``TypeError`` before, so this is both.
    """


# ---- mixing real Keras into kshim ---------------------------------------------------------------------
_FOREIGN_PREFIXES = ("keras.", "tf_keras.", "keras_core.", "tensorflow.python.keras.", "tensorflow.keras.")


class RealKerasObjectError(TypeError):
    """A real-Keras object (layer, tensor, model...) was given to kshim."""


def symbolic_conversion_error(tensor: Any) -> TypeError:
    """The error for ``np.asarray(kshim KerasTensor)``: which is what real Keras does when one of its
    layers is called on a kshim tensor, so that case gets the mixing message."""
    frame = sys._getframe(1)
    while frame is not None:
        mod = frame.f_globals.get("__name__", "") or ""
        if mod.startswith(_FOREIGN_PREFIXES):
            return RealKerasObjectError(
                f"A real-Keras layer or op (in {mod}) was called on a kshim KerasTensor ({tensor!r}): kshim and "
                f"real Keras objects cannot be mixed in one model. The program imported the real `keras` next to "
                f"kshim. Make `import keras` resolve to kshim instead: call kshim.alias_keras() before the first "
                f"`import keras` (or set KSHIM_ALIAS_KERAS=1, or run the script with `kshim run script.py`), or "
                f"use kshim's layers (`import kshim as keras`).")
        frame = frame.f_back
    return TypeError(f"A symbolic kshim KerasTensor ({tensor!r}) has no values, so it cannot be converted to a "
                     f"NumPy array; call the model on data instead, or use kshim.ops on it inside a functional "
                     f"model.")

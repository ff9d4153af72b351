"""Real-Keras objects handed to kshim: detecting them and the error that names the fix (the alias).

Low in the layering (foundation) because layers, models and symbolic tensors all check their inputs.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_FOREIGN_PREFIXES = ("keras.", "tf_keras.", "keras_core.", "tensorflow.python.keras.", "tensorflow.keras.")


class RealKerasObjectError(TypeError):
    """A real-Keras object (layer, tensor, model...) was given to kshim."""


def symbolic_conversion_error(tensor: Any) -> TypeError:
    """The error for ``np.asarray(kshim KerasTensor)``: which is what real Keras does when one of its
    layers is called on a kshim tensor, so that case gets the mixing message."""
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        mod = frame.f_globals.get("__name__", "") or ""
        if mod.startswith(_FOREIGN_PREFIXES):
            return RealKerasObjectError(
                f"A real-Keras layer or op (in {mod}) was called on a kshim KerasTensor ({tensor!r}): kshim and "
                f"real Keras objects cannot be mixed in one model. The program imported the real `keras` next to "
                f"kshim. Make `import keras` resolve to kshim instead: call kshim.alias_keras() before the first "
                f"`import keras` (or set KSHIM_ALIAS_KERAS=1, or run the script with `kshim run script.py`), or "
                f"use kshim's layers (`import kshim as keras`)."
            )
        frame = frame.f_back
    return TypeError(
        f"A symbolic kshim KerasTensor ({tensor!r}) has no values, so it cannot be converted to a "
        f"NumPy array; call the model on data instead, or use kshim.ops on it inside a functional "
        f"model."
    )


_FOREIGN_CACHE: dict[type, type | None] = {}


def _foreign_class(obj: Any) -> type | None:
    """The real-Keras class ``obj`` is an instance of (``keras.src....``), or ``None``."""
    t = type(obj)
    try:
        return _FOREIGN_CACHE[t]
    except KeyError:
        pass
    found = None
    for cls in t.__mro__:
        mod = getattr(cls, "__module__", None) or ""
        if mod.startswith(_FOREIGN_PREFIXES):
            found = cls
            break
    _FOREIGN_CACHE[t] = found
    return found


def _foreign_in(value: Any) -> tuple[Any, type] | None:
    cls = _foreign_class(value)
    if cls is not None:
        return value, cls
    if type(value) in (list, tuple):
        items = value
    elif type(value) is dict:
        items = value.values()
    else:
        return None
    for v in items:
        cls = _foreign_class(v)
        if cls is not None:
            return v, cls
    return None


def _mixing_message(obj: Any, cls: type, where: str) -> str:
    what = "a tensor" if "Tensor" in cls.__name__ else "an object"
    pkg = cls.__module__.split(".")[0]
    return (
        f"{where} got {what} from real Keras ({type(obj).__module__}.{type(obj).__qualname__}, package "
        f"`{pkg}`), but kshim and real Keras objects cannot be mixed in one model. The program imported the "
        f"real `keras` next to kshim. Make `import keras` resolve to kshim instead: call kshim.alias_keras() "
        f"before the first `import keras` (or set KSHIM_ALIAS_KERAS=1, or run the script with `kshim run "
        f"script.py`), or build it from kshim (`import kshim as keras`)."
    )


def reject_real_keras(value: Any, where: Any, attr: str | None = None) -> None:
    """Raise if ``value`` (or an element of a list/tuple/dict ``value``) is a real-Keras object.

    Cheap enough for attribute tracking (one dict lookup per type after the first).

    Args:
        value: What user code handed to kshim.
        where: Who received it, for the message: a string (``"Sequential.add()"``) or, with
            ``attr``, the object whose attribute is being set.
        attr: The attribute name, when ``value`` is being assigned to ``where.<attr>``.

    Raises:
        RealKerasObjectError: a ``TypeError`` naming the object and the fix (the alias).
    """
    hit = _foreign_in(value)
    if hit is not None:
        if attr is not None:
            where = f"{type(where).__name__} {getattr(where, 'name', '')!r}: setting `.{attr}`"
        raise RealKerasObjectError(_mixing_message(hit[0], hit[1], str(where)))


def check_kshim_model(model: Any, where: str) -> None:
    """Refuse a real-Keras model where kshim needs its own (``kshim compare``'s ``build_model()``).

    Args:
        model: What the user's code returned.
        where: Who produced it, for the message (e.g. ``"build_model() in tiny.py"``).

    Raises:
        RealKerasObjectError: ``model`` is a real-Keras object.
    """
    cls = _foreign_class(model)
    if cls is None:
        return
    raise RealKerasObjectError(
        f"{where} returned a real Keras model ({type(model).__module__}.{type(model).__qualname__}), not a kshim "
        f"model. kshim compare trains one kshim model on each kshim backend; training real Keras once per backend "
        f"would compare nothing. The script got real Keras because it was already imported in this process (or "
        f"imported under another name, e.g. tf.keras); run it as `kshim compare script.py` from a fresh process, "
        f"where `import keras` resolves to kshim, or write `import kshim as keras`."
    )

"""Exception classes that keep Keras 3's exception *type* for a misuse while kshim says more.

Keras user code catches the type Keras raises (``except ValueError``); kshim's own earlier releases
raised a different built-in type for some misuses. Each class here derives from both, so either
``except`` clause still works, and the message is kshim's.
"""

from __future__ import annotations


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

"""``kshim.optimizers.legacy``: the names Keras 3 keeps so that old imports resolve.

As in Keras 3, the module imports, and constructing any of its optimizers raises ``ImportError``:
Keras 2's optimizers are not part of Keras 3. kshim's message names the Keras 3 optimizer to use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Adagrad", "Adam", "Ftrl", "Optimizer", "RMSprop", "SGD"]


class LegacyOptimizer:
    """Stands for a Keras 2 (``tf.keras.optimizers.legacy``) optimizer; constructing it raises.

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always (Keras 3's exception type), naming ``kshim.optimizers.<name>``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        raise ImportError(
            f"`keras.optimizers.legacy.{name}` is not supported in Keras 3, nor in kshim: Keras 2's legacy "
            f"optimizers are not part of the Keras 3 API. Use `kshim.optimizers.{name}` (the Keras 3 "
            f"optimizer of that name) instead."
        )


class Adagrad(LegacyOptimizer):
    """Keras 2's legacy Adagrad: constructing it raises ``ImportError`` (use ``kshim.optimizers.Adagrad``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """


class Adam(LegacyOptimizer):
    """Keras 2's legacy Adam: constructing it raises ``ImportError`` (use ``kshim.optimizers.Adam``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """


class Ftrl(LegacyOptimizer):
    """Keras 2's legacy Ftrl: constructing it raises ``ImportError`` (use ``kshim.optimizers.Ftrl``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """


class Optimizer(LegacyOptimizer):
    """Keras 2's legacy base class: constructing it raises ``ImportError`` (use ``kshim.optimizers.Optimizer``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """


class RMSprop(LegacyOptimizer):
    """Keras 2's legacy RMSprop: constructing it raises ``ImportError`` (use ``kshim.optimizers.RMSprop``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """


class SGD(LegacyOptimizer):
    """Keras 2's legacy SGD: constructing it raises ``ImportError`` (use ``kshim.optimizers.SGD``).

    Args:
        *args: Ignored.
        **kwargs: Ignored.

    Raises:
        ImportError: always.
    """

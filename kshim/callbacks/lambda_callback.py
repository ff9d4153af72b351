"""``LambdaCallback``: build a callback from plain functions."""

from __future__ import annotations

from typing import Callable, Any

import inspect

from .callback import Callback


def _takes_logs_keyword(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD or (p.name == "logs" and p.kind is not p.POSITIONAL_ONLY) for p in params)


class LambdaCallback(Callback):
    """Callback made of the given functions:

    - ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``
    - ``on_train_begin(logs)``, ``on_train_end(logs)``
    - ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``

    ``logs`` is passed as a keyword argument (``fn(epoch, logs=logs)``,
    ``fn(logs=logs)``) when the function has a ``logs`` parameter (or ``**kwargs``);
    otherwise positionally, so ``lambda epoch, l: ...`` works too. Extra keyword
    arguments become attributes (as in Keras; a callable named after another hook,
    e.g. ``on_test_end=fn``, replaces that hook and is called as Keras would).

    Args:
        on_epoch_begin: Called as ``fn(epoch, logs)`` at the start of each epoch (default ``None``: no-op).
        on_epoch_end: Called as ``fn(epoch, logs)`` at the end of each epoch.
        on_train_begin: Called as ``fn(logs)`` when training starts.
        on_train_end: Called as ``fn(logs)`` when training ends.
        on_train_batch_begin: Called as ``fn(batch, logs)`` before each training batch.
        on_train_batch_end: Called as ``fn(batch, logs)`` after each training batch.
        **kwargs: Set as attributes of the callback (see above).
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Any,
    ):
        super().__init__()
        self.__dict__.update(kwargs)
        self._fns = {}
        for name, fn in dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
        ).items():
            if fn is not None:
                self._fns[name] = (fn, _takes_logs_keyword(fn))

    def _call(self, name, *index, logs=None):
        entry = self._fns.get(name)
        if entry is None:
            return None
        fn, keyword = entry
        return fn(*index, logs=logs) if keyword else fn(*index, logs)

    # The six hooks are real methods (not instance attributes) so a trainer can see
    # from the class that this callback wants epoch/batch logs.
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        return self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        return self._call("on_epoch_end", epoch, logs=logs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        return self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        return self._call("on_train_end", logs=logs)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        return self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        return self._call("on_train_batch_end", batch, logs=logs)

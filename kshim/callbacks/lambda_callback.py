"""``LambdaCallback``: build a callback from plain functions."""
from __future__ import annotations

import inspect

from .callback import Callback


def _takes_logs_keyword(fn) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind is p.VAR_KEYWORD or (p.name == "logs" and p.kind is not p.POSITIONAL_ONLY)
               for p in params)


class LambdaCallback(Callback):
    """Callback made of the given functions:

    - ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``
    - ``on_train_begin(logs)``, ``on_train_end(logs)``
    - ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``

    ``logs`` is passed as a keyword argument (``fn(epoch, logs=logs)``,
    ``fn(logs=logs)``) when the function has a ``logs`` parameter (or ``**kwargs``);
    otherwise positionally, so ``lambda epoch, l: ...`` works too. Extra keyword
    arguments become attributes (as in Keras).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        self.__dict__.update(kwargs)
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, self._wrap(fn, name in ("on_train_begin", "on_train_end")))

    @staticmethod
    def _wrap(fn, no_index: bool):
        keyword = _takes_logs_keyword(fn)
        if no_index:
            def hook(logs=None):
                return fn(logs=logs) if keyword else fn(logs)
        else:
            def hook(index, logs=None):
                return fn(index, logs=logs) if keyword else fn(index, logs)
        hook.__wrapped__ = fn
        return hook

"""``CallbackList``: calls a list of callbacks as one."""

from __future__ import annotations

from typing import Any

from ._utils import flatten_callbacks, pythonify_logs
from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger


class CallbackList(Callback):
    """Container dispatching every hook to each of its callbacks, in order.

    Args:
        callbacks: A callback, a (nested) list of callbacks, or ``None``.
        add_history: Append a ``History`` unless one is already in ``callbacks``.
        add_progbar: Append a ``ProgbarLogger`` unless one is already in ``callbacks``.
        model: The model the callbacks see (``model.history`` is set to the History).
        **params: Passed to every callback's ``set_params`` (``verbose``, ``epochs``,
            ``steps``).

    Logs are flattened, sorted by key and turned into Python floats (see
    ``pythonify_logs``) before every hook; all callbacks of one hook share the same
    dict, so a key one adds (e.g. ``learning_rate``) is seen by the ones after it,
    including the ``History`` (always last unless passed explicitly).
    """

    def __init__(
        self,
        callbacks: Any = None,
        add_history: bool = False,
        add_progbar: bool = False,
        model: Any = None,
        **params: Any,
    ):
        super().__init__()
        self.callbacks: list = flatten_callbacks(callbacks)
        self._in_begin_end_block_count = 0
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        self._progbar = None
        self._history = None
        for cb in self.callbacks:
            if isinstance(cb, ProgbarLogger):
                self._progbar = cb
            elif isinstance(cb, History):
                self._history = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback: Callback) -> None:
        """Add one callback (it gets the current model and params)."""
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    @property
    def resume_state(self):
        """The exact position a ``BackupAndRestore`` restored (see its docstring), else ``None``."""
        from .backup_and_restore import BackupAndRestore

        for cb in self.callbacks:
            if isinstance(cb, BackupAndRestore) and cb.resume_state is not None:
                return cb.resume_state
        return None

    @property
    def initial_epoch_override(self):
        """The epoch ``fit`` should start from, read after ``on_train_begin``: the one a
        ``BackupAndRestore`` restored (its ``_initial_epoch``), else ``None``."""
        from .backup_and_restore import BackupAndRestore

        for cb in self.callbacks:
            if isinstance(cb, BackupAndRestore) and cb._initial_epoch is not None:
                return cb._initial_epoch
        return None

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for cb in self.callbacks:
                cb.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            try:
                model.history = self._history
            except AttributeError:
                pass
        for cb in self.callbacks:
            cb.set_model(model)

    # ------------------------------------------------------------- dispatch
    def _call(self, hook: str, *args: Any, logs: Any = None, kw: bool = False) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            fn = getattr(cb, hook)
            if kw:
                fn(*args, logs=logs)
            else:
                fn(*args, logs)

    def _on_begin(self):
        self._in_begin_end_block_count += 1

    def _on_end(self):
        self._in_begin_end_block_count -= 1
        if self._in_begin_end_block_count < 0:
            self._in_begin_end_block_count = 0
            raise ValueError("`on_xxx_end` called without corresponding `on_xxx_begin`")

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_begin", batch, logs=logs, kw=True)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_end", batch, logs=logs, kw=True)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs=logs, kw=True)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_end", batch, logs=logs, kw=True)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_begin", batch, logs=logs, kw=True)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_end", batch, logs=logs, kw=True)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_begin", batch, logs=logs, kw=True)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_end", batch, logs=logs, kw=True)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._on_begin()
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", logs=logs)
        self._on_end()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._on_begin()
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        self._call("on_test_end", logs=logs)
        self._on_end()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._on_begin()
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._call("on_predict_end", logs=logs)
        self._on_end()

"""``Callback``: the base class of every training/evaluation/prediction hook."""

from __future__ import annotations

from typing import Any


def default(method):
    """Mark a hook as the do-nothing default (so containers can tell overrides apart)."""
    method._is_default = True
    return method


def is_default(method) -> bool:
    """Whether ``method`` is a hook that was not overridden."""
    return getattr(method, "_is_default", False)


class Callback:
    """Base class for callbacks used with ``fit``, ``evaluate`` and ``predict``.

    Subclass it and override the hooks you need. The training loop calls, in order::

        on_train_begin(logs)
          on_epoch_begin(epoch, logs)
            on_train_batch_begin(batch, logs) / on_train_batch_end(batch, logs)
            (validation: on_test_begin / on_test_batch_* / on_test_end)
          on_epoch_end(epoch, logs)        # logs hold the epoch metrics, ``val_*`` too
        on_train_end(logs)

    ``evaluate`` and ``predict`` call the ``on_test_*`` / ``on_predict_*`` hooks.
    ``on_train_batch_*`` forward to the legacy ``on_batch_*`` hooks by default.

    Attributes:
        params: Dict of training parameters (``verbose``, ``epochs``, ``steps``).
        model: The model being trained (set by ``set_model``).
    """

    def __init__(self):
        self.params: dict | None = None
        self._model: Any = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        model = self._model
        sync = getattr(model, "jax_state_sync", None) if model is not None else None
        if callable(sync):
            # A JAX trainer may keep state off the model mid-epoch; pull it back first.
            sync()
        return model

    # ------------------------------------------------------------------ hooks
    @default
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias of ``on_train_batch_begin``."""

    @default
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias of ``on_train_batch_end``."""

    @default
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Start of a training epoch (``epoch`` is 0-based)."""

    @default
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """End of a training epoch; ``logs`` holds the epoch's metrics (``val_*`` too)."""

    @default
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Start of a training batch (``batch`` is 0-based within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    @default
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """End of a training batch; ``logs`` holds the running metrics."""
        self.on_batch_end(batch, logs=logs)

    @default
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Start of an evaluation (or validation) batch."""

    @default
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """End of an evaluation (or validation) batch."""

    @default
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Start of a prediction batch."""

    @default
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """End of a prediction batch; ``logs`` may hold ``outputs``."""

    @default
    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start of ``fit``."""

    @default
    def on_train_end(self, logs: dict | None = None) -> None:
        """End of ``fit``; ``logs`` holds the last epoch's metrics."""

    @default
    def on_test_begin(self, logs: dict | None = None) -> None:
        """Start of ``evaluate`` (or of the validation pass in ``fit``)."""

    @default
    def on_test_end(self, logs: dict | None = None) -> None:
        """End of ``evaluate`` / validation; ``logs`` holds the final metrics."""

    @default
    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Start of ``predict``."""

    @default
    def on_predict_end(self, logs: dict | None = None) -> None:
        """End of ``predict``."""

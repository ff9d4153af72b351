"""``History``: records the epoch logs of ``fit``; ``fit`` returns it."""

from __future__ import annotations

from .callback import Callback


class History(Callback):
    """Records every epoch's logs.

    Attributes:
        history: Dict mapping each log key (``loss``, ``val_loss``, ...) to the list of
            its per-epoch values. Kept across ``fit`` calls on the same instance.
        epoch: List of the epoch indices seen in the latest ``fit``.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        if self._model is not None:
            # Keep ``model.history`` pointing at the latest state.
            self.model.history = self

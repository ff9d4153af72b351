"""``TerminateOnNaN``: stop training on a NaN/Inf loss."""

from __future__ import annotations

import math

from ..utils.progbar import print_msg
from ._utils import to_float
from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop training when a batch's ``loss`` is NaN or infinite.

    Args:
        raise_error: ``False`` (default) sets ``model.stop_training = True`` (so
            ``on_train_end`` still runs everywhere); ``True`` raises ``RuntimeError``
            at once instead.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Overridden directly (not only the legacy ``on_batch_end``) so a trainer that
        # skips computing batch logs for callbacks without this hook still feeds us.
        self._check(batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._check(batch, logs)

    def _check(self, batch, logs):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is None:
            return
        value = to_float(loss)
        if math.isnan(value) or math.isinf(value):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. "
                    f"Loss value: {loss}. Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True

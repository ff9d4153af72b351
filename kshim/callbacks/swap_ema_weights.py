"""``SwapEMAWeights``: evaluate (and optionally checkpoint) with the optimizer's EMA weights."""

from __future__ import annotations

from typing import Any

from .callback import Callback


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's EMA weights around evaluation and prediction.

    Before ``evaluate``/``predict`` (and validation inside ``fit``, where the trainer calls the
    ``on_test_*`` hooks) the trainable variables take the values of the optimizer's exponential
    moving averages (``optimizer._model_variables_moving_average``, Keras' attribute); afterwards the
    training values come back. The swap is in place: the averages hold the training values meanwhile.

    Use it with an optimizer built with ``use_ema=True`` (through a ``LossScaleOptimizer`` or on the
    inner optimizers of a ``MultiOptimizer`` too). Note: kshim's built-in optimizers do not implement
    ``use_ema`` yet (they refuse ``use_ema=True``), so with them this callback raises the ``ValueError``
    Keras raises for an optimizer without EMA; it works with any optimizer that keeps Keras' EMA
    attributes.

    Deliberate difference from Keras 3: after ``predict`` the training weights are swapped back (Keras
    3.15's ``on_predict_end`` tests the flag the wrong way round and leaves the EMA weights in place).

    Args:
        swap_on_epoch: Also swap at ``on_epoch_end`` (EMA weights in the model for the callbacks after
            this one, e.g. ``ModelCheckpoint``) and back at ``on_epoch_begin``. At the end of the last
            epoch the averages are then set to the (EMA) values in the model, as Keras does, so that
            ``finalize_variable_values`` keeps them.

    Raises:
        ValueError: (when swapping) The optimizer has no EMA weights, or no inner optimizer of a
            ``MultiOptimizer`` has ``use_ema=True``.
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    # ---- the swap -------------------------------------------------------------------------------
    @staticmethod
    def _swap(optimizer: Any) -> None:
        from ..ops import convert_to_numpy

        for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
            current = convert_to_numpy(var.value)
            var.assign(average.value)
            average.assign(current)

    @staticmethod
    def _finalize(optimizer: Any) -> None:
        for var, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
            average.assign(var.value)

    def _ema_optimizers(self) -> list:
        optimizer = self.model.optimizer
        if hasattr(optimizer, "inner_optimizer"):  # LossScaleOptimizer
            optimizer = optimizer.inner_optimizer
        if hasattr(optimizer, "optimizers"):  # MultiOptimizer
            chosen = [opt for opt in optimizer.optimizers if getattr(opt, "use_ema", False)]
            if not chosen:
                raise ValueError(
                    "SwapEMAWeights must be used when at least one inner optimizer has "
                    "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                    "having `use_ema=False`."
                )
        else:
            chosen = [optimizer]
        for opt in chosen:
            if not hasattr(opt, "_model_variables_moving_average"):
                raise ValueError(
                    f"SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. "
                    f"Received: use_ema={getattr(opt, 'use_ema', None)}"
                )
        return chosen

    def _swap_variables(self) -> None:
        for opt in self._ema_optimizers():
            self._swap(opt)

    def _finalize_ema_values(self) -> None:
        for opt in self._ema_optimizers():
            self._finalize(opt)

    def _to_ema(self) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _to_training(self) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    # ---- hooks ----------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch:
            self._to_training()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._to_ema()
            if self.params and epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._to_ema()

    def on_test_end(self, logs: dict | None = None) -> None:
        self._to_training()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._to_ema()

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._to_training()

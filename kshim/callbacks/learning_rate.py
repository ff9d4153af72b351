"""Learning-rate callbacks: ``LearningRateScheduler`` and ``ReduceLROnPlateau``."""

from __future__ import annotations

from typing import Callable, Any

import warnings

import numpy as np

from ..utils.progbar import print_msg
from ._utils import to_float
from .callback import Callback
from .monitor import MonitorCallback


def _optimizers(model):
    """``[(name, optimizer)]``: the sub-optimizers of a multi-optimizer, else the one."""
    opt = model.optimizer
    subs = getattr(opt, "optimizers", None)
    if subs is not None:
        return [(getattr(o, "name", str(i)), o) for i, o in enumerate(subs)], True
    return [("", opt)], False


def _log_learning_rates(model, logs):
    if logs is None:
        return
    opts, multi = _optimizers(model)
    for name, opt in opts:
        logs[f"learning_rate_{name}" if multi else "learning_rate"] = to_float(opt.learning_rate)


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from ``schedule``.

    Args:
        schedule: ``schedule(epoch, lr) -> new_lr`` (``epoch`` 0-based, ``lr`` the
            current rate as a float); a one-argument ``schedule(epoch)`` also works.
            It must return a float (Python or NumPy).
        verbose: 1 prints the new rate each epoch.

    Adds the current ``learning_rate`` to the epoch logs.
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            lr = to_float(optimizer.learning_rate)
            lr = self.schedule(epoch, lr)
        except TypeError:  # the old one-argument API
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr}")
        optimizer.learning_rate = lr
        return lr

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        opts, multi = _optimizers(self.model)
        for name, opt in opts:
            lr = self._update_optimizer_lr(opt, epoch)
            if self.verbose > 0:
                which = f"{name} learning rate" if multi else "learning rate"
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which} to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        _log_learning_rates(self.model, logs)


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs.

    Args:
        monitor: Quantity to watch. Defaults to ``"val_loss"``.
        factor: ``new_lr = max(lr * factor, min_lr)``; must be < 1.
        patience: Epochs without improvement before reducing.
        verbose: 1 prints a message on each reduction.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: Minimum change that counts as an improvement.
        cooldown: Epochs after a reduction during which the patience counter stays 0.
        min_lr: Lower bound on the learning rate.

    Adds the current ``learning_rate`` (before any reduction) to the epoch logs.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}")
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name="") -> bool:
        old_lr = to_float(optimizer.learning_rate)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                name_str = f" {name}" if name else ""
                print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name_str} learning rate to {new_lr}.")
            return True
        return False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        if logs is None:
            logs = {}
        _log_learning_rates(self.model, logs)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                opts, multi = _optimizers(self.model)
                reduced = False
                for name, opt in opts:
                    if self._reduce_optimizer_lr(opt, epoch, name if multi else ""):
                        reduced = True
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

"""``BackupAndRestore``: resume an interrupted ``fit`` from its last backup."""

from __future__ import annotations

from typing import Any

import json
import os
import shutil

import numpy as np

from ..random import host
from .callback import Callback


class BackupAndRestore(Callback):
    """Back up the weights and the training progress during ``fit``; a later ``fit``
    with the same ``backup_dir`` restores them and resumes after the last finished
    epoch.

    Files in ``backup_dir`` (which nothing else should use): ``latest.weights.h5``
    (``model.save_weights``) and ``training_metadata.json``
    (``{"epoch": <next epoch to run, 0-based>, "batch": <last batch seen>}``), plus
    ``*.bkp`` copies of the previous pair with ``double_checkpoint=True``.

    Args:
        backup_dir: Directory for the backup files (created when needed).
        save_freq: ``"epoch"`` (back up at every epoch end), an int ``N`` (every ``N``
            training batches; resuming restarts the interrupted epoch), or ``False``
            (never back up).
        double_checkpoint: Keep the previous backup too; if the latest one cannot be
            read (``OSError``, corrupt JSON), restore the previous one.
        delete_checkpoint: Delete ``backup_dir`` when ``fit`` ends normally
            (``on_train_end``). An interrupted ``fit`` (exception) leaves it in place.

    Trainer contract (what ``model.fit`` must do):

    1. Call ``callbacks.on_train_begin()`` *before* choosing the first epoch. There,
       this callback loads the backed-up weights (``model.load_weights``) if a backup
       exists, and reads the epoch to resume from.
    2. Read the resume epoch back, then run ``range(initial_epoch, epochs)``::

           callbacks.on_train_begin()
           initial_epoch = callbacks.initial_epoch_override or initial_epoch

       ``CallbackList.initial_epoch_override`` returns this callback's
       ``_initial_epoch``: ``None`` when nothing was restored, else the 0-based index
       of the first epoch still to run (one past the last finished epoch; the
       interrupted epoch itself after a mid-epoch ``save_freq=N`` backup). As in Keras
       the value is also put on ``model._initial_epoch`` (only when a backup was
       restored; reset to ``None`` by this callback's ``on_train_end``), so a trainer
       may read ``model._initial_epoch or initial_epoch`` instead.
    3. Call ``on_epoch_begin/end`` with the real (absolute) epoch indices, and
       ``on_train_end`` only when training completes (not on an exception), so the
       backup survives an interruption.
    4. Exact resume (beyond Keras): read ``callbacks.resume_state`` after ``on_train_begin``
       (``None``, or ``{"epoch", "step", "rng_epoch_begin", "rng_now", "metrics"}``); for that
       epoch, set the host generator to ``rng_epoch_begin`` before ``on_epoch_begin`` and the
       shuffle draw, to ``rng_now`` after it, skip the first ``step`` batches and restore the
       metric values. With the weights, optimizer slots and seed-generator states (dropout
       masks) restored too, a run killed at any point and restarted ends with weights bitwise
       equal to the uninterrupted run, also with ``shuffle=True`` and ``save_freq=N``.
       This state is written into ``latest.weights.h5`` itself (attribute ``kshim_resume``), so
       it is committed atomically with the weights; ``training_metadata.json`` is Keras' file.
    5. When a backup exists the model must be built by ``on_train_begin`` (Keras
       builds it symbolically before; ``model.built`` false raises ``ValueError``); an
       optimizer with ``built`` false and a ``build`` method is built on
       ``model.trainable_variables`` before the weights are loaded.
    """

    def __init__(
        self, backup_dir: Any, save_freq: Any = "epoch", double_checkpoint: bool = False, delete_checkpoint: bool = True
    ):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if (
            save_freq is not False
            and save_freq != "epoch"
            and (not isinstance(save_freq, int) or isinstance(save_freq, bool) or save_freq <= 0)
        ):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self.backup_dir = os.fspath(backup_dir)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._current_epoch = 0
        self._initial_epoch: int | None = None
        self.resume_state: dict | None = None
        self._rng_epoch_begin: tuple | None = None
        self._set_model_initial_epoch = False
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"

    # -------------------------------------------------------------- restore
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._initial_epoch = None
        self.resume_state = None
        self._set_model_initial_epoch = False
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        try:
            self._load_model()
        except (OSError, json.JSONDecodeError):
            # The latest backup is unreadable: fall back to the previous one.
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path, self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()
        self._current_epoch = self._initial_epoch or 0

    def _load_model(self):
        model = self.model
        if os.path.exists(self._weights_path) and not getattr(model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you "
                f"call `fit()`. Model {model} is unbuilt. You can build it beforehand by "
                "calling it on a batch of data."
            )
        if os.path.exists(self._weights_path):
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None and getattr(optimizer, "built", True) is False and hasattr(optimizer, "build"):
                optimizer.build(model.trainable_variables)
            model.load_weights(self._weights_path)
            self._load_resume_state(model)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path) as f:
                metadata = json.loads(f.read())
            epoch = int(metadata["epoch"])
            if self.resume_state is not None:  # committed with the weights: authoritative
                epoch = self.resume_state["epoch"]
            self._initial_epoch = epoch
            try:
                model._initial_epoch = epoch
                self._set_model_initial_epoch = True
            except AttributeError:
                pass

    def _load_resume_state(self, model):
        from ..saving.saving_api import read_weights_attr

        state = read_weights_attr(self._weights_path, "kshim_resume")
        if not isinstance(state, dict):
            return
        seeds = model._seed_states() if hasattr(model, "_seed_states") else []
        if len(seeds) == len(state.get("seed_states", [])):
            for v, value in zip(seeds, state["seed_states"]):
                v.assign(np.asarray(value, dtype=v.dtype))
        self.resume_state = state

    # ---------------------------------------------------------------- backup
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch
        self._rng_epoch_begin = host.get_state()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = -1
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(next_step=batch + 1)

    def _should_save_on_batch(self, batch) -> bool:
        if self.save_freq == "epoch" or self.save_freq is False:
            return False
        if batch <= self._last_batch_seen:  # a new epoch began
            add_batches = batch + 1
        else:
            add_batches = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add_batches
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, next_step=0):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            if os.path.exists(self._weights_path):
                shutil.copyfile(self._weights_path, self._prev_weights_path)
            if os.path.exists(self._training_metadata_path):
                shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        self._save_weights(next_step)
        # Write the metadata atomically so an interruption never leaves half a file.
        tmp = self._training_metadata_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": max(self._last_batch_seen, 0)}))
        os.replace(tmp, self._training_metadata_path)

    def _save_weights(self, next_step):
        model = self.model
        if not hasattr(model, "metrics_variables"):  # not a kshim model (a test double)
            model.save_weights(self._weights_path)
            return
        from ..saving.saving_api import save_weights

        now = host.get_state()
        state = {
            "epoch": self._current_epoch,
            "step": int(next_step),
            "rng_epoch_begin": list(self._rng_epoch_begin or now) if next_step else list(now),
            "rng_now": list(now) if next_step else None,  # None: the epoch's draw is still to come
            "seed_states": [np.asarray(v.numpy()).tolist() for v in model._seed_states()],
            "metrics": [np.asarray(v.numpy()).tolist() for v in model.metrics_variables] if next_step else None,
        }
        save_weights(model, self._weights_path, _attrs={"kshim_resume": state})

    # ----------------------------------------------------------------- finish
    def on_train_end(self, logs: dict | None = None) -> None:
        if self._set_model_initial_epoch:
            try:
                self.model._initial_epoch = None
            except AttributeError:
                pass
            self._set_model_initial_epoch = False
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)

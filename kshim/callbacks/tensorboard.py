"""``TensorBoard``: write training metrics, weight histograms and the model config as TensorBoard event files."""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

from .. import backend as _backend
from .._config import image_data_format
from ._utils import to_float
from .callback import Callback
from .tensorboard_writer import EventWriter

_PROFILE_ERROR = (
    "profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of "
    "positive integers signifies a range of batches to profile. Found: {}"
)


def _profile_range(profile_batch: Any) -> tuple[int, int]:
    """``(start, stop)`` batches from Keras' ``profile_batch`` forms: an int, a pair, or ``"start,stop"``."""
    value = profile_batch
    if isinstance(value, str):
        try:
            value = [int(p) for p in value.split(",")]
        except ValueError:
            raise ValueError(_PROFILE_ERROR.format(profile_batch)) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, tuple, list)):
        raise ValueError(_PROFILE_ERROR.format(profile_batch))
    if isinstance(value, (int, np.integer)):
        start = stop = int(value)
    elif len(value) == 2:
        start, stop = (int(v) for v in value)
    else:
        raise ValueError(_PROFILE_ERROR.format(profile_batch))
    if start < 0 or stop < start:
        raise ValueError(_PROFILE_ERROR.format(profile_batch))
    return start, stop


class TensorBoard(Callback):
    """Write TensorBoard event files (``keras.callbacks.TensorBoard``), without TensorFlow.

    Runs go to ``log_dir/train`` and ``log_dir/validation``, as Keras writes them:

    * every epoch, ``epoch_<name>`` scalars at step ``epoch``: the training logs plus
      ``epoch_learning_rate`` (``epoch_learning_rate_<optimizer name>`` per inner optimizer of a
      ``MultiOptimizer``) and, with ``write_steps_per_second``, ``epoch_steps_per_second`` in ``train``;
      the ``val_*`` logs, prefix removed, in ``validation``;
    * with ``update_freq="batch"`` or an int ``N``, ``batch_<name>`` scalars (and
      ``batch_steps_per_second``) in ``train`` every ``N`` batches, at the global batch count
      (1-based, restarting at each ``fit``);
    * at the end of every evaluation (``evaluate``, and validation inside ``fit`` where the trainer
      calls ``on_test_end``), ``evaluation_<name>_vs_iterations`` in ``validation`` at step
      ``model.optimizer.iterations``;
    * every ``histogram_freq`` epochs, a histogram of every weight of ``model.layers``
      (``<weight path>/histogram``) and, with ``write_images``, the weight as an image
      (``<weight path>/image``, shaped as Keras shapes it: a bias or dense kernel as one image, a 3-D
      kernel as one image per output channel; other weights have no image);
    * with ``write_graph``, the model's JSON config (``tag="keras"``, plugin ``graph_keras_model``) for
      Functional and Sequential models: TensorBoard's graph tab draws it as the *conceptual* graph.
      An op-level graph of the train step is not written: kshim's steps are not TensorFlow graphs
      (Keras 3 writes none either outside TensorFlow).

    Deliberate differences from Keras 3 (which needs TensorFlow for this callback):

    * event files are written by tensorboardX (``pip install kshim[data]``); scalars are ``simple_value``
      points, histograms ``HistogramProto``s and a weight's images one tiled image, which TensorBoard
      shows the same way;
    * epoch and evaluation scalars are always written; Keras 3 on TensorFlow also filters them with the
      batch-level ``update_freq`` condition (a side effect of its summary contexts);
    * ``profile_batch`` never raises for the backend: the active backend's ``start_trace(logdir)`` /
      ``stop_trace()`` hooks profile the batches into ``log_dir/train`` where the backend has them;
      otherwise a warning says profiling is off (Keras raises ``ValueError`` on torch/numpy);
    * ``embeddings_freq`` writes Keras' ``projector_config.pbtxt`` and saves the weights to
      ``train/keras_embedding.ckpt-<epoch>.weights.h5`` as Keras 3 does, with a warning that
      TensorBoard's projector cannot read ``.weights.h5`` files (it reads TensorFlow checkpoints);
    * ``update_freq`` other than ``"batch"``, ``"epoch"`` or a positive int raises ``ValueError`` at
      construction.

    Args:
        log_dir: Directory of the run (``train/`` and ``validation/`` are created in it).
        histogram_freq: Epoch frequency of weight histograms (0: none).
        write_graph: Write the model config for TensorBoard's graph tab.
        write_images: Also write weights as images (with ``histogram_freq``).
        write_steps_per_second: Log training steps per second (epoch and batch level).
        update_freq: ``"epoch"``, ``"batch"`` (every batch) or an int ``N`` (every ``N`` batches).
        profile_batch: Batch (or ``(start, stop)`` range, or ``"start,stop"``) to profile; 0 disables.
        embeddings_freq: Epoch frequency of embedding checkpoints (0: none).
        embeddings_metadata: Metadata file name for every ``Embedding`` layer, or a dict
            ``{layer name: file name}``.

    Raises:
        ValueError: For an invalid ``profile_batch`` or ``update_freq``; at ``set_model``, for
            ``embeddings_metadata`` names that are not ``Embedding`` layers of the model.
    """

    def __init__(
        self,
        log_dir: Any = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: Any = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: Any = None,
    ):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        update_freq = 1 if update_freq == "batch" else update_freq
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, int) or update_freq < 1
        ):
            raise ValueError(
                f"update_freq must be 'batch', 'epoch' or a positive integer. Received: update_freq={update_freq!r}"
            )
        self.update_freq = update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._should_trace = not (self._start_batch == 0 and self._stop_batch == 0)
        self._is_tracing = False
        self._profiler: Any = None  # the backend, where it can profile
        if self._should_trace:
            self._profiler = _backend.current()
            if not (
                callable(getattr(self._profiler, "start_trace", None))
                and callable(getattr(self._profiler, "stop_trace", None))
            ):
                warnings.warn(
                    f"TensorBoard: profiling is not available with the {self._profiler.name} backend "
                    f"in kshim; profile_batch={profile_batch!r} is ignored.",
                    stacklevel=2,
                )
                self._should_trace = False
        if embeddings_freq:
            warnings.warn(
                "TensorBoard: embeddings are saved as .weights.h5 files (as Keras 3 does), which "
                "TensorBoard's projector cannot load.",
                stacklevel=2,
            )
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0
        self._epoch_start_time = 0.0
        self._batch_start_time = 0.0
        self._writers: dict[str, EventWriter] = {}
        self._in_training = False

    # ---- writers -------------------------------------------------------------------------------
    def set_model(self, model: Any) -> None:
        """Set the model; writes its config (``write_graph``) and the projector config (``embeddings_freq``)."""
        self._model = model
        self._log_write_dir = self.log_dir
        self._train_dir = os.path.join(self._log_write_dir, "train")
        self._val_dir = os.path.join(self._log_write_dir, "validation")
        self._close_writers()
        if self.write_graph:
            self._write_keras_model_summary()
        if self.embeddings_freq:
            self._configure_embeddings()

    def _writer(self, key: str) -> EventWriter:
        if key not in self._writers:
            self._writers[key] = EventWriter(self._train_dir if key == "train" else self._val_dir)
        return self._writers[key]

    @property
    def _train_writer(self) -> EventWriter:
        return self._writer("train")

    @property
    def _val_writer(self) -> EventWriter:
        return self._writer("val")

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _write_keras_model_summary(self) -> None:
        model = self._model
        if type(model).__name__ not in ("Functional", "Sequential"):
            return
        try:
            json_string = model.to_json()
        except Exception as exc:  # noqa: BLE001 - as Keras: a model that cannot serialize is skipped
            warnings.warn(f"Model failed to serialize as JSON. Ignoring... {exc}", stacklevel=2)
            return
        self._train_writer.keras_model("keras", json_string, step=0)
        self._train_writer.flush()

    def _configure_embeddings(self) -> None:
        from ..layers import Embedding

        metadata = self.embeddings_metadata
        remaining = dict(metadata) if isinstance(metadata, dict) else None
        lines = []
        for layer in self._model.layers:
            if not isinstance(layer, Embedding):
                continue
            lines.append("embeddings {")
            lines.append('  tensor_name: "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"')
            path = (
                metadata
                if isinstance(metadata, str)
                else (remaining.pop(layer.name, None) if remaining is not None else None)
            )
            if path is not None:
                lines.append(f'  metadata_path: "{path}"')
            lines.append("}")
        if remaining:
            raise ValueError(
                f"Unrecognized `Embedding` layer names passed to `keras.callbacks.TensorBoard` "
                f"`embeddings_metadata` argument: {remaining.keys()}"
            )
        os.makedirs(self._log_write_dir, exist_ok=True)
        with open(os.path.join(self._log_write_dir, "projector_config.pbtxt"), "w") as f:
            f.write("\n".join(lines) + ("\n" if lines else ""))

    # ---- hooks ---------------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._in_training = True
        self._global_train_batch = 0
        self._previous_epoch_iterations = 0

    def on_train_end(self, logs: dict | None = None) -> None:
        self._in_training = False
        if self._is_tracing:
            self._stop_trace()
        self._close_writers()

    def on_test_end(self, logs: dict | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "iterations"):
            step = int(to_float(optimizer.iterations))
            writer = self._val_writer
            for name, value in _scalars(logs):
                writer.scalar(f"evaluation_{name}_vs_iterations", value, step)
        if self._in_training:
            self._val_writer.flush()
        else:  # a standalone evaluate: close, so the events are on disk now (writers reopen lazily)
            self._close_writers()

    def on_predict_end(self, logs: dict | None = None) -> None:
        if not self._in_training:
            self._close_writers()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()
        if self._should_trace and self._global_train_batch == self._start_batch:
            self._start_trace()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0:
            writer = self._train_writer
            if self.write_steps_per_second:
                elapsed = max(time.time() - self._batch_start_time, 1e-12)
                writer.scalar("batch_steps_per_second", 1.0 / elapsed, step)
            if isinstance(logs, dict):
                for name, value in _scalars(logs):
                    writer.scalar(f"batch_{name}", value, step)
        if self._is_tracing and step >= self._stop_batch:
            self._stop_trace()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.write_steps_per_second:
            self._previous_epoch_iterations = self._iterations()
            self._epoch_start_time = time.time()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._log_epoch_metrics(epoch, logs)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self._log_write_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            self.model.save_weights(path)
        for writer in self._writers.values():
            writer.flush()

    # ---- epoch summaries -----------------------------------------------------------------------
    def _iterations(self) -> int:
        optimizer = getattr(self.model, "optimizer", None)
        return int(to_float(optimizer.iterations)) if optimizer is not None else 0

    def _collect_learning_rate(self, logs: dict) -> dict:
        from ..optimizers import Optimizer

        optimizer: Any = getattr(self.model, "optimizer", None)
        if hasattr(optimizer, "inner_optimizer"):
            optimizer = optimizer.inner_optimizer
        if hasattr(optimizer, "optimizers"):
            for opt in optimizer.optimizers:
                logs[f"learning_rate_{opt.name}"] = to_float(opt.learning_rate)
        elif isinstance(optimizer, Optimizer):
            logs["learning_rate"] = to_float(optimizer.learning_rate)
        return logs

    def _log_epoch_metrics(self, epoch: int, logs: dict | None) -> None:
        if not logs:
            return
        train_logs = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_logs = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        train_logs = self._collect_learning_rate(train_logs)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-12)
            train_logs["steps_per_second"] = (self._iterations() - self._previous_epoch_iterations) / elapsed
        if train_logs:
            writer = self._train_writer
            for name, value in _scalars(train_logs):
                writer.scalar(f"epoch_{name}", value, epoch)
        if val_logs:
            writer = self._val_writer
            for name, value in _scalars(val_logs):
                writer.scalar(f"epoch_{name}", value, epoch)

    def _log_weights(self, epoch: int) -> None:
        from ..ops import convert_to_numpy

        writer = self._train_writer
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                value = np.asarray(convert_to_numpy(weight.value))
                writer.histogram(f"{name}/histogram", value, epoch)
                if self.write_images:
                    image = _weight_as_image(value)
                    if image is not None:
                        writer.images(f"{name}/image", image, epoch)
        writer.flush()

    # ---- profiling -----------------------------------------------------------------------------
    def _start_trace(self) -> None:
        try:
            self._profiler.start_trace(self._train_dir)
            self._is_tracing = True
        except Exception as e:  # noqa: BLE001 - profiler errors are never fatal (as in Keras)
            warnings.warn(f"TensorBoard: failed to start the profiler: {e}", stacklevel=2)

    def _stop_trace(self) -> None:
        self._is_tracing = False
        try:
            self._profiler.stop_trace()
        except Exception as e:  # noqa: BLE001
            warnings.warn(f"TensorBoard: failed to stop the profiler: {e}", stacklevel=2)


def _scalars(logs: dict | None):
    """``(name, float)`` for every log value that is a number (others are skipped)."""
    for name, value in (logs or {}).items():
        if isinstance(value, (str, bytes)) or (hasattr(value, "shape") and int(np.prod(value.shape)) != 1):
            continue
        try:
            yield name, to_float(value)
        except (TypeError, ValueError):
            continue


def _weight_as_image(w: np.ndarray) -> np.ndarray | None:
    """A weight shaped as Keras shapes it for ``summary.image`` (``NHWC``), or ``None`` if it has no image form."""
    w = np.squeeze(w)
    shape = w.shape
    if len(shape) == 1:  # bias
        w = w.reshape(1, shape[0], 1, 1)
    elif len(shape) == 2:  # dense kernel, the long side horizontal
        if shape[0] > shape[1]:
            w = w.T
        w = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif len(shape) == 3:  # a 3-D kernel (Conv1D, or Conv2D with one input channel): one image per output
        if image_data_format() == "channels_last":
            w = np.transpose(w, (2, 0, 1))
        w = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    if w.ndim == 4 and w.shape[-1] in (1, 3, 4):
        return w
    return None

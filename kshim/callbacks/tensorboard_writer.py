"""Event-file writing for the ``TensorBoard`` callback, over tensorboardX (imported lazily).

tensorboardX is the maintained, TensorFlow-free writer of TensorBoard's event files. It is optional:
importing kshim (or constructing ``TensorBoard``) never needs it; the first summary written does.
Note that ``import tensorboardX`` imports PyTorch when PyTorch is installed.
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import numpy as np

_INSTALL_HINT = (
    "The TensorBoard callback writes event files with tensorboardX, which is not installed. "
    "Install it with `pip install tensorboardX` (or the kshim extra: `pip install kshim[data]`)."
)
_FILE_IDS = itertools.count()


def _tensorboardx() -> Any:
    """The ``tensorboardX`` module, or an ``ImportError`` naming what to install."""
    try:
        import tensorboardX
    except ImportError as e:
        raise ImportError(_INSTALL_HINT) from e
    return tensorboardX


class EventWriter:
    """One run directory's event file (``log_dir/train`` or ``log_dir/validation``).

    Args:
        logdir: The run directory; created if missing.
    """

    def __init__(self, logdir: str):
        tbx = _tensorboardx()
        os.makedirs(logdir, exist_ok=True)
        self.logdir = logdir
        # TensorFlow's file name pattern (...tfevents.<time>.<host>.<pid>.<n>.v2): two writers opened in
        # the same second (fit, then evaluate) get different files instead of overwriting one. The
        # counter is zero-padded so that name order (the order TensorBoard reads a run's files in) is
        # creation order.
        suffix = f".{os.getpid()}.{next(_FILE_IDS):06d}.v2"
        self._writer = tbx.SummaryWriter(logdir=logdir, flush_secs=30, filename_suffix=suffix)

    def scalar(self, tag: str, value: float, step: int) -> None:
        """A scalar point (stored as a float32 ``simple_value``, as TensorBoard plots it)."""
        self._writer.add_scalar(tag, float(value), global_step=int(step))

    def histogram(self, tag: str, values: np.ndarray, step: int) -> None:
        """A histogram of ``values`` with TensorFlow's default bucketing."""
        values = np.asarray(values, dtype="float64").reshape(-1)
        if values.size == 0:
            return
        self._writer.add_histogram(tag, values, global_step=int(step), bins="tensorflow")

    def images(self, tag: str, images: np.ndarray, step: int) -> None:
        """A batch of ``NHWC`` float images in ``[0, 1]``, tiled into one image as tensorboardX does.
        Out-of-range values saturate, as in ``tf.summary.image`` (tensorboardX would wrap them around)."""
        images = np.clip(np.asarray(images, dtype="float32"), 0.0, 1.0)
        self._writer.add_images(tag, images, global_step=int(step), dataformats="NHWC")

    def keras_model(self, tag: str, model_json: str, step: int = 0) -> None:
        """The model's JSON config under TensorBoard's ``graph_keras_model`` plugin (what Keras writes;
        TensorBoard's graph tab draws it as the conceptual graph)."""
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto
        from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
        from tensorboardX.proto.types_pb2 import DT_STRING

        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1"))
        tensor = TensorProto(dtype=DT_STRING, tensor_shape=TensorShapeProto(), string_val=[model_json.encode("utf-8")])
        summary = Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=meta)])
        self._writer._get_file_writer().add_summary(summary, global_step=int(step))

    def flush(self) -> None:
        """Flush the file (events still queued in tensorboardX's writer thread may follow later)."""
        self._writer.flush()

    def close(self) -> None:
        """Write every queued event and close the file."""
        self._writer.close()

"""The fused path of the ``LSTM`` and ``GRU`` layers: the whole sequence through the backend's
``lstm``/``gru`` kernel (``backends/_protocol.py``: torch's ATen kernels, NumPy's one-node VJP),
taken only where the layer's configuration is exactly the kernel's; otherwise the cell runs over
``scan`` (the composite, which defines the numbers: the fused result equals it up to float rounding).

Eligible (Keras' cuDNN conditions, plus what the kernels here implement): the layer's own cell
(``LSTMCell``, or ``GRUCell`` with ``reset_after=True``), ``activation="tanh"``,
``recurrent_activation="sigmoid"``, no active dropout (``dropout``/``recurrent_dropout`` 0, or not
training), no mask, ``unroll=False``, ``use_cudnn`` not False, float32/float64 inputs of rank 3 with at
least one step, eager tensors of the active backend, and a backend that has the kernel.
``go_backwards``, ``return_sequences``, ``return_state``, ``stateful`` and initial states are handled
by the layer around the kernel. ``KSHIM_FUSED_RNN=0`` (or ``ENABLED = False``) turns the path off.
"""

from __future__ import annotations

import os
from typing import Any

from ... import activations, ops
from ...backend import current
from ...backends._native_module import kshim_class

ENABLED = os.environ.get("KSHIM_FUSED_RNN", "1") != "0"
_DTYPES = ("float32", "float64")


def _kernel_name(layer: Any) -> str | None:
    """``"lstm"``/``"gru"`` when the layer's configuration matches the fused kernel, else None."""
    from .gru import GRUCell
    from .lstm import LSTMCell

    cell = layer.cell
    cls = kshim_class(cell)  # on torch type(cell) is its torch.nn.Module subclass
    if cls is LSTMCell:
        name = "lstm"
    elif cls is GRUCell and cell.reset_after:
        name = "gru"
    else:
        return None
    if layer.unroll or getattr(layer, "use_cudnn", "auto") is False:
        return None
    if cell.activation is not activations.tanh or cell.recurrent_activation is not activations.sigmoid:
        return None
    return name


def run_fused(layer: Any, sequences: Any, initial_state: list, mask: Any, training: Any) -> tuple | None:
    """``(last_output, outputs (B, T, U) or None, states)`` through the backend kernel, or None when the
    fused path does not apply (the caller then runs the cell over ``scan``)."""
    if not ENABLED or mask is not None:
        return None
    name = _kernel_name(layer)
    if name is None:
        return None
    b = current()
    kernel_fn = getattr(b, name, None)
    cell = layer.cell
    if kernel_fn is None or cell._input_mask(training) is not None or cell._rec_mask(training) is not None:
        return None
    if not b.is_tensor(sequences) or not all(b.is_tensor(s) for s in initial_state):
        return None
    shape = b.shape(sequences)
    dt = b.dtype(sequences)
    if len(shape) != 3 or shape[1] < 1 or dt not in _DTYPES:
        return None
    weights = [ops.convert_to_tensor(cell.kernel), ops.convert_to_tensor(cell.recurrent_kernel)]
    weights.append(ops.convert_to_tensor(cell.bias) if cell.use_bias else None)
    if any(w is not None and b.dtype(w) != dt for w in weights) or any(b.dtype(s) != dt for s in initial_state):
        return None
    x = ops.flip(sequences, 1) if layer.go_backwards else sequences
    if name == "lstm":
        outputs, h, c = kernel_fn(x, initial_state[0], initial_state[1], *weights)
        states = [h, c]
    else:
        outputs, h = kernel_fn(x, initial_state[0], *weights)
        states = [h]
    return h, (outputs if layer.return_sequences else None), states

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

import contextlib
import contextvars
import os
from typing import Any, Iterator

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


def _kernel_args(layer: Any, sequences: Any, initial_state: list, mask: Any, training: Any) -> tuple | None:
    """``(name, kernel arguments)`` when the fused path applies to this call, else None."""
    if not ENABLED or mask is not None:
        return None
    name = _kernel_name(layer)
    if name is None:
        return None
    b = current()
    cell = layer.cell
    if getattr(b, name, None) is None or cell._input_mask(training) is not None:
        return None
    if cell._rec_mask(training) is not None:
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
    states = list(initial_state[:2] if name == "lstm" else initial_state[:1])
    return name, (x, *states, *weights)


def _result(layer: Any, outputs: Any, states: list) -> tuple:
    """The layer's ``inner_loop`` result from the kernel's outputs and final states."""
    return states[0], (outputs if layer.return_sequences else None), states


def run_fused(layer: Any, sequences: Any, initial_state: list, mask: Any, training: Any) -> tuple | None:
    """``(last_output, outputs (B, T, U) or None, states)`` through the backend kernel, or None when the
    fused path does not apply (the caller then runs the cell over ``scan``)."""
    pending = _PAIRED.get()
    if pending is not None and id(layer) in pending:
        seq, states_in, res = pending.pop(id(layer))
        if (
            seq is sequences
            and len(states_in) == len(initial_state)
            and all(a is b for a, b in zip(states_in, initial_state))
        ):
            return res
    args = _kernel_args(layer, sequences, initial_state, mask, training)
    if args is None:
        return None
    name, kernel_args = args
    outputs, *states = getattr(current(), name)(*kernel_args)
    return _result(layer, outputs, states)


#: ``{id(layer): (sequences, initial states, inner_loop result)}`` computed ahead by ``paired``.
_PAIRED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("kshim_rnn_paired", default=None)


@contextlib.contextmanager
def paired(
    forward: Any, backward: Any, sequences: Any, fstate: list | None, bstate: list | None, mask: Any, training: Any
) -> Iterator[tuple]:
    """Runs a ``Bidirectional`` layer's two fused sequences ahead as one ``rnn_pair`` call (on a backend
    that has one: NumPy, where the two directions then run on two cores; torch, where they run as one
    bidirectional kernel call) and yields the initial states
    to call the two layers with. Each layer's ``run_fused`` then takes its precomputed result, provided
    it is called with the same sequences and initial state objects; anything else (a layer not eligible,
    a stateful layer, another backend) yields ``(fstate, bstate)`` unchanged and changes nothing."""
    b = current()
    pair_fn: Any = getattr(b, "rnn_pair", None)
    plan = None
    stateful = getattr(forward, "stateful", True) or getattr(backward, "stateful", True)
    if pair_fn is not None and not stateful and b.is_tensor(sequences):
        plan = _plan_pair(forward, backward, sequences, fstate, bstate, mask, training)
    if plan is None:
        yield fstate, bstate
        return
    (fs, fargs), (bs, bargs) = plan
    mirrored = bool(forward.go_backwards) != bool(backward.go_backwards)  # both read ``sequences``
    outs_f, outs_b = pair_fn(fargs[0], fargs[1], bargs[1], mirrored=mirrored)
    pending = {
        id(forward): (sequences, fs, _result(forward, outs_f[0], list(outs_f[1:]))),
        id(backward): (sequences, bs, _result(backward, outs_b[0], list(outs_b[1:]))),
    }
    token = _PAIRED.set(pending)
    try:
        yield fs, bs
    finally:
        _PAIRED.reset(token)


def _plan_pair(
    forward: Any, backward: Any, sequences: Any, fstate: list | None, bstate: list | None, mask: Any, training: Any
) -> tuple | None:
    """``((states, (name, args)), (states, (name, args)))`` for the two layers, or None."""
    from .cell_base import BuiltinRNN

    batch = ops.shape(sequences)[0]
    plans = []
    for layer, given in ((forward, fstate), (backward, bstate)):
        if not issubclass(kshim_class(layer), BuiltinRNN):  # a user's own RNN layer
            return None
        cell = layer.cell
        if training and (cell.dropout or cell.recurrent_dropout):
            return None
        states = layer.get_initial_state(batch) if given is None else given
        states = [ops.convert_to_tensor(s, dtype=layer._state_dtype()) for s in states]
        args = _kernel_args(layer, sequences, states, mask, training)
        if args is None:
            return None
        plans.append((states, args))
    if plans[0][1][0] != plans[1][1][0]:  # an LSTM and a GRU: no pair kernel
        return None
    return tuple(plans)

"""Fused recurrent sequences for the torch backend: ``torch.lstm`` / ``torch.gru`` (the ATen kernels
behind ``nn.LSTM``/``nn.GRU``; oneDNN on CPU for float32, cuDNN on CUDA), differentiable through
autograd and traceable by the backend's trace-and-replay ``jit``.

Layouts (see ``backends/_protocol.py``): Keras' kernels are (in, gates·U) with gate blocks i, f, c, o
(LSTM) and z, r, h (GRU); torch's weights are (gates·U, in) with blocks i, f, g, o and r, z, n. The
LSTM orders agree (only a transpose); the GRU's first two blocks swap. Keras has one LSTM bias, torch
two (``b_ih + b_hh``): the second is passed as zeros.

A ``Bidirectional`` layer's two directions (``rnn_pair`` with ``mirrored=True``) run as one
bidirectional kernel call (``nn.LSTM(bidirectional=True)``'s), which reads the forward direction's
input for both: torch's reverse direction walks it from the end and writes each output at its input's
position, so the backward layer's outputs (in its processing order) are those flipped along time.
"""

from __future__ import annotations

import torch

from . import tracing


def _rz_swap(w: torch.Tensor, units: int, dim: int) -> torch.Tensor:
    """Keras' GRU blocks (z, r, h) -> torch's (r, z, n) along ``dim``."""
    z, r, h = torch.split(w, units, dim=dim)
    return torch.cat([r, z, h], dim=dim)


def _needs_grad(*tensors: torch.Tensor | None) -> bool:
    """Whether autograd will need this call's backward. The kernels run under exactly that grad mode:
    with grad mode on, torch's CPU LSTM takes oneDNN's training primitive even when no input requires
    grad, ~2.6x slower (LSTM(128) x 200 steps, batch 64: 40 vs 15.5 ms), so a forward with nothing to
    differentiate (``predict`` runs with grad mode on) takes the inference kernel, as ``nn.LSTM`` does
    under ``no_grad``."""
    return torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors)


def _lstm_params(kernel: torch.Tensor, recurrent_kernel: torch.Tensor, bias: torch.Tensor | None) -> list:
    """One direction's weights in ``torch.lstm``'s flat list (w_ih, w_hh[, b_ih, b_hh])."""
    params = [kernel.t(), recurrent_kernel.t()]
    if bias is not None:
        params += [bias, torch.zeros_like(bias)]
    return params


def _gru_params(kernel: torch.Tensor, recurrent_kernel: torch.Tensor, bias: torch.Tensor | None) -> list:
    """One direction's weights in ``torch.gru``'s flat list, gate blocks reordered (see the module)."""
    u = recurrent_kernel.shape[0]
    params = [_rz_swap(kernel, u, 1).t(), _rz_swap(recurrent_kernel, u, 1).t()]
    if bias is not None:
        params += [_rz_swap(bias[0], u, 0), _rz_swap(bias[1], u, 0)]
    return params


@torch.library.custom_op("kshim::gru_inference", mutates_args=())
def _gru_inference(
    x: torch.Tensor, h0: torch.Tensor, params: list[torch.Tensor], has_bias: bool, bidirectional: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.gru`` forward without autograd, as one opaque op. torch's CPU GRU has no fused kernel:
    ``aten::gru`` is a C++ loop over cell ops, which the torch backend's trace (``make_fx``) would
    record as its ~14 ops per time step, replayed one by one from Python (GRU(128) x 50 steps predict:
    15.3 ms/batch traced vs 8.9 eager). A custom op stays one node in the trace."""
    with torch.no_grad():
        out, h = torch.gru(x, h0, params, has_bias, 1, 0.0, False, bidirectional, True)
    return out, h


@_gru_inference.register_fake
def _gru_inference_fake(x, h0, params, has_bias, bidirectional):
    units = h0.shape[-1] * (2 if bidirectional else 1)
    return x.new_empty((x.shape[0], x.shape[1], units)), torch.empty_like(h0)


def _run_lstm(x, h0, c0, params, has_bias: bool, train: bool, bidirectional: bool):
    """``torch.lstm`` over ``x`` (B, T, F) from stacked states (directions, B, U)."""
    with torch.set_grad_enabled(train):
        return torch.lstm(x, (h0, c0), params, has_bias, 1, 0.0, train, bidirectional, True)


def _run_gru(x, h0, params, has_bias: bool, train: bool, bidirectional: bool):
    """``torch.gru`` over ``x`` (B, T, F) from stacked states (directions, B, U)."""
    if tracing.TRACING and train and x.device.type == "cpu":
        # its backward is autograd through those cell ops too: ~45 ATen calls per time step that a
        # trace would replay from Python (GRU(128) x 50 steps, batch 64, train step: 66-77 ms traced,
        # 58-63 eager, 58 for nn.GRU); the LSTM stays one oneDNN node forward and backward
        tracing.decline("a GRU training step on CPU runs faster eagerly (aten::gru is a C++ loop of cell ops)")
    if tracing.TRACING and not train:
        # only inside kshim's own trace: elsewhere (eager; torch.export / ONNX export) aten::gru stays
        return _gru_inference(x, h0, params, has_bias, bidirectional)
    with torch.set_grad_enabled(train):
        return torch.gru(x, h0, params, has_bias, 1, 0.0, train, bidirectional, True)


def _pairable(args_a: tuple, args_b: tuple) -> bool:
    """Whether two directions' kernel arguments fit one bidirectional call: the same input shape,
    dtype and device, the same units, and both with or both without a bias."""
    xa, xb = args_a[0], args_b[0]
    ra, rb = args_a[-2], args_b[-2]
    return (
        xa.shape == xb.shape
        and xa.dtype == xb.dtype
        and xa.device == xb.device
        and ra.shape == rb.shape
        and (args_a[-1] is None) == (args_b[-1] is None)
    )


class RnnMixin:
    """``lstm``, ``gru`` and ``rnn_pair`` (declared in ``backends/_protocol.py``)."""

    def lstm(self, x, h0, c0, kernel, recurrent_kernel, bias):
        train = _needs_grad(x, h0, c0, kernel, recurrent_kernel, bias)
        params = _lstm_params(kernel, recurrent_kernel, bias)
        out, h, c = _run_lstm(x, h0[None], c0[None], params, bias is not None, train, False)
        return out, h[0], c[0]

    def gru(self, x, h0, kernel, recurrent_kernel, bias):
        train = _needs_grad(x, h0, kernel, recurrent_kernel, bias)
        params = _gru_params(kernel, recurrent_kernel, bias)
        out, h = _run_gru(x, h0[None], params, bias is not None, train, False)
        return out, h[0]

    def rnn_pair(self, name: str, args_a: tuple, args_b: tuple, mirrored: bool = False) -> tuple[tuple, tuple]:
        """Both directions as one bidirectional kernel call when ``mirrored`` (else the kernel twice).

        In the benchmark's Bidirectional(LSTM(64)) over 50 steps (batch 64, float32, CPU), one
        bidirectional call against two calls is 1.04x faster in training and 1.26x in inference
        (plain PyTorch, 9 reps)."""
        kernel = getattr(self, name)
        if not mirrored or not _pairable(args_a, args_b):
            return tuple(kernel(*args_a)), tuple(kernel(*args_b))
        x = args_a[0]  # args_b's input is this one reversed in time, which the reverse direction reads
        units = args_a[-2].shape[0]
        train = _needs_grad(*args_a, *args_b[1:])
        has_bias = args_a[-1] is not None
        if name == "lstm":
            (_, h0a, c0a, *wa), (_, h0b, c0b, *wb) = args_a, args_b
            params = _lstm_params(*wa) + _lstm_params(*wb)
            out, h, c = _run_lstm(x, torch.stack([h0a, h0b]), torch.stack([c0a, c0b]), params, has_bias, train, True)
            return (out[..., :units], h[0], c[0]), (out[..., units:].flip(1), h[1], c[1])
        (_, h0a, *wa), (_, h0b, *wb) = args_a, args_b
        params = _gru_params(*wa) + _gru_params(*wb)
        out, h = _run_gru(x, torch.stack([h0a, h0b]), params, has_bias, train, True)
        return (out[..., :units], h[0]), (out[..., units:].flip(1), h[1])

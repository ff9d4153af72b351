"""Fused recurrent sequences for the torch backend: ``torch.lstm`` / ``torch.gru`` (the ATen kernels
behind ``nn.LSTM``/``nn.GRU``; oneDNN on CPU for float32, cuDNN on CUDA), differentiable through
autograd and traceable by the backend's trace-and-replay ``jit``.

Layouts (see ``backends/_protocol.py``): Keras' kernels are (in, gates·U) with gate blocks i, f, c, o
(LSTM) and z, r, h (GRU); torch's weights are (gates·U, in) with blocks i, f, g, o and r, z, n. The
LSTM orders agree (only a transpose); the GRU's first two blocks swap. Keras has one LSTM bias, torch
two (``b_ih + b_hh``): the second is passed as zeros.
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


@torch.library.custom_op("kshim::gru_inference", mutates_args=())
def _gru_inference(
    x: torch.Tensor, h0: torch.Tensor, params: list[torch.Tensor], has_bias: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """``torch.gru`` forward without autograd, as one opaque op. torch's CPU GRU has no fused kernel:
    ``aten::gru`` is a C++ loop over cell ops, which the torch backend's trace (``make_fx``) would
    record as its ~14 ops per time step, replayed one by one from Python (GRU(128) x 50 steps predict:
    15.3 ms/batch traced vs 8.9 eager). A custom op stays one node in the trace."""
    with torch.no_grad():
        out, h = torch.gru(x, h0, params, has_bias, 1, 0.0, False, False, True)
    return out, h


@_gru_inference.register_fake
def _gru_inference_fake(x, h0, params, has_bias):
    return x.new_empty((x.shape[0], x.shape[1], h0.shape[-1])), torch.empty_like(h0)


class RnnMixin:
    """``lstm`` and ``gru`` (declared in ``backends/_protocol.py``)."""

    def lstm(self, x, h0, c0, kernel, recurrent_kernel, bias):
        train = _needs_grad(x, h0, c0, kernel, recurrent_kernel, bias)
        params = [kernel.t(), recurrent_kernel.t()]
        if bias is not None:
            params += [bias, torch.zeros_like(bias)]
        with torch.set_grad_enabled(train):
            out, h, c = torch.lstm(
                x, (h0.unsqueeze(0), c0.unsqueeze(0)), params, bias is not None, 1, 0.0, train, False, True
            )
        return out, h[0], c[0]

    def gru(self, x, h0, kernel, recurrent_kernel, bias):
        u = recurrent_kernel.shape[0]
        params = [_rz_swap(kernel, u, 1).t(), _rz_swap(recurrent_kernel, u, 1).t()]
        if bias is not None:
            params += [_rz_swap(bias[0], u, 0), _rz_swap(bias[1], u, 0)]
        train = _needs_grad(x, h0, kernel, recurrent_kernel, bias)
        if tracing.TRACING and train and x.device.type == "cpu":
            # its backward is autograd through those cell ops too: ~45 ATen calls per time step that a
            # trace would replay from Python (GRU(128) x 50 steps, batch 64, train step: 66-77 ms traced,
            # 58-63 eager, 58 for nn.GRU); the LSTM stays one oneDNN node forward and backward
            tracing.decline("a GRU training step on CPU runs faster eagerly (aten::gru is a C++ loop of cell ops)")
        if tracing.TRACING and not train:
            # only inside kshim's own trace: elsewhere (eager; torch.export / ONNX export) aten::gru stays
            out, h = _gru_inference(x, h0.unsqueeze(0), params, bias is not None)
        else:
            with torch.set_grad_enabled(train):
                out, h = torch.gru(x, h0.unsqueeze(0), params, bias is not None, 1, 0.0, train, False, True)
        return out, h[0]

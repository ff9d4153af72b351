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


def _rz_swap(w: torch.Tensor, units: int, dim: int) -> torch.Tensor:
    """Keras' GRU blocks (z, r, h) -> torch's (r, z, n) along ``dim``."""
    z, r, h = torch.split(w, units, dim=dim)
    return torch.cat([r, z, h], dim=dim)


class RnnMixin:
    """``lstm`` and ``gru`` (declared in ``backends/_protocol.py``)."""

    def lstm(self, x, h0, c0, kernel, recurrent_kernel, bias):
        params = [kernel.t(), recurrent_kernel.t()]
        if bias is not None:
            params += [bias, torch.zeros_like(bias)]
        out, h, c = torch.lstm(
            x,
            (h0.unsqueeze(0), c0.unsqueeze(0)),
            params,
            bias is not None,
            1,
            0.0,
            torch.is_grad_enabled(),
            False,
            True,
        )
        return out, h[0], c[0]

    def gru(self, x, h0, kernel, recurrent_kernel, bias):
        u = recurrent_kernel.shape[0]
        params = [_rz_swap(kernel, u, 1).t(), _rz_swap(recurrent_kernel, u, 1).t()]
        if bias is not None:
            params += [_rz_swap(bias[0], u, 0), _rz_swap(bias[1], u, 0)]
        out, h = torch.gru(x, h0.unsqueeze(0), params, bias is not None, 1, 0.0, torch.is_grad_enabled(), False, True)
        return out, h[0]

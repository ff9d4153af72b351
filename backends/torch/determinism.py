"""Determinism switches of the torch backend (``TorchBackend.set_deterministic``).

``torch.use_deterministic_algorithms(True, warn_only=True)``: every op with a deterministic kernel
uses it, and an op without one (e.g. ``index_add_`` on CUDA) emits torch's ``UserWarning`` naming the
op instead of raising. cuDNN is pinned to deterministic algorithms with autotuning off, oneDNN
(torch's CPU convolutions) to its deterministic mode, and
``CUBLAS_WORKSPACE_CONFIG`` is set (cuBLAS reads it when it creates its first handle). CPU kernels
are already deterministic for a fixed number of intra-op threads, which does not change in a process.
"""

from __future__ import annotations

import os

import torch

CUBLAS_WORKSPACE = ":4096:8"
_saved: dict = {}


def set_deterministic(enabled: bool) -> list[str]:
    """Turn torch's determinism settings on, or restore those saved when they were turned on."""
    cudnn = torch.backends.cudnn
    if not enabled:
        if _saved:
            torch.use_deterministic_algorithms(_saved["algorithms"], warn_only=_saved["warn_only"])
            cudnn.deterministic, cudnn.benchmark = _saved["cudnn_deterministic"], _saved["cudnn_benchmark"]
            torch.backends.mkldnn.deterministic = _saved["mkldnn_deterministic"]
            _saved.clear()
        return []
    if not _saved:
        _saved.update(
            algorithms=torch.are_deterministic_algorithms_enabled(),
            warn_only=torch.is_deterministic_algorithms_warn_only_enabled(),
            cudnn_deterministic=cudnn.deterministic,
            cudnn_benchmark=cudnn.benchmark,
            mkldnn_deterministic=torch.backends.mkldnn.deterministic,
        )
    notes = []
    if "CUBLAS_WORKSPACE_CONFIG" not in os.environ:
        os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            notes.append(
                f"CUDA was initialised before determinism was enabled; cuBLAS handles created earlier "
                f"ignore CUBLAS_WORKSPACE_CONFIG. Set CUBLAS_WORKSPACE_CONFIG={CUBLAS_WORKSPACE} before "
                f"starting Python, or enable determinism before the first CUDA operation."
            )
    torch.use_deterministic_algorithms(True, warn_only=True)
    cudnn.deterministic, cudnn.benchmark = True, False
    torch.backends.mkldnn.deterministic = True  # type: ignore[assignment]  # stubs type the flag as its descriptor
    return notes

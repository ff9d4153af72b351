"""PyTorch backend for kshim.

Tensors are ``torch.Tensor`` on one device: CPU by default, CUDA when the environment variable
``KSHIM_TORCH_DEVICE`` is ``cuda`` (or ``cuda:N``) at construction time.

Limitations (documented):

* ``uint16``/``uint32`` are stored as torch's native ``torch.uint16``/``torch.uint32`` "shell"
  dtypes. Torch implements few kernels for them; the backend computes arithmetic, comparisons,
  reductions and creation through ``int64`` and casts back (wrapping modulo 2**16/2**32), so the
  results are right but slower. Matmul/conv/pooling on them are not supported.
* ``value_and_grad`` does not build higher-order graphs (no grad-of-grad).
* ``jit`` returns the function unchanged unless ``KSHIM_TORCH_COMPILE=1`` (then ``torch.compile``).
"""

from __future__ import annotations

from .._malloc import tune_malloc
from .backend import TorchBackend

tune_malloc()

__all__ = ["TorchBackend"]

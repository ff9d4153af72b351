"""Cases for Keras argument semantics of ops kshim already had (issue 14, item 2), against real Keras."""
from __future__ import annotations

import numpy as np

from .cases import KERAS, Case, add


def _scatter(reduction):
    def build(r, d):
        x = r.standard_normal((4, 3)).astype(d)
        idx = np.array([[1], [1], [3]], np.int32)  # a duplicate index: the reduction decides
        u = r.standard_normal((3, 3)).astype(d)
        return (x, idx, u), {"reduction": reduction}
    return build


for _red in ("add", "max", "min", "mul"):
    add(Case("scatter_update", _scatter(_red), KERAS, id=f"scatter_update-{_red}"))

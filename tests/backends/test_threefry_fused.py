"""A backend's optional fused ``threefry2x32`` gives exactly the bits of the generic composite and
of the host reference (Random123 known answers included), for traced-style tensor keys too."""
from __future__ import annotations

import numpy as np
import pytest

from kshim.random import threefry

KNOWN = [((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
         ((0xFFFFFFFF,) * 2, (0xFFFFFFFF,) * 2, (0x1CB996FC, 0xBB002BE7)),
         ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0))]


class _Composite:
    """``backend`` without its fused kernel: ``threefry_ops`` takes the generic path."""

    def __init__(self, backend):
        self._b = backend

    def __getattr__(self, name):
        if name == "threefry2x32":
            raise AttributeError(name)
        return getattr(self._b, name)


def _np(b, x):
    return np.asarray(b.to_numpy(x))


@pytest.mark.parametrize("key", [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0xDEADBEEF, 12345), (0x80000000, 0x7FFFFFFF)])
@pytest.mark.parametrize("n", [1, 7, 1001])
def test_fused_threefry_matches_composite_and_host(backend, key, n):
    if getattr(backend, "threefry2x32", None) is None:
        pytest.skip(f"{backend.name} has no fused threefry2x32")
    k0, k1 = (backend.convert_to_tensor(np.asarray(k, np.int64)) for k in key)
    fused = _np(backend, threefry.ops_bits(backend, k0, k1, n))
    composite = _np(backend, threefry.ops_bits(_Composite(backend), k0, k1, n))
    assert fused.dtype == np.int64
    np.testing.assert_array_equal(fused, composite)
    np.testing.assert_array_equal(fused, threefry.host_bits(key, n).astype(np.int64))


def test_fused_threefry_known_answers(backend):
    if getattr(backend, "threefry2x32", None) is None:
        pytest.skip(f"{backend.name} has no fused threefry2x32")
    c = lambda v: backend.convert_to_tensor(np.asarray(v, np.int64))  # noqa: E731
    for key, ctr, want in KNOWN:
        y0, y1 = backend.threefry2x32(c(key[0]), c(key[1]), c([ctr[0]]), c([ctr[1]]))
        assert (int(_np(backend, y0)[0]), int(_np(backend, y1)[0])) == want

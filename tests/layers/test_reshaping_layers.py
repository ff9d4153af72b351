"""Reshaping layers checked against real Keras 3 (JAX backend) as the oracle.

Same procedure as tests/layers/test_conv_layers.py: outputs on the same random input, output shapes
against Keras' ``compute_output_shape`` (also with batch None through a symbolic ``Input``),
``get_config`` equal to Keras', and the ``from_config`` round trip.

Tolerance: float32 with rtol=atol=1e-5 for uniformity; every layer here only moves/copies values
(exact) except bilinear UpSampling2D, whose interpolation weights are computed in float64 here and
in float32 by Keras (a few ulps, ~1e-7), far below 1e-5.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers import reshaping as R  # noqa: E402

from ._util import check_shapes_and_round_trip  # noqa: E402
from .keras_oracle import ATOL, RTOL, _norm_cfg, _tuple_shape, check_against_keras  # noqa: E402,F401
from . import _numpy_refs_a as ref  # noqa: E402


CASES = [
    ("Flatten", dict(), (2, 3, 4, 5)),
    ("Flatten", dict(data_format="channels_first"), (2, 3, 4, 5)),
    ("Flatten", dict(data_format="channels_first"), (2, 3, 4, 5, 2)),
    ("Flatten", dict(data_format="channels_first"), (2, 6)),
    ("Flatten", dict(), (2, 7)),
    ("Reshape", dict(target_shape=(4, -1)), (2, 3, 4, 2)),
    ("Reshape", dict(target_shape=(2, 3, 4)), (2, 24)),
    ("Reshape", dict(target_shape=(-1,)), (2, 3, 4)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("RepeatVector", dict(n=3), (2, 5)),
    ("Cropping1D", dict(), (2, 6, 3)),
    ("Cropping1D", dict(cropping=(2, 0)), (2, 6, 3)),
    ("Cropping1D", dict(cropping=2), (2, 6, 3)),
    ("Cropping2D", dict(cropping=1), (2, 6, 7, 3)),
    ("Cropping2D", dict(cropping=(1, 2)), (2, 6, 7, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (0, 2))), (2, 6, 7, 3)),
    ("Cropping2D", dict(cropping=((1, 2), (3, 0)), data_format="channels_first"), (2, 3, 6, 7)),
    ("Cropping3D", dict(), (2, 4, 5, 6, 2)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 2), (1, 1)), data_format="channels_first"), (2, 2, 4, 5, 6)),
    ("Cropping3D", dict(cropping=(0, 1, 2)), (2, 4, 5, 6, 2)),
    ("ZeroPadding1D", dict(), (2, 5, 3)),
    ("ZeroPadding1D", dict(padding=(2, 0)), (2, 5, 3)),
    ("ZeroPadding1D", dict(padding=(0, 3), data_format="channels_first"), (2, 3, 5)),
    ("ZeroPadding2D", dict(), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=2), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=(1, 2)), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=((1, 0), (0, 2)), data_format="channels_first"), (2, 3, 4, 5)),
    ("ZeroPadding3D", dict(), (2, 3, 4, 5, 2)),
    ("ZeroPadding3D", dict(padding=(1, 0, 2)), (2, 3, 4, 5, 2)),
    ("ZeroPadding3D", dict(padding=((0, 1), (2, 0), (1, 1)), data_format="channels_first"), (2, 2, 3, 4, 5)),
    ("UpSampling1D", dict(), (2, 4, 3)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 1)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(2, 3), data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling2D", dict(interpolation="bilinear"), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=(3, 4), interpolation="bilinear"), (2, 5, 3, 2)),
    ("UpSampling2D", dict(size=(2, 3), interpolation="bilinear", data_format="channels_first"), (2, 2, 4, 3)),
    ("UpSampling2D", dict(size=(1, 2), interpolation="bilinear"), (2, 1, 3, 2)),
    ("UpSampling3D", dict(), (2, 2, 3, 4, 2)),
    ("UpSampling3D", dict(size=(1, 2, 3), data_format="channels_first"), (2, 2, 2, 3, 4)),
]


def _id(case):
    name, kw, shape = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items()) + f"-{shape}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_reshaping_matches_keras(backend, case):
    name, kwargs, shape = case
    check_against_keras(name, kwargs, shape, R)


def _pairs(v, rank, default):
    """Cropping/padding argument -> ((before, after),) * rank, as Keras reads it."""
    v = default if v is None else v
    if isinstance(v, int):
        return [(v, v)] * rank
    if rank == 1:
        return [tuple(v)]
    return [(p, p) if isinstance(p, int) else tuple(p) for p in v]


def _reshaping_reference(name, kw, x):
    """NumPy reference for one case of CASES (reshape/transpose/repeat/slice/pad)."""
    b = x.shape[0]
    if name == "Flatten":
        if kw.get("data_format") == "channels_first" and x.ndim > 2:
            x = ref.to_channels_last(x)
        return x.reshape(b, -1)
    if name == "Reshape":
        return x.reshape((b,) + tuple(kw["target_shape"]))
    if name == "Permute":
        return np.transpose(x, (0,) + tuple(kw["dims"]))
    if name == "RepeatVector":
        return np.repeat(x[:, None, :], kw["n"], axis=1)
    cf = kw.get("data_format") == "channels_first"
    xl = ref.to_channels_last(x) if cf else x
    rank = int(name[-2])
    if name.startswith("Cropping"):
        crops = _pairs(kw.get("cropping"), rank, 1)
        y = xl[(slice(None), *[slice(a, n - c) for (a, c), n in zip(crops, xl.shape[1:-1])], slice(None))]
    elif name.startswith("ZeroPadding"):
        y = np.pad(xl, [(0, 0), *_pairs(kw.get("padding"), rank, 1), (0, 0)])
    else:  # UpSampling
        size = kw.get("size", 2)
        size = (size,) * rank if isinstance(size, int) else tuple(size)
        if kw.get("interpolation") == "bilinear":
            y = ref.upsample_bilinear(xl, size)
        else:
            y = xl
            for ax, f in enumerate(size, start=1):
                y = np.repeat(y, f, axis=ax)
    return ref.to_channels_first(y) if cf else y


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_reshaping_matches_numpy_reference(backend, case):
    """Every case of test_reshaping_matches_keras against plain NumPy (no Keras needed). All layers
    only move values (compared exactly), except bilinear UpSampling2D: two float32 lerps per output
    against a float64 reference, rtol=atol=1e-6."""
    name, kwargs, shape = case
    x = np.random.default_rng(7).standard_normal(shape).astype("float32")
    layer = getattr(R, name)(**kwargs)
    y = ops.convert_to_numpy(layer(x))
    want = _reshaping_reference(name, kwargs, x)
    assert y.shape == want.shape and y.dtype == np.float32
    if kwargs.get("interpolation") == "bilinear":
        np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(y, want)
    check_shapes_and_round_trip(lambda: getattr(R, name)(**kwargs), layer, x, y)


def test_flatten_order_channels_last(backend):
    x = np.arange(2 * 2 * 3 * 4, dtype="float32").reshape(2, 2, 3, 4)
    np.testing.assert_array_equal(ops.convert_to_numpy(R.Flatten()(x)), x.reshape(2, -1))
    xcf = np.transpose(x, (0, 3, 1, 2))
    np.testing.assert_array_equal(ops.convert_to_numpy(R.Flatten(data_format="channels_first")(xcf)),
                                  x.reshape(2, -1))


def test_symbolic_unknown_dims(backend):
    assert tuple(R.Flatten()(Input(shape=(3, 4))).shape) == (None, 12)
    assert tuple(R.Reshape((-1, 2))(Input(shape=(3, 4))).shape) == (None, 6, 2)
    assert tuple(R.UpSampling2D((2, 3))(Input(shape=(None, 4, 2))).shape) == (None, None, 12, 2)
    assert tuple(R.ZeroPadding1D(2)(Input(shape=(None, 3))).shape) == (None, None, 3)


@pytest.mark.parametrize("layer,want", [
    (lambda: R.RepeatVector(2, name="lyr_x"), 2), (lambda: R.Cropping1D(name="lyr_x"), 3),
    (lambda: R.Cropping2D(name="lyr_x"), 4), (lambda: R.Cropping3D(name="lyr_x"), 5),
    (lambda: R.ZeroPadding1D(name="lyr_x"), 3), (lambda: R.ZeroPadding2D(name="lyr_x"), 4),
    (lambda: R.ZeroPadding3D(name="lyr_x"), 5), (lambda: R.UpSampling1D(name="lyr_x"), 3),
    (lambda: R.UpSampling2D(name="lyr_x"), 4), (lambda: R.UpSampling3D(name="lyr_x"), 5),
    (lambda: R.Permute((2, 1), name="lyr_x"), 3)])
def test_wrong_rank_error(backend, layer, want):
    shape = (2, 6, 6, 6, 6, 3)[:want + 1]
    with pytest.raises(ValueError) as ei:
        layer()(np.zeros(shape, "float32"))
    msg = str(ei.value)
    assert "lyr_x" in msg and f"rank {want}" in msg and str(shape) in msg


def test_argument_errors(backend):
    with pytest.raises(ValueError, match="target_shape"):
        R.Reshape((-1, -1))
    with pytest.raises(ValueError, match="target_shape"):
        R.Reshape((0, 3))
    with pytest.raises(ValueError, match="Reshape"):
        R.Reshape((5,))(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="dims"):
        R.Permute((0, 1))
    with pytest.raises(ValueError, match="dims"):
        R.Permute((1, 3))
    with pytest.raises(TypeError):
        R.RepeatVector(2.0)
    with pytest.raises(ValueError):
        R.RepeatVector(0)
    with pytest.raises(TypeError):
        R.UpSampling1D((2,))
    with pytest.raises(ValueError, match="interpolation"):
        R.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="cropping"):
        R.Cropping2D(-1)
    with pytest.raises(ValueError, match="cropping"):
        R.Cropping2D((1, 2, 3))
    with pytest.raises(ValueError, match="padding"):
        R.ZeroPadding2D(((1, 2, 3), 1))
    with pytest.raises(ValueError, match="cropping"):
        R.Cropping1D((3, 3))(np.zeros((1, 6, 2), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        R.Flatten(data_format="nchw")

"""Pooling layers checked against real Keras 3 (JAX backend) as the oracle.

Same procedure as tests/layers/test_conv_layers.py: outputs on the same random input, output shapes
against Keras' ``compute_output_shape`` (also with batch None through a symbolic ``Input``),
``get_config`` equal to Keras', and the ``from_config`` round trip.

Tolerance: float32 with rtol=atol=1e-5. Max pooling is exact; average pooling sums at most 27
unit-scale float32 values per window and divides, so backend-dependent summation order changes
the result by a few ulps (~1e-7), far below 1e-5, while a wrong window/padding count is off by >1e-2.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from ._util import check_shapes_and_round_trip  # noqa: E402
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers import pooling as P  # noqa: E402

from .keras_oracle import ATOL, RTOL, _norm_cfg, _tuple_shape, check_against_keras  # noqa: E402,F401
from . import _numpy_refs_a as ref  # noqa: E402


CASES = []
for _mode in ("Max", "Average"):
    CASES += [
        (f"{_mode}Pooling1D", dict(pool_size=2), (2, 9, 3)),
        (f"{_mode}Pooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 10, 3)),
        (f"{_mode}Pooling1D", dict(pool_size=4, strides=1, padding="same"), (2, 7, 3)),
        (f"{_mode}Pooling1D", dict(pool_size=2, strides=3, data_format="channels_first"), (2, 3, 10)),
        (f"{_mode}Pooling2D", dict(pool_size=2), (2, 7, 8, 3)),
        (f"{_mode}Pooling2D", dict(pool_size=(2, 3), strides=(2, 1), padding="same"), (2, 7, 8, 3)),
        (f"{_mode}Pooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 8, 7, 2)),
        (f"{_mode}Pooling2D", dict(pool_size=2, strides=1, padding="same"), (2, 5, 5, 2)),
        (f"{_mode}Pooling2D", dict(pool_size=3, strides=2, padding="valid", data_format="channels_first"),
         (2, 3, 8, 9)),
        (f"{_mode}Pooling2D", dict(pool_size=2, padding="same", data_format="channels_first"), (2, 3, 7, 7)),
        (f"{_mode}Pooling3D", dict(pool_size=2), (2, 4, 5, 6, 2)),
        (f"{_mode}Pooling3D", dict(pool_size=(2, 3, 2), strides=2, padding="same"), (2, 5, 6, 7, 2)),
        (f"{_mode}Pooling3D", dict(pool_size=3, strides=(1, 2, 2), padding="same",
                                   data_format="channels_first"), (2, 2, 5, 6, 7)),
    ]
for _mode in ("Max", "Average"):
    for _r, _shape in ((1, (2, 7, 3)), (2, (2, 5, 6, 3)), (3, (2, 3, 4, 5, 3))):
        for _df in ("channels_last", "channels_first"):
            for _kd in (False, True):
                CASES.append((f"Global{_mode}Pooling{_r}D", dict(data_format=_df, keepdims=_kd), _shape))


def _id(case):
    name, kw, shape = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_pooling_matches_keras(backend, case):
    name, kwargs, shape = case
    check_against_keras(name, kwargs, shape, P)


def _pool_reference(name, kwargs, x):
    """NumPy reference for one case of CASES: explicit window loops (``ref.pool``) or a global
    mean/max over the spatial axes."""
    cf = kwargs.get("data_format") == "channels_first"
    xl = ref.to_channels_last(x) if cf else np.asarray(x, np.float64)
    mode = "max" if "Max" in name else "avg"
    if name.startswith("Global"):
        axes = tuple(range(1, xl.ndim - 1))
        y = xl.max(axes, keepdims=True) if mode == "max" else xl.mean(axes, keepdims=True)
        y = ref.to_channels_first(y) if cf else y
        return y if kwargs.get("keepdims") else y.reshape(y.shape[0], -1)
    y = ref.pool(xl, mode, kwargs["pool_size"], kwargs.get("strides"), kwargs.get("padding", "valid"))
    return ref.to_channels_first(y) if cf else y


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_pooling_matches_numpy_reference(backend, case):
    """Every case of test_pooling_matches_keras against the NumPy window-loop reference (no Keras
    needed). Tolerance: max pooling is exact; averages of <= 27 float32 values differ from the
    float64 reference by float32 rounding (~1e-7 relative), so rtol=atol=1e-6; a wrong window,
    stride or padding count moves the result by > 1e-2."""
    name, kwargs, shape = case
    x = np.random.default_rng(3).standard_normal(shape).astype("float32")
    layer = getattr(P, name)(**kwargs)
    y = ops.convert_to_numpy(layer(x))
    want = _pool_reference(name, kwargs, x)
    assert y.shape == want.shape and y.dtype == np.float32
    if "Max" in name:
        np.testing.assert_array_equal(y, want.astype("float32"))
    else:
        np.testing.assert_allclose(y, want, rtol=1e-6, atol=1e-6)
    check_shapes_and_round_trip(lambda: getattr(P, name)(**kwargs), layer, x, y)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling1d_mask_numpy_reference(backend, data_format, keepdims):
    """Masked GlobalAveragePooling1D is the mean over the unmasked timesteps only (float32 sums of
    <= 6 values: rtol=atol=1e-6)."""
    rng = np.random.default_rng(1)
    shape = (3, 6, 4) if data_format == "channels_last" else (3, 4, 6)
    x = rng.standard_normal(shape).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0]], dtype=bool)
    xl = x if data_format == "channels_last" else np.transpose(x, (0, 2, 1))
    m = mask[..., None].astype("float64")
    want = (xl * m).sum(1) / m.sum(1)
    if keepdims:
        want = want[:, None, :] if data_format == "channels_last" else want[:, :, None]
    layer = P.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x, mask=mask)), want, rtol=1e-6, atol=1e-6)
    assert layer.supports_masking and layer.compute_mask(x, mask) is None


def test_max_pooling_default_pool_size(backend):
    assert P.MaxPooling2D().pool_size == (2, 2) and P.MaxPooling2D().strides == (2, 2)
    assert P.MaxPooling1D(3).strides == (3,)
    with pytest.raises(TypeError):
        P.AveragePooling2D()  # pool_size is required, as in Keras


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling1d_mask(backend, data_format, keepdims):
    rng = np.random.default_rng(1)
    shape = (3, 6, 4) if data_format == "channels_last" else (3, 4, 6)
    x = rng.standard_normal(shape).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0]], dtype=bool)
    kl = keras.layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    ky = np.asarray(kl(x, mask=mask))
    layer = P.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    y = ops.convert_to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(y, ky, rtol=RTOL, atol=ATOL)
    assert layer.supports_masking and layer.compute_mask(x, mask) is None
    # without a mask it is a plain mean
    np.testing.assert_allclose(ops.convert_to_numpy(layer(x)), np.asarray(kl(x)), rtol=RTOL, atol=ATOL)


def test_global_pooling_unknown_spatial(backend):
    out = P.GlobalMaxPooling2D()(Input(shape=(None, None, 5)))
    assert tuple(out.shape) == (None, 5)
    out = P.MaxPooling2D(2, padding="same")(Input(shape=(None, 6, 5)))
    assert tuple(out.shape) == (None, None, 3, 5)


@pytest.mark.parametrize("cls,want", [(P.MaxPooling1D, 3), (P.AveragePooling2D, 4), (P.MaxPooling3D, 5),
                                      (P.GlobalAveragePooling1D, 3), (P.GlobalMaxPooling2D, 4),
                                      (P.GlobalAveragePooling3D, 5)])
def test_wrong_rank_error(backend, cls, want):
    layer = cls(2, name="my_pool") if "Global" not in cls.__name__ else cls(name="my_pool")
    shape = (2, 6, 6, 6, 6, 3)[:want - 1]
    with pytest.raises(ValueError) as ei:
        layer(np.zeros(shape, "float32"))
    msg = str(ei.value)
    assert "my_pool" in msg and f"rank {want}" in msg and str(shape) in msg


def test_argument_errors(backend):
    with pytest.raises(ValueError, match="padding"):
        P.MaxPooling2D(2, padding="causal")
    with pytest.raises(ValueError, match="padding"):
        P.AveragePooling1D(2, padding="full")
    with pytest.raises(ValueError, match="pool_size"):
        P.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="pool_size"):
        P.AveragePooling2D(0)
    with pytest.raises(ValueError, match="data_format"):
        P.GlobalMaxPooling1D(data_format="nhwc")


def test_aliases():
    assert P.MaxPool2D is P.MaxPooling2D and P.AvgPool1D is P.AveragePooling1D
    assert P.GlobalAvgPool3D is P.GlobalAveragePooling3D and P.GlobalMaxPool1D is P.GlobalMaxPooling1D

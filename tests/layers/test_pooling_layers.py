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
keras = pytest.importorskip("keras")

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers import pooling as P  # noqa: E402

RTOL = ATOL = 1e-5
# Keras 3.15 initializer configs carry `input_axes`/`output_axes` (None by default) for its
# variance-scaling initializers; kshim's initializers (another module) do not have them.
_IGNORED_INIT_KEYS = ("input_axes", "output_axes")


def _norm_cfg(cfg):
    """Normalize a layer config for comparison: drop the documented Keras-only initializer keys,
    and compare floats inside nested objects at float32 precision (Keras' regularizers store their
    factor as a float32 tensor, so ``L1(0.01).get_config()`` gives ``0.009999999776482582``)."""
    out = {}
    for k, v in cfg.items():
        if isinstance(v, dict) and "class_name" in v and isinstance(v.get("config"), dict):
            v = dict(v, config={ck: (float(np.float32(cv)) if isinstance(cv, float) else cv)
                                for ck, cv in v["config"].items()
                                if not (ck in _IGNORED_INIT_KEYS and cv is None)})
        out[k] = v
    return out


def _tuple_shape(s):
    return tuple(None if d is None else int(d) for d in s)


def check_against_keras(cls_name, kwargs, input_shape, module, seed=0, call_kwargs=None):
    """Build the layer in Keras and kshim, copy weights, compare outputs/shapes/config/symbolic."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape).astype("float32")
    call_kwargs = call_kwargs or {}
    klayer = getattr(keras.layers, cls_name)(**kwargs, name="lyr")
    ky = np.asarray(klayer(x, **call_kwargs))
    # make biases non-zero so the bias path is really compared
    kw = klayer.get_weights()
    kw = [w + rng.standard_normal(w.shape).astype("float32") * 0.1 if w.ndim == 1 else w for w in kw]
    if kw:
        klayer.set_weights(kw)
        ky = np.asarray(klayer(x, **call_kwargs))

    layer = getattr(module, cls_name)(**kwargs, name="lyr")
    layer(x, **call_kwargs)  # builds
    assert [tuple(w.shape) for w in layer.get_weights()] == [w.shape for w in kw]
    layer.set_weights(kw)
    y = ops.convert_to_numpy(layer(x, **call_kwargs))
    assert y.shape == ky.shape
    np.testing.assert_allclose(y, ky, rtol=RTOL, atol=ATOL)

    # shapes: kshim output vs Keras compute_output_shape, also with an unknown batch
    assert y.shape == _tuple_shape(klayer.compute_output_shape(input_shape))
    kshape_none = _tuple_shape(klayer.compute_output_shape((None,) + tuple(input_shape[1:])))
    sym = getattr(module, cls_name)(**kwargs)(Input(shape=tuple(input_shape[1:]), batch_size=None))
    assert _tuple_shape(sym.shape) == kshape_none

    # config: equal to Keras', and from_config round trip
    cfg = layer.get_config()
    assert _norm_cfg(cfg) == _norm_cfg(klayer.get_config())
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    clone(x, **call_kwargs)
    clone.set_weights(kw)
    np.testing.assert_allclose(ops.convert_to_numpy(clone(x, **call_kwargs)), ky, rtol=RTOL, atol=ATOL)
    return layer


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

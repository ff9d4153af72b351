"""Convolution layers checked against real Keras 3 (JAX backend) as the oracle.

For every case: the Keras layer's weights are copied into the kshim layer with ``set_weights``
(checking weight count, order and shapes), outputs are compared on the same input, output shapes
against Keras' ``compute_output_shape``, ``get_config`` against Keras' config, and the
``from_config`` round trip and symbolic call on ``Input`` are checked.

Tolerance: float32 with rtol=atol=1e-5. The backends compute convolutions with different
algorithms (XLA, numpy im2col/einsum, torch/oneDNN), so sums of up to a few hundred float32
products are accumulated in different orders; the rounding differences are ~1e-7 relative per
term, well below 1e-5 for these small, unit-scale inputs, while any indexing/padding error gives
O(1) differences.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
import kshim  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers import convolutional as C  # noqa: E402

from ._util import check_shapes_and_round_trip  # noqa: E402
from .keras_oracle import ATOL, RTOL, _norm_cfg, _tuple_shape, check_against_keras  # noqa: E402,F401
from . import _numpy_refs_a as ref  # noqa: E402


CASES = [
    # Conv1D
    ("Conv1D", dict(filters=4, kernel_size=3), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=4, strides=2, padding="same"), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, strides=3, padding="same", activation="relu"), (2, 10, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3)),
    ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", strides=2), (2, 9, 3)),
    ("Conv1D", dict(filters=6, kernel_size=3, groups=3, padding="same"), (2, 8, 6)),
    ("Conv1D", dict(filters=4, kernel_size=3, data_format="channels_first", strides=2), (2, 3, 9)),
    ("Conv1D", dict(filters=4, kernel_size=3, use_bias=False), (2, 7, 3)),
    # Conv2D
    ("Conv2D", dict(filters=5, kernel_size=3), (2, 7, 8, 3)),
    ("Conv2D", dict(filters=5, kernel_size=(2, 4), strides=(2, 3), padding="same"), (2, 7, 8, 3)),
    ("Conv2D", dict(filters=5, kernel_size=2, strides=2, padding="same"), (2, 6, 6, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=(2, 1), padding="same"), (2, 9, 8, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, dilation_rate=2), (2, 9, 8, 3)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=2, padding="same", activation="tanh"), (2, 6, 6, 4)),
    ("Conv2D", dict(filters=5, kernel_size=(3, 2), strides=2, padding="same", data_format="channels_first"),
     (2, 3, 7, 8)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=3, data_format="channels_first"), (2, 6, 6, 6)),
    ("Conv2D", dict(filters=3, kernel_size=3, kernel_regularizer="l2", bias_regularizer="l1",
                    activity_regularizer="l2", kernel_constraint="max_norm", bias_constraint="non_neg",
                    kernel_initializer="he_normal", bias_initializer="ones"), (2, 6, 6, 2)),
    # Conv3D
    ("Conv3D", dict(filters=3, kernel_size=2), (2, 4, 5, 6, 2)),
    ("Conv3D", dict(filters=3, kernel_size=(2, 3, 2), strides=2, padding="same"), (2, 5, 6, 7, 2)),
    ("Conv3D", dict(filters=3, kernel_size=3, padding="same", data_format="channels_first"), (2, 2, 4, 5, 6)),
    ("Conv3D", dict(filters=4, kernel_size=2, groups=2, dilation_rate=2), (2, 5, 5, 5, 4)),
    # Transposed
    ("Conv1DTranspose", dict(filters=4, kernel_size=3), (2, 6, 3)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=4, strides=2, padding="same"), (2, 6, 3)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=3, strides=3, padding="valid", output_padding=2), (2, 6, 3)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=2, strides=3), (2, 5, 3)),
    ("Conv1DTranspose", dict(filters=4, kernel_size=3, dilation_rate=2, padding="same"), (2, 6, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same"), (2, 5, 6, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=(2, 4), strides=(2, 3), padding="same"), (2, 5, 6, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="valid", output_padding=1),
     (2, 5, 6, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, padding="same", output_padding=(0, 1)),
     (2, 5, 6, 3)),
    ("Conv2DTranspose", dict(filters=4, kernel_size=3, strides=2, data_format="channels_first",
                             activation="relu"), (2, 3, 5, 6)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (2, 3, 4, 3, 2)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=(1, 2, 2), padding="same",
                             data_format="channels_first"), (2, 2, 3, 4, 3)),
    # Depthwise
    ("DepthwiseConv1D", dict(kernel_size=3), (2, 8, 3)),
    ("DepthwiseConv1D", dict(kernel_size=4, strides=2, padding="same", depth_multiplier=2), (2, 9, 3)),
    ("DepthwiseConv1D", dict(kernel_size=3, dilation_rate=2, data_format="channels_first"), (2, 3, 9)),
    ("DepthwiseConv2D", dict(kernel_size=3), (2, 6, 7, 3)),
    ("DepthwiseConv2D", dict(kernel_size=2, strides=2, padding="same", depth_multiplier=3), (2, 7, 7, 2)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (2, 7, 7, 2)),
    ("DepthwiseConv2D", dict(kernel_size=(3, 2), strides=(1, 2), data_format="channels_first",
                             depth_multiplier=2, depthwise_regularizer="l2"), (2, 3, 6, 7)),
    # Separable
    ("SeparableConv1D", dict(filters=4, kernel_size=3), (2, 8, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=4, strides=2, padding="same", depth_multiplier=2),
     (2, 9, 3)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, data_format="channels_first", dilation_rate=2),
     (2, 3, 9)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3), (2, 6, 7, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=2, strides=2, padding="same", depth_multiplier=2,
                             activation="relu", pointwise_regularizer="l1"), (2, 7, 7, 3)),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, padding="same", data_format="channels_first",
                             use_bias=False), (2, 3, 6, 5)),
]


def _id(case):
    name, kw, shape = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_conv_matches_keras(backend, case):
    name, kwargs, shape = case
    check_against_keras(name, kwargs, shape, C)


_ACTIVATIONS = {None: lambda v: v, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh}


def _conv_reference(name, kwargs, x, weights):
    """NumPy reference for one case of CASES, from the layer's own weights (``get_weights()``)."""
    cf = kwargs.get("data_format") == "channels_first"
    xl = ref.to_channels_last(x) if cf else x
    geo = dict(strides=kwargs.get("strides", 1), padding=kwargs.get("padding", "valid"),
               dilation_rate=kwargs.get("dilation_rate", 1))
    bias = weights[-1] if kwargs.get("use_bias", True) else None
    if name.startswith("Separable"):
        y = ref.separable_conv(xl, weights[0], weights[1], bias, **geo)
    elif name.startswith("Depthwise"):
        y = ref.depthwise_conv(xl, weights[0], bias, **geo)
    elif name.endswith("Transpose"):
        y = ref.conv_transpose(xl, weights[0], bias, output_padding=kwargs.get("output_padding"), **geo)
    else:
        y = ref.conv(xl, weights[0], bias, groups=kwargs.get("groups", 1), **geo)
    y = _ACTIVATIONS[kwargs.get("activation")](y)
    return ref.to_channels_first(y) if cf else y


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_conv_matches_numpy_reference(backend, case):
    """Every case of test_conv_matches_keras against the NumPy shifted-slice / scatter-add reference
    (no Keras needed), with random weights and a non-zero bias set through ``set_weights``.

    Tolerance rtol=atol=1e-5: each output sums <= 3*3*3*6 = 162 float32 products of unit-scale
    values; float32 accumulation in any order is within ~1e-6 of the float64 reference, while a
    wrong offset, stride, padding or group split is off by O(1)."""
    name, kwargs, shape = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype("float32")
    layer = getattr(C, name)(**kwargs)
    layer(x)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    y = ops.convert_to_numpy(layer(x))
    want = _conv_reference(name, kwargs, x, weights)
    assert y.shape == want.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    check_shapes_and_round_trip(lambda: getattr(C, name)(**kwargs), layer, x, y, weights)


def test_weight_names_and_shapes(backend):
    x = np.zeros((1, 6, 6, 3), "float32")
    layer = C.SeparableConv2D(4, 3, depth_multiplier=2)
    layer(x)
    assert [v.name for v in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(v.shape) for v in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    layer = C.DepthwiseConv2D(3, depth_multiplier=2)
    layer(x)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("kernel", (3, 3, 3, 2)), ("bias", (6,))]
    layer = C.Conv2DTranspose(5, 3)
    layer(x)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("kernel", (3, 3, 5, 3)), ("bias", (5,))]
    layer = C.Conv2D(6, 3, groups=3, use_bias=False)
    layer(x)
    assert [(v.name, tuple(v.shape)) for v in layer.weights] == [("kernel", (3, 3, 1, 6))]


def test_positional_argument_order(backend):
    # Keras' Conv3DTranspose takes data_format before output_padding positionally.
    layer = C.Conv3DTranspose(2, 3, 2, "valid", "channels_first", 1)
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)
    layer = C.Conv2DTranspose(2, 3, 2, "valid", 1, "channels_first")
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1)
    layer = C.DepthwiseConv2D(3, 2, "same", 4)
    assert layer.depth_multiplier == 4 and layer.strides == (2, 2)
    layer = C.SeparableConv1D(3, 3, 1, "valid", "channels_first", 2, 5)
    assert layer.dilation_rate == (2,) and layer.depth_multiplier == 5
    layer = C.Conv1D(3, 3, 1, "causal", "channels_last", 1, 3)
    assert layer.padding == "causal" and layer.groups == 3


def test_input_shape_kwarg(backend):
    layer = C.Conv2D(4, 3, input_shape=(6, 6, 2))
    assert layer._batch_input_shape == (None, 6, 6, 2)


def test_regularization_losses(backend):
    x = np.ones((1, 5, 5, 2), "float32")
    layer = C.Conv2D(3, 3, kernel_regularizer="l2", bias_regularizer="l2")
    layer(x)
    assert len(layer.losses) == 2


def test_uppercase_padding_accepted(backend):
    layer = C.Conv2D(3, 3, padding="SAME")
    assert layer.padding == "same"
    assert layer(np.zeros((1, 5, 5, 2), "float32")).shape == (1, 5, 5, 3)


@pytest.mark.parametrize("cls,args", [(C.Conv1D, (3, 3)), (C.Conv2D, (3, 3)), (C.Conv3D, (3, 3)),
                                      (C.Conv2DTranspose, (3, 3)), (C.DepthwiseConv2D, (3,)),
                                      (C.SeparableConv1D, (3, 3))])
def test_wrong_rank_error(backend, cls, args):
    layer = cls(*args, name="my_conv")
    want = layer.rank + 2
    shape = (2, 8, 8, 8, 8, 3)[:want + 1]
    with pytest.raises(ValueError) as ei:
        layer(np.zeros(shape, "float32"))
    msg = str(ei.value)
    assert "my_conv" in msg and f"rank {want}" in msg and str(shape) in msg


def test_argument_errors(backend):
    with pytest.raises(ValueError, match="filters"):
        C.Conv2D(0, 3)
    with pytest.raises(ValueError, match="filters"):
        C.Conv1DTranspose(-2, 3)
    with pytest.raises(ValueError, match="filters"):
        C.SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="filters"):
        C.Conv2D(None, 3)
    with pytest.raises(ValueError, match="filters"):
        C.Conv2D(2.5, 3)
    with pytest.raises(ValueError, match="lora"):
        C.Conv2D(4, 3, lora_rank=2)
    with pytest.raises(ValueError, match="padding"):
        C.Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match="padding"):
        C.Conv2D(4, 3, padding="causal")  # causal only for Conv1D
    with pytest.raises(ValueError, match="padding"):
        C.Conv1DTranspose(4, 3, padding="causal")
    with pytest.raises(ValueError, match="padding"):
        C.DepthwiseConv2D(3, padding="bogus")
    with pytest.raises(ValueError, match="groups"):
        C.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="kernel_size"):
        C.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="kernel_size"):
        C.Conv2D(4, 0)
    with pytest.raises(ValueError, match="dilation_rate"):
        C.Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="output_padding"):
        C.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="depth_multiplier"):
        C.DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="groups"):
        C.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(TypeError):
        C.Conv(4, 3)


def test_channel_mismatch_after_build(backend):
    layer = C.Conv2D(4, 3, name="cc")
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="channels"):
        layer(np.zeros((1, 5, 5, 2), "float32"))


def test_unknown_spatial_dims_symbolic(backend):
    out = C.Conv2D(4, 3, strides=2, padding="same")(Input(shape=(None, None, 3)))
    assert tuple(out.shape) == (None, None, None, 4)


def test_aliases():
    assert C.Convolution2D is C.Conv2D and C.SeparableConvolution2D is C.SeparableConv2D
    assert kshim  # imported for side effects (backend registry)

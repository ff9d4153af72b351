"""One case per ``kshim.layers`` layer: constructor kwargs + input builder.

Each case builds the layer under every backend after ``set_random_seed`` (the initial weights
must be bit-identical: ``init/*`` keys compare exactly), runs ``stateless_call`` forward and the
VJP of ``sum(w * out)`` w.r.t. the inputs and every trainable weight, and compares. Layers with
randomness run with ``training=True`` and also compare their drop pattern bit-for-bit
(``exact/mask``), since Threefry makes masks identical on every backend. Deterministic layers also
run under real Keras 3 (the oracle) with kshim's initial weights.

Tolerance: ``reduction`` for all layers -- nearly every layer contains a matmul, convolution,
pooling window or normalization statistic (see ``tolerances.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..execute import flat, flat_grads, grad_tree, leaves, run_compiled, to_host
from ..registry import Case, Unavailable, register, rng_for

# name: (constructor kwargs, input shapes (a list means several inputs), options)
#   options: int=(lo, hi) integer input; training=True; random="mask"|"noise"; call="args"
#   (inputs passed positionally instead of as one list); oracle=False
LAYERS: dict[str, tuple] = {
    "Dense": ({"units": 5, "activation": "tanh"}, (4, 6), {}),
    "EinsumDense": ({"equation": "ab,bc->ac", "output_shape": 5, "bias_axes": "c"}, (4, 6), {}),
    "Embedding": ({"input_dim": 10, "output_dim": 4}, (3, 5), {"int": (0, 10)}),
    "Activation": ({"activation": "gelu"}, (4, 6), {}),
    "Identity": ({}, (4, 6), {}),
    "ReLU": ({"max_value": 1.5}, (4, 6), {}),
    "LeakyReLU": ({"negative_slope": 0.2}, (4, 6), {}),
    "PReLU": ({}, (4, 6), {}),
    "ELU": ({}, (4, 6), {}),
    "Softmax": ({}, (4, 6), {}),
    "Conv1D": ({"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 9, 3), {}),
    "Conv2D": ({"filters": 4, "kernel_size": 3, "padding": "same", "activation": "tanh"}, (2, 6, 6, 3), {}),
    "Conv3D": ({"filters": 2, "kernel_size": 2}, (1, 4, 4, 4, 3), {}),
    "Conv1DTranspose": ({"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 2), {}),
    "Conv2DTranspose": ({"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 4, 2), {}),
    "Conv3DTranspose": ({"filters": 2, "kernel_size": 2, "strides": 2}, (1, 3, 3, 3, 2), {}),
    "DepthwiseConv1D": ({"kernel_size": 3, "depth_multiplier": 2}, (2, 8, 3), {}),
    "DepthwiseConv2D": ({"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 6, 3), {}),
    "SeparableConv1D": ({"filters": 4, "kernel_size": 3}, (2, 8, 3), {}),
    "SeparableConv2D": ({"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 6, 6, 3), {}),
    "MaxPooling1D": ({"pool_size": 2}, (2, 8, 3), {}),
    "MaxPooling2D": ({"pool_size": 2}, (2, 6, 6, 3), {}),
    "MaxPooling3D": ({"pool_size": 2}, (1, 4, 4, 4, 2), {}),
    "AveragePooling1D": ({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3), {}),
    "AveragePooling2D": ({"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 7, 3), {}),
    "AveragePooling3D": ({"pool_size": 2}, (1, 4, 4, 4, 2), {}),
    "GlobalMaxPooling1D": ({}, (2, 6, 3), {}),
    "GlobalMaxPooling2D": ({}, (2, 5, 5, 3), {}),
    "GlobalMaxPooling3D": ({}, (1, 3, 3, 3, 2), {}),
    "GlobalAveragePooling1D": ({}, (2, 6, 3), {}),
    "GlobalAveragePooling2D": ({}, (2, 5, 5, 3), {}),
    "GlobalAveragePooling3D": ({}, (1, 3, 3, 3, 2), {}),
    "BatchNormalization": ({}, (8, 5), {"training": True}),
    "LayerNormalization": ({}, (4, 6), {}),
    "GroupNormalization": ({"groups": 2}, (2, 5, 4), {}),
    "UnitNormalization": ({}, (4, 6), {}),
    "Normalization": ({"mean": [0.1, 0.2, 0.3], "variance": [1.0, 2.0, 0.5]}, (4, 3), {}),
    "Rescaling": ({"scale": 0.5, "offset": 0.1}, (4, 6), {}),
    "Dropout": ({"rate": 0.4}, (4, 6), {"training": True, "random": "mask"}),
    "SpatialDropout1D": ({"rate": 0.4}, (2, 5, 4), {"training": True, "random": "mask"}),
    "SpatialDropout2D": ({"rate": 0.4}, (2, 4, 4, 3), {"training": True, "random": "mask"}),
    "SpatialDropout3D": ({"rate": 0.4}, (1, 3, 3, 3, 2), {"training": True, "random": "mask"}),
    "GaussianNoise": ({"stddev": 0.3}, (4, 6), {"training": True, "random": "noise"}),
    "GaussianDropout": ({"rate": 0.3}, (4, 6), {"training": True, "random": "noise"}),
    "AlphaDropout": ({"rate": 0.3}, (4, 6), {"training": True, "random": "noise"}),
    "ActivityRegularization": ({"l1": 0.01}, (4, 6), {}),
    "Flatten": ({}, (2, 3, 4), {}),
    "Reshape": ({"target_shape": (4, 3)}, (2, 3, 4), {}),
    "Permute": ({"dims": (2, 1)}, (2, 3, 4), {}),
    "RepeatVector": ({"n": 3}, (2, 4), {}),
    "Cropping1D": ({"cropping": (1, 2)}, (2, 6, 3), {}),
    "Cropping2D": ({"cropping": ((1, 0), (0, 2))}, (2, 5, 5, 3), {}),
    "Cropping3D": ({"cropping": 1}, (1, 4, 4, 4, 2), {}),
    "ZeroPadding1D": ({"padding": 2}, (2, 5, 3), {}),
    "ZeroPadding2D": ({"padding": (1, 2)}, (2, 4, 4, 3), {}),
    "ZeroPadding3D": ({"padding": 1}, (1, 3, 3, 3, 2), {}),
    "UpSampling1D": ({"size": 2}, (2, 4, 3), {}),
    "UpSampling2D": ({"size": 2}, (2, 3, 3, 2), {}),
    "UpSampling3D": ({"size": 2}, (1, 2, 2, 2, 2), {}),
    "Add": ({}, [(3, 4), (3, 4)], {}),
    "Subtract": ({}, [(3, 4), (3, 4)], {}),
    "Multiply": ({}, [(3, 4), (3, 4)], {}),
    "Average": ({}, [(3, 4), (3, 4)], {}),
    "Maximum": ({}, [(3, 4), (3, 4)], {}),
    "Minimum": ({}, [(3, 4), (3, 4)], {}),
    "Concatenate": ({"axis": -1}, [(3, 4), (3, 2)], {}),
    "Dot": ({"axes": 1}, [(3, 4), (3, 4)], {}),
    # Keras layers kshim may not have yet: registered so the matrix reports them as unavailable.
    "Masking": ({"mask_value": 0.0}, (2, 5, 3), {}),
    "SimpleRNN": ({"units": 4}, (2, 5, 3), {}),
    "GRU": ({"units": 4}, (2, 5, 3), {}),
    "LSTM": ({"units": 4}, (2, 5, 3), {}),
    "ConvLSTM1D": ({"filters": 2, "kernel_size": 3}, (2, 4, 6, 3), {}),
    "ConvLSTM2D": ({"filters": 2, "kernel_size": 3}, (1, 3, 5, 5, 2), {}),
    "ConvLSTM3D": ({"filters": 2, "kernel_size": 2}, (1, 2, 3, 3, 3, 2), {}),
    "Attention": ({}, [(2, 5, 4), (2, 6, 4)], {}),
    "AdditiveAttention": ({}, [(2, 5, 4), (2, 6, 4)], {}),
    "MultiHeadAttention": ({"num_heads": 2, "key_dim": 3}, [(2, 5, 4), (2, 6, 4)], {"call": "args"}),
}
# Public names that are not layers to test on their own (bases, inputs, aliases are resolved below).
# Deterministic layers added with the preprocessing work (issue 15).
LAYERS.update(
    {
        "AdaptiveAveragePooling1D": ({"output_size": 3}, (2, 8, 3), {}),
        "AdaptiveAveragePooling2D": ({"output_size": (2, 3)}, (2, 6, 7, 2), {}),
        "AdaptiveAveragePooling3D": ({"output_size": 2}, (1, 4, 5, 4, 2), {}),
        "AdaptiveMaxPooling1D": ({"output_size": 3}, (2, 8, 3), {}),
        "AdaptiveMaxPooling2D": ({"output_size": (2, 3)}, (2, 6, 7, 2), {}),
        "AdaptiveMaxPooling3D": ({"output_size": 2}, (1, 4, 5, 4, 2), {}),
        "RMSNormalization": ({}, (4, 6), {}),
        "ReversibleEmbedding": ({"input_dim": 10, "output_dim": 4}, (3, 5), {"int": (0, 10)}),
        "Resizing": ({"height": 5, "width": 3}, (2, 8, 6, 3), {}),
        "CenterCrop": ({"height": 4, "width": 3}, (2, 6, 6, 3), {}),
        "MelSpectrogram": (
            {"fft_length": 64, "sequence_stride": 16, "sequence_length": 32, "num_mel_bins": 8},
            (2, 160),
            {},
        ),
        "STFTSpectrogram": ({"frame_length": 32, "frame_step": 16, "fft_length": 32}, (2, 128, 1), {}),
        "Solarization": ({}, (2, 4, 4, 3), {}),
        "AutoContrast": ({}, (2, 4, 4, 3), {}),
        "Discretization": ({"bin_boundaries": [-1.0, 0.0, 1.0]}, (4, 6), {}),
        "CategoryEncoding": ({"num_tokens": 6, "output_mode": "multi_hot"}, (4, 3), {"int": (0, 6)}),
    }
)

# Random augmentation layers: same seed => identical outputs on every backend is asserted per layer in
# tests/layers/test_image_geometric_model.py and test_image_color_model.py (through fit and run_on_numpy).
_AUGMENTATION = (
    "AugMix",
    "CutMix",
    "MixUp",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomCrop",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    # histogram layers (a last-ulp difference crosses a bin edge: compared with Keras and across
    # backends on chosen inputs in tests/layers/test_image_color_tone.py), box-only and container layers
    "Equalization",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "MaxNumBoundingBoxes",
    "Pipeline",
)
NOT_CASES = {
    "Layer",
    "Input",
    "InputLayer",
    "DTypePolicy",
    "Lambda",
    # bases, not layers a user builds
    "DataLayer",
    "BaseImagePreprocessingLayer",
    "Wrapper",
    # wrap one framework's own code, so they run on that backend only (tests/layers/
    # test_interop_wrappers.py checks them against the bare module/function and real Keras)
    "TorchModuleWrapper",
    "JaxLayer",
    "FlaxLayer",
    # host-side string/hash layers: no tensors to compare across backends (tests/layers/test_text_*,
    # test_lookup_layers.py, test_hashing_layers.py check them on every backend)
    "TextVectorization",
    "StringLookup",
    "IntegerLookup",
    "Hashing",
    "HashedCrossing",
    # takes query/value/key inputs and another layer's mask helpers: tests/layers/test_group_query_attention.py
    "GroupQueryAttention",
    "GroupedQueryAttention",
    "SpectralNormalization",
    *_AUGMENTATION,
    # Wrappers and cells take other layers as arguments, which this plain-kwargs registry cannot
    # build per backend; tests/layers/test_rnn_layers.py compares them with Keras and across backends.
    "RNN",
    "Bidirectional",
    "TimeDistributed",
    "StackedRNNCells",
    "SimpleRNNCell",
    "LSTMCell",
    "GRUCell",
}


def _inputs(rng: np.random.Generator, shapes: Any, opts: dict, dtype: str) -> list:
    shapes = shapes if isinstance(shapes, list) else [shapes]
    if "int" in opts:
        lo, hi = opts["int"]
        return [rng.integers(lo, hi, s).astype("int32") for s in shapes]
    return [rng.uniform(-2.0, 2.0, s).astype(dtype) for s in shapes]


def _call_layer(layer: Any, xs: list, opts: dict, **kw: Any) -> Any:
    if opts.get("call") == "args":
        return layer(*xs, **kw)
    return layer(xs if len(xs) > 1 else xs[0], **kw)


def layer_case(name: str, kwargs: dict, shapes: Any, opts: dict) -> Case:
    case_name = f"layers.{name}"
    training = bool(opts.get("training", False))

    def run(b, dtype):
        import kshim

        cls = getattr(kshim.layers, name)
        rng = rng_for(case_name, dtype)
        host = _inputs(rng, shapes, opts, dtype)
        xs = [b.convert_to_tensor(h) for h in host]
        layer = cls(**kwargs, dtype=dtype)
        _call_layer(layer, xs, opts)  # builds the weights (inference mode: no state changes)
        res = {f"init/{i}": w for i, w in enumerate(layer.get_weights())}
        tv = [v.value for v in layer.trainable_variables]
        ntv = [v.value for v in layer.non_trainable_variables]
        nt = len(tv)

        def fwd(*a):
            out, new_ntv = layer.stateless_call(
                list(a[:nt]),
                ntv,
                *([list(a[nt:])] if opts.get("call") != "args" and len(xs) > 1 else list(a[nt:])),
                training=training,
            )
            return out, new_ntv

        def out_only(*a):
            return fwd(*a)[0]

        args = tv + xs
        argnums = [i for i, a in enumerate(args) if kshim.dtypes.is_float(b.dtype(a))]

        def both(*a):
            out, new_ntv = fwd(*a)
            return out, new_ntv, grad_tree(b, out_only, a, argnums, out, seed=len(case_name))

        out, new_ntv, g = run_compiled(b, both, args)
        res.update(flat(b, "forward", out))
        if training and new_ntv:
            res.update(
                {k: v for k, v in flat(b, "forward/state", list(new_ntv)).items() if np.asarray(v).dtype.kind == "f"}
            )
        if opts.get("random") == "mask":
            res["exact/mask"] = to_host(b, leaves(out)[0]) == 0
        res.update(flat_grads(b, argnums, g))
        return res

    oracle = None if opts.get("random") or opts.get("oracle") is False else _keras_oracle(name, kwargs, shapes, opts)
    return register(Case(case_name, "layer", run, tol="reduction", requires=(f"layers.{name}",), oracle=oracle))


def _keras_oracle(name: str, kwargs: dict, shapes: Any, opts: dict):
    case_name = f"layers.{name}"

    def run(dtype: str, ref: dict) -> dict:
        from .. import oracle

        keras = oracle.import_keras()
        cls = getattr(keras.layers, name, None)
        if cls is None:
            raise Unavailable(f"keras.layers.{name} does not exist")
        host = _inputs(rng_for(case_name, dtype), shapes, opts, dtype)
        keras.config.set_floatx(dtype)  # with floatx float32, Keras' float64 layers return float32
        try:
            layer = cls(**kwargs, dtype=dtype)
            _call_layer(layer, host, opts)
            weights = [ref[k] for k in sorted((k for k in ref if k.startswith("init/")), key=lambda k: int(k[5:]))]
            if weights or layer.weights:
                layer.set_weights(weights)
            out = _call_layer(layer, host, opts, training=opts.get("training", False))
            return oracle.flat_numpy("forward", out)
        finally:
            keras.config.set_floatx("float32")

    return run


for _name, (_kw, _shapes, _opts) in LAYERS.items():
    layer_case(_name, _kw, _shapes, _opts)


def layers_without_case() -> list[str]:
    """Public ``kshim.layers`` classes (aliases resolved) that have no case here."""
    import inspect

    import kshim

    out = []
    for n in dir(kshim.layers):
        obj = getattr(kshim.layers, n)
        if n.startswith("_") or n in NOT_CASES or not inspect.isclass(obj) or not issubclass(obj, kshim.layers.Layer):
            continue
        if obj.__name__ in LAYERS or n in LAYERS:
            continue
        out.append(n)
    return sorted(out)

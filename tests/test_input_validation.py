"""Sizes from arguments and configs are validated arithmetically before anything is allocated, and
bad arguments give Keras' exception type with a clear message (issue 22, items 2 and 4).

Where real Keras 3 accepts the same call, the test compares the exception *type* with it (the
``keras`` fixture skips those comparisons when Keras is not installed).
"""
import os

import numpy as np
import pytest

import kshim
from kshim import layers as L
from kshim import ops

# Every refusal below is arithmetic, so it must not allocate. The check is on memory, not time: the
# process's peak resident size (VmHWM, reset through /proc/self/clear_refs) may grow by at most this
# much while the call runs. A JAX/torch first call (compiling, kernel caches) stays well under it,
# and every case would need at least a GiB if it were allocated.
MAX_GROWTH_MIB = 256


@pytest.fixture(scope="module")
def keras():
    """Real Keras 3 (JAX) when installed, else None (the kshim half of each test still runs)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras as k
    except ImportError:
        return None
    return k


def _rss_kib(field: str) -> int | None:
    """``VmRSS``/``VmHWM`` of this process in KiB (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _rss_kib("VmHWM") is not None


class _NoAllocation:
    """Asserts that the peak resident size grew by under MAX_GROWTH_MIB inside the block."""

    def __enter__(self):
        self.measured = _reset_peak_rss()
        self.start = _rss_kib("VmRSS") if self.measured else 0
        return self

    def __exit__(self, *exc):
        if self.measured:
            grown = (_rss_kib("VmHWM") - self.start) / 1024
            assert grown < MAX_GROWTH_MIB, f"the peak resident size grew by {grown:.0f} MiB"
        return False


def test_the_allocation_check_sees_an_allocation():
    if not _reset_peak_rss():
        pytest.skip("no /proc/self/clear_refs here: the refusals below are checked by type and message only")
    with pytest.raises(AssertionError, match="peak resident size grew"), _NoAllocation():
        np.ones(MAX_GROWTH_MIB * 2**20 // 8 * 2)  # twice the allowance, touched


def _raises_fast(exc, fn, match=None):
    """``fn()`` raises ``exc`` (matching ``match``) without allocating what it refuses."""
    with _NoAllocation(), pytest.raises(exc, match=match) as info:
        fn()
    return info.value


def _keras_error_type(fn):
    """The exception type real Keras raises for ``fn()`` (None when it accepts it)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the oracle's exception type is what we compare
        return type(e)
    return None


# ---- item 2: output shapes from the layer's formula, windows larger than the input ------------------
WINDOW_TOO_BIG = {
    "maxpool_1e6": (lambda m: m.layers.MaxPooling2D(pool_size=10**6), (6, 6, 1)),
    "maxpool_7": (lambda m: m.layers.MaxPooling2D(pool_size=7), (6, 6, 1)),
    "avgpool1d_7": (lambda m: m.layers.AveragePooling1D(7), (6, 1)),
    "conv2d_7": (lambda m: m.layers.Conv2D(2, 7), (6, 6, 1)),
    "conv1d_dilated": (lambda m: m.layers.Conv1D(2, 3, dilation_rate=3), (6, 1)),
    "depthwise_7": (lambda m: m.layers.DepthwiseConv2D(7), (6, 6, 1)),
    "separable_7": (lambda m: m.layers.SeparableConv2D(2, 7), (6, 6, 1)),
    "conv3d_channels_first": (lambda m: m.layers.Conv3D(2, 4, data_format="channels_first"), (1, 3, 8, 8)),
}


@pytest.mark.parametrize("case", list(WINDOW_TOO_BIG))
def test_window_larger_than_input_fails_fast_like_keras(backend, keras, case):
    make, shape = WINDOW_TOO_BIG[case]
    _raises_fast(ValueError, lambda: make(kshim)(kshim.Input(shape)),
                 match="Computed output size would be zero or negative")
    if keras is not None:
        assert _keras_error_type(lambda: make(keras)(keras.Input(shape))) is ValueError


def test_window_larger_than_input_fails_fast_eagerly(backend):
    x = np.zeros((1, 6, 6, 1), "float32")
    _raises_fast(ValueError, lambda: ops.max_pool(x, 10**6), match="zero or negative")
    _raises_fast(ValueError, lambda: L.MaxPooling2D(10**6)(x), match="zero or negative")
    _raises_fast(ValueError, lambda: ops.conv(x, np.zeros((7, 7, 1, 1), "float32")), match="zero or negative")


def test_same_padding_with_a_huge_window_is_exact_and_fast(backend, keras):
    # A window covering the whole input pools it exactly without a window-sized padded array.
    assert L.MaxPooling2D(10**6, padding="same")(kshim.Input((6, 6, 1))).shape == (None, 1, 1, 1)
    if keras is not None:
        assert tuple(keras.layers.MaxPooling2D(10**6, padding="same")(keras.Input((6, 6, 1))).shape) \
            == (None, 1, 1, 1)
    x = np.random.default_rng(0).standard_normal((2, 6, 5, 3)).astype("float32")
    with _NoAllocation():  # a window-sized padded array would need terabytes
        mx = ops.convert_to_numpy(L.MaxPooling2D(10**6, padding="same")(x))
        av = ops.convert_to_numpy(L.AveragePooling2D((10**5, 10**4), padding="same")(x))
    np.testing.assert_allclose(mx, x.max(axis=(1, 2), keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(av, x.mean(axis=(1, 2), keepdims=True), rtol=1e-5)
    # same numbers as a window just covering the input (the ordinary padded path)
    np.testing.assert_allclose(av, ops.convert_to_numpy(L.AveragePooling2D((6, 5), padding="same")(x)), rtol=1e-6)


def test_huge_same_padding_is_refused_before_allocating(backend):
    x = np.zeros((1, 6, 6, 1), "float32")
    # stride 1 keeps 6 outputs per axis, so the padded input would be ~10**12 cells
    _raises_fast(ValueError, lambda: ops.max_pool(x, 10**6, strides=1, padding="same"), match="exceeds the limit")
    _raises_fast(ValueError, lambda: ops.conv(x, np.zeros((3, 3, 1, 1), "float32"), padding="same",
                                              dilation_rate=10**6), match="exceeds the limit")


FORMULA_CASES = {
    "conv_valid_stride": ("Conv2D", dict(filters=3, kernel_size=3, strides=2), (9, 8, 2)),
    "conv_same_stride": ("Conv2D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (7, 5, 2)),
    "conv_dilated": ("Conv1D", dict(filters=2, kernel_size=3, dilation_rate=2), (9, 2)),
    "conv_causal": ("Conv1D", dict(filters=2, kernel_size=3, padding="causal", dilation_rate=2), (5, 1)),
    "conv_groups": ("Conv2D", dict(filters=4, kernel_size=2, groups=2), (5, 5, 4)),
    "conv_channels_first": ("Conv2D", dict(filters=3, kernel_size=3, data_format="channels_first"), (2, 7, 6)),
    "conv3d": ("Conv3D", dict(filters=2, kernel_size=(2, 3, 1), strides=(1, 2, 1)), (4, 6, 3, 1)),
    "convT_valid": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2), (4, 5, 1)),
    "convT_same": ("Conv2DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="same"), (4, 3, 2)),
    "convT_output_padding": ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                                                     output_padding=1), (5, 5, 1)),
    "convT_small_kernel": ("Conv1DTranspose", dict(filters=2, kernel_size=2, strides=3), (4, 1)),
    "convT_dilated": ("Conv1DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2), (4, 1)),
    "depthwise": ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, strides=2), (7, 7, 3)),
    "separable": ("SeparableConv1D", dict(filters=4, kernel_size=3, padding="same", strides=2), (7, 3)),
    "maxpool_valid": ("MaxPooling2D", dict(pool_size=3, strides=2), (8, 7, 2)),
    "maxpool_same": ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (8, 7, 2)),
    "avgpool_same": ("AveragePooling1D", dict(pool_size=4, padding="same"), (9, 2)),
    "avgpool3d": ("AveragePooling3D", dict(pool_size=2), (4, 5, 3, 1)),
    "gmax_keepdims": ("GlobalMaxPooling2D", dict(keepdims=True), (4, 5, 3)),
    "gavg_channels_first": ("GlobalAveragePooling1D", dict(data_format="channels_first"), (3, 6)),
    "dense_3d": ("Dense", dict(units=5), (4, 3)),
}


@pytest.mark.parametrize("case", list(FORMULA_CASES))
def test_formula_shape_matches_eager_output_and_keras(backend, keras, monkeypatch, case):
    cls, kw, shape = FORMULA_CASES[case]
    layer = getattr(L, cls)(**kw)
    x = np.random.default_rng(0).standard_normal((2,) + shape).astype("float32")
    eager = tuple(ops.shape(layer(x)))
    from kshim.layers import node
    monkeypatch.setattr(node, "probe_output_spec", _no_probe)  # the shape must come from the formula
    assert layer.compute_output_shape((2,) + shape) == eager
    sym = getattr(L, cls)(**kw)(kshim.Input(shape))
    assert sym.shape == (None,) + eager[1:]
    assert sym.dtype == "float32"
    if keras is not None:
        kshape = getattr(keras.layers, cls)(**kw).compute_output_shape((None,) + shape)
        assert tuple(kshape) == (None,) + eager[1:]


def _no_probe(*args, **kwargs):
    raise AssertionError("a layer with a closed-form output shape was probed")


def test_formula_layers_are_not_probed(backend, monkeypatch):
    from kshim.layers import node
    monkeypatch.setattr(node, "probe_output_spec", _no_probe)
    x = kshim.Input((None, 6, 3))
    y = L.MaxPooling2D(2)(L.Conv2D(4, 3, padding="same")(x))
    assert L.GlobalAveragePooling2D()(L.Dense(2)(y)).shape == (None, 2)
    assert y.shape == (None, None, 3, 4)


def test_formula_layers_handle_sizes_probing_could_not(backend, monkeypatch):
    # 2**27 x 4 per sample is accepted, but probing it (batch 2 and 5) would allocate over a GiB
    from kshim.layers import node
    monkeypatch.setattr(node, "probe_output_spec", _no_probe)
    x = kshim.Input((2**27, 4))
    with _NoAllocation():
        assert L.MaxPooling1D(2)(x).shape == (None, 2**26, 4)
        assert L.Conv1D(2, 3, strides=4)(x).shape == (None, 2**25, 2)


# ---- item 2: declared sizes are capped -----------------------------------------------------------
def test_declared_batch_shape_over_the_limit_is_refused(backend):
    err = _raises_fast(ValueError, lambda: L.InputLayer(batch_shape=[None, 10**12]),
                       match=r"batch_shape dim 1 = 1000000000000 exceeds the limit")
    assert "InputLayer" in str(err)
    _raises_fast(ValueError, lambda: kshim.Input((10**5, 10**5)), match="exceeds the limit")


def test_loaded_config_with_a_huge_input_is_refused_fast(backend):
    cfg = {"name": "s", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 10**12],
                                                                          "dtype": "float32", "name": "x"}},
        {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2, "name": "d"}}]}
    _raises_fast(ValueError, lambda: kshim.Sequential.from_config(cfg), match="exceeds the limit")
    # a build_config with a huge input shape fails when the weight shape is checked, before allocating
    d = L.Dense.from_config(L.Dense(3).get_config())
    _raises_fast(ValueError, lambda: d.build_from_config({"input_shape": [None, 10**12]}),
                 match="weight 'kernel'.* exceeds the limit")


def test_weight_over_the_limit_is_refused(backend):
    _raises_fast(ValueError, lambda: L.Dense(10**6)(kshim.Input((10**4,))), match="weight 'kernel'")
    _raises_fast(ValueError, lambda: L.Embedding(10**6, 10**4).build(), match="weight 'embeddings'")


def test_out_of_memory_weight_names_the_layer(backend, monkeypatch):
    from kshim.layers import layer as layer_mod

    def oom(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(layer_mod, "Variable", oom)
    with pytest.raises(MemoryError, match=r"'dense_oom' \(Dense\).*'kernel' of shape \(100, 10000000\)"):
        L.Dense(10**7, name="dense_oom").build((None, 100))


def test_probe_size_is_capped_before_allocating(backend):
    x = kshim.Input((20000, 20000))  # 4e8 elements per sample: declared fine, too big to probe
    _raises_fast(ValueError, lambda: L.Activation("relu")(x), match="Cannot infer the output shape")
    _raises_fast(ValueError, lambda: ops.exp(x), match="Cannot infer the output shape")


OP_BOMBS = {
    "tile": lambda x: ops.tile(x, [10**6, 10**6]),
    "repeat": lambda x: ops.repeat(x, 10**10, axis=1),
    "repeat_list": lambda x: ops.repeat(x, [10**10, 1, 1], axis=1),
    "zeros": lambda x: ops.zeros((10**6, 10**6)),
    "full": lambda x: ops.full((10**6, 10**6), 1.0),
    "broadcast_to": lambda x: ops.broadcast_to(ops.ones((1, 1, 3)), (10**6, 10**5, 3)),
    "pad": lambda x: ops.pad(x, 10**6),
    "one_hot": lambda x: ops.one_hot(np.zeros((10,), "int32"), 10**9),
    "eye": lambda x: ops.eye(10**5),
    "arange": lambda x: ops.arange(10**10),
    "linspace": lambda x: ops.linspace(0.0, 1.0, 10**10),
    "tri": lambda x: ops.tri(10**5),
}


@pytest.mark.parametrize("case", list(OP_BOMBS))
def test_ops_refuse_outputs_sized_by_huge_arguments(backend, case):
    x = np.zeros((2, 3), "float32")
    _raises_fast(ValueError, lambda: OP_BOMBS[case](x), match=r"the output of \w+ .*exceeds the limit")


def test_layer_outputs_are_capped_while_inferring_shapes(backend):
    # probed layers: the op inside is refused at the (lower) probe limit, before allocating
    _raises_fast(ValueError, lambda: L.RepeatVector(10**8)(kshim.Input((6,))), match="inferring the output shape")
    _raises_fast(ValueError, lambda: L.UpSampling2D(10**4)(kshim.Input((6, 6, 1))), match="inferring the output")
    _raises_fast(ValueError, lambda: L.ZeroPadding2D(10**5)(kshim.Input((6, 6, 1))), match="exceeds the limit")
    # formula layers: the computed output shape itself is checked
    _raises_fast(ValueError, lambda: L.Conv2DTranspose(2, 3, strides=10**6)(kshim.Input((6, 6, 1))),
                 match=r"Conv2DTranspose\): output shape .* exceeds the limit")


def test_hostile_lambda_arguments_fail_fast_when_loading(backend):
    # Lambda(ops.tile) loads by name in safe mode, so its arguments must not be able to blow memory
    model = kshim.Sequential([kshim.Input((3,)), L.Lambda(ops.tile, arguments={"repeats": [1, 2]})])
    cfg = kshim.saving.serialize_keras_object(model)
    cfg["config"]["layers"][-1]["config"]["arguments"] = {"repeats": [1, 10**6, 10**6]}
    _raises_fast(ValueError, lambda: kshim.saving.deserialize_keras_object(cfg, safe_mode=True),
                 match="exceeds the limit")


# ---- item 4: counts, shapes and windows must be positive ints --------------------------------------
# (units/filters/kernel_size/pool_size/num_heads were already refused; tests/layers covers them)
BAD_ARGS = {
    "embedding_input_dim_0": lambda m: m.layers.Embedding(0, 4),
    "embedding_output_dim_0": lambda m: m.layers.Embedding(4, 0),
    "embedding_float": lambda m: m.layers.Embedding(10.0, 4),
    "input_negative": lambda m: m.Input(shape=(-1,)),
    "input_float": lambda m: m.Input(shape=(2.5,)),
    "input_batch_negative": lambda m: m.Input(shape=(3,), batch_size=-1),
    "inputlayer_config_negative": lambda m: m.layers.InputLayer(batch_shape=[None, -3]),
}


@pytest.mark.parametrize("case", list(BAD_ARGS))
def test_bad_size_arguments_raise_keras_error_type(backend, keras, case):
    _raises_fast(ValueError, lambda: BAD_ARGS[case](kshim))
    if keras is not None:
        assert _keras_error_type(lambda: BAD_ARGS[case](keras)) is ValueError


@pytest.mark.parametrize("make", [lambda: L.ConvLSTM2D(0, 3),
                                  lambda: L.EinsumDense("ab,bc->ac", output_shape=-1),
                                  lambda: L.Conv2D(2, 3, strides=(1, 10**12))])
def test_bad_size_arguments_keras_accepts_are_refused(backend, make):
    # Keras accepts these and fails later (or never); kshim refuses them up front.
    _raises_fast(ValueError, make)


def test_valid_sizes_still_accepted(backend):
    assert kshim.Input(shape=(np.int64(3), 0)).shape == (None, 3, 0)  # zero dims are legal, as in Keras
    assert kshim.Input(shape=(3,), batch_size=0).shape == (0, 3)
    assert L.Dense(np.int64(4)).units == 4
    assert L.Embedding(np.int32(5), 2).input_dim == 5


# ---- item 4: fit/evaluate/predict batch sizes -------------------------------------------------------
def _model():
    m = kshim.Sequential([kshim.Input((3,)), L.Dense(1, kernel_initializer="ones")])
    m.compile("sgd", "mse")
    return m


@pytest.mark.parametrize("batch_size", [-4, 0, 2.5, "4", True])
def test_fit_batch_size_must_be_a_positive_int(backend, batch_size):
    m = _model()
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    before = [w.copy() for w in m.get_weights()]
    _raises_fast(ValueError, lambda: m.fit(x, y, batch_size=batch_size, epochs=1, verbose=0), match="batch_size")
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)  # nothing was trained
    _raises_fast(ValueError, lambda: m.evaluate(x, y, batch_size=batch_size, verbose=0), match="batch_size")
    _raises_fast(ValueError, lambda: m.predict(x, batch_size=batch_size, verbose=0), match="batch_size")


def test_fit_steps_must_be_positive_and_numpy_ints_work(backend):
    m = _model()
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    _raises_fast(ValueError, lambda: m.fit(x, y, steps_per_epoch=-1, verbose=0),
                 match="`steps_per_epoch`, expected a positive integer")
    h = m.fit(x, y, batch_size=np.int64(4), epochs=1, verbose=0)
    assert len(h.history["loss"]) == 1


# ---- item 4: optimizer hyperparameters must be numbers or schedules -------------------------------
@pytest.mark.parametrize("lr", ["fast", None, [1], {"foo": 1}, True])
def test_learning_rate_must_be_a_number_or_schedule_like_keras(backend, keras, lr):
    err = _raises_fast(ValueError, lambda: kshim.optimizers.SGD(learning_rate=lr))
    assert "learning_rate" in str(err) and "LearningRateSchedule" in str(err)
    if keras is not None:
        assert _keras_error_type(lambda: keras.optimizers.SGD(learning_rate=lr)) is ValueError
    _raises_fast(ValueError, lambda: kshim.optimizers.SGD.from_config({"learning_rate": lr}))


@pytest.mark.parametrize("make", [lambda o: o.Adam(beta_1="x"), lambda o: o.Adam(epsilon="1e-7"),
                                  lambda o: o.RMSprop(rho=[0.9]), lambda o: o.SGD(clipnorm="big"),
                                  lambda o: o.Adagrad(initial_accumulator_value=None),
                                  lambda o: o.Lion(beta_1="x"), lambda o: o.AdamW(weight_decay="x")])
def test_other_hyperparameters_must_be_numbers(backend, make):
    err = _raises_fast(ValueError, lambda: make(kshim.optimizers))
    assert "must be a number" in str(err)


def test_numbers_and_schedules_accepted_other_values_refused(backend):
    o = kshim.optimizers
    _raises_fast(ValueError, lambda: o.SGD(learning_rate=np.array([0.1, 0.2])), match="learning_rate")
    assert float(ops.convert_to_numpy(o.SGD(learning_rate=np.float32(0.5)).learning_rate)) == 0.5
    assert float(ops.convert_to_numpy(o.SGD(learning_rate=3).learning_rate)) == 3.0
    assert o.SGD(learning_rate=lambda: 0.1).learning_rate == 0.1
    sched = o.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert o.Adam(learning_rate=sched, clipnorm=np.float64(1.0)).get_config()["learning_rate"]["class_name"] \
        == "ExponentialDecay"


# ---- item 4: a layer's dtype field --------------------------------------------------------------------
BAD_DTYPES = {
    "unknown_dict": {"foo": 1},
    "bare_dict_wrong_key": {"nme": "float32"},
    "wrong_class": {"module": "keras", "class_name": "Dense", "config": {"name": "float32"}, "registered_name": None},
    "mixed_unknown": "mixed_foo",
}


@pytest.mark.parametrize("case", list(BAD_DTYPES))
def test_hostile_dtype_field_is_refused(backend, keras, case):
    dtype = BAD_DTYPES[case]
    cfg = dict(L.Dense(2).get_config(), dtype=dtype)
    _raises_fast(ValueError, lambda: L.Dense.from_config(cfg))
    _raises_fast(ValueError, lambda: L.Dense(2, dtype=dtype))
    if keras is not None:  # Keras refuses these too: a ValueError, except a wrong class (an internal error)
        if case == "wrong_class":
            kcfg = dict(keras.layers.Dense(2).get_config(), dtype=dtype)
            assert _keras_error_type(lambda: keras.layers.Dense.from_config(kcfg)) is AttributeError
        else:
            assert _keras_error_type(lambda: keras.layers.Dense(2, dtype=dtype)) is ValueError


def test_valid_dtype_fields_still_accepted(backend):
    ser = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"}, "registered_name": None}
    assert L.Dense.from_config(dict(L.Dense(2).get_config(), dtype=ser)).compute_dtype == "float16"
    null = {"module": "keras", "class_name": "DTypePolicy", "config": None, "registered_name": None}
    assert L.Dense.from_config(dict(L.Dense(2).get_config(), dtype=null)).compute_dtype == "float32"
    assert L.Dense(2, dtype=np.float64).compute_dtype == "float64"
    assert L.Dense(2, dtype="mixed_bfloat16").compute_dtype == "bfloat16"

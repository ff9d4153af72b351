"""InputSpec, Wrapper, SpectralNormalization, RMSNormalization, ReversibleEmbedding and the adaptive
pooling layers against real Keras 3 (JAX backend), on every kshim backend.

Outputs are compared with the same weights (Keras' copied into kshim) at float32 rtol=atol=1e-5
(``keras_oracle.check_against_keras``): each layer is a few matmuls, reductions or window
averages over <= 64 terms, whose summation order differs between backends by ~1e-7 relative.
SpectralNormalization's power iteration adds two normalizations per step (same order of error).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers.input_spec import assert_input_compatibility  # noqa: E402
from ._util import cache, npy as N  # noqa: E402

from .keras_oracle import _norm_cfg, check_against_keras  # noqa: E402
from . import _numpy_refs_a as ref  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOL = dict(rtol=1e-5, atol=1e-5)
_CACHE: dict = {}
cached = cache(_CACHE)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# ---- InputSpec ------------------------------------------------------------------------------------
SPECS = [dict(ndim=3), dict(min_ndim=2), dict(max_ndim=2), dict(dtype="float32"), dict(axes={-1: 4}),
         dict(shape=(None, 3, 4)), dict(shape=(None, 3, 1), allow_last_axis_squeeze=True),
         dict(min_ndim=2, axes={1: 3})]
INPUTS = [np.zeros((2, 3, 4), "float32"), np.zeros((2, 3), "float32"), np.zeros((2, 3, 4), "int32"),
          np.zeros((2, 3, 5), "float32"), np.zeros((2,), "float32"), np.zeros((2, 4, 1), "float32")]


def _keras_accepts(spec_kw, x):
    from keras.src.layers.input_spec import assert_input_compatibility as keras_check
    try:
        keras_check(keras.InputSpec(**spec_kw), x, "lyr")
        return True
    except ValueError:
        return False


@pytest.mark.parametrize("spec_kw", SPECS, ids=[repr(s) for s in SPECS])
def test_input_spec_checks_as_keras(backend, spec_kw):
    spec = kshim.InputSpec(**spec_kw)
    kspec = keras.InputSpec(**spec_kw)
    assert spec.get_config() == kspec.get_config()
    assert repr(spec) == repr(kspec)
    assert kshim.InputSpec.from_config(spec.get_config()).get_config() == spec.get_config()
    verdicts = []
    for x in INPUTS:
        want = _keras_accepts(spec_kw, x)
        for value in (ops.convert_to_tensor(x), L.Input(batch_shape=x.shape, dtype=str(x.dtype))):
            if want:
                assert_input_compatibility(spec, value, "lyr")
            else:
                with pytest.raises(ValueError, match="incompatible with the layer"):
                    assert_input_compatibility(spec, value, "lyr")
        verdicts.append(want)
    assert any(verdicts) and not all(verdicts)  # every spec accepts some inputs and refuses others


def test_input_spec_structures_and_errors(backend):
    with pytest.raises(TypeError, match="integer keys"):
        kshim.InputSpec(axes={"a": 1})
    with pytest.raises(ValueError, match="greater than the maximum"):
        kshim.InputSpec(ndim=2, axes={3: 1})
    specs = [kshim.InputSpec(ndim=2, name="a"), kshim.InputSpec(ndim=3, name="b")]
    a, b = np.zeros((1, 2)), np.zeros((1, 2, 3))
    assert_input_compatibility(specs, {"b": b, "a": a}, "lyr")
    with pytest.raises(ValueError, match='Missing data for input "b"'):
        assert_input_compatibility(specs, {"a": a}, "lyr")
    with pytest.raises(ValueError, match="expects 2 named input"):
        assert_input_compatibility(specs, [a], "lyr")
    with pytest.raises(ValueError, match="expects 1 input"):
        assert_input_compatibility(kshim.InputSpec(ndim=2), [a, a], "lyr")
    assert_input_compatibility([None, kshim.InputSpec(optional=True, ndim=2)], [a, None], "lyr")
    assert kshim.layers.InputSpec is kshim.InputSpec
    assert kshim.layers.Layer().input_spec is None


class _Ranked(L.Layer):
    """Accepts rank-3 inputs; after building, only last axis == the built one."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.input_spec = kshim.InputSpec(ndim=3)

    def build(self, input_shape):
        self.input_spec = kshim.InputSpec(ndim=3, axes={-1: input_shape[-1]})

    def call(self, x):
        return x


def test_layer_call_checks_input_spec(backend):
    layer = _Ranked(name="ranked")
    with pytest.raises(ValueError, match="Input 0 with name 'None' of layer 'ranked' is incompatible.*ndim=3"):
        layer(np.zeros((2, 3), "float32"))
    assert not layer.built  # checked before building, as Keras
    layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(np.zeros((2, 3, 5), "float32"))
    with pytest.raises(ValueError, match="expected axis -1"):
        layer(L.Input((3, 5)))
    assert tuple(layer(L.Input((7, 4))).shape) == (None, 7, 4)


# ---- Wrapper --------------------------------------------------------------------------------------
class _Twice(L.Wrapper):
    def call(self, x):
        return ops.multiply(self.layer(x), 2.0)


def test_wrapper_base(backend):
    with pytest.raises(ValueError, match="isn't a supported layer type"):
        L.Wrapper("dense")
    w = _Twice(L.Dense(3, name="inner"), name="tw")
    x = rand((2, 4))
    y = N(w(x))
    np.testing.assert_allclose(y, 2 * N(w.layer(x)), **TOL)
    assert w.layer.built and len(w.weights) == 2 and w.weights[0] is w.layer.kernel
    built = _Twice(L.Dense(3, name="inner"), name="tw")
    built.build((None, 4))
    kw = keras.layers.Wrapper(keras.layers.Dense(3, name="inner"), name="tw")
    kw.build((None, 4))
    assert _norm_cfg(built.get_config()) == _norm_cfg(kw.get_config())
    cfg = w.get_config()
    clone = _Twice.from_config(cfg)
    assert isinstance(clone.layer, L.Dense) and clone.layer.units == 3 and clone.name == "tw"
    assert clone.layer.built  # the nested build_config builds it
    assert issubclass(L.SpectralNormalization, L.Wrapper)


# ---- SpectralNormalization ------------------------------------------------------------------------
def _sn_pair(make_inner, mod_inner, x, power_iterations, seed):
    def keras_side():
        k = keras.layers.SpectralNormalization(make_inner(keras), power_iterations=power_iterations, name="sn")
        k(x)
        rng = np.random.default_rng(seed)
        ws = [rng.standard_normal(w.shape).astype("float32") for w in k.get_weights()]
        k.set_weights(ws)
        infer = np.asarray(k(x))
        train = np.asarray(k(x, training=True))
        return ws, infer, train, [np.asarray(w) for w in k.get_weights()], k.get_config(), \
            [w.name for w in k.weights]
    return cached(("sn", mod_inner, power_iterations, seed, x.shape), keras_side)


SN_CASES = {
    "dense": (lambda m: m.layers.Dense(3, name="inner"), (4, 6)),
    "conv2d": (lambda m: m.layers.Conv2D(3, 2, name="inner"), (2, 5, 5, 2)),
    "embedding": (lambda m: m.layers.Embedding(7, 3, name="inner"), (2, 5)),
}


@pytest.mark.parametrize("inner", list(SN_CASES))
@pytest.mark.parametrize("power_iterations", [1, 3])
def test_spectral_normalization_matches_keras(backend, inner, power_iterations):
    make, shape = SN_CASES[inner]
    x = rand(shape, 1) if inner != "embedding" else np.random.default_rng(1).integers(0, 7, shape).astype("int32")
    ws, infer, train, after, kcfg, knames = _sn_pair(make, inner, x, power_iterations, 2)
    s = L.SpectralNormalization(make(kshim), power_iterations=power_iterations, name="sn")
    s(x)
    # Keras' weight order: the wrapped kernel (also the wrapper's own weight), vector_u, then the rest
    assert [w.name for w in s.weights] == knames and knames[1] == "vector_u"
    assert [tuple(w.shape) for w in s.weights] == [w.shape for w in ws]
    s.set_weights(ws)
    np.testing.assert_allclose(N(s(x)), infer, **TOL)
    np.testing.assert_allclose(N(s(x, training=True)), train, **TOL)
    for a, b in zip(s.get_weights(), after):  # the power-iteration updates of kernel and vector_u
        np.testing.assert_allclose(a, b, **TOL)
    assert s.vector_u.trainable is False and len(s.trainable_weights) == len(s.weights) - 1
    kcfg = dict(kcfg)
    assert _norm_cfg(s.get_config()) == _norm_cfg(kcfg)
    clone = L.SpectralNormalization.from_config(s.get_config())
    assert clone.power_iterations == power_iterations and type(clone.layer) is type(s.layer)


def test_spectral_normalization_sigma_and_errors(backend):
    s = L.SpectralNormalization(L.Dense(4), power_iterations=30)
    x = rand((3, 5))
    s(x)
    s(x, training=True)
    # after many power iterations the kernel's largest singular value is 1
    np.testing.assert_allclose(np.linalg.svd(s.layer.get_weights()[0], compute_uv=False)[0], 1.0, rtol=1e-4)
    zero = L.SpectralNormalization(L.Dense(2, kernel_initializer="zeros"))
    zero(x, training=True)
    assert np.all(zero.layer.get_weights()[0] == 0)  # an all-zero kernel is left alone
    with pytest.raises(ValueError, match="power_iterations"):
        L.SpectralNormalization(L.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        L.SpectralNormalization(L.ReLU())(x)
    sn = L.SpectralNormalization(L.Dense(2))
    sn(x)
    with pytest.raises(ValueError, match="expected axis -1"):
        sn(rand((3, 6)))


def _sn_model(mod):
    inp = mod.layers.Input((6,))
    h = mod.layers.SpectralNormalization(mod.layers.Dense(4))(inp)
    return mod.Model(inp, mod.layers.Dense(1)(h))


def test_spectral_normalization_save_load_keras_interop_and_fit(backend, tmp_path):
    x = rand((8, 6), 3)

    def keras_side():
        km = _sn_model(keras)
        ws = [rand(w.shape, 4 + i) for i, w in enumerate(km.get_weights())]
        km.set_weights(ws)
        path = str(tmp_path.parent / f"k_sn_{os.getpid()}.keras")
        km.save(path)
        return ws, np.asarray(km(x)), path
    ws, ky, kpath = cached("sn-model", keras_side)
    m = _sn_model(kshim)
    m.set_weights(ws)
    np.testing.assert_allclose(N(m(x)), ky, **TOL)
    path = str(tmp_path / "sn.keras")
    m.save(path)
    np.testing.assert_array_equal(N(kshim.saving.load_model(path)(x)), N(m(x)))
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), ky, **TOL)
    np.testing.assert_allclose(N(kshim.saving.load_model(kpath)(x)), ky, **TOL)
    m.compile(optimizer=kshim.optimizers.SGD(0.01), loss="mse")
    before = m.get_weights()
    hist = m.fit(x, np.ones((8, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    after = m.get_weights()
    assert not np.allclose(after[0], before[0]) and not np.allclose(after[3], before[3])


# ---- RMSNormalization -----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,shape", [({}, (2, 5, 6)), (dict(axis=[-2, -1], epsilon=1e-3), (2, 3, 4, 5)),
                                          (dict(axis=1), (3, 4))])
def test_rms_normalization_matches_keras(backend, kwargs, shape):
    layer = check_against_keras("RMSNormalization", kwargs, shape, L)
    assert [v.name for v in layer.weights] == ["scale"]
    axis = kwargs.get("axis", -1)
    assert layer.get_config()["axis"] == (sorted(axis) if isinstance(axis, list) else [axis])  # a list once built


@pytest.mark.parametrize("kwargs,shape", [({}, (2, 5, 6)), (dict(axis=[-2, -1], epsilon=1e-3), (2, 3, 4, 5)),
                                          (dict(axis=1), (3, 4))])
def test_rms_normalization_numpy_reference(backend, kwargs, shape):
    """``x / sqrt(mean(x^2) + epsilon) * scale`` over ``axis`` with a random scale (float32 means
    over <= 20 values: rtol=atol=1e-5 as TOL)."""
    x = rand(shape, 11)
    layer = L.RMSNormalization(**kwargs)
    layer(x)
    scale = rand(layer.get_weights()[0].shape, 12)
    layer.set_weights([scale])
    want = ref.rms_norm(x, scale, kwargs.get("axis", -1), kwargs.get("epsilon", 1e-6))
    np.testing.assert_allclose(N(layer(x)), want, **TOL)
    cfg = layer.get_config()
    assert L.RMSNormalization.from_config(cfg).get_config() == cfg


def test_rms_normalization_float16_computes_in_float32(backend):
    x = (rand((2, 8)) * 300).astype("float16")
    y = L.RMSNormalization(dtype="float16")(x)
    assert ops.dtype(y) == "float16"
    ref = x.astype("float32") / np.sqrt(np.mean(x.astype("float32") ** 2, axis=-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(N(y).astype("float32"), ref, rtol=1e-3)  # float16 output rounding
    with pytest.raises(ValueError, match="out of bounds"):
        L.RMSNormalization(axis=2)(rand((2, 3)))


# ---- adaptive pooling -----------------------------------------------------------------------------
# uneven windows on every axis (7 -> 3, 5 -> 2, ...): the overlapping floor/ceil boundaries are exercised
POOL_CASES = [(1, 3, (2, 7, 3)), (2, (3, 2), (2, 7, 5, 3)), (3, (1, 3, 2), (1, 3, 7, 4, 2))]


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("rank,size,shape", POOL_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pooling_matches_keras(backend, kind, rank, size, shape, data_format):
    check_against_keras(f"Adaptive{kind}Pooling{rank}D", dict(output_size=size, data_format=data_format), shape, L)


@pytest.mark.parametrize("kind", ["Average", "Max"])
@pytest.mark.parametrize("rank,size,shape", POOL_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_adaptive_pooling_numpy_reference(backend, kind, rank, size, shape, data_format):
    """Output cell ``i`` pools input ``[floor(i*n/out), ceil((i+1)*n/out))`` on every axis (window
    loop in NumPy); max is exact, averages of <= 12 float32 values: rtol=atol=1e-6."""
    x = rand(shape, 13)
    layer = getattr(L, f"Adaptive{kind}Pooling{rank}D")(output_size=size, data_format=data_format)
    cf = data_format == "channels_first"
    want = ref.adaptive_pool(ref.to_channels_last(x) if cf else x, kind.lower(), size)
    want = ref.to_channels_first(want) if cf else want
    got = N(layer(x))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert tuple(layer.compute_output_shape(shape)) == want.shape
    cfg = layer.get_config()
    assert type(layer).from_config(cfg).get_config() == cfg


def test_adaptive_pooling_errors_and_config(backend):
    with pytest.raises(ValueError, match="length 1"):
        L.AdaptiveMaxPooling1D((2, 3))
    with pytest.raises(TypeError, match="integer or tuple of 1"):
        L.AdaptiveAveragePooling1D("3")
    with pytest.raises(TypeError, match=r"\(height, width\)"):
        L.AdaptiveAveragePooling2D((2, 3, 4))
    with pytest.raises(TypeError, match=r"\(depth, height, width\)"):
        L.AdaptiveMaxPooling3D((2, 3))
    with pytest.raises(ValueError, match="Invalid data_format"):
        L.AdaptiveMaxPooling2D(2, data_format="nhwc")
    layer = L.AdaptiveAveragePooling2D(3)
    assert layer.output_size == (3, 3) and layer.get_config()["output_size"] == (3, 3)
    assert layer.compute_output_shape((None, 10, 11, 4)) == (None, 3, 3, 4)
    x = np.arange(2 * 4 * 6 * 1, dtype="float32").reshape(2, 4, 6, 1)
    ref = x.reshape(2, 2, 2, 3, 2, 1).mean(axis=(2, 4))  # 4x6 -> 2x3: exact 2x2 windows
    np.testing.assert_allclose(N(L.AdaptiveAveragePooling2D((2, 3))(x)), ref, rtol=1e-6)



def _norm_pool_model(mod):
    inp = mod.layers.Input((8, 6))
    h = mod.layers.RMSNormalization()(mod.layers.Dense(4)(inp))
    h = mod.layers.AdaptiveMaxPooling1D(2)(mod.layers.AdaptiveAveragePooling1D(3)(h))
    h2 = mod.layers.AdaptiveAveragePooling2D((2, 2))(mod.layers.Reshape((8, 6, 1))(inp))
    out = mod.layers.Concatenate()([mod.layers.Flatten()(h), mod.layers.Flatten()(h2)])
    return mod.Model(inp, mod.layers.Dense(1)(out))


def test_rms_and_adaptive_pooling_save_load_keras_interop_and_fit(backend, tmp_path):
    x = rand((8, 8, 6), 20)

    def keras_side():
        km = _norm_pool_model(keras)
        ws = [rand(w.shape, 21 + i) for i, w in enumerate(km.get_weights())]
        km.set_weights(ws)
        path = str(tmp_path.parent / f"k_normpool_{os.getpid()}.keras")
        km.save(path)
        return ws, np.asarray(km(x)), path
    ws, ky, kpath = cached("norm-pool-model", keras_side)
    m = _norm_pool_model(kshim)
    m.set_weights(ws)
    np.testing.assert_allclose(N(m(x)), ky, **TOL)
    path = str(tmp_path / "np.keras")
    m.save(path)
    np.testing.assert_array_equal(N(kshim.saving.load_model(path)(x)), N(m(x)))
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), ky, **TOL)
    np.testing.assert_allclose(N(kshim.saving.load_model(kpath)(x)), ky, **TOL)
    m.compile(optimizer=kshim.optimizers.SGD(0.01), loss="mse")
    before = m.get_weights()
    hist = m.fit(x, np.ones((8, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    # gradients reach every weight through the max/average windows and the RMS scale
    assert all(not np.allclose(a, b) for a, b in zip(m.get_weights(), before))


# ---- ReversibleEmbedding --------------------------------------------------------------------------
REV_CASES = [dict(), dict(tie_weights=False), dict(logit_soft_cap=2.0, mask_zero=True),
             dict(tie_weights=False, reverse_dtype="float64", embeddings_initializer="he_normal")]


@pytest.mark.parametrize("case", range(len(REV_CASES)))
def test_reversible_embedding_matches_keras(backend, case):
    kw = REV_CASES[case]
    ids = np.random.default_rng(5).integers(0, 10, (2, 5)).astype("int32")
    h = rand((2, 5, 4), 6)

    def keras_side():
        k = keras.layers.ReversibleEmbedding(10, 4, name="rev", **kw)
        k(ids)
        ws = [rand(w.shape, 7 + i) for i, w in enumerate(k.get_weights())]
        k.set_weights(ws)
        return ws, np.asarray(k(ids)), np.asarray(k(h, reverse=True)), k.get_config(), \
            [w.name for w in k.weights], tuple(k.compute_output_shape((None, 5, 4), reverse=True))
    ws, kfwd, krev, kcfg, knames, krev_shape = cached(("rev", case), keras_side)
    s = L.ReversibleEmbedding(10, 4, name="rev", **kw)
    s(ids)
    assert [w.name for w in s.weights] == knames
    s.set_weights(ws)
    np.testing.assert_allclose(N(s(ids)), kfwd, **TOL)
    rev = s(h, reverse=True)
    assert ops.dtype(rev) == str(krev.dtype)
    np.testing.assert_allclose(N(rev), krev, **TOL)
    assert tuple(s.compute_output_shape((None, 5, 4), reverse=True)) == krev_shape
    assert tuple(s(L.Input((5, 4)), reverse=True).shape) == (None, 5, 10)
    assert tuple(s(L.Input((5,), dtype="int32")).shape) == (None, 5, 4)
    assert _norm_cfg(s.get_config()) == _norm_cfg(kcfg)
    clone = L.ReversibleEmbedding.from_config(s.get_config())
    clone(ids)
    clone.set_weights(ws)
    np.testing.assert_allclose(N(clone(h, reverse=True)), krev, **TOL)


@pytest.mark.parametrize("case", range(len(REV_CASES)))
def test_reversible_embedding_numpy_reference(backend, case):
    """Forward: a row lookup of ``embeddings`` (exact). Reverse: ``h @ embeddings.T`` (tied) or
    ``h @ reverse_embeddings`` (untied), then ``cap * tanh(logits / cap)`` with ``logit_soft_cap``;
    sums of 4 float32 products, compared at TOL (in float64 when ``reverse_dtype`` asks for it)."""
    kw = REV_CASES[case]
    ids = np.random.default_rng(15).integers(0, 10, (2, 5)).astype("int32")
    ids[0, 0] = 0
    h = rand((2, 5, 4), 16)
    s = L.ReversibleEmbedding(10, 4, **kw)
    s(ids)
    ws = [rand(w.shape, 17 + i) for i, w in enumerate(s.get_weights())]
    s.set_weights(ws)
    np.testing.assert_array_equal(N(s(ids)), ws[0][ids])
    if kw.get("mask_zero"):  # (checked after a forward call: a reverse call carries no mask)
        np.testing.assert_array_equal(N(s.compute_mask(ids)), ids != 0)
    logits = h.astype("float64") @ (ws[0].T if kw.get("tie_weights", True) else ws[1])
    if kw.get("logit_soft_cap"):
        cap = kw["logit_soft_cap"]
        logits = cap * np.tanh(logits / cap)
    rev = s(h, reverse=True)
    assert ops.dtype(rev) == kw.get("reverse_dtype", "float32")
    np.testing.assert_allclose(N(rev), logits, **TOL)
    cfg = s.get_config()
    assert L.ReversibleEmbedding.from_config(cfg).get_config() == cfg


def _lm(mod, mask_zero=False):
    inp = mod.layers.Input((5,), dtype="int32")
    emb = mod.layers.ReversibleEmbedding(10, 4, tie_weights=False, mask_zero=mask_zero)
    h = mod.layers.Dense(4)(emb(inp))
    return mod.Model(inp, emb(h, reverse=True))


def test_reversible_embedding_mask_save_load_and_fit(backend, tmp_path):
    ids = np.random.default_rng(8).integers(0, 10, (8, 5)).astype("int32")
    ids[:, -1] = 0
    emb = L.ReversibleEmbedding(10, 4, mask_zero=True)
    inp = L.Input((5,), dtype="int32")
    fwd = emb(inp)
    pooled = L.GlobalAveragePooling1D()(fwd)  # honours the padding mask of the forward embedding
    m = kshim.Model(inp, pooled)
    e = N(emb(ids))
    keep = (ids != 0)[..., None]
    np.testing.assert_allclose(N(m(ids)), (e * keep).sum(1) / keep.sum(1), **TOL)
    assert emb.compute_mask(ids) is not None
    emb(rand((2, 5, 4)), reverse=True)
    assert emb.compute_mask(ids) is None  # the reverse projection carries no mask

    def keras_side():
        km = _lm(keras)
        ws = [rand(w.shape, 9 + i) for i, w in enumerate(km.get_weights())]
        km.set_weights(ws)
        path = str(tmp_path.parent / f"k_rev_{os.getpid()}.keras")
        km.save(path)
        return ws, np.asarray(km(ids)), path
    ws, ky, kpath = cached("rev-model", keras_side)
    lm = _lm(kshim)
    lm.set_weights(ws)
    np.testing.assert_allclose(N(lm(ids)), ky, **TOL)
    path = str(tmp_path / "rev.keras")
    lm.save(path)
    np.testing.assert_array_equal(N(kshim.saving.load_model(path)(ids)), N(lm(ids)))
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(ids)), ky, **TOL)
    np.testing.assert_allclose(N(kshim.saving.load_model(kpath)(ids)), ky, **TOL)
    lm.compile(optimizer=kshim.optimizers.SGD(0.1), loss=kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = lm.get_weights()
    hist = lm.fit(ids, ids, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    after = lm.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(after, before))  # embeddings, reverse, dense all train

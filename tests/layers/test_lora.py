"""LoRA in ``Dense``, ``EinsumDense`` and ``Embedding`` against real Keras 3 (JAX backend), on every kshim backend.

Keras is the oracle: the same layer is built in both, Keras' weights (base, bias and non-zero LoRA
factors) are copied into kshim, and outputs, effective kernels, configs, weights files and errors are
compared. Tolerance: float32 rtol=atol=1e-5 -- each output is a sum of at most 5 products plus a rank-3
LoRA product, whose summation order differs between backends by ~1e-7 relative. Training checks
compare two SGD steps with Keras at 1e-5 (same reasoning, two steps of small gradients).

kshim deliberately differs in one place tested here: ``Dense`` and ``Embedding`` keep a constructor
``lora_alpha`` when they build (Keras 3.15 resets it to ``lora_rank``; its ``EinsumDense`` keeps it).
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)
h5py = pytest.importorskip("h5py")

import kshim  # noqa: E402

from ._util import cache, npy as N  # noqa: E402
from .keras_oracle import _norm_cfg  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOL = dict(rtol=1e-5, atol=1e-5)
_CACHE: dict = {}
cached = cache(_CACHE)

KINDS = ["dense", "einsum", "embedding"]
FACTORS = {"dense": ("lora_kernel_a", "lora_kernel_b"), "einsum": ("lora_kernel_a", "lora_kernel_b"),
           "embedding": ("lora_embeddings_a", "lora_embeddings_b")}


def _layer(mod, kind, **kw):
    L = mod.layers
    if kind == "dense":
        return L.Dense(4, activation="tanh", **kw)
    if kind == "einsum":
        return L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", **kw)
    return L.Embedding(7, 4, **kw)


def _input(kind, seed=0):
    r = np.random.default_rng(seed)
    if kind == "dense":
        return r.standard_normal((3, 5)).astype("float32")
    if kind == "einsum":
        return r.standard_normal((2, 3, 5)).astype("float32")
    return r.integers(0, 7, (2, 3)).astype("int32")


def _shape(kind):
    return {"dense": (None, 5), "einsum": (None, 3, 5), "embedding": None}[kind]


def _built(mod, kind, how):
    """``how``: "ctor" (``lora_rank=2`` in the constructor) or "enable" (``enable_lora(3, lora_alpha=6.0)``)."""
    layer = _layer(mod, kind, **({"lora_rank": 2} if how == "ctor" else {}))
    layer.build(_shape(kind))
    if how == "enable":
        layer.enable_lora(3, lora_alpha=6.0)
    return layer


def _rand_weights(layer, seed):
    r = np.random.default_rng(seed)
    return [(r.standard_normal(w.shape) * 0.3).astype("float32") for w in layer.get_weights()]


def _cfg(cfg):
    """A config as it is in a ``.keras`` file (JSON: tuples become lists), without the layer name."""
    return {k: v for k, v in json.loads(json.dumps(_norm_cfg(cfg))).items() if k != "name"}


def _keras_forward(kind, how):
    def run():
        kl = _built(keras, kind, how)
        ws = _rand_weights(kl, 1)
        kl.set_weights(ws)
        x = _input(kind)
        eff = kl.embeddings if kind == "embedding" else kl.kernel
        return dict(ws=ws, y=np.asarray(kl(x)), eff=np.asarray(eff), cfg=kl.get_config(),
                    weights=[(w.path.split("/")[-1], tuple(w.shape), w.trainable, w.dtype) for w in kl.weights],
                    trainable=[w.path.split("/")[-1] for w in kl.trainable_weights],
                    alpha=kl.lora_alpha, rank=kl.lora_rank)
    return cached(("fwd", kind, how), run)


# ---- forward, weights, trainability -------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["ctor", "enable"])
@pytest.mark.parametrize("kind", KINDS)
def test_forward_and_weights_match_keras(backend, kind, how):
    k = _keras_forward(kind, how)
    layer = _built(kshim, kind, how)
    got = [(w.path.split("/")[-1], tuple(w.shape), w.trainable, w.dtype) for w in layer.weights]
    assert got == k["weights"]  # base (frozen), bias, then the two float32 factors, as in Keras
    assert [w.path.split("/")[-1] for w in layer.trainable_weights] == k["trainable"]
    assert [w.path.split("/")[-1] for w in layer.non_trainable_weights] == [got[0][0]]
    assert layer.lora_enabled and (layer.lora_rank, layer.lora_alpha) == (k["rank"], k["alpha"])
    layer.set_weights(k["ws"])
    x = _input(kind)
    np.testing.assert_allclose(N(layer(x)), k["y"], **TOL)
    eff = layer.embeddings if kind == "embedding" else layer.kernel
    np.testing.assert_allclose(N(eff), k["eff"], **TOL)
    # the effective weight really is base + (alpha / rank) * a @ b
    base, a, b = k["ws"][0], k["ws"][-2], k["ws"][-1]
    np.testing.assert_allclose(N(eff), base + (k["alpha"] / k["rank"]) * (a @ b), **TOL)
    assert _cfg(layer.get_config()) == _cfg(k["cfg"])


# ---- NumPy references (no Keras needed) -------------------------------------------------------------------------
def _numpy_forward(kind, ws, alpha, rank, x):
    """The layer's output from its weights by hand: effective weight ``base + (alpha / rank) a @ b`` (``a`` has
    the base's shape with the last axis replaced by the rank, ``b`` is ``(rank, last)``), then
    tanh(x W + b) (Dense), the einsum plus bias (EinsumDense) or a row lookup (Embedding)."""
    base, a, b = (w.astype("float64") for w in (ws[0], ws[-2], ws[-1]))
    eff = base + (alpha / rank) * (a @ b)
    if kind == "dense":
        return np.tanh(x @ eff + ws[1]), eff
    if kind == "einsum":
        return np.einsum("abc,cde->abde", x, eff) + ws[1], eff
    return eff[x], eff


@pytest.mark.parametrize("how", ["ctor", "enable"])
@pytest.mark.parametrize("kind", KINDS)
def test_forward_matches_numpy_reference(backend, kind, how):
    """float32 layer vs a float64 reference on the same float32 weights: sums of <= 5 products plus a rank
    <= 3 product, ~1e-7 relative apart; TOL (1e-5) as for the Keras comparison."""
    layer = _built(kshim, kind, how)
    rank, alpha = (2, 2.0) if how == "ctor" else (3, 6.0)
    assert layer.lora_enabled and (layer.lora_rank, layer.lora_alpha) == (rank, alpha)
    names = [w.path.split("/")[-1] for w in layer.weights]
    base_name = "embeddings" if kind == "embedding" else "kernel"
    assert names == [base_name] + ([] if kind == "embedding" else ["bias"]) + list(FACTORS[kind])
    assert [w.path.split("/")[-1] for w in layer.non_trainable_weights] == [base_name]
    assert [w.path.split("/")[-1] for w in layer.trainable_weights] == names[1:]
    ws = _rand_weights(layer, 1)
    layer.set_weights(ws)
    x = _input(kind)
    want, eff = _numpy_forward(kind, ws, alpha, rank, x)
    np.testing.assert_allclose(N(layer(x)), want, **TOL)
    np.testing.assert_allclose(N(layer.embeddings if kind == "embedding" else layer.kernel), eff, **TOL)
    cfg = layer.get_config()
    assert (cfg["lora_rank"], cfg["lora_alpha"]) == (rank, alpha)


@pytest.mark.parametrize("kind", KINDS)
def test_own_variables_hold_the_merged_weight(backend, kind):
    """``save_own_variables`` writes ``base + (alpha / rank) a @ b`` (and the bias); loading it into a LoRA
    layer puts the merged weight in the base and zeroes the factors, so the output is unchanged."""
    layer = _built(kshim, kind, "enable")
    ws = _rand_weights(layer, 8)
    layer.set_weights(ws)
    x = _input(kind)
    want, eff = _numpy_forward(kind, ws, 6.0, 3, x)
    store: dict = {}
    layer.save_own_variables(store)
    assert sorted(store) == (["0"] if kind == "embedding" else ["0", "1"])
    np.testing.assert_allclose(store["0"], eff, **TOL)
    other = _built(kshim, kind, "enable")
    other.load_own_variables(store)
    for name in FACTORS[kind]:
        np.testing.assert_array_equal(N(getattr(other, name)), 0)
    np.testing.assert_allclose(N(other(x)), want, **TOL)


@pytest.mark.parametrize("kind", ["einsum", "embedding"])
def test_fit_trains_only_bias_and_factors(backend, kind):
    """Two SGD steps: the frozen base weights stay bit-identical, every bias and factor moves, and the loss
    is the mean squared error of the reference forward pass."""
    x, y = _train_data(kind)
    m = _model(kshim, kind)
    ws = _rand_weights(m, 6)
    m.set_weights(ws)
    m.compile(kshim.optimizers.SGD(0.1), "mse")
    # the first step's loss is computed on the initial weights: check it against the reference
    # (lora_alpha = lora_rank = 2, so each effective weight is base + a @ b; float32 sums: rtol 1e-5)
    names = [w.path.split("/")[-1] for w in m.weights]
    first = float(N(m.train_on_batch(x[:4], y[:4])))
    head = ws[-4:]                      # Dense(2): kernel, bias, lora a, lora b
    if kind == "embedding":
        h = _numpy_forward("embedding", ws[:3], 2.0, 2, x[:4])[0].mean(axis=1)
    else:
        base = ws[0] + ws[2] @ ws[3]
        h = (np.einsum("abc,cd->abd", x[:4], base) + ws[1]).reshape(4, -1)
    dense_eff = head[0] + head[2] @ head[3]
    pred = h @ dense_eff + head[1]
    np.testing.assert_allclose(first, np.mean((pred - y[:4]) ** 2), rtol=1e-5)
    m.train_on_batch(x[4:], y[4:])
    for name, w0, w1 in zip(names, ws, m.get_weights()):
        if name in ("kernel", "embeddings"):
            np.testing.assert_array_equal(w1, w0)
        else:
            assert not np.allclose(w1, w0), name


def test_without_lora_nothing_changes(backend):
    d = kshim.layers.Dense(3, lora_rank=None)
    d.build((None, 4))
    assert d.kernel is d.weights[0] and not d.lora_enabled  # the property gives the variable itself
    assert "lora_rank" not in d.get_config()
    z = kshim.layers.Embedding(5, 2, lora_rank=0)  # rank 0 means "no LoRA", as in Keras
    z.build()
    assert not z.lora_enabled and len(z.weights) == 1 and z.embeddings is z.weights[0]
    assert "lora_rank" not in z.get_config()


def test_rank_zero_config_matches_keras(backend):
    assert "lora_rank" not in keras.layers.Embedding(5, 2, lora_rank=0).get_config()


@pytest.mark.parametrize("kind", ["dense", "embedding"])
def test_constructor_lora_alpha_is_kept(backend, kind):
    """Deliberate difference: Keras 3.15's Dense and Embedding reset a constructor ``lora_alpha`` to the rank
    when they build (EinsumDense keeps it); kshim keeps it for all three."""
    kl = _layer(keras, kind, lora_rank=2, lora_alpha=8)
    kl.build(_shape(kind))
    assert kl.lora_alpha == 2  # Keras' behaviour, which kshim does not copy
    ke = _layer(keras, "einsum", lora_rank=2, lora_alpha=8)
    ke.build(_shape("einsum"))
    assert ke.lora_alpha == 8
    layer = _layer(kshim, kind, lora_rank=2, lora_alpha=8)
    layer.build(_shape(kind))
    assert layer.lora_alpha == 8 and layer.get_config()["lora_alpha"] == 8
    ws = _rand_weights(layer, 3)
    layer.set_weights(ws)
    eff = layer.embeddings if kind == "embedding" else layer.kernel
    np.testing.assert_allclose(N(eff), ws[0] + 4.0 * (ws[-2] @ ws[-1]), **TOL)


def _regularized_lora_dense():
    """A kshim Dense with an L2 kernel regularizer and LoRA (factors initialised to ones), with the weights
    and the sorted regularization losses of the same layer in Keras."""
    def run():
        kd = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.1))
        kd.build((None, 4))
        kd.enable_lora(2, a_initializer="ones", b_initializer="ones")
        ws = _rand_weights(kd, 4)
        kd.set_weights(ws)
        kd(np.zeros((1, 4), "float32"))
        return ws, sorted(float(v) for v in kd.losses)
    ws, klosses = cached("reg", run)
    d = kshim.layers.Dense(3, kernel_regularizer=kshim.regularizers.L2(0.1))
    d.build((None, 4))
    d.enable_lora(2, a_initializer="ones", b_initializer="ones")
    return d, ws, klosses


def test_factor_initializers_and_regularizer_losses(backend):
    d, ws, klosses = _regularized_lora_dense()
    assert len(klosses) == 2  # Keras regularizes trainable weights only: the factors, not the frozen kernel
    np.testing.assert_array_equal(N(d.lora_kernel_a), np.ones((4, 2)))
    np.testing.assert_array_equal(N(d.lora_kernel_b), np.ones((2, 3)))
    d.set_weights(ws)
    d(np.zeros((1, 4), "float32"))
    # the kernel regularizer also applies to both factors
    penalties = {round(float(N(v)), 6) for v in d.losses}
    assert {round(v, 6) for v in klosses} <= penalties


def test_frozen_kernel_is_not_regularized(backend):
    d, ws, klosses = _regularized_lora_dense()
    d.set_weights(ws)
    d(np.zeros((1, 4), "float32"))
    np.testing.assert_allclose(sorted(float(N(v)) for v in d.losses), klosses, rtol=1e-5)


def test_a_frozen_layer_adds_no_weight_penalty(backend):
    """Keras regularizes ``trainable_weights`` only: ``trainable=False`` drops the layer's penalties."""
    d = kshim.layers.Dense(3, kernel_regularizer="l2", bias_regularizer="l1")
    d(np.ones((1, 4), "float32"))
    assert len(d.losses) == 2
    d.trainable = False
    assert d.losses == []
    model = kshim.Sequential([kshim.Input((4,)), d])
    assert model.losses == []


def test_default_factor_init_keeps_output(backend):
    """Right after ``enable_lora`` (b = zeros) the layer computes what it computed before."""
    x = _input("einsum")
    e = _layer(kshim, "einsum")
    y0 = N(e(x))
    e.enable_lora(2)
    assert (e.lora_rank, e.lora_alpha) == (2, 2)
    np.testing.assert_array_equal(N(e.lora_kernel_b), np.zeros((2, 3)))
    assert np.any(N(e.lora_kernel_a) != 0)
    np.testing.assert_allclose(N(e(x)), y0, **TOL)


def test_dtypes_mixed_precision_and_float64(backend):
    x = _input("dense")
    d = kshim.layers.Dense(4, dtype="mixed_float16", lora_rank=2)
    y = d(x)
    kd = keras.layers.Dense(4, dtype="mixed_float16", lora_rank=2)
    kd.build((None, 5))
    assert [w.dtype for w in d.weights] == [w.dtype for w in kd.weights] == ["float32"] * 4
    assert kshim.ops.dtype(y) == "float16" == str(kd(x).dtype)
    assert kshim.ops.dtype(d.kernel) == "float16" == str(kd.kernel.dtype)  # cast to the compute dtype
    # deliberate difference: a float64 layer gets float64 factors (Keras: float32)
    d64 = kshim.layers.Dense(4, dtype="float64", lora_rank=2)
    d64.build((None, 5))
    assert [w.dtype for w in d64.weights] == ["float64"] * 4
    assert kshim.ops.dtype(d64(x.astype("float64"))) == "float64"


def test_dtypes_without_keras(backend):
    """The kshim half of the test above: float32 variables and float16 compute under ``mixed_float16``;
    float64 factors for a float64 layer."""
    x = _input("dense")
    d = kshim.layers.Dense(4, dtype="mixed_float16", lora_rank=2)
    y = d(x)
    assert [w.dtype for w in d.weights] == ["float32"] * 4
    assert kshim.ops.dtype(y) == "float16" and kshim.ops.dtype(d.kernel) == "float16"
    d64 = kshim.layers.Dense(4, dtype="float64", lora_rank=2)
    d64.build((None, 5))
    assert [w.dtype for w in d64.weights] == ["float64"] * 4
    assert kshim.ops.dtype(d64(x.astype("float64"))) == "float64"


def test_mixed_precision_weights_file_keeps_float32(backend):
    """Deliberate difference: under ``mixed_float16`` kshim saves the merged kernel at the variable's float32
    precision (Keras merges in float16 and saves the rounded kernel)."""
    d = kshim.layers.Dense(4, dtype="mixed_float16", lora_rank=2)
    d.build((None, 5))
    ws = _rand_weights(d, 12)
    d.set_weights(ws)
    store: dict = {}
    d.save_own_variables(store)
    assert store["0"].dtype == np.float32
    np.testing.assert_allclose(store["0"], ws[0] + ws[2] @ ws[3], rtol=1e-6, atol=1e-6)
    assert np.abs(store["0"] - (ws[0] + ws[2] @ ws[3]).astype("float16")).max() > 1e-5  # not float16-rounded


# ---- training ---------------------------------------------------------------------------------------------------
def _model(mod, kind):
    L = mod.layers
    if kind == "embedding":
        inp = L.Input((3,), dtype="int32")
        h = L.Embedding(7, 4, lora_rank=2)(inp)
        h = L.GlobalAveragePooling1D()(h)
    else:
        inp = L.Input((3, 5))
        h = L.EinsumDense("abc,cd->abd", (3, 4), bias_axes="d", lora_rank=2)(inp) if kind == "einsum" else inp
        h = L.Flatten()(h)
    out = L.Dense(2, lora_rank=2)(h)
    return mod.Model(inp, out)


def _train_data(kind):
    r = np.random.default_rng(5)
    if kind == "embedding":
        x = r.integers(0, 7, (8, 3)).astype("int32")
    else:
        x = r.standard_normal((8, 3, 5)).astype("float32")
    return x, r.standard_normal((8, 2)).astype("float32")


@pytest.mark.parametrize("kind", ["einsum", "embedding"])
def test_fit_trains_only_the_factors_like_keras(backend, kind):
    x, y = _train_data(kind)

    def run():
        km = _model(keras, kind)
        ws = _rand_weights(km, 6)
        km.set_weights(ws)
        km.compile(keras.optimizers.SGD(0.1), "mse")
        losses = [float(km.train_on_batch(x[:4], y[:4])), float(km.train_on_batch(x[4:], y[4:]))]
        return ws, [np.asarray(w) for w in km.get_weights()], losses, \
            [w.path.split("/")[-1] for w in km.trainable_weights]
    ws, kafter, klosses, ktrainable = cached(("fit", kind), run)
    m = _model(kshim, kind)
    m.set_weights(ws)
    assert [w.path.split("/")[-1] for w in m.trainable_weights] == ktrainable
    m.compile(kshim.optimizers.SGD(0.1), "mse")
    losses = [float(N(m.train_on_batch(x[:4], y[:4]))), float(N(m.train_on_batch(x[4:], y[4:])))]
    np.testing.assert_allclose(losses, klosses, **TOL)
    after = m.get_weights()
    for a, b in zip(after, kafter):
        np.testing.assert_allclose(a, b, **TOL)
    names = [w.path.split("/")[-1] for w in m.weights]
    for name, w0, w1 in zip(names, ws, after):
        if name in ("kernel", "embeddings"):
            np.testing.assert_array_equal(w1, w0)  # the frozen base weights do not move
        else:
            assert not np.allclose(w1, w0), name  # bias and both factors train
    hist = m.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    for name, w0, w1 in zip(names, ws, m.get_weights()):
        if name in ("kernel", "embeddings"):
            np.testing.assert_array_equal(w1, w0)


# ---- config ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_config_roundtrip_both_ways(backend, kind):
    layer = _built(kshim, kind, "enable")
    cfg = layer.get_config()
    assert (cfg["lora_rank"], cfg["lora_alpha"]) == (3, 6.0)
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg and not clone.lora_enabled  # enabled when built
    clone.build(_shape(kind))
    assert clone.lora_enabled and [w.path.split("/")[-1] for w in clone.weights][-2:] == list(FACTORS[kind])

    # Keras reads kshim's config and kshim reads Keras' back (needs Keras)
    kclone = getattr(keras.layers, type(layer).__name__).from_config(cfg)
    assert (kclone.lora_rank, kclone.lora_alpha) == (3, 6.0)
    back = type(layer).from_config(kclone.get_config())
    assert (back.lora_rank, back.lora_alpha) == (3, 6.0)


# ---- weights files: the merged base weight, as Keras writes it ------------------------------------------------
def _h5(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, np.asarray(o)) if isinstance(o, h5py.Dataset) else None)
    return out


def _seq(mod, kind):
    shape = _shape(kind)[1:] if _shape(kind) else (3,)
    inp = mod.layers.Input(shape, dtype="int32" if kind == "embedding" else None)
    return mod.Model(inp, _layer(mod, kind, lora_rank=2)(inp))


@pytest.mark.parametrize("kind", KINDS)
def test_keras_files_move_both_ways(backend, kind, tmp_path):
    x = _input(kind)

    def run():
        km = _seq(keras, kind)
        ws = _rand_weights(km, 7)
        km.set_weights(ws)
        kpath = str(tmp_path.parent / f"lora_{kind}_{os.getpid()}.keras")
        km.save(kpath)
        kw = str(tmp_path.parent / f"lora_{kind}_{os.getpid()}.weights.h5")
        km.save_weights(kw)
        return ws, np.asarray(km(x)), kpath, _h5(kw), kw
    ws, ky, kpath, kh5, kw = cached(("file", kind), run)
    m = _seq(kshim, kind)
    m.set_weights(ws)
    y = N(m(x))
    np.testing.assert_allclose(y, ky, **TOL)

    # kshim writes Keras' layout: merged base weight and bias only, no factors
    mw = str(tmp_path / "m.weights.h5")
    m.save_weights(mw)
    mh5 = _h5(mw)
    assert sorted(mh5) == sorted(kh5)
    assert len([k for k in mh5 if "/vars/" in k]) == (1 if kind == "embedding" else 2)
    for key in kh5:
        np.testing.assert_allclose(mh5[key], kh5[key], **TOL)

    # kshim's .keras loads in kshim and in Keras; Keras' loads in kshim; all compute the same
    path = str(tmp_path / "m.keras")
    m.save(path)
    for loaded in (kshim.saving.load_model(path), kshim.saving.load_model(kpath)):
        lyr = loaded.layers[-1]
        assert lyr.lora_enabled and lyr.lora_rank == 2
        np.testing.assert_allclose(N(loaded(x)), ky, **TOL)
        for name in FACTORS[kind]:  # loading zeroes the factors (the file holds the merged weight)
            np.testing.assert_array_equal(N(getattr(lyr, name)), 0)
        base = lyr.weights[0]
        assert not base.trainable
        np.testing.assert_allclose(N(base), kh5[sorted(k for k in kh5 if k.endswith("vars/0"))[0]], **TOL)
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), ky, **TOL)

    # .weights.h5 both ways
    fresh = _seq(kshim, kind)
    fresh.load_weights(kw)
    np.testing.assert_allclose(N(fresh(x)), ky, **TOL)
    kfresh = _seq(keras, kind)
    kfresh.load_weights(mw)
    np.testing.assert_allclose(np.asarray(kfresh(x)), ky, **TOL)


def test_save_and_load_own_variables_like_keras(backend):
    def run():
        kd = _built(keras, "dense", "enable")
        ws = _rand_weights(kd, 8)
        kd.set_weights(ws)
        store: dict = {}
        kd.save_own_variables(store)
        plain = keras.layers.Dense(4)
        plain.build((None, 5))
        try:
            plain.load_own_variables({"0": ws[0]})
            err = None
        except ValueError as e:
            err = str(e)
        return ws, {k: np.asarray(v) for k, v in store.items()}, err
    ws, kstore, kerr = cached("own", run)
    d = _built(kshim, "dense", "enable")
    d.set_weights(ws)
    store: dict = {}
    d.save_own_variables(store)
    assert sorted(store) == sorted(kstore) == ["0", "1"]
    for key in kstore:
        np.testing.assert_allclose(store[key], kstore[key], **TOL)
    other = _built(kshim, "dense", "enable")
    other.load_own_variables(store)
    np.testing.assert_allclose(N(other.kernel), kstore["0"], **TOL)
    np.testing.assert_array_equal(N(other.lora_kernel_a), 0)
    np.testing.assert_array_equal(N(other.lora_kernel_b), 0)
    plain = kshim.layers.Dense(4)
    plain.build((None, 5))
    assert kerr is not None and "expected 2 variables" in kerr
    with pytest.raises(ValueError, match="expected 2 variables"):
        plain.load_own_variables({"0": ws[0]})


# ---- errors ---------------------------------------------------------------------------------------------------
def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e), str(e)
    return None


def _unbuilt_enable(mod, kind):
    return lambda: _layer(mod, kind).enable_lora(2)


def _twice(mod, kind):
    def fn():
        layer = _layer(mod, kind, lora_rank=2)
        layer.build(_shape(kind))
        layer.enable_lora(2)
    return fn


def _constraint(mod, kind, ctor):
    def fn():
        key = "embeddings_constraint" if kind == "embedding" else "kernel_constraint"
        layer = _layer(mod, kind, **{key: "non_neg"}, **({"lora_rank": 2} if ctor else {}))
        layer.build(_shape(kind))
        layer.enable_lora(2)
    return fn


def _early_kernel(mod, kind):
    return lambda: getattr(_layer(mod, kind), "embeddings" if kind == "embedding" else "kernel")


@pytest.mark.parametrize("case", ["unbuilt", "twice", "constraint", "constraint_ctor", "early_access"])
@pytest.mark.parametrize("kind", KINDS)
def test_errors_match_keras(backend, kind, case):
    make = {"unbuilt": _unbuilt_enable, "twice": _twice, "early_access": _early_kernel,
            "constraint": lambda mod, k: _constraint(mod, k, False),
            "constraint_ctor": lambda mod, k: _constraint(mod, k, True)}[case]
    expected = cached(("err", kind, case), lambda: _error(make(keras, kind)))
    assert expected is not None
    assert _error(make(kshim, kind)) == expected


def test_invalid_rank_is_refused(backend):
    """kshim checks ``rank`` (Keras does not, and a rank of 0 divides by zero in its forward pass)."""
    d = kshim.layers.Dense(2)
    d.build((None, 3))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="rank"):
            d.enable_lora(bad)
    assert not d.lora_enabled and len(d.weights) == 2


def test_keras_file_with_optimizer_state_trains_on_like_keras(backend, tmp_path):
    """A LoRA model Keras trained and saved (Adam state for bias and factors) loads in kshim with the same
    optimizer state, and one more step agrees with Keras' own reload of the file (both start from zero
    factors, so the factors move through Adam's momentum)."""
    x, y = _train_data("einsum")

    def run():
        km = _model(keras, "einsum")
        km.set_weights(_rand_weights(km, 11))
        km.compile(keras.optimizers.Adam(0.01), "mse")
        km.fit(x, y, epochs=2, batch_size=4, verbose=0)
        path = str(tmp_path.parent / f"lora_adam_{os.getpid()}.keras")
        km.save(path)
        kl = keras.saving.load_model(path)
        opt = [np.asarray(v) for v in kl.optimizer.variables]
        loss = float(kl.train_on_batch(x[:4], y[:4]))
        return path, opt, loss, [np.asarray(w) for w in kl.get_weights()]
    path, kopt, kloss, kafter = cached("adam-file", run)
    m = kshim.saving.load_model(path)
    assert len(m.optimizer.variables) == len(kopt)
    for a, b in zip(m.optimizer.variables, kopt):
        np.testing.assert_allclose(N(a), b, rtol=1e-6)
    np.testing.assert_allclose(float(N(m.train_on_batch(x[:4], y[:4]))), kloss, **TOL)
    for a, b in zip(m.get_weights(), kafter):
        np.testing.assert_allclose(a, b, **TOL)

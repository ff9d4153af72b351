"""GroupedQueryAttention (``keras.layers.GroupQueryAttention``) against real Keras 3 (JAX backend).

Keras' layer is given random weights, copied into kshim with ``set_weights``, and outputs/scores are
compared on the same inputs: float32 rtol=atol=2e-5, as for MultiHeadAttention (a few einsums of
<= 8 terms and a softmax; summation-order differences are ~1e-7 relative, structural errors
such as a wrong head grouping, mask or scale are > 1e-2).
"""
from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim import ops  # noqa: E402

from ._numpy_refs_b import gqa_reference, weights_by_path  # noqa: E402
from ._util import installed_backends  # noqa: E402
from .keras_oracle import _norm_cfg  # noqa: E402

TOL = dict(rtol=2e-5, atol=2e-5)
_CACHE: dict = {}
Q, V = (2, 5, 8), (2, 6, 8)


def N(x):
    return np.asarray(ops.convert_to_numpy(x))


def cached(key, fn):
    """Keras results do not depend on the kshim backend: compute them once per process."""
    if key not in _CACHE:
        _CACHE[key] = fn()
    return _CACHE[key]


def rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


CASES = {
    "gqa": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), {}),
    "mqa_gate": (dict(head_dim=3, num_query_heads=4, num_key_value_heads=1, use_gate=True), {}),
    "mha_no_bias": (dict(head_dim=2, num_query_heads=2, num_key_value_heads=2, use_bias=False), {}),
    "causal": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2), dict(use_causal_mask=True)),
    "window_mask": (dict(head_dim=4, num_query_heads=2, num_key_value_heads=1, sliding_window=2),
                    dict(attention_mask="random")),
    "dropout_scores": (dict(head_dim=4, num_query_heads=4, num_key_value_heads=2, dropout=0.3, seed=1),
                       dict(return_attention_scores=True)),
    "key_scores_causal": (dict(head_dim=4, num_query_heads=6, num_key_value_heads=3),
                          dict(key=True, return_attention_scores=True, use_causal_mask=True)),
}


def _call_kwargs(spec, seed):
    kw = dict(spec)
    if kw.pop("key", False):
        kw["key"] = rand((2, 6, 5), seed + 2)
    if kw.get("attention_mask") == "random":
        mask = np.random.default_rng(seed + 3).random((2, 5, 6)) > 0.4
        mask[..., 0] = True
        kw["attention_mask"] = mask
    return kw


@pytest.mark.parametrize("case", list(CASES))
def test_gqa_matches_keras(backend, case):
    kwargs, spec = CASES[case]
    q, v = rand(Q, 0), rand(V, 1)
    call_kw = _call_kwargs(spec, 0)

    def keras_side():
        k = keras.layers.GroupQueryAttention(**{"kernel_initializer": "zeros", **kwargs}, name="gqa")
        k(q, v, key=call_kw.get("key"))
        rng = np.random.default_rng(5)
        ws = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in k.get_weights()]
        k.set_weights(ws)
        out = k(q, v, **call_kw)
        out = [np.asarray(o) for o in out] if isinstance(out, tuple) else [np.asarray(out)]
        return ws, out, [w.name for w in k.weights], [sub.name for sub in k._layers if sub.weights], k.get_config()
    ws, kout, knames, ksub, kcfg = cached(case, keras_side)
    s = L.GroupQueryAttention(**{"kernel_initializer": "zeros", **kwargs}, name="gqa")
    s(q, v, key=call_kw.get("key"))
    assert [w.name for w in s.weights] == knames
    assert [sub.name for sub in s.layers if sub.weights] == ksub
    s.set_weights(ws)
    out = s(q, v, **call_kw)
    out = list(out) if isinstance(out, tuple) else [out]
    assert len(out) == len(kout)
    for a, b in zip(out, kout):
        assert N(a).shape == b.shape
        np.testing.assert_allclose(N(a), b, **TOL)
    assert _norm_cfg(s.get_config()) == _norm_cfg(kcfg)


@pytest.mark.parametrize("case", list(CASES))
def test_gqa_matches_numpy_reference(backend, case):
    """The same cases in float64 against a NumPy reference (head grouping by ``np.repeat``, masks,
    gate by hand): rtol=atol=1e-12, the same float64 math in another order (~1e-15 relative), while
    a wrong grouping, mask or scale is off by >1e-2. Dropout is the identity when not training."""
    kwargs, spec = CASES[case]
    q, v = rand(Q, 0).astype("float64"), rand(V, 1).astype("float64")
    call_kw = {k: (val.astype("float64") if k == "key" else val) for k, val in _call_kwargs(spec, 0).items()}
    s = L.GroupQueryAttention(**kwargs, dtype="float64")
    s(q, v, key=call_kw.get("key"))
    rng = np.random.default_rng(5)
    s.set_weights([rng.standard_normal(w.shape) * 0.5 for w in s.get_weights()])
    ref, ref_scores = gqa_reference(weights_by_path(s), q, v, call_kw.get("key"), kwargs["head_dim"],
                                    kwargs["num_query_heads"], kwargs["num_key_value_heads"],
                                    mask=call_kw.get("attention_mask"),
                                    use_causal_mask=call_kw.get("use_causal_mask", False),
                                    sliding_window=kwargs.get("sliding_window"), use_gate=kwargs.get("use_gate", False))
    tol = dict(rtol=1e-12, atol=1e-12)
    out = s(q, v, **call_kw)
    if call_kw.get("return_attention_scores"):
        np.testing.assert_allclose(N(out[0]), ref, **tol)
        np.testing.assert_allclose(N(out[1]), ref_scores, **tol)
        out = out[0]
    np.testing.assert_allclose(N(out), ref, **tol)
    plain = {k: val for k, val in call_kw.items() if k != "return_attention_scores"}
    np.testing.assert_allclose(N(s(q, v, **plain)), ref, **tol)
    cfg = s.get_config()
    assert L.GroupQueryAttention.from_config(cfg).get_config() == cfg


CONFIG_KW = dict(head_dim=2, num_query_heads=4, num_key_value_heads=2, dropout=0.1, use_bias=False, sliding_window=3,
                 kernel_initializer="he_normal", bias_initializer="ones", kernel_regularizer="l2",
                 activity_regularizer="l1", bias_constraint="non_neg", use_gate=True, seed=4)


def test_gqa_config_matches_keras(backend):
    k = keras.layers.GroupQueryAttention(**CONFIG_KW, name="g")
    assert _norm_cfg(L.GroupQueryAttention(**CONFIG_KW, name="g").get_config()) == _norm_cfg(k.get_config())


def test_gqa_config_shapes_and_errors(backend):
    kw = CONFIG_KW
    s = L.GroupQueryAttention(**kw, name="g")
    clone = L.GroupQueryAttention.from_config(s.get_config())
    assert clone.get_config() == s.get_config()
    assert L.GroupedQueryAttention is L.GroupQueryAttention
    assert L.GroupQueryAttention(2, 2, 1).name.startswith("grouped_query_attention")  # Keras' class name
    assert s.compute_output_shape((None, 5, 8), (None, 6, 8)) == (None, 5, 8)
    with pytest.raises(ValueError, match="last dimension"):
        s.compute_output_shape((None, 5, 8), (None, 6, 7))
    with pytest.raises(ValueError, match="except the last one"):
        s.compute_output_shape((None, 5, 8), (None, 6, 8), (None, 7, 8))
    with pytest.raises(ValueError, match="divisible"):
        L.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        L.GroupQueryAttention(2, 2, 1, sliding_window=0)
    with pytest.raises(ValueError, match="flash attention"):
        L.GroupQueryAttention(2, 2, 1, dropout=0.1, flash_attention=True)
    qi, vi = L.Input((5, 8)), L.Input((6, 8))
    layer = L.GroupQueryAttention(2, 4, 2)
    out, scores = layer(qi, vi, return_attention_scores=True)
    assert tuple(out.shape) == (None, 5, 8) and tuple(scores.shape) == (None, 4, 5, 6)
    assert layer.get_build_config() == {"shapes_dict": {"query_shape": [None, 5, 8], "value_shape": [None, 6, 8]}}


def test_gqa_dropout_same_seed_across_backends_and_inference_identity():
    from kshim import backends
    names = installed_backends()
    q, v = rand(Q, 6), rand(V, 7)
    outs, ws = [], None
    for n in names:
        with kshim.backend.use(backends.get(n)):
            layer = L.GroupQueryAttention(4, 4, 2, dropout=0.5, seed=7)
            plain = L.GroupQueryAttention(4, 4, 2)
            layer(q, v)
            plain(q, v)
            if ws is None:
                ws = layer.get_weights()
            layer.set_weights(ws)
            plain.set_weights(ws)
            train = N(layer(q, v, training=True))
            infer = N(layer(q, v))
            np.testing.assert_allclose(infer, N(plain(q, v)), **TOL)  # no dropout when not training
            assert np.abs(train - infer).max() > 1e-3
            outs.append(train)
    for o in outs[1:]:
        np.testing.assert_allclose(o, outs[0], **TOL)


def _model(mod):
    qi, vi = mod.layers.Input((5, 8)), mod.layers.Input((6, 8))
    h = mod.layers.GroupQueryAttention(4, 4, 2, use_gate=True)(qi, vi)
    return mod.Model([qi, vi], mod.layers.Dense(1)(mod.layers.GlobalAveragePooling1D()(h)))


def _h5_datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o.shape) if isinstance(o, h5py.Dataset) else None)
    return out


def test_gqa_save_load_h5_layout_and_fit(backend, tmp_path):
    x = [rand(Q, 8), rand(V, 9)]

    def keras_side():
        km = _model(keras)
        ws = [rand(w.shape, 10 + i) * 0.5 for i, w in enumerate(km.get_weights())]
        km.set_weights(ws)
        base = tmp_path.parent / f"k_gqa_{os.getpid()}"
        km.save(str(base) + ".keras")
        km.save_weights(str(base) + ".weights.h5")
        return ws, np.asarray(km(x)), str(base)
    ws, ky, kbase = cached("model", keras_side)
    m = _model(kshim)
    m.set_weights(ws)
    y = N(m(x))
    np.testing.assert_allclose(y, ky, **TOL)
    path = str(tmp_path / "g.keras")
    m.save(path)
    np.testing.assert_array_equal(N(kshim.saving.load_model(path)(x)), y)
    m.save_weights(str(tmp_path / "g.weights.h5"))
    assert _h5_datasets(str(tmp_path / "g.weights.h5")) == _h5_datasets(kbase + ".weights.h5")
    np.testing.assert_allclose(N(kshim.saving.load_model(kbase + ".keras")(x)), ky, **TOL)
    m.compile(optimizer=kshim.optimizers.SGD(0.05), loss="mse")
    before = m.get_weights()
    hist = m.fit(x, np.ones((2, 1), "float32"), epochs=1, batch_size=2, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    changed = [not np.allclose(a, b) for a, b in zip(m.get_weights(), before)]
    # every weight trains except the key bias: it adds q.b_k to every score of a query row, which the
    # softmax cancels, so its gradient is exactly zero (also in Keras)
    names = [w.path for w in m.weights]
    assert [n for n, c in zip(names, changed) if not c] == [n for n in names if n.endswith("key/bias")]


def test_gqa_kshim_file_loads_in_keras(tmp_path):
    load_in_keras = keras.saving.load_model  # first: skips before building anything without Keras
    m = _model(kshim)
    path = str(tmp_path / "g.keras")
    m.save(path)
    x = [rand(Q, 8), rand(V, 9)]
    np.testing.assert_allclose(np.asarray(load_in_keras(path)(x)), N(m(x)), **TOL)

"""Merging layers against real Keras 3 (JAX backend).

Element-wise merges are single float32 ops per element and must agree to rounding (rtol=1e-6);
Dot sums over <= 8 products (rtol=1e-5, atol=1e-6, as the normalization tests).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

from kshim import ops  # noqa: E402
from kshim.layers import Input  # noqa: E402
from kshim.layers import merging as M  # noqa: E402
from ._util import same_config
from . import _numpy_refs_a as npref

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)
TOL = dict(rtol=1e-5, atol=1e-6)
NAMES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def arr(*shape):
    return rng.normal(size=shape).astype("float32")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shapes", [[(4, 3, 5), (4, 3, 5)], [(4, 3, 5), (4, 1, 5)], [(4, 3, 5), (4, 5)],
                                    [(4, 1, 5), (4, 3, 1)]], ids=["same", "bcast", "rank", "bcast2"])
def test_elementwise_matches_keras(backend, name, shapes):
    xs = [arr(*s) for s in shapes]
    k = getattr(keras.layers, name)(name="m")
    s = getattr(M, name)(name="m")
    same_config(k, s)
    np.testing.assert_allclose(npy(s(xs)), np.asarray(k(xs)), rtol=1e-6, atol=1e-7)
    sym = s([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    ksym = getattr(keras.layers, name)()([keras.Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == tuple(ksym.shape)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "Subtract"])
def test_three_inputs(backend, name):
    xs = [arr(2, 3), arr(2, 3), arr(2, 3)]
    np.testing.assert_allclose(npy(getattr(M, name)()(xs)), np.asarray(getattr(keras.layers, name)()(xs)),
                               rtol=1e-6, atol=1e-7)


_NP_MERGE = {"Add": lambda xs: sum(xs[1:], xs[0]), "Subtract": lambda xs: xs[0] - xs[1],
             "Multiply": lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0),
             "Average": lambda xs: sum(xs[1:], xs[0]) / len(xs),
             "Maximum": lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs)),
             "Minimum": lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs))}
SHAPES = [[(4, 3, 5), (4, 3, 5)], [(4, 3, 5), (4, 1, 5)], [(4, 3, 5), (4, 5)], [(4, 1, 5), (4, 3, 1)],
          [(2, 3), (2, 3), (2, 3)]]


def _round_trip(layer):
    cfg = layer.get_config()
    assert type(layer).from_config(cfg).get_config() == cfg


ELEMENTWISE_CASES = [(n, s) for s in SHAPES for n in NAMES if not (n == "Subtract" and len(s) != 2)]


@pytest.mark.parametrize("name,shapes", ELEMENTWISE_CASES, ids=[f"{n}-{len(s)}x{s[-1]}" for n, s in ELEMENTWISE_CASES])
def test_elementwise_matches_numpy_reference(backend, name, shapes):
    """NumPy element-wise ops after Keras' rank rule (lower-rank inputs get axes inserted at 1), then
    broadcasting; one float32 op per element and pair, so rtol=1e-6 (the float64 reference rounds
    differently by <= 1 ulp per op)."""
    xs = [arr(*t) for t in shapes]
    layer = getattr(M, name)()
    _round_trip(layer)
    want = _NP_MERGE[name](npref.align_ranks(xs))
    got = npy(layer(xs))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    sym = getattr(M, name)()([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == (None,) + want.shape[1:]


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_matches_numpy_reference(backend, axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 2)], 1: [(2, 3, 4), (2, 1, 4)], 2: [(2, 3, 4), (2, 3, 1), (2, 3, 2)]}[axis]
    xs = [arr(*t) for t in shapes]
    layer = M.Concatenate(axis=axis)
    _round_trip(layer)
    want = np.concatenate(xs, axis=axis)
    np.testing.assert_array_equal(npy(layer(xs)), want)
    sym = M.Concatenate(axis=axis)([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == (None,) + want.shape[1:]


DOT_CASES = [
    (1, False, [(3, 4), (3, 4)]),
    (-1, True, [(3, 4), (3, 4)]),
    (2, False, [(3, 5, 4), (3, 6, 4)]),
    ((1, 2), False, [(3, 5, 4), (3, 6, 5)]),
    ((2, 1), True, [(3, 5, 4), (3, 4, 2)]),
    (1, False, [(3, 4), (3, 4, 2)]),
    ((2, 1), False, [(3, 5, 4), (3, 4)]),
    ((1, 3), False, [(2, 3, 4, 5), (2, 6, 2, 3)]),
]


@pytest.mark.parametrize("axes,normalize,shapes", DOT_CASES)
def test_dot_matches_numpy_reference(backend, axes, normalize, shapes):
    """Per-sample ``np.tensordot`` over the given axes (after L2 normalization when asked); sums of
    <= 6 float32 products, so rtol=1e-5, atol=1e-6 as the module docstring."""
    xs = [arr(*t) for t in shapes]
    layer = M.Dot(axes=axes, normalize=normalize)
    _round_trip(layer)
    want = npref.batch_dot(xs[0], xs[1], axes, normalize)
    got = npy(layer(xs))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL)
    sym = M.Dot(axes=axes)([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == (None,) + want.shape[1:]


@pytest.mark.parametrize("name", ["Add", "Average", "Maximum", "Minimum", "Multiply", "Concatenate"])
def test_masked_merge_matches_numpy_reference(backend, name):
    """Masks given to the merge layers (Keras' rules, no Keras needed): Add, Average and Concatenate
    ignore them for the values; Maximum/Minimum take the extremum over the unmasked inputs (the one
    unmasked input where only one is, the first where none is); Multiply multiplies the unmasked
    factors and gives 0 where all are masked. The output mask is the OR of the input masks
    (Concatenate on a non-feature axis: the masks concatenated)."""
    x0, x1 = arr(2, 5, 3), arr(2, 5, 3)
    m0 = np.array([[1, 1, 0, 0, 1], [1, 0, 1, 0, 0]], bool)
    m1 = np.array([[1, 0, 0, 1, 1], [0, 0, 1, 1, 0]], bool)
    want = {"Add": lambda: x0 + x1, "Average": lambda: (x0 + x1) / 2,
            "Maximum": lambda: npref.masked_extremum(np.maximum, x0, x1, m0, m1),
            "Minimum": lambda: npref.masked_extremum(np.minimum, x0, x1, m0, m1),
            "Multiply": lambda: npref.masked_multiply(x0, x1, m0, m1),
            "Concatenate": lambda: np.concatenate([x0, x1], -1)}[name]()
    layer = getattr(M, name)()
    np.testing.assert_allclose(npy(layer([x0, x1], mask=[m0, m1])), want, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(npy(layer.compute_mask([x0, x1], [m0, m1])), m0 | m1)
    assert layer.compute_mask([x0, x1], None) is None
    cat = M.Concatenate(axis=1)
    np.testing.assert_array_equal(npy(cat.compute_mask([x0, x1], [m0, m1])), np.concatenate([m0, m1], 1))
    # a missing mask counts as all-True
    np.testing.assert_array_equal(npy(cat.compute_mask([x0, x1], [m0, None])),
                                  np.concatenate([m0, np.ones_like(m1)], 1))


def test_errors(backend):
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        M.Subtract()([arr(2, 3)] * 3)
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(3,\).*\(4,\)"):
        M.Add()([arr(2, 3), arr(2, 4)])
    with pytest.raises(ValueError, match="list of inputs"):
        M.Add()(arr(2, 3))
    with pytest.raises(ValueError, match="different batch sizes"):
        M.Add()([arr(2, 3), arr(3, 3)])
    with pytest.raises(ValueError, match="matching shapes"):
        M.Concatenate(axis=1)([arr(2, 3, 4), arr(2, 3, 5)])
    with pytest.raises(ValueError, match="Incompatible input shapes"):
        M.Dot(axes=1)([arr(2, 3), arr(2, 4)])
    with pytest.raises(ValueError, match="two elements"):
        M.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="incompatible shapes"):
        M.Add()([Input(shape=(3,)), Input(shape=(4,))])


@pytest.mark.parametrize("axis", [-1, 1, 2])
def test_concatenate_matches_keras(backend, axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 2)], 1: [(2, 3, 4), (2, 1, 4)], 2: [(2, 3, 4), (2, 3, 1), (2, 3, 2)]}[axis]
    xs = [arr(*t) for t in shapes]
    k = keras.layers.Concatenate(axis=axis, name="c")
    s = M.Concatenate(axis=axis, name="c")
    same_config(k, s)
    np.testing.assert_array_equal(npy(s(xs)), np.asarray(k(xs)))
    sym = M.Concatenate(axis=axis)([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    ksym = keras.layers.Concatenate(axis=axis)([keras.Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == tuple(ksym.shape)
    assert M.concatenate(xs, axis=axis).shape == np.asarray(k(xs)).shape


@pytest.mark.parametrize("axes,normalize,shapes", [
    (1, False, [(3, 4), (3, 4)]),
    (-1, True, [(3, 4), (3, 4)]),
    (2, False, [(3, 5, 4), (3, 6, 4)]),
    ((1, 2), False, [(3, 5, 4), (3, 6, 5)]),
    ((2, 1), True, [(3, 5, 4), (3, 4, 2)]),
    (1, False, [(3, 4), (3, 4, 2)]),
    ((2, 1), False, [(3, 5, 4), (3, 4)]),
    ((1, 3), False, [(2, 3, 4, 5), (2, 6, 2, 3)]),
])
def test_dot_matches_keras(backend, axes, normalize, shapes):
    xs = [arr(*t) for t in shapes]
    k = keras.layers.Dot(axes=axes, normalize=normalize, name="d")
    s = M.Dot(axes=axes, normalize=normalize, name="d")
    same_config(k, s)
    want = np.asarray(k(xs))
    np.testing.assert_allclose(npy(s(xs)), want, **TOL)
    sym = M.Dot(axes=axes)([Input(batch_shape=(None,) + t[1:]) for t in shapes])
    ksym = keras.layers.Dot(axes=axes)([keras.Input(batch_shape=(None,) + t[1:]) for t in shapes])
    assert tuple(sym.shape) == tuple(ksym.shape)


def _keras_masked_model(layer_name, **kw):
    a = keras.Input(shape=(5,), dtype="int32")
    b = keras.Input(shape=(5,), dtype="int32")
    emb = keras.layers.Embedding(10, 3, mask_zero=True, embeddings_initializer="uniform")
    ea, eb = emb(a), emb(b)
    out = getattr(keras.layers, layer_name)(**kw)([ea, eb])
    return keras.Model([a, b], out), emb


@pytest.mark.parametrize("name", ["Add", "Average", "Maximum", "Minimum", "Multiply", "Concatenate"])
def test_masked_merge_matches_keras(backend, name):
    ia = np.array([[1, 2, 0, 0, 3], [4, 0, 5, 0, 0]], np.int32)
    ib = np.array([[2, 0, 0, 1, 1], [0, 0, 3, 3, 0]], np.int32)
    model, emb = _keras_masked_model(name)
    table = emb.get_weights()[0]
    ea, eb = table[ia], table[ib]
    ma, mb = ia != 0, ib != 0
    want = np.asarray(model([ia, ib]))
    layer = getattr(M, name)()
    got = npy(layer([ea, eb], mask=[ma, mb]))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    kl = getattr(keras.layers, name)()
    kmask = kl.compute_mask([ea, eb], [ma, mb])
    np.testing.assert_array_equal(npy(layer.compute_mask([ea, eb], [ma, mb])), np.asarray(kmask))
    assert layer.compute_mask([ea, eb], None) is None
    if name != "Concatenate":
        assert layer.compute_mask([ea, eb], [ma, None]) is None


def test_concatenate_partial_mask_and_dot_mask(backend):
    x1, x2 = arr(2, 3, 4), arr(2, 3, 4)
    m1 = np.array([[1, 0, 1], [0, 0, 1]], bool)
    for axis in (1, -1):
        s = M.Concatenate(axis=axis)
        k = keras.layers.Concatenate(axis=axis)
        np.testing.assert_array_equal(npy(s.compute_mask([x1, x2], [m1, None])),
                                      np.asarray(k.compute_mask([x1, x2], [m1, None])))
    assert M.Dot(axes=2).compute_mask([x1, x2], [m1, m1]) is None


def test_functional_forms(backend):
    xs = [arr(2, 3), arr(2, 3)]
    for fn, ref in [(M.add, np.add), (M.subtract, np.subtract), (M.multiply, np.multiply),
                    (M.maximum, np.maximum), (M.minimum, np.minimum)]:
        np.testing.assert_allclose(npy(fn(xs)), ref(*xs), rtol=1e-6)
    np.testing.assert_allclose(npy(M.average(xs)), (xs[0] + xs[1]) / 2, rtol=1e-6)
    np.testing.assert_allclose(npy(M.dot(xs, axes=1)), (xs[0] * xs[1]).sum(1, keepdims=True), **TOL)


def test_merge_is_subclassable(backend):
    class Diff2(M.Merge):
        def _merge_function(self, inputs):
            return ops.multiply(ops.subtract(inputs[0], inputs[1]), 2.0)
    xs = [arr(2, 3), arr(2, 3)]
    np.testing.assert_allclose(npy(Diff2()(xs)), 2 * (xs[0] - xs[1]), rtol=1e-6)
    assert isinstance(M.Add(), M.Merge) and isinstance(M.Dot(1), M.Merge)

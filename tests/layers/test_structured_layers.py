"""CategoryEncoding and Discretization against real Keras 3 (JAX backend, which runs both without
TensorFlow). Outputs are counts, indicators and bin indices: compared exactly. Discretization's
``adapt`` is compared with Keras' own ``update_state``/``finalize_state`` (its ``adapt`` wrapper
needs TensorFlow only to test for a ``tf.data.Dataset``); both summaries are float32 NumPy, so
the boundaries agree to float32 rounding (rtol=1e-6)."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers import CategoryEncoding, Dense, Discretization, Input  # noqa: E402
from ._util import same_config
from . import _numpy_refs_a as ref

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(0)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


@pytest.mark.parametrize("mode,data", [
    ("multi_hot", np.array([[0, 1, 1], [3, 2, 2]])), ("count", np.array([[0, 1, 1], [3, 2, 2]])),
    ("one_hot", np.array([[1], [2], [0]])), ("one_hot", np.array([1, 3, 0])), ("multi_hot", np.array([1, 2])),
    ("count", np.array([3, 3, 1])), ("binary", np.array([[0, 3], [3, 3]])),
])
def test_category_encoding_matches_keras(backend, mode, data):
    k = keras.layers.CategoryEncoding(num_tokens=4, output_mode=mode, name="c")
    s = CategoryEncoding(num_tokens=4, output_mode=mode, name="c")
    same_config(k, s)
    want = np.asarray(k(data))
    got = s(data)
    assert ops.dtype(got) == str(want.dtype)
    np.testing.assert_array_equal(npy(got), want)
    np.testing.assert_array_equal(npy(s(ops.convert_to_tensor(data))), want)
    spec = s(Input(shape=data.shape[1:], dtype="int32"))
    assert tuple(spec.shape) == tuple(k.compute_output_shape((None,) + data.shape[1:]))


def _encode_reference(data, mode, depth, weights=None):
    """CategoryEncoding by definition: one_hot appends (or replaces a trailing 1-sized) axis of
    indicators; multi_hot/count reduce the last axis to presence flags / (weighted) counts; a 1-D
    input is one sample for multi_hot and count ("binary" is Keras' old name of multi_hot)."""
    data = np.asarray(data)
    if mode == "one_hot":
        if data.ndim > 1 and data.shape[-1] == 1:
            data = data[..., 0]
        return np.eye(depth)[data]
    hot = np.eye(depth)[data]  # (..., n, depth)
    if weights is not None:
        hot = hot * np.asarray(weights, np.float64)[..., None]
    counts = hot.sum(-2)
    return counts if mode == "count" else (counts > 0).astype("float64")


@pytest.mark.parametrize("mode,data", [
    ("multi_hot", np.array([[0, 1, 1], [3, 2, 2]])), ("count", np.array([[0, 1, 1], [3, 2, 2]])),
    ("one_hot", np.array([[1], [2], [0]])), ("one_hot", np.array([1, 3, 0])), ("multi_hot", np.array([1, 2])),
    ("count", np.array([3, 3, 1])), ("binary", np.array([[0, 3], [3, 3]])), ("one_hot", np.array([[0, 3], [2, 1]])),
])
def test_category_encoding_matches_numpy_reference(backend, mode, data):
    """Counts and indicators are small integers in float32: compared exactly."""
    s = CategoryEncoding(num_tokens=4, output_mode=mode)
    want = _encode_reference(data, mode, 4)
    got = s(data)
    assert ops.dtype(got) == "float32"
    np.testing.assert_array_equal(npy(got), want)
    if data.ndim > 1 or mode == "one_hot":  # (a 1-D multi_hot/count input is one sample, not a batch)
        spec = s(Input(shape=data.shape[1:], dtype="int32"))
        assert tuple(spec.shape) == (None,) + want.shape[1:]
    cfg = s.get_config()
    assert CategoryEncoding.from_config(cfg).get_config() == cfg


def test_category_encoding_count_weights_numpy_reference(backend):
    x, w = np.array([[0, 1, 1], [2, 2, 0]]), np.array([[0.5, 1.0, 2.0], [1.5, 0.25, 1.0]])
    got = CategoryEncoding(num_tokens=3, output_mode="count", dtype="float64")(x, count_weights=w)
    assert ops.dtype(got) == "float64"
    np.testing.assert_allclose(npy(got), _encode_reference(x, "count", 3, w), rtol=1e-12)  # float64 sums of 3


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_boundaries_numpy_reference(backend, mode):
    """Bin ``i`` holds ``[b[i-1], b[i])`` (``np.searchsorted(..., side="right")``), then the chosen
    encoding of the bin indices over ``len(boundaries) + 1`` tokens (exact)."""
    bounds = [-1.0, 0.0, 1.0, 2.0]
    x = np.array([[-1.5, -1.0, 0.0, 1.0, 3.4], [0.5, 2.0, -3.0, 1.5, 1.999]], dtype="float32")
    if mode == "one_hot":
        x = x[:, :1]
    s = Discretization(bin_boundaries=bounds, output_mode=mode)
    idx = ref.bin_index(x, bounds)
    want = idx if mode == "int" else _encode_reference(idx, mode, len(bounds) + 1)
    got = s(x)
    assert ops.dtype(got) == ("int32" if mode == "int" else "float32")
    np.testing.assert_array_equal(npy(got), want)
    cfg = s.get_config()
    assert Discretization.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("batches", [1, 3])
def test_discretization_adapt_quantiles_numpy_reference(backend, batches):
    """adapt() places the ``num_bins - 1`` boundaries at approximate quantiles: with the layer's
    ``epsilon`` rank error, the fraction of the data below boundary ``i`` is ``i / num_bins`` within
    ``epsilon`` plus one sample (1/600), and the boundaries are increasing."""
    data = np.random.default_rng(30).normal(size=(300, 2)).astype("float32")
    s = Discretization(num_bins=5, epsilon=0.01)
    s.adapt(np.array_split(data, batches) if batches > 1 else data)
    b = np.asarray(s.bin_boundaries)
    assert b.shape == (4,) and np.all(np.diff(b) > 0)
    frac = np.array([(data <= v).mean() for v in b])
    np.testing.assert_allclose(frac, [0.2, 0.4, 0.6, 0.8], atol=0.01 + 1 / data.size)
    x = np.random.default_rng(31).normal(size=(6, 2)).astype("float32")
    np.testing.assert_array_equal(npy(s(x)), ref.bin_index(x, s.bin_boundaries))


def test_category_encoding_count_weights_dtype_and_errors(backend):
    k = keras.layers.CategoryEncoding(num_tokens=3, output_mode="count", dtype="float64")
    s = CategoryEncoding(num_tokens=3, output_mode="count", dtype="float64")
    x, w = np.array([[0, 1, 1], [2, 2, 0]]), np.array([[0.5, 1.0, 2.0], [1.5, 0.25, 1.0]])
    want = np.asarray(k(x, count_weights=w))
    got = s(x, count_weights=w)
    assert ops.dtype(got) == "float64"
    np.testing.assert_allclose(npy(got), want, rtol=1e-12)  # sums of three float64 products
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(num_tokens=3, output_mode="multi_hot")(x, count_weights=w)
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match=">= 1"):
        CategoryEncoding(num_tokens=0)
    with pytest.raises(ValueError, match="output_mode"):
        CategoryEncoding(num_tokens=3, output_mode="int")


@pytest.mark.parametrize("kw", [dict(bin_boundaries=[0.0, 1.0, 2.0]), dict(bin_boundaries=[-1.0, 0.5],
                                                                        output_mode="one_hot"),
                                dict(bin_boundaries=[0.0, 1.0, 2.0], output_mode="multi_hot"),
                                dict(bin_boundaries=[0.0, 1.0, 2.0], output_mode="count")])
def test_discretization_boundaries_match_keras(backend, kw):
    k = keras.layers.Discretization(name="d", **kw)
    s = Discretization(name="d", **kw)
    same_config(k, s)
    x = np.array([[-1.5, 0.0, 1.0, 3.4], [0.5, 2.0, -3.0, 1.5]], dtype="float32")
    if kw.get("output_mode") == "one_hot":
        x = x[:, :1]
    want = np.asarray(k(x))
    got = s(x)
    assert ops.dtype(got) == str(want.dtype)
    np.testing.assert_array_equal(npy(got), want)
    spec = s(Input(shape=x.shape[1:]))
    assert tuple(spec.shape) == tuple(k.compute_output_shape((None,) + x.shape[1:]))
    assert spec.dtype == ("int32" if kw.get("output_mode", "int") == "int" else "float32")


@pytest.mark.parametrize("batches", [1, 3])
def test_discretization_adapt_matches_keras(backend, batches):
    data = rng.normal(size=(300, 2)).astype("float32")
    parts = np.array_split(data, batches)
    k = keras.layers.Discretization(num_bins=5, epsilon=0.01, name="d")
    k.reset_state()
    for p in parts:
        k.update_state(p)
    k.finalize_state()
    s = Discretization(num_bins=5, epsilon=0.01, name="d")
    s.adapt(parts if batches > 1 else data)
    assert len(s.bin_boundaries) == 4
    np.testing.assert_allclose(s.bin_boundaries, k.bin_boundaries, rtol=1e-6)
    x = rng.normal(size=(6, 2)).astype("float32")
    np.testing.assert_array_equal(npy(s(x)), np.asarray(k(x)))
    cfg = s.get_config()
    assert cfg["num_bins"] == 5 and cfg["bin_boundaries"] == s.bin_boundaries
    back = Discretization.from_config(cfg)
    assert back.bin_boundaries == s.bin_boundaries


def test_discretization_errors(backend):
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="should not be set"):
        Discretization(bin_boundaries=[1.0], num_bins=3)
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Discretization(num_bins=-1)
    with pytest.raises(ValueError, match="Cannot adapt"):
        Discretization(bin_boundaries=[1.0]).adapt(np.ones(3))
    with pytest.raises(ValueError, match="adapt"):
        Discretization(num_bins=3)(np.ones(3))
    with pytest.raises(ValueError, match="sparse"):
        Discretization(bin_boundaries=[1.0], output_mode="count", sparse=True)


def test_structured_layers_train_jitted_and_round_trip(backend, tmp_path):
    """Both layers are built from kshim.ops, so they run inside the (jitted, on JAX) train step."""
    kshim.utils.set_random_seed(1)
    cat_in, num_in = Input(shape=(2,), dtype="int32"), Input(shape=(1,))
    enc = CategoryEncoding(num_tokens=5, output_mode="multi_hot")(cat_in)
    bins = Discretization(bin_boundaries=[-0.5, 0.0, 0.5], output_mode="one_hot")(num_in)
    y = Dense(1)(kshim.layers.Concatenate()([enc, bins]))
    model = kshim.Model([cat_in, num_in], y)
    model.compile(optimizer="sgd", loss="mse")
    assert model._use_jit() == backend.supports_jit
    xc = rng.integers(0, 5, size=(32, 2)).astype("int32")
    xn = rng.normal(size=(32, 1)).astype("float32")
    target = (xc[:, :1] == 2).astype("float32") + (xn > 0)
    hist = model.fit([xc, xn], target, epochs=8, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    path = os.path.join(tmp_path, "structured.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path)
    np.testing.assert_array_equal(npy(loaded.predict([xc, xn], verbose=0)), npy(model.predict([xc, xn], verbose=0)))

"""The colour/mixing layers inside models: ``fit`` on every backend (the seed state advances through
the jitted step), inference without augmentation, ``.keras`` round trips in both directions with
real Keras 3, and ``run_on_numpy`` for data pipelines.

Tolerances: inference outputs after a round trip are the same computation on the same weights
(equality); across libraries a Dense on 0..255 inputs, rtol=1e-5/atol=1e-4.
"""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

import kshim
from kshim.layers import preprocessing as P

from .test_image_color_helpers import images, keras, npy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _model(lib, *aug):
    inp = lib.Input((9, 7, 3))
    x = inp
    for layer in aug:
        x = layer(x)
    x = lib.layers.Rescaling(1 / 255.0)(x)
    x = lib.layers.Flatten()(x)
    out = lib.layers.Dense(2, name="head")(x)
    return lib.Model(inp, out)


def _augs(lib):
    L = lib.layers
    return [L.RandomContrast(0.3, seed=1), L.RandomSharpness(0.4, seed=2), L.Pipeline([L.RandomHue(0.2, seed=3),
            L.RandomGaussianBlur(0.5, seed=4)], name="pipe"), L.AutoContrast(), L.RandAugment(num_ops=1, seed=5)]


def test_fit_trains_and_advances_the_augmentation_seeds(backend):
    L = kshim.layers  # two random layers, one of them choosing its op by a traced index (cond under jit)
    m = _model(kshim, L.RandomContrast(0.3, seed=1), L.AutoContrast(), L.RandAugment(num_ops=1, seed=5))
    gens = [layer.seed_generator for layer in m.layers if getattr(layer, "seed", None) is not None]
    before = [npy(g.state.value).copy() for g in gens]
    x = images((8, 9, 7, 3))
    y = np.random.default_rng(0).standard_normal((8, 2)).astype("float32")
    w0 = m.get_layer("head").get_weights()[0].copy()
    m.compile(optimizer="sgd", loss="mse")
    hist = m.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert np.all(np.isfinite(hist.history["loss"]))
    assert not np.allclose(m.get_layer("head").get_weights()[0], w0)
    after = [npy(g.state.value) for g in gens]
    assert all(a[1] > b[1] for a, b in zip(after, before)), (before, after)  # re-drawn on every step
    # At inference the augmentations are off (AutoContrast is deterministic and always on, as in Keras).
    plain = _model(kshim, P.AutoContrast())
    plain.get_layer("head").set_weights(m.get_layer("head").get_weights())
    np.testing.assert_allclose(m.predict(x, verbose=0), plain.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def _saved(tmp_path):
    """A kshim model with colour/mixing layers, saved as ``.keras``: (model, path)."""
    m = _model(kshim, *_augs(kshim))
    path = str(tmp_path / "m.keras")
    m.save(path)
    return m, path


def test_keras_file_round_trip(backend, tmp_path):
    x = images((3, 9, 7, 3))
    m, path = _saved(tmp_path)
    loaded = kshim.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in m.layers]
    np.testing.assert_array_equal(npy(loaded(x, training=False)), npy(m(x, training=False)))
    for a, b in ((loaded.get_layer("pipe"), m.get_layer("pipe")), (loaded.layers[1], m.layers[1]),
                 (loaded.layers[5], m.layers[5])):  # as JSON: tuples come back as lists, as in Keras
        assert json.loads(json.dumps(a.get_config())) == json.loads(json.dumps(b.get_config()))
    with zipfile.ZipFile(path) as z:
        assert {"config.json", "metadata.json", "model.weights.h5"} <= set(z.namelist())
    # the seeded augmentations come back with their seeds: a training call draws what the original's does
    for a, b in zip(loaded.layers[1:6], m.layers[1:6]):
        np.testing.assert_array_equal(npy(a(x, training=True)), npy(b(x, training=True)), err_msg=a.name)


def test_keras_file_round_trip_both_ways_with_keras(backend, tmp_path):
    x = images((3, 9, 7, 3))
    m, path = _saved(tmp_path)
    # Real Keras reads kshim's file (same config keys) and gives the same inference output.
    km = keras.saving.load_model(path)
    np.testing.assert_allclose(np.asarray(km(x, training=False)), npy(m(x, training=False)), rtol=1e-5, atol=1e-4)
    # And kshim reads Keras' file.
    kpath = str(tmp_path / "k.keras")
    _model(keras, *_augs(keras)).save(kpath)
    back = kshim.saving.load_model(kpath)
    assert [type(layer).__name__ for layer in back.layers] == [type(layer).__name__ for layer in m.layers]
    assert back.layers[1].get_config()["factor"] == (0, 0.3) and back.layers[5].num_ops == 1


@pytest.mark.parametrize("make", [lambda: P.RandomColorJitter(brightness_factor=0.2, hue_factor=0.1, seed=1),
                                  lambda: P.Solarization(0.3, 0.5, seed=1), lambda: P.CutMix(seed=1),
                                  lambda: P.AugMix(num_chains=1, chain_depth=2, seed=1),
                                  lambda: P.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))])
def test_run_on_numpy_gives_numpy_arrays_like_the_numpy_backend(backend, make):
    x = images((2, 9, 7, 3))
    out = P.run_on_numpy(make(), x, training=True)
    assert isinstance(out, np.ndarray) and out.shape == x.shape and out.dtype == np.float32
    with kshim.backend.use("numpy"):
        ref = npy(make()(x, training=True))
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(P.run_on_numpy(make(), {"images": x})["images"], ref)

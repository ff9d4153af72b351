"""The geometric layers inside models and pipelines: one seed gives one augmentation on numpy, jax
and torch (random layers and their boxes), ``training=False`` leaves images alone, models with the
layers train with ``fit`` (jitted on JAX), survive a ``.keras`` round trip, and ``run_on_numpy``
reproduces the in-model result for the same seed.

Cross-backend tolerance: kshim.random's uniforms are bit-identical on every backend, so flips and
crops match exactly; warps go through cos/sin/tan and float32 interpolation, which differ by a few
ulps between NumPy, XLA and ATen, hence rtol=1e-5/atol=2e-3 on 0..255 images (~1e-5 of the range)
and 1e-4 px on boxes.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import kshim
from kshim import backend as kb
from kshim import ops
from kshim.layers import preprocessing as P

from ._util import installed_backends

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
rng = np.random.default_rng(2)
X = rng.uniform(0, 255, (3, 10, 12, 3)).astype("float32")
BOXES = {"boxes": np.array([[[1, 1, 5, 6], [2, 3, 10, 8]]] * 3, "float32"),
         "labels": np.array([[0, 1]] * 3, "int32")}
TOL = dict(rtol=1e-5, atol=2e-3)

RANDOM_LAYERS = {
    "RandomFlip": dict(),
    "RandomCrop": dict(height=6, width=7),
    "RandomRotation": dict(factor=0.3),
    "RandomZoom": dict(height_factor=0.3, width_factor=(-0.2, 0.4)),
    "RandomTranslation": dict(height_factor=0.2, width_factor=0.3),
    "RandomShear": dict(x_factor=0.3, y_factor=0.2),
    "RandomPerspective": dict(scale=0.5),
    "RandomElasticTransform": dict(),
}
BOX_LAYERS = [n for n in RANDOM_LAYERS if n != "RandomElasticTransform"]


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def make(name, **extra):
    return getattr(P, name)(seed=13, **RANDOM_LAYERS[name], **extra)





def _two_calls(name):
    """Two successive augmentations (images, and the first call's boxes) by a fresh seeded layer,
    on the active backend."""
    layer = make(name, bounding_box_format="xyxy") if name in BOX_LAYERS else make(name)
    data = {"images": X, "bounding_boxes": {k: v.copy() for k, v in BOXES.items()}} \
        if name in BOX_LAYERS else {"images": X}
    first = layer(data, training=True)
    second = layer(data, training=True)     # the generator advances: a new draw
    out = [npy(first["images"]), npy(second["images"])]
    if name in BOX_LAYERS:
        out.append(npy(first["bounding_boxes"]["boxes"]))
    return out


@pytest.mark.parametrize("name", list(RANDOM_LAYERS))
def test_same_seed_same_augmentation_on_every_backend(name):
    names = installed_backends()
    if len(names) < 2:
        pytest.skip(f"compares backends; only {names} installed")
    outs = {}
    for b in names:
        with kb.use(b):
            outs[b] = _two_calls(name)
    ref = outs[names[0]]
    for b in names[1:]:
        for got, want in zip(outs[b][:2], ref[:2]):
            np.testing.assert_allclose(got, want, **TOL)
        if name in BOX_LAYERS:
            np.testing.assert_allclose(outs[b][2], ref[2], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", list(RANDOM_LAYERS))
def test_same_seed_same_augmentation_on_each_backend(backend, name):
    """Two fresh layers with one seed give the same augmentations (exactly: same program, same
    inputs); a layer's successive calls differ, and (but for crops) really move pixels."""
    out, again = _two_calls(name), _two_calls(name)
    for got, want in zip(again, out):
        np.testing.assert_array_equal(got, want)
    if name != "RandomCrop":
        assert np.abs(out[0] - X).max() > 1.0 or np.abs(out[1] - X).max() > 1.0
    assert not np.array_equal(out[0], out[1])


@pytest.mark.parametrize("name", list(RANDOM_LAYERS))
def test_inference_is_identity(backend, name):
    layer = make(name)
    out = npy(layer(X.astype("uint8"), training=False))
    np.testing.assert_array_equal(out, X.astype("uint8").astype(out.dtype))
    if name == "RandomCrop":
        assert out.dtype == np.uint8          # Keras returns RandomCrop's input untouched
    else:
        assert out.dtype == np.float32        # the others cast to the compute dtype, as Keras
    boxed = make(name, bounding_box_format="xyxy")
    if name in BOX_LAYERS:
        res = boxed({"images": X, "bounding_boxes": BOXES}, training=False)
        np.testing.assert_array_equal(npy(res["bounding_boxes"]["boxes"]), BOXES["boxes"])


def _model(layers_, shape=(10, 12, 3)):
    inp = kshim.layers.Input(shape=shape)
    y = inp
    for layer in layers_:
        y = layer(y)
    y = kshim.layers.Conv2D(2, 3, padding="same")(y)
    y = kshim.layers.GlobalAveragePooling2D()(y)
    return kshim.models.Model(inp, y)


def test_flip_rotation_conv_model_trains(backend):
    """Input -> RandomFlip -> RandomRotation -> Conv2D, fit for one epoch (jitted on JAX)."""
    model = _model([P.RandomFlip(seed=1), P.RandomRotation(0.2, seed=2)])
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    hist = model.fit(X / 255.0, np.zeros((3, 2), "float32"), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    # predict runs the augmentation in inference: the same as the head applied to the raw images
    conv, pool = model.layers[-2], model.layers[-1]
    np.testing.assert_allclose(npy(model.predict(X / 255.0, verbose=0)), npy(pool(conv(X / 255.0))),
                               rtol=1e-5, atol=1e-6)


def test_every_random_layer_trains_in_a_model(backend):
    """All random geometric layers in one jitted training step (traced offsets, angles, sigma)."""
    layers_ = [make(n) for n in RANDOM_LAYERS if n != "RandomCrop"] + [make("RandomCrop")]
    model = _model(layers_)
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(X / 255.0, np.zeros((3, 2), "float32"), batch_size=3, epochs=2, verbose=0)
    assert all(np.isfinite(v) for v in hist.history["loss"])
    assert tuple(model.output_shape) == (None, 2)


def test_keras_file_round_trip(backend, tmp_path):
    layers_ = [P.Resizing(8, 10, interpolation="bicubic"), P.CenterCrop(7, 9)] + [make(n) for n in RANDOM_LAYERS]
    model = _model(layers_)
    path = str(tmp_path / "geo.keras")
    model.save(path)
    loaded = kshim.saving.load_model(path)
    got = {type(l).__name__: l.get_config() for l in loaded.layers}
    for layer in model.layers:   # JSON turns tuples into lists (so does Keras)
        assert json.loads(json.dumps(got[type(layer).__name__])) == json.loads(json.dumps(layer.get_config()))
    np.testing.assert_allclose(npy(loaded(X, training=False)), npy(model(X, training=False)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["RandomFlip", "RandomRotation", "RandomCrop", "RandomElasticTransform"])
def test_run_on_numpy_matches_in_model_result(backend, name):
    in_model = make(name)
    inp = kshim.layers.Input(shape=X.shape[1:])
    model = kshim.models.Model(inp, in_model(inp))
    want = npy(model(X, training=True))
    got = P.run_on_numpy(make(name), X, training=True)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, want, **TOL)
    # dict inputs come back as dicts of NumPy arrays
    res = P.run_on_numpy(make(name, bounding_box_format="xyxy"), {"images": X, "bounding_boxes": BOXES},
                         training=True) if name in BOX_LAYERS else None
    if res is not None:
        assert isinstance(res["bounding_boxes"]["boxes"], np.ndarray)
        np.testing.assert_allclose(res["images"], want, **TOL)


def test_symbolic_shapes(backend):
    inp = kshim.layers.Input(shape=(10, 12, 3))
    assert tuple(P.Resizing(5, 4)(inp).shape) == (None, 5, 4, 3)
    assert tuple(P.CenterCrop(6, 6)(inp).shape) == (None, 6, 6, 3)
    assert tuple(P.RandomCrop(4, 5, seed=1)(inp).shape) == (None, 4, 5, 3)
    assert tuple(P.RandomRotation(0.1)(inp).shape) == (None, 10, 12, 3)


def test_layers_are_exported():
    import kshim.layers as L
    for n in list(RANDOM_LAYERS) + ["Resizing", "CenterCrop", "MaxNumBoundingBoxes"]:
        assert getattr(L, n) is getattr(P, n)


def test_signatures_match_keras():
    from .keras_oracle import keras  # skips this test only, where Keras is not installed
    import inspect
    for n in list(RANDOM_LAYERS) + ["Resizing", "CenterCrop", "MaxNumBoundingBoxes"]:
        kp = [(p.name, p.default) for p in inspect.signature(getattr(keras.layers, n).__init__).parameters.values()]
        sp = [(p.name, p.default) for p in inspect.signature(getattr(P, n).__init__).parameters.values()]
        assert kp == sp, (n, kp, sp)

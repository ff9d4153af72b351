"""The ``*_dataset_from_directory`` utilities, ``timeseries_dataset_from_array`` and ``ArrayDataset``.

Keras builds these datasets with ``tf.data`` (not installed), so the expectations are computed here:
file lists, shuffles and splits come from Keras' own TensorFlow-free helpers
(``dataset_utils.index_directory`` / ``get_training_or_validation_split``), decoded images from
Keras' Pillow path (``_load_image_grain``), windows and labels from NumPy. Pixels and labels are
compared exactly; resized pixels (bilinear on 0-255 values, summed in another order) with
rtol 1e-5 / atol 1e-3.
"""
from __future__ import annotations

import os
import wave

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
Image = pytest.importorskip("PIL.Image")
from keras.src.utils import dataset_utils as kdu  # noqa: E402
from keras.src.utils import image_dataset_utils as kidu  # noqa: E402

import kshim  # noqa: E402
from kshim import layers, random as krandom, utils  # noqa: E402
from kshim.layers.preprocessing import DataLayer  # noqa: E402
from kshim.utils.array_dataset import ArrayDataset  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
IMG_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
RESIZE_TOL = dict(rtol=1e-5, atol=1e-3)


def _make_images(root, classes=("dog", "cat", "bird"), per_class=(4, 3, 5), size=(6, 8), nested=True):
    rng = np.random.default_rng(0)
    for c, n in zip(classes, per_class):
        os.makedirs(root / c / "nested", exist_ok=True)
        for i in range(n):
            folder = root / c / ("nested" if nested and i == 0 else "")
            h, w = size if i % 2 == 0 else (size[0] + 3, size[1] - 2)  # mixed sizes in one batch
            Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(folder / f"{c}_{i}.png")
    (root / "dog" / "notes.txt").write_text("ignored")  # not an image
    os.makedirs(root / ".hidden", exist_ok=True)
    return root


@pytest.fixture
def image_dir(tmp_path):
    return _make_images(tmp_path / "images")


def _all(ds):
    batches = list(ds)
    if isinstance(batches[0], tuple):
        return tuple(np.concatenate(c) for c in zip(*batches))
    return np.concatenate(batches)


# ---- images -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shuffle,seed", [(False, None), (True, 5), (True, 1337)])
def test_image_dataset_file_order_and_labels_match_keras(image_dir, shuffle, seed):
    ds = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=5, shuffle=shuffle, seed=seed,
                                            verbose=False)
    if shuffle:
        paths, labels, names = kdu.index_directory(str(image_dir), "inferred", IMG_FORMATS, shuffle=True, seed=seed,
                                                   verbose=False)
        assert ds.file_paths == paths
    else:
        paths, labels, names = kdu.index_directory(str(image_dir), "inferred", IMG_FORMATS, shuffle=False,
                                                   verbose=False)
        assert ds.file_paths == paths
    assert ds.class_names == names == ["bird", "cat", "dog"]  # sorted alphanumerically
    assert len(ds) == 3  # 12 images in batches of 5
    x, y = _all(ds)
    assert x.dtype == np.float32 and x.shape == (12, 6, 8, 3) and y.dtype == np.int32
    np.testing.assert_array_equal(y, labels)  # the first epoch reads the files in file_paths order
    for p, label in zip(ds.file_paths, y):
        assert os.path.basename(os.path.dirname(p)).replace("nested", "") in ("", ds.class_names[label])
        assert ds.class_names[label] in p


def test_image_pixels_match_keras_pillow_path(image_dir):
    for kw in (dict(), dict(crop_to_aspect_ratio=True), dict(pad_to_aspect_ratio=True),
               dict(interpolation="nearest"), dict(color_mode="grayscale"), dict(color_mode="rgba"),
               dict(data_format="channels_first", interpolation="bicubic")):
        ds = utils.image_dataset_from_directory(image_dir, image_size=(5, 7), batch_size=4, shuffle=False,
                                                label_mode=None, verbose=False, **kw)
        x = _all(ds)
        channels = {"grayscale": 1, "rgba": 4}.get(kw.get("color_mode"), 3)
        for p, got in list(zip(ds.file_paths, x))[::3]:  # every third file: both sizes, all classes
            want = kidu._load_image_grain(p, (5, 7), channels, kw.get("interpolation", "bilinear"),
                                          kw.get("data_format", "channels_last"), kw.get("crop_to_aspect_ratio", False),
                                          kw.get("pad_to_aspect_ratio", False))
            np.testing.assert_allclose(got, np.asarray(want), **RESIZE_TOL, err_msg=str(kw))
    same = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=None, shuffle=False,
                                              label_mode=None, verbose=False)
    k = next(i for i, p in enumerate(same.file_paths) if Image.open(p).size == (8, 6))
    assert same[k].shape == (6, 8, 3)  # unbatched: single images, not resized when already of the size
    np.testing.assert_array_equal(same[k], np.asarray(Image.open(same.file_paths[k]), dtype="float32"))


@pytest.mark.parametrize("subset", ["training", "validation", "both"])
def test_image_validation_split_matches_keras(image_dir, subset, capsys):
    out = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=4, seed=11,
                                             validation_split=0.3, subset=subset, verbose=False)
    paths, labels, _ = kdu.index_directory(str(image_dir), "inferred", IMG_FORMATS, seed=11, verbose=False)
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = out if subset == "both" else [out]
    assert isinstance(out, list) == (subset == "both")
    for sub, ds in zip(subsets, datasets):
        want_paths, want_labels = kdu.get_training_or_validation_split(paths, labels, 0.3, sub)
        assert ds.file_paths == want_paths
        np.testing.assert_array_equal(_all(ds)[1], want_labels)
    printed = capsys.readouterr().out
    assert ("Using 9 files for training." in printed) == (subset != "validation")
    if subset == "both":
        assert not set(datasets[0].file_paths) & set(datasets[1].file_paths)


def test_image_label_modes_and_explicit_labels(image_dir):
    cat = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), label_mode="categorical", shuffle=False,
                                             verbose=False)
    ints = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), shuffle=False, verbose=False)
    y_cat, y_int = _all(cat)[1], _all(ints)[1]
    assert y_cat.dtype == np.float32 and y_cat.shape == (12, 3)
    np.testing.assert_array_equal(y_cat, np.eye(3, dtype="float32")[y_int])
    two = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), label_mode="binary",
                                             class_names=["dog", "bird"], shuffle=False, verbose=False)
    assert two.class_names == ["dog", "bird"] and len(two.file_paths) == 9
    y_bin = _all(two)[1]
    assert y_bin.dtype == np.float32 and y_bin.shape == (9, 1)
    np.testing.assert_array_equal(y_bin[:, 0], [0.0 if "/dog/" in p else 1.0 for p in two.file_paths])
    given = list(np.arange(12) % 2)
    flat = utils.image_dataset_from_directory(image_dir, labels=given, image_size=(6, 8), shuffle=False,
                                              verbose=False)
    kpaths, klabels, knames = kdu.index_directory(str(image_dir), given, IMG_FORMATS, shuffle=False, verbose=False)
    assert flat.file_paths == kpaths and flat.class_names == knames == ["0", "1"]
    np.testing.assert_array_equal(_all(flat)[1], klabels)
    none = utils.image_dataset_from_directory(image_dir, labels=None, image_size=(6, 8), verbose=False)
    assert none.class_names is None and isinstance(next(iter(none)), np.ndarray)


@pytest.mark.parametrize("kw,match", [
    (dict(labels="folders"), "labels"), (dict(label_mode="sparse"), "label_mode"),
    (dict(color_mode="cmyk"), "color_mode"), (dict(image_size=(1, 2, 3)), "image_size"),
    (dict(interpolation="cubic"), "interpolation"), (dict(format="torch"), "format"),
    (dict(validation_split=0.2), "subset"), (dict(validation_split=0.2, subset="training"), "seed"),
    (dict(validation_split=1.5, subset="training", seed=1), "between 0 and 1"),
    (dict(subset="train", validation_split=0.2, seed=1), "subset"), (dict(label_mode="binary"), "exactly 2"),
    (dict(class_names=["cow"]), "class_names"), (dict(labels=[0, 1], class_names=["a"]), "class_names"),
    (dict(labels=[0, 1]), "lengths"), (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), "Only one")])
def test_image_dataset_argument_errors(image_dir, kw, match):
    with pytest.raises(ValueError, match=match):
        utils.image_dataset_from_directory(image_dir, verbose=False, **kw)


def test_empty_directory_raises(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="No images found"):
        utils.image_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="No text files found"):
        utils.text_dataset_from_directory(tmp_path, verbose=False)


# ---- order, seeds, epochs -----------------------------------------------------------------------------
def test_shuffle_is_reproducible_and_changes_per_epoch(image_dir):
    make = lambda: utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=4, seed=3,  # noqa
                                                      verbose=False)
    a, b = make(), make()
    epochs_a = [_all(a)[1] for _ in range(3)]
    epochs_b = [_all(b)[1] for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b):
        np.testing.assert_array_equal(ea, eb)
    assert not all(np.array_equal(epochs_a[0], e) for e in epochs_a[1:])  # reshuffled
    for e in epochs_a:
        np.testing.assert_array_equal(np.sort(e), np.sort(epochs_a[0]))  # same files every epoch
    fixed = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), shuffle=False, verbose=False)
    np.testing.assert_array_equal(_all(fixed)[1], _all(fixed)[1])
    c = make()  # indexing and on_epoch_end (what fit does) give the same epochs as iteration
    for want in epochs_a:
        np.testing.assert_array_equal(np.concatenate([c[i][1] for i in range(len(c))]), want)
        c.on_epoch_end()


class _NoiseLayer(DataLayer):
    """A random data layer: adds uniform noise drawn from its seed generator."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._init_seed(seed)

    def call(self, x, training=True):
        if not training:
            return x
        return x + krandom.uniform(kshim.ops.shape(x), seed=self.generator)


def _noisy_pipeline(image_dir, seed):
    ds = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=4, seed=2, verbose=False)
    layer, rescale = _NoiseLayer(seed=seed), layers.Rescaling(1 / 255.0)
    return ds.map(lambda x, y: (layer(rescale(x), training=True), y))


def test_map_runs_layers_on_numpy_with_the_same_seed_on_every_backend(image_dir):
    results = {}
    for name in ("numpy", "jax", "torch"):
        with kshim.backend.use(name):
            ds = _noisy_pipeline(image_dir, seed=42)
            results[name] = [(b[0], b[1]) for _ in range(2) for b in ds]  # two epochs
            assert all(isinstance(x, np.ndarray) for x, _ in results[name])
    for name in ("jax", "torch"):
        for (xa, ya), (xb, yb) in zip(results["numpy"], results[name]):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    plain = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=4, seed=2, verbose=False)
    noise = results["numpy"][0][0] - next(iter(plain))[0] / 255.0
    assert 0 <= noise.min() and noise.max() < 1 and noise.std() > 0.1
    fixed = utils.image_dataset_from_directory(image_dir, image_size=(6, 8), batch_size=4, shuffle=False,
                                               verbose=False)
    identity = fixed.map(lambda x, y: (_NoiseLayer(seed=1)(x, training=False), y))
    np.testing.assert_array_equal(identity[0][0], fixed[0][0])  # training=False: no noise


# ---- training from a directory ------------------------------------------------------------------------
def _separable_images(root, n=12):
    rng = np.random.default_rng(1)
    for c, level in (("bright", 200), ("dark", 40)):
        os.makedirs(root / c, exist_ok=True)
        for i in range(n):
            px = np.clip(rng.normal(level, 20, (8, 8, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(px).save(root / c / f"{i:02d}.png")
    return root


def _classifier(seed=0, augment=False):
    kshim.utils.set_random_seed(seed)
    # RandomFlip (in-model augmentation) when the layer exists; pooling makes the task flip-invariant.
    flip = [layers.RandomFlip(seed=seed)] if augment and hasattr(layers, "RandomFlip") else []
    model = kshim.Sequential([layers.Input((8, 8, 3)), *flip, layers.Rescaling(1 / 255.0),
                              layers.GlobalAveragePooling2D(), layers.Dense(2)])
    model.compile(kshim.optimizers.Adam(0.1),
                  kshim.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def test_classifier_trains_from_a_directory(backend, tmp_path):
    root = _separable_images(tmp_path / "imgs")
    train, val = utils.image_dataset_from_directory(root, image_size=(8, 8), batch_size=6, seed=0,
                                                    validation_split=0.25, subset="both", verbose=False)
    noise = _NoiseLayer(seed=0)  # augmentation in the pipeline (runs on NumPy), RandomFlip in the model
    model = _classifier(augment=True)
    hist = model.fit(train.map(lambda x, y: (noise(x), y)), validation_data=val, epochs=10, verbose=0)
    assert hist.history["accuracy"][-1] == 1.0 and hist.history["val_accuracy"][-1] == 1.0
    assert model.evaluate(val, verbose=0, return_dict=True)["accuracy"] == 1.0
    pred = model.predict(val, verbose=0)
    assert pred.shape == (6, 2)
    path = tmp_path / "m.keras"
    model.save(str(path))
    again = kshim.saving.load_model(str(path))
    np.testing.assert_allclose(again.predict(val, verbose=0), pred, rtol=1e-5, atol=1e-6)


def test_training_from_files_agrees_across_backends(tmp_path):
    """The same files, seed and model give the same loss curve on numpy, jax and torch (rtol 1e-4:
    float32 kernels of the three libraries round differently over 10 epochs of Adam)."""
    root = _separable_images(tmp_path / "imgs", n=6)
    curves = {}
    for name in ("numpy", "jax", "torch"):
        with kshim.backend.use(name):
            ds = utils.image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, seed=5, verbose=False)
            curves[name] = _classifier().fit(ds, epochs=10, verbose=0).history["loss"]
    np.testing.assert_allclose(curves["jax"], curves["numpy"], rtol=1e-4)
    np.testing.assert_allclose(curves["torch"], curves["numpy"], rtol=1e-4)


def test_fit_on_a_dataset_equals_fit_on_the_arrays(backend, tmp_path):
    """Unshuffled batches from files are the same batches as the decoded arrays: same weights after."""
    root = _separable_images(tmp_path / "imgs", n=5)
    ds = utils.image_dataset_from_directory(root, image_size=(8, 8), batch_size=4, shuffle=False, verbose=False)
    x = np.stack([np.asarray(Image.open(p), dtype="float32") for p in ds.file_paths])
    y = np.array([0 if "/bright/" in p else 1 for p in ds.file_paths], dtype="int32")
    a, b = _classifier(), _classifier()
    a.fit(ds, epochs=2, verbose=0)
    b.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)  # identical computation, float32


# ---- text ---------------------------------------------------------------------------------------------
@pytest.fixture
def text_dir(tmp_path):
    root = tmp_path / "texts"
    for c, n in (("pos", 4), ("neg", 3)):
        os.makedirs(root / c, exist_ok=True)
        for i in range(n):
            (root / c / f"{i}.txt").write_text(f"{c} review number {i} é", encoding="utf-8")
    (root / "pos" / "skip.md").write_text("not text")
    return root


def test_text_dataset(text_dir):
    ds = utils.text_dataset_from_directory(text_dir, batch_size=3, seed=9, verbose=False)
    paths, labels, names = kdu.index_directory(str(text_dir), "inferred", (".txt",), seed=9, verbose=False)
    assert ds.file_paths == paths and ds.class_names == names == ["neg", "pos"]
    texts, y = _all(ds)
    assert texts.dtype == object and y.dtype == np.int32
    assert list(texts) == [open(p, encoding="utf-8").read() for p in paths]
    np.testing.assert_array_equal(y, labels)
    short = utils.text_dataset_from_directory(text_dir, batch_size=None, max_length=5, shuffle=False,
                                              label_mode="binary", verbose=False)
    first_text, first_label = next(iter(short))
    assert first_text == "neg r" and first_label.shape == (1,) and first_label.dtype == np.float32
    tr, va = utils.text_dataset_from_directory(text_dir, seed=1, validation_split=0.3, subset="both", verbose=False)
    assert len(tr.file_paths) == 5 and len(va.file_paths) == 2
    with pytest.raises(ValueError, match="format"):
        utils.text_dataset_from_directory(text_dir, format="torch")


# ---- audio --------------------------------------------------------------------------------------------
def _write_wav(path, samples, rate=8000, width=2):
    samples = np.asarray(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(width)
        w.setframerate(rate)
        if width == 1:
            w.writeframes((samples + 128).astype(np.uint8).tobytes())
        elif width == 3:
            v = samples.astype(np.int32).reshape(-1) & 0xFFFFFF
            w.writeframes(np.stack([v & 255, (v >> 8) & 255, v >> 16], 1).astype(np.uint8).tobytes())
        else:
            w.writeframes(samples.astype("<i2" if width == 2 else "<i4").tobytes())


@pytest.fixture
def audio_dir(tmp_path):
    rng = np.random.default_rng(5)
    root = tmp_path / "audio"
    clips = {}
    for c, lengths in (("yes", (30, 50, 40)), ("no", (20, 60))):
        os.makedirs(root / c, exist_ok=True)
        for i, n in enumerate(lengths):
            s = rng.integers(-32768, 32768, (n, 2))
            _write_wav(root / c / f"{i}.wav", s)
            clips[str(root / c / f"{i}.wav")] = s.astype("float32") / 32768.0
    return root, clips


def test_audio_dataset(audio_dir):
    root, clips = audio_dir
    ds = utils.audio_dataset_from_directory(root, batch_size=2, seed=4, verbose=False)
    paths, labels, names = kdu.index_directory(str(root), "inferred", (".wav",), seed=4, verbose=False)
    assert ds.file_paths == paths and ds.class_names == names == ["no", "yes"]
    seen = 0
    for x, y in ds:  # padded batches: zeros after each clip, up to the batch's longest clip
        batch_paths = paths[seen:seen + len(y)]
        np.testing.assert_array_equal(y, labels[seen:seen + len(y)])
        assert x.dtype == np.float32 and x.shape == (len(y), max(len(clips[p]) for p in batch_paths), 2)
        for row, p in zip(x, batch_paths):
            np.testing.assert_array_equal(row[:len(clips[p])], clips[p])
            assert not row[len(clips[p]):].any()
        seen += len(y)
    fixed = utils.audio_dataset_from_directory(root, batch_size=5, output_sequence_length=35, shuffle=False,
                                               label_mode="categorical", verbose=False)
    x, y = next(iter(fixed))
    assert x.shape == (5, 35, 2) and y.shape == (5, 2)
    for row, p in zip(x, fixed.file_paths):
        n = min(35, len(clips[p]))
        np.testing.assert_array_equal(row[:n], clips[p][:n])
    ragged = utils.audio_dataset_from_directory(root, batch_size=5, ragged=True, shuffle=False, verbose=False)
    xr, _ = next(iter(ragged))
    assert xr.dtype == object and [len(c) for c in xr] == [len(clips[p]) for p in ragged.file_paths]
    resampled = utils.audio_dataset_from_directory(root, batch_size=None, sampling_rate=4000, shuffle=False,
                                                   verbose=False)
    clip, _ = next(iter(resampled))
    assert clip.shape == (len(clips[resampled.file_paths[0]]) // 2, 2)
    tr, va = utils.audio_dataset_from_directory(root, seed=1, validation_split=0.4, subset="both", verbose=False)
    assert (len(tr.file_paths), len(va.file_paths)) == (3, 2)
    for kw in (dict(ragged=True, output_sequence_length=3), dict(sampling_rate=0), dict(sampling_rate=1.5)):
        with pytest.raises(ValueError):
            utils.audio_dataset_from_directory(root, verbose=False, **kw)


@pytest.mark.parametrize("width,scale", [(1, 128.0), (3, 2.0 ** 23), (4, 2.0 ** 31)])
def test_wav_sample_widths(tmp_path, width, scale):
    from kshim.utils.audio_utils import read_wav
    lim = int(scale)
    s = np.random.default_rng(6).integers(-lim, lim, (25, 1)).astype(np.int64)
    _write_wav(tmp_path / "a.wav", s, width=width)
    audio, rate = read_wav(str(tmp_path / "a.wav"))
    assert rate == 8000 and audio.dtype == np.float32
    np.testing.assert_allclose(audio, s / scale, rtol=1e-7, atol=1e-7)  # exact up to float32 rounding


# ---- timeseries ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(sequence_length=10, sampling_rate=2, sequence_stride=3),
                                dict(sequence_length=4), dict(sequence_length=5, start_index=7, end_index=60),
                                dict(sequence_length=3, sequence_stride=4, batch_size=None),
                                dict(sequence_length=6, sampling_rate=3, start_index=2, batch_size=7)])
def test_timeseries_windows(kw):
    data = np.arange(99 * 2, dtype="float64").reshape(99, 2)
    targets = np.arange(99) * 10
    kw = dict(batch_size=8) | kw
    ds = utils.timeseries_dataset_from_array(data, targets, **kw)
    start, end = kw.get("start_index") or 0, kw.get("end_index") or 99
    rate, stride, length = kw.get("sampling_rate", 1), kw.get("sequence_stride", 1), kw["sequence_length"]
    starts = list(range(0, end - start - (length - 1) * rate, stride))
    want_x = np.stack([data[start:end][p:p + length * rate:rate] for p in starts])
    want_y = targets[start:end][starts]
    if kw["batch_size"] is None:
        got_x = np.stack([e[0] for e in ds])
        got_y = np.array([e[1] for e in ds])
        assert len(ds) == len(starts)
    else:
        got_x, got_y = _all(ds)
        assert len(ds) == -(-len(starts) // kw["batch_size"])
    assert got_x.dtype == data.dtype
    np.testing.assert_array_equal(got_x, want_x)
    np.testing.assert_array_equal(got_y, want_y)
    no_targets = utils.timeseries_dataset_from_array(data, None, **kw)
    first = next(iter(no_targets))
    assert isinstance(first, np.ndarray)


def test_timeseries_keras_docstring_example_and_shuffle():
    data = np.arange(100)
    ds = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    x, y = next(iter(ds))
    np.testing.assert_array_equal(x[0], data[:10])
    assert y[0] == 10
    sh = utils.timeseries_dataset_from_array(data, None, sequence_length=5, batch_size=4, shuffle=True, seed=21)
    starts = np.arange(0, 96)
    np.random.RandomState(21).shuffle(starts)  # Keras' window order for the seed
    np.testing.assert_array_equal(_all(sh)[:, 0], starts)
    second = _all(sh)[:, 0]
    assert not np.array_equal(second, starts) and np.array_equal(np.sort(second), np.arange(96))


@pytest.mark.parametrize("kw", [dict(start_index=-1), dict(start_index=200), dict(start_index=5, end_index=3),
                                dict(end_index=200), dict(sampling_rate=0), dict(sampling_rate=100),
                                dict(sequence_stride=0), dict(sequence_stride=100), dict(format="pt")])
def test_timeseries_errors(kw):
    with pytest.raises(ValueError):
        utils.timeseries_dataset_from_array(np.zeros((50, 1)), None, 3, **kw)


def test_timeseries_feeds_fit(backend):
    t = np.linspace(0, 20, 300, dtype="float32")
    series = np.sin(t)[:, None]
    ds = utils.timeseries_dataset_from_array(series[:-8], series[8:, 0], sequence_length=8, batch_size=32,
                                             shuffle=True, seed=0)
    model = kshim.Sequential([layers.Input((8, 1)), layers.Flatten(), layers.Dense(1)])
    model.compile(kshim.optimizers.Adam(0.02), "mse")
    hist = model.fit(ds, epochs=5, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0] / 2


# ---- ArrayDataset -------------------------------------------------------------------------------------
def test_array_dataset_transformations():
    x, y = np.arange(10.0)[:, None], np.arange(10)
    ds = ArrayDataset.from_arrays((x, y), batch_size=4)
    assert len(ds) == 3 and ds.cardinality() == 3 and ds.prefetch(2) is ds
    np.testing.assert_array_equal(ds[-1][1], [8, 9])
    with pytest.raises(IndexError):
        ds[3]
    rows = ds.unbatch()
    assert len(rows) == 10 and rows[5][1] == 5
    rebatched = rows.batch(3, drop_remainder=True)
    assert [len(b[1]) for b in rebatched] == [3, 3, 3]
    doubled = ds.map(lambda a, b: (a * 2, b))
    np.testing.assert_array_equal(_all(doubled)[0][:, 0], np.arange(10.0) * 2)
    assert [len(b[1]) for b in doubled.unbatch().batch(5)] == [5, 5]
    assert len(ds.take(2)) == 2 and len(ds.take(-1)) == 3 and len(ds.skip(1)) == 2
    np.testing.assert_array_equal(ds.skip(2)[0][1], [8, 9])
    shuffled = rows.shuffle(100, seed=3)
    e1, e2 = [int(r[1]) for r in shuffled], [int(r[1]) for r in shuffled]
    assert sorted(e1) == list(range(10)) and e1 != e2
    again = rows.shuffle(100, seed=3)
    assert [int(r[1]) for r in again] == e1
    calls = []
    cached = ds.map(lambda a, b: (calls.append(1) or a, b)).cache()
    list(cached), list(cached)
    assert len(calls) == 3
    dicts = ArrayDataset.from_arrays({"a": x, "b": y}, batch_size=5)
    assert set(dicts[0]) == {"a", "b"} and dicts[1]["b"].tolist() == [5, 6, 7, 8, 9]
    strings = ArrayDataset.from_arrays(np.array(["a", "bb", "c"], dtype=object)).batch(2)
    assert strings[0].dtype == object and list(strings[0]) == ["a", "bb"]


def test_errors_in_the_pipeline_reach_the_caller():
    def boom(x):
        raise RuntimeError("bad element")
    ds = ArrayDataset.from_arrays(np.zeros((6, 2)), batch_size=2).map(boom)
    with pytest.raises(RuntimeError, match="bad element"):
        list(ds)
    with pytest.raises(RuntimeError, match="bad element"):
        ds[1]


def test_array_dataset_in_fit_evaluate_predict(backend):
    x = np.random.default_rng(7).normal(size=(20, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
    train = ArrayDataset.from_arrays((x, y), batch_size=5, shuffle=True, seed=1)
    model = kshim.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(kshim.optimizers.SGD(0.1), "mse")
    hist = model.fit(train, validation_data=ArrayDataset.from_arrays((x, y), batch_size=8), epochs=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert set(hist.history) == {"loss", "val_loss"}
    assert np.isfinite(model.evaluate(train, verbose=0))
    assert model.predict(ArrayDataset.from_arrays(x, batch_size=6), verbose=0).shape == (20, 1)

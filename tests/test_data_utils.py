"""``get_file``, the image-file helpers, ``get_source_inputs`` and ``split_dataset`` against real Keras 3.

Keras runs all of these without TensorFlow except ``split_dataset``'s dataset construction, whose
size rules (``_rescale_dataset_split_sizes``) and shuffled order (Python's ``random`` seeded with
``seed``) are compared directly. Downloads use ``file://`` URLs in temporary folders: no network.
Image comparisons are exact (Pillow does the same work on both sides) except ``smart_resize``,
whose bilinear interpolation sums in a different order: rtol 1e-5 with atol 1e-3 on 0-255 values.
"""
from __future__ import annotations

import hashlib
import io
import os
import random
import tarfile
import warnings
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
Image = pytest.importorskip("PIL.Image")

import kshim  # noqa: E402
from kshim import layers, ops, utils  # noqa: E402
from kshim.preprocessing import image as legacy_image  # noqa: E402
from kshim.utils import file_utils  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _url(path) -> str:
    return "file://" + os.path.abspath(path)


@pytest.fixture
def src(tmp_path):
    """A source folder with a data file, a tar.gz, a zip and their hashes."""
    d = tmp_path / "src"
    d.mkdir()
    (d / "data.bin").write_bytes(b"kshim" * 100)
    inner = tmp_path / "inner"
    (inner / "pkg" / "sub").mkdir(parents=True)
    (inner / "pkg" / "a.txt").write_text("A")
    (inner / "pkg" / "sub" / "b.txt").write_text("B")
    with tarfile.open(d / "arch.tar.gz", "w:gz") as t:
        t.add(inner / "pkg", arcname="pkg")
    with zipfile.ZipFile(d / "arch.zip", "w") as z:
        z.write(inner / "pkg" / "a.txt", "pkg/a.txt")
        z.write(inner / "pkg" / "sub" / "b.txt", "pkg/sub/b.txt")
    return d


def _tree(root) -> list:
    return sorted(os.path.relpath(os.path.join(r, f), root) for r, _, fs in os.walk(root) for f in fs)


# ---- get_file -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(fname="data.bin"), dict(fname=None), dict(fname="x.bin", cache_subdir="sub"),
                                dict(fname="arch.tar.gz", extract=True), dict(fname="arch", extract=True),
                                dict(fname=None, extract=True, archive_format="tar"),
                                dict(fname="z", extract=True, archive_format="zip"),
                                dict(fname="t", untar=True)])
def test_get_file_paths_and_contents_match_keras(src, tmp_path, kw):
    name = "arch.zip" if kw.get("archive_format") == "zip" else (
        "arch.tar.gz" if kw.get("extract") or kw.get("untar") else "data.bin")
    origin = _url(src / name)
    kdir, sdir = tmp_path / "keras_cache", tmp_path / "kshim_cache"
    kdir.mkdir(), sdir.mkdir()  # Keras falls back to /tmp/.keras for a cache_dir that does not exist yet
    kpath = keras.utils.get_file(origin=origin, cache_dir=str(kdir), **kw)
    spath = utils.get_file(origin=origin, cache_dir=str(sdir), **kw)
    assert os.path.relpath(spath, sdir) == os.path.relpath(kpath, kdir)
    assert _tree(sdir) == _tree(kdir)
    if os.path.isfile(kpath):
        assert open(spath, "rb").read() == open(kpath, "rb").read()


@pytest.mark.parametrize("algo", ["sha256", "md5"])
def test_get_file_checks_hashes(src, tmp_path, algo):
    origin = _url(src / "data.bin")
    digest = getattr(hashlib, algo)((src / "data.bin").read_bytes()).hexdigest()
    assert file_utils.validate_file(str(src / "data.bin"), digest)  # "auto" tells them apart by length
    p = utils.get_file("d.bin", origin, file_hash=digest, cache_dir=str(tmp_path / "c"))
    assert os.path.exists(p)
    p2 = utils.get_file("m.bin", origin, md5_hash=hashlib.md5((src / "data.bin").read_bytes()).hexdigest(),
                        cache_dir=str(tmp_path / "c"))
    assert os.path.exists(p2)
    # A download that does not match the hash raises, as Keras does, and leaves no file behind.
    with pytest.raises(ValueError, match="corrupted") as e_ours:
        utils.get_file("bad.bin", origin, file_hash="0" * len(digest), cache_dir=str(tmp_path / "c"))
    (tmp_path / "k").mkdir()
    with pytest.raises(ValueError, match="corrupted"):
        keras.utils.get_file("bad.bin", origin, file_hash="0" * len(digest), cache_dir=str(tmp_path / "k"))
    assert "file hash does not match" in str(e_ours.value)
    assert not os.path.exists(tmp_path / "c" / "datasets" / "bad.bin")


def test_get_file_cached_file_is_used_offline_and_bad_cache_is_refetched(src, tmp_path, capsys):
    origin = _url(src / "data.bin")
    cache = str(tmp_path / "c")
    path = utils.get_file("data.bin", origin, cache_dir=cache)
    missing = _url(tmp_path / "nowhere" / "data.bin")
    assert utils.get_file("data.bin", missing, cache_dir=cache) == path  # cached: no download attempted
    digest = hashlib.sha256(b"kshim" * 100).hexdigest()
    assert utils.get_file("data.bin", missing, file_hash=digest, cache_dir=cache) == path
    # A cached file whose hash is wrong is downloaded again (Keras' behaviour).
    with open(path, "wb") as f:
        f.write(b"stale")
    assert utils.get_file("data.bin", origin, file_hash=digest, cache_dir=cache) == path
    assert open(path, "rb").read() == b"kshim" * 100
    assert "re-download" in capsys.readouterr().out


def test_failed_download_leaves_no_partial_file(tmp_path):
    cache = tmp_path / "c"
    with pytest.raises(OSError, match="URL fetch failure") as e:
        utils.get_file("gone.bin", _url(tmp_path / "missing.bin"), cache_dir=str(cache))
    assert "place it there" in str(e.value)
    assert os.listdir(cache / "datasets") == []


def test_force_download_and_argument_errors(src, tmp_path):
    cache = str(tmp_path / "c")
    origin = _url(src / "data.bin")
    path = utils.get_file("f.bin", origin, cache_dir=cache)
    (src / "data.bin").write_bytes(b"new")
    assert open(utils.get_file("f.bin", origin, cache_dir=cache), "rb").read() != b"new"
    assert open(utils.get_file("f.bin", origin, cache_dir=cache, force_download=True), "rb").read() == b"new"
    assert os.path.exists(path)
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("f.bin", None)
    with pytest.raises(ValueError, match="cache_dir"):
        utils.get_file(os.path.join("a", "f.bin"), origin, cache_dir=cache)
    with pytest.raises(ValueError, match="file name"):
        utils.get_file(None, "file:///", cache_dir=cache)
    for fn in (utils.get_file, keras.utils.get_file):  # Keras raises ValueError too
        with pytest.raises(ValueError):
            fn(os.path.join("a", "f.bin"), origin, cache_dir=cache)


def test_default_cache_home(src, tmp_path, monkeypatch):
    origin = _url(src / "data.bin")
    monkeypatch.setenv("KSHIM_HOME", str(tmp_path / "kshim_home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    assert utils.get_file("a.bin", origin) == str(tmp_path / "kshim_home" / "datasets" / "a.bin")
    monkeypatch.delenv("KSHIM_HOME")
    assert utils.get_file("a.bin", origin) == str(tmp_path / "keras_home" / "datasets" / "a.bin")
    from kshim.datasets import _cache
    assert _cache.cache_dir() == str(tmp_path / "keras_home" / "datasets")


def _evil_tar(path, outside):
    with tarfile.open(path, "w") as t:
        def add(name, data=b"x", **attrs):
            info = tarfile.TarInfo(name)
            for k, v in attrs.items():
                setattr(info, k, v)
            info.size = len(data) if info.type == tarfile.REGTYPE else 0
            t.addfile(info, io.BytesIO(data) if info.type == tarfile.REGTYPE else None)
        add("ok/good.txt")
        add("../escaped.txt")
        add(str(outside / "absolute.txt"))
        add("ok/link_out", type=tarfile.SYMTYPE, linkname="../../outside_target")
        add("ok/link_in", type=tarfile.SYMTYPE, linkname="good.txt")


def test_extraction_refuses_paths_outside_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    tar = tmp_path / "evil.tar"
    _evil_tar(tar, outside)
    dest = tmp_path / "deep" / "dest"
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert file_utils.extract_archive(str(tar), str(dest))
    skipped = [str(x.message) for x in w if "Skipping invalid path" in str(x.message)]
    assert len(skipped) == 3, skipped
    assert (dest / "ok" / "good.txt").read_bytes() == b"x"
    assert os.path.islink(dest / "ok" / "link_in")
    assert not os.path.lexists(dest / "ok" / "link_out")
    assert not (tmp_path / "deep" / "escaped.txt").exists() and os.listdir(outside) == []
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("fine.txt", "f")
        f.writestr("../../zip_escaped.txt", "e")
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        assert file_utils.extract_archive(str(z), str(dest))
    assert (dest / "fine.txt").exists() and not (tmp_path / "zip_escaped.txt").exists()
    assert not file_utils.extract_archive(str(tmp_path / "evil.zip"), str(dest), archive_format=None)


def test_extracted_folder_without_archive_is_used_offline(src, tmp_path):
    cache = str(tmp_path / "c")
    out = utils.get_file("arch", _url(src / "arch.tar.gz"), extract=True, cache_dir=cache)
    os.remove(os.path.join(cache, "datasets", "arch_archive"))
    assert utils.get_file("arch", _url(tmp_path / "gone.tar.gz"), extract=True, cache_dir=cache) == out
    assert _tree(out) == ["pkg/a.txt", "pkg/sub/b.txt"]


# ---- image files --------------------------------------------------------------------------------------
@pytest.fixture
def image_file(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "img.png"
    Image.fromarray(rng.integers(0, 256, (13, 17, 3), dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("kw", [dict(), dict(color_mode="grayscale"), dict(color_mode="rgba"),
                                dict(target_size=(7, 9)), dict(target_size=(7, 9), interpolation="bilinear"),
                                dict(target_size=(8, 8), interpolation="bicubic", keep_aspect_ratio=True),
                                dict(target_size=(5, 11), interpolation="lanczos", keep_aspect_ratio=True)])
def test_load_img_matches_keras(image_file, kw):
    for path in (str(image_file), image_file):
        ours, theirs = utils.load_img(path, **kw), keras.utils.load_img(path, **kw)
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with open(image_file, "rb") as f:
        buf = f.read()
    np.testing.assert_array_equal(np.asarray(utils.load_img(io.BytesIO(buf), **kw)),
                                  np.asarray(keras.utils.load_img(io.BytesIO(buf), **kw)))


def test_load_img_errors(image_file):
    with pytest.raises(TypeError):
        utils.load_img(123)
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(str(image_file), color_mode="cmyk")
    with pytest.raises(ValueError, match="Invalid interpolation"):
        utils.load_img(str(image_file), target_size=(3, 3), interpolation="cubic")


@pytest.mark.parametrize("df", [None, "channels_last", "channels_first"])
@pytest.mark.parametrize("dtype", [None, "float64", "uint8"])
def test_img_to_array_matches_keras(image_file, df, dtype):
    for mode in ("rgb", "grayscale"):
        img = keras.utils.load_img(str(image_file), color_mode=mode)
        ours, theirs = utils.img_to_array(img, df, dtype), keras.utils.img_to_array(img, df, dtype)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="Unsupported image shape"):
        utils.img_to_array(np.zeros((2, 2, 2, 2)))


@pytest.mark.parametrize("shape,scale,df", [((6, 5, 3), True, "channels_last"), ((6, 5, 4), False, "channels_last"),
                                            ((6, 5, 1), True, "channels_last"), ((3, 6, 5), True, "channels_first"),
                                            ((6, 5, 1), False, "channels_last")])
def test_array_to_img_matches_keras(shape, scale, df):
    x = np.random.default_rng(1).uniform(0, 300 if not scale else 1, shape)
    ours, theirs = utils.array_to_img(x, df, scale), keras.utils.array_to_img(x, df, scale)
    assert ours.mode == theirs.mode  # "I" for one channel above 255 when not scaled
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    for bad in (np.zeros((2, 2)), np.zeros((2, 2, 2))):
        with pytest.raises(ValueError):
            utils.array_to_img(bad)


@pytest.mark.parametrize("ext", ["png", "jpg", "bmp"])
def test_save_img_matches_keras(tmp_path, ext):
    x = np.random.default_rng(2).uniform(0, 1, (9, 7, 4 if ext == "jpg" else 3))
    ours, theirs = tmp_path / f"ours.{ext}", tmp_path / f"theirs.{ext}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        keras.utils.save_img(str(theirs), x)
    if ext == "jpg":
        with pytest.warns(UserWarning, match="RGBA"):
            utils.save_img(str(ours), x)
    else:
        utils.save_img(str(ours), x)
    np.testing.assert_array_equal(np.asarray(Image.open(ours)), np.asarray(Image.open(theirs)))
    buf = io.BytesIO()
    utils.save_img(buf, x[..., :3], file_format="png")
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(buf.getvalue()))),
                                  np.asarray(keras.utils.array_to_img(x[..., :3])))


@pytest.mark.parametrize("shape,size,df", [((20, 30, 3), (10, 10), "channels_last"),
                                           ((2, 15, 8, 1), (6, 9), "channels_last"),
                                           ((3, 12, 20), (5, 5), "channels_first")])
def test_smart_resize_matches_keras(backend, shape, size, df):
    x = np.random.default_rng(3).uniform(0, 255, shape).astype("float32")
    theirs = np.asarray(keras.preprocessing.image.smart_resize(x, size, data_format=df))
    ours = legacy_image.smart_resize(x, size, data_format=df)
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)
    as_tensor = legacy_image.smart_resize(ops.convert_to_tensor(x), size, data_format=df)
    assert backend.is_tensor(as_tensor)
    np.testing.assert_allclose(ops.convert_to_numpy(as_tensor), theirs, rtol=1e-5, atol=1e-3)
    with pytest.raises(ValueError):
        legacy_image.smart_resize(x[0, 0], size)
    with pytest.raises(TypeError):
        legacy_image.smart_resize(x, size, bogus=1)


def test_legacy_namespaces_export_keras_names():
    for name in dir(keras.preprocessing.image):
        if not name.startswith("_"):
            assert callable(getattr(kshim.preprocessing.image, name)), name
    for name in ("image_dataset_from_directory", "text_dataset_from_directory", "timeseries_dataset_from_array"):
        assert getattr(kshim.preprocessing, name) is getattr(utils, name)
    assert kshim.preprocessing.image.load_img is utils.load_img


# ---- get_source_inputs --------------------------------------------------------------------------------
def _graph(lib):
    a, b = lib.layers.Input((4,), name="a"), lib.layers.Input((4,), name="b")
    h = lib.layers.Dense(4)(b)
    for _ in range(12):  # residual chain: each node reached along two paths
        h = lib.layers.Add()([h, lib.layers.Dense(4)(h)])
    out = lib.layers.Concatenate()([h, lib.layers.Dense(4)(a), b])
    return a, b, h, out


def test_get_source_inputs_matches_keras():
    ka, kb, kh, kout = _graph(keras)
    sa, sb, sh, sout = _graph(kshim)
    names = lambda ts: [t.name for t in ts]  # noqa: E731
    assert names(utils.get_source_inputs(sout)) == names(keras.utils.get_source_inputs(kout)) == ["b", "a"]
    assert utils.get_source_inputs(sout)[0] is sb and utils.get_source_inputs(sh) == [sb]
    assert utils.get_source_inputs(sa) == [sa]
    x = np.zeros(3)
    assert utils.get_source_inputs(x) is x


# ---- split_dataset ------------------------------------------------------------------------------------
SIZES = [(0.8, None), (None, 0.25), (3, None), (None, 4), (0.5, 0.3), (2, 5), (0.3, 2),
         (0.0, 0.0), (1.5, None), (None, 10), (10, None), (7, 7), (0.6, 0.6), ("a", None), (None, [1]), (0.01, None)]


@pytest.mark.parametrize("left,right", SIZES)
def test_split_sizes_follow_keras(left, right):
    from keras.src.utils.dataset_utils import _rescale_dataset_split_sizes
    from kshim.utils.datasets_split import _split_sizes
    try:
        expected = _rescale_dataset_split_sizes(left, right, 10)
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)):
            _split_sizes(left, right, 10)
        return
    assert _split_sizes(left, right, 10) == expected


@pytest.mark.parametrize("shuffle,seed", [(False, None), (True, 7), (True, 123)])
def test_split_dataset_orders_like_keras(shuffle, seed):
    x = np.arange(40, dtype="float32").reshape(10, 4)
    y = np.arange(10) % 3
    left, right = utils.split_dataset((x, y), left_size=0.7, shuffle=shuffle, seed=seed)
    order = list(range(10))
    if shuffle:
        random.seed(seed)        # what Keras does before random.shuffle(list of samples)
        random.shuffle(order)
    assert len(left) == 7 and len(right) == 3
    lx, ly = (np.stack(c) for c in zip(*list(left)))
    rx, ry = (np.stack(c) for c in zip(*list(right)))
    np.testing.assert_array_equal(lx, x[order[:7]])
    np.testing.assert_array_equal(ly, y[order[:7]])
    np.testing.assert_array_equal(rx, x[order[7:]])
    np.testing.assert_array_equal(ry, y[order[7:]])
    single_l, single_r = utils.split_dataset(x, right_size=2)
    np.testing.assert_array_equal(np.stack(list(single_l)), x[:8])
    np.testing.assert_array_equal(np.stack(list(single_r)), x[8:])


def test_split_dataset_keeps_batching_and_errors():
    from kshim.utils.array_dataset import ArrayDataset
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    ds = ArrayDataset.from_arrays((x, y), batch_size=4)
    left, right = utils.split_dataset(ds, left_size=6)
    assert [b[0].shape[0] for b in left] == [4, 2] and [b[0].shape[0] for b in right] == [4]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in right]), y[6:])
    with pytest.raises(ValueError, match="At least one"):
        utils.split_dataset(x)
    with pytest.raises(ValueError):
        utils.split_dataset([x, y[:5]], left_size=2)
    with pytest.raises(ValueError):
        utils.split_dataset((x, [1, 2]), left_size=2)
    with pytest.raises(TypeError):
        utils.split_dataset(object(), left_size=2)


def test_model_fits_on_a_split(backend):
    x = np.random.default_rng(4).normal(size=(24, 3)).astype("float32")
    y = (x.sum(1, keepdims=True) > 0).astype("float32")
    train, val = utils.split_dataset((x, y), left_size=0.75, shuffle=True, seed=1)
    model = kshim.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    hist = model.fit(train.batch(6), validation_data=val.batch(6), epochs=2, verbose=0)
    assert len(hist.history["val_loss"]) == 2 and np.isfinite(hist.history["loss"]).all()


def test_keras_data_utility_names_exist():
    names = {"get_file", "get_source_inputs", "split_dataset", "load_img", "img_to_array", "array_to_img",
             "save_img", "image_dataset_from_directory", "text_dataset_from_directory",
             "audio_dataset_from_directory", "timeseries_dataset_from_array"}
    assert names <= set(dir(keras.utils))
    for name in names:
        assert callable(getattr(utils, name)) and name in dir(utils)

"""``kshim.datasets`` loaders (imdb, reuters, cifar100, california_housing) against real Keras 3.

Tiny files in the formats Keras reads are written to a temporary cache; the module's hash constant
is pointed at the tiny file's hash, so the hash check runs too. Keras' loader reads the same file
(its ``get_file`` is patched to return the path). No network: origins point at ``file://`` paths that
do not exist. Outputs are compared exactly (integer sequences, shuffles and splits).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
import keras.src.datasets.california_housing as k_california  # noqa: E402
import keras.src.datasets.cifar100 as k_cifar100  # noqa: E402
import keras.src.datasets.imdb as k_imdb  # noqa: E402
import keras.src.datasets.reuters as k_reuters  # noqa: E402

import kshim  # noqa: E402
from kshim import datasets  # noqa: E402
from kshim.datasets import _cache, california_housing, cifar100, imdb, mnist, reuters  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty cache home; every loader's origin is an unreachable local URL."""
    monkeypatch.setenv("KSHIM_HOME", str(tmp_path / "home"))
    nowhere = "file://" + str(tmp_path / "nowhere") + "/"
    for mod in (imdb, reuters):
        monkeypatch.setattr(mod, "BASE", nowhere)
    for mod in (cifar100, california_housing, mnist):
        monkeypatch.setattr(mod, "ORIGIN", nowhere + "file")
    d = tmp_path / "home" / "datasets"
    d.mkdir(parents=True)
    return d


def _sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _sequences(rng, n, vocab=30):
    out = np.empty((n,), dtype=object)
    for i in range(n):
        out[i] = [int(v) for v in rng.integers(1, vocab, rng.integers(2, 12))]
    return out


def _same(ours, theirs):
    (sx, sy), (tx, ty) = ours, theirs
    assert sx.dtype == tx.dtype and sx.shape == tx.shape
    assert [list(s) for s in sx] == [list(t) for t in tx]
    assert sy.dtype == ty.dtype
    np.testing.assert_array_equal(sy, ty)


# ---- imdb ---------------------------------------------------------------------------------------------
@pytest.fixture
def imdb_file(home, monkeypatch):
    rng = np.random.default_rng(0)
    path = home / "imdb.npz"
    np.savez(path, x_train=_sequences(rng, 14), y_train=rng.integers(0, 2, 14),
             x_test=_sequences(rng, 9), y_test=rng.integers(0, 2, 9))
    monkeypatch.setattr(imdb, "FILE_HASH", _sha256(path))
    monkeypatch.setattr(k_imdb, "get_file", lambda *a, **k: str(path))
    return path


@pytest.mark.parametrize("kw", [dict(), dict(num_words=12), dict(num_words=12, skip_top=5), dict(maxlen=8),
                                dict(start_char=None), dict(oov_char=None, num_words=10), dict(index_from=0),
                                dict(seed=7, start_char=None, index_from=0), dict(maxlen=10, num_words=20,
                                                                                  oov_char=None, skip_top=4)])
def test_imdb_matches_keras(imdb_file, kw):
    ours, theirs = imdb.load_data(**kw), k_imdb.load_data(**kw)
    for o, t in zip(ours, theirs):
        _same(o, t)
    assert datasets.imdb is imdb


def test_imdb_errors_word_index_and_offline(imdb_file, home, monkeypatch):
    with pytest.raises(ValueError, match="maxlen"):
        imdb.load_data(maxlen=1)
    index = {"the": 1, "film": 2}
    (home / "imdb_word_index.json").write_text(json.dumps(index))
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5((home / "imdb_word_index.json").read_bytes()).hexdigest())
    assert imdb.get_word_index() == index
    os.remove(imdb_file)
    with pytest.raises(OSError, match="place it there"):
        imdb.load_data()
    assert sorted(os.listdir(home)) == ["imdb_word_index.json"]  # the failed download left nothing


def test_object_arrays_are_unpickled_safely(home, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([Evil()], dtype=object), allow_pickle=True)
    import zipfile
    with zipfile.ZipFile(home / "imdb.npz", "w") as z:
        for name in ("x_train", "y_train", "x_test", "y_test"):
            z.writestr(f"{name}.npy", buf.getvalue())
    monkeypatch.setattr(imdb, "FILE_HASH", _sha256(home / "imdb.npz"))
    with pytest.raises(pickle.UnpicklingError, match="Refusing"):
        imdb.load_data()


# ---- reuters ------------------------------------------------------------------------------------------
@pytest.fixture
def reuters_file(home, monkeypatch):
    rng = np.random.default_rng(1)
    path = home / "reuters.npz"
    np.savez(path, x=_sequences(rng, 20), y=rng.integers(0, 46, 20))
    monkeypatch.setattr(reuters, "FILE_HASH", _sha256(path))
    monkeypatch.setattr(k_reuters, "get_file", lambda *a, **k: str(path))
    return path


@pytest.mark.parametrize("kw", [dict(), dict(test_split=0.5, seed=3), dict(num_words=15, skip_top=4),
                                dict(maxlen=9), dict(oov_char=None, num_words=12), dict(start_char=None, index_from=0)])
def test_reuters_matches_keras(reuters_file, kw):
    ours, theirs = reuters.load_data(**kw), k_reuters.load_data(**kw)
    for o, t in zip(ours, theirs):
        _same(o, t)
    assert reuters.get_label_names() == k_reuters.get_label_names() and len(reuters.get_label_names()) == 46


# ---- cifar100 -----------------------------------------------------------------------------------------
def _cifar100_archive(tmp_path, home):
    rng = np.random.default_rng(2)
    folder = tmp_path / "extracted" / "cifar-100-python"
    folder.mkdir(parents=True)
    for split, n in (("train", 6), ("test", 4)):
        d = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
             b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)]}
        with open(folder / split, "wb") as f:
            pickle.dump(d, f, protocol=4)  # ndarray via _reconstruct, bytes without _codecs
    archive = home / "cifar-100-python-target_archive"
    with tarfile.open(archive, "w:gz") as t:
        t.add(folder, arcname="cifar-100-python")
    return tmp_path / "extracted", archive


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(tmp_path, home, monkeypatch, label_mode):
    extracted, archive = _cifar100_archive(tmp_path, home)
    monkeypatch.setattr(cifar100, "FILE_HASH", _sha256(archive))
    monkeypatch.setattr(k_cifar100, "get_file", lambda *a, **k: str(extracted))
    (sx, sy), (tx, ty) = cifar100.load_data(label_mode)
    (kx, ky), (ktx, kty) = k_cifar100.load_data(label_mode)
    for ours, theirs in ((sx, kx), (sy, ky), (tx, ktx), (ty, kty)):
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    assert sx.shape == (6, 32, 32, 3) and sy.shape == (6, 1)
    assert os.path.isdir(home / "cifar-100-python-target" / "cifar-100-python")  # Keras' cache layout
    kshim.config.set_image_data_format("channels_first")
    try:
        assert cifar100.load_data()[0][0].shape == (6, 3, 32, 32)
    finally:
        kshim.config.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium")


# ---- california housing -------------------------------------------------------------------------------
@pytest.fixture
def california_file(home, monkeypatch):
    rng = np.random.default_rng(3)
    path = home / "california_housing.npz"
    np.savez(path, x=rng.normal(size=(700, 8)).astype("float32"), y=rng.uniform(1e4, 5e5, 700).astype("float32"))
    monkeypatch.setattr(california_housing, "FILE_HASH", _sha256(path))
    monkeypatch.setattr(k_california, "get_file", lambda *a, **k: str(path))
    return path


@pytest.mark.parametrize("kw", [dict(), dict(version="small"), dict(test_split=0.0), dict(test_split=0.35, seed=1)])
def test_california_housing_matches_keras(california_file, kw):
    ours, theirs = california_housing.load_data(**kw), k_california.load_data(**kw)
    for (ox, oy), (tx, ty) in zip(ours, theirs):
        assert ox.dtype == tx.dtype and ox.shape == tx.shape
        np.testing.assert_array_equal(ox, tx)
        np.testing.assert_array_equal(oy, ty)
    for bad in (dict(test_split=1.0), dict(version="medium")):
        with pytest.raises(ValueError):
            california_housing.load_data(**bad)


# ---- the existing loaders go through the same cache ---------------------------------------------------
def test_mnist_reads_the_cached_file(home, monkeypatch):
    path = home / "mnist.npz"
    data = {k: np.full((2, 28, 28) if k.startswith("x") else (2,), i, np.uint8)
            for i, k in enumerate(("x_train", "y_train", "x_test", "y_test"))}
    np.savez(path, **data)
    monkeypatch.setattr(mnist, "SHA256", _sha256(path))
    (x, y), (xt, yt) = mnist.load_data()
    np.testing.assert_array_equal(xt, data["x_test"])
    assert _cache.cache_dir() == str(home)
    monkeypatch.setattr(mnist, "SHA256", "0" * 64)  # a wrong cache is fetched again: offline, that fails
    with pytest.raises(OSError):
        mnist.load_data()
    assert os.path.exists(path)  # the cached file is kept when the new download fails


def test_every_keras_dataset_module_exists():
    for name in (n for n in dir(keras.datasets) if not n.startswith("_")):
        theirs, ours = getattr(keras.datasets, name), getattr(datasets, name)
        assert {n for n in dir(theirs) if not n.startswith("_")} <= set(dir(ours)), name

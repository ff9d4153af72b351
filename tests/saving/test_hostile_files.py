"""Hostile weights files and archives are refused before any data is read (issue 22, item 1);
loading is all-or-nothing with one error type (item 3); saving keeps modes, writes through links
and cleans up after a killed writer (item 5)."""
import io
import json
import os
import stat
import zipfile

import h5py
import numpy as np
import pytest

import kshim as keras
from kshim import layers
from kshim.saving import CorruptFileError

SECRET = np.arange(6, dtype="float32") + 1000.0  # what a hostile file tries to smuggle into a weight


def _model():
    m = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="d")])
    for v in m.weights:
        v.assign(np.zeros(v.shape, v.dtype))
    return m


def _zeros_everywhere(m):
    return all(not np.any(w) for w in m.get_weights())


def _weights_file(tmp_path, kernel_writer):
    """A .weights.h5 for `_model()` whose kernel dataset is made by `kernel_writer(group)`."""
    path = tmp_path / "hostile.weights.h5"
    with h5py.File(path, "w") as f:
        g = f.require_group("layers/dense/vars")
        kernel_writer(g)
        g.create_dataset("1", data=np.zeros(2, "float32"))
    return path


@pytest.fixture
def secret_file(tmp_path):
    p = tmp_path / "secret.bin"
    p.write_bytes(SECRET.tobytes())
    return p


def _external_storage(secret):
    def w(g):
        g.create_dataset("0", shape=(3, 2), dtype="float32", external=[(str(secret), 0, SECRET.nbytes)])
    return w


def _virtual(tmp_path):
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("x", data=SECRET.reshape(3, 2))

    def w(g):
        layout = h5py.VirtualLayout(shape=(3, 2), dtype="float32")
        layout[:] = h5py.VirtualSource(str(src), "x", shape=(3, 2))
        g.create_virtual_dataset("0", layout)
    return w


def _external_link(tmp_path):
    src = tmp_path / "src.h5"
    with h5py.File(src, "w") as f:
        f.create_dataset("x", data=SECRET.reshape(3, 2))
    return lambda g: g.__setitem__("0", h5py.ExternalLink(str(src), "/x"))


def _soft_link(g):
    g.file.create_dataset("elsewhere", data=SECRET.reshape(3, 2))
    g["0"] = h5py.SoftLink("/elsewhere")


def _compound(g):
    g.create_dataset("0", shape=(3, 2), dtype=np.dtype([("a", "f4"), ("b", "i4")]))


def _strings(g):
    g.create_dataset("0", data=np.array([["a", "b"]] * 3, dtype="S1"))


def _references(g):
    target = g.file.create_dataset("t", data=SECRET)
    g.create_dataset("0", data=np.array([[target.ref] * 2] * 3, dtype=h5py.ref_dtype))


@pytest.mark.parametrize("kind,match", [
    ("external_storage", "external files"), ("virtual", "virtual dataset"), ("external_link", "external link"),
    ("soft_link", "soft link"), ("compound", "not a plain numeric"), ("strings", "not a plain numeric"),
    ("references", "not a plain numeric")])
def test_hostile_weights_are_refused_before_reading(backend, tmp_path, secret_file, kind, match):
    writer = {"external_storage": _external_storage(secret_file), "virtual": _virtual(tmp_path),
              "external_link": _external_link(tmp_path), "soft_link": _soft_link, "compound": _compound,
              "strings": _strings, "references": _references}[kind]
    path = _weights_file(tmp_path, writer)
    if kind == "external_storage":  # the attack works at the h5py level: the file really reads the secret
        with h5py.File(path, "r") as f:
            np.testing.assert_array_equal(f["layers/dense/vars/0"][()].ravel(), SECRET)
    m = _model()
    with pytest.raises(ValueError, match=match) as info:
        m.load_weights(path)
    assert "layers/dense/vars/0" in str(info.value) or kind in ("soft_link",)
    assert _zeros_everywhere(m)


def test_hostile_weights_inside_a_keras_archive(backend, tmp_path, secret_file):
    m = _model()
    good = tmp_path / "good.keras"
    m.save(good)
    h5 = _weights_file(tmp_path, _external_storage(secret_file)).read_bytes()
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for n in zin.namelist():
            zout.writestr(n, h5 if n == "model.weights.h5" else zin.read(n))
    with pytest.raises(ValueError, match="external files"):
        keras.models.load_model(bad)


def _archive(tmp_path, members, compression=zipfile.ZIP_STORED):
    p = tmp_path / "crafted.keras"
    with zipfile.ZipFile(p, "w", compression=compression) as z:
        for name, data in members:
            z.writestr(name, data)
    return p


def test_zip_bomb_refused_from_declared_sizes(tmp_path):
    # 80 MB of one byte deflates to ~80 KB: over the 64 MiB floor and ~1000x, refused unread.
    bomb = b"{" + b" " * (80 << 20) + b"}"
    p = _archive(tmp_path, [("config.json", bomb), ("model.weights.h5", b"")], zipfile.ZIP_DEFLATED)
    assert os.path.getsize(p) < 1 << 20
    with pytest.raises(CorruptFileError, match="zip bomb|more than"):
        keras.models.load_model(p)


def test_archive_member_names_counts_and_duplicates(tmp_path):
    with pytest.raises(CorruptFileError, match="outside the archive"):
        keras.models.load_model(_archive(tmp_path, [("a/../../x", b"1"), ("config.json", b"{}")]))
    with pytest.raises(CorruptFileError, match="members"):
        keras.models.load_model(_archive(tmp_path, [(f"m{i}", b"") for i in range(10_001)]))
    with pytest.warns(UserWarning):  # zipfile warns on the duplicate it is asked to write
        p = _archive(tmp_path, [("config.json", b"{}"), ("config.json", b"{}")])
    with pytest.raises(CorruptFileError, match="twice"):
        keras.models.load_model(p)


def test_deeply_nested_config_is_a_clear_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    p = _archive(tmp_path, [("config.json", deep), ("model.weights.h5", b"")])
    with pytest.raises(CorruptFileError, match="too deeply|not valid JSON"):
        keras.models.load_model(p)


def test_load_is_all_or_nothing(backend, tmp_path):
    """The second layer's kernel cannot be read (a corrupted compressed chunk): the first layer,
    whose dataset comes first and reads fine, must keep its old weights."""
    src = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(2)])
    for v in src.weights:
        v.assign(np.ones(v.shape, v.dtype))
    path = tmp_path / "w.weights.h5"
    src.save_weights(path)
    with h5py.File(path, "r+") as f:
        del f["layers/dense_1/vars/0"]
        ds = f.create_dataset("layers/dense_1/vars/0", data=np.ones((2, 2), "float32"), chunks=(2, 2),
                              compression="gzip")
        info = ds.id.get_chunk_info(0)
    with open(path, "r+b") as fh:  # overwrite the deflate stream with garbage
        fh.seek(info.byte_offset)
        fh.write(b"\xff" * info.size)
    dst = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(2)])
    before = dst.get_weights()
    with pytest.raises(CorruptFileError) as e:
        dst.load_weights(path)
    assert "layers/dense_1/vars/0" in str(e.value) and "w.weights.h5" in str(e.value)
    for a, b in zip(before, dst.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["vars_is_dataset", "renamed_datasets", "missing_dataset"])
def test_low_level_damage_is_one_error_type(backend, tmp_path, damage):
    m = _model()
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    with h5py.File(path, "r+") as f:
        g = f["layers/dense/vars"]
        if damage == "vars_is_dataset":
            del f["layers/dense/vars"]
            f.create_dataset("layers/dense/vars", data=np.zeros(2))
        elif damage == "renamed_datasets":
            g.move("0", "a")
        else:
            g.move("1", "7")
    with pytest.raises(ValueError, match="layers/dense/vars"):
        _model().load_weights(path)


def test_config_fields_of_the_wrong_json_type(tmp_path):
    m = _model()
    good = tmp_path / "good.keras"
    m.save(good)
    with zipfile.ZipFile(good) as z:
        cfg = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    for mutate, match in [(lambda c: c.__setitem__("config", "oops"), "field 'config'"),
                          (lambda c: c["config"]["layers"][1].__setitem__("build_config", 3), "build_config"),
                          (lambda c: c.__setitem__("class_name", 7), "class_name")]:
        bad = json.loads(json.dumps(cfg))
        mutate(bad)
        p = _archive(tmp_path, [("config.json", json.dumps(bad)), ("model.weights.h5", weights)])
        with pytest.raises(ValueError, match=match):
            keras.models.load_model(p)


# ---- saving side effects (item 5) --------------------------------------------------------------
def test_new_file_mode_follows_umask_and_existing_mode_is_kept(tmp_path):
    m = _model()
    old = os.umask(0o022)
    try:
        m.save(tmp_path / "a.keras")
        assert stat.S_IMODE(os.stat(tmp_path / "a.keras").st_mode) == 0o644
        m.save_weights(tmp_path / "a.weights.h5")
        assert stat.S_IMODE(os.stat(tmp_path / "a.weights.h5").st_mode) == 0o644
        os.chmod(tmp_path / "a.keras", 0o640)
        m.save(tmp_path / "a.keras")
        assert stat.S_IMODE(os.stat(tmp_path / "a.keras").st_mode) == 0o640
    finally:
        os.umask(old)


def test_save_through_a_symlink_writes_its_target(tmp_path):
    m = _model()
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.keras"
    m.save(target)
    link = tmp_path / "latest.keras"
    link.symlink_to(target)
    m.layers[0].kernel.assign(np.ones((3, 2), "float32"))
    m.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    np.testing.assert_array_equal(keras.models.load_model(target).layers[0].kernel.numpy(), np.ones((3, 2)))


def test_stale_temp_file_of_a_killed_writer_is_removed(tmp_path):
    m = _model()
    path = tmp_path / "model.keras"
    m.save(path)
    dead_pid = 2 ** 22 + 12345  # above Linux's pid_max default: no such process
    stale = tmp_path / f".model.keras.kshim-save-{dead_pid}.tmp"
    stale.write_bytes(b"x" * 1000)
    other = tmp_path / f".other.keras.kshim-save-{dead_pid}.tmp"  # another target's: not ours to remove
    other.write_bytes(b"x")
    keras.models.load_model(path)
    assert not stale.exists() and other.exists()
    stale.write_bytes(b"x")
    m.save(path)
    assert not stale.exists()
    assert sorted(os.listdir(tmp_path)) == sorted(["model.keras", other.name])

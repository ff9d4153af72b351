"""Bad files give clear errors (never a hang or a partial model); saves are atomic."""
import io
import os
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kshim as keras
from kshim import layers
from kshim.saving import CorruptFileError


_GOOD: dict = {}


@pytest.fixture(autouse=True)
def _numpy_backend():
    # Oracle test modules set KERAS_BACKEND=jax for real Keras, which kshim also honours: pin numpy.
    with keras.backend.use("numpy"):
        yield


def _saved(tmp_path):
    path = tmp_path / "good.keras"
    if "bytes" not in _GOOD:  # one fixed file, so fuzz inputs are reproducible
        with keras.backend.use("numpy"):
            m = keras.Sequential([keras.Input((3,), name="inp"), layers.Dense(2, name="d")], name="fixed")
            m.save(path)
        _GOOD["bytes"] = path.read_bytes()
    path.write_bytes(_GOOD["bytes"])
    return path


def test_not_a_zip_and_truncated(tmp_path):
    p = tmp_path / "x.keras"
    p.write_bytes(b"hello world")
    with pytest.raises(CorruptFileError, match="not a zip"):
        keras.models.load_model(p)
    good = _saved(tmp_path).read_bytes()
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(CorruptFileError):
        keras.models.load_model(p)
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "missing.keras")


def _rezip(src: bytes, drop=(), add=(), replace=None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for n in zin.namelist():
            if n in drop:
                continue
            data = (replace or {}).get(n, zin.read(n))
            zout.writestr(n, data)
        for n, data in add:
            zout.writestr(n, data)
    return out.getvalue()


def test_missing_member_bad_json_path_traversal_bad_h5(tmp_path):
    good = _saved(tmp_path).read_bytes()
    p = tmp_path / "bad.keras"
    p.write_bytes(_rezip(good, drop=("model.weights.h5",)))
    with pytest.raises(CorruptFileError, match="missing model.weights.h5"):
        keras.models.load_model(p)
    p.write_bytes(_rezip(good, replace={"config.json": b"{not json"}))
    with pytest.raises(CorruptFileError, match="not valid JSON"):
        keras.models.load_model(p)
    p.write_bytes(_rezip(good, add=(("../evil.txt", b"x"),)))
    with pytest.raises(CorruptFileError, match="outside the archive"):
        keras.models.load_model(p)
    p.write_bytes(_rezip(good, replace={"model.weights.h5": b"garbage" * 10}))
    with pytest.raises(CorruptFileError, match="HDF5"):
        keras.models.load_model(p)


def test_h5_with_wrong_shapes(tmp_path):
    with keras.backend.use("numpy"):
        big = keras.Sequential([keras.Input((3,)), layers.Dense(5)])
        big.save(tmp_path / "big.keras")
        small = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
        small.save(tmp_path / "small.keras")
    good = (tmp_path / "small.keras").read_bytes()
    with zipfile.ZipFile(tmp_path / "big.keras") as z:
        big_h5 = z.read("model.weights.h5")
    (tmp_path / "mixed.keras").write_bytes(_rezip(good, replace={"model.weights.h5": big_h5}))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 5\)"):
        keras.models.load_model(tmp_path / "mixed.keras")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_corrupted_archives(tmp_path, data):
    good = _saved(tmp_path).read_bytes()
    n = len(good)
    kind = data.draw(st.sampled_from(["flip", "truncate", "splice"]))
    buf = bytearray(good)
    if kind == "flip":
        for _ in range(data.draw(st.integers(1, 20))):
            i = data.draw(st.integers(0, n - 1))
            buf[i] = data.draw(st.integers(0, 255))
    elif kind == "truncate":
        buf = buf[: data.draw(st.integers(0, n - 1))]
    else:
        i = data.draw(st.integers(0, n - 1))
        buf[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    p = tmp_path / "fuzz.keras"
    p.write_bytes(bytes(buf))
    with keras.backend.use("numpy"):
        try:
            m = keras.models.load_model(p)
        except (ValueError, TypeError, FileNotFoundError, KeyError) as e:
            assert str(e)  # a clear message, not an empty one
            return
        # Some flips land in unused bytes (padding, timestamps): then the model must be complete.
        out = m.predict(np.ones((1, 3), "float32"), verbose=0)
    assert out.shape == (1, 2)


def test_interrupted_save_keeps_previous_file(tmp_path):
    path = tmp_path / "model.keras"
    with keras.backend.use("numpy"):
        m = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
        m.save(path)
        before = m.get_weights()
    script = textwrap.dedent(f"""
        import os, sys, time, zipfile
        import kshim as keras
        from kshim import layers
        real = zipfile.ZipFile.writestr
        def slow(self, name, data, *a, **k):
            real(self, name, data, *a, **k)
            if name == "config.json":
                print("WRITING", flush=True)
                time.sleep(60)
        zipfile.ZipFile.writestr = slow
        m = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_initializer="ones")])
        m.save({str(path)!r})
    """)
    env = {**os.environ, "KSHIM_BACKEND": "numpy"}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "WRITING"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    leftovers = [f for f in os.listdir(tmp_path) if ".kshim-save-" in f]
    assert leftovers == [f".model.keras.kshim-save-{proc.pid}.tmp"]  # the killed writer's, named after the target
    with keras.backend.use("numpy"):
        m2 = keras.models.load_model(path)
    for a, b in zip(before, m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [f for f in os.listdir(tmp_path) if ".kshim-save-" in f] == []  # the load removed the stale file

"""Backend selection, precedence, isolation, config (floatx/epsilon/image_data_format), import cost."""
from __future__ import annotations

import contextvars
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends, config

ALL = ("numpy", "jax", "torch")


def _run(code: str, env_extra: dict | None = None, home: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_BACKEND", "KERAS_BACKEND", "KSHIM_HOME")}
    env["KSHIM_HOME"] = home or os.devnull + "-missing"
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def _name(env_extra=None, home=None) -> str:
    r = _run("import kshim; print(kshim.backend.backend())", env_extra, home)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture
def home(tmp_path):
    (tmp_path / "kshim.json").write_text(json.dumps({"backend": "jax"}))
    return str(tmp_path)


# ---- precedence ------------------------------------------------------------------------------
def test_default_is_numpy():
    assert _name() == "numpy"


def test_config_file(home):
    assert _name(home=home) == "jax"


def test_keras_backend_beats_file(home):
    assert _name({"KERAS_BACKEND": "torch"}, home) == "torch"


def test_kshim_backend_beats_keras_backend(home):
    assert _name({"KERAS_BACKEND": "torch", "KSHIM_BACKEND": "numpy"}, home) == "numpy"


def test_use_beats_everything(home):
    r = _run("import kshim\nwith kshim.backend.use('torch'): print(kshim.backend.backend())",
             {"KSHIM_BACKEND": "jax", "KERAS_BACKEND": "numpy"}, home)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "torch"


def test_config_file_other_settings(tmp_path):
    (tmp_path / "kshim.json").write_text(json.dumps({"floatx": "float64", "epsilon": 1e-5,
                                                     "image_data_format": "channels_first"}))
    r = _run("import kshim\nfrom kshim import config as c\n"
             "print(c.floatx(), c.epsilon(), c.image_data_format(), kshim.backend.backend())", home=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["float64", "1e-05", "channels_first", "numpy"]


# ---- use(): nesting, restoration, isolation ----------------------------------------------------
def test_use_nesting_and_restoration():
    outer = kshim.backend.backend()
    with kshim.backend.use("jax") as bj:
        assert kshim.backend.backend() == "jax" and bj.name == "jax"
        with kshim.backend.use("torch"):
            assert kshim.backend.backend() == "torch"
            with kshim.backend.use("numpy"):
                assert kshim.backend.backend() == "numpy"
            assert kshim.backend.backend() == "torch"
        assert kshim.backend.backend() == "jax"
    assert kshim.backend.backend() == outer


def test_use_restores_after_exception():
    outer = kshim.backend.backend()
    with pytest.raises(RuntimeError):
        with kshim.backend.use("torch"):
            raise RuntimeError("boom")
    assert kshim.backend.backend() == outer


def test_use_accepts_backend_object():
    b = backends.get("jax")
    with kshim.backend.use(b) as got:
        assert got is b and kshim.backend.current() is b


def test_thread_isolation():
    outer = kshim.backend.backend()
    seen, barrier = {}, threading.Barrier(2)

    def worker(name):
        with kshim.backend.use(name):
            barrier.wait()
            seen[name] = (kshim.backend.backend(), type(O.ones((2,))).__module__)
            barrier.wait()

    ts = [threading.Thread(target=worker, args=(n,)) for n in ("jax", "torch")]
    with kshim.backend.use("numpy"):
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert kshim.backend.backend() == "numpy"
    assert seen["jax"][0] == "jax" and seen["torch"][0] == "torch"
    assert seen["torch"][1].startswith("torch") and seen["jax"][1].startswith("jax")
    assert kshim.backend.backend() == outer


def test_context_isolation():
    with kshim.backend.use("jax"):
        outside = contextvars.copy_context()
        with kshim.backend.use("torch"):
            inside = contextvars.copy_context()
            assert outside.run(kshim.backend.backend) == "jax"   # a context copied earlier keeps jax
        assert inside.run(kshim.backend.backend) == "torch"      # and one copied inside keeps torch
        assert kshim.backend.backend() == "jax"


def test_backend_matches_config():
    for n in ALL:
        with kshim.backend.use(n):
            assert kshim.backend.backend() == config.backend() == n


def test_several_backends_live_in_one_process():
    outs = {}
    for n in ALL:
        with kshim.backend.use(n):
            outs[n] = O.convert_to_numpy(O.add(O.arange(3), 1))
    for n in ALL:
        np.testing.assert_array_equal(outs[n], [1, 2, 3])


# ---- registry errors ---------------------------------------------------------------------------
def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as e:
        backends.get("tensorflowx")
    for n in ALL:
        assert n in str(e.value)
    with pytest.raises(ValueError):
        with kshim.backend.use("nope"):
            pass


@pytest.mark.parametrize("lib,extra", [("torch", "torch"), ("jax", "jax")])
def test_missing_library_names_the_extra(lib, extra):
    code = (f"import sys, importlib.abc\n"
            f"class Block(importlib.abc.MetaPathFinder):\n"
            f"    def find_spec(self, name, path=None, target=None):\n"
            f"        if name == {lib!r} or name.startswith({lib!r} + '.'):\n"
            f"            raise ImportError('blocked ' + name)\n"
            f"sys.meta_path.insert(0, Block())\n"
            f"sys.modules[{lib!r}] = None\n"
            f"import kshim\n"
            f"try:\n"
            f"    kshim.backends.get({lib!r})\n"
            f"except ImportError as e:\n"
            f"    print('IMPORTERROR', e)\n"
            f"else:\n"
            f"    print('NO ERROR')\n")
    r = _run(code)
    assert "IMPORTERROR" in r.stdout, r.stdout + r.stderr
    assert f"kshim[{extra}]" in r.stdout


# ---- floatx / epsilon / image_data_format ------------------------------------------------------
@pytest.fixture
def restore_config():
    saved = config.floatx(), config.epsilon(), config.image_data_format()
    yield
    config.set_floatx(saved[0])
    config.set_epsilon(saved[1])
    config.set_image_data_format(saved[2])


@pytest.mark.parametrize("fx", ["float16", "float32", "float64"])
def test_set_floatx(backend, restore_config, fx):
    config.set_floatx(fx)
    assert config.floatx() == fx
    assert O.dtype(O.ones((2,))) == fx
    assert O.dtype(O.convert_to_tensor([1.0, 2.0])) == fx
    assert O.dtype(O.mean(O.arange(4))) == fx
    assert O.dtype(O.divide(O.arange(4), 2)) == fx


def test_set_floatx_rejects_unknown(restore_config):
    with pytest.raises(ValueError):
        config.set_floatx("float8")


def test_float64_really_works(backend, restore_config):
    config.set_floatx("float64")
    x = O.convert_to_tensor(np.array([1.0, 1e-12]))
    y = O.add(x, 1.0)
    assert O.dtype(y) == "float64"
    out = O.convert_to_numpy(O.subtract(y, 1.0))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [1.0, 1e-12], rtol=0, atol=1e-15)  # float32 would give 0 for 1e-12
    assert out[1] != 0
    s = O.convert_to_numpy(O.sum(O.convert_to_tensor(np.full(10, 0.1))))
    assert abs(float(s) - 1.0) < 1e-15
    m = O.convert_to_numpy(O.matmul(O.ones((3, 3), dtype="float64"), O.ones((3, 1), dtype="float64")))
    assert m.dtype == np.float64


def test_epsilon(restore_config):
    assert config.epsilon() == pytest.approx(1e-7)
    config.set_epsilon(1e-4)
    assert config.epsilon() == 1e-4


def test_image_data_format(restore_config):
    assert config.image_data_format() == "channels_last"
    config.set_image_data_format("channels_first")
    assert config.image_data_format() == "channels_first"
    with pytest.raises(ValueError):
        config.set_image_data_format("NHWC")


# ---- import cost -----------------------------------------------------------------------------
def test_import_numpy_backend_loads_neither_jax_nor_torch():
    r = _run("import sys, kshim, kshim.ops as O\n"
             "with kshim.backend.use('numpy'): O.add(O.ones((2,)), 1.0)\n"
             "print(sorted(m for m in ('jax', 'torch', 'jaxlib') if m in sys.modules))",
             {"KSHIM_BACKEND": "numpy"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_import_is_cheap():
    # `import kshim` is lazy: it loads kshim's own package and the standard library, nothing else
    # (no NumPy, no backend). That is what keeps it fast; the check is structural, not timed.
    code = ("import sys; before = set(sys.modules); import kshim\n"
            "print(sorted({m.split('.')[0] for m in set(sys.modules) - before}))")
    r = _run(code, {"KSHIM_BACKEND": "numpy"})
    assert r.returncode == 0, r.stderr
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1].replace("'", '"')))
    assert "kshim" in loaded
    third_party = sorted(m for m in loaded - {"kshim"} if m.lstrip("_") not in sys.stdlib_module_names
                         and m not in sys.stdlib_module_names)
    assert third_party == [], f"import kshim loaded {third_party}"

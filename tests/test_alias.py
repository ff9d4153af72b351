"""``import keras`` means kshim on request: ``kshim.alias_keras()``, ``KSHIM_ALIAS_KERAS=1``,
``kshim run`` / ``python -m kshim``, ``kshim compare`` on a ``keras`` script, the refusal when real
Keras is already imported, the real-Keras-in-a-kshim-model error, and ``pad_sequences``.

The alias rewires ``sys.modules`` and this test process also imports real Keras (the oracle), so
everything touching the alias runs in a fresh subprocess with a clean environment.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from kshim.preprocessing.sequence import pad_sequences

HAS_KERAS = importlib.util.find_spec("keras") is not None
needs_keras = pytest.mark.skipif(not HAS_KERAS, reason="real Keras 3 is not installed (pip install 'kshim[oracle]')")


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS_", "KSHIM_"))}
    env.update({"KSHIM_JAX_CACHE": "0", "PYTHONDONTWRITEBYTECODE": "1"}, **extra)
    return env


def _py(code: str, *, cwd: str | None = None, timeout: int = 180, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=_env(**env))


def _ok(p: subprocess.CompletedProcess) -> str:
    assert p.returncode == 0, f"exit {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p.stdout


# ---- the alias, per backend ----------------------------------------------------------------------------
ALIAS_CHECKS = """
import sys
import kshim                                   # KSHIM_ALIAS_KERAS=1: the alias is installed here
import keras
from keras import layers
from keras.models import Model, Sequential
from keras.layers import Dense
import keras.utils, keras.ops, keras.optimizers.schedules, keras.callbacks, keras.backend, keras.config
import keras.saving, keras.datasets.mnist, keras.losses, keras.metrics, keras.optimizers
from keras.preprocessing.sequence import pad_sequences
from keras.ops.numpy import add
from keras.ops.nn import relu, binary_crossentropy   # binary_crossentropy lives in kshim.ops.nn_loss
import numpy as np

assert keras is kshim and layers is kshim.layers and Dense is kshim.layers.Dense
assert sys.modules["keras.layers"] is kshim.layers and sys.modules["keras.datasets.mnist"] is kshim.datasets.mnist
assert sys.modules["keras.optimizers.schedules"] is kshim.optimizers.schedules
assert kshim.layers.__spec__.name == "kshim.layers" and kshim.__spec__.name == "kshim"   # own specs kept
assert keras.ops.numpy.add is kshim.ops.add and add is kshim.ops.add and relu is kshim.ops.relu
assert keras.preprocessing.sequence.pad_sequences is pad_sequences is keras.utils.pad_sequences
assert "keras" not in keras.layers.Dense.__module__
assert keras.backend.backend() == BACKEND, keras.backend.backend()

inputs = keras.Input((4,))
model = Model(inputs, Dense(2)(layers.Dense(8, activation="relu")(inputs)))
model.compile(optimizer="adam", loss="mse")
x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
hist = model.fit(x, x[:, :2], epochs=1, batch_size=8, verbose=0)
assert np.isfinite(hist.history["loss"][0])
print("ALIAS-OK", BACKEND)
"""

ERROR_AND_IDEMPOTENCY_CHECKS = """
finders = [f for f in sys.meta_path if type(f).__name__ == "_KerasAliasFinder"]
kshim.alias_keras(); kshim.alias_keras()                         # idempotent
assert [f for f in sys.meta_path if type(f).__name__ == "_KerasAliasFinder"] == finders and len(finders) == 1

def import_error(name):
    try:
        __import__(name)
    except ImportError as e:
        return str(e)
    raise AssertionError(f"import {name} should fail under the alias")

msg = import_error("keras.applications")
assert "kshim does not provide `keras.applications`" in msg and "real Keras 3 does" in msg, msg
from keras.preprocessing.image import img_to_array  # noqa: F401  (legacy path, mapped)
from keras.datasets import imdb  # noqa: F401
msg = import_error("keras.layers.experimental")
assert "Keras 3 has no `keras.layers.experimental`" in msg and "keras.layers" in msg, msg
msg = import_error("keras.datasets.nope")
assert "mnist" in msg and "neither Keras 3 nor kshim" in msg, msg   # lists what kshim has instead
msg = import_error("keras.quantizers")
assert "kshim does not provide `keras.quantizers`" in msg, msg
assert "keras.src" in import_error("keras.src.layers")
assert not any(k.startswith("keras.src") for k in sys.modules)   # real Keras was never loaded

kshim.unalias_keras()
assert not any(k == "keras" or k.startswith("keras.") for k in sys.modules)
assert not hasattr(kshim.ops, "numpy") and kshim.ops.nn.__name__ == "kshim.ops.nn"
kshim.alias_keras()
import keras as again
assert again is kshim and "keras.ops.numpy" in sys.modules
print("ERRORS-OK")
"""


def test_alias_resolves_keras_paths_to_kshim(backend):
    code = f"BACKEND = {backend.name!r}\n" + ALIAS_CHECKS
    if backend.name == "numpy":  # the backend-independent checks once, on the fast backend
        code += ERROR_AND_IDEMPOTENCY_CHECKS + "\nassert 'jax' not in sys.modules and 'torch' not in sys.modules\n"
    out = _ok(_py(code, KSHIM_ALIAS_KERAS="1", KSHIM_BACKEND=backend.name))
    assert f"ALIAS-OK {backend.name}" in out
    if backend.name == "numpy":
        assert "ERRORS-OK" in out


def test_alias_env_var_off_and_bad_value():
    _ok(_py("import sys, kshim; assert 'keras' not in sys.modules and not kshim._alias.is_aliased()",
            KSHIM_ALIAS_KERAS="0"))
    p = _py("import kshim", KSHIM_ALIAS_KERAS="maybe")
    assert p.returncode == 1 and "KSHIM_ALIAS_KERAS='maybe' is not understood" in p.stderr


# ---- kshim run / python -m kshim -------------------------------------------------------------------------
TUTORIAL = '''
import os
os.environ["KERAS_BACKEND"] = "numpy"          # as tutorials do; `kshim run --backend` overrides it

import argparse
import json
import sys

import numpy as np
import keras
from keras import layers
from keras.models import Sequential

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--out")
args = parser.parse_args()

rng = np.random.default_rng(0)
texts = [list(rng.integers(1, 50, size=rng.integers(2, 12))) for _ in range(32)]
x = keras.preprocessing.sequence.pad_sequences(texts, maxlen=10)
y = np.array([int(sum(t) % 2) for t in texts])
assert x.shape == (32, 10) and x.dtype == np.int32

model = Sequential([keras.Input((10,), dtype="int32"), layers.Embedding(50, 8), layers.GlobalAveragePooling1D(),
                    layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
hist = model.fit(x, y, epochs=args.epochs, batch_size=16, verbose=0)
loss = hist.history["loss"][-1]
assert len(hist.history["loss"]) == args.epochs and np.isfinite(loss)
with open(args.out, "w") as f:
    json.dump({"name": __name__, "argv": sys.argv, "backend": keras.backend.backend(), "loss": float(loss),
               "keras_is_kshim": keras.__name__ == "kshim"}, f)
'''


@pytest.fixture
def tutorial(tmp_path):
    path = tmp_path / "tutorial.py"
    path.write_text(TUTORIAL)
    return path


def _kshim_exe() -> list[str]:
    exe = os.path.join(os.path.dirname(sys.executable), "kshim")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "kshim.cli"]


def test_kshim_run_backend_flag_wins_over_script(tutorial, tmp_path):
    out = tmp_path / "run.json"
    p = subprocess.run(_kshim_exe() + ["run", "--backend", "torch", str(tutorial), "--epochs", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=180, env=_env())
    _ok(p)
    res = json.loads(out.read_text())
    assert res["backend"] == "torch"                       # --backend beats the script's KERAS_BACKEND=numpy
    assert res["name"] == "__main__" and res["keras_is_kshim"]
    assert res["argv"] == [str(tutorial), "--epochs", "1", "--out", str(out)]


def test_python_m_kshim_uses_scripts_backend_without_flag(tutorial, tmp_path):
    out = tmp_path / "m.json"
    p = subprocess.run([sys.executable, "-m", "kshim", str(tutorial), "--epochs", "1", "--out", str(out)],
                       capture_output=True, text=True, timeout=180, env=_env(KSHIM_BACKEND="", KERAS_BACKEND="jax"),
                       cwd=str(tmp_path))
    _ok(p)
    res = json.loads(out.read_text())
    assert res["backend"] == "numpy" and res["keras_is_kshim"]   # the script's KERAS_BACKEND beat the environment's
    assert res["argv"][1:] == ["--epochs", "1", "--out", str(out)]


def test_run_reports_script_errors_and_exit_codes(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sys\nif sys.argv[1:] == ['exit']:\n    sys.exit(3)\n"
                   "raise ValueError('boom from the script')\n")
    p = subprocess.run([sys.executable, "-m", "kshim", str(bad)], capture_output=True, text=True, timeout=60,
                       env=_env())
    assert p.returncode == 1 and "ValueError: boom from the script" in p.stderr
    assert "runpy" not in p.stderr and "kshim/cli.py" not in p.stderr   # the traceback starts at the script
    assert subprocess.run([sys.executable, "-m", "kshim", str(bad), "exit"], capture_output=True, timeout=60,
                          env=_env()).returncode == 3
    p = subprocess.run([sys.executable, "-m", "kshim", "run", "--backend", "nosuch", str(bad)], capture_output=True,
                       text=True, timeout=60, env=_env())
    assert p.returncode == 2 and "Valid names" in p.stderr
    p = subprocess.run([sys.executable, "-m", "kshim", str(tmp_path / "missing.py")], capture_output=True, text=True,
                       timeout=60, env=_env())
    assert p.returncode == 2 and "no such script" in p.stderr


# ---- kshim compare on a `keras` script ------------------------------------------------------------------
COMPARE_SCRIPT = '''
import numpy as np
import keras

def build_model():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m

def load_data():
    r = np.random.default_rng(0)
    x, y = r.normal(size=(64, 4)).astype("float32"), r.integers(0, 3, 64).astype("int32")
    return (x, y), (x, y)
'''


def test_compare_runs_keras_script_under_alias(tmp_path):
    script = tmp_path / "kscript.py"
    script.write_text(COMPARE_SCRIPT)
    p = subprocess.run(_kshim_exe() + ["compare", str(script), "--epochs", "1", "--backends", "numpy"],
                       capture_output=True, text=True, timeout=120, env=_env())
    assert "kscript.py" in _ok(p)


# ---- real Keras already imported: refusal, mixing errors, compare -----------------------------------------
REAL_KERAS_FIRST = """
import keras                                   # real Keras, imported before kshim
import kshim, numpy as np
from kshim._alias import RealKerasObjectError
assert keras is not kshim and keras.backend.backend() == "numpy"

def raises(exc, fn):
    try:
        fn()
    except exc as e:
        return str(e)
    raise AssertionError(f"expected {exc.__name__}")

msg = raises(RuntimeError, kshim.alias_keras)
assert "real Keras is already imported" in msg and "kshim run" in msg, msg
assert sys.modules["keras"] is keras                           # refused: nothing changed

for build in (lambda: kshim.Sequential([keras.layers.Dense(3)]),
              lambda: kshim.Sequential([kshim.Input((4,))]).add(keras.layers.Dense(3))):
    msg = raises(TypeError, build)
    assert "real Keras" in msg and "keras.src.layers.core.dense.Dense" in msg and "kshim.alias_keras()" in msg, msg

msg = raises(TypeError, lambda: keras.layers.Dense(3)(kshim.Input((4,))))
assert "real-Keras layer or op" in msg and "kshim KerasTensor" in msg and "alias_keras" in msg, msg

class Sub(kshim.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [kshim.layers.Dense(2), keras.layers.Dense(3)]
    def call(self, x):
        return x
msg = raises(TypeError, Sub)
assert "setting `.blocks`" in msg and "real Keras" in msg, msg
assert issubclass(RealKerasObjectError, TypeError)

from kshim.cli import main
code = main(["compare", SCRIPT, "--epochs", "1", "--backends", "numpy"])
assert code == 2, code
print("REAL-FIRST-OK")
"""


@needs_keras
def test_real_keras_already_imported(tmp_path):
    script = tmp_path / "realscript.py"
    script.write_text(COMPARE_SCRIPT)
    p = _py("import sys\nSCRIPT = " + repr(str(script)) + "\n" + REAL_KERAS_FIRST, KERAS_BACKEND="numpy",
            KSHIM_BACKEND="numpy")
    assert "REAL-FIRST-OK" in _ok(p)
    assert "build_model() returned a real Keras model" in p.stderr and "numpy~" not in p.stdout + p.stderr
    # KSHIM_ALIAS_KERAS=1 after real Keras: the import of kshim itself refuses.
    p = _py("import keras, kshim", KERAS_BACKEND="numpy", KSHIM_ALIAS_KERAS="1")
    assert p.returncode == 1 and "RuntimeError" in p.stderr and "real Keras is already imported" in p.stderr


# ---- pad_sequences ------------------------------------------------------------------------------------------
PAD_CASES = [
    ([[1], [2, 3], [4, 5, 6]], {}),
    ([[1], [2, 3], [4, 5, 6]], {"maxlen": 2}),
    ([[1], [2, 3], [4, 5, 6]], {"maxlen": 2, "padding": "post", "truncating": "post"}),
    ([[1, 2, 3, 4], [], [5]], {"maxlen": 3, "padding": "post", "value": -1}),
    ([[1.5, 2.5], [3.25]], {"dtype": "float32", "value": 0.5}),
    ([np.ones((2, 3)), np.zeros((4, 3)), np.full((1, 3), 7.0)], {"dtype": "float64", "maxlen": 3}),
    ([["the", "cat"], ["a"]], {"dtype": object, "value": "<pad>"}),
    ([["ab", "cde"], ["f"]], {"dtype": "<U5", "value": "", "padding": "post"}),
    ([[1, 2], [3]], {"dtype": "int64", "value": 9}),
    (np.arange(12).reshape(3, 4), {"maxlen": 2, "truncating": "post"}),
    ([], {"maxlen": 3}),
    ([[1, 2, 3]], {"maxlen": 5, "value": 2.7}),     # fill value cast to int32 like NumPy
]


@needs_keras
@pytest.mark.parametrize("seqs,kwargs", PAD_CASES)
def test_pad_sequences_matches_keras(seqs, kwargs):
    from kshim.compat.oracle import import_keras
    keras = import_keras()
    want = keras.utils.pad_sequences(seqs, **kwargs)
    got = pad_sequences(seqs, **kwargs)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


BAD_PAD = [
    (5, {}, "must be iterable"),
    ([1, 2], {}, "list of iterables"),
    ([[1]], {"padding": "mid"}, 'Padding type "mid" not understood'),
    ([[1]], {"truncating": "middle"}, 'Truncating type "middle" not understood'),
    ([[1]], {"value": "x"}, "dtype=object"),
    ([[[1, 2]], [[1, 2, 3]]], {}, "different from expected shape"),
]


@pytest.mark.parametrize("seqs,kwargs,text", BAD_PAD)
def test_pad_sequences_errors_like_keras(seqs, kwargs, text):
    with pytest.raises(ValueError, match=text):
        pad_sequences(seqs, **kwargs)
    if HAS_KERAS:
        from kshim.compat.oracle import import_keras
        with pytest.raises(ValueError):
            import_keras().utils.pad_sequences(seqs, **kwargs)


def test_pad_sequences_defaults_and_kshim_choices():
    out = pad_sequences([[1], [2, 3]])
    assert out.dtype == np.int32 and out.tolist() == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="pass `maxlen`"):  # Keras: NumPy's "zero-size array" error
        pad_sequences([])
    # dtype=str: Keras sizes the strings by the fill value and cuts 'cde' to 'c'; kshim keeps them whole.
    assert pad_sequences([["ab", "cde"]], dtype=str, value="").tolist() == [["ab", "cde"]]
    import kshim
    assert kshim.utils.pad_sequences is pad_sequences and kshim.preprocessing.sequence.pad_sequences is pad_sequences

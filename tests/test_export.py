"""``model.export`` without TensorFlow: ONNX (torch.onnx), ``torch.export`` ``.pt2`` and ``jax.export``.

Every artifact is reloaded by its own runtime (onnxruntime, ``torch.export.load(...).module()``,
``jax.export.deserialize(...).call``) and compared with ``model.predict`` at batch sizes other than
the export-time sample batch (2). Models built under another backend than the format's are rebuilt
there for the export, so every format runs on every backend.

Tolerance: rtol 1e-5 / atol 1e-6 (float32). The exported program runs the same float32 ops as the
model, but on other kernels (ONNX Runtime, XLA, a per-sample ``jax.vmap`` of the call) whose summation
order differs: differences are a few float32 ulps (~1e-7 relative, observed <= 2e-7 absolute).
"""
from __future__ import annotations

import inspect
import os

import numpy as np
import pytest

import kshim
from kshim import layers, ops
from kshim.export import SUPPORTED_FORMATS, get_input_signature, model_backend

os.environ.setdefault("KERAS_BACKEND", "jax")
TOL = dict(rtol=1e-5, atol=1e-6)
SUFFIX = {"onnx": ".onnx", "torch": ".pt2", "jax_export": ".jax_exported"}
NEEDS = {"onnx": ("torch", "onnxruntime", "onnx", "onnxscript"), "torch": ("torch",), "jax_export": ("jax",)}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")

def needs(fmt):
    for mod in NEEDS[fmt]:
        pytest.importorskip(mod)


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


# ---- models ---------------------------------------------------------------------------------------
def _randomize(model, seed=0):
    """Non-trivial weights everywhere (BatchNormalization's moving statistics included; all positive)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


def mlp():
    model = kshim.Sequential([layers.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.5),
                              layers.Dense(3, activation="softmax")])
    return _randomize(model), [(6,)]


def cnn():
    inp = layers.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    return _randomize(kshim.Model(inp, layers.Dense(3)(x))), [(8, 8, 3)]


def two_inputs():
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    x = layers.Concatenate()([layers.Dense(5, activation="tanh")(a), layers.Dense(5)(b)])
    return _randomize(kshim.Model([a, b], layers.Dense(2)(x))), [(4,), (3,)]


MODELS = {"mlp": mlp, "cnn": cnn, "two_inputs": two_inputs}


def _inputs(shapes, n, seed=1):
    rng = np.random.default_rng(seed + n)
    return [rng.standard_normal((n,) + s).astype("float32") for s in shapes]


def _as_args(xs):
    """Positional arguments of the exported call: the model's single `inputs` argument."""
    return (xs if len(xs) > 1 else xs[0],)


# ---- reloading with each format's own runtime ----------------------------------------------------
def reload(fmt, path):
    """A function ``f(xs) -> outputs`` (NumPy) running the artifact with its own runtime."""
    if fmt == "onnx":
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        names = [i.name for i in sess.get_inputs()]
        return lambda xs: sess.run(None, dict(zip(names, xs)))[0]
    if fmt == "torch":
        import torch
        module = torch.export.load(path).module()
        return lambda xs: module(*_as_args([torch.as_tensor(x) for x in xs])).detach().cpu().numpy()
    import jax
    with open(path, "rb") as f:
        exported = jax.export.deserialize(bytearray(f.read()))
    return lambda xs: np.asarray(exported.call(*_as_args(xs)))


def _predict(model, xs):
    return model.predict(xs if len(xs) > 1 else xs[0], verbose=0)


CASES = [(fmt, m) for fmt in SUPPORTED_FORMATS for m in MODELS]


@pytest.mark.parametrize("fmt,which", CASES)
def test_export_reloads_and_matches_predict(backend, tmp_path, fmt, which):
    if fmt == "onnx" and which != "cnn" and backend.name != "torch":
        pytest.skip("ONNX export takes ~10 s: the rebuild path off torch is covered by the CNN")
    needs(fmt)
    model, shapes = MODELS[which]()
    path = str(tmp_path / f"model{SUFFIX[fmt]}")
    model.export(path, format=fmt, verbose=False)
    run = reload(fmt, path)
    if fmt == "onnx" and which == "two_inputs":  # Keras' input names (the Input names), a named dynamic batch
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        assert [(i.name, i.shape) for i in sess.get_inputs()] == [("a", ["batch", 4]), ("b", ["batch", 3])]
        assert [(o.name, o.shape) for o in sess.get_outputs()] == [("output_0", ["batch", 2])]
    if fmt == "jax_export":  # the batch is a jax.export symbolic dim
        import jax
        with open(path, "rb") as f:
            avals = jax.export.deserialize(bytearray(f.read())).in_avals
        assert [str(a.shape[0]) for a in avals] == ["batch"] * len(shapes)
    for n in (1, 5):  # the program was traced at batch 2
        xs = _inputs(shapes, n)
        np.testing.assert_allclose(run(xs), _predict(model, xs), **TOL)
    assert model_backend(model) == backend.name  # the model itself was not moved to another backend


# ---- input signatures ----------------------------------------------------------------------------
def _spec_tuple(s):
    return tuple(s.shape), s.dtype


def test_inferred_signature_matches_keras(backend):
    """The inferred signature has Keras' structure, shapes (batch None) and dtypes."""
    keras = pytest.importorskip("keras")
    from keras.src.export.export_utils import get_input_signature as keras_signature
    ka, kb = keras.Input((4,), name="a"), keras.Input((3,), dtype="int32", name="b")
    kmodel = keras.Model([ka, kb], keras.layers.Concatenate()([ka, keras.ops.cast(kb, "float32")]))
    a, b = layers.Input((4,), name="a"), layers.Input((3,), dtype="int32", name="b")
    model = kshim.Model([a, b], layers.Concatenate()([a, ops.cast(b, "float32")]))
    ks, ss = keras_signature(kmodel), get_input_signature(model)
    assert len(ks) == len(ss) == 1 and isinstance(ss[0], list)
    assert [_spec_tuple(s) for s in ss[0]] == [_spec_tuple(s) for s in ks[0]] == [((None, 4), "float32"),
                                                                                  ((None, 3), "int32")]
    kseq = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    seq = kshim.Sequential([layers.Input((5,)), layers.Dense(2)])
    assert [_spec_tuple(s) for s in get_input_signature(seq)] == [_spec_tuple(s) for s in keras_signature(kseq)]


def test_signature_forms(backend):
    """InputSpec kept as given; KerasTensor/tensors get a dynamic batch; a flat list for a two-input
    functional model is its one `inputs` argument; bad leaves raise Keras' errors."""
    model, _ = two_inputs()
    fixed = get_input_signature(model, [[layers.InputSpec(shape=(3, 4), dtype="float32"),
                                         layers.InputSpec(shape=(3, 3), dtype="float32")]])
    assert [_spec_tuple(s) for s in fixed[0]] == [((3, 4), "float32"), ((3, 3), "float32")]
    flat = get_input_signature(model, [np.zeros((7, 4), "float32"), ops.zeros((7, 3))])
    assert [_spec_tuple(s) for s in flat[0]] == [((None, 4), "float32"), ((None, 3), "float32")]
    single = get_input_signature(mlp()[0], layers.Input((6,), dtype="float16"))
    assert [_spec_tuple(s) for s in single] == [((None, 6), "float16")]
    with pytest.raises(ValueError, match="The `shape` and `dtype` must be provided"):
        get_input_signature(model, [layers.InputSpec(shape=(None, 4))])
    with pytest.raises(TypeError, match="Supported types are: `keras.InputSpec`"):
        get_input_signature(model, ["x"])


@pytest.mark.parametrize("fmt", ["torch", "jax_export"])
def test_static_signature_gives_a_fixed_shape_program(backend, tmp_path, fmt):
    needs(fmt)
    model, shapes = mlp()
    path = str(tmp_path / f"m{SUFFIX[fmt]}")
    model.export(path, format=fmt, verbose=False, input_signature=[layers.InputSpec(shape=(3, 6), dtype="float32")])
    run = reload(fmt, path)
    xs = _inputs(shapes, 3)
    np.testing.assert_allclose(run(xs), _predict(model, xs), **TOL)
    with pytest.raises(Exception):  # noqa: B017 - each runtime has its own shape-mismatch error type
        run(_inputs(shapes, 4))


@pytest.mark.parametrize("fmt", ["torch", "jax_export"])
def test_dict_inputs_and_outputs(backend, tmp_path, fmt):
    needs(fmt)
    a, b = layers.Input((4,), name="a"), layers.Input((3,), name="b")
    model = _randomize(kshim.Model({"a": a, "b": b}, {"sum": layers.Dense(2)(a), "prod": layers.Dense(2)(b)}))
    path = str(tmp_path / f"m{SUFFIX[fmt]}")
    model.export(path, format=fmt, verbose=False)
    xa, xb = _inputs([(4,), (3,)], 5)
    want = model.predict({"a": xa, "b": xb}, verbose=0)
    if fmt == "torch":
        import torch
        got = torch.export.load(path).module()({"a": torch.as_tensor(xa), "b": torch.as_tensor(xb)})
    else:
        import jax
        with open(path, "rb") as f:
            got = jax.export.deserialize(bytearray(f.read())).call({"a": xa, "b": xb})
    assert set(got) == set(want) == {"sum", "prod"}
    for k in want:
        np.testing.assert_allclose(npy(got[k]) if fmt == "jax_export" else got[k].numpy(), want[k], **TOL)


class Subclassed(kshim.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(3)

    def call(self, x):
        return ops.tanh(self.dense(x))


@pytest.mark.parametrize("fmt", ["torch", "jax_export"])
def test_subclassed_model_signature_from_its_first_call(backend, tmp_path, fmt):
    """Exported where the format's backend is the model's own; elsewhere it cannot be rebuilt (no
    get_config), and the error says to build it under the format's backend."""
    needs(fmt)
    model = Subclassed()
    with pytest.raises(ValueError, match="has not yet been built"):
        model.export(str(tmp_path / f"m{SUFFIX[fmt]}"), format=fmt, verbose=False)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    model(x)
    assert [_spec_tuple(s) for s in get_input_signature(model)] == [((None, 5), "float32")]
    target = {"torch": "torch", "jax_export": "jax"}[fmt]
    path = str(tmp_path / f"m{SUFFIX[fmt]}")
    if backend.name != target:
        with pytest.raises(ValueError, match=rf"kshim.backend.use\('{target}'\)"):
            model.export(path, format=fmt, verbose=False)
        return
    model.export(path, format=fmt, verbose=False)
    np.testing.assert_allclose(reload(fmt, path)([x[:3]]), npy(model(x[:3])), **TOL)


# ---- dynamic dims the model's code cannot keep symbolic -------------------------------------------
class BatchFromPython(layers.Layer):
    """Reads the batch size as a Python int (fixing a traced batch to its sample value)."""

    def call(self, x):
        return ops.reshape(x, (int(ops.shape(x)[0]), -1)) * 2.0


class BatchMean(layers.Layer):
    """Mixes the samples of a batch: each output depends on the others."""

    def call(self, x):
        return x - ops.mean(x, axis=0, keepdims=True)


def test_torch_reports_a_batch_fixed_by_the_code(backend, tmp_path):
    needs("torch")
    inp = layers.Input((2, 3))
    model = kshim.Model(inp, BatchFromPython()(inp))
    with pytest.raises(ValueError, match=r"could not keep the dynamic dims \['batch'\].*fully defined `input_signat"):
        model.export(str(tmp_path / "m.pt2"), format="torch", verbose=False)


def test_jax_export_per_sample_program_and_batch_mixing_refused(backend, tmp_path):
    """A batch read as a Python int still exports (one sample at a time, under jax.vmap); a model that
    mixes samples cannot be exported that way and is refused."""
    needs("jax_export")
    inp = layers.Input((2, 3))
    model = kshim.Model(inp, BatchFromPython()(inp))
    path = str(tmp_path / "m.jax_exported")
    model.export(path, format="jax_export", verbose=False)
    xs = _inputs([(2, 3)], 4)
    np.testing.assert_allclose(reload("jax_export", path)(xs), xs[0].reshape(4, -1) * 2.0, **TOL)
    inp = layers.Input((3,))
    mixing = kshim.Model(inp, BatchMean()(inp))
    with pytest.raises(ValueError, match="depends on the other samples"):
        mixing.export(path, format="jax_export", verbose=False)


# ---- formats kshim does not write, and Keras' argument checks ---------------------------------------
def test_tf_saved_model_default_raises_import_error_like_keras(backend, tmp_path):
    keras = pytest.importorskip("keras")
    kmodel = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ImportError) as keras_error:
        kmodel.export(str(tmp_path / "k"))  # Keras' default format: a SavedModel, needs TensorFlow
    assert "tensorflow" in str(keras_error.value).lower()
    model, _ = mlp()
    with pytest.raises(ImportError, match=r"format='tf_saved_model' writes a TensorFlow SavedModel, which needs "
                                          r"TensorFlow.*'onnx'.*'torch'.*'jax_export'"):
        model.export(str(tmp_path / "s"))


@pytest.mark.parametrize("fmt,needs_name", [("openvino", "OpenVINO"), ("litert", "TensorFlow")])
def test_openvino_and_litert_raise_import_error(backend, tmp_path, fmt, needs_name):
    model, _ = mlp()
    with pytest.raises(ImportError, match=needs_name) as e:
        model.export(str(tmp_path / "m.xml"), format=fmt)
    assert "'onnx'" in str(e.value) and "'jax_export'" in str(e.value)


def test_argument_errors(backend, tmp_path):
    model, _ = mlp()
    with pytest.raises(ValueError, match=r"Unrecognized format=bogus. Supported formats are: \['tf_saved_model', "
                                         r"'onnx', 'openvino', 'litert', 'torch', 'jax_export'\]"):
        model.export(str(tmp_path / "m"), format="bogus")
    with pytest.raises(ValueError, match="The PyTorch export requires the filepath to end with '.pt2'"):
        model.export(str(tmp_path / "m.pt"), format="torch")
    needs("torch")
    with pytest.raises(ValueError, match='Unsupported arguments for `format="torch"`: bogus'):
        model.export(str(tmp_path / "m.pt2"), format="torch", bogus=1)
    with pytest.raises(ValueError, match='Unsupported arguments for `format="jax_export"`: opset_version'):
        model.export(str(tmp_path / "m.bin"), format="jax_export", opset_version=17)


def test_verbose_message(backend, tmp_path, capsys):
    needs("jax_export")
    model, _ = mlp()
    model.export(str(tmp_path / "m.bin"), format="jax_export")  # verbose=None: print, as Keras
    assert capsys.readouterr().out == f"Saved jax.export artifact at '{tmp_path / 'm.bin'}'.\n"
    model.export(str(tmp_path / "m.bin"), format="jax_export", verbose=False)
    assert capsys.readouterr().out == ""


def test_export_signature_matches_keras():
    keras = pytest.importorskip("keras")
    ks = inspect.signature(keras.Model.export).parameters
    ss = inspect.signature(kshim.Model.export).parameters
    assert [(p.name, p.default, p.kind) for p in ss.values()] == [(p.name, p.default, p.kind) for p in ks.values()]

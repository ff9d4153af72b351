"""Signal ops: Keras' signatures and exception types for bad input, symbolic (functional) use and
``jit`` on every backend.

Each bad call in ``_BAD`` raises the listed exception in kshim with a message naming the problem,
and real Keras (on JAX) raises the same type for the same call.
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import kshim
import kshim.ops as O

from .cases import keras_ops

NAMES = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "bartlett", "blackman", "hamming",
         "hanning", "kaiser", "real", "imag", "conj", "conjugate", "angle", "sinc", "i0"]

_f32 = np.arange(8, dtype="float32")
_f64 = _f32.astype("float64")
_pair = (np.ones((4, 5), "float32"), np.zeros((4, 5), "float32"))
_BAD = [  # (id, op, args, kwargs, exception, message fragment)
    ("fft-not-a-pair", "fft", (_f32,), {}, ValueError, "tuple of two tensors"),
    ("fft-int-parts", "fft", ((_f32.astype("int32"), _f32.astype("int32")),), {}, ValueError, "not of type float"),
    ("fft-float16", "fft", ((_f32.astype("float16"), _f32.astype("float16")),), {}, TypeError, "float32 or float64"),
    ("fft-mixed-dtypes", "fft", ((_f32, _f64),), {}, TypeError, "same dtype"),
    ("fft-shapes", "fft", ((_f32, _f32[:3]),), {}, ValueError, r"\(8,\).*\(3,\)"),
    ("fft-rank0", "fft", ((np.float32(1), np.float32(0)),), {}, ValueError, "rank >= 1"),
    ("fft2-rank1", "fft2", ((_f32, _f32),), {}, ValueError, "rank >= 2"),
    ("ifft2-rank1", "ifft2", ((_f32, _f32),), {}, ValueError, "rank >= 2"),
    ("rfft-float16", "rfft", (_f32.astype("float16"),), {}, ValueError, "float32 or float64"),
    ("rfft-zero-length", "rfft", (_f32, 0), {}, ValueError, "fft_length"),
    ("rfft-empty-axis", "rfft", (np.zeros((2, 0), "float32"),), {}, ValueError, "empty last axis"),
    ("irfft-zero-length", "irfft", ((_f32, _f32), 0), {}, ValueError, "fft_length"),
    ("stft-int", "stft", (_f32.astype("int32"), 3, 2, 4), {}, TypeError, "float32"),
    ("stft-float16", "stft", (_f32.astype("float16"), 3, 2, 4), {}, TypeError, "float32"),
    ("stft-fft-shorter", "stft", (_f32, 5, 2, 4), {}, ValueError, "fft_length"),
    ("stft-stride0", "stft", (_f32, 3, 0, 4), {}, ValueError, "sequence_stride"),
    ("stft-window-name", "stft", (_f32, 3, 2, 4), {"window": "blackman"}, ValueError, "hann"),
    ("stft-window-shape", "stft", (_f32, 3, 2, 4), {"window": np.ones(4, "float32")}, ValueError, "window"),
    ("stft-short-signal", "stft", (_f32[:3], 4, 1, 4), {"center": False}, ValueError, "shorter than one frame"),
    ("istft-rank1", "istft", ((_f32, _f32), 4, 2, 4), {}, ValueError, "rank >= 2"),
    ("istft-stride0", "istft", (_pair, 4, 0, 8), {}, ValueError, "sequence_stride"),
    ("istft-window-shape", "istft", (_pair, 4, 2, 8), {"window": np.ones(8, "float32")}, ValueError, "window"),
]


@pytest.mark.parametrize("case", _BAD, ids=[c[0] for c in _BAD])
def test_bad_input_raises_keras_exception_type(backend, case):
    _, name, args, kwargs, exc, msg = case
    with pytest.raises(exc, match=msg):
        getattr(O, name)(*args, **kwargs)


@pytest.mark.oracle
@pytest.mark.parametrize("case", _BAD, ids=[c[0] for c in _BAD])
def test_keras_raises_the_same_type(case):
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    _, name, args, kwargs, exc, _ = case
    with pytest.raises(exc):
        getattr(K, name)(*args, **kwargs)


@pytest.mark.parametrize("name", ["bartlett", "hanning", "kaiser"])
def test_window_length_must_be_a_concrete_non_negative_integer(backend, name):
    extra = (5.0,) if name == "kaiser" else ()
    with pytest.raises(ValueError, match="non-negative integer"):
        getattr(O, name)(-2, *extra)  # Keras on JAX: an internal TypeError; NumPy: an empty window
    with pytest.raises(ValueError, match="integer"):
        getattr(O, name)(4.5, *extra)
    with pytest.raises(TypeError, match="symbolic"):
        getattr(O, name)(kshim.Input(()), *extra)


@pytest.mark.parametrize("name", NAMES)
def test_signature_matches_keras(name):
    K = keras_ops()
    if K is None:
        pytest.skip("real Keras 3 is not installed")
    def params(f):
        return [(p.name, p.default, p.kind) for p in inspect.signature(f).parameters.values()]
    assert params(getattr(O, name)) == params(getattr(K, name))


def test_symbolic_stft_istft_model_round_trip(backend):
    inp = kshim.Input((64,))
    spec = O.stft(inp, 16, 4, 16)
    assert tuple(spec[0].shape) == tuple(spec[1].shape) == (None, 17, 9)
    assert tuple(O.rfft(inp, 10)[0].shape) == (None, 6)
    model = kshim.Model(inp, O.istft(spec, 16, 4, 16))
    x = np.random.default_rng(0).standard_normal((2, 64)).astype("float32")
    y = np.asarray(model.predict(x, verbose=0))
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)  # hann, hop 1/4: perfect reconstruction


def test_stft_istft_under_jit(backend):
    f = backend.jit(lambda v: O.istft(O.stft(v, 12, 3, 16, window="hamming"), 12, 3, 16, window="hamming"))
    x = np.random.default_rng(1).standard_normal((3, 60)).astype("float32")
    y = np.asarray(O.convert_to_numpy(f(O.convert_to_tensor(x))))
    n = y.shape[-1]
    assert n == 60
    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)

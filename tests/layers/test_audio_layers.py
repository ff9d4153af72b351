"""STFTSpectrogram and MelSpectrogram against real Keras 3 (JAX backend), on every kshim backend.

STFTSpectrogram is a strided convolution with two deterministic kernels (the STFT initializer), so
kshim's initial weights are compared with Keras' directly (atol 3e-6: kshim evaluates the cosines
and sines in float64, Keras in float32, where sin/cos of angles up to 2*pi*frame*bin/fft ~ 40 rad
carry absolute errors up to ~40 * 6e-8 = 2.4e-6 before windowing), and outputs
with Keras' weights copied in at rtol 1e-5 / atol 1e-5: a frame is a sum of <= 32 float32 products
(relative rounding ~1e-7); "log" and "angle" add one transcendental each.

MelSpectrogram goes through an FFT (pocketfft / XLA / torch differ in summation order, ~1e-7 of the
frame energy), a float32 mel projection (kshim's matrix is computed in float64 and cast, Keras' in
float32: ~1e-7 relative per weight) and 10*log10: a relative power error e moves the dB value by
4.34*e, and bins near the -top_db floor carry relative errors up to ~1e-5, so dB outputs (|y| <= ~100)
are compared at rtol 1e-5 / atol 2e-4; linear-power outputs at rtol 1e-4 / atol 1e-6 (the smallest
bins have the largest relative FFT error).
"""
from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
from .keras_oracle import keras  # noqa: E402  (skips per test without Keras)

import kshim  # noqa: E402
from kshim import layers as L  # noqa: E402
from kshim import ops  # noqa: E402
from kshim.layers.preprocessing import DataLayer, MelSpectrogram, STFTSpectrogram, run_on_numpy  # noqa: E402
from ._numpy_refs_b import frames_of, mel_spectrogram_reference  # noqa: E402
from ._util import cache, npy as N  # noqa: E402

from .keras_oracle import _norm_cfg  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
STFT_TOL = dict(rtol=1e-5, atol=1e-5)
DB_TOL = dict(rtol=1e-5, atol=2e-4)
LIN_TOL = dict(rtol=1e-4, atol=1e-6)
_CACHE: dict = {}
cached = cache(_CACHE)


def signal(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# ---- STFTSpectrogram ------------------------------------------------------------------------------
STFT_CASES = [
    dict(frame_length=16, frame_step=5, fft_length=32, padding="same"),
    dict(frame_length=16, window="hamming", expand_dims=True, scaling="spectrum", periodic=True),
    dict(frame_length=12, frame_step=4, scaling=None, data_format="channels_first"),
    dict(frame_length=12, frame_step=3, padding="same", expand_dims=True, data_format="channels_first"),
]
MODES = ["log", "magnitude", "psd", "real", "imag", "angle", "stft"]


def _stft_input(kw):
    x = signal((2, 70, 3), seed=1)
    return np.ascontiguousarray(np.transpose(x, (0, 2, 1))) if kw.get("data_format") == "channels_first" else x


# every mode on the first case; the post-processing of a mode does not depend on the layout, so the
# other cases (window, scaling, expand_dims, channels_first) run two modes (Keras calls cost seconds)
STFT_PARAMS = [(m, 0) for m in MODES] + [(m, c) for c in range(1, len(STFT_CASES)) for m in ("log", "stft")]


@pytest.mark.parametrize("mode,case", STFT_PARAMS)
def test_stft_matches_keras(backend, mode, case):
    kw = dict(STFT_CASES[case], mode=mode)
    x = _stft_input(kw)

    def keras_side():
        k = keras.layers.STFTSpectrogram(name="lyr", **kw)
        k.build(x.shape)
        init = [np.asarray(w) for w in k.get_weights()]
        ws = [w + np.random.default_rng(2).standard_normal(w.shape).astype("float32") * 0.01 for w in init]
        k.set_weights(ws)
        return init, ws, np.asarray(k(x)), k.get_config(), tuple(k.compute_output_shape((None,) + x.shape[1:]))
    init, ws, ky, kcfg, kshape = cached(("stft", mode, case), keras_side)
    layer = STFTSpectrogram(name="lyr", **kw)
    layer.build(x.shape)
    assert [v.name for v in layer.weights] == [n for n in ("real_kernel", "imag_kernel")
                                               if not (mode == "real" and n == "imag_kernel")
                                               and not (mode == "imag" and n == "real_kernel")]
    assert len(init) == len(layer.weights)
    for a, b in zip(layer.get_weights(), init):
        np.testing.assert_allclose(a, b, atol=3e-6)
    layer.set_weights(ws)
    y = N(layer(x))
    assert y.shape == ky.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, ky, **STFT_TOL)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == kshape
    assert tuple(layer(L.Input(x.shape[1:])).shape) == kshape
    assert layer.get_config() == kcfg
    clone = STFTSpectrogram.from_config(layer.get_config())
    assert clone.get_config() == kcfg


def _numpy_stft_magnitude(x, frame_length, step, fft_length):
    """Reference for mode="magnitude", padding="valid", symmetric Hann window, density scaling."""
    win = np.hanning(frame_length)
    win = win / np.sqrt(np.sum(win ** 2))
    frames = 1 + (x.shape[1] - frame_length) // step
    out = []
    for c in range(x.shape[2]):
        seg = np.stack([x[:, t * step:t * step + frame_length, c] for t in range(frames)], axis=1)
        spec = np.fft.rfft(seg * win, n=fft_length, axis=-1)
        out.append(np.sqrt(np.maximum(spec.real ** 2 + spec.imag ** 2, 1e-7)))
    return np.concatenate(out, axis=-1)  # (batch, frames, channels * freq), channel-major


def _np_window(name, n, periodic):
    """Hann/Hamming of ``n`` points: symmetric (``np.hanning``/``np.hamming``) or periodic (the first
    ``n`` points of the ``n + 1``-point symmetric window)."""
    fn = {"hann": np.hanning, "hamming": np.hamming}[name]
    return fn(n + 1)[:-1] if periodic else fn(n)


def _np_stft(x, frame_length, step, fft_length, window="hann", periodic=False, scaling="density"):
    """``(batch, time, channels) -> (batch, channels, frames, bins)`` complex STFT, valid padding, the
    window at the start of each ``fft_length`` frame, scaled by ``1/sqrt(sum w^2)`` ("density") or
    ``1/sum w`` ("spectrum")."""
    win = _np_window(window, frame_length, periodic)
    if scaling == "density":
        win = win / np.sqrt(np.sum(win ** 2))
    elif scaling == "spectrum":
        win = win / np.sum(win)
    seg = frames_of(np.moveaxis(x, -1, 1), frame_length, step)
    return np.fft.rfft(seg * win, n=fft_length, axis=-1)


def _channel_major(z):
    """``(batch, channels, frames, bins) -> (batch, frames, channels * bins)``, the layer's flat layout."""
    b, c, t, f = z.shape
    return np.transpose(z, (0, 2, 1, 3)).reshape(b, t, c * f)


# float64 layers: the kernels are cos/sin evaluated in float64 and the frames are sums of <= 32
# products, so the layer equals the FFT to ~1e-15 relative; rtol 1e-10 / atol 1e-12 leave headroom
# (a wrong window, scaling, sign or frame offset is off by > 1e-2).
NP_STFT_CASES = [
    dict(frame_length=8, frame_step=4, fft_length=8),
    dict(frame_length=16, frame_step=5, fft_length=16, window="hamming", periodic=True, scaling="spectrum"),
    dict(frame_length=12, frame_step=3, fft_length=12, scaling=None),
    dict(frame_length=12, frame_step=4, fft_length=32),     # zero-padded FFT (magnitude only)
]


# where the window sits inside a longer FFT frame changes only the phase: that case checks magnitude only
NP_STFT_PARAMS = [(m, c) for c, kw in enumerate(NP_STFT_CASES) for m in ("magnitude", "real", "imag", "stft", "angle")
                  if m == "magnitude" or kw["fft_length"] == kw["frame_length"]]


@pytest.mark.parametrize("mode,case", NP_STFT_PARAMS)
def test_stft_matches_numpy_fft(backend, mode, case):
    kw = NP_STFT_CASES[case]
    x = signal((2, 70, 3), seed=11).astype("float64")
    layer = STFTSpectrogram(mode=mode, dtype="float64", **kw)
    y = N(layer(x))
    z = _np_stft(x, kw["frame_length"], kw["frame_step"], kw["fft_length"], kw.get("window", "hann"),
                 kw.get("periodic", False), kw.get("scaling", "density"))
    want = {"magnitude": lambda: np.sqrt(np.maximum(np.abs(z) ** 2, 1e-7)), "real": lambda: z.real,
            "imag": lambda: z.imag, "angle": lambda: np.arctan2(z.imag, z.real),
            "stft": lambda: np.concatenate([z.real, z.imag], axis=-1)}[mode]()
    want = _channel_major(want)
    assert y.shape == want.shape
    if mode == "angle":
        # phases compared modulo 2 pi (a bin with imaginary part ~0 and negative real part sits on the
        # branch cut, where -pi and pi are the same angle)
        np.testing.assert_allclose(np.angle(np.exp(1j * (y - want))), 0.0, atol=1e-9)
    else:
        np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    assert tuple(layer.compute_output_shape((None,) + x.shape[1:])) == (None,) + want.shape[1:]
    cfg = layer.get_config()
    assert STFTSpectrogram.from_config(cfg).get_config() == cfg


def test_stft_channels_first_and_expand_dims_are_layouts(backend):
    """``channels_first`` (input ``(batch, channels, time)``, output ``(batch, channels * freq, frames)``)
    and ``expand_dims`` (``(batch, frames, freq, channels)``) rearrange the same numbers. Kernels are
    deterministic and the arithmetic the same, so float32 rounding alone differs: 1e-6."""
    x = signal((2, 70, 3), seed=12)
    base = STFTSpectrogram(mode="magnitude", frame_length=12, frame_step=4)   # fft_length 16: 9 bins
    y = N(base(x))
    assert y.shape == (2, 15, 27)
    first = STFTSpectrogram(mode="magnitude", frame_length=12, frame_step=4, data_format="channels_first")
    yf = N(first(np.ascontiguousarray(np.transpose(x, (0, 2, 1)))))
    np.testing.assert_allclose(np.transpose(yf, (0, 2, 1)), y, rtol=1e-6, atol=1e-6)
    exp = N(STFTSpectrogram(mode="magnitude", frame_length=12, frame_step=4, expand_dims=True)(x))
    assert exp.shape == (2, 15, 9, 3)
    np.testing.assert_allclose(np.transpose(exp, (0, 1, 3, 2)).reshape(y.shape), y, rtol=1e-6, atol=1e-6)


def test_stft_float64_numpy_reference_no_keras(backend):
    x = signal((2, 40, 2)).astype("float64")
    s = STFTSpectrogram(mode="magnitude", frame_length=8, trainable=False, dtype="float64", name="s")
    y = s(x)
    assert ops.dtype(y) == "float64"
    np.testing.assert_allclose(N(y), _numpy_stft_magnitude(x, 8, 4, 8), rtol=1e-10, atol=1e-12)
    assert s.trainable_weights == [] and len(s.non_trainable_weights) == 2


def test_stft_float64_numpy_reference_and_trainable_flag(backend):
    x = signal((2, 40, 2)).astype("float64")
    k = keras.layers.STFTSpectrogram(mode="magnitude", frame_length=8, trainable=False, dtype="float64", name="s")
    s = STFTSpectrogram(mode="magnitude", frame_length=8, trainable=False, dtype="float64", name="s")
    y = s(x)
    assert ops.dtype(y) == "float64"
    # float64 kernels built in float64: equal to an FFT reference up to float64 rounding
    np.testing.assert_allclose(N(y), _numpy_stft_magnitude(x, 8, 4, 8), rtol=1e-10, atol=1e-12)
    # Keras builds its kernels in float32 precision even for float64 (errors ~1e-7 of each weight)
    np.testing.assert_allclose(N(y), np.asarray(k(x)), rtol=1e-5, atol=1e-6)
    assert s.trainable_weights == [] and len(k.trainable_weights) == 0
    assert len(s.non_trainable_weights) == 2
    assert _norm_cfg(s.get_config()) == _norm_cfg(k.get_config())


def test_stft_errors(backend):
    with pytest.raises(ValueError, match="frame_step"):
        STFTSpectrogram(frame_length=8, frame_step=9)
    with pytest.raises(ValueError, match="fft_length"):
        STFTSpectrogram(frame_length=8, fft_length=4)
    with pytest.raises(ValueError, match="mode"):
        STFTSpectrogram(mode="power")
    with pytest.raises(ValueError, match="Scaling"):
        STFTSpectrogram(scaling="both")
    with pytest.raises(ValueError, match="Padding"):
        STFTSpectrogram(padding="causal")
    with pytest.raises(ValueError):
        STFTSpectrogram(window="no-such-window")
    with pytest.warns(UserWarning, match="power of two"):
        STFTSpectrogram(frame_length=8, fft_length=12)
    layer = STFTSpectrogram(frame_length=8)
    with pytest.raises(ValueError, match="expected ndim=3"):  # the InputSpec, as in Keras
        layer(signal((2, 40)))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layer(L.Input((40,)))
    with pytest.raises(TypeError, match="Invalid input type"):
        layer(np.ones((1, 40, 1), "int32"))



def test_stft_is_a_data_layer_bound_to_its_weights_backend(backend):
    layer = STFTSpectrogram(frame_length=8)
    x = signal((1, 32, 1))
    y = N(layer(x))
    assert isinstance(layer, DataLayer) and isinstance(MelSpectrogram(), DataLayer)
    if backend.name == "numpy":
        np.testing.assert_array_equal(run_on_numpy(layer, x), y)
    else:  # its kernels are variables of the backend it was built under
        with pytest.raises(TypeError, match="holds variables"):
            run_on_numpy(layer, x)

def _stft_model(mod):
    inp = mod.layers.Input((64, 1))
    h = mod.layers.STFTSpectrogram(frame_length=16, frame_step=8, fft_length=16, mode="magnitude")(inp)
    out = mod.layers.Dense(2)(mod.layers.Flatten()(h))
    return mod.Model(inp, out)


def test_stft_save_load_and_keras_interop(backend, tmp_path):
    x = signal((2, 64, 1), seed=3)

    def keras_side():
        km = _stft_model(keras)
        rng = np.random.default_rng(4)
        ws = [w + rng.standard_normal(w.shape).astype("float32") * 0.05 for w in km.get_weights()]
        km.set_weights(ws)
        kpath = str(tmp_path.parent / f"k_stft_{os.getpid()}.keras")
        km.save(kpath)
        return ws, np.asarray(km(x)), kpath
    ws, ky, kpath = cached("stft-model", keras_side)
    m = _stft_model(kshim)
    m.set_weights(ws)
    y = N(m(x))
    np.testing.assert_allclose(y, ky, **STFT_TOL)
    path = str(tmp_path / "m.keras")
    m.save(path)
    loaded = kshim.saving.load_model(path)
    np.testing.assert_array_equal(N(loaded(x)), y)
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(kpath) as kz:
        assert "model.weights.h5" in z.namelist() and "model.weights.h5" in kz.namelist()
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), ky, **STFT_TOL)
    np.testing.assert_allclose(N(kshim.saving.load_model(kpath)(x)), ky, **STFT_TOL)


def test_stft_kernels_train(backend):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 64, 1)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    m = _stft_model(kshim)
    before = [w.copy() for w in m.get_weights()]
    m.compile(optimizer=kshim.optimizers.SGD(0.01), loss="mse")
    hist = m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    after = m.get_weights()
    # the STFT kernels are trainable weights and receive gradients
    assert not np.allclose(after[0], before[0]) and not np.allclose(after[1], before[1])


# ---- MelSpectrogram -------------------------------------------------------------------------------
MEL_CASES = [
    dict(fft_length=64, sequence_stride=16, num_mel_bins=16, sampling_rate=8000),
    dict(fft_length=64, sequence_stride=16, sequence_length=48, num_mel_bins=12, sampling_rate=8000,
         window="hamming", min_freq=100.0, max_freq=3000.0, top_db=40.0, ref_power=2.0),
    dict(fft_length=32, sequence_stride=10, num_mel_bins=8, sampling_rate=4000, power_to_db=False, mag_exp=1.0),
    dict(fft_length=32, sequence_stride=8, num_mel_bins=8, sampling_rate=4000, window=None, power_to_db=False),
]


@pytest.mark.parametrize("case,batched", [(c, True) for c in range(len(MEL_CASES))] + [(0, False)])
def test_mel_matches_keras(backend, case, batched):
    kw = MEL_CASES[case]
    x = signal((2, 300) if batched else (300,), seed=6)

    def keras_side():
        k = keras.layers.MelSpectrogram(name="lyr", **kw)
        return np.asarray(k(x)), k.get_config(), tuple(k.compute_output_shape((None, 300) if batched else (300,)))
    ky, kcfg, kshape = cached(("mel", case, batched), keras_side)
    layer = MelSpectrogram(name="lyr", **kw)
    y = N(layer(x))
    assert y.shape == ky.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, ky, **(DB_TOL if kw.get("power_to_db", True) else LIN_TOL))
    assert layer.get_weights() == []
    assert tuple(layer.compute_output_shape((None, 300) if batched else (300,))) == kshape
    if batched:
        assert tuple(layer(L.Input((300,))).shape) == kshape
    assert layer.get_config() == kcfg
    assert MelSpectrogram.from_config(layer.get_config()).get_config() == kcfg


@pytest.mark.parametrize("case,batched", [(c, True) for c in range(len(MEL_CASES))] + [(0, False)])
def test_mel_matches_numpy_reference(backend, case, batched):
    """Against :func:`mel_spectrogram_reference` (centred reflect-padded frames, periodic window, HTK mel
    filterbank, dB), float64 reference of a float32 layer: the tolerances of the Keras comparison
    (DB_TOL / LIN_TOL, justified in the module docstring: FFT summation order and the float32 mel
    projection)."""
    kw = MEL_CASES[case]
    x = signal((2, 300) if batched else (300,), seed=6)
    layer = MelSpectrogram(**kw)
    y = N(layer(x))
    full = dict(dict(window="hann", min_freq=20.0, max_freq=None, power_to_db=True, top_db=80.0, mag_exp=2.0,
                     ref_power=1.0, sequence_length=None), **kw)
    want = mel_spectrogram_reference(x.astype("float64"), **full)
    assert y.shape == want.shape and y.dtype == np.float32
    np.testing.assert_allclose(y, want, **(DB_TOL if full["power_to_db"] else LIN_TOL))
    assert tuple(layer.compute_output_shape(x.shape)) == want.shape
    cfg = layer.get_config()
    assert MelSpectrogram.from_config(cfg).get_config() == cfg


def test_mel_output_shape_is_the_real_frame_count(backend):
    # 299 + 1 is a multiple of the stride 10: Keras' formula says 31 frames, the layer returns 30
    layer = MelSpectrogram(fft_length=32, sequence_stride=10, num_mel_bins=8, sampling_rate=4000)
    x = signal((2, 299))
    assert N(layer(x)).shape == (2, 8, 30)
    assert layer.compute_output_shape((None, 299)) == (None, 8, 30)
    assert tuple(layer(L.Input((299,))).shape) == (None, 8, 30)
    assert tuple(keras.layers.MelSpectrogram(**layer.get_config()).compute_output_shape((None, 299))) == (None, 8, 31)


def test_mel_float64_policy_and_pipeline(backend):
    kw = MEL_CASES[0]
    x = signal((2, 300), seed=7)
    k = keras.layers.MelSpectrogram(dtype="float64", **kw)
    s = MelSpectrogram(dtype="float64", **kw)
    y = s(x.astype("float64"))
    assert ops.dtype(y) == "float64"
    # float64 throughout; Keras' mel matrix is float32, so its weights differ by ~1e-7 relative
    np.testing.assert_allclose(N(y), np.asarray(k(x.astype("float64"))), rtol=1e-5, atol=1e-4)
    # the data-pipeline form (NumPy) gives the same result as the active backend
    s32 = MelSpectrogram(**kw)
    np.testing.assert_allclose(run_on_numpy(s32, x), N(s32(x)), rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="sequence_length"):
        MelSpectrogram(fft_length=16, sequence_length=32)


def _mel_model(mod):
    inp = mod.layers.Input((300,))
    h = mod.layers.MelSpectrogram(fft_length=32, sequence_stride=16, num_mel_bins=8, sampling_rate=4000)(inp)
    out = mod.layers.Dense(1)(mod.layers.Flatten()(h))
    return mod.Model(inp, out)


def test_mel_in_model_save_load_and_fit(backend, tmp_path):
    x = signal((8, 300), seed=8)

    def keras_side():
        km = _mel_model(keras)
        ws = [np.random.default_rng(9).standard_normal(w.shape).astype("float32") * 0.01 for w in km.get_weights()]
        km.set_weights(ws)
        return ws, np.asarray(km(x))
    ws, ky = cached("mel-model", keras_side)
    m = _mel_model(kshim)
    m.set_weights(ws)
    y = N(m(x))
    # a 152-term dot product of dB values (|v| <= 100) with weights ~0.01: DB_TOL propagated
    np.testing.assert_allclose(y, ky, rtol=1e-4, atol=1e-3)
    path = str(tmp_path / "mel.keras")
    m.save(path)
    np.testing.assert_array_equal(N(kshim.saving.load_model(path)(x)), y)
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(x)), ky, rtol=1e-4, atol=1e-3)
    m.compile(optimizer=kshim.optimizers.SGD(1e-5), loss="mse")
    before = m.get_weights()[0].copy()
    hist = m.fit(x, np.zeros((8, 1), "float32"), epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert not np.allclose(m.get_weights()[0], before)

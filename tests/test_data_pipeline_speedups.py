"""The faster image loader (chunked decoding straight into the batch) and the data-pipeline benchmark.

The loader writes a file that already has the target size straight into the float32 batch and
stacks and resizes the others; both must give Keras' Pillow-path pixels (``_load_image_grain``):
exactly for files not resized, rtol 1e-5 / atol 1e-3 for resized ones (bilinear on 0-255 values
summed in another order), in mixed-size batches, every colour mode and both data formats.

CI has no TensorFlow environment: the benchmark's Keras + tf.data contenders must be skipped with a
message, and the kshim contenders must still run end to end (worker processes, interleaved epochs,
the table).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from kshim import utils
from kshim.utils.datasets_image import image_loader

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "data_pipeline.py")


def _module():
    spec = importlib.util.spec_from_file_location("kshim_bench_data_pipeline", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tf_contenders_skipped_with_a_message_without_the_tf_environment(capsys, tmp_path):
    args = argparse.Namespace(backends="numpy,jax", array=True, decode=False, tf_python=str(tmp_path / "no" / "python"))
    spec = _module().contenders_spec(args)
    assert [s[0] for s in spec] == ["kshim-numpy files", "kshim-numpy array", "kshim-jax files", "kshim-jax array"]
    assert "Keras + tf.data contenders skipped: no TensorFlow environment at" in capsys.readouterr().out


def test_benchmark_runs_end_to_end_on_numpy_without_tensorflow(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KSHIM_")}
    p = subprocess.run([sys.executable, SCRIPT, "--backends", "numpy", "--images", "24", "--size", "16",
                        "--batch-size", "8", "--reps", "2", "--array", "--dir", str(tmp_path / "img"),
                        "--tf-python", str(tmp_path / "absent")], capture_output=True, text=True, timeout=300,
                       env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    out = p.stdout
    assert "wrote 24 jpeg files (16x16 RGB)" in out
    assert "Keras + tf.data contenders skipped" in out and "No Keras + tf.data column" in out
    rows = [ln.split() for ln in out.splitlines() if ln.startswith("kshim-numpy ")]
    assert [r[1] for r in rows] == ["files", "array"]
    assert all(float(r[2]) > 0 for r in rows)  # median images/s of two interleaved epochs
    assert sum(len(f) for _, _, f in os.walk(tmp_path / "img")) == 24


@pytest.mark.parametrize("model, want", [
    ("cnn", ["Rescaling", "Conv2D", "MaxPooling2D", "Conv2D", "GlobalAveragePooling2D", "Dense"]),
    ("linear", ["Rescaling", "GlobalAveragePooling2D", "Dense"]),
])
def test_benchmark_models(model, want):
    import kshim
    built = kshim.Sequential(_module()._model_layers(kshim.layers, 16, model))
    assert [type(layer).__name__ for layer in built.layers] == want
    assert built(np.zeros((2, 16, 16, 3), np.float32)).shape == (2, 10)


def _mixed_dir(root):
    """Eight files in two classes: 6x8 and 9x5 RGB PNGs, an RGBA PNG and a 16-bit grayscale PNG."""
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(3)
    for c in ("a", "b"):
        os.makedirs(root / c)
    for i in range(6):
        h, w = (6, 8) if i % 2 == 0 else (9, 5)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / "ab"[i % 2] / f"{i}.png")
    Image.fromarray(rng.integers(0, 256, (6, 8, 4), dtype=np.uint8)).save(root / "a" / "rgba.png")
    Image.fromarray(rng.integers(0, 65536, (6, 8), dtype=np.uint16)).save(root / "b" / "deep.png")
    return root


@pytest.mark.parametrize("kw", [dict(), dict(color_mode="grayscale"), dict(color_mode="rgba"),
                                dict(data_format="channels_first", interpolation="nearest"),
                                dict(crop_to_aspect_ratio=True), dict(pad_to_aspect_ratio=True)])
def test_loader_matches_keras_pillow_path_in_mixed_batches(tmp_path, kw):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    kidu = pytest.importorskip("keras.src.utils.image_dataset_utils")
    root = _mixed_dir(tmp_path / "img")
    ds = utils.image_dataset_from_directory(root, image_size=(6, 8), batch_size=3, shuffle=False, label_mode=None,
                                            verbose=False, **kw)
    got = np.concatenate(list(ds))
    assert got.dtype == np.float32
    channels = {"grayscale": 1, "rgba": 4}.get(kw.get("color_mode"), 3)
    fmt = kw.get("data_format", "channels_last")
    assert got.shape == ((8, channels, 6, 8) if fmt == "channels_first" else (8, 6, 8, channels))
    resized = 0
    for p, x in zip(ds.file_paths, got):
        want = np.asarray(kidu._load_image_grain(p, (6, 8), channels, kw.get("interpolation", "bilinear"), fmt,
                                                 kw.get("crop_to_aspect_ratio", False),
                                                 kw.get("pad_to_aspect_ratio", False)))
        if "9x5" in p or os.path.basename(p) in ("1.png", "3.png", "5.png"):
            resized += 1
            np.testing.assert_allclose(x, want, rtol=1e-5, atol=1e-3, err_msg=p)
        else:
            np.testing.assert_array_equal(x, want, err_msg=p)  # not resized: the decoded values exactly
    assert resized == 3


def test_loader_empty_and_single_index(tmp_path):
    root = _mixed_dir(tmp_path / "img")
    paths = sorted(str(p) for p in root.rglob("*.png"))
    load = image_loader(paths, (6, 8), "rgb", "bilinear", "channels_last")
    assert load(np.arange(0)).shape == (0, 6, 8, 3)
    one = load(np.array([paths.index(str(root / "a" / "0.png"))]))
    from PIL import Image
    np.testing.assert_array_equal(one[0], np.asarray(Image.open(root / "a" / "0.png"), dtype="float32"))


def _write_jpegs(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(3)
    px = np.clip(np.kron(rng.integers(0, 256, (5, 7, 3)), np.ones((9, 9, 1))) + rng.normal(0, 20, (45, 63, 3)), 0, 255)
    rgb = Image.fromarray(px.astype(np.uint8))
    files = {
        "rgb.jpg": rgb,
        "gray.jpg": rgb.convert("L"),
        "cmyk.jpg": rgb.convert("CMYK"),
        "progressive.jpg": rgb,
    }
    paths = {}
    for name, img in files.items():
        paths[name] = str(tmp_path / name)
        img.save(paths[name], quality=85, progressive=name == "progressive.jpg", subsampling=2)
    return paths


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
def test_simplejpeg_route_gives_pillows_pixels(tmp_path, monkeypatch, color_mode):
    """RGB JPEGs decode through simplejpeg (libjpeg-turbo, accurate DCT and upsampling, as Pillow):
    pixel for pixel what Pillow gives, for colour, grayscale and progressive files; CMYK (which
    libjpeg-turbo does not convert to RGB) and the other colour modes take Pillow."""
    pytest.importorskip("simplejpeg")
    from PIL import Image

    from kshim.utils import datasets_image as di

    paths = _write_jpegs(tmp_path)
    calls = []
    real = di._simplejpeg()
    monkeypatch.setattr(di, "_JPEG", [lambda data, **kw: calls.append(kw) or real(data, **kw)])
    for name, path in paths.items():
        with Image.open(path) as im:
            want = np.asarray(im.convert({"rgb": "RGB", "rgba": "RGBA", "grayscale": "L"}[color_mode]))
        got = di._decode(path, color_mode)
        assert got.dtype == np.uint8 and got.shape == want.shape, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    assert len(calls) == (len(paths) if color_mode == "rgb" else 0)


def test_pillow_decodes_jpegs_without_simplejpeg(tmp_path, monkeypatch):
    from PIL import Image

    from kshim.utils import datasets_image as di

    paths = _write_jpegs(tmp_path)
    monkeypatch.setattr(di, "_JPEG", [None])
    with Image.open(paths["rgb.jpg"]) as im:
        np.testing.assert_array_equal(di._decode(paths["rgb.jpg"], "rgb"), np.asarray(im.convert("RGB")))


@pytest.mark.parametrize(("raw", "want"), [("", None), ("1", 1), (" 3 ", 3)])
def test_decode_threads_follow_the_environment(monkeypatch, raw, want):
    from kshim.utils import datasets_image as di

    monkeypatch.setenv("KSHIM_DECODE_THREADS", raw)
    assert di.decode_threads() == (min(8, os.cpu_count() or 1) if want is None else want)


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_bad_decode_threads_name_the_variable(monkeypatch, raw):
    from kshim.utils import datasets_image as di

    monkeypatch.setenv("KSHIM_DECODE_THREADS", raw)
    with pytest.raises(ValueError, match="KSHIM_DECODE_THREADS must be a positive integer"):
        di.decode_threads()


def test_one_decode_thread_gives_the_same_batches(tmp_path, monkeypatch):
    from kshim.utils import datasets_image as di

    root = _mixed_dir(tmp_path / "img")
    paths = sorted(str(p) for p in root.rglob("*.png"))
    default = image_loader(paths, (6, 8), "rgb", "bilinear", "channels_last")(np.arange(len(paths)))
    monkeypatch.setenv("KSHIM_DECODE_THREADS", "1")
    monkeypatch.setattr(di, "_POOL", [])  # a fresh pool, sized from the environment
    one = image_loader(paths, (6, 8), "rgb", "bilinear", "channels_last")(np.arange(len(paths)))
    assert di.decode_pool()._max_workers == 1
    np.testing.assert_array_equal(one, default)

"""Device placement: ``kshim.device`` (Keras' ``keras.device``), ``KSHIM_DEVICE`` and the device specs.

CI has no accelerator, so the checks here run on the CPU: specs parse as Keras writes them, tensors and
variables made inside a scope live on its device, a device the backend cannot reach is a ``ValueError``
naming the ones it can, and torch's default would pick CUDA where CUDA exists (checked by resolving the
default with CUDA reported available, without allocating on it). ``benchmarks/gpu.py`` runs the benchmark
workloads where a GPU is present.
"""
from __future__ import annotations

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import kshim
from kshim.backends._device import parse_device


@pytest.mark.parametrize("spec,parsed", [("cpu", ("cpu", None)), ("CPU:0", ("cpu", 0)), ("gpu:1", ("gpu", 1)),
                                         ("cuda", ("gpu", None)), ("cuda:2", ("gpu", 2)), ("tpu:0", ("tpu", 0)),
                                         ("mps", ("mps", None)), (" gpu : 3 ", ("gpu", 3))])
def test_specs_parse_as_keras_writes_them(spec, parsed):
    assert parse_device(spec) == parsed


@pytest.mark.parametrize("spec", ["xpu", "gpu:-1", "gpu:a", "", "cpu:0:1", "/device:GPU:0"])
def test_malformed_specs_are_value_errors(spec):
    with pytest.raises(ValueError, match="Unknown device"):
        parse_device(spec)


def test_a_non_string_spec_is_a_type_error():
    with pytest.raises(TypeError, match="must be a string"):
        parse_device(0)


def _placement(backend, x):
    if backend.name == "torch":
        return x.device.type
    if backend.name == "jax":
        return {d.platform for d in x.devices()}.pop()
    return "cpu" if isinstance(x, np.ndarray) else type(x).__name__


def test_tensors_and_variables_made_in_a_cpu_scope_live_on_the_cpu(backend):
    with kshim.device("cpu:0"):
        x = kshim.ops.ones((2, 3))
        v = kshim.Variable(np.zeros((2,), "float32"))
        y = kshim.ops.add(x, 1.0)
    assert {_placement(backend, t) for t in (x, v.value, y)} == {"cpu"}
    assert float(kshim.ops.convert_to_numpy(y).sum()) == 12.0
    assert backend.device_name().startswith("cpu")


def test_an_unreachable_device_names_the_usable_ones(backend):
    before = backend.device_name()
    with pytest.raises(ValueError, match=r"cannot compute on 'gpu:7'.*cpu"):
        with kshim.device("gpu:7"):
            pass
    assert backend.device_name() == before


def test_the_scope_restores_the_device_after_an_error(backend):
    before = backend.device_name()
    with pytest.raises(RuntimeError, match="inside"):
        with kshim.device("cpu"):
            raise RuntimeError("inside")
    assert backend.device_name() == before


def test_device_has_keras_signature():
    keras = pytest.importorskip("keras")
    assert list(inspect.signature(kshim.device).parameters) == list(inspect.signature(keras.device).parameters)


def test_torch_default_follows_the_framework_not_the_cpu(monkeypatch):
    torch = pytest.importorskip("torch")
    from kshim.backends.torch.backend import TorchBackend
    assert TorchBackend._resolve_device(None) == torch.device("cpu") or torch.cuda.is_available()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert TorchBackend._resolve_device(None) == torch.device("cuda", 0)
    assert TorchBackend._resolve_device("gpu:1") == torch.device("cuda", 1)
    assert TorchBackend._resolve_device("cuda") == torch.device("cuda", 0)
    with pytest.raises(ValueError, match="gpu:0, gpu:1"):
        TorchBackend._resolve_device("gpu:2")


def _run(backend_name: str, device: str, code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KSHIM_BACKEND=backend_name, KSHIM_DEVICE=device)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_kshim_device_env_places_the_backend(name):
    if not kshim.backends.is_available(name):
        pytest.skip(f"{name} is not installed")
    r = _run(name, "cpu:0", "import kshim; x = kshim.ops.ones(3); print(kshim.backend.current().device_name())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().startswith("cpu")


def test_kshim_device_env_that_numpy_cannot_use_is_a_clear_error():
    r = _run("numpy", "gpu", "import kshim\ntry:\n    kshim.ops.ones(3)\nexcept ValueError as e:\n    print('VE', e)")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("VE The numpy backend cannot compute on 'gpu'") and "unset KSHIM_DEVICE" in r.stdout


# ---- benchmarks/gpu.py ------------------------------------------------------------------------------
def _gpu_module():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if root not in sys.path:
        sys.path.insert(0, root)
    import benchmarks.gpu as gpu
    return gpu


def test_gpu_benchmark_says_so_when_there_is_no_gpu(monkeypatch, capsys):
    gpu = _gpu_module()
    monkeypatch.setattr(gpu, "find_gpus", lambda: {"torch": [], "jax": []})
    assert gpu.main([]) == 0
    assert "No GPU found" in capsys.readouterr().out


def test_gpu_benchmark_runs_the_contenders_of_the_framework_with_a_gpu(monkeypatch):
    """With a (faked) torch GPU: the torch contenders run, placed on the GPU through their environment."""
    gpu = _gpu_module()
    import benchmarks.runner as runner
    seen = {}
    monkeypatch.setattr(gpu, "find_gpus", lambda: {"torch": ["Fake GPU"], "jax": []})
    monkeypatch.setattr(runner, "main", lambda argv: seen.setdefault("argv", argv) and 0)
    monkeypatch.setenv("KSHIM_BENCH_DEVICE", "")  # recorded now: teardown removes what gpu.main sets
    gpu.main(["--workloads", "mlp"])
    assert seen["argv"][:2] == ["--contenders", "kshim-torch,keras-torch,torch-loop"]
    assert "--workloads" in seen["argv"]
    from benchmarks.contenders import subprocess_env
    assert subprocess_env("kshim-torch") == {"JAX_PLATFORMS": "cuda,cpu", "KSHIM_DEVICE": "gpu",
                                             "KSHIM_BACKEND": "torch", "KERAS_BACKEND": "torch"}
    assert "KSHIM_DEVICE" not in subprocess_env("kshim-numpy")  # NumPy stays on the CPU
    monkeypatch.setenv("KSHIM_BENCH_DEVICE", "")
    assert subprocess_env("kshim-jax")["JAX_PLATFORMS"] == "cpu" and "KSHIM_DEVICE" not in subprocess_env("kshim-jax")

"""``kshim.config.enable_determinism``: bitwise run-to-run reproducible training on every backend.

The training runs happen in fresh subprocesses (a second run in the same process would share caches,
compiled functions and generator state, which is not what "run twice" means). The in-process tests
check the flag query and each framework's switches, and restore the settings they change.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import pytest

import kshim
from kshim import _determinism, backends

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A small CNN with every source of randomness a training run has: initializers, dropout masks
# (in-graph SeedGenerator), fit's shuffling, plus BatchNormalization's moving statistics and Adam.
# It prints a digest of the trained weights and optimizer variables, and the weights' sum as a check.
_TRAIN = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import kshim
    rng = np.random.default_rng(0)  # the same data in every run, whatever the seed
    x = rng.normal(size=(48, 8, 8, 3)).astype("float32")
    y = rng.integers(0, 4, size=(48,))
    L = kshim.layers
    for seed in map(int, sys.argv[1:]):
        kshim.config.enable_determinism(seed=seed)
        assert kshim.config.is_determinism_enabled()
        model = kshim.Sequential([L.Input((8, 8, 3)), L.Conv2D(6, 3, padding="same", activation="relu"),
                                  L.BatchNormalization(), L.MaxPooling2D(2), L.Conv2D(8, 3, activation="relu"),
                                  L.Flatten(), L.Dropout(0.3), L.Dense(4)])
        model.compile(kshim.optimizers.Adam(1e-2), kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
        h = hashlib.sha256()
        for w in model.get_weights() + [kshim.ops.convert_to_numpy(v.value) for v in model.optimizer.variables]:
            h.update(np.ascontiguousarray(w).tobytes())
        print("DIGEST", seed, h.hexdigest(), float(sum(np.abs(w).sum() for w in model.get_weights())))
""")


def _env(backend: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSHIM_", "XLA_FLAGS", "CUBLAS_"))}
    env.update(KSHIM_BACKEND=backend, KSHIM_HOME=os.path.join(ROOT, ".pytest_cache", "kshim_home_determinism"))
    return env


def _digests(backend: str, runs: list) -> list:
    """Start one fresh process per entry of ``runs`` (a list of seeds it trains with, in order), all at
    once; return each process's ``[(seed, digest, weight sum), ...]``."""
    procs = [subprocess.Popen([sys.executable, "-c", _TRAIN, *map(str, seeds)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env(backend), cwd=ROOT) for seeds in runs]
    out = []
    for p, seeds in zip(procs, runs):
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stderr[-3000:]
        lines = [ln.split()[1:] for ln in stdout.splitlines() if ln.startswith("DIGEST ")]
        assert [int(ln[0]) for ln in lines] == seeds, stdout + stderr[-3000:]
        out.append(lines)
    return out


def test_cnn_trained_twice_is_bitwise_equal(backend):
    # Two fresh processes train with seed 7; the second then trains again with seed 8, which must
    # change the digest (so equal digests mean equal training, not a digest blind to the weights).
    (first,), (second, other_seed) = _digests(backend.name, [[7], [7, 8]])
    assert first == second  # sha256 of every weight and optimizer variable: bit-for-bit equality
    assert first[1] != other_seed[1]
    assert float(first[2]) > 0


@pytest.fixture
def determinism_off():
    """Leave determinism off after the test, whatever it did."""
    yield
    kshim.config.disable_determinism()


def test_flag_query_and_switches(determinism_off):
    assert kshim.config.is_determinism_enabled() is False
    kshim.config.enable_determinism()
    assert kshim.config.is_determinism_enabled() is True
    kshim.config.set_deterministic(False)
    assert kshim.config.is_determinism_enabled() is False
    kshim.config.set_deterministic(True)
    assert kshim.config.is_determinism_enabled() is True
    kshim.config.disable_determinism()
    assert kshim.config.is_determinism_enabled() is False
    with pytest.raises(TypeError):
        kshim.config.set_deterministic(1)


def test_enable_with_seed_seeds_the_host_generator(determinism_off):
    from kshim.random import host
    kshim.config.enable_determinism(seed=123)
    assert host.get_state() == (123, 0)


def test_every_backend_declares_the_method(backend):
    assert backend.set_deterministic(False) == []  # off when it was never on: nothing to restore, no notes


def test_torch_switches_and_restores(determinism_off):
    torch = pytest.importorskip("torch")
    backends.get("torch")
    before = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
              torch.backends.cudnn.benchmark, torch.backends.mkldnn.deterministic)
    kshim.config.enable_determinism()
    assert torch.are_deterministic_algorithms_enabled()
    assert torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert os.environ.get("CUBLAS_WORKSPACE_CONFIG")
    assert torch.backends.mkldnn.deterministic
    # An op without a deterministic kernel (those are CUDA-only in torch, so simulated with torch's
    # own alert, which such kernels raise through) warns and names the op instead of raising.
    from torch._prims_common import alert_not_deterministic
    with pytest.warns(UserWarning, match="kshim_fake_scatter does not have a deterministic implementation"):
        alert_not_deterministic("kshim_fake_scatter")
    kshim.config.disable_determinism()
    assert (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
            torch.backends.cudnn.benchmark, torch.backends.mkldnn.deterministic) == before
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alert_not_deterministic("kshim_fake_scatter")  # off again: neither a warning nor an error


def test_jax_flag_added_and_removed(determinism_off, monkeypatch):
    pytest.importorskip("jax")
    backends.get("jax")
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    kshim.config.enable_determinism()
    flags = os.environ["XLA_FLAGS"].split()
    assert "--xla_gpu_deterministic_ops=true" in flags and "--xla_cpu_enable_fast_math=false" in flags
    kshim.config.disable_determinism()
    assert os.environ["XLA_FLAGS"].split() == ["--xla_cpu_enable_fast_math=false"]


class _LateBackend:
    name = "late"

    def __init__(self):
        self.calls = []

    def set_deterministic(self, enabled):
        self.calls.append(enabled)
        return ["a flag came too late"] if enabled else []


def test_notes_become_warnings_and_later_backends_are_switched(determinism_off, monkeypatch):
    late = _LateBackend()
    monkeypatch.setitem(backends._cache, "late", late)
    with pytest.warns(_determinism.DeterminismWarning, match="'late' backend: a flag came too late"):
        kshim.config.enable_determinism()
    assert late.calls == [True]
    created = _LateBackend()
    with pytest.warns(_determinism.DeterminismWarning):
        for hook in backends._created_hooks:  # what backends.get runs for a newly created backend
            hook(created)
    assert created.calls == [True]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kshim.config.disable_determinism()
    assert late.calls == [True, False]


def test_backend_without_the_method_gets_a_warning(determinism_off, monkeypatch):
    monkeypatch.setitem(backends._cache, "bare", type("Bare", (), {"name": "bare"})())
    with pytest.warns(kshim.config.DeterminismWarning, match="Bare has no set_deterministic"):
        kshim.config.enable_determinism()


def test_backend_loaded_after_enable_is_switched():
    pytest.importorskip("torch")
    code = ("import kshim, torch; kshim.config.enable_determinism(); "
            "assert not torch.are_deterministic_algorithms_enabled(); kshim.backends.get('torch'); "
            "assert torch.are_deterministic_algorithms_enabled(); print('OK')")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env=_env("numpy"), cwd=ROOT)
    assert p.returncode == 0 and "OK" in p.stdout, p.stderr[-3000:]

"""The wheel installs ``backends/`` and ``compat/`` under the ``kshim`` namespace, never top level."""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(out), ROOT], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    wheels = [f for f in os.listdir(out) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(out / wheels[0]) as z:
        return set(z.namelist())


@pytest.mark.slow
def test_backends_installed_under_kshim(wheel_names):
    for name in ("kshim/__init__.py", "kshim/backends/__init__.py", "kshim/backends/_protocol.py",
                 "kshim/backends/numpy/__init__.py", "kshim/backends/jax/__init__.py",
                 "kshim/backends/torch/__init__.py"):
        assert name in wheel_names, name
    for sub in ("numpy", "jax", "torch"):
        srcs = {f for f in os.listdir(os.path.join(ROOT, "backends", sub)) if f.endswith(".py")}
        assert {f"kshim/backends/{sub}/{f}" for f in srcs} <= wheel_names, sub


@pytest.mark.slow
def test_compat_installed_under_kshim(wheel_names):
    assert "kshim/compat/__init__.py" in wheel_names


@pytest.mark.slow
def test_dataset_data_included(wheel_names):
    if os.path.exists(os.path.join(ROOT, "kshim", "datasets", "data", "digits.npz")):
        assert "kshim/datasets/data/digits.npz" in wheel_names


@pytest.mark.slow
def test_no_top_level_backends_or_compat(wheel_names):
    tops = {n.split("/")[0] for n in wheel_names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"kshim"}, tops
    assert not any(n.startswith(("backends/", "compat/")) for n in wheel_names)

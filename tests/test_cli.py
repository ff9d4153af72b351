"""The ``kshim`` command line: info, matrix and compare (exit codes, output, report files)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kshim import backends as reg
from kshim.cli import main


def test_info_lists_backends(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "floatx=" in out
    for name in ("numpy", "jax", "torch"):
        assert name in out


def test_console_script_runs():
    exe = os.path.join(os.path.dirname(sys.executable), "kshim")
    cmd = [exe, "info"] if os.path.exists(exe) else [sys.executable, "-m", "kshim.cli", "info"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "backend" in p.stdout


def test_info_coverage_writes_markdown(tmp_path, capsys):
    import importlib.util
    if importlib.util.find_spec("keras") is None:
        pytest.skip("real Keras 3 is not installed (pip install 'kshim[oracle]')")
    path = tmp_path / "coverage.md"
    assert main(["info", "--coverage", "--write", str(path)]) == 0
    text = path.read_text()
    for ns in ("ops", "layers", "losses", "metrics", "optimizers", "callbacks", "activations", "initializers"):
        assert f"## {ns}" in text


def test_matrix_filter_and_report(tmp_path, capsys):
    code = main(["matrix", "--filter", "ops.add,ops.matmul,layers.Dense", "--dtype", "all",
                 "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ops.add" in out and "layers.Dense" in out and "numpy~jax" in out
    data = json.loads((tmp_path / "matrix.json").read_text())
    names = {(r["name"], r["dtype"]) for r in data["results"]}
    assert ("ops.matmul", "float64") in names and ("layers.Dense", "float32") in names
    assert all(r["status"] == "pass" for r in data["results"])
    assert "| ops.add |" in (tmp_path / "matrix.md").read_text()


def test_matrix_unknown_filter_and_backend(capsys):
    assert main(["matrix", "--filter", "no-such-case-anywhere"]) == 2
    assert main(["matrix", "--backends", "nosuch", "--filter", "ops.add"]) == 2
    assert "Valid names" in capsys.readouterr().err


def test_matrix_exit_status_on_failure(monkeypatch, capsys):
    from kshim.compat import registry
    import numpy as np

    def run(b, dtype):
        return {"forward": np.full((2,), 1.0 if b.name == "numpy" else 2.0)}
    registry.all_cases()  # load the real registry first
    monkeypatch.setitem(registry._REGISTRY, "ops.__always_differs", registry.Case("ops.__always_differs", "op", run))
    assert main(["matrix", "--filter", "__always_differs", "--backends", "numpy,torch", "--quiet"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_compare_one_epoch(tmp_path, capsys):
    backends = [b for b in ("numpy", "jax", "torch") if reg.is_available(b)]
    code = main(["compare", "--epochs", "1", "--backends", ",".join(backends), "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    data = json.loads((tmp_path / "compare.json").read_text())
    assert set(data["runs"]) == set(backends)
    for r in data["runs"].values():
        assert r["eval"]["accuracy"] > 0.5 and len(r["curve"]) > 0
    assert all(p["init_identical"] for p in data["pairs"])
    try:
        import matplotlib  # noqa: F401
        assert (tmp_path / "compare.png").stat().st_size > 0
    except ImportError:
        assert "compare.png skipped" in out


def test_compare_script(tmp_path, capsys):
    script = tmp_path / "tiny.py"
    script.write_text(
        "import numpy as np\nimport kshim as keras\n"
        "def build_model():\n"
        "    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])\n"
        "    m.compile(optimizer='sgd', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "    return m\n"
        "def load_data():\n"
        "    r = np.random.default_rng(0)\n"
        "    x, y = r.normal(size=(64, 4)).astype('float32'), r.integers(0, 3, 64).astype('int32')\n"
        "    return (x, y), (x, y)\n")
    assert main(["compare", str(script), "--epochs", "1", "--backends", "numpy,torch"]) == 0
    assert "tiny.py" in capsys.readouterr().out

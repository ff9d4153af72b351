"""kshim's pytest plugin as a downstream project sees it: installed through the ``pytest11`` entry
point (no conftest), ``--backend``, the ``backend`` fixture, the ``backends`` / ``skip_backend``
markers, the opt-in ``--backend-all-tests`` / ``kshim_parametrize_all``, imports limited to the
selected backends, and the GitHub Actions template of docs/ci.md."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import pytest

from kshim import backends as reg
from kshim.testing import pytest_plugin

ROOT = Path(__file__).resolve().parents[1]
THREE = ("numpy", "jax", "torch")

DOWNSTREAM_TESTS = '''
import pytest

import kshim
from kshim import ops


def test_fixture(backend, record_property):
    record_property("active", kshim.backend.backend())
    assert backend.name == kshim.backend.backend()
    assert float(ops.sum(ops.ones((3,)))) == 3.0


@pytest.mark.backends("jax", "torch")
def test_only_jax_torch(backend):
    assert backend.name in ("jax", "torch")


@pytest.mark.skip_backend("numpy", reason="not on numpy today")
def test_skip_numpy(backend):
    assert backend.name != "numpy"


def test_plain(record_property):
    record_property("active", kshim.backend.backend())
    assert float(ops.sum(ops.ones((2,)))) == 2.0


@pytest.mark.backends("torch")
def test_plain_torch_only(record_property):
    record_property("active", kshim.backend.backend())
    assert kshim.backend.backend() == "torch"
'''


def _needs_all_three():
    missing = [b for b in THREE if not reg.is_available(b)]
    if missing:
        pytest.skip(f"backends not installed: {missing}")


def _project(tmp_path: Path, ini: str = "", conftest: str | None = None) -> Path:
    proj = tmp_path / "downstream"
    proj.mkdir()
    (proj / "test_down.py").write_text(DOWNSTREAM_TESTS)
    # An ini file pins pytest's rootdir to the project (so kshim's own pyproject/conftest never apply).
    (proj / "pytest.ini").write_text("[pytest]\n" + ini)
    if conftest is not None:
        (proj / "conftest.py").write_text(conftest)
    return proj


def _env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("KSHIM_TEST_BACKEND", "KERAS_BACKEND", "PYTEST_ADDOPTS", "PYTEST_PLUGINS",
                        "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_XDIST_WORKER")}
    env["KSHIM_BACKEND"] = "numpy"   # the process default, for tests that are not parametrized
    return env


def _pytest(proj: Path, args: list[str]) -> tuple[subprocess.CompletedProcess, dict]:
    """``python -m pytest ARGS`` in ``proj`` with the venv's interpreter; returns the process and
    ``{test id: (outcome, skip message, {property: value})}`` from its junit XML."""
    xml = proj / "report.xml"
    p = subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider",
                        f"--junitxml={xml}", "--strict-markers"],
                       cwd=proj, env=_env(), capture_output=True, text=True, timeout=300)
    return p, _junit(xml) if xml.exists() else {}


def _pytest_main(proj: Path, args: list[str]) -> tuple[dict, dict]:
    """``pytest.main(ARGS)`` in a fresh interpreter in ``proj``; returns ``{"rc", "torch", "jax"}`` (whether
    those libraries were imported by the end of the session) and the junit results."""
    xml = proj / "r.xml"
    code = ("import json, sys, pytest\n"
            f"rc = pytest.main({[*args, '-p', 'no:cacheprovider', '--strict-markers', f'--junitxml={xml}']!r})\n"
            "print('MODULES', json.dumps({'rc': int(rc), 'torch': 'torch' in sys.modules, "
            "'jax': 'jax' in sys.modules}))\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=proj, env=_env(), capture_output=True, text=True,
                       timeout=300)
    assert "MODULES" in p.stdout, p.stdout[-3000:] + p.stderr[-2000:]
    return json.loads(p.stdout.split("MODULES", 1)[1]), _junit(xml)


def _junit(path: Path) -> dict:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, msg = "passed", ""
        for tag in ("failure", "error", "skipped"):
            el = case.find(tag)
            if el is not None:
                outcome, msg = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag], el.get("message", "")
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        out[case.get("name")] = (outcome, msg, props)
    return out


def test_entry_point_registered():
    eps = [ep for ep in metadata.entry_points(group="pytest11") if ep.value == "kshim.testing.pytest_plugin"]
    assert len(eps) == 1, "pyproject.toml [project.entry-points.pytest11] (reinstall: pip install -e .)"
    # Named after the module, so a conftest's pytest_plugins = ["kshim.testing.pytest_plugin"] is a no-op.
    assert eps[0].name == "kshim.testing.pytest_plugin"


def test_downstream_backend_all_runs_each_test_three_times(tmp_path):
    _needs_all_three()
    proj = _project(tmp_path)
    p, res = _pytest(proj, ["-v", "--backend", "all", "--backend-all-tests"])
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    for b in THREE:   # the -v lines and the junit report agree
        assert re.search(rf"test_down.py::test_fixture\[{b}\] PASSED", p.stdout), p.stdout[-3000:]
        assert res[f"test_fixture[{b}]"] == ("passed", "", {"active": b})
        assert res[f"test_plain[{b}]"] == ("passed", "", {"active": b})   # opt-in: the id's backend is active
    assert res["test_only_jax_torch[jax]"][0] == res["test_only_jax_torch[torch]"][0] == "passed"
    assert "test_only_jax_torch[numpy]" not in res
    assert res["test_skip_numpy[numpy]"][:2] == ("skipped", "not on numpy today")
    assert res["test_skip_numpy[jax]"][0] == res["test_skip_numpy[torch]"][0] == "passed"
    assert res["test_plain_torch_only[torch]"] == ("passed", "", {"active": "torch"})
    assert [k for k in res if k.startswith("test_plain_torch_only")] == ["test_plain_torch_only[torch]"]
    assert len(res) == 3 + 2 + 3 + 3 + 1
    assert "PytestUnknownMarkWarning" not in p.stdout + p.stderr


def test_downstream_without_opt_in_runs_plain_tests_once(tmp_path):
    """``--backend torch`` without the opt-in: plain tests run once on the process default (numpy)
    and a plain test marked ``backends("torch")`` is skipped there; torch is imported."""
    if not reg.is_available("torch"):
        pytest.skip("torch is not installed")
    mods, res = _pytest_main(_project(tmp_path), ["-q", "--backend", "torch"])
    assert mods == {"rc": 0, "torch": True, "jax": False}
    assert res["test_plain"] == ("passed", "", {"active": "numpy"})
    outcome, why, _ = res["test_plain_torch_only"]
    assert outcome == "skipped" and "default backend is numpy" in why
    assert res["test_fixture[torch]"][0] == "passed" and "test_fixture[numpy]" not in res
    assert res["test_only_jax_torch[torch]"][0] == "passed"


def test_selected_backends_only_are_imported_and_ini_opt_in(tmp_path):
    """``--backend numpy,jax`` never imports torch (jax is imported: the check can see imports); the ini
    option ``kshim_parametrize_all = true`` parametrizes plain tests as the flag does; a conftest that
    still registers the plugin by hand is harmless."""
    if not reg.is_available("jax"):
        pytest.skip("jax is not installed")
    proj = _project(tmp_path, ini="kshim_parametrize_all = true\n",
                    conftest='pytest_plugins = ["kshim.testing.pytest_plugin"]\n')
    mods, res = _pytest_main(proj, ["-q", "--backend", "numpy,jax"])
    assert mods == {"rc": 0, "torch": False, "jax": True}
    assert sorted(k for k in res if k.startswith("test_plain[")) == ["test_plain[jax]", "test_plain[numpy]"]
    assert res["test_plain[jax]"][2] == {"active": "jax"}
    assert res["test_only_jax_torch[jax]"][0] == "passed" and "test_only_jax_torch[numpy]" not in res
    # backends("torch") with torch not selected: one skipped placeholder, saying why.
    assert res["test_plain_torch_only[no-backend]"][0] == "skipped"
    assert "runs only on torch" in res["test_plain_torch_only[no-backend]"][1]


def test_project_fixture_named_backend_is_left_alone(tmp_path):
    """A project's own ``backend`` fixture wins and the plugin does not parametrize it."""
    proj = tmp_path / "own"
    proj.mkdir()
    (proj / "pytest.ini").write_text("[pytest]\n")
    (proj / "conftest.py").write_text("import pytest\n\n@pytest.fixture\ndef backend():\n    return 'mine'\n")
    (proj / "test_own.py").write_text("def test_own(backend):\n    assert backend == 'mine'\n")
    p, res = _pytest(proj, ["--backend", "all"])
    assert p.returncode == 0, p.stdout[-3000:]
    assert res == {"test_own": ("passed", "", {})}


def _template() -> tuple[str, dict]:
    """The pytest command line of docs/ci.md's workflow and its matrix."""
    text = (ROOT / "docs" / "ci.md").read_text()
    yaml = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    cmds = re.findall(r"^\s*run: (python -m pytest .*)$", yaml, re.M)
    assert len(cmds) == 1, cmds
    matrix = {k: [v.strip().strip('"') for v in vals.split(",")]
              for k, vals in re.findall(r"^\s+(backend|python-version): \[(.*)\]$", yaml, re.M)}
    return cmds[0], matrix


def test_ci_template_matrix_matches_plugin():
    cmd, matrix = _template()
    assert tuple(matrix["backend"]) == pytest_plugin.ALL
    requires = metadata.metadata("kshim")["Requires-Python"]           # ">=3.10"
    low = tuple(int(x) for x in requires.lstrip(">=").split("."))
    assert all(tuple(int(x) for x in v.split(".")) >= low for v in matrix["python-version"])
    assert "${{ matrix.backend }}" in cmd


def test_ci_template_command_runs(tmp_path):
    """The workflow's pytest command, with the matrix value substituted, runs on the downstream
    project: every test once, on that backend."""
    cmd, _ = _template()
    line = cmd.replace("${{ matrix.backend }}", "numpy").split()
    assert line[:3] == ["python", "-m", "pytest"]
    p, res = _pytest(_project(tmp_path), line[3:])
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert res["test_fixture[numpy]"] == ("passed", "", {"active": "numpy"})
    assert res["test_plain[numpy]"] == ("passed", "", {"active": "numpy"})
    assert res["test_skip_numpy[numpy]"][0] == "skipped"
    assert not [k for k in res if "[jax]" in k or "[torch]" in k]


def test_ci_doc_options_exist():
    """Every ``--option`` docs/ci.md mentions is one the plugin adds (or pytest's own -v/-p)."""
    text = (ROOT / "docs" / "ci.md").read_text()
    src = (ROOT / "kshim" / "testing" / "pytest_plugin.py").read_text()
    opts = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text)) - {"--upgrade"}
    assert opts == {"--backend", "--backend-all-tests"}
    assert all(f'"{o}"' in src for o in opts)
    assert "kshim_parametrize_all" in text and '"kshim_parametrize_all"' in src


class _Config:
    def __init__(self, backend=None, flag=None, ini=False):
        self.opts = {"--backend": backend, "--backend-all-tests": flag}
        self.ini = ini

    def getoption(self, name):
        return self.opts[name]

    def getini(self, name):
        assert name == "kshim_parametrize_all"
        return self.ini


@pytest.mark.parametrize("value, expected", [
    ("all", ["numpy", "jax", "torch"]), ("numpy", ["numpy"]), ("jax, numpy", ["jax", "numpy"]),
    ("numpy,all", ["numpy", "jax", "torch"]), ("torch,torch", ["torch"]),
])
def test_selected_backends(value, expected, monkeypatch):
    monkeypatch.delenv("KSHIM_TEST_BACKEND", raising=False)
    assert pytest_plugin.selected_backends(_Config(value)) == expected


def test_selected_backends_env_and_errors(monkeypatch):
    monkeypatch.setenv("KSHIM_TEST_BACKEND", "jax")
    assert pytest_plugin.selected_backends(_Config()) == ["jax"]
    assert pytest_plugin.selected_backends(_Config("torch")) == ["torch"]   # the option wins
    monkeypatch.delenv("KSHIM_TEST_BACKEND")
    assert pytest_plugin.selected_backends(_Config()) == list(THREE)
    with pytest.raises(pytest.UsageError, match="unknown backend 'tensorflow'"):
        pytest_plugin.selected_backends(_Config("numpy,tensorflow"))
    with pytest.raises(pytest.UsageError, match="no backend"):
        pytest_plugin.selected_backends(_Config(" , "))


def test_parametrize_all_flag_and_ini():
    assert not pytest_plugin.parametrize_all(_Config())
    assert pytest_plugin.parametrize_all(_Config(flag=True))
    assert pytest_plugin.parametrize_all(_Config(ini=True))


class _Node:
    def __init__(self, *marks):
        self.marks = marks

    def iter_markers(self, name):
        return [m for m in self.marks if m.name == name]


def test_backend_marks_combine():
    mark = pytest.mark
    node = _Node(mark.backends("jax", "torch").mark, mark.backends(["torch", "numpy"]).mark,
                 mark.skip_backend("torch", reason="flaky").mark, mark.skip_backend("jax").mark)
    allowed, skips = pytest_plugin.backend_marks(node)
    assert allowed == {"torch"}                       # several backends markers intersect
    assert skips == {"torch": "flaky", "jax": "skipped on the jax backend (skip_backend)"}
    assert pytest_plugin.backend_marks(_Node()) == (None, {})
    with pytest.raises(ValueError, match="unknown kshim backend 'tf'"):
        pytest_plugin.backend_marks(_Node(mark.skip_backend("tf").mark))


def test_markers_registered(pytestconfig):
    lines = pytestconfig.getini("markers")
    assert any(line.startswith("backends(") for line in lines)
    assert any(line.startswith("skip_backend(") for line in lines)


@pytest.mark.backends("numpy", "jax")
def test_marker_limits_own_suite(backend):
    assert backend.name in ("numpy", "jax")


@pytest.mark.skip_backend("numpy", "jax", reason="checks the skip marker in kshim's own suite")
def test_skip_marker_own_suite(backend):
    assert backend.name == "torch"


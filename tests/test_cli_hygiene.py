"""``kshim`` command hygiene: ``--version``, legends under the terminal tables, ``matrix --filter``,
and exit statuses that match ``kshim --help`` and docs/cli.md."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import kshim
from kshim import cli
from kshim.cli import EXIT_CODES, main

ROOT = Path(__file__).resolve().parents[1]
CELL = re.compile(r"(\d\.\de[+-]\d\d|nan|inf)/(\d\.\de[+-]\d\d|nan|inf) (ok|FAIL)")


def _console(*args: str) -> subprocess.CompletedProcess:
    exe = os.path.join(os.path.dirname(sys.executable), "kshim")
    cmd = [exe, *args] if os.path.exists(exe) else [sys.executable, "-m", "kshim.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    out = capsys.readouterr().out.strip()
    assert out == f"kshim {metadata.version('kshim')}"
    assert out == f"kshim {kshim.__kshim_version__}"     # package metadata and the module agree


def test_version_console_script():
    p = _console("--version")
    assert p.returncode == 0, p.stderr
    assert re.fullmatch(r"kshim \d+\.\d+\.\d+\S*\n", p.stdout), p.stdout


def _help_exit_codes(text: str) -> dict[int, str]:
    section = text.split("exit status:\n", 1)[1]
    codes: dict[int, str] = {}
    for line in section.splitlines():
        m = re.match(r"  (\d)  (.*)", line)
        if m:
            code = int(m.group(1))
            codes[code] = m.group(2)
        elif line.startswith("     ") and codes:
            codes[code] += " " + line.strip()
    return codes


def test_help_epilog_and_docs_list_exit_codes(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    assert _help_exit_codes(capsys.readouterr().out) == EXIT_CODES
    assert sorted(EXIT_CODES) == [0, 1, 2, 3]
    doc = (ROOT / "docs" / "cli.md").read_text()
    rows = dict(re.findall(r"^\| (\d) \| (.*) \|$", doc, re.M))
    assert {int(k): v for k, v in rows.items()} == EXIT_CODES
    assert "--version" in doc and "--filter" in doc


def _always_differs(monkeypatch):
    from kshim.compat import registry

    def run(b, dtype):
        return {"forward": np.array([1.0, 4.0]) if b.name == "numpy" else np.array([2.0, 4.0])}
    registry.all_cases()  # load the real registry first
    monkeypatch.setitem(registry._REGISTRY, "ops.__always_differs",
                        registry.Case("ops.__always_differs", "op", run))


def _table_and_rest(out: str) -> tuple[list[str], list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("case "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("Legend:"))
    return lines[start:end], lines[end:]


def test_matrix_legend_states_the_cell_format(monkeypatch, capsys):
    """The legend says MAX_ABS/MAX_REL; a case whose numpy output is [1, 4] and torch output [2, 4]
    shows 1.0e+00 (max |a - b|) / 5.0e-01 (max |a - b| / max(|a|, |b|)) FAIL."""
    _always_differs(monkeypatch)
    assert main(["matrix", "--filter", "ops.__always_differs,ops.add", "--backends", "numpy,torch",
                 "--oracle", "off", "--quiet"]) == cli.EXIT_FAILED
    table, rest = _table_and_rest(capsys.readouterr().out)
    rows = {line.split()[0]: line for line in table[2:]}
    assert set(rows) == {"ops.__always_differs", "ops.add"}
    assert "1.0e+00/5.0e-01 FAIL" in rows["ops.__always_differs"]
    assert CELL.search(rows["ops.add"]).group(3) == "ok"
    legend = " ".join(line.strip() for line in rest[:rest.index("")] if line.strip())
    assert legend.startswith("Legend: each cell is MAX_ABS/MAX_REL ok|FAIL")
    for words in ("MAX_ABS = max |a - b|", "MAX_REL = max |a - b| / max(|a|, |b|)",
                  "|a - b| <= atol + rtol * max(|a|, |b|)", "compat/tolerances.py"):
        assert words in legend


def test_matrix_legend_under_problems_only_table(capsys):
    assert main(["matrix", "--filter", "ops.add", "--backends", "numpy", "--oracle", "off",
                 "--problems-only"]) == 0
    table, rest = _table_and_rest(capsys.readouterr().out)
    assert len(table) == 2 and rest[0].startswith("Legend:")


def test_matrix_filter_substring_case_insensitive(capsys):
    assert main(["matrix", "--filter", "OPS.ADD,ops.Subtract", "--backends", "numpy", "--oracle", "off",
                 "--kind", "op"]) == 0
    table, _ = _table_and_rest(capsys.readouterr().out)
    names = [line.split()[0] for line in table[2:]]
    from kshim.compat import registry
    expected = [c.name for c in registry.all_cases(kinds="op")
                if "ops.add" in c.name.lower() or "ops.subtract" in c.name.lower()]
    assert names == expected and "ops.add" in names and "ops.subtract" in names
    assert main(["matrix", "--filter", "zz-no-such-case", "--backends", "numpy"]) == cli.EXIT_USAGE


def _fake_compare(ok: bool) -> dict:
    run = {"eval": {"accuracy": 0.5, "loss": 1.0}, "step_ms": 1.0, "first_step_s": 0.1, "fit_seconds": 0.2}
    return {"model": "mlp", "epochs": 1, "batch_size": 8, "seed": 1, "rtol": 1e-3, "atol": 1e-4,
            "runs": {"numpy": run, "torch": run},
            "pairs": [{"pair": "numpy~torch", "init_identical": True, "max_weight_divergence": 2e-7,
                       "max_loss_divergence": 1e-7 if ok else 1.0, "ok": ok}], "ok": ok}


@pytest.mark.parametrize("ok, status", [(True, 0), (False, 1)])
def test_compare_legend_and_status(ok, status, monkeypatch, capsys):
    from kshim.compat import training
    monkeypatch.setattr(training, "run_compare", lambda *a, **k: _fake_compare(ok))
    assert main(["compare", "--backends", "numpy"]) == status
    out = capsys.readouterr().out
    tables, legend = out.split("\nLegend: ", 1)
    assert "numpy~torch" in tables and ("FAIL" in tables) == (not ok)
    legend = " ".join(line.strip() for line in legend.split("\ntotal ")[0].splitlines())
    for column in ("accuracy", "loss", "ms/step", "1st step s", "fit s", "init identical", "max |dW|",
                   "max |dloss|"):
        assert column in tables and re.search(rf"{re.escape(column)}[ ,]", legend), column


def test_exit_status_usage_errors(capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        main(["matrix", "--no-such-option"])
    assert e.value.code == cli.EXIT_USAGE
    with pytest.raises(SystemExit) as e:
        main([])
    assert e.value.code == cli.EXIT_USAGE
    assert main(["matrix", "--backends", "nosuch", "--filter", "ops.add"]) == cli.EXIT_USAGE
    assert main(["compare", "no-such-model", "--backends", "numpy"]) == cli.EXIT_USAGE
    assert main(["run", str(tmp_path / "missing.py")]) == cli.EXIT_USAGE


def test_exit_status_run_is_the_scripts(tmp_path):
    # In a subprocess: `kshim run` aliases `keras` to kshim for the rest of the process.
    script = tmp_path / "s.py"
    script.write_text("import sys\nsys.exit(5)\n")
    assert _console("run", "--backend", "numpy", str(script)).returncode == 5
    script.write_text("raise RuntimeError('boom')\n")
    p = _console("run", "--backend", "numpy", str(script))
    assert p.returncode == cli.EXIT_FAILED and "RuntimeError: boom" in p.stderr


def test_exit_status_internal_error(monkeypatch, capsys):
    def broken(args):
        raise KeyError("a bug")
    monkeypatch.setattr(cli, "cmd_info", broken)
    assert main(["info"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err and "internal error" in err


def test_console_script_exit_status():
    p = _console("matrix", "--filter", "zz-no-such-case", "--backends", "numpy")
    assert p.returncode == cli.EXIT_USAGE, p.stderr
    assert "no case matches" in p.stderr

"""``kshim compare`` studies: seeds statistics, the timing split, baselines (real Keras, hand-written
torch/JAX loops), the reports (Markdown, JSON, CSV, self-contained HTML checked in headless Chromium)
and the ``--trace`` wiring."""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from kshim import backends as reg
from kshim.cli import main
from kshim.compat import study, study_report, training

HAVE = [b for b in ("numpy", "jax", "torch") if reg.is_available(b)]


# ---- synthetic studies (no training) -------------------------------------------------------------
def _run(backend: str, curve: list[float], acc: float, w: float, step: float) -> dict:
    init = [np.ones((2, 2), "float32"), np.zeros(2, "float32")]
    return {"backend": backend, "init": init, "weights": [init[0] * w, init[1] + w], "curve": curve,
            "step_metrics": {"loss": curve, "accuracy": [acc] * len(curve)},
            "val": {"loss": [curve[-1], curve[-1] / 2], "accuracy": [acc, acc]},
            "eval": {"accuracy": acc, "loss": curve[-1]}, "fit_seconds": 1.0, "first_step_s": 0.5, "step_ms": step,
            "timing": study.split_phases([1.0, 2.0, 3.0], [3.0, 5.0, 4.0], [4.0, 9.0, 6.0])}


def _fake_seed(seed: int, acc: float, dloss: float) -> dict:
    runs = {"numpy": _run("numpy", [2.0, 1.0, 0.5], acc, 1.0, 2.0),
            "jax": _run("jax", [2.0, 1.0 + dloss, 0.5], acc, 1.0 + 1e-7, 1.0),
            "keras-jax": _run("keras-jax", [2.1, 1.1, 0.6], acc + 0.1, 1.5, 1.0)}
    rtol, atol = training.train_tolerance()
    pairs = [training.pair_stats(runs["numpy"], runs["jax"], rtol, atol, "numpy~jax"),
             {**training.pair_stats(runs["keras-jax"], runs["jax"], rtol, atol, "keras-jax~jax"),
              "baseline": True, "comparable": False}]
    return {"model": "mlp", "epochs": 2, "batch_size": 8, "seed": seed, "rtol": rtol, "atol": atol,
            "validation": "held-out test split", "runs": runs, "pairs": pairs, "ok": pairs[0]["ok"]}


def _fake_study(dlosses=(0.0, 1e-6)) -> dict:
    per_seed = [_fake_seed(1, 0.8, dlosses[0]), _fake_seed(2, 0.9, dlosses[1])]
    return {"model": "mlp", "epochs": 2, "batch_size": 8, "seeds": [1, 2], "backends": ["numpy", "jax"],
            "baselines": ["keras"], "stochastic_layers": ["dropout"], "validation": "held-out test split",
            "rtol": per_seed[0]["rtol"], "atol": per_seed[0]["atol"], "per_seed": per_seed,
            "stats": study.aggregate(per_seed), "trace": None, "ok": all(r["ok"] for r in per_seed)}


def test_summary_spread_and_phases():
    s = study.summary([1.0, 2.0, 3.0, None])
    assert s == {"mean": 2.0, "std": pytest.approx(np.std([1, 2, 3])), "min": 1.0, "max": 3.0, "n": 3}
    assert study.spread([5.0, 1.0, 3.0]) == {"median": 3.0, "min": 1.0, "max": 5.0, "n": 3}
    ph = study.split_phases([1.0, 2.0, 3.0], [3.0, 5.0, 4.0], [4.0, 9.0, 6.0])
    # backward = forward+gradient - forward; optimizer = step - forward+gradient (per repetition)
    assert ph["forward"]["median"] == 2.0 and ph["backward"] == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert ph["optimizer"] == {"median": 2.0, "min": 1.0, "max": 4.0, "n": 3} and ph["step"]["median"] == 6.0


def test_aggregate_over_seeds():
    st = _fake_study(dlosses=(0.0, 0.5))["stats"]
    acc = st["final"]["numpy"]["accuracy"]
    assert acc["mean"] == pytest.approx(0.85) and acc["std"] == pytest.approx(0.05) and acc["n"] == 2
    assert (acc["min"], acc["max"]) == (0.8, 0.9)
    p = st["pairs"]["numpy~jax"]
    assert p["max_loss_divergence"]["max"] == pytest.approx(0.5) and p["max_loss_divergence"]["min"] == 0.0
    assert (p["ok"], p["n"], p["comparable"]) == (1, 2, True)  # the 0.5 loss jump is out of tolerance
    assert st["pairs"]["keras-jax~jax"]["comparable"] is False
    assert st["timing"]["jax"]["backward"] == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 6}


def test_format_study_tables():
    text = study.format_study(_fake_study())
    assert "seeds 1, 2" in text and "0.8500 ± 0.0500 [0.8000, 0.9000]" in text
    assert re.search(r"numpy~jax .* ok 2/2", text) and re.search(r"keras-jax~jax .* n/a", text)
    assert "forward ms" in text and "optimizer ms" in text and "all comparable pairs agree" in text


def _png_ok(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def test_report_files(tmp_path):
    pytest.importorskip("matplotlib")
    st = _fake_study()
    paths, note = study_report.write(st, str(tmp_path), study.format_study(st))
    names = {os.path.basename(p) for p in paths}
    assert {"compare.md", "compare.json", "compare.csv", "compare.html", "compare.png", "validation.png",
            "timing.png"} <= names and note == ""
    doc = json.loads((tmp_path / "compare.json").read_text())
    env = doc["environment"]
    assert env["python"] and env["seeds"] == [1, 2] and env["cpu"] and env["cpu_count"]
    assert {"numpy", "jax", "torch", "keras", "kshim"} <= set(env["versions"]) and "threads" in env
    assert env["versions"]["numpy"] == np.__version__ and isinstance(env["gpus"], list)
    assert env["git_revision"] is None or re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", env["git_revision"])
    assert len(doc["per_seed"]) == 2 and "weights" not in doc["runs"]["numpy"]
    assert doc["stats"]["final"]["numpy"]["accuracy"]["mean"] == pytest.approx(0.85)
    rows = (tmp_path / "compare.csv").read_text().splitlines()
    assert rows[0] == "seed,series,column,x,value"
    # per seed: 3 columns x (3 loss + 3 accuracy steps + 2 + 2 validation epochs) + 2 pairs x 3 steps
    assert len(rows) - 1 == 2 * (3 * (3 + 3 + 2 + 2) + 2 * 3)
    assert "2,train_loss,jax,1,1.000001" in "\n".join(rows).replace("1.0000009999999999", "1.000001")
    md = (tmp_path / "compare.md").read_text()
    assert "| numpy~jax |" in md and "![compare.png](compare.png)" in md and "## Environment" in md
    page = (tmp_path / "compare.html").read_text()
    srcs = re.findall(r"<img [^>]*src='([^']*)'", page)
    assert len(srcs) == 3 and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(_png_ok(base64.b64decode(s.split(",", 1)[1])) for s in srcs)
    assert not re.search(r"(src|href)=['\"]?(https?:|//|file:)", page)  # self-contained: nothing external
    for p in paths:
        if p.endswith(".png"):
            assert _png_ok(open(p, "rb").read())


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium (apt-get install -y chromium)")
def test_report_html_renders_in_headless_chromium(tmp_path):
    pytest.importorskip("matplotlib")
    Image = pytest.importorskip("PIL.Image")
    st = _fake_study()
    study_report.write(st, str(tmp_path), study.format_study(st))
    page = (tmp_path / "compare.html").read_text()
    # A test-only copy that writes, once loaded, how many images decoded (naturalWidth > 0).
    probe = ("<script>window.addEventListener('load',()=>{document.body.setAttribute('data-decoded',"
             "[...document.images].filter(i=>i.complete&&i.naturalWidth>0).length)})</script></body>")
    (tmp_path / "probe.html").write_text(page.replace("</body>", probe))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--virtual-time-budget=5000",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", (tmp_path / "probe.html").as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert len(re.findall(r"<img [^>]*src=\"data:image/png;base64,", dom.stdout)) == 3
    assert 'data-decoded="3"' in dom.stdout, dom.stdout[:500]
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,1800", f"--screenshot={shot}",
                    (tmp_path / "compare.html").as_uri()], capture_output=True, timeout=120)
    img = np.asarray(Image.open(shot).convert("L"), dtype="float64")
    assert img.shape[0] > 100 and img.std() > 10  # not blank: text, tables and plots drawn


# ---- baselines --------------------------------------------------------------------------------------
def _small(model: str) -> tuple:
    (x, y), (xt, yt) = training.digits(model == "mlp")
    return (x[:256], y[:256]), (xt[:128], yt[:128])


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_native_loops_match_kshim_without_dropout(model):
    frameworks = [f for f in pytest.importorskip("kshim.compat.study_native").available() if reg.is_available(f)]
    if not frameworks:
        pytest.skip("neither torch nor jax installed")
    from kshim.compat import study_native
    label, build, load = training.resolve(model, dropout=0.0)
    data = _small(model)
    ref = training.train_one("numpy", build, data, 2, 64, 7)
    rtol, atol = training.train_tolerance()
    for fw in frameworks:
        run = study_native.run(fw, model, training.split_validation(data, 0.0), ref["init"], 7, 2, 64, 0.0, repeats=1)
        p = training.pair_stats(run, ref, rtol, atol, fw)
        assert p["ok"], (fw, p["max_weight_divergence"], p["max_loss_divergence"])
        assert len(run["curve"]) == len(ref["curve"]) == 8 and p["max_loss_divergence"] < 1e-4
        assert set(run["timing"]) == {"forward", "backward", "optimizer", "step"}
        # dropout > 0 draws other masks: the same loop then no longer matches kshim step by step
        noisy = study_native.run(fw, model, training.split_validation(data, 0.0), ref["init"], 7, 1, 64, 0.5)
        assert abs(noisy["curve"][1] - ref["curve"][1]) > 1e-4


@pytest.mark.skipif(not reg.is_available("jax"), reason="jax not installed")
def test_keras_baseline_matches_kshim_per_seed():
    from kshim.compat import study_keras
    if not study_keras.installed():
        pytest.skip("real Keras 3 not installed")
    _, build, _ = training.resolve("mlp", dropout=0.0)
    data = _small("mlp")
    refs = [training.train_one("jax", build, data, 1, 64, s) for s in (3, 4)]
    runs = study_keras.run("jax", "mlp", training.split_validation(data, 0.0), [r["init"] for r in refs], [3, 4],
                           1, 64, 0.0, repeats=1)
    rtol, atol = training.train_tolerance()
    for ref, run in zip(refs, runs):
        assert "error" not in run, run.get("error")
        p = training.pair_stats(run, ref, rtol, atol, "keras-jax~jax")
        # same weights, batches and formulas on the same backend: float32 rounding only
        assert p["ok"] and p["max_weight_divergence"] < 1e-5, p
        assert run["keras_version"].startswith("3.") and run["val"]["accuracy"] and run["timing"]["step"]["n"] == 1
    assert refs[0]["curve"][0] != refs[1]["curve"][0]  # the seeds really differ


def _cli(*args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KSHIM_ALIAS_KERAS", "KERAS_BACKEND")}
    return subprocess.run([sys.executable, "-m", "kshim.cli", *args], capture_output=True, text=True, timeout=600,
                          env=env, cwd=cwd)


SCRIPT = """import numpy as np
import keras


def build_model():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def load_data():
    r = np.random.default_rng(0)
    x, y = r.normal(size=(64, 4)).astype("float32"), r.integers(0, 3, 64).astype("int32")
    return (x, y), (x, y)
"""


def test_import_keras_script_trains_kshim_and_keras_baseline(tmp_path):
    """The issue's bug: a script saying `import keras` trained real Keras once per backend (false FAIL).
    Under `kshim compare` its `import keras` is kshim; the Keras baseline gets real Keras in its subprocess."""
    from kshim.compat import study_keras
    if not study_keras.installed() or not reg.is_available("jax"):
        pytest.skip("needs real Keras 3 and jax")
    script = tmp_path / "tiny_keras.py"
    script.write_text(SCRIPT)
    p = _cli("compare", str(script), "--epochs", "2", "--backends", "numpy", "--baseline", "keras", "--repeats", "0",
             "--report", str(tmp_path / "rep"))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    doc = json.loads((tmp_path / "rep" / "compare.json").read_text())
    assert set(doc["runs"]) == {"numpy", "keras-jax"} and doc["runs"]["keras-jax"]["keras_version"].startswith("3.")
    (pair,) = doc["pairs"]
    assert pair["pair"] == "keras-jax~numpy" and pair["comparable"] and pair["ok"] and pair["init_identical"]
    assert "all comparable pairs agree" in p.stdout


def test_trace_missing_is_a_usage_error(monkeypatch, capsys):
    # `import` now raises ImportError, whichever name (kshim.compat or compat) and whether another test
    # in this process imported the tracer already (then it is also an attribute of the package).
    for pkg in ("kshim.compat", "compat"):
        monkeypatch.setitem(sys.modules, f"{pkg}.trace", None)
        if pkg in sys.modules:
            monkeypatch.delattr(sys.modules[pkg], "trace", raising=False)
    assert main(["compare", "--backends", "numpy", "--trace"]) == 2
    assert "kshim.compat.trace" in capsys.readouterr().err


def test_native_baseline_needs_a_bundled_model(tmp_path, capsys):
    script = tmp_path / "s.py"
    script.write_text(SCRIPT.replace("import keras", "import kshim as keras"))
    assert main(["compare", str(script), "--backends", "numpy", "--baseline", "native"]) == 2
    assert "bundled models" in capsys.readouterr().err
    assert main(["compare", "--backends", "numpy", "--baseline", "nosuch"]) == 2


@pytest.mark.skipif(not {"numpy", "jax"} <= set(HAVE), reason="needs numpy and jax backends")
def test_cli_study_seeds_timing_trace_report(tmp_path, capsys):
    pytest.importorskip("kshim.compat.trace")
    pytest.importorskip("matplotlib")
    code = main(["compare", "--backends", "numpy,jax", "--epochs", "1", "--seeds", "2", "--repeats", "2",
                 "--validation-split", "0.2", "--trace", "--trace-steps", "2", "--report", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "seeds 1337, 1338" in out and " ± " in out and "Divergence trace" in out and "\nLegend: " in out
    doc = json.loads((tmp_path / "compare.json").read_text())
    assert [r["seed"] for r in doc["per_seed"]] == [1337, 1338] and doc["validation"] == "validation_split=0.2"
    a, b = (r["runs"]["numpy"]["curve"] for r in doc["per_seed"])
    assert len(a) == len(b) == -(-(1437 - int(1437 * 0.2)) // 64) and a != b
    assert len(doc["per_seed"][0]["runs"]["jax"]["val"]["accuracy"]) == 1
    for col in ("numpy", "jax"):
        assert set(doc["stats"]["timing"][col]) == {"forward", "backward", "optimizer", "step"}
        assert doc["stats"]["timing"][col]["step"]["n"] == 4  # 2 repetitions x 2 seeds
    assert doc["trace"]["first_divergence"] is None and doc["trace"]["data"]
    page = (tmp_path / "compare.html").read_text()
    assert page.count("data:image/png;base64,") == 4  # loss+divergence, validation, timing, trace

"""``python -m benchmarks --sweep`` (issue 21, item 4): the sweep points are the benchmark models at other
sizes (every contender builds the same parameter count), ratios are medians of per-repetition ratios,
the verdict compares the largest size with the smallest, and the report has the table and the PNG.
Timing itself is not asserted (benchmarks only report)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import runner, sweep  # noqa: E402
from benchmarks.workloads import SWEEP_WORKLOADS, WORKLOADS, get  # noqa: E402


def test_sweep_points_cover_the_issue_ranges():
    mlp_b = sorted(w.batch_size for w in SWEEP_WORKLOADS.values() if w.name.startswith("mlp-b"))
    mlp_w = sorted(w.width for w in SWEEP_WORKLOADS.values() if w.name.startswith("mlp-w"))
    assert mlp_b[0] == 32 and mlp_b[-1] == 1024 and mlp_w[0] == 256 and mlp_w[-1] == 2048
    for fam in ("lstm", "attn"):
        lengths = sorted(w.input_shape[0] for w in SWEEP_WORKLOADS.values() if w.kind == fam)
        assert lengths[0] == 25 and lengths[-1] == 400
        base = WORKLOADS[fam]
        for w in SWEEP_WORKLOADS.values():
            if w.kind == fam:
                assert w.input_shape[1:] == base.input_shape[1:] and w.batch_size == base.batch_size
    assert not set(SWEEP_WORKLOADS) & set(WORKLOADS)
    assert get("mlp") is WORKLOADS["mlp"] and get("lstm-t100").input_shape == (100, 32)
    # the default run and CI's --quick do not pick up sweep points
    assert not set(SWEEP_WORKLOADS) & set(runner.DEFAULT_WORKLOADS)


def _kshim_params(name: str) -> int:
    import kshim
    from benchmarks.contenders.keras_api import KerasAPIContender

    c = KerasAPIContender.__new__(KerasAPIContender)
    c.K = kshim
    return c.build(get(name)).count_params()


@pytest.mark.parametrize("name", ["mlp-w512", "mlp-b32", "lstm-t25"])
def test_contenders_build_the_resized_model(name):
    w = get(name)
    expected = {"mlp-w512": 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10,
                "mlp-b32": 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10,
                "lstm-t25": 4 * 128 * (32 + 128 + 1) + 128 * 10 + 10}[name]
    assert _kshim_params(name) == expected
    if importlib.util.find_spec("torch") is not None:
        from benchmarks.contenders.torch_loop import build

        # nn.LSTM has two bias vectors per gate block (b_ih, b_hh): 4 * 128 more parameters
        extra = 4 * 128 if w.kind == "lstm" else 0
        assert sum(p.numel() for p in build(w).parameters()) == expected + extra
    if importlib.util.find_spec("jax") is not None:
        from benchmarks.contenders.jax_loop import init_params

        leaves = __import__("jax").tree_util.tree_leaves(init_params(w))
        assert sum(int(np.prod(np.shape(p))) for p in leaves) == expected


@pytest.mark.parametrize("ratios,expected", [
    ([1.3, 1.2, 1.1, 1.0], "falls"), ([1.0, 1.05, 0.98, 1.1], "flat"), ([1.0, 1.1, 1.2, 1.3], "rises"),
    ([None, 1.0, None, 1.0], "flat"), ([None, 1.0], "not measured"),
])
def test_verdict(ratios, expected):
    assert sweep.verdict(ratios) == expected


def _fake_results(ratio_of_size) -> dict:
    """Per-repetition seconds: the hand-written loop 1 ms x size factor, kshim ``ratio_of_size`` x that,
    with one outlier repetition (the median over repetitions must ignore it)."""
    res = {}
    for _family, _axis, sizes, name in sweep.SERIES:
        for i, n in enumerate(sizes):
            base = 1e-3 * (i + 1)
            r = ratio_of_size(i)
            for op in ("train", "predict"):
                res[("torch-loop", name(n), op)] = runner.Series(2, [base, base, base])
                res[("kshim-torch", name(n), op)] = runner.Series(2, [base * r, base * r * 5, base * r])
    return res


def test_series_table_pairs_medians_and_verdicts():
    rows = sweep.series_table(_fake_results(lambda i: 1.5 - 0.1 * i), "train", ["kshim-torch", "torch-loop"])
    assert [(r["family"], r["axis"]) for r in rows] == [(f, a) for f, a, _, _ in sweep.SERIES]
    for r in rows:
        assert r["pair"] == ("kshim-torch", "torch-loop")
        np.testing.assert_allclose(r["ratios"], [1.5 - 0.1 * i for i in range(len(r["sizes"]))], rtol=1e-12)
        assert r["verdict"] == "falls"
    rising = sweep.series_table(_fake_results(lambda i: 1.0 + 0.2 * i), "train", ["kshim-torch", "torch-loop"])
    assert {r["verdict"] for r in rising} == {"rises"}


def test_render_and_plot(tmp_path):
    rows = sweep.series_table(_fake_results(lambda i: 1.0), "train", ["kshim-torch", "torch-loop"])
    info = {"cpu": "cpu", "cores": 2, "loadavg_start": "0 0 0", "loadavg_end": "0 0 0", "git": "abc", "date": "d",
            "runtime_s": 1.0}
    md = sweep.render(info, {"train": rows}, 3, "sweep.png")
    assert "### mlp over batch size: kshim-torch / torch-loop — flat" in md
    assert "| batch size | 32 | 128 | 512 | 1024 |" in md
    assert "| ratio | 1.00× | 1.00× | 1.00× | 1.00× |" in md
    assert "![ms/step and ratio against size](sweep.png)" in md
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib is not installed (the PNG is optional)")
    png = tmp_path / "sweep.png"
    assert sweep.plot(rows, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_flag_is_parsed():
    assert runner.parse_args(["--sweep"]).sweep and not runner.parse_args([]).sweep


@pytest.mark.parametrize("argv,expected", [
    ([], {"main", "seq", "sweep"}), (["--quick"], {"main"}), (["--workloads", "mlp"], {"main"}),
    (["--sections", "main,sweep"], {"main", "sweep"}),
])
def test_a_full_run_reports_every_section(argv, expected):
    """``python -m benchmarks`` alone writes RESULTS.md with the sequence workloads and the sweep (one run)."""
    assert runner._sections(runner.parse_args(argv)) == expected


def test_sections_nest_under_the_report():
    assert runner._demote("# title\ntext\n## sub") == "## title\ntext\n### sub"

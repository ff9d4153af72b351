"""The user-style corpus in ``examples/`` (issue 13, item 8) runs unchanged under the ``keras``
alias on every backend: one ``python -m kshim run --backend B examples/_run_all.py`` subprocess per
backend, which runs every script in its own ``__main__`` and prints PASS/SKIP/FAIL per script.

The subprocess gets a clean environment (no ``KERAS_*``/``KSHIM_*``) and ``OMP_NUM_THREADS=1``
unless set: on a small shared CPU, PyTorch's two-thread pool made each step ~100x slower.
On JAX the runner keeps compilations in ~/.cache/kshim/jax (EXAMPLES_JAX_CACHE=0 turns it off):
a first run compiles for a few minutes on a 2-core machine, later runs take well under a minute.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from kshim import backends
from kshim.testing.pytest_plugin import selected_backends

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
SCRIPTS = sorted(n for n in os.listdir(EXAMPLES) if n.endswith(".py") and not n.startswith("_"))
# Scripts written in one backend's own idiom skip themselves elsewhere (and only there).
ONLY_ON = {"torch_train_step.py": "torch", "jax_stateless_train_step.py": "jax"}
LINE = re.compile(r"^(PASS|SKIP|FAIL) (\S+\.py) \(", re.M)


def test_corpus_is_user_code():
    assert len(SCRIPTS) >= 20, SCRIPTS
    for name in SCRIPTS:
        with open(os.path.join(EXAMPLES, name)) as f:
            text = f.read()
        assert "kshim" not in text.lower(), f"{name} mentions kshim: examples must read as plain Keras code"
        assert re.search(r"^\s*(import keras|from keras[ .])", text, re.M), f"{name} does not import keras"
        assert re.search(r"^\s*assert ", text, re.M), f"{name} asserts nothing about its result"
    assert set(ONLY_ON) <= set(SCRIPTS)


@pytest.mark.parametrize("name", ["numpy", "jax", "torch"])
def test_examples_pass_under_alias(name, request):
    if name not in selected_backends(request.config):
        pytest.skip(f"backend {name!r} not selected (--backend)")
    if not backends.is_available(name):
        pytest.skip(f"backend {name!r} is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERAS_", "KSHIM_"))}
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    p = subprocess.run([sys.executable, "-m", "kshim", "run", "--backend", name, "examples/_run_all.py"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    out = p.stdout + p.stderr
    status = {script: st for st, script in LINE.findall(p.stdout)}
    failed = sorted(s for s, st in status.items() if st == "FAIL")
    assert not failed and p.returncode == 0, \
        f"examples failing on {name}: {failed or '(runner exit ' + str(p.returncode) + ')'}\n{out[-20000:]}"
    assert set(status) == set(SCRIPTS), f"runner did not report {sorted(set(SCRIPTS) - set(status))}\n{out}"
    expected_skips = {s for s, only in ONLY_ON.items() if only != name}
    assert {s for s, st in status.items() if st == "SKIP"} == expected_skips, out

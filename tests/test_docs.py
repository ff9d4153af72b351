"""The documentation site (issue 20): every guide's code runs, the API pages are current, the nav is whole.

Each page under ``docs/guides/`` (and ``docs/index.md``) is a script: its ```` ```python ```` blocks run in
order in one namespace, in a fresh working directory. Blocks fenced with any other info string
(```` ```py ````, ```` ```bash ````, ```` ```text ````) are shown, not run: use them for fragments and
command lines. A page runs once per selected backend (``--backend``, the ``backend`` fixture) with that
backend active, unless it carries ``<!-- docs-test: once -->`` because its code chooses backends itself
(it then runs once, on the default backend). A page marked ``<!-- docs-test: needs keras -->`` is skipped
where real Keras 3 (``kshim[oracle]``) is not installed.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback

import pytest

import kshim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
GUIDES = sorted(os.path.join("guides", n) for n in os.listdir(os.path.join(DOCS, "guides")) if n.endswith(".md"))
PAGES = ["index.md", *GUIDES]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
ONCE = "<!-- docs-test: once -->"
NEEDS_KERAS = "<!-- docs-test: needs keras -->"


def _read(page: str) -> str:
    with open(os.path.join(DOCS, page), encoding="utf-8") as f:
        return f.read()


def blocks(text: str) -> list[tuple[int, str]]:
    """``(first line number, code)`` of each ```` ```python ```` block of a Markdown page."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in FENCE.finditer(text)]


def run_page(page: str, workdir: str) -> None:
    """Run a page's python blocks in order in one namespace; fail with the page and line of the error."""
    text = _read(page)
    if NEEDS_KERAS in text:
        import importlib.util
        if importlib.util.find_spec("keras") is None:
            pytest.skip(f"docs/{page} loads files in real Keras 3 (pip install 'kshim[oracle]')")
    namespace: dict = {"__name__": "__docs__"}
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for line, code in blocks(text):
            try:
                exec(compile(code, f"docs/{page}:{line}", "exec"), namespace)  # noqa: S102 - the docs' own code
            except Exception:  # noqa: BLE001 - report where in the page it failed
                pytest.fail(f"docs/{page}, block at line {line} failed:\n{traceback.format_exc()}")
    finally:
        os.chdir(cwd)
        kshim.utils.clear_session()


def test_block_extraction():
    text = "intro\n```python\na = 1\n```\n\n```py\nnot run\n```\n```bash\nls\n```\n```python\nb = a\n```\n"
    assert blocks(text) == [(3, "a = 1\n"), (13, "b = a\n")]


def test_every_guide_has_tested_code():
    assert len(GUIDES) >= 9, GUIDES
    for page in PAGES:
        assert blocks(_read(page)), f"docs/{page} has no ```python block for the tests to run"


@pytest.mark.parametrize("page", [p for p in PAGES if ONCE not in _read(p)])
def test_page_runs_on_backend(page, backend, tmp_path):
    run_page(page, str(tmp_path))


@pytest.mark.parametrize("page", [p for p in PAGES if ONCE in _read(p)])
def test_page_runs_once(page, tmp_path):
    run_page(page, str(tmp_path))


def _nav_paths() -> list[str]:
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as f:
        return re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", f.read(), re.M)


def test_nav_lists_existing_pages_and_every_guide():
    nav = _nav_paths()
    missing = [p for p in nav if not os.path.exists(os.path.join(DOCS, p))]
    assert not missing, f"mkdocs.yml's nav names pages that do not exist: {missing}"
    assert set(GUIDES) <= set(nav), f"guides missing from the nav: {sorted(set(GUIDES) - set(nav))}"
    assert len([p for p in nav if p.startswith("api/")]) >= 30


def test_api_pages_are_current():
    import importlib.util
    if importlib.util.find_spec("keras") is None:  # the generator groups names by real Keras' modules
        pytest.skip("needs real Keras 3 (pip install 'kshim[oracle]')")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    p = subprocess.run([sys.executable, os.path.join(DOCS, "gen_api.py"), "--check"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr


def test_every_api_entry_names_its_keras_equivalent():
    api = os.path.join(DOCS, "api")
    entries = 0
    for dirpath, _, files in os.walk(api):
        for fn in files:
            if not fn.endswith(".md"):
                continue
            with open(os.path.join(dirpath, fn), encoding="utf-8") as f:
                text = f.read()
            # each `::: kshim.X` block (with its options) is followed by the Keras 3 / kshim-only note
            for m in re.finditer(r"^::: (kshim\.[\w.]+)\n(?:    .*\n)*\n(.*)$", text, re.M):
                entries += 1
                assert m.group(2).startswith(("**Keras 3:** `keras.", "**kshim only**")), \
                    f"{fn}: {m.group(1)} has no Keras 3 note: {m.group(2)!r}"
    assert entries > 800, entries


def test_examples_page_is_current():
    """docs/examples.md shows every program of examples/ (regenerate with python docs/gen_examples.py)."""
    p = subprocess.run([sys.executable, os.path.join(DOCS, "gen_examples.py"), "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr

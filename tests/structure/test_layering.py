"""Imports point down: no kshim module imports (even inside a function) from a layer above its own."""
from __future__ import annotations

import os

import kshim

from .layering import ALLOWED, LAYERS, iter_imports, layer_of, violations

ROOT = os.path.dirname(os.path.abspath(kshim.__file__))
BACKENDS = os.path.dirname(os.path.abspath(kshim.backends.__file__))


def test_imports_point_down():
    bad = violations(ROOT, {"kshim.backends": BACKENDS})
    assert not bad, "upward imports (see docs/architecture.md):\n" + "\n".join(bad)


def test_allow_list_is_short_and_used():
    assert len(ALLOWED) <= 5
    used = {(m, t) for m, t, _ in iter_imports(ROOT) for a in ALLOWED if m == a[0] and t.startswith(a[1])}
    assert set(ALLOWED) <= used, f"stale allow-list entries: {set(ALLOWED) - used}"


def test_every_module_has_a_layer():
    for mod, _, _ in iter_imports(ROOT):
        layer_of(mod)


def test_the_checker_catches_an_upward_import(tmp_path):
    pkg = tmp_path / "kshim"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "ops" / "__init__.py").write_text("def f():\n    from ..layers import Dense\n")
    (pkg / "layers").mkdir()
    (pkg / "layers" / "__init__.py").write_text("from .. import ops\n")
    bad = violations(str(pkg))
    assert len(bad) == 1 and "kshim.ops:2 imports kshim.layers" in bad[0]


def test_layers_are_documented():
    doc = os.path.join(os.path.dirname(ROOT), "docs", "architecture.md")
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    for name, _ in LAYERS:
        assert f"**{name}**" in text, f"docs/architecture.md does not describe the {name!r} layer"

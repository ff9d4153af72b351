"""Write docs/examples.md: every program of examples/ with its summary and its source (issue 20 item 4).

The page includes each file through ``pymdownx.snippets`` (``--8<--``), so the site shows the code the
tests run (``tests/test_examples.py`` runs every example on NumPy, JAX and PyTorch). ``--check`` exits 1
when the page is stale (``tests/test_docs.py`` calls it).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "examples.md"


def render() -> str:
    """The Markdown of the examples page."""
    lines = ["# Examples", "",
             "Small Keras 3 programs, as a Keras user writes them. The tests run every one of them on NumPy, JAX",
             "and PyTorch; run one with `kshim run --backend jax examples/<name>.py`, or all of them with",
             "`kshim run examples/_run_all.py`.", ""]
    for path in sorted((ROOT / "examples").glob("[!_]*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        summary = doc.strip().splitlines()[0] if doc.strip() else path.stem.replace("_", " ")
        lines += [f"## {path.stem}", "", summary, "", f'??? example "examples/{path.name}"', "",
                  "    ```python", f'    --8<-- "examples/{path.name}"', "    ```", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print("docs/examples.md is stale: run python docs/gen_examples.py")
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

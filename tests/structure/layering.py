"""The import layering of kshim, as data (documented in docs/architecture.md).

Each module belongs to the layer of the longest prefix listed in ``LAYERS``; a module may import
(at module level *or* inside a function) only from its own layer or layers below it.
"""
from __future__ import annotations

import ast
import os

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundation", ("kshim._errors", "kshim._foreign", "kshim._validation", "kshim._registry", "kshim._config",
                    "kshim._naming", "kshim._determinism", "kshim._replica", "kshim.backends",
                    "kshim.tree")),
    ("core", ("kshim.dtypes", "kshim._symbolic", "kshim._operators", "kshim._scope", "kshim.backend",
              "kshim.variables")),
    ("ops", ("kshim.ops", "kshim.random")),
    ("objects", ("kshim.initializers", "kshim.regularizers", "kshim.constraints",
                 "kshim.activations", "kshim._serialization", "kshim._lambda_code")),
    ("layers", ("kshim.layers",)),
    ("training objects", ("kshim.losses", "kshim.metrics", "kshim.optimizers")),
    ("saving", ("kshim.saving", "kshim.export")),
    ("loop", ("kshim.callbacks", "kshim.distribution", "kshim.trainers", "kshim.utils.progbar",
              "kshim.utils.py_dataset")),
    ("models", ("kshim.models",)),
    ("facades and tools", ("kshim", "kshim.config", "kshim.mixed_precision", "kshim.utils", "kshim.preprocessing",
                           "kshim.datasets", "kshim.testing", "kshim.cli", "kshim.__main__", "kshim._alias",
                           "kshim.compat")),
]

# (importing module, imported module): the only upward imports, each with its reason.
ALLOWED: dict[tuple[str, str], str] = {
    ("kshim._operators", "kshim.ops"): "operator idiom: `tensor + 1` on a Variable/KerasTensor routes to kshim.ops",
    ("kshim.variables", "kshim.ops"): "operator idiom: Variable.assign_add/assign_sub are ops on the value",
}


def layer_of(module: str) -> int:
    best, rank = -1, None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best:
                best, rank = len(p), i
    if rank is None:
        raise KeyError(f"module {module!r} is in no layer of tests/structure/layering.py")
    return rank


def _module_name(root: str, path: str, package: str) -> str:
    rel = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
    name = f"{package}.{rel}" if rel != "__init__" else package
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def iter_imports(root: str, package: str = "kshim"):
    """Yield ``(module, imported module, line)`` for every import statement under ``root``."""
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".py"):
                continue
            path = os.path.join(d, f)
            mod = _module_name(root, path, package)
            pkg = mod if f == "__init__.py" else mod.rsplit(".", 1)[0]
            with open(path, encoding="utf-8") as fh:
                tree = ast.parse(fh.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        yield mod, a.name, node.lineno
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        parts = pkg.split(".")
                        base = ".".join(parts[: len(parts) - node.level + 1])
                        target = f"{base}.{node.module}" if node.module else base
                    else:
                        target = node.module or ""
                    if node.module is None:  # `from . import a, b`: each name may be a module
                        for a in node.names:
                            yield mod, f"{target}.{a.name}", node.lineno
                    else:
                        yield mod, target, node.lineno


def resolve(target: str, known: set) -> str:
    """The longest known module prefix of ``target`` (``kshim.ops.add`` -> ``kshim.ops``)."""
    while target not in known and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def violations(kshim_root: str, extra_roots: dict[str, str] | None = None) -> list[str]:
    roots = {"kshim": kshim_root, **(extra_roots or {})}
    edges = []
    for package, root in roots.items():
        edges += list(iter_imports(root, package))
    known = {m for m, _, _ in edges} | {p for _, prefixes in LAYERS for p in prefixes}
    out = []
    for mod, target, line in edges:
        if not target.startswith("kshim"):
            continue
        target = resolve(target, known)
        if layer_of(target) > layer_of(mod) and (mod, target) not in ALLOWED:
            out.append(f"{mod}:{line} imports {target} ({LAYERS[layer_of(mod)][0]} -> {LAYERS[layer_of(target)][0]})")
    return out

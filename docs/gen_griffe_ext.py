"""A griffe extension for the docs build (mkdocs.yml loads it).

kshim makes some classes and methods in factories: ``_with_signature`` gives each metric class an
``__init__`` with Keras' signature (its qualified name contains ``<locals>``), and ``_fn_metric`` names
``kshim.metrics.metrics`` as the module of classes that other modules create. griffe's inspector
records such objects as aliases to paths that hold nothing and then fails on them. This inspects them
in place, where they are reached, as if they were defined there.
"""
from __future__ import annotations

import sys
from typing import Any

import griffe


def _resolvable(path: str) -> bool:
    """Whether ``path`` (``module.qualname``) names a live object at that very path."""
    if "<locals>" in path:
        return False
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is None:
            continue
        obj: Any = mod
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return True  # not imported yet: let griffe resolve it as usual


class LocalMembers(griffe.Extension):
    """Inspect members defined inside a factory function instead of aliasing them."""

    def on_alias_instance(self, *, alias: griffe.Alias, node: Any, agent: Any, **kwargs: Any) -> None:
        """Replace an alias whose target is a ``<locals>`` path by the inspected member itself.

        Args:
            alias: The alias griffe just created.
            node: The object node whose children are being inspected.
            agent: The running inspector.
            **kwargs: Unused (forward compatibility).
        """
        if _resolvable(alias.target_path):
            return
        for child in node.children:
            if child.name == alias.name:
                agent.current.del_member(alias.name)
                agent.inspect(child)
                return

"""Issue 19 item 4: public signatures are fully typed. Every public function, and every public method
and constructor of a public class, of kshim's namespaces annotates its parameters (``self``/``cls``
aside) and, except constructors, its return value."""
from __future__ import annotations

import importlib
import inspect

NAMESPACES = (
    "kshim", "kshim.ops", "kshim.layers", "kshim.losses", "kshim.metrics", "kshim.optimizers",
    "kshim.optimizers.schedules", "kshim.initializers", "kshim.activations", "kshim.callbacks", "kshim.random",
    "kshim.utils", "kshim.saving", "kshim.models", "kshim.regularizers", "kshim.constraints", "kshim.config",
    "kshim.backend", "kshim.distribution", "kshim.export", "kshim.datasets", "kshim.preprocessing",
    "kshim.mixed_precision",
)


def _public_callables():
    seen = set()
    for ns in NAMESPACES:
        module = importlib.import_module(ns)
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or id(obj) in seen or not getattr(obj, "__module__", "").startswith("kshim"):
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                if "__init__" in obj.__dict__:
                    yield f"{ns}.{name}.__init__", obj.__init__, True
                for key, fn in obj.__dict__.items():
                    if not key.startswith("_") and inspect.isfunction(fn):
                        yield f"{ns}.{name}.{key}", fn, False
            elif inspect.isfunction(obj):
                yield f"{ns}.{name}", obj, False


def _missing(fn, is_init):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    out = [p.name for p in sig.parameters.values()
           if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if not is_init and sig.return_annotation is inspect.Signature.empty:
        out.append("return")
    return out


def test_every_public_signature_is_annotated():
    missing = {qn: m for qn, fn, init in _public_callables() if (m := _missing(fn, init))}
    assert not missing, f"{len(missing)} public signatures lack annotations: " + "; ".join(
        f"{k} {v}" for k, v in sorted(missing.items())[:40])


def test_the_check_sees_an_unannotated_function():
    def f(x, y: int):
        return x
    assert _missing(f, False) == ["x", "return"]

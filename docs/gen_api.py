"""Write the API reference pages (``docs/api/**.md``) and their nav from kshim's public names.

Usage::

    python docs/gen_api.py           # rewrite docs/api/ and the API block of mkdocs.yml
    python docs/gen_api.py --check   # exit 1 if a page or the nav is out of date (tests/test_docs.py)

A public name is what ``kshim info --coverage`` counts: a public name of a Keras 3 namespace that the
same kshim namespace also has, plus the short list of kshim-only names in ``KSHIM_ONLY``. Names are
grouped as the Keras 3 API reference groups them (layers by family, ops by namespace, metrics by
kind); the family of a name is read from the module real Keras defines it in, so the generator needs
real Keras 3 installed (``pip install 'kshim[oracle]'``). Each entry states its Keras 3 equivalent
and renders kshim's docstring through mkdocstrings (``::: kshim.layers.Dense``). One object reached
through several names (``Conv2D`` and ``Convolution2D``, ``keras.Input`` and ``keras.layers.Input``)
is rendered once, under its first name; the others are listed as aliases. Keras names kshim lacks are
listed at the end of their page, with the reason when they are left out on purpose.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API_DIR = os.path.join(ROOT, "docs", "api")
MKDOCS_YML = os.path.join(ROOT, "mkdocs.yml")
NAV_BEGIN = "  # BEGIN API NAV (written by docs/gen_api.py; do not edit by hand)"
NAV_END = "  # END API NAV"

# (slug, title, intro) in nav order. A slug is the page path under docs/api without ".md".
PAGES: list[tuple[str, str, str]] = [
    ("models", "Models", "Building and running models: `Model`, `Sequential`, the functional API and cloning."),
    ("layers/base", "The base Layer class", "`Layer`, `InputSpec`, `Wrapper` and layer (de)serialization."),
    ("layers/core", "Core layers", "Input, Dense, EinsumDense, Embedding, Lambda, Masking, ..."),
    ("layers/convolution", "Convolution layers", "1D/2D/3D, transposed, depthwise and separable convolutions."),
    ("layers/pooling", "Pooling layers", "Max, average, global and adaptive pooling."),
    ("layers/recurrent", "Recurrent layers", "LSTM, GRU, SimpleRNN, their cells, `RNN`, `Bidirectional`, ConvLSTM."),
    ("layers/preprocessing", "Preprocessing layers",
     "Text, numerical, categorical, image (preprocessing and augmentation) and audio preprocessing layers."),
    ("layers/normalization", "Normalization layers", "Batch, layer, group, RMS, unit and spectral normalization."),
    ("layers/regularization", "Regularization layers", "Dropout variants, Gaussian noise, activity regularization."),
    ("layers/attention", "Attention layers", "Dot-product, additive, multi-head and grouped-query attention."),
    ("layers/reshaping", "Reshaping layers", "Reshape, Flatten, Permute, cropping, padding, upsampling."),
    ("layers/merging", "Merging layers", "Add, Concatenate, Dot, ... and their functional forms."),
    ("layers/activation", "Activation layers", "ReLU, Softmax, LeakyReLU, PReLU, ELU."),
    ("layers/backend_specific", "Backend-specific layers", "Wrapping native torch modules and JAX/Flax functions."),
    ("callbacks", "Callbacks", "Hooks into `fit`, `evaluate` and `predict`."),
    ("ops/numpy", "NumPy ops", "`keras.ops.numpy`: NumPy-style array operations (also in `keras.ops`)."),
    ("ops/nn", "NN ops", "`keras.ops.nn`: activations, convolutions, pooling, losses, attention."),
    ("ops/linalg", "Linear algebra ops", "`keras.ops.linalg`: decompositions, solvers, norms."),
    ("ops/core", "Core and math ops", "Control flow, tensor conversion, scatter/slice, segment reductions, FFT."),
    ("ops/image", "Image ops", "`keras.ops.image`: resizing, affine warps, colour conversion, patches."),
    ("optimizers", "Optimizers", "SGD, Adam, AdamW and the other optimizers."),
    ("optimizers_schedules", "Learning rate schedules", "`keras.optimizers.schedules`."),
    ("losses", "Losses", "Loss classes and their functional forms."),
    ("metrics", "Metrics", "Metrics by kind: accuracy, probabilistic, regression, classification, IoU, ..."),
    ("initializers", "Initializers", "`keras.initializers`."),
    ("regularizers", "Regularizers", "`keras.regularizers`."),
    ("constraints", "Constraints", "`keras.constraints`."),
    ("activations", "Activations", "`keras.activations`: the activation functions."),
    ("saving", "Saving", "`.keras` archives, weights files and the custom-object registry."),
    ("utils", "Utilities", "`keras.utils`: data loading, datasets from directories, images, progress bars, ..."),
    ("preprocessing", "Preprocessing utilities", "`keras.preprocessing` (dataset builders and `sequence`)."),
    ("datasets", "Datasets", "`keras.datasets`: small built-in datasets."),
    ("mixed_precision", "Mixed precision", "`keras.mixed_precision`: dtype policies and loss scaling."),
    ("config", "Config", "`keras.config`: floatx, epsilon, image data format, flags."),
    ("random", "Random", "`keras.random`: seeded random ops, identical on every backend."),
    ("backend", "Backend", "`keras.backend`, and kshim's backend selection (`kshim.backend.use`)."),
    ("distribution", "Multi-device distribution", "`keras.distribution`: device meshes, layouts, data and "
     "model parallelism (guide: [scaling out](../scaling.md))."),
    ("export", "Model export", "`keras.export`."),
    ("tree", "Tree", "`keras.tree`: utilities for nested structures (lists, tuples, dicts, namedtuples)."),
    ("wrappers", "scikit-learn wrappers", "`keras.wrappers`: scikit-learn estimators around a compiled model "
     "(needs `scikit-learn`)."),
    ("keras", "The keras namespace", "Names at the top level of `keras`."),
    ("other", "Other namespaces", "Keras 3 namespaces without a page of their own."),
]

# kshim's own public names that have no Keras 3 equivalent: (kshim namespace, name, page).
KSHIM_ONLY: list[tuple[str, str, str]] = [
    ("backend", "use", "backend"), ("backend", "get", "backend"), ("backend", "current", "backend"),
    ("backend", "default_name", "backend"), ("backend", "set_backend", "backend"),
    ("", "alias_keras", "keras"), ("", "unalias_keras", "keras"), ("", "value_and_grad", "keras"),
    ("", "SeedGenerator", "random"), ("models", "Functional", "models"),
    ("saving", "CorruptFileError", "saving"), ("saving", "enable_unsafe_deserialization", "saving"),
    ("layers", "DataLayer", "layers/preprocessing"), ("layers", "run_on_numpy", "layers/preprocessing"),
    ("ops", "mish", "ops/nn"), ("random", "gumbel", "random"), ("utils", "ArrayDataset", "utils"),
]

# Classes whose methods are part of what a user calls (their members are rendered too).
WITH_MEMBERS = {"Layer", "Model", "Sequential", "Optimizer", "Callback", "Metric", "Loss", "Variable",
                "PyDataset", "SeedGenerator", "Initializer", "Regularizer", "Constraint",
                "LearningRateSchedule", "TextVectorization", "Normalization", "StringLookup", "IntegerLookup",
                "Discretization", "FeatureSpace", "Progbar", "KerasFileEditor"}

# Keras namespaces read through kshim's flat holder (kshim keeps ops.numpy/ops.nn names in kshim.ops).
OPS_VIEWS = ("ops.numpy", "ops.nn", "ops.linalg")

_LAYER_FAMILIES = {"core": "layers/core", "convolutional": "layers/convolution", "pooling": "layers/pooling",
                   "rnn": "layers/recurrent", "preprocessing": "layers/preprocessing",
                   "normalization": "layers/normalization", "regularization": "layers/regularization",
                   "attention": "layers/attention", "reshaping": "layers/reshaping", "merging": "layers/merging",
                   "activations": "layers/activation"}
_PREPROCESSING_SECTIONS = {
    "text_vectorization": "Text", "normalization": "Numerical features", "discretization": "Numerical features",
    "category_encoding": "Categorical features", "hashing": "Categorical features",
    "hashed_crossing": "Categorical features", "string_lookup": "Categorical features",
    "integer_lookup": "Categorical features", "image_preprocessing": "Image preprocessing and augmentation",
    "rescaling": "Image preprocessing and augmentation", "mel_spectrogram": "Audio",
    "stft_spectrogram": "Audio", "pipeline": "Pipelines",
}
_METRIC_SECTIONS = {"accuracy_metrics": "Accuracy metrics", "probabilistic_metrics": "Probabilistic metrics",
                    "regression_metrics": "Regression metrics", "confusion_metrics": "Classification metrics",
                    "f_score_metrics": "Classification metrics", "iou_metrics": "Image segmentation (IoU) metrics",
                    "hinge_metrics": "Hinge metrics", "correlation_metrics": "Correlation metrics",
                    "reduction_metrics": "Reduction and wrapper metrics", "metric": "Base class",
                    "losses": "Loss functions as metrics"}
_SIMPLE = {"callbacks", "optimizers", "losses", "initializers", "regularizers", "constraints", "activations",
           "saving", "mixed_precision", "config", "random", "backend", "models"}


@dataclass
class Entry:
    """One documented object: its names in Keras, the kshim path mkdocstrings renders, its page."""

    keras_paths: list[str]
    kshim_path: str
    page: str
    section: str
    obj: Any = None
    kshim_only: bool = False
    aliases: list[str] = field(default_factory=list)


def _public(mod: Any) -> list[str]:
    from kshim.cli import _public as public
    return sorted(public(mod))


def place(ns: str, name: str, kobj: Any) -> tuple[str, str]:
    """``(page slug, section title)`` of the Keras name ``keras.<ns>.<name>`` (object ``kobj``)."""
    mod = getattr(kobj, "__module__", "") or ""
    parts = mod.split(".")[2:]  # keras.src.<package>.<module>...
    if ns == "layers":
        if parts[:1] in (["utils"], ["export"]):
            return "layers/backend_specific", ""
        if parts[:1] == ["layers"] and len(parts) > 1 and parts[1] in _LAYER_FAMILIES:
            page = _LAYER_FAMILIES[parts[1]]
            if parts[1] == "core" and name in ("Wrapper",):
                return "layers/base", ""
            if page == "layers/preprocessing":
                return page, _PREPROCESSING_SECTIONS.get(parts[2] if len(parts) > 2 else "", "Other")
            return page, ""
        return "layers/base", ""
    if ns == "metrics":
        key = parts[1] if parts[:1] == ["metrics"] and len(parts) > 1 else parts[-1] if parts else ""
        return "metrics", _METRIC_SECTIONS.get(key, "Serialization")
    if ns == "ops":
        return "ops/core", ""
    if ns in OPS_VIEWS or ns == "ops.image":
        return "ops/" + ns.split(".")[1], ""
    if ns == "optimizers.schedules":
        return "optimizers_schedules", ""
    if ns in _SIMPLE:
        return ns, ""
    if ns.startswith("utils"):
        return "utils", {"utils": "", "utils.bounding_boxes": "Bounding boxes", "utils.legacy": "Legacy"}[ns]
    if ns.startswith("preprocessing"):
        return "preprocessing", {"preprocessing": "", "preprocessing.image": "keras.preprocessing.image",
                                 "preprocessing.sequence": "keras.preprocessing.sequence"}[ns]
    if ns.startswith("datasets."):
        return "datasets", f"keras.datasets.{ns.split('.', 1)[1]}"
    if ns == "":
        return "keras", ""
    if ns in ("distribution", "export", "tree", "wrappers"):
        return ns, ""
    return "other", f"keras.{ns}"


def _ns_order(namespaces: list[str]) -> list[str]:
    """Specific namespaces first, so an object reached from several is documented where Keras' reference
    puts it (``ops.numpy.add`` before ``ops.add``, ``losses.mse`` before ``metrics.mse``, ``layers.Input``
    before ``keras.Input``)."""
    first = ["models", "layers", "callbacks", *OPS_VIEWS, "ops.image", "ops", "optimizers.schedules", "optimizers",
             "losses", "metrics", "initializers", "regularizers", "constraints", "activations", "saving"]
    last = ["mixed_precision", "config", "random", "backend", ""]
    middle = [n for n in namespaces if n not in first and n not in last]
    return [n for n in first if n in namespaces] + middle + [n for n in last if n in namespaces]


def collect() -> tuple[list[Entry], dict[str, list[tuple[str, str]]], dict[str, list[tuple[str, Entry]]]]:
    """Every documented object; per page the Keras names kshim lacks (``(keras path, reason)``); per page
    the Keras names of that page's namespace whose object is documented on another page."""
    from kshim.cli import LEFT_OUT, keras_namespaces, namespace_modules
    from kshim.compat.oracle import import_keras
    keras = import_keras()
    namespaces = [n for n in keras_namespaces(keras)]
    by_id: dict[int, Entry] = {}
    entries: list[Entry] = []
    missing: dict[str, list[tuple[str, str]]] = {}
    elsewhere: dict[str, list[tuple[str, Entry]]] = {}
    for ns, holder, kmod, smod in namespace_modules(_ns_order(namespaces)):
        kshim_names = set(_public(smod)) if smod is not None else set()
        for name in _public(kmod):
            kpath = f"keras.{ns}.{name}" if ns else f"keras.{name}"
            page, section = place(ns, name, getattr(kmod, name))
            if name not in kshim_names:
                if smod is not None:  # a namespace kshim lacks altogether is listed in coverage.md only
                    missing.setdefault(page, []).append((kpath, LEFT_OUT.get((ns, name), "")))
                continue
            obj = getattr(smod, name)
            spath = f"kshim.{holder}.{name}" if holder else f"kshim.{name}"
            if id(obj) in by_id:
                known = by_id[id(obj)]
                if ns in OPS_VIEWS or ns == "ops":
                    known.keras_paths.append(kpath)
                else:
                    known.aliases.append(kpath)
                    if page and page != known.page:
                        elsewhere.setdefault(page, []).append((kpath, known))
                continue
            entry = Entry([kpath], spath, page, section, obj)
            by_id[id(obj)] = entry
            entries.append(entry)
    for holder, name, page in KSHIM_ONLY:
        obj = getattr(importlib.import_module(f"kshim.{holder}" if holder else "kshim"), name)
        if id(obj) in by_id:
            continue
        entry = Entry([], f"kshim.{holder}.{name}" if holder else f"kshim.{name}", page, "", obj, kshim_only=True)
        by_id[id(obj)] = entry
        entries.append(entry)
    return entries, missing, elsewhere


def _entry_md(entry: Entry, level: int) -> list[str]:
    import inspect
    name = entry.kshim_path.rsplit(".", 1)[1]
    members = inspect.isclass(entry.obj) and name in WITH_MEMBERS
    lines = [f"::: {entry.kshim_path}", "    options:", f"      heading_level: {level}",
             f"      members: {'true' if members else 'false'}", ""]
    if entry.kshim_only:
        note = f"**kshim only**: Keras 3 has no `{name}`; this is `{entry.kshim_path}`."
    else:
        note = "**Keras 3:** " + ", ".join(f"`{p}`" for p in entry.keras_paths) + "."
    if entry.aliases:
        note += " Also reachable as " + ", ".join(f"`{p}`" for p in entry.aliases) + "."
    return lines + [note, ""]


def render(entries: list[Entry], missing: dict[str, list[tuple[str, str]]],
           elsewhere: dict[str, list[tuple[str, Entry]]]) -> dict[str, str]:
    """``{relative path under docs/api: markdown}`` for every page and the index."""
    import inspect
    pages: dict[str, str] = {}
    index = ["# API reference", "",
             "kshim's public API, grouped as the [Keras 3 API reference](https://keras.io/api/) groups it. "
             "Every entry names its Keras 3 equivalent; `import kshim as keras` makes the names match. "
             "Where kshim deliberately differs from Keras, the entry's docstring says so. These pages are "
             "generated by `python docs/gen_api.py` from kshim's public names and docstrings.", "",
             "| page | names | Keras names not in kshim |", "|---|---|---|"]
    for slug, title, intro in PAGES:
        mine = [e for e in entries if e.page == slug]
        lacking = missing.get(slug, [])
        if not mine and not lacking and not elsewhere.get(slug):
            continue
        sections: dict[str, list[Entry]] = {}
        for e in sorted(mine, key=lambda e: (not inspect.isclass(e.obj), e.kshim_path.rsplit(".", 1)[1].lower())):
            sections.setdefault(e.section, []).append(e)
        lines = [f"# {title}", "", intro, ""]
        multi = len(sections) > 1 or "" not in sections
        for section in sorted(sections, key=lambda s: (s != "", s)):
            if multi:
                lines += [f"## {section or 'General'}", ""]
            for e in sections[section]:
                lines += _entry_md(e, 3 if multi else 2)
        if elsewhere.get(slug):
            lines += ["## Documented on other pages", ""]
            for kpath, target in sorted(elsewhere[slug], key=lambda t: t[0].lower()):
                shown = target.keras_paths[0] if target.keras_paths else target.kshim_path
                lines.append(f"- `{kpath}`: the same object as [`{shown}`][{target.kshim_path}]")
            lines.append("")
        if lacking:
            lines += ["## Keras names not in kshim", ""]
            for kpath, why in lacking:
                lines.append(f"- `{kpath}`" + (f": left out on purpose — {why}" if why else ""))
            lines.append("")
        pages[slug + ".md"] = "\n".join(lines).rstrip() + "\n"
        depth = slug.count("/")
        index.append(f"| [{title}]({slug}.md) | {len(mine)} | {len(lacking)} |")
        del depth
    pages["index.md"] = "\n".join(index) + "\n"
    return pages


def nav_block(pages: dict[str, str]) -> str:
    """The API part of mkdocs.yml's nav, as YAML lines."""
    lines = [NAV_BEGIN, "  - API reference:", "    - api/index.md"]
    groups: dict[str, list[tuple[str, str]]] = {}
    for slug, title, _ in PAGES:
        if slug + ".md" not in pages:
            continue
        top = slug.split("/")[0] if "/" in slug else ""
        groups.setdefault(top, []).append((slug, title))
    for slug, title, _ in PAGES:
        if slug + ".md" not in pages:
            continue
        if "/" not in slug:
            lines.append(f"    - {title}: api/{slug}.md")
        elif groups.get(slug.split("/")[0]) and groups[slug.split("/")[0]][0][0] == slug:
            top = slug.split("/")[0]
            lines.append(f"    - {'Layers' if top == 'layers' else 'Ops'}:")
            lines += [f"      - {t}: api/{s}.md" for s, t in groups[top]]
    lines.append(NAV_END)
    return "\n".join(lines)


def _with_nav(yml: str, block: str) -> str:
    start, end = yml.index(NAV_BEGIN), yml.index(NAV_END) + len(NAV_END)
    return yml[:start] + block + yml[end:]


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the pages and the nav; returns the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 when a page or the nav differs from what is written")
    args = p.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    entries, missing, elsewhere = collect()
    pages = render(entries, missing, elsewhere)
    with open(MKDOCS_YML) as f:
        yml = f.read()
    new_yml = _with_nav(yml, nav_block(pages))
    stale = []
    for rel, text in pages.items():
        path = os.path.join(API_DIR, rel)
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            stale.append(rel)
            if not args.check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
    extra = []
    for dirpath, _, files in os.walk(API_DIR):
        for fn in files:
            rel = os.path.relpath(os.path.join(dirpath, fn), API_DIR)
            if fn.endswith(".md") and rel not in pages:
                extra.append(rel)
                if not args.check:
                    os.remove(os.path.join(dirpath, fn))
    if new_yml != yml:
        stale.append("mkdocs.yml (API nav)")
        if not args.check:
            with open(MKDOCS_YML, "w") as f:
                f.write(new_yml)
    if args.check:
        if stale or extra:
            print("out of date: " + ", ".join(stale + [f"{e} (no longer generated)" for e in extra])
                  + "\nrun: python docs/gen_api.py", file=sys.stderr)
            return 1
        print(f"docs/api is current ({len(entries)} entries on {len(pages)} pages)")
        return 0
    print(f"wrote {len(pages)} pages ({len(entries)} entries); changed: {', '.join(stale) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

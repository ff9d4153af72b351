"""Keras 3's own correctness tests run against kshim: a measurement for the notes, not a CI gate.

``python -m kshim.compat.keras_conformance [--backends numpy,jax,torch] [--keras-baseline]`` runs, once per
kshim backend (``KSHIM_BACKEND``), the ``*CorrectnessTest`` classes of Keras' installed ops test modules and
every test of its losses, metrics and activations test modules, with kshim behind the API names they call
(see :mod:`kshim.compat.keras_conformance_plugin`), and prints passed / failed / skipped per module group.
``--keras-baseline`` adds the same selection run against Keras itself (Keras on JAX here: the rest need
TensorFlow or sparse tensors). Needs real Keras 3 (``pip install 'kshim[oracle]'``), ``absl-py`` (a Keras
dependency) and pytest.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TEST_MODULES = (
    "keras.src.ops.numpy_test",
    "keras.src.ops.nn_test",
    "keras.src.ops.math_test",
    "keras.src.ops.core_test",
    "keras.src.ops.linalg_test",
    "keras.src.losses.losses_test",  # (image_test imports TensorFlow)
    "keras.src.activations.activations_test",
    "keras.src.metrics.accuracy_metrics_test",
    "keras.src.metrics.confusion_metrics_test",
    "keras.src.metrics.correlation_metrics_test",
    "keras.src.metrics.f_score_metrics_test",
    "keras.src.metrics.hinge_metrics_test",
    "keras.src.metrics.iou_metrics_test",
    "keras.src.metrics.probabilistic_metrics_test",
    "keras.src.metrics.reduction_metrics_test",
    "keras.src.metrics.regression_metrics_test",
)


def _group(case: ET.Element) -> str:
    prop = case.find("properties/property[@name='keras_module']")
    module = prop.get("value", "") if prop is not None else ""
    if not module:
        return "(modules that failed to import)"
    parts = module.split(".")  # keras.src.ops.numpy_test -> ops.numpy; keras.src.metrics.x_test -> metrics
    return f"ops.{parts[3][:-5]}" if parts[2] == "ops" else parts[2]


def run(target: str, backend: str | None, timeout: int = 3600) -> dict[str, collections.Counter]:
    """Run the selection once; returns ``{module group: Counter(passed=, failed=, skipped=)}``."""
    os.environ["KERAS_BACKEND"] = "jax"  # find_spec imports keras; without a backend it would want TensorFlow
    modules = [m for m in TEST_MODULES if importlib.util.find_spec(m) is not None]
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = os.path.join(tmp, "junit.xml")
        env = dict(os.environ, KERAS_BACKEND="jax", KSHIM_CONFORMANCE_TARGET=target)
        if backend:
            env["KSHIM_BACKEND"] = backend
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:kshim.testing.pytest_plugin",
            "-p",
            "kshim.compat.keras_conformance_plugin",
            "--rootdir",
            tmp,
            "-o",
            "addopts=",
            "--continue-on-collection-errors",
            f"--junitxml={xml_path}",
            "--pyargs",
            *modules,
        ]
        subprocess.run(
            cmd, env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout, check=False
        )
        out: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for case in ET.parse(xml_path).iter("testcase"):
            kinds = {child.tag for child in case}
            status = "failed" if kinds & {"failure", "error"} else "skipped" if "skipped" in kinds else "passed"
            out[_group(case)][status] += 1
    return out


def _table(title: str, res: dict[str, collections.Counter]) -> str:
    lines = [f"## {title}", "", "| group | passed | failed | skipped | pass rate |", "|---|---|---|---|---|"]
    total: collections.Counter = collections.Counter()
    for group in sorted(res):
        c = res[group]
        total.update(c)
        ran = c["passed"] + c["failed"]
        lines.append(
            f"| {group} | {c['passed']} | {c['failed']} | {c['skipped']} | {100 * c['passed'] / max(ran, 1):.1f}% |"
        )
    ran = total["passed"] + total["failed"]
    lines.append(
        f"| **all** | {total['passed']} | {total['failed']} | {total['skipped']} | "
        f"{100 * total['passed'] / max(ran, 1):.1f}% |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; prints one Markdown table per run."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default="numpy,jax,torch", help="kshim backends, comma-separated")
    p.add_argument("--keras-baseline", action="store_true", help="also run the selection on Keras itself")
    args = p.parse_args(argv)
    if importlib.util.find_spec("keras") is None:
        print("real Keras 3 is not installed: pip install 'kshim[oracle]'", file=sys.stderr)
        return 2
    if args.keras_baseline:
        print(_table("Keras 3 itself (JAX backend)", run("keras", None)), "\n", flush=True)
    for b in [x for x in args.backends.split(",") if x]:
        print(_table(f"kshim, {b} backend", run("kshim", b)), "\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

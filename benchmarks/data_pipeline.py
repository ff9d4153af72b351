"""Data-pipeline benchmark: a directory of images feeding ``fit``, kshim vs Keras 3 + ``tf.data``.

Writes N images (default 10,000 JPEGs, 64×64 RGB, 10 class folders; ``--dir`` reuses a folder) and
times one epoch of ``fit`` on the same small CNN (Rescaling -> Conv2D(16, 3, strides=2) ->
MaxPooling2D -> Conv2D(32, 3) -> GlobalAveragePooling2D -> Dense(10)) with the same batch size, for
each contender. ``--model linear`` swaps the CNN for Rescaling -> GlobalAveragePooling2D -> Dense(10),
whose arithmetic is negligible, so images/s is how fast each pipeline feeds ``fit`` rather than how
fast each backend runs convolutions (on 2 CPU cores the CNN's compute differs between backends by
more than the pipelines do). Contenders:

* ``kshim-<backend> files``: ``kshim.utils.image_dataset_from_directory`` feeding kshim's ``fit``
  (Pillow decoding on a thread pool, the next batches prepared while the step runs), per backend;
* ``kshim-<backend> array`` / ``keras-<backend> array`` (with ``--array``): the same images as one
  in-memory NumPy array, the reference for what reading the files costs each framework;
* ``keras-tensorflow tf.data``: real Keras 3 on the TensorFlow backend,
  ``keras.utils.image_dataset_from_directory`` (``tf.data``) with ``.prefetch(AUTOTUNE)``, feeding
  ``fit`` — the honest "Keras + tf.data";
* ``keras-jax tf.data``: the same ``tf.data`` pipeline feeding Keras on JAX, when JAX is installed
  in the TensorFlow environment.

Keras + TensorFlow runs in its own virtual environment (``--tf-python``, default
``/work/tfvenv/bin/python``, made with ``python3 -m venv /work/tfvenv && /work/tfvenv/bin/pip
install tensorflow-cpu keras pillow jax``); without it those contenders are skipped with a message
(CI has no TensorFlow). Each contender is a long-lived worker process: it builds its dataset and
model, runs a warm-up epoch (tracing, compilation, first decode), then runs epochs on request. The
driver interleaves the epochs across contenders (rotating the order each repetition) and prints the
median images/s, the min-max range and the ratio to Keras + tf.data (``--decode`` adds a bare pass
over each pipeline, no training). There is no assertion.

    python benchmarks/data_pipeline.py [--backends numpy,jax,torch] [--reps 5] [--images 10000]
        [--size 64] [--batch-size 64] [--format jpeg|png] [--dir DIR] [--array] [--decode]
        [--threads N] [--model cnn|linear] [--tf-python PATH]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.abspath(__file__)
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_TF_PYTHON = "/work/tfvenv/bin/python"


def write_images(root: str, n: int, size: int, fmt: str = "jpeg", classes: int = 10) -> None:
    """``n`` random ``size``×``size`` RGB images (smooth blobs plus noise), spread over ``classes`` folders."""
    from PIL import Image
    rng = np.random.default_rng(0)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class_{c:02d}"), exist_ok=True)
    ext = "jpg" if fmt == "jpeg" else "png"
    for i in range(n):
        coarse = rng.integers(0, 256, (8, 8, 3)).astype(np.float32)
        px = np.kron(coarse, np.ones((size // 8 + 1, size // 8 + 1, 1), np.float32))[:size, :size]
        px = np.clip(px + rng.normal(0, 12, px.shape), 0, 255).astype(np.uint8)
        Image.fromarray(px).save(os.path.join(root, f"class_{i % classes:02d}", f"{i:05d}.{ext}"),
                                 **({"quality": 90} if fmt == "jpeg" else {}))


def _model_layers(layers, size: int, model: str = "cnn") -> list:
    """The benchmark model's layers: the small CNN, or (``linear``) pooling + Dense with no real compute."""
    head = [layers.Input((size, size, 3)), layers.Rescaling(1 / 255.0)]
    if model == "linear":
        return head + [layers.GlobalAveragePooling2D(), layers.Dense(10)]
    return head + [layers.Conv2D(16, 3, strides=2, activation="relu"), layers.MaxPooling2D(2),
                   layers.Conv2D(32, 3, activation="relu"), layers.GlobalAveragePooling2D(), layers.Dense(10)]


# ---- workers: one contender each, in its own process ------------------------------------------------
def _kshim_worker(kind: str, root: str, size: int, batch: int, model_kind: str):
    import kshim
    ds = kshim.utils.image_dataset_from_directory(root, image_size=(size, size), batch_size=batch, seed=0,
                                                  verbose=False)
    model = kshim.Sequential(_model_layers(kshim.layers, size, model_kind))
    model.compile("adam", kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    if kind == "array":
        x = np.concatenate([b[0] for b in ds])
        y = np.concatenate([b[1] for b in ds])
        return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    if kind == "decode":
        return lambda: sum(len(b[1]) for b in ds)
    return lambda: model.fit(ds, epochs=1, verbose=0)


def _keras_worker(kind: str, root: str, size: int, batch: int, model_kind: str):
    import keras
    import tensorflow as tf
    ds = keras.utils.image_dataset_from_directory(root, image_size=(size, size), batch_size=batch, seed=0,
                                                  verbose=False).prefetch(tf.data.AUTOTUNE)
    if kind == "decode":
        return lambda: sum(int(y.shape[0]) for _, y in ds)
    model = keras.Sequential(_model_layers(keras.layers, size, model_kind))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    if kind == "array":
        x = np.concatenate([np.asarray(b[0]) for b in ds])
        y = np.concatenate([np.asarray(b[1]) for b in ds])
        return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return lambda: model.fit(ds, epochs=1, verbose=0)


def worker(framework: str, kind: str, root: str, size: int, batch: int, model: str) -> None:
    """Build the contender, run a warm-up epoch, then answer ``run`` lines with ``TIME seconds``."""
    run = (_keras_worker if framework == "keras" else _kshim_worker)(kind, root, size, batch, model)
    t = time.perf_counter()
    run()
    print(f"READY {time.perf_counter() - t:.3f}", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t = time.perf_counter()
        run()
        print(f"TIME {time.perf_counter() - t:.6f}", flush=True)


# ---- the driver -------------------------------------------------------------------------------------
class Contender:
    """A worker process for one (framework, backend, kind)."""

    def __init__(self, label: str, python: str, framework: str, backend: str, kind: str, args, root: str):
        self.label, self.times = label, []
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env.update(KSHIM_BACKEND=backend, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        if args.threads:  # the compute threads of every framework (decoding pools are left as they are)
            n = str(args.threads)
            env.update(OMP_NUM_THREADS=n, MKL_NUM_THREADS=n, OPENBLAS_NUM_THREADS=n, TF_NUM_INTRAOP_THREADS=n,
                       XLA_FLAGS=f"{env.get('XLA_FLAGS', '')} --xla_cpu_multi_thread_eigen={str(n != '1').lower()} "
                                 f"intra_op_parallelism_threads={n}".strip())
        cmd = [python, HERE, "--worker", framework, kind, "--dir", root, "--size", str(args.size),
               "--batch-size", str(args.batch_size), "--model", args.model]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     cwd=ROOT)
        self.warmup = None

    def _reply(self, tag: str) -> float:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{self.label}: worker exited (code {self.proc.wait()})")
            if line.startswith(tag + " "):
                return float(line.split()[1])

    def ready(self) -> None:
        self.warmup = self._reply("READY")

    def epoch(self) -> None:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        self.times.append(self._reply("TIME"))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def _tf_has(python: str, module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([python, "-c", code], capture_output=True).returncode == 0


def contenders_spec(args) -> list:
    spec = []
    for b in args.backends.split(","):
        spec.append((f"kshim-{b} files", sys.executable, "kshim", b, "files"))
        if args.array:
            spec.append((f"kshim-{b} array", sys.executable, "kshim", b, "array"))
        if args.decode:
            spec.append((f"kshim decode only ({b})", sys.executable, "kshim", b, "decode"))
    if not os.path.exists(args.tf_python):
        print(f"Keras + tf.data contenders skipped: no TensorFlow environment at {args.tf_python} "
              f"(python3 -m venv /work/tfvenv && /work/tfvenv/bin/pip install tensorflow-cpu keras pillow).")
        return spec
    spec.append(("keras-tensorflow tf.data", args.tf_python, "keras", "tensorflow", "files"))
    if args.array:
        spec.append(("keras-tensorflow array", args.tf_python, "keras", "tensorflow", "array"))
    if _tf_has(args.tf_python, "jax"):
        spec.append(("keras-jax tf.data", args.tf_python, "keras", "jax", "files"))
        if args.array:
            spec.append(("keras-jax array", args.tf_python, "keras", "jax", "array"))
    else:
        print("keras-jax tf.data skipped: JAX is not installed in the TensorFlow environment.")
    if args.decode:
        spec.append(("tf.data decode only", args.tf_python, "keras", "tensorflow", "decode"))
    return spec


def run_benchmark(args, root: str) -> list:
    spec = contenders_spec(args)
    contenders = []
    try:
        for s in spec:  # one at a time, so warm-ups (compilation, first decode) do not overlap
            c = Contender(*s, args, root)
            contenders.append(c)
            c.ready()
        for rep in range(args.reps):
            k = rep % len(contenders)
            for c in contenders[k:] + contenders[:k]:
                c.epoch()
    finally:
        for c in contenders:
            try:
                c.close()
            except Exception:  # a worker that died already reported it
                c.proc.kill()
    return contenders


def report(contenders: list, args) -> None:
    ref = next((c for c in contenders if c.label == "keras-tensorflow tf.data"), None)
    ref_rate = args.images / statistics.median(ref.times) if ref else None
    print(f"images={args.images} ({args.size}x{args.size} {args.format})  batch={args.batch_size}  reps={args.reps}  "
          f"model={args.model}  threads={args.threads or 'default'}  cpus={os.cpu_count()}  "
          f"python={sys.version.split()[0]}")
    print(f"{'contender':<26}{'median img/s':>14}{'min-max img/s':>20}{'warm-up s':>11}{'x keras+tf.data':>17}")
    for c in contenders:
        rates = [args.images / t for t in c.times]
        med = statistics.median(rates)
        ratio = f"{med / ref_rate:.2f}" if ref_rate else "-"
        print(f"{c.label:<26}{med:>14.0f}{f'{min(rates):.0f}-{max(rates):.0f}':>20}{c.warmup:>11.1f}{ratio:>17}")
    if ref is None:
        print("No Keras + tf.data column: TensorFlow environment absent.")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="numpy,jax,torch")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--images", type=int, default=10000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--format", choices=("jpeg", "png"), default="jpeg")
    ap.add_argument("--dir", default=None, help="image folder to reuse (written if missing)")
    ap.add_argument("--array", action="store_true", help="also time kshim fed from an in-memory array")
    ap.add_argument("--decode", action="store_true", help="also time a bare pass over each pipeline")
    ap.add_argument("--threads", type=int, default=0,
                    help="compute threads per framework (OMP/BLAS/TF intra-op/XLA); 0 keeps each default")
    ap.add_argument("--model", choices=("cnn", "linear"), default="cnn",
                    help="cnn: the small CNN; linear: pooling + Dense, so the pipeline sets the pace")
    ap.add_argument("--tf-python", default=os.environ.get("KSHIM_TF_PYTHON", DEFAULT_TF_PYTHON))
    ap.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "KIND"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.dir, args.size, args.batch_size, args.model)
        return
    root = args.dir or tempfile.mkdtemp(prefix="kshim_images_")
    try:
        if not os.path.isdir(root) or not os.listdir(root):
            t0 = time.perf_counter()
            write_images(root, args.images, args.size, args.format)
            print(f"wrote {args.images} {args.format} files ({args.size}x{args.size} RGB) in "
                  f"{time.perf_counter() - t0:.1f}s")
        args.images = sum(len(files) for _, _, files in os.walk(root))
        report(run_benchmark(args, root), args)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

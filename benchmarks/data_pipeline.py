"""Data-pipeline benchmark: feeding ``fit`` from a directory of PNG files vs from a NumPy array.

Writes 2,000 small PNGs (32×32 RGB, 10 classes) to a temporary folder, then times one epoch of
``model.fit`` on a small CNN (Rescaling -> Conv2D(16) -> pooling -> Dense(10)) fed by

* ``array``: the decoded images as one in-memory NumPy array (``fit(x, y, batch_size=64)``);
* ``files``: ``kshim.utils.image_dataset_from_directory`` (Pillow decode per batch on a thread
  pool, the next batch prepared while the current one trains);
* ``files+map``: the same dataset with ``.map`` running a Rescaling layer in the pipeline;

and also times a bare pass over the file dataset (decode only, no training). Epochs are interleaved
across the variants and the median over repetitions is printed, in seconds per epoch and as a
ratio to ``array``. There is no assertion. Real Keras with ``tf.data`` is not a contender: TensorFlow
is not installed here.

    python benchmarks/data_pipeline.py [--backend numpy|jax|torch] [--reps 5] [--images 2000]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import numpy as np


def write_images(root: str, n: int, size: int = 32, classes: int = 10) -> None:
    from PIL import Image
    rng = np.random.default_rng(0)
    for c in range(classes):
        os.makedirs(os.path.join(root, f"class_{c:02d}"), exist_ok=True)
    for i in range(n):
        px = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(px).save(os.path.join(root, f"class_{i % classes:02d}", f"{i:05d}.png"))


def build_model(kshim, size: int):
    layers = kshim.layers
    model = kshim.Sequential([layers.Input((size, size, 3)), layers.Rescaling(1 / 255.0),
                              layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2),
                              layers.GlobalAveragePooling2D(), layers.Dense(10)])
    model.compile("adam", kshim.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", default=os.environ.get("KSHIM_BACKEND", "numpy"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args(argv)
    os.environ["KSHIM_BACKEND"] = args.backend
    import kshim
    size = 32
    with tempfile.TemporaryDirectory() as root:
        t0 = time.perf_counter()
        write_images(root, args.images, size)
        print(f"wrote {args.images} PNGs ({size}x{size} RGB) in {time.perf_counter() - t0:.1f}s")
        ds = kshim.utils.image_dataset_from_directory(root, image_size=(size, size), batch_size=args.batch_size,
                                                      seed=0, verbose=False)
        rescale = kshim.layers.Rescaling(1.0)
        mapped = ds.map(lambda x, y: (rescale(x), y))
        x = np.concatenate([b[0] for b in ds])  # the same images, decoded once, for the array variant
        y = np.concatenate([b[1] for b in ds])
        models = {name: build_model(kshim, size) for name in ("array", "files", "files+map")}
        feeds = {"array": lambda m: m.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0),
                 "files": lambda m: m.fit(ds, epochs=1, verbose=0),
                 "files+map": lambda m: m.fit(mapped, epochs=1, verbose=0)}
        for name, feed in feeds.items():  # warm-up (tracing / compilation)
            feed(models[name])
        times: dict = {name: [] for name in (*feeds, "decode only")}
        for rep in range(args.reps):
            order = list(feeds)[rep % len(feeds):] + list(feeds)[:rep % len(feeds)]
            for name in order:
                t = time.perf_counter()
                feeds[name](models[name])
                times[name].append(time.perf_counter() - t)
            t = time.perf_counter()
            for _ in ds:
                pass
            times["decode only"].append(time.perf_counter() - t)
    base = statistics.median(times["array"])
    print(f"backend={args.backend}  images={args.images}  batch={args.batch_size}  reps={args.reps}  "
          f"cpus={os.cpu_count()}  python={sys.version.split()[0]}")
    print(f"{'feed':<14}{'median s/epoch':>16}{'min':>10}{'x array':>10}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<14}{med:>16.3f}{min(ts):>10.3f}{med / base:>10.2f}")
    print("Real Keras + tf.data is not measured: TensorFlow is not installed in this environment.")


if __name__ == "__main__":
    main()

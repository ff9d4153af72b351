"""A seeded corpus of corrupted and hostile ``.keras`` / ``.weights.h5`` files, and a worker that
loads them one by one and classifies each outcome (used by test_fuzz_hostile.py).

Kinds of file: JSON type swaps and hostile sizes in config.json (``batch_shape`` dims of 10**12,
``pool_size`` 10**6, ``units`` 10**7, negative and zero counts, wrong JSON types, deep nesting),
HDF5 files with external storage / virtual datasets / links onto a secret file, dtype and shape
changes, a zip bomb, byte flips anywhere in the archive, and a Lambda carrying marshalled code
that would create a marker file if it ever ran.
"""
from __future__ import annotations

import copy
import io
import json
import os
import random
import sys
import zipfile

import numpy as np

SECRET_VALUE = 4242.4242  # the secret file holds float32s of this value


def _good_model():
    import kshim as keras
    from kshim import layers
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 6, 1), name="img")
    x = layers.Conv2D(2, 3, name="conv")(inp)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Flatten(name="flat")(x)
    out = layers.Dense(3, name="dense")(x)
    return keras.Model(inp, out, name="victim")


def _walk(obj, path=()):
    """Every (path, value) in a JSON tree."""
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _walk(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _walk(v, path + (i,))


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


_SWAPS = ["x", 7, -3, 0, 1.5, None, True, [], {}, [1, "a"], {"class_name": "Nope", "config": {}},
          {"evil": {"nested": 1}}, 10 ** 12, -(10 ** 12), "__import__('os')"]
_SIZES = [("units", 10 ** 7), ("units", 10 ** 12), ("units", 0), ("units", -4), ("filters", 10 ** 9),
          ("filters", 0), ("pool_size", [10 ** 6, 10 ** 6]), ("kernel_size", [10 ** 5, 10 ** 5]),
          ("strides", [0, 0]), ("batch_shape", [None, 10 ** 12, 6, 1]), ("batch_shape", [None, -1, 6, 1]),
          ("batch_shape", [10 ** 9, 6, 6, 1]), ("target_shape", [10 ** 12]), ("dtype", {"a": 1}),
          ("dtype", "complex1024"), ("rate", 10 ** 9)]


def _archive(config: dict | str, weights: bytes, extra: list | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", config if isinstance(config, str) else json.dumps(config))
        z.writestr("model.weights.h5", weights)
        for name, data in extra or []:
            z.writestr(name, data)
    return buf.getvalue()


def _h5_variant(weights: bytes, kind: str, secret: str, rng: random.Random) -> bytes:
    import h5py
    src = io.BytesIO(weights)
    out = io.BytesIO(weights)
    with h5py.File(src, "r") as f:
        paths = []
        f.visititems(lambda n, o: paths.append(n) if isinstance(o, h5py.Dataset) else None)
    target = rng.choice(paths)
    with h5py.File(out, "r+") as f:
        shape, dtype = f[target].shape, f[target].dtype
        del f[target]
        n = int(np.prod(shape))
        if kind == "external":
            f.create_dataset(target, shape=shape, dtype="float32", external=[(secret, 0, 4 * n)])
        elif kind == "virtual":
            layout = h5py.VirtualLayout(shape=shape, dtype="float32")
            layout[...] = h5py.VirtualSource(secret + ".h5", "x", shape=shape)
            f.create_virtual_dataset(target, layout)
        elif kind == "softlink":
            f.create_dataset("hidden", data=np.full(shape, SECRET_VALUE, "float32"))
            f[target] = h5py.SoftLink("/hidden")
        elif kind == "extlink":
            f[target] = h5py.ExternalLink(secret + ".h5", "/x")
        elif kind == "strings":
            f.create_dataset(target, data=np.full(shape, b"ab", dtype="S2"))
        elif kind == "compound":
            f.create_dataset(target, shape=shape, dtype=np.dtype([("a", "f4"), ("b", "i2")]))
        elif kind == "shape":
            f.create_dataset(target, data=np.zeros(tuple(s + 1 for s in shape) or (2,), dtype))
        elif kind == "huge_declared":
            f.create_dataset(target, shape=(10 ** 6, 10 ** 6), dtype="float32", chunks=(1, 1024),
                             compression="gzip")
        elif kind == "int_dtype":
            f.create_dataset(target, data=np.ones(shape, "int64"))
        elif kind == "group":
            f.create_group(target)
    return out.getvalue()


def build(folder: str, count: int, seed: int = 0) -> list[str]:
    """Write ``count`` hostile files (plus the secret files they point at) into ``folder``."""
    import kshim as keras
    rng = random.Random(seed)
    secret = os.path.join(folder, "secret.bin")
    np.full(4096, SECRET_VALUE, "float32").tofile(secret)
    import h5py
    with h5py.File(secret + ".h5", "w") as f:
        f.create_dataset("x", data=np.full((4096,), SECRET_VALUE, "float32"))
    with keras.backend.use("numpy"):
        m = _good_model()
        good = os.path.join(folder, "good.keras")
        m.save(good)
    with zipfile.ZipFile(good) as z:
        config = json.loads(z.read("config.json"))
        weights = z.read("model.weights.h5")
    leaves = [p for p, v in _walk(config) if p and not isinstance(v, (dict, list))]
    marker = os.path.join(folder, "EXECUTED")
    files = []

    def emit(name, data):
        path = os.path.join(folder, f"{len(files):04d}_{name}")
        with open(path, "wb") as fh:
            fh.write(data)
        files.append(path)

    h5_kinds = ["external", "virtual", "softlink", "extlink", "strings", "compound", "shape", "huge_declared",
                "int_dtype", "group"]
    for i in range(count):
        kind = i % 6
        if kind == 0:  # a JSON type swap at a random leaf
            c = copy.deepcopy(config)
            _set(c, rng.choice(leaves), rng.choice(_SWAPS))
            emit("swap.keras", _archive(c, weights))
        elif kind == 1:  # a hostile size in some layer's config
            c = copy.deepcopy(config)
            key, value = rng.choice(_SIZES)
            spots = [p for p, _ in _walk(c) if p and p[-1] == key]
            if spots:
                _set(c, rng.choice(spots), value)
            else:
                _set(c, rng.choice(leaves), value)
            emit(f"size_{key}.keras", _archive(c, weights))
        elif kind == 2:  # hostile HDF5, inside a .keras or as .weights.h5
            h5 = _h5_variant(weights, h5_kinds[(i // 6) % len(h5_kinds)], secret, rng)
            if rng.random() < 0.5:
                emit("h5.weights.h5", h5)
            else:
                emit("h5.keras", _archive(config, h5))
        elif kind == 3:  # byte flips anywhere in a good archive
            data = bytearray(_archive(config, weights))
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            emit("flip.keras", bytes(data))
        elif kind == 4:  # structural: truncation, deep nesting, zip bomb, member games
            sub = (i // 6) % 5
            if sub == 0:
                data = _archive(config, weights)
                emit("trunc.keras", data[: rng.randrange(len(data))])
            elif sub == 1:
                emit("deep.keras", _archive("[" * 200_000 + "]" * 200_000, weights))
            elif sub == 2:
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
                    z.writestr("config.json", b" " * (300 << 20))
                    z.writestr("model.weights.h5", weights)
                emit("bomb.keras", buf.getvalue())
            elif sub == 3:
                emit("traversal.keras", _archive(config, weights, [("../../evil.txt", b"x")]))
            else:
                c = copy.deepcopy(config)
                c["config"]["layers"] = c["config"]["layers"] * 50  # duplicate layer names
                emit("dupes.keras", _archive(c, weights))
        else:  # code smuggled as a Lambda (must not run in safe mode)
            import marshal
            import types

            def payload(x, _m=marker):
                open(_m, "w").write("ran")
                return x
            code = types.CodeType  # noqa: F841 - the marshalled function body below is what matters
            raw = marshal.dumps(payload.__code__)
            import base64
            c = copy.deepcopy(config)
            lam = {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
                   "config": {"name": f"evil{i}", "trainable": True, "dtype": "float32",
                              "function": {"class_name": "__lambda__",
                                           "config": {"code": base64.b64encode(raw).decode("ascii"),
                                                      "defaults": None, "closure": None}},
                              "arguments": {}},
                   "build_config": {"input_shape": [None, 3]},
                   "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                                "config": {"shape": [None, 3], "dtype": "float32",
                                                           "keras_history": ["dense", 0, 0]}}],
                                      "kwargs": {}}]}
            c["config"]["layers"].append(lam)
            c["config"]["output_layers"] = [[f"evil{i}", 0, 0]]
            emit("lambda.keras", _archive(c, weights))
    return files


# ---- the worker ----------------------------------------------------------------------------------
def _classify(path: str, backend: str) -> str:
    """Load one file; return the outcome class."""
    import kshim as keras
    from kshim.saving import CorruptFileError
    with keras.backend.use(backend):
        model = _good_model() if path.endswith(".weights.h5") else None
        before = model.get_weights() if model is not None else None
        try:
            if model is not None:
                model.load_weights(path)
            else:
                model = keras.models.load_model(path)  # safe_mode=True
        except (ValueError, TypeError, CorruptFileError, FileNotFoundError) as e:
            if isinstance(e, (KeyError, IndexError, AttributeError)) or not str(e):
                return f"internal:{type(e).__name__}"
            if before is not None and any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights())):
                return "half_loaded"
            return "clear_error"
        except MemoryError:
            return "memory"
        except Exception as e:  # noqa: BLE001 - any other type is an internal error
            return f"internal:{type(e).__name__}:{str(e)[:120]}"
        for w in model.get_weights():
            if w.size and np.isclose(w.astype("float64"), SECRET_VALUE).any():
                return "read_outside"
        return "loaded"


def worker(backend: str, paths: list[str], timeout_s: int) -> None:
    """Print ``RESULT <index> <class>`` for each file (the parent restarts us if we die)."""
    import signal

    def on_alarm(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, on_alarm)
    for i, path in enumerate(paths):
        signal.alarm(timeout_s)
        try:
            outcome = _classify(path, backend)
        except TimeoutError:
            outcome = "timeout"
        finally:
            signal.alarm(0)
        print(f"RESULT {i} {outcome}", flush=True)


if __name__ == "__main__":
    import resource
    limit = int(sys.argv[3]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with open(sys.argv[2]) as fh:
        worker(sys.argv[1], fh.read().split("\n"), int(sys.argv[4]))

"""``save_model``/``load_model`` (``.keras`` zip) and ``save_weights``/``load_weights`` (``.weights.h5``).

Writes are atomic: everything goes to a temporary file in the target folder, which then replaces
the destination with ``os.replace``; a crash mid-save leaves the previous file intact. Loading
validates the archive (zip structure, member names, required members, JSON, shapes) before
building anything and reports what is wrong with the file.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import tempfile
import zipfile
from typing import Any

from .h5_store import WeightsMismatch, load_from_h5, save_to_h5
from .serialization import deserialize_keras_object, serialize_keras_object

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
KERAS_VERSION = "3.15.1"


class CorruptFileError(ValueError):
    """The file is not a valid ``.keras`` / ``.weights.h5`` file."""


def _atomic_write(path: str, write: Any) -> None:
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".kshim-save-", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _check_overwrite(path: str, overwrite: bool) -> None:
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False.")


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
               **kwargs: Any) -> None:
    """Write ``model`` to a Keras 3 ``.keras`` file."""
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(f"Invalid filepath {path!r}: model.save() needs a path ending in '.keras' "
                         f"(use save_weights() with '.weights.h5' for weights only).")
    _check_overwrite(path, overwrite)
    config = serialize_keras_object(model)
    if not include_optimizer:
        config.pop("compile_config", None)
    config_json = json.dumps(config, default=_json_default)
    meta = json.dumps({"keras_version": KERAS_VERSION,
                       "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})
    import h5py
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h5:
        save_to_h5(model, h5, include_optimizer=include_optimizer)
    weights = buf.getvalue()

    def write(tmp):
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr(METADATA, meta)
            z.writestr(CONFIG, config_json)
            z.writestr(WEIGHTS, weights)
    _atomic_write(path, write)


def _json_default(o: Any) -> Any:
    import numpy as np
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"Cannot serialize {type(o).__name__} to JSON in a model config.")


def _read_archive(path: str) -> tuple[dict, bytes]:
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}.")
    if os.path.isdir(path):
        raise CorruptFileError(f"{path!r} is a directory, not a .keras file.")
    if not zipfile.is_zipfile(path):
        raise CorruptFileError(f"{path!r} is not a .keras file: it is not a zip archive (truncated or a "
                               f"different format).")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            for n in names:
                norm = os.path.normpath(n)
                if n.startswith(("/", "\\")) or norm.startswith("..") or os.path.isabs(norm) or ":" in n:
                    raise CorruptFileError(f"{path!r} contains the member {n!r}, which points outside the "
                                           f"archive root; refusing to load it.")
            missing = [m for m in (CONFIG, WEIGHTS) if m not in names]
            if missing:
                raise CorruptFileError(f"{path!r} is missing {', '.join(missing)}; a .keras file holds "
                                       f"{METADATA}, {CONFIG} and {WEIGHTS}.")
            raw_config = z.read(CONFIG)
            weights = z.read(WEIGHTS)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, RuntimeError) as e:
        if isinstance(e, CorruptFileError):
            raise
        raise CorruptFileError(f"{path!r} is a damaged .keras archive: {e}") from e
    try:
        config = json.loads(raw_config.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CorruptFileError(f"{path!r}: {CONFIG} is not valid JSON ({e}).") from e
    if not isinstance(config, dict) or "class_name" not in config:
        raise CorruptFileError(f"{path!r}: {CONFIG} does not describe a model (no 'class_name').")
    return config, weights


def _open_h5(data: bytes, what: str) -> Any:
    import h5py
    try:
        return h5py.File(io.BytesIO(data), "r")
    except Exception as e:  # h5py raises OSError/ValueError subclasses for bad files
        raise CorruptFileError(f"{what} is not a readable HDF5 weights file: {e}") from e


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """Load a ``.keras`` file (written by kshim or by real Keras 3)."""
    path = os.fspath(filepath)
    config, weights = _read_archive(path)
    if not compile:
        config.pop("compile_config", None)
    try:
        model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
    except (KeyError, IndexError) as e:
        raise CorruptFileError(f"{path!r}: the model config is incomplete ({type(e).__name__}: {e}).") from e
    if not getattr(model, "built", False):
        bc = config.get("build_config") or {}
        if bc.get("input_shape") is not None:
            model.build_from_config(bc)
    with _open_h5(weights, f"{WEIGHTS} in {path!r}") as h5:
        try:
            load_from_h5(model, h5, load_optimizer=compile)
        except WeightsMismatch as e:
            raise ValueError(f"{path!r}: {e}") from None
        except (OSError, KeyError, TypeError) as e:
            raise CorruptFileError(f"{path!r}: damaged weights ({e}).") from e
    return model


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    """Write all weights (and optimizer state) to a ``.weights.h5`` file."""
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"Invalid filepath {path!r}: save_weights() needs a name ending in '.weights.h5'.")
    _check_overwrite(path, overwrite)

    def write(tmp):
        import h5py
        with h5py.File(tmp, "w") as h5:
            save_to_h5(model, h5)
    _atomic_write(path, write)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights from a ``.weights.h5`` or a ``.keras`` file."""
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        _, data = _read_archive(path)
    elif path.endswith(".weights.h5"):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path!r}.")
        with open(path, "rb") as f:
            data = f.read()
    else:
        raise ValueError(f"Invalid filepath {path!r}: load_weights() reads '.weights.h5' or '.keras' files.")
    with _open_h5(data, repr(path)) as h5:
        try:
            load_from_h5(model, h5, skip_mismatch=skip_mismatch)
        except WeightsMismatch as e:
            raise ValueError(f"{path!r}: {e}") from None

"""``save_model``/``load_model`` (``.keras`` zip) and ``save_weights``/``load_weights`` (``.weights.h5``).

Writes are atomic (``atomic.py`` states the crash-safety guarantee): a crash mid-save leaves the
previous file intact, and the next save or load removes the killed writer's temporary file.
Loading validates the archive member by member (``archive.py``: names, declared sizes, zip bombs)
and the HDF5 weights (``h5_safety.py``: no links, external or virtual datasets, only numeric
dtypes) before reading any data, then reads and converts every tensor before assigning the first
(all or nothing). Every problem with a file is a ``CorruptFileError`` (a ``ValueError``) naming the
file, the member or dataset, and what is wrong.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from typing import Any

from .._scope import ZeroInitScope
from .archive import check_members, read_assets, write_assets
from .atomic import atomic_write, remove_stale_temps
from .h5_safety import check_h5_file
from .h5_store import WeightsMismatch, WeightsReadError, load_from_h5, save_to_h5
from .._serialization import deserialize_keras_object, serialize_keras_object

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
KERAS_VERSION = "3.15.1"


class CorruptFileError(ValueError):
    """The file is not a valid ``.keras`` / ``.weights.h5`` file."""


class MissingFileError(FileNotFoundError, ValueError):
    """The file to load does not exist: a ``ValueError`` as in Keras 3, also a ``FileNotFoundError``."""


def _check_overwrite(path: str, overwrite: bool) -> None:
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} exists and overwrite=False.")


def save_model(
    model: Any,
    filepath: Any,
    overwrite: bool = True,
    zipped: bool | None = None,
    include_optimizer: bool = True,
    **kwargs: Any,
) -> None:
    """Write ``model`` to a Keras 3 ``.keras`` file.

    Args:
        model: the model.
        filepath: a path ending in ``.keras``.
        overwrite: replace an existing file (``False``: raise ``FileExistsError``).
        zipped: Keras' switch for an unzipped folder; kshim always writes the zip (``False`` is refused).
        include_optimizer: also save the optimizer state and ``compile_config``.
    """
    if zipped is False:
        raise ValueError(
            "kshim writes .keras files as zip archives only; zipped=False (an unzipped model "
            "folder) is not supported. Omit `zipped` or pass True."
        )
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(
            f"Invalid filepath {path!r}: model.save() needs a path ending in '.keras' "
            f"(use save_weights() with '.weights.h5' for weights only)."
        )
    _check_overwrite(path, overwrite)
    config = serialize_keras_object(model)
    if not include_optimizer:
        config.pop("compile_config", None)
    config_json = json.dumps(config, default=_json_default)
    meta = json.dumps(
        {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    )
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
            write_assets(model, z)

    atomic_write(path, write)


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
        raise MissingFileError(f"No such file: {path!r}.")
    if os.path.isdir(path):
        raise CorruptFileError(f"{path!r} is a directory, not a .keras file.")
    remove_stale_temps(path)
    if not zipfile.is_zipfile(path):
        raise CorruptFileError(
            f"{path!r} is not a .keras file: it is not a zip archive (truncated or a different format)."
        )
    try:
        with zipfile.ZipFile(path) as z:
            check_members(z, repr(path), CorruptFileError)
            names = z.namelist()
            missing = [m for m in (CONFIG, WEIGHTS) if m not in names]
            if missing:
                raise CorruptFileError(
                    f"{path!r} is missing {', '.join(missing)}; a .keras file holds {METADATA}, {CONFIG} and {WEIGHTS}."
                )
            raw_config = z.read(CONFIG)
            weights = z.read(WEIGHTS)
    except CorruptFileError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        RuntimeError,
        ValueError,
        NotImplementedError,
    ) as e:
        raise CorruptFileError(f"{path!r} is a damaged .keras archive: {e}") from e
    try:
        config = json.loads(raw_config.decode("utf-8"))
    except RecursionError:
        raise CorruptFileError(f"{path!r}: {CONFIG} nests too deeply to be a model config.") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise CorruptFileError(f"{path!r}: {CONFIG} is not valid JSON ({e}).") from e
    if not isinstance(config, dict) or "class_name" not in config:
        raise CorruptFileError(f"{path!r}: {CONFIG} does not describe a model (no 'class_name').")
    return config, weights


def _open_h5(data: bytes, what: str) -> Any:
    """Open weights bytes as HDF5 and check them (``h5_safety``) before anything is read."""
    import h5py

    try:
        h5 = h5py.File(io.BytesIO(data), "r")
    except Exception as e:  # h5py raises OSError/ValueError subclasses for bad files
        raise CorruptFileError(f"{what} is not a readable HDF5 weights file: {e}") from e
    try:
        check_h5_file(h5, what)
    except ValueError:
        h5.close()
        raise
    except Exception as e:  # noqa: BLE001 - a damaged object header surfaces as any h5py error
        h5.close()
        raise CorruptFileError(f"{what}: damaged HDF5 structure ({type(e).__name__}: {e}).") from e
    return h5


def _load_h5_into(model: Any, h5: Any, where: str, **kwargs: Any) -> None:
    """``load_from_h5`` with every low-level failure named after the file."""
    try:
        load_from_h5(model, h5, **kwargs)
    except WeightsMismatch as e:
        raise ValueError(f"{where}: {e}") from None
    except WeightsReadError as e:
        raise CorruptFileError(f"{where}: {e}") from e
    except (OSError, KeyError, TypeError, AttributeError, IndexError, RuntimeError) as e:
        raise CorruptFileError(f"{where}: damaged weights ({type(e).__name__}: {e}).") from e


def load_model(
    filepath: Any,
    custom_objects: dict | None = None,
    compile: bool = True,  # noqa: A002
    safe_mode: bool = True,
) -> Any:
    """Load a ``.keras`` file (written by kshim or by real Keras 3).

    Args:
        filepath: Path (str or path-like) of the ``.keras`` zip archive.
        custom_objects: Optional dict mapping names to custom classes or functions used by the model.
        compile: If ``True`` (default), restore the compile config and optimizer state; ``False``
            loads an uncompiled model.
        safe_mode: If ``True`` (default), refuse functions saved as bytecode (a ``Lambda`` layer's lambda or
            closure) and functions that are not built in, registered, in ``custom_objects`` or defined in an
            already-imported module.

    Returns:
        The loaded model, with its weights (and assets) restored.

    Raises:
        MissingFileError: If the file does not exist (also a ``ValueError`` and ``FileNotFoundError``).
        CorruptFileError: If the file is not a valid ``.keras`` archive or its config or weights are
            damaged (a ``ValueError``).
        ValueError: If the saved weights do not match the rebuilt model.
    """
    path = os.fspath(filepath)
    config, weights = _read_archive(path)
    if not compile:
        config.pop("compile_config", None)
    with ZeroInitScope():  # every weight is overwritten from the file: skip the random draws
        try:
            model = deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
        except (KeyError, IndexError) as e:
            raise CorruptFileError(f"{path!r}: the model config is incomplete ({type(e).__name__}: {e}).") from e
        except (OverflowError, RuntimeError) as e:  # e.g. a 10**12 where a tensor was expected
            raise CorruptFileError(f"{path!r}: the model config is invalid ({type(e).__name__}: {e}).") from e
        if not getattr(model, "built", False):
            bc = config.get("build_config") or {}
            if bc.get("input_shape") is not None:
                model.build_from_config(bc)
    with _open_h5(weights, f"{WEIGHTS} in {path!r}") as h5:
        _load_h5_into(model, h5, f"{path!r} ({WEIGHTS})", load_optimizer=compile)
    try:
        with zipfile.ZipFile(path) as z:  # members were checked by _read_archive
            read_assets(model, z)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise CorruptFileError(f"{path!r}: damaged assets ({type(e).__name__}: {e}).") from e
    return model


def save_weights(
    model: Any, filepath: Any, overwrite: bool = True, max_shard_size: Any = None, _attrs: dict | None = None
) -> None:
    """Write all weights (and optimizer state) to a ``.weights.h5`` file.

    ``max_shard_size`` (Keras' sharded weights) is not supported: kshim writes one file and refuses a
    value. ``_attrs`` (kshim-internal) are JSON-encoded into root attributes of the same file, so they
    are committed atomically with the weights (``BackupAndRestore`` keeps its resume state there).

    Args:
        model: The model (or layer) whose weights are written.
        filepath: A path ending in ``.weights.h5``.
        overwrite: If ``True`` (default), replace an existing file; ``False`` raises ``FileExistsError``.
        max_shard_size: Must be ``None``.
        _attrs: kshim-internal extra root attributes (see above).

    Raises:
        ValueError: If ``filepath`` does not end in ``.weights.h5`` or ``max_shard_size`` is given.
        FileExistsError: If the file exists and ``overwrite`` is ``False``.
    """
    if max_shard_size is not None:
        raise ValueError("kshim does not write sharded weights; max_shard_size must be None.")
    path = os.fspath(filepath)
    if not path.endswith(".weights.h5"):
        raise ValueError(f"Invalid filepath {path!r}: save_weights() needs a name ending in '.weights.h5'.")
    _check_overwrite(path, overwrite)

    def write(tmp):
        import h5py

        with h5py.File(tmp, "w") as h5:
            save_to_h5(model, h5)
            for k, v in (_attrs or {}).items():
                h5.attrs[k] = json.dumps(v)

    atomic_write(path, write)


def read_weights_attr(filepath: Any, name: str) -> Any:
    """A JSON attribute written by ``save_weights(..., _attrs=...)``, or None (also for a file
    that cannot be read)."""
    import h5py

    try:
        with h5py.File(os.fspath(filepath), "r") as h5:
            raw = h5.attrs.get(name)
    except (OSError, ValueError):
        return None
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights from a ``.weights.h5`` or a ``.keras`` file.

    Args:
        model: The built model (or layer) to load into.
        filepath: A path ending in ``.weights.h5`` or ``.keras``.
        skip_mismatch: If ``True``, skip layers whose saved weights do not match in number or shape
            instead of raising (default ``False``).
        **kwargs: Accepted for Keras compatibility; ignored.

    Raises:
        ValueError: If the file name has another ending, or the weights do not match the model.
        MissingFileError: If the file does not exist.
        CorruptFileError: If the file is not a readable weights file.
    """
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        _, data = _read_archive(path)
    elif path.endswith(".weights.h5"):
        if not os.path.exists(path):
            raise MissingFileError(f"No such file: {path!r}.")
        remove_stale_temps(path)
        with open(path, "rb") as f:
            data = f.read()
    else:
        raise ValueError(f"Invalid filepath {path!r}: load_weights() reads '.weights.h5' or '.keras' files.")
    with _open_h5(data, repr(path)) as h5:
        _load_h5_into(model, h5, repr(path), skip_mismatch=skip_mismatch)

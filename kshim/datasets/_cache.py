"""Dataset files: download-with-cache through :func:`kshim.utils.file_utils.get_file` (Keras' layout,
``<home>/datasets/<file>``), and a safe reader for the ``.npz`` files that hold ragged sequences.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile

import numpy as np

from ..utils import file_utils


def cache_dir() -> str:
    """The folder dataset files are cached in: ``<home>/datasets`` (see ``kshim.utils.file_utils``)."""
    return os.path.join(file_utils.home_dir(), "datasets")


def get_file(
    fname: str, origin: str, file_hash: str | None = None, cache_subdir: str = "", extract: bool = False
) -> str:
    """Path to ``fname`` under ``<home>/datasets/<cache_subdir>``, downloading it from ``origin`` when missing.

    Raises:
        ValueError: the downloaded file does not match ``file_hash`` (sha256 or md5).
        OSError: the file is missing and cannot be downloaded (the message names the URL and path).
    """
    return file_utils.get_file(
        fname,
        origin,
        file_hash=file_hash,
        extract=extract,
        cache_subdir=os.path.join("datasets", cache_subdir) if cache_subdir else "datasets",
    )


# The IMDB and Reuters files store ragged sequences as object arrays, which NumPy can only read by
# unpickling; rebuilding them needs these globals and nothing else.
_ARRAY_GLOBALS = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }
)


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ARRAY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"Refusing to load `{module}.{name}` from a dataset file: it may be corrupted or malicious."
        )


def _read_member(buffer: io.BytesIO) -> np.ndarray:
    try:
        return np.lib.format.read_array(buffer, allow_pickle=False)
    except ValueError:  # an object array: skip the header, unpickle with only the array globals allowed
        buffer.seek(0)
        major, _ = np.lib.format.read_magic(buffer)
        if major == 1:
            np.lib.format.read_array_header_1_0(buffer)
        elif major in (2, 3):
            np.lib.format.read_array_header_2_0(buffer)
        else:
            raise ValueError(f"Unsupported .npy format version {major}.") from None
        return _ArrayUnpickler(buffer).load()


def load_npz(path: str) -> dict:
    """The arrays of an ``.npz`` file, object arrays included, without running arbitrary pickles."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                with archive.open(member) as raw:
                    out[member[:-4]] = _read_member(io.BytesIO(raw.read()))
    return out


def restricted_unpickler(f) -> pickle.Unpickler:
    """An unpickler of ``f`` that rebuilds NumPy arrays and plain containers only."""
    return _ArrayUnpickler(f, encoding="bytes")

"""Download-with-cache for dataset files (atomic writes, optional hash check)."""
from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request


def cache_dir() -> str:
    home = os.environ.get("KSHIM_HOME") or os.path.join(os.path.expanduser("~"), ".kshim")
    return os.path.join(home, "datasets")


def get_file(fname: str, origin: str, file_hash: str | None = None, cache_subdir: str = "") -> str:
    """Path to ``fname`` in the cache, downloading it from ``origin`` when missing.

    Raises:
        ValueError: the cached or downloaded file does not match ``file_hash`` (sha256).
        OSError: the file is missing and cannot be downloaded (the message names the URL and path).
    """
    folder = os.path.join(cache_dir(), cache_subdir)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, fname)
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{fname}.")
        os.close(fd)
        try:
            urllib.request.urlretrieve(origin, tmp)
            os.replace(tmp, path)
        except Exception as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise OSError(f"Could not download {origin} to {path}: {e}. Place the file there manually to "
                          f"use it offline.") from e
    if file_hash is not None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        if h.hexdigest() != file_hash:
            raise ValueError(f"{path} is corrupted (sha256 {h.hexdigest()} != expected {file_hash}); delete it "
                             f"and retry.")
    return path

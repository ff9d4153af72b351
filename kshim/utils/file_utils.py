"""``kshim.utils.get_file``: download-with-cache, hash checks and safe archive extraction.

The cache follows Keras' layout (``<home>/<cache_subdir>/<fname>``, ``cache_subdir="datasets"`` by
default). ``<home>`` is ``$KSHIM_HOME`` when set, else ``$KERAS_HOME`` (as Keras reads it), else
``~/.kshim``; an unwritable home falls back to ``<tmp>/.kshim`` as Keras falls back to ``/tmp/.keras``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from typing import Any, Iterable, Iterator

__all__ = ["get_file", "validate_file", "hash_file", "extract_archive", "home_dir"]


def home_dir() -> str:
    """The cache home: ``$KSHIM_HOME``, else ``$KERAS_HOME``, else ``~/.kshim``."""
    return (
        os.environ.get("KSHIM_HOME") or os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".kshim")
    )


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    """sha256 for ``"sha256"`` (or ``"auto"`` with a 64-character hash), md5 otherwise (as Keras)."""
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    if algorithm not in ("md5", "auto"):
        raise ValueError(f"hash_algorithm must be 'md5', 'sha256' or 'auto', got {algorithm!r}.")
    return hashlib.md5()


def hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = 65535) -> str:
    """The hex digest of a file (``algorithm``: ``"sha256"``, ``"md5"`` or a ``hashlib`` object)."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535) -> bool:
    """Whether the file's hash equals ``file_hash`` (``"auto"``: sha256 for 64 hex digits, else md5)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


# ---- archives -----------------------------------------------------------------------------------------
def _inside(base: str, path: str) -> bool:
    try:
        return os.path.commonpath([os.path.realpath(path), base]) == base
    except ValueError:
        return False


def _safe_tar_members(archive: tarfile.TarFile, base: str) -> Iterator[tarfile.TarInfo]:
    for info in archive:
        target = os.path.join(base, info.name)
        ok = _inside(base, target)
        if ok and info.issym():
            ok = _inside(base, os.path.join(os.path.dirname(target), info.linkname))
        elif ok and info.islnk():
            ok = _inside(base, os.path.join(base, info.linkname))
        if ok and (info.isdev() or info.isfifo()):
            ok = False
        if ok:
            yield info
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{info.name}'.", stacklevel=3)


def _safe_zip_members(archive: zipfile.ZipFile, base: str) -> Iterable[zipfile.ZipInfo]:
    for info in archive.infolist():
        if _inside(base, os.path.join(base, info.filename)):
            yield info
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: '{info.filename}'.", stacklevel=3)


def extract_archive(file_path: str, path: str = ".", archive_format: Any = "auto") -> bool:
    """Extract a tar (any compression) or zip archive into ``path``, skipping every member that would
    land outside it (``..``, absolute names, links pointing out, devices).

    Args:
        file_path: The archive.
        path: Destination folder (created).
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of those, or ``None``.

    Returns:
        Whether the file was a recognised archive and was extracted. A failed extraction removes
        ``path`` and re-raises.
    """
    if archive_format is None:
        return False
    formats = (
        ["tar", "zip"]
        if archive_format == "auto"
        else ([archive_format] if isinstance(archive_format, str) else list(archive_format))
    )
    file_path, path = os.fspath(file_path), os.fspath(path)
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise NotImplementedError(f"archive_format {fmt!r} (use 'tar', 'zip' or 'auto').")
        if not (tarfile.is_tarfile(file_path) if fmt == "tar" else zipfile.is_zipfile(file_path)):
            continue
        os.makedirs(path, exist_ok=True)
        base = os.path.realpath(path)
        try:
            if fmt == "tar":
                with tarfile.open(file_path) as archive:
                    kwargs: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    archive.extractall(base, members=_safe_tar_members(archive, base), **kwargs)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(base, members=list(_safe_zip_members(archive, base)))
        except (tarfile.TarError, zipfile.BadZipFile, OSError, RuntimeError, KeyboardInterrupt):
            shutil.rmtree(path, ignore_errors=True)
            raise
        return True
    return False


# ---- download -----------------------------------------------------------------------------------------
def _download(origin: str, target: str) -> None:
    """Fetch ``origin`` into a temporary file next to ``target``, then rename it: a failed or
    interrupted download leaves nothing behind."""
    from .progbar import Progbar, print_msg

    print_msg(f"Downloading data from {origin}")
    folder = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".part")
    os.close(fd)
    state: dict = {}

    def report(block_num: int, block_size: int, total_size: int) -> None:
        total = None if total_size in (-1, 0) else total_size
        bar = state.get("bar") or state.setdefault("bar", Progbar(total))
        done = block_num * block_size
        bar.update(min(done, total) if total else done, finalize=total is not None and done >= total)

    try:
        try:
            urllib.request.urlretrieve(origin, tmp, report)
        except urllib.error.HTTPError as e:
            raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        except urllib.error.URLError as e:
            raise OSError(f"URL fetch failure on {origin}: {e.errno} -- {e.reason}") from e
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _targets(datadir: str, fname: str, provided: bool, extract: bool) -> tuple[str, str | None]:
    """``(download_target, extraction_dir)`` named as Keras names them."""
    if not extract:
        return os.path.join(datadir, fname), None
    if provided and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str = "auto",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """Download a file from a URL unless it is already in the cache, and return its path.

    Same arguments, file names and return values as ``keras.utils.get_file``: ``fname`` defaults to
    the last component of ``origin``'s path; with ``extract=True`` (or ``untar=True``) the archive is
    stored as ``<fname>`` (a name with a dot, extracted into ``<stem>_extracted``) or
    ``<fname>_archive`` (extracted into ``<fname>``) and the extraction folder is returned.

    Differences from Keras, all on the safe side: the download goes to a temporary file renamed
    into place, so a failed download (or a corrupt one, which raises) leaves no file; an archive is
    extracted when downloaded or when its folder is missing, not on every call; an extraction
    folder that exists without its archive is returned as is (offline use).

    Args:
        fname: File name in the cache (no directory part); ``None`` takes it from ``origin``.
        origin: URL of the file (``http(s)://``, ``file://``, ...).
        untar: Deprecated form of ``extract=True`` with a tar archive.
        md5_hash: Deprecated form of ``file_hash`` with ``hash_algorithm="md5"``.
        file_hash: Expected sha256 or md5 hex digest of the file (``None``: not checked).
        cache_subdir: Folder under the cache home (an absolute path is used as is).
        hash_algorithm: ``"md5"``, ``"sha256"`` or ``"auto"`` (guessed from the hash length).
        extract: Whether to extract the file as an archive.
        archive_format: ``"auto"``, ``"tar"``, ``"zip"``, a list of those, or ``None``.
        cache_dir: The cache home; ``None`` uses :func:`home_dir`.
        force_download: Download even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction folder with ``extract``/``untar``.

    Raises:
        ValueError: ``origin`` is missing, ``fname`` contains a path separator or cannot be derived,
            or the downloaded file does not match ``file_hash``.
        OSError: the file is not cached and the download failed (the message names the URL).
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else home_dir())
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".kshim")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    provided = bool(fname)
    fname = os.fspath(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(
            f"Can't parse the file name from the origin provided: '{origin}'. Please specify the `fname` argument."
        )
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            f"Paths are no longer accepted as the `fname` argument. To specify the file's parent "
            f"directory, use the `cache_dir` argument. Received: fname={fname}"
        )
    extract = bool(extract or untar)
    target, extraction_dir = _targets(datadir, fname, provided, extract)
    if untar:
        archive_format = "tar"

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        from .progbar import print_msg

        print_msg(
            f"A local file was found, but it seems to be incomplete or outdated because the "
            f"{hash_algorithm} file hash does not match the original value of {file_hash} so we will "
            f"re-download the data."
        )
        download = True
    if (
        download
        and not force_download
        and extraction_dir is not None
        and not os.path.exists(target)
        and os.path.isdir(extraction_dir)
        and os.listdir(extraction_dir)
    ):
        return extraction_dir  # extracted earlier, archive since removed: usable offline
    if download:
        try:
            _download(origin, target)
        except OSError as e:
            raise OSError(f"{e}. The file is not in the cache ({target}); place it there to use it offline.") from e
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            os.remove(target)
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does not "
                f"match the provided value of {file_hash}."
            )
    if extraction_dir is None:
        return target
    if download or not os.path.isdir(extraction_dir):
        if not extract_archive(target, extraction_dir, archive_format):
            warnings.warn("Could not extract archive.", stacklevel=2)
    return extraction_dir

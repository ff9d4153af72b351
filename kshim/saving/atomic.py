"""Crash-safe file replacement for ``save_model`` / ``save_weights``.

The guarantee: at every instant, the destination path holds either the complete previous file or
the complete new one, never a partial file, whatever kills the process (SIGKILL, power loss after
the final ``fsync``). How:

- everything is written to a temporary file in the destination's folder, named after the target
  and the writer's pid (``.model.keras.kshim-save-<pid>.tmp``), fsync'd, then moved over the target
  with ``os.replace`` (atomic on POSIX and Windows) and the folder is fsync'd;
- a destination that is a symlink is written *through*: the link's final target is replaced and
  the link is kept;
- the new file gets the existing file's permission bits, or ``0o666`` minus the umask for a new
  file (as ``open()`` would give), not ``mkstemp``'s ``0o600``;
- a temporary file left by a killed writer is removed by the next save or load of the same target
  (only when its pid is no longer running, so concurrent writers do not disturb each other).
"""

from __future__ import annotations

import glob
import os
import stat
from typing import Callable

_SUFFIX = ".tmp"


def _tmp_prefix(target: str) -> str:
    folder, base = os.path.split(target)
    return os.path.join(folder, f".{base}.kshim-save-")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but not ours, or the platform cannot tell: leave its file alone
    return True


def resolve_target(path: str) -> str:
    """The file a save to ``path`` writes: the final target of a symlink, else ``path`` itself."""
    path = os.path.abspath(path)
    return os.path.realpath(path) if os.path.islink(path) else path


def remove_stale_temps(path: str) -> None:
    """Delete temporary files that a killed save of ``path`` left behind."""
    prefix = _tmp_prefix(resolve_target(path))
    for tmp in glob.glob(glob.escape(prefix) + "*" + _SUFFIX):
        pid = tmp[len(prefix) : -len(_SUFFIX)]
        if pid.isdigit() and not _pid_alive(int(pid)):
            try:
                os.remove(tmp)
            except OSError:
                pass


def _new_file_mode(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` and move the result over ``path`` atomically (see module doc).

    Args:
        path: the destination (may be a symlink, whose target is replaced).
        write: writes the complete file at the path it is given.
    """
    target = resolve_target(path)
    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    remove_stale_temps(target)
    tmp = f"{_tmp_prefix(target)}{os.getpid()}{_SUFFIX}"
    mode = _new_file_mode(target)
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

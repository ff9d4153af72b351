"""Checks on a ``.keras`` zip archive, member by member, before anything is extracted or parsed;
and the archive's ``assets/`` folder (:func:`write_assets`, :func:`read_assets`: the files layers such
as ``StringLookup``/``TextVectorization`` keep beside their weights, at Keras' paths).

A zip's central directory declares each member's stored (compressed) and uncompressed size.
``check_members`` refuses, from those declarations alone: too many members, unsafe or duplicate
names, a stored (uncompressed) member whose two sizes disagree, a compressed member that would
inflate more than ``MAX_RATIO`` times past ``RATIO_FLOOR`` bytes (a zip bomb), a JSON member over
``MAX_JSON_BYTES``, and a total over ``MAX_TOTAL_BYTES``. Reading a member then never yields more
than its declared size (``zipfile`` stops there and checks the CRC), so the checks bound memory.

Keras 3 has a similar guard (ratio 100 above 4 GiB); kshim's floor for the ratio is lower
(64 MiB) and JSON members have their own cap, so a 5 MB file cannot inflate into gigabytes.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any, Iterator

MAX_MEMBERS = 10_000
MAX_RATIO = 100
RATIO_FLOOR = 64 << 20
MAX_JSON_BYTES = 64 << 20
MAX_TOTAL_BYTES = 1 << 40


def unsafe_name(name: str) -> bool:
    """True for a member name that could point outside the extraction folder."""
    norm = os.path.normpath(name)
    return (
        name.startswith(("/", "\\"))
        or norm.startswith("..")
        or os.path.isabs(norm)
        or ":" in name
        or "\x00" in name
        or any(part == ".." for part in name.replace("\\", "/").split("/"))
    )


def check_members(z: zipfile.ZipFile, where: str, error: type[Exception]) -> None:
    """Validate the declared members of an open archive; raise ``error`` naming the problem.

    Args:
        z: the open archive.
        where: how to name the file in messages.
        error: the exception class to raise (kshim's ``CorruptFileError``).
    """
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise error(f"{where} holds {len(infos)} members (more than {MAX_MEMBERS}); not a .keras file.")
    names: set[str] = set()
    total = 0
    for info in infos:
        n = info.filename
        if unsafe_name(n):
            raise error(
                f"{where} contains the member {n!r}, which points outside the archive root; refusing to load it."
            )
        if n in names:
            raise error(f"{where} contains the member {n!r} twice; refusing an ambiguous archive.")
        names.add(n)
        size, stored = info.file_size, info.compress_size
        if info.compress_type == zipfile.ZIP_STORED and size != stored:
            raise error(
                f"{where}: member {n!r} is stored uncompressed but declares {size} bytes in "
                f"{stored}; the archive is damaged."
            )
        if size > RATIO_FLOOR and size > MAX_RATIO * max(stored, 1):
            raise error(
                f"{where}: member {n!r} would inflate from {stored} to {size} bytes "
                f"(over {MAX_RATIO}x); refusing a likely zip bomb."
            )
        if n.endswith(".json") and size > MAX_JSON_BYTES:
            raise error(
                f"{where}: member {n!r} declares {size} bytes, more than the {MAX_JSON_BYTES} a model config may have."
            )
        total += size
    if total > MAX_TOTAL_BYTES:
        raise error(f"{where}: members declare {total} bytes in all (over {MAX_TOTAL_BYTES}); refusing it.")


# ---- assets (vocabularies and other files a layer keeps beside its weights) ------------------------
ASSETS_DIR = "assets"


def _asset_objects(model: Any) -> Iterator[tuple[str, Any]]:
    """``(path, object)`` for every object with ``save_assets``/``load_assets``, at Keras' paths: the
    weights walk (``layers/text_vectorization``, ...) plus untracked sub-objects a layer names in
    ``_asset_children()`` (Keras' walk visits private attributes such as ``_lookup_layer`` too)."""
    from .h5_store import walk

    def visit(path: str, obj: Any, seen: set) -> Iterator[tuple[str, Any]]:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if hasattr(obj, "save_assets") or hasattr(obj, "load_assets"):
            yield path, obj
        children = getattr(obj, "_asset_children", None)
        for name, child in children() if callable(children) else []:
            yield from visit(f"{path}/{name}" if path else name, child, seen)

    seen: set = set()
    for path, obj, container in walk(model):
        if not container:
            yield from visit(path, obj, seen)


def write_assets(model: Any, z: zipfile.ZipFile) -> None:
    """Call ``save_assets(dir)`` on every object that defines it and store what it writes as
    ``assets/<path>/<file>`` members of the open archive ``z`` (files only, as Keras writes them)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kshim_assets_") as tmp:
        for path, obj in _asset_objects(model):
            if not hasattr(obj, "save_assets"):
                continue
            folder = os.path.join(tmp, *path.split("/")) if path else tmp
            os.makedirs(folder, exist_ok=True)
            obj.save_assets(folder)
        for root, _, files in sorted(os.walk(tmp)):
            for name in sorted(files):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, tmp).replace(os.sep, "/")
                z.write(full, f"{ASSETS_DIR}/{rel}")


def read_assets(model: Any, z: zipfile.ZipFile) -> None:
    """Extract the ``assets/`` members of ``z`` (already checked by :func:`check_members`) and call
    ``load_assets(dir)`` on every object that defines it; ``dir`` is None where the archive holds
    nothing for that object, as in Keras."""
    import tempfile

    members = [i for i in z.infolist() if i.filename.startswith(ASSETS_DIR + "/") and not i.is_dir()]
    objects = [(p, o) for p, o in _asset_objects(model) if hasattr(o, "load_assets")]
    if not objects:
        return
    with tempfile.TemporaryDirectory(prefix="kshim_assets_") as tmp:
        for info in members:
            if unsafe_name(info.filename):
                continue
            target = os.path.join(tmp, *info.filename.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                dst.write(src.read())
        root = os.path.join(tmp, ASSETS_DIR)
        for path, obj in objects:
            folder = os.path.join(root, *path.split("/")) if path else root
            obj.load_assets(folder if os.path.isdir(folder) else None)

"""Refuse HDF5 weights files that could make loading read anything but their own bytes.

An HDF5 dataset can keep its data outside the file (*external storage*: raw bytes of any local
path), be *virtual* (a view onto datasets of other files), or be reached through a *soft* or
*external* link. Loading such a file would copy another file's bytes into a weight, so
``check_h5_file`` walks the whole object tree without following any link and raises a
``ValueError`` naming the offending path before a single dataset is read. Datasets must also have
a plain numeric or boolean dtype (no compound, reference, string, variable-length or opaque data).
"""

from __future__ import annotations

from typing import Any

#: dtype kinds a weight may have: bool, signed/unsigned int, float, complex.
_NUMERIC_KINDS = frozenset("biufc")
#: bounds on the walk, so a crafted file with millions of objects or deep nesting fails fast.
MAX_OBJECTS = 1_000_000
MAX_DEPTH = 64


class UnsafeWeightsFileError(ValueError):
    """An HDF5 weights file uses a feature kshim refuses to load (external data, links, ...)."""


def check_h5_file(h5: Any, what: str) -> None:
    """Validate every group and dataset of an open ``h5py.File`` without reading data.

    Args:
        h5: the open file (or group) to check.
        what: how to name the file in error messages.

    Raises:
        UnsafeWeightsFileError: on a soft/external link, an external-storage or virtual dataset,
            a non-numeric dtype, or a tree too large or too deep to be a weights file.
    """
    import h5py

    seen: set = set()
    stack: list[tuple[Any, str, int]] = [(h5, "", 0)]
    count = 0
    while stack:
        group, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UnsafeWeightsFileError(
                f"{what}: groups nest deeper than {MAX_DEPTH} levels at {path!r}; not a weights file."
            )
        for name in group.keys():
            count += 1
            if count > MAX_OBJECTS:
                raise UnsafeWeightsFileError(f"{what}: more than {MAX_OBJECTS} objects; not a weights file.")
            child_path = f"{path}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                kind = "a soft link" if isinstance(link, h5py.SoftLink) else "an external link"
                raise UnsafeWeightsFileError(
                    f"{what}: {child_path!r} is {kind}; kshim (like Keras) refuses "
                    f"links in weights files, which could point at other data or files."
                )
            obj = group[name]
            if obj.id in seen:  # the same object hard-linked twice: checked already (and no cycles)
                continue
            seen.add(obj.id)
            if isinstance(obj, h5py.Group):
                stack.append((obj, child_path, depth + 1))
            elif isinstance(obj, h5py.Dataset):
                _check_dataset(obj, child_path, what)
            else:
                raise UnsafeWeightsFileError(
                    f"{what}: {child_path!r} is a {type(obj).__name__}, not a group or dataset."
                )


def _check_dataset(ds: Any, path: str, what: str) -> None:
    if ds.external:
        raise UnsafeWeightsFileError(
            f"{what}: dataset {path!r} stores its data in external files "
            f"({[e[0] for e in ds.external]}); refusing to read data from outside "
            f"the weights file."
        )
    if ds.is_virtual:
        raise UnsafeWeightsFileError(
            f"{what}: dataset {path!r} is a virtual dataset (a view onto other files); refusing to load it."
        )
    dt = ds.dtype
    if dt.kind not in _NUMERIC_KINDS or dt.fields is not None or dt.subdtype is not None:
        raise UnsafeWeightsFileError(
            f"{what}: dataset {path!r} has dtype {dt}, which is not a plain numeric "
            f"type; weights must be bool, integer, float or complex arrays."
        )

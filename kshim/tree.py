"""``keras.tree``: utilities for nested structures (lists, tuples, namedtuples, dicts, ``OrderedDict``,
``defaultdict``, ``deque``), as custom training steps and data code use them.

Built on ``optree`` (as kshim's own pytree handling is) with ``None`` as a leaf, as in Keras 3.
Conventions: a dict's values come in sorted-key order, an ``OrderedDict``'s in insertion order;
structures that do not match raise ``ValueError``, a ``func`` that is not callable ``TypeError``.
"""

from __future__ import annotations

from typing import Any, Callable

import optree

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]

_NAMESPACE = "kshim"
_MISMATCH = "The two structures don't have the same nested structure."


class MAP_TO_NONE:  # noqa: N801  (Keras' public name)
    """Returned by a ``traverse`` function to replace a sub-structure with ``None`` (returning ``None``
    itself means "leave it as it is")."""


def _is_leaf(x: Any, none_is_leaf: bool = True) -> bool:
    return optree.tree_is_leaf(x, none_is_leaf=none_is_leaf, namespace=_NAMESPACE)


def _check_callable(func: Any, name: str) -> None:
    if not callable(func):
        raise TypeError(f"`func` must be callable in keras.tree.{name}; got {type(func).__name__}: {func!r}.")


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a sequence, a mapping or a namedtuple (rather than a leaf).

    Args:
        structure: Any Python object.

    Returns:
        True for a list, tuple, namedtuple, dict, ``OrderedDict``, ``defaultdict`` or ``deque``.
    """
    return not _is_leaf(structure)


def flatten(structure: Any) -> list:
    """The leaves of ``structure`` as a list (a leaf gives ``[leaf]``; ``None`` is a leaf).

    Args:
        structure: An arbitrarily nested structure.

    Returns:
        The leaves, depth first; a dict's in sorted-key order, an ``OrderedDict``'s in insertion order.
    """
    return optree.tree_leaves(structure, none_is_leaf=True, namespace=_NAMESPACE)


def flatten_with_path(structure: Any) -> list:
    """``(path, leaf)`` pairs, ``path`` a tuple of the indices and keys leading to the leaf.

    Args:
        structure: An arbitrarily nested structure.

    Returns:
        A list of ``(path, leaf)`` in ``flatten``'s order, e.g. ``[((0, "foo"), 42)]`` for
        ``[{"foo": 42}]``.
    """
    paths, leaves, _ = optree.tree_flatten_with_path(structure, none_is_leaf=True, namespace=_NAMESPACE)
    return list(zip(paths, leaves))


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied to the leaves of ``structures`` (position by position), in their layout.

    Args:
        func: A callable taking one argument per structure.
        *structures: Structures of the same layout.
        none_is_leaf: If False, ``None`` values are returned as they are rather than passed to ``func``.

    Returns:
        A structure of the first one's layout holding ``func``'s results.

    Raises:
        TypeError: ``func`` is not callable.
        ValueError: no structure was given, or the structures do not have the same layout.
    """
    _check_callable(func, "map_structure")
    if not structures:
        raise ValueError("keras.tree.map_structure needs at least one structure to map over.")
    if len(structures) == 1:
        return optree.tree_map(func, structures[0], none_is_leaf=none_is_leaf, namespace=_NAMESPACE)

    def at_leaves(*leaves: Any) -> Any:
        if not all(_is_leaf(v, none_is_leaf) for v in leaves[1:]):
            raise ValueError(_MISMATCH)
        return func(*leaves)

    try:
        return optree.tree_map(at_leaves, *structures, none_is_leaf=none_is_leaf, namespace=_NAMESPACE)
    except ValueError as e:
        raise ValueError(f"{_MISMATCH} {e}" if str(e) != _MISMATCH else _MISMATCH) from None


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """``map_structure`` down to the leaves of ``shallow_structure`` only: what ``structures`` nest below
    those positions is passed to ``func`` whole.

    As Keras documents it (and its torch backend does): ``None`` leaves of ``shallow_structure`` are
    positions like any other, so ``map_structure_up_to([None, None], len, [[1, 1], [2, 2]])`` is
    ``[2, 2]``. (Keras 3.15 on JAX raises ``ValueError`` there.)

    Args:
        shallow_structure: A structure whose layout is a prefix of every one of ``structures``.
        func: A callable taking one argument per structure.
        *structures: Structures at least as deep as ``shallow_structure``.

    Returns:
        A structure of ``shallow_structure``'s layout holding ``func``'s results.

    Raises:
        TypeError: ``func`` is not callable.
        ValueError: no structure was given, or one is shallower than ``shallow_structure`` or laid out
            differently.
    """
    _check_callable(func, "map_structure_up_to")
    if not structures:
        raise ValueError("keras.tree.map_structure_up_to needs at least one structure to map over.")
    try:
        treedef = optree.tree_structure(shallow_structure, none_is_leaf=True, namespace=_NAMESPACE)
        columns = [treedef.flatten_up_to(s) for s in structures]
    except ValueError as e:
        raise ValueError(f"{_MISMATCH} {e}") from None
    return optree.tree_unflatten(treedef, [func(*row) for row in zip(*columns)])


def _same_layout(a: Any, b: Any) -> bool:
    """Same layout, counting dict, ``OrderedDict`` and ``defaultdict`` with the same keys as the same
    node, and list, tuple, namedtuple and deque as different ones."""
    if _is_leaf(a) or _is_leaf(b):
        return _is_leaf(a) and _is_leaf(b)
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            return False
        return all(_same_layout(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    (ca, da), (cb, db) = _children(a), _children(b)
    if da != db:  # one level: the node type, its metadata (namedtuple fields, deque maxlen) and arity
        return False
    return all(_same_layout(x, y) for x, y in zip(ca, cb))


def assert_same_structure(a: Any, b: Any, check_types: Any = None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` are nested the same way.

    At every level the containers must be of the same type with the same number of elements (dict,
    ``OrderedDict`` and ``defaultdict`` match when their keys do; list, tuple, namedtuple and deque do
    not match each other). Leaves may differ.

    Args:
        a: A nested structure.
        b: A nested structure.
        check_types: Accepted for compatibility and ignored, as in Keras 3 (where it is deprecated);
            ``assert_same_paths`` is the looser check.

    Raises:
        ValueError: the structures differ.
    """
    del check_types
    if not _same_layout(a, b):
        raise ValueError(f"{_MISMATCH}\nFirst structure: {a!r}\n\nSecond structure: {b!r}")


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (container types ignored:
    a list and a tuple of two leaves both have paths ``(0,)`` and ``(1,)``).

    Args:
        a: A nested structure.
        b: A nested structure.

    Raises:
        ValueError: naming the paths found in only one of the two.
    """
    pa = set(optree.tree_paths(a, none_is_leaf=True, namespace=_NAMESPACE))
    pb = set(optree.tree_paths(b, none_is_leaf=True, namespace=_NAMESPACE))
    if pa == pb:
        return
    lines = ["`a` and `b` don't have the same paths."]
    if pa - pb:
        lines.append(f"Paths in `a` missing in `b`:\n{sorted(pa - pb, key=repr)}")
    if pb - pa:
        lines.append(f"Paths in `b` missing in `a`:\n{sorted(pb - pa, key=repr)}")
    raise ValueError("\n".join(lines))


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """``flat_sequence``'s items laid out as ``structure`` (the inverse of ``flatten``).

    Args:
        structure: A nested structure (its leaves are ignored).
        flat_sequence: A sequence with one item per leaf of ``structure``.

    Returns:
        A structure of ``structure``'s layout holding the items in ``flatten``'s order.

    Raises:
        TypeError: ``flat_sequence`` is not a sequence.
        ValueError: its length is not the number of leaves of ``structure``.
    """
    if isinstance(flat_sequence, (str, bytes)) or not hasattr(flat_sequence, "__len__"):
        raise TypeError(f"`flat_sequence` must be a sequence (a list of leaves); got {type(flat_sequence).__name__}.")
    treedef = optree.tree_structure(structure, none_is_leaf=True, namespace=_NAMESPACE)
    if len(flat_sequence) != treedef.num_leaves:
        raise ValueError(
            f"The structure has {treedef.num_leaves} leaves but `flat_sequence` has {len(flat_sequence)} "
            f"items.\nStructure: {structure!r}"
        )
    return optree.tree_unflatten(treedef, list(flat_sequence))


def _children(structure: Any) -> tuple[list, Any]:
    """The direct children of a node and the definition that rebuilds it from them."""
    return optree.tree_flatten(structure, is_leaf=lambda x: x is not structure, none_is_leaf=True, namespace=_NAMESPACE)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Walk ``structure`` depth first, calling ``func`` on every sub-structure and leaf.

    Top down (parents first): when ``func`` returns something other than None, that replaces the
    sub-structure and its children are not visited. Bottom up (children first): ``func`` sees the
    sub-structure with its children already traversed; a non-None result replaces it. Return
    ``MAP_TO_NONE`` to replace with ``None``.

    Args:
        func: Called with each sub-structure.
        structure: The structure to walk.
        top_down: Visit parents before their children.

    Returns:
        The structure after the replacements.

    Raises:
        TypeError: ``func`` is not callable.
    """
    _check_callable(func, "traverse")

    def walk(node: Any) -> Any:
        def rebuilt() -> Any:
            if _is_leaf(node):
                return node
            children, treedef = _children(node)
            return optree.tree_unflatten(treedef, [walk(c) for c in children])

        if top_down:
            out = func(node)
            if out is None:
                return rebuilt()
        else:
            node = rebuilt()
            out = func(node)
            if out is None:
                return node
        return None if out is MAP_TO_NONE else out

    return walk(structure)


def lists_to_tuples(structure: Any) -> Any:
    """``structure`` with every list (at any depth) turned into a tuple.

    Args:
        structure: A nested structure.

    Returns:
        The same layout with tuples in place of lists.
    """
    return traverse(lambda s: tuple(s) if isinstance(s, list) else None, structure, top_down=False)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and all(d is None or isinstance(d, int) for d in x)


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """``map_structure`` for structures of shapes: a list or tuple of ints and Nones (a shape) is one
    leaf, passed to ``func`` whole.

    Args:
        func: Called with each shape (and with any other leaf).
        structure: A nested structure of shapes.

    Returns:
        ``func``'s results in ``structure``'s layout.
    """
    _check_callable(func, "map_shape_structure")
    return optree.tree_map(func, structure, is_leaf=_is_shape, none_is_leaf=True, namespace=_NAMESPACE)

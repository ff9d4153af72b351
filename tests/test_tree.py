"""``kshim.tree`` against real Keras 3's ``keras.tree`` on the same inputs: results (values and container
types) and the exception type of each bad input."""
from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

from kshim import tree


@pytest.fixture
def K():
    """Real Keras 3's ``keras.tree`` (the oracle)."""
    return pytest.importorskip("keras").tree


Point = collections.namedtuple("Point", ["x", "y"])
OtherPoint = collections.namedtuple("OtherPoint", ["x", "y"])

STRUCTURES = {
    "leaf": 3,
    "none": None,
    "empty_list": [],
    "single": [7],
    "nested": [[1, 2, 3], [4, [5], [[6]]]],
    "dict_sorted": {"b": 1, "a": [2, None], "c": (3, {"z": 4, "y": 5})},
    "int_keys": {100: "world", 6: "hello"},
    "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
    "defaultdict": collections.defaultdict(list, {"k": [1, 2], "j": 3}),
    "namedtuple": Point(x=[1, 2], y={"q": 3}),
    "deque": collections.deque([1, (2, 3)]),
    "array_leaf": [np.arange(3), {"w": np.ones(2)}],
    "string_leaf": ("ab", b"cd", [None, "e"]),
}


def _same(a, b):
    """Equal values and the same container types at every level."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple, collections.deque)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    else:
        assert a == b


@pytest.mark.parametrize("name", list(STRUCTURES))
def test_flatten_paths_and_packing_match_keras(K, name):
    s = STRUCTURES[name]
    assert tree.is_nested(s) == K.is_nested(s)
    _same(tree.flatten(s), K.flatten(s))
    ours, theirs = tree.flatten_with_path(s), K.flatten_with_path(s)
    assert [p for p, _ in ours] == [p for p, _ in theirs]
    _same([v for _, v in ours], [v for _, v in theirs])
    flat = [f"leaf{i}" for i in range(len(K.flatten(s)))]
    _same(tree.pack_sequence_as(s, flat), K.pack_sequence_as(s, flat))
    _same(tree.lists_to_tuples(s), K.lists_to_tuples(s))


@pytest.mark.parametrize("name", list(STRUCTURES))
@pytest.mark.parametrize("none_is_leaf", [True, False])
def test_map_structure_matches_keras(K, name, none_is_leaf):
    s = STRUCTURES[name]

    def f(v):
        return ("seen", repr(v))

    _same(tree.map_structure(f, s, none_is_leaf=none_is_leaf), K.map_structure(f, s, none_is_leaf=none_is_leaf))
    def pair(a, b):
        return (repr(a), repr(b))

    _same(tree.map_structure(pair, s, s), K.map_structure(pair, s, s))


def _error(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            fn(*args, **kw)
        except Exception as e:  # noqa: BLE001  (the type is what is compared)
            return type(e)
    return None


MISMATCHES = [
    ([1, 2], [1, 2, 3]),
    ([1, 2], (1, 2)),
    ([1, [2]], [1, 2]),
    ([1, 2], [1, [2]]),
    ({"a": 1}, {"b": 1}),
    (Point(1, 2), OtherPoint(1, 2)),
    (Point(1, 2), (1, 2)),
    (None, [None]),
    ({"a": 1, "b": 2}, collections.OrderedDict([("b", 2), ("a", 1)])),
    ([1, {"a": (2, 3)}], [4, {"a": (5, 6)}]),
    (collections.deque([1]), [1]),
]


@pytest.mark.parametrize("a,b", MISMATCHES, ids=[str(i) for i in range(len(MISMATCHES))])
def test_structure_checks_raise_what_keras_raises(K, a, b):
    for x, y in ((a, b), (b, a)):
        assert _error(tree.assert_same_structure, x, y) is _error(K.assert_same_structure, x, y)
        assert _error(tree.assert_same_structure, x, y, check_types=False) is _error(
            K.assert_same_structure, x, y, check_types=False
        )
        assert _error(tree.assert_same_paths, x, y) is _error(K.assert_same_paths, x, y)
        ours = _error(tree.map_structure, lambda *v: 0, x, y)
        assert ours is _error(K.map_structure, lambda *v: 0, x, y)
        if ours is None:
            _same(tree.map_structure(lambda *v: v, x, y), K.map_structure(lambda *v: v, x, y))


def test_assert_same_paths_names_the_differing_paths():
    with pytest.raises(ValueError, match=r"missing in `b`:\n\[\(1,\)\]"):
        tree.assert_same_paths([1, 2], [3])


def test_map_structure_up_to_matches_keras():
    # Keras 3.15's optree implementation (JAX and NumPy backends) raises on every ``None`` in the shallow
    # structure, its own docstring examples included; its torch implementation does what the docstring
    # says, and is the reference here
    pytest.importorskip("keras")
    pytest.importorskip("torch")
    from keras.src.tree import torchtree_impl as KT

    cases = [
        ([None, None], [[1, 1], [2, 2]], len),
        ([None, [None, None]], [[1, 1], [2, 2]], str),
        ({"a": None, "b": [None]}, {"b": [(1, 2)], "a": {"deep": 3}}, repr),
    ]
    for shallow, s, f in cases:
        _same(tree.map_structure_up_to(shallow, f, s), KT.map_structure_up_to(shallow, f, s))
    _same(tree.map_structure_up_to([None, None], lambda a, b: (a, b), [1, [2]], [3, [4]]),
          KT.map_structure_up_to([None, None], lambda a, b: (a, b), [1, [2]], [3, [4]]))
    for shallow, s in (([None, [None]], [1, 2]), ([None, None], [1, 2, 3]), ({"a": None}, {"b": 1})):
        assert _error(tree.map_structure_up_to, shallow, str, s) is _error(KT.map_structure_up_to, shallow, str, s)


def test_traverse_matches_keras_both_ways(K):
    s = [(1, 2), [3], {"a": 4}]
    for top_down in (True, False):
        seen_ours, seen_keras = [], []
        ours = tree.traverse(seen_ours.append, s, top_down=top_down)
        _same(ours, K.traverse(seen_keras.append, s, top_down=top_down))
        _same(seen_ours, seen_keras)

    def cut(x):  # replace tuples by their length, dict by None, leave the rest
        if isinstance(x, tuple):
            return len(x)
        return tree.MAP_TO_NONE if isinstance(x, dict) else None

    def cut_keras(x):
        out = cut(x)
        return K.MAP_TO_NONE if out is tree.MAP_TO_NONE else out

    for top_down in (True, False):
        _same(tree.traverse(cut, s, top_down=top_down), K.traverse(cut_keras, s, top_down=top_down))


def test_map_shape_structure_treats_shapes_as_leaves(K):
    s = {"x": (None, 3), "y": [(2, 4), [5]], "z": None}
    _same(tree.map_shape_structure(lambda v: repr(v), s), K.map_shape_structure(lambda v: repr(v), s))


def test_bad_arguments_raise_keras_exception_types(K):
    assert _error(tree.map_structure, lambda v: v) is _error(K.map_structure, lambda v: v)
    assert _error(tree.map_structure, 3, [1]) is TypeError
    assert _error(tree.traverse, 3, [1]) is TypeError
    for s, flat in (([1, 2], [1]), ([1, 2], [1, 2, 3]), (1, [])):
        assert _error(tree.pack_sequence_as, s, flat) is _error(K.pack_sequence_as, s, flat)
    assert _error(tree.pack_sequence_as, [1], 5) is TypeError


def test_keras_import_paths_reach_kshim_tree(K):
    import kshim

    assert kshim.tree is tree
    assert sorted(tree.__all__) == sorted(n for n in dir(K) if not n.startswith("_"))


def test_documented_examples_without_keras():
    assert tree.flatten([[1, 2, 3], [4, [5], [[6]]]]) == [1, 2, 3, 4, 5, 6]
    assert tree.flatten(None) == [None] and tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten_with_path([{"foo": 42}]) == [((0, "foo"), 42)]
    assert tree.map_structure(lambda v: v * 2, Point(1, 2)) == Point(2, 4)
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == ["[1, 1]", ["2", "2"]]
    assert tree.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), [1, 2, 3, 4, 5, 6]) == ((1, 2), (3, 4, 5), 6)
    v: list = []
    assert tree.traverse(v.append, [(1, 2), [3], {"a": 4}], top_down=False) == [(1, 2), [3], {"a": 4}]
    assert v == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, [(1, 2), [3], {"a": 4}]]
    with pytest.raises(ValueError):
        tree.assert_same_structure(Point(0, 1), OtherPoint(2, 3))
    tree.assert_same_paths(Point(0, 1), OtherPoint(2, 3))

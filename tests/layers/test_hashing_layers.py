"""Hashing and HashedCrossing: TensorFlow's exact hashes, without TensorFlow.

Real Keras needs TensorFlow for these layers, so the references are published values: FarmHash
Fingerprint64 test vectors (TensorFlow's fingerprint_test "IsForeverFrozen" values and the
farmhash64 port's table, lengths 0 to 132 bytes so every code path of the algorithm runs), the
SipHash-2-4 paper's vectors, and the bins Keras' own tests and docstrings state for Hashing and
HashedCrossing. Outputs are integers (exact comparison). Expected configs are written out from
Keras 3.15's get_config.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import kshim
from kshim import ops
from kshim.layers import HashedCrossing, Hashing, Input
from kshim.layers.preprocessing.hashing_functions import (
    CROSS_HASH_KEY, as_bytes, fingerprint64, fingerprint_cat64, siphash64,
)

from ._util import installed_backends

POLICY = lambda name: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},  # noqa: E731
                       "registered_name": None}
FARM_VECTORS = [  # (text, Fingerprint64)
    ("Hello", 15404698994557526151), ("World", 18308117990299812472),
    ("", 0x9AE16A3B2F90404F), ("a", 0xB3454265B6DF75E3), ("abcd", 0x1A5502DE4A1F8101),
    ("abcdefgh", 0xFEE9D22990C82909), ("0123456789'01234", 0x4283D4EF43627F64),
    ("0123456789=012345", 0x46A7416ED4861E3B), ("0123456789^0123456789", 0xDEBCBA8E6F3EABD1),
    ("C is as portable as Stonehedge!!", 0xB944F8A16261E414),
    ("Discard medicine more than two years old.", 0xE8F89AB6DF9BDD25),
    ("How can you write a big system without C++?  -Paul Glick", 0x5A0A6EFD52E84E2A),
    ("Give me a rock, paper and scissors and I will move the world.  CCFestoon", 0xA2B8BF3032021993),
    ("The fugacity of a constituent in a mixture of gases at a given temperature is proportional to its mole "
     "fraction.  Lewis-Randall Rule", 0x098EFF6958C5E91A),
]
SIP_KEY = (0x0706050403020100, 0x0F0E0D0C0B0A0908)  # the paper's key 00 01 .. 0f


def npy(t):
    return np.asarray(ops.convert_to_numpy(t))


def test_fingerprint64_published_vectors():
    got = fingerprint64([t.encode() for t, _ in FARM_VECTORS])
    assert got.dtype == np.uint64
    assert [int(g) for g in got] == [h for _, h in FARM_VECTORS]


def test_siphash24_published_vectors():
    # SipHash paper, appendix A: the empty message and the 15-byte message 00..0e
    got = siphash64([b"", bytes(range(15))], SIP_KEY)
    assert [int(g) for g in got] == [0x726FDB47DD0E0E31, 0xA129CA6149BE45E5]


def test_fingerprint_cat64_and_utf8():
    a = fingerprint_cat64(np.uint64(1), np.uint64(2))
    assert int(a) != int(fingerprint_cat64(np.uint64(2), np.uint64(1)))  # not commutative
    assert as_bytes(np.array(["é", b"x"], dtype=object)) == ["é".encode(), b"x"]
    assert as_bytes([3, -1]) == [b"3", b"-1"]


# Keras 3.15 hashing_test.py / docstrings (TensorFlow's to_hash_bucket_fast / _strong)
HASH_CASES = [
    (dict(num_bins=3), [["A"], ["B"], ["C"], ["D"], ["E"]], [[1], [0], [1], [1], [2]]),
    (dict(num_bins=3, mask_value=""), [["A"], ["B"], [""], ["C"], ["D"]], [[1], [1], [0], [2], [2]]),
    (dict(num_bins=3, salt=[133, 137]), [["A"], ["B"], ["C"], ["D"], ["E"]], [[1], [2], [1], [0], [2]]),
    (dict(num_bins=3, salt=133), [["A"], ["B"], ["C"], ["D"], ["E"]], [[0], [0], [2], [1], [0]]),
    (dict(num_bins=2), [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]], [[0], [0], [1], [0], [0]]),
    (dict(num_bins=3, mask_value="omar"), [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]],
     [[0], [1], [2], [1], [1]]),
    (dict(num_bins=2, salt=[133, 137]), [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]],
     [[0], [1], [0], [1], [0]]),
    (dict(num_bins=2, salt=[211, 137]), [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]],
     [[1], [0], [1], [0], [1]]),
    (dict(num_bins=3), np.array([[0], [1], [2], [3], [4]]), [[1], [0], [1], [0], [2]]),
    (dict(num_bins=3, salt=[133, 137]), np.array([[0], [1], [2], [3], [4]]), [[1], [1], [2], [0], [1]]),
    (dict(num_bins=1), [["A"], ["B"]], [[0], [0]]),
    (dict(num_bins=2), [[1, 2], [2, 3], [3, 4]], [[1, 1], [1, 1], [1, 1]]),
]


@pytest.mark.parametrize("kw,data,expected", HASH_CASES)
def test_hashing_matches_keras_published_bins(backend, kw, data, expected):
    layer = Hashing(**kw)
    out = layer(data)
    assert ops.is_tensor(out)
    assert ops.dtype(out) == "int64"
    np.testing.assert_array_equal(npy(out), np.array(expected))


def test_hashing_numeric_inputs_and_encoded_modes(backend):
    # floats are truncated to int64 before hashing, as TensorFlow casts them
    np.testing.assert_array_equal(npy(Hashing(3)(np.array([0.2, 1.9, 4.5]))), [1, 0, 2])
    t = ops.convert_to_tensor(np.array([0, 1, 2, 3, 4]))
    np.testing.assert_array_equal(npy(Hashing(3)(t)), [1, 0, 1, 0, 2])
    oh = Hashing(3, output_mode="one_hot")(np.array([["A"], ["B"], ["C"]]))
    assert ops.dtype(oh) == "float32"
    np.testing.assert_array_equal(npy(oh), np.eye(3)[[1, 0, 1]])
    mh = Hashing(3, output_mode="multi_hot")(np.array([["A", "B"], ["C", "C"]]))
    np.testing.assert_array_equal(npy(mh), [[1, 1, 0], [0, 1, 0]])
    ct = Hashing(3, output_mode="count")(np.array([["A", "C"], ["C", "D"]]))
    np.testing.assert_array_equal(npy(ct), [[0, 2, 0], [0, 2, 0]])
    assert ops.dtype(Hashing(3, dtype="int32")(["A"])) == "int32"


def test_hashing_config_errors_and_symbolic(backend):
    layer = Hashing(num_bins=8, mask_value="", salt=7, name="h")
    expected = {"name": "h", "trainable": True, "dtype": POLICY("int64"), "num_bins": 8, "salt": [7, 7],
                "mask_value": "", "output_mode": "int", "sparse": False}
    assert layer.get_config() == expected
    assert Hashing.from_config(expected).get_config() == expected
    oh = Hashing(4, output_mode="one_hot", name="o").get_config()
    assert oh["dtype"] == POLICY("float32") and oh["output_mode"] == "one_hot"
    for bad in (dict(num_bins=0), dict(num_bins=None)):
        with pytest.raises(ValueError, match="cannot be `None` or non-positive"):
            Hashing(**bad)
    with pytest.raises(ValueError, match="integer type"):
        Hashing(3, dtype="float32")
    with pytest.raises(ValueError, match="output_mode"):
        Hashing(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="salt"):
        Hashing(3, salt="x")
    with pytest.raises(ValueError, match="sparse"):
        Hashing(3, output_mode="multi_hot", sparse=True)
    y = Hashing(5, output_mode="multi_hot")(Input(shape=(4,), dtype="string"))
    assert tuple(y.shape) == (None, 5) and y.dtype == "float32"
    assert tuple(Hashing(5)(Input(shape=(3,), dtype="int64")).shape) == (None, 3)


def test_hashed_crossing_matches_keras(backend):
    f1, f2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    out = HashedCrossing(num_bins=5)((f1, f2))
    assert ops.dtype(out) == "int64"
    np.testing.assert_array_equal(npy(out), [1, 4, 1, 1, 3])
    oh = HashedCrossing(num_bins=5, output_mode="one_hot")((f1, f2))
    assert ops.dtype(oh) == "float32"
    np.testing.assert_array_equal(npy(oh), np.eye(5)[[1, 4, 1, 1, 3]])
    # scalars and (batch, 1) keep their shape; ("A", 101) -> 1 with 10 bins (Keras' test_tf_string)
    assert int(npy(HashedCrossing(10)((np.array("A"), np.array(101))))) == 1
    col = HashedCrossing(5)((f1[:, None], f2[:, None]))
    np.testing.assert_array_equal(npy(col), [[1], [4], [1], [1], [3]])
    assert ops.dtype(HashedCrossing(2, dtype="int32")((np.array([1]), np.array([1])))) == "int32"
    assert ops.dtype(HashedCrossing(2, output_mode="one_hot", dtype="float64")((np.array([1]), np.array([1])))) \
        == "float64"
    # the fold is the documented one: key, then each feature (string -> Fingerprint64, int -> its bits)
    h = fingerprint_cat64(fingerprint_cat64(np.uint64(CROSS_HASH_KEY), fingerprint64([b"B"])), np.uint64(7))
    assert int(npy(HashedCrossing(1000)((np.array(["B"]), np.array([7]))))[0]) == int((h % np.uint64(1000))[0])


def test_hashed_crossing_errors_config_and_save(backend, tmp_path):
    with pytest.raises(ValueError, match="should be called on a list"):
        HashedCrossing(num_bins=10)(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        HashedCrossing(num_bins=10)([np.array(1)])
    with pytest.raises(ValueError, match="integer or string"):
        HashedCrossing(num_bins=10)((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="equal shape"):
        HashedCrossing(num_bins=10)((np.array([1, 2]), np.array([1])))
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(num_bins=10, output_mode="multi_hot")
    cfg = HashedCrossing(num_bins=4, output_mode="one_hot", name="x").get_config()
    assert cfg == {"num_bins": 4, "output_mode": "one_hot", "sparse": False, "name": "x", "dtype": "float32"}
    assert HashedCrossing.from_config(cfg).get_config() == cfg
    a, b = Input(shape=(1,), dtype="string"), Input(shape=(1,), dtype="int64")
    y = HashedCrossing(7, output_mode="one_hot")((a, b))
    assert tuple(y.shape) == (None, 7)
    model = kshim.Model([a, b], y)
    xa, xb = np.array([["A"], ["B"]]), np.array([[101], [102]])
    before = npy(model.predict([xa, xb], verbose=0))
    path = os.path.join(tmp_path, "cross.keras")
    model.save(path)
    after = npy(kshim.saving.load_model(path).predict([xa, xb], verbose=0))
    np.testing.assert_array_equal(before, after)





def test_hashing_same_bins_on_every_backend():
    names = installed_backends()
    if len(names) < 2:
        pytest.skip(f"compares backends; only {names} installed")
    data = np.array([["kshim"], ["keras"], ["x" * 70], [""]])
    outs = {}
    for b in names:
        with kshim.backend.use(b):
            outs[b] = (npy(Hashing(1000, salt=5)(data)),
                       npy(HashedCrossing(97)((np.array(["a", "b", "c"]), np.array([1, 2, 3])))))
    for b in names[1:]:
        for got, want in zip(outs[b], outs[names[0]]):
            np.testing.assert_array_equal(got, want)

"""Ops-level errors: wrong shapes name the shapes; another backend's tensor is a TypeError."""
from __future__ import annotations

import numpy as np
import pytest

import kshim
import kshim.ops as O
from kshim import backends


def test_matmul_shape_error_names_shapes(backend):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        O.matmul(O.ones((2, 3)), O.ones((4, 5)))


def test_matmul_batch_error(backend):
    with pytest.raises(ValueError, match=r"\(2, 3, 4\).*\(5, 4, 2\)"):
        O.matmul(O.ones((2, 3, 4)), O.ones((5, 4, 2)))


def test_concatenate_shape_error_names_shapes(backend):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        O.concatenate([O.ones((2, 3)), O.ones((4, 5))], axis=0)


def test_reshape_error_names_shapes(backend):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        O.reshape(O.ones((2, 3)), (4, 2))
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        O.reshape(O.ones((2, 3)), (4, -1))


def test_broadcast_error_names_shapes(backend):
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        O.broadcast_to(O.ones((3,)), (4,))


def test_axis_out_of_range(backend):
    with pytest.raises(ValueError, match="out of bounds"):
        O.sum(O.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="out of bounds"):
        O.sum(O.ones((2, 3)), axis=-3)


def test_index_out_of_range(backend):
    with pytest.raises(IndexError, match=r"index 3 .*\(3, 2\)"):
        O.get_item(O.ones((3, 2)), 3)


def test_empty_max_without_initial(backend):
    with pytest.raises(ValueError, match=r"empty"):
        O.max(O.zeros((0, 2)), axis=0)


@pytest.mark.parametrize("other", ["numpy", "jax", "torch"])
def test_foreign_tensor_is_type_error(backend, other):
    if other == backend.name or other == "numpy":
        pytest.skip("a NumPy array is a valid input everywhere (like any array-like)")
    if not backends.is_available(other):
        pytest.skip(f"{other} not installed")
    with kshim.backend.use(other):
        foreign = O.ones((2,))
    with pytest.raises(TypeError):
        O.add(O.ones((2,)), foreign)
    with pytest.raises(TypeError):
        O.convert_to_tensor(foreign)


@pytest.mark.parametrize("other", ["numpy", "jax", "torch"])
def test_foreign_variable_is_type_error(backend, other):
    if other == backend.name or not backends.is_available(other):
        pytest.skip("same or unavailable backend")
    with kshim.backend.use(other):
        v = kshim.Variable(np.ones(2, np.float32))
    with pytest.raises(TypeError, match=other):
        O.add(v, 1.0)

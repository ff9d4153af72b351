"""Small helpers the layer test files share."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from kshim import ops


def installed_backends() -> list[str]:
    """The built-in kshim backends whose array library is installed here, in the order numpy, jax,
    torch (a NumPy-only install, or ``KSHIM_TEST_HIDE=keras,jax,torch``: just numpy)."""
    from kshim import backends

    return [b for b in ("numpy", "jax", "torch") if backends.is_available(b)]


def check_shapes_and_round_trip(
    make: Callable[[], Any], layer: Any, x: np.ndarray, y: np.ndarray, weights: list | None = None
) -> None:
    """Without Keras: a fresh ``make()`` layer on a symbolic ``Input`` (batch None) and
    ``layer.compute_output_shape`` give ``y``'s shape, and the ``from_config`` clone of ``layer`` (with
    ``weights`` set, when given) has the same config and maps ``x`` to ``y`` (exactly without weights; with
    them rtol/atol 1e-6)."""
    from kshim.layers import Input

    sym = make()(Input(shape=x.shape[1:]))
    assert tuple(sym.shape) == (None,) + y.shape[1:]
    assert tuple(layer.compute_output_shape(x.shape)) == y.shape
    cfg = layer.get_config()
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    if weights is None:  # a weightless layer reruns the same computation: bit for bit
        np.testing.assert_array_equal(npy(clone(x)), y)
        return
    clone(x)
    clone.set_weights(weights)
    np.testing.assert_allclose(npy(clone(x)), y, rtol=1e-6, atol=1e-6)


def npy(t: Any) -> np.ndarray:
    """A backend tensor (or array) as a NumPy array."""
    return np.asarray(ops.convert_to_numpy(t))


def tree_np(t: Any) -> Any:
    """``npy`` over dicts, tuples and lists; Python scalars, strings and None as they are."""
    if isinstance(t, dict):
        return {k: tree_np(v) for k, v in t.items()}
    if isinstance(t, (tuple, list)):
        return type(t)(tree_np(v) for v in t)
    if t is None or isinstance(t, (int, float, str)):
        return t
    return npy(t)


def cache(store: dict) -> Callable:
    """``cached(key, fn)`` over ``store``: Keras results do not depend on the kshim backend, so each is
    computed once per process (first calls compile)."""
    def cached(key: Any, fn: Callable) -> Any:
        if key not in store:
            store[key] = fn()
        return store[key]
    return cached


def same_config(klayer: Any, slayer: Any, normalize: Callable[[dict], Any] | None = None) -> None:
    """A kshim layer's ``get_config()`` equals the Keras layer's (after ``normalize``, when given), and
    ``from_config`` of it gives the same config back."""
    kc, sc = klayer.get_config(), slayer.get_config()
    norm = normalize or (lambda c: c)
    assert norm(kc) == norm(sc), (kc, sc)
    assert type(slayer).from_config(sc).get_config() == sc

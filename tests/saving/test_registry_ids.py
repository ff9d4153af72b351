"""The registry's name lookup must not be fooled by a reused object id.

A key registered twice drops the first object from the registry; if the reverse map kept only the id,
a later, unregistered class allocated at the same address was saved under the other class's key and then
loaded as that class (seen in CI: an unregistered layer loaded instead of raising ``TypeError``).
"""
import gc

import kshim
from kshim.saving import get_registered_name, register_keras_serializable


def test_unregistered_classes_never_inherit_a_dropped_registration():
    for i in range(200):
        # Re-register one key: the previous class leaves the registry and is garbage.
        register_keras_serializable(package="IdReuse", name="Probe")(
            type(f"Throwaway{i}", (kshim.layers.Layer,), {}))
    gc.collect()
    fresh = [type(f"Fresh{i}", (kshim.layers.Layer,), {}) for i in range(400)]
    assert [get_registered_name(c) for c in fresh] == [c.__name__ for c in fresh]


def test_the_object_registered_last_keeps_its_key():
    cls = register_keras_serializable(package="IdReuse", name="Last")(type("Last", (kshim.layers.Layer,), {}))
    assert get_registered_name(cls) == "IdReuse>Last"

"""``SeedGenerator``: a stateful seed whose state lives in a Variable (part of the training state)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend

_NAMES: dict[str, int] = {}
_backend.on_clear_session(_NAMES.clear)  # clear_session restarts seed_generator auto-names


class SeedGenerator:
    """Produces a fresh (key0, key1) pair per ``next()``; its state is an int64 Variable of shape (2,)
    holding ``[seed, counter]``, so it is saved, restored and threaded through jitted steps.

    Pass it as the ``seed`` of ``kshim.random`` functions to get a different draw at each call that is
    still reproducible from the initial seed.

    Args:
        seed: The initial seed (an int; its low 32 bits are used); ``None`` (default) takes the next seed of
            kshim's host generator (see ``kshim.utils.set_random_seed``).
        name: Optional name; ``None`` gives ``"seed_generator"``, ``"seed_generator_1"``, ...
        **kwargs: Accepted for Keras compatibility (e.g. ``backend``) and ignored.

    Raises:
        ValueError: If ``seed`` is neither an int nor ``None``.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs: Any):
        from ..variables import Variable
        from . import host

        if seed is None:
            seed = host.next_seed()
        if not isinstance(seed, (int, np.integer)):
            raise ValueError(f"SeedGenerator seed must be an int or None, got {seed!r}.")
        self._initial_seed = int(seed)
        if name is None:
            n = _NAMES.get("seed_generator", 0)
            _NAMES["seed_generator"] = n + 1
            name = "seed_generator" if n == 0 else f"seed_generator_{n}"
        self.name = name
        self.state = Variable(
            np.array([int(seed) & 0xFFFFFFFF, 0], dtype=np.int64),
            dtype="int64",
            trainable=False,
            name="seed_generator_state",
        )

    def next(self, ordered: bool = True) -> Any:
        """Current state as the key, then advance the counter (recorded in a stateless scope)."""
        from .. import ops

        state = self.state.value
        self.state.assign(ops.add(state, ops.convert_to_tensor(np.array([0, 1], np.int64))))
        return state

    def get_config(self) -> dict:
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config: dict) -> "SeedGenerator":
        return cls(**config)

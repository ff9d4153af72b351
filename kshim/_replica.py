"""The data-parallel replica a training step runs on, for layers whose meaning spans the batch.

On the torch backend ``kshim.distribution.DataParallel`` runs one process per replica, each on its
own rows of every global batch. A layer that looks across the batch would then see only its rows,
while single-device training, and Keras' DataParallel on JAX (one SPMD program over the whole
global batch), see all of them. The torch plan therefore opens a ``replica_scope`` around its
training step, and:

* ``BatchNormalization`` computes its batch statistics over the global batch (a differentiable
  sum over ranks), so the normalised values, the moving statistics and the gradients are those
  of single-device training;
* ``Dropout`` (and the spatial, Gaussian and alpha dropouts, ``GaussianNoise``) draws its noise for
  the global batch from the shared seed and keeps this rank's rows, so the masks are the ones a
  single device draws.

The scope is unset everywhere else (one device, JAX's SPMD program, inference), and everything
here is then a no-op.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from typing import Any, Callable, Iterator

_REPLICA: contextvars.ContextVar["Replica | None"] = contextvars.ContextVar("kshim_replica", default=None)


@dataclass(frozen=True)
class Replica:
    """One data-parallel replica's share of the global batch.

    Args:
        rows: Rows of the global batch.
        lo: First global row this replica holds.
        hi: One past its last row.
        sum: ``sum(tensor)``: the elementwise sum of ``tensor`` over the replicas, differentiable
            (its gradient is the sum over the replicas of theirs).
    """

    rows: int
    lo: int
    hi: int
    sum: Callable[[Any], Any]

    @property
    def local_rows(self) -> int:
        """Rows of the global batch this replica holds."""
        return self.hi - self.lo


def current_replica() -> Replica | None:
    """The replica of the step being traced or run, or ``None`` outside a replicated step."""
    return _REPLICA.get()


@contextlib.contextmanager
def replica_scope(replica: Replica | None) -> Iterator[None]:
    """Run the body as (or, with ``None``, as not) one replica of a data-parallel step."""
    token = _REPLICA.set(replica)
    try:
        yield
    finally:
        _REPLICA.reset(token)


def batch_replica(shape: tuple) -> Replica | None:
    """The current replica when ``shape`` is a per-row draw over this replica's rows of the batch
    (its first axis is the replica's row count), else ``None``."""
    r = _REPLICA.get()
    if r is None or not shape or shape[0] != r.local_rows:
        return None
    return r


def global_rows_draw(draw: Callable[[tuple], Any], shape: tuple) -> Any:
    """``draw(shape)`` as a single device draws it: in a replicated step, noise for the global batch
    (``(rows,) + shape[1:]``) with this replica's rows taken, so every replica cuts one draw;
    elsewhere ``draw(shape)`` itself."""
    r = batch_replica(tuple(shape))
    if r is None:
        return draw(tuple(shape))
    return draw((r.rows,) + tuple(shape[1:]))[r.lo : r.hi]

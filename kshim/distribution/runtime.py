"""What the trainer asks of the current distribution: placement, batch sharding, the sharded jit
and (torch) the per-step collectives. One ``plan`` per (model, distribution, backend).

JAX (``_JaxPlan``): every variable is ``device_put`` with its layout (optimizer slots take their
variable's), each global batch with the data layout, and the jitted steps pin the state's output
shardings, so a step is one SPMD program with no host round trip.

torch (``_TorchPlan``): one process per mesh device. Each rank takes its contiguous rows of every
global batch (the rows Keras' DataParallel gives that device), gradients are averaged over ranks
in one bucketed ``all_reduce`` (each rank differentiates its loss weighted by its rows' share of
the batch and the gradients are summed, so a short last batch is still the global mean), float
non-trainable state is averaged the same way, and metric-state increments are summed, so every
rank holds the global metrics and identical weights after each step. The training step runs in a
``kshim._replica.replica_scope``: BatchNormalization's batch statistics are those of the global
batch (differentiable sums over ranks) and dropout draws the global batch's mask and keeps this
rank's rows, so a model with BatchNormalization and dropout trains exactly as on one device, and
as Keras' DataParallel does on JAX (where one SPMD program sees the whole batch).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import optree

from .._replica import Replica
from ..backend import current
from ..trainers.write_back import write_values
from .devices import backend_lib
from .strategies import DataParallel, ModelParallel, TensorLayout, distribution


def plan(model: Any) -> Any:
    """The plan of ``model`` under the current distribution, or ``None`` without one.

    Raises:
        ValueError: a distribution on the numpy backend; torch with ``ModelParallel`` or a mesh
            whose size is not the number of ranks.
    """
    dist = distribution()
    if dist is None:
        return None
    b = current()
    cached = model.__dict__.get("_kshim_dist_plan")
    if cached is not None and cached.dist is dist and cached.backend_name == b.name:
        return cached
    lib = backend_lib("fit/evaluate/predict with a distribution")
    p = _JaxPlan(dist, lib) if b.name == "jax" else _TorchPlan(dist, lib)
    model.__dict__["_kshim_dist_plan"] = p
    model._engine.fns = {}  # steps compiled without the plan are stale
    return p


def step_sync(model: Any) -> Any:
    """The torch plan (whose methods the pure steps call), ``None`` elsewhere."""
    p = plan(model)
    return p if isinstance(p, _TorchPlan) else None


def is_chief() -> bool:
    """Whether this process prints the progress bar and writes checkpoints (process 0)."""
    dist = distribution()
    return dist is None or dist._process_id == 0


def _is_array(a: Any) -> bool:
    return hasattr(a, "shape") and not (isinstance(a, np.ndarray) and a.dtype.kind in "USO")


class _JaxPlan:
    backend_name = "jax"

    def __init__(self, dist: Any, lib: Any):
        self.dist, self.lib = dist, lib
        self._placed: dict[int, tuple] = {}  # id(variable) -> (variable, placed array, sharding)
        mesh = dist.device_mesh
        self._data_shards = int(mesh.shape[list(mesh.axis_names).index(dist.batch_dim_name)])
        self._multi = dist._is_multi_process and dist.auto_shard_dataset

    # ---- variables ---------------------------------------------------------------------------
    def _layouts(self, model: Any) -> list[list]:
        tv, ntv, ov, mv = model._engine.state_lists()
        lay = {id(v): self.dist.get_variable_layout(v) for v in list(tv) + list(ntv)}
        refs = sorted(((v.path.replace("/", "_") + "_", v) for v in tv), key=lambda kv: -len(kv[0]))

        def slot_layout(s: Any) -> TensorLayout:
            for prefix, v in refs:  # a slot is named "<variable path>_<slot>" and shaped like it
                if s.name.startswith(prefix) and tuple(s.shape) == tuple(v.shape):
                    return lay[id(v)]
            return TensorLayout([None] * len(s.shape), self.dist.device_mesh)

        rep = [TensorLayout([None] * len(v.shape), self.dist.device_mesh) for v in mv]
        return [[lay[id(v)] for v in tv], [lay[id(v)] for v in ntv], [slot_layout(s) for s in ov], rep]

    def shardings(self, model: Any) -> list[list]:
        key = model._engine.state_lists()
        cached = model.__dict__.get("_kshim_dist_shardings")
        if cached is None or cached[0] is not key:
            cached = (key, [[lay.backend_layout for lay in group] for group in self._layouts(model)])
            model.__dict__["_kshim_dist_shardings"] = cached
        return cached[1]

    def values(self, model: Any, groups: tuple) -> list[list]:
        """The state's values, each (re)placed with its sharding when it is not the array placed last."""
        all_sh = self.shardings(model)
        state = model._engine.state_lists()
        out = []
        for g in groups:
            vals = []
            for v, sh in zip(state[g], all_sh[g]):
                rec = self._placed.get(id(v))
                val = v._value
                if rec is None or rec[1] is not val:
                    val = self.lib.put(val, sh)
                    write_values([v], [val])
                    self._placed[id(v)] = (v, val, sh)
                vals.append(val)
            out.append(vals)
        return out

    def written(self, variables: list) -> None:
        for v in variables:
            rec = self._placed.get(id(v))
            if rec is not None:
                self._placed[id(v)] = (v, v._value, rec[2])

    # ---- data ----------------------------------------------------------------------------------
    def batch(self, struct: Any) -> Any:
        """Each array leaf as a global array sharded on its first axis (replicated when the batch
        does not divide over the data axis, e.g. a short last batch)."""

        def put(a: Any) -> Any:
            if not _is_array(a) or len(a.shape) == 0:
                return a
            n = int(a.shape[0])
            if self._multi:
                n *= self.dist.num_processes
            layout = (
                self.dist.get_data_layout(a.shape)
                if n % self._data_shards == 0
                else TensorLayout([None] * len(a.shape), self.dist.device_mesh)
            )
            return self.lib.put_batch(a, layout.backend_layout, self._multi and n % self._data_shards == 0)

        if self._multi:
            struct = _local_rows(struct, self.dist.num_processes, self.dist._process_id)
        return optree.tree_map(put, struct, none_is_leaf=False, namespace="kshim")

    # ---- compiled steps ------------------------------------------------------------------------
    def jit(self, model: Any, kind: str, raw: Callable, donate: tuple) -> Callable:
        rep = TensorLayout([], self.dist.device_mesh).backend_layout
        sh = self.shardings(model)
        if kind == "train":
            out: tuple | None = ((list(sh[0]), list(sh[1]), list(sh[2]), list(sh[3])), rep)
        elif kind == "test":
            out = (list(sh[3]), rep)
        else:
            out = None
        return self.lib.jit(raw, donate, out)


def _local_rows(struct: Any, n: int, i: int) -> Any:
    """Rows ``[i*b/n, (i+1)*b/n)`` of every leaf (``np.array_split`` boundaries when uneven)."""

    def take(a: Any) -> Any:
        if not hasattr(a, "shape") or len(a.shape) == 0:
            return a
        lo, hi = _split_bounds(int(a.shape[0]), n, i)
        return a[lo:hi]

    return optree.tree_map(take, struct, none_is_leaf=False, namespace="kshim")


def _split_bounds(b: int, n: int, i: int) -> tuple[int, int]:
    q, r = divmod(b, n)
    lo = i * q + min(i, r)
    return lo, lo + q + (1 if i < r else 0)


class _TorchPlan:
    backend_name = "torch"

    def __init__(self, dist: Any, lib: Any):
        if isinstance(dist, ModelParallel) or not isinstance(dist, DataParallel):
            raise ValueError(
                f"{type(dist).__name__} is not supported on the torch backend: kshim runs torch as one "
                "process per data-parallel replica (torch.distributed); variable sharding "
                "(DTensor/FSDP) is out of its scope. Use DataParallel on torch, or the jax backend "
                "for ModelParallel."
            )
        if not lib.is_initialized():
            raise ValueError(
                "DataParallel on the torch backend needs torch.distributed: launch with "
                "`torchrun --nproc-per-node N script.py` and call kshim.distribution.initialize() "
                "before building the model."
            )
        if dist.num_model_replicas != lib.world_size():
            raise ValueError(
                f"DataParallel on torch runs one process per device: the mesh has "
                f"{dist.num_model_replicas} devices but the process group has {lib.world_size()} "
                "ranks. Build the distribution after initialize() (DataParallel() lists one device "
                "per rank)."
            )
        self.dist, self.lib = dist, lib
        self.rank, self.world = lib.rank(), lib.world_size()
        self.weight = 1.0 / self.world
        self._rows = (self.world, self.rank, self.rank + 1)
        self._synced_model: Any = None

    def sync_weights(self, model: Any) -> None:
        """Rank 0's weights on every rank (once per model and distribution)."""
        if self._synced_model is model:
            return
        tv, ntv, _, _ = model._engine.state_lists()
        variables = list(tv) + list(ntv)
        write_values(variables, self.lib.broadcast([v._value for v in variables]))
        self._synced_model = model

    def batch(self, struct: Any) -> Any:
        """This rank's rows of the global batch; records the rows' share of the batch."""
        leaves = [a for a in optree.tree_leaves(struct, namespace="kshim") if hasattr(a, "shape") and len(a.shape)]
        b = int(leaves[0].shape[0]) if leaves else 0
        if b < self.world:
            raise ValueError(
                f"A batch of {b} rows cannot be split over {self.world} ranks; use a batch size "
                f"of at least {self.world} (the global batch is split across ranks)."
            )
        lo, hi = _split_bounds(b, self.world, self.rank)
        self.weight = (hi - lo) / b
        self._rows = (b, lo, hi)
        return _local_rows(struct, self.world, self.rank)

    # ---- called inside the pure steps -------------------------------------------------------
    def replica(self) -> Replica:
        """This rank's share of the current global batch, for the layers that span the batch."""
        rows, lo, hi = self._rows
        return Replica(rows, lo, hi, self.lib.all_reduce_sum_autograd)

    def gradients(self, grads: list) -> list:
        """The global gradient: the sum over ranks of the gradients of each rank's loss weighted
        by ``self.weight`` (the step differentiates ``weight * loss``)."""
        return self.lib.all_reduce_mean(grads, 1.0)

    def non_trainable(self, values: list) -> list:
        idx = [i for i, v in enumerate(values) if hasattr(v, "is_floating_point") and v.is_floating_point()]
        out = list(values)
        for i, v in zip(idx, self.lib.all_reduce_mean([values[i] for i in idx], self.weight)):
            out[i] = v
        return out

    def metrics(self, old: list, new: list) -> list:
        """``old + sum over ranks of (new - old)``: the metric states of the global batch
        (metric states are sums: totals, counts, confusion counts)."""
        if not new:
            return new
        deltas = self.lib.all_reduce_sum([n - o for o, n in zip(old, new)])
        return [o + d for o, d in zip(old, deltas)]


def chief_only(callbacks: Any) -> Any:
    """The callbacks a non-chief process runs: all but the checkpoint writers (a ``CallbackList``
    is the caller's own and is kept)."""
    from ..callbacks import CallbackList, ModelCheckpoint

    if callbacks is None or isinstance(callbacks, CallbackList):
        return callbacks
    return [c for c in callbacks if not isinstance(c, ModelCheckpoint)]


def run_step(model: Any, kind: str, batch: Any) -> Any:
    """One ``train``/``test``/``predict`` batch under the current distribution (the model's
    ``TrainingEngine.train_batch`` and friends call this when a distribution is set)."""
    from ..trainers.custom_step import pack_x_y_sample_weight
    from ..trainers.engine import _step_inputs, _to_tensors

    p = plan(model)
    engine = model._engine  # after `plan`, which may empty its step cache
    custom = engine.custom(kind)
    if custom is not None:
        if isinstance(p, _TorchPlan):
            raise ValueError(
                "A model with its own train_step/test_step/predict_step is not supported with a "
                "distribution on the torch backend (the built-in steps average gradients across "
                "ranks); use the jax backend or the built-in steps."
            )
        p.values(model, (0, 1, 2, 3))
        packed = pack_x_y_sample_weight(*batch) if kind != "predict" else pack_x_y_sample_weight(batch)
        engine.last_logs = custom(p.batch(_step_inputs(packed, False)))
        p.written([v for group in engine.state_lists() for v in group])
        return engine.last_logs
    engine.last_logs = None
    groups = {"train": (0, 1, 2, 3), "test": (0, 1, 3), "predict": (0, 1)}[kind]
    state_vars = engine.state_lists()
    if isinstance(p, _JaxPlan):
        values = p.values(model, groups)
        data = p.batch(batch)
    else:
        p.sync_weights(model)
        values = [[v.value for v in state_vars[g]] for g in groups]
        # predict: every rank computes the whole batch (the outputs are then the global ones)
        data = _to_tensors(p.batch(batch) if kind != "predict" else batch)
    out = engine.fn(kind)(tuple(values), data)
    if kind == "predict":
        return out
    new_state, loss = out
    if kind == "test":
        new_state = [new_state]
    written = []
    for g, vals in zip(groups if kind == "train" else (3,), new_state):
        write_values(state_vars[g], vals)
        written += list(state_vars[g])
    if isinstance(p, _JaxPlan):
        p.written(written)
    return loss

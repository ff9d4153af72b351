"""Divergence tracing: *where* two backends start to disagree while training the same model.

``trace_divergence`` builds the model once per backend from the same seed (so from bit-identical
initial weights; if a model's weights are not identical they are copied from the first backend),
feeds every backend the batches ``kshim compare`` trains on with that seed (each epoch one seeded
permutation of the training split, cut as ``fit`` cuts it) and runs ``steps`` training steps, so the
trace replays the very steps whose divergence a study reports. At each step it records, per layer:

* ``activation`` -- the outputs of every layer call in the forward pass (``training=True``, so
  dropout is on, with the same masks on every backend), and the loss (pseudo-layer ``"(loss)"``);
* ``gradient`` -- the gradient of the loss with respect to each trainable variable, grouped by the
  layer that owns the variable;
* ``update`` -- every float weight after the optimizer step minus before (grouped by layer).

Layer calls are observed by wrapping the ``call`` method *on each layer instance* while the steps
run (removed afterwards; nothing in ``kshim.layers`` is changed), so Sequential, functional and
subclassed models are traced the same way. A built-in kshim layer is one traced unit (an LSTM's
cell or a Bidirectional's inner layers, which may run inside a scan, are not looked into); a nested
model or a user-defined layer is traced as itself *and* through its sub-layers
(``"block/dense_1"``). A layer called twice is recorded twice (``"shared"``, ``"shared#2"``).
Limit: a user-defined layer that calls its sub-layers inside ``ops.scan``/``while_loop`` cannot be
traced on JAX (the recorded outputs would leave the loop's trace).

The step is the computation of ``fit``'s built-in step, written out so that it can return the
layer outputs: ``model.stateless_call(..., training=True)``, the compiled loss plus the layers'
added losses, the optimizer's ``scale_loss`` (gradients are recorded as the optimizer receives
them, i.e. scaled by a loss-scaling optimizer), the backend's ``value_and_grad``,
``optimizer.stateless_apply`` and the weights' constraints; it is jitted on JAX unless the model
was compiled with ``jit_compile=False`` or ``run_eagerly=True``, and eager elsewhere. Deliberate
limits: a model's own ``train_step`` override is not used and sample weights are not supported.

**Tolerances.** Every pair of backends is compared per (step, kind, layer). A value pair agrees when,
elementwise, ``|a - b| <= atol * S + rtol * max(|a|, |b|)`` where ``S`` is the *scale* of the tensor
(its largest magnitude on either backend; for an update, the largest magnitude of the updated
weight). ``atol`` is thus relative to the tensor, because activations, gradients and an Adam
update (~learning rate) live on very different scales and a fixed absolute floor is meaningless
for most of them. Defaults come from ``compat/tolerances.py`` for the model's float dtype:

* activation -- the ``gradient`` kind (float32 rtol 3e-4, atol 3e-5): a forward pass through
  matmuls/convolutions/normalizations (``reduction``) taken after up to ``steps`` optimizer steps
  that each feed rounding into the weights, so one step looser than ``reduction``;
* gradient -- the ``training`` kind (float32 rtol 1e-3, atol 1e-4): a VJP of that forward;
* update -- the ``training`` kind, with ``S`` the weight's scale: Adam's first updates are
  ``~lr * g / (|g| + eps)``, ill-conditioned where a gradient is near zero, so the update is
  compared against the size of the weight it changes (what matters for the next step).

Measured on the bundled models (seed 1337, 5 steps) the worst pair uses at most ~0.6 of these
tolerances (NumPy's float32 batch moments are the noisiest part); a uniform 1e-3 relative change of
one layer's kernel is 3x over the activation tolerance. ``rtol``/``atol`` arguments override all
three kinds (same scale rule). ``max_rel`` in the results is the tensor-relative error
``max|a - b| / S`` (elementwise relative errors of near-zero values say little).
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from . import tolerances
from .trace_report import TraceResult, compare_pair

KINDS = ("activation", "gradient", "update")
_MISSING = object()


# ---- model, data and layer discovery ---------------------------------------------------------------
def _resolve(model: Any) -> tuple[str, Callable, Callable | None]:
    """``(label, build, load_data or None)``; ``None``: choose the digits layout from the model."""
    if callable(model) and not isinstance(model, str):
        return getattr(model, "__name__", "model"), model, getattr(model, "load_data", None)
    from .training import resolve

    return resolve(model)


def _take(x: Any, idx: np.ndarray) -> Any:
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_take(v, idx) for v in x)
    return np.asarray(x)[idx]


def _n_samples(x: Any) -> int:
    if isinstance(x, dict):
        return _n_samples(next(iter(x.values())))
    if isinstance(x, (list, tuple)):
        return _n_samples(x[0])
    return len(x)


def _batches(data: tuple, steps: int, batch_size: int, seed: int) -> list[tuple]:
    """The first ``steps`` batches ``kshim compare`` trains on with this seed: each epoch one permutation
    of the training split (``training.batch_orders``), cut into ``batch_size`` chunks as ``fit`` cuts it
    (the last one of an epoch may be short), so the trace follows the very steps whose divergence the
    study reports."""
    from .training import batch_orders

    (x, y) = data[0]
    n = _n_samples(x)
    per_epoch = -(-n // batch_size)
    out: list[tuple] = []
    for order in batch_orders(n, -(-steps // per_epoch), seed):
        for i in range(0, n, batch_size):
            if len(out) == steps:
                return out
            idx = order[i : i + batch_size]
            out.append((_take(x, idx), _take(y, idx)))
    return out


def _is_builtin(layer: Any) -> bool:
    return type(layer).__module__.startswith("kshim.")


def _units(model: Any) -> list[tuple[str, Any, bool]]:
    """``(path, layer, composite)`` for every traced layer: the model's layers, and the sub-layers
    of nested models and of user-defined layers."""
    from kshim.layers.input_layer import InputLayer
    from kshim.models import Model

    out: list = []
    seen: set = set()

    def walk(parent: Any, prefix: str) -> None:
        children = parent.layers if isinstance(parent, Model) else parent._layers
        for child in children:
            if isinstance(child, InputLayer) or id(child) in seen:
                continue
            seen.add(id(child))
            path = f"{prefix}{child.name}"
            composite = bool(child._layers) and (isinstance(child, Model) or not _is_builtin(child))
            out.append((path, child, composite))
            if composite:
                walk(child, path + "/")

    walk(model, "")
    return out


def _owners(model: Any, units: list) -> dict[int, tuple[str, str]]:
    """``id(variable) -> (layer path, variable name)``. A built-in layer owns its sub-layers'
    variables, named by their path inside it (``forward_lstm/lstm_cell/kernel``); a composite owns
    only its own; what is left belongs to the model itself. Names are unique within a layer."""
    owner: dict[int, tuple[str, str]] = {}
    taken: dict[str, set] = {}

    def claim(path: str, v: Any, name: str) -> None:
        if id(v) in owner:
            return
        used = taken.setdefault(path, set())
        unique, i = name, 1
        while unique in used:
            i += 1
            unique = f"{name}#{i}"
        used.add(unique)
        owner[id(v)] = (path, unique)

    def walk(path: str, layer: Any, prefix: str, seen: set) -> None:
        if id(layer) in seen:
            return
        seen.add(id(layer))
        for v in layer._trainable_variables + layer._non_trainable_variables:
            claim(path, v, prefix + v.name)
        for child in layer._layers:
            walk(path, child, f"{prefix}{child.name}/", seen)

    for path, layer, composite in units:
        if composite:
            for v in layer._trainable_variables + layer._non_trainable_variables:
                claim(path, v, v.name)
        else:
            walk(path, layer, "", set())
    for v in model.weights:
        claim(model.name, v, v.path)
    return owner


def _leaves(out: Any) -> list:
    if isinstance(out, dict):
        return [x for k in out for x in _leaves(out[k])]
    if isinstance(out, (list, tuple)):
        return [x for v in out for x in _leaves(v)]
    return [] if out is None else [out]


class _CallTracer:
    """Wraps ``call`` on each unit's instance; each call appends ``(key, output leaves)``."""

    def __init__(self, units: list):
        self.units = units
        self.calls: list[tuple[str, list]] = []
        self._saved: list = []

    def __enter__(self) -> "_CallTracer":
        counts: dict[str, int] = {}

        def make(path: str, original: Callable) -> Callable:
            def traced(*args: Any, **kwargs: Any) -> Any:
                out = original(*args, **kwargs)
                counts[path] = counts.get(path, 0) + 1
                key = path if counts[path] == 1 else f"{path}#{counts[path]}"
                self.calls.append((key, _leaves(out)))
                return out

            return traced

        self._counts = counts
        for path, layer, _ in self.units:
            self._saved.append((layer, layer.__dict__.get("call", _MISSING)))
            object.__setattr__(layer, "call", make(path, layer.call))
        return self

    def reset(self) -> None:
        self.calls.clear()
        self._counts.clear()

    def __exit__(self, *exc: Any) -> None:
        for layer, saved in reversed(self._saved):
            if saved is _MISSING:
                layer.__dict__.pop("call", None)
            else:
                layer.__dict__["call"] = saved
        self._saved.clear()


# ---- one backend ---------------------------------------------------------------------------------
def _tensors(x: Any) -> Any:
    import kshim

    if isinstance(x, dict):
        return {k: _tensors(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_tensors(v) for v in x)
    return kshim.ops.convert_to_tensor(x)


def _np(x: Any) -> np.ndarray:
    import kshim

    return np.asarray(kshim.ops.convert_to_numpy(x))


def _float_dtype(model: Any) -> str:
    for v in model.weights:
        if str(v.dtype).startswith("float"):
            return str(v.dtype)
    return "float32"


def _build(backend: str, build: Callable, load: Callable | None, seed: int) -> tuple[Any, Callable]:
    import kshim

    kshim.utils.clear_session(free_memory=False)
    kshim.utils.set_random_seed(seed)
    model = build()
    from kshim._alias import check_kshim_model

    check_kshim_model(model, "the model")
    if not getattr(model, "compiled", False) or model.optimizer is None:
        raise ValueError("trace_divergence needs a compiled model (call model.compile(optimizer=..., loss=...)).")
    if load is None:
        from .training import digits

        try:
            first = (getattr(model, "inputs", None) or [None])[0]
        except (AttributeError, ValueError):  # a subclassed model that was never called
            first = None
        spatial = first is not None and len(first.shape) == 4
        load = lambda: digits(flat=not spatial)  # noqa: E731
    return model, load


def _step_fn(model: Any, tracer: _CallTracer, keys: list) -> Callable:
    """The pure training step (as the trainer's: stateless forward with ``training=True``, the
    compiled loss plus added losses, ``value_and_grad``, ``optimizer.stateless_apply``, weight
    constraints), also returning every traced layer output and the gradients."""
    import kshim
    from kshim.trainers.step import StepFunctions

    fns = StepFunctions(model)
    tvars = model.trainable_variables

    def step(tv: list, ntv: list, ov: list, x: Any, y: Any) -> tuple:
        def loss_fn(tv: list, ntv: list) -> tuple:
            tracer.reset()
            y_pred, new_ntv, added = model.stateless_call(tv, ntv, x, training=True, return_losses=True)
            loss = fns._loss(y, y_pred, None, added)[0]
            keys[:] = [(k, len(v)) for k, v in tracer.calls]
            return fns._scaled(loss, ov), (loss, new_ntv, [o for _, outs in tracer.calls for o in outs])

        (_, (loss, new_ntv, outs)), grads = kshim.backend.current().value_and_grad(loss_fn, argnums=0, has_aux=True)(
            list(tv), list(ntv)
        )
        new_tv, new_ov = model.optimizer.stateless_apply(list(ov), list(grads), list(tv))
        new_tv = [
            v.constraint(val) if getattr(v, "constraint", None) is not None else val for v, val in zip(tvars, new_tv)
        ]
        return loss, outs, list(grads), new_tv, list(new_ntv), new_ov

    return step


def _run_backend(
    backend: str,
    build: Callable,
    load: Callable | None,
    seed: int,
    steps: int,
    batch_size: int,
    init: list | None,
    perturb: Callable | None,
) -> dict:
    import kshim

    with kshim.backend.use(backend):
        model, load = _build(backend, build, load, seed)
        batches = _batches(load(), steps, batch_size, seed)
        model._build_for(batches[0][0], batches[0][1])
        weights = model.get_weights()
        copied = False
        if init is not None and not (
            len(init) == len(weights)
            and all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(init, weights))
        ):
            model.set_weights(init)
            copied = True
        initial = model.get_weights()
        if perturb is not None:
            perturb(backend, model)
        units = _units(model)
        owner = _owners(model, units)
        tvars, ntvars = model.trainable_variables, model.non_trainable_variables
        ovars = list(model.optimizer.variables)
        fvars = [v for v in model.weights if str(v.dtype).startswith("float")]
        keys: list = []
        with _CallTracer(units) as tracer:
            step = _step_fn(model, tracer, keys)
            if backend == "jax" and model._use_jit():  # as fit does on JAX (torch's replay is not used)
                step = kshim.backend.current().jit(step)
            records = []
            for xb, yb in batches:
                before = [_np(v.value) for v in fvars]
                loss, outs, grads, new_tv, new_ntv, new_ov = step(
                    [v.value for v in tvars],
                    [v.value for v in ntvars],
                    [v.value for v in ovars],
                    _tensors(xb),
                    kshim.ops.convert_to_tensor(yb),
                )
                for v, val in itertools.chain(zip(tvars, new_tv), zip(ntvars, new_ntv), zip(ovars, new_ov)):
                    v.assign(val)
                rec: dict = {k: {} for k in KINDS + ("weight_scale",)}
                it = iter(outs)
                for key, n in keys:
                    rec["activation"][key] = {f"output{i}" if n > 1 else "output": _np(next(it)) for i in range(n)}
                loss_np = _np(loss)
                rec["activation"]["(loss)"] = {"output": loss_np}
                for v, g in zip(tvars, grads):
                    path, name = owner[id(v)]
                    rec["gradient"].setdefault(path, {})[name] = _np(g)
                for v, prev in zip(fvars, before):
                    path, name = owner[id(v)]
                    after = _np(v.value)
                    rec["update"].setdefault(path, {})[name] = after - prev
                    rec["weight_scale"].setdefault(path, {})[name] = float(
                        max(np.abs(after).max(initial=0.0), np.abs(prev).max(initial=0.0))
                    )
                rec["loss"] = float(loss_np)
                records.append(rec)
        order = [path for path, _, _ in units]
        return {
            "records": records,
            "initial": initial,
            "init_copied": copied,
            "dtype": _float_dtype(model),
            "layers": order + [model.name],
        }


# ---- the API ---------------------------------------------------------------------------------------
def default_tolerances(dtype: str = "float32") -> dict[str, tuple[float, float]]:
    """``{kind: (rtol, atol)}`` used when ``trace_divergence`` gets no ``rtol``/``atol`` (see the
    module docstring for why)."""
    return {
        "activation": tolerances.get("gradient", dtype),
        "gradient": tolerances.get("training", dtype),
        "update": tolerances.get("training", dtype),
    }


def trace_divergence(
    model: Any = "mlp",
    *,
    backends: list[str] | None = None,
    seed: int = 1337,
    steps: int = 5,
    batch_size: int = 32,
    rtol: float | None = None,
    atol: float | None = None,
    perturb: Callable[[str, Any], None] | None = None,
) -> TraceResult:
    """Train ``model`` for ``steps`` steps on every backend and locate the first divergence.

    Args:
        model: ``"mlp"``, ``"cnn"``, a path to a script defining ``build_model()`` (and optionally
            ``load_data()``), or a zero-argument callable returning a compiled kshim model (its
            data: the callable's ``load_data`` attribute if it has one, else the bundled digits,
            flat or 8x8x1 according to the model's input rank).
        backends: backend names (default: every installed one of numpy, jax, torch). The first one
            provides the initial weights if a model does not build identically everywhere.
        seed: the seed for weights, dropout masks and data order.
        steps: training steps to trace (one batch each).
        batch_size: samples per step.
        rtol: relative tolerance for every kind (default: per kind and dtype, see module docstring).
        atol: tolerance relative to each tensor's scale, for every kind (default: per kind).
        perturb: ``perturb(backend_name, model)``, called after the initial weights are set and
            before the first step (tests use it to inject a divergence on one backend).

    Returns:
        A ``TraceResult``.

    Raises:
        ValueError: an unknown model, an uncompiled model, fewer than two backends, or ``steps`` /
            ``batch_size`` below 1.
    """
    from kshim import backends as reg

    names = list(backends or [b for b in reg.available() if b in ("numpy", "jax", "torch")])
    if len(names) < 2:
        raise ValueError(f"trace_divergence needs at least two backends, got {names}.")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got steps={steps}, batch_size={batch_size}.")
    label, build, load = _resolve(model)
    runs: dict[str, dict] = {}
    init = None
    for b in names:
        runs[b] = _run_backend(b, build, load, seed, steps, batch_size, init, perturb)
        init = runs[names[0]]["initial"] if init is None else init
    dtype = runs[names[0]]["dtype"]
    tols = default_tolerances(dtype)
    if rtol is not None or atol is not None:
        tols = {k: (tols[k][0] if rtol is None else rtol, tols[k][1] if atol is None else atol) for k in KINDS}
    comparisons = []
    for a, b in itertools.combinations(names, 2):
        for step in range(steps):
            ra, rb = runs[a]["records"][step], runs[b]["records"][step]
            rank = _ranker(runs[names[0]]["layers"], runs[names[0]]["records"][step])
            for ki, kind in enumerate(KINDS):
                for layer in set(ra[kind]) | set(rb[kind]):
                    scales = None
                    if kind == "update":
                        sa, sb = ra["weight_scale"].get(layer, {}), rb["weight_scale"].get(layer, {})
                        scales = {n: max(sa.get(n, 0.0), sb.get(n, 0.0)) for n in set(sa) | set(sb)}
                    row = compare_pair(ra[kind].get(layer), rb[kind].get(layer), *tols[kind], scales)
                    comparisons.append(
                        {
                            "pair": f"{a}~{b}",
                            "step": step,
                            "kind": kind,
                            "layer": layer,
                            "order": (step, ki, rank(kind, layer)),
                            **row,
                        }
                    )
    comparisons.sort(key=lambda r: (r["order"], r["pair"]))
    for r in comparisons:
        del r["order"]
    return TraceResult(
        model=label,
        backends=names,
        seed=seed,
        steps=steps,
        batch_size=batch_size,
        dtype=dtype,
        tolerances=tols,
        records={b: r["records"] for b, r in runs.items()},
        init_copied={b: r["init_copied"] for b, r in runs.items()},
        comparisons=comparisons,
    )


def _ranker(layers: list, rec: dict) -> Callable[[str, str], tuple]:
    """Search order within a step: activations in call order (the loss last), gradients in
    backprop order (last layer first: a wrong backward op shows first where the backward pass
    reaches it), updates in forward order. A layer's place is that of its first call."""
    calls = list(rec["activation"])
    first: dict[str, int] = {}
    for i, key in enumerate(calls):
        first.setdefault(key.split("#", 1)[0], i)

    def rank(kind: str, layer: str) -> tuple:
        if kind == "activation":
            return (calls.index(layer) if layer in calls else len(calls), layer)
        pos = first.get(layer, len(calls) + (layers.index(layer) if layer in layers else len(layers)))
        return (-pos if kind == "gradient" else pos, layer)

    return rank


__all__ = ["trace_divergence", "default_tolerances", "TraceResult", "KINDS"]

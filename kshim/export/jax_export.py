"""``format="jax_export"`` (a kshim extension): the model's inference call as a serialized ``jax.export``
program, reloaded with ``jax.export.deserialize(open(path, "rb").read()).call(x)``.

The weights are constants of the program. ``None`` dims of the signature become ``jax.export``
symbolic dims (``batch`` for dim 0 of every input, ``dim_{input}_{dim}`` for the others). When the
model's code cannot be traced with a symbolic batch (kshim's shape code reads sizes as Python ints),
the program is ``jax.vmap`` of the model's call on one sample, which keeps the batch symbolic; kshim
checks on sample inputs that this gives the same result as calling the model on the whole batch (it
would not for a model that mixes the samples of a batch), and refuses the export otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as _backend
from . import signature as sig

_SAMPLE_TOL: dict[str, Any] = dict(rtol=1e-5, atol=1e-6)  # float32 vmap vs batched call: summation order only


def _symbols(signature: list) -> list[dict[int, Any]]:
    import jax

    per_leaf = sig.dynamic_dims(signature)
    names = sorted({n for leaf in per_leaf for n in leaf.values()}, key=lambda n: (n != sig.BATCH, n))
    dims = dict(zip(names, jax.export.symbolic_shape(", ".join(names)))) if names else {}
    return [{d: dims[n] for d, n in leaf.items()} for leaf in per_leaf]


def _arg_specs(signature: list, symbolic: bool) -> list:
    import jax

    flat, per_leaf = sig.flatten(signature), _symbols(signature) if symbolic else None
    specs = []
    for i, spec in enumerate(flat):
        shape = tuple(per_leaf[i].get(d, s) if per_leaf is not None else s for d, s in enumerate(spec.shape))
        dtype = jax.numpy.bfloat16 if spec.dtype == "bfloat16" else np.dtype(spec.dtype)
        specs.append(jax.ShapeDtypeStruct(shape, dtype))
    return sig.pack_as(signature, specs)


def _inference_fn(model: Any) -> Any:
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]

    def fn(*args: Any) -> Any:
        with _backend.use("jax"):
            return model.stateless_call(tv, ntv, *args, training=False)[0]

    return fn


def _per_sample(fn: Any) -> Any:
    import jax

    def one(*args: Any) -> Any:
        batched = jax.tree_util.tree_map(lambda a: a[None], args)
        return jax.tree_util.tree_map(lambda y: y[0], fn(*batched))

    return jax.vmap(one)


def _check_same(fn: Any, vfn: Any, signature: list) -> None:
    import jax

    args = sig.pack_as(signature, sig.sample_inputs(signature))
    want, got = jax.tree_util.tree_leaves(jax.jit(fn)(*args)), jax.tree_util.tree_leaves(jax.jit(vfn)(*args))
    for w, g in zip(want, got):
        w, g = np.asarray(w), np.asarray(g)
        if w.shape != g.shape or not np.allclose(w, g, **_SAMPLE_TOL):
            raise ValueError(
                "kshim could not trace this model with a symbolic batch size, and its output for one sample "
                "depends on the other samples of the batch, so it cannot be exported one sample at a time either. "
                "Export with a fully defined `input_signature` (a fixed batch size) instead."
            )


def export_jax(model: Any, filepath: str, signature: list, verbose: bool, platforms: Any = None) -> None:
    """Write the serialized ``jax.export.Exported`` of the model's inference call to ``filepath``.

    Args:
        model: A model whose variables live on the JAX backend.
        filepath: Where to write the bytes.
        signature: The standardized export signature.
        verbose: Print where the artifact went.
        platforms: ``jax.export`` lowering platforms (e.g. ``("cpu", "cuda")``); default: the
            platform JAX runs on now.
    """
    import jax
    from jax import export as jexport

    fn = _inference_fn(model)
    dynamic = any(sig.dynamic_dims(signature))
    kwargs = {} if platforms is None else {"platforms": tuple(platforms)}
    specs = _arg_specs(signature, symbolic=dynamic)
    try:
        exported = jexport.export(jax.jit(fn), **kwargs)(*specs)
    except Exception as direct_error:  # noqa: BLE001 - shape-polymorphism failures come as many types
        if not dynamic:
            raise RuntimeError(
                f"Failed to export model to the jax.export format. Original error: {direct_error}"
            ) from direct_error
        only_batch = all(set(leaf) <= {0} for leaf in sig.dynamic_dims(signature))
        if not only_batch:
            names = sorted({n for leaf in sig.dynamic_dims(signature) for n in leaf.values()})
            raise ValueError(
                f"kshim could not keep the dynamic dims {names} of the input signature symbolic "
                f"({type(direct_error).__name__}: {str(direct_error).splitlines()[0]}). Export with a "
                f"fully defined `input_signature` instead."
            ) from direct_error
        vfn = _per_sample(fn)
        _check_same(fn, vfn, signature)
        exported = jexport.export(jax.jit(vfn), **kwargs)(*specs)
    data = exported.serialize()
    with open(filepath, "wb") as f:
        f.write(bytes(data))
    if verbose:
        from ._messages import print_msg

        print_msg(f"Saved jax.export artifact at '{filepath}'.")

"""``vectorize``: apply a function over the broadcast batch dimensions of its arguments
(``keras.ops.vectorize``, NumPy's generalized-ufunc ``signature`` syntax)."""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

import numpy as np

from ..backend import current
from ._dispatch import tensor

_DIM = r"\w+"
_ARG = rf"\((?:{_DIM}(?:,{_DIM})*)?\)"
_ARGS = rf"{_ARG}(?:,{_ARG})*"
_SIGNATURE = re.compile(rf"^{_ARGS}->{_ARGS}$")


def _parse_signature(signature: str) -> tuple[list, list]:
    """``"(m,n),(n)->(m)"`` -> ([["m", "n"], ["n"]], [["m"]])."""
    sig = signature.replace(" ", "")
    if not _SIGNATURE.match(sig):
        raise ValueError(f"vectorize: not a valid gufunc signature: {signature!r} (expected e.g. '(m,n),(n)->(m)').")
    ins, outs = sig.split("->")

    def parse(part):
        return [[d for d in g.split(",") if d] for g in re.findall(r"\(([^)]*)\)", part)]

    return parse(ins), parse(outs)


def vectorize(pyfunc: Callable, *, excluded: Any = None, signature: str | None = None) -> Callable:
    """Turn ``pyfunc`` (written for single elements, or for core blocks given by ``signature``)
    into a function that maps over the broadcast leading dimensions of its arguments.

    kshim calls ``pyfunc`` once per batch element (a Python loop; ``pyfunc`` receives tensors
    of the active backend) and stacks the results, so it works, and differentiates, on every
    backend; for large inputs, write the function with broadcasting ops instead.

    Args:
        pyfunc: Function of tensors returning a tensor (or a tuple of tensors when ``signature``
            has several outputs).
        excluded: Positions (ints) or keyword names (strs) of arguments passed through unchanged.
        signature: Optional generalized-ufunc signature such as ``"(m,n),(n)->(m)"``: the named
            trailing dims of each argument are passed to ``pyfunc`` whole.

    Returns:
        The vectorized function.

    Raises:
        ValueError: (when called) for a malformed signature, mismatched core dimensions, or an
            argument with fewer dims than its core signature.
    """
    excl = set(excluded or ())
    core_in, core_out = _parse_signature(signature) if signature is not None else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        b = current()
        pos = [i for i in range(len(args)) if i not in excl]
        keys = [k for k in kwargs if k not in excl]
        vals = [tensor(args[i]) for i in pos] + [tensor(kwargs[k]) for k in keys]
        cores = core_in if core_in is not None else [[] for _ in vals]
        if len(cores) != len(vals):
            raise ValueError(
                f"vectorize: the signature {signature!r} has {len(cores)} inputs but "
                f"{len(vals)} vectorized arguments were passed."
            )
        sizes: dict = {}
        batch_shapes = []
        for v, core in zip(vals, cores):
            shp = tuple(b.shape(v))
            if len(shp) < len(core):
                raise ValueError(
                    f"vectorize: an argument of shape {shp} has fewer dims than its core signature ({','.join(core)})."
                )
            for name, n in zip(core, shp[len(shp) - len(core) :]):
                if sizes.setdefault(name, n) != n:
                    raise ValueError(
                        f"vectorize: core dimension {name!r} is {sizes[name]} in one argument and {n} in another."
                    )
            batch_shapes.append(shp[: len(shp) - len(core)])
        batch = tuple(np.broadcast_shapes(*batch_shapes)) if batch_shapes else ()
        flat = []
        for v, core, bs in zip(vals, cores, batch_shapes):
            cshape = tuple(b.shape(v))[len(bs) :]
            v = b.broadcast_to(v, batch + cshape)
            flat.append(b.reshape(v, (int(np.prod(batch, dtype=np.int64)),) + cshape))
        total = int(np.prod(batch, dtype=np.int64))

        def call(i):
            a = list(args)
            kw = dict(kwargs)
            it = iter(flat)
            for p in pos:
                a[p] = b.getitem(next(it), (i,))
            for k in keys:
                kw[k] = b.getitem(next(it), (i,))
            out = pyfunc(*a, **kw)
            return tuple(tensor(o) for o in out) if isinstance(out, (tuple, list)) else tensor(out)

        if total == 0:  # one call on zeros gives the output shapes and dtypes
            probe = [b.zeros((1,) + tuple(b.shape(f))[1:], b.dtype(f)) for f in flat]
            flat, saved = probe, flat
            sample = call(0)
            flat = saved
            outs = sample if isinstance(sample, tuple) else (sample,)
            res = tuple(b.zeros(batch + tuple(b.shape(o)), b.dtype(o)) for o in outs)
            return res if isinstance(sample, tuple) else res[0]
        results = [call(i) for i in range(total)]
        multi = isinstance(results[0], tuple)
        cols = list(zip(*results)) if multi else [results]
        stacked = []
        for col in cols:
            st = b.concatenate([b.reshape(o, (1,) + tuple(b.shape(o))) for o in col], 0)
            stacked.append(b.reshape(st, batch + tuple(b.shape(col[0]))))
        if core_out is not None and len(core_out) != len(stacked):
            raise ValueError(
                f"vectorize: the signature {signature!r} has {len(core_out)} outputs but "
                f"pyfunc returned {len(stacked)}."
            )
        return tuple(stacked) if multi else stacked[0]

    return wrapped


__all__ = ["vectorize"]

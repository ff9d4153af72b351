"""Function-transform primitives of the jax backend: custom gradients, forward mode
(declared in ``backends/_protocol.py``).

``custom_gradient`` is ``jax.custom_gradient`` over the float input leaves (other leaves are closed
over, so they may be jit tracers); ``jvp`` is ``jax.jvp`` with float0 tangents for non-float primals.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def _is_float(x: Any) -> bool:
    dt = getattr(x, "dtype", None)
    return dt is not None and isinstance(x, jax.Array) and jnp.issubdtype(dt, jnp.floating)


class TransformsMixin:
    """Custom-gradient and forward-mode hooks; mixed into the backend class."""

    def custom_gradient(self, f: Callable) -> Callable:
        """See ``backends/_protocol.py``."""

        def h(*args):
            leaves = list(args)
            diff = [i for i, x in enumerate(leaves) if _is_float(x)]

            def inner(*dl):
                full = list(leaves)
                for i, v in zip(diff, dl):
                    full[i] = v
                outs, vjp = f(*full)
                outs = list(outs)

                def rule(cts):
                    cts = [
                        jnp.zeros(o.shape, o.dtype) if getattr(c, "dtype", None) == jax.dtypes.float0 else c
                        for c, o in zip(cts, outs)
                    ]
                    gs = vjp(cts)
                    res = []
                    for i in diff:
                        g = gs[i]
                        res.append(jnp.zeros(jnp.shape(leaves[i]), leaves[i].dtype) if g is None else g)
                    return tuple(res)

                return outs, rule

            if not diff:
                return list(f(*leaves)[0])
            return list(jax.custom_gradient(inner)(*[leaves[i] for i in diff]))

        return h

    def jvp(self, fun: Callable, primals: Sequence[Any], tangents: Sequence[Any], has_aux: bool = False) -> tuple:
        """See ``backends/_protocol.py``."""
        ps = tuple(primals)
        ts = tuple(t if _is_float(p) else np.zeros(jnp.shape(p), jax.dtypes.float0) for p, t in zip(ps, tangents))
        res = jax.jvp(lambda *a: fun(*a), ps, ts, has_aux=has_aux)
        outs, t_out = list(res[0]), list(res[1])
        t_out = [
            jnp.zeros(o.shape, o.dtype) if getattr(t, "dtype", None) == jax.dtypes.float0 else t
            for o, t in zip(outs, t_out)
        ]
        if has_aux:
            return outs, t_out, res[2]
        return outs, t_out

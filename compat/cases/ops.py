"""One case per public ``kshim.ops`` op: a seeded input builder, forward values, and (for float
outputs) the VJP of ``sum(w * op(x))`` w.r.t. every float input, on every backend.

Inputs keep away from kinks and poles (abs/relu at 0, log at 0, ties of max/sort), where backends
may legitimately pick different subgradients. Ops with long accumulations use the ``reduction``
tolerance (see ``tolerances.py``). ``OPS_WITHOUT_CASE`` must stay empty: a test checks that every
name of ``kshim.ops._public_names()`` has a case here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..execute import flat, flat_grads, grad_tree, run_compiled
from ..registry import FLOATS, Case, register, rng_for

S = (3, 4)
DT = "<dtype>"  # replaced by the case dtype in kwargs / constants


class F:
    """A float input of the case dtype, uniform in [lo, hi) (differentiated)."""

    def __init__(self, shape=S, lo=-2.0, hi=2.0):
        self.shape, self.lo, self.hi = shape, lo, hi

    def build(self, rng, dtype):
        return rng.uniform(self.lo, self.hi, self.shape).astype(dtype)


class I:  # noqa: E742
    """An integer input (not differentiated)."""

    def __init__(self, shape=S, lo=0, hi=5, dtype="int32"):
        self.shape, self.lo, self.hi, self.dtype = shape, lo, hi, dtype

    def build(self, rng, dtype):
        return rng.integers(self.lo, self.hi, self.shape).astype(self.dtype)


class B:
    """A boolean input."""

    def __init__(self, shape=S):
        self.shape = shape

    def build(self, rng, dtype):
        return rng.uniform(size=self.shape) < 0.5


class C:
    """A Python constant passed as-is (``DT`` becomes the case dtype)."""

    def __init__(self, value):
        self.value = value

    def build(self, rng, dtype):
        return dtype if isinstance(self.value, str) and self.value == DT else self.value


def _sub(v, dtype):
    return dtype if isinstance(v, str) and v == DT else v


def op(
    name: str,
    *inputs: Any,
    kw: dict | None = None,
    fn: Any = None,
    grad: bool = True,
    tol: str = "elementwise",
    dtypes: tuple = FLOATS,
    check: str = "values",
    note: str = "",
    base: str | None = None,
    eager: bool = False,
) -> Case:
    """Register the case ``ops.<name>`` (``fn(ops, *args)`` overrides the plain call; a variant
    case of op ``base`` has its own name)."""
    kw = dict(kw or {})
    case_name = f"ops.{name}"

    def run(b, dtype):
        from kshim import ops

        rng = rng_for(case_name, dtype)
        host = [spec.build(rng, dtype) for spec in inputs]
        args = [b.convert_to_tensor(h) if isinstance(h, np.ndarray) else h for h in host]
        kwargs = {k: _sub(v, dtype) for k, v in kw.items()}

        def call(*a):
            return fn(ops, *a) if fn is not None else getattr(ops, name)(*a, **kwargs)

        argnums = [i for i, s in enumerate(inputs) if isinstance(s, F)] if grad and check == "values" else []

        def both(*a):
            out = call(*a)
            return out, grad_tree(b, call, a, argnums, out, seed=len(case_name))

        out, g = both(*args) if eager else run_compiled(b, both, args)
        res = flat(b, "forward", out)
        if check == "shape":
            return {k: np.asarray(np.shape(v)) for k, v in res.items()}
        res.update(flat_grads(b, argnums, g))
        return res

    return register(Case(case_name, "op", run, dtypes=dtypes, tol=tol, requires=(f"ops.{base or name}",), note=note))


# ---- elementwise unary --------------------------------------------------------------------------
for _n in (
    "abs",
    "absolute",
    "negative",
    "sign",
    "exp",
    "exp2",
    "expm1",
    "sin",
    "cos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "sigmoid",
    "softplus",
    "floor",
    "ceil",
    "round",
    "trunc",
    "square",
    "cbrt",
    "erf",
    "relu",
    "relu6",
    "elu",
    "selu",
    "gelu",
    "silu",
    "swish",
    "mish",
    "celu",
    "softsign",
    "leaky_relu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "hard_shrink",
    "soft_shrink",
    "tanh_shrink",
    "sparse_plus",
    "squareplus",
    "log_sigmoid",
    "deg2rad",
    "rad2deg",
    "arcsinh",
    "copy",
    "ravel",
    "stop_gradient",
    "zeros_like",
    "ones_like",
    "nan_to_num",
    "signbit",
    "isnan",
    "isinf",
    "isfinite",
    "sort",
    "flip",
    "transpose",
    "squeeze",
    "softmax",
    "log_softmax",
    "glu",
    "normalize",
):
    op(_n, F())
op("tan", F(lo=-1.2, hi=1.2))
for _n in ("log", "log10", "log2", "sqrt", "rsqrt", "reciprocal"):
    op(_n, F(lo=0.2, hi=3.0))
op("log1p", F(lo=-0.8, hi=3.0))
for _n in ("arcsin", "arccos", "arctanh", "erfinv"):
    op(_n, F(lo=-0.9, hi=0.9))
op("arccosh", F(lo=1.1, hi=4.0))
op("clip", F(), C(-0.5), C(0.7))
op("gelu_exact", F(), fn=lambda o, x: o.gelu(x, approximate=False), base="gelu")

# ---- elementwise binary -------------------------------------------------------------------------
for _n in ("add", "subtract", "multiply", "maximum", "minimum", "arctan2", "hypot", "logaddexp"):
    op(_n, F(), F())
for _n in ("divide", "true_divide", "divide_no_nan"):
    op(_n, F(), F(lo=0.5, hi=2.0))
op("power", F(lo=0.5, hi=2.0), F(lo=-1.5, hi=1.5))
op("mod", F(), F(lo=0.5, hi=1.5))
op("floor_divide", F(), F(lo=0.5, hi=1.5))
op("heaviside", F(), F())
for _n in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose"):
    op(_n, I(lo=0, hi=3), I(lo=0, hi=3))
for _n in ("logical_and", "logical_or", "logical_xor"):
    op(_n, B(), B())
op("logical_not", B())
for _n in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    op(_n, I(lo=0, hi=255), I(lo=0, hi=255))
op("bitwise_not", I(lo=0, hi=255))
op("bitwise_invert", I(lo=0, hi=255))
op("left_shift", I(lo=0, hi=255), I(lo=0, hi=5))
op("right_shift", I(lo=0, hi=255), I(lo=0, hi=5))
op("where", B(), F(), F())

# ---- reductions (long accumulations: reduction tolerance) -----------------------------------------
R = "reduction"
for _n in ("sum", "mean", "max", "min", "amax", "amin", "std", "var", "logsumexp", "median", "norm"):
    op(_n, F((4, 5, 6)), kw={"axis": 1}, tol=R)
    op(f"{_n}_all", F((4, 5, 6)), fn=lambda o, x, _n=_n: getattr(o, _n)(x), tol=R, base=_n)
op("prod", F((3, 5), lo=0.5, hi=1.5), kw={"axis": 1}, tol=R)
op("average", F((4, 5)), F((5,), lo=0.1, hi=1.0), fn=lambda o, x, w: o.average(x, axis=1, weights=w), tol=R)
op("cumsum", F((4, 6)), kw={"axis": 1}, tol=R)
op("cumprod", F((4, 6), lo=0.5, hi=1.5), kw={"axis": 1}, tol=R)
op("moments", F((4, 5, 6)), kw={"axes": (0, 1)}, tol=R)
for _n in ("any", "all"):
    op(_n, B((4, 5)), kw={"axis": 1})
for _n in ("argmax", "argmin", "argsort"):
    op(_n, F((4, 5)), kw={"axis": 1})
op("count_nonzero", I((4, 5), lo=0, hi=2), kw={"axis": 1})
op("top_k", F((4, 6)), kw={"k": 3})
op("in_top_k", I((4,), 0, 6), F((4, 6)), kw={"k": 2})

# ---- linear algebra (reduction tolerance) ----------------------------------------------------------
op("matmul", F((2, 3, 4)), F((4, 5)), tol=R)
op("dot", F((3, 4)), F((4, 5)), tol=R)
op("inner", F((3, 4)), F((2, 4)), tol=R)
op("outer", F((3,)), F((4,)), tol=R)
op("vdot", F((6,)), F((6,)), tol=R)
op("tensordot", F((3, 4, 5)), F((4, 5, 2)), kw={"axes": 2}, tol=R)
op("einsum", C("bij,bjk->bik"), F((2, 3, 4)), F((2, 4, 5)), tol=R)
op("cross", F((4, 3)), F((4, 3)), tol=R)
op("trace", F((4, 4)), tol=R)
op("diff", F((3, 6)), kw={"axis": 1})

# ---- shape and indexing ---------------------------------------------------------------------------
op("reshape", F(), C((2, 6)))
op("swapaxes", F((2, 3, 4)), C(0), C(2))
op("moveaxis", F((2, 3, 4)), C(0), C(-1))
op("expand_dims", F(), C(1))
op("roll", F(), kw={"shift": 2, "axis": 1})
op("tile", F(), C((2, 1)))
op("repeat", F(), C(2), kw={"axis": 0})
op("concatenate", F(), F(), fn=lambda o, a, b: o.concatenate([a, b], axis=1))
op("stack", F(), F(), fn=lambda o, a, b: o.stack([a, b], axis=1))
op("hstack", F(), F(), fn=lambda o, a, b: o.hstack([a, b]))
op("vstack", F(), F(), fn=lambda o, a, b: o.vstack([a, b]))
op("append", F(), F(), kw={"axis": 0})
op("split", F((4, 6)), C(3), kw={"axis": 1})
op("unstack", F((3, 4)), kw={"axis": 1})
op("broadcast_to", F((1, 4)), C((3, 4)))
op("pad", F(), C(((1, 2), (0, 1))))
op("pad_reflect", F(), fn=lambda o, x: o.pad(x, ((1, 1), (2, 2)), mode="reflect"), base="pad")
op("diag", F((4, 4)))
op("diagonal", F((3, 4, 4)), kw={"axis1": 1, "axis2": 2})
op("tril", F((4, 4)))
op("triu", F((4, 4)), kw={"k": 1})
op("take", F((5, 4)), I((3, 2), 0, 5), kw={"axis": 0})
op("take_along_axis", F((4, 5)), I((4, 2), 0, 5), kw={"axis": 1})
op("get_item", F((4, 5)), fn=lambda o, x: o.get_item(x, (slice(1, 3), slice(None, None, 2))))
op("slice", F((4, 5)), C((1, 2)), C((2, 3)))
op("slice_update", F((4, 5)), C((1, 2)), F((2, 3)))
op("scatter", I((3, 2), 0, 4, "int64"), F((3,)), C((4, 4)))
op("scatter_update", F((4, 4)), C(np.array([[0, 1], [2, 3]])), F((2,)))
op("segment_sum", F((6, 3)), C(np.array([0, 0, 1, 2, 2, 2])), kw={"num_segments": 3})
op("segment_max", F((6, 3)), C(np.array([0, 0, 1, 2, 2, 2])), kw={"num_segments": 3})
op("one_hot", I((5,), 0, 4), C(4))
op("multi_hot", I((3, 2), 0, 4), C(4))
op("meshgrid", F((3,)), F((4,)))
op("cast", F(), C("float16"), grad=False, note="float16 cast compared exactly after rounding")
op("convert_to_tensor", F())
op("convert_to_numpy", F(), grad=False, eager=True)
op("array", F(), grad=False)
op("is_tensor", F(), grad=False, eager=True)
op("dtype", F(), grad=False, eager=True)
op("shape", F(), grad=False, eager=True)
op("ndim", F(), grad=False, eager=True)
op("size", F(), grad=False, eager=True)

# ---- creation -------------------------------------------------------------------------------------
op("zeros", C((2, 3)), kw={"dtype": DT})
op("ones", C((2, 3)), kw={"dtype": DT})
op("empty", C((2, 3)), kw={"dtype": DT}, check="shape")
op("full", C((2, 3)), C(1.5), kw={"dtype": DT})
op("full_like", F(), C(2.5))
op("eye", C(3), C(4), kw={"k": 1, "dtype": DT})
op("identity", C(3), kw={"dtype": DT})
op("tri", C(3), C(4), kw={"dtype": DT})
op("arange", C(0.5), C(4.0), C(0.5), kw={"dtype": DT})
op("linspace", C(-1.0), C(2.0), C(7), kw={"dtype": DT})
op("logspace", C(-1.0), C(2.0), C(7), kw={"dtype": DT})

# ---- neural-network ops ---------------------------------------------------------------------------
op("conv", F((2, 7, 7, 3)), F((3, 3, 3, 4)), kw={"strides": 2, "padding": "same"}, tol=R)
op("conv1d_dilated", F((2, 9, 3)), F((3, 3, 4)), fn=lambda o, x, k: o.conv(x, k, dilation_rate=2), tol=R, base="conv")
op("conv_transpose", F((2, 4, 4, 3)), F((3, 3, 5, 3)), kw={"strides": 2, "padding": "same"}, tol=R)
op("depthwise_conv", F((2, 6, 6, 3)), F((3, 3, 3, 2)), kw={"padding": "valid"}, tol=R)
op("separable_conv", F((2, 6, 6, 3)), F((3, 3, 3, 2)), F((1, 1, 6, 4)), kw={"padding": "same"}, tol=R)
op("max_pool", F((2, 6, 6, 3)), C(2), kw={"strides": 2})
op("average_pool", F((2, 7, 7, 3)), C(3), kw={"strides": 2, "padding": "same"}, tol=R)
op("batch_normalization", F((4, 5)), F((5,)), F((5,), lo=0.5, hi=2.0), C(-1), F((5,)), F((5,)), tol=R)
op("binary_crossentropy", F((4, 3), 0.0, 1.0), F((4, 3), 0.05, 0.95), tol=R)
op("categorical_crossentropy", F((4, 5), 0.0, 1.0), F((4, 5)), kw={"from_logits": True}, tol=R)
op("sparse_categorical_crossentropy", I((4,), 0, 5), F((4, 5)), kw={"from_logits": True}, tol=R)
op("dot_product_attention", F((2, 5, 2, 4)), F((2, 6, 2, 4)), F((2, 6, 2, 4)), tol=R)

# ---- control flow ---------------------------------------------------------------------------------
op("cond", F(), fn=lambda o, x: o.cond(o.sum(x) > 0, lambda: o.sin(x), lambda: o.cos(x)))
op("switch", F(), fn=lambda o, x: o.switch(1, [o.sin, o.cos, o.tanh], x))
op("scan", F((5, 3)), F((3,)), fn=lambda o, xs, c: o.scan(lambda h, x: (o.tanh(h * 0.5 + x), h * x), c, xs), tol=R)
op("fori_loop", F(), fn=lambda o, x: o.fori_loop(0, 3, lambda i, v: o.sin(v) * 1.5, x))
op(
    "while_loop",
    F(),
    fn=lambda o, x: o.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 0.9 + 0.1), (0, x))[1],
    grad=False,
)


# ---- portable randomness (bit-identical across backends by design) -------------------------------
def _random_case(name: str, fn: Any, tol: str = "exact") -> None:
    """Uniform bits, integers and dropout masks are bit-identical by design (Threefry on integer ops,
    compared exactly); ``normal`` maps those bits through log/sqrt/erfinv, whose last-ulp results
    differ between libm and XLA, so it gets the elementwise tolerance."""

    def run(b, dtype):
        from kshim import random

        return flat(b, "exact" if tol == "exact" else "forward", run_compiled(b, lambda: fn(random, dtype), ()))

    register(Case(f"random.{name}", "random", run, tol=tol, requires=(f"random.{name}",)))


_random_case("uniform", lambda r, d: r.uniform((3, 5), dtype=d, seed=7))
_random_case("normal", lambda r, d: r.normal((3, 5), dtype=d, seed=7), tol="elementwise")
_random_case("randint", lambda r, d: r.randint((3, 5), 0, 10, seed=7))
_random_case("dropout", lambda r, d: r.dropout(np.ones((4, 6), d), 0.5, seed=3))

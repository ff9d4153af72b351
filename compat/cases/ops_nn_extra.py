"""Cross-backend cases of the nn-extra ops (``kshim.ops.nn_extra*``): CTC, adaptive pooling, pixel
(un)shuffle, fold/unfold, normalizations, sparse activations, casts, segments, ``rearrange``, and
the function transforms (``custom_gradient``, ``jvp``, ``map``, ``vectorized_map``,
``associative_scan``), which return functions or take them, so their cases apply them to concrete
functions.
"""

from __future__ import annotations

import numpy as np

from .ops import C, F, R, op

# ---- CTC (a log-sum-exp recursion over time: reduction tolerance) ----------------------------------
_TARGET = np.array([[1, 2, 2, 3], [4, 1, 1, 1], [3, 3, 2, 1]], np.int32)
op("ctc_loss", C(_TARGET), F((3, 9, 5)), C(np.array([4, 2, 3], np.int32)), C(np.array([9, 6, 7], np.int32)), tol=R)
op("ctc_decode", F((3, 8, 5)), C(np.array([8, 5, 7], np.int32)), grad=False, tol=R)
op(
    "ctc_decode_beam",
    F((3, 8, 4)),
    C(np.array([8, 5, 7], np.int32)),
    fn=lambda o, x, n: o.ctc_decode(x, n, strategy="beam_search", beam_width=4, top_paths=2),
    grad=False,
    tol=R,
    base="ctc_decode",
)

# ---- pooling, pixel shuffle, patches --------------------------------------------------------------
op("adaptive_average_pool", F((2, 7, 7, 3)), C((3, 3)), tol=R)
op("adaptive_max_pool", F((2, 7, 7, 3)), C((3, 3)))
op("depth_to_space", F((2, 3, 3, 8)), C(2))
op("space_to_depth", F((2, 4, 6, 3)), C(2))
op("unfold", F((2, 3, 7, 6)), C(3), kw={"padding": 1, "stride": 2})
op("fold", F((2, 12, 9)), C((5, 6)), C(2), kw={"stride": 2, "padding": (1, 0)}, tol=R)
op("extract_sequences", F((2, 11)), C(4), C(3))

# ---- normalizations, activations, psnr -----------------------------------------------------------
op("layer_normalization", F((3, 4, 5)), F((5,)), F((5,)), tol=R)
op("rms_normalization", F((3, 4, 5)), F((5,)), tol=R)
op("psnr", F((2, 4, 4, 3), 0.0, 1.0), F((2, 4, 4, 3), 0.0, 1.0), C(1.0), tol=R)
op("sparse_sigmoid", F())
op("sparsemax", F((4, 6)), tol=R)
op("threshold", F(), C(0.1), C(-5.0))

# ---- casts, segments, rearrange -------------------------------------------------------------------
op("saturate_cast", F(lo=-300.0, hi=300.0), C("uint8"), grad=False)
_IDS = np.array([0, 2, 3, 1, 0, 3], np.int32)  # unsorted, no empty segment (its inf min would make sum(w*out) NaN)
op("segment_min", F((6, 3)), C(_IDS), kw={"num_segments": 4})
op("segment_prod", F((6, 3), 0.5, 1.5), C(_IDS), kw={"num_segments": 4}, tol=R)
op("rearrange", F((2, 6, 4, 3)), C("b (h1 h) (w1 w) c -> (b h1 w1) h w c"), kw={"h1": 2, "w1": 2})


# ---- function transforms --------------------------------------------------------------------------
def _clipped_square(o):
    """``x**2`` whose gradient is clipped to [-1, 1] (``grad_fn(upstream)``, Keras' JAX form)."""

    @o.custom_gradient
    def f(x):
        def grad_fn(upstream):
            return o.multiply(upstream, o.clip(o.multiply(x, 2.0), -1.0, 1.0))

        return o.square(x), grad_fn

    return f


op("custom_gradient", F(), fn=lambda o, x: _clipped_square(o)(x))
# forward values only: the NumPy tape cannot differentiate through jvp (no nested differentiation,
# a documented limitation of the NumPy backend), so the outer VJP of this case is not taken.
op("jvp", F(), F(), fn=lambda o, x, v: o.jvp(lambda a: o.multiply(o.sin(a), a), (x,), (v,)), grad=False)
op("map", F((4, 3)), fn=lambda o, x: o.map(lambda v: o.sum(o.square(v)), x), tol=R)
op(
    "vectorized_map",
    F((5, 3)),
    F((5, 3)),
    fn=lambda o, x, y: o.vectorized_map(lambda e: (o.sum(o.multiply(e[0], e[1])), o.subtract(e[0], e[1])), [x, y]),
    tol=R,
)
op("associative_scan", F((7, 3)), fn=lambda o, x: o.associative_scan(o.add, x, axis=0), tol=R)
op(
    "associative_scan_reverse_mul",
    F((3, 6), 0.5, 1.5),
    fn=lambda o, x: o.associative_scan(o.multiply, x, reverse=True, axis=1),
    tol=R,
    base="associative_scan",
)

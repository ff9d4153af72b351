"""Cross-backend cases of ``keras.ops.image`` (``kshim.ops.image``): resize, warps, sampling,
patches, filters and colour conversions.

The image ops live in the submodule ``kshim.ops.image`` (not star-imported into ``kshim.ops``), so
every case calls them through ``fn=`` as ``o.image.<name>`` and names ``base="image.<name>"``: the
case is ``ops.image.<name>`` and requires ``kshim.ops.image.<name>``. Warps and samplers
interpolate at fixed non-integer coordinates (no pixel-boundary ties); filters, resampling and
SSIM sum over windows: the ``reduction`` tolerance.
"""

from __future__ import annotations

from .ops import F, R, op
from .ops_numpy_extra import V


def image_op(name: str, *inputs, fn, base: str | None = None, **kw) -> None:
    """Register ``ops.image.<name>`` calling ``fn(kshim.ops.image, *args)`` (a variant case names the
    op it exercises in ``base``)."""
    op(f"image.{name}", *inputs, fn=lambda o, *a: fn(o.image, *a), base=f"image.{base or name}", **kw)


IMG = (2, 6, 6, 3)
_AFFINE = [[1.1, 0.1, -0.45, 0.05, 0.9, 0.3, 0.0, 0.0], [0.95, -0.08, 0.35, 0.12, 1.05, -0.2, 0.01, -0.02]]
_START = [[[0.0, 0.0], [5.0, 0.0], [5.0, 5.0], [0.0, 5.0]]] * 2
_END = [[[0.3, 0.2], [4.6, 0.45], [5.2, 4.7], [0.15, 5.3]], [[-0.2, 0.35], [5.1, -0.15], [4.75, 5.25], [0.4, 4.8]]]

# ---- colour ---------------------------------------------------------------------------------------
image_op("rgb_to_grayscale", F(IMG, 0.0, 1.0), fn=lambda m, x: m.rgb_to_grayscale(x))
image_op("rgb_to_hsv", F(IMG, 0.05, 0.95), fn=lambda m, x: m.rgb_to_hsv(x))
image_op("hsv_to_rgb", F(IMG, 0.05, 0.95), fn=lambda m, x: m.hsv_to_rgb(x))

# ---- resampling -----------------------------------------------------------------------------------
image_op("resize", F((2, 5, 5, 3)), fn=lambda m, x: m.resize(x, (7, 4)), tol=R)
image_op(
    "resize_bicubic_antialias",
    F((2, 8, 8, 3)),
    fn=lambda m, x: m.resize(x, (5, 3), interpolation="bicubic", antialias=True),
    tol=R,
    base="resize",
)
image_op(
    "scale_and_translate",
    F((2, 5, 5, 3)),
    V([1.4, 0.8]),
    V([0.1, -0.2]),
    fn=lambda m, x, s, t: m.scale_and_translate(x, (2, 7, 4, 3), s, t, (1, 2), "linear"),
    tol=R,
)
image_op(
    "map_coordinates",
    F((5, 6)),
    V([[0.3, 1.7, 2.25, 3.6], [4.1, 0.45, 2.8, 1.35]]),
    fn=lambda m, x, c: m.map_coordinates(x, c, 1, fill_mode="nearest"),
    tol=R,
)

# ---- warps ----------------------------------------------------------------------------------------
image_op("affine_transform", F(IMG), V(_AFFINE), fn=lambda m, x, t: m.affine_transform(x, t), tol=R)
image_op(
    "perspective_transform", F(IMG), V(_START), V(_END), fn=lambda m, x, s, e: m.perspective_transform(x, s, e), tol=R
)
image_op(
    "elastic_transform", F((2, 8, 8, 3)), fn=lambda m, x: m.elastic_transform(x, alpha=2.0, sigma=1.5, seed=3), tol=R
)

# ---- patches, crop, pad ---------------------------------------------------------------------------
image_op("extract_patches", F(IMG), fn=lambda m, x: m.extract_patches(x, 3, strides=2, padding="same"))
image_op("extract_patches_3d", F((1, 4, 4, 4, 2)), fn=lambda m, x: m.extract_patches_3d(x, 2))
image_op("crop_images", F(IMG), fn=lambda m, x: m.crop_images(x, 1, 2, target_height=3, target_width=3))
image_op("pad_images", F((2, 4, 4, 3)), fn=lambda m, x: m.pad_images(x, 1, 2, target_height=7, target_width=8))

# ---- filters --------------------------------------------------------------------------------------
image_op("gaussian_blur", F(IMG), fn=lambda m, x: m.gaussian_blur(x, (3, 5), (1.0, 1.5)), tol=R)
image_op("sobel_edges", F(IMG), fn=lambda m, x: m.sobel_edges(x), tol=R)
image_op(
    "ssim",
    F((2, 12, 12, 3), 0.0, 1.0),
    F((2, 12, 12, 3), 0.0, 1.0),
    fn=lambda m, a, b: m.ssim(a, b, max_val=1.0, filter_size=5),
    tol=R,
)

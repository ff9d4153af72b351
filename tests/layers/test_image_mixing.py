"""RandomErasing, MixUp, CutMix, Pipeline, AugMix and RandAugment against real Keras 3 (JAX backend).

Keras applies the transformation kshim drew (converted to NumPy, and for AugMix rewritten in
Keras' layer-name form), so both sides run the same augmentation; tolerances are TOL from
test_image_color_helpers (AugMix/RandAugment chain up to a few warps and colour ops: the same).

Without Keras the same transformations are checked against NumPy restatements of the mixing
formulas (erase = where(mask, fill, x); MixUp = w x + (1 - w) x[perm]; CutMix = where(box, x[perm], x),
labels weighted by the untouched area) and, for AugMix/RandAugment/Pipeline, against their own
sub-layers applied in the documented order; these are a few float32 operations on 0..255 values,
so TOL (float32 roundings, ~1e-5 relative) again.
"""
from __future__ import annotations

import numpy as np
import pytest

from kshim import ops
from kshim.layers import Input
from kshim.layers import preprocessing as P

from .test_image_color_helpers import (TOL, assert_same_across_backends, assert_seeded_reproducible, check_call,
                                       check_transform, images, keras, npy, outputs_per_backend, pair, same_config,
                                       to_tensors, tree_np)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def f32(*a, shape=None):
    v = np.asarray(a, "float32")
    return v.reshape(shape) if shape else v


def _box_masks(shape, boxes):
    """Boolean masks (N, H, W, C) of [x0, x1) x [y0, y1) boxes, built independently of the layers."""
    m = np.zeros(shape, bool)
    for i, (x0, x1, y0, y1) in enumerate(boxes):
        m[i, y0:y1, x0:x1, :] = True
    return m


# ---- RandomErasing ---------------------------------------------------------------------------------
def test_random_erasing_transform_matches_keras(backend):
    x = images()
    t = {"apply_erasing": np.array([True, False]), "batch_masks": _box_masks(x.shape, [(1, 4, 2, 7), (0, 3, 0, 2)]),
         "fill_value": images(seed=5)}
    y = check_transform("RandomErasing", {}, x, t)
    np.testing.assert_array_equal(y[1], x[1])
    check_transform("RandomErasing", dict(value_range=(0, 1)), x / 255.0, dict(t, fill_value=t["fill_value"] / 255))


def test_random_erasing_transform_matches_numpy_reference(backend):
    x = images()
    t = {"apply_erasing": np.array([True, False]), "batch_masks": _box_masks(x.shape, [(1, 4, 2, 7), (0, 3, 0, 2)]),
         "fill_value": images(seed=5)}
    y = npy(P.RandomErasing().transform_images(ops.convert_to_tensor(x), to_tensors(t)))
    want = np.where(t["batch_masks"] & t["apply_erasing"][:, None, None, None], t["fill_value"], x)
    np.testing.assert_array_equal(y, want)  # values are moved, not computed


@pytest.mark.parametrize("kw,want", [
    (dict(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0), lambda x: np.full_like(x, 7.0)),
    # fill values are clipped to value_range
    (dict(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=300.0, value_range=(0, 1)), lambda x: np.ones_like(x)),
    (dict(factor=(0.0, 0.0)), lambda x: x),
])
def test_random_erasing_deterministic_call_matches_numpy_reference(backend, kw, want):
    x = images()
    np.testing.assert_array_equal(npy(P.RandomErasing(**kw)(x)), want(x))


@pytest.mark.parametrize("kw", [dict(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=7.0),
                                dict(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=300.0, value_range=(0, 1)),
                                dict(factor=(0.0, 0.0))])
def test_random_erasing_deterministic_call_matches_keras(backend, kw):
    check_call("RandomErasing", kw, images())


def test_random_erasing_per_channel_fill(backend):
    # Keras-JAX fails on a tuple fill_value (jnp.full_like rejects tuples); kshim fills per channel.
    y = npy(P.RandomErasing(factor=(1.0, 1.0), scale=(1.0, 1.0), fill_value=(1.0, 300.0, 3.0))(images()))
    np.testing.assert_array_equal(y, np.broadcast_to(np.array([1.0, 255.0, 3.0], "float32"), y.shape))


def test_random_erasing_draws(backend):
    x = images((16, 20, 20, 3))
    layer = P.RandomErasing(factor=(1.0, 1.0), scale=(0.04, 0.25), fill_value=0.0, seed=3)
    t = layer.get_random_transformation(x)
    m = npy(t["batch_masks"])
    assert m.shape == x.shape and npy(t["apply_erasing"]).all()
    for i in range(16):  # one axis-aligned box per image, sides sqrt(scale) of the image sides
        ys, xs = np.nonzero(m[i, ..., 0])
        assert m[i, ys.min():ys.max() + 1, xs.min():xs.max() + 1].all()
        assert 0.2 * 20 - 1 <= ys.max() - ys.min() + 1 <= 0.5 * 20 + 1
        assert 0.2 * 20 - 1 <= xs.max() - xs.min() + 1 <= 0.5 * 20 + 1
    y = npy(layer(x))
    assert (y == 0).sum() >= m.sum() and layer.get_random_transformation(x, training=False) is None


# ---- MixUp ---------------------------------------------------------------------------------------------
def test_mixup_transforms_match_keras(backend):
    x = images((3, 9, 7, 3))
    t = {"mix_weight": f32(0.2, 0.9, 0.5), "permutation_order": np.array([2, 0, 1], "int32")}
    check_transform("MixUp", {}, x, t)
    labels = np.eye(4, dtype="float32")[[0, 3, 1]]
    y = check_transform("MixUp", {}, labels, t, method="transform_labels")
    np.testing.assert_allclose(y[0], 0.2 * labels[0] + 0.8 * labels[2], rtol=1e-6)


def test_mixup_transforms_match_numpy_reference(backend):
    x = images((3, 9, 7, 3))
    w, perm = f32(0.2, 0.9, 0.5), np.array([2, 0, 1], "int32")
    t = {"mix_weight": w, "permutation_order": perm}
    layer = P.MixUp()
    y = npy(layer.transform_images(ops.convert_to_tensor(x), to_tensors(t)))
    wi = w.astype(np.float64)[:, None, None, None]
    np.testing.assert_allclose(y, wi * x + (1 - wi) * x[perm], **TOL)
    labels = np.eye(4, dtype="float32")[[0, 3, 1]]
    got = npy(layer.transform_labels(ops.convert_to_tensor(labels), to_tensors(t)))
    np.testing.assert_allclose(got, w[:, None] * labels + (1 - w[:, None]) * labels[perm], rtol=1e-6, atol=1e-7)


def test_mixup_boxes_and_masks_follow_the_partner(backend):
    layer = P.MixUp(bounding_box_format="xyxy", seed=1)
    t = {"mix_weight": ops.convert_to_tensor(f32(0.25, 0.75)), "permutation_order": ops.convert_to_tensor(
        np.array([1, 0], "int32"))}
    bb = {"boxes": ops.convert_to_tensor(f32(0, 0, 1, 1, 2, 2, 3, 3, shape=(2, 1, 4))),
          "labels": ops.convert_to_tensor(np.array([[5], [6]], "int32"))}
    out = tree_np(layer.transform_bounding_boxes(bb, t))
    np.testing.assert_array_equal(out["boxes"], [[[0, 0, 1, 1], [2, 2, 3, 3]], [[2, 2, 3, 3], [0, 0, 1, 1]]])
    np.testing.assert_array_equal(out["labels"], [[5, 6], [6, 5]])  # kshim: along the box axis (see MixUp)
    masks = np.stack([np.zeros((4, 4, 1), "float32"), np.ones((4, 4, 1), "float32")])
    # mask_i = w_i * mask_i + (1 - w_i) * mask_partner(i): 0.25 * 0 + 0.75 * 1 and 0.75 * 1 + 0.25 * 0
    np.testing.assert_allclose(npy(layer.transform_segmentation_masks(masks, t))[:, 0, 0, 0], [0.75, 0.75])


def test_mixup_call_mixes_images_and_labels_consistently(backend):
    x = images((6, 9, 7, 3))
    labels = np.eye(6, dtype="float32")
    out = P.MixUp(alpha=0.5, seed=4)({"images": x, "labels": labels})
    y, lab = npy(out["images"]), npy(out["labels"])
    # With one-hot labels the mixing is visible in them: row i is w e_i + (1 - w) e_j, and the image
    # must be the same combination of the batch.
    np.testing.assert_allclose(y.reshape(6, -1), lab @ x.reshape(6, -1), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(lab.sum(axis=1), 1.0, rtol=1e-6)
    assert (np.count_nonzero(lab > 1e-3, axis=1) == 2).any()


# ---- CutMix --------------------------------------------------------------------------------------------
def test_cutmix_transforms_match_keras(backend):
    x = images((3, 9, 7, 3))
    masks = _box_masks(x.shape, [(1, 4, 2, 7), (0, 3, 0, 2), (0, 0, 0, 0)])
    t = {"permutation_order": np.array([1, 2, 0], "int32"), "batch_masks": masks,
         "mix_weight": f32(1 - 15 / 63, 1 - 6 / 63, 1.0, shape=(3, 1, 1, 1))}
    check_transform("CutMix", {}, x, t)
    check_transform("CutMix", {}, np.eye(3, dtype="float32"), t, method="transform_labels")
    seg = images((3, 9, 7, 1), seed=2).round()
    check_transform("CutMix", {}, seg, t, method="transform_segmentation_masks")


def test_cutmix_transforms_match_numpy_reference(backend):
    x = images((3, 9, 7, 3))
    masks = _box_masks(x.shape, [(1, 4, 2, 7), (0, 3, 0, 2), (0, 0, 0, 0)])
    perm = np.array([1, 2, 0], "int32")
    w = f32(1 - 15 / 63, 1 - 6 / 63, 1.0, shape=(3, 1, 1, 1))
    t = to_tensors({"permutation_order": perm, "batch_masks": masks, "mix_weight": w})
    layer = P.CutMix()
    np.testing.assert_array_equal(npy(layer.transform_images(ops.convert_to_tensor(x), t)),
                                  np.where(masks, x[perm], x))
    labels = np.eye(3, dtype="float32")
    wl = w.reshape(-1, 1)
    np.testing.assert_allclose(npy(layer.transform_labels(ops.convert_to_tensor(labels), t)),
                               wl * labels + (1 - wl) * labels[perm], rtol=1e-6, atol=1e-7)
    seg = images((3, 9, 7, 1), seed=2).round()
    # masks take the images' path: the (N, H, W, 3) box masks broadcast a 1-channel mask to 3, as in Keras
    np.testing.assert_array_equal(npy(layer.transform_segmentation_masks(ops.convert_to_tensor(seg), t)),
                                  np.where(masks, seg[perm], seg))


def test_cutmix_labels_weight_is_the_untouched_area(backend):
    x = images((8, 10, 12, 3))
    layer = P.CutMix(factor=(0.5, 1.0), seed=7)
    t = layer.get_random_transformation(x)
    m, w = npy(t["batch_masks"]), npy(t["mix_weight"])
    order = npy(t["permutation_order"])
    assert sorted(order.tolist()) == list(range(8))
    # The pasted box is the pixel grid inside [x0, x1) x [y0, y1); its area is near (1 - w) * H * W.
    np.testing.assert_allclose(m[..., 0].mean(axis=(1, 2)), 1 - w, atol=0.25)
    y = npy(layer.transform_images(x, t))
    np.testing.assert_array_equal(np.where(m, x[order], x), y)
    assert layer.get_random_transformation(x[0]) is None
    np.testing.assert_array_equal(npy(layer(x[0])), x[0])  # single images pass through


def test_cutmix_has_no_bounding_boxes(backend):
    with pytest.raises(NotImplementedError):
        P.CutMix(bounding_box_format="xyxy").transform_bounding_boxes({}, None)


# ---- configs, seeds, training=False ------------------------------------------------------------------
CONFIG_CASES = [
    ("RandomErasing", dict(factor=0.5, scale=0.2, fill_value=(1, 2, 3), value_range=(0, 1), seed=2)),
    ("RandomErasing", dict()),
    ("MixUp", dict(alpha=0.7, seed=3, data_format="channels_first")),
    ("CutMix", dict(factor=(0.2, 0.6), seed=1)),
    ("AugMix", dict()),
    ("AugMix", dict(value_range=(0, 1), num_chains=2, chain_depth=4, factor=(0.1, 0.5), alpha=0.5, all_ops=False,
                    interpolation="nearest", seed=3)),
    ("RandAugment", dict()),
    ("RandAugment", dict(value_range=(-1, 1), num_ops=3, factor=0.2, interpolation="nearest", seed=5)),
]


@pytest.mark.parametrize("name,kw", CONFIG_CASES)
def test_config_matches_keras(name, kw):
    k, s = pair(name, name="layer", **kw)
    same_config(k, s)


@pytest.mark.parametrize("name,kw", CONFIG_CASES)
def test_config_round_trips(backend, name, kw):
    layer = getattr(P, name)(name="layer", **kw)
    cfg = layer.get_config()
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg
    if cfg.get("seed") is not None and cfg.get("data_format") != "channels_first":
        lo, hi = sorted(cfg.get("value_range", (0, 255)))
        x = {"images": (images((4, 9, 7, 3)) / 255.0 * (hi - lo) + lo).astype("float32"),
             "labels": np.eye(4, dtype="float32")}
        np.testing.assert_array_equal(npy(clone(x)["images"]), npy(layer(x)["images"]))  # the same first draw


RANDOM_LAYERS = {
    "RandomErasing": lambda: P.RandomErasing(seed=31),
    "MixUp": lambda: P.MixUp(seed=31),
    "CutMix": lambda: P.CutMix(seed=31),
    "AugMix": lambda: P.AugMix(num_chains=2, chain_depth=2, seed=31),
    "RandAugment": lambda: P.RandAugment(seed=31),
}


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_output_on_every_backend(name):
    x = {"images": images((4, 9, 7, 3)), "labels": np.eye(4, dtype="float32")}
    # AugMix chains posterization (uint8 truncation) and equalization (histogram bins) after warps: an
    # ulp of difference in a warped value can cross a bin edge, moving that pixel by one bin times its
    # chain weight. Such pixels are allowed in AugMix only, at most 1% of them.
    assert_same_across_backends(outputs_per_backend(RANDOM_LAYERS[name], x), atol=1e-3,
                                mismatch_frac=0.01 if name == "AugMix" else 0.0)


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_same_seed_same_output_on_each_backend(backend, name):
    assert_seeded_reproducible(RANDOM_LAYERS[name], {"images": images((4, 9, 7, 3)),
                                                     "labels": np.eye(4, dtype="float32")})


@pytest.mark.parametrize("name", sorted(RANDOM_LAYERS))
def test_training_false_is_identity_and_symbolic_shape(backend, name):
    x = images()
    layer = RANDOM_LAYERS[name]()
    np.testing.assert_array_equal(npy(layer(x, training=False)), x)
    assert tuple(layer(Input(shape=(9, 7, 3))).shape) == (None, 9, 7, 3)


# ---- Pipeline ------------------------------------------------------------------------------------------
def test_pipeline_matches_keras_and_round_trips(backend):
    def build(lib):
        return lib.layers.Pipeline([lib.layers.AutoContrast(name="ac"), lib.layers.RandomInvert((1.0, 1.0), name="inv"),
                                    lib.layers.Solarization(value_range=(0, 255), name="sol")], name="pipe")
    import kshim
    kp, sp = build(keras), build(kshim)
    kc, sc = kp.get_config(), sp.get_config()
    assert kc == sc, (kc, sc)
    x = images()
    np.testing.assert_allclose(npy(sp(x)), np.asarray(kp(x)), **TOL)
    np.testing.assert_array_equal(npy(sp(x, training=False)), npy(P.AutoContrast()(x)))
    again = P.Pipeline.from_config(sc)
    assert [type(layer).__name__ for layer in again.layers] == ["AutoContrast", "RandomInvert", "Solarization"]
    np.testing.assert_allclose(npy(again(x)), npy(sp(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="layers"):
        P.Pipeline.from_config({"name": "p"})


def test_pipeline_is_its_layers_in_order_and_round_trips(backend):
    layers_ = [P.AutoContrast(name="ac"), P.RandomInvert((1.0, 1.0), name="inv"),
               P.Solarization(value_range=(0, 255), name="sol")]
    pipe = P.Pipeline(layers_, name="pipe")
    x = images()
    y = x
    for layer in layers_:
        y = npy(layer(y))
    np.testing.assert_allclose(npy(pipe(x)), y, rtol=1e-6, atol=1e-6)  # the same ops in the same order
    # AutoContrast then inversion of [0, 255]: 255 - stretched; Solarization(threshold 0) inverts again
    lo, hi = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(npy(pipe(x)), (x - lo.astype(np.float64)) * 255 / (hi - lo), **TOL)
    cfg = pipe.get_config()
    again = P.Pipeline.from_config(cfg)
    assert again.get_config() == cfg
    assert [type(layer).__name__ for layer in again.layers] == ["AutoContrast", "RandomInvert", "Solarization"]
    np.testing.assert_allclose(npy(again(x)), npy(pipe(x)), rtol=1e-6)
    np.testing.assert_array_equal(npy(pipe(x, training=False)), npy(P.AutoContrast()(x)))


def test_pipeline_passes_dicts_and_runs_on_numpy(backend):
    pipe = P.Pipeline([P.RandomGrayscale(1.0), P.MixUp(seed=2)])
    x = {"images": images(), "labels": np.eye(2, dtype="float32")}
    out = P.run_on_numpy(pipe, x)
    assert isinstance(out["images"], np.ndarray) and out["images"].shape == (2, 9, 7, 3)
    np.testing.assert_allclose(out["images"][..., 0], out["images"][..., 2], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(out["labels"].sum(axis=1), 1.0, rtol=1e-6)
    assert tuple(pipe(Input(shape=(9, 7, 3))).shape) == (None, 9, 7, 3)


# ---- AugMix / RandAugment ----------------------------------------------------------------------------
def _keras_augmix_transformation(layer, t):
    """kshim's AugMix transformation in Keras' form (layer names per step, identity steps dropped)."""
    names = layer._augment_layers
    chains = []
    for chain in t["chain_transforms"]:
        steps = []
        for step in chain:
            i = int(npy(step["layer_index"]))
            if i < len(names):
                steps.append({"layer_name": names[i], "transformation": tree_np(step["transformations"][names[i]])})
        chains.append(steps)
    return {"chain_mixing_weights": npy(t["chain_mixing_weights"]), "weight_sample": npy(t["weight_sample"]),
            "chain_transforms": chains}


@pytest.mark.parametrize("kw", [dict(seed=4), dict(seed=8, all_ops=False, chain_depth=4, value_range=(0, 1))])
def test_augmix_matches_keras_on_the_same_transformation(backend, kw):
    x = images()
    if kw.get("value_range") == (0, 1):
        x = x / 255.0
    s = P.AugMix(**kw)
    t = s.get_random_transformation(x)
    picks = [int(npy(step["layer_index"])) for chain in t["chain_transforms"] for step in chain]
    assert len(picks) == s.num_chains * s.chain_depth and len(set(picks)) > 1
    y = npy(s.transform_images(ops.convert_to_tensor(x), t))
    k = keras.layers.AugMix(**kw)
    ky = np.asarray(k.transform_images(x, _keras_augmix_transformation(s, t)))
    np.testing.assert_allclose(y, ky, **TOL)
    lo, hi = kw.get("value_range", (0, 255))
    assert y.min() >= lo and y.max() <= hi


@pytest.mark.parametrize("kw", [dict(seed=4), dict(seed=8, all_ops=False, chain_depth=4, value_range=(0, 1))])
def test_augmix_is_its_weighted_chains(backend, kw):
    """AugMix = clip(w x + (1 - w) sum_k m_k chain_k(x)), each chain its sub-layers in order."""
    x = images()
    if kw.get("value_range") == (0, 1):
        x = x / 255.0
    s = P.AugMix(**kw)
    t = s.get_random_transformation(x)
    y = npy(s.transform_images(ops.convert_to_tensor(x), t))
    names = s._augment_layers
    mix = np.zeros(x.shape)
    weights = npy(t["chain_mixing_weights"]).astype(np.float64)
    for k, chain in enumerate(t["chain_transforms"]):
        z = ops.convert_to_tensor(x)
        for step in chain:
            i = int(npy(step["layer_index"]))
            if i < len(names):  # indices past the sub-layers are the identity
                z = getattr(s, names[i]).transform_images(z, step["transformations"][names[i]])
        mix += weights[k] * npy(z)
    w = npy(t["weight_sample"]).astype(np.float64)
    lo, hi = kw.get("value_range", (0, 255))
    np.testing.assert_allclose(y, np.clip(w * x + (1 - w) * mix, lo, hi), **TOL)
    assert not np.allclose(y, x, atol=1e-3)


def test_randaugment_is_its_picked_layers_in_order(backend):
    x = images()
    s = P.RandAugment(num_ops=3, seed=6)
    t = s.get_random_transformation(x)
    for idx in ([0, 5, 8], [3, 10, 9], [1, 2, 7], [4, 6, 4]):
        t["layer_idxes"] = ops.convert_to_tensor(np.array(idx, "int32"))
        y = npy(s.transform_images(ops.convert_to_tensor(x), t))
        ref = ops.convert_to_tensor(x)
        for i in idx:
            name = s._AUGMENT_LAYERS[i]
            ref = getattr(s, name).transform_images(ref, t["transforms"][name])
        np.testing.assert_allclose(y, npy(ref), rtol=1e-6, atol=1e-6, err_msg=str(idx))


def test_randaugment_matches_keras_on_the_same_transformation(backend):
    x = images()
    s = P.RandAugment(num_ops=3, seed=6)
    k = keras.layers.RandAugment(num_ops=3)
    t = s.get_random_transformation(x)
    # Every sub-layer at least once. Not auto_contrast right before equalization: auto-contrast leaves
    # values a few ulps below 255, where XLA's fused ``x * 255 / 255`` and an exact one truncate to
    # different histogram bins (Keras' own result there changes with the fusion).
    for idx in ([0, 5, 8], [3, 10, 9], [1, 2, 7], [4, 6, 4]):
        t["layer_idxes"] = ops.convert_to_tensor(np.array(idx, "int32"))
        y = npy(s.transform_images(ops.convert_to_tensor(x), t))
        ky = np.asarray(k.transform_images(x, tree_np(t)))
        np.testing.assert_allclose(y, ky, **TOL, err_msg=str(idx))
        ref = ops.convert_to_tensor(x)
        for i in idx:
            name = s._AUGMENT_LAYERS[i]
            ref = getattr(s, name).transform_images(ref, t["transforms"][name])
        np.testing.assert_allclose(y, npy(ref), rtol=1e-6, atol=1e-6)


def test_randaugment_moves_boxes_and_masks_with_its_geometric_picks(backend):
    layer = P.RandAugment(num_ops=1, factor=0.5, bounding_box_format="xyxy", seed=2)
    x = images((1, 9, 7, 3))
    masks = np.zeros((1, 9, 7, 1), "int32")
    masks[0, 3:6, 2:5] = 1
    bb = {"boxes": f32(2, 3, 5, 6, shape=(1, 1, 4)), "labels": np.array([[1]], "int32")}
    t = layer.get_random_transformation({"images": x, "bounding_boxes": bb})
    t["layer_idxes"] = ops.convert_to_tensor(np.array([2], "int32"))  # random_rotation
    rot = layer.random_rotation
    got_m = npy(layer.transform_segmentation_masks(ops.convert_to_tensor(masks), t))
    want_m = npy(rot.transform_segmentation_masks(ops.convert_to_tensor(masks), t["transforms"]["random_rotation"]))
    np.testing.assert_array_equal(got_m, want_m)
    boxes = to_tensors(bb)
    got_b = tree_np(layer.transform_bounding_boxes(dict(boxes), t))
    want_b = tree_np(rot.transform_bounding_boxes(dict(boxes), t["transforms"]["random_rotation"]))
    np.testing.assert_allclose(got_b["boxes"], want_b["boxes"], rtol=1e-5, atol=1e-5)
    t["layer_idxes"] = ops.convert_to_tensor(np.array([5], "int32"))  # random_contrast: boxes stay
    np.testing.assert_allclose(tree_np(layer.transform_bounding_boxes(dict(boxes), t))["boxes"], bb["boxes"])

"""Traced shape, indexing, gather/scatter, sorting and linear-algebra ops (one VJP each)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import rawops as R
from .tensor import Tensor, make, unbroadcast, val


def _is(x):
    return x.__class__ is Tensor


def reshape(x, shape):
    xv = x.value
    return make(np.reshape(xv, shape), (x,), lambda g: (np.reshape(g, xv.shape),))


def transpose(x, axes):
    inv = tuple(np.argsort(axes))
    return make(np.transpose(x.value, axes), (x,), lambda g: (np.transpose(g, inv),))


def broadcast_to(x, shape):
    xs = x.value.shape
    return make(np.broadcast_to(x.value, shape), (x,), lambda g: (unbroadcast(g, xs),))


def concatenate(xs, axis):
    vals = [val(x) for x in xs]
    out = np.concatenate(vals, axis=axis)
    ax = axis % out.ndim
    splits = np.cumsum([v.shape[ax] for v in vals])[:-1]

    def vjp(g):
        parts = np.split(g, splits, axis=ax)
        return tuple(p if _is(x) else None for p, x in zip(parts, xs))

    return make(out, tuple(xs), vjp)


def stack(xs, axis=0):
    out = np.stack([val(x) for x in xs], axis=axis)

    def vjp(g):
        return tuple(np.take(g, i, axis=axis) if _is(x) else None for i, x in enumerate(xs))

    return make(out, tuple(xs), vjp)


def pad(x, pad_width, mode="constant", constant_values=0):
    xv = x.value
    if mode == "constant":
        out = np.pad(xv, pad_width, mode="constant", constant_values=constant_values)
        sl = tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, xv.shape))
        return make(out, (x,), lambda g: (g[sl],))
    out = np.pad(xv, pad_width, mode=mode)

    def vjp(g):  # pad is linear: route each output cell back to its source index
        src = np.pad(np.arange(xv.size).reshape(xv.shape), pad_width, mode=mode)
        gx = np.bincount(src.ravel(), weights=g.ravel(), minlength=xv.size)
        return (gx.reshape(xv.shape).astype(g.dtype),)

    return make(out, (x,), vjp)


def _basic(key):
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer)) for k in key)


def getitem(x, key):
    xv = x.value
    key = tuple(val(k) for k in key)
    out = xv[key]
    basic = _basic(key)

    def vjp(g):
        z = np.zeros(xv.shape, g.dtype)
        if basic:
            z[key] = g
        else:
            np.add.at(z, key, g)
        return (z,)

    return make(np.asarray(out), (x,), vjp)


def slice_update(x, key, update):
    xv, uv = val(x), val(update)
    out = R.slice_update(xv, key, uv)
    us = np.shape(uv)

    def vjp(g):
        gx = None
        if _is(x):
            gx = g.copy()
            gx[key] = 0
        return gx, (unbroadcast(g[key], us) if _is(update) else None)

    return make(out, (x, update), vjp)


def take(x, indices, axis):
    xv, iv = x.value, val(indices)
    out = np.take(xv, iv, axis=axis)

    def vjp(g):
        z = np.zeros(xv.shape, g.dtype)
        np.add.at(z, (slice(None),) * axis + (iv,), g)
        return (z,)

    return make(out, (x, indices), vjp)


def _along_index(xshape, ishape, axis):
    """Full fancy-index tuple equivalent to ``take_along_axis`` with index shape ``ishape``."""
    nd = len(xshape)
    oshape = tuple(ishape[d] if d == axis else max(xshape[d], ishape[d]) for d in range(nd))
    idx: list[Any] = []
    for d in range(nd):
        shp = [1] * nd
        shp[d] = oshape[d]
        if d == axis:
            idx.append(None)
        elif xshape[d] == 1:
            idx.append(np.zeros(shp, np.intp))
        else:
            idx.append(np.arange(oshape[d]).reshape(shp))
    return idx


def take_along_axis(x, indices, axis):
    xv, iv = x.value, val(indices)
    out = np.take_along_axis(xv, iv, axis=axis)

    def vjp(g):
        idx = _along_index(xv.shape, iv.shape, axis)
        idx[axis] = iv
        z = np.zeros(xv.shape, g.dtype)
        np.add.at(z, tuple(idx), g)
        return (z,)

    return make(out, (x, indices), vjp)


def scatter_add(x, indices, updates):
    xv, iv, uv = val(x), val(indices), val(updates)
    out = R.scatter_add(xv, iv, uv)
    idx = R.scatter_index(iv)
    return make(out, (x, indices, updates), lambda g: (g if _is(x) else None, None, g[idx] if _is(updates) else None))


def scatter_update(x, indices, updates):
    xv, iv, uv = val(x), val(indices), val(updates)
    out = R.scatter_update(xv, iv, uv)
    idx = R.scatter_index(iv)

    def vjp(g):
        gx = gu = None
        if _is(x):
            gx = g.copy()
            gx[idx] = 0
        if _is(updates):
            n = idx[0].size
            winner = np.full(xv.shape[: len(idx)], -1, np.intp)
            winner[tuple(i.ravel() for i in idx)] = np.arange(n)
            won = winner[idx] == np.arange(n).reshape(idx[0].shape)
            gu = g[idx] * won.reshape(won.shape + (1,) * (uv.ndim - won.ndim))
        return gx, None, gu

    return make(out, (x, indices, updates), vjp)


def sort(x, axis):
    xv = x.value
    idx = np.argsort(xv, axis=axis, kind="stable")
    return take_along_axis(x, idx, axis)


def top_k(x, k):
    idx = R.top_k_indices(x.value, k)
    return take_along_axis(x, idx, -1), idx


def matmul(a, b):
    av, bv = val(a), val(b)
    out = np.matmul(av, bv)

    def vjp(g):
        A = av[None, :] if av.ndim == 1 else av
        Bm = bv[:, None] if bv.ndim == 1 else bv
        G = g
        if av.ndim == 1 and bv.ndim == 1:
            G = np.reshape(g, (1, 1))
        elif av.ndim == 1:
            G = np.expand_dims(G, -2)
        elif bv.ndim == 1:
            G = np.expand_dims(G, -1)
        ga = gb = None
        if _is(a):
            ga = unbroadcast(np.matmul(G, np.swapaxes(Bm, -1, -2)), A.shape).reshape(av.shape)
        if _is(b):
            gb = unbroadcast(np.matmul(np.swapaxes(A, -1, -2), G), Bm.shape).reshape(bv.shape)
        return ga, gb

    return make(out, (a, b), vjp)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(subscripts, shapes):
    """Explicit subscripts without ellipsis: (input terms, output term)."""
    s = subscripts.replace(" ", "")
    ins, out = (s.split("->") + [None])[:2]
    ins = ins.split(",")
    if "..." in s:
        used = set(s) - set(".,->")
        free = [c for c in _LETTERS if c not in used]
        nell = max(len(sh) - len(t.replace("...", "")) for t, sh in zip(ins, shapes) if "..." in t)
        ell = "".join(free[:nell])
        ins = [t.replace("...", ell[nell - (len(sh) - len(t.replace("...", ""))) :]) for t, sh in zip(ins, shapes)]
        out = None if out is None else out.replace("...", ell)
        if out is None:
            rest = "".join(sorted(c for c in set("".join(ins)) if "".join(ins).count(c) == 1 and c not in ell))
            out = ell + rest
    if out is None:
        joined = "".join(ins)
        out = "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return ins, out


def _einsum_diag_grad(t, v, g, oterm, others, avail):
    """Cotangent of an operand with a repeated index (e.g. ``ii->i``): the gradient over its
    distinct indices, written onto the matching diagonal positions; zero elsewhere."""
    u = "".join(dict.fromkeys(t))
    ushape = [v.shape[t.index(c)] for c in u]
    keep = "".join(c for c in u if c in avail)
    spec = ",".join([oterm] + [s for s, _ in others]) + "->" + keep
    r = np.einsum(spec, g, *[o for _, o in others], optimize=len(others) > 0)
    gu = np.broadcast_to(r.reshape([n if c in keep else 1 for c, n in zip(u, ushape)]), ushape)
    full = np.zeros(v.shape, dtype=np.result_type(v.dtype, g.dtype))
    grids = np.indices(ushape, sparse=True)
    full[tuple(grids[u.index(c)] for c in t)] = gu
    return full


def einsum(subscripts, *ops):
    vals = [val(o) for o in ops]
    out = np.einsum(subscripts, *vals, optimize=len(vals) > 1)
    ins, oterm = _parse_einsum(subscripts, [v.shape for v in vals])
    sizes: dict[str, int] = {}
    for t, v in zip(ins, vals):
        for c, n in zip(t, v.shape):
            sizes[c] = max(sizes.get(c, 1), n)

    def vjp(g):
        res: list[Any] = []
        for i, (t, v) in enumerate(zip(ins, vals)):
            if not _is(ops[i]):
                res.append(None)
                continue
            others = [(ins[j], vals[j]) for j in range(len(vals)) if j != i]
            avail = set(oterm).union(*[set(s) for s, _ in others]) if others else set(oterm)
            if len(set(t)) != len(t):
                res.append(_einsum_diag_grad(t, v, g, oterm, others, avail))
                continue
            keep = "".join(c for c in t if c in avail)
            spec = ",".join([oterm] + [s for s, _ in others]) + "->" + keep
            r = np.einsum(spec, g, *[o for _, o in others], optimize=len(others) > 0)
            full = np.broadcast_to(r.reshape([sizes[c] if c in keep else 1 for c in t]), [sizes[c] for c in t])
            res.append(unbroadcast(full, v.shape))
        return tuple(res)

    return make(np.asarray(out), tuple(ops), vjp)

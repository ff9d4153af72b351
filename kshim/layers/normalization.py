"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization,
RMSNormalization.

Statistics are computed in the input's dtype, except that float16/bfloat16 inputs are promoted to
float32; the output is cast to the layer's compute dtype (as Keras). Unlike Keras, float64 inputs
(under a float64 dtype policy) are computed in float64 end to end. As in Keras, Layer- and
GroupNormalization do not autocast their inputs (``autocast=False``), so under ``mixed_float16`` they
normalize the float32 input before casting the result to float16.
"""

from __future__ import annotations

import math
from typing import Any, cast

from .. import _config
from .._replica import batch_replica
from .. import constraints, initializers, ops, regularizers
from .core import _ser
from ..ops.nn_extra_act import fused_layer_norm
from .layer import Layer

_LOW = ("float16", "bfloat16")


def _compute_dtype(x: Any) -> str:
    d = ops.dtype(x)
    return "float32" if d in _LOW or not d.startswith(("float", "bfloat")) else d


def _check_axes(layer: Any, axes: list, input_shape: Any) -> list:
    nd = len(input_shape)
    out = []
    for a in axes:
        if not -nd <= a < nd:
            raise ValueError(
                f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. Received: axis={layer.axis}"
            )
        out.append(a % nd)
    return out


def _gamma_beta_config(layer: Any) -> dict:
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": _ser(regularizers, layer.beta_regularizer),
        "gamma_regularizer": _ser(regularizers, layer.gamma_regularizer),
        "beta_constraint": _ser(constraints, layer.beta_constraint),
        "gamma_constraint": _ser(constraints, layer.gamma_constraint),
    }


def _init_gamma_beta(
    layer: Any,
    beta_initializer: Any,
    gamma_initializer: Any,
    beta_regularizer: Any,
    gamma_regularizer: Any,
    beta_constraint: Any,
    gamma_constraint: Any,
) -> None:
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_regularizer = regularizers.get(beta_regularizer)
    layer.gamma_regularizer = regularizers.get(gamma_regularizer)
    layer.beta_constraint = constraints.get(beta_constraint)
    layer.gamma_constraint = constraints.get(gamma_constraint)


def _add_gamma(layer: Any, shape: tuple) -> Any:
    return layer.add_weight(
        shape,
        layer.gamma_initializer,
        name="gamma",
        regularizer=layer.gamma_regularizer,
        constraint=layer.gamma_constraint,
        trainable=True,
        autocast=False,
    )


def _add_beta(layer: Any, shape: tuple) -> Any:
    return layer.add_weight(
        shape,
        layer.beta_initializer,
        name="beta",
        regularizer=layer.beta_regularizer,
        constraint=layer.beta_constraint,
        trainable=True,
        autocast=False,
    )


class BatchNormalization(Layer):
    """Normalize with batch statistics while training and moving statistics at inference.

    ``training=True`` (and a trainable layer) uses the batch mean/variance over every axis but
    ``axis`` and updates ``moving_mean``/``moving_variance`` with
    ``moving * momentum + batch * (1 - momentum)``; otherwise the moving statistics are used. A
    frozen layer (``trainable=False``) always runs in inference mode. A ``mask`` of shape
    ``inputs.shape[:-1]`` excludes masked positions from the batch statistics.
    Weights: ``gamma``, ``beta`` (trainable), ``moving_mean``, ``moving_variance``.

    Args:
        axis: The feature axis, which keeps its own statistics (default ``-1``; ``1`` for channels-first images).
        momentum: Momentum of the moving statistics (default ``0.99``).
        epsilon: Small float added to the variance before the square root (default ``1e-3``).
        center: If ``True`` (default), add the learned offset ``beta``.
        scale: If ``True`` (default), multiply by the learned scale ``gamma``.
        beta_initializer: Initializer of ``beta`` (default ``"zeros"``).
        gamma_initializer: Initializer of ``gamma`` (default ``"ones"``).
        moving_mean_initializer: Initializer of ``moving_mean`` (default ``"zeros"``).
        moving_variance_initializer: Initializer of ``moving_variance`` (default ``"ones"``).
        beta_regularizer: Optional regularizer of ``beta``.
        gamma_regularizer: Optional regularizer of ``gamma``.
        beta_constraint: Optional constraint on ``beta``.
        gamma_constraint: Optional constraint on ``gamma``.
        renorm: If ``True``, use batch renormalization (extra ``renorm_mean``/``renorm_stddev`` statistics correct
            the batch statistics during training; default ``False``).
        renorm_clipping: With ``renorm``, an optional dict with keys ``"rmax"``, ``"rmin"`` and ``"dmax"`` clipping
            the correction factors ``r`` and ``d``.
        renorm_momentum: Momentum of the renormalization statistics (default ``0.99``).
        synchronized: Accepted and ignored: kshim computes the statistics over the batch it is given.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For ``renorm_clipping`` with unknown keys, ``rmax < rmin`` or a negative ``dmax``;
            when built, for an ``axis`` of unknown size or outside the input's rank.
    """

    # set by _init_gamma_beta
    beta_initializer: Any
    gamma_initializer: Any
    beta_regularizer: Any
    gamma_regularizer: Any
    beta_constraint: Any
    gamma_constraint: Any

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        renorm: bool = False,
        renorm_clipping: dict | None = None,
        renorm_momentum: float = 0.99,
        synchronized: bool = False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.synchronized = synchronized  # accepted and ignored (single-device)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        _init_gamma_beta(
            self,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.supports_masking = True
        self.renorm = renorm
        if renorm:
            renorm_clipping = renorm_clipping or {}
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError(
                    f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                    f"Supported values: {keys}."
                )
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in keys)
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    f"rmax should be greater than rmin in the `renorm_clipping` argument. "
                    f"Received: rmax={rmax}, rmin={rmin}."
                )
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}."
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        # Variables once built.
        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None
        self._reduction_axes: list[int] | None = None

    def build(self, input_shape: Any) -> None:
        (ax,) = _check_axes(self, [self.axis], input_shape)
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(
                f"BatchNormalization {self.name!r}: axis {self.axis} of the input must have a "
                f"known size, got input shape {tuple(input_shape)}."
            )
        shape = (dim,)
        if self.scale:
            self.gamma = _add_gamma(self, shape)
        if self.center:
            self.beta = _add_beta(self, shape)
        self.moving_mean = self.add_weight(
            shape, self.moving_mean_initializer, name="moving_mean", trainable=False, autocast=False
        )
        self.moving_variance = self.add_weight(
            shape, self.moving_variance_initializer, name="moving_variance", trainable=False, autocast=False
        )
        if self.renorm:
            var_init = self.moving_variance_initializer

            def stddev_init(shape, dtype=None):
                return ops.sqrt(initializers.get(initializers.serialize(var_init))(shape, dtype))

            self.moving_stddev = self.add_weight(
                shape, stddev_init, name="moving_stddev", trainable=False, autocast=False
            )
            self.renorm_mean = self.add_weight(
                shape,
                initializers.get(initializers.serialize(self.moving_mean_initializer)),
                name="renorm_mean",
                trainable=False,
                autocast=False,
            )
            self.renorm_stddev = self.add_weight(
                shape, stddev_init, name="renorm_stddev", trainable=False, autocast=False
            )
        self._ndim = len(input_shape)
        self._reduction_axes = [i for i in range(len(input_shape)) if i != ax]
        self.built = True

    def _moments(self, inputs: Any, mask: Any) -> tuple:
        replica = batch_replica(tuple(ops.shape(inputs)))
        if replica is not None:
            return self._global_moments(inputs, mask, replica)
        if mask is None:
            return ops.moments(inputs, axes=self._reduction_axes)
        c = ops.shape(inputs)[self.axis]
        m = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), ops.shape(inputs))
        w = ops.cast(m, ops.dtype(inputs))
        denom = ops.add(ops.sum(w, self._reduction_axes, keepdims=True), _config.epsilon())
        mean = ops.divide(ops.sum(ops.where(m, inputs, 0.0), self._reduction_axes, keepdims=True), denom)
        diff = ops.where(m, ops.subtract(inputs, mean), 0.0)
        var = ops.divide(ops.sum(ops.square(diff), self._reduction_axes, keepdims=True), denom)
        return ops.reshape(mean, (c,)), ops.reshape(var, (c,))

    def _global_moments(self, inputs: Any, mask: Any, replica: Any) -> tuple:
        """The statistics of the global batch in a data-parallel step on torch (``kshim._replica``):
        two differentiable sums over the replicas (the mean, then the centred squares), so they
        equal single-device statistics of the whole batch. A mask weights positions as above."""
        axes: list[int] = list(self._reduction_axes or [])
        shape_in = tuple(int(d) for d in ops.shape(inputs))
        if mask is None:
            w = None
            n = ops.cast(math.prod([shape_in[a] for a in axes]), ops.dtype(inputs))
            n = replica.sum(n)
        else:
            m = ops.broadcast_to(ops.expand_dims(ops.cast(mask, "bool"), -1), ops.shape(inputs))
            w = ops.cast(m, ops.dtype(inputs))
            n = ops.add(replica.sum(ops.sum(w, axes)), _config.epsilon())
        xs = inputs if w is None else ops.multiply(inputs, w)
        mean = ops.divide(replica.sum(ops.sum(xs, axes)), n)
        shape = [1] * len(ops.shape(inputs))
        shape[self.axis] = int(ops.shape(inputs)[self.axis])
        sq = ops.square(ops.subtract(inputs, ops.reshape(mean, shape)))
        sq = sq if w is None else ops.multiply(sq, w)
        return mean, ops.divide(replica.sum(ops.sum(sq, axes)), n)

    def call(self, inputs: Any, training: bool = False, mask: Any = None) -> Any:
        if mask is not None and len(ops.shape(mask)) != len(ops.shape(inputs)) - 1:
            raise ValueError(
                "The mask provided should be one dimension less than the inputs. Received: "
                f"mask.shape={tuple(ops.shape(mask))}, inputs.shape={tuple(ops.shape(inputs))}"
            )
        cd = _compute_dtype(inputs)
        x = ops.cast(inputs, cd)
        moving_mean = ops.cast(self.moving_mean, cd)
        moving_variance = ops.cast(self.moving_variance, cd)
        gamma = ops.cast(self.gamma, cd) if self.scale else None
        beta = ops.cast(self.beta, cd) if self.center else None
        if training and self.trainable:
            mean, variance = self._moments(x, mask)
            if self.renorm:
                r, d = self._renorm_correction(mean, variance)
                r, d = ops.stop_gradient(r), ops.stop_gradient(d)
                if gamma is not None:
                    gamma, eff_beta = ops.multiply(r, gamma), ops.multiply(d, gamma)
                else:
                    gamma, eff_beta = r, d
                beta = eff_beta if beta is None else ops.add(eff_beta, beta)
                self._update_renorm(mean, variance)
            else:
                self.moving_mean.assign(
                    ops.add(ops.multiply(moving_mean, self.momentum), ops.multiply(mean, 1.0 - self.momentum))
                )
                self.moving_variance.assign(
                    ops.add(ops.multiply(moving_variance, self.momentum), ops.multiply(variance, 1.0 - self.momentum))
                )
        else:
            mean, variance = moving_mean, moving_variance
        out = ops.batch_normalization(x, mean, variance, axis=self.axis, offset=beta, scale=gamma, epsilon=self.epsilon)
        return out if ops.dtype(out) == self.compute_dtype else ops.cast(out, self.compute_dtype)

    # ---- batch renormalization ------------------------------------------------------------------
    def _renorm_correction(self, mean: Any, variance: Any) -> tuple:
        d_ = ops.dtype(mean)
        stddev = ops.sqrt(ops.add(variance, self.epsilon))
        renorm_mean = ops.cast(self.renorm_mean, d_)
        renorm_stddev = ops.maximum(ops.cast(self.renorm_stddev, d_), self.epsilon**0.5)
        r = ops.divide(stddev, renorm_stddev)
        d = ops.divide(ops.subtract(mean, renorm_mean), renorm_stddev)
        clip = self.renorm_clipping or {}
        if clip.get("rmin") is not None:
            r = ops.maximum(r, clip["rmin"])
        if clip.get("rmax") is not None:
            r = ops.minimum(r, clip["rmax"])
        if clip.get("dmax") is not None:
            d = ops.clip(d, -clip["dmax"], clip["dmax"])
        return r, d

    def _update_renorm(self, mean: Any, variance: Any) -> None:
        d_ = ops.dtype(mean)
        stddev = ops.sqrt(ops.add(variance, self.epsilon))
        rm, rs = self.renorm_momentum, self.momentum

        def ema(var, new, m):
            return ops.add(ops.multiply(ops.cast(var, d_), m), ops.multiply(new, 1.0 - m))

        self.renorm_mean.assign(ema(self.renorm_mean, mean, rm))
        self.renorm_stddev.assign(ema(self.renorm_stddev, stddev, rm))
        self.moving_mean.assign(ema(self.moving_mean, mean, rs))
        new_std = ema(self.moving_stddev, stddev, rs)
        self.moving_stddev.assign(new_std)
        self.moving_variance.assign(ops.relu(ops.subtract(ops.square(new_std), self.epsilon)))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "axis": self.axis,
                "momentum": self.momentum,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": _ser(regularizers, self.beta_regularizer),
                "gamma_regularizer": _ser(regularizers, self.gamma_regularizer),
                "beta_constraint": _ser(constraints, self.beta_constraint),
                "gamma_constraint": _ser(constraints, self.gamma_constraint),
                "synchronized": self.synchronized,
                "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping,
                "renorm_momentum": self.renorm_momentum,
            }
        )
        return cfg


class LayerNormalization(Layer):
    """Normalize each sample over ``axis`` (an int or a list of ints), then scale by ``gamma`` and
    shift by ``beta`` (shaped like the normalized axes). ``rms_scaling=True`` (deprecated in Keras)
    divides by ``sqrt(variance + epsilon)`` without centering and drops ``beta``.

    Args:
        axis: The axis or list of axes to normalize over (default ``-1``).
        epsilon: Small float added to the variance (default ``1e-3``).
        center: If ``True`` (default), add the learned offset ``beta``.
        scale: If ``True`` (default), multiply by the learned scale ``gamma``.
        beta_initializer: Initializer of ``beta`` (default ``"zeros"``).
        gamma_initializer: Initializer of ``gamma`` (default ``"ones"``).
        beta_regularizer: Optional regularizer of ``beta``.
        gamma_regularizer: Optional regularizer of ``gamma``.
        beta_constraint: Optional constraint on ``beta``.
        gamma_constraint: Optional constraint on ``gamma``.
        **kwargs: Base ``Layer`` arguments; also ``rms_scaling`` (see above, default ``False``).

    Raises:
        TypeError: If ``axis`` is not an int or a list/tuple of ints.
    """

    def __init__(
        self,
        axis: Any = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        _init_gamma_beta(
            self,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )
        self.supports_masking = True
        self.autocast = False  # as Keras: inputs keep their dtype; the output is cast to compute_dtype

    def build(self, input_shape: Any) -> None:
        axes = sorted(self.axis) if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, input_shape)
        self.axis = axes
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = _add_gamma(self, shape) if (self.scale or self.rms_scaling) else None
        self.beta = _add_beta(self, shape) if (self.center and not self.rms_scaling) else None
        self.built = True

    def call(self, inputs: Any) -> Any:
        cd = _compute_dtype(inputs)
        x = ops.cast(inputs, cd)
        nd = len(ops.shape(x))
        axes = sorted(a % nd for a in cast(list, self.axis))  # build() made it a list
        bshape = [1] * nd
        for a in axes:
            bshape[a] = ops.shape(x)[a]

        def bc(v):
            return None if v is None else ops.reshape(ops.cast(v, cd), tuple(bshape))

        gamma, beta = bc(self.gamma), bc(self.beta)
        out = None if self.rms_scaling else fused_layer_norm(x, gamma, beta, axes, self.epsilon)
        if out is not None:  # the backend's kernel (torch's F.layer_norm, as Keras' torch backend)
            return out if ops.dtype(out) == self.compute_dtype else ops.cast(out, self.compute_dtype)
        mean, var = ops.moments(x, axes=axes, keepdims=True)
        inv = ops.rsqrt(ops.add(var, self.epsilon))
        if self.rms_scaling:
            out = ops.multiply(x, inv)
            if gamma is not None:
                out = ops.multiply(out, gamma)
        else:
            if gamma is not None:
                inv = ops.multiply(inv, gamma)
            res = ops.negative(ops.multiply(mean, inv))
            if beta is not None:
                res = ops.add(res, beta)
            out = ops.add(ops.multiply(x, inv), res)
        return out if ops.dtype(out) == self.compute_dtype else ops.cast(out, self.compute_dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
                "rms_scaling": self.rms_scaling,
            }
        )
        cfg.update(_gamma_beta_config(self))
        return cfg


class GroupNormalization(Layer):
    """Split the channels on ``axis`` into ``groups`` and normalize each group of each sample over
    the group's channels and every other non-batch axis. ``groups=-1`` is instance normalization.

    Args:
        groups: Number of groups (default ``32``); the size of ``axis`` must be divisible by it. ``-1`` makes one
            group per channel.
        axis: The channel axis (default ``-1``).
        epsilon: Small float added to the variance (default ``1e-3``).
        center: If ``True`` (default), add the learned offset ``beta``.
        scale: If ``True`` (default), multiply by the learned scale ``gamma``.
        beta_initializer: Initializer of ``beta`` (default ``"zeros"``).
        gamma_initializer: Initializer of ``gamma`` (default ``"ones"``).
        beta_regularizer: Optional regularizer of ``beta``.
        gamma_regularizer: Optional regularizer of ``gamma``.
        beta_constraint: Optional constraint on ``beta``.
        gamma_constraint: Optional constraint on ``gamma``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``groups`` is not a positive int or ``-1``; when built, for a channel axis of unknown
            size, with fewer channels than groups, or not divisible by ``groups``.
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError(
                "Received an invalid value for argument `groups`, expected a positive integer "
                f"(or `-1` for instance normalization). Received: groups={groups}"
            )
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.autocast = False  # as Keras: inputs keep their dtype; the output is cast to compute_dtype
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        _init_gamma_beta(
            self,
            beta_initializer,
            gamma_initializer,
            beta_regularizer,
            gamma_regularizer,
            beta_constraint,
            gamma_constraint,
        )

    def build(self, input_shape: Any) -> None:
        (ax,) = _check_axes(self, [self.axis], input_shape)
        dim = input_shape[ax]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                f"received an input with shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels ({dim}).")
        self.gamma = _add_gamma(self, (dim,)) if self.scale else None
        self.beta = _add_beta(self, (dim,)) if self.center else None
        self.built = True

    def call(self, inputs: Any) -> Any:
        cd = _compute_dtype(inputs)
        x = ops.cast(inputs, cd)
        shape = tuple(ops.shape(x))
        nd = len(shape)
        ax = self.axis % nd
        g = self.groups
        gshape = shape[:ax] + (g, shape[ax] // g) + shape[ax + 1 :]
        xg = ops.reshape(x, gshape)
        red = [i for i in range(1, nd + 1) if i != ax]
        mean, var = ops.moments(xg, axes=red, keepdims=True)
        inv = ops.rsqrt(ops.add(var, self.epsilon))
        pshape = [1] * (nd + 1)
        pshape[ax], pshape[ax + 1] = g, shape[ax] // g
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(ops.cast(self.gamma, cd), tuple(pshape)))
        res = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            res = ops.add(res, ops.reshape(ops.cast(self.beta, cd), tuple(pshape)))
        out = ops.reshape(ops.add(ops.multiply(xg, inv), res), shape)
        return out if ops.dtype(out) == self.compute_dtype else ops.cast(out, self.compute_dtype)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "groups": self.groups,
                "axis": self.axis,
                "epsilon": self.epsilon,
                "center": self.center,
                "scale": self.scale,
            }
        )
        cfg.update(_gamma_beta_config(self))
        return cfg


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis`` (int or list): ``x / max(||x||, 1e-12)``.

    Args:
        axis: The axis or list of axes over which the norm is computed (default ``-1``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``axis`` is not an int or a list/tuple of ints.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: int | list[int] = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError(
                f"Invalid value for `axis` argument: expected an int or a list/tuple of ints. Received: axis={axis}"
            )
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = inputs
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        _check_axes(self, axes, ops.shape(x))
        sq = ops.sum(ops.square(x), axis=tuple(axes), keepdims=True)
        return ops.multiply(x, ops.rsqrt(ops.maximum(sq, 1e-24)))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019; ``keras.layers.RMSNormalization``):
    ``x * rsqrt(mean(square(x), axis) + epsilon) * scale``, computed in at least float32.

    Args:
        axis: The axis (int) or axes (list) to normalize over. As in Keras, ``build`` turns it into
            a sorted list (so ``get_config()["axis"]`` is ``[-1]`` once built).
        epsilon: Added to the mean square.
        **kwargs: Base layer keyword arguments.
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape: Any) -> None:
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        _check_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in self.axis)
        self.scale = self.add_weight(shape, "ones", name="scale")
        self.built = True

    def call(self, x: Any) -> Any:
        return ops.rms_normalization(x, scale=self.scale, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        for a in axes:
            if a >= len(input_shape) or a < -len(input_shape):
                raise ValueError(f"Axis {a} is out of bounds for input shape {input_shape}. Received: axis={self.axis}")
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

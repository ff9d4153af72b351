"""Convolution layers: Conv, ConvTranspose, DepthwiseConv and SeparableConv in 1-3 spatial dims.

All the N-d logic (argument checks, weight arguments, rank checks, bias, activation, config) lives
once in ``BaseConv``; each family (``Conv``, ``ConvTranspose``, ``DepthwiseConv``,
``SeparableConv``) only states its weights and which ``kshim.ops`` convolution it calls, and the
public ``Conv2D`` etc. are one-line subclasses that fix ``rank``. Kernel layouts are Keras':

- Conv: kernel ``(*k, in // groups, filters)``, bias ``(filters,)``
- ConvTranspose: kernel ``(*k, filters, in)``, bias ``(filters,)``
- DepthwiseConv: kernel ``(*k, in, depth_multiplier)``, bias ``(in * depth_multiplier,)``
- SeparableConv: depthwise_kernel ``(*k, in, mult)``, pointwise_kernel ``(1,.., in * mult, filters)``,
  bias ``(filters,)``
"""

from __future__ import annotations

from typing import Any

from .. import _config as config, activations, constraints, initializers, ops, regularizers
from .._validation import positive_int, standardize_tuple
from ..ops._conv_utils import conv_output_shape
from .layer import Layer


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


def standardize_padding(value: Any, allowed: tuple = ("valid", "same"), layer: str = "") -> str:
    """Lower-cased padding string, checked against ``allowed``."""
    p = value.lower() if isinstance(value, str) else value
    if p not in allowed:
        where = f"{layer}: " if layer else ""
        raise ValueError(
            f"{where}the `padding` argument must be one of {list(allowed)} (case-insensitive). "
            f"Received: padding={value!r}."
        )
    return p


def check_input_rank(layer: Layer, shape: Any, ndim: int) -> None:
    """Raise a clear error when an input of ``shape`` does not have rank ``ndim``."""
    shape = tuple(shape)
    if len(shape) != ndim:
        raise ValueError(
            f"Input 0 of layer {layer.name!r} ({type(layer).__name__}) is incompatible with the "
            f"layer: expected rank {ndim} (ndim={ndim}), found rank {len(shape)}. "
            f"Full shape received: {shape}."
        )


_NO_FILTERS = object()  # marks the families without a `filters` argument (depthwise)


class BaseConv(Layer):
    """Shared N-d convolution logic. Subclasses set ``rank`` and implement ``_build_kernels`` and
    ``_conv``; ``_kernel_names`` lists the prefixes of their ``*_initializer/regularizer/constraint``
    arguments (e.g. ``("kernel",)`` or ``("depthwise", "pointwise")``)."""

    rank: int = 0
    _kernel_names: tuple = ("kernel",)
    _paddings: tuple = ("valid", "same")
    _allow_causal: bool = False  # "causal" padding is accepted only by rank-1 layers that set this

    def _setup(
        self,
        kernel_size: Any,
        strides: Any,
        padding: Any,
        data_format: Any,
        dilation_rate: Any,
        activation: Any,
        use_bias: bool,
        bias_initializer: Any,
        bias_regularizer: Any,
        bias_constraint: Any,
        filters: Any = _NO_FILTERS,
        kernels: dict | None = None,
    ) -> None:
        cls = type(self).__name__
        if not self.rank:
            raise TypeError(f"{cls} is an abstract convolution base; use its 1D/2D/3D subclasses.")
        r = self.rank
        if filters is not _NO_FILTERS:  # depthwise layers have no `filters` argument
            self.filters = positive_int(filters, "filters", cls)
        self.kernel_size = standardize_tuple(kernel_size, r, "kernel_size")
        self.strides = standardize_tuple(strides, r, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, r, "dilation_rate")
        allowed = self._paddings + (("causal",) if r == 1 and self._allow_causal else ())
        self.padding = standardize_padding(padding, allowed, cls)
        self.data_format = config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        for prefix, (init, reg, con) in (kernels or {}).items():
            setattr(self, f"{prefix}_initializer", initializers.get(init))
            setattr(self, f"{prefix}_regularizer", regularizers.get(reg))
            setattr(self, f"{prefix}_constraint", constraints.get(con))
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{cls}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}."
            )

    # ---- helpers --------------------------------------------------------------------------------
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _in_channels(self, input_shape: Any) -> int:
        check_input_rank(self, input_shape, self.rank + 2)
        c = input_shape[self._channel_axis()]
        if c is None:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): the channel dimension of the input "
                f"must be known ({self.data_format}), got input shape {tuple(input_shape)}."
            )
        return int(c)

    def _kernel_weight(self, prefix: str, shape: tuple, name: str | None = None) -> Any:
        return self.add_weight(
            shape,
            getattr(self, f"{prefix}_initializer"),
            name=name or prefix,
            regularizer=getattr(self, f"{prefix}_regularizer"),
            constraint=getattr(self, f"{prefix}_constraint"),
        )

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        self._built_channels = cin
        n_out = self._build_kernels(cin)
        self.bias = (
            self.add_weight(
                (n_out,),
                self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )
        self.built = True

    def _build_kernels(self, cin: int) -> int:  # returns the number of output channels
        raise TypeError(f"{type(self).__name__} must implement _build_kernels().")

    _output_shape_by_formula = True
    _transpose = False  # ConvTranspose sets it

    def _output_channels(self, cin: int | None) -> int | None:
        return self.filters

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """Output shape from the convolution formula (no data is allocated).

        Raises:
            ValueError: "Computed output size would be zero or negative" when the dilated kernel is
                larger than the (unpadded) input with ``padding="valid"``.
        """
        input_shape = tuple(input_shape)
        check_input_rank(self, input_shape, self.rank + 2)
        cin = input_shape[self._channel_axis()]
        return conv_output_shape(
            input_shape,
            self.kernel_size,
            self.strides,
            self.padding,
            self.data_format,
            channels=self._output_channels(cin),
            dilation=self.dilation_rate,
            transpose=self._transpose,
            output_padding=getattr(self, "output_padding", None),
        )

    def _conv(self, inputs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} must implement _conv().")

    def call(self, inputs: Any) -> Any:
        shp = tuple(ops.shape(inputs))
        cin = self._in_channels(shp)
        if cin != self._built_channels:
            raise ValueError(
                f"Input 0 of layer {self.name!r} ({type(self).__name__}) is incompatible with the "
                f"layer: expected {self._built_channels} channels on axis {self._channel_axis()}, "
                f"got input shape {shp}."
            )
        y = self._conv(inputs)
        if self.bias is not None:
            n = self.bias.shape[0]
            bshape = (1,) * (self.rank + 1) + (n,) if self.data_format == "channels_last" else (1, n) + (1,) * self.rank
            y = ops.add(y, ops.reshape(self.bias, bshape))
        return self.activation(y) if self.activation is not None else y

    # ---- config ---------------------------------------------------------------------------------
    def _head_config(self) -> dict:
        """Family-specific keys (placed as Keras places them)."""
        return {}

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(self._head_config())
        cfg.update({"activation": activations.serialize(self.activation), "use_bias": self.use_bias})
        names = self._kernel_names + ("bias",)
        for kind, mod in (("initializer", initializers), ("regularizer", regularizers)):
            for p in names:
                v = getattr(self, f"{p}_{kind}")
                cfg[f"{p}_{kind}"] = mod.serialize(v) if kind == "initializer" else _ser(mod, v)
        cfg["activity_regularizer"] = _ser(regularizers, self.activity_regularizer)
        for p in names:
            cfg[f"{p}_constraint"] = _ser(constraints, getattr(self, f"{p}_constraint"))
        return cfg


# ---- families -------------------------------------------------------------------------------------
class Conv(BaseConv):
    """N-d convolution (``keras.layers.ConvND``); ``groups`` splits the channels into groups."""

    _allow_causal = True

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        groups: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: Any = None,
        lora_alpha: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank:
            raise ValueError(f"{type(self).__name__}: LoRA (`lora_rank`) is not supported by kshim.")
        self._setup(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
            filters=filters,
            kernels={"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)},
        )
        groups = positive_int(groups, "groups", self)
        if filters % groups:
            raise ValueError(
                f"{type(self).__name__}: the number of filters must be evenly divisible by the "
                f"number of groups. Received: groups={groups}, filters={filters}."
            )
        self.groups = groups

    def _build_kernels(self, cin: int) -> int:
        if cin % self.groups:
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}): the number of input channels must "
                f"be evenly divisible by the number of groups. Received groups={self.groups}, "
                f"but the input has {cin} channels."
            )
        self.kernel = self._kernel_weight("kernel", self.kernel_size + (cin // self.groups, self.filters))
        return self.filters

    def _conv(self, inputs: Any) -> Any:
        return ops.conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def _head_config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
        }


class ConvTranspose(BaseConv):
    """N-d transposed convolution (``keras.layers.ConvNDTranspose``); kernel ``(*k, filters, in)``."""

    _transpose = True

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        output_padding: Any = None,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
            filters=filters,
            kernels={"kernel": (kernel_initializer, kernel_regularizer, kernel_constraint)},
        )
        self.output_padding = (
            None
            if output_padding is None
            else standardize_tuple(output_padding, self.rank, "output_padding", allow_zero=True)
        )
        if self.output_padding is not None:
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(
                        f"{type(self).__name__}: `output_padding` must be strictly less than "
                        f"`strides` on every axis. Received output_padding={self.output_padding}, "
                        f"strides={self.strides}."
                    )

    def _build_kernels(self, cin: int) -> int:
        self.kernel = self._kernel_weight("kernel", self.kernel_size + (self.filters, cin))
        return self.filters

    def _conv(self, inputs: Any) -> Any:
        return ops.conv_transpose(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            output_padding=self.output_padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def _head_config(self) -> dict:
        return {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


def _check_multiplier(layer: Layer, depth_multiplier: Any) -> int:
    return positive_int(depth_multiplier, "depth_multiplier", layer)


class DepthwiseConv(BaseConv):
    """N-d depthwise convolution (``keras.layers.DepthwiseConvND``); kernel ``(*k, in, mult)``."""

    _kernel_names = ("depthwise",)

    def __init__(
        self,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
            kernels={"depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint)},
        )
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)

    def _build_kernels(self, cin: int) -> int:
        self.kernel = self._kernel_weight("depthwise", self.kernel_size + (cin, self.depth_multiplier), "kernel")
        return cin * self.depth_multiplier

    def _output_channels(self, cin: int | None) -> int | None:
        return None if cin is None else cin * self.depth_multiplier

    def _conv(self, inputs: Any) -> Any:
        return ops.depthwise_conv(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def _head_config(self) -> dict:
        return {
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


class SeparableConv(BaseConv):
    """N-d separable convolution (``keras.layers.SeparableConvND``): depthwise then 1x1 pointwise."""

    _kernel_names = ("depthwise", "pointwise")

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate: Any = 1,
        depth_multiplier: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        depthwise_initializer: Any = "glorot_uniform",
        pointwise_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        depthwise_regularizer: Any = None,
        pointwise_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        depthwise_constraint: Any = None,
        pointwise_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._setup(
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            use_bias,
            bias_initializer,
            bias_regularizer,
            bias_constraint,
            filters=filters,
            kernels={
                "depthwise": (depthwise_initializer, depthwise_regularizer, depthwise_constraint),
                "pointwise": (pointwise_initializer, pointwise_regularizer, pointwise_constraint),
            },
        )
        self.depth_multiplier = _check_multiplier(self, depth_multiplier)

    def _build_kernels(self, cin: int) -> int:
        m = self.depth_multiplier
        self.depthwise_kernel = self._kernel_weight("depthwise", self.kernel_size + (cin, m), "depthwise_kernel")
        self.pointwise_kernel = self._kernel_weight(
            "pointwise", (1,) * self.rank + (cin * m, self.filters), "pointwise_kernel"
        )
        return self.filters

    def _conv(self, inputs: Any) -> Any:
        return ops.separable_conv(
            inputs,
            self.depthwise_kernel,
            self.pointwise_kernel,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )

    def _head_config(self) -> dict:
        return {
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }


# ---- public N-d layers ----------------------------------------------------------------------------
class Conv1D(Conv):
    """1D convolution over ``(batch, steps, channels)``; also supports ``padding="causal"``.

    The kernel has shape ``(*kernel_size, in_channels // groups, filters)``; the output keeps the
    batch axis and has ``filters`` channels.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer or a tuple of 1 integer.
        strides: Stride of the window: an integer or a tuple of 1 integer (default ``1``).
        padding: ``"valid"`` (default; no padding), ``"same"`` (pad so that the output has ``ceil(input / strides)``
            steps) or ``"causal"`` (pad on the left only, so step ``t`` sees no later steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer or a tuple of 1 integer (default ``1``). Strides and
            dilation cannot both exceed 1.
        groups: Number of channel groups (default ``1``); input channels and ``filters`` must both be divisible by
            it, and each group of inputs is convolved with its own group of filters.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        lora_rank: Must be ``None`` or 0: kshim has no LoRA.
        lora_alpha: Accepted for Keras compatibility; ignored.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``/``groups``, ``filters`` not divisible by ``groups``,
            an unknown ``padding``, strides and dilation both above 1, or a ``lora_rank``; when built,
            for an input of the wrong rank or channels not divisible by ``groups``.
    """

    rank = 1


class Conv2D(Conv):
    """2D convolution over ``(batch, h, w, channels)``.

    The kernel has shape ``(*kernel_size, in_channels // groups, filters)``; the output keeps the
    batch axis and has ``filters`` channels.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 2 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 2 integers (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 2 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        groups: Number of channel groups (default ``1``); input channels and ``filters`` must both be divisible by
            it, and each group of inputs is convolved with its own group of filters.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        lora_rank: Must be ``None`` or 0: kshim has no LoRA.
        lora_alpha: Accepted for Keras compatibility; ignored.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``/``groups``, ``filters`` not divisible by ``groups``,
            an unknown ``padding``, strides and dilation both above 1, or a ``lora_rank``; when built,
            for an input of the wrong rank or channels not divisible by ``groups``.
    """

    rank = 2


class Conv3D(Conv):
    """3D convolution over ``(batch, d, h, w, channels)``.

    The kernel has shape ``(*kernel_size, in_channels // groups, filters)``; the output keeps the
    batch axis and has ``filters`` channels.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 3 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 3 integers (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 3 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        groups: Number of channel groups (default ``1``); input channels and ``filters`` must both be divisible by
            it, and each group of inputs is convolved with its own group of filters.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        lora_rank: Must be ``None`` or 0: kshim has no LoRA.
        lora_alpha: Accepted for Keras compatibility; ignored.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``/``groups``, ``filters`` not divisible by ``groups``,
            an unknown ``padding``, strides and dilation both above 1, or a ``lora_rank``; when built,
            for an input of the wrong rank or channels not divisible by ``groups``.
    """

    rank = 3


class Conv1DTranspose(ConvTranspose):
    """1D transposed convolution (upsampling convolution) over ``(batch, steps, channels)``.

    The kernel has shape ``(*kernel_size, filters, in_channels)``.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer or a tuple of 1 integer.
        strides: Stride of the window: an integer or a tuple of 1 integer (default ``1``).
        padding: ``"valid"`` (default) or ``"same"`` (the output is ``input * strides`` long); case-insensitive.
        output_padding: Extra size added to one side of each spatial output axis: an integer or a tuple of 1
            integer, each smaller than the stride; ``None`` (default) infers it.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer or a tuple of 1 integer (default ``1``). Strides and
            dilation cannot both exceed 1.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``, an unknown ``padding``, an ``output_padding``
            not smaller than ``strides``, or strides and dilation both above 1.
    """

    rank = 1


class Conv2DTranspose(ConvTranspose):
    """2D transposed convolution (upsampling convolution) over ``(batch, h, w, channels)``.

    The kernel has shape ``(*kernel_size, filters, in_channels)``.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 2 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 2 integers (default ``1``).
        padding: ``"valid"`` (default) or ``"same"`` (the output is ``input * strides`` long); case-insensitive.
        output_padding: Extra size added to one side of each spatial output axis: an integer (the same on every
            axis) or a tuple of 2 integers, each smaller than the stride; ``None`` (default) infers it.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 2 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``, an unknown ``padding``, an ``output_padding``
            not smaller than ``strides``, or strides and dilation both above 1.
    """

    rank = 2


class Conv3DTranspose(ConvTranspose):
    """3D transposed convolution (upsampling convolution) over ``(batch, d, h, w, channels)``.

    Note Keras' positional order here: ``data_format`` comes before ``output_padding``.

    The kernel has shape ``(*kernel_size, filters, in_channels)``.

    Args:
        filters: Number of output channels (a positive integer).
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 3 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 3 integers (default ``1``).
        padding: ``"valid"`` (default) or ``"same"`` (the output is ``input * strides`` long); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        output_padding: Extra size added to one side of each spatial output axis: an integer (the same on every
            axis) or a tuple of 3 integers, each smaller than the stride; ``None`` (default) infers it.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 3 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters``, an unknown ``padding``, an ``output_padding``
            not smaller than ``strides``, or strides and dilation both above 1.
    """

    rank = 3

    def __init__(
        self,
        filters: int,
        kernel_size: Any,
        strides: Any = 1,
        padding: str = "valid",
        data_format: str | None = None,
        output_padding: Any = None,
        dilation_rate: Any = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        **kwargs: Any,
    ):
        super().__init__(
            filters,
            kernel_size,
            strides=strides,
            padding=padding,
            output_padding=output_padding,
            data_format=data_format,
            dilation_rate=dilation_rate,
            activation=activation,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint,
            **kwargs,
        )


class DepthwiseConv1D(DepthwiseConv):
    """1D depthwise convolution over ``(batch, steps, channels)``.

    Each input channel is convolved with its own ``depth_multiplier`` filters (kernel
    ``(*kernel_size, in_channels, depth_multiplier)``), giving ``in_channels * depth_multiplier``
    output channels.

    Args:
        kernel_size: Size of the convolution window: an integer or a tuple of 1 integer.
        strides: Stride of the window: an integer or a tuple of 1 integer (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        depth_multiplier: Number of output channels per input channel (default ``1``).
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer or a tuple of 1 integer (default ``1``). Strides and
            dilation cannot both exceed 1.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        depthwise_initializer: Initializer of the depthwise kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional regularizer of the depthwise kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        depthwise_constraint: Optional constraint on the depthwise kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``depth_multiplier``, an unknown ``padding``, or strides and
            dilation both above 1.
    """

    rank = 1


class DepthwiseConv2D(DepthwiseConv):
    """2D depthwise convolution over ``(batch, h, w, channels)``.

    Each input channel is convolved with its own ``depth_multiplier`` filters (kernel
    ``(*kernel_size, in_channels, depth_multiplier)``), giving ``in_channels * depth_multiplier``
    output channels.

    Args:
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 2 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 2 integers (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        depth_multiplier: Number of output channels per input channel (default ``1``).
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 2 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        depthwise_initializer: Initializer of the depthwise kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional regularizer of the depthwise kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        depthwise_constraint: Optional constraint on the depthwise kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``depth_multiplier``, an unknown ``padding``, or strides and
            dilation both above 1.
    """

    rank = 2


class SeparableConv1D(SeparableConv):
    """1D depthwise-separable convolution over ``(batch, steps, channels)``.

    A depthwise convolution (kernel ``(*kernel_size, in_channels, depth_multiplier)``) followed by a
    1x1 pointwise convolution to ``filters`` channels.

    Args:
        filters: Number of output channels of the pointwise step (a positive integer).
        kernel_size: Size of the convolution window: an integer or a tuple of 1 integer.
        strides: Stride of the window: an integer or a tuple of 1 integer (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer or a tuple of 1 integer (default ``1``). Strides and
            dilation cannot both exceed 1.
        depth_multiplier: Number of depthwise output channels per input channel (default ``1``).
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        depthwise_initializer: Initializer of the depthwise kernel (default ``"glorot_uniform"``).
        pointwise_initializer: Initializer of the pointwise kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional regularizer of the depthwise kernel.
        pointwise_regularizer: Optional regularizer of the pointwise kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        depthwise_constraint: Optional constraint on the depthwise kernel.
        pointwise_constraint: Optional constraint on the pointwise kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters`` or ``depth_multiplier``, an unknown ``padding``, or
            strides and dilation both above 1.
    """

    rank = 1


class SeparableConv2D(SeparableConv):
    """2D depthwise-separable convolution over ``(batch, h, w, channels)``.

    A depthwise convolution (kernel ``(*kernel_size, in_channels, depth_multiplier)``) followed by a
    1x1 pointwise convolution to ``filters`` channels.

    Args:
        filters: Number of output channels of the pointwise step (a positive integer).
        kernel_size: Size of the convolution window: an integer (the same on every axis) or a tuple of 2 integers.
        strides: Stride of the window: an integer (the same on every axis) or a tuple of 2 integers (default ``1``).
        padding: ``"valid"`` (default; no padding) or ``"same"`` (pad so that the output has ``ceil(input /
            strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        dilation_rate: Dilation of the window: an integer (the same on every axis) or a tuple of 2 integers (default
            ``1``). Strides and dilation cannot both exceed 1.
        depth_multiplier: Number of depthwise output channels per input channel (default ``1``).
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias vector (default ``True``).
        depthwise_initializer: Initializer of the depthwise kernel (default ``"glorot_uniform"``).
        pointwise_initializer: Initializer of the pointwise kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: Optional regularizer of the depthwise kernel.
        pointwise_regularizer: Optional regularizer of the pointwise kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        depthwise_constraint: Optional constraint on the depthwise kernel.
        pointwise_constraint: Optional constraint on the pointwise kernel.
        bias_constraint: Optional constraint on the bias.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For a non-positive ``filters`` or ``depth_multiplier``, an unknown ``padding``, or
            strides and dilation both above 1.
    """

    rank = 2


Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

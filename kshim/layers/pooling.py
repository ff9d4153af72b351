"""Pooling layers: Max/Average pooling and Global Max/Average pooling in 1-3 spatial dims.

``BasePooling`` and ``BaseGlobalPooling`` hold the N-d logic; the public classes fix ``rank`` and
the reduction (``mode``).
"""

from __future__ import annotations

from typing import Any

from .. import _config as config, ops
from ..ops._conv_utils import conv_output_shape
from .convolutional import check_input_rank, standardize_padding, standardize_tuple
from .layer import Layer


class BasePooling(Layer):
    """Windowed max/average pooling; ``strides`` defaults to ``pool_size``. Average pooling with
    ``padding="same"`` does not count the padded cells (as Keras)."""

    rank: int = 0
    mode: str = "max"

    def __init__(
        self,
        pool_size: Any = 2,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, **kwargs)
        if not self.rank:
            raise TypeError(f"{type(self).__name__} is an abstract pooling base; use its 1D/2D/3D subclasses.")
        self.pool_size = standardize_tuple(pool_size, self.rank, "pool_size")
        self.strides = standardize_tuple(pool_size if strides is None else strides, self.rank, "strides")
        self.padding = standardize_padding(padding, ("valid", "same"), type(self).__name__)
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        if input_shape is not None:
            check_input_rank(self, input_shape, self.rank + 2)
        self.built = True

    _output_shape_by_formula = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """Output shape from the pooling formula (no data is allocated).

        Raises:
            ValueError: "Computed output size would be zero or negative" when the window is larger
                than the input with ``padding="valid"``.
        """
        input_shape = tuple(input_shape)
        check_input_rank(self, input_shape, self.rank + 2)
        return conv_output_shape(
            input_shape, self.pool_size, self.strides, self.padding, self.data_format, what="pool_size"
        )

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, ops.shape(inputs), self.rank + 2)
        fn = ops.max_pool if self.mode == "max" else ops.average_pool
        return fn(
            inputs, pool_size=self.pool_size, strides=self.strides, padding=self.padding, data_format=self.data_format
        )

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "pool_size": self.pool_size,
                "padding": self.padding,
                "strides": self.strides,
                "data_format": self.data_format,
            }
        )
        return cfg


class MaxPooling1D(BasePooling):
    """1D maximum pooling: the maximum of each window over the steps axis.

    Args:
        pool_size: Size of the pooling window: an integer or a tuple of 1 integer (default ``2``).
        strides: Step of the window: an integer or a tuple of 1 integer; ``None`` (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 3, or a window larger than the input with
            ``padding="valid"``.
    """

    rank, mode = 1, "max"


class MaxPooling2D(BasePooling):
    """2D maximum pooling: the maximum of each window over the height and width axes.

    Args:
        pool_size: Size of the pooling window: an integer (the same on every axis) or a tuple of 2 integers (default
            ``2``).
        strides: Step of the window: an integer (the same on every axis) or a tuple of 2 integers; ``None``
            (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 4, or a window larger than the input with
            ``padding="valid"``.
    """

    rank, mode = 2, "max"


class MaxPooling3D(BasePooling):
    """3D maximum pooling: the maximum of each window over the depth, height and width axes.

    Args:
        pool_size: Size of the pooling window: an integer (the same on every axis) or a tuple of 3 integers (default
            ``2``).
        strides: Step of the window: an integer (the same on every axis) or a tuple of 3 integers; ``None``
            (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive.
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 5, or a window larger than the input with
            ``padding="valid"``.
    """

    rank, mode = 3, "max"


class _AveragePooling(BasePooling):
    """Average pooling; as in Keras, ``pool_size`` is required."""

    mode = "avg"

    def __init__(
        self,
        pool_size: Any,
        strides: Any = None,
        padding: str = "valid",
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(pool_size, strides=strides, padding=padding, data_format=data_format, name=name, **kwargs)


class AveragePooling1D(_AveragePooling):
    """1D average pooling: the average of each window over the steps axis.

    Args:
        pool_size: Size of the pooling window: an integer or a tuple of 1 integer (required, as in Keras).
        strides: Step of the window: an integer or a tuple of 1 integer; ``None`` (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive. Padded cells are not counted in the average.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 3, or a window larger than the input with
            ``padding="valid"``.
    """

    rank = 1


class AveragePooling2D(_AveragePooling):
    """2D average pooling: the average of each window over the height and width axes.

    Args:
        pool_size: Size of the pooling window: an integer (the same on every axis) or a tuple of 2 integers
            (required, as in Keras).
        strides: Step of the window: an integer (the same on every axis) or a tuple of 2 integers; ``None``
            (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive. Padded cells are not counted in the average.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 4, or a window larger than the input with
            ``padding="valid"``.
    """

    rank = 2


class AveragePooling3D(_AveragePooling):
    """3D average pooling: the average of each window over the depth, height and width axes.

    Args:
        pool_size: Size of the pooling window: an integer (the same on every axis) or a tuple of 3 integers
            (required, as in Keras).
        strides: Step of the window: an integer (the same on every axis) or a tuple of 3 integers; ``None``
            (default) uses ``pool_size``.
        padding: ``"valid"`` (default; windows stay inside the input) or ``"same"`` (pad so that the output has
            ``ceil(input / strides)`` steps); case-insensitive. Padded cells are not counted in the average.
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        name: Optional layer name.
        **kwargs: Base ``Layer`` arguments (``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``pool_size``/``strides``, ``padding`` or ``data_format``; when called,
            for an input of another rank than 5, or a window larger than the input with
            ``padding="valid"``.
    """

    rank = 3


class BaseGlobalPooling(Layer):
    """Max/mean over all spatial axes; ``keepdims`` keeps them with size 1."""

    rank: int = 0
    mode: str = "max"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if not self.rank:
            raise TypeError(f"{type(self).__name__} is an abstract pooling base; use its 1D/2D/3D subclasses.")
        self.data_format = config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.built = True

    def _axes(self) -> tuple:
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else tuple(range(2, self.rank + 2))

    def build(self, input_shape: Any = None) -> None:
        if input_shape is not None:
            check_input_rank(self, input_shape, self.rank + 2)
        self.built = True

    _output_shape_by_formula = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """Input shape without the spatial axes (size 1 with ``keepdims``)."""
        input_shape = tuple(input_shape)
        check_input_rank(self, input_shape, self.rank + 2)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def call(self, inputs: Any) -> Any:
        check_input_rank(self, ops.shape(inputs), self.rank + 2)
        fn = ops.max if self.mode == "max" else ops.mean
        return fn(inputs, axis=self._axes(), keepdims=self.keepdims)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


class GlobalMaxPooling1D(BaseGlobalPooling):
    """Global maximum over the spatial axes of ``(batch, steps, channels)`` inputs.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 3.
    """

    rank, mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """Global maximum over the spatial axes of ``(batch, height, width, channels)`` inputs.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 4.
    """

    rank, mode = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Global maximum over the spatial axes of ``(batch, depth, height, width, channels)`` inputs.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 5.
    """

    rank, mode = 3, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps; with a ``mask`` (batch, steps) only unmasked steps are averaged.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, steps, channels)``) or ``"channels_first"``; ``None``
            (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 3.
    """

    rank, mode = 1, "avg"

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return super().call(inputs)
        check_input_rank(self, ops.shape(inputs), 3)
        steps_axis = self._axes()[0]
        m = ops.expand_dims(ops.cast(mask, "bool"), 2 if self.data_format == "channels_last" else 1)
        x = ops.where(m, inputs, ops.zeros((), dtype=ops.dtype(inputs)))
        fm = ops.cast(m, ops.dtype(x))
        return ops.divide(
            ops.sum(x, axis=steps_axis, keepdims=self.keepdims), ops.sum(fm, axis=steps_axis, keepdims=self.keepdims)
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Global mean over the spatial axes of ``(batch, height, width, channels)`` inputs.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or ``"channels_first"``;
            ``None`` (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 4.
    """

    rank, mode = 2, "avg"


class GlobalAveragePooling3D(BaseGlobalPooling):
    """Global mean over the spatial axes of ``(batch, depth, height, width, channels)`` inputs.

    Args:
        data_format: ``"channels_last"`` (inputs ``(batch, depth, height, width, channels)``) or
            ``"channels_first"``; ``None`` (default) uses ``image_data_format()``.
        keepdims: If ``True``, keep the spatial axes with size 1 (default ``False``: output ``(batch, channels)``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: For an invalid ``data_format``; when called, for an input of another rank than 5.
    """

    rank, mode = 3, "avg"


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
)

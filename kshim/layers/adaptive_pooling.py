"""Adaptive pooling layers: pool to a fixed spatial ``output_size`` whatever the input size.

``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D`` (Keras 3 names, arguments,
config). Output cell ``i`` of a spatial axis of length ``n`` pools input cells
``floor(i*n/out) .. ceil((i+1)*n/out) - 1`` (:func:`kshim.ops.adaptive_average_pool`).
"""

from __future__ import annotations

from typing import Any

from .. import _config, ops
from .layer import Layer

__all__ = [
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "AdaptiveMaxPooling3D",
]

_AXES_NAMES = {1: "integer", 2: "(height, width)", 3: "(depth, height, width)"}


def _output_size(output_size: Any, rank: int) -> tuple:
    if isinstance(output_size, int) and not isinstance(output_size, bool):
        return (output_size,) * rank
    if isinstance(output_size, (tuple, list)):
        if len(output_size) == rank:
            return tuple(output_size)
        if rank == 1:
            raise ValueError(f"For 1D input, `output_size` tuple must have length 1. Received: {output_size}")
    if rank == 1:
        raise TypeError(
            "`output_size` must be an integer or tuple of 1 integer. "
            f"Received: {output_size} of type {type(output_size)}"
        )
    raise TypeError(
        f"`output_size` must be an integer or {_AXES_NAMES[rank]} tuple. "
        f"Received: {output_size} of type {type(output_size)}"
    )


class _AdaptivePooling(Layer):
    """Shared base: ``output_size`` normalized to a tuple, ``data_format`` checked."""

    _rank = 0
    _mode = ""
    _output_shape_by_formula = True

    def __init__(self, output_size: Any, data_format: str | None = None, **kwargs: Any):
        output_size = _output_size(output_size, self._rank)
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format or _config.image_data_format()
        if self.data_format not in {"channels_first", "channels_last"}:
            raise ValueError(f"Invalid data_format: {self.data_format}. Expected 'channels_first' or 'channels_last'.")

    def call(self, inputs: Any) -> Any:
        fn = ops.adaptive_average_pool if self._mode == "avg" else ops.adaptive_max_pool
        return fn(inputs, output_size=self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_size": self.output_size, "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Adaptive average pooling over the steps of ``(batch, steps, channels)`` inputs.

    Args:
        output_size: Integer or tuple of 1 integer, the target number of steps.
        data_format: ``"channels_last"`` (default from the config) or ``"channels_first"``.
        **kwargs: Base layer keyword arguments.

    Raises:
        TypeError: If ``output_size`` is not an integer or a tuple.
        ValueError: For a tuple of the wrong length or an invalid ``data_format``.
    """

    _rank, _mode = 1, "avg"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Adaptive average pooling over height and width (``output_size``: int or (height, width)).

    A channels-last input ``(batch, height, width, channels)`` gives an output of the same shape with the
    spatial axes resized to ``output_size``.

    Args:
        output_size: An integer (the same for both) or a ``(height, width)`` tuple, the target spatial size.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses
            ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``output_size`` is not an integer or a tuple of the right length.
        ValueError: For an invalid ``data_format``.
    """

    _rank, _mode = 2, "avg"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Adaptive average pooling over depth, height and width (``output_size``: int or 3-tuple).

    A channels-last input ``(batch, depth, height, width, channels)`` gives an output of the same shape with the
    spatial axes resized to ``output_size``.

    Args:
        output_size: An integer (the same for all) or a ``(depth, height, width)`` tuple, the target spatial size.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses
            ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``output_size`` is not an integer or a tuple of the right length.
        ValueError: For an invalid ``data_format``.
    """

    _rank, _mode = 3, "avg"


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Adaptive max pooling over the steps of ``(batch, steps, channels)`` inputs.

    A channels-last input ``(batch, steps, channels)`` gives an output of the same shape with the
    spatial axes resized to ``output_size``.

    Args:
        output_size: An integer or a tuple of 1 integer, the target number of steps.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses
            ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``output_size`` is neither an integer nor a tuple.
        ValueError: For a tuple of another length than 1 or an invalid ``data_format``.
    """

    _rank, _mode = 1, "max"


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Adaptive max pooling over height and width (``output_size``: int or (height, width)).

    A channels-last input ``(batch, height, width, channels)`` gives an output of the same shape with the
    spatial axes resized to ``output_size``.

    Args:
        output_size: An integer (the same for both) or a ``(height, width)`` tuple, the target spatial size.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses
            ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``output_size`` is not an integer or a tuple of the right length.
        ValueError: For an invalid ``data_format``.
    """

    _rank, _mode = 2, "max"


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Adaptive max pooling over depth, height and width (``output_size``: int or 3-tuple).

    A channels-last input ``(batch, depth, height, width, channels)`` gives an output of the same shape with the
    spatial axes resized to ``output_size``.

    Args:
        output_size: An integer (the same for all) or a ``(depth, height, width)`` tuple, the target spatial size.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` (default) uses
            ``image_data_format()``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``output_size`` is not an integer or a tuple of the right length.
        ValueError: For an invalid ``data_format``.
    """

    _rank, _mode = 3, "max"

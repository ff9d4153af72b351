"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot (and the
functional forms ``add``, ``subtract``, ...).

All take a list of tensors. Element-wise merges broadcast like NumPy on the non-batch axes; inputs
of lower rank get size-1 axes inserted after the batch axis first. An input mask (a list, one per
input, each shaped like its input without the last axis) merges into ``any`` of the masks;
Maximum, Minimum and Multiply also ignore masked positions of one input when the other has a value.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .layer import Layer


def _is_shape(s: Any) -> bool:
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


class Merge(Layer):
    """Base class of the merging layers: subclasses implement ``_merge_function(inputs)``."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    # ---- shapes ---------------------------------------------------------------------------
    @staticmethod
    def _elemwise_shape(shape1: Any, shape2: Any) -> Any:
        """Broadcast two non-batch shapes (``None`` = unknown), raising on incompatible sizes."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return Merge._elemwise_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        out = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(
                    f"Inputs have incompatible shapes. Received shapes {tuple(shape1)} and {tuple(shape2)}"
                )
        return tuple(out)

    def _check_list(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not _is_shape(input_shape[0]):
            raise ValueError(
                f"A merge layer should be called on a list of inputs. Received: "
                f"input_shape={input_shape} (not a list of shapes)"
            )

    def build(self, input_shape: Any) -> None:
        self._check_list(input_shape)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes. Received tensors with shapes "
                f"{[tuple(s) for s in input_shape]}"
            )
        out = tuple(input_shape[0][1:])
        for s in input_shape[1:]:
            out = self._elemwise_shape(out, tuple(s[1:]))
        self._reshape_required = len({len(s) for s in input_shape}) != 1
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for s in input_shape[1:]:
            out = self._elemwise_shape(out, tuple(s[1:]))
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        return ((batch_sizes.pop() if len(batch_sizes) == 1 else None),) + tuple(out)

    # ---- call ------------------------------------------------------------------------------
    def _expand_ranks(self, inputs: list, masks: list) -> tuple[list, list]:
        nds = [len(ops.shape(x)) for x in inputs]
        top = max(nds)
        xs, ms = [], []
        for x, m, nd in zip(inputs, masks, nds):
            for _ in range(top - nd):
                x = ops.expand_dims(x, 1)
                if m is not None:
                    m = ops.expand_dims(m, 1)
            xs.append(x)
            ms.append(m)
        return xs, ms

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A merge layer should be called on a list of inputs. Received: inputs={inputs} (not a list of tensors)"
            )
        inputs = [ops.convert_to_tensor(x) for x in inputs]
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        if len(masks) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received "
                f"{len(inputs)} inputs and {len(masks)} masks."
            )
        if len({len(ops.shape(x)) for x in inputs}) > 1:
            inputs, masks = self._expand_ranks(inputs, masks)
        self._masks: list | None = masks
        try:
            return self._merge_function(inputs)
        finally:
            self._masks = None

    def _input_masks(self, inputs: list) -> list:
        """Masks of the inputs for the current call, broadcast to each input's shape (or None)."""
        masks = getattr(self, "_masks", None) or [None] * len(inputs)
        out = []
        for x, m in zip(inputs, masks):
            if m is not None:
                m = ops.broadcast_to(ops.expand_dims(ops.cast(m, "bool"), -1), ops.shape(x))
            out.append(m)
        return out

    def _merge_with_masks(self, op_fn: Any, inputs: list) -> Any:
        """Fold ``op_fn`` over the inputs; where one side is masked out the other side's value is used."""
        output = output_mask = None
        for x, m in zip(inputs, self._input_masks(inputs)):
            if output is None:
                output, output_mask = x, m
                continue
            if m is not None:
                x = ops.where(m, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            output_mask = ops.logical_or(output_mask, m) if (m is not None and output_mask is not None) else None
            output = op_fn(output, x)
        return output

    def _merge_function(self, inputs: list) -> Any:
        raise TypeError(f"{type(self).__name__} must implement _merge_function().")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received: mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received: "
                f"inputs of length {len(inputs)}, and mask of length {len(mask)}"
            )
        if any(m is None for m in mask):
            return None
        out = mask[0]
        for m in mask[1:]:
            out = ops.logical_or(out, m)
        return out


class Add(Merge):
    """Element-wise sum of the inputs.

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on something other than a list, on inputs of different batch sizes or
            of shapes that do not broadcast.
    """

    def _merge_function(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


class Subtract(Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs).

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on anything but a list of exactly two tensors of compatible shapes.
    """

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                f"input_shape={[tuple(s) for s in input_shape]}"
            )

    def _merge_function(self, inputs: list) -> Any:
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. Received: {len(inputs)} inputs")
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Element-wise product of the inputs; masked-out entries count as 1 (and the output is 0 where
    every input is masked, when all inputs carry masks).

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on something other than a list, on inputs of different batch sizes or
            of shapes that do not broadcast.
    """

    def _merge_function(self, inputs: list) -> Any:
        masks = self._input_masks(inputs)
        all_masked = all(m is not None for m in masks)
        output = output_mask = None
        for x, m in zip(inputs, masks):
            if m is not None:
                x = ops.where(m, x, ops.ones((), dtype=ops.dtype(x)))
                if all_masked:
                    output_mask = m if output_mask is None else ops.logical_or(output_mask, m)
            output = x if output is None else ops.multiply(output, x)
        if all_masked:
            output = ops.where(output_mask, output, ops.zeros((), dtype=ops.dtype(output)))
        return output


class Average(Merge):
    """Element-wise mean of the inputs.

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on something other than a list, on inputs of different batch sizes or
            of shapes that do not broadcast.
    """

    def _merge_function(self, inputs: list) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.divide(out, len(inputs))


class Maximum(Merge):
    """Element-wise maximum of the inputs.

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on something other than a list, on inputs of different batch sizes or
            of shapes that do not broadcast.
    """

    def _merge_function(self, inputs: list) -> Any:
        return self._merge_with_masks(ops.maximum, inputs)


class Minimum(Merge):
    """Element-wise minimum of the inputs.

    Called on a list of tensors of broadcast-compatible shapes (same batch size); the output has
    their broadcast shape.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When called on something other than a list, on inputs of different batch sizes or
            of shapes that do not broadcast.
    """

    def _merge_function(self, inputs: list) -> Any:
        return self._merge_with_masks(ops.minimum, inputs)


class Concatenate(Merge):
    """Concatenates the inputs along ``axis``; all other dimensions must match.

    The output mask (when any input has one) is the concatenation of the masks, an absent one
    counting as all ``True``.

    Args:
        axis: The concatenation axis (default ``-1``, the last).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When built or called on something other than a list of tensors of one rank whose
            other dimensions match.
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not _is_shape(input_shape[0]):
            raise ValueError(
                f"A `Concatenate` layer should be called on a list of at least 1 input. Received: "
                f"input_shape={input_shape}"
            )
        shapes = [tuple(s) for s in input_shape]
        err = (
            "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. "
            f"Received: input_shape={shapes}"
        )
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(err)
        nd = len(shapes[0])
        ax = self.axis % nd
        for i in range(nd):
            if i == ax:
                continue
            dims = {s[i] for s in shapes} - {None}
            if len(dims) > 1:
                raise ValueError(err)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Concatenate` layer should be called on a list of inputs. Received: inputs={inputs}")
        return ops.concatenate([ops.convert_to_tensor(x) for x in inputs], axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        out = list(input_shape[0])
        for s in input_shape[1:]:
            if out[self.axis] is None or s[self.axis] is None:
                out[self.axis] = None
                break
            out[self.axis] += s[self.axis]
        return tuple(out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received: inputs of "
                f"length {len(inputs)}, and mask of length {len(mask)}"
            )
        if all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            xshape = tuple(ops.shape(x))
            if m is None:
                full.append(ops.ones(xshape, dtype="bool"))
            elif len(ops.shape(m)) < len(xshape):
                full.append(ops.broadcast_to(ops.expand_dims(ops.cast(m, "bool"), -1), xshape))
            else:
                full.append(ops.cast(m, "bool"))
        return ops.any(ops.concatenate(full, axis=self.axis), axis=-1)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


def batch_dot(x: Any, y: Any, axes: Any = None) -> Any:
    """Per-sample dot product of ``x`` and ``y`` contracting ``x``'s axis ``axes[0]`` with ``y``'s
    axis ``axes[1]`` (axis 0 is the batch). The result has ``x``'s remaining axes followed by
    ``y``'s; two rank-2 inputs give shape ``(batch, 1)``."""
    xs, ys = tuple(ops.shape(x)), tuple(ops.shape(y))
    xn, yn = len(xs), len(ys)
    if xn < 2 or yn < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {xs} and {ys}.")
    if xs[0] != ys[0]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes {xs} and {ys}."
        )
    if isinstance(axes, int):
        axes = [axes, axes]
    if axes is None:
        axes = [xn - 1, yn - 1] if yn == 2 else [xn - 1, yn - 2]
    a0, a1 = axes[0] % xn, axes[1] % yn
    if 0 in (a0, a1):
        raise ValueError(
            "Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy batch "
            "dimension to your inputs using keras.ops.expand_dims(x, 0)"
        )
    if xs[a0] != ys[a1]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {xs} and {ys} with axes={[a0, a1]}. "
            f"x.shape[{a0}] != y.shape[{a1}] ({xs[a0]} != {ys[a1]})."
        )
    bsz, n = xs[0], xs[a0]
    x_rest = tuple(d for i, d in enumerate(xs) if i not in (0, a0))
    y_rest = tuple(d for i, d in enumerate(ys) if i not in (0, a1))
    px = 1
    for d in x_rest:
        px *= d
    py = 1
    for d in y_rest:
        py *= d
    xm = ops.reshape(ops.moveaxis(x, a0, -1), (bsz, px, n))
    ym = ops.reshape(ops.moveaxis(y, a1, 1), (bsz, n, py))
    out = ops.matmul(xm, ym)
    return ops.reshape(out, (bsz,) + (x_rest + y_rest or (1,)))


class Dot(Merge):
    """Per-sample dot product of two inputs along ``axes`` (an int or a pair); ``normalize=True``
    L2-normalizes both inputs along those axes first (cosine similarity).

    The output has the first input's remaining axes followed by the second's (without its batch axis);
    two ``(batch, n)`` inputs give ``(batch, 1)``.

    Args:
        axes: The axis to contract: an int (the same for both inputs) or a pair ``(axis_of_x1,
            axis_of_x2)``; axis 0, the batch axis, cannot be contracted.
        normalize: If ``True``, L2-normalize both inputs along the contracted axes first (default
            ``False``).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        TypeError: If ``axes`` is neither an int nor a list/tuple.
        ValueError: If ``axes`` is not a pair of ints; when built or called, for anything but two
            inputs whose contracted axes have the same size.
    """

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"Invalid type for argument `axes`: it should be a list or an int. Received: axes={axes}"
                )
            if len(axes) != 2:
                raise ValueError(
                    f"Invalid format for argument `axes`: it should contain two elements. Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    f"Invalid format for argument `axes`: list elements should be integers. Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize

    def _axes_for(self, n1: int, n2: int) -> list:
        if isinstance(self.axes, int):
            return [self.axes % n1, self.axes % n2] if self.axes < 0 else [self.axes] * 2
        return [a % n for a, n in zip(self.axes, (n1, n2))]

    def build(self, input_shape: Any) -> None:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not _is_shape(input_shape[0]):
            raise ValueError(
                f"A `Dot` layer should be called on a list of 2 inputs. Received: input_shape={input_shape}"
            )
        s1, s2 = tuple(input_shape[0]), tuple(input_shape[1])
        a = self._axes_for(len(s1), len(s2))
        if s1[a[0]] != s2[a[1]]:
            raise ValueError(
                f"Incompatible input shapes: axis values {s1[a[0]]} (at axis {a[0]}) != {s2[a[1]]} "
                f"(at axis {a[1]}). Full input shapes: {s1}, {s2}"
            )
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        x1, x2 = (ops.convert_to_tensor(x) for x in inputs)
        a = self._axes_for(len(ops.shape(x1)), len(ops.shape(x2)))
        if self.normalize:
            x1 = ops.normalize(x1, axis=a[0])
            x2 = ops.normalize(x2, axis=a[1])
        return batch_dot(x1, x2, a)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        s1, s2 = list(input_shape[0]), list(input_shape[1])
        a = self._axes_for(len(s1), len(s2))
        s1.pop(a[0])
        s2.pop(a[1])
        s2.pop(0)
        out = s1 + s2
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def add(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Add``: ``Add(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Add`` layer takes.
        **kwargs: Arguments of the ``Add`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).

    Example:
        >>> x = kshim.ops.ones((1, 2))
        >>> kshim.ops.convert_to_numpy(kshim.layers.add([x, x])).tolist()
        [[2.0, 2.0]]
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Subtract``: ``Subtract(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Subtract`` layer takes.
        **kwargs: Arguments of the ``Subtract`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Multiply``: ``Multiply(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Multiply`` layer takes.
        **kwargs: Arguments of the ``Multiply`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Average``: ``Average(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Average`` layer takes.
        **kwargs: Arguments of the ``Average`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Maximum``: ``Maximum(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Maximum`` layer takes.
        **kwargs: Arguments of the ``Maximum`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """Functional form of ``Minimum``: ``Minimum(**kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Minimum`` layer takes.
        **kwargs: Arguments of the ``Minimum`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of ``Concatenate``: ``Concatenate(axis=axis, **kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Concatenate`` layer takes.
        axis: The concatenation axis (default ``-1``).
        **kwargs: Arguments of the ``Concatenate`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any = -1, **kwargs: Any) -> Any:
    """Functional form of ``Dot``: ``Dot(axes=axes, **kwargs)(inputs)``.

    Args:
        inputs: A list of tensors (or symbolic ``KerasTensor``s), as the ``Dot`` layer takes.
        axes: The axis (or pair of axes) to contract (default ``-1``, the last axis of both).
        **kwargs: Arguments of the ``Dot`` layer (``name``, ...).

    Returns:
        The merged tensor (a ``KerasTensor`` when the inputs are symbolic).
    """
    return Dot(axes=axes, **kwargs)(inputs)

"""Core layers: Dense, EinsumDense, Activation, Embedding, Lambda, Identity."""
from __future__ import annotations

import re
from typing import Any, Callable

from .. import activations, constraints, initializers, ops, regularizers
from .._validation import check_shape, is_int, positive_int
from .layer import Layer


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis; kernel shape (in, units).

    An input ``(batch, ..., in)`` gives ``(batch, ..., units)``; the last input axis must be known when
    the layer is built.

    Args:
        units: Number of output features (a positive integer).
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        use_bias: Whether to add a learned bias of shape ``(units,)`` (default ``True``).
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        activity_regularizer: Optional regularizer of the output.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        lora_rank: Accepted for Keras compatibility and ignored: kshim has no LoRA (Keras would add low-rank
            trainable factors).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``units`` is not a positive integer; when built or called, for an unknown or
            mismatched last input dimension.
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: int | None = None,
                 **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = positive_int(units, "units", self)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(f"Dense layer {self.name!r}: the last dimension of the input must be known, "
                             f"got input shape {tuple(input_shape)}.")
        self.kernel = self.add_weight((in_dim, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.built = True

    _output_shape_by_formula = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """``input_shape`` with the last dim replaced by ``units``."""
        return tuple(input_shape)[:-1] + (self.units,)

    def call(self, inputs: Any) -> Any:
        shp = ops.shape(inputs)
        if shp[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected last "
                             f"dimension {self.kernel.shape[0]}, got input shape {tuple(shp)}.")
        y = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
            "quantization_config": None,
        })
        return cfg


class EinsumDense(Layer):
    """Dense layer expressed as an einsum, e.g. ``"abc,cd->abd"`` with ``output_shape`` (no batch).

    The kernel's shape is read from the equation: each kernel axis takes the size of the input or
    output axis with the same letter.

    Args:
        equation: The einsum equation ``"input,kernel->output"``, e.g. ``"abc,cd->abd"``; every axis must be spelled
            out (no ``...``).
        output_shape: The output shape without the batch axis: an int or a tuple; ``None`` entries take the size of
            the matching input axis.
        activation: Activation applied to the output (name or callable); ``None`` (default): linear.
        bias_axes: Letters of the output axes that get a bias (e.g. ``"d"``); ``None`` (default): no bias.
        kernel_initializer: Initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: Initializer of the bias (default ``"zeros"``).
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        kernel_constraint: Optional constraint on the kernel.
        bias_constraint: Optional constraint on the bias.
        lora_rank: Accepted for Keras compatibility and ignored: kshim has no LoRA (Keras would add low-rank
            trainable factors).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: When built, for an equation that is not ``"in,kernel->out"`` or uses an ellipsis.
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: str | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = check_shape((output_shape,) if is_int(output_shape) else output_shape,
                                                "output_shape", self)
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape: Any) -> None:
        m = re.match(r"([a-zA-Z.]+),([a-zA-Z.]+)->([a-zA-Z.]+)", self.equation.replace(" ", ""))
        if not m:
            raise ValueError(f"EinsumDense: invalid equation {self.equation!r}; expected 'in,kernel->out'.")
        lin, lk, lout = m.groups()
        if "." in lin or "." in lout:
            raise ValueError("EinsumDense: ellipsis equations are not supported; spell out every axis.")
        dims = dict(zip(lin, input_shape))
        out_full = tuple(input_shape[:len(lout) - len(self.partial_output_shape)]) + self.partial_output_shape
        for c, d in zip(lout, out_full):
            dims.setdefault(c, d)
        kshape = tuple(dims[c] for c in lk)
        self.full_output_shape = tuple(dims.get(c) for c in lout)
        self.kernel = self.add_weight(kshape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.bias_axes:
            first = min(lout.index(c) for c in self.bias_axes)
            bshape = tuple(dims[c] if c in self.bias_axes else 1 for c in lout[first:])
            self.bias = self.add_weight(bshape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs: Any) -> Any:
        y = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({
            "output_shape": list(self.partial_output_shape), "equation": self.equation,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
            "bias_regularizer": _ser(regularizers, self.bias_regularizer),
            "kernel_constraint": _ser(constraints, self.kernel_constraint),
            "bias_constraint": _ser(constraints, self.bias_constraint),
        })
        return cfg


class Activation(Layer):
    """Applies an activation function.

    Args:
        activation: The activation: a name (``"relu"``, ...), a callable, or ``None`` (linear).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg


class Identity(Layer):
    """Returns its input unchanged.

    Args:
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs: Any) -> Any:
        return inputs


class Embedding(Layer):
    """Lookup table ``(input_dim, output_dim)``; ``mask_zero`` makes index 0 a padding mask.

    Integer indices of shape ``(batch, ...)`` give float vectors of shape ``(batch, ..., output_dim)``;
    non-integer inputs are cast to int32 first.

    Args:
        input_dim: Vocabulary size: indices must lie in ``[0, input_dim)`` (a positive integer).
        output_dim: Size of each embedding vector (a positive integer).
        embeddings_initializer: Initializer of the table (default ``"uniform"``).
        embeddings_regularizer: Optional regularizer of the table.
        embeddings_constraint: Optional constraint on the table.
        mask_zero: If ``True``, index 0 is padding: the layer outputs the mask ``inputs != 0`` for later layers
            (default ``False``).
        weights: Optional initial value of the table (a list holding one ``(input_dim, output_dim)`` array), set
            when the layer is built.
        lora_rank: Accepted for Keras compatibility and ignored: kshim has no LoRA (Keras would add low-rank
            trainable factors).
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    Raises:
        ValueError: If ``input_dim`` or ``output_dim`` is not a positive integer.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.input_dim = positive_int(input_dim, "input_dim", self)
        self.output_dim = positive_int(output_dim, "output_dim", self)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.autocast = False
        self._initial_weights = weights

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)

    def call(self, inputs: Any) -> Any:
        idx = ops.convert_to_tensor(inputs)
        if ops.dtype(idx) not in ("int32", "int64"):
            idx = ops.cast(idx, "int32")
        return ops.take(self.embeddings, idx, axis=0)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update({"input_dim": self.input_dim, "output_dim": self.output_dim,
                    "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                    "embeddings_regularizer": _ser(regularizers, self.embeddings_regularizer),
                    "embeddings_constraint": _ser(constraints, self.embeddings_constraint),
                    "mask_zero": self.mask_zero,
                    "activity_regularizer": _ser(regularizers, self.activity_regularizer),
                    "quantization_config": None})
        return cfg


class Lambda(Layer):
    """Wraps a Python function as a layer.

    An importable function (a kshim/Keras activation, a ``kshim.ops`` function, a registered or
    module-level function) is saved by name and loads in safe mode; a lambda or closure is saved as
    bytecode and loads only with ``safe_mode=False``.

    Args:
        function: The function, called as ``function(inputs, **arguments)``.
        output_shape: The output shape (a tuple, or a function of the input shape); kshim stores it in the config
            but finds the output shape by running ``function`` on small probe arrays.
        mask: The output mask: a value, or a function ``mask(inputs, input_mask)``; ``None`` (default): no mask.
        arguments: Optional dict of extra keyword arguments passed to ``function``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).
    """
    _from_config_takes_safe_mode = True  # see kshim._serialization

    def __init__(self, function: Callable, output_shape: Any = None, mask: Any = None, arguments: dict | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments or {}
        self._output_shape = output_shape
        self._mask = mask
        self.built = True

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        return self.function(inputs, **self.arguments)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self._mask):
            return self._mask(inputs, mask)
        return self._mask

    def get_config(self) -> dict:
        """Config in Keras' layout: an importable function (activation, ``kshim.ops`` function,
        registered or module-level function) is saved by name and loads in safe mode; a lambda or
        closure is saved as bytecode and needs ``safe_mode=False``. Callable ``output_shape`` and
        ``mask`` are saved the same way."""
        from .._lambda_code import serialize_function
        cfg = super().get_config()
        cfg["function"] = serialize_function(self.function)
        if self._output_shape is not None:
            cfg["output_shape"] = serialize_function(self._output_shape) if callable(self._output_shape) \
                else self._output_shape
        if self._mask is not None and callable(self._mask):
            cfg["mask"] = serialize_function(self._mask)
        cfg["arguments"] = self.arguments
        return cfg

    @classmethod
    def from_config(cls, config: dict, safe_mode: bool | None = None,
                    custom_objects: dict | None = None) -> "Lambda":
        """Rebuild from ``get_config()``; bytecode functions are refused in safe mode."""
        from .._lambda_code import deserialize_function
        cfg = dict(config)
        cfg["function"] = deserialize_function(cfg["function"], safe_mode=safe_mode, custom_objects=custom_objects)
        for key in ("output_shape", "mask"):
            if isinstance(cfg.get(key), dict) and cfg[key].get("class_name") in ("function", "__lambda__"):
                cfg[key] = deserialize_function(cfg[key], safe_mode=safe_mode, custom_objects=custom_objects)
        if isinstance(cfg.get("output_shape"), list) and all(d is None or isinstance(d, int)
                                                             for d in cfg["output_shape"]):
            cfg["output_shape"] = tuple(cfg["output_shape"])
        return super().from_config(cfg)

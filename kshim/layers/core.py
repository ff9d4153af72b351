"""Core layers: Dense, EinsumDense, Activation, Embedding, Lambda, Identity."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from .. import activations, constraints, initializers, ops, regularizers
from .._validation import check_shape, is_int, positive_int
from .layer import Layer

if TYPE_CHECKING:
    from ..variables import Variable

    _LoraBase = Layer  # the mixin is only ever mixed into Layer subclasses
else:
    _LoraBase = object


def _ser(mod: Any, obj: Any) -> Any:
    return None if obj is None else mod.serialize(obj)


class _MergedLoraWeight:
    """Stands in for a LoRA layer's frozen base weight in weights files (``.keras``, ``.weights.h5``).

    As in Keras 3, the file holds the *merged* weight ``base + (lora_alpha / lora_rank) * a @ b`` and
    not the factors; writing a value through this object sets the base weight and zeroes both
    factors, so the loaded layer computes exactly the saved weight. Only the attributes the weights
    store uses (``shape``, ``dtype``, ``path``, ``numpy``, ``_convert``, ``assign``) are provided.

    The merge is computed in the base weight's dtype. kshim deliberately differs from Keras here: under a
    mixed policy (``mixed_float16``) Keras merges in the compute dtype and so saves a float16-rounded
    kernel; kshim keeps the variable's precision.
    """

    def __init__(self, layer: "_LoraMixin"):
        self._layer = layer
        self._base = layer._lora_base()

    @property
    def shape(self) -> tuple:
        return tuple(self._base.shape)

    @property
    def dtype(self) -> str:
        return self._base.dtype

    @property
    def path(self) -> str:
        return self._base.path

    def numpy(self) -> np.ndarray:
        return np.asarray(ops.convert_to_numpy(self._layer._lora_merged(self._base.dtype)))

    def _convert(self, value: Any) -> Any:
        return self._base._convert(value)

    def assign(self, value: Any) -> "_MergedLoraWeight":
        self._base.assign(value)
        for f in self._layer._lora_factors():
            f.assign(np.zeros(tuple(f.shape), dtype=f.dtype))
        return self


class _LoraMixin(_LoraBase):
    """LoRA (low-rank adaptation) shared by ``Dense``, ``EinsumDense`` and ``Embedding``, as in Keras 3.

    With LoRA enabled the base weight (``_kernel`` / ``_embeddings``) is frozen and two trainable
    factors ``a`` (base shape with the last axis replaced by ``rank``) and ``b`` (``(rank, last)``)
    are added; the layer computes with ``base + (lora_alpha / lora_rank) * (a @ b)``.
    """

    _lora_base_attr = "_kernel"
    _lora_names = ("lora_kernel_a", "lora_kernel_b")
    _lora_constraint_attr = "kernel_constraint"
    _lora_regularizer_attr = "kernel_regularizer"
    _lora_constraint_error = (
        "Lora is incompatible with kernel constraints. In order to enable lora on this "
        "layer, remove the `kernel_constraint` argument."
    )

    def _init_lora(self, lora_rank: int | None, lora_alpha: float | None) -> None:
        self.lora_rank: int | None = lora_rank
        self.lora_alpha: float | None = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _lora_base(self) -> Any:
        base = self.__dict__.get(self._lora_base_attr)
        if base is None:
            raise AttributeError(f"You must build the layer before accessing `{self._lora_base_attr[1:]}`.")
        return base

    def _lora_factors(self) -> list:
        return [getattr(self, n) for n in self._lora_names] if self.lora_enabled else []

    def _lora_merged(self, dtype: str | None = None) -> Any:
        """The effective weight: the base weight, plus the scaled LoRA product (cast to ``dtype``, default the
        compute dtype, as Keras does) when LoRA is on."""
        base = self._lora_base()
        if not self.lora_enabled:
            return base
        a, b = self._lora_factors()
        assert self.lora_rank is not None and self.lora_alpha is not None  # enable_lora() set them
        delta = ops.multiply(ops.matmul(a, b), self.lora_alpha / self.lora_rank)
        return ops.cast(ops.add(base, delta), dtype or self.compute_dtype)

    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freeze the base weight and add the trainable low-rank factors (Keras' ``enable_lora``).

        Args:
            rank: The rank of the factors (a positive integer).
            lora_alpha: Scale numerator: the update is ``(lora_alpha / rank) * a @ b``; ``None``
                (default): ``rank`` (scale 1).
            a_initializer: Initializer of the first factor (default ``"he_uniform"``).
            b_initializer: Initializer of the second factor (default ``"zeros"``, so the layer's output
                is unchanged right after enabling).

        The factors are float32 (as in Keras, whatever the layer's dtype policy) and take the base
        weight's regularizer. kshim deliberately differs in two ways: a float64 layer gets float64
        factors (Keras makes them float32, losing float64 precision), and ``rank`` must be a positive
        integer (Keras does not check it).

        Raises:
            ValueError: If the layer has a kernel (embeddings) constraint, is not built yet, already
                has LoRA enabled, or ``rank`` is not a positive integer.
        """
        if getattr(self, self._lora_constraint_attr):
            raise ValueError(self._lora_constraint_error)
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        rank = positive_int(rank, "rank", self)
        base = self._lora_base()
        shape = tuple(base.shape)
        dtype = "float64" if base.dtype == "float64" else "float32"
        reg = getattr(self, self._lora_regularizer_attr)
        a = self.add_weight(
            shape[:-1] + (rank,),
            initializers.get(a_initializer),
            dtype=dtype,
            regularizer=reg,
            name=self._lora_names[0],
        )
        b = self.add_weight(
            (rank, shape[-1]), initializers.get(b_initializer), dtype=dtype, regularizer=reg, name=self._lora_names[1]
        )
        setattr(self, self._lora_names[0], a)
        setattr(self, self._lora_names[1], b)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_config(self, cfg: dict) -> None:
        if self.lora_rank:  # Keras writes both keys only when a rank is set
            cfg["lora_rank"] = self.lora_rank
            cfg["lora_alpha"] = self.lora_alpha

    # ---- weights files (Keras: save_own_variables / load_own_variables) -------------------------
    def _weights_file_entries(self) -> list:
        """``(dataset name, variable)`` pairs for weights files (``kshim.saving.h5_store``).

        Without LoRA: every own variable in order, as for any layer. With LoRA, as Keras 3 writes it:
        the merged base weight, then the bias (if any); the factors are not stored, and loading
        zeroes them.
        """
        own: list[Variable | _MergedLoraWeight] = [*self._trainable_variables, *self._non_trainable_variables]
        if self.lora_enabled:
            factors, base = {id(f) for f in self._lora_factors()}, self._lora_base()
            own = [_MergedLoraWeight(self) if v is base else v for v in own if id(v) not in factors]
        return [(str(i), v) for i, v in enumerate(own)]

    def save_own_variables(self, store: Any) -> None:
        """Write this layer's variables into ``store`` (a dict-like ``{"0": array, ...}``), as Keras does:
        with LoRA enabled, the merged base weight replaces the base weight and the factors are left out."""
        if not self.built:
            return
        for key, v in self._weights_file_entries():
            store[key] = v.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Assign this layer's variables from ``store`` (as written by :meth:`save_own_variables`); with LoRA
        enabled the stored base weight is the merged one and both factors are reset to zeros.

        Raises:
            ValueError: Without LoRA, if ``store`` holds a different number of variables than the layer.
        """
        entries = self._weights_file_entries() if self.built else []
        if not self.lora_enabled and len(list(store.keys())) != len(entries):
            raise ValueError(
                f"Layer {self.name!r} expected {len(entries)} variables, but received "
                f"{len(list(store.keys()))} variables during loading. Expected: "
                f"{[v.path for _, v in entries]}"
            )
        for key, v in entries:
            v.assign(np.asarray(store[key]))


class Dense(_LoraMixin, Layer):
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
        lora_rank: If set (a positive integer), LoRA is enabled when the layer is built: the kernel is frozen
            and two trainable low-rank factors ``lora_kernel_a``, ``lora_kernel_b`` are added (see
            ``enable_lora``). ``None`` or 0 (default): no LoRA.
        lora_alpha: Scale numerator of the LoRA update ``(lora_alpha / lora_rank) * a @ b``; ``None`` (default):
            ``lora_rank``. kshim deliberately differs from Keras 3.15 here: Keras' ``Dense`` forgets a
            constructor ``lora_alpha`` when it builds (it resets it to ``lora_rank``); kshim keeps it.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    With LoRA enabled, ``kernel`` is the effective kernel ``kernel + (lora_alpha / lora_rank) * a @ b`` (a
    tensor, not a variable, as in Keras), the trainable weights are the bias and the two factors, and
    weights files hold the merged kernel (Keras' layout; loading one zeroes the factors).

    Raises:
        ValueError: If ``units`` is not a positive integer; when built or called, for an unknown or
            mismatched last input dimension; when built with ``lora_rank`` and a ``kernel_constraint``.
    """

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ):
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
        self._init_lora(lora_rank, lora_alpha)
        self.supports_masking = True

    @property
    def kernel(self) -> Any:
        """The effective kernel: the kernel variable, or with LoRA enabled the merged kernel tensor."""
        return self._lora_merged()

    def build(self, input_shape: Any) -> None:
        in_dim = input_shape[-1]
        if in_dim is None:
            raise ValueError(
                f"Dense layer {self.name!r}: the last dimension of the input must be known, "
                f"got input shape {tuple(input_shape)}."
            )
        self._kernel = self.add_weight(
            (in_dim, self.units),
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = (
            self.add_weight(
                (self.units,),
                self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    _output_shape_by_formula = True

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """``input_shape`` with the last dim replaced by ``units``."""
        return tuple(input_shape)[:-1] + (self.units,)

    def call(self, inputs: Any) -> Any:
        shp = ops.shape(inputs)
        if shp[-1] != self._kernel.shape[0]:
            raise ValueError(
                f"Input 0 of layer {self.name!r} is incompatible with the layer: expected last "
                f"dimension {self._kernel.shape[0]}, got input shape {tuple(shp)}."
            )
        y = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers, self.bias_regularizer),
                "kernel_constraint": _ser(constraints, self.kernel_constraint),
                "bias_constraint": _ser(constraints, self.bias_constraint),
                "quantization_config": None,
            }
        )
        self._lora_config(cfg)
        return cfg


class EinsumDense(_LoraMixin, Layer):
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
        lora_rank: If set (a positive integer), LoRA is enabled when the layer is built: the kernel is frozen
            and two trainable low-rank factors ``lora_kernel_a``, ``lora_kernel_b`` are added (see
            ``enable_lora``). ``None`` or 0 (default): no LoRA.
        lora_alpha: Scale numerator of the LoRA update ``(lora_alpha / lora_rank) * a @ b``, where ``a`` has the
            kernel's shape with its last axis replaced by the rank; ``None`` (default): ``lora_rank``.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    With LoRA enabled, ``kernel`` is the effective kernel (a tensor, as in Keras), the trainable weights
    are the bias and the two factors, and weights files hold the merged kernel (Keras' layout).

    Raises:
        ValueError: When built, for an equation that is not ``"in,kernel->out"`` or uses an ellipsis, or
            with ``lora_rank`` and a ``kernel_constraint``.
    """

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = check_shape(
            (output_shape,) if is_int(output_shape) else output_shape, "output_shape", self
        )
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)

    @property
    def kernel(self) -> Any:
        """The effective kernel: the kernel variable, or with LoRA enabled the merged kernel tensor."""
        return self._lora_merged()

    def build(self, input_shape: Any) -> None:
        m = re.match(r"([a-zA-Z.]+),([a-zA-Z.]+)->([a-zA-Z.]+)", self.equation.replace(" ", ""))
        if not m:
            raise ValueError(f"EinsumDense: invalid equation {self.equation!r}; expected 'in,kernel->out'.")
        lin, lk, lout = m.groups()
        if "." in lin or "." in lout:
            raise ValueError("EinsumDense: ellipsis equations are not supported; spell out every axis.")
        dims = dict(zip(lin, input_shape))
        out_full = tuple(input_shape[: len(lout) - len(self.partial_output_shape)]) + self.partial_output_shape
        for c, d in zip(lout, out_full):
            dims.setdefault(c, d)
        kshape = tuple(dims[c] for c in lk)
        self.full_output_shape = tuple(dims.get(c) for c in lout)
        self._kernel = self.add_weight(
            kshape,
            self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.bias_axes:
            first = min(lout.index(c) for c in self.bias_axes)
            bshape = tuple(dims[c] if c in self.bias_axes else 1 for c in lout[first:])
            self.bias: Variable | None = self.add_weight(
                bshape,
                self.bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def call(self, inputs: Any) -> Any:
        y = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return self.activation(y)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.update(
            {
                "output_shape": list(self.partial_output_shape),
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": _ser(regularizers, self.kernel_regularizer),
                "bias_regularizer": _ser(regularizers, self.bias_regularizer),
                "activity_regularizer": _ser(regularizers, self.activity_regularizer),
                "kernel_constraint": _ser(constraints, self.kernel_constraint),
                "bias_constraint": _ser(constraints, self.bias_constraint),
                "quantization_config": None,
            }
        )
        self._lora_config(cfg)
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


class Embedding(_LoraMixin, Layer):
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
        lora_rank: If set (a positive integer), LoRA is enabled when the layer is built: the table is frozen
            and two trainable factors ``lora_embeddings_a`` ``(input_dim, rank)`` and ``lora_embeddings_b``
            ``(rank, output_dim)`` are added (see ``enable_lora``). ``None`` or 0 (default): no LoRA.
        lora_alpha: Scale numerator of the LoRA update ``(lora_alpha / lora_rank) * a @ b``; ``None`` (default):
            ``lora_rank``. kshim deliberately differs from Keras 3.15 here: Keras' ``Embedding`` forgets a
            constructor ``lora_alpha`` when it builds (it resets it to ``lora_rank``); kshim keeps it.
        **kwargs: Base ``Layer`` arguments (``name``, ``dtype``, ``trainable``, ...).

    With LoRA enabled, ``embeddings`` is the effective table (a tensor, as in Keras), the trainable
    weights are the two factors, and weights files hold the merged table (Keras' layout).

    Raises:
        ValueError: If ``input_dim`` or ``output_dim`` is not a positive integer; when built with
            ``lora_rank`` and an ``embeddings_constraint``.
    """

    _lora_base_attr = "_embeddings"
    _lora_names = ("lora_embeddings_a", "lora_embeddings_b")
    _lora_constraint_attr = "embeddings_constraint"
    _lora_regularizer_attr = "embeddings_regularizer"
    _lora_constraint_error = (
        "Lora is incompatible with embedding constraints. In order to enable lora on "
        "this layer, remove the `embeddings_constraint` argument."
    )

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer: Any = "uniform",
        embeddings_regularizer: Any = None,
        embeddings_constraint: Any = None,
        mask_zero: bool = False,
        weights: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        **kwargs: Any,
    ):
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
        self._init_lora(lora_rank, lora_alpha)

    @property
    def embeddings(self) -> Any:
        """The effective table: the embeddings variable, or with LoRA enabled the merged table tensor."""
        return self._lora_merged()

    def build(self, input_shape: Any = None) -> None:
        if self.built:  # as Keras: a second build keeps the table (and LoRA factors) as they are
            return
        self._embeddings = self.add_weight(
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            name="embeddings",
            regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

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
        cfg.update(
            {
                "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
                "embeddings_regularizer": _ser(regularizers, self.embeddings_regularizer),
                "embeddings_constraint": _ser(constraints, self.embeddings_constraint),
                "mask_zero": self.mask_zero,
                "activity_regularizer": _ser(regularizers, self.activity_regularizer),
                "quantization_config": None,
            }
        )
        self._lora_config(cfg)
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

    def __init__(
        self,
        function: Callable,
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict | None = None,
        **kwargs: Any,
    ):
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
            cfg["output_shape"] = (
                serialize_function(self._output_shape) if callable(self._output_shape) else self._output_shape
            )
        if self._mask is not None and callable(self._mask):
            cfg["mask"] = serialize_function(self._mask)
        cfg["arguments"] = self.arguments
        return cfg

    @classmethod
    def from_config(cls, config: dict, safe_mode: bool | None = None, custom_objects: dict | None = None) -> "Lambda":
        """Rebuild from ``get_config()``; bytecode functions are refused in safe mode."""
        from .._lambda_code import deserialize_function

        cfg = dict(config)
        cfg["function"] = deserialize_function(cfg["function"], safe_mode=safe_mode, custom_objects=custom_objects)
        for key in ("output_shape", "mask"):
            if isinstance(cfg.get(key), dict) and cfg[key].get("class_name") in ("function", "__lambda__"):
                cfg[key] = deserialize_function(cfg[key], safe_mode=safe_mode, custom_objects=custom_objects)
        if isinstance(cfg.get("output_shape"), list) and all(
            d is None or isinstance(d, int) for d in cfg["output_shape"]
        ):
            cfg["output_shape"] = tuple(cfg["output_shape"])
        return super().from_config(cfg)

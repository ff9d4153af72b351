"""Shared implementation pieces every backend inherits (written once over the primitives)."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np
import optree

from ._protocol import BINARY_OPS, REDUCE_OPS, UNARY_OPS  # noqa: F401

DTYPES = (
    "bool",
    "uint8",
    "uint16",
    "uint32",
    "int8",
    "int16",
    "int32",
    "int64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)
FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
#: Complex dtypes: kept apart from ``FLOAT_DTYPES`` (code asking "is this floating" -- gradients,
#: initializers, floatx -- keeps meaning real floats); ``INEXACT_DTYPES`` is both.
COMPLEX_DTYPES = ("complex64", "complex128")
INEXACT_DTYPES = FLOAT_DTYPES + COMPLEX_DTYPES


def complex_cast_message(src: str, dtype: Any) -> str:
    """The error of a backend ``cast`` from a complex dtype to a real one: kshim's ops never drop an
    imaginary part silently (only the explicit ``ops.cast`` takes the real part, as NumPy does)."""
    return (
        f"Casting {src} to {dtype} would drop the imaginary part; take ops.real, ops.imag or ops.abs "
        "first (an explicit ops.cast keeps the real part)."
    )


def canonical_dtype(dtype: Any) -> str:
    """Canonical dtype string from a string, NumPy dtype or Python type (``complex`` is complex128,
    as ``float`` is float64: NumPy's meaning of the Python types)."""
    if dtype is None:
        raise TypeError("dtype must not be None here")
    if isinstance(dtype, str):
        name = dtype
    elif dtype is bool:
        name = "bool"
    elif dtype is int:
        name = "int64"
    elif dtype is float:
        name = "float64"
    elif dtype is complex:
        name = "complex128"  # NumPy's meaning of the Python type, as ``float`` is float64 here
    else:
        name = getattr(dtype, "name", None) or str(dtype)
    name = name.replace("torch.", "")
    aliases = {
        "float": "float32",
        "double": "float64",
        "half": "float16",
        "int": "int64",
        "long": "int64",
        "bool_": "bool",
        "cfloat": "complex64",
        "cdouble": "complex128",
        # the name ``kshim.backend.standardize_dtype`` makes of the Python type ``complex``: Keras maps
        # that type to complex64 (as it maps ``float`` to float32)
        "complex": "complex64",
    }
    name = aliases.get(name, name)
    if name not in DTYPES:
        raise ValueError(f"Unsupported dtype {dtype!r}. Supported: {', '.join(DTYPES)}.")
    return name


def install_methods(cls: type, methods: dict) -> None:
    """Set ``{name: function(self, ...)}`` as methods of ``cls`` (for the elementwise and reduction
    primitives that a backend builds from a table rather than writing one by one)."""
    for name, fn in methods.items():
        fn.__name__ = name
        fn.__qualname__ = f"{cls.__name__}.{name}"
        setattr(cls, name, fn)


def check_complete(cls: type) -> None:
    """Raise ``TypeError`` unless ``cls`` has a method for every name in UNARY_OPS, BINARY_OPS and
    REDUCE_OPS and the autodiff primitive ``_value_and_grad_flat`` (run once when a backend module is
    imported)."""
    required = (*UNARY_OPS, *BINARY_OPS, *REDUCE_OPS, "_value_and_grad_flat")  # the autodiff primitive too
    missing = [n for n in required if not callable(getattr(cls, n, None))]
    if missing:
        raise TypeError(f"backend class {cls.__name__} lacks the protocol primitives {missing}")


FOREACH_FUSED = ("lerp", "subtract_quotient")  # composite names ``foreach`` accepts besides primitives


def _backend_named(name: str) -> Any:
    from . import get

    return get(name)


class BaseBackend:
    """Base class: helpers shared by all backends. Subclasses implement the protocol."""

    name = "base"
    #: Whether ``jit`` may trace a user's custom ``train_step``/``test_step``/``predict_step``
    #: (JAX: yes, as Keras does; torch runs them eagerly, as Keras' torch backend does by default).
    jit_user_steps = False
    supports_jit = False
    jit_takes_host_arrays = False
    cache_constants = True
    # Optional fused kernels (see _protocol.py); None means kshim.ops uses its composite. ``lstm`` and
    # ``gru``: fused recurrent sequences (None: the layer runs its cell over scan); ``dot_product_attention``:
    # fused attention (None: kshim.ops' composite). The type checker sees read-only hooks, so that a
    # backend (or one of its mixins) may define any of them as a method.
    if TYPE_CHECKING:

        @property
        def relu(self) -> Callable[..., Any] | None: ...
        @property
        def softmax(self) -> Callable[..., Any] | None: ...
        @property
        def log_softmax(self) -> Callable[..., Any] | None: ...
        @property
        def logsumexp(self) -> Callable[..., Any] | None: ...
        @property
        def threefry2x32(self) -> Callable[..., Any] | None: ...
        @property
        def lstm(self) -> Callable[..., Any] | None: ...
        @property
        def gru(self) -> Callable[..., Any] | None: ...
        @property
        def dot_product_attention(self) -> Callable[..., Any] | None: ...
        @property
        def rnn_pair(self) -> Callable[..., Any] | None: ...
        @property
        def split_at(self) -> Callable[..., Any] | None: ...
        @property
        def layer_norm(self) -> Callable[..., Any] | None: ...
    else:
        relu = softmax = log_softmax = logsumexp = threefry2x32 = None
        lstm = gru = rnn_pair = split_at = layer_norm = None
        dot_product_attention = None

    #: Whether the built-in recurrent layers (on the ``scan`` path) compute the input half of every
    #: step for the whole sequence in one matmul before the loop (``True``), or inside each step as
    #: Keras does (``False``). One big matmul is faster on NumPy and torch; XLA's CPU compiler runs
    #: the per-step form ~1.5x faster (the stacked (T, B, 4U) projection and its gradient are the
    #: cost), so the JAX backend answers per platform (``rnn_hoist_input_projection()``).
    def rnn_hoist_input_projection(self) -> bool:
        return True

    def inference_context(self) -> Any:
        """Context the built-in ``test``/``predict`` steps run in (outside ``jit``, so a traced step
        replays in it too): nothing here; torch turns autograd off, as Keras' torch backend does."""
        return contextlib.nullcontext()

    def decoding_context(self, decode_threads: int) -> Any:
        """Context the fit/evaluate/predict loops iterate a dataset in whose batches are decoded
        from files on ``decode_threads`` threads while the step runs (``image_dataset_from_directory``):
        nothing here; torch gives its compute threads the cores the decoding leaves."""
        return contextlib.nullcontext()

    #: Module prefixes of this backend's own tensor types (see ``backends.tensor_owner``).
    tensor_modules: tuple = ()

    # One object per backend (``backends.get`` caches it): a copied or pickled layer keeps using it.
    def __deepcopy__(self, memo: dict) -> "BaseBackend":
        return self

    def __reduce__(self) -> tuple:
        return _backend_named, (self.name,)

    #: A class layers created under this backend also derive from (see ``_protocol.py``); none here.
    layer_module_base: type | None = None

    if TYPE_CHECKING:
        # Protocol primitives the helpers below call; each backend defines them (``check_complete``
        # checks that at import). Declared for the type checker only, so that nothing here shadows them.
        def is_tensor(self, *args: Any, **kwargs: Any) -> Any: ...
        def convert_to_tensor(self, *args: Any, **kwargs: Any) -> Any: ...
        def shape(self, *args: Any, **kwargs: Any) -> Any: ...
        def dtype(self, *args: Any, **kwargs: Any) -> Any: ...
        def zeros(self, *args: Any, **kwargs: Any) -> Any: ...
        def reshape(self, *args: Any, **kwargs: Any) -> Any: ...
        def getitem(self, *args: Any, **kwargs: Any) -> Any: ...
        def concatenate(self, *args: Any, **kwargs: Any) -> Any: ...
        def add(self, *args: Any, **kwargs: Any) -> Any: ...
        def subtract(self, *args: Any, **kwargs: Any) -> Any: ...
        def multiply(self, *args: Any, **kwargs: Any) -> Any: ...
        def divide(self, *args: Any, **kwargs: Any) -> Any: ...
        def _value_and_grad_flat(self, *args: Any, **kwargs: Any) -> Any: ...

    def stable_storage(self, value: Any, trainable: bool) -> Any:
        """Storage for a variable whose identity must stay fixed (see ``_protocol.py``): the value."""
        return value

    def assign_into(self, storage: Any, value: Any) -> Any:
        """Write ``value`` into ``storage`` (see ``_protocol.py``): here the value replaces it."""
        return value

    def check_foreign(self, x: Any) -> None:
        """Raise ``TypeError`` if ``x`` is a tensor of another backend (or of a framework kshim has no
        backend for): tensors are never converted across backends implicitly."""
        from . import tensor_owner

        owner = tensor_owner(x)
        if owner is None or owner == self.name:
            return
        how = (
            f"convert it first with that backend's to_numpy (kshim.backends.get({owner!r}).to_numpy(x))"
            if owner not in ("tensorflow",)
            else "convert it to a NumPy array first (x.numpy())"
        )
        raise TypeError(
            f"The {self.name!r} backend got a {type(x).__module__}.{type(x).__name__}, which is a tensor of "
            f"{'the ' + repr(owner) + ' backend' if owner != 'tensorflow' else 'TensorFlow'}. Tensors of "
            f"different backends cannot be mixed; {how}."
        )

    # ---- control flow: the unrolled ``scan``, written once ------------------------------------------
    def scan(self, f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False) -> tuple:
        """``jax.lax.scan`` semantics by unrolling in Python (differentiable through the backend's own
        autodiff). With zero steps the stacked ``ys`` are empty arrays of leading size 0 whose structure,
        shapes and dtypes come from tracing ``f`` once on zeros, as ``lax.scan`` gives."""
        leaves, spec = ([], None) if xs is None else optree.tree_flatten(xs, is_leaf=self.is_tensor)
        lens = {int(self.shape(leaf)[0]) for leaf in leaves}
        if length is not None:
            lens.add(int(length))
        if len(lens) > 1:
            raise ValueError(f"scan: inconsistent leading lengths {sorted(lens)} of xs (and length).")
        if not lens:
            raise ValueError("scan: give xs or length (`length` is required when `xs` is None).")
        n = lens.pop()
        steps = [self._unstack(leaf, n) for leaf in leaves]
        carry, ys = init, []
        for t in range(n - 1, -1, -1) if reverse else range(n):
            x = None if spec is None else optree.tree_unflatten(spec, [s[t] for s in steps])
            carry, y = f(carry, x)
            ys.append(y)
        if n == 0:
            x = (
                None
                if spec is None
                else optree.tree_unflatten(
                    spec, [self.zeros(self.shape(leaf)[1:], self.dtype(leaf)) for leaf in leaves]
                )
            )
            _, y = f(init, x)
            y_leaves, y_spec = optree.tree_flatten(y, is_leaf=self.is_tensor)
            return init, optree.tree_unflatten(
                y_spec, [self.zeros((0, *self.shape(v)), self.dtype(v)) for v in y_leaves]
            )
        if reverse:
            ys.reverse()
        flat = [optree.tree_flatten(y, is_leaf=self.is_tensor)[0] for y in ys]
        y_spec = optree.tree_structure(ys[0], is_leaf=self.is_tensor)
        return carry, optree.tree_unflatten(y_spec, [self._stack(list(col)) for col in zip(*flat)])

    def _unstack(self, x: Any, n: int) -> list:
        """``[x[0], ..., x[n-1]]`` (backends override with a faster native split)."""
        return [self.getitem(x, (i,)) for i in range(n)]

    def _stack(self, xs: list) -> Any:
        """Stack equal-shape tensors along a new leading axis (backends override with a native stack)."""
        return self.concatenate([self.reshape(x, (1, *self.shape(x))) for x in xs], 0)

    # ---- autodiff: the pytree plumbing of ``value_and_grad``, written once ---------------------------
    def value_and_grad(self, fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
        """``jax.value_and_grad`` over pytrees (see ``_protocol.Backend.value_and_grad``).

        The selected positional arguments are flattened to leaves; float leaves are differentiated
        through the backend's ``_value_and_grad_flat`` (the one autodiff primitive a backend writes, see
        ``_protocol.Backend._value_and_grad_flat``; ``check_complete`` requires it),
        other leaves get zero gradients of their shape and dtype; keyword arguments pass through.
        """
        single = isinstance(argnums, int)
        nums = (argnums,) if isinstance(argnums, int) else tuple(int(a) for a in argnums)

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            n = len(args)
            for a in nums:
                if not -n <= a < n:
                    raise ValueError(
                        f"value_and_grad: argnums={argnums!r} is out of range for {n} positional arguments."
                    )
            sel = [a % n for a in nums]
            selected: Any = [args[i] for i in sel]  # a list pytree (optree's PyTree type rejects list[Any])
            flat, treedef = optree.tree_flatten(selected, is_leaf=self.is_tensor)
            leaves = [self._grad_input(leaf) for leaf in flat]
            diff = [i for i, leaf in enumerate(leaves) if self.dtype(leaf) in FLOAT_DTYPES]

            def flat_fn(diff_leaves: list) -> tuple:
                merged = list(leaves)
                for p, v in zip(diff, diff_leaves):
                    merged[p] = v
                new_args = list(args)
                for i, v in zip(sel, optree.tree_unflatten(treedef, merged)):
                    new_args[i] = v
                out = fn(*new_args, **kwargs)
                if not has_aux:
                    return out, None
                if not (isinstance(out, (tuple, list)) and len(out) == 2):
                    raise TypeError("value_and_grad(has_aux=True): fn must return a pair (value, aux).")
                return out[0], out[1]

            value, aux, dgrads = self._value_and_grad_flat(flat_fn, [leaves[p] for p in diff])
            grads = [
                self.zeros(self.shape(leaf), self.dtype(leaf)) if i not in diff else None
                for i, leaf in enumerate(leaves)
            ]
            for p, g in zip(diff, dgrads):
                grads[p] = g
            tree = optree.tree_unflatten(treedef, grads)
            g_out = tree[0] if single else tuple(tree)
            return ((value, aux) if has_aux else value), g_out

        return wrapped

    def _grad_input(self, leaf: Any) -> Any:
        """A leaf of a differentiated argument as a tensor of this backend (foreign tensors refused)."""
        return leaf if self.is_tensor(leaf) else self.convert_to_tensor(leaf)

    @staticmethod
    def _check_scalar_value(shape: tuple, dtype: str) -> None:
        if tuple(shape) != ():
            raise TypeError(
                f"value_and_grad: fn must return a scalar (shape ()) value, got shape {tuple(shape)}. "
                f"Reduce it first (e.g. sum or mean)."
            )
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"value_and_grad: fn must return a float scalar, got {dtype}.")

    def host_view(self, arr: Any) -> Any:
        """No zero-copy batch views by default (see ``_protocol.Backend.host_view``)."""
        return None

    def __repr__(self) -> str:
        return f"<kshim backend {self.name!r}>"

    def set_deterministic(self, enabled: bool) -> list:
        """Nothing to switch by default (see ``_protocol.Backend.set_deterministic``)."""
        return []

    def check_host_device(self, spec: str | None) -> None:
        """For a backend that computes in host memory only: accept ``spec`` if it is a CPU device
        (``None`` too), else raise the ``ValueError`` of ``backends._device``."""
        from ._device import parse_device, unavailable

        if spec is not None and parse_device(spec) not in (("cpu", None), ("cpu", 0)):
            raise unavailable(self.name, spec, ["cpu"])

    @contextlib.contextmanager
    def device_scope(self, device: str) -> Iterator[None]:
        """CPU only (see ``_protocol.Backend.device_scope``); other backends override it."""
        self.check_host_device(device)
        yield

    def grad_leaf(self, tensor: Any) -> Any:
        """``tensor`` as a leaf that accumulates a gradient when a loss computed from it is
        back-propagated (torch's ``loss.backward()`` idiom in a custom ``train_step``); backends
        without that idiom return it unchanged."""
        return tensor

    def foreach(self, name: str, *args: Any) -> list:
        """Apply the elementwise primitive ``name`` across lists of tensors (a non-list argument is
        used for every element): ``foreach("add", xs, ys) == [add(x, y) for x, y in zip(xs, ys)]``.
        Besides the primitives, two fused names (``FOREACH_FUSED``): ``"lerp"`` (a, b, w) is
        ``a + (b - a) * w`` and ``"subtract_quotient"`` (x, n, d) is ``x - n / d``. Backends with
        multi-tensor kernels override it; results must equal the per-tensor loop (for the fused
        names up to the rounding of a fused multiply-add)."""
        n = next(len(a) for a in args if isinstance(a, list))
        cols = [a if isinstance(a, list) else [a] * n for a in args]
        fn = getattr(self, name) if name not in FOREACH_FUSED else getattr(self, "_fused_" + name)
        return [fn(*row) for row in zip(*cols)]

    def _fused_lerp(self, a: Any, b: Any, w: Any) -> Any:
        return self.add(a, self.multiply(self.subtract(b, a), w))

    def _fused_subtract_quotient(self, x: Any, n: Any, d: Any) -> Any:
        return self.subtract(x, self.divide(n, d))

    def numpy_dtype(self, dtype: str) -> np.dtype:
        """NumPy dtype for a canonical name (bfloat16 through ml_dtypes)."""
        if dtype == "bfloat16":
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        return np.dtype(dtype)

"""The backend protocol: the primitives every kshim backend implements.

Conventions (they are the contract the frontend relies on):

* Tensors are the backend's native arrays (``np.ndarray`` or the NumPy tape's ``Tensor``,
  ``jax.Array``, ``torch.Tensor``). ``convert_to_tensor`` is the only entry point for foreign data.
* dtypes are canonical strings: ``bool, uint8, uint16, uint32, int8, int16, int32, int64,
  float16, bfloat16, float32, float64``. Primitives never promote: the frontend (``kshim.ops``)
  casts operands to a common dtype first. Binary elementwise ops broadcast like NumPy.
* ``axis`` arguments of reductions are ``None`` or a tuple of non-negative ints.
* Convolution/pooling ``padding`` is explicit: a sequence of ``(low, high)`` int pairs, one per
  spatial dim; the frontend turns Keras' ``"valid"``/``"same"`` into pairs.
  ``data_format`` is ``"channels_last"`` (N, *spatial, C) or ``"channels_first"`` (N, C, *spatial).
  Conv kernels use Keras' layout ``(*spatial, in_channels // groups, out_channels)``.
* Control flow takes Python callables over pytrees (nested tuples/lists/dicts of tensors).
* Gradients: ``value_and_grad(fn, argnums, has_aux)`` mirrors ``jax.value_and_grad`` over pytrees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, ContextManager, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

Tensor = Any
DType = str
Shape = tuple
Axis = "tuple[int, ...] | None"

UNARY_OPS = (
    "negative",
    "abs",
    "sign",
    "exp",
    "log",
    "log1p",
    "expm1",
    "sqrt",
    "square",
    "reciprocal",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "erf",
    "erfinv",
    "sigmoid",
    "softplus",
    "floor",
    "ceil",
    "round",
    "logical_not",
    "isnan",
    "isinf",
    "isfinite",
    "bitwise_not",
)
"""Elementwise unary primitives, each a method ``name(x)``. ``round`` rounds half to even."""

BINARY_OPS = (
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "mod",
    "power",
    "maximum",
    "minimum",
    "arctan2",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "left_shift",
    "right_shift",
)
"""Elementwise binary primitives, each a method ``name(x1, x2)`` with NumPy broadcasting.
``divide`` is true division; ``mod`` and ``floor_divide`` follow Python's sign rules;
``maximum``/``minimum`` propagate NaN; comparisons return bool. Gradients of ``maximum``/
``minimum`` at ties go half to each input (JAX's convention)."""

REDUCE_OPS = ("sum", "prod", "max", "min", "any", "all")
"""Reductions ``name(x, axis=None, keepdims=False)``; ``axis`` is None or a tuple of ints.
``max``/``min`` gradients at ties are split evenly among the tied elements (JAX)."""


@runtime_checkable
class Backend(Protocol):
    """What a backend object provides. See the module docstring for conventions."""

    name: str
    """Short name: ``"numpy"``, ``"jax"`` or ``"torch"``."""

    # ---- conversion and dtypes -------------------------------------------------------------
    def convert_to_tensor(self, x: Any, dtype: DType | None = None) -> Tensor:
        """Array-like (NumPy array, scalar, nested list, own tensor) -> tensor. With ``dtype``
        None, keeps the dtype of arrays and maps Python bool/int/float to bool/int64/float64
        (the frontend handles weak typing). Must raise TypeError for another backend's tensor."""

    def to_numpy(self, x: Tensor) -> "np.ndarray":
        """Tensor -> ``np.ndarray`` (copy allowed). The only way results leave a backend."""

    def is_tensor(self, x: Any) -> bool:
        """True for this backend's own tensor types."""

    def dtype(self, x: Tensor) -> DType:
        """Canonical dtype name of a tensor."""

    def shape(self, x: Tensor) -> tuple[int, ...]:
        """Static shape as a tuple of Python ints."""

    def cast(self, x: Tensor, dtype: DType) -> Tensor:
        """Convert to ``dtype`` (float->int truncates toward zero, like NumPy)."""

    # ---- creation ---------------------------------------------------------------------------
    def zeros(self, shape: Shape, dtype: DType) -> Tensor: ...
    def ones(self, shape: Shape, dtype: DType) -> Tensor: ...
    def full(self, shape: Shape, fill_value: float | int | bool, dtype: DType) -> Tensor: ...
    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Tensor: ...
    def eye(self, n: int, m: int, k: int, dtype: DType) -> Tensor: ...

    # ---- elementwise (see UNARY_OPS / BINARY_OPS for the method names) ---------------------
    def where(self, condition: Tensor, x1: Tensor, x2: Tensor) -> Tensor:
        """Broadcasting select; ``condition`` is bool; ``x1``/``x2`` share a dtype."""

    # ---- reductions and scans (see REDUCE_OPS) ----------------------------------------------
    def argmax(self, x: Tensor, axis: int | None, keepdims: bool = False) -> Tensor:
        """int64 index of the first maximum (flattened when axis is None)."""

    def argmin(self, x: Tensor, axis: int | None, keepdims: bool = False) -> Tensor: ...
    def cumsum(self, x: Tensor, axis: int) -> Tensor: ...
    def cumprod(self, x: Tensor, axis: int) -> Tensor: ...

    def sort(self, x: Tensor, axis: int) -> Tensor:
        """Ascending sort along ``axis``."""

    def argsort(self, x: Tensor, axis: int) -> Tensor:
        """Stable ascending argsort along ``axis`` (int64)."""

    def top_k(self, x: Tensor, k: int) -> tuple[Tensor, Tensor]:
        """Largest ``k`` along the last axis, sorted descending; ties keep the lower index first.
        Returns (values, int64 indices)."""

    # ---- shape, indexing, gather/scatter ------------------------------------------------------
    def reshape(self, x: Tensor, shape: Shape) -> Tensor:
        """Row-major reshape; ``shape`` is fully specified (no -1)."""

    def transpose(self, x: Tensor, axes: tuple[int, ...]) -> Tensor: ...
    def broadcast_to(self, x: Tensor, shape: Shape) -> Tensor: ...
    def concatenate(self, xs: Sequence[Tensor], axis: int) -> Tensor: ...

    def pad(
        self, x: Tensor, pad_width: Sequence[tuple[int, int]], mode: str = "constant", constant_values: float = 0
    ) -> Tensor:
        """``mode`` in {"constant", "reflect", "symmetric", "edge"}; one (lo, hi) per axis."""

    def getitem(self, x: Tensor, key: tuple) -> Tensor:
        """Basic indexing only: ``key`` is a tuple of ints, slices (any step), None and at most
        one Ellipsis. Ints are already in range (the frontend checks them)."""

    def slice_update(self, x: Tensor, key: tuple, update: Tensor) -> Tensor:
        """Functional ``x[key] = update`` (basic indexing as in ``getitem``); returns a new tensor."""

    def take(self, x: Tensor, indices: Tensor, axis: int) -> Tensor:
        """``np.take`` along ``axis`` with integer ``indices`` of any shape (in range)."""

    def take_along_axis(self, x: Tensor, indices: Tensor, axis: int) -> Tensor:
        """``np.take_along_axis``; ``indices`` broadcasts against ``x`` except on ``axis``."""

    def scatter_add(self, x: Tensor, indices: Tensor, updates: Tensor) -> Tensor:
        """Functional ``x[tuple(indices[..., i] for i)] += updates`` with duplicates accumulated.
        ``indices`` has shape (..., k) indexing the first k dims of ``x``; ``updates`` has shape
        ``indices.shape[:-1] + x.shape[k:]``."""

    def scatter_update(self, x: Tensor, indices: Tensor, updates: Tensor) -> Tensor:
        """As ``scatter_add`` but assigning (with duplicates the result is one of the values)."""

    # ---- linear algebra -------------------------------------------------------------------
    def matmul(self, x1: Tensor, x2: Tensor) -> Tensor:
        """``np.matmul`` semantics (1-d promotion, batch broadcasting), full float precision."""

    def einsum(self, subscripts: str, *operands: Tensor) -> Tensor: ...

    # ---- convolution and pooling ----------------------------------------------------------------
    def conv(
        self,
        x: Tensor,
        kernel: Tensor,
        strides: Sequence[int],
        padding: Sequence[tuple[int, int]],
        dilation: Sequence[int],
        groups: int,
        data_format: str,
    ) -> Tensor:
        """N-d (1, 2 or 3 spatial dims) cross-correlation. ``kernel``:
        ``(*k, in // groups, out)``. Output spatial size per dim:
        ``(n + lo + hi - d*(k-1) - 1) // s + 1``."""

    def conv_transpose(
        self,
        x: Tensor,
        kernel: Tensor,
        strides: Sequence[int],
        padding: Sequence[tuple[int, int]],
        dilation: Sequence[int],
        data_format: str,
    ) -> Tensor:
        """Transposed convolution, kernel in Keras' transpose layout ``(*k, out, in)``.
        Defined as: insert ``s-1`` zeros between input elements (lhs dilation by ``strides``),
        pad each spatial dim by ``(lo, hi)`` (negative crops), then a stride-1 convolution with
        the spatially flipped kernel and the given ``dilation``. Output size per dim:
        ``(n-1)*s + 1 + lo + hi - d*(k-1)``. Equals ``lax.conv_general_dilated`` with
        ``lhs_dilation=strides`` and a flipped kernel."""

    def max_pool(
        self,
        x: Tensor,
        pool_size: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[tuple[int, int]],
        data_format: str,
    ) -> Tensor:
        """Max over windows; padded cells count as -inf. Gradient goes to the first max."""

    def avg_pool(
        self,
        x: Tensor,
        pool_size: Sequence[int],
        strides: Sequence[int],
        padding: Sequence[tuple[int, int]],
        data_format: str,
    ) -> Tensor:
        """Mean over windows, excluding padded cells from the count (Keras ``same``)."""

    # ---- control flow --------------------------------------------------------------------------
    def cond(self, pred: Tensor | bool, true_fn: Callable, false_fn: Callable, *operands: Any) -> Any:
        """``true_fn(*operands)`` if pred else ``false_fn(*operands)``; both return the same
        pytree structure/shapes/dtypes. Differentiable."""

    def scan(
        self, f: Callable, init: Any, xs: Any = None, length: int | None = None, reverse: bool = False
    ) -> tuple[Any, Any]:
        """``jax.lax.scan`` semantics: ``f(carry, x) -> (carry, y)``; ``xs`` and the stacked
        ``ys`` are pytrees with a leading time axis. Differentiable (backprop through time)."""

    # ---- autodiff and compilation -----------------------------------------------------------
    def stop_gradient(self, x: Tensor) -> Tensor: ...

    def value_and_grad(self, fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
        """Like ``jax.value_and_grad``: returns ``g(*args) -> (value, grads)`` or
        ``((value, aux), grads)``; ``value`` is a scalar tensor; ``grads`` mirrors the pytree
        structure of the selected args (a tuple when ``argnums`` is a sequence). Non-float
        leaves and unused inputs get zero gradients of the right shape and dtype; keyword arguments
        pass through. ``BaseBackend`` provides the pytree plumbing; a backend implements only
        :meth:`_value_and_grad_flat`."""

    def _value_and_grad_flat(self, flat_fn: Callable, leaves: list) -> tuple:
        """The one autodiff primitive: ``flat_fn(leaves) -> (value, aux)`` with ``leaves`` a flat list of
        float tensors; returns ``(value, aux, grads)``, one gradient per leaf (zeros where unused),
        ``value`` a float scalar, ``value`` and ``aux`` detached. Call ``_check_scalar_value``."""

    def jit(self, fn: Callable, donate_argnums: Sequence[int] = (), static_argnums: Sequence[int] = ()) -> Callable:
        """Compile ``fn`` where the backend can (jax); may return ``fn`` unchanged."""

    def foreach(self, name: str, *args: Any) -> list:
        """Elementwise primitive ``name`` over lists of tensors (non-list arguments broadcast to
        every element); must equal ``[name(*row) for row in zip(*lists)]`` exactly. Also the fused
        names ``"lerp"`` (``a + (b - a) * w``) and ``"subtract_quotient"`` (``x - n / d``), equal up
        to FMA rounding. ``BaseBackend`` provides the loop; torch uses its multi-tensor kernels."""

    # ---- linear algebra: decompositions and solves (backends/<name>/linalg.py) -----------------
    # Matrices are the last two axes; leading axes are batch axes. Inputs are float32 or float64
    # (the frontend casts integers to floatx and computes half precision in float32). Every
    # primitive is differentiable except ``lu_factor``'s pivots and ``slogdet``'s sign. Outputs that
    # are not unique (the last M - N columns of a complete QR's ``q``; the extra columns of a full
    # SVD's ``u``/``vh`` when M != N) are constants for differentiation. Numerical failures raise
    # ValueError on concrete values; under tracing (jax.jit/grad) they give NaN/inf instead.
    def cholesky(self, x: Tensor) -> Tensor:
        """Lower Cholesky factor ``L`` (``x = L Lᵀ``) from the lower triangle of ``x`` (the
        frontend passes symmetric matrices; the gradient is the symmetric one). ValueError when a
        matrix is not positive definite."""

    def qr(self, x: Tensor, complete: bool) -> tuple[Tensor, Tensor]:
        """Householder QR (LAPACK geqrf signs): ``(q, r)`` of shapes (..., M, K), (..., K, N) with
        K = min(M, N), or (..., M, M), (..., M, N) when ``complete``."""

    def svd(self, x: Tensor, full_matrices: bool, compute_uv: bool) -> Any:
        """``(u, s, vh)`` with ``s`` (..., K) descending and ``u @ diag(s) @ vh == x``; ``u``/``vh``
        square when ``full_matrices``; only ``s`` when not ``compute_uv``."""

    def eigh(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(w, v)`` of the lower triangle of symmetric ``x``: eigenvalues ascending (..., M),
        orthonormal eigenvectors as columns (..., M, M)."""

    def eig(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(w, v)`` of a general square matrix with a *real* spectrum (LAPACK geev order, unit
        eigenvectors as columns), in the input's float dtype. ValueError when an eigenvalue is
        complex (traced: those entries are NaN)."""

    def solve(self, a: Tensor, b: Tensor) -> Tensor:
        """``a⁻¹ b`` for ``a`` (..., M, M) and ``b`` (..., M, K) with the same batch shape.
        ValueError for a singular ``a``."""

    def solve_triangular(self, a: Tensor, b: Tensor, lower: bool) -> Tensor:
        """``a⁻¹ b`` reading only the lower (or upper) triangle of ``a``; shapes as ``solve``. The
        gradient w.r.t. ``a`` is zero outside that triangle. A zero diagonal gives inf/NaN."""

    def lu_factor(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Partial-pivoting LU of (..., M, N): ``(lu, pivots)``, ``lu`` packed as LAPACK getrf
        (unit L below the diagonal, U on and above), ``pivots`` int32 (..., min(M, N)), 0-based
        row swaps applied in order. Singular matrices do not raise."""

    def slogdet(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(sign, log|det|)`` of (..., M, M), both in the input dtype; sign 0 and -inf for a
        singular matrix."""

    # ---- complex parts (backends/<name>/signal.py) -------------------------------------------------
    def real(self, x: Tensor) -> Tensor:
        """Real part of a complex tensor (complex64 -> float32, complex128 -> float64).
        Differentiable (the cotangent comes back as a real-valued complex one)."""

    def imag(self, x: Tensor) -> Tensor:
        """Imaginary part of a complex tensor, of the parts' precision. Differentiable."""

    def conj(self, x: Tensor) -> Tensor:
        """Complex conjugate (same dtype). Differentiable."""

    def complex(self, real: Tensor, imag: Tensor) -> Tensor:
        """``real + 1j * imag`` from two float tensors of one dtype (float32 -> complex64,
        float64 -> complex128). Differentiable in both parts."""

    # ---- FFT (backends/<name>/signal.py) ---------------------------------------------------------
    # Complex values travel as (real, imag) pairs of one float dtype (float32 or float64; the
    # frontend checks dtypes, ranks and lengths, so every transformed length here is >= 1).
    # Sign and scale follow NumPy's default ("backward") norm: the forward DFT is
    # ``X[k] = sum_n x[n] exp(-2j*pi*k*n/N)``, unscaled; the inverse divides by N.
    def fft(self, real: Tensor, imag: Tensor, ndim: int, inverse: bool) -> tuple[Tensor, Tensor]:
        """Complex DFT over the last ``ndim`` axes (1 or 2) of ``real + 1j*imag`` (same shape and
        dtype); ``inverse`` selects the inverse transform (scaled by 1/prod(lengths)). Returns
        (real, imag) of the input's shape and dtype. Differentiable in both parts."""

    def rfft(self, x: Tensor, n: int) -> tuple[Tensor, Tensor]:
        """DFT of a real signal over the last axis, cropped or zero-padded to ``n`` samples first;
        returns (real, imag) of the ``n // 2 + 1`` non-negative frequencies."""

    def irfft(self, real: Tensor, imag: Tensor, n: int) -> Tensor:
        """Inverse of ``rfft``: the last axis holds a Hermitian half spectrum, cropped or
        zero-padded to ``n // 2 + 1`` bins; returns the ``n`` real samples. The imaginary parts of
        the zero-frequency bin (and of the Nyquist bin when ``n`` is even) are ignored, so their
        gradients are zero."""

    # ---- function transforms: custom gradients, forward mode (backends/<name>/transforms.py) ----
    def custom_gradient(self, f: Callable) -> Callable:
        """A function with a user-defined VJP, over flat lists (the frontend handles pytrees).

        ``f(*leaves)`` returns ``(outs, vjp)``: ``outs`` a list of tensors; ``vjp(cts)`` takes a
        list with one cotangent per output (same shape and dtype; zeros for outputs that received
        no gradient) and returns a list with one entry per input leaf: a tensor of that leaf's
        shape and dtype, or None (zero). Returns ``h(*leaves) -> list`` computing ``outs`` whose
        gradient is ``vjp``. Gradients never flow through ``f``'s own operations (its forward runs
        untraced / in no-grad mode), and non-float leaves get none."""

    def jvp(self, fun: Callable, primals: Sequence[Tensor], tangents: Sequence[Tensor], has_aux: bool = False) -> tuple:
        """Forward-mode Jacobian-vector product over flat lists: ``fun(*primals)`` returns a list
        of tensors (``(list, aux)`` with ``has_aux``); ``tangents`` match ``primals`` in shape and
        dtype. Returns ``(outs, tangents_out)`` (``+ (aux,)``), both lists; a non-float output's
        tangent is zeros of its dtype. Exact (no finite differences) on every backend."""

    # ---- optional capabilities (defaults in BaseBackend) ----------------------------------------
    #: ``compile(jit_compile="auto")`` jits the built-in steps (jax: jax.jit; torch: trace-and-replay).
    supports_jit: bool
    #: jitted functions accept NumPy batch arrays directly (jax transfers them in its dispatch).
    jit_takes_host_arrays: bool
    #: constants built by ``kshim.ops`` may be cached per backend (jax: no, jit folds them).
    cache_constants: bool
    #: a user's own ``train_step`` etc. may be traced by ``jit`` (jax, as in Keras).
    jit_user_steps: bool

    #: module prefixes of this backend's own tensor types (``backends.tensor_owner`` reads them).
    tensor_modules: tuple

    #: a class every layer created under this backend also derives from (torch: the
    #: ``torch.nn.Module``-based ``backends/torch/module.TorchLayerModule``; ``None`` in BaseBackend).
    #: It must provide ``init_native(layer)`` (see ``kshim/layers/native_module.py``).
    layer_module_base: "type | None"

    def stable_storage(self, value: Tensor, trainable: bool) -> Tensor:
        """``value`` as storage that keeps its identity when written with ``assign_into`` (torch: an
        owned ``torch.nn.Parameter`` with ``requires_grad`` = trainable); BaseBackend: ``value``."""

    def assign_into(self, storage: Tensor, value: Tensor) -> Tensor:
        """Write ``value`` into ``storage`` and return the storage to keep (torch: in place, so a
        ``Parameter`` held by a torch optimizer sees it); BaseBackend: ``value`` (replaced)."""

    def check_foreign(self, x: Any) -> None:
        """Raise ``TypeError`` for a tensor of another backend (``BaseBackend`` implements it from the
        declared ``tensor_modules``; ``convert_to_tensor`` calls it)."""

    def grad_leaf(self, tensor: Tensor) -> Tensor:
        """``tensor`` as a leaf that accumulates ``.grad`` on back-propagation (torch's
        ``loss.backward()`` idiom in a custom step); unchanged elsewhere."""

    def host_view(self, arr: "np.ndarray") -> Tensor | None:
        """A zero-copy tensor over a NumPy array for batch slicing, or None when unsupported."""

    # Optional fused kernels, ``None`` in BaseBackend (the composite in kshim.ops runs instead):
    # ``relu(x)``, ``softmax(x, axis)``, ``log_softmax(x, axis)``, ``logsumexp(x, axis, keepdims)``,
    # ``threefry2x32(k0, k1, x0, x1)`` (uint32 words, bit-identical to ``backends/_threefry.py``).
    # Fused recurrent layers: attributes, not methods (a protocol method set to None would make the
    # backend fail ``isinstance(b, Backend)``); ``None`` in BaseBackend, and then the LSTM/GRU layer runs
    # its cell over ``scan``, which is the composite. The layer calls them only where its configuration
    # is exactly the kernel's (see ``kshim/layers/rnn/fused.py``).
    lstm: "Callable[[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor, Tensor]] | None"
    """``lstm(x, h0, c0, kernel, recurrent_kernel, bias) -> (outputs, h_T, c_T)``: a whole LSTM sequence
    (Keras' ``LSTM`` with ``tanh``/``sigmoid``, no dropout, no mask). ``x`` (B, T, F) batch-major, already
    in processing order (the layer flips it for ``go_backwards``); ``h0``/``c0`` (B, U); ``kernel`` (F, 4U),
    ``recurrent_kernel`` (U, 4U) and ``bias`` (4U,) or None, gate blocks in Keras' order i, f, c, o. Per
    step: ``z = x_t @ kernel + bias + h @ recurrent_kernel``; ``c = σ(z_f) c + σ(z_i) tanh(z_c)``;
    ``h = σ(z_o) tanh(c)``. ``outputs`` (B, T, U); one dtype (float32 or float64); T >= 1.
    Differentiable in every input; equal to the composite up to float rounding."""

    gru: "Callable[[Tensor, Tensor, Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor]] | None"
    """``gru(x, h0, kernel, recurrent_kernel, bias) -> (outputs, h_T)``: a whole GRU sequence with
    ``reset_after=True`` (Keras' default; cuDNN's and torch's form). Shapes as ``lstm`` with 3U gate
    columns in Keras' order z, r, h; ``bias`` (2, 3U) (row 0 input, row 1 recurrent) or None. Per step:
    ``a = x_t @ kernel + bias[0]``, ``b = h @ recurrent_kernel + bias[1]``; ``z = σ(a_z + b_z)``,
    ``r = σ(a_r + b_r)``, ``n = tanh(a_h + r b_h)``; ``h = z h + (1 - z) n``."""

    rnn_pair: "Callable[..., tuple[tuple, tuple]] | None"
    """``rnn_pair(name, args_a, args_b, mirrored=False) -> (outs_a, outs_b)``: two independent fused
    sequences (a ``Bidirectional`` layer's directions), ``name`` ``"lstm"`` or ``"gru"`` and each
    ``args`` that kernel's arguments, as one primitive that may run them concurrently (an attribute, as
    ``lstm``). ``mirrored=True`` promises that ``args_b``'s input is ``args_a``'s reversed along time
    (one direction goes backwards over the same sequences), so a backend may read ``args_a``'s input
    for both (torch: one bidirectional kernel call; NumPy: each direction on its own thread). Each
    result equals the kernel's on its own arguments up to float rounding, and depends on the shapes
    only (not on the machine). ``None`` (JAX): the layer calls the kernel once per direction."""

    split_at: "Callable[[Tensor, list[int], int], list[Tensor]] | None"
    """``split_at(x, indices, axis) -> parts``: ``x`` cut along ``axis`` before each of the increasing
    ``indices`` (``len(indices) + 1`` parts; Python ints, each in ``[0, size]``), as one primitive whose
    gradient is a single concatenation (an attribute, as ``lstm``). ``None``: ``kshim.ops.split`` takes
    one slice per part, whose gradients are a zero-padded full-size array each (measured on JAX's CPU
    compiler: a GRU(128) training step 30 -> 23 ms when its two gate splits per step are one op)."""

    layer_norm: "Callable[[Tensor, Tensor | None, Tensor | None, int, float], Tensor | None] | None"
    """``layer_norm(x, gamma, beta, n_axes, epsilon) -> out or None``: ``(x - mean) / sqrt(var + epsilon)
    * gamma + beta`` with the (biased) statistics over the last ``n_axes`` axes, as one fused kernel (an
    attribute, as ``lstm``); ``gamma``/``beta`` None or of shape ``x.shape[-n_axes:]`` and ``x``'s dtype;
    differentiable in all three. Equal to the composite in ``kshim.ops.layer_normalization`` up to float
    rounding. Returns None to decline (a dtype the kernel does not compute); ``None`` (NumPy, JAX): the
    composite runs."""

    dot_product_attention: "Callable[..., Tensor | None] | None"
    """``dot_product_attention(query, key, value, bias, mask, scale, is_causal) -> out or None``: fused
    attention (an attribute, as ``lstm``). ``query`` (B, T, N, H), ``key`` (B, S, N, H), ``value``
    (B, S, N, Hv), one float dtype; ``bias`` None or a rank-4 tensor of that dtype and ``mask`` None or a
    rank-4 bool tensor (True: take part), both broadcastable to (B, N, T, S); ``scale`` a Python float;
    ``is_causal``: query ``t`` sees keys ``s <= t``. Returns (B, T, N, Hv) equal to the composite in
    ``kshim.ops.dot_product_attention`` up to float rounding -- ``softmax(where(mask, q.k * scale + bias,
    -big))`` -- including a query row whose keys are all masked (it attends uniformly to all S keys);
    differentiable in query, key, value and bias. Returns None to decline (e.g. a dtype the kernel
    cannot compute exactly); the composite runs then."""

    # ---- device ------------------------------------------------------------------------------
    def device_name(self) -> str:
        """Human-readable device the backend computes on (e.g. ``"cpu"``)."""

    def device_scope(self, device: str) -> ContextManager[None]:
        """A context manager: tensors and variables created inside live on ``device`` (a spec that
        ``backends._device.parse_device`` reads: ``"cpu"``, ``"gpu:0"``, ``"cuda"``, ``"tpu"``, ``"mps"``),
        and the previous device is restored on exit. ``kshim.device`` calls it. Raises ``ValueError``
        for a device this backend cannot reach in this process, naming the ones it can. The
        ``BaseBackend`` version accepts CPU devices only (a host-memory framework such as NumPy).
        A backend also reads ``KSHIM_DEVICE`` (same spec) when it is constructed."""

    # ---- reproducibility (kshim.config.enable_determinism) ------------------------------------
    def set_deterministic(self, enabled: bool) -> list[str]:
        """Switch the framework's own determinism settings on (``True``: deterministic kernels,
        the flags and environment variables they need) or back to what they were before
        (``False``). ``kshim._determinism`` calls it on every live backend and on each backend
        created while determinism is on. An op that has no deterministic kernel must warn (naming
        the op), not raise. Returns notes on what cannot be guaranteed in this process (e.g. a flag
        read only before the framework initialised its device); the caller turns them into warnings.
        ``BaseBackend`` returns ``[]`` (nothing to switch)."""

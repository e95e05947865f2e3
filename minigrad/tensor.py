r"""The :class:`Tensor`: an array, the backend it lives on, and its place on the tape.

The class is deliberately thin. Arithmetic and every other operation are
primitive ops (:mod:`minigrad.ops`); the methods here only dispatch to them, and
:meth:`Tensor.backward` hands over to :mod:`minigrad.autograd`.
"""

import numbers
import weakref

from minigrad import backends
from minigrad import devices as _devices
from minigrad import dtypes as _dtypes
from minigrad.grad_mode import recording


class Tensor:
    r"""An n-dimensional array that records the operations applied to it.

    Create tensors with :func:`minigrad.tensor` and the other factories; this
    constructor is the engine's own and takes a raw array and a backend object.

    Parameters
    ----------
    data : array
        An array of ``backend`` (``numpy.ndarray`` or ``cupy.ndarray``).
    backend : minigrad.backends.Backend
        The backend the array belongs to.
    requires_grad : bool
        Whether gradients with respect to this tensor are wanted.
    node : Function or None
        The op that produced this tensor (``None`` for a leaf).
    index : int
        Which output of ``node`` this tensor is.

    Attributes
    ----------
    data : array
        The raw backend array.
    grad : Tensor or None
        The gradient accumulated by :meth:`backward` (leaves, and tensors that
        called :meth:`retain_grad`). Assigning checks that the gradient fits.
    requires_grad : bool
        Whether this tensor takes part in differentiation; assigning to it is
        :meth:`requires_grad_`.
    """

    __slots__ = ("_data", "_backend", "_requires_grad", "_grad", "_node", "_index", "__weakref__")

    def __init__(self, data, backend, requires_grad=False, node=None, index=0):
        self._data = data
        self._backend = backend
        self._requires_grad = requires_grad
        self._grad = None
        self._node = node
        self._index = index

    # ---- attributes -------------------------------------------------------------------

    @property
    def data(self):
        """The raw array of this tensor's backend.

        Assigning an array replaces it; assigning a Tensor takes its array and its backend.
        Writing into the array itself (``t.data[0] = 1``) changes what the tape may have
        saved for a backward rule; replacing it, as optimisers do, never does.
        """
        return self._data

    @data.setter
    def data(self, array):
        # Two backends may share an array type (a NumPy variant registered beside NumPy), so
        # the array's type alone cannot say where it lives: a Tensor brings its backend along,
        # and an array this tensor's backend owns stays on that backend.
        if isinstance(array, Tensor):
            array, owner = array._data, array._backend
        elif self._backend.is_native(array):
            owner = self._backend
        else:
            owner = backends.of(array)
        if owner is None:
            raise TypeError(
                "Tensor.data: expected an array of a registered backend, "
                f"got {type(array).__name__}"
            )
        self._data = array
        self._backend = owner

    @property
    def shape(self):
        """The tuple of dimensions."""
        return self._data.shape

    @property
    def ndim(self):
        """The number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self):
        """The data type (``mg.float32``, ``mg.float64``, ``mg.int64``...)."""
        return self._data.dtype

    def size(self, dim=None):
        """The shape (a tuple), or the length of dim ``dim``, as PyTorch's ``size``.

        The element count is :meth:`numel`.
        """
        if dim is None:
            return self._data.shape
        return self._data.shape[_ops._checks._check_axis("size", dim, self.ndim, self.shape)]

    def numel(self):
        """The number of elements."""
        return self._data.size

    def dim(self):
        """The number of dimensions, as :attr:`ndim`."""
        return self._data.ndim

    @property
    def backend(self):
        """The name of the backend the data lives on (``"numpy"`` or ``"cupy"``)."""
        return self._backend.name

    @property
    def device(self):
        """The backend by PyTorch's device name, a string that ``to()`` and ``backend=`` take.

        ``"cpu"`` for NumPy, ``"cuda:0"`` for CuPy, and another backend's own name.
        """
        return _devices.device(self._backend.name)

    @property
    def is_cuda(self):
        """Whether the data lives on the GPU (the CuPy backend)."""
        return self._backend.name == "cupy"

    @property
    def is_leaf(self):
        """Whether no recorded op produced this tensor (its gradient lands in ``.grad``)."""
        return self._node is None

    @property
    def T(self):
        """The tensor with its dims reversed (see :meth:`permute`)."""
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len: expected a tensor of at least one dimension, got a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        # Without it Python would iterate through __getitem__ until an IndexError, and a
        # 0-d tensor would silently look empty.
        if self.ndim == 0:
            raise TypeError("iter: expected a tensor of at least one dimension, got a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        body = str(self._backend.to_host(self._data)).replace("\n", "\n       ")
        extra = f", dtype={self.dtype}"
        if self._backend.name != "numpy":
            extra += f", backend={self._backend.name!r}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ---- conversions ------------------------------------------------------------------

    def __array__(self, dtype=None, copy=None):
        # np.asarray(t): the values of a tensor outside the graph. One that requires grad
        # is refused, for NumPy would drop it from the graph without a word.
        if self._requires_grad:
            raise TypeError("numpy: this tensor requires grad, so NumPy would silently cut it "
                            "from the graph; write t.detach().numpy() to take its values")
        array = self._backend.to_host(self._data)
        return array if dtype is None else array.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # A NumPy scalar or array on the left of an operator (np.float32(2) * t) reaches
        # here: the tensor's own reflected operator answers it, as Python would (taking
        # the scalar, refusing the array as t * array does). Every other ufunc is refused,
        # so that NumPy never makes an array of Tensor objects.
        reflected = _REFLECTED.get(ufunc.__name__)
        if method == "__call__" and not kwargs and reflected and len(inputs) == 2 \
                and inputs[1] is self:
            return getattr(self, reflected)(inputs[0])
        raise TypeError(_refusal(f"numpy.{ufunc.__name__}"))

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(_refusal(f"numpy.{func.__name__}"))

    def numpy(self):
        """Return the data as a :class:`numpy.ndarray` (copied off the GPU when needed).

        On the NumPy backend the array is the tensor's own data, not a copy.
        """
        return self._backend.to_host(self._data)

    def item(self):
        """Return the single element of a one-element tensor as a Python number.

        Raises
        ------
        ValueError
            If the tensor has more than one element.
        """
        if self._data.size != 1:
            raise ValueError(f"item: expected a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"__index__: expected an integer tensor, got dtype {self.dtype}")
        return int(self.item())

    def to(self, target=None, dtype=None, *, backend=None, device=None, non_blocking=False):
        """Return this tensor on another backend and/or with another dtype.

        ``t.to("cupy")``, ``t.to("cuda")``, ``t.to(mg.float64)``, ``t.to(device, dtype)``,
        ``t.to(other)`` and ``t.to(backend=..., dtype=...)`` all work, as in PyTorch. The
        move is differentiable; it returns ``self`` when nothing changes.

        Parameters
        ----------
        target : str, dtype or Tensor, optional
            A backend's name or a device string, a dtype (dtype names such as
            ``"float64"`` count as dtypes), or a tensor whose backend and dtype to take.
        dtype : dtype, optional
            The dtype to convert to; differentiable between floating types.
        backend, device : str, optional
            The backend to copy to, by either name (pass one of the two).
        non_blocking : bool
            Accepted for PyTorch's sake; every copy here completes before it returns.

        Returns
        -------
        Tensor

        Raises
        ------
        ValueError
            If no backend of that name is registered.
        BackendUnavailableError
            If the backend cannot run on this machine.
        """
        backend = backends.backend_or_device("to", backend, device)
        if isinstance(target, Tensor):
            target, dtype = target._backend, target.dtype
        if target is not None:
            # A string names a dtype ("float64") or else a backend, so that an unknown or
            # unavailable backend name gets the registry's error rather than a dtype error.
            if isinstance(target, backends.Backend) or (
                isinstance(target, str) and target not in _dtypes._ALL
            ):
                backend = target
            else:
                dtype = target
        out = self
        if dtype is not None:
            out = _ops.cast(out, dtype)
        if backend is not None:
            try:
                destination = backends.get(backend)
            except ValueError as err:
                if target is None:
                    raise
                # The positional argument may have been meant as a dtype ("float16").
                raise ValueError(f"to: {err}; or a dtype, one of {sorted(_dtypes._ALL)}") from None
            out = _ops.to_backend(out, destination)
        return out

    def tolist(self):
        """The values as (nested lists of) Python numbers; a 0-d tensor gives a number."""
        return self._data.tolist()

    def float(self):
        """This tensor as ``float32`` (``self`` if it is already); see :meth:`to`."""
        return _ops.cast(self, _dtypes.float32)

    def double(self):
        """This tensor as ``float64``; see :meth:`to`."""
        return _ops.cast(self, _dtypes.float64)

    def long(self):
        """This tensor as ``int64`` (off the graph, as every integer tensor)."""
        return _ops.cast(self, _dtypes.int64)

    def int(self):
        """This tensor as ``int32`` (off the graph)."""
        return _ops.cast(self, _dtypes.int32)

    def bool(self):
        """This tensor as ``bool`` (off the graph)."""
        return _ops.cast(self, _dtypes.bool_)

    def type(self, dtype=None):
        """The dtype's name (``"float32"``) when called bare, else ``self.to(dtype)``.

        PyTorch's bare ``type()`` names a tensor class (``"torch.FloatTensor"``); minigrad
        has one Tensor class, so it names the dtype.
        """
        return self.dtype.name if dtype is None else _ops.cast(self, dtype)

    def cpu(self):
        """This tensor on the NumPy backend (``self`` if it is there); differentiable."""
        return self.to("numpy")

    def cuda(self, device=None):
        """This tensor on the CuPy backend (GPU); differentiable.

        Raises
        ------
        BackendUnavailableError
            Without CuPy or a GPU; the message says how to write device-independent code.
        """
        if device not in (None, 0, "cuda", "cuda:0"):
            raise ValueError(f"cuda: minigrad uses one GPU, 'cuda:0'; got device={device!r}")
        try:
            return self.to("cupy")
        except backends.BackendUnavailableError as err:
            raise type(err)(f"cuda: {err}. To run on either, write "
                            f"device = 'cuda' if 'cupy' in mg.backends.available() else 'cpu' "
                            f"and t.to(device)") from None

    def new_tensor(self, data, dtype=None, requires_grad=False):
        """A tensor of ``data`` on this backend, of this tensor's dtype or ``dtype``."""
        return self._new(_factories.tensor, (data,), dtype, requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        """A tensor of ``size`` filled with ``fill_value``, on this backend, of this dtype."""
        return self._new(_factories.full, (size, fill_value), dtype, requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        """Zeros of ``size`` (varargs or one tuple), on this backend, of this dtype."""
        return self._new(_factories.zeros, size, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        """Ones of ``size`` (varargs or one tuple), on this backend, of this dtype."""
        return self._new(_factories.ones, size, dtype, requires_grad)

    def _new(self, factory, args, dtype, requires_grad):
        return factory(*args, dtype=self.dtype if dtype is None else dtype, backend=self._backend,
                       requires_grad=requires_grad)

    def detach(self):
        """Return a tensor that shares this data but is cut from the graph.

        The result is a leaf with ``requires_grad=False``: no gradient flows back
        through it. Truncated backpropagation through time relies on this.
        """
        return Tensor(self._data, self._backend)

    # ---- gradients --------------------------------------------------------------------

    @property
    def requires_grad(self):
        """Whether gradients with respect to this tensor are wanted.

        Assigning to it is :meth:`requires_grad_`, with its checks: only a leaf of a
        floating-point dtype may change it.
        """
        # The engine reads the slot itself (Function.apply): this getter is for users.
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        self.requires_grad_(requires_grad)

    @property
    def grad(self):
        """The gradient that :meth:`backward` accumulated for this tensor, or ``None``.

        A gradient assigned by hand must be ``None`` or a Tensor of this tensor's shape,
        dtype and backend: an optimiser would otherwise broadcast it, or fail later
        with NumPy's words rather than these.
        """
        return self._grad

    @grad.setter
    def grad(self, grad):
        if grad is not None:
            if not isinstance(grad, Tensor):
                raise TypeError(f"grad: expected a Tensor or None, got {type(grad).__name__}")
            if grad.shape != self.shape:
                raise ValueError(f"grad: expected a gradient of this tensor's shape {self.shape}, "
                                 f"got {grad.shape}")
            if grad.dtype != self.dtype:
                raise TypeError(f"grad: expected a gradient of this tensor's dtype {self.dtype}, "
                                f"got {grad.dtype}")
            if grad._backend is not self._backend:
                raise ValueError(f"grad: expected a gradient on this tensor's backend "
                                 f"{self.backend!r}, got one on {grad.backend!r}")
        self._grad = grad

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` on a leaf in place and return it.

        Raises
        ------
        RuntimeError
            If the tensor is not a leaf (use ``.detach().requires_grad_()``).
        TypeError
            If the dtype is not floating point.
        """
        if self._node is not None:
            raise RuntimeError(
                "requires_grad_: expected a leaf tensor; this one was computed by an op. "
                "Use .detach().requires_grad_() for a new leaf"
            )
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require grad, got {self.dtype}"
            )
        self._requires_grad = bool(requires_grad)
        return self

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward; return ``self``.

        Raises
        ------
        RuntimeError
            If the tensor does not require grad.
        """
        if not self.requires_grad:
            raise RuntimeError("retain_grad: expected a tensor that requires grad")
        node = self._node
        if node is not None:
            if node.hooks is None:
                node.hooks = []
            # A second call must not register a second hook: each adds the gradient once.
            if not any(i == self._index and ref() is self for i, ref in node.hooks):
                node.hooks.append((self._index, weakref.ref(self)))
        return self

    def zero_grad(self):
        """Forget the accumulated gradient (``.grad`` becomes ``None``)."""
        self.grad = None

    def backward(self, grad=None, retain_graph=False, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf.

        Parameters
        ----------
        grad : Tensor, optional
            The gradient with respect to this tensor; may be omitted for a scalar.
        retain_graph : bool
            Keep the graph for another backward (it is freed otherwise).
        create_graph : bool
            Record the backward pass itself, for second derivatives.

        Raises
        ------
        RuntimeError
            If ``grad`` is omitted for a non-scalar, if this tensor does not require
            grad, or (:class:`~minigrad.GraphFreedError`) if an earlier backward freed
            the graph.
        ValueError
            If ``grad`` does not have this tensor's shape.
        """
        _autograd.backward(self, grad, retain_graph, create_graph)

    # ---- operators ----------------------------------------------------------------------

    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # In-place arithmetic: ``p -= lr * p.grad`` under no_grad() updates p itself, as in
    # PyTorch. Without these methods Python would rebind the name to a new tensor and the
    # update would silently miss the model's parameter.

    def __iadd__(self, other):
        return self._update(_ops.add, other, "+=", "x = x + y")

    def __isub__(self, other):
        return self._update(_ops.sub, other, "-=", "x = x - y")

    def __imul__(self, other):
        return self._update(_ops.mul, other, "*=", "x = x * y")

    def __itruediv__(self, other):
        return self._update(_ops.div, other, "/=", "x = x / y")

    def _update(self, op, other, symbol, instead):
        """Give this tensor the values ``op(self, other)``, keeping its shape and dtype.

        The tape records no in-place op, so the update is refused where a gradient would
        depend on it: on a tensor computed by a recorded op, and, while grad mode is on,
        on a tensor that requires grad or with an operand that does. The tensor takes a
        new array: one that the tape saved for a backward rule, or that another tensor
        shares, keeps its values.
        """
        recorded = f"the tape does not record in-place updates: write {instead}"
        if self._node is not None:
            raise RuntimeError(f"{symbol}: expected a leaf tensor, got one computed by a "
                               f"recorded op; {recorded}")
        if recording() and (self._requires_grad
                             or isinstance(other, Tensor) and other._requires_grad):
            raise RuntimeError(
                f"{symbol}: expected no tensor that requires grad while grad mode is on; "
                f"{recorded}, or update parameters inside mg.no_grad()"
            )
        result = op(self, other)
        if result.shape != self.shape:
            raise ValueError(f"{symbol}: the result has shape {result.shape}; an in-place update "
                             f"keeps the tensor's shape {self.shape}")
        if result.dtype != self.dtype:
            if not self._backend.xp.can_cast(result.dtype, self.dtype, casting="same_kind"):
                raise TypeError(f"{symbol}: the result's dtype {result.dtype} cannot be stored in "
                                f"a tensor of dtype {self.dtype}")
            result = result.to(dtype=self.dtype)
        self._data = result._data
        return self

    # PyTorch's in-place methods: each is an update as above (a parameter's, in no_grad).

    def add_(self, other, *, alpha=1):
        """``self += alpha * other``, in place; allowed where ``+=`` is."""
        return self._update(_ops.add, other if alpha == 1 else other * alpha, "add_",
                            "x = x + alpha * y")

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other``, in place."""
        return self._update(_ops.sub, other if alpha == 1 else other * alpha, "sub_",
                            "x = x - alpha * y")

    def mul_(self, other):
        """``self *= other``, in place."""
        return self._update(_ops.mul, other, "mul_", "x = x * y")

    def div_(self, other):
        """``self /= other``, in place."""
        return self._update(_ops.div, other, "div_", "x = x / y")

    def clamp_(self, min=None, max=None):
        """The values limited to ``[min, max]``, in place (see :func:`minigrad.clip`)."""
        return self._update(_clamped, (min, max), "clamp_", "x = x.clamp(min, max)")

    def copy_(self, src):
        """``src``'s values (broadcast to this shape), in place."""
        return self._update(_copied, src, "copy_", "x = y.clone()")

    def fill_(self, value):
        """Every element set to ``value``, in place."""
        return self._update(_filled, value, "fill_", "x = x.new_full(x.shape, value)")

    def zero_(self):
        """Every element set to 0, in place."""
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0):
        """Values drawn from :math:`U(a, b)` by the backend's generator, in place."""
        return self._update(_uniform, (a, b), "uniform_", "nn.init.uniform_(x, a, b)")

    def normal_(self, mean=0.0, std=1.0):
        r"""Values drawn from :math:`\mathcal{N}(\mu, \sigma^2)` (``mean``, ``std``), in place."""
        return self._update(_normal, (mean, std), "normal_", "nn.init.normal_(x, mean, std)")

    def __lt__(self, other):
        return _ops.compare("less", self, _operand(other, "<"))

    def __le__(self, other):
        return _ops.compare("less_equal", self, _operand(other, "<="))

    def __gt__(self, other):
        return _ops.compare("greater", self, _operand(other, ">"))

    def __ge__(self, other):
        return _ops.compare("greater_equal", self, _operand(other, ">="))

    def __eq__(self, other):
        return _ops.compare("equal", self, _operand(other, "=="))

    def __ne__(self, other):
        return _ops.compare("not_equal", self, _operand(other, "!="))

    # Comparisons return tensors, so hashing falls back to identity.
    __hash__ = object.__hash__

    # ---- methods ------------------------------------------------------------------------

    def exp(self):
        """:math:`e^x`, elementwise; see :func:`minigrad.exp`."""
        return _ops.exp(self)

    def log(self):
        """Natural logarithm, elementwise; see :func:`minigrad.log`."""
        return _ops.log(self)

    def tanh(self):
        """Hyperbolic tangent, elementwise; see :func:`minigrad.tanh`."""
        return _ops.tanh(self)

    def sigmoid(self):
        r""":math:`\sigma(x) = 1 / (1 + e^{-x})`, elementwise; see :func:`~minigrad.sigmoid`."""
        return _ops.sigmoid(self)

    def relu(self):
        r""":math:`\max(x, 0)`, elementwise; see :func:`minigrad.relu`."""
        return _ops.relu(self)

    def abs(self):
        """Absolute value, elementwise; see :func:`minigrad.abs`."""
        return _ops.abs(self)

    def sqrt(self):
        """Square root, elementwise; see :func:`minigrad.sqrt`."""
        return _ops.sqrt(self)

    def clip(self, min=None, max=None):
        """Limit the values to ``[min, max]`` (a bound may be None); see :func:`minigrad.clip`."""
        return _ops.clip(self, min, max)

    clamp = clip  # PyTorch's name

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        r"""Sum over ``axis``; :math:`\partial y / \partial x_i = 1`.

        Parameters
        ----------
        axis : int or tuple of int, optional
            The axes to reduce (negative values count from the end); all when ``None``.
        keepdims : bool
            Keep each reduced axis, with length 1, so the result broadcasts against ``self``.
        dim, keepdim
            PyTorch's names for ``axis`` and ``keepdims``: pass either spelling, not both.

        Returns
        -------
        Tensor
            ``self``'s shape without the reduced axes (or with them at length 1).
        """
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis`` (composite: a sum divided by the count); ``float32`` for integers.

        ``axis`` and ``keepdims`` (or ``dim`` and ``keepdim``) as in :meth:`sum`.
        """
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest values over ``axis``; ties share the gradient.

        ``axis`` and ``keepdims`` as in :meth:`sum`. Given PyTorch's ``dim=``, the answer is
        PyTorch's: a pair ``(values, indices)``, with fields of those names.
        """
        return _ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest values over ``axis``; ties share the gradient.

        ``axis`` and ``keepdims`` as in :meth:`sum`. Given PyTorch's ``dim=``, the answer is
        PyTorch's: a pair ``(values, indices)``, with fields of those names.
        """
        return _ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(self, axis=None, *, dim=None, keepdim=False):
        """Indices of the largest values over ``axis`` (not differentiable).

        Parameters
        ----------
        axis : int, optional
            The axis to search; the flattened tensor when ``None``. ``dim`` is PyTorch's name.
        keepdim : bool
            Keep the searched axis with length 1.

        Returns
        -------
        Tensor
            ``int64`` indices, of ``self``'s shape without ``axis`` (0-d when ``None``).
        """
        return _ops.argmax(self, axis, dim=dim, keepdim=keepdim)

    def argmin(self, axis=None, *, dim=None, keepdim=False):
        """Indices of the smallest values over ``axis`` (not differentiable), as :meth:`argmax`."""
        return _ops.argmin(self, axis, dim=dim, keepdim=keepdim)

    def reshape(self, *shape):
        """This tensor with a new shape, given as varargs or one tuple (``-1`` allowed).

        ``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` are the same; the gradient is
        reshaped back.

        Raises
        ------
        ValueError
            If the new shape holds a different number of elements.
        """
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        """:meth:`reshape` (minigrad's reshapes never need contiguous data)."""
        return _ops.reshape(self, *shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Dims ``start_dim`` to ``end_dim`` merged into one; see :func:`minigrad.flatten`."""
        return _ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        """A new dim of length 1 at ``dim``; see :func:`minigrad.unsqueeze`."""
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        """Without dims of length 1 (all, or those of ``dim``); see :func:`minigrad.squeeze`."""
        return _ops.squeeze(self, dim)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (``-1`` keeps a dim); see :func:`minigrad.expand`."""
        return _ops.expand(self, *sizes)

    def narrow(self, dim, start, length):
        """``length`` elements of ``dim`` from ``start``; see :func:`minigrad.narrow`."""
        return _ops.narrow(self, dim, start, length)

    def contiguous(self):
        """``self``: minigrad has no strided views that would need copying."""
        return self

    def clone(self):
        """A copy with its own array, on the graph; see :func:`minigrad.clone`."""
        return _ops.clone(self)

    def split(self, split_size_or_sections, dim=0):
        """Pieces of the given length(s) along ``dim``; see :func:`minigrad.split`."""
        return _ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        """``chunks`` pieces of equal length along ``dim``; see :func:`minigrad.chunk`."""
        return _ops.chunk(self, chunks, dim)

    def broadcast_to(self, shape):
        """This tensor broadcast to ``shape`` (NumPy rules); the gradient is summed back.

        Raises
        ------
        ValueError
            If ``self.shape`` cannot broadcast to ``shape``.
        """
        return _ops.broadcast_to(self, shape)

    def transpose(self, dim0, dim1):
        """Dims ``dim0`` and ``dim1`` swapped, as PyTorch's; :meth:`permute` reorders all.

        The gradient takes the same swap back.
        """
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """Dims reordered, ``y.shape[i] == x.shape[dims[i]]``; see :func:`minigrad.permute`."""
        return _ops.permute(self, *dims)

    def t(self):
        """A 2-D tensor transposed (0-d and 1-d tensors as they are), as PyTorch's ``t()``.

        Raises
        ------
        ValueError
            If the tensor has more than 2 dims (use :meth:`transpose` or :meth:`permute`).
        """
        if self.ndim > 2:
            raise ValueError(f"t: expected a tensor of at most 2 dims, got shape {self.shape}; "
                             f"write x.transpose(d0, d1) or x.permute(...)")
        return self if self.ndim < 2 else _ops.transpose(self, 0, 1)

    def softmax(self, axis=-1, *, dim=None):
        """Softmax over ``axis`` (or ``dim``; see :func:`minigrad.softmax`)."""
        return _ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        """Log-softmax over ``axis`` (or ``dim``; see :func:`minigrad.log_softmax`)."""
        return _ops.log_softmax(self, axis, dim=dim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Log of the sum of exponentials over ``axis`` (see :func:`minigrad.logsumexp`)."""
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)


# NumPy's ufunc for each binary operator, and the Tensor method that answers it with the
# operands swapped (``array < t`` is ``t > array``).
_REFLECTED = {
    "add": "__radd__", "subtract": "__rsub__", "multiply": "__rmul__",
    "true_divide": "__rtruediv__", "divide": "__rtruediv__", "power": "__rpow__",
    "matmul": "__rmatmul__", "less": "__gt__", "less_equal": "__ge__", "greater": "__lt__",
    "greater_equal": "__le__", "equal": "__eq__", "not_equal": "__ne__",
}


# The new values of the in-place methods that replace a tensor's values outright.


def _clamped(x, bounds):
    return _ops.clip(x, *bounds)


def _copied(x, src):
    return _ops._checks._tensor(src, "copy_").to(x._backend).broadcast_to(x.shape)


def _filled(x, value):
    return _factories.full(x.shape, value, dtype=x.dtype, backend=x._backend)


def _uniform(x, bounds):
    low, high = bounds
    return _factories.rand(x.shape, dtype=x.dtype, backend=x._backend) * (high - low) + low


def _normal(x, moments):
    mean, std = moments
    return _factories.randn(x.shape, dtype=x.dtype, backend=x._backend) * std + mean


def _refusal(function):
    """The message refusing a Tensor to a NumPy ``function``: what to write instead."""
    return (f"{function}: NumPy functions do not take minigrad Tensors (they would make an "
            f"array of Tensor objects); use minigrad's op of that name (mg.<op>(t) or t.<op>()), "
            f"or give NumPy the values: t.detach().numpy()")


def _operand(value, op):
    """Accept a Tensor or a Python number as an operand (of an op, a comparison, a bound).

    NumPy scalars become Python numbers: NumPy treats those as weakly typed, so
    ``float32 * 2.0`` stays float32 instead of being promoted to float64.
    """
    kind = type(value)
    if kind is float or kind is int or isinstance(value, Tensor):
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(value, "shape", None) == () and hasattr(value, "item"):
        return value.item()
    raise TypeError(
        f"{op}: expected a Tensor or a Python number, got {kind.__name__}; "
        "wrap arrays with mg.tensor(...)"
    )


from minigrad import autograd as _autograd  # noqa: E402  (circular: ops import Tensor)
from minigrad import factories as _factories  # noqa: E402  (circular: they build Tensors)
from minigrad import ops as _ops  # noqa: E402

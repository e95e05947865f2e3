"""The backend protocol: what the engine asks of an array library.

This is everything the engine (tensors, ops, the walk, the factories, checkpoints
and serialization) calls on a backend:

- ``name``, and ``xp``, an array namespace with NumPy's API (``numpy`` itself, or
  ``cupy``), through which every op computes;
- ``array_type``, which results are wrapped as they are, and ``number_as_array`` and
  ``numbers_as_arrays``, which hand a Python constant to an op;
- ``compiles_kernels`` and ``kernel``, where an op has a one-pass kernel;
- ``is_native``, ``to_host`` and ``from_host``, for moving arrays in and out;
- ``seed``, ``rng_state``, ``set_rng_state``, ``randn`` and ``rand``, for random
  numbers that a checkpoint can replay;
- ``scatter_add``, the gradient of indexing;
- ``matmul_transposed``, the product of rows with a weight stored ``(out, in)``.

Nothing else: the rest goes through ``xp``.
"""

import abc


class BackendUnavailableError(RuntimeError):
    """A backend was asked for that cannot run on this machine.

    The message says what is missing (the library, or a device) and how to fix it.
    """


class KernelSource:
    r"""The source of an elementwise kernel, for backends that compile them (CuPy).

    An op whose NumPy form takes several passes over memory (a sigmoid's backward
    :math:`\bar y\, y (1 - y)` is three) can carry the same arithmetic as one CUDA C
    loop body, in the form :class:`cupy.ElementwiseKernel` takes: typed parameters
    (``T`` stands for the arrays' common dtype; ``raw`` arrays are indexed by hand
    with the flat index ``i``) and a body run once per element of the non-raw
    outputs. The op keeps its source beside its NumPy code, and
    :meth:`~minigrad.backends.Backend.kernel` compiles it once per process.

    Attributes
    ----------
    name : str
        The kernel's name, as profilers show it.
    inputs, outputs : str
        Parameter lists: ``"T x, T gy"``, ``"raw T act, T h"``, ``"int32 hidden"``.
    body : str
        The CUDA C run for element ``i``.
    preamble : str
        Device functions the body calls.
    """

    __slots__ = ("name", "inputs", "outputs", "body", "preamble")

    def __init__(self, name, inputs, outputs, body, preamble=""):
        self.name, self.inputs, self.outputs = name, inputs, outputs
        self.body, self.preamble = body, preamble

    def __repr__(self):
        return f"<KernelSource {self.name}>"


class Backend(abc.ABC):
    """Base class of array backends.

    A backend is an object with a ``name``, an array namespace ``xp``
    and the few operations that differ between array libraries. Subclasses set
    ``name`` and ``xp`` and implement every abstract method below.

    Attributes
    ----------
    name : str
        The name users pass as ``backend=`` (``"numpy"``, ``"cupy"``).
    xp : module
        The array namespace, with NumPy's functions (``xp.tanh``, ``xp.matmul``...).
    compiles_kernels : bool
        Whether :meth:`kernel` works. Where it does not, every op runs its ``xp`` code.
    array_type : type or None
        The class of the backend's arrays. An op's result of any other type becomes an
        array through ``xp.asarray``: NumPy returns a 0-d result as a scalar
        (``numpy.float32``), which a tensor's ``.data`` must not be. None converts every
        result.
    """

    name = None
    xp = None
    compiles_kernels = False
    array_type = None

    def kernel(self, source):
        """Compile the :class:`~minigrad.backends.KernelSource` ``source`` into a callable.

        Called with the source's inputs as arrays (and Python numbers for typed
        scalars), it returns its outputs, allocated like the non-raw inputs, or
        writes into arrays passed after the inputs. Only backends whose
        ``compiles_kernels`` is true implement it.

        Parameters
        ----------
        source : minigrad.backends.KernelSource

        Returns
        -------
        callable
        """
        # The protocol's default: ops ask only where compiles_kernels is true.
        raise NotImplementedError(
            f"backend {self.name!r} compiles no kernels (its compiles_kernels is False); "
            "ops run their xp code there instead of calling kernel()")

    def number_as_array(self, number, like):
        """The Python number ``number``, an operand beside the array ``like``, as ops take it.

        The arithmetic ops (``+``, ``-``, ``*``, ``/``) call this for a constant
        operand. The base returns ``number`` itself; a backend may return an array
        that gives the same result faster. That result must be NEP 50's, to the last
        bit: beside a floating array the number takes the array's dtype (NumPy 2 does
        so itself; under NumPy 1 the 0-d array is what keeps float32 from becoming
        float64).

        Parameters
        ----------
        number : int or float
        like : array
            The other operand's array.

        Returns
        -------
        int, float or array
        """
        return number

    def numbers_as_arrays(self, operands):
        """Give the Python number among a binary op's two ``operands`` as ``number_as_array`` does.

        :meth:`Function.apply <minigrad.function.Function.apply>` calls this for the
        arithmetic ops (``+``, ``-``, ``*``, ``/``) that meet a constant, and ``where``
        for its two values. ``operands`` is a list of two, changed in place; where
        neither is a number, nothing changes.

        Parameters
        ----------
        operands : list
            Two operands: arrays, or an array and a number.
        """
        a, b = operands
        if type(b) is float or type(b) is int:
            operands[1] = self.number_as_array(b, a)
        elif type(a) is float or type(a) is int:
            operands[0] = self.number_as_array(a, b)

    @abc.abstractmethod
    def is_native(self, obj):
        """Return whether ``obj`` is an array of this backend's own type.

        Parameters
        ----------
        obj : object

        Returns
        -------
        bool
        """

    @abc.abstractmethod
    def to_host(self, array):
        """Return ``array`` as a :class:`numpy.ndarray` (copied off the device when needed).

        Parameters
        ----------
        array : array
            An array of this backend.

        Returns
        -------
        numpy.ndarray
        """

    @abc.abstractmethod
    def from_host(self, array):
        """Return the NumPy array ``array`` as an array of this backend.

        Parameters
        ----------
        array : numpy.ndarray

        Returns
        -------
        array
            On this backend's device.
        """

    @abc.abstractmethod
    def seed(self, seed):
        """Reset this backend's random generator to the integer ``seed``.

        Parameters
        ----------
        seed : int
        """

    @abc.abstractmethod
    def rng_state(self):
        """A snapshot of the random generator, which :meth:`set_rng_state` restores.

        :func:`minigrad.checkpoint` takes one before a call and restores it to replay
        the call's random draws when it recomputes the call.

        Returns
        -------
        object
            Opaque to the engine; only this backend reads it.
        """

    @abc.abstractmethod
    def set_rng_state(self, state):
        """Put the random generator back where :meth:`rng_state` found it.

        Parameters
        ----------
        state : object
            A value returned by :meth:`rng_state` of this backend.
        """

    @abc.abstractmethod
    def randn(self, shape, dtype):
        """Draw an array of ``shape`` from the standard normal distribution.

        Parameters
        ----------
        shape : tuple of int
        dtype : dtype
            A floating dtype.

        Returns
        -------
        array
        """

    @abc.abstractmethod
    def rand(self, shape, dtype):
        """Draw an array of ``shape`` uniformly from :math:`[0, 1)`.

        Parameters
        ----------
        shape : tuple of int
        dtype : dtype
            A floating dtype.

        Returns
        -------
        array
        """

    @abc.abstractmethod
    def scatter_add(self, target, index, values):
        """Add ``values`` into ``target[index]`` in place, accumulating repeated indices.

        ``target[index] += values`` would count a repeated index once; this is the
        backward of indexing with an integer array (an embedding lookup).

        Parameters
        ----------
        target : array
            Modified in place.
        index
            Any NumPy index: ints, slices, integer arrays.
        values : array
            Broadcastable to ``target[index]``.
        """

    def matmul_transposed(self, a, b):
        r""":math:`a b^\top` for 2-D arrays: rows times a weight stored ``(out, in)``.

        The product of an affine layer and of a recurrent step, PyTorch's layout making
        the weight the transposed operand. The base computes ``xp.matmul(a, b.T)``; a
        backend whose library is faster with the product ordered otherwise overrides it.

        Parameters
        ----------
        a : array
            ``(N, in)``.
        b : array
            ``(out, in)``.

        Returns
        -------
        array
            ``(N, out)``, C-contiguous.
        """
        return self.xp.matmul(a, b.T)

    def __repr__(self):
        return f"<minigrad backend {self.name!r}>"

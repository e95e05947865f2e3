r"""The tape's nodes.

Every primitive op is a subclass of :class:`Function` with two methods side by side:

``forward(self, xp, *arrays, **params)``
    computes the result on raw arrays with the backend's namespace ``xp`` and keeps
    on ``self`` only what its backward needs;
``backward(self, gy)``
    receives the gradient of the loss with respect to the output and returns one
    gradient per input (``None`` where ``self.needs_input_grad`` says none is
    wanted). The rule is written once, with arithmetic that arrays and Tensors
    share (``*``, ``-``, ``@``, ``reshape``, ``sum``...) on values it gets from
    :meth:`Function.operands`, :meth:`Function.output` and
    :meth:`Function.constant`, and it reaches other primitives through
    :meth:`Function.call`. In a first-order backward pass those are raw arrays,
    so the rule costs what its NumPy arithmetic costs. When the backward pass is
    recorded (``create_graph=True``, grad mode is then on) they are Tensors, and
    the same rule builds the graph of the second derivative.

:meth:`Function.apply` runs the forward and, when gradients are wanted, records
the node: its inputs, which of them need a gradient, and its ``rank``
(one more than the deepest node it depends on), which orders the backward walk.
A node keeps its inputs but never its outputs, so the graph has no reference
cycles and is freed by reference counting alone.
"""

import reprlib

from .grad_mode import recording
from .tensor import Tensor, _operand


class Function:
    """Base class of primitive operations; see the module docstring for the contract.

    :meth:`apply` creates each node as ``cls()``: an op's options reach ``forward`` as
    keyword parameters, never through a constructor.
    """

    # __weakref__ lets tests (and tools) watch a node die without keeping it alive.
    __slots__ = ("backend", "inputs", "arrays", "needs_input_grad", "rank", "n_outputs", "saved",
                 "hooks", "output_shapes", "__weakref__")
    # Whether a Python number among the operands may reach forward (and, through
    # ``self.arrays``, backward) in the form the backend computes with fastest (see
    # Backend.numbers_as_arrays). Binary arithmetic opts in: its rules only compute with
    # the number, where others test it (``Pow`` looks for the exponent 2).
    numbers_as_arrays = False

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on ``inputs``: Tensors, and Python numbers taken as constants.

        Raises
        ------
        TypeError
            If no input is a Tensor, or one is neither a Tensor nor a number.
        """
        backend, arrays, needs, rank = _gather(cls, inputs)
        fn = cls()
        fn.backend = backend
        try:  # a plain call for most ops, unary or binary without options: star-arguments cost
            if params or len(arrays) > 2:
                out = fn.forward(backend.xp, *arrays, **params)
            elif len(arrays) == 2:
                out = fn.forward(backend.xp, arrays[0], arrays[1])
            else:
                out = fn.forward(backend.xp, arrays[0])
        except (ValueError, TypeError, IndexError, OverflowError) as err:
            raise _op_error(cls, inputs, params, err) from err
        if recording() and True in needs:  # record what the backward rule and the walk read
            fn.inputs, fn.arrays, fn.needs_input_grad = inputs, arrays, needs
            fn.rank, fn.hooks, fn.n_outputs = rank + 1, None, 1
        else:
            fn = None
        if type(out) is backend.array_type:  # one array, as most ops give
            return Tensor(out, backend, fn is not None, fn)
        return _other_outputs(out, backend, fn)

    def operands(self):
        """The node's inputs as its backward rule computes with them.

        Raw arrays in a first-order backward pass; the input Tensors themselves when
        the pass is recorded, so that the rule's arithmetic is recorded as well.
        Constants stay Python numbers.
        """
        if recording():
            self.check_inputs_unchanged()
            return self.inputs
        return self.arrays

    def check_inputs_unchanged(self):
        """Raise if an input Tensor was given a new array after this node recorded it.

        A first-order rule computes with the arrays the node kept, whatever happened
        to the tensors since (an optimiser step gives a parameter a new array; it never
        writes into the old one). A recorded rule, and a recomputation, use the input
        Tensors themselves: after such a change they would mix the new values with the
        old, so they refuse.
        """
        for i, (t, array) in enumerate(zip(self.inputs, self.arrays)):
            if isinstance(t, Tensor) and t._data is not array:
                raise RuntimeError(
                    f"backward of {type(self).__name__}: its input {i}, a tensor of shape "
                    f"{t.shape}, was given new values after the forward pass used it (an "
                    "optimiser step or an in-place update); a recorded backward "
                    "(create_graph=True) or a recomputation would mix old and new values: run "
                    "the forward pass again after updating"
                )

    def output(self):
        """The output this node computed, for ops that reuse it in backward (``exp``, ``tanh``...).

        Such ops keep its array in ``self.saved``. When the backward pass is recorded
        it comes wrapped as a Tensor with this node as creator, so that a second
        derivative flows back through it.
        """
        if recording():
            return Tensor(self.saved, self.backend, True, self)
        return self.saved

    def constant(self, array):
        """``array`` (a mask, a count) as a value that carries no gradient."""
        return Tensor(array, self.backend) if recording() else array

    def call(self, primitive, *args, **params):
        """Run ``primitive`` on ``args`` inside a backward rule (``IndexAdd`` for ``GetItem``...).

        In a first-order pass its forward runs on the raw arrays (a Python number
        among them handed over as :meth:`apply` would) and nothing is recorded; when
        the pass is recorded it is applied like any op, so that its own backward gives
        the second derivative.
        """
        if recording():
            return primitive.apply(*args, **params)
        if primitive.numbers_as_arrays:
            args = list(args)
            self.backend.numbers_as_arrays(args)
        fn = primitive()
        fn.backend = self.backend
        return fn.forward(self.backend.xp, *args, **params)

    def __repr__(self):
        return f"<{type(self).__name__} rank={getattr(self, 'rank', '?')}>"


def _gather(cls, inputs):
    """What :meth:`Function.apply` needs of its inputs, in one pass over them.

    Returns their backend, their arrays (Python numbers as the backend computes with
    them fastest), whether each needs a gradient, and the rank of the deepest node
    among them. Arrays and flags come as tuples, which the garbage collector soon
    stops tracking.
    """
    backend, arrays, needs, rank, numbers = None, [], [], 0, False
    for t in inputs:
        if isinstance(t, Tensor):
            if t._backend is not backend and backend is not None:
                raise _mixed_backends(cls, backend, t._backend)
            backend = t._backend
            arrays.append(t._data)
            needs.append(t._requires_grad)
            if t._node is not None and t._node.rank > rank:  # a node: it requires grad
                rank = t._node.rank
        else:  # a constant: NumPy scalars become Python numbers
            arrays.append(t if type(t) is float or type(t) is int else _operand(t, _name(cls)))
            needs.append(False)
            numbers = True
    if backend is None:
        raise _no_tensor(cls, inputs)
    if numbers and cls.numbers_as_arrays:
        backend.numbers_as_arrays(arrays)
    return backend, tuple(arrays), tuple(needs), rank


def _no_tensor(cls, inputs):
    return TypeError(f"{_name(cls)}: expected a Tensor operand, got "
                     f"{', '.join(type(t).__name__ for t in inputs)}")


def _other_outputs(out, backend, fn):
    """The Tensors of a forward that gave several arrays (``split``, a fused cell) or a
    NumPy scalar (NumPy's form of a 0-d result), recorded by ``fn`` unless it is ``None``."""
    if type(out) is not tuple:
        return Tensor(backend.xp.asarray(out), backend, fn is not None, fn)
    if fn is None:
        return tuple([Tensor(y, backend) for y in out])
    fn.n_outputs = len(out)
    # Nodes keep no outputs: the tape's printers need the shape of one nothing used.
    fn.output_shapes = tuple([y.shape for y in out])
    return tuple([Tensor(y, backend, True, fn, i) for i, y in enumerate(out)])


def _name(cls):
    """How messages name an op: ``mul`` for :class:`Mul`."""
    return cls.__name__.lower()


def _describe(x):
    return f"{tuple(x.shape)} {x.dtype}" if isinstance(x, Tensor) else type(x).__name__


def _brief(value):
    """A short repr of an op's option: index arrays by their shape, not their contents."""
    if hasattr(value, "shape"):
        return f"<array of shape {tuple(value.shape)}>"
    return reprlib.repr(value)


def _op_error(cls, inputs, params, err):
    """Rephrase an array library's error so that it names the op, its operands and options.

    The library's own words follow, but the message does not depend on them: NumPy and
    CuPy word the same failure differently.
    """
    operands = ", ".join(_describe(x) for x in inputs)
    options = "".join(f", {key}={_brief(value)}" for key, value in params.items())
    kind = IndexError if isinstance(err, IndexError) else ValueError
    return kind(f"{_name(cls)}: cannot apply to operands ({operands}){options}: {err}")


def _mixed_backends(cls, first, second):
    return ValueError(
        f"{_name(cls)}: operands live on different backends, {first.name!r} and "
        f"{second.name!r}; nothing is copied implicitly: move one with "
        f".to({first.name!r}) or .to({second.name!r})"
    )

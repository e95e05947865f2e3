"""Errors are part of the API: each message says what was expected and what arrived."""

import re

import numpy as np
import pytest
from _helpers import as_tensor

import minigrad as mg
from minigrad.function import Function


def shapes_in(message, *shapes):
    return all(str(tuple(s)) in message for s in shapes)


# ---- shape mismatches name the op and both shapes -----------------------------------------------

MISMATCHES = {
    "add": (lambda a, b: a + b, (2, 3), (4,)),
    "sub": (lambda a, b: a - b, (2, 3), (2, 2)),
    "mul": (lambda a, b: a * b, (3,), (2,)),
    "div": (lambda a, b: a / b, (5, 1, 2), (3,)),
    "pow": (lambda a, b: a**b, (2,), (3,)),
    "matmul": (lambda a, b: a @ b, (2, 3), (2, 3)),
    "matmul 1-D": (lambda a, b: a @ b, (3,), (4,)),
    "matmul batch": (lambda a, b: a @ b, (2, 2, 3), (4, 3, 1)),
    "concat": (lambda a, b: mg.concat([a, b], axis=0), (2, 3), (2, 4)),
    "where": (lambda a, b: mg.where(a > 0, a, b), (2, 3), (3, 2)),
}


@pytest.mark.parametrize("name", sorted(MISMATCHES))
def test_shape_mismatch_names_the_op_and_both_shapes(backend, name):
    fn, sa, sb = MISMATCHES[name]
    with pytest.raises(ValueError) as info:
        fn(mg.ones(sa, requires_grad=True), mg.ones(sb))
    message = str(info.value)
    assert name.split()[0] in message and shapes_in(message, sa, sb), message


@pytest.mark.parametrize("fn, words", [
    (lambda x: x.reshape(4, 2), ["reshape", "(2, 3)"]),
    (lambda x: x.broadcast_to((3, 3)), ["broadcast", "(2, 3)", "shape=(3, 3)"]),
    (lambda x: mg.split(x, [2, 2], dim=1), ["split", "(2, 3)", "[2, 2]", "3 elements"]),
    (lambda x: mg.stack([x, x.T]), ["stack", "(2, 3)", "(3, 2)"]),
    (lambda x: mg.stack([x, x], axis=3), ["stack", "axis 3", "(2, 3)"]),
    (lambda x: mg.concat([x, x], axis=2), ["concat", "axis 2", "(2, 3)"]),
    (lambda x: mg.split(x, 2, dim=-3), ["split", "axis -3", "(2, 3)"]),
    (lambda x: x.sum(axis=2), ["axis 2", "2 dimensions"]),
    (lambda x: x.permute(0, 0), ["permute", "(2, 3)"]),
    (lambda x: x.transpose(0, 2), ["transpose", "axis 2", "(2, 3)"]),
])
def test_other_shape_errors_are_explained(backend, fn, words):
    with pytest.raises(ValueError) as info:
        fn(mg.ones(2, 3))
    assert all(w in str(info.value) for w in words), str(info.value)


def test_index_out_of_range_names_the_op_and_shape(backend):
    with pytest.raises(IndexError, match=re.escape("getitem") + ".*" + re.escape("(2, 3)")):
        mg.ones(2, 3)[5]


# ---- backward and grad -----------------------------------------------------------------------


def test_backward_on_a_non_scalar_needs_grad(backend):
    y = mg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=re.escape("(2, 3)")) as info:
        y.backward()
    assert "scalar" in str(info.value)


def test_gradient_of_the_wrong_shape(backend):
    y = mg.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(ValueError) as info:
        y.backward(mg.ones(3, 2))
    assert shapes_in(str(info.value), (2, 3), (3, 2)), str(info.value)


def test_backward_of_something_that_needs_no_grad(backend):
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mg.ones(2) * 2).sum().backward()


def test_grad_argument_errors(backend):
    x = mg.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(ValueError, match="requires_grad=True"):
        mg.grad(y.sum(), [mg.ones(2)])
    with pytest.raises(ValueError, match=r"one grad_output per output \(1\), got 2"):
        mg.grad(y, [x], grad_outputs=[mg.ones(2), mg.ones(2)])
    # One Tensor is one output's gradient, never shared out among several (PyTorch raises too).
    with pytest.raises(ValueError, match=r"one grad_output per output \(2\), got 1"):
        mg.grad([x * 2, x * 3], [x], mg.ones(2))
    (g,) = mg.grad([x * 2, x * 3], [x], (t for t in [mg.ones(2), mg.ones(2)]))
    assert g.numpy().tolist() == [5.0, 5.0]
    with pytest.raises(ValueError, match="^grad: expected at least one input"):
        mg.grad(y.sum(), [])


@pytest.mark.parametrize("seed", ["a", object(), [[1.0, 2.0], [3.0]]])
def test_a_seed_that_is_no_gradient(backend, seed):
    with pytest.raises(TypeError, match=r"^backward: expected the gradient as a Tensor or "
                                        r"numbers of the output's shape \(2,\), got "):
        (mg.ones(2, requires_grad=True) * 2).backward(seed)


class MissingGradient(Function):
    """a * b whose rule forgets the gradient of b."""

    def forward(self, xp, a, b):
        return a * b

    def backward(self, gy):
        return gy * self.operands()[1]


class ShortGradient(Function):
    """3 x whose rule returns the gradient of one element only."""

    def forward(self, xp, x):
        return 3 * x

    def backward(self, gy):
        return gy[:1] * 3


def test_a_rule_must_return_one_gradient_per_input_of_the_input_shape(backend):
    a = as_tensor([1.0, 2.0], requires_grad=True)
    b = as_tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^backward of MissingGradient: expected one gradient per "
                                        r"input \(2, None for an input that needs none\), got 1$"):
        MissingGradient.apply(a, b).sum().backward()
    for x in (a, a * 1):  # a leaf, and a node's output
        with pytest.raises(ValueError, match=r"^backward of ShortGradient: expected a gradient of "
                                             r"the input's shape \(2,\) or of a shape that it "
                                             r"broadcasts to, got \(1,\)$"):
            ShortGradient.apply(x).sum().backward()


def test_item_of_many_elements(backend):
    with pytest.raises(ValueError, match=re.escape("one element, got shape (2,)")):
        mg.ones(2).item()


def test_requires_grad_rules(backend):
    with pytest.raises(TypeError, match="floating-point.*int64"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        mg.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        (mg.ones(2, requires_grad=True) * 2).requires_grad_()
    with pytest.raises(RuntimeError, match="requires grad"):
        mg.ones(2).retain_grad()


def test_assigning_requires_grad_has_the_rules_of_requires_grad_(backend):
    x = mg.arange(3)
    with pytest.raises(TypeError, match="floating-point.*int64"):
        x.requires_grad = True
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        (mg.ones(2, requires_grad=True) * 2).requires_grad = False
    w = mg.ones(2)
    w.requires_grad = True
    assert (w * 2).requires_grad


# ---- arguments -------------------------------------------------------------------------------


def test_unknown_dtype_lists_the_known_ones(backend):
    with pytest.raises(TypeError, match="float16") as info:
        mg.zeros(2, dtype="float16")
    assert "float32" in str(info.value) and "int64" in str(info.value)


def test_unknown_backend_lists_the_available_ones(backend):
    for make in (lambda: mg.zeros(2, backend="tpu"), lambda: mg.ones(2).to("tpu"),
                 lambda: mg.set_default_backend("tpu")):
        with pytest.raises(ValueError, match="'tpu'") as info:
            make()
        assert f"available here: {mg.backends.available()}" in str(info.value)


def test_operands_that_are_not_numbers(backend):
    with pytest.raises(TypeError, match="mg.tensor"):
        mg.ones(2) + np.ones(2)
    with pytest.raises(TypeError, match="str"):
        mg.ones(2) * "a"


@pytest.mark.parametrize("call, words", [
    (lambda x: mg.tanh(np.ones(2)), ["tanh", "ndarray", "mg.tensor"]),
    (lambda x: mg.sigmoid([1.0]), ["sigmoid", "list"]),
    (lambda x: mg.relu(3.0), ["relu", "Tensor operand", "float"]),
    (lambda x: mg.where(x > 0, x, np.ones(2)), ["where", "ndarray"]),
    (lambda x: mg.where(x > 0, "a", x), ["where", "str"]),
    (lambda x: mg.softmax(np.ones(2)), ["softmax", "ndarray"]),
    (lambda x: mg.log_softmax(np.ones(2)), ["log_softmax", "ndarray"]),
    (lambda x: mg.logsumexp(np.ones(2)), ["logsumexp", "ndarray"]),
])
def test_functions_refuse_what_is_not_a_tensor(backend, call, words):
    # Every op checks its operands where it records them (Function.apply), so a raw array
    # passed to a function is refused by name instead of failing deep inside the op.
    with pytest.raises(TypeError) as info:
        call(mg.ones(2))
    assert all(w in str(info.value) for w in words), str(info.value)


def test_numpy_scalars_are_taken_as_python_numbers(backend):
    x = mg.ones(2, requires_grad=True)
    assert (x * np.float64(2)).dtype == mg.float32
    assert (np.float64(3) - x).dtype == mg.float32
    assert mg.where(x > 0, x, np.float64(0)).dtype == mg.float32
    (x ** np.int64(2)).sum().backward()
    assert np.allclose(x.grad.numpy(), 2)


@pytest.mark.parametrize("fn, kind, words", [
    (lambda x: x.clip(), ValueError, ["clip", "min and max"]),
    (lambda x: mg.where(x, x, x), TypeError, ["boolean", "float32"]),
    (lambda x: mg.concat(x), TypeError, ["sequence"]),
    (lambda x: mg.randn(2, dtype=mg.int64), TypeError, ["floating", "int64"]),
    (lambda x: mg.zeros(-1), TypeError, ["non-negative", "-1"]),
])
def test_bad_arguments(backend, fn, kind, words):
    with pytest.raises(kind) as info:
        fn(mg.ones(2))
    assert all(w in str(info.value) for w in words), str(info.value)


# ---- backends -----------------------------------------------------------------------------------


def test_mixing_backends_names_both_and_suggests_to(fake_backend):
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, backend="fakenp")
    for mix in (lambda: a + b, lambda: b * a, lambda: mg.concat([a, b]),
                lambda: mg.where(a > 0, a, b), lambda: a[mg.tensor([0], backend="fakenp")],
                lambda: a < b):
        with pytest.raises(ValueError) as info:
            mix()
        message = str(info.value)
        assert "numpy" in message and "fakenp" in message and ".to(" in message, message


def test_backward_with_a_gradient_on_another_backend(fake_backend):
    y = mg.ones(2, requires_grad=True) * 2
    with pytest.raises(ValueError, match="fakenp.*numpy|numpy.*fakenp"):
        y.backward(mg.ones(2, backend="fakenp"))


# ---- gradcheck ---------------------------------------------------------------------------------


class WrongMul(Function):
    """a * b with a deliberately wrong gradient for b (a factor 2 too much)."""

    def forward(self, xp, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.operands()
        return gy * b, gy * a * 2


class InputsMul(Function):
    """a * b whose rule reads ``self.inputs``, the Tensors, instead of ``self.operands()``."""

    def forward(self, xp, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return gy * b, gy * a


def test_a_rule_that_mixes_arrays_and_tensors_is_told_what_it_was_given(backend):
    a = as_tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"backward of InputsMul: .*raw arrays.*self\.operands"):
        InputsMul.apply(a, a).sum().backward()


def test_gradcheck_names_the_input_and_the_worst_element(backend):
    a = as_tensor([0.0, 0.0, 5.0, 0.0], requires_grad=True)  # the error is largest at a[2]
    b = as_tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongMul.apply, [a, b])
    message = str(info.value)
    assert "input 1" in message and "(2,)" in message and "analytic" in message, message


def test_gradcheck_passes_a_right_function(backend):
    a = as_tensor([1.0, 2.0], requires_grad=True)
    assert mg.gradcheck(lambda x: x * x, [a]) is True
    with pytest.raises(ValueError, match="requires_grad=True"):
        mg.gradcheck(lambda x: x * x, [as_tensor([1.0])])

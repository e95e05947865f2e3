"""mg.autograd.detect_anomaly: the op that makes a NaN or inf is named, with the user's line."""

import inspect
import threading

import pytest

import minigrad as mg
from minigrad import nn
from minigrad.ops.elementwise import Mul

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's, for log(-1)


def here(offset=0):
    """``file:line`` of the caller's line, plus ``offset``."""
    caller = inspect.currentframe().f_back
    return f"{caller.f_code.co_filename}:{caller.f_lineno + offset}"


def test_forward_nan_names_the_op_and_the_line(backend):
    x = mg.tensor([1.0, -1.0])
    with mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="log returned nan in its forward pass") as err:
            x.log()
        assert str(err.value).endswith(here(-1))


def test_backward_inf_names_the_op_and_the_line_that_created_it(backend):
    x = mg.tensor([4.0, 0.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = x.sqrt().sum()
        line = here(-1)
        with pytest.raises(RuntimeError, match="backward rule of sqrt returned inf") as err:
            y.backward()
    assert str(err.value).endswith(line)


def test_recorded_backward_is_checked_too():
    """Recorded, sqrt's rule runs as ops: the division in it is caught as it makes the inf."""
    x = mg.tensor([0.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        y = x.sqrt().sum()
        with pytest.raises(RuntimeError, match="div returned inf in its forward pass"):
            mg.grad(y, [x], create_graph=True)


def test_the_line_is_the_callers_not_one_inside_nn():
    cell = nn.RNNCell(2, 3)
    cell.weight_ih.data[:] = 1.0
    x = mg.tensor([[3e38, 3e38]])  # finite in float32; their sum is not
    with mg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="linear returned inf") as err:
            cell(x)
        assert str(err.value).endswith(here(-1))


def test_values_already_nan_are_not_blamed_on_the_ops_they_pass():
    x = mg.tensor([float("nan"), 1.0], requires_grad=True)
    with mg.autograd.detect_anomaly():
        (x * 2).sum().backward()
    assert x.grad.numpy()[1] == 2.0


def test_off_leaves_every_op_class_untouched_even_after_an_error():
    plain = (vars(Mul)["forward"], vars(Mul)["backward"])
    assert mg.tensor([-1.0]).log().numpy()[0] != 0  # off: a NaN passes unchecked
    with pytest.raises(RuntimeError):
        with mg.autograd.detect_anomaly():
            with mg.autograd.detect_anomaly():  # nested blocks
                mg.tensor([-1.0]).log()
    assert (vars(Mul)["forward"], vars(Mul)["backward"]) == plain


def test_the_mode_is_per_thread():
    seen = []

    def other_thread():
        try:
            seen.append(mg.tensor([-1.0]).log().item())
        except RuntimeError as err:
            seen.append(err)

    with mg.autograd.detect_anomaly():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join(timeout=30)
        with pytest.raises(RuntimeError):
            mg.tensor([-1.0]).log()
    assert len(seen) == 1 and not isinstance(seen[0], RuntimeError)

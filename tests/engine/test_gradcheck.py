"""mg.gradcheck's arguments: the steps and tolerances it takes, and inputs given as one Tensor.

Its verdicts (a right rule passes, a wrong one is named with its worst element) are
tested in test_errors.py, beside the other errors.
"""

import pytest
from _helpers import as_tensor

import minigrad as mg
from minigrad import nn


@pytest.mark.parametrize("options, message", [
    ({"eps": 0}, "expected eps > 0, got 0"),
    ({"eps": -1e-6}, "expected eps > 0, got -1e-06"),
    ({"eps": float("nan")}, "expected eps > 0, got nan"),
    ({"eps": "1e-6"}, "expected eps > 0, got '1e-6'"),
    ({"atol": -1.0}, "expected atol >= 0, got -1.0"),
    ({"rtol": -0.5}, "expected rtol >= 0, got -0.5"),
])
def test_gradcheck_refuses_a_step_that_is_not_positive_and_negative_tolerances(backend, options,
                                                                               message):
    # A zero step divided by zero; a negative tolerance would fail every right gradient.
    x = as_tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError) as info:
        mg.gradcheck(lambda t: t * t, [x], **options)
    assert str(info.value) == f"gradcheck: {message}"


def test_gradcheck_takes_one_tensor_as_the_only_input(backend):
    # As PyTorch does: iterating the tensor instead passed each of its rows as an argument.
    x = as_tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).sum(axis=1), x) is True
    with pytest.raises(mg.GradcheckError, match=r"^gradcheck: input 0 \(shape \(2, 2\)\)"):
        mg.gradcheck(lambda t: t.detach() * t, x)  # the detached factor's gradient goes missing


def test_gradcheck_says_that_it_calls_fn_in_float64():
    cell = nn.GRUCell(3, 4)  # float32 parameters refuse the float64 copies of the input
    with pytest.raises(TypeError, match=r"GRUCell: expected input of dtype float32.*\(gradcheck "
                                        r"calls fn with float64 copies .* dtype=mg\.float64\)$"):
        mg.gradcheck(cell, [mg.randn(2, 3, requires_grad=True)])
    assert mg.gradcheck(nn.GRUCell(3, 4, dtype=mg.float64), [mg.randn(2, 3, requires_grad=True)])

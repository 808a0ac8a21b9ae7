"""The NumPy backward pass through time: finite differences, a hand-worked case, the framework layouts."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from lstmcount.api import count_dict
from lstmcount.model.spec import LayerType, spec_from_dict
from lstmcount.numeric import bptt


def _result(layer: dict[str, Any], framework: str = "keras", features: int = 3, **kwargs: Any) -> bptt.BPTTResult:
    data = {"framework": framework, "input": {"features": features}, "layers": [layer]}
    return bptt.run_for(count_dict(data), spec_from_dict(data), **kwargs)


CELLS = [
    ("keras", {"type": "lstm", "units": 2}),
    ("pytorch", {"type": "lstm", "units": 3}),
    ("keras", {"type": "lstm", "units": 2, "use_bias": False}),
    ("keras", {"type": "gru", "units": 2}),
    ("keras", {"type": "gru", "units": 3, "reset_after": False}),
    ("pytorch", {"type": "gru", "units": 2}),
    ("keras", {"type": "simple_rnn", "units": 2}),
    ("pytorch", {"type": "simple_rnn", "units": 3, "nonlinearity": "relu"}),
]


@pytest.mark.parametrize(("framework", "layer"), CELLS)
def test_sum_of_step_contributions_equals_finite_differences(framework: str, layer: dict[str, Any]) -> None:
    """Adding every step's contribution gives the gradient that central differences of the loss give."""
    result = _result(layer, framework, steps=4, batch=2, seed=1)
    total = result.total()
    assert set(total) == set(result.finite)
    for name, grad in result.finite.items():
        np.testing.assert_allclose(total[name], grad, rtol=1e-6, atol=1e-8, err_msg=name)


def test_simple_rnn_worked_by_hand() -> None:
    """A 1-unit tanh RNN over two steps matches the chain rule written out by hand."""
    u, w, b = 0.5, -0.3, 0.1
    x1, x2 = 1.0, 2.0
    cell = bptt.Cell(kind=LayerType.SIMPLE_RNN, U=np.array([[u]]), W=np.array([[w]]), bx=np.array([b]), bh=None)
    x = np.array([[[x1], [x2]]])
    h1 = math.tanh(x1 * u + b)
    h2 = math.tanh(x2 * u + h1 * w + b)
    a2 = 2 * h2 * (1 - h2**2)  # dL/d(pre-activation of step 2), L = h2²
    a1 = a2 * w * (1 - h1**2)  # ... of step 1
    steps = bptt.backward(cell, x)
    assert bptt.loss(cell, x) == pytest.approx(h2**2)
    assert steps[1]["U"][0, 0] == pytest.approx(x2 * a2)
    assert steps[1]["W"][0, 0] == pytest.approx(h1 * a2)
    assert steps[1]["bx"][0] == pytest.approx(a2)
    assert steps[0]["U"][0, 0] == pytest.approx(x1 * a1)
    assert steps[0]["W"][0, 0] == 0.0  # h_0 = 0
    assert steps[0]["bx"][0] == pytest.approx(a1)


def test_first_step_adds_nothing_to_the_recurrent_weights() -> None:
    """Step 1 multiplies h_0 = 0, so its share of the recurrent weights' gradient is zero."""
    result = _result({"type": "lstm", "units": 2})
    assert np.all(result.steps[0]["W"] == 0.0)
    assert np.linalg.norm(result.steps[1]["W"]) > 0


def test_framework_tensors_follow_gate_order_and_layout() -> None:
    """Keras GRU blocks are z, r, h in kernel (I, 3H); PyTorch's are r, z, n in weight_ih (3H, I)."""
    keras = _result({"type": "gru", "units": 2})
    U = keras.cell.U  # canonical r, z, n
    tensors = keras.framework(keras.cell.params())
    assert tensors["kernel"].shape == (3, 6)
    np.testing.assert_array_equal(tensors["kernel"][:, 0:2], U[:, 2:4])  # z first
    np.testing.assert_array_equal(tensors["kernel"][:, 2:4], U[:, 0:2])  # then r
    np.testing.assert_array_equal(
        tensors["bias"][1], np.concatenate([keras.cell.bh[2:4], keras.cell.bh[0:2], keras.cell.bh[4:6]])
    )
    torch_layout = _result({"type": "gru", "units": 2}, "pytorch")
    tensors = torch_layout.framework(torch_layout.cell.params())
    assert tensors["weight_ih_l0"].shape == (6, 3)
    np.testing.assert_array_equal(tensors["weight_ih_l0"], torch_layout.cell.U.T)


def test_square_recurrent_weights_are_transposed_by_layout() -> None:
    """A one-gate PyTorch weight_hh (H, H) is the transpose of the row-layout W even though square."""
    result = _result({"type": "simple_rnn", "units": 3}, "pytorch")
    tensors = result.framework(result.cell.params())
    np.testing.assert_array_equal(tensors["weight_hh_l0"], result.cell.W.T)


def test_a_large_layer_is_replaced_by_a_tiny_one_like_it() -> None:
    """A layer too large to print runs as I = 3, H = 2 with the same cell type and options."""
    result = _result({"type": "gru", "units": 64, "reset_after": False}, features=100)
    assert result.tiny
    assert result.layer.cells[0].input_size == bptt.TINY_INPUT
    assert result.layer.cells[0].units == bptt.TINY_UNITS
    assert not result.cell.reset_after
    assert result.x.shape == (1, 3, 3)


def test_description_shows_steps_sum_and_single_update() -> None:
    """The text has one row per step, the sum, the finite-difference verdict and the single update."""
    result = _result({"type": "lstm", "units": 2}, steps=4, batch=2)
    text = "\n".join(bptt.describe(result))
    for t in range(1, 5):
        assert f"step {t}" in text
    assert "sum (‖Σ‖)" in text
    assert " agree for" in text
    assert "one update of the one shared set of weights per batch" in text


def test_long_sequences_and_large_batches_are_capped() -> None:
    """A 200-step, 64-sequence request runs at the caps and says what was asked for."""
    result = _result({"type": "lstm", "units": 2}, steps=200, batch=64)
    assert result.x.shape == (bptt.MAX_BATCH, bptt.MAX_STEPS, 3)
    assert len(result.steps) == bptt.MAX_STEPS
    assert "asked for B = 64, T = 200" in "\n".join(bptt.describe(result))

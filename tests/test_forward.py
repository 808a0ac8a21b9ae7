"""The NumPy forward pass on hand-worked vectors: one unit, constant weights, scalar arithmetic."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcount.errors import LstmcountError, UsageError
from lstmcount.numeric import forward as fw
from lstmcount.numeric.forward import (
    Trace,
    WeightsError,
    build,
    estimate_bytes,
    forward,
    init_weights,
    random_input,
    run,
)


def sig(v: float) -> float:
    """The logistic function on one number."""
    return 1 / (1 + math.exp(-v))


def model(framework: str, layers: list[dict[str, Any]], features: int = 1, **inp: Any) -> dict[str, Any]:
    """A spec mapping with ``features`` input features."""
    return {"framework": framework, "input": {"features": features, **inp}, "layers": layers}


X = [1.0, -2.0, 0.5]  # one sequence of three steps of one feature
U = [0.1, 0.2, 0.3, 0.4]  # per-gate input weight, in the order i, f, g, o / z, r, h
W = [0.5, -0.6, 0.7, 0.8]  # per-gate recurrent weight
B = [0.01, 0.02, -0.03, 0.04]  # per-gate bias


def x_batch() -> np.ndarray:
    """X as a (1, 3, 1) float64 batch."""
    return np.array(X, dtype=np.float64).reshape(1, 3, 1)


def lstm_by_hand(u: list[float], w: list[float], b: list[float]) -> tuple[list[float], float]:
    """One LSTM unit over X: gates in the order input, forget, candidate, output."""
    h = c = 0.0
    hs = []
    for x in X:
        i = sig(x * u[0] + h * w[0] + b[0])
        f = sig(x * u[1] + h * w[1] + b[1])
        g = math.tanh(x * u[2] + h * w[2] + b[2])
        o = sig(x * u[3] + h * w[3] + b[3])
        c = f * c + i * g
        h = o * math.tanh(c)
        hs.append(h)
    return hs, c


def test_keras_lstm_one_unit_by_hand() -> None:
    """Keras LSTM(1): kernel (1, 4) and bias (4,) in gate order i, f, c, o give the hand-worked h and c."""
    weights = {
        "lstm/lstm_cell/kernel": np.array([U]),
        "lstm/lstm_cell/recurrent_kernel": np.array([W]),
        "lstm/lstm_cell/bias": np.array(B),
    }
    result = forward(model("keras", [{"type": "lstm", "units": 1, "return_sequences": True}]), weights, x_batch())
    hs, c = lstm_by_hand(U, W, B)
    np.testing.assert_allclose(result.output[0, :, 0], hs, atol=1e-12)
    h_state, c_state = result.states["lstm"]
    assert h_state.shape == (1, 1) and c_state.shape == (1, 1)
    assert h_state[0, 0] == pytest.approx(hs[-1], abs=1e-12)
    assert c_state[0, 0] == pytest.approx(c, abs=1e-12)


def test_pytorch_lstm_one_unit_by_hand() -> None:
    """PyTorch LSTM(1): weight_ih (4, 1) in order i, f, g, o and the sum of both biases give the same h."""
    b_ih = [0.005, 0.01, -0.01, 0.03]
    b_hh = [b - a for a, b in zip(b_ih, B, strict=True)]
    weights = {
        "lstm.weight_ih_l0": np.array(U).reshape(4, 1),
        "lstm.weight_hh_l0": np.array(W).reshape(4, 1),
        "lstm.bias_ih_l0": np.array(b_ih),
        "lstm.bias_hh_l0": np.array(b_hh),
    }
    result = forward(model("pytorch", [{"type": "lstm", "units": 1}]), weights, x_batch())
    hs, c = lstm_by_hand(U, W, B)
    assert result.output.shape == (1, 1)
    assert result.output[0, 0] == pytest.approx(hs[-1], abs=1e-12)
    h_n, c_n = result.states["lstm"]
    assert h_n.shape == (1, 1, 1) and c_n.shape == (1, 1, 1)
    assert c_n[0, 0, 0] == pytest.approx(c, abs=1e-12)


def test_lstm_gate_order_comes_from_the_table() -> None:
    """With block 0 (input gate) shut, c stays zero in both frameworks, however open the others are."""
    for framework, names in [
        ("keras", ("lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias")),
        ("pytorch", ("lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0")),
    ]:
        shapes = [(1, 4), (1, 4)] if framework == "keras" else [(4, 1), (4, 1)]
        # input gate shut, forget and output open, candidate near 1: any other order gives c != 0
        bias = np.array([-50.0, 50.0, 5.0, 50.0])
        weights = {names[0]: np.zeros(shapes[0]), names[1]: np.zeros(shapes[1]), names[2]: bias}
        layer = {"type": "lstm", "units": 1}
        if framework == "pytorch":
            weights["lstm.bias_hh_l0"] = np.zeros(4)
        out = forward(model(framework, [layer]), weights, x_batch())
        assert out.output[0, 0] == pytest.approx(0.0, abs=1e-12), framework


def gru_by_hand(
    u: list[float], w: list[float], b_in: list[float], b_rec: list[float], reset_after: bool
) -> list[float]:
    """One GRU unit over X, gates given in the order update z, reset r, candidate."""
    h = 0.0
    hs = []
    for x in X:
        z = sig(x * u[0] + b_in[0] + h * w[0] + b_rec[0])
        r = sig(x * u[1] + b_in[1] + h * w[1] + b_rec[1])
        if reset_after:
            n = math.tanh(x * u[2] + b_in[2] + r * (h * w[2] + b_rec[2]))
        else:
            n = math.tanh(x * u[2] + b_in[2] + (r * h) * w[2])
        h = z * h + (1 - z) * n
        hs.append(h)
    return hs


def test_keras_gru_reset_after_by_hand() -> None:
    """Keras GRU(1) reset_after: bias (2, 3), row 0 input, row 1 recurrent inside r * (h W + b)."""
    b_in, b_rec = [0.1, -0.2, 0.3], [0.05, 0.15, -0.25]
    weights = {
        "gru/gru_cell/kernel": np.array([U[:3]]),
        "gru/gru_cell/recurrent_kernel": np.array([W[:3]]),
        "gru/gru_cell/bias": np.array([b_in, b_rec]),
    }
    out = forward(model("keras", [{"type": "gru", "units": 1, "return_sequences": True}]), weights, x_batch())
    np.testing.assert_allclose(out.output[0, :, 0], gru_by_hand(U, W, b_in, b_rec, True), atol=1e-12)


def test_keras_gru_reset_before_by_hand() -> None:
    """Keras GRU(1, reset_after=False): one bias, candidate from (r * h) W."""
    b_in = [0.1, -0.2, 0.3]
    weights = {
        "gru/gru_cell/kernel": np.array([U[:3]]),
        "gru/gru_cell/recurrent_kernel": np.array([W[:3]]),
        "gru/gru_cell/bias": np.array(b_in),
    }
    spec = model("keras", [{"type": "gru", "units": 1, "return_sequences": True, "reset_after": False}])
    out = forward(spec, weights, x_batch())
    np.testing.assert_allclose(out.output[0, :, 0], gru_by_hand(U, W, b_in, [0, 0, 0], False), atol=1e-12)


def test_pytorch_gru_by_hand() -> None:
    """PyTorch GRU(1): blocks in order r, z, n; b_hn sits inside r * (W_hn h + b_hn)."""
    u, w = U[:3], W[:3]
    b_in, b_rec = [0.1, -0.2, 0.3], [0.05, 0.15, -0.25]  # in z, r, n order

    def rzn(v: list[float]) -> np.ndarray:
        return np.array([v[1], v[0], v[2]])

    weights = {
        "gru.weight_ih_l0": rzn(u).reshape(3, 1),
        "gru.weight_hh_l0": rzn(w).reshape(3, 1),
        "gru.bias_ih_l0": rzn(b_in),
        "gru.bias_hh_l0": rzn(b_rec),
    }
    out = forward(model("pytorch", [{"type": "gru", "units": 1, "return_sequences": True}]), weights, x_batch())
    np.testing.assert_allclose(out.output[0, :, 0], gru_by_hand(u, w, b_in, b_rec, True), atol=1e-12)
    assert out.states["gru"][0].shape == (1, 1, 1)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_simple_rnn_by_hand(nonlinearity: str) -> None:
    """SimpleRNN(1): h = act(x u + h w + b) with tanh or relu."""
    act = math.tanh if nonlinearity == "tanh" else (lambda v: max(v, 0.0))
    h, hs = 0.0, []
    for x in X:
        h = act(x * 0.9 + h * 0.5 + 0.2)
        hs.append(h)
    weights = {
        "simple_rnn/simple_rnn_cell/kernel": np.array([[0.9]]),
        "simple_rnn/simple_rnn_cell/recurrent_kernel": np.array([[0.5]]),
        "simple_rnn/simple_rnn_cell/bias": np.array([0.2]),
    }
    layer = {"type": "simple_rnn", "units": 1, "return_sequences": True, "nonlinearity": nonlinearity}
    out = forward(model("keras", [layer]), weights, x_batch())
    np.testing.assert_allclose(out.output[0, :, 0], hs, atol=1e-12)


def test_no_bias_lstm_by_hand() -> None:
    """Without bias, the PyTorch LSTM has two tensors and the gates see only x U + h W."""
    weights = {"lstm.weight_ih_l0": np.array(U).reshape(4, 1), "lstm.weight_hh_l0": np.array(W).reshape(4, 1)}
    out = forward(model("pytorch", [{"type": "lstm", "units": 1, "use_bias": False}]), weights, x_batch())
    assert out.output[0, 0] == pytest.approx(lstm_by_hand(U, W, [0, 0, 0, 0])[0][-1], abs=1e-12)


def test_projection_by_hand() -> None:
    """PyTorch LSTM(2, proj_size=1): h_t = W_hr (o * tanh(c)), and h_{t-1} has width 1."""
    # two units with identical weights: each behaves as lstm_by_hand fed the projected h
    w_hr = np.array([[0.3, 0.6]])  # (P, H)
    h, c = 0.0, [0.0, 0.0]
    for x in X:
        full = []
        for j in range(2):
            i = sig(x * U[0] + h * W[0])
            f = sig(x * U[1] + h * W[1])
            g = math.tanh(x * U[2] + h * W[2])
            o = sig(x * U[3] + h * W[3])
            c[j] = f * c[j] + i * g
            full.append(o * math.tanh(c[j]))
        h = float(w_hr[0] @ np.array(full))
    weights = {
        "lstm.weight_ih_l0": np.repeat(np.array(U), 2).reshape(8, 1),
        "lstm.weight_hh_l0": np.repeat(np.array(W), 2).reshape(8, 1),
        "lstm.weight_hr_l0": w_hr,
    }
    layer = {"type": "lstm", "units": 2, "proj_size": 1, "use_bias": False}
    out = forward(model("pytorch", [layer]), weights, x_batch())
    assert out.output.shape == (1, 1)
    assert out.output[0, 0] == pytest.approx(h, abs=1e-12)
    h_n, c_n = out.states["lstm"]
    assert h_n.shape == (1, 1, 1) and c_n.shape == (1, 1, 2)
    np.testing.assert_allclose(c_n[0, 0], c, atol=1e-12)


def rnn_weights(prefix: str, u: float, w: float) -> dict[str, np.ndarray]:
    """A one-unit Keras simple RNN cell without bias."""
    return {f"{prefix}/kernel": np.array([[u]]), f"{prefix}/recurrent_kernel": np.array([[w]])}


@pytest.mark.parametrize("mode", ["concat", "sum", "ave", "mul"])
def test_bidirectional_merge_modes_by_hand(mode: str) -> None:
    """Keras Bidirectional: the backward cell reads X reversed; its final step joins forward's last."""
    fwd, h = [], 0.0
    for x in X:
        h = math.tanh(0.9 * x + 0.5 * h)
        fwd.append(h)
    bwd, h = [0.0] * 3, 0.0
    for t in (2, 1, 0):
        h = math.tanh(-0.4 * X[t] + 0.3 * h)
        bwd[t] = h
    weights = {
        **rnn_weights("bidirectional/forward_simple_rnn/simple_rnn_cell", 0.9, 0.5),
        **rnn_weights("bidirectional/backward_simple_rnn/simple_rnn_cell", -0.4, 0.3),
    }
    merge = {
        "concat": lambda a, b: [a, b],
        "sum": lambda a, b: [a + b],
        "ave": lambda a, b: [(a + b) / 2],
        "mul": lambda a, b: [a * b],
    }[mode]
    for sequences in (True, False):
        layer = {
            "type": "simple_rnn",
            "units": 1,
            "use_bias": False,
            "bidirectional": True,
            "merge_mode": mode,
            "return_sequences": sequences,
        }
        out = forward(model("keras", [layer]), weights, x_batch())
        if sequences:
            expected = [merge(fwd[t], bwd[t]) for t in range(3)]
            np.testing.assert_allclose(out.output[0], expected, atol=1e-12)
        else:
            # forward's last step with backward's final step (which sits at t = 0)
            np.testing.assert_allclose(out.output[0], merge(fwd[2], bwd[0]), atol=1e-12)
        h_f, h_b = out.states["bidirectional"]
        assert h_f[0, 0] == pytest.approx(fwd[2]) and h_b[0, 0] == pytest.approx(bwd[0])


def test_pytorch_stacked_bidirectional_state_layout() -> None:
    """PyTorch num_layers=2, bidirectional: h_n is (layers·directions, B, H), index k·2 + d."""
    spec = model("pytorch", [{"type": "gru", "units": 3, "num_layers": 2, "bidirectional": True}], features=2)
    m = build(spec)
    weights = init_weights(m, seed=3, dtype=np.float64)
    x = random_input(m, 4, 5, seed=3, dtype=np.float64)
    out = run(m, weights, x, dtype=np.float64)
    (h_n,) = out.states["gru"]
    assert h_n.shape == (4, 4, 3)
    assert out.output.shape == (4, 6)
    # output = [forward last step of layer 1, backward final step of layer 1] = h_n[2], h_n[3]
    np.testing.assert_allclose(out.output, np.concatenate([h_n[2], h_n[3]], axis=1), atol=1e-12)


def test_dense_applies_per_time_step() -> None:
    """Keras Dense(1) on a (1, 3, 2) sequence: x W + b at every step, then the activation."""
    x = np.array([[[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]])
    weights = {"dense/kernel": np.array([[0.5], [-1.0]]), "dense/bias": np.array([0.25])}
    spec = model("keras", [{"type": "dense", "units": 1, "activation": "relu"}], features=2)
    out = forward(spec, weights, x)
    np.testing.assert_allclose(out.output[0, :, 0], [0.0, 1.25, 1.25])
    # PyTorch Linear stores (out, in)
    pt = forward(
        model("pytorch", [{"type": "dense", "units": 1, "activation": "relu"}], features=2),
        {"linear.weight": np.array([[0.5, -1.0]]), "linear.bias": np.array([0.25])},
        x,
    )
    np.testing.assert_allclose(pt.output, out.output)


def test_conv1d_valid_same_and_strides_by_hand() -> None:
    """Conv1D with an all-ones kernel sums windows; same padding adds zeros, extra one on the right."""
    x = np.arange(1.0, 6.0).reshape(1, 5, 1)  # 1 2 3 4 5
    ones = {"conv1d/kernel": np.ones((3, 1, 1)), "conv1d/bias": np.zeros(1)}
    valid = forward(model("keras", [{"type": "conv1d", "filters": 1, "kernel_size": 3}]), ones, x)
    np.testing.assert_allclose(valid.output[0, :, 0], [6, 9, 12])
    same = forward(model("keras", [{"type": "conv1d", "filters": 1, "kernel_size": 3, "padding": "same"}]), ones, x)
    np.testing.assert_allclose(same.output[0, :, 0], [3, 6, 9, 12, 9])
    strided = forward(
        model("keras", [{"type": "conv1d", "filters": 1, "kernel_size": 2, "strides": 2, "padding": "same"}]),
        {"conv1d/kernel": np.ones((2, 1, 1)), "conv1d/bias": np.zeros(1)},
        x,
    )
    np.testing.assert_allclose(strided.output[0, :, 0], [3, 7, 5])  # pad right by one: 1+2, 3+4, 5+0
    pt = forward(
        model("pytorch", [{"type": "conv1d", "filters": 1, "kernel_size": 3}]),
        {"conv1d.weight": np.ones((1, 1, 3)), "conv1d.bias": np.zeros(1)},
        x,
    )
    assert pt.output.shape == (1, 1, 3)  # PyTorch: channels first
    np.testing.assert_allclose(pt.output[0, 0], [6, 9, 12])


def test_layer_norm_epsilon_per_framework() -> None:
    """LayerNorm of [0, 2]: ±1/sqrt(1 + eps), eps 1e-3 in Keras and 1e-5 in PyTorch."""
    x = np.array([[[0.0, 2.0]]])
    k = forward(
        model("keras", [{"type": "layer_normalization"}], features=2),
        {"layer_normalization/gamma": np.ones(2), "layer_normalization/beta": np.zeros(2)},
        x,
    )
    p = forward(
        model("pytorch", [{"type": "layer_normalization"}], features=2),
        {"layer_norm.weight": np.ones(2), "layer_norm.bias": np.zeros(2)},
        x,
    )
    assert k.output[0, 0, 1] == pytest.approx(1 / math.sqrt(1 + 1e-3), abs=1e-12)
    assert p.output[0, 0, 1] == pytest.approx(1 / math.sqrt(1 + 1e-5), abs=1e-12)


def test_embedding_looks_up_rows_and_dropout_is_identity() -> None:
    """Embedding returns the rows of its table; a dropout layer after it changes nothing."""
    table = np.arange(12.0).reshape(4, 3)
    spec = {"input": {"vocab": 4}, "layers": [{"type": "embedding", "dim": 3}, {"type": "dropout", "rate": 0.5}]}
    out = forward(spec, {"embedding/embeddings": table}, np.array([[3, 0, 1]]))
    np.testing.assert_array_equal(out.output[0], table[[3, 0, 1]])


def test_trace_counts_each_tensor_once_whatever_t() -> None:
    """Every step of a bidirectional LSTM reads the same arrays, made from its 6 tensors, for T = 2 and T = 9."""
    spec = model("keras", [{"type": "lstm", "units": 4, "bidirectional": True}], features=3)
    seen = []
    for steps in (2, 9):
        m = build(spec, timesteps=steps)
        trace = Trace()
        run(m, init_weights(m), random_input(m, 2, steps), trace=trace)
        sharing = trace.layer("bidirectional")
        assert sharing.tensors == {t.path for t in m.report.layers[0].tensors}
        assert sharing.same_every_step and sharing.runs == (steps, steps)
        seen.append(sharing.arrays)
    assert seen[0] == seen[1]


def test_trace_tells_a_fresh_array_per_step() -> None:
    """A trace whose steps read different arrays says so, and counts each array."""
    trace = Trace()
    a, b = np.zeros(1), np.ones(1)
    trace.derive(a, ("w",))
    trace.derive(b, ("w",))
    trace.touch(("l", 0, 0), [a])
    trace.touch(("l", 0, 0), [b])
    sharing = trace.layer("l")
    assert not sharing.same_every_step and sharing.arrays == 2 and sharing.tensors == {"w"}


def test_missing_and_misshaped_weights_raise() -> None:
    """forward() refuses weights that miss a tensor or have a wrong shape, naming it."""
    spec = model("keras", [{"type": "simple_rnn", "units": 2}])
    good = {
        "simple_rnn/simple_rnn_cell/kernel": np.zeros((1, 2)),
        "simple_rnn/simple_rnn_cell/recurrent_kernel": np.zeros((2, 2)),
        "simple_rnn/simple_rnn_cell/bias": np.zeros(2),
    }
    forward(spec, good, x_batch())
    with pytest.raises(WeightsError, match=r"missing: simple_rnn/simple_rnn_cell/bias \(expected shape \(2,\)\)"):
        forward(spec, {k: v for k, v in good.items() if not k.endswith("bias")}, x_batch())
    with pytest.raises(WeightsError, match=r"expected \(2, 2\), received \(2, 3\)"):
        forward(spec, {**good, "simple_rnn/simple_rnn_cell/recurrent_kernel": np.zeros((2, 3))}, x_batch())


def test_bad_inputs_are_usage_errors() -> None:
    """Wrong feature count, float token ids, out-of-range ids and unknown activations are one-line errors."""
    spec = model("keras", [{"type": "simple_rnn", "units": 2}], features=3)
    m = build(spec)
    with pytest.raises(UsageError, match=r"\(B, T, 3\)"):
        forward(spec, init_weights(m), np.zeros((1, 2, 4)))
    emb = {"input": {"vocab": 4}, "layers": [{"type": "embedding", "dim": 3}]}
    weights = {"embedding/embeddings": np.zeros((4, 3))}
    with pytest.raises(UsageError, match="integer token ids"):
        forward(emb, weights, np.zeros((1, 2)))
    with pytest.raises(UsageError, match=r"\[0, 4\)"):
        forward(emb, weights, np.array([[4]]))
    with pytest.raises(LstmcountError):
        forward(
            model("keras", [{"type": "dense", "units": 1, "activation": "hard_sigmoidal"}]),
            {"dense/kernel": np.zeros((1, 1)), "dense/bias": np.zeros(1)},
            x_batch(),
        )


def test_memory_estimate_counts_weights_and_activations() -> None:
    """The estimate covers the 4·(I·H + H·H + H) weights and grows with batch and steps."""
    report = build(model("keras", [{"type": "lstm", "units": 100_000}], features=100_000)).report
    assert estimate_bytes(report, 1, 1, 4) >= 4 * report.total > 2**31
    small = build(model("keras", [{"type": "lstm", "units": 8}], features=4)).report
    assert estimate_bytes(small, 8, 10, 4) > estimate_bytes(small, 2, 10, 4) > estimate_bytes(small, 2, 10, 4) // 2
    assert 2 * estimate_bytes(small, 2, 10, 4) > estimate_bytes(small, 2, 10, 8) > estimate_bytes(small, 2, 10, 4)


@settings(max_examples=25, deadline=None)
@given(units=st.integers(1, 6), steps=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_backward_direction_is_forward_on_reversed_time(units: int, steps: int, seed: int) -> None:
    """The backward half of a bidirectional LSTM equals a forward LSTM with its weights on X reversed."""
    bi = build(
        model(
            "pytorch", [{"type": "lstm", "units": units, "bidirectional": True, "return_sequences": True}], features=2
        ),
        timesteps=steps,
    )
    uni = build(
        model("pytorch", [{"type": "lstm", "units": units, "return_sequences": True}], features=2), timesteps=steps
    )
    w = init_weights(bi, seed, np.float64)
    x = random_input(bi, 2, steps, seed, np.float64)
    both = run(bi, w, x, dtype=np.float64).output
    backward_only = {k.replace("_reverse", ""): v for k, v in w.items() if k.endswith("_reverse")}
    reversed_run = run(uni, backward_only, x[:, ::-1], dtype=np.float64).output
    np.testing.assert_allclose(both[:, :, units:], reversed_run[:, ::-1], atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(cell=st.sampled_from(["lstm", "gru", "simple_rnn"]), seed=st.integers(0, 10**6))
def test_float32_pass_tracks_float64(cell: str, seed: int) -> None:
    """The float32 pass stays within 1e-4 of the float64 pass on the same weights."""
    m = build(model("keras", [{"type": cell, "units": 8, "num_layers": 2}], features=5), timesteps=7)
    w = init_weights(m, seed, np.float64)
    x = random_input(m, 3, 7, seed, np.float64)
    wide = run(m, w, x, dtype=np.float64).output
    narrow = run(m, {k: v.astype(np.float32) for k, v in w.items()}, x.astype(np.float32), dtype=np.float32).output
    assert narrow.dtype == np.float32
    np.testing.assert_allclose(narrow, wide, atol=1e-4)


def test_spec_file_path_is_accepted(tmp_path: Any) -> None:
    """forward() takes a spec file path as well as a mapping."""
    path = tmp_path / "m.yaml"
    path.write_text("input: {features: 1}\nlayers:\n  - {type: simple_rnn, units: 1, use_bias: false}\n")
    weights = rnn_weights("simple_rnn/simple_rnn_cell", 0.9, 0.5)
    out = forward(str(path), weights, x_batch())
    h = 0.0
    for x in X:
        h = math.tanh(0.9 * x + 0.5 * h)
    assert out.output[0, 0] == pytest.approx(h, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.integers(1, 5),
    width=st.integers(1, 30),
    batch=st.integers(1, 6),
    rows=st.integers(1, 12),
    batch_first=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_input_product_both_forms(steps: int, width: int, batch: int, rows: int, batch_first: bool, seed: int) -> None:
    """U x_t for every step, stacked (I <= 4·B) or as one product, from either input layout, equals U @ x_t."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((rows, width))  # (G·H, I)
    if batch_first:
        x = rng.standard_normal((batch, steps, width)).transpose(1, 2, 0)  # (T, I, B) view of (B, T, I)
    else:
        x = rng.standard_normal((steps, width, batch))  # (T, I, B), as a previous layer's h
    operand = fw.input_operand(x)
    assert operand.ndim == (3 if width <= fw.STACKED_WIDTH * batch else 2)
    from lstmcount.cells import CellSpec, Kind

    cell = fw.Cell(
        spec=CellSpec(Kind.LSTM, width, 1),
        u=u,
        w=np.zeros((rows, 1)),
        b_x=None,
        b_rec=None,
        proj=None,
        peep={},
        halved=False,
        origins={},
    )
    buffer = np.full(steps * rows * batch, np.nan)
    xw = fw.input_product(cell, operand, batch, buffer)
    assert xw.shape == (steps, rows, batch)
    assert np.shares_memory(xw, buffer)
    for t in range(steps):
        np.testing.assert_allclose(xw[t], u @ x[t], atol=1e-12)


@pytest.mark.parametrize("cell", ["lstm", "gru", "simple_rnn"])
def test_both_input_product_forms_give_the_same_pass(cell: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stacked, bidirectional layer gives the same output whichever form each input product takes."""
    m = build(model("pytorch", [{"type": cell, "units": 5, "num_layers": 2, "bidirectional": True}], features=7))
    w = init_weights(m, 3, np.float64)
    x = random_input(m, 4, 6, 3, np.float64)
    results = []
    for stacked_width in (0, 10**6):  # every input wide, then every input narrow
        monkeypatch.setattr(fw, "STACKED_WIDTH", stacked_width)
        results.append(run(build(m), w, x, dtype=np.float64))
    np.testing.assert_allclose(results[0].output, results[1].output, atol=1e-12)
    for a, b in zip(results[0].layers[0].states, results[1].layers[0].states, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_a_model_reuses_its_work_buffers_and_repeats_its_result() -> None:
    """A second pass of the same model reuses the input-product buffer and gives the same output bit for bit."""
    m = build(
        model("pytorch", [{"type": "gru", "units": 6, "bidirectional": True, "return_sequences": True}], features=3)
    )
    w = init_weights(m, 0, np.float32)
    x = random_input(m, 4, 5, 0)
    first = run(m, w, x).output.copy()
    held = m.scratch.nbytes
    assert held == 5 * 3 * 6 * 4 * 4  # one (T, G·H, B) float32 buffer, shared by both directions
    other = run(m, w, random_input(m, 4, 5, 1)).output  # the GRU adds its bias into that buffer
    assert not np.array_equal(other, first)
    np.testing.assert_array_equal(run(m, w, x).output, first)
    assert m.scratch.nbytes == held


def test_passes_in_threads_do_not_share_buffers() -> None:
    """Passes of one model in several threads at once each give their own input's result."""
    from concurrent.futures import ThreadPoolExecutor

    m = build(model("pytorch", [{"type": "lstm", "units": 16, "return_sequences": True}], features=8))
    w = init_weights(m, 0, np.float64)
    inputs = [random_input(m, 8, 40, seed, np.float64) for seed in range(6)]
    alone = [run(build(m), w, x, dtype=np.float64).output for x in inputs]
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(lambda x: run(m, w, x, dtype=np.float64).output, inputs * 3))
    for i, out in enumerate(together):
        np.testing.assert_array_equal(out, alone[i % len(inputs)])

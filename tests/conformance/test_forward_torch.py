"""The NumPy forward pass agrees with real PyTorch: every layer's output and every h_n, c_n.

Each case is built as a real ``nn.Module`` (``build_torch``) with PyTorch's random init; its
``state_dict()`` is copied into the NumPy pass by name, and both run the same batch, in float64
(atol 1e-6) and float32 (atol 1e-4).
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from frameworks import TORCH_ACTIVATIONS, build_torch, dummy_steps, random_spec, spec_dict

from lstmcount.counting.counter import count
from lstmcount.model.spec import ModelSpec, spec_from_dict
from lstmcount.numeric.forward import forward

pytestmark = pytest.mark.conformance

SEED = 4242
RANDOM_CASES = 40
TOLERANCE = {"float64": 1e-6, "float32": 1e-4}


def _spec(input_: dict[str, Any], *layers: dict[str, Any]) -> dict[str, Any]:
    return spec_dict("pytorch", input_, *layers)


FEAT = {"features": 5, "timesteps": 6}

#: every cell and option of the foundation issue, in PyTorch's terms
CASES: dict[str, dict[str, Any]] = {
    "lstm": _spec(FEAT, {"type": "lstm", "units": 7}),
    "lstm_sequences": _spec(FEAT, {"type": "lstm", "units": 7, "return_sequences": True}),
    "lstm_no_bias": _spec(FEAT, {"type": "lstm", "units": 7, "use_bias": False}),
    "lstm_proj": _spec(FEAT, {"type": "lstm", "units": 7, "proj_size": 3, "return_sequences": True}),
    "lstm_stacked_bi_proj": _spec(
        FEAT, {"type": "lstm", "units": 6, "proj_size": 4, "num_layers": 3, "bidirectional": True, "dropout": 0.3}
    ),
    "lstm_bi_last": _spec(FEAT, {"type": "lstm", "units": 5, "bidirectional": True}),
    "gru": _spec(FEAT, {"type": "gru", "units": 7, "return_sequences": True}),
    "gru_stacked_bi": _spec(FEAT, {"type": "gru", "units": 4, "num_layers": 2, "bidirectional": True}),
    "gru_no_bias": _spec(FEAT, {"type": "gru", "units": 4, "use_bias": False}),
    "rnn_tanh": _spec(FEAT, {"type": "simple_rnn", "units": 6, "return_sequences": True}),
    "rnn_relu_bi": _spec(
        FEAT, {"type": "simple_rnn", "units": 6, "nonlinearity": "relu", "bidirectional": True, "num_layers": 2}
    ),
    "two_layers_then_head": _spec(
        FEAT,
        {"type": "lstm", "units": 8, "return_sequences": True},
        {"type": "gru", "units": 6},
        {"type": "dropout", "rate": 0.5},
        {"type": "dense", "units": 3, "activation": "softmax"},
    ),
    "embedding": _spec({"vocab": 30, "timesteps": 7}, {"type": "embedding", "dim": 6}, {"type": "lstm", "units": 5}),
    "dense_per_step": _spec(
        FEAT,
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "lstm", "units": 3, "return_sequences": True},
        {"type": "dense", "units": 2, "use_bias": False, "activation": "sigmoid"},
    ),
    "conv_valid_strided": _spec(
        {"features": 3, "timesteps": 11},
        {"type": "conv1d", "filters": 4, "kernel_size": 3, "strides": 2, "activation": "relu"},
        {"type": "lstm", "units": 5},
    ),
    "conv_same_last": _spec(
        {"features": 3, "timesteps": 9},
        {"type": "conv1d", "filters": 4, "kernel_size": 4, "padding": "same", "use_bias": False},
    ),
    "layer_norm": _spec(
        FEAT,
        {"type": "layer_normalization"},
        {"type": "gru", "units": 4, "return_sequences": True},
        {"type": "layer_normalization", "center": False},
        {"type": "layer_normalization", "center": False, "scale": False},
    ),
    # the input product takes two forms (stacked for I <= 4·B, one product above; B is 3
    # here): a wide batch-first input, then a wide previous h, each way round
    "wide_input_wide_h": _spec(
        {"features": 40, "timesteps": 6}, {"type": "lstm", "units": 10, "num_layers": 2, "bidirectional": True}
    ),
    "narrow_input_wide_h": _spec(
        FEAT, {"type": "gru", "units": 9, "num_layers": 2, "bidirectional": True, "return_sequences": True}
    ),
    "wide_input_narrow_h": _spec(
        {"features": 30, "timesteps": 6},
        {"type": "simple_rnn", "units": 4, "num_layers": 2, "bidirectional": True, "return_sequences": True},
    ),
    "wide_proj_stacked": _spec(
        {"features": 13, "timesteps": 4},
        {"type": "lstm", "units": 9, "proj_size": 7, "num_layers": 3, "bidirectional": True},
    ),
}


def _random_cases() -> dict[str, dict[str, Any]]:
    rng = random.Random(SEED)
    return {f"random_{i}": random_spec(rng, "pytorch") for i in range(RANDOM_CASES)}


def torch_run(torch: ModuleType, spec: ModelSpec, dtype: str, seed: int) -> tuple[Any, dict[str, np.ndarray], Any]:
    """Build the model, randomize every parameter, run a batch; return (input, weights, per-layer results)."""
    report = count(spec, "pytorch")
    torch.manual_seed(seed)
    module = build_torch(spec, report)
    module = module.to(getattr(torch, dtype)).eval()
    with torch.no_grad():
        # PyTorch's own init keeps activations near 1 (so atol means something); layer norm
        # starts at weight 1, bias 0, which would hide a swapped scale and offset
        for sub in module.modules():
            if isinstance(sub, torch.nn.LayerNorm) and sub.weight is not None:
                sub.weight.uniform_(0.5, 1.5)
                if sub.bias is not None:
                    sub.bias.uniform_(-0.5, 0.5)
    states: dict[str, Any] = {}
    for layer in report.layers:
        sub = getattr(module, layer.name)
        if isinstance(sub, torch.nn.RNNBase):
            sub.register_forward_hook(lambda m, i, o, name=layer.name: states.__setitem__(name, o[1]))
    steps = dummy_steps(spec)
    first = report.layers[0]
    if first.type.value == "embedding":
        vocab = first.tensors[0].shape[0]
        x = torch.randint(0, vocab, (3, steps))  # (B, T)
    else:
        x = torch.randn(3, steps, int(report.input_shape[-1] or 0), dtype=getattr(torch, dtype))  # (B, T, I)
    with torch.no_grad():
        outputs = module.forward_layers(x)
    weights = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    results = [(name, out.numpy(), states.get(name)) for name, out in outputs]
    return x.numpy(), weights, results


def check_case(torch: ModuleType, data: dict[str, Any], dtype: str, seed: int = 0) -> None:
    """NumPy and PyTorch agree on every layer's output and final states."""
    spec = spec_from_dict(data)
    x, weights, expected = torch_run(torch, spec, dtype, seed)
    mine = forward(spec, weights, x, framework="pytorch", dtype=dtype)
    atol = TOLERANCE[dtype]
    assert [lo.name for lo in mine.layers] == [name for name, _, _ in expected]
    for lo, (name, out, states) in zip(mine.layers, expected, strict=True):
        assert lo.output.dtype == np.dtype(dtype)
        np.testing.assert_allclose(lo.output, out, atol=atol, rtol=0, err_msg=f"output of {name}")
        if states is not None:
            theirs = states if isinstance(states, tuple) else (states,)
            assert len(lo.states) == len(theirs)
            for a, b in zip(lo.states, theirs, strict=True):
                assert a.shape == tuple(b.shape), name
                np.testing.assert_allclose(a, b.numpy(), atol=atol, rtol=0, err_msg=f"states of {name}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_named_cases(torch: ModuleType, case: str, dtype: str) -> None:
    """Each option of the foundation issue gives PyTorch's outputs and h_n, c_n."""
    check_case(torch, CASES[case], dtype)


@pytest.mark.parametrize("case", list(_random_cases()))
def test_random_cases(torch: ModuleType, case: str) -> None:
    """Random specs PyTorch can build give its outputs and states (float64 and float32)."""
    data = _random_cases()[case]
    check_case(torch, data, "float64", seed=int(case.rsplit("_", 1)[1]))
    check_case(torch, data, "float32", seed=int(case.rsplit("_", 1)[1]))


def test_api_output_is_what_the_module_returns(torch: ModuleType) -> None:
    """The API's output equals module(x) for a batch-first LSTM with given weights."""
    lstm = torch.nn.LSTM(4, 6, batch_first=True).double()
    x = torch.randn(2, 5, 4, dtype=torch.float64)
    out, (h_n, c_n) = lstm(x)
    weights = {f"lstm.{k}": v.detach().numpy() for k, v in lstm.state_dict().items()}
    spec = _spec({"features": 4}, {"type": "lstm", "units": 6, "return_sequences": True})
    result = forward(spec, weights, x.numpy())
    np.testing.assert_allclose(result.output, out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(result.states["lstm"][0], h_n.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(result.states["lstm"][1], c_n.detach().numpy(), atol=1e-12)


def test_api_takes_torch_tensors(torch: ModuleType) -> None:
    """Parameters that require grad and a torch input go straight into the API."""
    gru = torch.nn.GRU(3, 4, batch_first=True)
    x = torch.randn(2, 5, 3)
    out, h_n = gru(x)
    spec = _spec({"features": 3}, {"type": "gru", "units": 4, "return_sequences": True})
    result = forward(spec, dict(gru.named_parameters()), x)
    np.testing.assert_allclose(result.output, out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(result.states["gru"][0], h_n.detach().numpy(), atol=1e-5)


def test_every_torch_activation_is_known_and_gives_torchs_output(torch: ModuleType) -> None:
    """Each activation torch.nn.functional has (by its Keras name) passes in a PyTorch spec, with its output."""
    from lstmcount import frameworks

    assert set(frameworks.get("pytorch").activations) == set(TORCH_ACTIVATIONS)
    rng = np.random.default_rng(3)
    x = 3 * rng.standard_normal((2, 6, 5))  # (B, T, I): values on both sides of every kink
    for name in TORCH_ACTIVATIONS:
        data = _spec({"features": 5, "timesteps": 6}, {"type": "dense", "units": 6, "activation": name})
        spec = spec_from_dict(data)
        model = build_torch(spec, count(spec, "pytorch")).double()
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        weights = {k: v.numpy() for k, v in model.state_dict().items()}
        mine = forward(spec, weights, x, dtype="float64")
        assert mine.output.shape == expected.shape, name
        np.testing.assert_allclose(mine.output, expected, atol=1e-9, rtol=0, err_msg=name)

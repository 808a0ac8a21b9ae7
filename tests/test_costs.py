"""Costs: hand-checked MACs, FLOPs and bytes, and their scaling in batch size and sequence length."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcount.api import count_dict
from lstmcount.cli import main
from lstmcount.counting.costs import Ops, costs_to_dict, estimate, render_costs_markdown, render_costs_text
from lstmcount.errors import UsageError
from lstmcount.model.report import Report


def model(layers: list[dict[str, Any]], framework: str = "keras", **inp: Any) -> Report:
    """Count a model given its layers; the input defaults to 100 features."""
    return count_dict({"framework": framework, "input": inp or {"features": 100}, "layers": layers})


LSTM_100_128 = [{"type": "lstm", "units": 128}]


# --------------------------------------------------------------------------- hand-checked numbers


def test_lstm_per_step_by_hand() -> None:
    """LSTM(100→128): 4·(100·128 + 128·128) = 116,736 MACs; 512 bias adds in Keras, 1,024 in PyTorch."""
    keras = estimate(model(LSTM_100_128), 1, 1).per_step
    torch = estimate(model(LSTM_100_128, "pytorch"), 1, 1).per_step
    assert keras == Ops(matmul_macs=116_736, bias_flops=512, elementwise_flops=4 * 128, activation_flops=5 * 128)
    assert torch == Ops(matmul_macs=116_736, bias_flops=1_024, elementwise_flops=512, activation_flops=640)
    assert keras.flops == 2 * 116_736 + 512 + 512 + 640 == 235_136
    assert torch.flops == 235_648


def test_gru_reset_after_by_hand() -> None:
    """Keras GRU(10→8): 3·(10·8 + 8·8) = 432 MACs; reset_after adds a second bias and one add per unit."""
    after = estimate(model([{"type": "gru", "units": 8}], features=10), 1, 1).per_step
    before = estimate(model([{"type": "gru", "units": 8, "reset_after": False}], features=10), 1, 1).per_step
    assert after == Ops(matmul_macs=432, bias_flops=48, elementwise_flops=48, activation_flops=24)
    assert before == Ops(matmul_macs=432, bias_flops=24, elementwise_flops=40, activation_flops=24)


def test_simple_rnn_by_hand() -> None:
    """SimpleRNN(5→9): 9·(5 + 9) = 126 MACs, one tanh per unit, no gate arithmetic."""
    ops = estimate(model([{"type": "simple_rnn", "units": 9}], features=5), 1, 1).per_step
    assert ops == Ops(matmul_macs=126, bias_flops=9, elementwise_flops=0, activation_flops=9)


def test_projection_by_hand() -> None:
    """PyTorch LSTM(10→12, proj 5): 4·12·10 + 4·12·5 + 12·5 = 780 MACs per step."""
    layers = [{"type": "lstm", "units": 12, "proj_size": 5}]
    assert estimate(model(layers, "pytorch", features=10), 1, 1).per_step.macs == 780


def test_bidirectional_stacked_by_hand() -> None:
    """Bidirectional 2-layer LSTM(6→8): 2·4·8·(6+8) + 2·4·8·(16+8) = 2,432 MACs per step, in both layouts."""
    layers = [{"type": "lstm", "units": 8, "bidirectional": True, "num_layers": 2}]
    for framework in ("keras", "pytorch"):
        assert estimate(model(layers, framework, features=6), 1, 1).per_step.macs == 2_432


def test_dense_per_step_and_after_last_step() -> None:
    """A dense layer on a sequence runs every step; after the last step it runs once per sequence."""
    seq = model([{"type": "lstm", "units": 4, "return_sequences": True}, {"type": "dense", "units": 3}], features=2)
    last = model([{"type": "lstm", "units": 4}, {"type": "dense", "units": 3}], features=2)
    lstm_macs = 4 * (2 * 4 + 4 * 4)
    a = estimate(seq, 2, 5)
    b = estimate(last, 2, 5)
    assert a.layers[1].every_step and a.layers[1].steps == 5
    assert a.total is not None and a.total.macs == 2 * 5 * (lstm_macs + 12)
    assert not b.layers[1].every_step and b.layers[1].steps == 1
    assert b.total is not None and b.total.macs == 2 * (5 * lstm_macs + 12)
    assert b.per_step.macs == lstm_macs  # the head is not a per-step cost


def test_embedding_dropout_layer_norm_conv() -> None:
    """Embedding lookups and dropout cost 0; layer norm 6·F element-wise + F offset; conv K·I·F per position."""
    report = model(
        [
            {"type": "embedding", "dim": 8},
            {"type": "conv1d", "filters": 5, "kernel_size": 3},
            {"type": "layer_normalization"},
            {"type": "dropout", "rate": 0.5},
            {"type": "lstm", "units": 4},
        ],
        vocab=20,
        timesteps=10,
    )
    costs = estimate(report, 1, None)
    emb, conv, norm, drop, _ = costs.layers
    assert emb.per_step == Ops() and drop.per_step == Ops()
    assert norm.per_step == Ops(bias_flops=5, elementwise_flops=6 * 5)
    assert conv.per_step.macs == 3 * 8 * 5 and conv.steps == 8  # 10 - 3 + 1 positions
    assert norm.steps == 8


def test_lengths_count_only_real_steps() -> None:
    """--lengths 7,3,1 processes 11 steps, not 3·7 = 21."""
    costs = estimate(model(LSTM_100_128), 3, None, [7, 3, 1])
    assert costs.steps_in_batch == 11 and costs.timesteps == 7
    assert costs.total is not None and costs.total.macs == 11 * 116_736


def test_memory_by_hand() -> None:
    """Parameters in four dtypes, float32 gradients, optimizer slots and the BPTT activations of LSTM(100→128)."""
    mem = estimate(model(LSTM_100_128, "pytorch"), 4, 7).memory
    assert [m.bytes for m in mem.parameters] == [4 * 117_760, 2 * 117_760, 2 * 117_760, 117_760]
    assert mem.gradients.bytes == 4 * 117_760
    assert [m.bytes for m in mem.optimizer] == [0, 4 * 117_760, 8 * 117_760]
    # per step and sequence: the input x (100) and 4·128 gates + 2·128 cell + 128 h_{t-1}
    assert mem.training_activations.bytes == 4 * 4 * 7 * (100 + 7 * 128) == 111_552
    assert "111,552 B" in mem.training_activations.formula


def test_frozen_layer_has_no_gradient_or_optimizer_state() -> None:
    """A frozen layer's weights take memory but no gradients and no optimizer state."""
    report = model([{"type": "lstm", "units": 8, "trainable": False}, {"type": "dense", "units": 1}], features=4)
    mem = estimate(report, 1, 3).memory
    assert mem.parameters[0].bytes == 4 * report.total
    assert mem.gradients.bytes == 4 * 9 and mem.optimizer[2].bytes == 8 * 9


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("batch", "timesteps", "lengths", "message"),
    [
        (2, None, [7, 3, 1], "3 sequences but --batch is 2"),
        (3, 5, [7, 3, 1], "longer than --timesteps 5"),
        (1, None, [0], "positive"),
        (0, 3, None, "--batch"),
    ],
)
def test_bad_batch_or_lengths(batch: int, timesteps: int | None, lengths: list[int] | None, message: str) -> None:
    """Inconsistent batch, lengths and timesteps are usage errors that say what is wrong."""
    with pytest.raises(UsageError, match=message):
        estimate(model(LSTM_100_128), batch, timesteps, lengths)


def test_conv_needs_its_length_in_the_model() -> None:
    """A conv layer's output length depends on its strides: another length than the model's is refused."""
    report = model(
        [{"type": "conv1d", "filters": 2, "kernel_size": 3, "strides": 2}, {"type": "lstm", "units": 3}],
        features=4,
        timesteps=9,
    )
    assert estimate(report, 1, None).layers[0].steps == 4
    with pytest.raises(UsageError, match="conv1d"):
        estimate(report, 1, 20)
    with pytest.raises(UsageError, match="conv1d"):
        estimate(report, 1, None, [9])


def test_unknown_length_gives_per_step_only() -> None:
    """Without a sequence length the per-step figures are given and the rest is None, with a note."""
    costs = estimate(model(LSTM_100_128), 2, None)
    assert costs.per_step.macs == 116_736 and costs.total is None and costs.per_sequence is None
    assert costs.memory.training_activations.bytes is None
    assert "unknown" in costs.notes[0]


# --------------------------------------------------------------------------- properties


@st.composite
def reports(draw: st.DrawFn) -> Report:
    """A random recurrent model, optionally with a dense head, in either layout."""
    framework = draw(st.sampled_from(["keras", "pytorch"]))
    cell = draw(st.sampled_from(["lstm", "gru", "simple_rnn"]))
    units = draw(st.integers(1, 40))
    layer: dict[str, Any] = {
        "type": cell,
        "units": units,
        "bidirectional": draw(st.booleans()),
        "num_layers": draw(st.integers(1, 3)),
        "return_sequences": draw(st.booleans()),
        "use_bias": draw(st.booleans()),
    }
    if cell == "lstm" and framework == "pytorch" and units > 1 and draw(st.booleans()):
        layer["proj_size"] = draw(st.integers(1, units - 1))
    layers = [layer] + [{"type": "dense", "units": draw(st.integers(1, 5))}] * draw(st.integers(0, 1))
    return model(layers, framework, features=draw(st.integers(1, 50)))


@settings(max_examples=60, deadline=None)
@given(reports(), st.integers(1, 16), st.integers(1, 50), st.integers(2, 4))
def test_costs_linear_in_batch_and_time(report: Report, batch: int, steps: int, k: int) -> None:
    """k times the batch costs k times as much; each added time step adds the per-step cost of every sequence."""
    base = estimate(report, batch, steps)
    more_batch = estimate(report, k * batch, steps)
    longer = estimate(report, batch, k * steps)
    assert base.total is not None and more_batch.total is not None and longer.total is not None
    assert more_batch.total == base.total.times(k)
    assert longer.total == base.total + base.per_step.times(batch * (k - 1) * steps)
    train = base.memory.training_activations.bytes
    assert more_batch.memory.training_activations.bytes == k * (train or 0)


@settings(max_examples=60, deadline=None)
@given(reports(), st.integers(1, 16), st.integers(1, 50))
def test_params_independent_of_batch_and_time(report: Report, batch: int, steps: int) -> None:
    """Parameter, gradient and optimizer bytes do not depend on batch size or sequence length."""
    one = estimate(report, 1, 1).memory
    many = estimate(report, batch, steps).memory
    assert estimate(report, batch, steps).params == report.total
    assert (many.parameters, many.gradients, many.optimizer) == (one.parameters, one.gradients, one.optimizer)


@settings(max_examples=60, deadline=None)
@given(reports(), st.lists(st.integers(1, 30), min_size=1, max_size=6))
def test_lengths_sum_of_single_sequences(report: Report, lengths: list[int]) -> None:
    """A packed batch costs the sum of its sequences run one at a time, each for its own length."""
    packed = estimate(report, len(lengths), None, lengths)
    singles = [estimate(report, 1, n).total for n in lengths]
    assert packed.total is not None and all(s is not None for s in singles)
    total = Ops()
    for single in singles:
        total = total + (single or Ops())
    assert packed.total == total


# --------------------------------------------------------------------------- output


def test_costs_to_dict_and_renderers() -> None:
    """The JSON dict carries every figure; text and Markdown state the convention and the formulas."""
    costs = estimate(model(LSTM_100_128, "pytorch"), 4, 7)
    doc = costs_to_dict(costs)
    assert doc["per_step"]["macs"] == 116_736 and doc["total"]["macs"] == 28 * 116_736
    assert doc["memory"]["parameters"]["float16"]["bytes"] == 2 * 117_760
    assert doc["memory"]["optimizer"]["adam"]["bytes"] == 8 * 117_760
    assert doc["layers"][0]["formula"] == "4·(100·128 + 128·128) = 116,736 MACs per step"
    text = render_costs_text(costs)
    assert "Convention: MACs = multiply-accumulates" in text and "116,736" in text
    assert text == render_costs_text(costs)
    assert "| `lstm` | 116,736 |" in render_costs_markdown(costs)


def test_cli_json_has_costs_only_with_batch() -> None:
    """`count --format json` adds a `costs` key with --batch, keeps schema_version 1, and lists the tools."""
    runner = CliRunner()
    plain = json.loads(runner.invoke(main, ["count", "100", "128", "--format", "json"]).output)
    assert "costs" not in plain
    result = runner.invoke(main, ["count", "100", "128", "--format", "json", "--batch", "2", "--timesteps", "5"])
    doc = json.loads(result.output)
    assert doc["schema_version"] == 1
    assert doc["costs"]["total"]["macs"] == 10 * 116_736
    assert {row["tool"] for row in doc["costs"]["compat"]} == {
        "torchinfo",
        "thop",
        "ptflops",
        "calflops",
        "torchprofile",
    }


def test_cli_lengths_and_compat_text() -> None:
    """--lengths sets the batch and --compat shows one tool's number with its reason."""
    runner = CliRunner()
    result = runner.invoke(
        main, ["count", "100", "128", "--framework", "pytorch", "--lengths", "7,3,1", "--compat", "torchprofile"]
    )
    assert result.exit_code == 0, result.output
    assert "lengths 7,3,1 (11 steps)" in result.output
    assert "torchprofile: 2,451,456" in result.output  # 116,736 · 3 sequences · 7 padded steps
    assert "thop:" not in result.output


def test_a_tied_dense_weight_still_costs_its_product() -> None:
    """A decoder whose weight is the embedding's (tied) has no kernel of its own, yet multiplies 10 × 60 per step."""
    from pathlib import Path

    from lstmcount.counting.costs import estimate
    from lstmcount.importers import inspect

    found = inspect(str(Path(__file__).parent / "fixtures" / "models" / "pytorch" / "tied_language_model.pt"))
    costs = estimate(found.report, 2, 5)
    decoder = next(c for c in costs.layers if c.name == "decoder")
    assert decoder.per_step.macs == 10 * 60
    assert decoder.per_step.bias_flops == 60
    assert "tied" in decoder.formula

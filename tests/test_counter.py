"""Counter tests against counts worked out by hand from the cells' equations."""

from __future__ import annotations

import pytest

from lstmcount import count_dict
from lstmcount.errors import SpecError


def lstm_keras(i: int, h: int, bias: bool = True) -> int:
    """Keras LSTM by hand: four gates, each with U (i, h), W (h, h) and one bias."""
    return 4 * (i * h + h * h + (h if bias else 0))


def model(*layers: dict[str, object], features: int | None = 100, **top: object) -> dict[str, object]:
    """A spec mapping with the given layers."""
    inp: dict[str, object] = {} if features is None else {"features": features}
    return {"input": inp, "layers": list(layers), **top}


def test_seed_model_keras_total() -> None:
    """LSTM(128) on 100 features + Dropout + Dense(1) is the classic 117,377."""
    report = count_dict(
        model({"type": "lstm", "units": 128}, {"type": "dropout", "rate": 0.5}, {"type": "dense", "units": 1})
    )
    assert [x.params for x in report.layers] == [117_248, 0, 129]
    assert report.total == report.trainable == 117_377
    assert report.non_trainable == 0


def test_pytorch_keeps_two_bias_vectors() -> None:
    """PyTorch's LSTM(100, 128) has 4·128 more parameters than Keras's: bias_ih and bias_hh."""
    spec = model({"type": "lstm", "units": 128}, framework="pytorch")
    assert count_dict(spec).total == 117_760 == lstm_keras(100, 128) + 4 * 128


@pytest.mark.parametrize(("cell", "gates"), [("lstm", 4), ("gru", 3), ("simple_rnn", 1)])
def test_gate_counts_without_bias(cell: str, gates: int) -> None:
    """Without bias every framework has gates × (I·H + H·H)."""
    for fw in ("keras", "pytorch"):
        report = count_dict(model({"type": cell, "units": 7, "use_bias": False}, features=5, framework=fw))
        assert report.total == gates * (5 * 7 + 7 * 7)


def test_keras_gru_bias_forms() -> None:
    """Keras GRU keeps two bias rows with reset_after (the default) and one without."""
    with_two = count_dict(model({"type": "gru", "units": 64}, features=32))
    with_one = count_dict(model({"type": "gru", "units": 64, "reset_after": False}, features=32))
    assert with_two.total == 3 * (32 * 64 + 64 * 64 + 2 * 64)
    assert with_one.total == 3 * (32 * 64 + 64 * 64 + 64)
    assert with_two.layers[0].tensors[2].shape == (2, 192)


def test_projection_shrinks_recurrent_weights_and_next_input() -> None:
    """PyTorch proj_size P: weight_hh is (4H, P), weight_hr (P, H), and layer 1 reads P inputs."""
    report = count_dict(
        model({"type": "lstm", "units": 20, "proj_size": 5, "num_layers": 2}, features=10, framework="pytorch")
    )
    shapes = {t.name: t.shape for t in report.layers[0].tensors}
    assert shapes["weight_hh_l0"] == (80, 5)
    assert shapes["weight_hr_l0"] == (5, 20)
    assert shapes["weight_ih_l1"] == (80, 5)
    per_layer = [4 * (i * 20 + 5 * 20 + 2 * 20) + 5 * 20 for i in (10, 5)]
    assert report.total == sum(per_layer)
    assert report.layers[0].output_shape == (None, 5)


def test_bidirectional_doubles_and_concat_doubles_width() -> None:
    """A bidirectional layer has twice the parameters; concat doubles the output width, sum does not."""
    one = count_dict(model({"type": "lstm", "units": 16}, features=8)).total
    for mode, width in (("concat", 32), ("sum", 16), ("ave", 16), ("mul", 16)):
        report = count_dict(model({"type": "lstm", "units": 16, "bidirectional": True, "merge_mode": mode}, features=8))
        assert report.total == 2 * one
        assert report.layers[0].output_shape == (None, width)
        assert report.layers[0].class_name == "Bidirectional"


def test_keras_expands_num_layers_into_layers() -> None:
    """In Keras, num_layers N becomes N layers; all but the last return sequences."""
    report = count_dict(
        model({"type": "lstm", "units": 4, "num_layers": 3}, features=2, **{"input": {"features": 2, "timesteps": 9}})
    )
    assert [x.name for x in report.layers] == ["lstm", "lstm_1", "lstm_2"]
    assert [x.output_shape for x in report.layers] == [(None, 9, 4), (None, 9, 4), (None, 4)]
    assert report.total == lstm_keras(2, 4) + 2 * lstm_keras(4, 4)


def test_count_does_not_depend_on_timesteps() -> None:
    """The same weights serve every step: timesteps change shapes, never counts."""
    totals = {
        count_dict(
            {
                "input": {"features": 3, "timesteps": t},
                "layers": [{"type": "gru", "units": 5, "return_sequences": True}],
            }
        ).total
        for t in (None, 1, 10, 1000)
    }
    assert totals == {3 * (3 * 5 + 5 * 5 + 2 * 5)}


def test_frozen_layer_counts_as_non_trainable() -> None:
    """trainable: false moves a layer's parameters to non-trainable."""
    report = count_dict(
        model({"type": "lstm", "units": 8, "trainable": False}, {"type": "dense", "units": 2}, features=4)
    )
    assert report.non_trainable == lstm_keras(4, 8)
    assert report.trainable == 8 * 2 + 2


def test_embedding_conv_layernorm_dense() -> None:
    """Embedding V·D, Conv1D K·C_in·C_out + C_out, LayerNorm 2F, Dense per time step F·U + U."""
    spec = {
        "input": {"vocab": 1000, "timesteps": 50},
        "layers": [
            {"type": "embedding", "dim": 16},
            {"type": "conv1d", "filters": 8, "kernel_size": 3, "strides": 2},
            {"type": "layer_normalization"},
            {"type": "dense", "units": 4},
        ],
    }
    report = count_dict(spec)
    assert [x.params for x in report.layers] == [16_000, 3 * 16 * 8 + 8, 16, 8 * 4 + 4]
    assert [x.output_shape for x in report.layers] == [(None, 50, 16), (None, 24, 8), (None, 24, 8), (None, 24, 4)]
    torch_report = count_dict({**spec, "framework": "pytorch"})
    assert torch_report.layers[1].output_shape == (None, 8, 24)
    assert torch_report.total == report.total


def test_simple_rnn_formula_line() -> None:
    """The arithmetic line spells out the count the way a learner would write it."""
    report = count_dict(model({"type": "lstm", "units": 128}))
    assert report.layers[0].formula == "4 × (100×128 + 128×128 + 128) = 117,248"


@pytest.mark.parametrize(
    ("layers", "framework", "path"),
    [
        ([{"type": "lstm", "units": 8, "proj_size": 4}], "keras", "layers[0].proj_size"),
        ([{"type": "lstm", "units": 8, "proj_size": 8}], "pytorch", "layers[0].proj_size"),
        ([{"type": "gru", "units": 8, "reset_after": False}], "pytorch", "layers[0].reset_after"),
        ([{"type": "lstm", "units": 8, "bidirectional": True, "merge_mode": "sum"}], "pytorch", "layers[0].merge_mode"),
        (
            [{"type": "lstm", "units": 3}, {"type": "dense", "units": 3}, {"type": "gru", "units": 3}],
            "keras",
            "layers[2].type",
        ),
        ([{"type": "lstm", "units": 3}, {"type": "lstm", "units": 3}], "keras", "layers[1].type"),
        ([{"type": "lstm", "units": 3}, {"type": "embedding", "dim": 3}], "keras", "layers[1].type"),
        ([{"type": "layer_normalization", "scale": False}], "pytorch", "layers[0].scale"),
        (
            [{"type": "conv1d", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}],
            "pytorch",
            "layers[0].padding",
        ),
    ],
)
def test_invalid_combinations_name_the_field(layers: list[dict[str, object]], framework: str, path: str) -> None:
    """Combinations a framework cannot build are errors that name the offending field."""
    with pytest.raises(SpecError) as info:
        count_dict({"framework": framework, "input": {"features": 4}, "layers": layers})
    assert info.value.path == path


def test_dense_after_sequence_is_fine() -> None:
    """A dense layer after a recurrent layer that returns sequences applies per time step."""
    report = count_dict(
        model({"type": "lstm", "units": 3, "return_sequences": True}, {"type": "dense", "units": 2}, features=4)
    )
    assert report.layers[1].output_shape == (None, None, 2)


def test_generic_layer_counts_its_tensors_and_keeps_frozen_ones_untrained() -> None:
    """A layer lstmcount does not model counts from its stated tensors; frozen ones are stored, not trained."""
    report = count_dict(
        {
            "framework": "pytorch",
            "input": {"features": 4},
            "layers": [
                {"type": "lstm", "units": 3, "return_sequences": True},
                {
                    "type": "generic",
                    "name": "bn",
                    "class": "BatchNorm1d",
                    "tensors": {"weight": [3], "bias": [3], "running_mean": [3], "running_var": [3]},
                    "frozen": ["running_mean", "running_var"],
                },
                {"type": "generic", "name": "head", "params": 1000, "units": 2},
            ],
        }
    )
    lstm, bn, head = report.layers
    assert bn.params == 12 and bn.trainable_params == 6 and bn.class_name == "BatchNorm1d"
    assert [t.path for t in bn.tensors] == ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]
    assert head.params == 1000 and head.output_shape == (None, None, 2)
    assert report.total == lstm.params + 12 + 1000 and report.non_trainable == 6


@pytest.mark.parametrize(
    ("layer", "needle"),
    [
        ({"type": "generic"}, "a generic layer needs its count"),
        ({"type": "generic", "params": 3, "tensors": {"w": [3]}}, "give params or tensors, not both"),
        ({"type": "generic", "tensors": {"w": [3]}, "frozen": ["v"]}, "frozen names no tensor of the layer"),
        ({"type": "generic", "tensors": {"w": [3, -1]}}, "a shape: a list of sizes"),
    ],
)
def test_generic_layer_states_its_count_one_way(layer: dict[str, object], needle: str) -> None:
    """A generic layer without a count, with two, or freezing a tensor it lacks, is refused."""
    with pytest.raises(SpecError, match=needle):
        count_dict({"input": {"features": 4}, "layers": [layer]})


def test_scope_puts_a_layer_in_its_module_and_from_reads_another_layer() -> None:
    """scope prefixes the layer's name and paths; from makes a layer read the input or an earlier layer."""
    report = count_dict(
        {
            "framework": "pytorch",
            "input": {"features": 10},
            "layers": [
                {"type": "lstm", "units": 8, "name": "rnn", "scope": "encoder", "return_sequences": True},
                {"type": "lstm", "units": 4, "name": "rnn", "scope": "decoder", "from": "input"},
                {"type": "dense", "units": 2, "from": "encoder.rnn"},
            ],
        }
    )
    enc, dec, dense = report.layers
    assert enc.name == "encoder.rnn" and enc.tensors[0].path == "encoder.rnn.weight_ih_l0"
    assert dec.cells[0].input_size == 10  # the model's input, not the encoder's 8 features
    assert dense.input_shape == (None, None, 8) and dense.tensors[0].shape == (2, 8)


def test_from_must_name_an_earlier_layer() -> None:
    """A layer reading a layer that does not come before it is one error naming what it could read."""
    with pytest.raises(SpecError, match="from names no earlier layer: 'later'"):
        count_dict(
            {
                "input": {"features": 4},
                "layers": [
                    {"type": "dense", "units": 2, "from": "later"},
                    {"type": "dense", "units": 2, "name": "later"},
                ],
            }
        )

"""The counter agrees with real Keras 3: counts, per-layer counts, tensor names and shapes, output shapes.

Every case is built as a real ``keras.Sequential`` (sizes from the spec, layer names left to
Keras where the spec gives none, as a user's code would) and compared with
``lstmcount.count(spec, "keras")``; a sample also goes through the real CLI's ``--format json``.
"""

from __future__ import annotations

import gc
import json
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from frameworks import build_keras, has_dimension_at_least, keras_facts, random_spec, report_facts, spec_dict

import lstmcount
from lstmcount.cli import main
from lstmcount.model.report import Report
from lstmcount.model.spec import spec_from_dict

pytestmark = [pytest.mark.conformance, pytest.mark.usefixtures("one_torch_thread")]

#: Seed of the random grid; change it to explore, keep it fixed in the repository.
SEED = 20240611
RANDOM_CASES = 260
CLI_SAMPLE = 24
BIG = 1024  # a case with a dimension at least this large is built with fast_init


def _spec(input_: dict[str, Any], *layers: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return spec_dict("keras", input_, *layers, name=name)


def _hand_picked() -> list[tuple[str, dict[str, Any]]]:
    """Edge cases chosen by hand: the seed model, sizes 1 and 4096, every option value."""
    cases: list[tuple[str, dict[str, Any]]] = [
        (
            "seed-117377",
            _spec(
                {"features": 100},
                {"type": "lstm", "units": 128},
                {"type": "dropout", "rate": 0.5},
                {"type": "dense", "units": 1},
            ),
        ),
        (
            "seed-named",
            _spec(
                {"features": 100, "timesteps": None},
                {"type": "lstm", "units": 128},
                {"type": "dropout", "rate": 0.5},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
                name="sentiment",
            ),
        ),
        (
            "size-1-everywhere",
            _spec(
                {"vocab": 1, "timesteps": 1},
                {"type": "embedding", "dim": 1},
                {"type": "conv1d", "filters": 1, "kernel_size": 1},
                {"type": "lstm", "units": 1, "return_sequences": True},
                {"type": "gru", "units": 1, "return_sequences": True},
                {"type": "simple_rnn", "units": 1, "bidirectional": True},
                {"type": "layer_normalization"},
                {"type": "dense", "units": 1},
            ),
        ),
        ("input-size-on-first-layer", _spec({}, {"type": "gru", "units": 5, "input_size": 3})),
        (
            "bias-off-everywhere",
            _spec(
                {"features": 6, "timesteps": 9},
                {"type": "conv1d", "filters": 4, "kernel_size": 2, "use_bias": False},
                {"type": "layer_normalization", "center": False, "scale": False},
                {"type": "lstm", "units": 5, "use_bias": False, "return_sequences": True},
                {"type": "gru", "units": 4, "use_bias": False, "return_sequences": True, "reset_after": True},
                {"type": "gru", "units": 4, "use_bias": False, "return_sequences": True, "reset_after": False},
                {"type": "simple_rnn", "units": 3, "use_bias": False, "bidirectional": True},
                {"type": "dense", "units": 2, "use_bias": False},
            ),
        ),
        ("layer-norm-scale-only", _spec({"features": 7}, {"type": "layer_normalization", "center": False})),
        ("layer-norm-center-only", _spec({"features": 7}, {"type": "layer_normalization", "scale": False})),
        (
            "layer-norm-after-vector",
            _spec(
                {"features": 7},
                {"type": "lstm", "units": 9},
                {"type": "layer_normalization"},
                {"type": "dense", "units": 3},
            ),
        ),
        (
            "dense-per-time-step",
            _spec(
                {"features": 4, "timesteps": 6},
                {"type": "dense", "units": 8},
                {"type": "lstm", "units": 3, "return_sequences": True},
                {"type": "dense", "units": 2},
            ),
        ),
        (
            "conv-same-strided",
            _spec(
                {"features": 3, "timesteps": 10},
                {"type": "conv1d", "filters": 5, "kernel_size": 4, "strides": 3, "padding": "same"},
                {"type": "lstm", "units": 2},
            ),
        ),
        (
            "conv-kernel-equals-steps",
            _spec(
                {"features": 3, "timesteps": 4},
                {"type": "conv1d", "filters": 5, "kernel_size": 4},
                {"type": "gru", "units": 2, "return_sequences": True},
            ),
        ),
        (
            "conv-stride-over-kernel",
            _spec(
                {"features": 3, "timesteps": 11},
                {"type": "conv1d", "filters": 2, "kernel_size": 2, "strides": 5},
                {"type": "simple_rnn", "units": 2},
            ),
        ),
        (
            "conv-unknown-steps",
            _spec(
                {"features": 3},
                {"type": "conv1d", "filters": 2, "kernel_size": 3, "strides": 2},
                {"type": "lstm", "units": 2},
            ),
        ),
        (
            "cnn-lstm-example",
            _spec(
                {"features": 9, "timesteps": 128},
                {"type": "conv1d", "filters": 64, "kernel_size": 5, "padding": "same", "activation": "relu"},
                {"type": "conv1d", "filters": 64, "kernel_size": 3, "strides": 2},
                {"type": "layer_normalization"},
                {"type": "lstm", "units": 100},
                {"type": "dropout", "rate": 0.5},
                {"type": "dense", "units": 1},
                name="cnn_lstm",
            ),
        ),
        (
            "gru-text-classifier-example",
            _spec(
                {"vocab": 20000, "timesteps": 80},
                {"type": "embedding", "dim": 128},
                {"type": "gru", "units": 64, "bidirectional": True},
                {"type": "dropout", "rate": 0.3},
                {"type": "dense", "units": 4, "activation": "softmax"},
            ),
        ),
        (
            "embedding-vocab-in-layer",
            _spec({"timesteps": 5}, {"type": "embedding", "dim": 3, "vocab": 11}, {"type": "lstm", "units": 2}),
        ),
        (
            "relu-rnn",
            _spec({"features": 3}, {"type": "simple_rnn", "units": 4, "nonlinearity": "relu", "num_layers": 2}),
        ),
        (
            "frozen-everything",
            _spec(
                {"vocab": 30, "timesteps": 7},
                {"type": "embedding", "dim": 4, "trainable": False},
                {"type": "conv1d", "filters": 3, "kernel_size": 2, "trainable": False},
                {"type": "layer_normalization", "trainable": False},
                {"type": "lstm", "units": 3, "return_sequences": True, "trainable": False, "num_layers": 2},
                {"type": "gru", "units": 3, "bidirectional": True, "trainable": False},
                {"type": "dropout", "rate": 0.1, "trainable": False},
                {"type": "dense", "units": 2, "trainable": False},
            ),
        ),
        (
            "frozen-between-trainable",
            _spec(
                {"features": 5},
                {"type": "lstm", "units": 4, "return_sequences": True},
                {"type": "gru", "units": 4, "trainable": False, "return_sequences": True},
                {"type": "simple_rnn", "units": 4},
            ),
        ),
        (
            "named-layers",
            _spec(
                {"features": 5, "timesteps": 3},
                {"type": "lstm", "name": "encoder", "units": 4, "num_layers": 3, "return_sequences": True},
                {"type": "gru", "name": "bi", "units": 3, "bidirectional": True},
                {"type": "dense", "name": "head", "units": 1},
                name="named",
            ),
        ),
        (
            "auto-names-mixed",
            _spec(
                {"features": 5},
                {"type": "lstm", "units": 4, "return_sequences": True},
                {"type": "lstm", "units": 4, "bidirectional": True, "return_sequences": True},
                {"type": "lstm", "units": 4, "bidirectional": True, "num_layers": 2, "return_sequences": True},
                {"type": "lstm", "units": 4},
                {"type": "dense", "units": 2},
                {"type": "dense", "units": 2},
            ),
        ),
        ("stacked-dropout", _spec({"features": 5}, {"type": "gru", "units": 6, "num_layers": 4, "dropout": 0.25})),
        (
            "timesteps-1",
            _spec(
                {"features": 2, "timesteps": 1},
                {"type": "lstm", "units": 3, "bidirectional": True, "return_sequences": True},
            ),
        ),
    ]
    # Keras numbers unnamed layers per class, whatever names were given by hand
    cases += [
        (
            "name-equals-stem-bidirectional",
            _spec({"features": 3}, {"type": "lstm", "units": 2, "name": "lstm", "bidirectional": True}),
        ),
        (
            "stacked-name-then-unnamed",
            _spec(
                {"features": 3},
                {"type": "lstm", "units": 2, "name": "lstm", "num_layers": 2, "return_sequences": True},
                {"type": "lstm", "units": 2, "return_sequences": True},
                {"type": "lstm", "units": 2, "bidirectional": True},  # wraps lstm_1, beside the layer lstm_1
            ),
        ),
        (
            "given-name-like-automatic",
            _spec(
                {"features": 3},
                {"type": "dense", "units": 2, "name": "dense_1"},
                {"type": "dense", "units": 2},
                {"type": "gru", "units": 2, "name": "bidirectional_1", "bidirectional": True, "return_sequences": True},
                {"type": "gru", "units": 2, "bidirectional": True},
            ),
        ),
    ]
    for cell in ("lstm", "gru", "simple_rnn"):
        for mode in ("concat", "sum", "ave", "mul"):
            for seq in (False, True):
                cases.append(
                    (
                        f"{cell}-bidirectional-{mode}-{'seq' if seq else 'last'}",
                        _spec(
                            {"features": 6, "timesteps": None if seq else 4},
                            {
                                "type": cell,
                                "units": 5,
                                "bidirectional": True,
                                "merge_mode": mode,
                                "return_sequences": seq,
                                "num_layers": 2 if seq else 1,
                            },
                            {"type": "dense", "units": 3},
                        ),
                    )
                )
        for n in (1, 2, 3, 4):
            cases.append(
                (f"{cell}-num-layers-{n}", _spec({"features": 7}, {"type": cell, "units": 8, "num_layers": n}))
            )
    for reset_after in (None, True, False):
        for bidirectional in (False, True):
            for bias in (True, False):
                cases.append(
                    (
                        f"gru-reset-after-{reset_after}-bi-{bidirectional}-bias-{bias}",
                        _spec(
                            {"features": 4},
                            {
                                "type": "gru",
                                "units": 6,
                                "reset_after": reset_after,
                                "bidirectional": bidirectional,
                                "use_bias": bias,
                            },
                        ),
                    )
                )
    cases += [
        ("big-lstm-4096-on-4096", _spec({"features": 4096}, {"type": "lstm", "units": 4096})),
        ("big-gru-4096-reset-before", _spec({"features": 1}, {"type": "gru", "units": 4096, "reset_after": False})),
        (
            "big-rnn-4096-bidirectional-sum",
            _spec({"features": 8}, {"type": "simple_rnn", "units": 4096, "bidirectional": True, "merge_mode": "sum"}),
        ),
        (
            "big-embedding-4096",
            _spec(
                {"vocab": 4096},
                {"type": "embedding", "dim": 4096},
                {"type": "lstm", "units": 1},
                {"type": "dense", "units": 4096},
            ),
        ),
        (
            "big-conv-4096",
            _spec(
                {"features": 4096, "timesteps": 3},
                {"type": "conv1d", "filters": 4096, "kernel_size": 2},
                {"type": "layer_normalization"},
            ),
        ),
    ]
    return cases


HAND_PICKED = _hand_picked()
_rng = random.Random(SEED)
RANDOM = [(f"random-{i:03d}", random_spec(_rng, "keras")) for i in range(RANDOM_CASES)]
ALL_CASES = HAND_PICKED + RANDOM


def _is_big(data: dict[str, Any]) -> bool:
    return has_dimension_at_least(data, BIG)


def _build(
    keras: ModuleType, data: dict[str, Any], *, auto_names: bool = True, real_init: bool = False
) -> tuple[Any, Report]:
    """The counter's report and the real Keras model of one case, in a fresh Keras session.

    Weights start at zeros unless ``real_init`` (and the case is small): Keras's orthogonal
    recurrent initializer costs most of the build time, and no compared fact depends on values.
    """
    spec = spec_from_dict(data)
    report = lstmcount.count(spec, "keras")
    big = _is_big(data)
    keras.backend.clear_session(free_memory=big)  # gc only around the large models: it costs 0.2 s
    model = build_keras(spec, report, auto_names=auto_names, fast_init=big or not real_init)
    return model, report


def _totals(model: Any) -> dict[str, int]:
    """Keras's own model-level counts, from its weight lists."""
    return {
        "total": sum(_prod(w.shape) for w in model.weights),
        "trainable": sum(_prod(w.shape) for w in model.trainable_weights),
        "non_trainable": sum(_prod(w.shape) for w in model.non_trainable_weights),
    }


def _prod(shape: Any) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _free(model: Any, data: dict[str, Any]) -> None:
    if _is_big(data):
        del model
        gc.collect()


@pytest.mark.parametrize("data", [c[1] for c in ALL_CASES], ids=[c[0] for c in ALL_CASES])
def test_counts_match_keras(keras: ModuleType, data: dict[str, Any]) -> None:
    """Totals, per-layer counts, classes and shapes, tensor names, paths and shapes equal Keras's."""
    model, report = _build(keras, data)
    assert report_facts(report) == keras_facts(model), json.dumps(data)
    assert {"total": report.total, "trainable": report.trainable, "non_trainable": report.non_trainable} == _totals(
        model
    )
    assert model.count_params() == report.total
    assert list(report.input_shape) == list(model.inputs[0].shape)
    assert [x.class_name for x in report.layers] == [type(x).__name__ for x in model.layers]
    assert [list(x.input_shape) for x in report.layers] == [list(x.input.shape) for x in model.layers]
    _free(model, data)


@pytest.mark.parametrize("data", [c[1] for c in HAND_PICKED], ids=[c[0] for c in HAND_PICKED])
def test_builder_with_report_names_matches(keras: ModuleType, data: dict[str, Any]) -> None:
    """Naming every layer from the report (what the forward-pass tests do) builds the same model."""
    model, report = _build(keras, data, auto_names=False, real_init=True)
    assert keras_facts(model) == report_facts(report)
    _free(model, data)


def test_seed_model_is_117377(keras: ModuleType) -> None:
    """The classic LSTM(128) on 100 features with Dense(1) has 117,377 parameters in Keras and here."""
    model, report = _build(keras, HAND_PICKED[0][1])
    assert model.count_params() == report.total == 117_377
    assert [layer.params for layer in report.layers] == [117_248, 0, 129]


CLASHES = [
    ("given-then-unnamed", [{"type": "dense", "units": 2, "name": "dense"}, {"type": "dense", "units": 2}]),
    (
        "unnamed-then-given",
        [{"type": "lstm", "units": 2, "return_sequences": True}, {"type": "lstm", "units": 2, "name": "lstm"}],
    ),
    (
        "stacked-name-clash",
        [
            {"type": "lstm", "units": 2, "name": "enc", "num_layers": 2, "return_sequences": True},
            {"type": "dense", "units": 2, "name": "enc_1"},
        ],
    ),
]


def _keras_layer_as_user_writes_it(kl: Any, layer: dict[str, Any], k: int, size: int) -> Any:
    name = layer.get("name")
    if name and layer.get("num_layers", 1) > 1:
        name = f"{name}_{k}"
    if layer["type"] == "dense":
        return kl.Dense(layer["units"], name=name)
    return kl.LSTM(layer["units"], return_sequences=layer.get("return_sequences", False) or k < size - 1, name=name)


@pytest.mark.parametrize("layers", [c[1] for c in CLASHES], ids=[c[0] for c in CLASHES])
def test_name_clash_refused_as_keras_refuses_it(keras: ModuleType, layers: list[dict[str, Any]]) -> None:
    """A layer name that clashes once Keras names the unnamed layers is refused by Keras and by the counter."""
    keras.backend.clear_session(free_memory=False)
    built = [
        _keras_layer_as_user_writes_it(keras.layers, layer, k, n)
        for layer in layers
        for n in [layer.get("num_layers", 1)]
        for k in range(n)
    ]
    with pytest.raises(ValueError, match="unique names"):
        keras.Sequential([keras.Input((None, 3)), *built])
    with pytest.raises(lstmcount.SpecError, match="duplicate layer name"):
        lstmcount.count(_spec({"features": 3}, *layers))


# --------------------------------------------------------------------------- through the CLI


def _cli_json(args: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(main, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _json_facts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON report's layers in the form of :func:`keras_facts`."""
    return [
        {
            "name": layer["name"],
            "params": layer["params"],
            "trainable_params": layer["trainable_params"],
            "non_trainable_params": layer["non_trainable_params"],
            "tensors": [{"name": t["name"], "path": t["path"], "shape": t["shape"]} for t in layer["tensors"]],
            "output_shape": layer["output_shape"],
        }
        for layer in doc["layers"]
    ]


def _assert_json_matches(doc: dict[str, Any], model: Any) -> None:
    assert doc["framework"] == "keras"
    assert _json_facts(doc) == keras_facts(model)
    assert {k: doc[k] for k in ("total", "trainable", "non_trainable")} == _totals(model)
    assert doc["input_shape"] == list(model.inputs[0].shape)


_cli_rng = random.Random(SEED + 1)
CLI_CASES = HAND_PICKED[:4] + _cli_rng.sample(RANDOM, CLI_SAMPLE)


@pytest.mark.parametrize("data", [c[1] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_json_spec_file_matches_keras(keras: ModuleType, data: dict[str, Any], tmp_path: Path) -> None:
    """``lstmcount SPEC --format json`` reports what Keras builds from the same spec."""
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    doc = _cli_json([str(path)])
    model, _ = _build(keras, data)
    _assert_json_matches(doc, model)


def _flag_case(features: int, units: list[int], **opts: Any) -> tuple[list[str], dict[str, Any]]:
    """Command-line flags and, written out independently, the spec they describe (README semantics)."""
    args = [str(features), *map(str, units), "--framework", "keras"]
    cell = {"lstm": "lstm", "gru": "gru", "rnn": "simple_rnn"}[opts.get("cell", "lstm")]
    if "cell" in opts:
        args += ["--cell", opts["cell"]]
    inp: dict[str, Any] = {"timesteps": opts.get("timesteps")}
    layers: list[dict[str, Any]] = []
    if "embedding" in opts:
        args += ["--embedding", str(opts["embedding"])]
        inp["vocab"] = opts["embedding"]
        layers.append({"type": "embedding", "dim": features})
    else:
        inp["features"] = features
    if opts.get("timesteps"):
        args += ["--timesteps", str(opts["timesteps"])]
    extra: dict[str, Any] = {}
    if opts.get("bidirectional"):
        args.append("--bidirectional")
        extra["bidirectional"] = True
    if "merge_mode" in opts:
        args += ["--merge-mode", opts["merge_mode"]]
        extra["merge_mode"] = opts["merge_mode"]
    if "num_layers" in opts:
        args += ["--num-layers", str(opts["num_layers"])]
        extra["num_layers"] = opts["num_layers"]
    if opts.get("no_bias"):
        args.append("--no-bias")
        extra["use_bias"] = False
    if "reset_after" in opts:
        args.append("--reset-after" if opts["reset_after"] else "--no-reset-after")
        extra["reset_after"] = opts["reset_after"]
    if "nonlinearity" in opts:
        args += ["--nonlinearity", opts["nonlinearity"]]
        extra["nonlinearity"] = opts["nonlinearity"]
    if opts.get("return_sequences"):
        args.append("--return-sequences")
    for i, n in enumerate(units):
        last = i == len(units) - 1
        layers.append(
            {"type": cell, "units": n, "return_sequences": bool(opts.get("return_sequences")) or not last, **extra}
        )
    if "dropout" in opts:
        args += ["--dropout", str(opts["dropout"])]
        layers.append({"type": "dropout", "rate": opts["dropout"]})
    for n in opts.get("dense", ()):
        args += ["--dense", str(n)]
        layers.append({"type": "dense", "units": n})
    return args, {"framework": "keras", "input": inp, "layers": layers}


FLAG_CASES = [
    ("seed", _flag_case(100, [128], dense=[1])),
    ("seed-dropout", _flag_case(100, [128], dropout=0.5, dense=[1])),
    ("stacked-gru-no-reset-after", _flag_case(16, [32, 8], cell="gru", reset_after=False, timesteps=7)),
    (
        "bi-ave-num-layers",
        _flag_case(10, [6, 4], bidirectional=True, merge_mode="ave", num_layers=2, return_sequences=True),
    ),
    ("rnn-relu-no-bias", _flag_case(3, [5], cell="rnn", nonlinearity="relu", no_bias=True, dense=[2, 1])),
    ("embedding-bi-mul", _flag_case(12, [7], embedding=300, bidirectional=True, merge_mode="mul", timesteps=9)),
    ("size-1", _flag_case(1, [1, 1, 1], dense=[1])),
]


@pytest.mark.parametrize(("args", "data"), [c[1] for c in FLAG_CASES], ids=[c[0] for c in FLAG_CASES])
def test_cli_json_flags_match_keras(keras: ModuleType, args: list[str], data: dict[str, Any]) -> None:
    """``lstmcount INPUT UNITS... [flags] --format json`` reports what Keras builds for those flags."""
    doc = _cli_json(args)
    model, _ = _build(keras, data)
    _assert_json_matches(doc, model)


def test_cli_seed_total(keras: ModuleType) -> None:
    """``lstmcount 100 128 --dense 1`` prints Keras's 117,377."""
    doc = _cli_json(["100", "128", "--dense", "1"])
    assert (doc["total"], doc["trainable"], doc["non_trainable"]) == (117_377, 117_377, 0)

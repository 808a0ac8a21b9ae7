"""``lstmcount --format keras`` prints what Keras 3's ``model.summary()`` prints, row by row.

Keras sizes the summary to the terminal (min(88, columns - 4)); the tests pin an 80-column
terminal, which is also what Keras assumes when printing to no terminal at all.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner
from frameworks import build_keras, random_spec, spec_dict

import lstmcount
from lstmcount.cli import main
from lstmcount.model.spec import spec_from_dict
from lstmcount.renderers.report import Comparison, render

pytestmark = [pytest.mark.conformance, pytest.mark.usefixtures("one_torch_thread")]

SEED = 20240613
RANDOM_CASES = 60


@pytest.fixture(autouse=True)
def _eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keras reads the terminal width from COLUMNS first."""
    monkeypatch.setenv("COLUMNS", "80")


def _spec(input_: dict[str, Any], *layers: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    return spec_dict("keras", input_, *layers, name=name)


HAND_PICKED: list[tuple[str, dict[str, Any]]] = [
    (
        "seed",
        _spec(
            {"features": 100},
            {"type": "lstm", "units": 128},
            {"type": "dropout", "rate": 0.5},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
            name="sentiment",
        ),
    ),
    (
        "long-class-names-wrap",
        _spec(
            {"features": 7, "timesteps": 5},
            {"type": "layer_normalization"},
            {"type": "gru", "units": 3, "bidirectional": True, "num_layers": 2, "return_sequences": True},
            {"type": "layer_normalization", "center": False},
        ),
    ),
    (
        "long-given-names-fold",
        _spec(
            {"features": 3},
            {
                "type": "lstm",
                "units": 2,
                "return_sequences": True,
                "name": "a_recurrent_encoder_with_a_name_longer_than_the_column",
            },
            {"type": "dense", "units": 2, "name": "head with spaces in its name"},
        ),
    ),
    (
        "frozen-sizes",
        _spec(
            {"vocab": 300, "timesteps": 12},
            {"type": "embedding", "dim": 16, "trainable": False},
            {"type": "conv1d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"},
            {"type": "lstm", "units": 32, "trainable": False},
            {"type": "dense", "units": 4},
        ),
    ),
    (
        "big-counts",
        _spec(
            {"features": 4096},
            {"type": "lstm", "units": 4096, "return_sequences": True},
            {"type": "dense", "units": 4096},
        ),
    ),
    (
        "every-merge-mode",
        _spec(
            {"features": 4},
            *[
                {"type": cell, "units": 3, "bidirectional": True, "merge_mode": mode, "return_sequences": True}
                for cell in ("lstm", "gru", "simple_rnn")
                for mode in ("concat", "sum", "ave", "mul")
            ],
        ),
    ),
]
_rng = random.Random(SEED)
RANDOM = [(f"random-{i:03d}", random_spec(_rng, "keras")) for i in range(RANDOM_CASES)]
CASES = HAND_PICKED + RANDOM


def _keras_summary(keras: ModuleType, data: dict[str, Any]) -> list[str]:
    """The lines Keras prints for the model of ``data``, built with the layer names Keras picks."""
    spec = spec_from_dict(data)
    report = lstmcount.count(spec, "keras")
    keras.backend.clear_session(free_memory=report.total > 10_000_000)  # gc only after the large models
    model = build_keras(spec, report, auto_names=True, fast_init=True)
    printed: list[str] = []
    model.summary(print_fn=lambda text, line_break=False: printed.append(text))
    return _normalised("".join(printed))


def _normalised(text: str) -> list[str]:
    """Lines with the model's name replaced, since Keras numbers unnamed models per session."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0].startswith('Model: "'), lines[0]
    return ['Model: "<name>"', *lines[1:]]


@pytest.mark.parametrize("data", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_keras_layout_matches_model_summary(keras: ModuleType, data: dict[str, Any]) -> None:
    """Every line of the keras layout equals the line Keras 3 prints, model name aside."""
    expected = _keras_summary(keras, data)
    report = lstmcount.count(spec_from_dict(data), "keras")
    assert _normalised(render(Comparison((report,)), "keras")) == expected


def test_model_name_is_the_spec_name(keras: ModuleType) -> None:
    """A named spec prints the model name Keras prints for a Sequential of that name."""
    data = HAND_PICKED[0][1]
    report = lstmcount.count(spec_from_dict(data), "keras")
    keras.backend.clear_session(free_memory=False)
    model = build_keras(spec_from_dict(data), report, auto_names=True)
    printed: list[str] = []
    model.summary(print_fn=lambda text, line_break=False: printed.append(text))
    assert render(Comparison((report,)), "keras").split("\n")[0] == "".join(printed).split("\n")[0]


@pytest.mark.parametrize("data", [c[1] for c in CASES[:4]], ids=[c[0] for c in CASES[:4]])
def test_cli_keras_format_matches_model_summary(keras: ModuleType, data: dict[str, Any], tmp_path: Path) -> None:
    """``lstmcount SPEC --format keras`` prints Keras's summary."""
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, [str(path), "--format", "keras"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _normalised(result.stdout) == _keras_summary(keras, data)


def test_cli_seed_flags_match_model_summary(keras: ModuleType) -> None:
    """``lstmcount 100 128 --dense 1 --format keras`` prints Keras's summary of LSTM(128) + Dense(1)."""
    result = CliRunner().invoke(main, ["100", "128", "--dense", "1", "--format", "keras"], catch_exceptions=False)
    data = _spec({"features": 100}, {"type": "lstm", "units": 128}, {"type": "dense", "units": 1})
    assert _normalised(result.stdout) == _keras_summary(keras, data)
    assert " Total params: 117,377 (458.50 KB)" in result.stdout

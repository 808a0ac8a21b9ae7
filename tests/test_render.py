"""Rendered output against golden files, and renderer invariants."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest

from lstmcount import api, load
from lstmcount.renderers.report import render

CASES = {
    "seed": ("examples/keras_sentiment.yaml", None),
    "bilstm_proj": ("examples/pytorch_bilstm_proj.yaml", None),
    "gru_all": ("examples/gru_text_classifier.yaml", "all"),
    "cnn_lstm_pytorch": ("examples/cnn_lstm.yaml", "pytorch"),
}
EXT = {"table": "txt", "json": "json", "markdown": "md", "csv": "csv", "keras": "txt"}


@pytest.mark.parametrize("fmt", list(EXT))
@pytest.mark.parametrize("case", list(CASES))
def test_golden(case: str, fmt: str, golden: Callable[[str, str], None]) -> None:
    """Each example renders exactly as its golden file in each format."""
    path, framework = CASES[case]
    comparison = api.compare(load(path), framework)
    golden(f"render/{case}.{fmt}.{EXT[fmt]}", render(comparison, fmt, width=100))


def test_table_column_adds_up_to_total() -> None:
    """The per-layer Params column of the table adds up to the printed total."""
    comparison = api.compare(load("examples/cnn_lstm.yaml"))
    text = render(comparison, "table", width=100)
    rows = text.split("\n\n", 1)[0].splitlines()[3:]
    column = sum(int(row.split()[-1].replace(",", "")) for row in rows)
    total = int(re.search(r"Total params\s+([\d,]+)", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert column == total == comparison.reports[0].total


def test_keras_summary_totals_match_report() -> None:
    """The keras layout prints the same totals and bytes at four bytes a parameter."""
    comparison = api.compare(load("examples/keras_sentiment.yaml"))
    text = render(comparison, "keras")
    assert " Total params: 117,377 (458.50 KB)" in text
    assert "│ lstm (LSTM)                     │ (None, 128)            │       117,248 │" in text


def test_csv_rows_sum_to_total() -> None:
    """CSV has one row per tensor; its params column sums to the total."""
    comparison = api.compare(load("examples/pytorch_bilstm_proj.yaml"))
    rows = list(csv.DictReader(io.StringIO(render(comparison, "csv"))))
    assert sum(int(r["params"]) for r in rows) == comparison.reports[0].total


WIDTHS = (60, 72, 88, 100, 132)


def _specs() -> list[dict[str, object]]:
    import random

    from frameworks import random_spec

    rng = random.Random(11)
    examples = [load(p) for p in ("examples/pytorch_bilstm_proj.yaml", "examples/gru_text_classifier.yaml")]
    drawn = [random_spec(rng, fw, max_layers=4) for fw in ("keras", "pytorch") for _ in range(15)]
    return [*examples, *drawn]  # type: ignore[list-item]


@pytest.mark.parametrize("width", WIDTHS)
def test_text_fits_the_width(width: int) -> None:
    """The table, explain and verify text fit the width given, breaking no word; tensor paths keep their end."""
    from lstmcount import frameworks
    from lstmcount.cli import run  # noqa: F401  (the commands take --width; the renderers are called directly here)
    from lstmcount.explain.document import build, render_text
    from lstmcount.model.spec import ModelSpec

    for spec in _specs():
        model = spec if isinstance(spec, ModelSpec) else api.as_spec(spec)
        comparison = api.compare(model, ",".join(frameworks.ids()))  # every framework, each in full
        table_text = render(comparison, "table", width=width)
        assert max(len(line) for line in table_text.splitlines()) <= width
        words = set(table_text.split())
        for report in comparison.reports:
            for layer in report.layers:
                for tensor in layer.tensors if layer.recurrent else ():  # the tensor tables are the recurrent ones
                    tail = tensor.path.replace("/", ".").rsplit(".", 1)[-1]
                    assert any(word.endswith(tail) for word in words), (tensor.path, width)
            if any(layer.recurrent for layer in report.layers):
                explained = render_text(build(report, model, "own", width=width), width)
                too_wide = [line for line in explained.splitlines() if len(line) > width and " " in line.strip()]
                assert too_wide == [], too_wide[:3]


def test_per_gate_rows_add_up_to_the_layer(capsys: pytest.CaptureFixture[str]) -> None:
    """With a projection too, the per-gate table's Params column adds up to the layer's count."""
    for spec in _specs():
        comparison = api.compare(spec if not isinstance(spec, dict) else api.as_spec(spec), "all")
        for report in comparison.reports:
            for layer in report.layers:
                if layer.recurrent:
                    from lstmcount.renderers.report import gate_rows

                    assert sum(int(row[-1].replace(",", "")) for row in gate_rows(layer)) == layer.params


def test_side_by_side_names_spec_layers_not_one_frameworks_layers() -> None:
    """The side-by-side table has a row per framework and labels a differing layer by its spec position.

    A framework's own layer name (Keras's ``bidirectional``, PyTorch's ``gru``) never heads a column.
    """
    spec = load("examples/gru_text_classifier.yaml")
    comparison = api.compare(spec, "all")
    text = render(comparison, "table", width=100)
    side = text.split("\n\n", 1)[0].splitlines()
    assert side[0] == "Side by side"
    header = side[1].split()
    assert header[:3] == ["Framework", "layers[1]", "gru"] and "bidirectional" not in header
    rows = [row for row in side[3:] if row and not row.startswith(" ")][: len(comparison.reports)]
    assert [row.split("  ")[0].strip() for row in rows] == [r.framework_display for r in comparison.reports]
    for row, report in zip(rows, comparison.reports, strict=True):
        assert f"{report.total:,}" in row and f"{report.layers[1].params:,}" in row


def test_keras_layout_of_several_frameworks_says_whose_each_is() -> None:
    """`--framework all --format keras` heads each model.summary() block with its framework."""
    comparison = api.compare(load("examples/keras_sentiment.yaml"), "all")
    text = render(comparison, "keras")
    heads = [line for line in text.splitlines() if line.startswith("In ")]
    assert heads == [
        f"In {r.framework_display} conventions, as Keras's model.summary() lays it out:" for r in comparison.reports
    ]
    assert heads[:2] == [
        "In Keras 3 conventions, as Keras's model.summary() lays it out:",
        "In PyTorch conventions, as Keras's model.summary() lays it out:",
    ]

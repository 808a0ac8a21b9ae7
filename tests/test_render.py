"""Rendered output against golden files, and renderer invariants."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import pytest

from lstmcount import api, load
from lstmcount.render import render

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

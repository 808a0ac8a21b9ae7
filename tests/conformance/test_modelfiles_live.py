"""Models saved there and then by the real frameworks, inspected by lstmcount as the recorded ones are."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import need
from modelfiles import compare

from lstmcount.importers import inspect

PYTORCH_CASES = [
    "lstm_100_128",
    "gru_bidirectional_no_bias",
    "rnn_relu",
    "lstm_projection_stacked",
    "sequential",
    "tagger",
    "seq2seq",
    "tied_language_model",
    "conv_recurrent",
    "cells",
    "attention",
]


@pytest.mark.parametrize("case", PYTORCH_CASES)
def test_pytorch_files(case: str, tmp_path: Path) -> None:
    """Each PyTorch case saved in every form PyTorch writes is read as PyTorch says."""
    need("torch")
    need("safetensors")
    from facts import models_pytorch

    facts = models_pytorch.save(case, tmp_path)
    for name, form in facts["files"].items():
        assert compare(inspect(tmp_path / name), facts, form) == [], name


def test_the_cases_are_the_recorders() -> None:
    """The live grid runs every case the recorder has."""
    need("torch")
    from facts import models_pytorch

    assert list(models_pytorch.CASES) == PYTORCH_CASES

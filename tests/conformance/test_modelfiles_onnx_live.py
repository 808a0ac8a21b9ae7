"""ONNX models exported there and then by PyTorch's exporters, or built with ``onnx.helper``, inspected by lstmcount.

The cases are ``tests/facts/models_onnx.py``'s, saved in every form of their kind (the dynamo
exporter with external data and inline, the TorchScript exporter; a built graph inline, with
its tensors in one external file and in one file each), and compared as the recorded ones are.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import need
from modelfiles import compare

from lstmcount.importers import inspect

EXPORTED_CASES = [
    "lstm_100_128",
    "lstm_wide_input",
    "gru_bidirectional",
    "lstm_stacked_2",
    "lstm_stacked_3_nested",
    "lstm_bidirectional_stacked",
    "gru_bidirectional_stacked_no_bias",
    "lstm_no_bias",
    "gru_batch_first",
    "tagger",
    "conv_recurrent",
    "rnn_tanh",
    "rnn_relu",
    "rnn_relu_stacked_bidirectional",
    "lstm_states_given",
    "gru_buffer_state",
]
BUILT_CASES = [
    "lstm_peepholes",
    "lstm_reverse",
    "gru_reset_before",
    "gru_reset_after",
    "rnn_relu_activations",
    "gemm_head",
    "matmul_head",
    "gather_embedding",
    "batch_norm",
    "unmodelled_ops",
    "if_branch_initializers",
    "loop_body_initializer",
    "nested_subgraph_initializer",
    "sparse_initializer",
    "constant_weights",
    "lstm_float16",
    "lstm_double",
    "gru_bfloat16_cast",
    "lstm_bidirectional_built",
    "lstm_stacked_nodes",
    "encoder_decoder",
    "conv_layer_norm",
    "conv2d_unmodelled",
]


def _check(case: str, out: Path) -> None:
    from facts import models_onnx

    facts = models_onnx.save(case, out)
    assert facts["files"], case
    for name, form in facts["files"].items():
        assert compare(inspect(out / name), facts, form) == [], name


@pytest.mark.parametrize("case", EXPORTED_CASES)
def test_exported_files(case: str, tmp_path: Path) -> None:
    """Each PyTorch module exported by the dynamo exporter (external data, inline) and the TorchScript one."""
    need("onnx")
    need("onnxscript")  # the dynamo exporter's
    need("torch")
    _check(case, tmp_path)


@pytest.mark.parametrize("case", BUILT_CASES)
def test_built_files(case: str, tmp_path: Path) -> None:
    """Each graph built with onnx.helper, saved inline, with one external file, and with a file per tensor."""
    need("onnx")
    _check(case, tmp_path)


def test_the_cases_are_the_recorders() -> None:
    """The live grid runs every case the recorder has, each in every form of its kind."""
    need("onnx")
    from facts import models_onnx

    assert list(models_onnx.CASES) == EXPORTED_CASES + BUILT_CASES
    assert list(models_onnx.EXPORTED) == EXPORTED_CASES
    assert models_onnx.FORMS == models_onnx.EXPORTED_FORMS + models_onnx.BUILT_FORMS

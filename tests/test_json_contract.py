"""The JSON report's keys are a contract: this pins them."""

from __future__ import annotations

import json

from click.testing import CliRunner

from lstmcount.cli import main
from lstmcount.model.report import SCHEMA_VERSION

TOP = {"schema_version", "framework", "model", "input_shape", "total", "trainable", "non_trainable", "layers", "notes"}
LAYER = {
    "name",
    "type",
    "class_name",
    "params",
    "trainable",
    "trainable_params",
    "non_trainable_params",
    "input_shape",
    "output_shape",
    "formula",
    "tensors",
}
RECURRENT = LAYER | {"directions", "num_layers", "gates"}
TENSOR = {"name", "path", "shape", "params", "role"}
GATE = {
    "layer",
    "direction",
    "gate",
    "meaning",
    "activation",
    "input_weights",
    "recurrent_weights",
    "biases",
    "peephole",
    "params",
}


def report(*args: str) -> dict[str, object]:
    """The JSON document printed for ``args``."""
    result = CliRunner().invoke(main, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_keys_are_pinned() -> None:
    """Top-level, layer, tensor and gate keys are exactly the documented ones (schema_version 1)."""
    for fw in ("keras", "pytorch"):
        doc = report("100", "128", "--dense", "1", "--framework", fw)
        assert set(doc) >= TOP
        assert doc["schema_version"] == SCHEMA_VERSION == 1
        rec, dense = doc["layers"]  # type: ignore[misc]
        assert set(rec) == RECURRENT
        assert set(dense) == LAYER
        for t in rec["tensors"] + dense["tensors"]:
            assert set(t) == TENSOR
        for g in rec["gates"]:
            assert set(g) == GATE


def test_totals_are_sums_of_layers_and_tensors() -> None:
    """total = sum of layer params = sum of tensor params, and trainable + non_trainable = total."""
    doc = report("examples/pytorch_bilstm_proj.yaml")
    layers = doc["layers"]
    assert doc["total"] == sum(x["params"] for x in layers)  # type: ignore[union-attr]
    assert all(x["params"] == sum(t["params"] for t in x["tensors"]) for x in layers)  # type: ignore[union-attr]
    assert doc["trainable"] + doc["non_trainable"] == doc["total"]  # type: ignore[operator]


def test_null_for_batch_and_unknown_time() -> None:
    """Output shapes use null for the batch axis and for unknown time."""
    doc = report("100", "128", "--return-sequences")
    assert doc["layers"][0]["output_shape"] == [None, None, 128]  # type: ignore[index]


def test_framework_all_document() -> None:
    """`--framework all` wraps one report per framework and the differences."""
    doc = report("100", "128", "--framework", "all")
    assert set(doc) == {"schema_version", "reports", "unbuildable", "differences"}
    from lstmcount import frameworks

    assert [r["framework"] for r in doc["reports"]] == list(frameworks.ids())  # type: ignore[union-attr]
    totals = {r["framework"]: r["total"] for r in doc["reports"]}  # type: ignore[union-attr]
    two_biases = [f for f in ("pytorch", "onnx", "paddle") if f in totals]
    assert totals["keras"] == 117_248 and {totals[f] for f in two_biases} == {117_760}
    assert any("+512" in d for d in doc["differences"])  # type: ignore[union-attr]

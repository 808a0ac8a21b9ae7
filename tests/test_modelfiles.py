"""Model files saved by the real frameworks, inspected without them: counts, names, shapes and arguments agree.

Each ``tests/fixtures/models/<framework>/<case>.json`` was written by
``tests/facts/record_models.py`` from the framework itself, beside the files it saved; these
tests need no framework installed. ``tests/conformance/test_modelfiles_live.py`` saves the
same cases there and then.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from modelfiles import compare, inspect_file

MODELS = Path(__file__).parent / "fixtures" / "models"


def _files() -> list[tuple[str, str, str]]:
    out = []
    for facts_path in sorted(MODELS.glob("*/*.json")):
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
        out += [(facts_path.parent.name, facts_path.stem, name) for name in facts["files"]]
    return out


FILES = _files()


def _facts(framework: str, case: str) -> dict[str, Any]:
    return json.loads((MODELS / framework / f"{case}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("framework", "case", "name"), FILES, ids=[f"{f}/{n}" for f, _, n in FILES])
def test_recorded_file_is_read_as_its_framework_says(framework: str, case: str, name: str) -> None:
    """Every recorded file: the count, every parameter's name and shape, and each recurrent layer's arguments."""
    facts = _facts(framework, case)
    found = inspect_file(MODELS / framework, facts, name)
    assert compare(found, facts, facts["files"][name]) == []


def test_every_framework_and_form_is_recorded() -> None:
    """The recorded files cover each framework's every form.

    PyTorch: .pt, .pth, .bin, legacy, checkpoint, safetensors. Keras 3: the .keras archive, the
    to_json() config, that config with a .weights.h5, the legacy .h5. Keras 2 (tf-keras): the
    .h5 model, the config, the config with Keras 2's .h5 weights, tf-keras's .keras archive.
    ONNX: PyTorch's dynamo exporter (external data, inline) and TorchScript exporter, and graphs
    built with onnx.helper saved inline, with one external file and with a file per tensor.
    Flax: an NNX model's parameters and its state, a linen model's variables and its params alone.
    """
    forms = {(f, form) for f, case, name in FILES for form in [_facts(f, case)["files"][name]]}
    assert {form for f, form in forms if f == "pytorch"} == {"pt", "pth", "bin", "legacy", "checkpoint", "safetensors"}
    assert {form for f, form in forms if f == "keras"} == {"keras", "json", "weights", "h5"}
    assert {form for f, form in forms if f == "keras2"} == {"h5", "json", "weights", "keras"}
    onnx = {"dynamo", "inline", "torchscript", "built", "external", "external_per_tensor"}
    assert {form for f, form in forms if f == "onnx"} == onnx  # both exporters, built graphs, external data
    flax = {"nnx_params", "nnx_state", "linen_variables", "linen_params"}
    assert {form for f, form in forms if f == "flax"} == flax  # NNX params and state, linen variables and params

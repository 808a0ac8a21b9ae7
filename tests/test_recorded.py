"""Counts, names, shapes and forward passes against fixtures recorded from the real frameworks.

Each ``tests/fixtures/recorded/<framework>/<case>.json`` was written by
``tests/fixtures/record.py`` from the framework itself: the case (cell, sizes, options, class),
the framework's own parameter paths, shapes and trainable flags, its totals, and in the
``.npz`` beside it the weights, an input batch and the framework's outputs and final states.
These tests need no framework installed; ``tests/conformance/`` runs the same comparisons
live against the installed packages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lstmcount
from lstmcount import frameworks
from lstmcount.frameworks.base import States
from lstmcount.numeric.forward import forward

RECORDED = Path(__file__).parent / "fixtures" / "recorded"

#: options of recorded cases that a spec cannot say, by framework: such cases are built another way
#: than a spec builds its layers (a single reverse direction, clipping, a residual connection,
#: another naming style of the user's code), so only what the spec does say is compared
UNSAID = {
    ("onnx", "direction"),
    ("flax", "residual"),
    ("flax-linen", "residual"),
    ("flax-linen", "reset_gate"),
    ("flax-linen", "style"),
    ("mlx", "prefix"),
    ("mlx", "directions"),
    ("paddle", "bias_ih"),
    ("paddle", "bias_hh"),
    ("tf1", "cell_clip"),
    ("tf1", "proj_clip"),
    ("tf1", "bidi_stacking"),
}
#: recorded cells that are no LSTM, GRU or simple RNN (Flax linen's minimal gated unit)
OTHER_CELLS = {("flax-linen", "MGUCell")}
#: options that are the spec's own fields
SPEC_OPTIONS = {"activation", "recurrent_activation"}
#: options that change neither the parameters nor, as the recorded values show, the outputs
HARMLESS = {"layout", "runtime", "opset", "implementation", "style", "paths", "direction"}


def _cases() -> list[tuple[str, str]]:
    out = []
    for folder in sorted(RECORDED.iterdir()):
        fid = folder.name.replace("_", "-")
        for path in sorted(folder.glob("*.json")):
            if path.stem != "unsupported":
                out.append((fid, path.stem))
    return out


CASES = _cases()


def load(fid: str, case: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A recorded case's JSON and arrays."""
    folder = RECORDED / fid.replace("-", "_")
    data = json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))
    with np.load(folder / f"{case}.npz") as arrays:
        return data, {k: arrays[k] for k in arrays.files}


def spec_of(fid: str, case: dict[str, Any]) -> dict[str, Any] | None:
    """The spec of a recorded case, or None when the case says what a spec cannot."""
    options = case.get("options") or {}
    if (fid, case.get("class")) in OTHER_CELLS:
        return None
    for key, value in options.items():
        said = (fid == "paddle" and key == "direction") or (
            fid == "flax-linen" and key == "style" and value == "compact"
        )
        if (fid, key) in UNSAID and not said:
            return None
    layer: dict[str, Any] = {
        "type": {"lstm": "lstm", "gru": "gru", "rnn": "simple_rnn"}[case["cell"]],
        "units": case["hidden_size"],
        "num_layers": case["num_layers"],
        "bidirectional": case["bidirectional"],
        "use_bias": case["bias"],
        "return_sequences": True,
    }
    if case.get("class"):
        layer["class"] = case["class"]
    if case.get("proj_size"):
        layer["proj_size"] = case["proj_size"]
    for key in ("forget_bias", "reset_after"):
        if case.get(key) is not None:
            layer[key] = case[key]
    if case.get("peepholes"):
        layer["peepholes"] = True
    if case["cell"] == "rnn":
        layer["nonlinearity"] = case.get("nonlinearity", "tanh")
    for key in SPEC_OPTIONS & set(options):
        layer[key] = options[key]
    return {"framework": fid, "input": {"features": case["input_size"]}, "layers": [layer]}


def expected_path(fid: str, report: lstmcount.Report, recorded: str) -> str:
    """The path lstmcount gives a recorded parameter: the framework's own, under the layer's name.

    In Flax linen, TensorFlow 1 and Keras 2 the path of a layer written as users write it is
    the whole path; elsewhere the recorded model is the layer itself, which a model holds as
    an attribute named as lstmcount names the layer. ONNX names nothing: lstmcount's
    ``<layer>.W`` stands for the recorder's ``<layer>.0.W`` when there is one stacked layer.
    """
    layer = report.layers[0]
    if fid in ("flax-linen", "tf1", "keras2"):
        return recorded
    if fid == "onnx":
        _, k, name = recorded.split(".")
        return f"{layer.name}.{name}" if len(layer.cells) == 1 else f"{layer.name}.{k}.{name}"
    return f"{layer.name}.{recorded}"


@pytest.mark.parametrize(("fid", "case"), CASES, ids=[f"{f}/{c}" for f, c in CASES])
def test_counts_names_and_shapes_are_the_frameworks(fid: str, case: str) -> None:
    """Every recorded parameter has lstmcount's path, shape and trainable flag, and the totals agree."""
    data, _ = load(fid, case)
    spec = spec_of(fid, data["case"])
    if spec is None:
        pytest.skip("the case is built in a way a spec does not describe")
    report = lstmcount.count(spec)
    nested = (data["case"].get("options") or {}).get("paths") == "nested"
    tensors = {(t.aliases[0] if nested and t.aliases else t.path): t for layer in report.layers for t in layer.tensors}
    recorded = {expected_path(fid, report, p["path"]): p for p in data["parameters"]}
    assert sorted(tensors) == sorted(recorded)
    for path, p in recorded.items():
        assert tensors[path].shape == tuple(p["shape"]), path
        assert tensors[path].trainable == p["trainable"], path
    assert report.total == data["total"]
    assert report.trainable == data["trainable"]


def _per_cell(fw: frameworks.Framework, report: lstmcount.Report, result: Any) -> list[dict[str, np.ndarray]]:
    """Final states as a list of {h, c} per cell instance (stacked layer, then direction).

    A framework that builds each stacked layer as a layer of its own returns each one's states.
    """
    out: list[dict[str, np.ndarray]] = []
    for layer in report.layers:
        states = result.states[layer.name]
        lstm = layer.type.value == "lstm"
        n = len(layer.cells) * layer.directions
        if fw.states is States.STACKED:
            out += [{"h": states[0][i], **({"c": states[1][i]} if lstm else {})} for i in range(n)]
            continue
        kinds = ("h", "c") if lstm else ("h",)
        if fw.states is States.PER_CELL_CH:
            kinds = tuple(reversed(kinds))
        out += [dict(zip(kinds, states[i * len(kinds) : (i + 1) * len(kinds)], strict=True)) for i in range(n)]
    return out


@pytest.mark.parametrize(("fid", "case"), CASES, ids=[f"{f}/{c}" for f, c in CASES])
def test_forward_pass_gives_the_frameworks_outputs(fid: str, case: str) -> None:
    """lstmcount's NumPy pass on the recorded weights gives the framework's outputs and final states."""
    data, arrays = load(fid, case)
    spec = spec_of(fid, data["case"])
    if spec is None:
        pytest.skip("the case is built in a way a spec does not describe")
    if "output" not in arrays:
        pytest.skip("the framework cannot run this layer here (recorded without outputs)")
    report = lstmcount.count(spec)
    fw = frameworks.get(fid)
    weights = {expected_path(fid, report, p["path"]): arrays[p["path"]] for p in data["parameters"]}  # any spelling
    x = arrays["x"]
    result = forward(spec, weights, x, dtype=str(x.dtype) if x.dtype.kind == "f" else None)
    tolerance = 1e-6 if arrays["output"].dtype == np.float64 else 1e-4
    if fid == "mlx":  # MLX's float64 exp (and so sigmoid) is float32-accurate
        tolerance = 1e-6
    np.testing.assert_allclose(result.output, arrays["output"], atol=tolerance, rtol=0)
    finals = _per_cell(fw, report, result)
    names = sorted({k.split("_")[1] for k in arrays if k.startswith("final_")}, key=int)
    assert len(finals) == len(names)
    for i, mine in zip(names, finals, strict=True):
        for kind, value in mine.items():
            np.testing.assert_allclose(value, arrays[f"final_{i}_{kind}"], atol=tolerance, rtol=0, err_msg=kind)

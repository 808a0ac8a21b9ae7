"""What the recorded-fixture tests and the live tests share: a case as a spec, a framework's path as lstmcount's.

A case (see ``tests/facts/__init__.py``) describes one recurrent layer as a framework builds it;
:func:`spec_of` writes it as a spec, and :func:`expected_path` gives the path lstmcount prints
for a path the framework reports. :func:`per_cell` puts lstmcount's final states in the
recorders' order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import lstmcount
from lstmcount import frameworks
from lstmcount.frameworks.base import States

#: options of recorded cases that a spec cannot say, by framework: such cases are built another way
#: than a spec builds its layers (a single reverse direction, clipping, a residual connection,
#: another naming style of the user's code)
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


def spec_of(fid: str, case: dict[str, Any]) -> dict[str, Any] | None:
    """The spec of a case, or None when the case says what a spec cannot."""
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
    """The path lstmcount gives a parameter the framework reports: its own, under the layer's name.

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


def per_cell(fw: frameworks.Framework, report: lstmcount.Report, result: Any) -> list[dict[str, np.ndarray]]:
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
        kinds: tuple[str, ...] = ("h", "c") if lstm else ("h",)
        if fw.states is States.PER_CELL_CH:
            kinds = tuple(reversed(kinds))
        out += [dict(zip(kinds, states[i * len(kinds) : (i + 1) * len(kinds)], strict=True)) for i in range(n)]
    return out


def tensors_by_path(report: lstmcount.Report, nested: bool = False) -> dict[str, Any]:
    """The report's tensors by path (by their other name first, with ``nested``: Paddle's nested names)."""
    return {(t.aliases[0] if nested and t.aliases else t.path): t for layer in report.layers for t in layer.tensors}

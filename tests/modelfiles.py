"""What the recorded model-file tests and the live ones share: ``lstmcount inspect`` against a framework's facts.

A case's facts (see ``tests/facts/models_*.py``) are what the framework itself says about the
model it saved: its parameter count, each parameter's name in the file and its shape, the
file's total, and each recurrent layer's constructor arguments. :func:`compare` lists every
way an inspection of one of the case's files differs from them (empty: it agrees).

Where the files of one case name their tensors differently (ONNX exporters choose the
initializers' names), ``facts["forms"][form]`` holds that file's own ``file_total``,
``parameters``, ``state_dict`` and ``recurrent``. A recurrent layer's facts may also give the
options of ONNX's operators (``peepholes``, ``linear_before_reset``, ``activation``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstmcount.importers import Inspection, inspect

#: the spec type of each PyTorch recurrent class
TYPES = {
    "LSTM": ("lstm", None),
    "GRU": ("gru", None),
    "RNN": ("simple_rnn", None),
    "LSTMCell": ("lstm", "LSTMCell"),
    "GRUCell": ("gru", "GRUCell"),
    "RNNCell": ("simple_rnn", "RNNCell"),
    "SimpleRNN": ("simple_rnn", None),
    # Flax NNX and linen: the cell is the layer's class
    "OptimizedLSTMCell": ("lstm", "OptimizedLSTMCell"),
    "SimpleCell": ("simple_rnn", "SimpleCell"),
}


def compare(found: Inspection, facts: dict[str, Any], form: str) -> list[str]:
    """How the inspection of the case's file saved as ``form`` differs from the framework's facts."""
    facts = {**facts, **facts.get("forms", {}).get(form, {})}
    problems = []
    if found.report.total != facts["total"]:
        problems.append(f"counts {found.report.total:,}, the framework {facts['total']:,}")
    trainable = found.report.trainable
    if trainable != facts["trainable"]:
        problems.append(f"counts {trainable:,} trainable, the framework {facts['trainable']:,}")
    in_file = facts["safetensors"] if form == "safetensors" else facts["state_dict"]
    unique = facts.get("safetensors_total", facts["file_total"]) if form == "safetensors" else facts["file_total"]
    if found.file_total != unique:
        problems.append(f"reads {found.file_total:,} values in the file, which holds {unique:,}")
    if found.unexplained:
        problems.append(f"leaves unexplained: {[t.name for t in found.unexplained]}")
    if found.missing:
        problems.append(f"expects tensors the file lacks: {found.missing}")
    shapes = {t.name: t.shape for t in found.file_tensors}
    for name, shape in facts["parameters"].items():
        if name not in in_file:
            continue  # a tied tensor's second name, which the file does not keep
        if name not in found.explained or shapes.get(name) != tuple(shape):
            problems.append(f"parameter {name} {shape}: not explained (the file has it as {shapes.get(name)})")
    if found.graph:  # a graph's layers are its own: what holds no parameter (states, shapes) explains no layer
        counted = sorted(n for n in found.explained if n in in_file and n not in facts["parameters"])
        if counted:
            problems.append(f"counts tensors that are no parameters: {counted}")
    problems += _recurrent(found, facts)
    return problems


def inspect_file(directory: Path, facts: dict[str, Any], name: str) -> Inspection:
    """``lstmcount inspect`` of one of the case's files; a weights file with the config its form names.

    (Keras's ``save_weights`` writes the weights alone: ``facts["forms"][form]["config"]`` is
    the ``to_json()`` config they are inspected with, as ``lstmcount inspect CONFIG --weights FILE``.)
    """
    config = facts.get("forms", {}).get(facts["files"][name], {}).get("config")
    if config:
        return inspect(directory / config, weights=directory / name)
    return inspect(directory / name)


def _recurrent(found: Inspection, facts: dict[str, Any]) -> list[str]:
    """Each recurrent module rebuilt with the framework's own constructor arguments."""
    problems = []
    from lstmcount import frameworks

    sep = frameworks.get(found.report.framework).path_sep
    layers = {_path(layer, sep): layer for layer in found.spec["layers"]}
    reports = {_path(found.spec["layers"][r.spec_index], sep): r for r in found.report.layers if r.cells}
    for module in facts["recurrent"]:
        layer, report = layers.get(module["path"]), reports.get(module["path"])
        if layer is None or report is None:
            problems.append(f"no recurrent layer rebuilt for {module['path']!r}")
            continue
        kind, cls = TYPES[module["class"]]
        cell = report.cells[0]
        got = {
            "type": layer["type"],
            "class": layer.get("class"),
            "input_size": cell.input_size,
            "hidden_size": cell.units,
            "num_layers": len(report.cells),
            "bidirectional": report.directions == 2,
            "bias": layer.get("use_bias", True),
            "proj_size": cell.proj_size,
        }
        options = {
            "peepholes": cell.cell.peepholes,
            "linear_before_reset": int(cell.cell.reset_after),
            "activation": cell.cell.cell_activation,
        }
        got |= {k: v for k, v in options.items() if k in module}
        want = {**{k: module[k] for k in got if k in module}, "type": kind, "class": cls}
        if got != want:
            problems.append(f"{module['path']!r}: rebuilt {got}, the framework has {want}")
    return problems


def _path(layer: dict[str, Any], sep: str) -> str:
    """A spec layer's module path: its scope, then its name (a bare module has none)."""
    name = layer.get("name") or ""
    return f"{layer['scope']}{sep}{name}" if layer.get("scope") else name

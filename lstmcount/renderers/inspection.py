"""An inspected model file: where it came from and how its tensors add up, then the usual report."""

from __future__ import annotations

import json
from typing import Any

from lstmcount.importers import Inspection
from lstmcount.model.report import SCHEMA_VERSION, fmt
from lstmcount.renderers.report import Comparison, render
from lstmcount.renderers.text import DEFAULT_WIDTH, wrap


def summary(found: Inspection) -> list[str]:
    """Where the file came from, and every tensor accounted for, as sentences."""
    lines = [f"{found.path}: {found.format}, read in {found.report.framework_display} conventions."]
    if found.graph and not found.file_tensors:
        lines.append(f"The file holds the layers, not their weights; the model counts {fmt(found.report.total)}.")
    else:
        held = f"The file holds {fmt(found.file_total)} values in {found.tensors} tensors"
        if found.aliases:
            held += f" ({len(found.aliases)} of them a second name of another, counted once)"
        lines.append(f"{held}; the rebuilt model counts {fmt(found.report.total)}.")
    for name, count, why in found.set_aside:
        lines.append(f"Set aside: {name}, {fmt(count)} value{'s' if count != 1 else ''} ({why}).")
    if found.unexplained:
        lines.append(
            "Not explained by the rebuilt model: "
            + ", ".join(f"{t.name} {list(t.shape)}" for t in found.unexplained[:20])
            + (f" and {len(found.unexplained) - 20} more" if len(found.unexplained) > 20 else "")
            + "."
        )
    if found.missing:
        lines.append(
            "The rebuilt model expects tensors the file lacks: "
            + ", ".join(f"{p} {list(s)}" for p, s in found.missing[:20])
            + "."
        )
    lines += found.notes
    return lines + rebuilt(found)


def rebuilt(found: Inspection) -> list[str]:
    """Each recurrent layer as the framework's constructor would build it, from the file's tensors."""
    from lstmcount import frameworks
    from lstmcount.cells import Biases

    fw = frameworks.get(found.report.framework)
    args = fw.arguments
    out = []
    for layer in found.report.layers:
        if not layer.cells:
            continue
        cell = layer.cells[0]
        values: dict[str, object] = {"input_size": cell.input_size, "units": cell.units}
        stacked = {c.stack_index for c in layer.cells}
        if len(stacked) > 1:
            values["num_layers"] = len(stacked)
        if layer.directions > 1:
            values["bidirectional"] = True
        if cell.proj_size:
            values["proj_size"] = cell.proj_size
        if cell.cell.biases is Biases.NONE:
            values["use_bias"] = False
        shown = [f"{args[k]}={v}" for k, v in values.items() if k in args]
        text = f"{layer.class_name}({', '.join(shown)})"
        inner = _wrapped(fw, cell.cell.kind, layer.class_name)
        if inner is not None:  # a wrapper around a layer of its own class: Bidirectional(LSTM(...))
            values.pop("bidirectional", None)
            text = f"{layer.class_name}({inner}({', '.join(shown)}))"
        said = {"input_size": f"on {cell.input_size} features", "num_layers": f"{len(stacked)} stacked layers"}
        said |= {"bidirectional": "bidirectional", "proj_size": f"projected to {cell.proj_size}", "use_bias": "no bias"}
        rest = [said[k] for k in values if k not in args and k in said]
        if rest:
            text += " " + ", ".join(rest)
        how = "As the file defines it" if found.graph else "Rebuilt from the tensors"
        out.append(f"{how}: {layer.name} = {text}.")
    return out


def _wrapped(fw: Any, kind: Any, class_name: str) -> str | None:
    """The class a wrapper layer ``class_name`` wraps, when it is one of ``fw``'s wrappers of cells of ``kind``."""
    for cls in fw.cells.get(kind, ()):
        if cls.wrapper[0] and cls.wrapper[0] == class_name:
            return str(cls.name)
    return None


def document(found: Inspection) -> dict[str, Any]:
    """The JSON document: the report's keys, and ``source``, ``spec`` and ``file``."""
    doc = found.report.to_dict()
    doc["schema_version"] = SCHEMA_VERSION
    doc["source"] = found.source()
    doc["spec"] = found.spec
    doc["file"] = found.accounting()
    return doc


def render_inspection(found: Inspection, fmt_name: str, *, width: int | None = None, color: bool | None = None) -> str:
    """``found`` in one of count's formats, or ``yaml`` (the rebuilt spec)."""
    if fmt_name == "json":
        return json.dumps(document(found), indent=2) + "\n"
    if fmt_name == "yaml":
        from lstmcount.io.dump import spec_yaml

        return spec_yaml(found.spec, summary(found)[:2])
    if fmt_name == "html":
        from lstmcount.renderers.html import report_page

        return report_page((found.report,), None, lead=summary(found) + rebuilt(found))
    body = render(Comparison((found.report,)), fmt_name, width=width, color=color)
    if fmt_name in ("csv",):
        return body
    lines: list[str] = []
    for sentence in summary(found):
        lines += wrap(sentence, width or DEFAULT_WIDTH) if fmt_name != "markdown" else [sentence, ""]
    return "\n".join(lines) + "\n\n" + body

"""Renderers: a report (or several) to table, json, markdown, csv or Keras-summary text.

Each renderer is a function from reports to a string, registered in :data:`RENDERERS`.
rich is imported only by the table and Keras-summary renderers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lstmcount.counter import fmt
from lstmcount.report import SCHEMA_VERSION, LayerReport, OutShape, Report


@dataclass(frozen=True)
class Comparison:
    """The same spec counted under several frameworks; ``failures`` holds those that cannot build it."""

    reports: tuple[Report, ...]
    failures: tuple[tuple[str, str], ...] = ()


def shape_text(shape: Sequence[int | None]) -> str:
    """A shape as Python prints a tuple, with None for unknown axes."""
    items = ["None" if s is None else str(s) for s in shape]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def _layer_label(layer: LayerReport) -> str:
    return f"{layer.name} ({layer.class_name})"


def _by_spec_layer(report: Report) -> dict[int, list[LayerReport]]:
    groups: dict[int, list[LayerReport]] = {}
    for layer in report.layers:
        groups.setdefault(layer.spec_index, []).append(layer)
    return groups


def differences(comparison: Comparison) -> list[str]:
    """Sentences explaining why the frameworks' totals differ, layer by layer."""
    if len(comparison.reports) < 2:
        return []
    base, *others = comparison.reports
    lines = []
    for other in others:
        left, right = _by_spec_layer(base), _by_spec_layer(other)
        for index, layers in left.items():
            a = sum(x.params for x in layers)
            b = sum(x.params for x in right.get(index, []))
            if a == b:
                continue
            lines.append(_explain_difference(base, other, layers, right.get(index, []), a, b))
        delta = other.total - base.total
        if delta:
            lines.append(
                f"In all: {other.framework_display} {fmt(other.total)} vs "
                f"{base.framework_display} {fmt(base.total)} ({delta:+,})."
            )
    return lines


def total_arithmetic(report: Report) -> str:
    """The model total as the sum of its layers: ``117,248 + 0 + 129 = 117,377``."""
    return "Total: " + " + ".join(fmt(x.params) for x in report.layers) + f" = {fmt(report.total)}"


def _explain_difference(
    base: Report, other: Report, left: list[LayerReport], right: list[LayerReport], a: int, b: int
) -> str:
    name = left[0].name if left else right[0].name
    head = f"{name}: {other.framework_display} {fmt(b)} vs {base.framework_display} {fmt(a)} ({b - a:+,})"
    cells_a = [c for layer in left for c in layer.cells]
    cells_b = [c for layer in right for c in layer.cells]
    if cells_a and cells_b and len(cells_a) == len(cells_b):
        extra = [cb.bias_vectors - ca.bias_vectors for ca, cb in zip(cells_a, cells_b, strict=True)]
        dirs = left[0].directions
        if all(e == extra[0] for e in extra) and extra[0]:
            c = cells_a[0]
            many = f"{dirs * len(cells_a)} × " if dirs * len(cells_a) > 1 else ""
            more = "a second" if extra[0] == 1 else f"{extra[0]} more"
            return (
                f"{head}: {other.framework_display} keeps {more} bias vector per gate "
                f"(bias_ih and bias_hh), {many}{c.gates}·{c.units} = {b - a:+,}."
            )
    return head + "."


# --------------------------------------------------------------------------- json


def _json(reports: Comparison) -> str:
    if len(reports.reports) == 1 and not reports.failures:
        doc: dict[str, Any] = reports.reports[0].to_dict()
    else:
        doc = {
            "schema_version": SCHEMA_VERSION,
            "reports": [r.to_dict() for r in reports.reports],
            "unbuildable": [{"framework": f, "reason": why} for f, why in reports.failures],
            "differences": differences(reports),
        }
    return json.dumps(doc, indent=2) + "\n"


# --------------------------------------------------------------------------- csv


CSV_COLUMNS = (
    "framework",
    "layer",
    "type",
    "class_name",
    "output_shape",
    "tensor",
    "path",
    "shape",
    "params",
    "trainable",
)


def _csv(reports: Comparison) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for report in reports.reports:
        for layer in report.layers:
            base = [
                report.framework.value,
                layer.name,
                layer.type.value,
                layer.class_name,
                shape_text(layer.output_shape),
            ]
            if not layer.tensors:
                writer.writerow([*base, "", "", "", 0, layer.trainable])
            for t in layer.tensors:
                writer.writerow([*base, t.name, t.path, "x".join(map(str, t.shape)), t.params, layer.trainable])
    return out.getvalue()


# --------------------------------------------------------------------------- markdown


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _markdown(reports: Comparison) -> str:
    lines: list[str] = []
    for report in reports.reports:
        lines.append(f"## {report.model_name or 'Model'} ({report.framework_display})")
        lines.append("")
        lines += _md_table(
            ["Layer", "Type", "Output shape", "Params"],
            [[f"`{x.name}`", x.class_name, f"`{shape_text(x.output_shape)}`", fmt(x.params)] for x in report.layers],
            right=[3],
        )
        lines.append("")
        for layer in report.layers:
            if not layer.recurrent:
                continue
            lines.append(f"### `{layer.name}` per gate")
            lines.append("")
            lines += _md_table(_gate_header(), [list(r) for r in _gate_rows(layer)], right=[5])
            lines.append("")
            lines += _md_table(
                ["Tensor", "Shape", "Params"],
                [[f"`{t.path}`", f"`{shape_text(t.shape)}`", fmt(t.params)] for t in layer.tensors],
                right=[2],
            )
            lines.append("")
            lines.append(f"`{layer.formula}`")
            lines.append("")
        lines += [
            f"**Total params:** {fmt(report.total)}  ",
            f"**Trainable params:** {fmt(report.trainable)}  ",
            f"**Non-trainable params:** {fmt(report.non_trainable)}",
            "",
        ]
        lines += [f"> {note}" for note in report.notes]
        if report.notes:
            lines.append("")
    for fw, why in reports.failures:
        lines += [f"**{fw}:** cannot build this model: {why}", ""]
    diffs = differences(reports)
    if diffs:
        lines += ["## Why the totals differ", ""] + [f"- {d}" for d in diffs] + [""]
    return "\n".join(lines)


def _gate_header() -> list[str]:
    return ["Cell", "Gate", "U (input)", "W (recurrent)", "Bias", "Params"]


def _gate_rows(layer: LayerReport) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    multi = len(layer.cells) > 1 or layer.directions > 1
    for g in layer.gates:
        cell = (f"layer {g.stack_index} " if len(layer.cells) > 1 else "") + (
            ("backward" if g.direction else "forward") if layer.directions > 1 else ""
        )
        rows.append(
            (
                cell.strip() if multi else "",
                f"{g.symbol} ({g.meaning})",
                shape_text(g.input_weights),
                shape_text(g.recurrent_weights),
                " + ".join(shape_text(b) for b in g.biases) or "none",
                fmt(g.params),
            )
        )
    return rows


# --------------------------------------------------------------------------- keras summary


#: Keras 3 sizes the summary of a Sequential model to min(88, terminal columns - 4) characters,
#: 76 when printing to no terminal, and places its columns at 45% and 80% of that width
#: (keras/src/utils/summary_utils.py); rich then lays the table out, wrapping long cells.
KERAS_LINE_LENGTH = 76
KERAS_POSITIONS = (0.45, 0.80, 1.0)


def _keras_size(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} GB"  # pragma: no cover


def _keras(reports: Comparison) -> str:
    """Keras 3's ``model.summary()``, drawn with rich as Keras draws it."""
    from rich.console import Console
    from rich.table import Column, Table
    from rich.text import Text

    widths, current = [], 0
    for position in KERAS_POSITIONS:
        widths.append(int(position * KERAS_LINE_LENGTH) - current)
        current += widths[-1]
    header = (("Layer (type)", "left"), ("Output Shape", "left"), ("Param #", "right"))
    out: list[str] = []
    for report in reports.reports:
        columns = [Column(h, justify=j, width=w) for (h, j), w in zip(header, widths, strict=True)]  # type: ignore[arg-type]
        table = Table(*columns, width=KERAS_LINE_LENGTH, show_lines=True)
        for layer in report.layers:
            table.add_row(Text(_layer_label(layer)), Text(shape_text(layer.output_shape)), Text(fmt(layer.params)))
        console = Console(file=io.StringIO(), width=80, highlight=False, force_terminal=False, color_system=None)
        console.print(Text(f'Model: "{report.model_name or "sequential"}"'))
        console.print(table)
        for label, n in (
            ("Total", report.total),
            ("Trainable", report.trainable),
            ("Non-trainable", report.non_trainable),
        ):
            console.print(Text(f" {label} params: {fmt(n)} ({_keras_size(n * 4)})"))
        out.append(console.file.getvalue())  # type: ignore[attr-defined]
    return "\n".join(out)


# --------------------------------------------------------------------------- rich table


def _table(reports: Comparison, *, width: int | None = None, color: bool | None = None) -> str:
    from rich import box
    from rich.console import Console, Group
    from rich.table import Table
    from rich.text import Text

    console = Console(
        file=io.StringIO(),
        width=width or 100,
        record=False,
        color_system="auto" if color else None,
        force_terminal=bool(color),
        highlight=False,
        soft_wrap=False,
    )
    parts: list[Any] = []
    if len(reports.reports) > 1:
        parts.append(_side_by_side(reports, Table, box))
        parts.extend(Text(line) for line in differences(reports))
        parts.append(Text(""))
    for fw, why in reports.failures:
        parts.append(Text(f"{fw}: cannot build this model: {why}", style="bold red"))
        parts.append(Text(""))
    for report in reports.reports:
        parts.append(
            Text(
                f"{report.model_name or 'Model'} in {report.framework_display} conventions, "
                f"input {shape_text(report.input_shape)}",
                style="bold",
            )
        )
        layers = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for col, justify in (("Layer", "left"), ("Type", "left"), ("Output shape", "left"), ("Params", "right")):
            layers.add_column(col, justify=justify)  # type: ignore[arg-type]
        for layer in report.layers:
            frozen = "" if layer.trainable else " (frozen)"
            layers.add_row(layer.name, layer.class_name + frozen, shape_text(layer.output_shape), fmt(layer.params))
        parts.append(layers)
        for layer in report.layers:
            if layer.recurrent:
                parts.append(Text(""))
                parts.extend(_recurrent_parts(layer, Table, Text, box))
        parts.append(Text(""))
        totals = Table.grid(padding=(0, 2))
        totals.add_column()
        totals.add_column(justify="right")
        for label, n in (
            ("Total params", report.total),
            ("Trainable params", report.trainable),
            ("Non-trainable params", report.non_trainable),
        ):
            totals.add_row(label, fmt(n))
        parts.append(totals)
        if len(report.layers) > 1:
            parts.append(Text(total_arithmetic(report)))
        for note in report.notes:
            parts.append(Text(note, style="italic"))
        parts.append(Text(""))
    console.print(Group(*parts))
    text: str = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def _recurrent_parts(layer: LayerReport, table_cls: Any, text_cls: Any, box: Any) -> list[Any]:
    cell = layer.cells[0]
    title = (
        f"{layer.name}: {layer.class_name}, {cell.gates} gate{'s' if cell.gates > 1 else ''}, "
        f"{cell.units} units on {cell.input_size} features"
    )
    gates = table_cls(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    header = _gate_header()
    multi = len(layer.cells) > 1 or layer.directions > 1
    for i, col in enumerate(header):
        if i == 0 and not multi:
            continue
        gates.add_column(col, justify="right" if i == len(header) - 1 else "left")
    for row in _gate_rows(layer):
        gates.add_row(*(row if multi else row[1:]))
    tensors = table_cls(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    tensors.add_column("Tensor")
    tensors.add_column("Shape")
    tensors.add_column("Params", justify="right")
    for t in layer.tensors:
        tensors.add_row(t.path, shape_text(t.shape), fmt(t.params))
    legend = text_cls("U multiplies x_t, W multiplies h_(t-1); each gate has its own U, W and bias.")
    return [gates, legend, tensors, text_cls(f"  {layer.formula}", style="bold")]


def _side_by_side(reports: Comparison, table_cls: Any, box: Any) -> Any:
    table = table_cls(title="Side by side", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Spec layer")
    for report in reports.reports:
        table.add_column(report.framework_display, justify="right")
    groups = [_by_spec_layer(r) for r in reports.reports]
    first = reports.reports[0]
    for index, layers in _by_spec_layer(first).items():
        label = ", ".join(x.name for x in layers)
        table.add_row(label, *(fmt(sum(x.params for x in g.get(index, []))) for g in groups))
    table.add_row("Total", *(fmt(r.total) for r in reports.reports))
    return table


Renderer = Callable[[Comparison], str]

RENDERERS: dict[str, Renderer] = {
    "table": _table,
    "json": _json,
    "markdown": _markdown,
    "csv": _csv,
    "keras": _keras,
}


def render(reports: Comparison, fmt_name: str, *, width: int | None = None, color: bool | None = None) -> str:
    """Render ``reports`` in format ``fmt_name`` (a key of :data:`RENDERERS`)."""
    if fmt_name == "table":
        return _table(reports, width=width, color=color)
    return RENDERERS[fmt_name](reports)


def output_shape_text(shape: OutShape) -> str:
    """Public alias of :func:`shape_text` for output shapes."""
    return shape_text(shape)

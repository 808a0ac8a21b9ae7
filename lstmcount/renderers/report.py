"""Renderers: a report (or several) to table, json, markdown, csv or Keras-summary text.

Each renderer is a function from reports to a string, registered in :data:`RENDERERS`. Text is
laid out by :mod:`lstmcount.renderers.text`; rich is imported only by the Keras-summary renderer, which
draws its tables as Keras does.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lstmcount import frameworks
from lstmcount.cells import Biases, CellSpec, Kind, Param
from lstmcount.counting.counter import fmt
from lstmcount.frameworks.base import Framework, Role
from lstmcount.model.report import SCHEMA_VERSION, LayerReport, OutShape, Report
from lstmcount.renderers.text import BOLD, DEFAULT_WIDTH, ITALIC, RED, Column, grid, styled, table, wrap


@dataclass(frozen=True)
class Comparison:
    """The same spec counted under several frameworks; ``failures`` holds those that cannot build it."""

    reports: tuple[Report, ...]
    failures: tuple[tuple[str, str], ...] = ()
    #: every framework was asked for: the text shows the comparison, not each framework's tables
    brief: bool = False


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
    """Sentences explaining why the frameworks' totals differ, layer by layer, from the first's."""
    if len(comparison.reports) < 2:
        return []
    base, *others = comparison.reports
    lines = []
    for other in others:
        left, right = _by_spec_layer(base), _by_spec_layer(other)
        differing = 0
        for index, layers in left.items():
            a = sum(x.params for x in layers)
            b = sum(x.params for x in right.get(index, []))
            if a == b:
                continue
            differing += 1
            lines.append(_explain_difference(base, other, layers, right.get(index, []), a, b))
        delta = other.total - base.total
        if delta and (differing > 1 or len(left) > 1):  # one differing layer of one: its line says it all
            lines.append(
                f"In all: {other.framework_display} {fmt(other.total)} vs "
                f"{base.framework_display} {fmt(base.total)} ({delta:+,})."
            )
    return lines


def total_arithmetic(report: Report) -> str:
    """The model total as the sum of its layers: ``117,248 + 0 + 129 = 117,377``."""
    return "Total: " + " + ".join(fmt(x.params) for x in report.layers) + f" = {fmt(report.total)}"


#: how each bias form is said in a sentence, and in a table cell
BIAS_WORDS = {
    Biases.NONE: ("no bias", "no bias"),
    Biases.ONE: ("one bias vector per gate", "1 bias/gate"),
    Biases.TWO: ("two bias vectors per gate, an input-side and a recurrent-side one", "2 biases/gate"),
    Biases.HN: ("one bias vector per gate and the candidate's recurrent bias b_hn", "1 bias/gate + b_hn"),
}


def _bias_blocks(cell: CellSpec) -> int:
    return sum(1 for role in cell.roles for p in (Param.BX, Param.BH) if cell.has(p, role))


def _peephole_blocks(cell: CellSpec) -> int:
    return sum(1 for role in cell.roles if cell.has(Param.PEEP, role))


def cell_reasons(a: CellSpec, b: CellSpec, short: bool = False, base: str = "the other") -> list[str]:
    """Why cell ``b`` has another count than cell ``a`` (of framework ``base``) of the same spec layer."""
    reasons = []
    if a.biases is Biases.ONE and b.biases is Biases.TWO and not short:
        reasons.append("a second bias vector per gate (an input-side and a recurrent-side one)")
    elif a.biases is not b.biases:
        if short:
            text = f"{BIAS_WORDS[b.biases][1]} (vs {BIAS_WORDS[a.biases][1]})"
        else:
            text = f"{BIAS_WORDS[b.biases][0]} where {base} keeps {BIAS_WORDS[a.biases][0]}"
        reasons.append(text)
    if b.kind is Kind.GRU and a.reset_after != b.reset_after and a.biases is not b.biases:
        where = "after" if b.reset_after else "before"
        reasons[-1] += f", reset {where}" if short else f", as it applies the reset gate {where} the recurrent product"
    if _peephole_blocks(a) != _peephole_blocks(b):
        reasons.append(
            ("peepholes" if short else "peephole weights, 3 per cell unit") if b.peepholes else "no peepholes"
        )
    if a.proj != b.proj:  # pragma: no cover - one spec gives every framework the same projection
        reasons.append("a projection")
    return reasons


def _explain_difference(
    base: Report, other: Report, left: list[LayerReport], right: list[LayerReport], a: int, b: int
) -> str:
    name = left[0].name if left else right[0].name
    head = f"{name}: {other.framework_display} {fmt(b)} vs {base.framework_display} {fmt(a)} ({b - a:+,})"
    cells_a = [(c, x.directions) for x in left for c in x.cells]
    cells_b = [(c, x.directions) for x in right for c in x.cells]
    if not cells_a or len(cells_a) != len(cells_b):
        return head + "."
    ca, cb = cells_a[0][0].cell, cells_b[0][0].cell
    reasons = cell_reasons(ca, cb, base=base.framework_display)
    if not reasons:
        return head + "."
    instances = sum(d for _, d in cells_a)
    blocks = _bias_blocks(cb) - _bias_blocks(ca) + _peephole_blocks(cb) - _peephole_blocks(ca)
    tail = ""
    if blocks * cb.units * instances == b - a and blocks:
        many = f"{instances} × " if instances > 1 else ""
        tail = f", {many}{abs(blocks)}·{cb.units} = {b - a:+,}"
    return f"{head}: {other.framework_display} keeps " + "; ".join(reasons) + tail + "."


def short_reasons(base: Report, other: Report) -> str:
    """What makes ``other``'s total differ from ``base``'s, in a few words (for a table cell)."""
    found: list[str] = []
    left, right = _by_spec_layer(base), _by_spec_layer(other)
    for index, layers in left.items():
        mine = right.get(index, [])
        cells_a = [c.cell for x in layers for c in x.cells]
        cells_b = [c.cell for x in mine for c in x.cells]
        if cells_a and len(cells_a) == len(cells_b):
            for reason in cell_reasons(cells_a[0], cells_b[0], short=True):
                if reason not in found:
                    found.append(reason)
    return "; ".join(found)


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
                report.framework,
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
            fw = frameworks.get(report.framework)
            header = gate_header(layer, fw)
            lines += _md_table(header, [list(r) for r in gate_rows(layer)], right=[len(header) - 1])
            lines.append("")
            lines.append(_gate_legend(layer, fw))
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
    for fid, why in reports.failures:
        lines += [f"**{fid}:** cannot build this model: {why}", ""]
    diffs = differences(reports)
    if diffs:
        lines += ["## Why the totals differ", ""] + [f"- {d}" for d in diffs] + [""]
    return "\n".join(lines)


def _peepholes(layer: LayerReport) -> bool:
    return any(c.cell.peepholes for c in layer.cells)


def gate_header(layer: LayerReport, fw: Framework) -> list[str]:
    """Cell, gate, the two weights with the framework's own symbols and orientation, bias, params."""
    rows_first = not any(
        p.transpose or p.reinterpret for t in layer.tensors for p in t.placements if p.param is Param.U
    )
    i_dims, h_dims = ("H×I", "H×R") if rows_first else ("I×H", "R×H")
    if not any(c.proj_size for c in layer.cells):
        h_dims = "H×H"
    header = ["Cell", "Gate", f"{fw.input_symbol} ({i_dims})", f"{fw.recurrent_symbol} ({h_dims})", "Bias"]
    if _peepholes(layer):
        header.append("Peephole")
    return [*header, "Params"]


def gate_rows(layer: LayerReport) -> list[tuple[str, ...]]:
    """One row per gate, per stacked layer and direction, and one per projection: they add up to the layer."""
    rows: list[tuple[str, ...]] = []
    multi = len(layer.cells) > 1 or layer.directions > 1
    peepholes = _peepholes(layer)
    projections: dict[tuple[int, int], int] = {}
    for t in layer.tensors:
        for p in t.placements:
            if p.param is Param.PROJ:
                d = t.direction if p.direction is None else p.direction
                key = (t.stack_index or 0, d or 0)
                projections[key] = projections.get(key, 0) + p.size

    def cell_label(k: int, d: int) -> str:
        label = (f"layer {k} " if len(layer.cells) > 1 else "") + (
            ("backward" if d else "forward") if layer.directions > 1 else ""
        )
        return label.strip() if multi else ""

    gates = layer.gates
    for n, g in enumerate(gates):
        row = [
            cell_label(g.stack_index, g.direction),
            f"{g.symbol} ({g.meaning})",
            shape_text(g.input_weights),
            shape_text(g.recurrent_weights),
            " + ".join(shape_text(b) for b in g.biases) or "none",
        ]
        if peepholes:
            row.append(shape_text(g.peephole) if g.peephole else "none")
        rows.append((*row, fmt(g.params)))
        last_gate = n + 1 == len(gates) or (gates[n + 1].stack_index, gates[n + 1].direction) != (
            g.stack_index,
            g.direction,
        )
        proj = projections.get((g.stack_index, g.direction))
        if last_gate and proj is not None:
            blank = [""] * (4 if peepholes else 3)
            rows.append((cell_label(g.stack_index, g.direction), "projection", *blank, fmt(proj)))
    return rows


def _gate_legend(layer: LayerReport, fw: Framework) -> str:
    """What the gate table's weights multiply, in the framework's own symbols and orientation."""
    text = fw.gate_legend
    projection = next((t for t in layer.tensors if t.role is Role.PROJECTION), None)
    if projection is not None:
        text += (
            f" Each projection, {projection.name} {shape_text(projection.shape)}, maps h_t to "
            f"{layer.cells[0].proj_size} features: R = P = {layer.cells[0].proj_size}."
        )
    if _peepholes(layer):
        text += (
            " Each peephole multiplies the cell state element-wise: c_(t-1) for the input and forget gates, "
            "c_t for the output gate."
        )
    return text


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
    from rich.table import Column as RichColumn
    from rich.table import Table
    from rich.text import Text

    widths, current = [], 0
    for position in KERAS_POSITIONS:
        widths.append(int(position * KERAS_LINE_LENGTH) - current)
        current += widths[-1]
    header = (("Layer (type)", "left"), ("Output Shape", "left"), ("Param #", "right"))
    out: list[str] = []
    several = len(reports.reports) > 1
    for report in reports.reports:
        columns = [RichColumn(h, justify=j, width=w) for (h, j), w in zip(header, widths, strict=True)]  # type: ignore[arg-type]
        table = Table(*columns, width=KERAS_LINE_LENGTH, show_lines=True)
        for layer in report.layers:
            table.add_row(Text(_layer_label(layer)), Text(shape_text(layer.output_shape)), Text(fmt(layer.params)))
        console = Console(file=io.StringIO(), width=80, highlight=False, force_terminal=False, color_system=None)
        if several:  # the blocks look alike: say whose layout each one is
            console.print(Text(f"In {report.framework_display} conventions, as Keras's model.summary() lays it out:"))
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


# --------------------------------------------------------------------------- table


def _table(reports: Comparison, *, width: int | None = None, color: bool | None = None) -> str:
    """The default text: per layer, per gate and per tensor tables and the arithmetic, fitted to ``width``."""
    width = width or DEFAULT_WIDTH
    bold = bool(color)
    out: list[str] = []
    if len(reports.reports) > 1:
        out += _side_by_side(reports, width, bold)
        for line in differences(reports):
            out += wrap(line, width)
        out.append("")
    for fw, why in reports.failures:
        out += [styled(line, BOLD + RED, bold) for line in wrap(f"{fw}: cannot build this model: {why}", width)]
        out.append("")
    if reports.brief:
        ids = ",".join(r.framework for r in reports.reports[:2])
        out += wrap(
            f"Each framework's layers, gates and tensors: --framework {ids} (any list), or --format json.", width
        )
        return "\n".join(out) + "\n"
    for report in reports.reports:
        name = report.model_name or "Model"
        head = f"{name} in {report.framework_display} conventions, input {shape_text(report.input_shape)}"
        out += [styled(line, BOLD, bold) for line in wrap(head, width)]
        columns = (
            Column("Layer", fit="path"),
            Column("Type"),
            Column("Output shape"),
            Column("Params", right=True, fit="keep"),
        )
        rows = [
            (
                layer.name,
                layer.class_name + ("" if layer.trainable else " (frozen)"),
                shape_text(layer.output_shape),
                fmt(layer.params),
            )
            for layer in report.layers
        ]
        out += table(columns, rows, width=width, color=bold)
        for layer in report.layers:
            if layer.recurrent:
                out.append("")
                out += _recurrent_lines(layer, frameworks.get(report.framework), width, bold)
        out.append("")
        out += grid(
            [
                ("Total params", fmt(report.total)),
                ("Trainable params", fmt(report.trainable)),
                ("Non-trainable params", fmt(report.non_trainable)),
            ],
            right=(1,),
        )
        if len(report.layers) > 1:
            out += wrap(total_arithmetic(report), width, subsequent="    ")
        for note in report.notes:
            out += [styled(line, ITALIC, bold) for line in wrap(note, width)]
        out.append("")
    return "\n".join(out) + "\n"


def _recurrent_lines(layer: LayerReport, fw: Framework, width: int, color: bool) -> list[str]:
    cell = layer.cells[0]
    title = (
        f"{layer.name}: {layer.class_name}, {cell.gates} gate{'s' if cell.gates > 1 else ''}, "
        f"{cell.units} units on {cell.input_size} features"
    )
    multi = len(layer.cells) > 1 or layer.directions > 1
    header = gate_header(layer, fw)
    columns = [
        Column(h, right=i == len(header) - 1, fit="keep" if i == len(header) - 1 else "wrap")
        for i, h in enumerate(header)
    ]
    rows = gate_rows(layer)
    if not multi:
        columns, rows = columns[1:], [r[1:] for r in rows]
    out = table(columns, rows, width=width, title=title, color=color)
    out += wrap(_gate_legend(layer, fw), width)
    tensors = [(t.path, shape_text(t.shape), fmt(t.params)) for t in layer.tensors]
    out += table(
        (Column("Tensor", fit="path"), Column("Shape"), Column("Params", right=True, fit="keep")),
        tensors,
        width=width,
        color=color,
    )
    out += [styled(line, BOLD, color) for line in wrap(layer.formula, width, indent="  ", subsequent="    ")]
    return out


#: spec layers shown as columns of the side-by-side table, at most (those whose counts differ)
SIDE_LAYERS = 3


def _side_by_side(reports: Comparison, width: int, color: bool) -> list[str]:
    """Each framework's total, the spec layers whose counts differ, the difference from the first, and why."""
    base = reports.reports[0]
    groups = [_by_spec_layer(r) for r in reports.reports]
    counts = {index: [sum(x.params for x in g.get(index, [])) for g in groups] for index in _by_spec_layer(base)}
    differing = [index for index, values in counts.items() if len(set(values)) > 1][:SIDE_LAYERS]
    rows_wanted = len(reports.reports) + len(reports.failures)
    for shown in range(len(differing), -1, -1):  # as many layer columns as leave the reasons room
        lines = _side_table(reports, counts, differing[:shown], width, color)
        if shown == 0 or (max(len(x) for x in lines) <= width and len(lines) <= 2 + 2 * rows_wanted):
            return lines
    return lines  # pragma: no cover - the loop returns at shown == 0


def _side_table(
    reports: Comparison, counts: dict[int, list[int]], layers: list[int], width: int, color: bool
) -> list[str]:
    base = reports.reports[0]
    kinds = {i: _by_spec_layer(base)[i][0].type.value for i in layers}
    columns = [
        Column("Framework"),
        *(Column(f"layers[{i}] {kinds[i]}", right=True, fit="keep") for i in layers),
        Column("Total", right=True, fit="keep"),
        Column(f"vs {base.framework_display}", right=True, fit="keep"),
        Column("Why"),
    ]
    rows = []
    for n, report in enumerate(reports.reports):
        delta = report.total - base.total
        why = "" if report is base else (short_reasons(base, report) if delta else "the same count")
        values = [fmt(counts[i][n]) for i in layers]
        rows.append((report.framework_display, *values, fmt(report.total), f"{delta:+,}" if n else "", why))
    for fid, _reason in reports.failures:
        rows.append((frameworks.display(fid), *(["-"] * len(layers)), "-", "", "cannot build it (see below)"))
    return table(columns, rows, width=width, title="Side by side", color=color)


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

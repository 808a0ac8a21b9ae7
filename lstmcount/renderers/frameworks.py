"""The frameworks side by side: each one's classes, gate orders, bias layout and a real count.

Every figure is counted from the framework's module by the counter, for an LSTM and a GRU of
128 units on 100 features: nothing here is written by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstmcount import frameworks
from lstmcount.cells import Kind, Param
from lstmcount.counting.counter import count
from lstmcount.model.report import LayerReport, fmt
from lstmcount.model.spec import spec_from_dict
from lstmcount.renderers.text import DEFAULT_WIDTH, Column, table, wrap

#: the example every row counts: the classic layer of 128 units on 100 features
INPUTS, UNITS = 100, 128
KINDS = {Kind.LSTM: "lstm", Kind.GRU: "gru", Kind.RNN: "simple_rnn"}


@dataclass(frozen=True)
class Row:
    """One framework: what it calls its classes, how it orders and stores the gates, what it counts."""

    id: str
    display: str
    checked: str
    classes: dict[Kind, tuple[str, ...]]
    gates: dict[Kind, str]
    biases: dict[Kind, str]
    totals: dict[Kind, int]


def _biases(layer: LayerReport) -> str:
    """The tensors of a layer's first cell that hold biases, with their shapes."""
    held = [
        t
        for t in layer.tensors
        if t.holds(layer.cells[0].stack_index, 0) and any(p.param in (Param.BX, Param.BH) for p in t.placements)
    ]
    if not held:
        return "none"
    if len(held) > 2:
        shapes = sorted({_dims(t.shape) for t in held})
        return f"{len(held)} tensors {' or '.join(shapes)}"
    return " + ".join(f"{t.name} {_dims(t.shape)}" for t in held)


def _dims(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def rows() -> list[Row]:
    """Every framework's row, in comparison order."""
    out = []
    for fw in frameworks.every():
        gates, biases, totals = {}, {}, {}
        for kind, type_ in KINDS.items():
            if not fw.class_names(kind):
                continue
            spec = spec_from_dict(
                {"framework": fw.id, "input": {"features": INPUTS}, "layers": [{"type": type_, "units": UNITS}]}
            )
            layer = count(spec).layers[0]
            gates[kind] = ", ".join(g.symbol for g in layer.gate_defs)
            biases[kind] = _biases(layer)
            totals[kind] = layer.params
        classes = {kind: fw.class_names(kind) for kind in KINDS if fw.class_names(kind)}
        out.append(Row(fw.id, fw.display, fw.checked, classes, gates, biases, totals))
    return out


def _cell(row: Row, kind: Kind, what: str) -> str:
    if kind not in row.totals:
        return "-"
    if what == "gates":
        return row.gates[kind]
    if what == "biases":
        return row.biases[kind]
    return fmt(row.totals[kind])


HEADER = (
    "Framework",
    "LSTM gates",
    "GRU gates",
    "LSTM biases",
    "GRU biases",
    f"LSTM {INPUTS}→{UNITS}",
    f"GRU {INPUTS}→{UNITS}",
)


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.id,
        _cell(row, Kind.LSTM, "gates"),
        _cell(row, Kind.GRU, "gates"),
        _cell(row, Kind.LSTM, "biases"),
        _cell(row, Kind.GRU, "biases"),
        _cell(row, Kind.LSTM, "total"),
        _cell(row, Kind.GRU, "total"),
    )


def _classes(row: Row) -> str:
    names = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN: "simple RNN"}
    return "; ".join(f"{names[k]}: {', '.join(c)}" for k, c in row.classes.items())


def render_text(width: int | None = None) -> str:
    """The table of every framework, then each one's classes (the first of each kind is the default)."""
    width = width or DEFAULT_WIDTH
    all_rows = rows()
    columns = [Column(h, right="→" in h, fit="wrap" if "biases" in h else "keep") for h in HEADER]
    out = table(columns, [_cells(r) for r in all_rows], width=width)
    out.append("")
    out += wrap("Classes (the first of each kind is the default; --class or a spec's class: picks another):", width)
    for r in all_rows:
        line = f"{r.id} ({r.display}, checked with {r.checked}): {_classes(r)}"
        out += wrap(line, width, indent="  ", subsequent="    ")
    return "\n".join(out) + "\n"


def render_markdown() -> str:
    """The same as Markdown tables."""
    all_rows = rows()
    lines = ["| " + " | ".join(HEADER) + " |", "| " + " | ".join(["---"] * 5 + ["---:"] * 2) + " |"]
    lines += ["| " + " | ".join(f"`{c}`" if i == 0 else c for i, c in enumerate(_cells(r))) + " |" for r in all_rows]
    lines += ["", "| Framework | Shown as | Classes (the first of each kind is the default) | Checked with |"]
    lines += ["| --- | --- | --- | --- |"]
    lines += [f"| `{r.id}` | {r.display} | {_classes(r)} | {r.checked} |" for r in all_rows]
    return "\n".join(lines) + "\n"

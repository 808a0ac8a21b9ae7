"""The ``explain`` command: a cell's equations with shapes, its fused tensors, count and unrolled view.

Everything framework-specific (gate order, tensor names, layouts, gate axes, bias vectors) is
read from the count report and the convention table; this module only writes it out in one of
three notations (``keras`` row vectors, ``pytorch`` column vectors, ``concat`` one matrix over
``[h_{t-1}, x_t]``), as plain text or as Markdown with LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from math import prod
from typing import TYPE_CHECKING, Any

from lstmcount.count.counter import cell_formula, cell_params, fmt
from lstmcount.errors import UsageError
from lstmcount.frameworks import Convention, Gate, Role, convention
from lstmcount.model.report import CellInfo, LayerReport, Report, TensorReport
from lstmcount.model.spec import GRUSpec, LayerType, ModelSpec, SimpleRNNSpec
from lstmcount.renderers import text
from lstmcount.renderers.text import Column

if TYPE_CHECKING:
    from lstmcount.numeric.bptt import BPTTResult


class Notation(StrEnum):
    """How the equations are written."""

    KERAS = "keras"  # row vectors: x_t U + h_{t-1} W + b
    PYTORCH = "pytorch"  # column vectors: W_ii x_t + b_ii + W_hi h_{t-1} + b_hi
    CONCAT = "concat"  # one matrix over the concatenation: W_i [h_{t-1}, x_t] + b_i


#: The transpose mark after a tensor slice, in plain text and in Markdown.
TRANSPOSE = {False: "ᵀ", True: r"$^\top$"}

#: Time steps drawn in the unrolled view when the model does not fix them.
DEFAULT_STEPS = 3


# --------------------------------------------------------------------------- document model


@dataclass(frozen=True)
class Eq:
    """One equation: left side, right side and a short note."""

    lhs: str
    rhs: str
    note: str = ""


@dataclass
class Section:
    """A titled part of the explanation: equations, a table, text lines or a drawing."""

    title: str
    items: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """Rows under a header."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Verbatim:
    """Lines rendered elsewhere, passed through unchanged in both formats."""

    lines: tuple[str, ...]


@dataclass(frozen=True)
class Drawing:
    """Preformatted lines (kept as they are in both formats)."""

    lines: tuple[str, ...]


class Writer:
    """Writes symbols as plain text or as LaTeX (inside ``$...$`` for Markdown text)."""

    def __init__(self, tex: bool) -> None:
        self.tex = tex

    def sub(self, base: str, index: str) -> str:
        """``base`` with subscript ``index`` (no subscript when ``index`` is empty)."""
        if not index:
            return base
        return f"{base}_{{{index}}}" if self.tex else f"{base}_{index}"

    def sup(self, base: str, sup: str, index: str) -> str:
        """A bias with a superscript marking input (x) or recurrent (h): ``b^{x}_{z}``."""
        return f"{base}^{{{sup}}}_{{{index}}}" if self.tex else f"{base}{sup}_{index}"

    def act(self, name: str, inner: str) -> str:
        """An activation applied element-wise."""
        if self.tex:
            return {"sigmoid": r"\sigma", "tanh": r"\tanh"}.get(name, rf"\mathrm{{{name}}}") + f"({inner})"
        return f"{name}({inner})"

    def tilde(self, symbol: str) -> str:
        """A candidate value written with a tilde: ``c~_t``."""
        return rf"\tilde{{{symbol}}}_t" if self.tex else f"{symbol}~_t"

    def t(self, name: str) -> str:
        """The transpose of ``name``."""
        return f"{name}^{{\\top}}" if self.tex else f"{name}ᵀ"

    @property
    def odot(self) -> str:
        """Element-wise product."""
        return r"\odot" if self.tex else "⊙"

    @property
    def minus(self) -> str:
        """A minus sign."""
        return "-" if self.tex else "−"

    def m(self, expr: str) -> str:
        """An expression inside running text."""
        return f"${expr}$" if self.tex else expr

    def code(self, text: str) -> str:
        """A tensor name or slice inside running text."""
        return f"`{text}`" if self.tex else text


def shape(dims: Sequence[int]) -> str:
    """A shape as Python prints a tuple."""
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


# --------------------------------------------------------------------------- one recurrent layer


@dataclass(frozen=True)
class Cell:
    """What the equations of one recurrent layer need: sizes, gates, framework and notation."""

    layer: LayerReport
    info: CellInfo
    conv: Convention
    notation: Notation
    w: Writer
    activation: str  # of a simple RNN
    reset_after: bool  # of a GRU

    @property
    def gates(self) -> tuple[Gate, ...]:
        """Gates in the framework's order."""
        return tuple(self.conv.gates[self.layer.type])

    @property
    def n_gates(self) -> int:
        """Number of gates."""
        return len(self.gates)

    def gate(self, role: str) -> Gate:
        """The gate with ``role``."""
        return next(g for g in self.gates if g.role == role)

    @property
    def two_biases(self) -> bool:
        """Whether each gate has an input and a recurrent bias vector."""
        return self.info.bias_vectors == 2

    @property
    def row(self) -> bool:
        """Row vectors (Keras notation) rather than column vectors."""
        return self.notation is Notation.KERAS

    def idx(self, gate: Gate) -> str:
        """The subscript of a gate's matrices (none for the single matrix pair of a simple RNN)."""
        if self.n_gates == 1 and self.notation is not Notation.PYTORCH:
            return ""
        return gate.symbol

    # names of the per-gate parameters in the chosen notation -----------------------------
    def u(self, gate: Gate) -> str:
        """The matrix that multiplies x_t."""
        if self.row:
            return self.w.sub("U", self.idx(gate))
        return self.w.sub("W", "i" + self.idx(gate))

    def wr(self, gate: Gate) -> str:
        """The matrix that multiplies h_{t-1}."""
        if self.row:
            return self.w.sub("W", self.idx(gate))
        return self.w.sub("W", "h" + self.idx(gate))

    def wcat(self, gate: Gate) -> str:
        """The concatenated matrix of a gate (concat notation)."""
        return self.w.sub("W", self.idx(gate))

    def b(self, gate: Gate) -> str:
        """The single bias vector of a gate."""
        return self.w.sub("b", self.idx(gate))

    def bx(self, gate: Gate) -> str:
        """The input bias of a gate (two-bias layouts)."""
        if self.row:
            return self.w.sup("b", "x", self.idx(gate))
        return self.w.sub("b", "i" + self.idx(gate))

    def bh(self, gate: Gate) -> str:
        """The recurrent bias of a gate (two-bias layouts)."""
        if self.row:
            return self.w.sup("b", "h", self.idx(gate))
        return self.w.sub("b", "h" + self.idx(gate))

    def proj(self) -> str:
        """The projection matrix (PyTorch LSTM proj_size)."""
        return self.w.sub("W", "r" if self.row else "hr")

    def var(self, gate: Gate) -> str:
        """The value a gate computes at step t; a candidate that shares a state's letter gets a tilde."""
        state_letters = {"h"} | ({"c"} if self.layer.type is LayerType.LSTM else set())
        if gate.symbol in state_letters:
            return self.w.tilde(gate.symbol)
        return self.w.sub(gate.symbol, "t")

    # pieces of the equations ----------------------------------------------------------------
    def input_part(self, gate: Gate) -> str:
        """The input product of a gate, with its input bias when there are two."""
        x = "x_t"
        text = f"{x} {self.u(gate)}" if self.row else f"{self.u(gate)} {x}"
        if self.two_biases:
            text += f" + {self.bx(gate)}"
        return text

    def recurrent_part(self, gate: Gate, h: str = "h_{t-1}") -> str:
        """The recurrent product of a gate, with its recurrent bias when there are two."""
        text = f"{h} {self.wr(gate)}" if self.row else f"{self.wr(gate)} {h}"
        if self.two_biases:
            text += f" + {self.bh(gate)}"
        return text

    def affine(self, gate: Gate, h: str = "h_{t-1}") -> str:
        """The whole pre-activation of a gate."""
        if self.notation is Notation.CONCAT:
            text = f"{self.wcat(gate)} [{h}, x_t]"
            if self.two_biases:
                text += f" + {self.w.sub('b', 'i' + self.idx(gate))} + {self.w.sub('b', 'h' + self.idx(gate))}"
        else:
            text = f"{self.input_part(gate)} + {self.recurrent_part(gate, h)}"
        if self.info.bias_vectors == 1:
            text += f" + {self.b(gate)}"
        return text

    def split_parts(self, gate: Gate) -> tuple[str, str]:
        """The input and recurrent products written apart (for the concat notation's exceptions)."""
        w_in = self.w.sub("W", "i" + self.idx(gate))
        w_h = self.w.sub("W", "h" + self.idx(gate))
        xin = f"{w_in} x_t" + (f" + {self.w.sub('b', 'i' + self.idx(gate))}" if self.two_biases else "")
        hin = f"{w_h} h_{{t-1}}" + (f" + {self.w.sub('b', 'h' + self.idx(gate))}" if self.two_biases else "")
        return xin, hin


def _note(gate: Gate) -> str:
    meaning = gate.meaning
    return meaning if "candidate" in meaning else f"{meaning} gate"


def equations(cell: Cell) -> list[Eq]:
    """The equations of one time step, in the framework's gate order."""
    w = cell.w
    out: list[Eq] = []
    kind = cell.layer.type
    if kind is LayerType.SIMPLE_RNN:
        gate = cell.gates[0]
        out.append(Eq("h_t", w.act(cell.activation, cell.affine(gate)), "new hidden state = output"))
        return out
    if kind is LayerType.LSTM:
        for gate in cell.gates:
            out.append(Eq(cell.var(gate), w.act(gate.activation, cell.affine(gate)), _note(gate)))
        i, f, g, o = (cell.var(cell.gate(r)) for r in "ifgo")
        out.append(Eq("c_t", f"{f} {w.odot} c_{{t-1}} + {i} {w.odot} {g}", "cell state: a gated sum, no activation"))
        inner = f"{o} {w.odot} {w.act('tanh', 'c_t')}"
        if cell.info.proj_size:
            rhs = f"({inner}) {cell.proj()}" if cell.row else f"{cell.proj()} ({inner})"
            out.append(Eq("h_t", rhs, "projected output and next hidden state"))
        else:
            out.append(Eq("h_t", inner, "output and next hidden state"))
        return out
    # GRU
    r_gate, z_gate, n_gate = cell.gate("r"), cell.gate("z"), cell.gate("n")
    r = cell.var(r_gate)
    for gate in cell.gates:
        if gate is not n_gate:
            out.append(Eq(cell.var(gate), w.act(gate.activation, cell.affine(gate)), _note(gate)))
            continue
        if cell.reset_after:
            if cell.notation is Notation.CONCAT:
                xin, hin = cell.split_parts(gate)
                note = "candidate: reset after the product, so no single matrix over [h_{t-1}, x_t]"
            else:
                xin, hin = cell.input_part(gate), cell.recurrent_part(gate)
                note = "candidate: reset applied after the recurrent product"
            pre = f"{xin} + {r} {w.odot} ({hin})"
            if cell.info.bias_vectors == 1:  # pragma: no cover - reset_after always keeps two biases
                pre += f" + {cell.b(gate)}"
        else:
            pre = cell.affine(
                gate, h=f"{r} {w.odot} h_{{t-1}}" if cell.notation is Notation.CONCAT else f"({r} {w.odot} h_{{t-1}})"
            )
            note = "candidate: reset applied to h_{t-1} before the product"
        out.append(Eq(cell.var(gate), w.act(gate.activation, pre), note))
    z, n = cell.var(z_gate), cell.var(n_gate)
    out.append(Eq("h_t", f"{z} {w.odot} h_{{t-1}} + (1 {w.minus} {z}) {w.odot} {n}", "new hidden state = output"))
    return out


def _vec(cell: Cell, n: int) -> str:
    return shape((1, n)) if cell.row else shape((n,))


def shapes(cell: Cell) -> Table:
    """Every matrix and vector of the equations with its shape for this model."""
    w, info = cell.w, cell.info
    i_, h_, r_ = info.input_size, info.units, info.output_size
    gates = cell.gates
    rows: list[tuple[str, str, str]] = []

    def names(fn: Any) -> str:
        return ", ".join(w.m(fn(g)) for g in gates)

    if cell.notation is Notation.CONCAT:
        rows.append(
            (
                names(cell.wcat),
                shape((h_, r_ + i_)),
                "trained: recurrent and input weights side by side, multiply " + w.m("[h_{t-1}, x_t]"),
            )
        )
    else:
        u_shape = (i_, h_) if cell.row else (h_, i_)
        w_shape = (r_, h_) if cell.row else (h_, r_)
        rows.append((names(cell.u), shape(u_shape), "trained: input weights, multiply " + w.m("x_t")))
        rows.append((names(cell.wr), shape(w_shape), "trained: recurrent weights, multiply " + w.m("h_{t-1}")))
    if cell.info.bias_vectors == 1:
        rows.append((names(cell.b), shape((h_,)), "trained: biases"))
    elif cell.two_biases:
        if cell.notation is Notation.CONCAT:
            rows.append((names(lambda g: w.sub("b", "i" + cell.idx(g))), shape((h_,)), "trained: input biases"))
            rows.append((names(lambda g: w.sub("b", "h" + cell.idx(g))), shape((h_,)), "trained: recurrent biases"))
        else:
            rows.append((names(cell.bx), shape((h_,)), "trained: input biases"))
            rows.append((names(cell.bh), shape((h_,)), "trained: recurrent biases"))
    if info.proj_size:
        p_shape = (h_, info.proj_size) if cell.row else (info.proj_size, h_)
        rows.append((w.m(cell.proj()), shape(p_shape), "trained: projection of the output"))
    rows.append((w.m("x_t"), _vec(cell, i_), "input at step t (a batch stacks B of them)"))
    if cell.notation is Notation.CONCAT:
        both = w.m("h_{t-1}") + " and " + w.m("x_t") + " one after the other"
        rows.append((w.m("[h_{t-1}, x_t]"), _vec(cell, r_ + i_), both))
    rows.append((w.m("h_{t-1}") + ", " + w.m("h_t"), _vec(cell, r_), "hidden state: computed, not trained"))
    if cell.layer.type is LayerType.LSTM:
        rows.append((w.m("c_{t-1}") + ", " + w.m("c_t"), _vec(cell, h_), "cell state: computed, not trained"))
    if cell.n_gates > 1:
        rows.append((", ".join(w.m(cell.var(g)) for g in gates), _vec(cell, h_), "gate values: computed, not trained"))
    return Table(("Symbol", "Shape", "What it is"), tuple(rows))


def _block_names(cell: Cell, tensor: TensorReport, row: int | None) -> list[tuple[Gate, str]]:
    """The notation's name of each gate block of ``tensor`` (``row`` picks a row of a 2-row bias)."""
    out = []
    for gate in cell.gates:
        if tensor.role is Role.INPUT:
            name = cell.w.sub("W", "i" + cell.idx(gate)) if cell.notation is Notation.CONCAT else cell.u(gate)
        elif tensor.role is Role.RECURRENT:
            name = cell.w.sub("W", "h" + cell.idx(gate)) if cell.notation is Notation.CONCAT else cell.wr(gate)
        elif tensor.role is Role.INPUT_BIAS or row == 0:
            name = cell.w.sub("b", "i" + cell.idx(gate)) if cell.notation is Notation.CONCAT else cell.bx(gate)
        elif tensor.role is Role.RECURRENT_BIAS or row == 1:
            name = cell.w.sub("b", "h" + cell.idx(gate)) if cell.notation is Notation.CONCAT else cell.bh(gate)
        else:
            name = cell.b(gate)
        out.append((gate, name))
    return out


def _column_layout(tensor: TensorReport) -> bool:
    """Whether a gate-stacked weight is stored (G·H, I), to multiply a column vector, not (I, G·H)."""
    return tensor.gate_axis == 0


def fused(cell: Cell, tensors: Sequence[TensorReport]) -> tuple[list[str], Table, list[str]]:
    """How each fused tensor of one cell splits into the per-gate matrices of the notation.

    Returns a lead line, a table (one row per gate, one column per gate-stacked tensor) and a
    line for each tensor that is not split by gate (the projection).
    """
    w = cell.w
    h_ = cell.info.units
    order = ", ".join(g.symbol for g in cell.gates)
    if cell.n_gates > 1:
        lead = [
            f"{cell.conv.display} stacks the {cell.n_gates} gates in the order {order}, each block "
            f"{h_} wide along the gate axis:"
        ]
    else:
        lead = [f"One gate ({order}): each {cell.conv.display} tensor is its matrix or bias whole:"]
    stacked = [t for t in tensors if t.gate_axis is not None]
    header = ["Gate"]
    columns: list[list[str]] = []
    for tensor in stacked:
        axis = tensor.gate_axis
        assert axis is not None
        header.append(f"{w.code(tensor.name)} {shape(tensor.shape)}, axis {tensor.gate_axis}")
        two_rows = len(tensor.shape) == 2 and tensor.role is Role.BIAS
        cells: list[list[str]] = [[] for _ in cell.gates]
        for row in [0, 1] if two_rows else [None]:
            for k, (_gate, name) in enumerate(_block_names(cell, tensor, row)):
                index = []
                for dim in range(len(tensor.shape)):
                    if dim == axis:
                        index.append(f"{k * h_}:{(k + 1) * h_}")
                    elif row is not None:
                        index.append(str(row))
                    else:
                        index.append(":")
                block = list(tensor.shape)
                block[axis] = h_
                if row is not None:
                    block = block[1:]
                text = f"{w.m(name)} = {w.code('[' + ', '.join(index) + ']')}"
                if len(block) == 2 and _column_layout(tensor) == cell.row:
                    text += TRANSPOSE[w.tex]
                cells[k].append(text)
        columns.append(["; ".join(c) for c in cells])
    rows = tuple((g.symbol, *(col[k] for col in columns)) for k, g in enumerate(cell.gates))
    rest = []
    for tensor in tensors:
        if tensor.gate_axis is not None:
            continue
        text = f"{w.code(tensor.name)} {shape(tensor.shape)} is not split by gate: {w.m(cell.proj())} = "
        text += w.code(tensor.name)
        if cell.conv.out_features_first == cell.row:
            text += TRANSPOSE[w.tex]
        rest.append(text + ".")
    return lead, Table(tuple(header), rows), rest


def relations(cell: Cell) -> list[str]:
    """How the three notations relate, and which letter is which."""
    w, info = cell.w, cell.info
    g = cell.gates[0]
    s = g.symbol if cell.n_gates > 1 else ""
    u = w.sub("U", s)
    wk = w.sub("W", s)
    wi = w.sub("W", "i" + g.symbol)
    wh = w.sub("W", "h" + g.symbol)
    i_, h_, r_ = info.input_size, info.units, info.output_size
    lines = [
        f"Row and column vectors: {w.m('x_t ' + u)} (Keras notation, {w.m(u)} is {shape((i_, h_))}) and "
        f"{w.m(wi + ' x_t')} (PyTorch notation, {w.m(wi)} is {shape((h_, i_))}) are the same product, "
        f"with {w.m(wi + ' = ' + w.t(u))}; likewise {w.m(wh + ' = ' + w.t(wk))} for the recurrent weights.",
        f"Concatenated: {w.m(w.sub('W', s) + ' [h_{t-1}, x_t]')} puts {w.m(wh)} and {w.m(wi)} side by "
        f"side, {shape((h_, r_ + i_))}: {h_}×{r_ + i_} = {fmt(h_ * (r_ + i_))} = {h_}×{r_} + {h_}×{i_}, "
        "the same weights and the same count. "
        f"(So {w.m(wk)} names the recurrent matrix in Keras notation but the whole concatenated matrix "
        "in concat notation.)",
        f"Which letter is which: texts differ (some swap U and W). Go by the shape: the matrix with "
        f"{i_} (the input features) on one side multiplies {w.m('x_t')}; the one that multiplies "
        f"{w.m('h_{t-1}')} has {r_} on that side.",
    ]
    return lines


def count_lines(report: Report, cells: dict[str, Cell]) -> list[str]:
    """The count, step by step, ending in the report's total."""
    lines = []
    for layer in report.layers:
        cell = cells.get(layer.name)
        if cell is None:
            lines.append(f"{layer.name} ({layer.class_name}): {layer.formula}")
            continue
        w = cell.w
        for info in layer.cells:
            g = cell.gates[0]
            if cell.notation is Notation.CONCAT:
                n_cat = info.units * (info.output_size + info.input_size)
                terms = [f"{w.m(cell.wcat(g))} {info.units}×{info.output_size + info.input_size} ({fmt(n_cat)})"]
            else:
                u_dims = (info.input_size, info.units) if cell.row else (info.units, info.input_size)
                w_dims = (info.output_size, info.units) if cell.row else (info.units, info.output_size)
                terms = [
                    f"{w.m(cell.u(g))} {u_dims[0]}×{u_dims[1]} ({fmt(prod(u_dims))})",
                    f"{w.m(cell.wr(g))} {w_dims[0]}×{w_dims[1]} ({fmt(prod(w_dims))})",
                ]
            if info.bias_vectors == 1:
                terms.append(f"{w.m(cell.b(g))} {info.units}")
            elif info.bias_vectors == 2:
                terms.append(f"two biases 2×{info.units} ({2 * info.units})")
            per_gate = cell_params(info) - info.units * info.proj_size
            per_gate //= info.gates
            where = f"{layer.name}" + (f", layer {info.stack_index}" if len(layer.cells) > 1 else "")
            lines.append(f"{where}, one gate: " + " + ".join(terms) + f" = {fmt(per_gate)}")
            if info.gates > 1:
                lines.append(
                    f"{where}, {info.gates} gates ({', '.join(x.symbol for x in cell.gates)}): "
                    f"{info.gates} × {fmt(per_gate)} = {fmt(per_gate * info.gates)}"
                )
            if info.proj_size:
                lines.append(
                    f"{where}, projection: {w.m(cell.proj())} {info.units}×{info.proj_size} = "
                    f"{fmt(info.units * info.proj_size)}"
                )
            if layer.directions > 1:
                lines.append(
                    f"{where}, {layer.directions} directions, each with its own weights: "
                    f"{layer.directions} × {fmt(cell_params(info))} = "
                    f"{fmt(layer.directions * cell_params(info))}"
                )
            if len(layer.cells) > 1 or layer.directions > 1:
                lines.append(f"{where}, formula: {cell_formula(info)} = {fmt(cell_params(info))}")
        stored = [t for t in layer.tensors if t.stack_index == layer.cells[0].stack_index and t.direction == 0]
        lines.append(
            f"{layer.name}, as {cell.conv.display} stores one cell: "
            + " + ".join(f"{w.code(t.name)} {'×'.join(map(str, t.shape))}" for t in stored)
            + f" = {fmt(sum(t.params for t in stored))}"
        )
        lines.append(f"{layer.name} ({layer.class_name}): {layer.formula}")
    parts = " + ".join(fmt(layer.params) for layer in report.layers)
    lines.append(f"Total: {parts} = {fmt(report.total)}" if len(report.layers) > 1 else f"Total: {fmt(report.total)}")
    lines.append("No batch size B and no number of time steps T in any term: the count depends on neither.")
    return lines


def unrolled(cell: Cell, steps: int, width: int | None = None) -> tuple[list[str], list[str]]:
    """The layer drawn over ``steps`` time steps, one box per step, and what the drawing means.

    The boxes name the cell's tensors; where that is wider than ``width``, they say how many.
    """
    layer = cell.layer
    own = [t for t in layer.tensors if t.stack_index == layer.cells[0].stack_index and t.direction == 0]
    state = "h, c" if layer.type is LayerType.LSTM else "h"
    # five boxes at most, whatever T is: the drawing never costs time or memory in proportion to T
    shown = list(range(1, steps + 1)) if steps <= 5 else [1, 2, 0, steps - 1, steps]
    digits = len(str(steps))
    names = f"[ {layer.class_name} cell: {', '.join(t.name for t in own)} ]"
    counted = f"[ {layer.class_name} cell: its {len(own)} tensors ]"
    bare = f"[ {layer.class_name} cell ]"
    single = len(layer.cells) == 1 and layer.directions == 1
    sequence = len(layer.output_shape) == 3
    # the output marks at the ends of the lines, or, to save width, one line under the last step
    for box, inline in ((names, True), (names, False), (counted, False), (bare, False)):
        drawing = [f"{state} at step 0 = 0"]
        for t in shown:
            if t == 0:
                drawing.append(" " * (digits + 6) + "⋮")
                continue
            end = ""
            if single and inline:
                end = (
                    "  → output " + shape_text(layer.output_shape)
                    if t == steps
                    else ("  → output step" if sequence else "")
                )
            label = f"x_{t}".ljust(digits + 2)
            drawing.append(f"step {t:>{digits}}: {label} ─▶ {box} ─▶ {state} at step {t}{end}")
        if single and not inline:
            every = ", every step's h" if sequence else ", the last step's h"
            drawing.append(" " * (digits + 6) + f"→ output {shape_text(layer.output_shape)}{every}")
        if width is None or max(len(line) for line in drawing) <= width:
            break
    params = sum(t.params for t in own)
    meaning = [
        f"The {steps} boxes are one cell drawn {steps} times, not {steps} cells: every step reads the same "
        f"{len(own)} tensors ({', '.join(t.name for t in own)}: {fmt(params)} parameters), so the count is the "
        "same for any T.",
        "Each step passes its state to the next; nothing else is copied from step to step.",
        "Training (backpropagation through time) adds up the gradient that each step contributes to "
        "each tensor and then updates the one shared set once per batch, never one copy per step "
        "(see --bptt).",
    ]
    if len(layer.cells) > 1:
        meaning.append(
            f"Drawn: stacked layer 0. Each of the {len(layer.cells)} stacked layers is a cell like it "
            "with its own weights, unrolled the same way over the outputs of the layer below."
        )
    if layer.directions > 1:
        meaning.append(
            f"A bidirectional layer has a second cell with its own weights that runs from step {steps} back to step 1."
        )
    return drawing, meaning


def shape_text(dims: Sequence[int | None]) -> str:
    """A shape with None for unknown axes."""
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _cell_for(report: Report, layer: LayerReport, spec: ModelSpec, notation: Notation, w: Writer) -> Cell:
    conv = convention(report.framework)
    layer_spec = spec.layers[layer.spec_index]
    activation = "tanh"
    if isinstance(layer_spec, SimpleRNNSpec):
        activation = layer_spec.nonlinearity.value
    reset_after = conv.gru_reset_after_default
    if isinstance(layer_spec, GRUSpec) and layer_spec.reset_after is not None:
        reset_after = layer_spec.reset_after
    return Cell(
        layer=layer,
        info=layer.cells[0],
        conv=conv,
        notation=notation,
        w=w,
        activation=activation,
        reset_after=reset_after,
    )


def build(
    report: Report,
    spec: ModelSpec,
    notation: Notation,
    *,
    tex: bool = False,
    steps: int = DEFAULT_STEPS,
    width: int | None = None,
) -> list[Section]:
    """The explanation of every recurrent layer of ``report``, then its count and unrolled view (drawn to ``width``)."""
    w = Writer(tex)
    cells = {layer.name: _cell_for(report, layer, spec, notation, w) for layer in report.layers if layer.recurrent}
    if not cells:
        raise UsageError("explain needs a recurrent layer (lstm, gru or rnn) in the model")
    sections: list[Section] = []
    kind, formula = {
        Notation.KERAS: ("row vectors", "x_t U + h_{t-1} W + b"),
        Notation.PYTORCH: (
            "column vectors",
            "W_{ii} x_t + W_{hi} h_{t-1} + b" if tex else "W_ii x_t + W_hi h_{t-1} + b",
        ),
        Notation.CONCAT: ("column vectors, one matrix per gate", "W [h_{t-1}, x_t] + b"),
    }[notation]
    style = f"{notation.value} notation: {kind}, {w.m(formula)}"
    for layer in report.layers:
        cell = cells.get(layer.name)
        if cell is None:
            continue
        info = cell.info
        sizes = f"I = {info.input_size} input features, H = {info.units} units"
        if info.proj_size:
            sizes += f", P = {info.proj_size} projection"
        head = f"{layer.name} ({layer.class_name}) in {report.framework_display} conventions"
        section = Section(
            f"{head}: one time step",
            [
                [f"{sizes}.", f"Written in {style}."],
                [eq for eq in equations(cell)],
            ],
        )
        section.items.append(shapes(cell))
        extra = []
        if len(layer.cells) > 1:
            extra.append(
                "Further stacked layers have the same equations with their own weights, input width "
                + ", ".join(f"I = {c.input_size} (layer {c.stack_index})" for c in layer.cells[1:])
                + "."
            )
        if cell.notation is Notation.CONCAT and layer.type is LayerType.GRU and cell.reset_after:
            n_gate = cell.gate("n")
            extra.append(
                f"{w.m(cell.wcat(n_gate))} = [{w.m(cell.split_parts(n_gate)[1].split()[0])} | "
                f"{w.m(cell.split_parts(n_gate)[0].split()[0])}] is counted like the others, "
                "but the candidate uses its two halves apart."
            )
        if layer.directions > 1:
            extra.append("The backward direction has the same equations and shapes with its own weights.")
        trained = "matrices and biases" if info.bias_vectors else "matrices"
        computed = f"{w.m('x_t')}, {w.m('h_t')}" + (" and the gate values" if cell.n_gates > 1 else "")
        extra.append(f"Trained parameters are the {trained} above; {computed} are computed at each step, not trained.")
        section.items.append(extra)
        sections.append(section)
        own = [t for t in layer.tensors if t.stack_index == info.stack_index and t.direction == 0]
        lead, table, rest = fused(cell, own)
        items: list[Any] = [lead, table]
        if rest:
            items.append(rest)
        items.append(relations(cell))
        sections.append(Section(f"{layer.name}: fused tensors and notations", items))
    sections.append(Section("Count, step by step", [count_lines(report, cells)]))
    first = next(iter(cells.values()))
    drawing, meaning = unrolled(first, steps, None if width is None else width - 2)
    sections.append(
        Section(f"{first.layer.name} unrolled over T = {steps} time steps", [Drawing(tuple(drawing)), meaning])
    )
    return sections


# --------------------------------------------------------------------------- rendering


def _table_text(table: Table, width: int) -> list[str]:
    columns = [Column(h, fit="path" if h.startswith("Tensor") else "wrap") for h in table.header]
    return text.table(columns, table.rows, width=width, gap="  ", rule_per_column=True)


def render_text(sections: Sequence[Section], width: int | None = None) -> str:
    """Plain text fitted to ``width`` (default 100): readable on any terminal, stable for golden files."""
    width = width or text.DEFAULT_WIDTH
    inner = width - 2
    out: list[str] = []
    for section in sections:
        if out:
            out.append("")
        out += text.wrap(section.title, width)
        out.append("═" * min(len(section.title), width))
        for item in section.items:
            if isinstance(item, (Verbatim, Drawing)):
                out.extend(("  " + line).rstrip() for line in item.lines)
            elif isinstance(item, Table):
                out.extend(("  " + line).rstrip() for line in _table_text(item, inner))
            elif item and isinstance(item[0], Eq):
                lw = max(len(e.lhs) for e in item)
                rw = max(len(e.rhs) for e in item)
                for e in item:
                    out.extend("  " + line for line in text.equation(e.lhs, e.rhs, e.note, lw, rw, inner))
            else:
                for line in item:
                    out.extend(text.wrap(line, width, indent="  ", subsequent="    "))
    return "\n".join(out) + "\n"


def _tex_note(note: str) -> str:
    """A note for ``\\text{}``: its symbols go back into math mode."""
    return note.replace("[h_{t-1}, x_t]", "$[h_{t-1}, x_t]$").replace(" h_{t-1} ", " $h_{t-1}$ ")


def render_markdown(sections: Sequence[Section]) -> str:
    """Markdown with LaTeX equations, for documentation."""
    out: list[str] = []
    for section in sections:
        out.append(f"## {section.title}")
        out.append("")
        for item in section.items:
            if isinstance(item, Verbatim):
                out.extend(item.lines)
            elif isinstance(item, Table):
                out.append("| " + " | ".join(item.header) + " |")
                out.append("| " + " | ".join("---" for _ in item.header) + " |")
                out.extend("| " + " | ".join(row) + " |" for row in item.rows)
            elif isinstance(item, Drawing):
                out.append("```text")
                out.extend(item.lines)
                out.append("```")
            elif item and isinstance(item[0], Eq):
                out.append("$$")
                out.append(r"\begin{aligned}")
                out.extend(rf"{e.lhs} &= {e.rhs} && \text{{{_tex_note(e.note)}}} \\" for e in item)
                out.append(r"\end{aligned}")
                out.append("$$")
            else:
                out.extend(f"- {line}" if len(item) > 1 else line for line in item)
            out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- command


def costs_lines(
    report: Report,
    batch: int,
    timesteps: int | None,
    lengths: list[int] | None,
    *,
    tex: bool = False,
    width: int | None = None,
) -> list[str]:
    """The compute and memory costs (:mod:`lstmcount.count.costs`) and other tools' numbers, as lines."""
    from lstmcount.count import costs
    from lstmcount.count.compat import headlines

    estimate = costs.estimate(report, batch, timesteps, lengths)
    rendered = costs.render_costs_markdown(estimate) if tex else costs.render_costs_text(estimate, (width or 100) - 2)
    lines = rendered.rstrip("\n").splitlines()
    rows = headlines(report, batch, timesteps or DEFAULT_STEPS)
    if rows:
        lines.append("")
        lines.append("What other tools print for this model (as PyTorch modules):")
        for row in rows:
            lines += text.wrap(row.line(), None if tex else (width or 100) - 2, "  ", "    ")
    return lines


def bptt_lines(result: BPTTResult) -> list[str]:
    """The BPTT demonstration as text lines."""
    from lstmcount.numeric.bptt import describe

    return describe(result)

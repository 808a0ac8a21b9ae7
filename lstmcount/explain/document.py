"""``explain``: a cell's equations with shapes, where each parameter is stored, the count and the unrolled view.

Everything framework-specific (gate order, tensor names, where each block lies, bias vectors,
peepholes, activations, the symbols of its documentation) is read from the count report and the
framework's module; this module only writes it out, in the framework's own notation or in one
of three others (``row`` vectors, ``column`` vectors, ``concat``: one matrix per gate over
``[h_{t-1}, x_t]``), as plain text or as Markdown with LaTeX.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Any

from lstmcount import frameworks
from lstmcount.cells import MEANINGS, PEEPHOLE_ROLES, Biases, Kind, Param
from lstmcount.counting.counter import cell_formula, cell_params, fmt
from lstmcount.errors import UsageError
from lstmcount.frameworks.base import COLUMN, CONCAT, ROW, Framework, Gate, Notation
from lstmcount.frameworks.layout import Placement
from lstmcount.model.report import CellInfo, LayerReport, Report, TensorReport
from lstmcount.model.spec import ModelSpec
from lstmcount.renderers import text
from lstmcount.renderers.text import Column

if TYPE_CHECKING:
    from lstmcount.numeric.bptt import BPTTResult

#: ``explain --notation``: the framework's own, or one of the three general ones
NOTATIONS: dict[str, Notation | None] = {"own": None, "row": ROW, "column": COLUMN, "concat": CONCAT}

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
        """A symbol with a superscript (``b^{x}_{z}``: the input-side bias of gate z)."""
        if not index:
            return f"{base}^{{{sup}}}" if self.tex else f"{base}{sup}"
        return f"{base}^{{{sup}}}_{{{index}}}" if self.tex else f"{base}{sup}_{index}"

    def symbol(self, template: str, gate: str) -> str:
        """A notation's symbol template (``W_i{g}``, ``b^x_{g}``, ``w_{g}_diag``) for ``gate``."""
        filled = template.replace("{g}", gate)
        if "^" in filled:
            base, rest = filled.split("^", 1)
            sup, _, index = rest.partition("_")
            return self.sup(base, sup, index)
        base, _, index = filled.partition("_")
        return self.sub(base, index)

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
    fw: Framework
    notation: Notation
    w: Writer

    @property
    def spec(self):  # type: ignore[no-untyped-def]
        """The framework-neutral cell (:class:`lstmcount.cells.CellSpec`)."""
        return self.info.cell

    @property
    def kind(self) -> Kind:
        """LSTM, GRU or simple RNN."""
        return self.info.cell.kind

    @property
    def gates(self) -> tuple[Gate, ...]:
        """Gates in the framework's order."""
        return tuple(self.layer.gate_defs)

    @property
    def n_gates(self) -> int:
        """Number of gates."""
        return len(self.gates)

    def gate(self, role: str) -> Gate:
        """The gate with ``role``."""
        return next(g for g in self.gates if g.role == role)

    def meaning(self, gate: Gate) -> str:
        """What the gate is."""
        return MEANINGS[gate.role]

    def activation(self, gate: Gate) -> str:
        """The activation of ``gate``."""
        c = self.info.cell
        if c.kind is Kind.RNN or gate.role in ("g", "n"):
            return c.cell_activation
        return c.gate_activation

    @property
    def row(self) -> bool:
        """Row vectors rather than column vectors."""
        return self.notation.row and not self.notation.concat

    @property
    def concat(self) -> bool:
        """One matrix per gate over the concatenation of h_{t-1} and x_t."""
        return self.notation.concat

    def idx(self, gate: Gate) -> str:
        """The subscript of a gate's matrices (none for the single matrix pair of a simple RNN)."""
        if self.n_gates == 1 and self.notation is ROW:
            return ""
        return gate.symbol

    def has(self, param: Param, gate: Gate) -> bool:
        """Whether the cell has ``param`` for ``gate``."""
        return bool(self.info.cell.has(param, gate.role))

    @property
    def two_biases(self) -> bool:
        """Whether each gate has an input and a recurrent bias vector."""
        return self.info.cell.biases is Biases.TWO

    # names of the per-gate parameters in the chosen notation -----------------------------
    def u(self, gate: Gate) -> str:
        """The matrix that multiplies x_t."""
        return self.w.symbol(self.notation.input, self.idx(gate))

    def wr(self, gate: Gate) -> str:
        """The matrix that multiplies h_{t-1}."""
        return self.w.symbol(self.notation.recurrent, self.idx(gate))

    def wcat(self, gate: Gate) -> str:
        """The concatenated matrix of a gate (concat notation)."""
        return self.w.symbol(self.notation.joined, self.idx(gate))

    def b(self, gate: Gate) -> str:
        """The single bias vector of a gate."""
        return self.w.symbol(self.notation.bias, self.idx(gate))

    def bx(self, gate: Gate) -> str:
        """The input bias of a gate (two-bias layouts)."""
        return self.w.symbol(self.notation.input_bias, self.idx(gate))

    def bh(self, gate: Gate) -> str:
        """The recurrent bias of a gate (two-bias layouts, and a GRU's b_hn)."""
        return self.w.symbol(self.notation.recurrent_bias, self.idx(gate))

    def peep(self, gate: Gate) -> str:
        """The peephole weights of a gate."""
        return self.w.symbol(self.notation.peephole, self.idx(gate))

    def proj(self) -> str:
        """The projection matrix."""
        return self.w.symbol(self.notation.projection, "")

    def name_of(self, param: Param, gate: Gate | None) -> str:
        """The notation's symbol of a canonical block."""
        if param is Param.PROJ or gate is None:
            return self.proj()
        if param is Param.U:
            return self.u(gate)
        if param is Param.W:
            return self.wr(gate)
        if param is Param.PEEP:
            return self.peep(gate)
        if param is Param.BH:
            return self.bh(gate)
        return self.bx(gate) if self.two_biases else self.b(gate)

    def var(self, gate: Gate) -> str:
        """The value a gate computes at step t; a candidate that shares a state's letter gets a tilde."""
        state_letters = {"h"} | ({"c"} if self.kind is Kind.LSTM else set())
        if gate.symbol in state_letters:
            return self.w.tilde(gate.symbol)
        return self.w.sub(gate.symbol, "t")

    # pieces of the equations ----------------------------------------------------------------
    def _times(self, matrix: str, vector: str) -> str:
        if self.row:
            return f"{vector} {self.w.t(matrix)}" if self.notation.transposed else f"{vector} {matrix}"
        return f"{matrix} {vector}"

    def input_part(self, gate: Gate) -> str:
        """The input product of a gate, with its input bias when there are two."""
        text = self._times(self.u(gate), "x_t")
        if self.two_biases:
            text += f" + {self.bx(gate)}"
        return text

    def recurrent_part(self, gate: Gate, h: str = "h_{t-1}") -> str:
        """The recurrent product of a gate, with its recurrent bias when it has one."""
        text = self._times(self.wr(gate), h)
        if self.has(Param.BH, gate):
            text += f" + {self.bh(gate)}"
        return text

    def concatenated(self, h: str = "h_{t-1}") -> str:
        """The concatenation a concat notation multiplies."""
        return f"[x_t, {h}]" if self.notation.concat_first == "x" else f"[{h}, x_t]"

    def affine(self, gate: Gate, h: str = "h_{t-1}", extras: bool = True) -> str:
        """The whole pre-activation of a gate (with ``extras``, peepholes and a run-time forget bias included)."""
        if self.concat:
            joined = self.concatenated(h)
            text = f"{joined} {self.wcat(gate)}" if self.notation.row else f"{self.wcat(gate)} {joined}"
            if self.two_biases:
                text += f" + {self.bx(gate)} + {self.bh(gate)}"
        else:
            text = f"{self.input_part(gate)} + {self.recurrent_part(gate, h)}"
        if not self.two_biases and self.has(Param.BX, gate):
            text += f" + {self.b(gate)}"
        if not extras:
            return text
        if self.has(Param.PEEP, gate):
            c = "c_t" if gate.role == "o" else "c_{t-1}"
            text += f" + {self.peep(gate)} {self.w.odot} {c}"
        if gate.role == "f" and self.info.cell.forget_bias:
            text += f" + {self.info.cell.forget_bias:g}"
        return text


def _note(cell: Cell, gate: Gate) -> str:
    meaning = cell.meaning(gate)
    return meaning if "candidate" in meaning else f"{meaning} gate"


def equations(cell: Cell) -> list[Eq]:
    """The equations of one time step, in the framework's gate order."""
    w = cell.w
    out: list[Eq] = []
    if cell.kind is Kind.RNN:
        gate = cell.gates[0]
        out.append(Eq("h_t", w.act(cell.activation(gate), cell.affine(gate)), "new hidden state = output"))
        return out
    if cell.kind is Kind.LSTM:
        late = cell.gate("o") if cell.info.cell.peepholes else None  # its peephole reads the new c_t
        for gate in cell.gates:
            if gate is late:
                continue
            note = _note(cell, gate)
            if gate.role == "f" and cell.info.cell.forget_bias:
                note += f", {cell.info.cell.forget_bias:g} added at run time (forget_bias, not stored)"
            out.append(Eq(cell.var(gate), w.act(cell.activation(gate), cell.affine(gate)), note))
        i, f, g, o = (cell.var(cell.gate(r)) for r in "ifgo")
        out.append(Eq("c_t", f"{f} {w.odot} c_{{t-1}} + {i} {w.odot} {g}", "cell state: a gated sum, no activation"))
        if late is not None:
            out.append(Eq(o, w.act(cell.activation(late), cell.affine(late)), "output gate: its peephole reads c_t"))
        inner = f"{o} {w.odot} {w.act(cell.info.cell.cell_activation, 'c_t')}"
        if cell.info.proj_size:
            rhs = f"({inner}) {cell.proj()}" if cell.notation.row else f"{cell.proj()} ({inner})"
            out.append(Eq("h_t", rhs, "projected output and next hidden state"))
        else:
            out.append(Eq("h_t", inner, "output and next hidden state"))
        return out
    # GRU
    r_gate, z_gate, n_gate = cell.gate("r"), cell.gate("z"), cell.gate("n")
    r = cell.var(r_gate)
    for gate in cell.gates:
        if gate is not n_gate:
            out.append(Eq(cell.var(gate), w.act(cell.activation(gate), cell.affine(gate)), _note(cell, gate)))
            continue
        if cell.info.cell.reset_after:
            if cell.concat:
                xin = cell._times(cell.w.symbol(COLUMN.input, cell.idx(gate)), "x_t")
                hin = cell._times(cell.w.symbol(COLUMN.recurrent, cell.idx(gate)), "h_{t-1}")
                if cell.two_biases:
                    xin += f" + {cell.bx(gate)}"
                if cell.has(Param.BH, gate):
                    hin += f" + {cell.bh(gate)}"
                note = "candidate: reset after the product, so no single matrix over " + cell.concatenated()
            else:
                xin, hin = cell.input_part(gate), cell.recurrent_part(gate)
                note = "candidate: reset applied after the recurrent product"
            pre = f"{xin} + {r} {w.odot} ({hin})"
            if not cell.two_biases and cell.has(Param.BX, gate):
                pre += f" + {cell.b(gate)}"
        else:
            reset = f"{r} {w.odot} h_{{t-1}}" if cell.concat else f"({r} {w.odot} h_{{t-1}})"
            pre = cell.affine(gate, h=reset)
            note = "candidate: reset applied to h_{t-1} before the product"
        out.append(Eq(cell.var(gate), w.act(cell.activation(gate), pre), note))
    z, n = cell.var(z_gate), cell.var(n_gate)
    out.append(Eq("h_t", f"{z} {w.odot} h_{{t-1}} + (1 {w.minus} {z}) {w.odot} {n}", "new hidden state = output"))
    return out


def _vec(cell: Cell, n: int) -> str:
    return shape((1, n)) if cell.notation.row else shape((n,))


def _symbol_shape(cell: Cell, param: Param) -> tuple[int, ...]:
    """The shape of a block's symbol in the notation: column-oriented, or transposed in row notation."""
    canonical = cell.info.cell.block_shape(param)
    if cell.notation.row and not cell.notation.transposed and len(canonical) == 2:
        return tuple(reversed(canonical))
    return canonical


def shapes(cell: Cell) -> Table:
    """Every matrix and vector of the equations with its shape for this model."""
    w, info = cell.w, cell.info
    i_, h_, r_ = info.input_size, info.units, info.output_size
    gates = cell.gates
    rows: list[tuple[str, str, str]] = []

    def names(fn: Any, which: Sequence[Gate] = gates) -> str:
        return ", ".join(w.m(fn(g)) for g in which)

    if cell.concat:
        joined = (h_, r_ + i_) if not cell.notation.row else (r_ + i_, h_)
        both = "input and recurrent" if cell.notation.concat_first == "x" else "recurrent and input"
        rows.append(
            (
                names(cell.wcat),
                shape(joined),
                f"trained: {both} weights side by side, multiply " + w.m(cell.concatenated()),
            )
        )
    else:
        rows.append(
            (names(cell.u), shape(_symbol_shape(cell, Param.U)), "trained: input weights, multiply " + w.m("x_t"))
        )
        rows.append(
            (
                names(cell.wr),
                shape(_symbol_shape(cell, Param.W)),
                "trained: recurrent weights, multiply " + w.m("h_{t-1}"),
            )
        )
    biases = info.cell.biases
    if biases in (Biases.ONE, Biases.HN):
        rows.append((names(cell.b), shape((h_,)), "trained: biases"))
    if biases is Biases.TWO:
        rows.append((names(cell.bx), shape((h_,)), "trained: input biases"))
        rows.append((names(cell.bh), shape((h_,)), "trained: recurrent biases"))
    if biases is Biases.HN:
        rows.append((names(cell.bh, [cell.gate("n")]), shape((h_,)), "trained: the candidate's recurrent bias"))
    if info.cell.peepholes:
        peeped = [cell.gate(r) for r in PEEPHOLE_ROLES]
        rows.append((names(cell.peep, peeped), shape((h_,)), "trained: peephole weights, multiply the cell state"))
    if info.proj_size:
        rows.append((w.m(cell.proj()), shape(_symbol_shape(cell, Param.PROJ)), "trained: projection of the output"))
    rows.append((w.m("x_t"), _vec(cell, i_), "input at step t (a batch stacks B of them)"))
    if cell.concat:
        rows.append((w.m(cell.concatenated()), _vec(cell, r_ + i_), "the two, one after the other"))
    rows.append((w.m("h_{t-1}") + ", " + w.m("h_t"), _vec(cell, r_), "hidden state: computed, not trained"))
    if cell.kind is Kind.LSTM:
        rows.append((w.m("c_{t-1}") + ", " + w.m("c_t"), _vec(cell, h_), "cell state: computed, not trained"))
    if cell.n_gates > 1:
        rows.append((", ".join(w.m(cell.var(g)) for g in gates), _vec(cell, h_), "gate values: computed, not trained"))
    return Table(("Symbol", "Shape", "What it is"), tuple(rows))


def _mark(cell: Cell, p: Placement) -> str:
    """How a stored block relates to its symbol: transposed, or its memory read in another shape."""
    if len(p.stored) != 2:
        return ""
    symbol_transposed = cell.notation.row and not cell.notation.transposed
    if p.reinterpret:
        rows, cols = p.stored
        how = "holds it transposed" if symbol_transposed else "holds it"
        return f" (its memory, read as {shape((cols, rows))}, {how})"
    return TRANSPOSE[cell.w.tex] if p.transpose != symbol_transposed else ""


def fused(cell: Cell, tensors: Sequence[TensorReport]) -> tuple[list[str], Table, list[str]]:
    """Where each parameter of one cell instance is stored: a tensor and the slice of it.

    Returns a lead line, a table (one row per parameter of each gate, in the framework's gate
    order) and a line for each block that belongs to no gate (the projection).
    """
    w = cell.w
    order = ", ".join(g.symbol for g in cell.gates)
    fused_tensors = [t for t in tensors if len({p.role for p in t.placements if p.role}) > 1]
    if fused_tensors and cell.n_gates > 1:
        lead = [
            f"{cell.fw.display} keeps the {cell.n_gates} gates in the order {order} inside "
            + ", ".join(w.code(t.name) for t in fused_tensors)
            + f"; each gate's block is {cell.info.units} wide:"
        ]
    elif cell.n_gates > 1:
        lead = [f"{cell.fw.display} keeps each gate's parameters in tensors of their own (gates {order}):"]
    else:
        lead = [f"One gate ({order}): each {cell.fw.display} tensor holds its matrix or bias:"]
    rows: list[tuple[str, ...]] = []
    rest: list[str] = []
    placed = [(t, p) for t in tensors for p in t.placements if p.direction in (None, 0)]
    for gate in cell.gates:
        for param in (Param.U, Param.W, Param.BX, Param.BH, Param.PEEP):
            for t, p in placed:
                if p.param is param and p.role == gate.role:
                    where = w.code(t.name + p.text(t.shape))
                    rows.append((gate.symbol, w.m(cell.name_of(param, gate)), where + _mark(cell, p), shape(p.stored)))
    for t, p in placed:
        if p.param is Param.PROJ:
            mark = _mark(cell, p)
            rest.append(
                f"{w.code(t.name)} {shape(t.shape)} belongs to no gate: {w.m(cell.proj())} = {w.code(t.name)}{mark}."
            )
    return lead, Table(("Gate", "Symbol", "Stored at", "Shape"), tuple(rows)), rest


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
        f"Row and column vectors: {w.m('x_t ' + u)} (row notation, {w.m(u)} is {shape((i_, h_))}) and "
        f"{w.m(wi + ' x_t')} (column notation, {w.m(wi)} is {shape((h_, i_))}) are the same product, "
        f"with {w.m(wi + ' = ' + w.t(u))}; likewise {w.m(wh + ' = ' + w.t(wk))} for the recurrent weights.",
        f"Concatenated: {w.m(w.sub('W', s) + ' [h_{t-1}, x_t]')} puts {w.m(wh)} and {w.m(wi)} side by "
        f"side, {shape((h_, r_ + i_))}: {h_}×{r_ + i_} = {fmt(h_ * (r_ + i_))} = {h_}×{r_} + {h_}×{i_}, "
        "the same weights and the same count. "
        f"(So {w.m(wk)} names the recurrent matrix in row notation but the whole concatenated matrix "
        "in concat notation.)",
        f"Which letter is which: texts differ (some swap U and W). Go by the shape: the matrix with "
        f"{i_} (the input features) on one side multiplies {w.m('x_t')}; the one that multiplies "
        f"{w.m('h_{t-1}')} has {r_} on that side.",
    ]
    return lines


def _own_tensors(layer: LayerReport, info: CellInfo) -> list[TensorReport]:
    """The tensors holding blocks of the forward cell of stacked layer ``info``."""
    return [t for t in layer.tensors if t.holds(info.stack_index, 0)]


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
            c = info.cell
            g = cell.gates[0]
            if cell.concat:
                n_cat = info.units * (info.output_size + info.input_size)
                terms = [f"{w.m(cell.wcat(g))} {info.units}×{info.output_size + info.input_size} ({fmt(n_cat)})"]
            else:
                u_dims = (info.input_size, info.units) if cell.row else (info.units, info.input_size)
                w_dims = (info.output_size, info.units) if cell.row else (info.units, info.output_size)
                terms = [
                    f"{w.m(cell.u(g))} {u_dims[0]}×{u_dims[1]} ({fmt(prod(u_dims))})",
                    f"{w.m(cell.wr(g))} {w_dims[0]}×{w_dims[1]} ({fmt(prod(w_dims))})",
                ]
            if c.biases in (Biases.ONE, Biases.HN):
                terms.append(f"{w.m(cell.b(g))} {info.units}")
            elif c.biases is Biases.TWO:
                terms.append(f"two biases 2×{info.units} ({2 * info.units})")
            per_gate = (
                info.gates * info.units * (info.input_size + info.output_size)
                + info.gates * info.units * c.bias_vectors
            )
            per_gate //= info.gates
            where = f"{layer.name}" + (f", layer {info.stack_index}" if len(layer.cells) > 1 else "")
            lines.append(f"{where}, one gate: " + " + ".join(terms) + f" = {fmt(per_gate)}")
            if info.gates > 1:
                lines.append(
                    f"{where}, {info.gates} gates ({', '.join(x.symbol for x in cell.gates)}): "
                    f"{info.gates} × {fmt(per_gate)} = {fmt(per_gate * info.gates)}"
                )
            if c.biases is Biases.HN:
                n_gate = cell.gate("n")
                lines.append(f"{where}, the candidate's recurrent bias: {w.m(cell.bh(n_gate))} {info.units}")
            if c.peepholes:
                lines.append(f"{where}, peepholes: 3×{info.units} = {fmt(3 * info.units)}")
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
        stored = _own_tensors(layer, layer.cells[0])
        whole = any(t.direction is None for t in stored)
        lines.append(
            f"{layer.name}, as {cell.fw.display} stores {'it' if whole else 'one cell'}: "
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
    own = _own_tensors(layer, layer.cells[0])
    state = "h, c" if cell.kind is Kind.LSTM else "h"
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


def _style(cell: Cell) -> str:
    """The notation in words, with the form of a gate's pre-activation (without the gate's index)."""
    gate = cell.gates[0]
    form = cell.affine(Gate("", gate.role), extras=False)
    own = "the framework's notation" if cell.notation is cell.fw.notation else "notation"
    return f"{own}: {cell.notation.name}, {cell.w.m(form)}"


def shape_text(dims: Sequence[int | None]) -> str:
    """A shape with None for unknown axes."""
    return "(" + ", ".join("None" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def cell_for(report: Report, layer: LayerReport, notation: Notation | None, w: Writer) -> Cell:
    """The first cell instance of a recurrent ``layer``, written in ``notation`` (None: the framework's own)."""
    fw = frameworks.get(report.framework)
    return Cell(layer=layer, info=layer.cells[0], fw=fw, notation=notation or fw.notation, w=w)


def build(
    report: Report,
    spec: ModelSpec | None,
    notation: str = "own",
    *,
    tex: bool = False,
    steps: int = DEFAULT_STEPS,
    width: int | None = None,
) -> list[Section]:
    """The explanation of every recurrent layer of ``report``, then its count and unrolled view (drawn to ``width``).

    ``notation`` is a key of :data:`NOTATIONS`: the framework's own (``own``), ``row``, ``column`` or ``concat``.
    """
    w = Writer(tex)
    chosen = NOTATIONS[notation]
    cells = {layer.name: cell_for(report, layer, chosen, w) for layer in report.layers if layer.recurrent}
    if not cells:
        raise UsageError("explain needs a recurrent layer (lstm, gru or rnn) in the model")
    sections: list[Section] = []
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
                [f"{sizes}.", f"Written in {_style(cell)}."],
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
        if cell.concat and cell.kind is Kind.GRU and info.cell.reset_after:
            n_gate = cell.gate("n")
            halves = [w.m(cell.w.symbol(t, cell.idx(n_gate))) for t in (COLUMN.recurrent, COLUMN.input)]
            if cell.notation.concat_first == "x":
                halves.reverse()
            extra.append(
                f"{w.m(cell.wcat(n_gate))} = [{halves[0]} | {halves[1]}] is counted like the others, "
                "but the candidate uses its two halves apart."
            )
        if layer.directions > 1:
            extra.append("The backward direction has the same equations and shapes with its own weights.")
        trained = "matrices and biases" if info.bias_vectors else "matrices"
        computed = f"{w.m('x_t')}, {w.m('h_t')}" + (" and the gate values" if cell.n_gates > 1 else "")
        extra.append(f"Trained parameters are the {trained} above; {computed} are computed at each step, not trained.")
        section.items.append(extra)
        sections.append(section)
        own = _own_tensors(layer, info)
        lead, table, rest = fused(cell, own)
        items: list[Any] = [lead, table]
        if rest:
            items.append(rest)
        items.append(relations(cell))
        sections.append(Section(f"{layer.name}: where each parameter is stored, and the notations", items))
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
    """The compute and memory costs (:mod:`lstmcount.counting.costs`) and other tools' numbers, as lines."""
    from lstmcount.counting import costs
    from lstmcount.counting.compat import headlines

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

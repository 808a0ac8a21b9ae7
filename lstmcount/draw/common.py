"""What every picture reads from a count report: the blocks of a cell instance and where each is stored.

The pictures take their numbers from here and nowhere else, and this reads only the report (its
tensors' placements and cells) and the framework's notation, which are what the tables read: a
picture and a table of the same model cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from lstmcount.cells import MEANINGS, Kind, Param
from lstmcount.counting.counter import fmt
from lstmcount.errors import UsageError
from lstmcount.explain.document import Cell, Writer, cell_for, shape
from lstmcount.frameworks.base import Gate
from lstmcount.frameworks.layout import Placement
from lstmcount.model.report import CellInfo, LayerReport, Report, TensorReport

#: the order blocks are listed in within a gate
PARAM_ORDER = (Param.U, Param.W, Param.BX, Param.BH, Param.PEEP, Param.PROJ)
#: what each block is, in words
WHAT = {
    Param.U: "input weights, multiply x_t",
    Param.W: "recurrent weights, multiply h_{t-1}",
    Param.BX: "bias",
    Param.BH: "recurrent-side bias",
    Param.PEEP: "peephole weights, multiply the cell state",
    Param.PROJ: "projection of the output",
}


@dataclass(frozen=True)
class Piece:
    """One canonical block of one cell instance, and where the framework stores it."""

    param: Param
    role: str
    symbol: str  # in the framework's notation: U_f, W_ih_f, Wb_z
    tensor: TensorReport
    placement: Placement

    @property
    def shape(self) -> tuple[int, ...]:
        """The block's shape as stored."""
        return self.placement.stored

    @property
    def params(self) -> int:
        """Its parameters."""
        return prod(self.placement.stored)

    @property
    def where(self) -> str:
        """The tensor and the slice of it: ``kernel[:, 128:256]``."""
        return self.tensor.name + self.placement.text(self.tensor.shape)

    def describe(self) -> str:
        """A sentence for the block's title."""
        return (
            f"{self.symbol}: {WHAT[self.param]}; stored at {self.where} of {self.tensor.path} "
            f"{shape(self.tensor.shape)}; shape {shape(self.shape)}, {fmt(self.params)} parameters"
        )


@dataclass(frozen=True)
class Instance:
    """One cell instance (stacked layer ``info``, ``direction``) of a recurrent layer, ready to draw."""

    layer: LayerReport
    info: CellInfo
    direction: int
    cell: Cell  # the explanation's view of the layer: notation, symbols, gates

    @property
    def kind(self) -> Kind:
        """LSTM, GRU or simple RNN."""
        return self.info.cell.kind

    @property
    def gates(self) -> tuple[Gate, ...]:
        """Gates in the framework's order."""
        return self.layer.gate_defs

    @property
    def tensors(self) -> list[TensorReport]:
        """The tensors holding blocks of this instance."""
        return [t for t in self.layer.tensors if t.holds(self.info.stack_index, self.direction)]

    @property
    def pieces(self) -> list[Piece]:
        """Every block of the instance, gate by gate in the framework's order, then the projection."""
        placed = [(t, p) for t in self.tensors for p in t.placements if p.direction in (None, self.direction)]
        order = {g.role: k for k, g in enumerate(self.gates)}
        out = [Piece(p.param, p.role, self.symbol(p.param, p.role), t, p) for t, p in placed]
        return sorted(out, key=lambda q: (order.get(q.role, len(order)), PARAM_ORDER.index(q.param)))

    def symbol(self, param: Param, role: str) -> str:
        """The notation's symbol of a block."""
        gate = next((g for g in self.gates if g.role == role), None)
        return self.cell.name_of(param, gate)

    def columns(self, piece: Piece) -> int:
        """How many columns wide a block is in the column-vector orientation (a vector is one)."""
        dims = self.info.cell.block_shape(piece.param)
        return dims[1] if len(dims) == 2 else 1

    def rows(self, piece: Piece) -> int:
        """How many rows high a block is in the column-vector orientation."""
        return self.info.cell.block_shape(piece.param)[0]

    def gate_pieces(self, role: str) -> list[Piece]:
        """The blocks of one gate."""
        return [q for q in self.pieces if q.role == role and q.param is not Param.PROJ]

    @property
    def projection(self) -> Piece | None:
        """The projection block, if the cell has one."""
        return next((q for q in self.pieces if q.param is Param.PROJ), None)

    @property
    def params(self) -> int:
        """Parameters of the instance, from its blocks (equal to the cell's count)."""
        return sum(q.params for q in self.pieces)

    @property
    def label(self) -> str:
        """``layer 1, backward`` (empty for a layer of one cell instance)."""
        parts = []
        if len(self.layer.cells) > 1:
            parts.append(f"layer {self.info.stack_index}")
        if self.layer.directions > 1:
            parts.append("forward" if self.direction == 0 else "backward")
        return ", ".join(parts)


def meaning(role: str) -> str:
    """What a gate is, in words: ``forget gate``, ``cell candidate``."""
    text = MEANINGS[role]
    return text if "candidate" in text or role == "h" else f"{text} gate"


def recurrent_layers(report: Report, name: str | None = None) -> list[LayerReport]:
    """The recurrent layers to draw: the one called ``name``, or all of them."""
    layers = [layer for layer in report.layers if layer.recurrent]
    if name is not None:
        chosen = [layer for layer in report.layers if layer.name == name]
        if not chosen:
            known = ", ".join(layer.name for layer in report.layers)
            raise UsageError(f"--layer: no layer called {name!r} (the layers are {known})")
        if not chosen[0].recurrent:
            raise UsageError(f"--layer: {name} is a {chosen[0].class_name}, not a recurrent layer")
        return chosen
    if not layers:
        raise UsageError("this view needs a recurrent layer (lstm, gru or rnn) in the model")
    return layers


def instances(report: Report, layer: LayerReport) -> list[Instance]:
    """Every cell instance of ``layer``: each stacked layer, each direction."""
    cell = cell_for(report, layer, None, Writer(False))
    return [Instance(layer, info, d, cell) for info in layer.cells for d in range(layer.directions)]

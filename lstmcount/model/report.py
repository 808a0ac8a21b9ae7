"""The count report: what the counter returns and every renderer reads.

Plain frozen dataclasses, and a named tuple per tensor; :meth:`Report.to_dict` gives the versioned
JSON document described in the README (``schema_version`` changes whenever a key is removed or
changes meaning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from typing import Any, NamedTuple

from lstmcount.cells import MEANINGS, CellSpec, Kind, Param
from lstmcount.frameworks.base import Gate, Role, Shape
from lstmcount.frameworks.layout import Placement
from lstmcount.model.spec import Framework, LayerType

SCHEMA_VERSION = 1


def fmt(n: int) -> str:
    """An integer with thousands separators."""
    return f"{n:,}"


#: Output shapes use None for the batch axis and for an unknown number of time steps.
OutShape = tuple[int | None, ...]


class TensorReport(NamedTuple):
    """One weight tensor as the framework creates it, and the canonical blocks it holds.

    A named tuple, immutable like the other records here: a report holds one per tensor, and
    ``lstmcount check`` builds thousands of them, several times faster than a frozen dataclass.
    ``placements`` say where each block of the cell equations (:mod:`lstmcount.cells`) lies in
    it; a plain layer's tensors hold none. ``direction`` is None for a tensor that holds both
    directions (its placements say which block is whose) and for plain layers.
    """

    name: str  # the framework's own name: "kernel", "weight_ih_l0_reverse"
    path: str  # unique path in the model: "lstm/lstm_cell/kernel", "lstm.weight_ih_l0"
    shape: Shape
    role: Role
    placements: tuple[Placement, ...]
    trainable: bool
    stack_index: int | None = None  # stacked layer k, for recurrent tensors
    direction: int | None = None  # 0 forward, 1 backward, for a recurrent tensor of one direction
    aliases: tuple[str, ...] = ()  # other paths the framework's files also store the tensor under

    @property
    def params(self) -> int:
        """Number of scalars in the tensor."""
        return prod(self.shape)

    def holds(self, stack_index: int, direction: int) -> bool:
        """Whether the tensor holds blocks of cell instance (``stack_index``, ``direction``)."""
        if self.stack_index != stack_index:
            return False
        if self.direction is not None:
            return self.direction == direction
        return any(p.direction == direction for p in self.placements)


@dataclass(frozen=True)
class GateReport:
    """The share of one gate, in one direction of one stacked layer, of a recurrent layer."""

    stack_index: int
    direction: int
    symbol: str
    meaning: str
    activation: str
    input_weights: Shape  # U: multiplies x_t, as stored
    recurrent_weights: Shape  # W: multiplies h_{t-1}, as stored
    biases: tuple[Shape, ...]  # one or two bias vectors, or none
    role: str = ""
    peephole: Shape | None = None

    @property
    def params(self) -> int:
        """Parameters of this gate: U, W, its bias vectors and its peephole."""
        own = prod(self.input_weights) + prod(self.recurrent_weights) + sum(prod(b) for b in self.biases)
        return own + (prod(self.peephole) if self.peephole else 0)


class CellInfo(NamedTuple):
    """One recurrent cell instance (one direction of one stacked layer): its stacked index and its cell.

    A named tuple, like :class:`TensorReport`: built once per stacked layer of every count.
    """

    stack_index: int
    cell: CellSpec

    @property
    def input_size(self) -> int:
        """I, the features each step reads."""
        return self.cell.inputs

    @property
    def units(self) -> int:
        """H."""
        return self.cell.units

    @property
    def proj_size(self) -> int:
        """P (0: none)."""
        return self.cell.proj

    @property
    def gates(self) -> int:
        """G."""
        return self.cell.gates

    @property
    def bias_vectors(self) -> int:
        """Bias vectors per gate, rounded down (a GRU's lone b_hn is not one per gate)."""
        return self.cell.bias_vectors

    @property
    def output_size(self) -> int:
        """Width of h_t: the projection size when there is one."""
        return self.cell.width


def cell_formula(cell: CellInfo | CellSpec) -> str:
    """The parameter count of one cell instance, spelt out: ``4 × (I×H + H×H + H)``."""
    c = cell.cell if isinstance(cell, CellInfo) else cell
    terms = [f"{c.inputs}×{c.units}", f"{c.width}×{c.units}"]
    terms += [str(c.units)] * c.bias_vectors
    inner = " + ".join(terms)
    text = f"{c.gates} × ({inner})" if c.gates > 1 else inner
    extra = sum(1 for role in c.roles if c.has(Param.BH, role)) if c.bias_vectors < 2 else 0
    if extra:
        text += f" + {c.units}" if extra == 1 else f" + {extra}×{c.units}"
    peepholes = sum(1 for role in c.roles if c.has(Param.PEEP, role))
    if peepholes:
        text += f" + {peepholes}×{c.units}"
    if c.proj:
        text = f"{text} + {c.units}×{c.proj}"
    return text


def cell_params(cell: CellInfo | CellSpec) -> int:
    """The parameter count of one cell instance, by the formula (not by the tensors)."""
    return (cell.cell if isinstance(cell, CellInfo) else cell).params


def _activation(cell: CellSpec, role: str) -> str:
    if cell.kind is Kind.RNN:
        return cell.cell_activation
    return cell.cell_activation if role in ("g", "n") else cell.gate_activation


@dataclass(frozen=True)
class LayerReport:
    """One layer as the framework builds it."""

    name: str
    type: LayerType
    class_name: str
    input_shape: OutShape
    output_shape: OutShape
    tensors: tuple[TensorReport, ...]
    trainable: bool
    spec_index: int
    #: the arithmetic of a non-recurrent layer; a recurrent layer's is derived from its cells
    arithmetic: str = ""
    cells: tuple[CellInfo, ...] = ()
    #: the cell's gates in the framework's order (empty for non-recurrent layers)
    gate_defs: tuple[Gate, ...] = ()
    directions: int = 1
    notes: tuple[str, ...] = ()

    @cached_property
    def gates(self) -> tuple[GateReport, ...]:
        """Each gate's share of U, W, biases and peephole, per stacked layer and direction, as stored.

        Derived on first use from the tensors' placements.
        """
        out: list[GateReport] = []
        for info in self.cells:
            for d in range(self.directions):
                blocks: dict[tuple[Param, str], list[Shape]] = {}
                for t in self.tensors:
                    if t.holds(info.stack_index, d):
                        for p in t.placements:
                            if p.direction in (None, d):
                                blocks.setdefault((p.param, p.role), []).append(p.stored)
                for g in self.gate_defs:
                    role = g.role
                    biases = tuple(s for b in (Param.BX, Param.BH) for s in blocks.get((b, role), ()))
                    peephole = blocks.get((Param.PEEP, role))
                    out.append(
                        GateReport(
                            info.stack_index,
                            d,
                            g.symbol,
                            MEANINGS[role],
                            _activation(info.cell, role),
                            blocks[(Param.U, role)][0],
                            blocks[(Param.W, role)][0],
                            biases,
                            role,
                            peephole[0] if peephole else None,
                        )
                    )
        return tuple(out)

    @property
    def formula(self) -> str:
        """The layer's count spelt out, ending in ``= total``."""
        if not self.cells:
            return self.arithmetic
        parts = []
        for cell in self.cells:
            text = cell_formula(cell)
            if self.directions > 1:
                wrap = cell.gates == 1 or ") + " in text
                text = f"{self.directions} × ({text})" if wrap else f"{self.directions} × {text}"
            parts.append(text)
        joined = " + ".join(f"[{p}]" if len(parts) > 1 else p for p in parts)
        return f"{joined} = {fmt(self.params)}"

    @property
    def params(self) -> int:
        """All parameters of the layer."""
        return sum([prod(t.shape) for t in self.tensors])  # each tensor's params, without a call per tensor

    @property
    def trainable_params(self) -> int:
        """Parameters that training updates (a frozen layer has none; a framework may freeze some tensors)."""
        return sum([prod(t.shape) for t in self.tensors if t.trainable])

    @property
    def non_trainable_params(self) -> int:
        """Parameters stored but not trained: a frozen layer's, or tensors the framework keeps frozen."""
        return self.params - self.trainable_params

    @property
    def recurrent(self) -> bool:
        """Whether the layer is recurrent (has gates)."""
        return bool(self.cells)


@dataclass(frozen=True)
class Report:
    """The count of a whole model under one framework's conventions."""

    framework: Framework
    framework_display: str
    input_shape: OutShape
    layers: tuple[LayerReport, ...]
    model_name: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> int:
        """All parameters."""
        return sum(layer.params for layer in self.layers)

    @property
    def trainable(self) -> int:
        """Parameters that training updates."""
        return sum(layer.trainable_params for layer in self.layers)

    @property
    def non_trainable(self) -> int:
        """Parameters of frozen layers."""
        return sum(layer.non_trainable_params for layer in self.layers)

    def layer(self, name: str) -> LayerReport:
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report as the versioned JSON document."""
        return {
            "schema_version": SCHEMA_VERSION,
            "framework": self.framework,
            "model": self.model_name,
            "input_shape": list(self.input_shape),
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
            "layers": [_layer_dict(layer) for layer in self.layers],
            "notes": list(self.notes),
        }


def _layer_dict(layer: LayerReport) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": layer.name,
        "type": layer.type.value,
        "class_name": layer.class_name,
        "params": layer.params,
        "trainable": layer.trainable,
        "trainable_params": layer.trainable_params,
        "non_trainable_params": layer.non_trainable_params,
        "input_shape": list(layer.input_shape),
        "output_shape": list(layer.output_shape),
        "formula": layer.formula,
        "tensors": [
            {"name": t.name, "path": t.path, "shape": list(t.shape), "params": t.params, "role": t.role.value}
            for t in layer.tensors
        ],
    }
    if layer.recurrent:
        out["directions"] = layer.directions
        out["num_layers"] = len({c.stack_index for c in layer.cells})
        out["gates"] = [
            {
                "layer": g.stack_index,
                "direction": "backward" if g.direction else "forward",
                "gate": g.symbol,
                "meaning": g.meaning,
                "activation": g.activation,
                "input_weights": list(g.input_weights),
                "recurrent_weights": list(g.recurrent_weights),
                "biases": [list(b) for b in g.biases],
                "peephole": list(g.peephole) if g.peephole else None,
                "params": g.params,
            }
            for g in layer.gates
        ]
    return out

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

from lstmcount.frameworks import Gate, Role, Shape
from lstmcount.model.spec import Framework, LayerType

SCHEMA_VERSION = 1


def fmt(n: int) -> str:
    """An integer with thousands separators."""
    return f"{n:,}"


def _split(tensor: TensorReport, parts: int) -> Shape:
    """One gate's block of a fused tensor: the gate axis divided by the number of gates."""
    axis = tensor.gate_axis
    if axis is None:
        return tensor.shape
    return tuple(n // parts if a == axis else n for a, n in enumerate(tensor.shape))


#: Output shapes use None for the batch axis and for an unknown number of time steps.
OutShape = tuple[int | None, ...]


class TensorReport(NamedTuple):
    """One weight tensor as the framework creates it.

    A named tuple, immutable like the other records here: a report holds one per tensor, and
    ``lstmcount check`` builds thousands of them, several times faster than a frozen dataclass.
    """

    name: str  # the framework's own name: "kernel", "weight_ih_l0_reverse"
    path: str  # unique path in the model: "lstm/lstm_cell/kernel", "lstm.weight_ih_l0"
    shape: Shape
    role: Role
    gate_axis: int | None
    trainable: bool
    stack_index: int | None = None  # stacked layer k, for recurrent tensors
    direction: int | None = None  # 0 forward, 1 backward, for recurrent tensors

    @property
    def params(self) -> int:
        """Number of scalars in the tensor."""
        return prod(self.shape)


@dataclass(frozen=True)
class GateReport:
    """The share of one gate, in one direction of one stacked layer, of a recurrent layer."""

    stack_index: int
    direction: int
    symbol: str
    meaning: str
    activation: str
    input_weights: Shape  # U: multiplies x_t
    recurrent_weights: Shape  # W: multiplies h_{t-1}
    biases: tuple[Shape, ...]  # one or two bias vectors, or none

    @property
    def params(self) -> int:
        """Parameters of this gate: U, W and its bias vectors."""
        return prod(self.input_weights) + prod(self.recurrent_weights) + sum(prod(b) for b in self.biases)


class CellInfo(NamedTuple):
    """Sizes of one recurrent cell instance (one direction of one stacked layer).

    A named tuple, like :class:`TensorReport`: built once per stacked layer of every count.
    """

    stack_index: int
    input_size: int
    units: int
    proj_size: int
    gates: int
    bias_vectors: int

    @property
    def output_size(self) -> int:
        """Width of h_t: the projection size when there is one."""
        return self.proj_size or self.units


def cell_formula(cell: CellInfo) -> str:
    """The parameter count of one cell instance, spelt out: ``4 × (I×H + H×H + H)``."""
    terms = [f"{cell.input_size}×{cell.units}", f"{cell.output_size}×{cell.units}"]
    terms += [str(cell.units)] * cell.bias_vectors
    inner = " + ".join(terms)
    text = f"{cell.gates} × ({inner})" if cell.gates > 1 else inner
    if cell.proj_size:
        text = f"{text} + {cell.units}×{cell.proj_size}"
    return text


def cell_params(cell: CellInfo) -> int:
    """The parameter count of one cell instance, by the formula (not by the tensors)."""
    per_gate = cell.input_size * cell.units + cell.output_size * cell.units + cell.bias_vectors * cell.units
    return cell.gates * per_gate + cell.units * cell.proj_size


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
        """Each gate's share of U, W and biases, per stacked layer and direction.

        Derived on first use from the fused tensors: a tensor with a ``gate_axis`` holds the
        gates' blocks side by side along that axis; a (2, G·H) bias holds two vectors per gate.
        """
        n = len(self.gate_defs)
        out: list[GateReport] = []
        for cell in self.cells:
            for d in range(self.directions):
                mine = [t for t in self.tensors if t.stack_index == cell.stack_index and t.direction == d]
                by_role = {t.role: t for t in mine}
                u = _split(by_role[Role.INPUT], n)
                w = _split(by_role[Role.RECURRENT], n)
                biases: list[Shape] = []
                for role in (Role.BIAS, Role.INPUT_BIAS, Role.RECURRENT_BIAS):
                    if role in by_role:
                        per_gate = _split(by_role[role], n)
                        biases.extend([per_gate[1:]] * per_gate[0] if len(per_gate) == 2 else [per_gate])
                out.extend(
                    GateReport(cell.stack_index, d, g.symbol, g.meaning, g.activation, u, w, tuple(biases))
                    for g in self.gate_defs
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
                wrap = cell.proj_size or cell.gates == 1
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
        """Parameters that training updates."""
        return self.params if self.trainable else 0

    @property
    def non_trainable_params(self) -> int:
        """Parameters of a frozen layer."""
        return 0 if self.trainable else self.params

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
            "framework": self.framework.value,
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
                "params": g.params,
            }
            for g in layer.gates
        ]
    return out

"""The count report: what the counter returns and every renderer reads.

Plain frozen dataclasses; :meth:`Report.to_dict` gives the versioned JSON document described in
the README (``schema_version`` changes whenever a key is removed or changes meaning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

from lstmcount.conventions import Role, Shape
from lstmcount.spec import Framework, LayerType

SCHEMA_VERSION = 1

#: Output shapes use None for the batch axis and for an unknown number of time steps.
OutShape = tuple[int | None, ...]


@dataclass(frozen=True)
class TensorReport:
    """One weight tensor as the framework creates it."""

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


@dataclass(frozen=True)
class CellInfo:
    """Sizes of one recurrent cell instance (one direction of one stacked layer)."""

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
    formula: str
    spec_index: int
    gates: tuple[GateReport, ...] = ()
    cells: tuple[CellInfo, ...] = ()
    directions: int = 1
    notes: tuple[str, ...] = ()

    @property
    def params(self) -> int:
        """All parameters of the layer."""
        return sum(t.params for t in self.tensors)

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

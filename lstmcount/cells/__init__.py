"""The recurrent cells, framework-neutral: their gates, their parameters and what a cell instance is.

Every framework stores the same mathematics differently. Here it is written once, in column
vectors, for one cell instance (one direction of one stacked layer):

* the gates of each kind, by role: LSTM ``i, f, g, o`` (input, forget, candidate, output), GRU
  ``r, z, n`` (reset, update, candidate), simple RNN ``h``;
* the parameters, the canonical blocks a framework's tensors are made of: per gate ``U`` (H × I,
  multiplies ``x_t``), ``W`` (H × R, multiplies ``h_{t-1}``), an input-side bias ``bx`` and a
  recurrent-side bias ``bh`` (H each); LSTM peepholes ``p`` (H each, gates ``i, f, o``) and the
  projection ``P`` (R × H, ``h_t = P (o ⊙ tanh c_t)``), where R is the projection size or H;
* :class:`CellSpec`: which of them a cell instance has, and the options that change its
  arithmetic (reset before or after the recurrent product, a forget bias added at run time, the
  activations).

:mod:`lstmcount.frameworks` maps each framework's tensors onto these blocks; counting, explaining,
the forward pass and conversion read them from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """A cell kind (the spec's layer type of a recurrent layer)."""

    LSTM = "lstm"
    GRU = "gru"
    RNN = "simple_rnn"


#: the gates of each kind by role, in the order the canonical fused arrays hold them
ROLES: dict[Kind, tuple[str, ...]] = {Kind.LSTM: ("i", "f", "g", "o"), Kind.GRU: ("r", "z", "n"), Kind.RNN: ("h",)}
#: what each role is called
MEANINGS: dict[str, str] = {
    "i": "input",
    "f": "forget",
    "g": "cell candidate",
    "o": "output",
    "r": "reset",
    "z": "update",
    "n": "candidate",
    "h": "hidden",
}
#: the LSTM gates a peephole feeds (the input and forget gates read c_{t-1}, the output gate c_t)
PEEPHOLE_ROLES = ("i", "f", "o")


class Param(StrEnum):
    """A canonical parameter block of one cell instance."""

    U = "U"  # (H, I) per gate: multiplies x_t
    W = "W"  # (H, R) per gate: multiplies h_{t-1}
    BX = "bx"  # (H,) per gate: the input-side bias
    BH = "bh"  # (H,) per gate: the recurrent-side bias (inside r ⊙ (...) for a GRU that resets after)
    PEEP = "p"  # (H,) per peephole gate: p ⊙ c
    PROJ = "P"  # (R, H): the projection of the output


#: a bias layout a cell may have: which gates have an input-side and which a recurrent-side bias
class Biases(StrEnum):
    """Which bias vectors a cell keeps, per gate."""

    NONE = "none"  # no bias at all
    ONE = "one"  # one per gate (the input side)
    TWO = "two"  # an input-side and a recurrent-side vector per gate
    HN = "hn"  # one per gate, and a recurrent-side one for the GRU candidate only (b_hn)


@dataclass(frozen=True)
class CellSpec:
    """One cell instance, framework-neutral: its sizes, which parameters it has, how it computes.

    ``inputs`` I, ``units`` H, ``proj`` P (0: none). ``reset_after`` applies to a GRU (the reset
    gate multiplies ``W_n h + bh_n`` rather than ``h``); ``forget_bias`` is a constant added to the
    forget gate's pre-activation at run time (TF1); the activations are names of
    :data:`lstmcount.model.spec.ACTIVATIONS` (``gate`` for the sigmoid gates, ``cell`` for the
    candidate and the output, or a simple RNN's one activation).
    """

    kind: Kind
    inputs: int
    units: int
    proj: int = 0
    biases: Biases = Biases.ONE
    peepholes: bool = False
    reset_after: bool = True
    forget_bias: float = 0.0
    gate_activation: str = "sigmoid"
    cell_activation: str = "tanh"

    @property
    def roles(self) -> tuple[str, ...]:
        """The gates, in canonical order."""
        return ROLES[self.kind]

    @property
    def gates(self) -> int:
        """G, the number of gates."""
        return len(ROLES[self.kind])

    @property
    def width(self) -> int:
        """R, the width of h: the projection size when there is one."""
        return self.proj or self.units

    def has(self, param: Param, role: str = "") -> bool:
        """Whether this cell has the block ``param`` of gate ``role``."""
        if param in (Param.U, Param.W):
            return True
        if param is Param.BX:
            return self.biases is not Biases.NONE
        if param is Param.BH:
            return self.biases is Biases.TWO or (self.biases is Biases.HN and role == "n")
        if param is Param.PEEP:
            return self.peepholes and role in PEEPHOLE_ROLES
        return self.proj > 0  # Param.PROJ

    def block_shape(self, param: Param) -> tuple[int, ...]:
        """The shape of one block of ``param``, in column-vector orientation."""
        h, r = self.units, self.width
        if param is Param.U:
            return (h, self.inputs)
        if param is Param.W:
            return (h, r)
        if param is Param.PROJ:
            return (r, h)
        return (h,)

    @property
    def params(self) -> int:
        """Parameters of the cell, from its blocks."""
        h = self.units
        total = self.gates * h * (self.inputs + self.width)
        total += sum(h for role in self.roles for b in (Param.BX, Param.BH) if self.has(b, role))
        total += sum(h for role in PEEPHOLE_ROLES if self.has(Param.PEEP, role))
        return total + (self.width * h if self.proj else 0)

    @property
    def bias_vectors(self) -> int:
        """Bias vectors per gate, rounded down (``HN`` keeps one per gate and one more)."""
        return {Biases.NONE: 0, Biases.ONE: 1, Biases.TWO: 2, Biases.HN: 1}[self.biases]

"""How a framework's tensor is assembled from canonical blocks: a small algebra, and where each block sits.

A framework tensor is written as an expression over the canonical blocks of :mod:`lstmcount.cells`:

* :class:`Block` — one block (``U`` of gate ``f``, the bias ``bx`` of gate ``n``, the projection),
  stored as it is (column-vector orientation), ``transpose``\\ d (row vectors: Keras, TF1, Flax), or
  ``reinterpret``\\ ed (its memory read in the transposed shape, as Keras 2's cuDNN layers store
  their kernels);
* :class:`Cat` — parts side by side along an axis (the gates fused into one tensor, TF1's kernel
  over ``[x; h]``, ONNX's bias ``[Wb | Rb]``);
* :class:`Stack` — parts along a new first axis (Keras's ``(2, 3H)`` GRU bias);
* :class:`Directions` — the same expression once per direction along a new first axis (ONNX's
  ``[D, G·H, I]``).

From an expression and a cell instance come the tensor's shape and a :class:`Placement` for every
block: where in the tensor it lies and how it is stored. Counting, the per-gate tables, the
slices ``explain`` and ``draw`` show, the forward pass and conversion all read those placements.
Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any, NamedTuple

from lstmcount.cells import CellSpec, Param

Shape = tuple[int, ...]
#: an index into a tensor: an int for a stacked axis, a (start, stop) range for the others
Index = tuple[int | tuple[int, int], ...]


@dataclass(frozen=True)
class Block:
    """One canonical block, stored as it is, transposed, or reinterpreted in the transposed shape."""

    param: Param
    role: str = ""
    transpose: bool = False
    reinterpret: bool = False


@dataclass(frozen=True)
class Cat:
    """Parts side by side along ``axis``."""

    axis: int
    parts: tuple[Layout, ...]


@dataclass(frozen=True)
class Stack:
    """Parts along a new first axis."""

    parts: tuple[Layout, ...]


@dataclass(frozen=True)
class Directions:
    """``part`` once per direction of the layer, along a new first axis (forward first)."""

    part: Layout


Layout = Block | Cat | Stack | Directions


class Placement(NamedTuple):
    """Where one block lies in a tensor, and how it is stored there."""

    param: Param
    role: str
    direction: int | None  # the direction for a tensor holding both (Directions), else None
    at: Index  # where the block lies: an int for a stacked axis, a (start, stop) range for the others
    stored: Shape  # the block's shape as stored (transposed when transposed or reinterpreted)
    transpose: bool
    reinterpret: bool

    @property
    def size(self) -> int:
        """Elements of the block."""
        return prod(self.stored)

    def slices(self) -> tuple[int | slice, ...]:
        """The index as Python's slices (for NumPy arrays)."""
        return tuple(i if isinstance(i, int) else slice(*i) for i in self.at)

    def read(self, tensor: Any, shape: Shape) -> Any:
        """This block out of ``tensor`` (an array of the framework's tensor), in the canonical orientation ``shape``."""
        stored = tensor[self.slices()]
        if self.reinterpret:  # the memory of the stored block, read in the canonical shape
            return stored.copy().reshape(shape)
        return stored.T if self.transpose else stored

    def write(self, tensor: Any, block: Any) -> None:
        """Store ``block`` (in the canonical orientation) into ``tensor``, an array of the framework's tensor."""
        if self.reinterpret:
            tensor[self.slices()] = block.copy().reshape(self.stored)
        else:
            tensor[self.slices()] = block.T if self.transpose else block

    def text(self, tensor: Shape) -> str:
        """The index into a tensor of shape ``tensor`` as it is written: ``[0, 384:512, :]``, ``[:, 128:256]``."""
        parts = []
        for i, full in zip(self.at, tensor, strict=True):
            if isinstance(i, int):
                parts.append(str(i))
            elif i == (0, full):
                parts.append(":")
            else:
                parts.append(f"{i[0]}:{i[1]}")
        return "[" + ", ".join(parts) + "]"


def gates(param: Param, order: tuple[str, ...], *, axis: int = 0, transpose: bool = False) -> Cat:
    """The blocks of ``param`` for the gates ``order``, side by side along ``axis`` (a fused tensor)."""
    return Cat(axis, tuple(Block(param, role, transpose) for role in order))


def _build(layout: Layout, cell: CellSpec, directions: int, direction: int | None) -> tuple[Shape, list[Placement]]:
    if isinstance(layout, Block):
        base = cell.block_shape(layout.param)
        stored = tuple(reversed(base)) if layout.transpose or layout.reinterpret else base
        whole = tuple((0, n) for n in stored)
        return stored, [
            Placement(layout.param, layout.role, direction, whole, stored, layout.transpose, layout.reinterpret)
        ]
    if isinstance(layout, Cat):
        built = [_build(part, cell, directions, direction) for part in layout.parts]
        first = built[0][0]
        axis = layout.axis
        for shape, _ in built[1:]:
            if len(shape) != len(first) or any(
                a != b for k, (a, b) in enumerate(zip(shape, first, strict=True)) if k != axis
            ):
                raise ValueError(f"parts of different shapes cannot be joined along axis {axis}: {first}, {shape}")
        out: list[Placement] = []
        offset = 0
        for shape, placements in built:
            for p in placements:
                where: list[Any] = list(p.at)  # one entry per axis of the part
                here = where[axis]
                where[axis] = here + offset if isinstance(here, int) else (here[0] + offset, here[1] + offset)
                out.append(p._replace(at=tuple(where)))
            offset += shape[axis]
        joined = list(first)
        joined[axis] = offset
        return tuple(joined), out
    if isinstance(layout, Stack):
        built = [_build(part, cell, directions, direction) for part in layout.parts]
        if len({shape for shape, _ in built}) != 1:
            raise ValueError(f"parts of different shapes cannot be stacked: {[s for s, _ in built]}")
        return (len(built), *built[0][0]), [
            p._replace(at=(k, *p.at)) for k, (_, placements) in enumerate(built) for p in placements
        ]
    built = [_build(layout.part, cell, directions, d) for d in range(directions)]
    return (directions, *built[0][0]), [
        p._replace(at=(d, *p.at)) for d, (_, placements) in enumerate(built) for p in placements
    ]


def instantiate(layout: Layout, cell: CellSpec, directions: int = 1) -> tuple[Shape, tuple[Placement, ...]]:
    """The shape of the tensor ``layout`` describes for ``cell``, and where each of its blocks lies.

    Blocks the cell does not have (a bias it lacks, a peephole of another gate) make the
    expression invalid for it: a framework rule is chosen per cell by what the cell has.
    """
    shape, placements = _build(layout, cell, directions, None)
    for p in placements:
        if not cell.has(p.param, p.role):
            raise ValueError(f"the cell has no {p.param.value} for gate {p.role!r}")
    return shape, tuple(placements)


def size(shape: Shape) -> int:
    """Elements of a tensor of ``shape``."""
    return prod(shape)

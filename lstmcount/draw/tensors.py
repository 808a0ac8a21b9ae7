"""``draw --view tensors``: each stored tensor split into the blocks it holds, in the framework's order and orientation.

A 2-D tensor is drawn as NumPy prints it, axis 0 down and axis 1 across, so a tensor of shape
(4H, I) stands with its gates one under another and one of shape (I, 4H) lies with them side by
side; a 1-D tensor is one bar; a leading stacked axis (a direction, a GRU's two bias rows) gives
one grid per index. Each block shows its symbol, its
index into the tensor and its shape. Several frameworks are set side by side, and every block is
linked to the same block in the next framework: the picture of a conversion.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from lstmcount.counting.counter import fmt
from lstmcount.draw.common import instances, recurrent_layers
from lstmcount.draw.svg import BODY, HEAD, SMALL, TITLE, Box, Canvas, block, height, width
from lstmcount.explain.document import shape
from lstmcount.frameworks import display
from lstmcount.frameworks.layout import Placement
from lstmcount.model.report import LayerReport, Report, TensorReport

PAD = 6
COLUMN_GAP = 110
#: the longest axis of the drawing is about this many px, where the labels leave room
SPAN = 360.0

Key = tuple[int, int, str, str]  # spec layer, cell instance, block, gate


@dataclass
class _Cell:
    placement: Placement
    symbol: str
    key: Key

    def index(self, axes: Sequence[int]) -> tuple[int, ...]:
        """Its index along the stacked ``axes``."""
        out = []
        for k in axes:
            entry = self.placement.at[k]
            assert isinstance(entry, int), "a range on a stacked axis"
            out.append(entry)
        return tuple(out)

    def span(self, axis: int | None) -> tuple[int, int]:
        """The range it covers along ``axis`` (a whole axis of one for a missing one)."""
        if axis is None:
            return (0, 1)
        entry = self.placement.at[axis]
        assert not isinstance(entry, int), "a stacked axis has no range"
        return entry


def _axis(spans: list[tuple[int, int]], needs: list[float], scale: float, start: float) -> dict[tuple[int, int], Box]:
    """Where each span lies along one axis, as a 1-D box (``x``, ``w``): sizes in proportion, widened for labels.

    The axis is cut at every span's ends; each piece is ``scale`` px per element (at least 2 px),
    then widened until every span's pieces together hold its label (``needs``).
    """
    points = sorted({a for a, _ in spans} | {b for _, b in spans})
    pieces = list(itertools.pairwise(points))
    size = {piece: max(2.0, (piece[1] - piece[0]) * scale) for piece in pieces}
    for span, need in zip(spans, needs, strict=True):
        inside = [piece for piece in pieces if span[0] <= piece[0] and piece[1] <= span[1]]
        if sum(size[piece] for piece in inside) < need:
            for piece in inside:
                size[piece] = max(size[piece], need / len(inside))
    at: dict[int, float] = {}
    pos = start
    for piece in pieces:
        at[piece[0]] = pos
        pos += size[piece]
    at[points[-1]] = pos
    return {span: Box(at[span[0]], 0.0, at[span[1]] - at[span[0]], 0.0) for span in spans}


def _lines(cell: _Cell, tensor: TensorReport) -> list[tuple[str, float, bool]]:
    return [
        (cell.symbol, BODY, True),
        (cell.placement.text(tensor.shape), SMALL, False),
        (shape(cell.placement.stored), SMALL, False),
    ]


def _label_size(cell: _Cell, tensor: TensorReport) -> tuple[float, float]:
    lines = _lines(cell, tensor)
    w = max(width(t, s, m) for t, s, m in lines) + 2 * PAD
    h = sum(height(s, m) for _, s, m in lines) + 2 * PAD
    return w, h


def _instance_keys(report: Report, spec_index: int) -> dict[tuple[str, int, int], int]:
    """Each cell instance of a spec layer, (layer, stack, direction) -> its ordinal."""
    out: dict[tuple[str, int, int], int] = {}
    for layer in report.layers:
        if layer.spec_index == spec_index and layer.recurrent:
            for info in layer.cells:
                for d in range(layer.directions):
                    out[(layer.name, info.stack_index, d)] = len(out)
    return out


def _cells(
    report: Report, layer: LayerReport, tensor: TensorReport, ordinals: dict[tuple[str, int, int], int]
) -> list[_Cell]:
    inst = {(i.info.stack_index, i.direction): i for i in instances(report, layer)}
    out = []
    for p in tensor.placements:
        d = p.direction if p.direction is not None else (tensor.direction or 0)
        stack = tensor.stack_index or 0
        found = inst.get((stack, d))
        symbol = found.symbol(p.param, p.role) if found is not None else p.param.value
        ordinal = ordinals.get((layer.name, stack, d), 0)
        out.append(_Cell(p, symbol, (layer.spec_index, ordinal, p.param.value, p.role)))
    return out


def _orientation(tensor: TensorReport) -> str:
    dims = tensor.shape
    if len(dims) == 1:
        text = f"one vector of {dims[0]}"
    else:
        text = f"{dims[-2]} rows × {dims[-1]} columns, as NumPy prints it"
        if len(dims) > 2:
            lead = " × ".join(str(d) for d in dims[:-2])
            text = f"{lead} along the leading axes, each {text}"
    if any(p.reinterpret for p in tensor.placements):
        text += "; each block's memory holds its matrix in the other orientation"
    elif any(p.transpose for p in tensor.placements):
        text += "; its matrices are stored transposed (input features first)"
    return text


def _draw_tensor(
    canvas: Canvas, tensor: TensorReport, cells: list[_Cell], x: float, y: float, anchors: dict[Key, Box], scale: float
) -> float:
    """Draw one tensor at (x, y); returns the y below it."""
    data = {"tensor": tensor.path, "dims": ",".join(map(str, tensor.shape)), "total": tensor.params}
    with canvas.group(f"{tensor.path}: shape {shape(tensor.shape)}, {fmt(tensor.params)} parameters", data):
        box = canvas.text(x, y, f"{tensor.name}  {shape(tensor.shape)}  {fmt(tensor.params)}", size=HEAD, cls="head")
        y = box.bottom + 2
        box = canvas.text(x, y, _orientation(tensor), size=SMALL, cls="muted")
        y = box.bottom + 6
    ndim = len(tensor.shape)
    fixed = [k for k in range(ndim) if any(isinstance(c.placement.at[k], int) for c in cells)]
    free = [k for k in range(ndim) if k not in fixed]
    groups: dict[tuple[int, ...], list[_Cell]] = {}
    for c in cells:
        groups.setdefault(c.index(fixed), []).append(c)
    row_axis = free[-2] if len(free) >= 2 else None
    col_axis = free[-1]
    for index, members in groups.items():
        if index:
            label = tensor.name + "[" + ", ".join(map(str, index)) + "]"
            y = canvas.text(x, y, label, size=SMALL).bottom + 2
        sizes = [_label_size(c, tensor) for c in members]
        across = _axis([c.span(col_axis) for c in members], [w for w, _ in sizes], scale, x)
        down = _axis(
            [c.span(row_axis) for c in members], [h for _, h in sizes], scale if row_axis is not None else 0.0, y
        )
        for c in members:
            col, row = across[c.span(col_axis)], down[c.span(row_axis)]
            cell_box = Box(col.x, row.x, col.w, row.w)
            top, left = cell_box.y, cell_box.x
            anchors[c.key] = cell_box
            title = (
                f"{c.symbol}: {tensor.path}{c.placement.text(tensor.shape)}, shape {shape(c.placement.stored)}, "
                f"{fmt(c.placement.size)} parameters"
            )
            data = {
                "param": c.placement.param.value,
                "role": c.placement.role,
                "path": tensor.path,
                "at": c.placement.text(tensor.shape),
                "shape": ",".join(map(str, c.placement.stored)),
                "params": c.placement.size,
            }
            with canvas.group(title, data, cls="block"):
                block(canvas, cell_box, c.placement.param.value)
                _, h = _label_size(c, tensor)
                ty = top + (cell_box.h - h) / 2 + PAD
                cx = left + cell_box.w / 2
                for text, size, math in _lines(c, tensor):
                    canvas.rect(
                        Box(cx - width(text, size, math) / 2 - 2, ty, width(text, size, math) + 4, height(size, math)),
                        "label-bg",
                    )
                    ty = canvas.text(cx, ty, text, size=size, math=math, anchor="middle").bottom
        y = max(b.x + b.w for b in down.values()) + 8
    return y + 6


def _pairs(left: dict[Key, Box], right: dict[Key, Box]) -> list[tuple[Key, Key, bool]]:
    """The links between two columns: equal blocks, and a recurrent-side bias to the one bias it is summed into."""
    out = [(key, key, True) for key in left if key in right]
    for key in left:
        partner = (*key[:2], "bx", key[3])
        if key not in right and key[2] == "bh" and partner in right:
            out.append((key, partner, False))
    for key in right:
        partner = (*key[:2], "bx", key[3])
        if key not in left and key[2] == "bh" and partner in left:
            out.append((partner, key, False))
    return out


def draw_tensors(reports: Sequence[Report], layer_name: str | None = None) -> Canvas:
    """Every stored tensor of the recurrent layers (or of ``layer_name``), one column per report."""
    first = reports[0]
    chosen = recurrent_layers(first, layer_name)
    spec_indices = [layer.spec_index for layer in chosen]
    names = ", ".join(display(r.framework) for r in reports)
    what = chosen[0].name if len(chosen) == 1 else "the recurrent layers"
    canvas = Canvas(
        f"{what}: the stored tensors and the blocks in them ({names})",
        "Each tensor as the framework stores it, split into the blocks of the cell equations, with index ranges.",
    )
    extent = max(
        (
            max(t.shape)
            for r in reports
            for layer in r.layers
            if layer.spec_index in spec_indices
            for t in layer.tensors
        ),
        default=1,
    )
    scale = min(1.0, SPAN / extent)
    x0 = canvas.margin
    top = canvas.heading() + 14
    columns: list[dict[Key, Box]] = []
    body = Canvas("")
    x = x0
    for report in reports:
        anchors: dict[Key, Box] = {}
        y = top
        y = body.text(x, y, display(report.framework), size=TITLE, cls="head").bottom + 8
        for spec_index in spec_indices:
            ordinals = _instance_keys(report, spec_index)
            for layer in report.layers:
                if layer.spec_index != spec_index or not layer.recurrent:
                    continue
                y = (
                    body.text(
                        x, y, f"{layer.name} ({layer.class_name}): {fmt(layer.params)} parameters", size=BODY
                    ).bottom
                    + 6
                )
                for tensor in layer.tensors:
                    y = _draw_tensor(body, tensor, _cells(report, layer, tensor, ordinals), x, y, anchors, scale)
        columns.append(anchors)
        x = body.right + COLUMN_GAP
    # links under the blocks: the same block of the same cell instance, in the next framework
    summed = False
    for left, right in itertools.pairwise(columns):
        for a_key, b_key, exact in _pairs(left, right):
            a, b = left[a_key], right[b_key]
            summed = summed or not exact
            canvas.curve(
                (a.x + a.w / 2, a.y + a.h / 2),
                (b.x + b.w / 2, b.y + b.h / 2),
                f"link link-{a_key[2]}" + ("" if exact else " summed"),
                title=(
                    f"the same block ({a_key[2]} of gate {a_key[3] or '-'}) in both layouts"
                    if exact
                    else f"gate {a_key[3]}: a recurrent-side bias and the one bias it is summed into"
                ),
            )
    canvas.absorb(body)
    if len(reports) > 1:
        notes = [
            "Each line joins a block to the same block of the other layout: converting copies each block "
            "along its line (transposing where the orientations differ)."
        ]
        if summed:
            notes.append(
                "Dashed: one layout keeps two bias vectors per gate where the other keeps one, their sum; "
                "converting the other way keeps the sum and writes zeros as the recurrent-side bias."
            )
        y = canvas.bottom + 10
        for note in notes:
            y = canvas.text(x0, y, note, size=SMALL, cls="muted").bottom + 2
    return canvas

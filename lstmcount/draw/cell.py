"""``draw --view cell``: one time step of a recurrent cell, each gate a card holding its blocks.

The layout is the familiar one: the cell state (a GRU's or simple RNN's hidden state) runs along
the top, ``h_{t-1}`` and ``x_t`` come in along the bottom, the output leaves on the right. Gates
stand in the canonical order of the equations (forget, input, candidate, output; reset, update,
candidate) so the wiring reads left to right; each card names the framework's own symbol and the
slice of its tensor where every block is stored. A card's strip shows the gate's blocks side by
side at one scale for the whole drawing, so areas are in proportion to the counts.
"""

from __future__ import annotations

import textwrap

from lstmcount.cells import Kind, Param
from lstmcount.counting.counter import fmt
from lstmcount.draw.common import Instance, Piece, instances, meaning, recurrent_layers
from lstmcount.draw.svg import ADVANCE, BODY, HEAD, SMALL, Box, Canvas, block, height, width
from lstmcount.explain.document import shape
from lstmcount.frameworks import display
from lstmcount.model.report import Report

PAD = 10
GAP = 30
STRIP = 24  # the strip's height: a gate's H rows
MIN_W = 2.0  # a block is drawn at least this wide, so that a vector stays visible
#: the order the cards stand in, left to right, for the wiring
CARD_ORDER = {Kind.LSTM: ("f", "i", "g", "o"), Kind.GRU: ("r", "z", "n"), Kind.RNN: ("h",)}
KIND_LETTER = {Param.U: "U", Param.W: "W", Param.BX: "b", Param.BH: "b", Param.PEEP: "p", Param.PROJ: "P"}


def _sym_h(math: bool = True) -> float:
    return height(BODY, math)


def _row_h() -> float:
    return _sym_h() + height(SMALL) + 6


def _notes(inst: Instance, role: str) -> list[str]:
    c = inst.info.cell
    notes = []
    if inst.kind is Kind.GRU and role == "n":
        w = next(q for q in inst.gate_pieces("n") if q.param is Param.W)
        bh = next((q for q in inst.gate_pieces("n") if q.param is Param.BH), None)
        if c.reset_after:
            inner = f"{w.symbol} h_{{t-1}}" + (f" + {bh.symbol}" if bh else "")
            notes.append(f"reset after: r_t ⊙ ({inner})")
        else:
            notes.append(f"reset before: {w.symbol} (r_t ⊙ h_{{t-1}})")
    if role == "f" and c.forget_bias:
        notes.append(f"+ {c.forget_bias:g} added at run time")
    return notes


def _card_lines(inst: Instance, role: str) -> tuple[str, str]:
    gate = next(g for g in inst.gates if g.role == role)
    params = sum(q.params for q in inst.gate_pieces(role))
    act = inst.cell.activation(gate)
    return f"{gate.symbol} · {meaning(role)}", f"{act} · {fmt(params)} parameters"


def _strip_widths(inst: Instance, pieces: list[Piece], k: float) -> list[float]:
    return [max(MIN_W, inst.columns(q) * k) for q in pieces]


def draw_cell(report: Report, layer_name: str | None = None) -> Canvas:
    """The cell view of the first recurrent layer (or ``layer_name``): stacked layer 0, forward."""
    layer = recurrent_layers(report, layer_name)[0]
    inst = instances(report, layer)[0]
    kind = inst.kind
    roles = [r for r in CARD_ORDER[kind] if any(g.role == r for g in inst.gates)]
    fw_name = display(report.framework)
    canvas = Canvas(
        f"{layer.name} ({layer.class_name}) in {fw_name} conventions: one time step",
        f"The gates of one time step with every parameter block, its shape, its count and where {fw_name} stores it.",
    )
    pieces = {r: inst.gate_pieces(r) for r in roles}
    proj = inst.projection
    every = [q for r in roles for q in pieces[r]] + ([proj] if proj else [])
    sym_col = max(width(q.symbol, BODY, True) for q in every) + 8
    detail = max(max(width(f"{shape(q.shape)}  {fmt(q.params)}"), width(q.where, SMALL)) for q in every)
    heads = [_card_lines(inst, r) for r in roles]
    notes = {r: _notes(inst, r) for r in roles}
    cw = max(
        [PAD * 2 + 14 + sym_col + detail]
        + [PAD * 2 + width(a, HEAD) for a, _ in heads]
        + [PAD * 2 + width(b, SMALL) for _, b in heads]
        + [PAD * 2 + width(n, SMALL, True) for r in roles for n in notes[r]]
        + (
            [PAD * 2 + width(_proj_lines(proj)[0], HEAD), PAD * 2 + width(_proj_lines(proj)[1], SMALL, True)]
            if proj
            else []
        )
    )
    inner = cw - 2 * PAD
    max_cols = max(sum(inst.columns(q) for q in pieces[r]) for r in roles)
    k = inner / max_cols
    while max(sum(_strip_widths(inst, pieces[r], k)) for r in roles) > inner and k > 1e-9:
        k *= 0.98  # the floors of the thin blocks took room: shrink the rest until the strip fits
    n_rows = max(len(pieces[r]) for r in roles)
    n_notes = max(len(notes[r]) for r in roles)
    card_h = (
        PAD
        + height(HEAD)
        + 2
        + height(SMALL)
        + 8
        + STRIP
        + 8
        + n_rows * _row_h()
        + n_notes * (height(SMALL, True) + 2)
        + PAD
    )

    # title and what the drawing is
    x0 = canvas.margin
    y = canvas.heading() + 4
    sizes = f"I = {inst.info.input_size}, H = {inst.info.units}" + (f", P = {inst.info.proj_size}" if proj else "")
    box = canvas.text(
        x0, y, f"{sizes}: {fmt(inst.params)} parameters in this cell, the same at every time step", size=BODY
    )
    y = box.bottom + 18

    state = "c" if kind is Kind.LSTM else "h"
    lane_labels = [f"{state}_{{t-1}}", "h_{t-1}"]
    lw = max(width(t, BODY, True) for t in lane_labels) + 10
    xc = x0 + lw + 24
    lane_y = y + 12
    ops_y = lane_y + 38
    cards_y = lane_y + 78
    cx = {r: xc + n * (cw + GAP) + cw / 2 for n, r in enumerate(roles)}
    card_x = {r: xc + n * (cw + GAP) for n, r in enumerate(roles)}
    last_right = xc + len(roles) * (cw + GAP) - GAP
    x_out = last_right + 44
    has_out_column = kind is Kind.LSTM
    proj_x = (x_out + 40) if proj else None
    out_end = (proj_x + cw + 44) if proj_x is not None else (x_out + 48 if has_out_column else last_right + 48)
    lane_end = out_end

    # the cards
    for r, (head, sub) in zip(roles, heads, strict=True):
        _card(canvas, inst, r, Box(card_x[r], cards_y, cw, card_h), head, sub, pieces[r], notes[r], sym_col, k)

    def op(x: float, yy: float, text: str, title: str) -> float:
        radius = max(10.0, width(text, SMALL) / 2 + 5)
        with canvas.group(title):
            canvas.circle(x, yy, radius, "op")
            canvas.text(x, yy - height(SMALL) / 2, text, size=SMALL, anchor="middle")
        return radius

    label_y = lane_y - height(BODY, True) / 2
    top = cards_y
    if kind is Kind.RNN:
        r0 = roles[0]
        with canvas.group("the new hidden state h_t, which is also the output"):
            canvas.line([(cx[r0], top), (cx[r0], lane_y), (lane_end, lane_y)], "lane")
        canvas.text(lane_end + 6, label_y, "h_t", math=True)
    else:
        lane_title = "the cell state c: it runs from step to step" if kind is Kind.LSTM else "the hidden state h"
        with canvas.group(lane_title):
            canvas.line([(x0 + lw, lane_y), (lane_end, lane_y)], "lane")
        canvas.text(x0, label_y, lane_labels[0], math=True)
        canvas.text(lane_end + 6, label_y, f"{state}_t", math=True)
    if kind is Kind.LSTM:
        rad = op(cx["f"], lane_y, "×", "c_{t-1} ⊙ f_t: the forget gate scales the old cell state")
        with canvas.group("f_t"):
            canvas.line([(cx["f"], top), (cx["f"], lane_y + rad)], "arrow")
        mid = (cx["i"] + cx["g"]) / 2
        rad = op(mid, ops_y, "×", "i_t ⊙ the candidate: what is written to the cell state")
        with canvas.group("i_t and the candidate"):
            canvas.line([(cx["i"], top), (cx["i"], ops_y), (mid - rad, ops_y)], "arrow")
            canvas.line([(cx["g"], top), (cx["g"], ops_y), (mid + rad, ops_y)], "arrow")
        rad2 = op(mid, lane_y, "+", "c_t = f_t ⊙ c_{t-1} + i_t ⊙ candidate")
        with canvas.group("added to the cell state"):
            canvas.line([(mid, ops_y - rad), (mid, lane_y + rad2)], "arrow")
        act = inst.info.cell.cell_activation
        out_y = cards_y + card_h / 2
        rad_t = op(x_out, ops_y, act, f"{act}(c_t)")
        with canvas.group("c_t, read for the output"):
            canvas.line([(x_out, lane_y), (x_out, ops_y - rad_t)], "arrow")
        rad_x = op(x_out, out_y, "×", f"o_t ⊙ {act}(c_t)")
        with canvas.group("o_t"):
            canvas.line([(card_x["o"] + cw, out_y), (x_out - rad_x, out_y)], "arrow")
        with canvas.group(f"{act}(c_t)"):
            canvas.line([(x_out, ops_y + rad_t), (x_out, out_y - rad_x)], "arrow")
        out_y_label = out_y - height(BODY, True) / 2
        if proj is not None and proj_x is not None:
            pbox = _projection(canvas, inst, proj, proj_x, cards_y, cw, sym_col, k)
            py = pbox.y + pbox.h / 2
            with canvas.group("o_t ⊙ tanh(c_t), projected"):
                canvas.line([(x_out + rad_x, out_y), (proj_x - 8, out_y), (proj_x - 8, py), (proj_x, py)], "arrow")
            with canvas.group("h_t = P (o_t ⊙ tanh(c_t))"):
                canvas.line([(pbox.right, py), (out_end, py)], "arrow")
            canvas.text(out_end + 6, py - height(BODY, True) / 2, "h_t", math=True)
        else:
            with canvas.group("h_t: the output and the next hidden state"):
                canvas.line([(x_out + rad_x, out_y), (out_end, out_y)], "arrow")
            canvas.text(out_end + 6, out_y_label, "h_t", math=True)
    if kind is Kind.GRU:
        rad = op(cx["z"], lane_y, "×", "z_t ⊙ h_{t-1}: the update gate keeps part of the old state")
        with canvas.group("z_t"):
            canvas.line([(cx["z"], top), (cx["z"], lane_y + rad)], "arrow")
        mid = (cx["z"] + cx["n"]) / 2
        rad1 = op(mid, ops_y, "1−", "1 − z_t")
        with canvas.group("z_t, to 1 − z_t"):
            canvas.line(
                [(cx["z"] + 6, top), (cx["z"] + 6, ops_y + 16), (mid, ops_y + 16), (mid, ops_y + rad1)], "arrow"
            )
        rad_n = op(cx["n"], ops_y, "×", "(1 − z_t) ⊙ the candidate")
        with canvas.group("1 − z_t, to the candidate"):
            canvas.line([(mid + rad1, ops_y), (cx["n"] - rad_n, ops_y)], "arrow")
        with canvas.group("the candidate"):
            canvas.line([(cx["n"], top), (cx["n"], ops_y + rad_n)], "arrow")
        rad_p = op(cx["n"], lane_y, "+", "h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ candidate")
        with canvas.group("added to the hidden state"):
            canvas.line([(cx["n"], ops_y - rad_n), (cx["n"], lane_y + rad_p)], "arrow")
        ry = cards_y - 12
        with canvas.group("r_t: the reset gate, applied in the candidate"):
            canvas.line([(cx["r"], top), (cx["r"], ry), (card_x["n"] + 14, ry), (card_x["n"] + 14, top)], "arrow")
    # peepholes read the cell state
    for r in roles:
        if any(q.param is Param.PEEP for q in pieces[r]):
            px = card_x[r] + 6
            with canvas.group(f"peephole: gate {r} reads the cell state"):
                canvas.line([(px, lane_y + 3), (px, cards_y)], "peep")

    # the inputs along the bottom
    bus_y = cards_y + card_h + 28
    with canvas.group("h_{t-1} and x_t reach every gate"):
        canvas.line([(x0 + lw, bus_y), (cx[roles[-1]], bus_y)], "wire")
        for r in roles:
            canvas.line([(cx[r], bus_y), (cx[r], cards_y + card_h)], "arrow")
    canvas.text(x0, bus_y - height(BODY, True) / 2, "h_{t-1}", math=True)
    xin = xc - 8
    with canvas.group("x_t, the input at step t"):
        canvas.line([(xin, bus_y + 34), (xin, bus_y)], "arrow")
    canvas.text(xin, bus_y + 36, "x_t", math=True, anchor="middle")

    # what the drawing says, under it
    y = bus_y + 36 + height(BODY, True) + 14
    drawing_w = max(canvas.right, out_end + 40) - x0
    for line in _captions(inst, report):
        for part in textwrap.wrap(line, max(40, int(drawing_w / (ADVANCE * SMALL)))):
            box = canvas.text(x0, y, part, size=SMALL, cls="muted")
            y = box.bottom + 2
    return canvas


def _captions(inst: Instance, report: Report) -> list[str]:
    layer = inst.layer
    lines = [
        "Each gate is one dense layer over the input x and the previous hidden state h together, with its own "
        f"weights U and W{' and bias' if inst.info.bias_vectors else ''}, then its activation on each of the "
        f"{inst.info.units} units.",
        f"One cell, used at every time step: the same {fmt(inst.params)} parameters at t = 1, 2, …, T, "
        "so the count does not depend on T (nor on the batch size).",
        "Areas are in proportion to the parameter counts (a vector is drawn at least 2 px wide); "
        "U multiplies the input x, W the previous hidden state h, b is a bias"
        + (", p a peephole" if inst.info.cell.peepholes else "")
        + (", P the projection" if inst.projection else "")
        + ".",
    ]
    fused = [t.name for t in inst.tensors if len({p.role for p in t.placements if p.role}) > 1]
    if fused and len(inst.gates) > 1:
        lines.append(
            f"{', '.join(fused)} hold the gates in the order {', '.join(g.symbol for g in inst.gates)} "
            f"(lstmcount draw --view tensors shows where each block lies)."
        )
    many = len(layer.cells) > 1 or layer.directions > 1
    if many:
        parts = []
        if len(layer.cells) > 1:
            parts.append(f"{len(layer.cells)} stacked layers")
        if layer.directions > 1:
            parts.append("2 directions")
        lines.append(
            f"Drawn: stacked layer 0, forward. {layer.name} has {' × '.join(parts)}, each a cell like this with "
            f"its own weights ({fmt(layer.params)} parameters in all)."
        )
    return lines


def _card(
    canvas: Canvas,
    inst: Instance,
    role: str,
    card: Box,
    head: str,
    sub: str,
    pieces: list[Piece],
    notes: list[str],
    sym_col: float,
    k: float,
) -> None:
    params = sum(q.params for q in pieces)
    with canvas.group(f"{head}: {fmt(params)} parameters", {"gate": role, "params": params}, cls="gate"):
        canvas.rect(card, "card", rx=6)
        x = card.x + PAD
        y = card.y + PAD
        y = canvas.text(x, y, head, size=HEAD, cls="head").bottom + 2
        y = canvas.text(x, y, sub, size=SMALL, cls="muted").bottom + 8
        bx = x
        for q, w in zip(pieces, _strip_widths(inst, pieces, k), strict=True):
            _strip_block(canvas, q, Box(bx, y, w, STRIP))
            bx += w
        y += STRIP + 8
        for q in pieces:
            _block_row(canvas, q, x, y, sym_col)
            y += _row_h()
        for note in notes:
            y = canvas.text(x, y, note, size=SMALL, math=True).bottom + 2


def _strip_block(canvas: Canvas, q: Piece, box: Box) -> None:
    kind = q.param.value
    with canvas.group(q.describe(), _data(q), cls="block"):
        block(canvas, box, kind)
        letter = KIND_LETTER[q.param]
        if box.w >= width(letter, SMALL) + 6:
            canvas.text(box.x + box.w / 2, box.y + (STRIP - height(SMALL)) / 2, letter, size=SMALL, anchor="middle")


def _block_row(canvas: Canvas, q: Piece, x: float, y: float, sym_col: float) -> None:
    with canvas.group(q.describe(), _data(q), cls="entry"):
        block(canvas, Box(x, y + 3, 10, 10), q.param.value)
        canvas.text(x + 14, y, q.symbol, math=True)
        canvas.text(x + 14 + sym_col, y, f"{shape(q.shape)}  {fmt(q.params)}")
        canvas.text(x + 14 + sym_col, y + _sym_h() + 2, q.where, size=SMALL, cls="muted")


def _data(q: Piece) -> dict[str, object]:
    return {
        "param": q.param.value,
        "role": q.role,
        "path": q.tensor.path,
        "at": q.placement.text(q.tensor.shape),
        "shape": ",".join(map(str, q.shape)),
        "params": q.params,
    }


def _projection(
    canvas: Canvas, inst: Instance, q: Piece, x: float, y: float, cw: float, sym_col: float, k: float
) -> Box:
    h = inst.info.units
    w = max(MIN_W, inst.columns(q) * k)
    rows = max(MIN_W, inst.rows(q) * STRIP / h)
    card_h = PAD + height(HEAD) + 2 + height(SMALL, True) + 8 + rows + 8 + _row_h() + PAD
    card = Box(x, y, cw, card_h)
    with canvas.group(f"{_proj_lines(q)[0]}: {fmt(q.params)} parameters", {"gate": "", "params": q.params}, cls="gate"):
        canvas.rect(card, "card", rx=6)
        cx = x + PAD
        cy = y + PAD
        cy = canvas.text(cx, cy, _proj_lines(q)[0], size=HEAD, cls="head").bottom + 2
        cy = canvas.text(cx, cy, _proj_lines(q)[1], size=SMALL, cls="muted", math=True).bottom + 8
        _strip_block_sized(canvas, q, Box(cx, cy, w, rows))
        cy += rows + 8
        _block_row(canvas, q, cx, cy, sym_col)
    return card


def _proj_lines(q: Piece) -> tuple[str, str]:
    return f"{q.symbol} · projection", f"h_t = {q.symbol} (o_t ⊙ tanh(c_t))"


def _strip_block_sized(canvas: Canvas, q: Piece, box: Box) -> None:
    with canvas.group(q.describe(), _data(q), cls="block"):
        block(canvas, box, q.param.value)

"""``draw --view unrolled``: the same cell at every time step, with one shared weight panel per cell instance.

Stacked layers are rows, the first at the bottom; a bidirectional layer has a second row that runs
from step T back to step 1 with its own panel on the right. Every step box of a row hangs from the
row's one weight rail: the steps share one set of weights, which is why the count does not depend
on T. At most five steps are drawn (1, 2, …, T−1, T), so a long sequence costs no more to draw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from lstmcount.cells import Kind
from lstmcount.counting.counter import fmt
from lstmcount.draw.common import Instance, instances, recurrent_layers
from lstmcount.draw.svg import BODY, HEAD, SMALL, Box, Canvas, Line, height, lines_size, width
from lstmcount.explain.document import shape
from lstmcount.frameworks import display
from lstmcount.model.report import LayerReport, Report

PAD = 8
STEP_GAP = 40
ROW_GAP = 46


@dataclass
class _Row:
    inst: Instance
    lines: list[Line]  # text, size, class
    panel: Box | None = None


def shown_steps(steps: int) -> list[int]:
    """The steps drawn: all of them up to five, else 1, 2, 0 (an ellipsis), T−1, T."""
    return list(range(1, steps + 1)) if steps <= 5 else [1, 2, 0, steps - 1, steps]


def _panel_lines(inst: Instance, steps: int) -> list[Line]:
    head = inst.layer.name + (f" · {inst.label}" if inst.label else "")
    lines = [(head, HEAD, "head"), ("weights, shared by every step:", SMALL, "muted")]
    lines += [(f"{t.name} {shape(t.shape)}", SMALL, "") for t in inst.tensors]
    lines.append((f"{fmt(inst.params)} parameters, for T = {steps} or any T", SMALL, ""))
    return lines


def _panel_size(lines: list[Line]) -> tuple[float, float]:
    w, h = lines_size(lines)
    return w + 2 * PAD, h + 2 * PAD


def draw_unrolled(report: Report, layer_name: str | None, steps: int) -> Canvas:
    """The recurrent layers (or ``layer_name``) unrolled over ``steps`` time steps."""
    layers = recurrent_layers(report, layer_name)
    rows = [_Row(inst, _panel_lines(inst, steps)) for layer in layers for inst in instances(report, layer)]
    names = layers[0].name if len(layers) == 1 else ", ".join(layer.name for layer in layers)
    canvas = Canvas(
        f"{names} unrolled over T = {steps} time steps ({display(report.framework)})",
        "One cell per row, drawn once per time step; every step of a row reads the same weights.",
    )
    x0 = canvas.margin
    y = canvas.heading() + 4
    kind = rows[0].inst.kind
    state = "h, c" if kind is Kind.LSTM else "h"
    y = (
        canvas.text(
            x0,
            y,
            (
                f"Each row is one cell with its own weights, drawn {steps} times, not {steps} cells"
                if len(rows) > 1
                else f"The boxes are one cell drawn {steps} times, not {steps} cells"
            )
            + f": each step passes its state ({state}) on.",
            size=BODY,
        ).bottom
        + 16
    )

    shown = shown_steps(steps)
    fwd = [r for r in rows if r.inst.direction == 0]
    back = [r for r in rows if r.inst.direction == 1]
    fwd_w = max(_panel_size(r.lines)[0] for r in fwd)
    back_w = max((_panel_size(r.lines)[0] for r in back), default=0.0)
    start = "h_0, c_0 = 0" if kind is Kind.LSTM else "h_0 = 0"
    end_state = f"h_{{{steps + 1}}}, c_{{{steps + 1}}} = 0" if kind is Kind.LSTM else f"h_{{{steps + 1}}} = 0"
    gap_w = max(width(start, SMALL, True), width(end_state, SMALL, True) if back else 0.0) + 30
    box_w = max(width(f"{r.inst.layer.class_name} cell", BODY) for r in rows)
    box_w = max(box_w, width(f"t = {steps}", SMALL)) + 2 * PAD
    box_h = height(BODY) + height(SMALL) + 2 * PAD
    steps_x0 = x0 + fwd_w + gap_w
    xs: dict[int, float] = {}
    x = steps_x0
    for t in shown:
        xs[t] = x
        x += (36 if t == 0 else box_w) + STEP_GAP
    steps_right = x - STEP_GAP
    back_x = steps_right + gap_w
    row_h = [max(_panel_size(r.lines)[1], box_h) for r in rows]

    # rows from the bottom up: lay out top to bottom in reverse
    out_label_h = height(BODY, True) + 28
    top = y + out_label_h
    row_top: list[float] = [0.0] * len(rows)
    pos = top
    for k in range(len(rows) - 1, -1, -1):
        row_top[k] = pos
        pos += row_h[k] + ROW_GAP
    sequence = len(layers[-1].output_shape) == 3

    for k, row in enumerate(rows):
        inst = row.inst
        backward = inst.direction == 1
        rt = row_top[k]
        pw, ph = _panel_size(row.lines)
        px = back_x if backward else x0 + (fwd_w - pw)
        panel = Box(px, rt + (row_h[k] - ph) / 2, pw, ph)
        row.panel = panel
        data = {
            "layer": inst.layer.name,
            "stack": inst.info.stack_index,
            "direction": inst.direction,
            "params": inst.params,
        }
        with canvas.group(
            f"the weights of {inst.layer.name} {inst.label}".strip() + f": {fmt(inst.params)} parameters",
            data,
            cls="weights",
        ):
            canvas.rect(panel, "panel", rx=4)
            canvas.lines(panel.x + PAD, panel.y + PAD, row.lines)
        by = rt + (row_h[k] - box_h) / 2
        rail = by - 10
        # the shared weights: one rail from the panel, dropping into every step
        with canvas.group("the same weights reach every step (shared, not copied)"):
            far = steps_right if not backward else steps_x0
            near = panel.x if backward else panel.right
            canvas.line([(near, rail), (far, rail)], "share")
            for t in shown:
                if t:
                    cx = xs[t] + box_w / 2
                    canvas.line([(cx, rail), (cx, by)], "share")
        for t in shown:
            if t == 0:
                canvas.text(xs[0] + 18, by + (box_h - height(HEAD)) / 2, "…", size=HEAD, anchor="middle")
                continue
            sbox = Box(xs[t], by, box_w, box_h)
            with canvas.group(
                f"step {t}: the cell of {inst.layer.name} {inst.label}".strip(), {"step": t}, cls="timestep"
            ):
                canvas.rect(sbox, "step", rx=4)
                canvas.text(
                    sbox.x + box_w / 2, sbox.y + PAD, f"{inst.layer.class_name} cell", size=BODY, anchor="middle"
                )
                canvas.text(
                    sbox.x + box_w / 2,
                    sbox.y + PAD + height(BODY),
                    f"t = {t}",
                    size=SMALL,
                    cls="muted",
                    anchor="middle",
                )
        # the state passed from step to step
        mid = by + box_h / 2
        order = [t for t in shown]
        with canvas.group(f"the state ({state}) passed on to the next step"):
            if not backward:
                canvas.line([(steps_x0 - gap_w + 22, mid), (xs[order[0]], mid)], "arrow")
                for a, b in itertools.pairwise(order):
                    right = xs[a] + (36 if a == 0 else box_w)
                    canvas.line([(right, mid), (xs[b], mid)], "share" if 0 in (a, b) else "arrow")
            else:
                canvas.line([(back_x - 22, mid), (steps_right, mid)], "arrow")
                for a, b in itertools.pairwise(order):
                    right = xs[a] + (36 if a == 0 else box_w)
                    canvas.line([(xs[b], mid), (right, mid)], "share" if 0 in (a, b) else "arrow")
        label_y = mid - height(SMALL, True) - 4
        if not backward:
            canvas.text(steps_x0 - gap_w + 14, label_y, start, size=SMALL, math=True)
        else:
            canvas.text(back_x - 14, label_y, end_state, size=SMALL, math=True, anchor="end")
        # the input of each step, from below
        below = by + box_h
        with canvas.group("the input of each step: x_t, or the output of the layer below"):
            for t in shown:
                if t:
                    cx = xs[t] + box_w / 2 + (6 if backward else -6)
                    canvas.line([(cx, below + ROW_GAP - 16), (cx, below)], "arrow")
    # x_t under the bottom row, outputs over the top row
    low = row_top[0] + (row_h[0] + box_h) / 2 + ROW_GAP - 16 + 2
    for t in shown:
        if t:
            canvas.text(xs[t] + box_w / 2, low, f"x_{{{t}}}", math=True, anchor="middle")
    with canvas.group("the output: " + ("every step's h" if sequence else "the last step's h")):
        top_row = row_top[-1]
        top_by = top_row + (row_h[-1] - box_h) / 2 - 10
        for t in shown:
            if t and (sequence or t == steps):
                cx = xs[t] + box_w / 2
                canvas.line([(cx, top_by), (cx, top - 22)], "arrow")
    for t in shown:
        if t and (sequence or t == steps):
            canvas.text(xs[t] + box_w / 2, top - 22 - height(BODY, True), f"h_{{{t}}}", math=True, anchor="middle")

    # totals beside it
    tx = (back_x + back_w if back else steps_right) + 36
    canvas.lines(tx, top, _totals(report, layers, steps), gap=3)
    return canvas


def _totals(report: Report, layers: list[LayerReport], steps: int) -> list[Line]:
    params = sum(layer.params for layer in layers)
    out = [
        ("Totals", HEAD, "head"),
        (f"parameters: {fmt(params)}", BODY, ""),
        ("the same for any T", SMALL, "muted"),
    ]
    from lstmcount.counting.costs import estimate
    from lstmcount.errors import LstmcountError

    try:
        costs = estimate(report, 1, steps)
    except LstmcountError:
        return out
    names = {layer.name for layer in layers}
    per_seq = [c for c in costs.layers if c.name in names]
    if per_seq and all(c.per_sequence is not None for c in per_seq):
        macs = sum(c.per_sequence.macs for c in per_seq if c.per_sequence is not None)
        step = sum(c.per_step.macs for c in per_seq)
        out += [
            (f"MACs for T = {steps}: {fmt(macs)}", BODY, ""),
            (f"{fmt(step)} per step, one sequence", SMALL, "muted"),
            ("work grows with T; weights do not", SMALL, "muted"),
        ]
    return out

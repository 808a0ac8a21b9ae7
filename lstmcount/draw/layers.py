"""``draw --view model``: the whole model as a column of layers, each with its output shape and count.

A recurrent layer's box also shows its gates as a strip of equal blocks in the framework's order
and names the views that open it up (in the HTML report they follow the picture, one
``<details>`` per layer).
"""

from __future__ import annotations

from lstmcount.counting.counter import fmt
from lstmcount.draw.common import instances, meaning
from lstmcount.draw.svg import BODY, HEAD, SMALL, Box, Canvas, Line, block, height, lines_size, width
from lstmcount.frameworks import display
from lstmcount.model.report import LayerReport, Report
from lstmcount.renderers.report import shape_text

PAD = 10
GAP = 30


def _lines(report: Report, layer: LayerReport) -> list[Line]:
    lines = [(f"{layer.name} ({layer.class_name})", HEAD, "head")]
    lines.append((f"output {shape_text(layer.output_shape)} · {fmt(layer.params)} parameters", BODY, ""))
    if layer.recurrent:
        inst = instances(report, layer)[0]
        info = inst.info
        what = f"{len(inst.gates)} gates × {info.units} units"
        if len(layer.cells) > 1:
            what += f" · {len(layer.cells)} stacked"
        if layer.directions > 1:
            what += " · both directions"
        lines.append((what, SMALL, "muted"))
        lines.append((f"opens as: draw --view cell|tensors|unrolled --layer {layer.name}", SMALL, "muted"))
    elif layer.arithmetic:
        lines.append((layer.arithmetic, SMALL, "muted"))
    if not layer.trainable:
        lines.append(("frozen: not trained", SMALL, "muted"))
    return lines


def draw_model(report: Report) -> Canvas:
    """Input, then every layer top to bottom, then the totals."""
    fw = display(report.framework)
    name = report.model_name or "the model"
    canvas = Canvas(
        f"{name}: {fmt(report.total)} parameters ({fw})",
        "The model's layers, top to bottom, with output shapes and counts.",
    )
    x0 = canvas.margin
    y = canvas.heading() + 14
    boxes: list[tuple[LayerReport | None, list[Line]]] = [
        (None, [("input", HEAD, "head"), (f"shape {shape_text(report.input_shape)}", BODY, "")])
    ]
    boxes += [(layer, _lines(report, layer)) for layer in report.layers]
    box_w = max(lines_size(lines)[0] for _, lines in boxes) + 2 * PAD
    strip_h = 16
    cx = x0 + box_w / 2
    for k, (layer, lines) in enumerate(boxes):
        h = lines_size(lines)[1] + 2 * PAD + (strip_h + 6 if layer is not None and layer.recurrent else 0)
        box = Box(x0, y, box_w, h)
        if layer is None:
            title = f"the input: {shape_text(report.input_shape)}"
            data: dict[str, object] = {"layer": ""}
        else:
            out = shape_text(layer.output_shape)
            title = f"{layer.name} ({layer.class_name}): output {out}, {fmt(layer.params)} parameters"
            data = {"layer": layer.name, "params": layer.params, "shape": shape_text(layer.output_shape)}
        with canvas.group(title, data, cls="layer"):
            canvas.rect(box, "card" if layer is not None and layer.recurrent else "frame", rx=5)
            ty = canvas.lines(x0 + PAD, y + PAD, lines)
            if layer is not None and layer.recurrent:
                gates = layer.gate_defs
                gw = (box_w - 2 * PAD) / len(gates)
                for n, gate in enumerate(gates):
                    gbox = Box(x0 + PAD + n * gw, ty + 4, gw, strip_h)
                    with canvas.group(f"gate {gate.symbol}: {meaning(gate.role)}, stored in this order"):
                        block(canvas, gbox, "other")
                        if gw >= width(gate.symbol, SMALL) + 6:
                            canvas.text(
                                gbox.x + gw / 2,
                                gbox.y + (strip_h - height(SMALL)) / 2,
                                gate.symbol,
                                size=SMALL,
                                anchor="middle",
                            )
        y += h
        if k < len(boxes) - 1:
            with canvas.group("feeds the next layer"):
                canvas.line([(cx, y), (cx, y + GAP)], "arrow")
            y += GAP
    y += 16
    totals = [f"Total: {fmt(report.total)} parameters"]
    if report.non_trainable:
        totals.append(f"trainable {fmt(report.trainable)}, non-trainable {fmt(report.non_trainable)}")
    for n, text in enumerate(totals):
        y = canvas.text(x0, y, text, size=HEAD if n == 0 else SMALL, cls="head" if n == 0 else "muted").bottom + 2
    return canvas

"""One self-contained HTML page: the tables, the equations, the arithmetic and the pictures of a model.

No script, no network, no external file: the style sheet is in the page and the pictures are
inline SVG, so the page reads the same offline, printed or attached to a course. Every number
comes from the report objects the text renderers read.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from html import escape

from lstmcount import frameworks
from lstmcount.counting.counter import fmt
from lstmcount.draw.svg import Canvas
from lstmcount.explain.document import Drawing, Eq, Section, Table, Verbatim
from lstmcount.model.report import LayerReport, Report
from lstmcount.model.spec import ModelSpec
from lstmcount.renderers.report import gate_header, gate_rows, shape_text, total_arithmetic

CSS = """
body { font-family: 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif; color: #1a1a1a; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #bbb; padding: 0.2rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .eq { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.9rem; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; }
.eq td { border: none; padding: 0.1rem 0.5rem; } .eq td.note { color: #555; font-family: sans-serif; }
figure { margin: 1rem 0; overflow-x: auto; } figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9rem; }
details > summary { cursor: pointer; font-weight: bold; margin: 0.6rem 0; }
.total { font-size: 1.1rem; font-weight: bold; }
"""

_SUB = re.compile(r"_(\{[^}]*\}|[A-Za-z0-9~]+)")


def math(text: str) -> str:
    """A symbol or equation as HTML: ``x_t`` and ``h_{t-1}`` get their subscripts."""
    out = []
    pos = 0
    for m in _SUB.finditer(text):
        out.append(escape(text[pos : m.start()]))
        sub = m.group(1)
        out.append(f"<sub>{escape(sub[1:-1] if sub.startswith('{') else sub)}</sub>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


#: the states and the input at a step, which running text writes with subscripts
_STATES = re.compile(r"(?<![A-Za-z0-9_])([hcx])_(\{t-1\}|t)(?![A-Za-z0-9_])")
#: the columns of the explanation's tables that hold symbols only (no tensor names)
MATH_COLUMNS = ("Symbol", "What it is")


def prose(text: str) -> str:
    """A sentence as HTML: ``x_t`` and ``h_{t-1}`` get their subscripts; tensor names stay as they are."""
    out = []
    pos = 0
    for m in _STATES.finditer(text):
        out.append(escape(text[pos : m.start()]) + math(m.group(0)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), symbols: Sequence[int] = ()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{escape(c)}</td>'
            if k in numeric
            else f"<td>{math(c) if k in symbols else escape(c)}</td>"
            for k, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(canvas: Canvas, caption: str, number: Iterator[int]) -> str:
    """A picture with its caption; ``number`` counts the page's pictures, whose ids it keeps apart."""
    svg = canvas.svg(standalone=False, ids=f"fig{next(number)}-")
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def sections_html(sections: Sequence[Section]) -> str:
    """The explanation's sections (equations, tables, lines, drawings) as HTML."""
    out = []
    for section in sections:
        out.append(f"<h3>{escape(section.title)}</h3>")
        for item in section.items:
            if isinstance(item, Table):
                symbols = [k for k, h in enumerate(item.header) if h in MATH_COLUMNS]
                out.append(_table(item.header, item.rows, symbols=symbols))
            elif isinstance(item, (Verbatim, Drawing)):
                out.append("<pre>" + escape("\n".join(item.lines)) + "</pre>")
            elif item and isinstance(item[0], Eq):
                rows = "".join(
                    f"<tr><td>{math(e.lhs)}</td><td>=</td><td>{math(e.rhs)}</td>"
                    f'<td class="note">{escape(e.note)}</td></tr>'
                    for e in item
                )
                out.append(f'<table class="eq">{rows}</table>')
            elif len(item) > 1:
                out.append("<ul>" + "".join(f"<li>{prose(line)}</li>" for line in item) + "</ul>")
            else:
                out.extend(f"<p>{prose(line)}</p>" for line in item)
    return "\n".join(out)


def _layers_table(report: Report) -> str:
    rows = [
        (layer.name, layer.class_name, shape_text(layer.output_shape), fmt(layer.params), layer.formula)
        for layer in report.layers
    ]
    return _table(("Layer", "Class", "Output shape", "Params", "Arithmetic"), rows, numeric=(3,))


def _recurrent(report: Report, layer: LayerReport, steps: int, number: Iterator[int]) -> str:
    from lstmcount.draw import draw

    fw = frameworks.get(report.framework)
    out = [f"<h3>{escape(layer.name)} ({escape(layer.class_name)})</h3>"]
    out.append(_table(gate_header(layer, fw), gate_rows(layer), numeric=(len(gate_header(layer, fw)) - 1,)))
    tensors = [(t.path, shape_text(t.shape), fmt(t.params), "yes" if t.trainable else "no") for t in layer.tensors]
    out.append(_table(("Tensor", "Shape", "Params", "Trainable"), tensors, numeric=(2,)))
    out.append(f"<details open><summary>Pictures of {escape(layer.name)}: the cell, its tensors, unrolled</summary>")
    for view, caption in (
        ("cell", "One time step: every gate with its blocks, their shapes, counts and where they are stored."),
        ("tensors", "The stored tensors, split into the blocks of the cell equations."),
        ("unrolled", f"The layer over T = {steps} time steps: one set of weights shared by every step."),
    ):
        out.append(_figure(draw([report], view, layer=layer.name, steps=steps), caption, number))
    out.append("</details>")
    return "\n".join(out)


def page(
    reports: Sequence[Report],
    *,
    title: str,
    sections: Sequence[Sequence[Section]] = (),
    lead: Sequence[str] = (),
    steps: int = 3,
) -> str:
    """The HTML page of ``reports`` (one per framework), with each report's explanation ``sections`` if given."""
    from lstmcount.draw import draw

    number = itertools.count(1)
    body = [f"<h1>{escape(title)}</h1>"]
    body.extend(f"<p>{escape(line)}</p>" for line in lead)
    for n, report in enumerate(reports):
        body.append(f"<h2>{escape(report.framework_display)}</h2>")
        body.append(
            f'<p class="total">Total: {fmt(report.total)} parameters</p>'
            f"<p>Trainable {fmt(report.trainable)}, non-trainable {fmt(report.non_trainable)}. "
            f"{escape(total_arithmetic(report))}</p>"
        )
        body.append(_figure(draw([report], "model"), "The model, layer by layer.", number))
        body.append(_layers_table(report))
        for layer in report.layers:
            if layer.recurrent:
                body.append(_recurrent(report, layer, steps, number))
        if n < len(sections) and sections[n]:
            body.append("<h3>Explained</h3>")
            body.append(sections_html(sections[n]))
        body.extend(f"<p>{escape(note)}</p>" for note in report.notes)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def report_page(
    reports: Sequence[Report], spec: ModelSpec | None, *, lead: Sequence[str] = (), steps: int | None = None
) -> str:
    """The page of a count (or an inspection): each report with its explanation when it has a recurrent layer."""
    from lstmcount.errors import UsageError
    from lstmcount.explain.document import DEFAULT_STEPS, build

    drawn = steps or DEFAULT_STEPS
    sections = []
    for report in reports:
        try:
            sections.append(build(report, spec, tex=False, steps=drawn, width=None))
        except UsageError:  # no recurrent layer: nothing to explain
            sections.append([])
    first = reports[0]
    name = first.model_name or "the model"
    title = f"{name}: {fmt(first.total)} parameters ({first.framework_display})"
    if len(reports) > 1:
        title = f"{name} in {len(reports)} frameworks: " + ", ".join(
            f"{r.framework_display} {fmt(r.total)}" for r in reports
        )
    return page(reports, title=title, sections=sections, lead=lead, steps=drawn)

"""A small layout model that writes SVG: boxes, text, lines and groups, each with a title, placed by the views.

Pictures are laid out here rather than by a drawing library: the views need to know where every
label lies (so that none overlaps another and all stay inside the drawing), the output must be
the same bytes for the same model (golden files), text must stay text, and nothing may be
imported that the core does not already have. Text is set in a monospace font, whose advance is
the same for every character, so a label's width is known without a font file: :data:`ADVANCE`
em per character, a little over the 0.60 em of the usual monospace faces.

Pure Python (stdlib only).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape

#: the font of every label; all of these are monospace with an advance of about 0.6 em
FONT = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
#: advance of one character, in em, with a margin over the fonts above
ADVANCE = 0.62
#: a text box reaches this far above and below its baseline, in em (ascent and descent, with a margin)
ASCENT, DESCENT = 0.98, 0.28
#: subscripts: their size and how far they drop, in em of the text they belong to
SUB_SIZE, SUB_DROP = 0.72, 0.28
#: label sizes in px
SMALL, BODY, HEAD, TITLE = 11.0, 12.0, 13.0, 15.0

#: Okabe and Ito's palette, distinguishable with every common colour-vision deficiency; every
#: coloured block also carries its name or a pattern, so no meaning rests on colour alone
PALETTE = {
    "U": "#56B4E9",  # sky blue: input weights
    "W": "#E69F00",  # orange: recurrent weights
    "bx": "#009E73",  # bluish green: biases
    "bh": "#009E73",
    "p": "#CC79A7",  # reddish purple: peepholes
    "P": "#F0E442",  # yellow: the projection
    "other": "#BBBBBB",
}
#: fill patterns drawn over the colours, by block kind
PATTERN = {"U": "", "W": "hatch", "bx": "dots", "bh": "dots", "p": "cross", "P": "hatch-back", "other": ""}

_SUB = re.compile(r"_(\{[^}]*\}|[A-Za-z0-9~]+)")


def runs(text: str, math: bool = False) -> list[tuple[str, bool]]:
    """``text`` as (text, is_subscript) runs; in ``math`` text ``x_t`` and ``h_{t-1}`` have subscripts."""
    if not math:
        return [(text, False)]
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _SUB.finditer(text):
        if m.start() > pos:
            out.append((text[pos : m.start()], False))
        sub = m.group(1)
        out.append(((sub[1:-1] if sub.startswith("{") else sub).replace("-", "−"), True))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], False))
    return out or [("", False)]


def width(text: str, size: float = BODY, math: bool = False) -> float:
    """The width of ``text`` set at ``size`` px."""
    return sum(len(t) * ADVANCE * size * (SUB_SIZE if sub else 1.0) for t, sub in runs(text, math))


def height(size: float = BODY, math: bool = False) -> float:
    """The height of a line of text at ``size`` px (with room for subscripts in ``math`` text)."""
    return (ASCENT + (SUB_DROP + DESCENT * SUB_SIZE if math else DESCENT)) * size


#: a line of a block of text: its text, its size in px and its class
Line = tuple[str, float, str]


def lines_size(lines: Sequence[Line], gap: float = 2.0) -> tuple[float, float]:
    """The width and height of ``lines`` set one under another, ``gap`` px apart."""
    return max(width(t, s) for t, s, _ in lines), sum(height(s) + gap for _, s, _ in lines)


def _num(v: float) -> str:
    """A coordinate, rounded to a tenth of a pixel, without a trailing ``.0``."""
    text = f"{round(v, 1):.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Box:
    """A rectangle: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        """Its right edge."""
        return self.x + self.w

    @property
    def bottom(self) -> float:
        """Its bottom edge."""
        return self.y + self.h

    def overlaps(self, other: Box, slack: float = 0.0) -> bool:
        """Whether the two boxes share more than ``slack`` px in both directions."""
        return (
            min(self.right, other.right) - max(self.x, other.x) > slack
            and min(self.bottom, other.bottom) - max(self.y, other.y) > slack
        )


@dataclass
class Label:
    """A text placed on the canvas, and the box it takes."""

    text: str
    box: Box


@dataclass
class Canvas:
    """Elements in drawing order, and the extent they cover; :meth:`svg` writes them out."""

    title: str
    desc: str = ""
    margin: float = 12.0
    parts: list[str] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    right: float = 0.0
    bottom: float = 0.0
    _depth: int = 0

    # ------------------------------------------------------------------ extent
    def _extend(self, x: float, y: float) -> None:
        self.right = max(self.right, x)
        self.bottom = max(self.bottom, y)

    def _add(self, text: str) -> None:
        self.parts.append("  " * (self._depth + 1) + text)

    # ------------------------------------------------------------------ elements
    @contextmanager
    def group(self, title: str, data: Mapping[str, object] | None = None, cls: str = "") -> Iterator[None]:
        """Elements drawn inside belong to one item, described by ``title`` and its ``data-*`` attributes."""
        attrs = f' class="{cls}"' if cls else ""
        for key, value in (data or {}).items():
            attrs += f' data-{key}="{escape(str(value))}"'
        self._add(f"<g{attrs}>")
        self._depth += 1
        self._add(f"<title>{escape(title)}</title>")
        try:
            yield
        finally:
            self._depth -= 1
            self._add("</g>")

    def rect(self, box: Box, cls: str, *, title: str | None = None, rx: float = 0.0, fill: str = "") -> None:
        """A rectangle (a titled item of its own when ``title`` is given)."""
        attrs = f'x="{_num(box.x)}" y="{_num(box.y)}" width="{_num(box.w)}" height="{_num(box.h)}" class="{cls}"'
        if rx:
            attrs += f' rx="{_num(rx)}"'
        if fill:
            attrs += f' fill="{fill}"'
        self._element("rect", attrs, title)
        self._extend(box.right, box.bottom)

    def circle(self, cx: float, cy: float, r: float, cls: str, *, title: str | None = None) -> None:
        """A circle (an operator of the cell)."""
        self._element("circle", f'cx="{_num(cx)}" cy="{_num(cy)}" r="{_num(r)}" class="{cls}"', title)
        self._extend(cx + r, cy + r)

    def line(self, points: Sequence[tuple[float, float]], cls: str = "wire", *, title: str | None = None) -> None:
        """A polyline through ``points`` (class ``arrow`` ends it in an arrowhead)."""
        pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        self._element("polyline", f'points="{pts}" class="{cls}"', title)
        for x, y in points:
            self._extend(x, y)

    def curve(
        self, a: tuple[float, float], b: tuple[float, float], cls: str = "link", *, title: str | None = None
    ) -> None:
        """A horizontal S-curve from ``a`` to ``b``."""
        mid = (a[0] + b[0]) / 2
        d = f"M{_num(a[0])},{_num(a[1])} C{_num(mid)},{_num(a[1])} {_num(mid)},{_num(b[1])} {_num(b[0])},{_num(b[1])}"
        self._element("path", f'd="{d}" class="{cls}"', title)
        self._extend(max(a[0], b[0]), max(a[1], b[1]))

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = BODY,
        cls: str = "",
        anchor: str = "start",
        math: bool = False,
        title: str | None = None,
    ) -> Box:
        """A line of text with its top-left corner (or its top-centre, top-right by ``anchor``) at (x, y).

        Returns the box it takes, which the caller places the next element by.
        """
        w = width(text, size, math)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        box = Box(left, y, w, height(size, math))
        baseline = y + ASCENT * size
        body = ""
        shifted = False
        for part, sub in runs(text, math):
            if sub and not shifted:
                body += (
                    f'<tspan dy="{_num(SUB_DROP * size)}" font-size="{_num(SUB_SIZE * size)}">{escape(part)}</tspan>'
                )
                shifted = True
            elif not sub and shifted:
                body += f'<tspan dy="{_num(-SUB_DROP * size)}">{escape(part)}</tspan>'
                shifted = False
            elif sub:
                body += f'<tspan font-size="{_num(SUB_SIZE * size)}">{escape(part)}</tspan>'
            else:
                body += escape(part)
        attrs = f'x="{_num(x)}" y="{_num(baseline)}" font-size="{_num(size)}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if cls:
            attrs += f' class="{cls}"'
        if title is None and self._depth == 0:  # a label of its own: its title is its text
            title = "".join(part for part, _ in runs(text, math))
        if title is not None:
            self._add(f"<g><title>{escape(title)}</title><text {attrs}>{body}</text></g>")
        else:
            self._add(f"<text {attrs}>{body}</text>")
        self.labels.append(Label(text, box))
        self._extend(box.right, box.bottom)
        return box

    def lines(self, x: float, y: float, lines: Sequence[Line], gap: float = 2.0) -> float:
        """``lines`` one under another from (x, y), ``gap`` px apart; returns the y below the last."""
        for text, size, cls in lines:
            y = self.text(x, y, text, size=size, cls=cls).bottom + gap
        return y

    def heading(self) -> float:
        """The drawing's title, set at the top left; returns its bottom."""
        return self.text(self.margin, self.margin, self.title, size=TITLE, cls="head").bottom

    def _element(self, tag: str, attrs: str, title: str | None) -> None:
        if title is None:
            self._add(f"<{tag} {attrs}/>")
        else:
            self._add(f"<{tag} {attrs}><title>{escape(title)}</title></{tag}>")

    def absorb(self, other: Canvas) -> None:
        """Draw ``other``'s elements (laid out on a canvas of their own) after this one's."""
        self.parts.extend(other.parts)
        self.labels.extend(other.labels)
        self._extend(other.right, other.bottom)

    # ------------------------------------------------------------------ output
    def overlaps(self) -> list[tuple[Label, Label]]:
        """Pairs of labels whose boxes overlap (the views place them so that there are none)."""
        found = []
        ordered = sorted(self.labels, key=lambda label: label.box.x)
        for k, a in enumerate(ordered):
            for b in ordered[k + 1 :]:
                if b.box.x >= a.box.right:
                    break
                if a.box.overlaps(b.box):
                    found.append((a, b))
        return found

    def svg(self, *, standalone: bool = True, ids: str = "") -> str:
        """The drawing as an SVG document (or, not ``standalone``, an element to put inside HTML).

        ``ids`` prefixes the ids of the markers and patterns, so that several drawings can share a page.
        """
        w = self.right + self.margin
        h = self.bottom + self.margin
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(w)} {_num(h)}" '
            f'width="{_num(w)}" height="{_num(h)}" role="img">'
        )
        out = ['<?xml version="1.0" encoding="UTF-8"?>'] if standalone else []
        out.append(head)
        out.append(f"  <title>{escape(self.title)}</title>")
        if self.desc:
            out.append(f"  <desc>{escape(self.desc)}</desc>")
        out.append(STYLE)
        out.extend(self.parts)
        out.append("</svg>")
        text = "\n".join(out) + "\n"
        return text.replace('id="', f'id="{ids}').replace("url(#", f"url(#{ids}") if ids else text


def _fill_rules() -> str:
    rules = []
    for kind, colour in PALETTE.items():
        rules.append(f"    .blk-{kind} {{ fill: {colour}; stroke: #333333; stroke-width: 0.6; }}")
        rules.append(f"    .link-{kind} {{ stroke: {colour}; }}")
    return "\n".join(rules)


STYLE = (
    """  <style>
    text { fill: #1a1a1a; font-family: """
    + FONT
    + """; }
    .head { font-weight: bold; }
    .muted { fill: #555555; }
    .frame { fill: #ffffff; stroke: #4d4d4d; stroke-width: 1; }
    .card { fill: #f7f7f7; stroke: #4d4d4d; stroke-width: 1; }
    .panel { fill: #fdf6e3; stroke: #4d4d4d; stroke-width: 1; }
    .step { fill: #ffffff; stroke: #1a1a1a; stroke-width: 1.2; }
    .op { fill: #ffffff; stroke: #1a1a1a; stroke-width: 1.2; }
    .lane { fill: none; stroke: #1a1a1a; stroke-width: 2; marker-end: url(#arrow); }
    .wire { fill: none; stroke: #4d4d4d; stroke-width: 1.2; }
    .arrow { fill: none; stroke: #4d4d4d; stroke-width: 1.2; marker-end: url(#arrow); }
    .share { fill: none; stroke: #0072B2; stroke-width: 1; stroke-dasharray: 4 3; }
    .peep { fill: none; stroke: #CC79A7; stroke-width: 1.2; stroke-dasharray: 2 2; marker-end: url(#arrow); }
    .swatch { stroke: #333333; stroke-width: 0.6; }
    .label-bg { fill: #ffffff; fill-opacity: 0.8; stroke: none; }
    .link { fill: none; stroke-width: 1.4; opacity: 0.8; }
    .summed { stroke-dasharray: 5 3; }
"""
    + _fill_rules()
    + """
  </style>
  <defs>
    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
            orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" fill="#1a1a1a"/>
    </marker>
    <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <line x1="0" y1="0" x2="0" y2="6" stroke="#000000" stroke-opacity="0.35" stroke-width="2"/>
    </pattern>
    <pattern id="hatch-back" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">
      <line x1="0" y1="0" x2="0" y2="6" stroke="#000000" stroke-opacity="0.35" stroke-width="2"/>
    </pattern>
    <pattern id="dots" width="5" height="5" patternUnits="userSpaceOnUse">
      <circle cx="2.5" cy="2.5" r="1" fill="#000000" fill-opacity="0.45"/>
    </pattern>
    <pattern id="cross" width="6" height="6" patternUnits="userSpaceOnUse">
      <path d="M0,0 L6,6 M6,0 L0,6" stroke="#000000" stroke-opacity="0.35" stroke-width="1"/>
    </pattern>
  </defs>"""
)


def block(canvas: Canvas, box: Box, kind: str, *, title: str | None = None) -> None:
    """A parameter block: its colour, and over it the pattern of its kind."""
    canvas.rect(box, f"blk-{kind}", title=title)
    pattern = PATTERN.get(kind, "")
    if pattern:
        canvas.rect(box, "swatch", fill=f"url(#{pattern})", title=title)

"""Plain-text layout: tables and paragraphs fitted to a width, with optional terminal styles.

Every text renderer lays out with these two functions, so that all output fits the terminal
the same way: columns shrink by wrapping at spaces, a tensor path loses its middle (``bidir…/
gru_cell/recurrent_kernel``) so that the end that tells tensors apart stays, and nothing breaks
inside a word. Pure Python and fast: a table is laid out once, whatever its size.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

#: between two columns
GAP = "   "
RULE = "─"
ELLIPSIS = "…"
#: width when neither the caller nor a terminal gives one
DEFAULT_WIDTH = 100
#: narrowest a shortened path becomes
MIN_PATH = 16

BOLD, ITALIC, RED, RESET = "\x1b[1m", "\x1b[3m", "\x1b[31m", "\x1b[0m"


def styled(text: str, style: str, color: bool) -> str:
    """``text`` in a terminal style (``BOLD``, ``ITALIC``, ...) when colour is on."""
    return f"{style}{text}{RESET}" if color and text else text


@dataclass(frozen=True)
class Column:
    """A column: its header, alignment, and how its cells give way when the table is too wide.

    ``fit`` is ``wrap`` (break at spaces), ``path`` (shorten in the middle) or ``keep``.
    """

    header: str
    right: bool = False
    fit: str = "wrap"


def wrap(text: str, width: int | None, indent: str = "", subsequent: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` characters, broken at spaces only (None: one line)."""
    rest = indent if subsequent is None else subsequent
    if width is None or len(indent) + len(text) <= width:
        return [indent + text]
    lines = textwrap.wrap(
        text,
        width=max(width, len(indent) + 1, len(rest) + 1),
        initial_indent=indent,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return lines or [indent]


def shorten_path(path: str, width: int) -> str:
    """``path`` in at most ``width`` characters, its middle cut out so that its last part stays."""
    if len(path) <= width:
        return path
    cut = max(path.rfind("/"), path.rfind("."))
    tail = path[cut:] if cut > 0 else ""
    room = width - len(ELLIPSIS)
    if len(tail) >= room:  # the last part alone is too long: keep its end
        return ELLIPSIS + path[-room:]
    head = max(1, (room - len(tail)) // 3)
    tail = path[-(room - head) :]
    return path[:head] + ELLIPSIS + tail


def _min_width(column: Column, natural: int, cells: Sequence[str]) -> int:
    if column.fit == "keep":
        return natural
    if column.fit == "path":
        return min(natural, max(MIN_PATH, len(column.header)))
    words = [len(w) for cell in [column.header, *cells] for w in cell.split()]
    return min(natural, max(words, default=1))


def _cell_lines(text: str, width: int, column: Column) -> list[str]:
    if len(text) <= width or column.fit == "keep":
        return [text]
    if column.fit == "path":
        return [shorten_path(text, width)]
    return wrap(text, width)


def table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    title: str | None = None,
    color: bool = False,
    gap: str = GAP,
    rule_per_column: bool = False,
) -> list[str]:
    """The rows under a header line and a rule, each column as wide as its widest cell, fitted to ``width``.

    ``rule_per_column`` draws the rule under each column apart (``────  ─────``) instead of across.
    """
    count = len(columns)
    natural = [max([len(c.header), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    widths = list(natural)
    if width is not None:
        excess = sum(widths) + len(gap) * (count - 1) - width
        floors = [_min_width(c, natural[i], [r[i] for r in rows]) for i, c in enumerate(columns)]
        while excess > 0:
            slack = [(widths[i] - floors[i], i) for i in range(count) if widths[i] > floors[i]]
            if not slack:
                break
            _, i = max(slack)
            take = min(excess, max(1, (widths[i] - floors[i]) // 4))
            widths[i] -= take
            excess -= take
    out = [styled(line, BOLD, color) for line in wrap(title, width)] if title else []

    def lines_of(cells: Sequence[str], header: bool = False) -> list[str]:
        parts = [_cell_lines(cell, widths[i], columns[i]) for i, cell in enumerate(cells)]
        height = max(len(p) for p in parts)
        block = []
        for k in range(height):
            pieces = []
            for i, part in enumerate(parts):
                piece = part[k] if k < len(part) else ""
                pieces.append(piece.rjust(widths[i]) if columns[i].right else piece.ljust(widths[i]))
            line = gap.join(pieces).rstrip()
            block.append(styled(line, BOLD, color) if header else line)
        return block

    out += lines_of([c.header for c in columns], header=True)
    if rule_per_column:
        out.append(gap.join(RULE * w for w in widths))
    else:
        out.append(RULE * (sum(widths) + len(gap) * (count - 1)))
    for row in rows:
        out += lines_of(row)
    return out


def grid(rows: Sequence[Sequence[str]], right: Sequence[int] = (), gap: str = "  ") -> list[str]:
    """Rows in aligned columns without header or rule (``right``: the columns aligned to the right)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))] if rows else []
    return [
        gap.join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
        for row in rows
    ]


def equation(lhs: str, rhs: str, note: str, lhs_width: int, rhs_width: int, width: int | None) -> list[str]:
    """``lhs = rhs   note`` aligned with its neighbours; too wide, the note and then the right side wrap."""
    line = f"{lhs.ljust(lhs_width)} = {rhs.ljust(rhs_width)}   {note}".rstrip()
    if width is None or len(line) <= width:
        return [line]
    head = f"{lhs.ljust(lhs_width)} = "
    out = wrap(rhs, width, indent=head, subsequent=" " * (len(head) + 2))
    if note:
        out += wrap(note, width, indent=" " * (len(head) + 2))
    return out

"""``check --update``: write the current counts into a spec's ``expect:`` block, keeping the rest.

The file is edited as text at the positions the YAML parser reports (JSON too, which YAML
reads): existing values are replaced in place, missing keys are inserted in the block's own
style (flow ``{...}`` or block, JSON keys quoted), and a block is added at the end when there is
none; comments, key order, line breaks and formatting elsewhere are untouched. Only a JSON file
that YAML cannot read is rewritten whole (same key order and indentation). The new text is
parsed and checked before it replaces the file atomically.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcount.errors import Location, SpecError

if TYPE_CHECKING:
    from lstmcount.io.loader import Document
    from lstmcount.model.report import Report

#: Keys every expect block gets (in this order in a new one); per-layer counts are updated where listed.
NEW_BLOCK_KEYS = ("total", "trainable", "non_trainable")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with ``text`` (offsets into the file's text)."""

    start: int
    end: int
    text: str


def wanted_counts(document: Document, report: Report) -> dict[str, Any]:
    """The expect values to write: total, trainable and non_trainable, and each layer already listed."""
    expect = document.data.get("expect") if isinstance(document.data, dict) else None
    present = expect if isinstance(expect, dict) else {}
    values: dict[str, Any] = {key: getattr(report, key) for key in NEW_BLOCK_KEYS}
    layers = present.get("layers")
    if isinstance(layers, dict) and layers:
        values["layers"] = {name: report.layer(name).params for name in layers}
    return values


class _Text:
    """A text with (line, column) to offset conversion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        for match in re.finditer("\n", text):
            self.starts.append(match.end())

    def offset(self, line: int, column: int) -> int:
        if line >= len(self.starts):
            return len(self.text)
        return min(self.starts[line] + column, len(self.text))

    @property
    def newline(self) -> str:
        """The file's line break: ``\\r\\n`` when its first line ends so, else ``\\n``."""
        first = self.text.find("\n")
        return "\r\n" if first > 0 and self.text[first - 1] == "\r" else "\n"

    def line_end(self, offset: int) -> int:
        """The offset where the line holding ``offset`` ends (before its line break)."""
        end = self.text.find("\n", offset)
        end = len(self.text) if end < 0 else end
        return end - 1 if end > offset and self.text[end - 1] == "\r" else end


def _key(key: str, quoted: bool) -> str:
    return json.dumps(key) if quoted else key


def _flow_mapping(values: dict[str, Any], quoted: bool) -> str:
    parts = []
    for key, value in values.items():
        text = _flow_mapping(value, quoted) if isinstance(value, dict) else str(value)
        parts.append(f"{_key(key, quoted)}: {text}")
    return "{" + ", ".join(parts) + "}"


def _block_lines(values: dict[str, Any], indent: str, step: str) -> list[str]:
    lines = []
    for key, value in values.items():
        if isinstance(value, dict):
            lines.append(f"{indent}{key}:")
            lines.extend(_block_lines(value, indent + step, step))
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def _container(path: str) -> str:
    """The path of the mapping or list holding ``path`` ("" for the top level)."""
    path = path.removesuffix("#key")
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


class _Editor:
    """Computes text edits for one document from the spans the loader recorded."""

    def __init__(self, document: Document, quoted: bool) -> None:
        self.doc = document
        self.text = _Text(document.text)
        self.quoted = quoted
        self.containers = {_container(key) for key in document.spans}

    def span(self, path: str) -> tuple[int, int]:
        line0, col0, line1, col1 = self.doc.spans[path]
        return self.text.offset(line0, col0), self.text.offset(line1, col1)

    def member_keys(self, path: str) -> list[str]:
        """The ``#key`` span names of the mapping at ``path``, in file order."""
        return [k for k in self.doc.spans if k.endswith("#key") and _container(k) == path]

    def subtree_end(self, path: str) -> int:
        """The offset just after the last value written inside ``path`` (not counting itself).

        A block mapping or list ends where the next token starts (perhaps lines later), so only
        scalars and flow collections, whose ends are exact, are considered.
        """
        best = 0
        for key in self.doc.spans:
            inside = key != path and (not path or key.startswith((path + ".", path + "[")))
            if inside and (key.removesuffix("#key") not in self.containers or key in self.doc.flow):
                best = max(best, self.span(key)[1])
        return best

    def indent_step(self) -> str:
        """The file's indentation step, from its first nested block mapping (default two spaces)."""
        for key, (_, col, _, _) in self.doc.spans.items():
            parent = _container(key)
            if key.endswith("#key") and parent and not parent.endswith("]") and parent not in self.doc.flow:
                outer = self.doc.spans.get(parent + "#key")
                if outer and col > outer[1]:
                    return " " * (col - outer[1])
        return "  "

    def insert_keys(self, path: str, values: dict[str, Any]) -> list[Edit]:
        """Add keys to the mapping at ``path``, in its style (flow or block)."""
        if not values:
            return []
        members = self.member_keys(path)
        if path in self.doc.flow:
            start, _ = self.span(path)
            items = [
                f"{_key(k, self.quoted)}: {_flow_mapping(v, self.quoted) if isinstance(v, dict) else v}"
                for k, v in values.items()
            ]
            if not members:
                brace = self.doc.text.index("{", start) + 1
                return [Edit(brace, brace, ", ".join(items))]
            rows = {self.doc.spans[k][0] for k in members}
            last_col = self.doc.spans[members[-1]][1]
            multiline = len(rows) > 1 or min(rows) != self.doc.spans[path][0]
            sep = "," + self.text.newline + " " * last_col if multiline else ", "
            anchor = self.subtree_end(path)
            return [Edit(anchor, anchor, "".join(sep + item for item in items))]
        indent = " " * min(self.doc.spans[k][1] for k in members) if members else ""
        anchor = self.text.line_end(self.subtree_end(path))
        lines = _block_lines(values, indent, self.indent_step())
        nl = self.text.newline
        return [Edit(anchor, anchor, nl + nl.join(lines))]

    def replace(self, path: str, value: Any) -> Edit:
        """Replace the scalar at ``path``; an empty value (``key:``) gets a space first."""
        start, end = self.span(path)
        text = _flow_mapping(value, self.quoted) if isinstance(value, dict) else str(value)
        return Edit(start, end, (" " if start == end else "") + text)

    def edits(self, values: dict[str, Any]) -> list[Edit]:
        """The text edits that make the expect block hold ``values``."""
        data = self.doc.data
        if "expect" not in data:
            if "" in self.doc.flow:
                return self.insert_keys("", {"expect": values})
            indent = " " * min((self.doc.spans[k][1] for k in self.member_keys("")), default=0)
            step = self.indent_step()
            anchor = self.text.line_end(self.subtree_end(""))
            lines = [f"{indent}expect:", *_block_lines(values, indent + step, step)]
            nl = self.text.newline
            return [Edit(anchor, anchor, nl + nl.join(lines))]
        expect = data["expect"]
        if not isinstance(expect, dict):
            return [self.replace("expect", values)]
        edits: list[Edit] = []
        missing: dict[str, Any] = {}
        for key, value in values.items():
            if key not in expect:
                missing[key] = value
            elif isinstance(value, dict) and isinstance(expect[key], dict):
                edits.extend(
                    self.replace(f"expect.{key}.{name}", params)
                    for name, params in value.items()
                    if expect[key].get(name) != params
                )
            elif expect[key] != value:
                edits.append(self.replace(f"expect.{key}", value))
        edits.extend(self.insert_keys("expect", missing))
        return edits


def apply(text: str, edits: list[Edit]) -> str:
    """``text`` with the (non-overlapping) edits applied."""
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def json_text(document: Document, values: dict[str, Any]) -> str:
    """The JSON file rewritten whole (when YAML cannot give positions), same key order and indent."""
    data = json.loads(document.text)
    expect = data.get("expect")
    expect = expect if isinstance(expect, dict) else {}
    for key, value in values.items():
        if isinstance(value, dict):
            expect.setdefault(key, {}).update(value)
        else:
            expect[key] = value
    data["expect"] = expect
    match = re.search(r"\n([ \t]+)\S", document.text)
    indent: int | str | None = None
    if match:
        indent = len(match.group(1)) if set(match.group(1)) == {" "} else match.group(1)
    return json.dumps(data, indent=indent, ensure_ascii=False) + ("\n" if document.text.endswith("\n") else "")


def new_text(document: Document, report: Report) -> str:
    """The file's text with its expect block holding the report's counts."""
    values = wanted_counts(document, report)
    is_json = document.file.lower().endswith(".json")
    if not isinstance(document.data, dict):
        raise SpecError("cannot update this file: not a mapping", location=Location(document.file))
    if not document.spans:
        if is_json:
            return json_text(document, values)
        raise SpecError("cannot update this file: no positions", location=Location(document.file))
    return apply(document.text, _Editor(document, quoted=is_json).edits(values))


def write_atomic(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (a temporary file, then ``os.replace``)."""
    from lstmcount.io.atomic import replacing

    target = Path(os.path.realpath(path))
    with (
        replacing(target, mode=target.stat().st_mode & 0o7777) as tmp,
        open(tmp, "w", encoding="utf-8", newline="") as f,
    ):
        f.write(text)


def _without_expect(data: Any) -> Any:
    return {k: v for k, v in data.items() if k != "expect"} if isinstance(data, dict) else data


def update_file(document: Document, report: Report, show: Callable[[str], object] | None = None) -> str:
    """Rewrite the file's expect block to the report's counts; returns the unified diff ("" if unchanged).

    The new text is parsed and validated first: if it is not a valid spec with exactly these
    counts, nothing is written and a :class:`SpecError` is raised. ``show`` receives the diff
    before the file is written.
    """
    from lstmcount.io.loader import parse_text, spec_from_document

    if document.file == "<stdin>":
        raise SpecError("cannot update standard input", location=Location(document.file))
    old = document.text
    new = new_text(document, report)
    if new == old:
        return ""
    try:
        reread = parse_text(new, document.file, json_only=document.file.lower().endswith(".json"))
        check = spec_from_document(reread)
    except SpecError as exc:
        raise SpecError(
            f"update would break the file ({exc.message}); not written", location=Location(document.file)
        ) from None
    if _without_expect(reread.data) != _without_expect(document.data):
        raise SpecError(
            "update would change more than the expect block (a shared anchor?); not written",
            location=Location(document.file),
            hint="write the expected counts as plain numbers",
        )
    wanted = wanted_counts(document, report)
    expect = check.expect
    written = {} if expect is None else {key: getattr(expect, key) for key in wanted}
    if "layers" in written:
        written["layers"] = {name: written["layers"].get(name) for name in wanted["layers"]}
    if written != wanted:
        raise SpecError("update did not produce the expected block; not written", location=Location(document.file))
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{document.file}", f"b/{document.file}"
    )
    diff = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if show is not None:
        show(diff)
    write_atomic(document.file, new)
    return diff

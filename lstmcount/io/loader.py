"""Loading specs from YAML or JSON text, keeping the line and column of every field.

The only module that imports yaml. Documents are composed with PyYAML's safe composer (the C
one when present) and built here node by node, so that duplicate keys, non-standard tags, alias
bombs and deep nesting are refused with the position of the offending node, and every value's
position is kept for error messages about the spec itself.
"""

from __future__ import annotations

import json
import operator
import os
import stat
import sys
from collections.abc import Callable
from typing import Any

import yaml

from lstmcount.errors import Location, SpecError
from lstmcount.model.spec import ModelSpec, spec_from_dict

#: Largest number of values aliases may add to a document (each use of an anchor repeats its values).
MAX_EXPANSION = 20_000
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 32
#: Largest spec file read, in bytes.
MAX_BYTES = 4 * 1024 * 1024
#: How standard input is named in messages.
STDIN = "<stdin>"

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}
_STR, _INT, _NULL, _BOOL, _FLOAT, _SEQ, _MAP = (
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "null", "bool", "float", "seq", "map")
)
_SCALAR_NODE, _SEQUENCE_NODE = yaml.ScalarNode, yaml.SequenceNode
_BOOLS = {"true": True, "false": False, "True": True, "False": False, "TRUE": True, "FALSE": False}
_SCALARS = yaml.SafeLoader("")  # resolves and constructs plain scalars (int, float, bool, null)
#: characters of a float that Python's float() reads as PyYAML's constructor does (no _ : inf nan)
_FLOAT_CHARS = frozenset("0123456789.eE+-")
#: plain scalar text -> the tag the safe resolver gives it (a pure function of the text)
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 4096


class _Resolving:
    """The safe loader's resolver, with the implicit tags of plain scalars remembered across documents.

    Keys and values repeat from file to file (``type``, ``units``, ``true``, ``64``), and the
    resolver tries a list of regular expressions on each; the tag depends only on the text.
    """

    # The composer calls these two around every node, to follow paths for path resolvers; this
    # loader has none, so two functions of C that do nothing save two Python calls per node.
    descend_resolver = staticmethod(operator.is_)  # called with (parent node, index); ignored
    ascend_resolver = staticmethod(tuple)  # called with no arguments; ignored

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if self.yaml_path_resolvers:  # type: ignore[attr-defined]  # none here (they would need the two above)
            raise TypeError("lstmcount's spec loader takes no path resolvers")
        if kind is _SCALAR_NODE:
            if not implicit[0]:  # quoted, or a plain scalar with the non-specific tag '!'
                return _STR
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = str(super().resolve(kind, value, implicit))  # type: ignore[misc]
                if len(_RESOLVED) < _RESOLVED_MAX and len(value) <= 64:
                    _RESOLVED[value] = tag
            return tag
        return _SEQ if kind is _SEQUENCE_NODE else _MAP


class _Composer(_Resolving, _Loader):  # type: ignore[misc]  # a base chosen at import time
    """The safe composer, libyaml's when PyYAML has it."""


class _PurePythonComposer(_Resolving, yaml.SafeLoader):  # type: ignore[misc]  # its resolver hooks are C-speed no-ops
    """The safe composer in pure Python: slower, with no nesting limit of its own (some libyaml builds have one)."""


class Document:
    """A loaded document: the plain data and where each field path sits in the file.

    ``positions`` (field path -> line and column) is worked out on first use, from the composed
    nodes kept for it: only an error message needs it, so a valid file never pays for it.
    """

    def __init__(
        self,
        data: Any,
        file: str,
        positions: dict[str, tuple[int, int]] | Callable[[], dict[str, tuple[int, int]]],
        spans: dict[str, tuple[int, int, int, int]] | None = None,
        flow: set[str] | None = None,
        text: str = "",
    ) -> None:
        self.data = data
        self.file = file
        self._positions = positions
        #: with ``spans=True``: field path -> (start line, start column, end line, end column), 0-based
        self.spans: dict[str, tuple[int, int, int, int]] = spans if spans is not None else {}
        #: with ``spans=True``: paths of mappings and lists written in flow style (``{...}``, ``[...]``)
        self.flow: set[str] = flow if flow is not None else set()
        #: the decoded text of the file
        self.text = text

    @property
    def positions(self) -> dict[str, tuple[int, int]]:
        """Field path (and ``path#key`` for a mapping key) -> 1-based (line, column)."""
        if callable(self._positions):
            self._positions = self._positions()
        return self._positions

    def where(self, path: str) -> Location:
        """The location of the value at ``path`` (or of its nearest ancestor)."""
        return self.locate(SpecError("", path=path)).location

    def locate(self, error: SpecError) -> SpecError:
        """``error`` with file, line and column filled in from its field path."""
        if error.location.line is not None:
            return error
        path = error.path
        key_first = error.message.startswith(("unknown field", "given twice", "unknown layer name"))
        positions = self.positions
        while True:
            for candidate in (path + "#key", path) if key_first else (path, path + "#key"):
                if candidate in positions:
                    line, col = positions[candidate]
                    return error.at(Location(self.file, line, col))
            if not path or path == "<document>":
                break
            path = _parent(path)
        return error.at(Location(self.file, None, None))


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


class _Builder:
    """Turns a composed node tree into plain Python data, refusing what a spec cannot hold."""

    def __init__(self, file: str, spans: bool = False) -> None:
        self.file = file
        self.positions: dict[str, tuple[int, int]] = {}
        #: nodes built so far, and how many of them were reached again through an alias
        self.seen: set[int] = set()
        self.expanded = 0
        self.keep_spans = spans
        self.spans: dict[str, tuple[int, int, int, int]] = {}
        self.flow: set[str] = set()

    def fail(
        self,
        node: yaml.Node,
        message: str,
        path: str,
        hint: str | None = None,
        *,
        expected: str | None = None,
        received: str | None = None,
    ) -> SpecError:
        mark = node.start_mark
        return SpecError(
            message,
            path=path,
            hint=hint,
            expected=expected,
            received=received,
            location=Location(self.file, mark.line + 1, mark.column + 1),
        )

    def build(self, node: yaml.Node, path: str, depth: int) -> Any:
        if id(node) in self.seen:  # the composer shares one node among an anchor and its aliases
            self.expanded += 1
            if self.expanded > MAX_EXPANSION:
                raise self.fail(
                    node,
                    f"aliases expand the document by more than {MAX_EXPANSION:,} values",
                    path or "<document>",
                    "write the values out instead of nesting aliases",
                )
        else:
            self.seen.add(id(node))
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nested more than {MAX_DEPTH} levels deep", path or "<document>")
        if node.tag not in _STANDARD:
            raise self.refuse_tag(node, path or "<document>")
        mark = node.start_mark
        positions = self.positions
        positions[path] = (mark.line + 1, mark.column + 1)
        if self.keep_spans:
            end = node.end_mark
            self.spans[path] = (mark.line, mark.column, end.line, end.column)
            if getattr(node, "flow_style", False):
                self.flow.add(path)
        kind = node.__class__
        if kind is yaml.ScalarNode:
            return self.scalar(node, path or "<document>")
        if kind is yaml.SequenceNode:
            return [self.build(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STR and key_node.__class__ is yaml.ScalarNode:
                key = key_node.value
            else:
                key = self.key(key_node, path)
            sub = f"{path}.{key}" if path else key
            key_mark = key_node.start_mark
            if key in out:
                first = positions[sub + "#key"][0]
                raise self.fail(
                    key_node,
                    f"duplicate key {key!r} (first at line {first})",
                    sub,
                    "readers keep only the last one; remove one of them",
                )
            positions[sub + "#key"] = (key_mark.line + 1, key_mark.column + 1)
            if self.keep_spans:
                k1 = key_node.end_mark
                self.spans[sub + "#key"] = (key_mark.line, key_mark.column, k1.line, k1.column)
            out[key] = self.build(value_node, sub, depth + 1)
        return out

    def key(self, key_node: yaml.Node, path: str) -> str:
        """A mapping key that is not a plain string: a number or boolean is read as its text."""
        if key_node.tag == "tag:yaml.org,2002:merge":
            raise self.fail(
                key_node, "merge keys ('<<') are not supported in a spec", path or "<document>", "write the fields out"
            )
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _STANDARD:
            raise self.fail(
                key_node,
                "keys must be plain names",
                path or "<document>",
                expected="a field name",
                received=_node_kind(key_node),
            )
        return str(self.scalar(key_node, path or "<document>"))

    def refuse_tag(self, node: yaml.Node, path: str) -> SpecError:
        """The error for a node whose tag a spec cannot hold (python objects, dates, sets...)."""
        tag = str(node.tag)
        short = tag.replace("tag:yaml.org,2002:", "!!")
        if isinstance(node, yaml.ScalarNode) and tag in _IMPLICIT:
            return self.fail(
                node,
                f"{_IMPLICIT[tag]} value is not allowed here",
                path,
                f"quote it to write a string: '{node.value}'",
                expected="a number, boolean or string",
                received=f"{_IMPLICIT[tag]} {node.value!r}",
            )
        if short.startswith("!!python/"):
            return self.fail(
                node,
                f"unsafe tag {short!r} refused (specs are loaded safely, never as Python objects)",
                path,
                "remove the tag",
            )
        return self.fail(
            node,
            f"tag {short!r} is not allowed in a spec",
            path,
            "remove the tag: specs hold plain mappings, lists, numbers and strings",
        )

    def scalar(self, node: yaml.Node, path: str) -> Any:
        """The value of a plain scalar node (int, float, bool, null or string)."""
        tag, value = node.tag, node.value
        # fast paths for the common spellings; PyYAML's constructor handles the rest
        # (octal 010, hex, 1_000, sexagesimal 1:30, .inf, ...)
        if tag == _STR:
            return value
        if tag == _INT and value.isascii() and value.isdigit() and (value[0] != "0" or value == "0"):
            if len(value) <= 4300:
                return int(value)
        elif tag == _NULL:
            return None
        elif tag == _BOOL and value in _BOOLS:
            return _BOOLS[value]
        try:
            return _SCALARS.construct_object(node, deep=True)
        except Exception:  # PyYAML's constructors fail in many ways on explicitly tagged values
            text = str(value)
            if tag == _INT and sum(c.isdigit() for c in text) > 4300:  # too long for Python to convert
                raise self.fail(
                    node,
                    "number too large",
                    path,
                    expected="at most 4,300 digits",
                    received=f"a number of {len(text):,} digits",
                ) from None
            kind = str(tag).rsplit(":", 1)[-1]
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise self.fail(
                node,
                f"not a valid {kind}",
                path,
                f"remove the !!{kind} tag or fix the value",
                expected=f"a value that reads as {kind}",
                received=repr(shown),
            ) from None


class _UnusualError(Exception):
    """Raised by :func:`_plain_data` on anything off the common path; the full builder takes over."""


def _plain_data(root: yaml.Node, text: str) -> Any:
    """The plain data of a composed document, or :class:`_UnusualError`.

    The happy path of :class:`_Builder` without field paths or positions: standard tags, string
    keys given once, the common spellings of numbers, booleans and null, within the size and
    depth limits. Anything else (an error, an odd tag, an alias bomb, a number PyYAML's
    constructor must read) raises :class:`_UnusualError`, and :class:`_Builder` builds the document
    again, so the data and the errors are the builder's own. Every value of a document written
    out takes at least one character, so more values than ``limit`` characters mean aliases.
    """
    nodes = 0
    limit = len(text)
    scalar_node, sequence_node = yaml.ScalarNode, yaml.SequenceNode
    standard, bools, float_chars = _STANDARD, _BOOLS, _FLOAT_CHARS

    def build(node: yaml.Node, depth: int) -> Any:
        nonlocal nodes
        nodes += 1
        tag = node.tag
        if nodes > limit or depth > MAX_DEPTH or tag not in standard:
            raise _UnusualError
        kind = node.__class__
        if kind is scalar_node:
            value = node.value
            if tag == _STR:
                return value
            if tag == _INT:
                if value.isascii() and value.isdigit() and (value[0] != "0" or value == "0") and len(value) <= 4300:
                    return int(value)
            elif tag == _NULL:
                return None
            elif tag == _BOOL:
                if value in bools:
                    return bools[value]
            elif tag == _FLOAT and value and float_chars.issuperset(value):
                try:  # what SafeConstructor.construct_yaml_float returns for these characters
                    return float(value)
                except ValueError:
                    pass
            raise _UnusualError
        if kind is sequence_node:
            return [build(item, depth + 1) for item in node.value]
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag != _STR or key_node.__class__ is not scalar_node:
                raise _UnusualError
            key = key_node.value
            if key in out:
                raise _UnusualError
            out[key] = build(value_node, depth + 1)
        return out

    return build(root, 0)


def _json_shape_ok(data: Any) -> bool:
    """Whether parsed JSON is within the depth the builder holds a document to (JSON has no aliases)."""

    def walk(value: Any, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        if isinstance(value, dict):
            return all(walk(item, depth + 1) for item in value.values())
        if isinstance(value, list):
            return all(walk(item, depth + 1) for item in value)
        return True

    return walk(data, 0)


#: tags PyYAML resolves plain scalars to that a spec has no use for (``name: 2024-01-01``)
_IMPLICIT = {"tag:yaml.org,2002:timestamp": "a date", "tag:yaml.org,2002:merge": "a merge key ('<<')"}


def _node_kind(node: yaml.Node) -> str:
    return {"MappingNode": "a mapping", "SequenceNode": "a list"}.get(type(node).__name__, "a tagged value")


def _decode(raw: bytes, file: str) -> str:
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):  # fmt: skip
        if raw.startswith(bom):
            raise SpecError(f"{name} text, not UTF-8", location=Location(file, 1), hint="save the file as UTF-8")
    if b"\x00" in raw[:8192]:
        raise SpecError("binary file, not a spec", location=Location(file, 1), hint="give a YAML or JSON file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            location=Location(file, line),
            hint="save the file as UTF-8",
        ) from None


def _yaml_error(exc: yaml.YAMLError, file: str, text: str) -> SpecError:
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        return SpecError(
            f"YAML syntax error: control character U+{code:04X} is not allowed",
            location=Location(file, line, col),
            hint="remove it from the file",
        )
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    context = " ".join(str(getattr(exc, "context", None) or "").split())
    location = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
    line_text = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "tab character" in problem or (mark and "\t" in line_text[: mark.column + 1]):
        tab = line_text.find("\t")
        if tab >= 0 and mark:
            location = Location(file, mark.line + 1, tab + 1)
        return SpecError(
            "YAML syntax error: a tab character where YAML needs spaces",
            location=location,
            hint="indent with spaces, not tabs",
        )
    if "expected a single document" in context + problem:
        return SpecError(
            "YAML syntax error: several YAML documents in one file",
            location=location,
            hint="a spec file holds one document; split it or remove the '---'",
        )
    hint = None
    if "did not find expected key" in problem or "mapping values are not allowed" in problem:
        hint = "check the indentation of this line, or quote a value that contains ': '"
    elif "could not find expected ':'" in problem:
        hint = "a key needs ': ' after it; check the indentation"
    elif "did not find expected ',' or ']'" in problem or "did not find expected ',' or '}'" in problem:
        hint = "close the bracket, or separate items with ', '"
    elif "found unexpected end of stream" in problem:
        hint = "close the quote"
    elif "found undefined alias" in problem or "found undefined tag handle" in problem:
        hint = "define the anchor (&name) before using it" if "alias" in problem else None
    elif "unacceptable character" in problem or "special characters are not allowed" in problem:
        hint = "remove control characters from the file"
    message = f"{context}: {problem}" if context else problem
    return SpecError(f"YAML syntax error: {message}", location=location, hint=hint)


#: every level of nesting needs one of the characters [ { - ? : -- with fewer of them than this,
#: composing is safe; with more, the events are scanned first (libyaml's composer recurses in C
#: and overflows the stack around 50,000 levels)
_SCAN_ABOVE = 10_000


def _check_depth(text: str, file: str, loader: type = _Loader) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, reading its events without recursion.

    The events are read only up to the first one too deep, so a hostile document costs little.
    """
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise SpecError(
                    f"nested more than {MAX_DEPTH} levels deep",
                    location=Location(file, mark.line + 1, mark.column + 1) if mark else Location(file),
                    hint="a spec needs a few levels: mapping, layers list, layer mapping",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _nesting_limit(exc: yaml.YAMLError) -> bool:
    """Whether libyaml refused the document for its own nesting limit (newer PyYAML wheels bundle one)."""
    return "maximum nesting depth" in str(exc)


def compose(text: str, file: str) -> yaml.Node | None:
    """The document's node tree, or the error of a document nested deeper than MAX_DEPTH.

    The same answer whatever libyaml PyYAML bundles: when libyaml stops at a nesting limit of
    its own, the depth is found by the pure-Python parser and, if the document is within
    MAX_DEPTH after all, the pure-Python composer reads it.
    """
    try:
        if len(text) > _SCAN_ABOVE and sum(text.count(c) for c in "[{-?:") > _SCAN_ABOVE:
            _check_depth(text, file)
        return yaml.compose(text, Loader=_Composer)
    except yaml.YAMLError as exc:
        if not _nesting_limit(exc):
            raise
    _check_depth(text, file, yaml.SafeLoader)
    return yaml.compose(text, Loader=_PurePythonComposer)


def parse_text(text: str, file: str = "<input>", *, json_only: bool = False, spans: bool = False) -> Document:
    """Parse YAML (or JSON, which YAML reads too) into a :class:`Document`.

    JSON files are read by the json module, so that their numbers mean what JSON says
    (``1e-3`` is a number); the YAML composer then only supplies line and column of each field.
    Without ``spans``, positions are worked out when first asked for (an error to locate).
    """
    if not text.strip():
        raise SpecError("empty file", location=Location(file, 1), expected="a spec with 'layers'", received="nothing")
    json_data = _parse_json(text, file) if json_only else None
    if json_only and not spans and _json_shape_ok(json_data):
        # the builder could refuse nothing here: YAML is asked for positions only if an error needs one
        return Document(data=json_data, file=file, positions=lambda: _json_positions(text, file))
    try:
        node = compose(text, file)
    except yaml.YAMLError as exc:
        if json_only:  # valid JSON that YAML cannot read: no positions, but the data is good
            return Document(data=json_data, file=file, positions={}, text=text if spans else "")
        raise _yaml_error(exc, file, text) from None
    except RecursionError:
        raise SpecError(f"nested more than {MAX_DEPTH} levels deep", location=Location(file)) from None
    if node is None:
        raise SpecError(
            "the document has no content",
            location=Location(file, 1, 1),
            expected="a spec with 'layers'",
            received="only comments or nothing",
        )
    if not spans:
        try:
            data = _plain_data(node, text)
        except _UnusualError:
            pass  # the builder below refuses it with its position, or reads it the long way
        else:
            # the nodes go now; an error that needs a position composes the text again
            return Document(data=json_data if json_only else data, file=file,
                            positions=lambda: _yaml_positions(text, file))  # fmt: skip
    builder = _Builder(file, spans)
    data = builder.build(node, "", 0)
    builder.positions["<document>"] = builder.positions.get("", (1, 1))
    return Document(
        data=json_data if json_only else data,
        file=file,
        positions=builder.positions,
        spans=builder.spans,
        flow=builder.flow,
        text=text if spans else "",
    )


def _positions_of(node: yaml.Node, file: str) -> dict[str, tuple[int, int]]:
    """Where each field path of a composed document sits (the builder's record of it)."""
    builder = _Builder(file)
    builder.build(node, "", 0)
    builder.positions["<document>"] = builder.positions.get("", (1, 1))
    return builder.positions


def _yaml_positions(text: str, file: str) -> dict[str, tuple[int, int]]:
    """Positions in a document that has been read once already (composing it again gives the same nodes)."""
    node = compose(text, file)
    return _positions_of(node, file) if node is not None else {}


def _json_positions(text: str, file: str) -> dict[str, tuple[int, int]]:
    """Positions in a JSON file, read by YAML; none when YAML cannot read it."""
    try:
        node = compose(text, file)
        return _positions_of(node, file) if node is not None else {}
    except (yaml.YAMLError, SpecError, RecursionError):
        return {}


class _JSONDuplicateError(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _parse_json(text: str, file: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise _JSONDuplicateError(key)
            seen[key] = value
        return seen

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        hint = None
        if exc.msg.startswith("Expecting") and text[: exc.pos].rstrip().endswith(","):
            hint = "remove the trailing comma"
        elif exc.msg.startswith("Expecting property name") and text[exc.pos : exc.pos + 1] == "'":
            hint = "JSON needs double quotes"
        raise SpecError(
            f"JSON syntax error: {exc.msg}", location=Location(file, exc.lineno, exc.colno), hint=hint
        ) from None
    except _JSONDuplicateError as dup:
        try:  # the YAML composer knows where the second key sits
            parse_text(text, file)
        except SpecError as exc:
            if exc.message.startswith("duplicate key"):
                raise exc.at(exc.location) from None
        raise SpecError(
            f"duplicate key {dup.key!r}",
            path=dup.key,
            location=Location(file),
            hint="JSON readers keep only the last one; remove one of them",
        ) from None
    except RecursionError:
        raise SpecError(f"nested more than {MAX_DEPTH} levels deep", location=Location(file)) from None
    except ValueError as exc:  # an integer too long to convert
        raise SpecError(f"invalid number: {exc}", location=Location(file)) from None


def _not_a_spec(name: str, raw: bytes, path: str | None) -> SpecError | None:
    """The error for a file that is plainly something else (a model, an archive, a binary), or None."""
    from lstmcount.io.sniff import MODEL_KINDS, Kind, sniff, sniff_bytes

    kind = sniff(path, raw[:4096]) if path is not None else sniff_bytes(raw[:4096])
    if kind not in MODEL_KINDS and kind not in (Kind.ZIP, Kind.GZIP):
        return None  # text, or bytes that decoding names better (UTF-16, Latin-1, binary)
    return SpecError(f"this is {kind.value}, not a spec", location=Location(name), hint="a spec is a YAML or JSON file")


def read_source(source: str | os.PathLike[str], stdin: Callable[[], bytes] | None = None) -> tuple[str, str]:
    """Read a spec file (or ``-`` for standard input): returns (display name, text).

    At most :data:`MAX_BYTES` are read from anything, standard input and devices included.
    """
    name = str(source)
    if name == "-":
        name = STDIN
        raw = stdin() if stdin else sys.stdin.buffer.read(MAX_BYTES + 1)
        path = None
    else:
        path = name
        try:
            with open(name, "rb") as handle:
                info = os.fstat(handle.fileno())
                if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES:
                    raw = handle.read()
                else:  # too large, or a device or pipe with no size (/dev/zero): read at most the limit
                    raw = handle.read(MAX_BYTES + 1)
        except IsADirectoryError:
            raise SpecError(
                "is a directory, not a spec file",
                location=Location(name),
                hint="name a .yaml, .yml or .json file (lstmcount check takes directories)",
            ) from None
        except FileNotFoundError:
            raise SpecError("no such file", location=Location(name)) from None
        except PermissionError:
            if os.path.isdir(name):  # Windows refuses to open a directory this way
                raise SpecError("is a directory, not a spec file", location=Location(name)) from None
            raise SpecError("permission denied", location=Location(name)) from None
        except OSError as exc:
            raise SpecError(f"cannot read: {exc.strerror or exc}", location=Location(name)) from None
        if not stat.S_ISREG(info.st_mode):
            path = None  # a device or a pipe: its head is all there is to sniff
    problem = _not_a_spec(name, raw, path)
    if problem is not None:
        raise problem
    if len(raw) > MAX_BYTES:
        size = f"{len(raw):,}+" if path is None else f"{max(len(raw), os.path.getsize(name)):,}"
        raise SpecError(f"too large for a spec ({size} bytes; limit {MAX_BYTES:,})", location=Location(name))
    return name, _decode(raw, name)


def load_document(source: str | os.PathLike[str], *, spans: bool = False) -> Document:
    """Read and parse a spec file into a :class:`Document` (data plus positions).

    ``spans=True`` also keeps the text and where each value starts and ends, for editing it.
    """
    name, text = read_source(source)
    return parse_text(text, name, json_only=name.lower().endswith(".json"), spans=spans)


def spec_from_document(doc: Document) -> ModelSpec:
    """Validate a parsed document, placing any error at its line and column."""
    try:
        return spec_from_dict(doc.data)
    except SpecError as exc:
        raise doc.locate(exc) from None


def load_spec(source: str | os.PathLike[str]) -> ModelSpec:
    """Read, parse and validate a spec file (YAML or JSON; ``-`` reads standard input)."""
    return spec_from_document(load_document(source))

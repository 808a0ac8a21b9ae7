"""The check command: validate spec files, count them, and compare with their expectations.

``lstmcount check PATH...`` is a gate for CI and pre-commit: every file is loaded, validated and
counted, then compared with its ``expect:`` block and the command-line budget. One result per
file (ok, failed or invalid), then a summary; exit 0, 1 (an expectation failed) or 2 (invalid).
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcount.errors import Location, LstmcountError, SpecError, UsageError

if TYPE_CHECKING:
    from lstmcount.io.loader import Document
    from lstmcount.model.report import Report
    from lstmcount.model.spec import ModelSpec

#: File suffixes read when a directory is given.
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
#: Files passed over when a directory is searched: the spec format's JSON Schema saved next to the specs.
NOT_SPECS = (".schema.json",)
#: Version of the ``--format json`` document.
CHECK_SCHEMA_VERSION = 1


class Status(StrEnum):
    """The outcome of checking one file."""

    OK = "ok"
    FAILED = "failed"
    INVALID = "invalid"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where, which field, and what."""

    message: str
    location: Location
    field: str = ""

    def text(self) -> str:
        """The problem as one line: ``file:line:col: field: message``."""
        where = str(self.location)
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(frozen=True)
class Counts:
    """What a valid spec counted to.

    Kept instead of the whole report, so that checking many files holds little in memory.
    """

    framework: str
    framework_display: str
    total: int
    trainable: int
    non_trainable: int
    has_expect: bool

    @classmethod
    def of(cls, report: Report, spec: ModelSpec) -> Counts:
        """The counts of ``report`` (one pass over its layers)."""
        total = trainable = 0
        for layer in report.layers:
            params = layer.params
            total += params
            trainable += params if layer.trainable else 0
        return cls(report.framework, report.framework_display, total, trainable, total - trainable,
                   spec.expect is not None)  # fmt: skip


@dataclass
class FileResult:
    """The outcome of checking one spec file."""

    path: str
    status: Status
    problems: list[Problem] = field(default_factory=list)
    counts: Counts | None = None
    updated: bool = False
    #: kept only for --update: the parsed document (with its text) and the report
    document: Document | None = None
    report: Report | None = None

    def lines(self) -> list[str]:
        """The lines printed for this file: one per problem, each at its own position, or one line of counts."""
        label = f"{self.status.value:<8}"
        if self.status is Status.INVALID or self.status is Status.FAILED:
            return [label + " ".join(p.text().split()) for p in self.problems]
        assert self.counts is not None
        counted = f"{self.counts.total:,} params ({self.counts.framework_display})"
        if self.updated:
            return [f"{label}{self.path}: {counted}, expect block updated"]
        if self.counts.has_expect:
            return [f"{label}{self.path}: {counted}, as expected"]
        return [f"{label}{self.path}: {counted}"]

    def to_dict(self) -> dict[str, Any]:
        """This result in the ``--format json`` document."""
        counts = self.counts
        return {
            "path": self.path,
            "status": self.status.value,
            "framework": counts.framework if counts else None,
            "total": counts.total if counts else None,
            "trainable": counts.trainable if counts else None,
            "non_trainable": counts.non_trainable if counts else None,
            "updated": self.updated,
            "problems": [
                {"field": p.field or None, "line": p.location.line, "column": p.location.column, "message": p.message}
                for p in self.problems
            ],
        }


@dataclass(frozen=True)
class Budget:
    """Expectations given on the command line, applied to every file."""

    expect_total: int | None = None
    max_params: int | None = None


# --------------------------------------------------------------------------- finding files


def _display(path: Path | str) -> str:
    text = str(path)
    return text[2:] if text.startswith(("./", ".\\")) else text


def excluded(name: str, patterns: Sequence[str]) -> bool:
    """Whether ``name`` or one of the directories it lies in matches a pattern (``d1``, ``*.tmp.yaml``, ``old/*``)."""
    if not patterns:
        return False
    path = Path(name)
    candidates = [path, *(parent for parent in path.parents if parent.name)]
    return any(candidate.match(pattern) for candidate in candidates for pattern in patterns)


def spec_files(directory: str, exclude: Sequence[str] = ()) -> list[str]:
    """The spec files under ``directory``, sorted, without hidden or excluded directories and files."""
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not excluded(os.path.join(root, d), exclude)]
        found.extend(
            os.path.join(root, f)
            for f in files
            if not f.startswith(".")
            and os.path.splitext(f)[1].lower() in SPEC_SUFFIXES
            and not f.lower().endswith(NOT_SPECS)
            and not excluded(os.path.join(root, f), exclude)
        )
    return sorted(found, key=lambda p: p.split(os.sep))


def expand_paths(paths: Iterable[str], exclude: Sequence[str] = ()) -> Iterator[tuple[str, SpecError | None]]:
    """Each spec file named by ``paths`` (files, directories, globs), or the error for a bad path.

    Directories are searched recursively for ``*.yaml``, ``*.yml`` and ``*.json``, skipping
    hidden files and directories and ``*.schema.json``; ``exclude`` holds glob patterns matched
    against each file and each directory it lies in (``--exclude old`` skips ``specs/old/``).
    ``-`` is standard input, named ``<stdin>``.
    """
    seen: set[str] = set()
    for pattern in exclude:
        if not pattern.strip():
            raise UsageError("--exclude: an empty pattern matches nothing; give a name or a glob such as 'old/*'")
    for raw in paths:
        found: list[str]
        if not raw.strip():
            yield raw, SpecError("no such file", location=Location(repr(raw)))
            continue
        path = Path(raw)
        try:
            path.exists()
        except OSError as exc:  # a name too long for the file system, for one
            yield raw[:200], SpecError(f"cannot read: {exc.strerror or exc}", location=Location(raw[:200]))
            continue
        if raw != "-" and not path.exists() and any(c in raw for c in "*?["):
            found = sorted(glob.glob(raw, recursive=True))
            if not found:
                yield raw, SpecError("no file matches this pattern", location=Location(raw))
                continue
        else:
            found = [raw]
        for name in found:
            item = Path(name)
            if name != "-" and item.is_dir():
                files = spec_files(name, exclude)
                if not files:
                    yield (
                        name,
                        SpecError(
                            "no spec files in this directory",
                            location=Location(name),
                            hint="looked for *.yaml, *.yml, *.json",
                        ),
                    )
                for p in files:
                    key = os.path.normpath(p)
                    if key not in seen:
                        seen.add(key)
                        yield _display(p), None
            elif name == "-":
                if name not in seen:
                    seen.add(name)
                    yield name, None
            elif not excluded(name, exclude):
                key = os.path.normpath(name)
                if key not in seen:
                    seen.add(key)
                    yield _display(name), None


# --------------------------------------------------------------------------- checking


def _located(exc: LstmcountError, path: str) -> Problem:
    if isinstance(exc, SpecError):
        location = exc.location if exc.location.file else Location(path, exc.location.line, exc.location.column)
        inner = SpecError(exc.message, expected=exc.expected, received=exc.received, hint=exc.hint)
        message = str(inner).split(": ", 1)[1]  # the message without the placeholder location
        return Problem(message, location, exc.path)
    return Problem(" ".join(str(exc).split()), Location(path))


def compare(spec: ModelSpec, report: Report, document: Document, budget: Budget,
            counts: Counts | None = None) -> list[Problem]:  # fmt: skip
    """Every expectation (the spec's and the command line's) that the report does not meet."""
    counts = counts or Counts.of(report, spec)
    problems: list[Problem] = []

    def mismatch(path: str, expected: int, counted: int) -> None:
        problems.append(
            Problem(
                f"expected {expected:,}, counted {counted:,} ({report.framework_display}); "
                "fix the spec or run lstmcount check --update",
                document.where(path),
                path,
            )
        )

    expect = spec.expect
    if expect is not None:
        for key in ("total", "trainable", "non_trainable"):
            wanted = getattr(expect, key)
            if wanted is not None and wanted != getattr(counts, key):
                mismatch(f"expect.{key}", wanted, getattr(counts, key))
        for name, wanted in expect.layers.items():
            counted = report.layer(name).params
            if wanted != counted:
                mismatch(f"expect.layers.{name}", wanted, counted)

    def where_total() -> Location:
        if expect is not None and expect.total is not None:
            return document.where("expect.total")
        return document.where("<document>") if "<document>" in document.positions else Location(document.file, 1, 1)

    if budget.expect_total is not None and budget.expect_total != counts.total:
        problems.append(
            Problem(
                f"--expect-total {budget.expect_total:,}, counted {counts.total:,} ({report.framework_display})",
                where_total(),
            )
        )
    if budget.max_params is not None and counts.total > budget.max_params:
        problems.append(
            Problem(
                f"{counts.total:,} params exceed --max-params {budget.max_params:,} "
                f"by {counts.total - budget.max_params:,} ({report.framework_display})",
                where_total(),
            )
        )
    return problems


def check_file(path: str, budget: Budget = Budget(), *, keep_text: bool = False) -> FileResult:
    """Load, validate and count one spec file, and compare it with its expectations."""
    from lstmcount.api import count_located
    from lstmcount.io.loader import STDIN, load_document, spec_from_document

    source, path = path, STDIN if path == "-" else path
    try:
        document = load_document(source, spans=keep_text)
        spec = spec_from_document(document)
        report = count_located(spec, None, document)
    except LstmcountError as exc:
        return FileResult(path, Status.INVALID, [_located(exc, path)])
    except RecursionError:
        return FileResult(path, Status.INVALID, [Problem("nested too deeply", Location(path))])
    counts = Counts.of(report, spec)
    problems = compare(spec, report, document, budget, counts)
    status = Status.FAILED if problems else Status.OK
    if keep_text:
        return FileResult(path, status, problems, counts, document=document, report=report)
    return FileResult(path, status, problems, counts)


def check_paths(paths: Iterable[str], budget: Budget = Budget(), exclude: Sequence[str] = ()) -> list[FileResult]:
    """Check every spec file named by ``paths``; a bad path is an invalid result, not an exception."""
    results = []
    for name, error in expand_paths(paths, exclude):
        if error is not None:
            results.append(FileResult(name, Status.INVALID, [_located(error, name)]))
        else:
            results.append(check_file(name, budget))
    return results


def exit_code(results: Sequence[FileResult]) -> int:
    """2 if any file is invalid, else 1 if any expectation failed, else 0."""
    statuses = {r.status for r in results}
    if Status.INVALID in statuses:
        return 2
    return 1 if Status.FAILED in statuses else 0


def summary(results: Sequence[FileResult]) -> str:
    """The closing line: how many files, and how many of each outcome."""
    counts = {s: sum(r.status is s for r in results) for s in Status}
    noun = "file" if len(results) == 1 else "files"
    parts = [f"{counts[s]} {s.value}" for s in Status]
    updated = sum(r.updated for r in results)
    if updated:
        parts.append(f"{updated} updated")
    return f"checked {len(results)} {noun}: " + ", ".join(parts)


# --------------------------------------------------------------------------- output


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _repo_path(name: str) -> str:
    """A path as GitHub wants it in an annotation: relative to the workspace, with forward slashes."""
    root = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    if os.path.isabs(name):
        try:
            rel = os.path.relpath(name, root)
        except ValueError:  # another drive on Windows
            rel = name
        if not rel.startswith(".."):
            name = rel
    return Path(name).as_posix() if os.sep != "/" else name


def github_annotation(problem: Problem, path: str) -> str:
    """A GitHub Actions ``::error`` workflow command for one problem."""
    props = [f"file={_escape_property(_repo_path(problem.location.file or path))}"]
    if problem.location.line is not None:
        props.append(f"line={problem.location.line}")
        if problem.location.column is not None:
            props.append(f"col={problem.location.column}")
    props.append("title=lstmcount")
    message = f"{problem.field}: {problem.message}" if problem.field else problem.message
    return f"::error {','.join(props)}::{_escape_data(message)}"


def render_json(results: Sequence[FileResult]) -> str:
    """The ``--format json`` document."""
    counts = {s.value: sum(r.status is s for r in results) for s in Status}
    doc = {
        "schema_version": CHECK_SCHEMA_VERSION,
        "exit_code": exit_code(results),
        "summary": {"files": len(results), **counts, "updated": sum(r.updated for r in results)},
        "files": [r.to_dict() for r in results],
    }
    return json.dumps(doc, indent=2) + "\n"

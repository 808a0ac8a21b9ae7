"""Error types: every failure carries where it happened and what was expected."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: How a message or hint names what the user wrote, so that one text serves specs and flags alike:
#: ``{field:proj_size}``, ``{value:padding=valid}``, ``{framework:pytorch}``.
_MARK = re.compile(r"\{(field|value|framework):([^{}]+)\}")


def in_spec_terms(text: str) -> str:
    """``text`` with its marks written as a spec file writes them (``framework: pytorch``)."""

    def word(match: re.Match[str]) -> str:
        kind, body = match.groups()
        if kind == "framework":
            return f"framework: {body}"
        if kind == "value":
            name, value = body.split("=", 1)
            return f"{name}: {value}"
        return body

    return _MARK.sub(word, text)


def in_flag_terms(text: str, flag: Callable[[str, str | None], str]) -> str:
    """``text`` with its marks written as flags (``--framework pytorch``).

    ``flag(field, value)`` writes the flag that sets ``field`` (to ``value``, when one is given).
    """

    def word(match: re.Match[str]) -> str:
        kind, body = match.groups()
        if kind == "framework":
            return f"--framework {body}"
        if kind == "value":
            name, value = body.split("=", 1)
            return flag(name, value)
        return flag(body, None)

    return _MARK.sub(word, text)


class LstmcountError(Exception):
    """Base class of every error lstmcount reports to a user."""

    exit_code = 2

    def one_line(self) -> str:
        """The error as the single line the CLI prints."""
        return str(self)


@dataclass(frozen=True)
class Location:
    """Where in a user's input something sits: file, line and column are 1-based."""

    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class SpecError(LstmcountError):
    """A spec (flags, YAML, JSON or dict) is invalid.

    ``path`` is the field path in the spec (``layers[2].units``), ``expected`` and
    ``received`` describe the mismatch, ``hint`` suggests a fix.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        expected: str | None = None,
        received: str | None = None,
        hint: str | None = None,
        location: Location | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.expected = expected
        self.received = received
        self.hint = hint
        self.location = location or Location()

    def at(self, location: Location) -> SpecError:
        """A copy of this error placed at ``location``."""
        return SpecError(
            self.message,
            path=self.path,
            expected=self.expected,
            received=self.received,
            hint=self.hint,
            location=location,
        )

    def body(self) -> str:
        """The message with what was expected and received and the hint, without place or field."""
        text = self.message
        if self.expected is not None or self.received is not None:
            text += f" (expected {self.expected}, received {self.received})"
        if self.hint:
            text += f"; {self.hint}"
        return text

    def __str__(self) -> str:
        head = str(self.location)
        body = in_spec_terms(self.body())
        text = f"{head}: {self.path}: {body}" if self.path else f"{head}: {body}"
        return " ".join(text.split())


class UsageError(LstmcountError):
    """A command line that cannot be acted on (bad flag value or combination)."""

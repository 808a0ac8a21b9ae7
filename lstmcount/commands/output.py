"""Writing to standard output and error: a closed pipe ends output quietly, a failed write is one error line."""

from __future__ import annotations

import os
import sys
from typing import IO, Any

import click

from lstmcount.errors import LstmcountError


class OutputError(LstmcountError):
    """Standard output could not be written (a full disk, a broken device)."""


def silence(stream: IO[Any]) -> None:
    """Send whatever is still written to ``stream`` (and its buffer, at exit) to the null device."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's buffer)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Write ``text`` (and a newline) to standard output, or to standard error with ``err``.

    A reader that went away (``lstmcount ... | head -1``) is not an error: the rest of the output
    goes nowhere and the command ends with its own exit code. Any other failure to write is an
    :class:`OutputError`, one line on standard error.
    """
    stream = sys.stderr if err else sys.stdout
    try:
        click.echo(text, file=stream, nl=nl)
    except BrokenPipeError:
        silence(stream)
    except OSError as exc:
        silence(stream)
        if err:
            return  # nowhere left to say it
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def flush() -> None:
    """Flush standard output now, so that a failure is reported instead of surfacing at exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence(sys.stdout)
    except OSError as exc:
        silence(sys.stdout)
        raise OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None

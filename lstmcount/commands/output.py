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


def write_file(path: str, text: str, *, option: str, suffixes: tuple[str, ...], inputs: tuple[str, ...] = ()) -> None:
    """Write ``text`` to ``path`` (``option`` names it in errors), atomically: a reader never sees half a file.

    The name must end in one of ``suffixes`` (so a slip of the keyboard cannot overwrite a spec),
    and the file must not be one the command reads (``inputs``).
    """
    from lstmcount.errors import UsageError
    from lstmcount.io.atomic import output_path, replacing

    p = output_path(path, option=option, suffixes=suffixes)
    for given in inputs:
        try:
            if os.path.exists(given) and p.exists() and os.path.samefile(given, p):
                raise UsageError(f"{option}: {path} is the model being read; name another file")
        except OSError:
            continue
    try:
        with replacing(p) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"{option}: cannot write {path!r}: {exc.strerror or exc}") from None


#: the endings a file written with ``--output`` may have, by output format (the text formats: TEXT_SUFFIXES)
SUFFIXES = {
    "html": (".html", ".htm"),
    "svg": (".svg",),
    "json": (".json",),
    "markdown": (".md", ".markdown"),
    "csv": (".csv",),
    "yaml": (".yaml", ".yml"),
}
#: the ending of a file of any other (text) format
TEXT_SUFFIXES = (".txt",)


def emit(text: str, output: str | None, fmt_name: str, inputs: tuple[str, ...] = ()) -> None:
    """Write a command's output to standard output, or to the file ``--output`` names."""
    if output is None:
        echo(text, nl=False)
    else:
        write_file(output, text, option="--output", suffixes=SUFFIXES.get(fmt_name, TEXT_SUFFIXES), inputs=inputs)


def output_option(func: Any) -> Any:
    """``-o/--output FILE``: write the output to a file rather than to standard output."""
    return click.option(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="Write the output to FILE, named as its format (.html, .json, .md, ...) [default: stdout].",
    )(func)

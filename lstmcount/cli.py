"""The command line: the ``lstmcount`` group, its lazily loaded commands, and errors mapped to exit codes.

``lstmcount 100 128`` runs the default ``count`` command. Each command lives in
:mod:`lstmcount.commands` and is imported only when called (see :data:`COMMANDS`), so the counting
path stays free of numpy and yaml. Every failure ends in one line on standard error:

* 0 success, 1 a check failed (``check``, ``verify``, a spec's own ``expect`` block),
* 2 bad input or a bad command line, 130 interrupted (Ctrl-C),
* 70 an internal error: a bug in lstmcount (``LSTMCOUNT_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

import click

from lstmcount import __version__
from lstmcount.commands.output import echo, flush
from lstmcount.errors import LstmcountError

#: Exit code of an internal error (sysexits' EX_SOFTWARE).
INTERNAL_ERROR = 70


class Entry(NamedTuple):
    """A command: where it lives, and its one-line summary (the first line of its help)."""

    target: str
    summary: str


#: command name -> where it is and what it does; a command is imported on first use
COMMANDS: dict[str, Entry] = {
    "count": Entry(
        "lstmcount.commands.count:count_command",
        "Count the parameters of a recurrent model, per layer, per gate and per tensor.",
    ),
    "explain": Entry(
        "lstmcount.commands.explain:explain_command",
        "Explain a recurrent cell: its equations with shapes, fused tensors, count and unrolled view.",
    ),
    "inspect": Entry(
        "lstmcount.commands.inspect:inspect_command",
        "Read a model file's tensors without its framework, rebuild the model and count it.",
    ),
    "draw": Entry(
        "lstmcount.commands.draw:draw_command",
        "Draw a recurrent model as SVG: its cell, its tensors, its unrolled sequence or its layers.",
    ),
    "verify": Entry(
        "lstmcount.commands.verify:verify_command",
        "Run a forward pass in NumPy and show that every shape and count holds.",
    ),
    "convert": Entry(
        "lstmcount.commands.convert:convert_command",
        "Move a model's weights into another framework's layout, and prove the two compute the same.",
    ),
    "check": Entry(
        "lstmcount.commands.check:check_command",
        "Validate spec files and check their parameter counts against expectations.",
    ),
    "frameworks": Entry(
        "lstmcount.commands.frameworks:frameworks_command",
        "List the frameworks: gate orders, bias layouts, classes and a real count of each.",
    ),
    "schema": Entry(
        "lstmcount.commands.schema:schema_command",
        "Print the JSON Schema of the spec format, for editors and validators.",
    ),
    "completion": Entry(
        "lstmcount.commands.completion:completion_command", "Print the shell completion script for bash, zsh or fish."
    ),
    "help": Entry(
        "lstmcount.commands.completion:help_command", "Show the help of lstmcount or of one of its commands."
    ),
}


class LstmcountGroup(click.Group):
    """A group whose default command is ``count`` and whose commands load lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module, attr = entry.target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in COMMANDS and args[0] not in ("--help", "-h", "--version"):
            args = ["count", *args]
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its whole one-line summary, without importing any of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.summary) for name, entry in COMMANDS.items()], col_max=12)


@click.group(cls=LstmcountGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="lstmcount")
def main() -> None:
    """Count and explain the parameters of recurrent neural networks.

    \b
    lstmcount 100 128                 LSTM(128) on 100 features
    lstmcount 100 128 --dense 1       ... with a dense head: 117,377 in Keras
    lstmcount model.yaml              a spec file (YAML or JSON; - for standard input)
    lstmcount help COMMAND            the help of one command
    """


def _internal(exc: BaseException) -> int:
    if os.environ.get("LSTMCOUNT_DEBUG"):
        raise exc
    what = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
    echo(f"lstmcount: internal error: {what} (a bug in lstmcount; LSTMCOUNT_DEBUG=1 shows the traceback)", err=True)
    return INTERNAL_ERROR


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; every failure becomes one line on standard error."""
    code = _run(argv)
    try:  # now, so that a full disk is reported here rather than as a warning at exit
        flush()
    except LstmcountError as exc:
        echo(f"lstmcount: error: {exc.one_line()}", err=True)
        return code or exc.exit_code
    return code


def _run(argv: Sequence[str] | None) -> int:
    try:
        code = main.main(args=list(argv) if argv is not None else None, prog_name="lstmcount", standalone_mode=False)
    except LstmcountError as exc:
        echo(f"lstmcount: error: {exc.one_line()}", err=True)
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # `lstmcount` alone: the help, as --help shows it
        echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.UsageError as exc:
        message = " ".join(exc.format_message().split())
        echo(f"lstmcount: error: {message}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        return 130
    except click.ClickException as exc:
        echo(f"lstmcount: error: {' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    except RecursionError:
        echo("lstmcount: error: input nested too deeply", err=True)
        return 2
    except Exception as exc:
        return _internal(exc)
    # without standalone mode, click returns the code of ctx.exit(n) instead of raising
    return code if isinstance(code, int) else 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(run())


__all__ = ["COMMANDS", "INTERNAL_ERROR", "entry", "main", "run"]

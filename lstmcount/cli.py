"""The command line: parses arguments, calls the core, renders, maps errors to exit codes.

``lstmcount 100 128`` runs the default ``count`` command. Other commands live in their own
modules and are imported only when called (see :data:`LAZY_COMMANDS`), so the counting path
stays free of numpy and yaml.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from lstmcount import __version__
from lstmcount.errors import LstmcountError, UsageError
from lstmcount.spec import Framework

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "markdown", "csv", "keras")
#: every framework with a convention table, and "all" to compare them
FRAMEWORKS = (*(f.value for f in Framework), "all")

#: command name -> "module:attribute"; imported on first use
LAZY_COMMANDS: dict[str, str] = {
    "count": "lstmcount.cli:count_command",
    "verify": "lstmcount.verify:verify_command",
    "check": "lstmcount.check:check_command",
    "schema": "lstmcount.schema:schema_command",
    "explain": "lstmcount.explain:explain_command",
}


class LstmcountGroup(click.Group):
    """A group whose default command is ``count`` and whose commands load lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(LAZY_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in LAZY_COMMANDS and args[0] not in ("--help", "-h", "--version"):
            args = ["count", *args]
        return super().parse_args(ctx, args)


def model_options(func: F) -> F:
    """The options that shape a model from ``INPUT UNITS...`` (shared by count, verify, explain)."""
    options = [
        click.option(
            "--cell",
            type=click.Choice(["lstm", "gru", "rnn"]),
            default=None,
            help="Recurrent cell of every UNITS layer [default: lstm].",
        ),
        click.option("--bidirectional", is_flag=True, default=None, help="Make every recurrent layer bidirectional."),
        click.option(
            "--merge-mode",
            type=click.Choice(["concat", "sum", "ave", "mul"]),
            default=None,
            help="How bidirectional directions combine (Keras) [default: concat].",
        ),
        click.option(
            "--num-layers",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="Stack N layers in each recurrent layer (PyTorch num_layers).",
        ),
        click.option(
            "--proj-size",
            type=click.IntRange(min=1),
            default=None,
            metavar="P",
            help="LSTM projection size (PyTorch proj_size).",
        ),
        click.option("--no-bias", is_flag=True, default=None, help="Recurrent layers without bias."),
        click.option("--reset-after/--no-reset-after", default=None, help="Keras GRU reset_after [default: true]."),
        click.option(
            "--nonlinearity",
            type=click.Choice(["tanh", "relu"]),
            default=None,
            help="Simple RNN activation [default: tanh].",
        ),
        click.option(
            "--return-sequences", is_flag=True, default=None, help="The last recurrent layer returns every time step."
        ),
        click.option(
            "--embedding",
            type=click.IntRange(min=1),
            default=None,
            metavar="VOCAB",
            help="Start with an embedding of VOCAB tokens; INPUT is then its width.",
        ),
        click.option(
            "--dropout",
            type=click.FloatRange(0, 1, max_open=True),
            default=None,
            metavar="RATE",
            help="A dropout layer after the recurrent layers.",
        ),
        click.option(
            "--dense",
            type=click.IntRange(min=1),
            multiple=True,
            metavar="N",
            help="A dense head of N units (repeat for more layers).",
        ),
        click.option(
            "--timesteps",
            type=click.IntRange(min=1),
            default=None,
            metavar="T",
            help="Sequence length (the count does not depend on it).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def framework_option(help_text: str, *, allow_all: bool = False) -> Callable[[F], F]:
    """``--framework``: one of the frameworks with a convention table (and ``all`` if allowed)."""
    choices = FRAMEWORKS if allow_all else FRAMEWORKS[:-1]
    return click.option("--framework", type=click.Choice(choices), default=None, help=help_text)


def flags_from(kwargs: dict[str, Any]) -> Any:
    """Pop the model options out of a command's keyword arguments."""
    from lstmcount.inputs import ModelFlags

    names = (
        "cell",
        "bidirectional",
        "merge_mode",
        "num_layers",
        "proj_size",
        "no_bias",
        "embedding",
        "dense",
        "dropout",
        "timesteps",
        "return_sequences",
        "reset_after",
        "nonlinearity",
    )
    return ModelFlags(**{n: kwargs.pop(n) for n in names})


def use_color() -> bool:
    """Colour only on a terminal, and never with NO_COLOR set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@click.group(cls=LstmcountGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lstmcount")
def main() -> None:
    """Count and explain the parameters of recurrent neural networks.

    \b
    lstmcount 100 128                 LSTM(128) on 100 features
    lstmcount 100 128 --dense 1       ... with a dense head: 117,377 in Keras
    lstmcount model.yaml              a spec file (YAML or JSON; - for stdin)
    """


@main.command("count")
@click.argument("args", nargs=-1, metavar="INPUT UNITS... | SPEC")
@model_options
@framework_option("Weight layout to count in; 'all' compares them [default: the spec's, or keras].", allow_all=True)
@click.option(
    "--format", "fmt_name", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
@click.option("--width", type=click.IntRange(min=40), default=None, help="Table width [default: terminal].")
@click.option(
    "--batch", type=click.IntRange(min=1), default=None, metavar="B", help="Add MACs, FLOPs and memory for B sequences."
)
@click.option("--lengths", default=None, metavar="L1,L2,...", help="Costs for packed sequences of these lengths.")
@click.option(
    "--compat",
    type=click.Choice(["torchinfo", "thop", "ptflops", "calflops", "torchprofile"]),
    default=None,
    help="Also show the MACs this tool would print.",
)
def count_command(
    args: tuple[str, ...],
    framework: str | None,
    fmt_name: str,
    width: int | None,
    batch: int | None,
    lengths: str | None,
    compat: str | None,
    **kwargs: Any,
) -> None:
    """Count the parameters of a recurrent model, per layer, per gate and per tensor.

    INPUT is the number of input features, each UNITS one recurrent layer (earlier layers
    return sequences). Or give one SPEC file.

    \b
    Example:
      lstmcount 100 128 --dense 1 --framework all
    """
    from lstmcount.api import compare
    from lstmcount.inputs import resolve
    from lstmcount.render import render

    resolved = resolve(args, flags_from(kwargs), framework)
    comparison = compare(resolved.spec, framework, document=resolved.document)
    if width is None and sys.stdout.isatty():
        width = min(shutil.get_terminal_size().columns, 140)
    text = render(comparison, fmt_name, width=width, color=use_color())
    if batch or lengths or compat:
        from lstmcount.costs import with_costs

        text = with_costs(text, fmt_name, comparison.reports, batch, lengths, compat)
    click.echo(text, nl=False)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code; errors become one line on stderr."""
    try:
        code = main.main(args=list(argv) if argv is not None else None, prog_name="lstmcount", standalone_mode=False)
    except LstmcountError as exc:
        click.echo(f"lstmcount: error: {exc.one_line()}", err=True)
        return exc.exit_code
    except click.exceptions.NoArgsIsHelpError as exc:  # pragma: no cover - click >= 8.2
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 2
    except click.UsageError as exc:
        message = " ".join(exc.format_message().split())
        click.echo(f"lstmcount: error: {message}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        click.echo("lstmcount: aborted", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"lstmcount: error: {' '.join(exc.format_message().split())}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except RecursionError:
        click.echo("lstmcount: error: input nested too deeply", err=True)
        return 2
    # without standalone mode, click returns the code of ctx.exit(n) instead of raising
    return code if isinstance(code, int) else 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(run())


__all__ = ["UsageError", "entry", "main", "model_options", "run"]

"""Options shared by several commands, and the parameter types that read them as specs are read."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click

from lstmcount.model.inputs import CELLS, ModelFlags
from lstmcount.model.spec import suggest

F = TypeVar("F", bound=Callable[..., Any])

#: output formats of ``count``: a report, or (yaml) the spec itself, as lstmcount check reads it
FORMATS = ("table", "json", "markdown", "csv", "keras", "yaml", "html")


class Spelling(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click stubs
    """A choice read as a spec reads it: any letter case, the spec's aliases, a "did you mean" when wrong.

    ``choices`` maps every accepted spelling (lower case) to the value the command receives;
    ``shown`` are the spellings listed in help and completion.
    """

    def __init__(self, name: str, choices: Mapping[str, str], shown: tuple[str, ...], hints: Mapping[str, str]) -> None:
        self.name = name
        self.choices = dict(choices)
        self.shown = shown
        self.hints = dict(hints)

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "[" + "|".join(self.shown) + "]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        key = str(value).strip().lower().replace("-", "_")
        if key in self.choices:
            return self.choices[key]
        hint = self.hints.get(key) or suggest(key, list(self.choices))
        message = f"{value!r} is not one of {', '.join(self.shown)}"
        self.fail(message + (f"; {hint}" if hint else ""), param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(c) for c in self.shown if c.startswith(incomplete.lower())]


def _cell_type() -> Spelling:
    """``--cell``: lstm, gru, rnn, and every spelling a spec accepts for them (simple_rnn, LSTM, ...)."""
    from lstmcount.model.spec import TYPE_ALIASES, LayerType

    wanted = {"lstm": "lstm", "gru": "gru", "simple_rnn": "rnn"}
    choices = {t: c for t, c in wanted.items()} | {
        alias: wanted[t.value] for alias, t in TYPE_ALIASES.items() if t.value in wanted
    }
    choices.update({c: c for c in CELLS})
    others = {t.value: f"--cell names a recurrent cell; {t.value} is a layer of its own" for t in LayerType}
    return Spelling("cell", choices, tuple(CELLS), {k: v for k, v in others.items() if k not in choices})


class FrameworkChoice(Spelling):
    """``--framework``: one framework in any spelling a spec takes, several joined by commas, or ``all``.

    The frameworks are listed only when the list is needed (help, completion, an error): a
    command given one framework's id loads that framework's module alone.
    """

    def __init__(self, allow_all: bool) -> None:
        self.name = "framework"
        self.allow_all = allow_all
        self._filled = False

    def _fill(self) -> None:
        if self._filled:
            return
        from lstmcount import frameworks

        self.shown = frameworks.ids() + (("all",) if self.allow_all else ())
        self.choices = dict(frameworks.spellings())
        self.hints = frameworks.hints()
        self._filled = True

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        self._fill()
        return super().get_metavar(param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        self._fill()
        return super().shell_complete(ctx, param, incomplete)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from lstmcount import frameworks

        text = str(value).strip()
        if self.allow_all and text.lower() == "all":
            return "all"
        parts = [p for p in text.split(",") if p.strip()] if self.allow_all else [text]
        if not parts:
            self.fail(f"{value!r} names no framework", param, ctx)
        ids: list[str] = []
        for part in parts:
            fid = frameworks.resolve(part)
            if fid is None:
                self._fill()
                key = part.strip().lower()
                hint = self.hints.get(key) or suggest(key, list(self.choices))
                message = f"{part.strip()!r} is not one of {', '.join(self.shown)}"
                self.fail(message + (f"; {hint}" if hint else ""), param, ctx)
            if fid not in ids:
                ids.append(fid)
        return ",".join(ids)


def _framework_type(allow_all: bool) -> Spelling:
    return FrameworkChoice(allow_all)


def _complete_class(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Every framework's class names (of the --framework given, when it is), for shell completion."""
    from click.shell_completion import CompletionItem

    from lstmcount import frameworks

    chosen = ctx.params.get("framework")
    pool = [frameworks.get(chosen)] if chosen and "," not in chosen and chosen != "all" else frameworks.every()
    names = sorted({c.name for fw in pool for classes in fw.cells.values() for c in classes})
    return [CompletionItem(n) for n in names if n.lower().startswith(incomplete.lower())]


def model_options(func: F) -> F:
    """The options that shape a model from ``INPUT UNITS...`` (shared by count, verify, explain)."""
    options = [
        click.option(
            "--cell", type=_cell_type(), default=None, help="Recurrent cell of every UNITS layer [default: lstm]."
        ),
        click.option("--bidirectional", is_flag=True, default=None, help="Make every recurrent layer bidirectional."),
        click.option(
            "--merge-mode",
            type=Spelling(
                "merge_mode", {m: m for m in ("concat", "sum", "ave", "mul")}, ("concat", "sum", "ave", "mul"), {}
            ),
            default=None,
            help="How the two directions of --bidirectional layers combine [default: concat].",
        ),
        click.option(
            "--num-layers",
            type=click.IntRange(min=1),
            default=None,
            metavar="N",
            help="Stack N layers in each recurrent layer.",
        ),
        click.option(
            "--proj-size",
            type=click.IntRange(min=1),
            default=None,
            metavar="P",
            help="LSTM projection size: h_t has P features.",
        ),
        click.option("--peepholes", is_flag=True, default=None, help="LSTM peephole connections from the cell state."),
        click.option(
            "--forget-bias",
            type=click.FloatRange(min=-1e6, max=1e6),
            default=None,
            metavar="F",
            help="A constant added to the LSTM forget gate at run time (stored nowhere).",
        ),
        click.option(
            "--class",
            "cell_class",
            default=None,
            metavar="NAME",
            shell_complete=_complete_class,
            help="The framework's own class, where it has several (lstmcount frameworks lists them).",
        ),
        click.option("--no-bias", is_flag=True, default=None, help="Recurrent layers without bias."),
        click.option(
            "--reset-after/--no-reset-after",
            default=None,
            help="GRU: reset after the recurrent product [default: the framework's].",
        ),
        click.option(
            "--nonlinearity",
            type=Spelling("nonlinearity", {"tanh": "tanh", "relu": "relu"}, ("tanh", "relu"), {}),
            default=None,
            help="Activation of --cell rnn [default: tanh].",
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
    """``--framework``: a framework (several, comma-separated, or ``all`` if allowed), in any spelling a spec takes."""
    return click.option("--framework", type=_framework_type(allow_all), default=None, help=help_text)


def width_option(func: F) -> F:
    """``--width``: the columns text output fits in (default: the terminal's, else 100)."""
    return click.option(
        "--width",
        type=click.IntRange(min=40, max=1000),
        default=None,
        metavar="N",
        help="Columns to fit the output in [default: terminal].",
    )(func)


def terminal_width(width: int | None) -> int | None:
    """The width to render at: the one given, else the terminal's (at most 140), else None."""
    if width is not None:
        return width
    if sys.stdout.isatty():
        return max(40, min(shutil.get_terminal_size().columns, 140))
    return None


def flags_from(kwargs: dict[str, Any]) -> ModelFlags:
    """Pop the model options out of a command's keyword arguments."""
    import dataclasses

    return ModelFlags(**{f.name: kwargs.pop(f.name) for f in dataclasses.fields(ModelFlags)})


def use_color() -> bool:
    """Colour only on a terminal, and never with NO_COLOR set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def model_file(args: tuple[str, ...]) -> str | None:
    """The one argument when it is a model file by its content (a Keras config among them), else None."""
    if len(args) != 1 or args[0] == "-":
        return None
    import os

    if not os.path.isfile(args[0]):
        return None
    from lstmcount.io.sniff import HEAD, MODEL_KINDS, Kind, sniff

    try:
        with open(args[0], "rb") as handle:
            head = handle.read(HEAD)
        kind = sniff(args[0], head)
    except OSError:
        return None
    if kind is Kind.TEXT:
        from lstmcount.importers.keras import looks_like_config

        return args[0] if looks_like_config(head) else None
    return args[0] if kind in MODEL_KINDS and kind is not Kind.NPY else None

"""``lstmcount count`` (the default command): a model's parameters per layer, gate and tensor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from lstmcount.commands.options import (
    FORMATS,
    flags_from,
    framework_option,
    model_file,
    model_options,
    terminal_width,
    use_color,
    width_option,
)
from lstmcount.commands.output import echo, emit, output_option
from lstmcount.errors import UsageError
from lstmcount.model.report import Report
from lstmcount.model.spec import DEFAULT_FRAMEWORK, ModelSpec

if TYPE_CHECKING:
    from lstmcount.io.loader import Document
    from lstmcount.model.inputs import FlagOrigin, ModelFlags, Resolved

COMPAT_TOOLS = ("torchinfo", "thop", "ptflops", "calflops", "torchprofile")


@click.command("count")
@click.argument("args", nargs=-1, metavar="INPUT UNITS... | SPEC")
@model_options
@framework_option(
    "Weight layout to count in; several (a,b) or 'all' are compared [default: the spec's, or "
    + DEFAULT_FRAMEWORK
    + "].",
    allow_all=True,
)
@click.option(
    "--format", "fmt_name", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)
@width_option
@click.option(
    "--batch", type=click.IntRange(min=1), default=None, metavar="B", help="Add MACs, FLOPs and memory for B sequences."
)
@click.option("--lengths", default=None, metavar="L1,L2,...", help="Costs for packed sequences of these lengths.")
@click.option(
    "--compat", type=click.Choice(COMPAT_TOOLS), default=None, help="Also show the number this tool would print."
)
@output_option
def count_command(
    args: tuple[str, ...],
    framework: str | None,
    fmt_name: str,
    width: int | None,
    batch: int | None,
    lengths: str | None,
    compat: str | None,
    output: str | None,
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
    from lstmcount.renderers.report import render

    given = model_file(args)
    if given is not None:
        _inspect(given, framework, fmt_name, width, batch, lengths, compat, kwargs, output)
        return
    resolved = resolve_or_hint(args, flags_from(kwargs), framework)
    if fmt_name == "yaml":
        emit(_spec_yaml(resolved.spec, framework, batch or lengths or compat), output, fmt_name, args)
        return
    comparison = compare(resolved.spec, framework, document=resolved.document)
    if fmt_name == "html":
        from lstmcount.renderers.html import report_page

        if batch or lengths or compat:
            raise UsageError("--batch, --lengths and --compat need --format table, markdown or json, not html")
        text = report_page(comparison.reports, resolved.spec, steps=resolved.spec.input.timesteps)
    else:
        text = render(comparison, fmt_name, width=terminal_width(width), color=use_color() and output is None)
    if batch or lengths or compat:
        text = with_costs(text, fmt_name, comparison.reports, batch, lengths, compat, terminal_width(width))
    emit(text, output, fmt_name, args)
    if expectations_fail(resolved.spec, comparison.reports, resolved.document):
        raise click.exceptions.Exit(1)


def _spec_yaml(spec: ModelSpec, framework: str | None, costs: object) -> str:
    """The spec itself as YAML (in the framework given), which ``lstmcount check`` reads back."""
    import dataclasses

    from lstmcount.io.dump import spec_yaml
    from lstmcount.model.spec import spec_to_dict

    if costs:
        raise UsageError("--batch, --lengths and --compat need --format table, markdown or json, not yaml")
    if framework is not None:
        if framework == "all" or "," in framework:
            raise UsageError("--format yaml writes one spec: give one --framework")
        spec = dataclasses.replace(spec, framework=framework)
    return spec_yaml(spec_to_dict(spec))


def _inspect(
    path: str,
    framework: str | None,
    fmt_name: str,
    width: int | None,
    batch: int | None,
    lengths: str | None,
    compat: str | None,
    kwargs: dict[str, Any],
    output: str | None = None,
) -> None:
    """``lstmcount FILE`` for a model file: what ``inspect`` shows (model flags do not apply to it)."""
    given = flags_from(kwargs).given()
    if given:
        raise UsageError(f"{given[0]} describes a model; {path} is a model file, read as it is (lstmcount inspect)")
    if framework is not None and "," in framework:
        raise UsageError("a model file is read in one framework's conventions: give one --framework")
    from lstmcount.importers import inspect
    from lstmcount.renderers.inspection import render_inspection

    found = inspect(path, None if framework in (None, "all") else framework)
    if fmt_name == "html" and (batch or lengths or compat):
        raise UsageError("--batch, --lengths and --compat need --format table, markdown or json, not html")
    text = render_inspection(found, fmt_name, width=terminal_width(width), color=use_color() and output is None)
    if batch or lengths or compat:
        text = with_costs(text, fmt_name, [found.report], batch, lengths, compat, terminal_width(width))
    emit(text, output, fmt_name, (path,))


def expectations_fail(spec: ModelSpec, reports: Sequence[Report], document: Document | FlagOrigin | None) -> bool:
    """Say on standard error where a spec file's own ``expect`` block disagrees with its count; whether it does."""
    if spec.expect is None:  # also every spec built from flags: the loader (and yaml) stay unloaded
        return False
    from lstmcount.counting.check import Budget, compare
    from lstmcount.io.loader import Document

    own = [r for r in reports if r.framework == spec.framework]
    if not isinstance(document, Document) or not own:
        return False
    problems = compare(spec, own[0], document, Budget())
    for problem in problems:
        echo(f"lstmcount: {problem.text()}", err=True)
    return bool(problems)


def resolve_or_hint(args: tuple[str, ...], flags: ModelFlags, framework: str | None) -> Resolved:
    """The model the arguments name; a first word that is no file but looks like a misspelt command says so."""
    import os

    from lstmcount.model.inputs import resolve

    first = args[0] if args else ""
    if first and first != "-" and not first.lstrip("+-").isdigit() and not os.path.exists(first):
        from lstmcount.cli import COMMANDS
        from lstmcount.model.spec import suggest

        close = suggest(first, list(COMMANDS))
        if close:
            raise UsageError(f"{first}: no such command or file; {close}")
    return resolve(args, flags, framework)


def with_costs(
    text: str,
    fmt_name: str,
    reports: Sequence[Report],
    batch: int | None,
    lengths: str | None,
    compat: str | None,
    width: int | None = None,
) -> str:
    """The count command's output with the costs added: a ``costs`` key in JSON, a section otherwise."""
    import json

    from lstmcount.counting.compat import headlines, tool
    from lstmcount.counting.costs import (
        costs_to_dict,
        estimate,
        parse_lengths,
        render_costs_markdown,
        render_costs_text,
    )

    sizes = parse_lengths(lengths)
    if fmt_name not in ("table", "markdown", "json"):
        raise UsageError(f"--batch, --lengths and --compat need --format table, markdown or json, not {fmt_name}")
    batch = batch or (len(sizes) if sizes else 1)
    estimates = [estimate(report, batch, None, sizes) for report in reports]
    if compat is not None and any(c.timesteps is None for c in estimates):
        raise UsageError("--compat needs the sequence length: give --timesteps T (or --lengths)")
    rows = [
        headlines(report, batch, c.timesteps) if c.timesteps else []
        for report, c in zip(reports, estimates, strict=True)
    ]
    if compat is not None:
        rows = [[row for row in found if row.tool == tool(compat).name] for found in rows]
    if fmt_name == "json":
        doc = json.loads(text)
        for target, costs, found in zip(doc.get("reports", [doc]), estimates, rows, strict=True):
            target["costs"] = costs_to_dict(costs)
            target["costs"]["compat"] = [row.to_dict() for row in found]
        return json.dumps(doc, indent=2) + "\n"
    from lstmcount.renderers.text import wrap

    out = text.rstrip("\n") + "\n"
    for costs, found in zip(estimates, rows, strict=True):
        out += "\n" + (render_costs_markdown(costs) if fmt_name == "markdown" else render_costs_text(costs, width))
        if found:
            out += "\nWhat other tools print for this model (as PyTorch modules):\n"
            if fmt_name == "markdown":
                out += "\n" + "".join(f"- {row.line()}\n" for row in found)
            else:
                out += "".join(line + "\n" for row in found for line in wrap(row.line(), width or 100, "  ", "    "))
    return out

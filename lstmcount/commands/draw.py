"""``lstmcount draw``: a picture of the model as SVG: the cell, its fused tensors, the unrolled sequence, the model."""

from __future__ import annotations

from typing import Any

import click

from lstmcount.commands.options import flags_from, framework_option, model_file, model_options
from lstmcount.commands.output import echo, write_file
from lstmcount.errors import UsageError
from lstmcount.model.spec import DEFAULT_FRAMEWORK

VIEWS = ("cell", "tensors", "unrolled", "model")


@click.command("draw")
@click.argument("args", nargs=-1, metavar="INPUT UNITS... | SPEC | MODEL FILE")
@model_options
@framework_option(
    "Layout to draw [default: the spec's, or " + DEFAULT_FRAMEWORK + "]; several (a,b) or 'all' are set "
    "side by side by --view tensors.",
    allow_all=True,
)
@click.option(
    "--view",
    type=click.Choice(VIEWS),
    default="cell",
    show_default=True,
    help="cell: one time step, gate by gate; tensors: each stored tensor split into its blocks; "
    "unrolled: the time steps sharing one set of weights; model: the layers.",
)
@click.option(
    "--layer",
    default=None,
    metavar="NAME",
    help="The recurrent layer to draw [default: the first; all for tensors and unrolled].",
)
@click.option("-o", "--output", default=None, metavar="FILE.svg", help="Write the SVG here [default: standard output].")
def draw_command(
    args: tuple[str, ...], framework: str | None, view: str, layer: str | None, output: str | None, **kwargs: Any
) -> None:
    """Draw a recurrent model as SVG: its cell, its tensors, its unrolled sequence or its layers.

    The picture is made from the same count as the tables, so its shapes and counts are the
    table's. Text stays text, every element has a title, and the palette is safe for
    colour-blind readers.

    \b
    Example:
      lstmcount draw 100 128 --view cell -o cell.svg
      lstmcount draw 100 128 --view tensors --framework pytorch,onnx -o mapping.svg
    """
    from lstmcount.draw import draw

    reports, steps = reports_for(args, framework, kwargs, several=view == "tensors")
    canvas = draw(reports, view, layer=layer, steps=steps)
    text = canvas.svg()
    if output is None:
        echo(text, nl=False)
    else:
        write_file(output, text, option="--output", suffixes=(".svg",), inputs=args)


def reports_for(
    args: tuple[str, ...], framework: str | None, kwargs: dict[str, Any], *, several: bool
) -> tuple[list[Any], int | None]:
    """The reports the arguments name (a model file, a spec or flags), and the model's time steps."""
    from lstmcount.api import compare
    from lstmcount.commands.count import resolve_or_hint

    given = model_file(args)
    many = framework is not None and (framework == "all" or "," in framework)
    if many and not several:
        raise UsageError("--framework: this view draws one framework; --view tensors sets several side by side")
    if given is not None:
        flags = flags_from(kwargs).given()
        if flags:
            raise UsageError(f"{flags[0]} describes a model; {given} is a model file, read as it is")
        if many:
            raise UsageError("a model file is read in one framework's conventions: give one --framework")
        from lstmcount.importers import inspect

        found = inspect(given, framework)
        return [found.report], None
    resolved = resolve_or_hint(args, flags_from(kwargs), framework)
    comparison = compare(resolved.spec, framework, document=resolved.document)
    if not comparison.reports:
        reason = "; ".join(f"{fw}: {why}" for fw, why in comparison.failures)
        raise UsageError(f"no framework can build this model ({reason})")
    return list(comparison.reports), resolved.spec.input.timesteps

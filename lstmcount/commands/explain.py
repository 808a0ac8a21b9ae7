"""``lstmcount explain``: a recurrent cell's equations with shapes, fused tensors, count and unrolled view."""

from __future__ import annotations

from typing import Any

import click

from lstmcount.commands.options import flags_from, framework_option, model_options, terminal_width, width_option
from lstmcount.commands.output import emit, output_option
from lstmcount.errors import UsageError
from lstmcount.explain.document import (
    DEFAULT_STEPS,
    NOTATIONS,
    Drawing,
    Section,
    Verbatim,
    bptt_lines,
    build,
    costs_lines,
    render_markdown,
    render_text,
)
from lstmcount.model.spec import DEFAULT_FRAMEWORK


@click.command("explain")
@click.argument("args", nargs=-1, metavar="INPUT UNITS... | SPEC")
@model_options
@framework_option(
    "Weight layout whose tensors are split and counted [default: the spec's, or " + DEFAULT_FRAMEWORK + "]."
)
@click.option(
    "--notation",
    type=click.Choice(list(NOTATIONS)),
    default="own",
    show_default=True,
    help="own: the framework's; row: x_t U + h W; column: W_i x_t + W_h h; concat: W [h, x].",
)
@click.option(
    "--format",
    "fmt_name",
    type=click.Choice(["text", "markdown", "html"]),
    default="text",
    show_default=True,
    help="Plain text, Markdown with LaTeX equations, or one self-contained HTML page with the pictures.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=None,
    metavar="B",
    help="Batch size, for the costs section and --bptt.",
)
@click.option(
    "--lengths",
    default=None,
    metavar="L1,L2,...",
    help="Lengths of the sequences of a padded batch, for the costs section.",
)
@click.option(
    "--bptt",
    is_flag=True,
    default=False,
    help="Run forward and backward through time in NumPy and show each step's gradient.",
)
@width_option
@output_option
def explain_command(
    args: tuple[str, ...],
    framework: str | None,
    notation: str,
    fmt_name: str,
    batch: int | None,
    lengths: str | None,
    bptt: bool,
    width: int | None,
    output: str | None,
    **kwargs: Any,
) -> None:
    """Explain a recurrent cell: its equations with shapes, fused tensors, count and unrolled view.

    \b
    Example:
      lstmcount explain 100 128 --notation concat
      lstmcount explain 3 2 --bptt
      lstmcount explain 100 128 --dense 1 --format html -o report.html
    """
    from lstmcount.api import count_located
    from lstmcount.model.inputs import resolve

    flags = flags_from(kwargs)
    resolved = resolve(args, flags, framework)
    report = count_located(resolved.spec, framework, resolved.document)
    from lstmcount.counting.costs import parse_lengths

    sizes = parse_lengths(lengths)
    if sizes and batch is not None and len(sizes) != batch:
        raise UsageError(f"--lengths gives {len(sizes)} lengths but --batch is {batch}")
    steps = resolved.spec.input.timesteps or (max(sizes) if sizes else None)
    tex = fmt_name == "markdown"
    page = fmt_name == "html"
    sections = build(
        report,
        resolved.spec,
        notation,
        tex=tex,
        steps=steps or DEFAULT_STEPS,
        width=None if tex or page else terminal_width(width) or 100,
    )
    if batch is not None or sizes is not None or steps is not None:
        lines = costs_lines(
            report,
            batch or (len(sizes) if sizes else 1),
            steps,
            sizes,
            tex=fmt_name == "markdown",
            width=terminal_width(width),
        )
        sections.append(Section("Costs", [Verbatim(tuple(lines))]))
    if bptt:
        from lstmcount.numeric.bptt import run_for

        result = run_for(report, resolved.spec, steps=steps, batch=batch)
        sections.append(Section("Backpropagation through time", [Drawing(tuple(bptt_lines(result)))]))
    if fmt_name == "html":
        from lstmcount.renderers.html import page as html_page

        title = (
            f"{report.model_name or 'the model'}: {report.total:,} parameters ({report.framework_display}), explained"
        )
        text = html_page([report], title=title, sections=[sections], steps=steps or DEFAULT_STEPS)
    elif fmt_name == "markdown":
        text = render_markdown(sections)
    else:
        text = render_text(sections, terminal_width(width))
    emit(text, output, fmt_name, args)

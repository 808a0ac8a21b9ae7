"""``lstmcount frameworks``: every framework lstmcount knows, side by side."""

from __future__ import annotations

import click

from lstmcount.commands.options import terminal_width, width_option
from lstmcount.commands.output import echo


@click.command("frameworks")
@click.option(
    "--format",
    "fmt_name",
    type=click.Choice(["text", "markdown"]),
    default="text",
    show_default=True,
    help="Plain text, or Markdown tables.",
)
@width_option
def frameworks_command(fmt_name: str, width: int | None) -> None:
    """List the frameworks: gate orders, bias layouts, classes and a real count of each.

    Every figure is counted, as `lstmcount 100 128 --framework NAME` counts it.

    \b
    Example:
      lstmcount frameworks
      lstmcount 100 128 --framework all
    """
    from lstmcount.renderers import frameworks

    if fmt_name == "markdown":
        echo(frameworks.render_markdown(), nl=False)
    else:
        echo(frameworks.render_text(terminal_width(width)), nl=False)

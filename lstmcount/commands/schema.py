"""``lstmcount schema``: the JSON Schema of the spec format."""

from __future__ import annotations

import click

from lstmcount.commands.output import echo
from lstmcount.model.schema import schema_text


@click.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the spec format, for editors and validators.

    Save it next to your specs and point the YAML language server at it with a
    first line in each spec:

    \b
      # yaml-language-server: $schema=lstmcount.schema.json

    \b
    Example:
      lstmcount schema > lstmcount.schema.json
    """
    echo(schema_text(), nl=False)

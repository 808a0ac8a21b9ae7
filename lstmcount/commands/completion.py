"""``lstmcount completion SHELL`` and ``lstmcount help [COMMAND]``: finding one's way on the command line."""

from __future__ import annotations

import click

from lstmcount.commands.output import echo
from lstmcount.errors import UsageError
from lstmcount.model.spec import suggest

SHELLS = ("bash", "zsh", "fish")


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion_command(shell: str) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Completes commands, options and their values. Load it in the shell's start-up file:

    \b
      bash:  eval "$(lstmcount completion bash)"          in ~/.bashrc
      zsh:   eval "$(lstmcount completion zsh)"           in ~/.zshrc
      fish:  lstmcount completion fish > ~/.config/fish/completions/lstmcount.fish

    \b
    Example:
      lstmcount completion bash >> ~/.bashrc
    """
    from click.shell_completion import get_completion_class

    from lstmcount.cli import main

    completion_class = get_completion_class(shell)
    assert completion_class is not None  # click has a class for each of SHELLS
    echo(completion_class(main, {}, "lstmcount", "_LSTMCOUNT_COMPLETE").source())


@click.command("help")
@click.argument("command", required=False)
@click.pass_context
def help_command(ctx: click.Context, command: str | None) -> None:
    """Show the help of lstmcount or of one of its commands.

    \b
    Example:
      lstmcount help check
    """
    from lstmcount.cli import COMMANDS, main

    parent = ctx.parent or ctx
    if command is None:
        echo(main.get_help(parent))
        return
    found = main.get_command(parent, command)
    if found is None:
        hint = suggest(command, list(COMMANDS))
        raise UsageError(f"no command {command!r} (commands: {', '.join(COMMANDS)})" + (f"; {hint}" if hint else ""))
    with click.Context(found, info_name=command, parent=parent) as sub:
        echo(found.get_help(sub))

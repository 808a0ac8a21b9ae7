"""The README's examples are real: every ```console block is re-run and compared."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstmcount.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n\$ (lstmcount[^\n]*)\n(.*?)```", re.S)


def blocks() -> list[tuple[str, str]]:
    """(command, expected output) for every console block of the README."""
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_has_examples() -> None:
    """The README shows real output of the main command."""
    commands = [c for c, _ in blocks()]
    assert any(c.startswith("lstmcount 100 128 --dense 1") for c in commands)


def test_first_screen_has_two_setup_commands() -> None:
    """The first screen gives one command that installs and runs, one that installs and tests."""
    first_block = README.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert lines == ["pip install . && lstmcount 100 128 --dense 1", 'pip install -e ".[test]" && python -m pytest']


def output_of(command: str) -> str:
    """What ``command`` prints, run in the repository root without colour."""
    argv = shlex.split(command)[1:]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        result = CliRunner(env={"NO_COLOR": "1"}).invoke(main, argv)
    finally:
        os.chdir(cwd)
    return result.stdout


@pytest.mark.parametrize(("command", "expected"), blocks(), ids=[c for c, _ in blocks()])
def test_console_block_output_is_current(command: str, expected: str, request: pytest.FixtureRequest) -> None:
    """Each console block's output is exactly what the command prints today (--update-goldens rewrites)."""
    actual = output_of(command)
    if request.config.getoption("--update-goldens") and actual != expected:
        text = README.read_text(encoding="utf-8")
        old = f"```console\n$ {command}\n{expected}```"
        README.write_text(text.replace(old, f"```console\n$ {command}\n{actual}```"), encoding="utf-8")
        expected = actual
    assert actual == expected, f"README output of `{command}` is stale; run pytest --update-goldens"

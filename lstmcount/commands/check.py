"""``lstmcount check``: validate spec files and compare their counts with their expectations."""

from __future__ import annotations

import click

from lstmcount.commands.output import echo
from lstmcount.counting.check import (
    Budget,
    FileResult,
    Problem,
    Status,
    _located,
    check_file,
    exit_code,
    expand_paths,
    github_annotation,
    render_json,
    summary,
)
from lstmcount.errors import Location, LstmcountError, UsageError


def emit(result: FileResult, fmt: str) -> None:
    """Print one file's result as soon as it is known (text and github formats)."""
    if fmt == "github" and result.status is not Status.OK:
        for problem in result.problems:
            echo(github_annotation(problem, result.path))
        return
    for line in result.lines():
        echo(line, err=result.status is Status.INVALID)


@click.command("check")
@click.argument("paths", nargs=-1, metavar="PATH...")
@click.option(
    "--expect-total",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Every spec must count exactly N parameters.",
)
@click.option(
    "--max-params",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Budget: fail a spec with more than N parameters.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text lines, one JSON document, or GitHub Actions annotations.",
)
@click.option(
    "--update", is_flag=True, help="Write the current counts into each spec's expect: block (shows the diff first)."
)
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip files and directories matching GLOB (repeatable).")
def check_command(
    paths: tuple[str, ...],
    expect_total: int | None,
    max_params: int | None,
    fmt: str,
    update: bool,
    exclude: tuple[str, ...],
) -> None:
    """Validate spec files and check their parameter counts against expectations.

    PATH is a spec file, a directory (searched for *.yaml, *.yml, *.json) or a glob. Each
    spec is validated, counted in its framework and compared with its expect: block and the
    options below. Exit status: 0 all good, 1 an expectation or budget failed, 2 a spec is
    invalid or a path unreadable.

    \b
    Example:
      lstmcount check specs/ --max-params 5000000 --format github
    """
    if not paths:
        raise UsageError("give at least one spec file, directory or glob (e.g. lstmcount check specs/)")
    budget = Budget(expect_total=expect_total, max_params=max_params)
    results: list[FileResult] = []
    for name, error in expand_paths(paths, exclude):
        if error is not None:
            result = FileResult(name, Status.INVALID, [_located(error, name)])
        else:
            result = check_file(name, budget, keep_text=update)
            if update and name == "-":
                problem = Problem("standard input cannot be updated", Location(result.path), "expect")
                result = FileResult(result.path, Status.INVALID, [problem])
            elif update and result.status is not Status.INVALID:
                result = _update(result, budget, diff_to_stderr=fmt == "json")
        results.append(result)
        if fmt != "json":
            emit(result, fmt)
    if fmt == "json":
        echo(render_json(results), nl=False)
    elif len(results) > 1 or fmt == "github":
        echo(summary(results))
    code = exit_code(results)
    if code:
        raise click.exceptions.Exit(code)


def _update(result: FileResult, budget: Budget, *, diff_to_stderr: bool) -> FileResult:
    """Rewrite a file's expect block to the current counts; the result of checking it again."""
    from lstmcount.io.update import update_file

    assert result.document is not None and result.report is not None
    try:  # the diff is shown before the file is written; with --format json it goes to stderr
        diff = update_file(result.document, result.report, lambda d: echo(d, nl=False, err=diff_to_stderr))
    except LstmcountError as exc:
        return FileResult(result.path, Status.INVALID, [_located(exc, result.path)])
    if not diff:
        return result
    again = check_file(result.path, budget)
    again.updated = True
    return again

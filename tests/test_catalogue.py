"""The catalogue of malformed specs: each file must fail with exit 2 and its one expected line.

Every case in ``tests/catalogue/`` is a spec file with a sidecar ``<stem>.expected`` holding the
exact message (file:line:col, field path, expected vs received, hint). Both ``lstmcount FILE``
and ``lstmcount check FILE`` must print that single line and exit 2, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstmcount.cli import run

CATALOGUE = Path(__file__).parent / "catalogue"
CASES = sorted(p.name for p in CATALOGUE.iterdir() if p.suffix != ".expected")
ROOT = Path(__file__).parent.parent


def expected(case: str) -> str:
    """The message a case must produce."""
    return (CATALOGUE / (Path(case).stem + ".expected")).read_text(encoding="utf-8").strip()


def test_catalogue_is_large_and_complete() -> None:
    """There are well over 50 cases, each with exactly one expected line and a unique stem."""
    assert len(CASES) >= 100
    stems = [Path(c).stem for c in CASES]
    assert len(stems) == len(set(stems))
    for case in CASES:
        text = (CATALOGUE / (Path(case).stem + ".expected")).read_text(encoding="utf-8")
        assert text.count("\n") == 1 and text.startswith(case + ":"), case
    orphans = {p.stem for p in CATALOGUE.glob("*.expected")} - set(stems)
    assert not orphans


@pytest.mark.parametrize("case", CASES)
def test_count_command_fails_with_one_line(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lstmcount FILE`` exits 2 with the case's one-line message on stderr and nothing on stdout."""
    monkeypatch.chdir(CATALOGUE)
    code = run([case])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"lstmcount: error: {expected(case)}"]


@pytest.mark.parametrize("case", CASES)
def test_check_command_fails_with_one_line(
    case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lstmcount check FILE`` exits 2 with the same message, marked invalid, on stderr."""
    monkeypatch.chdir(CATALOGUE)
    code = run(["check", case])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [f"invalid {expected(case)}"]


def test_every_message_names_file_and_line_or_field() -> None:
    """Each expected line starts with the file name and carries a line number or a field path."""
    for case in CASES:
        line = expected(case)
        rest = line[len(case) :]
        has_line = rest[:1] == ":" and rest[1:2].isdigit()
        assert has_line, line


def test_check_json_gives_line_and_field_for_the_whole_catalogue(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``check --format json`` on the catalogue directory lists every case as invalid, with its line."""
    monkeypatch.chdir(CATALOGUE)
    code = run(["check", ".", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 2
    assert doc["summary"]["invalid"] == len(CASES) and doc["summary"]["ok"] == 0
    for item in doc["files"]:
        (problem,) = item["problems"]
        assert problem["line"] is not None, item["path"]


def test_catalogue_through_the_real_entry_point() -> None:
    """A subprocess run over the whole catalogue prints one line per case and a summary, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "lstmcount", "check", str(CATALOGUE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.splitlines()) == len(CASES)
    assert proc.stdout.strip().splitlines()[-1] == f"checked {len(CASES)} files: 0 ok, 0 failed, {len(CASES)} invalid"

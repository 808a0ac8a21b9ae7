"""Every command and option with hostile values: an answer or one error line, never a traceback.

The grid is read from the commands themselves (click's parameters), so an option added later is
covered without touching this file. Each value is tried on its own against a small valid
invocation of the command; the exit code must be 0, 1, 2 or 130, an error (2) must be exactly
one line on standard error, and nothing may take long (a SIGALRM fails a run past its time).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import numpy as np
import pytest

from lstmcount.cli import COMMANDS, main, run

ROOT = Path(__file__).resolve().parent.parent
#: seconds one invocation may take
LIMIT = 20
SPEC = "input: {features: 3, timesteps: 4}\nlayers:\n  - {type: lstm, units: 2}\n  - {type: dense, units: 1}\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Hostile files by what is wrong with them."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "spec.yaml").write_text(SPEC)
    (root / "text.npz").write_text("not numpy at all\n")
    (root / "text.npy").write_text("not numpy at all\n")
    np.savez(root / "good.npz", a=np.zeros(3))
    (root / "trunc.npz").write_bytes((root / "good.npz").read_bytes()[:-30])
    np.save(root / "good.npy", np.zeros((2, 4, 3), np.float32))
    (root / "trunc.npy").write_bytes((root / "good.npy").read_bytes()[:-10])
    np.save(root / "nan.npy", np.full((2, 4, 3), np.nan))
    np.save(root / "wide.npy", np.zeros((2, 4, 99), np.float32))
    (root / "binary.yaml").write_bytes(bytes(range(256)) * 4)
    with zipfile.ZipFile(root / "model.pt", "w") as archive:
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
    (root / "header.safetensors").write_bytes((10**9).to_bytes(8, "little") + b"{}")
    (root / "empty").write_bytes(b"")
    (root / "lstm.safetensors").write_bytes(_safetensors({"lstm.weight_ih_l0": (8, 3), "lstm.weight_hh_l0": (8, 2)}))
    os.mkdir(root / "dir")
    (root / "dir" / "bad.yaml").write_text("layers: [{type: lstn}]\n")
    return {
        "missing": str(root / "no-such-file.yaml"),
        "directory": str(root / "dir"),
        "text as npz": str(root / "text.npz"),
        "text as npy": str(root / "text.npy"),
        "truncated npz": str(root / "trunc.npz"),
        "truncated npy": str(root / "trunc.npy"),
        "nan npy": str(root / "nan.npy"),
        "non-matching npy": str(root / "wide.npy"),
        "non-matching npz": str(root / "good.npz"),
        "binary": str(root / "binary.yaml"),
        "model file": str(root / "model.pt"),
        "lying header": str(root / "header.safetensors"),
        "empty": str(root / "empty"),
        "device": "/dev/zero",
        "unwritable": "/proc/no/such/dir/out.npy",
        "under a file": str(root / "spec.yaml" / "out.npy"),
        "spec": str(root / "spec.yaml"),
        "model": str(root / "lstm.safetensors"),
    }


def _safetensors(shapes: dict[str, tuple[int, ...]]) -> bytes:
    """A safetensors file of float32 zeros with these tensors (the format is a JSON header and the data)."""
    import json
    import math

    header, offset = {}, 0
    for name, shape in shapes.items():
        size = 4 * math.prod(shape)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + bytes(offset)


#: values for options that take numbers, choices or free text
NUMBERS = ["0", "-1", "2147483647", "99999999999999999999999", "nan", "inf", "1e9", "", "abc", "3.5"]
WORDS = ["", "ZZZ", "ü", "-", "--", "1,,2", "0,-1", " ", "x" * 10_000, "2GiB", "1e40"]
PATH_KEYS = [
    "missing", "directory", "text as npz", "text as npy", "truncated npz", "truncated npy", "nan npy",
    "non-matching npy", "non-matching npz", "binary", "model file", "lying header", "empty", "device",
    "unwritable", "under a file",
]  # fmt: skip
#: options whose value is a file to read or write
PATH_OPTIONS = {"--weights", "--input", "--save-output", "-o", "--spec"}


def base_args(command: str, files: dict[str, str]) -> list[str]:
    """A small invocation of ``command`` that succeeds (or checks) on its own."""
    return {
        "count": ["count", "3", "2"],
        "explain": ["explain", "3", "2"],
        "draw": ["draw", "3", "2"],
        "verify": ["verify", "3", "2"],
        "check": ["check", files["spec"]],
        "inspect": ["inspect", files["model"]],
        "convert": ["convert", files["model"], "--to", "keras", "--check-only"],
        "schema": ["schema"],
        "frameworks": ["frameworks"],
        "completion": ["completion", "bash"],
        "help": ["help"],
    }[command]


def values_for(param: click.Parameter, files: dict[str, str]) -> list[str | None]:
    """The hostile values to give ``param`` (None: give the flag alone)."""
    if isinstance(param, click.Option) and param.is_flag:
        return [None]
    names = set(getattr(param, "opts", []))
    if names & PATH_OPTIONS:
        return [files[k] for k in PATH_KEYS]
    if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
        return NUMBERS
    return NUMBERS[:4] + WORDS


def cases(files: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """(label, argv) for every command, option and hostile value."""
    for command in COMMANDS:
        cmd = main.get_command(None, command)  # type: ignore[arg-type]
        assert cmd is not None
        base = base_args(command, files)
        for param in cmd.params:
            if param.name == "help":
                continue
            if isinstance(param, click.Argument):
                for key in PATH_KEYS:
                    yield f"{command} {param.name}={key}", [command, files[key]]
                for word in NUMBERS + WORDS:
                    yield f"{command} {param.name}={word[:20]!r}", [command, word]
                continue
            flag = param.opts[0]
            for value in values_for(param, files):
                argv = [*base, flag] if value is None else [*base, flag, value]
                shown = "flag" if value is None else next((k for k, v in files.items() if v == value), value[:20])
                yield f"{command} {flag}={shown!r}", argv


def one_error_line(command: str, err: str) -> bool:
    """Whether standard error holds the one line an error gets (check: one ``invalid`` line per file)."""
    lines = err.splitlines()
    if command == "check" and lines and all(line.startswith("invalid ") for line in lines):
        return True
    return len(lines) == 1 and lines[0].startswith("lstmcount: error: ")


class TooSlowError(Exception):
    """An invocation ran past its time."""


def _alarm(signum: int, frame: Any) -> None:
    raise TooSlowError


def test_every_option_with_hostile_values(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command, each option, each hostile value: exit 0/1/2/130, one error line, no traceback, no hang."""
    import io

    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"layers: 1\n")))  # for "-"
    failures = []
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for label, argv in cases(files):
            signal.alarm(LIMIT)
            try:
                code = run(argv)
            except TooSlowError:
                failures.append(f"{label}: took more than {LIMIT} s")
                continue
            finally:
                signal.alarm(0)
            out, err = capsys.readouterr()
            if code not in (0, 1, 2, 130):
                failures.append(f"{label}: exit {code}: {err.strip()[:200]}")
            elif "Traceback" in err or "Traceback" in out:
                failures.append(f"{label}: traceback")
            elif code == 2 and not one_error_line(argv[0], err):
                failures.append(f"{label}: not one error line: {err[:300]!r}")
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert failures == [], "\n".join(failures)


def test_the_grid_covers_every_option(files: dict[str, str]) -> None:
    """Every option of every command appears in the grid."""
    labels = {label.split("=")[0] for label, _ in cases(files)}
    for command in COMMANDS:
        cmd = main.get_command(None, command)  # type: ignore[arg-type]
        assert cmd is not None
        for param in cmd.params:
            if param.name != "help":
                name = param.opts[0] if isinstance(param, click.Option) else param.name
                assert f"{command} {name}" in labels, (command, name)


def lstmcount(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    """``python -m lstmcount ARGS`` in a fresh process."""
    return subprocess.Popen([sys.executable, "-m", "lstmcount", *args], cwd=ROOT, **kwargs)


def test_a_full_disk_is_one_error_line() -> None:
    """`lstmcount 100 128 > /dev/full` says it cannot write, once, and exits 2."""
    with open("/dev/full", "wb") as full:
        proc = lstmcount("100", "128", stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.decode().splitlines() == ["lstmcount: error: cannot write to standard output: No space left on device"]


@pytest.mark.parametrize(
    "args", [["100", "128", "--framework", "all"], ["check", "examples/"], ["explain", "100", "128"]]
)
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """`lstmcount ... | head -1`: the reader leaves early; lstmcount ends without a word on standard error."""
    proc = lstmcount(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # what head does after its line
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode in (0, 1) and err == b""


def _interruptible() -> None:
    """In the child: Ctrl-C's default action, as in a terminal (a job started in the background ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    """SIGINT during a long forward pass ends it with exit 130 and no message (a line break after the ^C)."""
    proc = lstmcount(
        "verify", "16", "16", "--timesteps", "1000000", "--batch", "1",
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=_interruptible,
    )  # fmt: skip
    time.sleep(2.5)  # well into the pass (the imports take well under a second): a million short steps, 30 s or more
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.strip() == b""

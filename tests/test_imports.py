"""Start-up: the counting path imports neither numpy nor yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys, runpy, io, contextlib
sys.argv = ["lstmcount", *{args!r}]
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        runpy.run_module("lstmcount", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = sorted(m for m in ("numpy", "yaml", "torch", "keras") if m in sys.modules)
print(",".join(heavy))
"""


def loaded(*args: str) -> list[str]:
    """Heavy modules loaded by running the CLI with ``args`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=list(args))], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return [m for m in proc.stdout.strip().split(",") if m]


def test_counting_imports_no_numpy_or_yaml() -> None:
    """`lstmcount 100 128` (every output format) loads neither numpy nor yaml."""
    for fmt in ("table", "json", "keras", "csv", "markdown"):
        assert loaded("100", "128", "--dense", "1", "--format", fmt) == []


def test_importing_the_package_is_light() -> None:
    """`import lstmcount` (the Python API) loads neither numpy nor yaml."""
    proc = subprocess.run(
        [sys.executable, "-c", "import lstmcount, sys; print('numpy' in sys.modules, 'yaml' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert proc.stdout.split() == ["False", "False"]


def test_spec_files_load_yaml_but_not_numpy() -> None:
    """Reading a spec file needs yaml, still not numpy."""
    assert loaded("examples/keras_sentiment.yaml") == ["yaml"]

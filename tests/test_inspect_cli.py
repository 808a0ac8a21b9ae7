"""``lstmcount inspect FILE`` on the command line: every output format, the JSON keys, the YAML round trip, imports."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lstmcount.cli import run

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "tests" / "fixtures" / "models"
#: one recorded file of each format, and the framework's facts
FILES = {
    "pt": "pytorch/tagger.pt",
    "legacy": "pytorch/tagger.legacy.pt",
    "checkpoint": "pytorch/tagger.checkpoint.pt",
    "safetensors": "pytorch/tagger.safetensors",
    "onnx": "onnx/tagger.onnx",
    "keras": "keras/attention.keras",
    "to_json": "keras/attention.to_json",
    "h5": "keras2/batch_norm.h5",
    "msgpack": "flax/linen_conv_recurrent.params.msgpack",
}
#: the frameworks lstmcount never imports
FRAMEWORKS = ("torch", "keras", "tensorflow", "tf_keras", "jax", "flax", "onnx", "onnxruntime", "paddle", "mlx")


def facts(name: str) -> dict:
    path = MODELS / FILES[name]
    case = path.name.split(".")[0]
    return json.loads((path.parent / f"{case}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(FILES))
def test_json_has_the_report_keys_and_source_spec_file(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The usual report keys, plus source (file, format, framework), spec and the file's accounting."""
    code, out, err = cli(capsys, "100", "128", "--format", "json")
    usual = set(json.loads(out))
    code, out, err = cli(capsys, "inspect", str(MODELS / FILES[name]), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert usual <= set(doc)
    assert set(doc["source"]) == {"file", "format", "framework"}
    assert doc["source"]["file"] == str(MODELS / FILES[name])
    assert doc["total"] == facts(name)["total"]
    assert doc["spec"]["layers"]
    assert {"total", "tensors", "model_total", "set_aside", "unexplained"} <= set(doc["file"])


@pytest.mark.parametrize("name", sorted(FILES))
def test_yaml_round_trips_through_check(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--format yaml writes a spec that lstmcount check accepts and counts to the same total."""
    code, out, err = cli(capsys, "inspect", str(MODELS / FILES[name]), "--format", "yaml")
    assert code == 0, err
    spec = tmp_path / "rebuilt.yaml"
    spec.write_text(out, encoding="utf-8")
    code, out, err = cli(capsys, "check", str(spec))
    assert code == 0, out + err
    code, out, err = cli(capsys, str(spec), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["total"] == facts(name)["total"]


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "keras"])
@pytest.mark.parametrize("name", ["pt", "onnx", "keras", "msgpack"])
def test_every_format_count_has(name: str, fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each output format of count works for a model file, and `lstmcount FILE` is `lstmcount inspect FILE`."""
    path = str(MODELS / FILES[name])
    code, out, err = cli(capsys, "inspect", path, "--format", fmt)
    assert code == 0 and err == ""
    if fmt == "csv":  # a row per tensor
        rows = list(csv.DictReader(io.StringIO(out)))
        assert sum(int(r["params"]) for r in rows) == facts(name)["total"]
    else:
        assert f"{facts(name)['total']:,}" in out
    assert cli(capsys, path, "--format", fmt) == (code, out, err)


PROBE = """
import contextlib, io, sys
from lstmcount.cli import run
for path in sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()):
        assert run(["inspect", path, "--format", "json"]) == 0, path
print(",".join(sorted(m.split(".")[0] for m in sys.modules if m.split(".")[0] in {frameworks!r})))
"""


def loaded(files: list[str], modules: set[str]) -> str:
    """Which of ``modules`` inspecting ``files`` in a fresh interpreter loads."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(frameworks=modules), *(str(MODELS / f) for f in files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_inspecting_imports_no_framework() -> None:
    """Inspecting a file of every format loads none of the frameworks (whichever of them are installed)."""
    assert loaded(list(FILES.values()), set(FRAMEWORKS)) == ""


def test_reading_metadata_needs_no_numpy() -> None:
    """Only HDF5 (through h5py) brings numpy in: the other readers are the standard library's."""
    files = [f for name, f in FILES.items() if name not in ("keras", "h5")]
    assert loaded(files, {"numpy", "yaml", "h5py"}) == ""

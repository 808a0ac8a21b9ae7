"""Reading spec files: limits that hold whatever libyaml is bundled, big honest specs, files of other kinds."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from lstmcount.cli import run
from lstmcount.errors import SpecError
from lstmcount.io import loader

ROOT = Path(__file__).resolve().parent.parent
DEEP = "input: {features: 8}\nlayers: " + "[" * 60_000 + "]" * 60_000 + "\n"
HONEST = "input: {features: 8}\nlayers:\n  - {type: lstm, units: [[[[1]]]]}\n"


class NestingLimitedComposer(loader._Composer):  # type: ignore[misc, valid-type]
    """A composer like libyaml builds with a nesting limit of its own, lower than lstmcount's."""

    def compose_document(self) -> yaml.Node:
        raise yaml.parser.ParserError(None, None, "exceeded maximum nesting depth", None)


@pytest.mark.parametrize("composer", [loader._Composer, NestingLimitedComposer], ids=["bundled", "limited"])
def test_deep_nesting_has_one_message_whatever_libyaml_does(composer: type, monkeypatch: pytest.MonkeyPatch) -> None:
    """Too deep a document gets lstmcount's own message, and a shallow one parses, with or without a libyaml limit."""
    monkeypatch.setattr(loader, "_Composer", composer)
    with pytest.raises(SpecError) as caught:
        loader.parse_text(DEEP, "deep.yaml")
    assert str(caught.value) == (
        "deep.yaml:2:40: nested more than 32 levels deep; "
        "a spec needs a few levels: mapping, layers list, layer mapping"
    )
    assert loader.parse_text(HONEST, "ok.yaml").data["layers"][0]["units"] == [[[[1]]]]


def test_a_big_honest_spec_counts(tmp_path: Path) -> None:
    """A 10,000-layer spec without aliases is read and counted, as YAML and as JSON."""
    layers = [{"type": "dense", "units": 4}] * 10_000
    spec = {"input": {"features": 4}, "layers": layers}
    (tmp_path / "big.json").write_text(json.dumps(spec))
    (tmp_path / "big.yaml").write_text("input: {features: 4}\nlayers:\n" + "  - {type: dense, units: 4}\n" * 10_000)
    for name in ("big.json", "big.yaml"):
        assert run([str(tmp_path / name), "--format", "json"]) == 0


def test_alias_expansion_is_limited_as_such() -> None:
    """Aliases that repeat more than MAX_EXPANSION values are refused; the same values written out are not."""
    anchors = "a: &a [" + ", ".join(["1"] * 200) + "]\n" + "b: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(SpecError, match="aliases expand the document by more than 20,000 values"):
        loader.parse_text(anchors, "bomb.yaml")
    written = "b: [" + ", ".join(["[" + ", ".join(["1"] * 200) + "]"] * 101) + "]\n"
    assert len(loader.parse_text(written, "long.yaml").data["b"]) == 101


def test_standard_input_is_read_only_up_to_the_limit() -> None:
    """`lstmcount - < /dev/zero` stops reading at the size limit and says so in one line."""
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [sys.executable, "-m", "lstmcount", "-"], stdin=zero, capture_output=True, text=True, cwd=ROOT, timeout=60
        )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "lstmcount: error: <stdin>: too large for a spec (4,194,305+ bytes; limit 4,194,304)"
    ]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


MODEL_FILES = {
    "model.onnx": (b"\x08\x08\x12\x07pytorch\x1a\x032.0" + bytes(50), "an ONNX model"),
    "model.pt": (_zip({"model/data.pkl": b"\x80\x02}q\x00.", "model/version": b"3\n"}), "a PyTorch checkpoint"),
    "traced.pt": (_zip({"m/constants.pkl": b"\x80\x02).", "m/code/m.py": b""}), "a TorchScript archive"),
    "model.keras": (_zip({"config.json": b"{}", "model.weights.h5": b""}), "a Keras 3 model archive"),
    "w.npz": (_zip({"a.npy": b"\x93NUMPY"}), "a NumPy .npz archive"),
    "w.h5": (b"\x89HDF\r\n\x1a\n" + bytes(100), "an HDF5 file"),
    "w.safetensors": (b"\x0e\x00\x00\x00\x00\x00\x00\x00" + b'{"a": {}}     ', "a safetensors file"),
    "state.pkl": (b"\x80\x04\x95", "a Python pickle"),
    "flax.msgpack": (b"\x81\xa6params\x80", "a msgpack file"),
}


@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_a_model_file_given_as_a_spec_is_named(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model or weights file given where a spec belongs is named for what it is, by its content."""
    data, what = MODEL_FILES[name]
    path = tmp_path / (Path(name).stem + ".yaml")  # the suffix says spec; the content says otherwise
    path.write_bytes(data)
    assert run(["explain", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [f"lstmcount: error: {path}: this is {what}{err.split(what, 1)[1].splitlines()[0]}"]
    assert "not a spec; a spec is a YAML or JSON file" in err


def test_a_large_model_file_is_named_not_called_too_large(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A model file above the spec size limit is still named for what it is."""
    path = tmp_path / "big.onnx"
    path.write_bytes(MODEL_FILES["model.onnx"][0] + bytes(loader.MAX_BYTES + 10))
    assert run(["explain", str(path)]) == 2
    assert "this is an ONNX model, not a spec" in capsys.readouterr().err

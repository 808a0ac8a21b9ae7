"""``lstmcount verify FILE`` and ``verify SPEC --weights FILE``: the forward pass on a model file's own weights."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from lstmcount.cli import run
from lstmcount.importers import read
from lstmcount.numeric.filedata import read_values

PYTORCH = Path(__file__).parent / "fixtures" / "models" / "pytorch"
#: recorded cases whose rebuilt model is a chain of layers the forward pass runs
RUNS = ["cells", "gru_bidirectional_no_bias", "lstm_projection_stacked", "rnn_relu", "sequential", "tagger"]
#: the others, and what the pass says of each
REFUSED = {
    "attention": "does not model generic layers",
    "conv_recurrent": "does not model BatchNorm layers",
    "seq2seq": "this model has 2 inputs",
    "tied_language_model": "does not run tied weights",
}


def invoke(*args: str) -> tuple[int, str, str]:
    """Run the CLI as the console script does (errors become one line on standard error)."""
    runner = CliRunner()
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
def cli(ctx: click.Context) -> None:
    """The console script's :func:`lstmcount.cli.run`, under click's test runner."""
    ctx.exit(run(ctx.args))


@pytest.mark.parametrize("form", ["pt", "legacy.pt", "checkpoint.pt", "safetensors"])
@pytest.mark.parametrize("case", RUNS)
def test_verify_runs_a_recorded_file_on_its_weights(case: str, form: str) -> None:
    """Every weight of the rebuilt model is read from the file and matches it by name, shape and values."""
    path = PYTORCH / f"{case}.{form}"
    code, out, err = invoke("verify", str(path))
    assert code == 0, out + err
    tensors = json.loads((PYTORCH / f"{case}.json").read_text())["parameters"]
    assert f"Weights: {len(tensors)} of {len(tensors)} tensors match by name, shape and values" in out
    assert f"{path};" in out.split()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_the_pass_does_not_run_is_one_line(case: str) -> None:
    code, out, err = invoke("verify", str(PYTORCH / f"{case}.pt"))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and REFUSED[case] in err


def test_a_spec_with_the_files_weights(tmp_path: Path) -> None:
    """The spec inspect writes, verified with --weights FILE (a checkpoint, not only .npz and .safetensors)."""
    code, spec, _ = invoke("inspect", str(PYTORCH / "tagger.pt"), "--format", "yaml")
    assert code == 0
    (tmp_path / "tagger.yaml").write_text(spec)
    code, out, err = invoke("verify", str(tmp_path / "tagger.yaml"), "--weights", str(PYTORCH / "tagger.checkpoint.pt"))
    assert code == 0, out + err
    assert "tensors match by name, shape and values" in out


def test_a_model_file_takes_no_other_weights() -> None:
    code, _, err = invoke("verify", str(PYTORCH / "tagger.pt"), "--weights", str(PYTORCH / "tagger.pt"))
    assert code == 2 and "holds its own weights" in err


def _npy(array: np.ndarray) -> bytes:
    header = repr({"descr": array.dtype.str, "fortran_order": True, "shape": array.shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + np.asfortranarray(array).tobytes("F")


def test_values_are_read_in_every_layout(tmp_path: Path) -> None:
    """Fortran order, big-endian, compressed members and bfloat16: each read as its values, not its bytes."""
    import zipfile

    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((3, 5)).astype(">f4")
    with zipfile.ZipFile(tmp_path / "w.npz", "w") as archive:
        archive.writestr("stored.npy", _npy(matrix))
        archive.writestr("packed.npy", _npy(matrix.astype("<f8")), compress_type=zipfile.ZIP_DEFLATED)
    values = read_values(read(tmp_path / "w.npz").tensors)
    np.testing.assert_array_equal(values["stored"], matrix)
    np.testing.assert_array_equal(values["packed"], matrix.astype("<f8"))

    wide = rng.standard_normal(6).astype(np.float32)
    bf16 = (wide.view(np.uint32) >> 16).astype("<u2")
    header = json.dumps({"b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]}}).encode()
    (tmp_path / "w.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bf16.tobytes())
    got = read_values(read(tmp_path / "w.safetensors").tensors)["b"]
    np.testing.assert_array_equal(got, (bf16.astype(np.uint32) << 16).view(np.float32).reshape(2, 3))

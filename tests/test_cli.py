"""The count command through click's CliRunner and through ``python -m lstmcount``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstmcount.cli import main, run

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    """Run the CLI in-process as a user would, returning (exit code, stdout, stderr)."""
    runner = CliRunner()
    result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_seed_model_prints_117377() -> None:
    """`lstmcount 100 128 --dense 1` prints the classic Keras total."""
    code, out, _ = invoke("100", "128", "--dense", "1")
    assert code == 0
    assert "Total params          117,377" in out
    assert "4 × (100×128 + 128×128 + 128) = 117,248" in out
    assert "does not depend on sequence length" in out


def test_pytorch_total() -> None:
    """`--framework pytorch` on `100 128` counts 117,760."""
    code, out, _ = invoke("100", "128", "--framework", "pytorch", "--format", "json")
    assert code == 0
    assert json.loads(out)["total"] == 117_760


def test_count_subcommand_is_the_default() -> None:
    """`lstmcount count 100 128` and `lstmcount 100 128` print the same."""
    assert invoke("count", "100", "128")[1] == invoke("100", "128")[1]


def test_framework_all_explains_the_difference() -> None:
    """`--framework all` shows both totals and names PyTorch's second bias vector."""
    code, out, _ = invoke("100", "128", "--framework", "all")
    assert code == 0
    assert "117,248" in out and "117,760" in out
    assert "second bias vector" in out and "+512" in out


def test_stack_of_units_returns_sequences_until_the_last() -> None:
    """`lstmcount 100 128 64`: the first layer returns sequences, the second its last step."""
    code, out, _ = invoke("100", "128", "64", "--format", "json")
    assert code == 0
    layers = json.loads(out)["layers"]
    assert [x["output_shape"] for x in layers] == [[None, None, 128], [None, 64]]


def test_embedding_flag_makes_input_the_width() -> None:
    """With --embedding VOCAB, INPUT is the embedding width."""
    code, out, _ = invoke("32", "16", "--embedding", "1000", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["layers"][0]["params"] == 32_000
    assert doc["layers"][1]["tensors"][0]["shape"] == [32, 64]


def test_spec_from_stdin() -> None:
    """`-` reads a spec from standard input."""
    spec = "input: {features: 100}\nlayers:\n  - {type: lstm, units: 128}\n"
    code, out, _ = invoke("-", "--format", "json", input=spec)
    assert code == 0, out
    assert json.loads(out)["total"] == 117_248


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "csv", "keras"])
def test_every_format_renders_the_examples(fmt: str) -> None:
    """Every example spec renders in every format."""
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        code, out, err = invoke(str(example), "--format", fmt)
        assert code == 0, (example, err)
        assert out.strip()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["100", "abc"], "UNITS must be a positive integer"),
        (["0", "128"], "INPUT must be a positive integer"),
        (["100"], "give UNITS after INPUT"),
        (["count"], "give INPUT UNITS"),
        (["100", "128", "--cell", "lstn"], "--cell"),
        (["100", "128", "--proj-size", "200", "--framework", "pytorch"], "proj_size must be smaller than units"),
        (["100", "128", "--proj-size", "20"], "Keras LSTM has no projection"),
        (["no-such-file.yaml"], "no-such-file.yaml: no such file"),
        (["examples/keras_sentiment.yaml", "--bidirectional"], "--bidirectional"),
        (["100", "128", "--dropout", "1.5"], "--dropout"),
        (["100", "128", "--format", "xml"], "--format"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad flags and files exit 2 with one line on stderr naming the problem, no traceback."""
    code = run(args)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lstmcount: error: ")
    assert needle in lines[0]


def test_spec_errors_name_file_line_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong value in a file is reported at its line and column, with the field path."""
    spec = tmp_path / "model.yaml"
    spec.write_text("input: {features: 100}\nlayers:\n  - {type: lstm, units: 128}\n  - {type: dense, units: -1}\n")
    assert run([str(spec)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"lstmcount: error: {spec}:4:")
    assert "layers[1].units" in err and "received integer -1" in err


def test_counter_errors_are_located_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An error found while counting (a layer that cannot follow another) names its line."""
    spec = tmp_path / "model.yaml"
    spec.write_text("input: {features: 4}\nlayers:\n  - {type: lstm, units: 3}\n  - {type: gru, units: 3}\n")
    assert run([str(spec)]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:4:" in err and "return_sequences: true on layers[0]" in err


def test_python_dash_m_runs_the_cli() -> None:
    """`python -m lstmcount 100 128` works like the console script."""
    proc = subprocess.run(
        [sys.executable, "-m", "lstmcount", "100", "128", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == 117_248


def test_no_color_and_no_escape_codes_when_piped() -> None:
    """Output piped to a file carries no ANSI escape codes."""
    proc = subprocess.run(
        [sys.executable, "-m", "lstmcount", "100", "128"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert "\x1b[" not in proc.stdout


def test_help_of_every_command_has_an_example() -> None:
    """Every command has help text that ends with a real example, and is documented in the README."""
    readme = (ROOT / "README.md").read_text()
    runner = CliRunner()
    for name in main.list_commands(None):  # type: ignore[arg-type]
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "lstmcount " in result.output.split("Options:")[0], f"{name} help has no example"
        assert f"lstmcount {name}" in readme or name == "count", f"{name} is not in the README"

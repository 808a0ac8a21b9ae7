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
        (["100", "128", "--proj-size", "200", "--framework", "pytorch"], "--proj-size must be smaller than UNITS"),
        (["100", "128", "--proj-size", "20"], "Keras 3 LSTM: it has no projection"),
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


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["100", "128", "--dropout", "nan"],
            "--dropout: out of range (expected a number with 0 <= value < 1, received nan)",
        ),
        (
            ["100", "128", "--cell", "gru", "--nonlinearity", "relu"],
            "--nonlinearity is an option of --cell rnn; this model's cell is gru",
        ),
        (["100", "128", "--reset-after"], "--reset-after is an option of --cell gru; this model's cell is lstm"),
        (
            ["100", "128", "--cell", "rnn", "--proj-size", "4"],
            "--proj-size is an option of --cell lstm; this model's cell is rnn",
        ),
        (
            ["100", "128", "--proj-size", "64"],
            "--proj-size: not valid for Keras 3 LSTM: it has no projection (--proj-size); "
            "remove --proj-size or use --framework pytorch",
        ),
        (
            ["100", "128", "--bidirectional", "--merge-mode", "sum", "--framework", "pytorch"],
            "--merge-mode: not valid for PyTorch: PyTorch always concatenates the two directions of a bidirectional "
            "layer; use --merge-mode concat or --framework keras",
        ),
        (
            ["100", "128", "--merge-mode", "sum"],
            "--merge-mode says how the two directions of --bidirectional layers combine; add --bidirectional",
        ),
        (
            ["100", "128", "--num-layers", "5000"],
            "--num-layers: out of range (expected an integer with 1 <= value <= 1,024, received integer 5000)",
        ),
        (["a.yaml", "b.yaml"], "give one spec file, received 2 (a.yaml, b.yaml); lstmcount check takes several"),
        (["halp"], "halp: no such command or file; did you mean 'help'?"),
        (["100", "128", "--lengths", "3,,2"], "--lengths must be comma-separated positive integers, received '3,,2'"),
        (
            ["100", "128", "--timesteps", "5", "--lengths", "7,3"],
            "--lengths has a sequence of 7 steps, longer than --timesteps 5",
        ),
    ],
)
def test_flag_errors_are_in_the_flags_terms(args: list[str], line: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An error about a model built from flags names the flags the user typed, and their fix."""
    assert run(args) == 2
    assert capsys.readouterr().err.splitlines() == [f"lstmcount: error: {line}"]


@pytest.mark.parametrize(
    ("args", "same_as"),
    [
        (["100", "128", "--cell", "LSTM"], ["100", "128"]),
        (["100", "128", "--cell", "simple_rnn"], ["100", "128", "--cell", "rnn"]),
        (["100", "128", "--cell", "SimpleRNN"], ["100", "128", "--cell", "rnn"]),
        (["100", "128", "--framework", "torch"], ["100", "128", "--framework", "pytorch"]),
        (["100", "128", "--framework", "Keras"], ["100", "128", "--framework", "keras"]),
        (
            ["100", "128", "--bidirectional", "--merge-mode", "SUM"],
            ["100", "128", "--bidirectional", "--merge-mode", "sum"],
        ),
    ],
)
def test_choices_take_the_spellings_specs_take(args: list[str], same_as: list[str]) -> None:
    """--cell, --framework and other choices read any letter case and the spec aliases."""
    code, out, _ = invoke(*args, "--format", "json")
    assert code == 0 and out == invoke(*same_as, "--format", "json")[1]


def test_a_framework_choice_that_is_no_framework_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    """--framework tensorflow is refused with the frameworks it may mean; a typo gets the one it means."""
    assert run(["100", "128", "--framework", "tensorflow"]) == 2
    assert "write tf1 (tf.compat.v1 cells), keras2 (tf.keras, Keras 2) or keras" in capsys.readouterr().err
    assert run(["100", "128", "--framework", "pytroch"]) == 2
    assert "did you mean 'pytorch'?" in capsys.readouterr().err


def test_no_arguments_prints_help_and_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    """`lstmcount` alone shows the help with every command's whole summary, and exits 0."""
    from lstmcount.cli import COMMANDS

    assert run([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: lstmcount")
    for name, entry in COMMANDS.items():
        assert f"{name} " in out and entry.summary in " ".join(out.split()), name
    assert "..." not in out.split("Commands:")[1]


def test_help_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`lstmcount help` is the group's help, `help check` the command's, a typo gets a suggestion."""
    assert run(["help"]) == 0
    assert capsys.readouterr().out.startswith("Usage: lstmcount [OPTIONS] COMMAND")
    assert run(["help", "check"]) == 0
    assert "Usage: lstmcount check [OPTIONS] PATH..." in capsys.readouterr().out
    assert run(["help", "chek"]) == 2
    assert "did you mean 'check'?" in capsys.readouterr().err


def test_each_command_summary_is_its_help_first_line() -> None:
    """The summary the group lists without importing a command is the first line of that command's help."""
    from lstmcount.cli import COMMANDS

    for name, entry in COMMANDS.items():
        command = main.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.help is not None
        assert command.help.strip().splitlines()[0] == entry.summary, name


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str) -> None:
    """`lstmcount completion SHELL` prints the script click completes lstmcount with in that shell."""
    code, out, _ = invoke("completion", shell)
    assert code == 0
    assert "_LSTMCOUNT_COMPLETE" in out and f"{shell}_complete" in out


@pytest.mark.parametrize(
    ("words", "wanted"),
    [
        ("lstmcount ch", {"check"}),
        ("lstmcount 100 128 --fr", {"--framework"}),
        ("lstmcount 100 128 --framework ", {"keras", "pytorch", "onnx", "flax", "flax-linen", "tf1", "all"}),
        ("lstmcount 100 128 --framework flax --class ", {"LSTMCell", "OptimizedLSTMCell", "GRUCell", "SimpleCell"}),
        ("lstmcount 100 128 --class Cu", {"CuDNNLSTM", "CuDNNGRU"}),
        ("lstmcount check --for", {"--format"}),
        ("lstmcount 100 128 --cell ", {"lstm", "gru", "rnn"}),
    ],
)
def test_completion_answers(words: str, wanted: set[str]) -> None:
    """Completion, as bash asks for it, offers commands, options and their values (default command included)."""
    env = {"_LSTMCOUNT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    result = CliRunner().invoke(main, [], env=env, prog_name="lstmcount")
    offered = {line.split(",", 1)[1] for line in result.output.splitlines() if "," in line}
    assert wanted <= offered, result.output

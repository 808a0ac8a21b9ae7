"""``lstmcount check``: per-file results, expectations, budgets, paths, formats and exit codes.

Expected counts are worked out by hand: LSTM(128) on 100 features in Keras has
4 × (100×128 + 128×128 + 128) = 117,248 parameters, a Dense(1) head 128 + 1 = 129.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lstmcount.cli import run
from lstmcount.counting.check import Budget, Problem, Status, check_paths, github_annotation
from lstmcount.errors import Location

ROOT = Path(__file__).parent.parent

SENTIMENT = """\
# the classic Keras example
framework: keras
input: {features: 100}
layers:
  - {type: lstm, units: 128}
  - {type: dense, units: 1}
expect:
  total: {total}
"""


def write(path: Path, text: str) -> Path:
    """Write a spec file (dedented) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def sentiment(path: Path, total: int = 117_377) -> Path:
    """The LSTM(128) + Dense(1) spec with ``expect.total`` on line 8."""
    return write(path, SENTIMENT.replace("{total}", str(total)))


def cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], list[str]]:
    """Run the CLI; return (exit code, stdout lines, stderr lines)."""
    code = run(args)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_matching_spec_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A spec whose expect.total matches exits 0 with one ok line."""
    spec = sentiment(tmp_path / "model.yaml")
    code, out, err = cli(["check", str(spec)], capsys)
    assert code == 0 and err == []
    assert out == [f"ok      {spec}: 117,377 params (Keras 3), as expected"]


def test_wrong_total_fails_on_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong expect.total exits 1 and points at the value's line and column."""
    spec = sentiment(tmp_path / "model.yaml", total=117_000)
    code, out, err = cli(["check", str(spec)], capsys)
    assert code == 1 and err == []
    assert out[0].startswith(f"failed  {spec}:8:10: expect.total: expected 117,000, counted 117,377 (Keras 3)")


def test_github_annotation_on_the_expect_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--format github`` prints an ::error command on the expect.total line, then the summary."""
    spec = sentiment(tmp_path / "model.yaml", total=5)
    code, out, _ = cli(["check", str(spec), "--format", "github"], capsys)
    assert code == 1
    assert out[0].startswith(f"::error file={spec},line=8,col=10,title=lstmcount::expect.total: expected 5, counted")
    assert out[-1] == "checked 1 file: 0 ok, 1 failed, 0 invalid"


def test_github_annotation_for_an_invalid_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid spec gets an annotation at the offending field, and exit 2."""
    spec = write(tmp_path / "bad.yaml", "input: {features: 3}\nlayers:\n  - {type: lstn, units: 4}\n")
    code, out, _ = cli(["check", str(spec), "--format", "github"], capsys)
    assert code == 2
    assert out[0].startswith(f"::error file={spec},line=3,col=12,title=lstmcount::layers[0].type: unknown layer type")
    assert "did you mean 'lstm'?" in out[0]


def test_github_escaping() -> None:
    """Percent signs, carriage returns and newlines are escaped; property values also escape : and ,."""
    problem = Problem("50% off\r\nnext", Location("a,b:c.yaml", 3, 4), "expect.total")
    line = github_annotation(problem, "a,b:c.yaml")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=lstmcount::expect.total: 50%25 off%0D%0Anext"


def test_per_layer_and_trainable_expectations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """expect.layers compares by report layer name; a frozen layer moves its count to non_trainable."""
    spec = write(
        tmp_path / "frozen.yaml",
        """\
        input: {features: 100}
        layers:
          - {type: lstm, units: 128, trainable: false}
          - {type: dense, units: 1}
        expect:
          trainable: 129
          non_trainable: 117248
          layers: {lstm: 117248, dense: 130}
        """,
    )
    code, out, _ = cli(["check", str(spec)], capsys)
    assert code == 1
    assert out == [
        f"failed  {spec}:8:33: expect.layers.dense: expected 130, counted 129 (Keras 3); "
        "fix the spec or run lstmcount check --update"
    ]


def test_expect_names_a_missing_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An expectation naming a layer that does not exist is invalid (exit 2), with a hint."""
    spec = write(
        tmp_path / "m.yaml", "input: {features: 3}\nlayers: [{type: gru, units: 2}]\nexpect:\n  layers: {gr: 1}\n"
    )
    code, _, err = cli(["check", str(spec)], capsys)
    assert code == 2
    assert err == [
        f"invalid {spec}:4:12: expect.layers.gr: unknown layer name 'gr' in expect.layers "
        "(expected one of gru, received 'gr'); did you mean 'gru'?"
    ]


def test_pytorch_counts_two_bias_vectors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The spec's framework decides the count: PyTorch's LSTM(128) on 100 has 512 more (bias_hh)."""
    spec = write(
        tmp_path / "t.yaml",
        "framework: pytorch\ninput: {features: 100}\nlayers: [{type: lstm, units: 128}]\nexpect: {total: 117760}\n",
    )
    code, out, _ = cli(["check", str(spec)], capsys)
    assert code == 0 and out == [f"ok      {spec}: 117,760 params (PyTorch), as expected"]


def test_command_line_expectations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--expect-total and --max-params apply to every file, even one without an expect block."""
    spec = write(tmp_path / "plain.yaml", "input: {features: 100}\nlayers: [{type: lstm, units: 128}]\n")
    assert cli(["check", str(spec), "--expect-total", "117248"], capsys)[0] == 0
    assert cli(["check", str(spec), "--max-params", "117248"], capsys)[0] == 0
    code, out, _ = cli(["check", str(spec), "--max-params", "100000"], capsys)
    assert code == 1
    assert out == [f"failed  {spec}:1:1: 117,248 params exceed --max-params 100,000 by 17,248 (Keras 3)"]
    code, out, _ = cli(["check", str(spec), "--expect-total", "1"], capsys)
    assert code == 1 and "--expect-total 1, counted 117,248" in out[0]


def test_every_file_is_checked_and_the_worst_exit_wins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid file first does not stop the others; invalid (2) outranks failed (1)."""
    bad = write(tmp_path / "a_bad.yaml", "layers: []\n")
    wrong = sentiment(tmp_path / "b_wrong.yaml", total=1)
    good = sentiment(tmp_path / "c_good.yaml")
    code, out, err = cli(["check", str(bad), str(wrong), str(good)], capsys)
    assert code == 2
    assert err == [f"invalid {bad}:1:9: layers: no layers (expected at least one layer, received an empty list)"]
    assert out[0].startswith(f"failed  {wrong}:8:10:")
    assert out[1].startswith(f"ok      {good}:")
    assert out[2] == "checked 3 files: 1 ok, 1 failed, 1 invalid"
    assert cli(["check", str(wrong), str(good)], capsys)[0] == 1


def test_directories_recurse_into_spec_files(tmp_path: Path) -> None:
    """A directory yields its *.yaml, *.yml and *.json files recursively, sorted, skipping hidden ones."""
    sentiment(tmp_path / "a.yaml")
    sentiment(tmp_path / "sub" / "b.yml")
    write(tmp_path / "sub" / "deeper" / "c.json", '{"input": {"features": 3}, "layers": [{"type": "gru", "units": 2}]}')
    write(tmp_path / "notes.txt", "not a spec")
    write(tmp_path / ".hidden" / "x.yaml", "broken: [")
    write(tmp_path / "sub" / ".skip.yaml", "broken: [")
    results = check_paths([str(tmp_path)])
    names = [Path(r.path).relative_to(tmp_path).as_posix() for r in results]
    assert names == ["a.yaml", "sub/b.yml", "sub/deeper/c.json"]
    assert [r.status for r in results] == [Status.OK] * 3
    # GRU(2) on 3 features, Keras reset_after: 3 × (3×2 + 2×2 + 2×2) = 42
    assert results[2].counts is not None and results[2].counts.total == 42


def test_exclude_and_globs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Globs expand (recursively with **); --exclude drops matching files; an empty glob is an error."""
    sentiment(tmp_path / "specs" / "a.yaml")
    sentiment(tmp_path / "specs" / "deep" / "b.yaml", total=3)
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(["check", "specs/**/*.yaml"], capsys)
    assert code == 1 and len(out) == 3
    code, out, _ = cli(["check", "specs", "--exclude", "*/deep/*"], capsys)
    assert code == 0 and out == ["ok      specs/a.yaml: 117,377 params (Keras 3), as expected"]
    code, _, err = cli(["check", "nothing/*.yaml"], capsys)
    assert code == 2 and err == ["invalid nothing/*.yaml: no file matches this pattern"]


def test_bad_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file or a directory without specs is invalid (exit 2); no paths is a usage error."""
    code, _, err = cli(["check", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and err == [f"invalid {tmp_path / 'missing.yaml'}: no such file"]
    (tmp_path / "empty").mkdir()
    code, _, err = cli(["check", str(tmp_path / "empty")], capsys)
    assert code == 2 and "no spec files in this directory" in err[0]
    code, _, err = cli(["check"], capsys)
    assert code == 2 and err[0].startswith("lstmcount: error: give at least one spec file")


def test_json_format_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--format json`` is one document with a schema version, a summary and one entry per file."""
    good = sentiment(tmp_path / "a.yaml")
    wrong = sentiment(tmp_path / "b.yaml", total=2)
    code = run(["check", str(good), str(wrong), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(doc) == {"schema_version", "exit_code", "summary", "files"}
    assert doc["schema_version"] == 1 and doc["exit_code"] == 1
    assert doc["summary"] == {"files": 2, "ok": 1, "failed": 1, "invalid": 0, "updated": 0}
    first, second = doc["files"]
    assert set(first) == {"path", "status", "framework", "total", "trainable", "non_trainable", "updated", "problems"}
    assert first["total"] == 117_377 and first["problems"] == []
    assert second["status"] == "failed"
    assert second["problems"][0]["field"] == "expect.total" and second["problems"][0]["line"] == 8


def test_examples_all_pass() -> None:
    """Every shipped example is valid and meets its own expectations."""
    results = check_paths([str(ROOT / "examples")], Budget())
    assert results and all(r.status is Status.OK for r in results), [r.lines() for r in results]


def test_check_does_not_import_numpy(tmp_path: Path) -> None:
    """The check path stays light: it never imports numpy."""
    spec = sentiment(tmp_path / "m.yaml")
    code = (
        "import sys\nfrom lstmcount.cli import run\n"
        f"assert run(['check', {str(spec)!r}]) == 0\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_readme_ci_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's CI step: a wrong total fails with an annotation; --update (or a fix) makes it pass."""
    monkeypatch.chdir(tmp_path)
    sentiment(tmp_path / "specs" / "model.yaml", total=117_000)
    code, out, _ = cli(["check", "specs/", "--format", "github"], capsys)
    assert code == 1 and out[0].startswith("::error file=specs/model.yaml,line=8,col=10,title=lstmcount::")
    code, out, _ = cli(["check", "specs/", "--update"], capsys)
    assert code == 0 and "-  total: 117000" in out and "+  total: 117377" in out
    assert cli(["check", "specs/", "--format", "github"], capsys)[0] == 0


def test_pre_commit_hooks_run_check() -> None:
    """The pre-commit hooks file declares the check hook (and the update hook) on spec files."""
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert hooks["lstmcount-check"]["entry"] == "lstmcount check"
    assert hooks["lstmcount-update"]["entry"] == "lstmcount check --update"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert re.search(hook["files"], "specs/model.yaml") and re.search(hook["files"], "a.json")
        assert not re.search(hook["files"], "train.py")


def test_github_paths_are_relative_to_the_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An absolute path inside the workspace is annotated relative to it, as GitHub expects."""
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    problem = Problem("bad", Location(str(tmp_path / "specs" / "m.yaml"), 2, 3))
    assert github_annotation(problem, "").startswith("::error file=specs/m.yaml,line=2,col=3,")
    outside = Problem("bad", Location("/elsewhere/m.yaml", 2, 3))
    assert github_annotation(outside, "").startswith("::error file=/elsewhere/m.yaml,")


def test_the_readme_flow_with_the_schema_next_to_the_specs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`lstmcount schema > specs/lstmcount.schema.json`, then `check specs/`: the schema is passed over."""
    specs = tmp_path / "specs"
    sentiment(specs / "model.yaml")
    assert run(["schema"]) == 0
    (specs / "lstmcount.schema.json").write_text(capsys.readouterr().out, encoding="utf-8")
    (specs / "edit.json").write_text(
        json.dumps(
            {"$schema": "lstmcount.schema.json", "input": {"features": 4}, "layers": [{"type": "gru", "units": 2}]}
        ),
        encoding="utf-8",
    )
    code, out, err = cli(["check", str(specs)], capsys)
    assert code == 0 and err == [], err
    assert [line.split()[1] for line in out[:-1]] == [f"{specs / 'edit.json'}:", f"{specs / 'model.yaml'}:"]


def test_a_json_schema_named_as_a_spec_is_told_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The schema given (or found) under another name is invalid with a fix, not a list of unknown fields."""
    assert run(["schema"]) == 0
    schema = tmp_path / "schema.json"
    schema.write_text(capsys.readouterr().out, encoding="utf-8")
    code, _, err = cli(["check", str(schema)], capsys)
    assert code == 2
    assert err == [
        f"invalid {schema}:2:14: $schema: this is a JSON Schema, not a spec; "
        "name it *.schema.json, which lstmcount check passes over in directories"
    ]


def test_exclude_skips_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--exclude d1 skips everything under d1 (and d1/sub), and a pattern still skips single files."""
    sentiment(tmp_path / "d1" / "a.yaml")
    sentiment(tmp_path / "d1" / "sub" / "b.yaml")
    keep = sentiment(tmp_path / "d2" / "c.yaml")
    sentiment(tmp_path / "d2" / "c.draft.yaml")
    code, out, _ = cli(["check", str(tmp_path), "--exclude", "d1", "--exclude", "*.draft.yaml"], capsys)
    assert code == 0
    assert out == [f"ok      {keep}: 117,377 params (Keras 3), as expected"]


def test_each_problem_of_a_file_is_a_line_at_its_own_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two wrong expectations in one file give two lines, each at its own line and column."""
    spec = write(
        tmp_path / "m.yaml",
        "input: {features: 100}\nlayers:\n  - {type: lstm, units: 128}\nexpect:\n  total: 5\n  trainable: 6\n",
    )
    code, out, _ = cli(["check", str(spec)], capsys)
    assert code == 1
    assert [line.split(": ")[0] for line in out] == [f"failed  {spec}:5:10", f"failed  {spec}:6:14"]
    assert "expect.total: expected 5" in out[0] and "expect.trainable: expected 6" in out[1]


def test_standard_input_is_named_alike_everywhere(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check -` names standard input <stdin> in its ok line and in its errors, as `lstmcount -` does."""
    import io

    good = "input: {features: 3}\nlayers: [{type: gru, units: 2}]\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(good.encode())))
    assert cli(["check", "-"], capsys)[1] == ["ok      <stdin>: 42 params (Keras 3)"]
    bad = "input: {features: 3}\nlayers: [{type: gru, units: 0}]\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(bad.encode())))
    assert cli(["check", "-"], capsys)[2][0].startswith("invalid <stdin>:2:29: layers[0].units: out of range")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(bad.encode())))
    assert cli(["-"], capsys)[2][0].startswith("lstmcount: error: <stdin>:2:29: layers[0].units: out of range")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(good.encode())))
    code, _, err = cli(["check", "--update", "-"], capsys)
    assert code == 2 and err == ["invalid <stdin>: expect: standard input cannot be updated"]


def test_counting_a_spec_says_when_its_expect_block_disagrees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lstmcount spec.yaml` prints the count, then each disagreeing expectation on stderr, and exits 1."""
    spec = sentiment(tmp_path / "model.yaml", total=117_000)
    code, out, err = cli([str(spec)], capsys)
    assert code == 1 and "117,377" in "\n".join(out)
    assert err == [
        f"lstmcount: {spec}:8:10: expect.total: expected 117,000, counted 117,377 (Keras 3); "
        "fix the spec or run lstmcount check --update"
    ]
    assert cli([str(sentiment(tmp_path / "ok.yaml"))], capsys)[0] == 0
    assert cli([str(spec), "--framework", "pytorch"], capsys)[0] == 0  # the block is about the spec's own framework


def test_a_fraction_yaml_reads_as_text_gets_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """YAML 1.1 reads `rate: 5e-1` as a string; the error says to write 0.5 or 5.0e-1."""
    spec = write(
        tmp_path / "m.yaml",
        "input: {features: 3}\nlayers:\n  - {type: gru, units: 2}\n  - {type: dropout, rate: 5e-1}\n",
    )
    code, _, err = cli(["check", str(spec)], capsys)
    assert code == 2
    assert err[0].endswith("received string '5e-1'); YAML reads '5e-1' as text; write 0.5 or 5.0e-1")

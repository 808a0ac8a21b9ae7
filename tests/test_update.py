"""``check --update``: the expect block is rewritten in place, the rest of the file is untouched.

Counts are worked by hand: LSTM(128) on 100 features in Keras is 117,248; with a Dense(1)
head (128 + 1) it is 117,377.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from lstmcount.cli import run

HEAD = "input: {features: 100}\nlayers:\n  - {type: lstm, units: 128}   # encoder\n  - {type: dense, units: 1}\n"


def update(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``check --update`` on one file; return (exit code, stdout, the file's new text)."""
    code = run(["check", "--update", str(path)])
    out = capsys.readouterr().out
    return code, out, path.read_text(encoding="utf-8")


def test_flow_block_values_replaced_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In a flow-style block only the stale numbers change; comments and spacing stay."""
    spec = tmp_path / "m.yaml"
    spec.write_text("# model\n" + HEAD + "expect: {total: 1,  trainable: 2}  # stale\n# end\n", encoding="utf-8")
    code, out, text = update(spec, capsys)
    assert code == 0
    assert (
        text == "# model\n" + HEAD + "expect: {total: 117377,  trainable: 117377, non_trainable: 0}  # stale\n# end\n"
    )
    assert f"--- a/{spec}" in out and "-expect: {total: 1,  trainable: 2}  # stale" in out
    assert out.splitlines()[-1] == f"ok      {spec}: 117,377 params (Keras 3), expect block updated"


def test_block_style_keeps_comments_and_inserts_missing_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A block-style expect keeps its comments and key order; the missing totals join at its indentation."""
    spec = tmp_path / "m.yaml"
    spec.write_text(
        HEAD + "expect:\n    # from model.summary()\n    trainable: 3   # old\n    layers:\n        lstm: 7\n# tail\n",
        encoding="utf-8",
    )
    code, _, text = update(spec, capsys)
    assert code == 0
    assert text == HEAD + (
        "expect:\n    # from model.summary()\n    trainable: 117377   # old\n    layers:\n        lstm: 117248\n"
        "    total: 117377\n    non_trainable: 0\n# tail\n"
    )


def test_new_block_appended(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without an expect block, one is added after the last value, in block style."""
    spec = tmp_path / "m.yaml"
    spec.write_text("input:\n    features: 100\nlayers:\n  - type: lstm\n    units: 128\n", encoding="utf-8")
    code, _, text = update(spec, capsys)
    assert code == 0
    assert text.endswith("    units: 128\nexpect:\n    total: 117248\n    trainable: 117248\n    non_trainable: 0\n")


def test_new_block_without_trailing_newline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file without a final newline gets the block on new lines and stays without one."""
    spec = tmp_path / "m.yaml"
    spec.write_text("input: {features: 100}\nlayers: [{type: lstm, units: 128}]", encoding="utf-8")
    _, _, text = update(spec, capsys)
    assert text == (
        "input: {features: 100}\nlayers: [{type: lstm, units: 128}]\n"
        "expect:\n  total: 117248\n  trainable: 117248\n  non_trainable: 0"
    )


def test_flow_document_and_empty_blocks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A flow-style document gains a flow expect; ``expect:``, ``expect: {}`` and null are filled in."""
    flow = tmp_path / "flow.yaml"
    flow.write_text("{input: {features: 100}, layers: [{type: lstm, units: 128}]}\n", encoding="utf-8")
    _, _, text = update(flow, capsys)
    assert text == (
        "{input: {features: 100}, layers: [{type: lstm, units: 128}], "
        "expect: {total: 117248, trainable: 117248, non_trainable: 0}}\n"
    )
    for empty in ("expect:\n", "expect: {}\n", "expect: null\n"):
        spec = tmp_path / "e.yaml"
        spec.write_text("input: {features: 100}\nlayers: [{type: lstm, units: 128}]\n" + empty, encoding="utf-8")
        code, _, text = update(spec, capsys)
        assert code == 0, empty
        assert text.endswith("expect: {total: 117248, trainable: 117248, non_trainable: 0}\n"), empty


def test_multiline_flow_block_and_document_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A flow block over several lines gets new keys on a new line; a ``...`` end marker stays last."""
    spec = tmp_path / "m.yaml"
    spec.write_text(
        "input: {features: 100}\nlayers: [{type: lstm, units: 128, name: enc}]\n"
        "expect: {layers: {enc: 1},\n         trainable: 5}\n...\n",
        encoding="utf-8",
    )
    _, _, text = update(spec, capsys)
    assert text.endswith(
        "expect: {layers: {enc: 117248},\n         trainable: 117248,\n         total: 117248,\n"
        "         non_trainable: 0}\n...\n"
    )


def test_json_keeps_order_and_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON files are edited as text too: key order, indentation and inline objects are kept."""
    spec = tmp_path / "m.json"
    spec.write_text(
        '{\n    "layers": [{"type": "lstm", "units": 128}],\n    "input": {"features": 100}\n}\n', encoding="utf-8"
    )
    _, _, text = update(spec, capsys)
    assert text == (
        '{\n    "layers": [{"type": "lstm", "units": 128}],\n    "input": {"features": 100},\n'
        '    "expect": {"total": 117248, "trainable": 117248, "non_trainable": 0}\n}\n'
    )
    assert list(json.loads(text)) == ["layers", "input", "expect"]
    spec.write_text(
        '{"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}],\n "expect": {\n   "total": 5\n }}\n',
        encoding="utf-8",
    )
    _, _, text = update(spec, capsys)
    assert text.endswith('"expect": {\n   "total": 117248,\n   "trainable": 117248,\n   "non_trainable": 0\n }}\n')


def test_up_to_date_file_is_not_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """When every count is there and matches, nothing is written and no diff is shown."""
    spec = tmp_path / "m.yaml"
    spec.write_text(HEAD + "expect: {total: 117377, trainable: 117377, non_trainable: 0}\n", encoding="utf-8")
    before = spec.stat().st_mtime_ns
    code, out, _ = update(spec, capsys)
    assert code == 0 and "---" not in out and spec.stat().st_mtime_ns == before


def test_invalid_spec_is_never_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid spec exits 2 and its file is left exactly as it was."""
    spec = tmp_path / "bad.yaml"
    original = "input: {features: 100}\nlayers: [{type: lstm, units: 0}]\nexpect: {total: 1}\n"
    spec.write_text(original, encoding="utf-8")
    code = run(["check", "--update", str(spec)])
    assert code == 2
    assert spec.read_text(encoding="utf-8") == original


def test_write_is_atomic_and_keeps_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file is replaced in one step, keeps its permissions, and no temporary file is left."""
    spec = tmp_path / "m.yaml"
    spec.write_text(HEAD, encoding="utf-8")
    os.chmod(spec, 0o640)
    update(spec, capsys)
    assert stat.S_IMODE(spec.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.yaml"]


def test_budget_still_fails_after_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--update fixes expect blocks, not budgets: --max-params still fails the file."""
    spec = tmp_path / "m.yaml"
    spec.write_text(HEAD + "expect: {total: 1}\n", encoding="utf-8")
    code = run(["check", "--update", "--max-params", "1000", str(spec)])
    out = capsys.readouterr().out
    assert code == 1
    assert "expect: {total: 117377, trainable: 117377, non_trainable: 0}" in spec.read_text(encoding="utf-8")
    assert "exceed --max-params 1,000" in out


def test_windows_line_endings_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file with CRLF line breaks gets CRLF in the lines it gains, and keeps them elsewhere."""
    spec = tmp_path / "m.yaml"
    spec.write_bytes(
        b"input: {features: 100}\r\nlayers:\r\n  - {type: lstm, units: 128}\r\nexpect:\r\n  trainable: 1\r\n"
    )
    assert run(["check", "--update", str(spec)]) == 0
    capsys.readouterr()
    assert spec.read_bytes() == (
        b"input: {features: 100}\r\nlayers:\r\n  - {type: lstm, units: 128}\r\nexpect:\r\n  trainable: 117248\r\n"
        b"  total: 117248\r\n  non_trainable: 0\r\n"
    )


def test_diff_is_shown_before_the_file_is_written(tmp_path: Path) -> None:
    """update_file hands the diff over while the file still holds the old text."""
    from lstmcount.api import count_located
    from lstmcount.io.loader import load_document, spec_from_document
    from lstmcount.io.update import update_file

    spec = tmp_path / "m.yaml"
    spec.write_text(HEAD + "expect: {total: 1}\n", encoding="utf-8")
    document = load_document(spec, spans=True)
    report = count_located(spec_from_document(document), None, document)
    seen: list[tuple[str, str]] = []
    diff = update_file(document, report, lambda d: seen.append((d, spec.read_text(encoding="utf-8"))))
    assert seen == [(diff, HEAD + "expect: {total: 1}\n")]
    assert spec.read_text(encoding="utf-8") == HEAD + "expect: {total: 117377, trainable: 117377, non_trainable: 0}\n"


def test_json_format_keeps_stdout_a_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --format json the diff goes to standard error and standard output stays one JSON document."""
    spec = tmp_path / "m.yaml"
    spec.write_text(HEAD + "expect: {total: 1}\n", encoding="utf-8")
    assert run(["check", "--update", "--format", "json", str(spec)]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["summary"]["updated"] == 1 and doc["files"][0]["updated"] is True
    assert "+expect: {total: 117377, trainable: 117377, non_trainable: 0}" in err


def test_expect_sharing_an_anchor_is_not_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An expect value that aliases another field cannot be edited alone: nothing is written, exit 2."""
    spec = tmp_path / "m.yaml"
    original = "input: {features: 3}\nlayers: [{type: dense, units: &n 5}]\nexpect: {total: *n}\n"
    spec.write_text(original, encoding="utf-8")
    assert run(["check", "--update", str(spec)]) == 2
    assert "not written" in capsys.readouterr().err
    assert spec.read_text(encoding="utf-8") == original

"""lstmcount convert: every pair of frameworks, proven by the forward pass in both layouts; refusals and files.

The conformance tests (tests/conformance/test_convert_live.py) load the written files into the
real frameworks; these run everywhere, on lstmcount's own passes, which the recorded
conformance tests hold equal to each framework's.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstmcount import frameworks
from lstmcount.cli import run
from lstmcount.importers import read
from lstmcount.numeric import forward as fw
from lstmcount.numeric.convert import ConversionError, convert, prove
from lstmcount.numeric.filedata import read_values

IDS = [f.id for f in frameworks.every()]
CASES = {
    "lstm_dense": [{"type": "lstm", "units": 4}, {"type": "dense", "units": 3}],
    "lstm_stacked_bidirectional": [{"type": "lstm", "units": 4, "num_layers": 2, "bidirectional": True}],
    "lstm_no_bias": [{"type": "lstm", "units": 3, "use_bias": False}],
    "lstm_projection": [{"type": "lstm", "units": 4, "proj_size": 2}],
    "gru": [{"type": "gru", "units": 4}],
    "gru_reset_before": [{"type": "gru", "units": 4, "reset_after": False}],
    "rnn_bidirectional": [{"type": "simple_rnn", "units": 4, "bidirectional": True}],
    "embedding_conv_lstm": [
        {"type": "embedding", "vocab": 11, "dim": 5},
        {"type": "conv1d", "filters": 6, "kernel_size": 3},
        {"type": "lstm", "units": 4},
    ],
}


def model(case: str, framework: str) -> fw.Model | None:
    first = CASES[case][0]
    spec = {
        "framework": framework,
        "input": {"vocab": 11} if first["type"] == "embedding" else {"features": 5},
        "layers": CASES[case],
    }
    try:
        return fw.build(spec)
    except Exception:  # the framework cannot build this model: nothing to convert from
        return None


PAIRS = [(case, a, b) for case in CASES for a in IDS for b in IDS if model(case, a) is not None]


@pytest.mark.parametrize(("case", "source", "target"), PAIRS)
def test_every_conversion_is_exact_or_refused(case: str, source: str, target: str) -> None:
    """Random weights in the source's layout, converted: both passes agree within 1e-9, or the reason is given."""
    built = model(case, source)
    assert built is not None
    weights = fw.init_weights(built, sum(map(ord, case + source)), np.float64)
    for array in weights.values():  # biases nonzero: a bias with nowhere to go must be refused, not dropped
        array += 0.1
    try:
        conv = convert(built, weights, target)
    except ConversionError as exc:
        assert str(exc).count("\n") == 0 and len(str(exc)) > 20
        assert model(case, target) is None or "bias" in str(exc) or "reset" in str(exc) or "peephole" in str(exc)
        return
    proof = prove(conv)
    assert proof.output < 1e-9 and proof.states < 1e-9, proof
    assert {t.path for layer in conv.target.report.layers for t in layer.tensors} == set(conv.weights)
    for layer in conv.target.report.layers:
        for t in layer.tensors:
            assert conv.weights[t.path].shape == t.shape


def test_the_refusals_say_why() -> None:
    """The conversions the issue names as impossible are refused, each with its reason."""
    cases = {
        ("gru_reset_before", "keras", "pytorch"): "reset gate after the recurrent product",
        ("gru", "pytorch", "tf1"): "reset_after",
        ("lstm_projection", "pytorch", "keras"): "projection",
    }
    for (case, source, target), reason in cases.items():
        built = model(case, source)
        assert built is not None
        with pytest.raises(ConversionError, match=reason):
            convert(built, fw.init_weights(built, 0, np.float64), target)
    peepholes = fw.build(
        {"framework": "onnx", "input": {"features": 5}, "layers": [{"type": "lstm", "units": 3, "peepholes": True}]}
    )
    with pytest.raises(ConversionError, match="peephole"):
        convert(peepholes, fw.init_weights(peepholes, 0, np.float64), "pytorch")


def test_a_recurrent_candidate_bias_of_zeros_may_go() -> None:
    """A GRU's b_hn that is all zeros converts into a cell without one (and says so); a nonzero one is refused."""
    built = model("gru", "pytorch")
    assert built is not None
    weights = fw.init_weights(built, 0, np.float64)
    weights["gru.bias_hh_l0"][8:] = 0.0  # b_hn, the third block (r, z, n)
    conv = convert(built, weights, "flax")
    assert prove(conv).ok
    assert any("b_hn is zero" in note for note in conv.notes)
    weights["gru.bias_hh_l0"][8:] = 0.5
    with pytest.raises(ConversionError, match="nowhere to put it"):
        convert(built, weights, "flax")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def seed_pt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The seed's LSTM in PyTorch's layout, as a .pt file lstmcount wrote."""
    built = fw.build({"framework": "pytorch", "input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}]})
    from lstmcount.exporters import write

    return write(tmp_path / "seed.pt", fw.init_weights(built, 0, np.float32))


def test_convert_writes_the_targets_tensors(seed_pt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A PyTorch checkpoint into Keras's layout: the file holds Keras's names and shapes, the values convert back."""
    out = seed_pt.parent / "keras.npz"
    code, text, err = cli(capsys, "convert", str(seed_pt), "--to", "keras", "-o", str(out))
    assert code == 0, err
    assert "summed into one" in text and "✓" in text and f"Wrote {out}." in text
    values = read_values(read(out).tensors)
    assert {k: v.shape for k, v in values.items()} == {
        "lstm/lstm_cell/kernel": (100, 512),
        "lstm/lstm_cell/recurrent_kernel": (128, 512),
        "lstm/lstm_cell/bias": (512,),
    }
    back = seed_pt.parent / "back.safetensors"
    spec = seed_pt.parent / "seed.yaml"
    spec.write_text("framework: keras\ninput: {features: 100}\nlayers:\n- {type: lstm, units: 128}\n")
    code, text, err = cli(capsys, "convert", str(out), "--spec", str(spec), "--to", "pytorch", "-o", str(back))
    assert code == 0, err
    original, again = read_values(read(seed_pt).tensors), read_values(read(back).tensors)
    np.testing.assert_allclose(again["lstm.weight_ih_l0"], original["lstm.weight_ih_l0"])
    np.testing.assert_allclose(again["lstm.weight_hh_l0"], original["lstm.weight_hh_l0"])
    summed = original["lstm.bias_ih_l0"] + original["lstm.bias_hh_l0"]
    np.testing.assert_allclose(again["lstm.bias_ih_l0"] + again["lstm.bias_hh_l0"], summed, rtol=1e-6)


def test_one_layer_is_its_own_state_dict(seed_pt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = seed_pt.parent / "lstm.pt"
    code, _, err = cli(capsys, "convert", str(seed_pt), "--to", "pytorch", "--layer", "lstm", "-o", str(out))
    assert code == 0, err
    assert [t.name for t in read(out).tensors] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_nothing_is_overwritten_without_force(seed_pt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = seed_pt.parent / "taken.npz"
    out.write_bytes(b"precious")
    code, _, err = cli(capsys, "convert", str(seed_pt), "--to", "onnx", "-o", str(out))
    assert code == 2 and "exists; give --force" in err
    assert out.read_bytes() == b"precious"
    code, _, err = cli(capsys, "convert", str(seed_pt), "--to", "onnx", "-o", str(out), "--force")
    assert code == 0, err
    assert [p.name for p in seed_pt.parent.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_check_only_writes_nothing_and_json_says_so(seed_pt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(seed_pt.parent.iterdir())
    code, out, err = cli(capsys, "convert", str(seed_pt), "--to", "tf1", "--check-only", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["written"] is None and doc["proof"]["ok"] and doc["proof"]["dtype"] == "float64"
    assert doc["target"] == {"framework": "tf1", "total": 117248}
    assert doc["tensors"] == {"lstm/lstm_cell/kernel": [228, 512], "lstm/lstm_cell/bias": [512]}
    assert any("changes by -1" in note for note in doc["notes"])  # TF1 adds 1 to the forget gate at run time
    assert sorted(seed_pt.parent.iterdir()) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "keras"], "give -o OUT"),
        (["--to", "nosuch", "--check-only"], "nosuch"),
        (["--to", "keras", "-o", "x.h6"], "no suffix lstmcount writes"),
        (["--to", "keras", "-o", "/nonexistent/dir/x.npz"], "no such directory"),
        (["--to", "keras", "--check-only", "--layer", "nosuch"], "no layer 'nosuch'"),
    ],
)
def test_bad_arguments_are_one_line(
    seed_pt: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = cli(capsys, "convert", str(seed_pt), *args)
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_a_written_checkpoint_is_what_torch_save_writes(seed_pt: Path) -> None:
    """lstmcount's own reader finds the same names, shapes and values in the .pt it wrote."""
    import zipfile

    with zipfile.ZipFile(seed_pt) as archive:
        names = archive.namelist()
    assert "seed/data.pkl" in names and "seed/version" in names and "seed/byteorder" in names
    values = read_values(read(seed_pt).tensors)
    assert values["lstm.weight_ih_l0"].shape == (512, 100) and values["lstm.weight_ih_l0"].dtype == np.float32


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
def test_the_readme_tables_are_what_lstmcount_decides(kind: str) -> None:
    """The README's table of conversions is lstmcount's own decision for every pair."""
    import re

    from lstmcount.numeric.convert import table

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- conversions:{kind} -->\n(.*?)\n<!-- /conversions:{kind} -->", readme, re.S)
    assert found is not None
    assert found.group(1) == table(kind)

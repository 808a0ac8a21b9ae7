"""Property and fuzz tests: random valid specs count consistently; random input never crashes the CLI.

Valid specs: total = sum of layers = sum of tensors; counts never depend on ``timesteps``; making
a one-layer recurrent layer bidirectional exactly doubles it; and a recurrent layer's count equals
the textbook formula worked out here, independently of the counter. Invalid input (random text,
mutated specs, random bytes, random command lines) must end in exit 2 with one line, never an
exception.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmcount.api import count_dict
from lstmcount.cli import main, run
from lstmcount.errors import LstmcountError
from lstmcount.model.spec import spec_from_dict

#: raise for a longer fuzzing session: LSTMCOUNT_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py
EXAMPLES = int(os.environ.get("LSTMCOUNT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


# --------------------------------------------------------------------------- valid specs


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A spec every framework rule allows: layers chosen so that each can follow the previous."""
    framework = draw(st.sampled_from(["keras", "pytorch"]))
    keras = framework == "keras"
    size = st.integers(1, 64)
    layers: list[dict[str, Any]] = []
    inp: dict[str, Any] = {}
    if draw(st.booleans()):
        inp["vocab"] = draw(st.integers(1, 500))
        layers.append({"type": "embedding", "dim": draw(size)})
    else:
        inp["features"] = draw(size)
    sequence = True
    for _ in range(draw(st.integers(1, 4))):
        options = ["dense", "dropout", "layer_normalization"]
        if sequence:
            options += ["lstm", "gru", "simple_rnn", "lstm", "gru", "conv1d"]
        kind = draw(st.sampled_from(options))
        layer: dict[str, Any] = {"type": kind}
        if kind in ("lstm", "gru", "simple_rnn"):
            layer["units"] = draw(st.integers(2, 64))
            layer["return_sequences"] = draw(st.booleans())
            layer["bidirectional"] = draw(st.booleans())
            layer["num_layers"] = draw(st.integers(1, 3))
            layer["use_bias"] = draw(st.booleans())
            if kind == "lstm" and not keras and draw(st.booleans()):
                layer["proj_size"] = draw(st.integers(1, layer["units"] - 1))
            if kind == "gru" and keras:
                layer["reset_after"] = draw(st.booleans())
            if keras and layer["bidirectional"]:
                layer["merge_mode"] = draw(st.sampled_from(["concat", "sum", "ave", "mul"]))
            sequence = layer["return_sequences"]
        elif kind == "conv1d":
            layer.update(filters=draw(size), kernel_size=draw(st.integers(1, 7)), use_bias=draw(st.booleans()))
            layer["padding"] = draw(st.sampled_from(["valid", "same"]))
            if keras or layer["padding"] == "valid":
                layer["strides"] = draw(st.integers(1, 3))
        elif kind == "dense":
            layer.update(units=draw(size), use_bias=draw(st.booleans()))
        elif kind == "dropout":
            layer["rate"] = draw(st.floats(0, 0.9))
        else:
            scale = draw(st.booleans())
            layer.update(scale=scale, center=draw(st.booleans()) if keras else scale)
        if draw(st.integers(0, 4)) == 0:
            layer["trainable"] = False
        layers.append(layer)
    return {"framework": framework, "input": inp, "layers": layers}


def textbook(layer: dict[str, Any], framework: str, width: int) -> int:
    """Parameters of one single-stack recurrent layer, from the published formulas."""
    gates = {"lstm": 4, "gru": 3, "simple_rnn": 1}[layer["type"]]
    h = layer["units"]
    p = layer.get("proj_size", 0)
    out = p or h
    if not layer.get("use_bias", True):
        biases = 0
    elif framework == "pytorch":
        biases = 2  # bias_ih and bias_hh
    elif layer["type"] == "gru" and layer.get("reset_after", True):
        biases = 2  # Keras GRU reset_after: bias of shape (2, 3H)
    else:
        biases = 1
    one = gates * (width * h + out * h + biases * h) + h * p
    return one * (2 if layer.get("bidirectional") else 1)


@FUZZ
@given(valid_specs())
def test_valid_specs_count_consistently(data: dict[str, Any]) -> None:
    """total = sum of layers = sum of tensors; trainable + non_trainable = total; frozen layers move."""
    report = count_dict(data)
    assert report.total == sum(layer.params for layer in report.layers)
    assert report.total == sum(t.params for layer in report.layers for t in layer.tensors)
    assert report.trainable + report.non_trainable == report.total
    frozen = {i for i, layer in enumerate(data["layers"]) if layer.get("trainable") is False}
    assert report.non_trainable == sum(r.params for r in report.layers if r.spec_index in frozen)


@FUZZ
@given(valid_specs(), st.integers(1, 100_000))
def test_counts_never_depend_on_timesteps(data: dict[str, Any], timesteps: int) -> None:
    """Any sequence length long enough for the convolutions gives the same counts as no length at all."""
    longest = 1 + sum(layer.get("kernel_size", 1) * layer.get("strides", 1) for layer in data["layers"])
    with_t = {**data, "input": {**data["input"], "timesteps": max(timesteps, longest * 3**4)}}
    a, b = count_dict(data), count_dict(with_t)
    assert a.total == b.total
    assert [layer.params for layer in a.layers] == [layer.params for layer in b.layers]


@FUZZ
@given(valid_specs(), st.data())
def test_bidirectional_doubles_the_layer(data: dict[str, Any], draw: st.DataObject) -> None:
    """Turning a one-stack recurrent layer bidirectional exactly doubles its own parameters."""
    recurrent = [i for i, layer in enumerate(data["layers"]) if layer["type"] in ("lstm", "gru", "simple_rnn")]
    if not recurrent:
        return
    i = draw.draw(st.sampled_from(recurrent))
    one = json.loads(json.dumps(data))
    one["layers"][i].update(bidirectional=False, num_layers=1)
    one["layers"][i].pop("merge_mode", None)
    two = json.loads(json.dumps(one))
    two["layers"][i]["bidirectional"] = True
    single = [r for r in count_dict(one).layers if r.spec_index == i]
    double = [r for r in count_dict(two).layers if r.spec_index == i]
    assert sum(r.params for r in double) == 2 * sum(r.params for r in single)


@FUZZ
@given(valid_specs())
def test_recurrent_layers_match_the_textbook_formula(data: dict[str, Any]) -> None:
    """Each one-stack recurrent layer counts gates × (I·H + H·H + biases·H) (+ H·P), per direction."""
    report = count_dict(data)
    for i, layer in enumerate(data["layers"]):
        if layer["type"] not in ("lstm", "gru", "simple_rnn") or layer["num_layers"] != 1:
            continue
        (r,) = [r for r in report.layers if r.spec_index == i]
        width = r.input_shape[-1]
        assert isinstance(width, int)
        assert r.params == textbook(layer, data["framework"], width), (layer, width)


# --------------------------------------------------------------------------- random input


@contextmanager
def spec_file(content: str | bytes, suffix: str = ".yaml") -> Iterator[str]:
    """A temporary spec file holding ``content``."""
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content)
        yield name
    finally:
        os.unlink(name)


def assert_clean_exit(args: list[str], path: str, capsys: pytest.CaptureFixture[str], allowed: set[int]) -> None:
    """``run(args)`` returns an allowed code; an error is exactly one line naming the file."""
    code = run(args)
    out, err = capsys.readouterr()
    assert code in allowed, (code, err)
    if code == 2:
        lines = err.splitlines()
        assert len(lines) == 1, err
        assert path in lines[0]
        assert "Traceback" not in out + err


YAML_TOKENS = ["&a ", "*a", "!!python/object:os.system ", "!t ", "!!str ", "!!int ", "%YAML 1.1\n", "%TAG ! x\n",
               "---\n", "...\n", "? ", ": ", "- ", "{", "}", "[", "]", ", ", "\n", "\n  ", "\n    ", "\t", '"', "'",
               "|\n", ">-\n", "# c\n", "layers", "type", "lstm", "gru", "dense", "units", "128", "0", "-3", "input",
               "features", "expect", "total", "layers:", "0x1F", ".inf", ".nan", "~", "null", "2024-01-01", "<<",
               "yes", "1e5", "1_000", "\u00e9", "\ufeff", "\x07", "\\"]  # fmt: skip
YAML_SOUP = st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join)
YAMLISH = st.text(alphabet=st.sampled_from(list("{}[]:,-#&*!|>'\"\n\t ?%@`~.0123456789eE+lstmunitype_")), max_size=80)


def _mutate(text: str, edits: list[tuple[int, str]]) -> str:
    chars = list(text)
    for pos, ch in edits:
        if chars:
            chars[pos % len(chars)] = ch
    return "".join(chars)


VALID_TEXT = (
    "framework: keras\ninput: {features: 100, timesteps: null}\nlayers:\n"
    "  - {type: lstm, units: 128, return_sequences: true}\n  - type: gru\n    units: 64\n"
    "  - {type: dense, units: 1}\nexpect: {total: 1, layers: {lstm: 5}}\n"
)


@FUZZ
@given(text=st.one_of(YAMLISH, YAML_SOUP, st.text(max_size=60)))
def test_random_text_never_crashes(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Arbitrary text as a spec: count and check exit 0, 1 (a stale expect block) or 2, errors in one line."""
    with spec_file(text) as path:
        assert_clean_exit([path], path, capsys, {0, 1, 2})
        assert_clean_exit(["check", path], path, capsys, {0, 1, 2})
        for args in ([path, "--framework", "all", "--format", "json"], ["check", path, "--format", "github"]):
            result = CliRunner().invoke(main, args)
            if result.exception is not None:
                assert isinstance(result.exception, (SystemExit, LstmcountError)), repr(result.exception)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list("{}[]:,- \n\t#&*!'\"0x.1"))), max_size=4))
def test_mutated_specs_never_crash(edits: list[tuple[int, str]], capsys: pytest.CaptureFixture[str]) -> None:
    """A valid spec with a few characters replaced still ends cleanly, in YAML and in JSON.

    Exit 1 is its stale ``expect`` block, which the count reports when the mutation leaves it intact.
    """
    with spec_file(_mutate(VALID_TEXT, edits)) as path:
        assert_clean_exit([path], path, capsys, {0, 1, 2})
        assert_clean_exit(["check", path], path, capsys, {0, 1, 2})
    as_json = json.dumps(spec_from_dict_safe(VALID_TEXT), indent=1)
    with spec_file(_mutate(as_json, edits), ".json") as path:
        assert_clean_exit(["check", path], path, capsys, {0, 1, 2})


def spec_from_dict_safe(text: str) -> Any:
    """The data of the valid spec text (for its JSON twin)."""
    from lstmcount.io.loader import parse_text

    return parse_text(text).data


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["type", "units", "layers", "input", "features", "expect", "total", "rate", "name", "x"]), inner, max_size=4),
    max_leaves=20,
)  # fmt: skip


@FUZZ
@given(value=JSON_VALUES)
def test_random_documents_never_crash(value: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Random JSON documents (as .json and as YAML) end cleanly."""
    text = json.dumps(value)
    for suffix in (".json", ".yaml"):
        with spec_file(text, suffix) as path:
            assert_clean_exit([path], path, capsys, {0, 1, 2})
            assert_clean_exit(["check", path], path, capsys, {0, 1, 2})


@FUZZ
@given(raw=st.binary(max_size=64))
def test_random_bytes_never_crash(raw: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    """Random bytes (binary, bad UTF-8, BOMs) end cleanly."""
    with spec_file(raw) as path:
        assert_clean_exit([path], path, capsys, {0, 2})


@FUZZ
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 2**40), st.floats(allow_nan=True), st.text(max_size=6)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12,
))  # fmt: skip
def test_spec_validation_raises_only_spec_errors(value: Any) -> None:
    """The Python API on any plain data either counts or raises an LstmcountError, nothing else."""
    for data in (value, {"input": {"features": 4}, "layers": [value]}, {"layers": value}):
        with suppress(LstmcountError):
            count_dict(data) if isinstance(data, dict) else spec_from_dict(data)


TOKENS = ["100", "128", "0", "-1", "abc", "1e3", "99999999999999999999", "4_000", "--dense", "--bidirectional",
          "--proj-size", "--cell", "gru", "rnn", "--framework", "all", "pytorch", "--num-layers", "--embedding",
          "--timesteps", "--format", "json", "csv", "keras", "markdown", "--dropout", "0.5", "--merge-mode", "sum",
          "--no-bias", "--reset-after", "--no-reset-after", "--return-sequences", "--width", "40", "check",
          "schema", "--max-params", "--expect-total", "missing.yaml"]  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
def test_random_command_lines_never_crash(argv: list[str]) -> None:
    """Random command lines through CliRunner raise nothing but lstmcount's own errors or an exit."""
    result = CliRunner().invoke(main, argv, catch_exceptions=True)
    if result.exception is not None:
        assert isinstance(result.exception, (SystemExit, LstmcountError)), repr(result.exception)
    assert run(argv) in (0, 1, 2)


def test_reference_text_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The text the mutation test starts from counts, and fails only on its stale expect block."""
    spec = tmp_path / "m.yaml"
    spec.write_text(VALID_TEXT, encoding="utf-8")
    assert run([str(spec)]) == 1
    assert run(["check", str(spec)]) == 1
    assert "expect.total: expected 1," in capsys.readouterr().out


SCALAR_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789_:.+-xXoObBeE")), min_size=1, max_size=12),
    st.sampled_from(["yes", "No", "ON", "off", "True", "FALSE", "tRuE", "~", "null", "Null", "NULL", "010", "0",
                     "0o17", "0x1F", "1_000", "1:30", ".inf", "-.Inf", ".NaN", "1e3", "1.5e3", "3.", "y", "n"]),
)  # fmt: skip


@FUZZ
@given(scalar=SCALAR_TEXT)
def test_loader_reads_plain_scalars_as_pyyaml_does(scalar: str) -> None:
    """The loader's fast paths give the same value as PyYAML's safe loader for any plain scalar."""
    import math

    import yaml

    from lstmcount.errors import SpecError
    from lstmcount.io.loader import parse_text

    text = f"a: {scalar}\n"
    try:
        reference = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return
    if not isinstance(reference, dict) or not isinstance(reference.get("a"), (int, float, str, bool, type(None))):
        return  # dates and the like, which the loader refuses on purpose
    try:
        ours = parse_text(text).data["a"]
    except SpecError:
        return
    expected = reference["a"]
    assert type(ours) is type(expected)
    assert ours == expected or (isinstance(ours, float) and math.isnan(ours) and math.isnan(expected))


@FUZZ
@given(
    data=valid_specs(),
    style=st.sampled_from([False, True, None]),
    indent=st.integers(2, 4),
    expect=st.sampled_from(["none", "total", "trainable", "null", "empty", "layers", "all"]),
    as_json=st.integers(0, 3),
)
def test_update_writes_exact_counts_and_keeps_the_rest(
    data: dict[str, Any], style: bool | None, indent: int, expect: str, as_json: int,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """After --update on any style of file the spec is unchanged but for an expect block that passes."""
    import yaml

    from lstmcount.io.loader import parse_text

    report = count_dict(data)
    block: Any = {
        "none": None, "null": None, "empty": {}, "total": {"total": 1}, "trainable": {"trainable": 2},
        "layers": {"layers": {report.layers[0].name: 3}},
        "all": {"total": 1, "trainable": 2, "non_trainable": 3, "layers": {report.layers[-1].name: 4}},
    }[expect]  # fmt: skip
    original = dict(data) if expect == "none" else {**data, "expect": block}
    suffix = ".json" if as_json == 0 else ".yaml"
    if as_json == 0:
        text = json.dumps(original, indent=indent if style is not None else None)
    else:
        text = "# a spec\n" + yaml.safe_dump(original, default_flow_style=style, sort_keys=False, indent=indent)
    with spec_file(text, suffix) as path:
        assert run(["check", "--update", path]) == 0, capsys.readouterr()
        capsys.readouterr()
        new = Path(path).read_text(encoding="utf-8")
        assert run(["check", path]) == 0
        capsys.readouterr()
    after = parse_text(new, "x" + suffix, json_only=suffix == ".json").data
    assert {k: v for k, v in after.items() if k != "expect"} == {k: v for k, v in original.items() if k != "expect"}
    assert after["expect"]["total"] == report.total
    if suffix == ".yaml":
        assert new.startswith("# a spec\n")

"""The explain command: equations and shapes per notation and cell, the count, the unrolled view."""

from __future__ import annotations

import re
from collections.abc import Callable
from math import prod

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcount import frameworks as registry
from lstmcount.api import count_dict
from lstmcount.cli import main, run
from lstmcount.counting.counter import cell_params
from lstmcount.explain.document import NOTATIONS, Writer, build, cell_for, render_text, shapes
from lstmcount.model.spec import spec_from_dict

Golden = Callable[[str, str], None]


def explain(*args: str) -> str:
    """What ``lstmcount explain ARGS`` prints."""
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(main, ["explain", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


CELL_ARGS = {
    "lstm": ["--cell", "lstm"],
    "gru": ["--cell", "gru"],
    "rnn": ["--cell", "rnn"],
}
NOTATION_FRAMEWORK = {"row": "keras", "column": "pytorch", "concat": "pytorch"}


@pytest.mark.parametrize("cell", sorted(CELL_ARGS))
@pytest.mark.parametrize("notation", sorted(NOTATION_FRAMEWORK))
def test_golden_per_notation_and_cell(notation: str, cell: str, golden: Golden) -> None:
    """Each notation × cell renders exactly as its golden file."""
    text = explain("100", "128", *CELL_ARGS[cell], "--notation", notation, "--framework", NOTATION_FRAMEWORK[notation])
    golden(f"explain/{cell}_{notation}.txt", text)


VARIANTS = {
    "gru_no_reset_after_keras_concat": ["10", "8", "--cell", "gru", "--no-reset-after", "--notation", "concat"],
    "gru_reset_after_keras_concat": ["10", "8", "--cell", "gru", "--notation", "concat"],
    "rnn_relu_keras_on_pytorch": [
        "10",
        "8",
        "--cell",
        "rnn",
        "--nonlinearity",
        "relu",
        "--framework",
        "pytorch",
        "--notation",
        "row",
    ],
    "lstm_projection_pytorch": ["100", "128", "--proj-size", "64", "--framework", "pytorch"],
    "lstm_projection_keras_notation": [
        "100",
        "128",
        "--proj-size",
        "64",
        "--framework",
        "pytorch",
        "--notation",
        "row",
    ],
    "lstm_bidirectional_stacked_pytorch": [
        "100",
        "128",
        "--bidirectional",
        "--num-layers",
        "2",
        "--framework",
        "pytorch",
        "--dense",
        "1",
    ],
    "lstm_two_layers_keras_dense": ["100", "128", "64", "--dense", "1", "--return-sequences"],
    "lstm_markdown": ["100", "128", "--format", "markdown"],
    "gru_markdown_pytorch": ["10", "8", "--cell", "gru", "--framework", "pytorch", "--format", "markdown"],
    "lstm_bptt": ["3", "2", "--bptt"],
    "lstm_onnx_peepholes": ["10", "4", "--framework", "onnx", "--peepholes"],
    "lstm_tf1_peepholes_projection": ["10", "4", "--framework", "tf1", "--peepholes", "--proj-size", "3"],
    "gru_tf1_reset_before": ["10", "4", "--cell", "gru", "--framework", "tf1"],
    "lstm_flax_per_gate": ["10", "4", "--framework", "flax"],
    "gru_flax_linen_hn": ["10", "4", "--cell", "gru", "--framework", "flax-linen"],
    "gru_mlx_bidirectional": ["10", "4", "--cell", "gru", "--framework", "mlx", "--bidirectional"],
    "lstm_equinox_stacked": ["10", "4", "--framework", "equinox", "--num-layers", "2"],
    "lstm_keras2_cudnn": ["10", "4", "--framework", "keras2", "--class", "CuDNNLSTM"],
    "gru_keras2_v1": ["10", "4", "--cell", "gru", "--framework", "keras2", "--class", "v1.GRU"],
    "lstm_paddle_projection": ["10", "4", "--framework", "paddle", "--proj-size", "2"],
    "gru_bptt_pytorch_tiny": ["100", "128", "--cell", "gru", "--framework", "pytorch", "--bptt"],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_golden_variants(name: str, golden: Golden) -> None:
    """Options that change the equations (reset_after, relu, projection, stacking, formats, BPTT)."""
    golden(f"explain/{name}.{'md' if 'markdown' in name else 'txt'}", explain(*VARIANTS[name]))


def test_answers_a_first_model_summary() -> None:
    """`explain 100 128` names the trained matrices of 117,248 and says the unrolled blocks share them."""
    text = explain("100", "128")
    assert re.search(r"U_i, U_f, U_c, U_o\s+\(100, 128\)\s+trained: input weights", text)
    assert re.search(r"W_i, W_f, W_c, W_o\s+\(128, 128\)\s+trained: recurrent weights", text)
    assert re.search(r"b_i, b_f, b_c, b_o\s+\(128,\)\s+trained: biases", text)
    assert "4 × (100×128 + 128×128 + 128) = 117,248" in text
    assert "The 3 boxes are one cell drawn 3 times, not 3 cells" in text
    assert "updates the one shared set once per batch" in text


def test_cell_state_has_no_activation_around_it() -> None:
    """c_t is a gated sum: no sigmoid or tanh is applied to it (tanh appears only in h_t)."""
    for notation in NOTATIONS:
        line = next(x for x in explain("5", "4", "--notation", notation).splitlines() if x.strip().startswith("c_t "))
        rhs = line.split("=", 1)[1].split("   ")[0]
        assert "sigmoid" not in rhs and "tanh" not in rhs


def test_count_section_sums_to_report_total() -> None:
    """The derivation's last line is the report's total, and every layer's formula appears."""
    args = ["100", "128", "64", "--dense", "1", "--framework", "pytorch", "--bidirectional"]
    text = explain(*args)
    data = {
        "framework": "pytorch",
        "input": {"features": 100},
        "layers": [
            {"type": "lstm", "units": 128, "bidirectional": True, "return_sequences": True},
            {"type": "lstm", "units": 64, "bidirectional": True},
            {"type": "dense", "units": 1},
        ],
    }
    report = count_dict(data)
    for layer in report.layers:
        assert layer.formula in text
    total = re.search(r"Total: (.*) = ([\d,]+)\n", text)
    assert total is not None
    assert int(total.group(2).replace(",", "")) == report.total
    assert sum(int(p.replace(",", "")) for p in total.group(1).split(" + ")) == report.total


def test_every_cell_has_each_equation_role_once() -> None:
    """The gates of every framework table carry each role of their cell's equations exactly once."""
    wanted = {"lstm": "fgio", "gru": "nrz", "simple_rnn": "h"}
    for fw in registry.every():
        for kind, classes in fw.cells.items():
            for cls in classes:
                assert "".join(sorted(g.role for g in cls.gates)) == wanted[kind.value], (fw.id, cls.name)


sizes = st.integers(min_value=1, max_value=300)
cells = st.sampled_from(["lstm", "gru", "simple_rnn"])
frameworks = st.sampled_from(["keras", "pytorch"])
notations = st.sampled_from(sorted(NOTATIONS))


@settings(max_examples=30, deadline=None)
@given(
    features=sizes,
    units=sizes,
    cell=cells,
    framework=frameworks,
    notation=notations,
    steps=st.integers(1, 40),
)
def test_count_does_not_depend_on_time_steps(
    features: int, units: int, cell: str, framework: str, notation: str, steps: int
) -> None:
    """The count section is identical for any T and ends in the counter's total."""
    data = {"framework": framework, "input": {"features": features}, "layers": [{"type": cell, "units": units}]}
    spec = spec_from_dict(data)
    report = count_dict(data)
    base = render_text(build(report, spec, notation)).split("Count, step by step")[1].split("unrolled")[0]
    other = render_text(build(report, spec, notation, steps=steps)).split("Count, step by step")[1]
    assert other.split("unrolled")[0] == base
    assert f"Total: {report.total:,}" in base


@settings(max_examples=15, deadline=None)
@given(features=sizes, units=sizes, batch=st.integers(1, 64), steps=st.integers(1, 64))
def test_cli_count_does_not_depend_on_batch_or_steps(features: int, units: int, batch: int, steps: int) -> None:
    """With --batch and --timesteps the count section is the one printed without them."""
    plain = explain(str(features), str(units))
    sized = explain(str(features), str(units), "--batch", str(batch), "--timesteps", str(steps))
    section = "Count, step by step"
    assert sized.split(section)[1].split("unrolled")[0] == plain.split(section)[1].split("unrolled")[0]


@settings(max_examples=40, deadline=None)
@given(
    features=sizes,
    units=st.integers(2, 300),
    cell=cells,
    framework=frameworks,
    notation=notations,
    bias=st.booleans(),
    proj=st.booleans(),
)
def test_shape_table_adds_up_to_the_cell_count(
    features: int, units: int, cell: str, framework: str, notation: str, bias: bool, proj: bool
) -> None:
    """Summing the trained rows of the shape table (one matrix per name) gives the counter's cell count."""
    layer: dict[str, object] = {"type": cell, "units": units, "use_bias": bias}
    if proj and cell == "lstm" and framework == "pytorch":
        layer["proj_size"] = units - 1
    data = {"framework": framework, "input": {"features": features}, "layers": [layer]}
    report = count_dict(data)
    cell_ = cell_for(report, report.layers[0], NOTATIONS[notation], Writer(False))
    table = shapes(cell_)
    total = 0
    for names, shape_text, what in table.rows:
        if what.startswith("trained"):
            dims = [int(d) for d in shape_text.strip("(),").split(", ")]
            total += len(names.split(", ")) * prod(dims)
    assert total == cell_params(report.layers[0].cells[0])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["explain", "100", "128", "--lengths", "3,x"], "--lengths must be comma-separated positive integers"),
        (["explain", "100", "128", "--lengths", "3,4", "--batch", "3"], "--lengths gives 2 lengths but --batch is 3"),
        (["explain", "100"], "give UNITS after INPUT"),
    ],
)
def test_bad_input_is_one_line(argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad explain input is one error line with exit code 2, never a traceback."""
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err


def test_model_without_recurrent_layer_is_refused(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    """A model with no recurrent layer has nothing to explain: one error line, exit 2."""
    from pathlib import Path

    spec = Path(str(tmp_path)) / "dense.json"
    spec.write_text('{"input": {"features": 4}, "layers": [{"type": "dense", "units": 2}]}', encoding="utf-8")
    assert run(["explain", str(spec)]) == 2
    assert "explain needs a recurrent layer" in capsys.readouterr().err


def test_lengths_set_the_costs_section() -> None:
    """--lengths passes through to the cost model: the Costs section is shown for that batch."""
    text = explain("100", "128", "--lengths", "5,3")
    assert "Costs" in text and "batch 2" in text


PROBE = """
import contextlib, io, sys
from lstmcount.cli import run
with contextlib.redirect_stdout(io.StringIO()):
    assert run({args!r}) == 0
print(",".join(m for m in ("numpy", "yaml", "torch", "keras") if m in sys.modules))
"""


def _loaded(*args: str) -> list[str]:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=["explain", *args])],
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    )
    return [m for m in proc.stdout.strip().split(",") if m]


def test_explaining_loads_numpy_only_for_bptt() -> None:
    """`explain` imports no numpy, yaml or framework; `--bptt` adds numpy and nothing else."""
    assert _loaded("100", "128", "--notation", "concat") == []
    assert _loaded("3", "2", "--bptt") == ["numpy"]


def _index(text: str) -> tuple[object, ...]:
    parts = []
    for part in text.strip("[]").split(", "):
        if part == ":":
            parts.append(slice(None))
        elif ":" in part:
            start, stop = part.split(":")
            parts.append(slice(int(start), int(stop)))
        else:
            parts.append(int(part))
    return tuple(parts)


def _fused_cases() -> list[tuple[str, dict[str, object]]]:
    """Every class of every framework, for each cell kind, with its default bias form (and Keras's GRU both ways)."""
    cases: list[tuple[str, dict[str, object]]] = [("keras", {"type": "gru", "reset_after": False})]
    types = {"lstm": "lstm", "gru": "gru", "simple_rnn": "simple_rnn"}
    for fw in registry.every():
        for kind, classes in fw.cells.items():
            for cls in classes:
                cases.append((fw.id, {"type": types[kind.value], "class": cls.name}))
    return cases


FUSED_CASES = _fused_cases()


@pytest.mark.parametrize(
    ("framework", "layer"), FUSED_CASES, ids=[f"{f}-{x.get('class', '')}-{x['type']}" for f, x in FUSED_CASES]
)
def test_fused_table_slices_give_each_gates_block(framework: str, layer: dict[str, object]) -> None:
    """Applying the printed slices to the framework's tensors yields each gate's U, W and biases.

    The framework tensors are made from canonical weights by the BPTT module's layout, which the
    conformance tests check against the real frameworks; a block stored as another shape's memory
    (a cuDNN buffer) is read in the shape the table names.
    """
    import numpy as np

    from lstmcount.explain.document import fused
    from lstmcount.numeric import bptt

    data = {"framework": framework, "input": {"features": 3}, "layers": [{**layer, "units": 2}]}
    report = count_dict(data)
    info = report.layers[0].cells[0]
    params = bptt.make_cell(info.cell, np.random.default_rng(7)).params()
    own = tuple(t for t in report.layers[0].tensors if t.holds(info.stack_index, 0))
    tensors = bptt.to_framework(params, own, info.cell)
    cell = cell_for(report, report.layers[0], NOTATIONS["row"], Writer(False))
    _, table, _ = fused(cell, own)
    canonical = bptt.CANONICAL[report.layers[0].type]
    assert len(table.rows) == sum(1 for t in own for p in t.placements if p.direction in (None, 0))
    for gate_symbol, symbol, where, _shape in table.rows:
        gate = next(g for g in cell.gates if g.symbol == gate_symbol)
        k = canonical.index(gate.role)
        name, _, rest = where.partition("[")
        slice_text, _, read_as = ("[" + rest).partition(" (its memory, read as ")
        block = tensors[name][_index(slice_text.removesuffix("ᵀ"))]
        if read_as:  # the memory in that shape is the block in column orientation: it holds it transposed
            assert read_as.endswith(", holds it transposed)")
            shape = tuple(int(n) for n in read_as.split("), ")[0].strip("()").split(", "))
            block = np.ascontiguousarray(block).reshape(shape).T
        if slice_text.endswith("ᵀ"):
            block = block.T
        key = {"U": "U", "W": "W", "b": "bx", "bx": "bx", "bh": "bh"}[symbol.split("_")[0]]
        np.testing.assert_array_equal(block, params[key][..., 2 * k : 2 * k + 2], err_msg=where)

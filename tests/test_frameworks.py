"""The frameworks as modules of data: one module each, found by name, and nothing else names them.

Also the structure every module must have: each recurrent class's tensors hold every block of
the cell equations exactly once and nothing else, and each tensor is filled by its blocks.
The facts themselves (names, shapes, outputs) are checked against the real frameworks in
``tests/test_recorded.py`` and ``tests/conformance/``.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lstmcount import frameworks
from lstmcount.cells import ROLES, Biases, CellSpec, Kind, Param
from lstmcount.cli import main
from lstmcount.counting.counter import cell_spec
from lstmcount.frameworks.layout import instantiate
from lstmcount.model.spec import spec_from_dict

PACKAGE = Path(__file__).resolve().parent.parent / "lstmcount"
MODULES = {p.stem for p in (PACKAGE / "frameworks").glob("*.py")} - {"__init__", "base", "layout"}

#: the places outside a framework's module that may name one, and why
ALLOWED = {
    ("lstmcount/model/spec.py", "keras"): "DEFAULT_FRAMEWORK: the framework a spec that names none is counted in",
    ("lstmcount/commands/options.py", "keras"): "the output format that draws Keras's model.summary() layout",
    ("lstmcount/renderers/report.py", "keras"): "that format's renderer, which says whose layout it draws",
    ("lstmcount/commands/count.py", "pytorch"): "--compat: the PyTorch tools' own numbers",
    ("lstmcount/explain/document.py", "pytorch"): "--compat: the PyTorch tools' own numbers",
    ("lstmcount/io/sniff.py", "pytorch"): "file formats, named as their makers name them",
    ("lstmcount/io/sniff.py", "torch"): "file formats, named as their makers name them",
    ("lstmcount/io/sniff.py", "keras"): "file formats, named as their makers name them",
    ("lstmcount/io/sniff.py", "onnx"): "file formats, named as their makers name them",
    ("lstmcount/io/sniff.py", "flax"): "file formats, named as their makers name them",
    **{
        (f"lstmcount/importers/{module}.py", word): "a file format's reader, which names the format as its makers do"
        for module in ("torch_files", "safe_pickle", "onnx", "keras")
        for word in ("torch", "pytorch", "paddle", "onnx", "keras", "tf")
    },
    **{
        ("lstmcount/importers/flax.py", word): "a file format's reader, which names the format as its makers do"
        for word in ("flax", "nnx", "linen")
    },
    **{
        (f"lstmcount/exporters/{module}.py", word): "a file format's writer, which names the format as its makers do"
        for module in ("__init__", "torch_zip")
        for word in ("torch", "pytorch", "pt")
    },
    **{
        ("lstmcount/exporters/keras_h5.py", word): "a file format's writer, which names the format as its makers do"
        for word in ("keras",)
    },
    **{
        (f"lstmcount/exporters/{module}.py", word): "a file format's writer, which names the format as its makers do"
        for module in ("__init__", "flax_msgpack")
        for word in ("flax", "nnx", "linen")
    },
    ("lstmcount/importers/__init__.py", "keras"): "the readers of each file format, by the format's name",
    ("lstmcount/importers/__init__.py", "onnx"): "the readers of each file format, by the format's name",
    ("lstmcount/importers/__init__.py", "torch"): "the readers of each file format, by the format's name",
}


def _framework_words() -> list[str]:
    words = {"torch", "tensorflow", "jax", "cudnn"}
    for fw in frameworks.every():
        words |= {fw.id, *fw.aliases, *(w for w in fw.display.split() if len(w) > 2)}
    return sorted({w.lower() for w in words}, key=len, reverse=True)


def _mentions(text: str, pattern: re.Pattern[str]) -> list[str]:
    return [m.group(1).lower() for m in pattern.finditer(text)]


def test_no_framework_is_named_outside_its_module() -> None:
    """No code outside lstmcount/frameworks/<name>.py names a framework (docstrings and comments aside).

    Every string, name and attribute of the package's code is searched for any framework's id,
    spellings and display name. A framework's facts live in its module; the rest of the package
    reads them through lstmcount.frameworks.
    """
    words = _framework_words()
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z0-9_])", re.I)
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "frameworks" and path.stem in MODULES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        where = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                text = node.value
            elif isinstance(node, ast.Name):
                text = node.id
            elif isinstance(node, ast.Attribute):
                text = node.attr
            else:
                continue
            for word in _mentions(text, pattern):
                key = next((k for k in ALLOWED if k[0] == where and word.startswith(k[1])), None)
                if key is None:
                    found.append(f"{where}:{node.lineno}: {word!r} in {text[:60]!r}")
    assert found == []


def test_the_scan_finds_a_framework_named_in_code(tmp_path: Path) -> None:
    """The scan's pattern catches a framework's id, an alias and a display name inside strings."""
    words = _framework_words()
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z0-9_])", re.I)
    assert _mentions('if fw == "pytorch":', pattern) == ["pytorch"]
    assert _mentions("the Flax NNX layout", pattern) == ["flax", "nnx"]
    assert _mentions("tf.keras weights", pattern) == ["tf.keras"]
    assert _mentions("a torchlike name, kerasy", pattern) == []


def test_each_module_is_the_framework_its_file_names() -> None:
    """A module's FRAMEWORK has the id its file name gives, and every spelling resolves to one framework."""
    assert set(frameworks.ids()) == {m.replace("_", "-") for m in MODULES}
    orders = [fw.order for fw in frameworks.every()]
    assert len(set(orders)) == len(orders)
    seen: dict[str, str] = {}
    for fw in frameworks.every():
        for spelling in (fw.id, *fw.aliases):
            assert seen.setdefault(spelling.lower(), fw.id) == fw.id, spelling
            assert frameworks.resolve(spelling) == fw.id
            assert frameworks.resolve(spelling.upper()) == fw.id


def test_asking_for_one_framework_loads_its_module_alone() -> None:
    """Counting in one framework imports that framework's module and no other."""
    code = (
        "import sys; from lstmcount.cli import run; import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): run(['100', '128', '--framework', 'onnx'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('lstmcount.frameworks.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(["lstmcount.frameworks.base", "lstmcount.frameworks.layout", "lstmcount.frameworks.onnx"])


def _layer(kind: Kind, *, bias: bool, proj: int, peepholes: bool, reset_after: bool | None) -> dict[str, object]:
    layer: dict[str, object] = {"type": kind.value, "units": 3, "use_bias": bias}
    if kind is Kind.LSTM:
        layer.update(proj_size=proj, peepholes=peepholes)
    if kind is Kind.GRU and reset_after is not None:
        layer["reset_after"] = reset_after
    return layer


def _options() -> list[tuple[str, str, Kind, dict[str, object]]]:
    cases = []
    for fw in frameworks.every():
        for kind, classes in fw.cells.items():
            for cls in classes:
                for bias, proj, peep, reset in itertools.product(
                    (True, False), (0, 2), (False, True), (None, False, True)
                ):
                    if kind is not Kind.LSTM and (proj or peep):
                        continue
                    if kind is not Kind.GRU and reset is not None:
                        continue
                    if (proj and "proj_size" not in cls.options) or (peep and "peepholes" not in cls.options):
                        continue
                    if reset is not None and "reset_after" not in cls.options and cls.fixed.get("reset_after") != reset:
                        continue
                    if not bias and not cls.bias_switch:
                        continue
                    layer = _layer(kind, bias=bias, proj=proj, peepholes=peep, reset_after=reset)
                    cases.append((fw.id, cls.name, kind, {**layer, "class": cls.name}))
    return cases


OPTIONS = _options()


@pytest.mark.parametrize(
    ("fid", "name", "kind", "layer"), OPTIONS, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(OPTIONS)]
)
def test_every_class_stores_each_block_of_its_cell_once(
    fid: str, name: str, kind: Kind, layer: dict[str, object]
) -> None:
    """The tensors of a cell instance hold every block the cell has, once, and fill every element of each tensor."""
    fw = frameworks.get(fid)
    cls = fw.cell_class(kind, name)
    spec = spec_from_dict({"framework": fid, "input": {"features": 5}, "layers": [layer]})
    cell = cell_spec(cls, spec.layers[0], 5)  # type: ignore[arg-type]
    wanted = {(p, r) for p in Param for r in ROLES[kind] if p is not Param.PROJ and cell.has(p, r)}
    if cell.proj:
        wanted.add((Param.PROJ, ""))
    held: list[tuple[Param, str, int | None]] = []
    for t in cls.tensors:
        if not t.when(cell):
            continue
        directions = 2 if t.per_layer else 1
        shape, placements = instantiate(t.layout_for(cell), cell, directions)
        covered = 0
        for p in placements:
            held.append((p.param, p.role, p.direction))
            covered += p.size
        total = 1
        for n in shape:
            total *= n
        assert covered == total, (
            t.name,
            shape,
        )  # the blocks fill the tensor (they never overlap: layout builds them apart)
    per_direction = [(p, r) for p, r, d in held if d in (None, 0)]
    assert sorted(per_direction) == sorted(wanted)
    assert cell.params == sum(
        p.size
        for t in cls.tensors
        if t.when(cell)
        for p in instantiate(t.layout_for(cell), cell, 1 + t.per_layer)[1]
        if p.direction in (None, 0)
    )


def _count(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(main, [*args, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def _tensors(doc: dict[str, object]) -> list[tuple[str, tuple[int, ...]]]:
    return [(t["path"], tuple(t["shape"])) for layer in doc["layers"] for t in layer["tensors"]]  # type: ignore[index,union-attr]


def test_onnx_lstm_of_the_issue() -> None:
    """LSTM(100 -> 128) in ONNX: W, R, B with a direction axis, 117,760; peepholes add P (1, 384)."""
    doc = _count("100", "128", "--framework", "onnx")
    assert doc["total"] == 117_760
    assert _tensors(doc) == [("lstm.W", (1, 512, 100)), ("lstm.R", (1, 512, 128)), ("lstm.B", (1, 1024))]
    doc = _count("100", "128", "--framework", "onnx", "--peepholes")
    assert doc["total"] == 118_144 and _tensors(doc)[-1] == ("lstm.P", (1, 384))


def test_flax_lstm_has_twelve_per_gate_tensors() -> None:
    """LSTM(100 -> 128) in Flax NNX: 117,248 in ii, if_, ig, io kernels and hi, hf, hg, ho kernels and biases."""
    doc = _count("100", "128", "--framework", "flax")
    assert doc["total"] == 117_248
    names = [p.removeprefix("lstm.cell.") for p, _ in _tensors(doc)]
    assert sorted(names) == sorted(
        [f"i{g}.kernel" for g in ("i", "f_", "g", "o")] + [f"h{g}.{k}" for g in "ifgo" for k in ("kernel", "bias")]
    )


@pytest.mark.parametrize(
    ("framework", "total"),
    [("flax", 87_936), ("flax-linen", 88_064), ("mlx", 88_064), ("equinox", 88_064), ("paddle", 88_320)],
)
def test_gru_counts_of_the_issue(framework: str, total: int) -> None:
    """GRU(100 -> 128): no recurrent bias in NNX, b_hn in linen, MLX and Equinox, two biases in Paddle."""
    assert _count("100", "128", "--cell", "gru", "--framework", framework)["total"] == total


def test_framework_all_is_one_table_of_every_total() -> None:
    """--framework all prints one side-by-side table with a row and a total per framework."""
    result = CliRunner().invoke(main, ["100", "128", "--cell", "gru", "--framework", "all"])
    assert result.exit_code == 0
    side = result.stdout.split("\n\n")[0]
    for fw in frameworks.every():
        row = next(line for line in side.splitlines() if line.startswith(fw.display + " "))
        total = _count("100", "128", "--cell", "gru", "--framework", fw.id)["total"]
        assert f"{total:,}" in row
    assert "b_hn" in side and "2 biases/gate" in side


def test_no_cell_class_is_left_without_its_biases() -> None:
    """Each bias form names blocks the cell equations use (a structural check of the cells module)."""
    for biases in Biases:
        cell = CellSpec(Kind.GRU, 2, 3, biases=biases)
        blocks = sum(cell.has(p, r) for p in (Param.BX, Param.BH) for r in cell.roles)
        assert blocks == {Biases.NONE: 0, Biases.ONE: 3, Biases.TWO: 6, Biases.HN: 4}[biases]


@pytest.mark.parametrize(
    ("field", "value", "attribute"),
    [
        ("hidden_size", 7, "units"),
        ("hidden_features", 7, "units"),
        ("features", 7, "units"),
        ("num_units", 7, "units"),
        ("num_proj", 3, "proj_size"),
        ("use_peepholes", True, "peepholes"),
    ],
)
def test_frameworks_argument_names_are_spec_aliases(field: str, value: object, attribute: str) -> None:
    """A framework's own argument name in a spec sets the spec field it means."""
    layer = {"type": "lstm", field: value, **({} if attribute == "units" else {"units": 7})}
    spec = spec_from_dict({"framework": "tf1", "input": {"features": 3}, "layers": [layer]})
    assert getattr(spec.layers[0], attribute) == value


def test_every_declared_argument_alias_is_a_spec_alias() -> None:
    """Each framework's ``argument_aliases`` names spec fields that accept that spelling."""
    from lstmcount.model.spec import LAYER_CLASSES, fields_of

    accepted: dict[str, set[str]] = {}
    for cls in LAYER_CLASSES.values():
        for key, f in fields_of(cls).items():
            accepted.setdefault(key, set()).update({key, *f.metadata.get("aliases", ())})
    for fw in frameworks.every():
        for alias, field in fw.argument_aliases.items():
            assert alias in accepted[field], (fw.id, alias, field)


def test_linear_before_reset_is_reset_after() -> None:
    """ONNX's linear_before_reset: 1 resets after the product, as reset_after: true does."""
    spec = spec_from_dict(
        {
            "framework": "onnx",
            "input": {"features": 3},
            "layers": [{"type": "gru", "units": 2, "linear_before_reset": True}],
        }
    )
    assert spec.layers[0].reset_after is True  # type: ignore[attr-defined]


def test_a_list_of_frameworks_compares_those() -> None:
    """--framework onnx,tf1 shows those two, in the order given, side by side and each in full."""
    result = CliRunner().invoke(main, ["100", "128", "--peepholes", "--framework", "onnx,tf1"])
    assert result.exit_code == 0, result.output
    side = result.stdout.split("\n\n")[0].splitlines()
    assert side[3].startswith("ONNX") and "118,144" in side[3]
    assert side[4].startswith("TensorFlow 1") and "117,632" in side[4] and "-512" in side[4]
    assert "Model in ONNX conventions" in result.stdout and "Model in TensorFlow 1 conventions" in result.stdout
    doc = _count("100", "128", "--framework", "torch,keras,torch")
    assert [r["framework"] for r in doc["reports"]] == ["pytorch", "keras"]  # type: ignore[index,union-attr]


def test_an_option_a_class_lacks_is_refused_naming_one_that_has_it(capsys: pytest.CaptureFixture[str]) -> None:
    """--peepholes under Keras is one error line that points to a framework with peepholes."""
    from lstmcount.cli import run

    assert run(["100", "128", "--peepholes"]) == 2
    assert capsys.readouterr().err.strip().endswith("remove --peepholes or use --framework onnx")
    assert run(["100", "128", "--framework", "flax", "--class", "OptimisedLSTMCell"]) == 2
    assert "did you mean 'OptimizedLSTMCell'?" in capsys.readouterr().err
    assert run(["100", "128", "--framework", "pytorch", "--class", "LSTMCell", "--num-layers", "2"]) == 2
    assert "use --class LSTM" in capsys.readouterr().err

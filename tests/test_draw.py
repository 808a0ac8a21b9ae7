"""``lstmcount draw`` and the HTML pages: layout, titles, the report's numbers, golden SVGs, the README's pictures."""

from __future__ import annotations

import re
import shlex
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from draw_cases import CELLS, Case, grid, spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from picture_facts import drawn, expected, text_problems

from lstmcount.cli import main
from lstmcount.cli import run as cli_run
from lstmcount.draw import VIEWS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {"rect", "text", "polyline", "path", "circle", "line", "polygon", "ellipse"}
CASES = grid()


def _walk(node: ET.Element, titled: bool, bad: list[str], in_defs: bool = False) -> None:
    for child in node:
        tag = child.tag.removeprefix(SVG)
        has_title = any(c.tag == SVG + "title" and (c.text or "").strip() for c in child)
        if tag in ("defs", "style", "title", "desc"):
            continue
        if tag in SHAPES and not (titled or has_title):
            bad.append(f"<{tag}> {child.attrib}")
        if tag in ("g", "text"):
            _walk(child, titled or has_title, bad)


def parse(svg: str) -> tuple[ET.Element, list[str]]:
    """The SVG's root, and the shapes without a title."""
    root = ET.fromstring(svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg)
    untitled: list[str] = []
    _walk(root, False, untitled)
    return root, untitled


def items(root: ET.Element, view: str) -> tuple[set[tuple[str, ...]], dict[tuple[str, ...], list[str]]]:
    """The items of ``view`` drawn in ``root`` and the texts each shows."""
    found: set[tuple[str, ...]] = set()
    texts: dict[tuple[str, ...], list[str]] = {}
    for g in root.iter(SVG + "g"):
        data = {k.removeprefix("data-"): v for k, v in g.attrib.items() if k.startswith("data-")}
        if not data:
            continue
        item = drawn([data], view)
        if not item:
            continue
        (key,) = item
        found.add(key)
        shown = ["".join(t.itertext()) for t in g.iter(SVG + "text")]
        texts.setdefault(key, []).extend(shown)
    return found, texts


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_picture_is_laid_out_titled_and_shows_the_reports_numbers(case: Case) -> None:
    """No two labels overlap, every shape has a title, and the items drawn are the report's, with their numbers."""
    canvas = case.canvas()
    assert canvas.overlaps() == []
    svg = canvas.svg()
    root, untitled = parse(svg)
    assert untitled == []
    found, texts = items(root, case.view)
    assert found == expected(case.reports(), case.view, case.layer)
    assert text_problems(texts, case.view) == []
    width = float(root.attrib["width"])
    height = float(root.attrib["height"])
    assert all(lab.box.x >= 0 and lab.box.right <= width for lab in canvas.labels)
    assert all(lab.box.y >= 0 and lab.box.bottom <= height for lab in canvas.labels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cell=st.sampled_from(CELLS),
    fw=st.sampled_from(["keras", "pytorch", "onnx", "flax", "tf1", "paddle", "keras2", "mlx"]),
    inputs=st.integers(1, 4096),
    units=st.integers(1, 4096),
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=60).filter(
        lambda s: s[0].isalpha()
    ),
    bidirectional=st.booleans(),
    stacked=st.integers(1, 8),
    view=st.sampled_from(VIEWS),
    steps=st.integers(1, 10**9),
)
def test_any_model_lays_out(
    cell: str, fw: str, inputs: int, units: int, name: str, bidirectional: bool, stacked: int, view: str, steps: int
) -> None:
    """Any size of 1 to 4,096 units, name of up to 60 characters, 1 to 8 layers, any direction: laid out."""
    from lstmcount.errors import LstmcountError

    s = spec(cell, inputs, units, name=name, bidirectional=bidirectional, num_layers=stacked)
    case = Case("random", s, (fw,), view, steps=steps)
    try:
        reports = case.reports()
    except (LstmcountError, AssertionError):  # a framework without that layer or option
        return
    canvas = case.canvas()
    assert canvas.overlaps() == []
    root, untitled = parse(canvas.svg())
    assert untitled == []
    found, texts = items(root, view)
    assert found == expected(reports, view)
    assert text_problems(texts, view) == []


def test_a_long_sequence_costs_no_more_to_draw() -> None:
    """The unrolled view of two billion steps draws five steps and takes as long as three."""
    start = time.perf_counter()
    svg = Case("long", spec("lstm", 10, 8), ("keras",), "unrolled", steps=2_000_000_000).canvas().svg()
    assert time.perf_counter() - start < 5
    assert "t = 2000000000" in svg and "t = 1999999999" in svg and "…" in svg
    assert svg.count('class="timestep"') == 4


GOLDEN_CASES = {
    "cell-keras-lstm.svg": Case("g1", spec("lstm", 100, 128), ("keras",), "cell"),
    "cell-pytorch-gru.svg": Case("g2", spec("gru", 10, 8), ("pytorch",), "cell"),
    "cell-tf1-peepholes-projection.svg": Case(
        "g3", spec("lstm", 30, 20, peepholes=True, num_proj=10, forget_bias=1.0), ("tf1",), "cell"
    ),
    "tensors-pytorch-onnx.svg": Case("g4", spec("lstm", 100, 128), ("pytorch", "onnx"), "tensors"),
    "unrolled-bidirectional.svg": Case(
        "g5", spec("lstm", 100, 128, bidirectional=True, num_layers=2), ("pytorch",), "unrolled", steps=7
    ),
    "model-keras.svg": Case(
        "g6",
        {"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}, {"type": "dense", "units": 1}]},
        ("keras",),
        "model",
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_svg_text_is_unchanged(name: str, golden) -> None:  # type: ignore[no-untyped-def]
    """The SVG text equals its golden file (rewritten with --update-goldens), byte for byte and run after run."""
    svg = GOLDEN_CASES[name].canvas().svg()
    assert svg == GOLDEN_CASES[name].canvas().svg()
    golden(f"draw/{name}", svg)


PICTURE = re.compile(r"<!-- (lstmcount draw [^>]*?) -->\s*\n!\[[^\]]*\]\((docs/pictures/[^)]+\.svg)\)")


def readme_pictures() -> list[tuple[str, str]]:
    """(command, file) for each picture the README shows."""
    return PICTURE.findall(README.read_text(encoding="utf-8"))


def test_readme_shows_every_view() -> None:
    """The README shows a picture of each view."""
    commands = [c for c, _ in readme_pictures()]
    for view in VIEWS:
        assert any(f"--view {view}" in c for c in commands), view


@pytest.mark.parametrize(("command", "path"), readme_pictures())
def test_readme_picture_equals_the_output(command: str, path: str, request: pytest.FixtureRequest) -> None:
    """Each committed picture is what its command draws now (rewritten with --update-goldens)."""
    argv = shlex.split(command)[1:]
    result = CliRunner().invoke(main, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    target = ROOT / path
    if request.config.getoption("--update-goldens"):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.output, encoding="utf-8")
    assert result.output == target.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the command


def run(*args: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``lstmcount ARGS``, run as the console script runs it."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_run(list(args))
    return code, out.getvalue(), err.getvalue()


def test_draw_writes_the_file(tmp_path: Path) -> None:
    """``-o FILE.svg`` writes the picture, exactly what standard output gets."""
    out = tmp_path / "cell.svg"
    assert run("draw", "100", "128", "--view", "cell", "-o", str(out))[0] == 0
    assert out.read_text(encoding="utf-8") == run("draw", "100", "128", "--view", "cell")[1]
    assert "kernel[:, 256:384]" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-o", "{tmp}"), "is a directory"),
        (("-o", "{tmp}/cell.txt"), "must end in .svg"),
        (("-o", "{tmp}/missing/cell.svg"), "no such directory"),
        (("--view", "cell", "--framework", "pytorch,onnx"), "--view tensors sets several"),
        (("--layer", "nope"), "no layer called 'nope'"),
        (("--dense", "1", "--layer", "dense"), "not a recurrent layer"),
    ],
)
def test_draw_refuses_in_one_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    """A path that cannot be written, or a view that cannot be drawn, is one line and exit code 2."""
    code, _, err = run("draw", "100", "128", *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_output_never_overwrites_the_model_read(tmp_path: Path) -> None:
    """``-o`` naming the spec being read is refused, and the spec is kept."""
    spec_file = tmp_path / "m.html"
    spec_file.write_text("input: {features: 4}\nlayers: [{type: lstm, units: 2}]\n", encoding="utf-8")
    code, _, err = run(str(spec_file), "--format", "html", "-o", str(spec_file))
    assert code == 2 and "is the model being read" in err
    assert spec_file.read_text(encoding="utf-8").startswith("input:")


def test_explain_html_is_the_seed_model_with_three_pictures(tmp_path: Path) -> None:
    """``explain 100 128 --dense 1 --format html -o report.html`` holds 117,377, the equations and the pictures."""
    out = tmp_path / "report.html"
    assert run("explain", "100", "128", "--dense", "1", "--format", "html", "-o", str(out))[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "117,377" in page
    for title in ("one time step", "the stored tensors", "unrolled over T = 3"):
        assert title in page
    assert page.count("<svg") == 4  # the model, then the cell, the tensors and the unrolled view
    assert "sigmoid(x<sub>t</sub> U<sub>f</sub>" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "src=" not in page and "<link" not in page


@pytest.mark.parametrize(
    "args",
    [
        ("100", "128", "--dense", "1", "--format", "html"),
        ("100", "128", "--framework", "keras,pytorch", "--format", "html"),
        ("count", "32", "16", "8", "--cell", "gru", "--bidirectional", "--format", "html"),
    ],
)
def test_count_html_has_each_reports_tables_and_pictures(args: tuple[str, ...]) -> None:
    """``count --format html`` gives a page per report with its total, tables and pictures."""
    code, out, err = run(*args)
    assert code == 0, err
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert "<table>" in out and "<svg" in out and "<script" not in out


def test_inspect_html_reads_a_model_file(tmp_path: Path) -> None:
    """``inspect FILE --format html`` shows the file's count, and ``-o`` writes it."""
    seed = ROOT / "docs" / "examples" / "seed.keras"
    out = tmp_path / "seed.html"
    assert run("inspect", str(seed), "--format", "html", "-o", str(out))[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "117,377" in page and page.count("<svg") == 4
    assert run("draw", str(seed), "--view", "model")[1].count("117,377") >= 1


def test_html_page_is_unchanged(golden) -> None:  # type: ignore[no-untyped-def]
    """The explain page of the seed model equals its golden file (rewritten with --update-goldens)."""
    code, out, err = run("explain", "100", "128", "--dense", "1", "--format", "html")
    assert code == 0, err
    assert out == run("explain", "100", "128", "--dense", "1", "--format", "html")[1]
    golden("draw/explain-seed.html", out)

"""The fast paths of loading and validation give exactly what the full paths give.

``lstmcount check`` reads specs through shortcuts: the loader builds plain data without field
paths and works positions out only when an error needs one; validation accepts plain values
without building messages; spec instances and the counter's layer reports are filled without
their ``__init__``. Each shortcut hands anything unusual to the full path; these tests pin that
whatever it accepts, it reads as the full path does.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lstmcount.errors import SpecError
from lstmcount.io import loader
from lstmcount.model import spec
from lstmcount.model.report import LayerReport

ROOT = Path(__file__).parent.parent
SPEC_FILES = sorted((ROOT / "tests" / "catalogue").glob("*.y*ml")) + sorted((ROOT / "examples").glob("*.y*ml"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from check_files import spec_text  # noqa: E402 - the benchmark's spec generator, found by the path above


def typed(value: Any) -> Any:
    """``value`` with the type of every leaf beside it (1, 1.0 and True are equal in Python)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return (float, "nan")
    return (type(value), value)


def shallow(text: str) -> bool:
    """Whether ``text`` can be composed directly (libyaml's composer recurses, and overflows past some depth)."""
    try:
        loader._check_depth(text, "<text>")
    except (SpecError, yaml.YAMLError):
        return False
    return True


def texts() -> list[tuple[str, str]]:
    """Every catalogue and example YAML file nested within the limit, and specs like the benchmark's."""
    out = [(p.name, p.read_text(encoding="utf-8", errors="replace")) for p in SPEC_FILES]
    out = [(name, text) for name, text in out if shallow(text)]
    rng = random.Random(3)
    out += [(f"generated_{i}", spec_text(rng, i)[1]) for i in range(60)]
    out += [
        ("scalars", "a: 010\nb: 0x1F\nc: 1_000\nd: 1:30\ne: .inf\nf: -.5\ng: +1.5e+3\nh: ~\ni: yes\nj: ''\nk:\n"),
        ("tagged", "a: !!float 1e5\nb: !!int '12'\nc: !!str 12\nd: !!float +-1\ne: !!bool true\n"),
        ("keys", "1: a\ntrue: b\nnull: c\n? [x]\n: d\n"),
        ("aliases", "a: &x {b: 1}\nc: *x\n"),
    ]
    return out


@pytest.mark.parametrize(("name", "text"), texts(), ids=[n for n, _ in texts()])
def test_plain_data_reads_as_the_builder(name: str, text: str) -> None:
    """Where the fast builder accepts a composed document, its data equals the full builder's, types and all."""
    try:
        node = yaml.compose(text, Loader=loader._Composer)
    except yaml.YAMLError:
        return
    if node is None:
        return
    builder = loader._Builder(name)
    try:
        full = builder.build(node, "", 0)
    except (SpecError, RecursionError):
        full = None
        failed = True
    else:
        failed = False
    try:
        fast = loader._plain_data(node, text)
    except loader._UnusualError:
        return
    assert not failed, "the fast builder accepted a document the full builder refuses"
    assert typed(fast) == typed(full)


@pytest.mark.parametrize(("name", "text"), texts(), ids=[n for n, _ in texts()])
def test_resolver_memo_gives_the_safe_loaders_tags(name: str, text: str) -> None:
    """The composer that remembers scalar tags gives every node the tag PyYAML's safe loader gives it."""

    def tags(node: yaml.Node | None) -> Any:
        if node is None:
            return None
        if isinstance(node, yaml.ScalarNode):
            return (node.tag, node.value)
        if isinstance(node, yaml.SequenceNode):
            return (node.tag, [tags(n) for n in node.value])
        return (node.tag, [(tags(k), tags(v)) for k, v in node.value])

    try:
        reference = yaml.compose(text, Loader=loader._Loader)
    except yaml.YAMLError:
        return
    for _ in range(2):  # the second time from the memo
        assert tags(yaml.compose(text, Loader=loader._Composer)) == tags(reference)


@pytest.mark.parametrize("path", SPEC_FILES, ids=[p.name for p in SPEC_FILES])
def test_positions_found_later_are_the_builders(path: Path) -> None:
    """A document's positions, worked out on first use, are those the builder records while building."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        doc = loader.parse_text(text, path.name)
        eager = loader.parse_text(text, path.name, spans=True)
    except SpecError:
        return
    assert doc.positions == eager.positions
    assert typed(doc.data) == typed(eager.data)


def test_json_positions_found_later_are_the_builders(tmp_path: Path) -> None:
    """A JSON spec's positions, read by YAML only on first use, are the builder's; its data is json's."""
    data = {"framework": "pytorch", "input": {"features": 8}, "layers": [{"type": "gru", "units": 4}]}
    text = json.dumps({**data, "expect": {"total": 1.5e-3}}, indent=2)
    doc = loader.parse_text(text, "a.json", json_only=True)
    eager = loader.parse_text(text, "a.json", json_only=True, spans=True)
    assert doc.positions == eager.positions and doc.positions["layers[0].units"] == (9, 16)
    assert typed(doc.data) == typed(eager.data) == typed(json.loads(text))


def test_deep_json_takes_the_full_path_and_large_json_is_read() -> None:
    """JSON past the depth limit is refused as the YAML builder refuses it; a large honest document is read."""
    deep = "[" * (loader.MAX_DEPTH + 2) + "]" * (loader.MAX_DEPTH + 2)  # the innermost list is at depth 33
    with pytest.raises(SpecError, match="nested more than"):
        loader.parse_text(deep, "deep.json", json_only=True)
    large = {"layers": list(range(5 * loader.MAX_EXPANSION))}
    assert loader.parse_text(json.dumps(large), "large.json", json_only=True).data == large


VALUES: list[Any] = [None, True, False, 0, 1, -1, 7, 2**31 - 1, 2**31, 2**53 + 1, 10**400, 0.0, -0.0, 0.25, 1.0,
                     1.5, -0.5, float("nan"), float("inf"), "", " ", "x", "concat", "SUM", "Tanh", "relu", "valid",
                     "same", "keras", "PyTorch", "12", [], {}, {"a": 1}]  # fmt: skip
SPEC_CLASSES = [*spec.LAYER_CLASSES.values(), spec.InputSpec, spec.ExpectSpec]


@pytest.mark.parametrize("cls", SPEC_CLASSES, ids=[c.__name__ for c in SPEC_CLASSES])
def test_quick_check_accepts_only_what_convert_accepts_and_alike(cls: type) -> None:
    """For every field and many values, the quick check's value is _convert's value, of the same type."""
    declared, _, kinds = spec._declarations(cls)
    checks, _ = spec._checks(cls)
    for name, f in declared.items():
        for value in VALUES:
            quick = spec._quick(value, checks[name])
            if quick is spec._UNSURE:
                continue
            assert typed(quick) == typed(spec._convert(value, kinds[name], f, name)), (name, value)


@pytest.mark.parametrize("cls", [*SPEC_CLASSES, spec.ModelSpec, LayerReport], ids=lambda c: c.__name__)
def test_spec_instances_filled_at_once_equal_constructed_ones(cls: type) -> None:
    """_new gives what cls(**values) gives, attribute for attribute and in the same order."""
    assert not hasattr(cls, "__post_init__")
    assert all(f.init for f in dataclasses.fields(cls))
    required = {
        f.name: (spec.LSTMSpec(units=1),) if f.name == "layers" else 3
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    given = {**required, "name": "x", "trainable": False} if issubclass(cls, spec.LayerSpec) else required
    for values in (required, given):
        made, filled = cls(**values), spec._new(cls, dict(values))
        assert filled == made and type(filled) is cls
        assert list(vars(filled).items()) == list(vars(made).items())
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(filled, "name", "y")  # noqa: B010 - a frozen instance refuses any attribute
    if cls is spec.ExpectSpec:  # a default factory gives each instance its own mapping
        assert spec._new(cls, {}).layers is not spec._new(cls, {}).layers


def test_tensor_records_built_from_tuples_are_tensor_reports() -> None:
    """The counter's tuple-built tensor record is the TensorReport its constructor makes."""
    from lstmcount.counting.counter import _tensor
    from lstmcount.frameworks.base import Role
    from lstmcount.model.report import TensorReport

    fields = ("kernel", "lstm/lstm_cell/kernel", (3, 16), Role.INPUT, (), True, 0, 1, ("lstm/kernel",))
    made = _tensor(fields)
    assert type(made) is TensorReport and made == TensorReport(*fields) and made.direction == 1 and made.params == 48

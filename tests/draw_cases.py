"""The models the picture tests draw: every cell type and framework, and the extremes of size and naming."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstmcount import frameworks
from lstmcount.api import as_spec as load_spec
from lstmcount.api import compare
from lstmcount.draw import VIEWS, draw
from lstmcount.draw.svg import Canvas
from lstmcount.model.report import Report

CELLS = ("lstm", "gru", "simple_rnn")
LONG = "encoder_" + "x" * 44 + "_layer_1"  # 60 characters


@dataclass(frozen=True)
class Case:
    """One picture: a spec, the frameworks it is counted in, the view and its options."""

    name: str
    spec: dict[str, Any]
    frameworks: tuple[str, ...]
    view: str
    steps: int = 3
    layer: str | None = None

    def reports(self) -> list[Report]:
        """The reports the picture is drawn from."""
        comparison = compare(load_spec(self.spec), ",".join(self.frameworks))
        assert not comparison.failures, comparison.failures
        return list(comparison.reports)

    def canvas(self) -> Canvas:
        """The picture."""
        return draw(self.reports(), self.view, layer=self.layer, steps=self.steps)


def spec(cell: str, inputs: int, units: int, **layer: Any) -> dict[str, Any]:
    """A one-layer spec."""
    return {"input": {"features": inputs}, "layers": [{"type": cell, "units": units, **layer}]}


def _builds(s: dict[str, Any], fw: str) -> bool:
    from lstmcount.errors import LstmcountError

    try:
        return not compare(load_spec(s), fw).failures
    except LstmcountError:
        return False


def grid() -> list[Case]:
    """Every view of every cell in every framework, then the extremes."""
    cases = []
    for fw in frameworks.ids():
        for cell in CELLS:
            s = spec(cell, 10, 8)
            if not _builds(s, fw):
                continue
            for view in VIEWS:
                cases.append(Case(f"{fw}-{cell}-{view}", s, (fw,), view))
    sizes = [(1, 1), (3, 7), (100, 128), (4096, 4096), (1, 4096)]
    for inputs, units in sizes:
        for view in VIEWS:
            cases.append(Case(f"size-{inputs}x{units}-{view}", spec("lstm", inputs, units), ("pytorch",), view))
    long_bi = {
        "input": {"features": 32},
        "layers": [
            {
                "type": "lstm",
                "units": 64,
                "name": LONG,
                "bidirectional": True,
                "num_layers": 8,
                "return_sequences": True,
            },
            {"type": "gru", "units": 16, "name": "g" * 60},
            {"type": "dense", "units": 1, "name": "d" * 60},
        ],
    }
    for view in VIEWS:
        cases.append(Case(f"deep-bidirectional-{view}", long_bi, ("pytorch",), view, steps=9))
    stacked = {
        "input": {"features": 20},
        "layers": [{"type": "lstm", "units": 16, "name": f"lstm_{k}", "return_sequences": k < 7} for k in range(8)]
        + [{"type": "dense", "units": 3}],
    }
    for view in VIEWS:
        cases.append(Case(f"eight-layers-{view}", stacked, ("keras",), view, steps=1))
    options = [
        ("projection", spec("lstm", 100, 128, proj_size=64), "pytorch"),
        ("peepholes", spec("lstm", 100, 128, peepholes=True), "onnx"),
        ("tf1-peepholes-projection", spec("lstm", 30, 20, peepholes=True, num_proj=10, forget_bias=1.0), "tf1"),
        ("gru-reset-before", spec("gru", 12, 6, reset_after=False), "keras"),
        ("gru-reset-after-torch", spec("gru", 12, 6), "pytorch"),
        ("keras2-cudnn", spec("lstm", 12, 6), "keras2"),
        ("onnx-bidirectional-gru", spec("gru", 12, 6, bidirectional=True), "onnx"),
        ("no-bias", spec("lstm", 12, 6, use_bias=False), "keras"),
    ]
    for name, s, fw in options:
        if not _builds(s, fw):
            raise AssertionError(f"{name} does not build in {fw}")
        for view in ("cell", "tensors", "unrolled"):
            cases.append(Case(f"{name}-{view}", s, (fw,), view))
    pairs = [("pytorch", "onnx"), ("keras", "pytorch"), ("tf1", "paddle"), ("keras2", "flax")]
    for a, b in pairs:
        cases.append(Case(f"pair-{a}-{b}", spec("lstm", 10, 8), (a, b), "tensors"))
    cases.append(Case("pair-gru-keras-pytorch", spec("gru", 10, 8), ("keras", "pytorch"), "tensors"))
    cases.append(Case("long-sequence", spec("lstm", 10, 8), ("keras",), "unrolled", steps=2_000_000_000))
    return cases

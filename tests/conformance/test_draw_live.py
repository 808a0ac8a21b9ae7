"""The pictures name the real tensors: every tensor drawn, by path and shape, is one the real framework makes.

The model picture's per-layer counts and output shapes equal the real model's, and the blocks
the tensors picture draws add up to each tensor.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import ModuleType
from typing import Any

import pytest
from frameworks import build_keras, build_torch, keras_facts, spec_dict, torch_facts

from lstmcount.api import as_spec, count
from lstmcount.draw import draw
from lstmcount.renderers.report import shape_text

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.usefixtures("one_torch_thread"),
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN:UserWarning"),
]
SVG = "{http://www.w3.org/2000/svg}"

LAYERS: list[tuple[str, list[dict[str, Any]]]] = [
    ("lstm", [{"type": "lstm", "units": 7}]),
    ("gru", [{"type": "gru", "units": 5}]),
    ("rnn", [{"type": "simple_rnn", "units": 3}]),
    (
        "stacked-bidirectional",
        [{"type": "lstm", "units": 6, "bidirectional": True, "return_sequences": True}, {"type": "gru", "units": 4}],
    ),
    ("head", [{"type": "lstm", "units": 8}, {"type": "dense", "units": 2}]),
]
TORCH_ONLY: list[tuple[str, list[dict[str, Any]]]] = [
    ("projection", [{"type": "lstm", "units": 8, "proj_size": 3, "num_layers": 2}]),
    ("no-bias", [{"type": "gru", "units": 4, "use_bias": False, "bidirectional": True}]),
]


def _groups(svg: str) -> list[dict[str, str]]:
    root = ET.fromstring(svg.split("?>", 1)[1])
    return [
        {k.removeprefix("data-"): v for k, v in g.attrib.items() if k.startswith("data-")}
        for g in root.iter(SVG + "g")
        if any(k.startswith("data-") for k in g.attrib)
    ]


def _drawn_tensors(svg: str) -> dict[str, tuple[int, ...]]:
    return {d["tensor"]: tuple(int(v) for v in d["dims"].split(",")) for d in _groups(svg) if "tensor" in d}


def _drawn_layers(svg: str) -> dict[str, tuple[int, str]]:
    return {d["layer"]: (int(d["params"]), d["shape"]) for d in _groups(svg) if d.get("layer")}


def _check(spec: dict[str, Any], framework: str, facts: list[dict[str, Any]]) -> None:
    report = count(spec, framework)
    tensors_svg = draw([report], "tensors").svg()
    real = {t["path"]: tuple(t["shape"]) for layer in facts for t in layer["tensors"]}
    recurrent = {t.path for layer in report.layers if layer.recurrent for t in layer.tensors}
    assert _drawn_tensors(tensors_svg) == {p: s for p, s in real.items() if p in recurrent}
    assert recurrent <= set(real)
    # the blocks drawn in each tensor add up to it
    blocks: dict[str, int] = {}
    for d in _groups(tensors_svg):
        if "path" in d:
            blocks[d["path"]] = blocks.get(d["path"], 0) + int(d["params"])
    for path, dims in _drawn_tensors(tensors_svg).items():
        n = 1
        for v in dims:
            n *= v
        assert blocks[path] == n, path
    model = _drawn_layers(draw([report], "model").svg())
    for layer in facts:
        assert model[layer["name"]] == (layer["params"], shape_text(tuple(layer["output_shape"])))


@pytest.mark.parametrize(("name", "layers"), LAYERS + TORCH_ONLY, ids=[n for n, _ in LAYERS + TORCH_ONLY])
def test_pictures_name_the_real_pytorch_tensors(name: str, layers: list[dict[str, Any]], torch: ModuleType) -> None:
    """Every tensor the PyTorch pictures draw is a real parameter of that path and shape, and none is missing."""
    spec = spec_dict("pytorch", {"features": 10, "timesteps": 4}, *layers)
    model_spec = as_spec(spec)
    report = count(spec, "pytorch")
    module = build_torch(model_spec, report)
    _check(spec, "pytorch", torch_facts(module, model_spec, report))


@pytest.mark.parametrize(("name", "layers"), LAYERS, ids=[n for n, _ in LAYERS])
def test_pictures_name_the_real_keras_tensors(name: str, layers: list[dict[str, Any]], keras: ModuleType) -> None:
    """Every tensor the Keras pictures draw is a real weight of that path and shape, and none is missing."""
    spec = spec_dict("keras", {"features": 10, "timesteps": 4}, *layers)
    model_spec = as_spec(spec)
    report = count(spec, "keras")
    model = build_keras(model_spec, report)
    _check(spec, "keras", keras_facts(model))

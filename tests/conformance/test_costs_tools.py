"""Run torchinfo, thop, ptflops, calflops and torchprofile on real PyTorch models and compare with compat.py."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import warnings
from types import ModuleType
from typing import Any

import pytest

from lstmcount.api import count_dict
from lstmcount.counting import compat
from lstmcount.model.report import Report
from lstmcount.model.spec import LayerType

pytestmark = pytest.mark.conformance

B, T = 3, 5

#: (id, spec layers, input) — every recurrent cell, bidirectional, stacked, projection, heads.
MODELS: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    ("lstm", [{"type": "lstm", "units": 128}], {"features": 100}),
    ("lstm_dense", [{"type": "lstm", "units": 16}, {"type": "dense", "units": 3}], {"features": 10}),
    (
        "gru_seq_dense",
        [{"type": "gru", "units": 12, "return_sequences": True}, {"type": "dense", "units": 4}],
        {"features": 6},
    ),
    ("rnn", [{"type": "simple_rnn", "units": 9}], {"features": 5}),
    ("bilstm_stacked", [{"type": "lstm", "units": 8, "bidirectional": True, "num_layers": 2}], {"features": 6}),
    ("bigru_stacked", [{"type": "gru", "units": 7, "bidirectional": True, "num_layers": 3}], {"features": 4}),
    ("birnn_nobias", [{"type": "simple_rnn", "units": 6, "bidirectional": True, "use_bias": False}], {"features": 3}),
    (
        "lstm_proj_bi_stacked",
        [
            {"type": "lstm", "units": 12, "proj_size": 5, "bidirectional": True, "num_layers": 2},
            {"type": "dense", "units": 2},
        ],
        {"features": 7},
    ),
    (
        "embedding_lstm_norm_dropout",
        [
            {"type": "embedding", "dim": 8},
            {"type": "lstm", "units": 10, "return_sequences": True},
            {"type": "layer_normalization"},
            {"type": "dropout", "rate": 0.2},
            {"type": "dense", "units": 1},
        ],
        {"vocab": 50},
    ),
    ("conv_lstm", [{"type": "conv1d", "filters": 6, "kernel_size": 3}, {"type": "lstm", "units": 5}], {"features": 4}),
]


def _report(layers: list[dict[str, Any]], inp: dict[str, Any]) -> Report:
    return count_dict({"framework": "pytorch", "input": {**inp, "timesteps": T}, "layers": layers})


def build(torch: ModuleType, report: Report) -> Any:
    """A PyTorch module with the layers of a PyTorch-layout report, fed (batch, steps, features)."""
    nn = torch.nn
    mods: list[Any] = []
    for layer in report.layers:
        if layer.recurrent:
            cell = layer.cells[0]
            kwargs: dict[str, Any] = {
                "num_layers": len(layer.cells),
                "bias": cell.bias_vectors > 0,
                "batch_first": True,
                "bidirectional": layer.directions == 2,
            }
            if cell.proj_size:
                kwargs["proj_size"] = cell.proj_size
            cls = {LayerType.LSTM: nn.LSTM, LayerType.GRU: nn.GRU, LayerType.SIMPLE_RNN: nn.RNN}[layer.type]
            mods.append(cls(cell.input_size, cell.units, **kwargs))
        elif layer.type is LayerType.DENSE:
            width = int(layer.input_shape[-1] or 0)
            mods.append(nn.Linear(width, int(layer.output_shape[-1] or 0), bias=len(layer.tensors) > 1))
        elif layer.type is LayerType.CONV1D:
            weight = layer.tensors[0].shape  # (F, I, K)
            mods.append(nn.Conv1d(weight[1], weight[0], weight[2], bias=len(layer.tensors) > 1))
        elif layer.type is LayerType.EMBEDDING:
            mods.append(nn.Embedding(*layer.tensors[0].shape))
        elif layer.type is LayerType.LAYER_NORMALIZATION:
            mods.append(nn.LayerNorm(int(layer.input_shape[-1] or 0)))
        else:
            mods.append(nn.Dropout(0.2))

    class Model(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(mods)

        def forward(self, x: Any) -> Any:
            for layer, mod in zip(report.layers, self.layers, strict=True):
                if layer.type is LayerType.CONV1D:
                    x = mod(x.transpose(1, 2)).transpose(1, 2)
                elif layer.recurrent:
                    x = mod(x)[0]
                    if len(layer.output_shape) == 2:
                        x = x[:, -1]
                else:
                    x = mod(x)
            return x

    return Model().eval()


def _input(torch: ModuleType, report: Report) -> Any:
    if report.layers[0].type is LayerType.EMBEDDING:
        return torch.randint(0, report.layers[0].tensors[0].shape[0], (B, T))
    return torch.randn(B, T, int(report.input_shape[-1] or 0))


def _tool(name: str) -> ModuleType:
    """Import a tool of the compat extra; skip without it (fail in CI, where the extra is installed)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if os.environ.get("LSTMCOUNT_REQUIRE_FRAMEWORKS") == "1":
            pytest.fail(f"{name} is required here (pip install -e '.[compat]'): {exc}")
        pytest.skip(f"{name} is not installed (pip install -e '.[compat]')")


@pytest.fixture(params=MODELS, ids=[m[0] for m in MODELS])
def case(request: pytest.FixtureRequest, torch: ModuleType) -> tuple[Report, Any, Any]:
    """A report, the PyTorch model it describes, and an input batch."""
    _, layers, inp = request.param
    report = _report(layers, inp)
    torch.manual_seed(0)
    model = build(torch, report)
    params = sum(p.numel() for p in model.parameters())
    assert params == report.total, "the test model must match the report before comparing costs"
    return report, model, _input(torch, report)


def test_torchinfo_total_mult_adds(case: tuple[Report, Any, Any]) -> None:
    """torchinfo's total mult-adds equals compat.torchinfo_macs."""
    torchinfo = _tool("torchinfo")
    report, model, x = case
    stats = torchinfo.summary(model, input_data=[x], verbose=0)
    assert stats.total_mult_adds == compat.torchinfo_macs(report, B, T)


def test_thop_profile(case: tuple[Report, Any, Any]) -> None:
    """thop.profile's total ops equals compat.thop_macs."""
    _tool("thop")
    from thop import profile

    report, model, x = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ops, _ = profile(model, inputs=(x,), verbose=False)
    assert int(ops) == compat.thop_macs(report, B, T)


def test_ptflops(case: tuple[Report, Any, Any]) -> None:
    """ptflops' MACs (pytorch backend) equal compat.ptflops_macs."""
    ptflops = _tool("ptflops")
    report, model, x = case
    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = ptflops.get_model_complexity_info(
            model,
            tuple(x.shape[1:]),
            input_constructor=lambda _shape: {"x": x},
            as_strings=False,
            print_per_layer_stat=False,
            backend="pytorch",
        )
    assert macs == compat.ptflops_macs(report, B, T)


def test_torchprofile(case: tuple[Report, Any, Any]) -> None:
    """torchprofile.profile_macs equals compat.torchprofile_macs (0 for GRU and RNN)."""
    torchprofile = _tool("torchprofile")
    report, model, x = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        macs = torchprofile.profile_macs(model, x)
    assert macs == compat.torchprofile_macs(report, B, T)


def test_calflops(case: tuple[Report, Any, Any]) -> None:
    """calflops' MACs and FLOPs equal compat.calflops_macs and compat.calflops_flops."""
    try:
        calflops = importlib.import_module("calflops")
    except ImportError as exc:  # it imports transformers without declaring it
        pytest.skip(f"calflops cannot be imported here: {exc}")
    report, model, x = case
    with contextlib.redirect_stdout(io.StringIO()):
        flops, macs, _ = calflops.calculate_flops(model, args=[x], print_results=False, output_as_string=False)
    assert (macs, flops) == (compat.calflops_macs(report, B, T), compat.calflops_flops(report, B, T))


def test_issue_example_spread() -> None:
    """LSTM(100→128), one step of one sequence: the tools' numbers as measured, and 116,736 for ours."""
    report = count_dict(
        {"framework": "pytorch", "input": {"features": 100, "timesteps": 1}, "layers": [{"type": "lstm", "units": 128}]}
    )
    got = {name: number for name, number, _ in compat.compat_counts(report, 1, 1)}
    assert got == {"torchinfo": 117_760, "thop": 118_784, "ptflops": 119_040, "calflops": 0, "torchprofile": 116_736}


REFERENCE = os.path.join(os.path.dirname(__file__), "data", "calflops_reference.json")


@pytest.mark.parametrize("name", [m[0] for m in MODELS])
def test_calflops_recorded_output(name: str) -> None:
    """compat reproduces calflops' own output, recorded from calflops 0.3.2 on torch 2.13.0.

    calflops imports transformers without declaring it, so it cannot be installed beside this
    project's pins; its real numbers for these models were recorded once with it installed in an
    environment of its own, and are checked here on every run.
    """
    import json

    with open(REFERENCE, encoding="utf-8") as fh:
        reference = json.load(fh)
    assert (reference["batch"], reference["timesteps"]) == (B, T)
    layers, inp = next((m[1], m[2]) for m in MODELS if m[0] == name)
    report = _report(layers, inp)
    recorded = reference["cases"][name]
    assert compat.calflops_macs(report, B, T) == recorded["macs"]
    assert compat.calflops_flops(report, B, T) == recorded["flops"]


def _headline(report: Report, tool: str) -> compat.Headline:
    return next(h for h in compat.headlines(report, B, T) if h.tool == tool)


def test_torchinfo_prints_what_lstmcount_says_it_prints(case: tuple[Report, Any, Any]) -> None:
    """The `Total mult-adds` line of torchinfo's summary is the line lstmcount shows for it."""
    torchinfo = _tool("torchinfo")
    report, model, x = case
    text = str(torchinfo.summary(model, input_data=[x], verbose=0))
    assert _headline(report, "torchinfo").printed in text.splitlines()


def test_thop_prints_what_lstmcount_says_it_prints(case: tuple[Report, Any, Any]) -> None:
    """thop's clever_format of its profile is the text lstmcount shows for it."""
    _tool("thop")
    from thop import clever_format, profile

    report, model, x = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ops, _ = profile(model, inputs=(x,), verbose=False)
    assert clever_format(ops, "%.3f") == _headline(report, "thop").printed


def test_ptflops_prints_what_lstmcount_says_it_prints(case: tuple[Report, Any, Any]) -> None:
    """ptflops' string result is the text lstmcount shows for it."""
    ptflops = _tool("ptflops")
    report, model, x = case
    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = ptflops.get_model_complexity_info(
            model,
            tuple(x.shape[1:]),
            input_constructor=lambda _shape: {"x": x},
            as_strings=True,
            print_per_layer_stat=False,
            backend="pytorch",
        )
    assert macs == _headline(report, "ptflops").printed


def test_each_tools_headline_for_the_issue_example() -> None:
    """LSTM(100→128), one step of one sequence: calflops leads with 234,752 FLOPs (234.75 KFLOPS), the others MACs."""
    report = count_dict(
        {"framework": "pytorch", "input": {"features": 100, "timesteps": 1}, "layers": [{"type": "lstm", "units": 128}]}
    )
    got = {h.tool: (h.metric, h.number, h.printed) for h in compat.headlines(report, 1, 1)}
    assert got["calflops"] == ("FLOPs", 234_752, "234.75 KFLOPS")
    assert got["torchprofile"] == ("MACs", 116_736, "116736")
    assert {h.tool: h.macs for h in compat.headlines(report, 1, 1)}["calflops"] == 0

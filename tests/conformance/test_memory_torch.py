"""Check the training activation estimate against the tensors PyTorch's autograd really saves on CPU."""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

import pytest

from lstmcount.api import count_dict
from lstmcount.counting.costs import estimate
from lstmcount.model.report import Report
from lstmcount.model.spec import LayerType

pytestmark = pytest.mark.conformance

B, T = 4, 7

#: Relative tolerance of the estimate against PyTorch's native CPU kernels (oneDNN off). Every
#: case below matches exactly except a bidirectional layer reading the model input, where the
#: kernel keeps one more (time-reversed) copy of that input: T·B·I floats, 2–5 % here.
TOLERANCE = 0.05

CASES: list[tuple[str, list[dict[str, Any]], int]] = [
    ("lstm", [{"type": "lstm", "units": 128}], 100),
    ("gru", [{"type": "gru", "units": 128}], 100),
    ("rnn", [{"type": "simple_rnn", "units": 128}], 100),
    ("lstm_seq", [{"type": "lstm", "units": 32, "return_sequences": True}], 10),
    ("stacked", [{"type": "lstm", "units": 32, "num_layers": 2}], 10),
    ("bilstm_stacked", [{"type": "lstm", "units": 32, "num_layers": 2, "bidirectional": True}], 10),
    ("bigru_stacked", [{"type": "gru", "units": 32, "num_layers": 2, "bidirectional": True}], 10),
    (
        "rnn_then_birnn",
        [
            {"type": "simple_rnn", "units": 32, "return_sequences": True},
            {"type": "simple_rnn", "units": 32, "bidirectional": True},
        ],
        10,
    ),
    ("proj", [{"type": "lstm", "units": 32, "proj_size": 8}], 10),
    ("lstm_dense", [{"type": "lstm", "units": 32}, {"type": "dense", "units": 4}], 10),
    (
        "lstm_seq_norm_dense",
        [
            {"type": "lstm", "units": 32, "return_sequences": True},
            {"type": "layer_normalization"},
            {"type": "dense", "units": 4},
        ],
        10,
    ),
]


def build(torch: ModuleType, report: Report) -> Any:
    """A PyTorch model of a PyTorch-layout report; the last step is cloned out of the sequence.

    ``out[:, -1]`` would be a view, and a view saved by the next layer keeps the whole
    (B, T, H) output alive; the copy keeps the comparison about the layers themselves.
    """
    nn = torch.nn
    mods: list[Any] = []
    for layer in report.layers:
        if layer.recurrent:
            cell = layer.cells[0]
            cls = {LayerType.LSTM: nn.LSTM, LayerType.GRU: nn.GRU, LayerType.SIMPLE_RNN: nn.RNN}[layer.type]
            extra = {"proj_size": cell.proj_size} if cell.proj_size else {}
            mods.append(
                cls(
                    cell.input_size,
                    cell.units,
                    num_layers=len(layer.cells),
                    batch_first=True,
                    bidirectional=layer.directions == 2,
                    **extra,
                )
            )
        elif layer.type is LayerType.DENSE:
            mods.append(nn.Linear(int(layer.input_shape[-1] or 0), int(layer.output_shape[-1] or 0)))
        else:
            mods.append(nn.LayerNorm(int(layer.input_shape[-1] or 0)))

    class Model(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(mods)

        def forward(self, x: Any) -> Any:
            for layer, mod in zip(report.layers, self.layers, strict=True):
                if layer.recurrent:
                    x = mod(x)[0]
                    if len(layer.output_shape) == 2:
                        x = x[:, -1].clone()
                else:
                    x = mod(x)
            return x

    return Model().train()


def saved_bytes(torch: ModuleType, model: Any, x: Any, mkldnn: bool) -> int:
    """Bytes of the storages autograd saves in one forward pass, each once, parameters left out."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: Any) -> Any:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.backends.mkldnn.flags(enabled=mkldnn), torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(x)
    return sum(seen.values())


@pytest.mark.parametrize(("name", "layers", "features"), CASES, ids=[c[0] for c in CASES])
def test_training_activations_match_saved_tensors(
    torch: ModuleType, name: str, layers: list[dict[str, Any]], features: int
) -> None:
    """The BPTT estimate is within TOLERANCE of autograd's saved tensors with oneDNN off; with it on, printed."""
    report = count_dict({"framework": "pytorch", "input": {"features": features}, "layers": layers})
    torch.manual_seed(0)
    model = build(torch, report)
    x = torch.randn(B, T, features)
    estimated = estimate(report, B, T).memory.training_activations.bytes
    assert estimated is not None
    native = saved_bytes(torch, model, x, mkldnn=False)
    onednn = saved_bytes(torch, model, x, mkldnn=True)
    print(
        f"{name}: estimate {estimated:,} B; saved without oneDNN {native:,} B "
        f"({estimated / native:.3f}); with oneDNN {onednn:,} B ({estimated / onednn:.3f})"
    )
    assert abs(estimated - native) <= TOLERANCE * native
    # oneDNN keeps its own workspace on top of what the step needs: never less than the estimate's inputs
    assert onednn >= native * (1 - TOLERANCE)


def test_lstm_exact_bytes(torch: ModuleType) -> None:
    """LSTM(100→128), B=4, T=7 without oneDNN: x plus 7·H floats per step per sequence, exactly as estimated."""
    spec = {"framework": "pytorch", "input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}]}
    report = count_dict(spec)
    model = build(torch, report)
    native = saved_bytes(torch, model, torch.randn(B, T, 100), mkldnn=False)
    assert native == 4 * (B * T * 100 + B * T * 7 * 128) == estimate(report, B, T).memory.training_activations.bytes

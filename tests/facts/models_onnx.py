"""ONNX models saved as the files people have, with what ONNX (and PyTorch, for exported models) says about each.

Two kinds of case. An *exported* case is a PyTorch module written by both of PyTorch's
exporters: the dynamo exporter (``torch.onnx.export(dynamo=True)``) with its weights in
``<case>.onnx.data`` ("dynamo") and inline ("inline"), and the TorchScript exporter
(``dynamo=False``, "torchscript"). A *built* case is a graph made with ``onnx.helper``, saved
inline ("built"), with every tensor in one external file ("external") and with one external
file per tensor ("external_per_tensor", in a directory of its own).

The facts are read back from each saved file with the ``onnx`` package
(``onnx.load(path, load_external_data=False)``: its initializers, nodes and attributes). The
file's tensors are its initializers (of the graph, of the graphs inside its nodes, sparse ones
by their dense shape) and its ``Constant`` nodes' values. A parameter is a floating-point one
of them; not parameters: integer tensors (shapes, indices) and a recurrent node's initial
states (its ``initial_h`` and ``initial_c`` inputs, through the operators that only rearrange
them). ONNX trains every parameter but BatchNormalization's running statistics (its
``input_mean`` and ``input_var``). For an exported case the counts and the recurrent modules'
arguments are PyTorch's own, checked against the file's tensors; a recurrent module is listed
only when the file holds it as ``LSTM``, ``GRU`` or ``RNN`` nodes. Where the exporter unrolled
the recurrence instead (the dynamo exporter unrolls ``nn.RNN`` into ``MatMul`` nodes, one per
time step, reading the same weights), the counts are the file's own: the exporter folds the
first step's product with the zero initial state into a tensor of the graph (``W_hh·0 + b_hh``),
which the file holds besides the module's parameters. ``tests/modelfiles.py`` compares
``lstmcount inspect`` with the facts.

Not exported: an LSTM with ``proj_size`` (the TorchScript exporter refuses it; the dynamo
exporter of torch 2.13 writes an ``LSTM`` node of ``hidden_size`` = ``proj_size`` without the
projection, a different model), and an ``nn.LSTMCell`` looped in ``forward`` (both exporters
write ``Gemm`` nodes with the zero initial states as tensors of the graph, which no reading of
the file tells from weights).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from math import prod
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

#: the forms of an exported case and of a built one
EXPORTED_FORMS = ("dynamo", "inline", "torchscript")
BUILT_FORMS = ("built", "external", "external_per_tensor")
#: every form a case is saved in (each case in those of its kind)
FORMS = EXPORTED_FORMS + BUILT_FORMS
#: the forms a large case is recorded in (the live tests save every form)
RECORDED_FORMS = {
    "lstm_100_128": ("dynamo",),
    "lstm_wide_input": ("torchscript",),
    "rnn_relu_stacked_bidirectional": ("torchscript",),
}

#: ONNX's floating-point data types
FLOATS = frozenset(
    {
        TensorProto.FLOAT,
        TensorProto.DOUBLE,
        TensorProto.FLOAT16,
        TensorProto.BFLOAT16,
        TensorProto.COMPLEX64,
        TensorProto.COMPLEX128,
    }
)
#: recurrent operators and the input positions of their initial states (ONNX's initial_h, initial_c)
STATE_INPUTS = {"LSTM": (5, 6), "GRU": (5,), "RNN": (5,)}
#: operators that only rearrange a tensor (its data inputs): a state reaches its node through them
REARRANGE = {
    "Slice": (0,),
    "Concat": None,
    "Unsqueeze": (0,),
    "Squeeze": (0,),
    "Transpose": (0,),
    "Reshape": (0,),
    "Identity": (0,),
    "Cast": (0,),
    "Expand": (0,),
}
#: lstmcount's layer name for a recurrent layer of no module path (an exported bare module)
BARE = {"LSTM": "lstm", "GRU": "gru", "RNN": "simple_rnn"}


# --- exported from PyTorch -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    """A PyTorch module (built with a fixed seed) and the input it is exported with."""

    module: Callable[[], Any]
    example: Callable[[], tuple[Any, ...]]


@cache
def _modules() -> dict[str, type]:
    """The PyTorch modules of the exported cases (torch is imported only when one is exported)."""
    import torch
    from torch import nn

    class Encoder(nn.Module):
        """One recurrent module under the name ``rnn``, returning its sequence."""

        def __init__(self, rnn: nn.Module) -> None:
            super().__init__()
            self.rnn = rnn

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.rnn(x)[0]  # type: ignore[no-any-return]

    class EncoderHead(nn.Module):
        """A 3-layer LSTM two modules down (``encoder.rnn``) and a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = Encoder(nn.LSTM(5, 4, num_layers=3))
            self.head = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(x))  # type: ignore[no-any-return]

    class Tagger(nn.Module):
        """Embedding, a batch-first LSTM and a linear head: a sequence tagger."""

        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(50, 8)
            self.lstm = nn.LSTM(8, 16, batch_first=True)
            self.head = nn.Linear(16, 5)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(self.embedding(ids))[0])  # type: ignore[no-any-return]

    class ConvRecurrent(nn.Module):
        """A 1-D convolution, a batch-first LSTM, a layer normalization and a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(6, 9, kernel_size=3)
            self.lstm = nn.LSTM(9, 12, batch_first=True)
            self.norm = nn.LayerNorm(12)
            self.head = nn.Linear(12, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.conv(x).transpose(1, 2)
            return self.head(self.norm(self.lstm(y)[0]))  # type: ignore[no-any-return]

    class GivenStates(nn.Module):
        """An LSTM whose initial states are the model's inputs, as a decoder's are."""

        def __init__(self) -> None:
            super().__init__()
            self.lstm = nn.LSTM(5, 4, num_layers=2)

        def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor) -> torch.Tensor:
            return self.lstm(x, (h0, c0))[0]  # type: ignore[no-any-return]

    class BufferState(nn.Module):
        """A bidirectional GRU started from a state the module keeps as a buffer (not a parameter)."""

        def __init__(self) -> None:
            super().__init__()
            self.gru = nn.GRU(5, 3, bidirectional=True)
            self.register_buffer("h0", torch.full((2, 1, 3), 0.25))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.gru(x, self.h0)[0]  # type: ignore[no-any-return]

    return {
        "GivenStates": GivenStates,
        "BufferState": BufferState,
        "Encoder": Encoder,
        "EncoderHead": EncoderHead,
        "Tagger": Tagger,
        "ConvRecurrent": ConvRecurrent,
    }


def _nn() -> Any:
    from torch import nn

    return nn


def _zeros(*shape: int) -> Callable[[], tuple[Any, ...]]:
    """An example input of zeros (a time-major sequence unless the module says otherwise)."""
    return _inputs(shape)


def _inputs(*shapes: tuple[int, ...]) -> Callable[[], tuple[Any, ...]]:
    """Example inputs of zeros, one of each shape."""

    def make() -> tuple[Any, ...]:
        import torch

        return tuple(torch.zeros(*shape) for shape in shapes)

    return make


def _ids(*shape: int) -> Callable[[], tuple[Any, ...]]:
    def make() -> tuple[Any, ...]:
        import torch

        return (torch.zeros(*shape, dtype=torch.long),)

    return make


EXPORTED: dict[str, Exported] = {
    # 51,200 and 65,536 elements: the dynamo exporter keeps weight_ih_l0 and weight_hh_l0 (sliced into
    # ONNX's gate order), and folds the biases into one val_N
    "lstm_100_128": Exported(lambda: _nn().LSTM(100, 128), _zeros(5, 1, 100)),
    # weight_ih_l0 (9,600 elements) is kept by name, weight_hh_l0 (256) folded
    "lstm_wide_input": Exported(lambda: _nn().LSTM(300, 8), _zeros(3, 1, 300)),
    "gru_bidirectional": Exported(lambda: _nn().GRU(5, 4, bidirectional=True), _zeros(3, 1, 5)),
    "lstm_stacked_2": Exported(lambda: _nn().LSTM(6, 5, num_layers=2), _zeros(3, 1, 6)),
    "lstm_stacked_3_nested": Exported(lambda: _modules()["EncoderHead"](), _zeros(3, 1, 5)),
    "lstm_bidirectional_stacked": Exported(
        lambda: _modules()["Encoder"](_nn().LSTM(5, 4, num_layers=2, bidirectional=True)), _zeros(3, 1, 5)
    ),
    "gru_bidirectional_stacked_no_bias": Exported(
        lambda: _modules()["Encoder"](_nn().GRU(7, 9, num_layers=2, bidirectional=True, bias=False)),
        _zeros(3, 1, 7),
    ),
    "lstm_no_bias": Exported(lambda: _nn().LSTM(5, 4, bias=False), _zeros(3, 1, 5)),
    "gru_batch_first": Exported(lambda: _nn().GRU(5, 6, batch_first=True), _zeros(1, 3, 5)),
    "tagger": Exported(lambda: _modules()["Tagger"](), _ids(1, 3)),
    "conv_recurrent": Exported(lambda: _modules()["ConvRecurrent"](), _zeros(1, 6, 10)),
    "rnn_tanh": Exported(lambda: _nn().RNN(5, 4), _zeros(3, 1, 5)),
    "rnn_relu": Exported(lambda: _nn().RNN(5, 4, nonlinearity="relu"), _zeros(3, 1, 5)),
    "rnn_relu_stacked_bidirectional": Exported(
        lambda: _modules()["Encoder"](_nn().RNN(4, 3, num_layers=2, bidirectional=True, nonlinearity="relu")),
        _zeros(3, 1, 4),
    ),
    "lstm_states_given": Exported(lambda: _modules()["GivenStates"](), _inputs((3, 1, 5), (2, 1, 4), (2, 1, 4))),
    "gru_buffer_state": Exported(lambda: _modules()["BufferState"](), _zeros(3, 1, 5)),
}


def _pytorch_recurrent(model: Any) -> list[dict[str, Any]]:
    """Each recurrent module's constructor arguments, as PyTorch holds them, under lstmcount's layer path."""
    from torch import nn

    out = []
    for path, module in model.named_modules():
        if not isinstance(module, nn.RNNBase):
            continue
        cls = type(module).__name__
        entry = {
            "path": path or BARE[cls],
            "class": cls,
            "input_size": module.input_size,
            "hidden_size": module.hidden_size,
            "num_layers": module.num_layers,
            "bidirectional": module.bidirectional,
            "bias": module.bias,
            "proj_size": getattr(module, "proj_size", 0),
        }
        # PyTorch's formulas in ONNX's terms: an LSTM has no peepholes, a GRU resets after the product
        if cls == "LSTM":
            entry["peepholes"] = False
        elif cls == "GRU":
            entry["linear_before_reset"] = 1
        else:
            entry["activation"] = module.nonlinearity
        out.append(entry)
    return out


def _export(name: str, out: Path, forms: tuple[str, ...]) -> dict[str, Any]:
    """Export case ``name`` in each of ``forms``; PyTorch's facts, with each file's own (its tensors' names)."""
    import torch

    case = EXPORTED[name]
    torch.manual_seed(0)
    model = case.module().eval()
    with torch.no_grad():  # no parameter holds its initial value (a LayerNorm's zeros, a Linear's uniform range)
        for p in model.parameters():
            p.uniform_(0.1, 0.5)
    args = case.example()
    files: dict[str, str] = {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        if {"dynamo", "inline"} & set(forms):
            program = torch.onnx.export(model, args, dynamo=True, verbose=False)
            assert program is not None
            if "dynamo" in forms:
                program.save(out / f"{name}.onnx", external_data=True)
                files[f"{name}.onnx"] = "dynamo"
            if "inline" in forms:
                program.save(out / f"{name}.inline.onnx", external_data=False)
                files[f"{name}.inline.onnx"] = "inline"
        if "torchscript" in forms:
            torch.onnx.export(model, args, out / f"{name}.torchscript.onnx", dynamo=False)
            files[f"{name}.torchscript.onnx"] = "torchscript"
    total = sum(p.numel() for p in model.parameters())
    recurrent = _pytorch_recurrent(model)
    layers = sum(m["num_layers"] * (2 if m["bidirectional"] else 1) for m in recurrent)
    per_form = {}
    for file, form in files.items():
        found = read(out / file)
        nodes = len(found["recurrent"])
        directions = sum(r["num_layers"] * (2 if r["bidirectional"] else 1) for r in found["recurrent"])
        own: dict[str, Any] = {}
        if nodes == 0:  # the exporter unrolled every recurrence: no recurrent layer is in the file
            assert found["total"] >= total, f"{file}: its weights hold {found['total']:,}, PyTorch counts {total:,}"
            own = {"total": found["total"], "trainable": found["trainable"]}
            kept: list[dict[str, Any]] = []
        else:
            assert directions == layers, f"{file}: {directions} recurrent node directions, PyTorch has {layers}"
            assert found["total"] == total, f"{file}: its weights hold {found['total']:,}, PyTorch counts {total:,}"
            kept = recurrent
        per_form[form] = {
            **own,
            "file_total": found["file_total"],
            "parameters": found["parameters"],
            "state_dict": found["state_dict"],
            "recurrent": kept,
        }
    return {
        "total": total,
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "files": files,
        "forms": per_form,
    }


# --- built with onnx.helper ------------------------------------------------------------------------------------


def _weight(rng: np.random.Generator, name: str, *shape: int) -> TensorProto:
    """An initializer of non-zero random values."""
    return numpy_helper.from_array(rng.uniform(0.1, 0.5, shape).astype(np.float32), name)


def _zero(name: str, *shape: int) -> TensorProto:
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def _ints(name: str, *values: int) -> TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _float(name: str, *shape: int | str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


def _model(
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: list[TensorProto],
    opset: int,
    **graph: Any,
) -> onnx.ModelProto:
    """A checked model of one graph, in the default domain at ``opset``."""
    model = helper.make_model(
        helper.make_graph(nodes, "model", inputs, outputs, initializers, **graph),
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name="onnx.helper",
    )
    # onnx's shape inference does not see a sparse initializer's shape (onnxruntime runs the model)
    onnx.checker.check_model(model, full_check=not graph.get("sparse_initializer"))
    return model


def _lstm_peepholes() -> onnx.ModelProto:
    """An LSTM with peepholes P and zero initial states given as initializers."""
    rng = np.random.default_rng(1)
    I, H = 6, 5
    inits = [
        _weight(rng, "encoder.W", 1, 4 * H, I),
        _weight(rng, "encoder.R", 1, 4 * H, H),
        _weight(rng, "encoder.B", 1, 8 * H),
        _weight(rng, "encoder.P", 1, 3 * H),
        _zero("encoder.initial_h", 1, 1, H),
        _zero("encoder.initial_c", 1, 1, H),
    ]
    node = helper.make_node(
        "LSTM",
        ["x", "encoder.W", "encoder.R", "encoder.B", "", "encoder.initial_h", "encoder.initial_c", "encoder.P"],
        ["y", "y_h", "y_c"],
        name="/encoder/LSTM",
        hidden_size=H,
    )
    return _model([node], [_float("x", 7, 1, I)], [_float("y_h", 1, 1, H)], inits, 22)


def _lstm_reverse() -> onnx.ModelProto:
    """An LSTM running in reverse, without biases."""
    rng = np.random.default_rng(2)
    I, H = 4, 3
    inits = [_weight(rng, "backward.W", 1, 4 * H, I), _weight(rng, "backward.R", 1, 4 * H, H)]
    node = helper.make_node(
        "LSTM",
        ["x", "backward.W", "backward.R"],
        ["y"],
        name="/backward/LSTM",
        hidden_size=H,
        direction="reverse",
    )
    return _model([node], [_float("x", 5, 2, I)], [_float("y", 5, 1, 2, H)], inits, 14)


def _gru(linear_before_reset: int, bidirectional: bool, name: str, opset: int) -> onnx.ModelProto:
    rng = np.random.default_rng(3 + linear_before_reset)
    D = 2 if bidirectional else 1
    I, H = 5, 4
    path = name.strip("/").rsplit("/", 1)[0].replace("/", ".")
    inits = [
        _weight(rng, f"{path}.W", D, 3 * H, I),
        _weight(rng, f"{path}.R", D, 3 * H, H),
        _weight(rng, f"{path}.B", D, 6 * H),
    ]
    node = helper.make_node(
        "GRU",
        ["x", f"{path}.W", f"{path}.R", f"{path}.B"],
        ["y"],
        name=name,
        hidden_size=H,
        linear_before_reset=linear_before_reset,
        direction="bidirectional" if bidirectional else "forward",
    )
    return _model([node], [_float("x", 3, 1, I)], [_float("y", 3, D, 1, H)], inits, opset)


def _rnn_relu() -> onnx.ModelProto:
    """An RNN whose activation is Relu, with a zero initial state."""
    rng = np.random.default_rng(5)
    I, H = 3, 7
    inits = [
        _weight(rng, "rnn.W", 1, H, I),
        _weight(rng, "rnn.R", 1, H, H),
        _weight(rng, "rnn.B", 1, 2 * H),
        _zero("rnn.initial_h", 1, 1, H),
    ]
    node = helper.make_node(
        "RNN",
        ["x", "rnn.W", "rnn.R", "rnn.B", "", "rnn.initial_h"],
        ["y"],
        name="/rnn/RNN",
        hidden_size=H,
        activations=["Relu"],
    )
    return _model([node], [_float("x", 4, 1, I)], [_float("y", 4, 1, 1, H)], inits, 14)


def _lstm_nodes(rng: np.random.Generator, module: str, I: int, H: int, x: str) -> tuple[list[Any], list[Any]]:
    """An LSTM node named ``/<module>/LSTM`` reading ``x``, its last state squeezed to ``<module>.h`` [B, H]."""
    inits = [
        _weight(rng, f"{module}.W", 1, 4 * H, I),
        _weight(rng, f"{module}.R", 1, 4 * H, H),
        _weight(rng, f"{module}.B", 1, 8 * H),
        _ints(f"{module}.axes", 0),
    ]
    nodes = [
        helper.make_node(
            "LSTM", [x, f"{module}.W", f"{module}.R", f"{module}.B"], ["", f"{module}.y_h"], name=f"/{module}/LSTM"
        ),
        helper.make_node("Squeeze", [f"{module}.y_h", f"{module}.axes"], [f"{module}.h"], name=f"/{module}/Squeeze"),
    ]
    for attr in (helper.make_attribute("hidden_size", H),):
        nodes[0].attribute.append(attr)
    return nodes, inits


def _gemm_head() -> onnx.ModelProto:
    """An LSTM and a Gemm head with a transposed weight (transB=1), as ``nn.Linear`` is stored."""
    rng = np.random.default_rng(6)
    I, H, F = 4, 6, 3
    nodes, inits = _lstm_nodes(rng, "lstm", I, H, "x")
    inits += [_weight(rng, "head.weight", F, H), _weight(rng, "head.bias", F)]
    nodes.append(helper.make_node("Gemm", ["lstm.h", "head.weight", "head.bias"], ["y"], name="/head/Gemm", transB=1))
    return _model(nodes, [_float("x", 5, 2, I)], [_float("y", 2, F)], inits, 22)


def _matmul_head() -> onnx.ModelProto:
    """A GRU, its sequence squeezed, and a MatMul + Add head."""
    rng = np.random.default_rng(7)
    I, H, F = 3, 5, 4
    inits = [
        _weight(rng, "gru.W", 1, 3 * H, I),
        _weight(rng, "gru.R", 1, 3 * H, H),
        _weight(rng, "gru.B", 1, 6 * H),
        _ints("gru.axes", 1),
        _weight(rng, "head.kernel", H, F),
        _weight(rng, "head.bias", F),
    ]
    nodes = [
        helper.make_node(
            "GRU", ["x", "gru.W", "gru.R", "gru.B"], ["gru.y"], name="/gru/GRU", hidden_size=H, linear_before_reset=1
        ),
        helper.make_node("Squeeze", ["gru.y", "gru.axes"], ["gru.seq"], name="/gru/Squeeze"),
        helper.make_node("MatMul", ["gru.seq", "head.kernel"], ["head.mm"], name="/head/MatMul"),
        helper.make_node("Add", ["head.mm", "head.bias"], ["y"], name="/head/Add"),
    ]
    return _model(nodes, [_float("x", 6, 2, I)], [_float("y", 6, 2, F)], inits, 14)


def _embedding() -> onnx.ModelProto:
    """A Gather from an embedding table, then an LSTM."""
    rng = np.random.default_rng(8)
    V, E, H = 20, 6, 5
    nodes, inits = _lstm_nodes(rng, "lstm", E, H, "embedded")
    inits.append(_weight(rng, "embedding.weight", V, E))
    nodes.insert(0, helper.make_node("Gather", ["embedding.weight", "ids"], ["embedded"], name="/embedding/Gather"))
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [4, 2])
    return _model(nodes, [ids], [_float("lstm.h", 2, H)], inits, 22)


def _batch_norm() -> onnx.ModelProto:
    """A BatchNormalization (its running mean and variance not trained) before an LSTM."""
    rng = np.random.default_rng(9)
    C, T, H = 4, 6, 3
    nodes, inits = _lstm_nodes(rng, "lstm", C, H, "bn.seq")
    inits += [
        _weight(rng, "bn.scale", C),
        _weight(rng, "bn.bias", C),
        _weight(rng, "bn.mean", C),
        _weight(rng, "bn.var", C),
    ]
    nodes[:0] = [
        helper.make_node(
            "BatchNormalization", ["x", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn.y"], name="/bn/BatchNorm"
        ),
        helper.make_node("Transpose", ["bn.y"], ["bn.seq"], name="/bn/Transpose", perm=[2, 0, 1]),
    ]
    return _model(nodes, [_float("x", 1, C, T)], [_float("lstm.h", 1, H)], inits, 14)


def _unmodelled() -> onnx.ModelProto:
    """Weights of operators lstmcount has no layer for: PRelu's slope, a MatMul's 3-D weight."""
    rng = np.random.default_rng(10)
    T, I, F, H = 3, 4, 5, 2
    nodes, inits = _lstm_nodes(rng, "lstm", F, H, "proj.y")
    inits += [_weight(rng, "act.slope", I), _weight(rng, "proj.weight", T, I, F)]
    nodes[:0] = [
        helper.make_node("PRelu", ["x", "act.slope"], ["act.y"], name="/act/PRelu"),
        helper.make_node("MatMul", ["act.y", "proj.weight"], ["proj.y"], name="/proj/MatMul"),
    ]
    return _model(nodes, [_float("x", T, 1, I)], [_float("lstm.h", 1, H)], inits, 22)


def _loop(rng: np.random.Generator, H: int, x: str, y: str) -> onnx.NodeProto:
    """A Loop of two steps multiplying ``x`` [1, H] by ``loop.scale``, an initializer of its body (as its shape is)."""
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Reshape", ["state", "loop.shape"], ["state_2d"]),
            helper.make_node("Mul", ["state_2d", "loop.scale"], ["state_out"]),
        ],
        "body",
        [
            helper.make_tensor_value_info("i", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            _float("state", 1, H),
        ],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []), _float("state_out", 1, H)],
        [_weight(rng, "loop.scale", 1, H), _ints("loop.shape", 1, H)],
    )
    return helper.make_node("Loop", ["loop.steps", "", x], [y], name="/loop/Loop", body=body)


def _if_branches() -> onnx.ModelProto:
    """An LSTM, then an If whose two branches each hold an initializer: a bias added, or a scale multiplied."""
    rng = np.random.default_rng(11)
    I, H = 3, 4

    def branch(op: str, weight: str) -> onnx.GraphProto:
        return helper.make_graph(
            [helper.make_node(op, ["lstm.h", weight], [f"{weight}.y"])],
            weight.split(".")[0],
            [],
            [_float(f"{weight}.y", 1, H)],
            [_weight(rng, weight, H)],
        )

    nodes, inits = _lstm_nodes(rng, "lstm", I, H, "x")
    nodes.append(
        helper.make_node(
            "If",
            ["flag"],
            ["y"],
            name="/branch/If",
            then_branch=branch("Add", "then.bias"),
            else_branch=branch("Mul", "else.scale"),
        )
    )
    flag = helper.make_tensor_value_info("flag", TensorProto.BOOL, [])
    return _model(nodes, [_float("x", 2, 1, I), flag], [_float("y", 1, H)], inits, 22)


def _loop_body() -> onnx.ModelProto:
    """An LSTM, then a Loop whose body holds an initializer (its trip count one of the graph's)."""
    rng = np.random.default_rng(14)
    I, H = 3, 4
    nodes, inits = _lstm_nodes(rng, "lstm", I, H, "x")
    nodes.append(_loop(rng, H, "lstm.h", "y"))
    inits.append(_ints("loop.steps", 2))
    return _model(nodes, [_float("x", 2, 1, I)], [_float("y", 1, H)], inits, 14)


def _nested_subgraphs() -> onnx.ModelProto:
    """An If whose else branch is a Loop: the Loop's body, two graphs down, holds an initializer."""
    rng = np.random.default_rng(15)
    I, H = 3, 4
    nodes, inits = _lstm_nodes(rng, "lstm", I, H, "x")
    then_branch = helper.make_graph(
        [helper.make_node("Identity", ["lstm.h"], ["then.y"])], "then", [], [_float("then.y", 1, H)]
    )
    else_branch = helper.make_graph([_loop(rng, H, "lstm.h", "else.y")], "else", [], [_float("else.y", 1, H)])
    inits.append(_ints("loop.steps", 2))
    nodes.append(
        helper.make_node("If", ["flag"], ["y"], name="/branch/If", then_branch=then_branch, else_branch=else_branch)
    )
    flag = helper.make_tensor_value_info("flag", TensorProto.BOOL, [])
    return _model(nodes, [_float("x", 2, 1, I), flag], [_float("y", 1, H)], inits, 22)


def _sparse() -> onnx.ModelProto:
    """An LSTM and a MatMul head whose weight is a sparse initializer (5 of its 24 values stored)."""
    rng = np.random.default_rng(12)
    I, H, F = 3, 6, 4
    nodes, inits = _lstm_nodes(rng, "lstm", I, H, "x")
    values = numpy_helper.from_array(rng.uniform(0.1, 0.5, 5).astype(np.float32), "head.kernel")
    indices = numpy_helper.from_array(np.array([0, 5, 9, 14, 23], np.int64), "head.kernel.indices")
    kernel = helper.make_sparse_tensor(values, indices, [H, F])
    inits.append(_weight(rng, "head.bias", F))
    nodes += [
        helper.make_node("MatMul", ["lstm.h", "head.kernel"], ["head.mm"], name="/head/MatMul"),
        helper.make_node("Add", ["head.mm", "head.bias"], ["y"], name="/head/Add"),
    ]
    return _model(nodes, [_float("x", 2, 1, I)], [_float("y", 1, F)], inits, 14, sparse_initializer=[kernel])


def _constant_weights() -> onnx.ModelProto:
    """An LSTM and a MatMul head whose weights are Constant nodes' values, not initializers."""
    rng = np.random.default_rng(13)
    I, H, F = 3, 4, 2

    def constant(name: str, *shape: int) -> onnx.NodeProto:
        value = numpy_helper.from_array(rng.uniform(0.1, 0.5, shape).astype(np.float32), name)
        return helper.make_node("Constant", [], [name], name=f"/{name.split('.')[0]}/Constant", value=value)

    nodes = [
        constant("lstm.W", 1, 4 * H, I),
        constant("lstm.R", 1, 4 * H, H),
        constant("lstm.B", 1, 8 * H),
        helper.make_node(
            "LSTM", ["x", "lstm.W", "lstm.R", "lstm.B"], ["", "lstm.y_h"], name="/lstm/LSTM", hidden_size=H
        ),
        helper.make_node("Squeeze", ["lstm.y_h", "lstm.axes"], ["lstm.h"], name="/lstm/Squeeze"),
        constant("head.kernel", H, F),
        helper.make_node("MatMul", ["lstm.h", "head.kernel"], ["y"], name="/head/MatMul"),
    ]
    return _model(nodes, [_float("x", 2, 1, I)], [_float("y", 1, F)], [_ints("lstm.axes", 0)], 14)


def _typed(dtype: int, name: str, *shape: int, seed: int) -> TensorProto:
    """An initializer of non-zero random values of an ONNX floating-point type."""
    values = np.random.default_rng(seed).uniform(0.1, 0.5, shape).astype(np.float32)
    if dtype == TensorProto.BFLOAT16:  # numpy has no bfloat16: the upper half of each float32
        bits = (values.view(np.uint32) >> 16).astype(np.uint16)
        tensor = helper.make_tensor(name, dtype, list(shape), bits.tobytes(), raw=True)
        return tensor
    return numpy_helper.from_array(values.astype(helper.tensor_dtype_to_np_dtype(dtype)), name)


def _lstm_typed(dtype: int) -> onnx.ModelProto:
    """An LSTM and a MatMul head computing in float16 or double: weights of 2 or 8 bytes."""
    I, H, F = 4, 3, 2
    inits = [
        _typed(dtype, "lstm.W", 1, 4 * H, I, seed=20),
        _typed(dtype, "lstm.R", 1, 4 * H, H, seed=21),
        _typed(dtype, "lstm.B", 1, 8 * H, seed=22),
        _ints("lstm.axes", 0),
        _typed(dtype, "head.kernel", H, F, seed=23),
    ]
    nodes = [
        helper.make_node(
            "LSTM", ["x", "lstm.W", "lstm.R", "lstm.B"], ["", "lstm.y_h"], name="/lstm/LSTM", hidden_size=H
        ),
        helper.make_node("Squeeze", ["lstm.y_h", "lstm.axes"], ["lstm.h"], name="/lstm/Squeeze"),
        helper.make_node("MatMul", ["lstm.h", "head.kernel"], ["y"], name="/head/MatMul"),
    ]
    typed = [helper.make_tensor_value_info("x", dtype, [5, 2, I])]
    return _model(nodes, typed, [helper.make_tensor_value_info("y", dtype, [2, F])], inits, 14)


def _gru_bfloat16() -> onnx.ModelProto:
    """A GRU whose weights are stored as bfloat16 and cast to float for the GRU (as mixed precision keeps them)."""
    I, H = 4, 3
    bf16 = TensorProto.BFLOAT16
    inits = [
        _typed(bf16, "gru.W", 1, 3 * H, I, seed=24),
        _typed(bf16, "gru.R", 1, 3 * H, H, seed=25),
        _typed(bf16, "gru.B", 1, 6 * H, seed=26),
    ]
    cast = [
        helper.make_node("Cast", [f"gru.{w}"], [f"gru.{w}.float"], name=f"/gru/Cast_{w}", to=TensorProto.FLOAT)
        for w in "WRB"
    ]
    gru = helper.make_node(
        "GRU", ["x", "gru.W.float", "gru.R.float", "gru.B.float"], ["y"], name="/gru/GRU", hidden_size=H
    )
    return _model([*cast, gru], [_float("x", 5, 1, I)], [_float("y", 5, 1, 1, H)], inits, 14)


def _lstm_bidirectional() -> onnx.ModelProto:
    """A bidirectional LSTM: W, R and B hold both directions."""
    rng = np.random.default_rng(27)
    I, H = 5, 3
    inits = [
        _weight(rng, "birnn.W", 2, 4 * H, I),
        _weight(rng, "birnn.R", 2, 4 * H, H),
        _weight(rng, "birnn.B", 2, 8 * H),
    ]
    node = helper.make_node(
        "LSTM",
        ["x", "birnn.W", "birnn.R", "birnn.B"],
        ["y"],
        name="/birnn/LSTM",
        hidden_size=H,
        direction="bidirectional",
    )
    return _model([node], [_float("x", 4, 1, I)], [_float("y", 4, 2, 1, H)], inits, 14)


def _lstm_stacked() -> onnx.ModelProto:
    """Three LSTM nodes of one module (``/encoder/LSTM``, ``_1``, ``_2``), each reading the one before: 3 layers."""
    rng = np.random.default_rng(28)
    I, H, T = 6, 4, 5
    inits: list[TensorProto] = [_ints("axes", 1)]
    nodes: list[onnx.NodeProto] = []
    x = "x"
    for k in range(3):
        suffix = f"_{k}" if k else ""
        inits += [
            _weight(rng, f"encoder.W{suffix}", 1, 4 * H, I if k == 0 else H),
            _weight(rng, f"encoder.R{suffix}", 1, 4 * H, H),
            _weight(rng, f"encoder.B{suffix}", 1, 8 * H),
        ]
        nodes += [
            helper.make_node(
                "LSTM",
                [x, f"encoder.W{suffix}", f"encoder.R{suffix}", f"encoder.B{suffix}"],
                [f"encoder.y{suffix}"],
                name=f"/encoder/LSTM{suffix}",
                hidden_size=H,
            ),
            helper.make_node("Squeeze", [f"encoder.y{suffix}", "axes"], [f"encoder.seq{suffix}"]),
        ]
        x = f"encoder.seq{suffix}"
    return _model(nodes, [_float("x", T, 1, I)], [_float(x, T, 1, H)], inits, 14)


def _encoder_decoder() -> onnx.ModelProto:
    """An encoder GRU and a decoder LSTM reading its sequence: two modules, one layer each, not one stack."""
    rng = np.random.default_rng(29)
    I, H, T = 3, 4, 5
    inits = [
        _weight(rng, "encoder.W", 1, 3 * H, I),
        _weight(rng, "encoder.R", 1, 3 * H, H),
        _ints("axes", 1),
        _weight(rng, "decoder.W", 1, 4 * H, H),
        _weight(rng, "decoder.R", 1, 4 * H, H),
        _weight(rng, "decoder.B", 1, 8 * H),
    ]
    nodes = [
        helper.make_node("GRU", ["x", "encoder.W", "encoder.R"], ["encoder.y"], name="/encoder/GRU", hidden_size=H),
        helper.make_node("Squeeze", ["encoder.y", "axes"], ["encoder.seq"], name="/encoder/Squeeze"),
        helper.make_node(
            "LSTM",
            ["encoder.seq", "decoder.W", "decoder.R", "decoder.B"],
            ["decoder.y"],
            name="/decoder/LSTM",
            hidden_size=H,
        ),
    ]
    return _model(nodes, [_float("x", T, 1, I)], [_float("decoder.y", T, 1, 1, H)], inits, 14)


def _conv_layer_norm() -> onnx.ModelProto:
    """A 1-D Conv, a Transpose to a sequence, an LSTM and a LayerNormalization (opset 17) of its last state."""
    rng = np.random.default_rng(30)
    C, F, K, L, H = 3, 5, 3, 8, 4
    nodes, inits = _lstm_nodes(rng, "lstm", F, H, "conv.seq")
    inits += [
        _weight(rng, "conv.weight", F, C, K),
        _weight(rng, "conv.bias", F),
        _weight(rng, "norm.scale", H),
        _weight(rng, "norm.bias", H),
    ]
    nodes[:0] = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["conv.y"], name="/conv/Conv"),
        helper.make_node("Transpose", ["conv.y"], ["conv.seq"], name="/conv/Transpose", perm=[2, 0, 1]),
    ]
    nodes.append(
        helper.make_node(
            "LayerNormalization", ["lstm.h", "norm.scale", "norm.bias"], ["y"], name="/norm/LayerNorm", axis=-1
        )
    )
    return _model(nodes, [_float("x", 1, C, L)], [_float("y", 1, H)], inits, 17)


def _conv2d() -> onnx.ModelProto:
    """A 2-D Conv (a 4-D weight, which lstmcount has no layer for) reshaped into an LSTM's sequence."""
    rng = np.random.default_rng(31)
    C, F, H = 2, 3, 4
    nodes, inits = _lstm_nodes(rng, "lstm", F * 4, H, "conv.seq")
    inits += [_weight(rng, "conv.weight", F, C, 3, 3), _weight(rng, "conv.bias", F), _ints("conv.shape", 6, 1, -1)]
    nodes[:0] = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["conv.y"], name="/conv/Conv"),
        helper.make_node("Transpose", ["conv.y"], ["conv.t"], name="/conv/Transpose", perm=[3, 0, 1, 2]),
        helper.make_node("Reshape", ["conv.t", "conv.shape"], ["conv.seq"], name="/conv/Reshape"),
    ]
    return _model(nodes, [_float("x", 1, C, 6, 8)], [_float("lstm.h", 1, H)], inits, 14)


BUILT: dict[str, Callable[[], onnx.ModelProto]] = {
    "lstm_peepholes": _lstm_peepholes,
    "lstm_reverse": _lstm_reverse,
    "gru_reset_before": lambda: _gru(0, True, "/gru/GRU", 14),
    "gru_reset_after": lambda: _gru(1, False, "/decoder/gru/GRU", 22),
    "rnn_relu_activations": _rnn_relu,
    "gemm_head": _gemm_head,
    "matmul_head": _matmul_head,
    "gather_embedding": _embedding,
    "batch_norm": _batch_norm,
    "unmodelled_ops": _unmodelled,
    "if_branch_initializers": _if_branches,
    "loop_body_initializer": _loop_body,
    "nested_subgraph_initializer": _nested_subgraphs,
    "sparse_initializer": _sparse,
    "constant_weights": _constant_weights,
    "lstm_float16": lambda: _lstm_typed(TensorProto.FLOAT16),
    "lstm_double": lambda: _lstm_typed(TensorProto.DOUBLE),
    "gru_bfloat16_cast": _gru_bfloat16,
    "lstm_bidirectional_built": _lstm_bidirectional,
    "lstm_stacked_nodes": _lstm_stacked,
    "encoder_decoder": _encoder_decoder,
    "conv_layer_norm": _conv_layer_norm,
    "conv2d_unmodelled": _conv2d,
}


def _build(name: str, out: Path, forms: tuple[str, ...]) -> dict[str, str]:
    """Save built case ``name`` in each of ``forms``; the files written."""
    files: dict[str, str] = {}
    for form in forms:
        model = BUILT[name]()  # saving with external data rewrites the model's tensors
        if form == "built":
            file = f"{name}.onnx"
            onnx.save_model(model, out / file)
        elif form == "external":
            file = f"{name}.external.onnx"
            onnx.save_model(
                model,
                out / file,
                save_as_external_data=True,
                all_tensors_to_one_file=True,
                location=f"{file}.data",
                size_threshold=0,
            )
        elif form == "external_per_tensor":
            file = f"{name}.tensors/{name}.onnx"
            (out / file).parent.mkdir(exist_ok=True)
            onnx.save_model(
                model, out / file, save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0
            )
        else:
            continue
        files[file] = form
    return files


# --- the facts, read from a saved file -------------------------------------------------------------------------


def _graphs(graph: onnx.GraphProto) -> list[onnx.GraphProto]:
    """A graph and every graph inside its nodes (an If's branches, a Loop's body), depth first."""
    out = [graph]
    for node in graph.node:
        for attr in node.attribute:
            inner = [attr.g] if attr.type == onnx.AttributeProto.GRAPH else list(attr.graphs)
            for g in inner:
                out += _graphs(g)
    return out


def read(path: Path) -> dict[str, Any]:
    """What ``onnx`` says of one saved file: its initializers, its parameters, and its recurrent nodes."""
    model = onnx.load(path, load_external_data=False)
    graph = model.graph
    graphs = _graphs(graph)
    # every initializer: of each graph (dense, then sparse by its dense shape)
    tensors: dict[str, tuple[list[int], int]] = {}
    for g in graphs:
        for t in g.initializer:
            tensors[t.name] = (list(t.dims), t.data_type)
        for s in g.sparse_initializer:
            tensors[s.values.name] = (list(s.dims), s.values.data_type)
    constants: dict[str, tuple[list[int], int]] = {}
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    constants[node.output[0]] = (list(attr.t.dims), attr.t.data_type)
    held = {name: dims for name, (dims, _) in {**tensors, **constants}.items()}
    producers = {out: node for node in graph.node for out in node.output}

    def behind(value: str, depth: int = 0) -> set[str]:
        """The tensors a value is made of by rearranging operators alone."""
        if value in tensors or value in constants:
            return {value}
        node = producers.get(value)
        if node is None or node.op_type not in REARRANGE or depth > 100:
            return set()
        positions = REARRANGE[node.op_type]
        data = node.input if positions is None else [node.input[i] for i in positions if i < len(node.input)]
        return set().union(*(behind(v, depth + 1) for v in data if v))

    states: set[str] = set()
    frozen: set[str] = set()
    for node in graph.node:
        for i in STATE_INPUTS.get(node.op_type, ()):
            if i < len(node.input) and node.input[i]:
                states |= behind(node.input[i])
        if node.op_type == "BatchNormalization":
            frozen |= behind(node.input[3]) | behind(node.input[4])
    parameters = {}
    for name, (dims, dtype) in {**tensors, **constants}.items():
        if dtype in FLOATS and name not in states:
            parameters[name] = dims
    recurrent: list[dict[str, Any]] = []
    for node in graph.node:
        if node.op_type not in STATE_INPUTS:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        found = behind(node.input[1])  # W [D, G·H, I], or the one tensor it is cast from (an exporter's is computed)
        w = {**tensors, **constants}.get(next(iter(found))) if len(found) == 1 else None
        entry: dict[str, Any] = {
            "path": _path(node.name, node.op_type),
            "class": node.op_type,
            "input_size": w[0][2] if w and len(w[0]) == 3 else None,
            "hidden_size": attrs["hidden_size"],
            "num_layers": 1,
            "bidirectional": attrs.get("direction", b"forward") == b"bidirectional",
            "bias": len(node.input) > 3 and bool(node.input[3]),
            "proj_size": 0,
        }
        if node.op_type == "LSTM":
            entry["peepholes"] = len(node.input) > 7 and bool(node.input[7])
        if node.op_type == "GRU":
            entry["linear_before_reset"] = attrs.get("linear_before_reset", 0)
        if node.op_type == "RNN":
            entry["activation"] = attrs.get("activations", [b"Tanh"])[0].decode().lower()
        last = recurrent[-1] if recurrent else None
        same = (
            "path",
            "class",
            "hidden_size",
            "bidirectional",
            "bias",
            "peepholes",
            "linear_before_reset",
            "activation",
        )
        if last is not None and last["path"] != BARE[node.op_type] and all(last.get(k) == entry.get(k) for k in same):
            last["num_layers"] += 1  # the next node of one module: its next stacked layer
        else:
            recurrent.append(entry)
    total = sum(prod(dims) for dims in parameters.values())
    return {
        "total": total,
        "trainable": total - sum(prod(parameters[n]) for n in frozen if n in parameters),
        "file_total": sum(prod(dims) for dims in held.values()),
        "parameters": parameters,
        "state_dict": held,
        "recurrent": recurrent,
    }


def _path(node: str, op: str) -> str:
    """A built node's layer path: the scopes of its name, ``/encoder/LSTM`` giving ``encoder``."""
    scopes = [p for p in node.strip("/").split("/")[:-1] if p]
    return ".".join(scopes) or BARE[op]


def save(name: str, out: Path, *, forms: tuple[str, ...] = FORMS) -> dict[str, Any]:
    """Build or export case ``name``, save it in each of ``forms`` (those of its kind) into ``out``; the facts."""
    if name in EXPORTED:
        return _export(name, out, tuple(f for f in forms if f in EXPORTED_FORMS))
    files = _build(name, out, tuple(f for f in forms if f in BUILT_FORMS))
    found = {form: read(out / file) for file, form in files.items()}
    first = next(iter(found.values()))
    assert all(f == first for f in found.values()), f"{name}: the forms disagree"
    return {**first, "files": files}


#: the cases, by name
CASES: dict[str, Exported | Callable[[], onnx.ModelProto]] = {**EXPORTED, **BUILT}

__all__ = ["CASES", "FORMS", "RECORDED_FORMS", "read", "save"]

"""PyTorch (``torch.nn``): ``LSTM``, ``GRU``, ``RNN``, their ``*Cell`` classes, and the layers around them.

Checked against torch 2.13 (``torch/nn/modules/rnn.py``): ``weight_ih_l{k}`` ``(G·H, I)`` and
``weight_hh_l{k}`` ``(G·H, R)`` with the gates as row blocks (LSTM i, f, g, o; GRU r, z, n), two
bias vectors per gate (``bias_ih``, ``bias_hh``), ``weight_hr_l{k}`` ``(P, H)`` for a projection,
``_reverse`` for the backward direction; one module holds every stacked layer. A GRU always
applies the reset gate after the recurrent product.
"""

from __future__ import annotations

from typing import Any

from lstmcount.cells import Biases, Kind, Param
from lstmcount.frameworks.base import (
    Bidirectional,
    CellClass,
    Framework,
    LayerClass,
    LayerTensor,
    Notation,
    Paths,
    Restriction,
    Role,
    Stacking,
    States,
    Tensor,
    gates,
)
from lstmcount.frameworks.layout import Block
from lstmcount.frameworks.layout import gates as fused
from lstmcount.model.spec import ACTIVATIONS

ORDERS = {Kind.LSTM: ("i", "f", "g", "o"), Kind.GRU: ("r", "z", "n"), Kind.RNN: ("h",)}
GATES = {
    Kind.LSTM: gates(("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")),
    Kind.GRU: gates(("r", "r"), ("z", "z"), ("n", "n")),
    Kind.RNN: gates(("h", "h")),
}


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


def two_biases(use_bias: bool, reset_after: bool) -> Biases:
    """Two bias vectors per gate (input and recurrent side), or none."""
    return Biases.TWO if use_bias else Biases.NONE


def torch_tensors(kind: Kind, suffix: str) -> tuple[Tensor, ...]:
    """``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (and ``weight_hr``) with a name ``suffix``."""
    order = ORDERS[kind]
    two = lambda cell: cell.biases is Biases.TWO  # noqa: E731
    return (
        Tensor(f"weight_ih{suffix}", fused(Param.U, order), Role.INPUT),
        Tensor(f"weight_hh{suffix}", fused(Param.W, order), Role.RECURRENT),
        Tensor(f"bias_ih{suffix}", fused(Param.BX, order), Role.INPUT_BIAS, when=two),
        Tensor(f"bias_hh{suffix}", fused(Param.BH, order), Role.RECURRENT_BIAS, when=two),
        Tensor(f"weight_hr{suffix}", Block(Param.PROJ), Role.PROJECTION, when=lambda cell: cell.proj > 0),
    )


LAYER_PATHS = Paths(single="{layer}.{tensor}", suffixes=("", "_reverse"))
CELL_PATHS = Paths(single="{layer}.{tensor}")
LAYER_NAMES = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN: "RNN"}
STEMS = {Kind.LSTM: "lstm", Kind.GRU: "gru", Kind.RNN: "rnn"}
OPTIONS = {Kind.LSTM: frozenset({"proj_size"}), Kind.GRU: frozenset(), Kind.RNN: frozenset({"nonlinearity"})}
CELL_OPTIONS = {Kind.LSTM: frozenset(), Kind.GRU: frozenset(), Kind.RNN: frozenset({"nonlinearity"})}


def _classes(kind: Kind) -> tuple[CellClass, ...]:
    layer = CellClass(
        name=LAYER_NAMES[kind],
        kind=kind,
        gates=GATES[kind],
        tensors=torch_tensors(kind, "_l{k}{sfx}"),
        biases=two_biases,
        stem=STEMS[kind],
        paths=LAYER_PATHS,
        stacking=Stacking.NATIVE,
        bidirectional=Bidirectional.NATIVE,
        options=OPTIONS[kind],
        fixed={"reset_after": True} if kind is Kind.GRU else {},
    )
    cell = CellClass(
        name=LAYER_NAMES[kind] + "Cell",
        kind=kind,
        gates=GATES[kind],
        tensors=torch_tensors(kind, ""),
        biases=two_biases,
        stem=STEMS[kind] + "_cell",
        paths=CELL_PATHS,
        stacking=Stacking.NONE,
        bidirectional=Bidirectional.NONE,
        options=CELL_OPTIONS[kind],
        fixed={"reset_after": True} if kind is Kind.GRU else {},
        about="one time step; a loop over the sequence calls it (weights shared by every step)",
    )
    return layer, cell


def _center(layer: Any) -> bool:
    return bool(getattr(layer, "center", False))


def _scale(layer: Any) -> bool:
    return bool(getattr(layer, "scale", False))


FRAMEWORK = Framework(
    id="pytorch",
    display="PyTorch",
    order=1,
    aliases=("torch", "pt", "torch.nn"),
    checked="torch 2.13",
    path_sep=".",
    cells={kind: _classes(kind) for kind in (Kind.LSTM, Kind.GRU, Kind.RNN)},
    layers={
        "embedding": LayerClass(
            "Embedding", "embedding", (LayerTensor("weight", lambda d: (d.V, d.F), Role.EMBEDDINGS),)
        ),
        "dense": LayerClass(
            "Linear",
            "linear",
            (
                LayerTensor("weight", lambda d: (d.F, d.I), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "dropout"),
        "conv1d": LayerClass(
            "Conv1d",
            "conv1d",
            (
                LayerTensor("weight", lambda d: (d.F, d.I, d.K), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNorm",
            "layer_norm",
            (
                LayerTensor("weight", lambda d: (d.F,), Role.SCALE, when=_scale),
                LayerTensor("bias", lambda d: (d.F,), Role.OFFSET, when=_center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(
        Restriction(
            frozenset({"gru"}),
            "reset_after",
            lambda layer: getattr(layer, "reset_after", None) is False,
            "PyTorch's GRU always applies the reset gate after the recurrent product (reset_after: true)",
            "remove {field:reset_after} or use {framework:keras}",
        ),
        Restriction(
            frozenset({"lstm", "gru", "simple_rnn"}),
            "merge_mode",
            lambda layer: getattr(layer, "bidirectional", False) and getattr(layer, "merge_mode", "concat") != "concat",
            "PyTorch always concatenates the two directions of a bidirectional layer",
            "use {value:merge_mode=concat} or {framework:keras}",
        ),
        Restriction(
            frozenset({"layer_normalization"}),
            "scale",
            lambda layer: _center(layer) and not _scale(layer),
            "PyTorch LayerNorm cannot learn an offset without a scale",
            "set {value:scale=true}, or {value:center=false}, or use {framework:keras}",
        ),
        Restriction(
            frozenset({"conv1d"}),
            "padding",
            lambda layer: getattr(layer, "padding", "valid") == "same" and getattr(layer, "strides", 1) > 1,
            "PyTorch Conv1d does not support padding 'same' with strides > 1",
            "use {value:padding=valid}, {value:strides=1}, or {framework:keras}",
        ),
    ),
    # torch.nn.functional; leaky_relu's negative_slope defaults to 0.01, hardsigmoid is relu6(x + 3) / 6
    activations={
        a: {"leaky_relu": 0.01, "hard_sigmoid": 1 / 6}.get(a)
        for a in ACTIVATIONS
        if a not in ("exponential", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus")
    },
    name_forbids=".",
    name_rule="nn.Module.add_module refuses a name with '.' (it separates the parts of a state-dict key)",
    notation=Notation(
        name="column vectors",
        row=False,
        input="W_i{g}",
        recurrent="W_h{g}",
        bias="b_{g}",
        input_bias="b_i{g}",
        recurrent_bias="b_h{g}",
        projection="W_hr",
    ),
    states=States.STACKED,
    conv_channels_first=True,
    out_features_first=True,
    conv_kernel="FIK",
    layer_norm_epsilon=1e-5,
    note="PyTorch keeps weight_ih (G·H, I), weight_hh (G·H, H) and two bias vectors, "
    "bias_ih and bias_hh, per layer and direction.",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x_t and W_h* multiplies h_(t-1), as W_ii x_t + W_hi h_(t-1) for gate i "
    "(shapes as PyTorch stores them, outputs first); each gate has its own weights and two biases, b_i* and b_h*.",
    module_state_dict=True,
    arguments={
        "input_size": "input_size",
        "units": "hidden_size",
        "num_layers": "num_layers",
        "bidirectional": "bidirectional",
        "proj_size": "proj_size",
        "use_bias": "bias",
    },
    keys="state_dict() keys: lstm.weight_ih_l0 (the module's attribute name, then the tensor's)",
)

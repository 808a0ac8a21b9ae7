"""ONNX (``onnx``): the ``LSTM``, ``GRU`` and ``RNN`` operators, one node per stacked layer.

Checked against onnx 1.23 (``onnx/defs/rnn/defs.cc``, ``doc_strings.cc``) and onnxruntime 1.32:
``W [D, G·H, I]`` and ``R [D, G·H, H]`` with the gates as row blocks (LSTM i, o, f, c; GRU z, r, h;
RNN one), ``B [D, 2·G·H]`` holding the input biases of every gate and then the recurrent ones,
and for an LSTM with peepholes ``P [D, 3H]`` in the order i, o, f (the output gate's peephole
reads the new cell state). Both directions of a bidirectional layer live in one node, forward at
index 0. ONNX has no ``num_layers``: each stacked layer is one node reading the previous one's
``Y``. A GRU resets before the recurrent product unless ``linear_before_reset`` is 1.

ONNX names no tensor: an exporter chooses the initializers' names. Paths here are
``<layer>.W`` (and ``<layer>.<k>.W`` for stacked layer k). The layers around are the operators
PyTorch's exporter writes for them on a sequence (a dense layer as ``MatMul`` with the transposed
weight ``(I, F)`` and ``Add``; ``Conv``, ``Gather``, ``LayerNormalization``), named by their
operator inputs.
"""

from __future__ import annotations

from typing import Any

from lstmcount.cells import Biases, CellSpec, Kind, Param
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
from lstmcount.frameworks.layout import Block, Cat, Directions
from lstmcount.frameworks.layout import gates as fused

ORDERS = {Kind.LSTM: ("i", "o", "f", "g"), Kind.GRU: ("z", "r", "n"), Kind.RNN: ("h",)}
GATES = {
    Kind.LSTM: gates(("i", "i"), ("o", "o"), ("f", "f"), ("c", "g")),
    Kind.GRU: gates(("z", "z"), ("r", "r"), ("h", "n")),
    Kind.RNN: gates(
        ("i", "h"),
    ),
}
OP_TYPES = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN: "RNN"}


def two_biases(use_bias: bool, reset_after: bool) -> Biases:
    """``B`` holds an input-side and a recurrent-side bias per gate; without it there is none."""
    return Biases.TWO if use_bias else Biases.NONE


def _tensors(kind: Kind) -> tuple[Tensor, ...]:
    order = ORDERS[kind]
    return (
        Tensor("W", Directions(fused(Param.U, order)), Role.INPUT, per_layer=True),
        Tensor("R", Directions(fused(Param.W, order)), Role.RECURRENT, per_layer=True),
        Tensor(
            "B",
            Directions(Cat(0, (fused(Param.BX, order), fused(Param.BH, order)))),
            Role.BIASES,
            when=lambda cell: cell.biases is Biases.TWO,
            per_layer=True,
        ),
        Tensor(
            "P",
            Directions(Cat(0, tuple(Block(Param.PEEP, role) for role in ("i", "o", "f")))),
            Role.PEEPHOLE,
            when=lambda cell: cell.peepholes,
            per_layer=True,
        ),
    )


def _peepholes(cell: CellSpec) -> bool:
    return cell.peepholes


PATHS = Paths(single="{layer}.{tensor}", stacked="{layer}.{k}.{tensor}")
STEMS = {Kind.LSTM: "lstm", Kind.GRU: "gru", Kind.RNN: "rnn"}
OPTIONS = {
    Kind.LSTM: frozenset({"peepholes"}),
    Kind.GRU: frozenset({"reset_after"}),
    Kind.RNN: frozenset({"nonlinearity"}),
}
COMPOSITION = (
    "ONNX has no num_layers: each stacked layer is a node of its own, reading the previous node's Y "
    "(paths <layer>.<k>.W, as an exporter might name them)."
)


def _class(kind: Kind) -> CellClass:
    return CellClass(
        name=OP_TYPES[kind],
        kind=kind,
        gates=GATES[kind],
        tensors=_tensors(kind),
        biases=two_biases,
        stem=STEMS[kind],
        paths=PATHS,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.NATIVE,
        options=OPTIONS[kind],
        # linear_before_reset defaults to 0: the reset gate multiplies h before the product
        defaults={"reset_after": False} if kind is Kind.GRU else {},
        composition=COMPOSITION,
        about="the operator node (opset 7 to 22)",
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


FRAMEWORK = Framework(
    id="onnx",
    display="ONNX",
    order=2,
    aliases=("onnxruntime", "ort", "onnx-runtime"),
    checked="onnx 1.23, onnxruntime 1.32",
    path_sep=".",
    cells={kind: (_class(kind),) for kind in (Kind.LSTM, Kind.GRU, Kind.RNN)},
    layers={
        "embedding": LayerClass("Gather", "embedding", (LayerTensor("data", lambda d: (d.V, d.F), Role.EMBEDDINGS),)),
        "dense": LayerClass(
            "MatMul+Add",
            "linear",
            (
                LayerTensor("MatMul.B", lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("Add.B", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "dropout"),
        "conv1d": LayerClass(
            "Conv",
            "conv",
            (
                LayerTensor("W", lambda d: (d.F, d.I, d.K), Role.KERNEL),
                LayerTensor("B", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNormalization",
            "layer_norm",
            (
                LayerTensor("Scale", lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("B", lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(
        Restriction(
            frozenset({"layer_normalization"}),
            "scale",
            lambda layer: not getattr(layer, "scale", True),
            "the LayerNormalization operator always has its Scale input",
            "set {value:scale=true}, or use {framework:keras}",
        ),
        Restriction(
            frozenset({"lstm", "gru", "simple_rnn"}),
            "merge_mode",
            lambda layer: getattr(layer, "bidirectional", False) and getattr(layer, "merge_mode", "concat") != "concat",
            "a bidirectional node returns both directions side by side in Y [T, 2, B, H]",
            "use {value:merge_mode=concat} or {framework:keras}",
        ),
    ),
    # operators that take no attribute: LeakyRelu's alpha is 0.01, HardSigmoid's 0.2 (beta 0.5)
    activations={
        "linear": None,
        "relu": None,
        "relu6": None,
        "leaky_relu": 0.01,
        "elu": None,
        "selu": None,
        "celu": None,
        "gelu": None,
        "silu": None,
        "mish": None,
        "sigmoid": None,
        "hard_sigmoid": 0.2,
        "hard_silu": None,
        "tanh": None,
        "softplus": None,
        "softsign": None,
        "softmax": None,
        "log_softmax": None,
    },
    name_forbids="",
    name_rule="",
    notation=Notation(
        name="row vectors times transposed matrices",
        row=True,
        transposed=True,
        input="W_{g}",
        recurrent="R_{g}",
        bias="Wb_{g}",
        input_bias="Wb_{g}",
        recurrent_bias="Rb_{g}",
        peephole="P_{g}",
        projection="P_r",
    ),
    states=States.STACKED,
    conv_channels_first=True,
    out_features_first=False,
    conv_kernel="FIK",
    layer_norm_epsilon=1e-5,
    note="ONNX keeps W (D, G·H, I), R (D, G·H, H) and B (D, 2·G·H) in each node, and P (D, 3H) for peepholes.",
    input_symbol="W",
    recurrent_symbol="R",
    gate_legend="W multiplies X_t and R multiplies H_(t-1), as X_t Wᵀ + H_(t-1) Rᵀ (shapes as ONNX stores "
    "each gate's block, outputs first, one per direction); each gate has its own W, R and two biases, Wb and Rb.",
    keys="the node's initializers: W, R, B and P of each node (exporters name them as they like)",
    arguments={"units": "hidden_size"},
    argument_aliases={"hidden_size": "units", "linear_before_reset": "reset_after"},
)

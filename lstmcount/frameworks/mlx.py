"""MLX (``mlx``): ``mlx.nn.LSTM``, ``GRU`` and ``RNN``.

Checked against mlx 0.32.4 (``mlx/nn/layers/recurrent.py``): ``Wx`` ``(G·H, I)`` and ``Wh``
``(G·H, H)`` with the gates as row blocks (LSTM i, f, g, o; GRU r, z, n), applied as ``x @ Wx.T``;
one bias per gate (``bias``; a GRU's is ``b``, with ``bhn`` ``(H,)`` for the candidate's recurrent
side, inside the reset); a simple RNN's ``Wxh``, ``Whh``, ``bias``. ``bias=False`` drops every
bias (both of a GRU). MLX has no ``num_layers`` and no bidirectional layer: users keep the layers
in a list and run the backward one on the reversed sequence, and lstmcount counts them so, as
``layers.<k>`` with ``forward`` and ``backward`` fields. States are the last step's h (and c).
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
    Role,
    Stacking,
    States,
    Tensor,
    gates,
)
from lstmcount.frameworks.layout import Block
from lstmcount.frameworks.layout import gates as fused

LSTM_ORDER = ("i", "f", "g", "o")
GRU_ORDER = ("r", "z", "n")


def one_bias(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate, or none."""
    return Biases.ONE if use_bias else Biases.NONE


def gru_biases(use_bias: bool, reset_after: bool) -> Biases:
    """``b`` per gate and the candidate's ``bhn``, or none."""
    return Biases.HN if use_bias else Biases.NONE


def _has_bias(cell: Any) -> bool:
    return cell.biases is not Biases.NONE


PATHS = Paths(
    single="{layer}.{tensor}",
    bidirectional="{layer}.layers.{k}.{dir}.{tensor}",
    stacked="{layer}.layers.{k}.{tensor}",
    stacked_bidirectional="{layer}.layers.{k}.{dir}.{tensor}",
    directions=("forward", "backward"),
)
COMPOSITION = (
    "MLX has no num_layers or bidirectional option: counted as users compose them, a list layers of MLX layers, "
    "with forward and backward ones (the backward layer reads the reversed sequence)."
)


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], **extra: Any) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=extra.pop("biases", one_bias),
        stem=name.lower(),
        paths=PATHS,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.COMPOSED,
        composition=COMPOSITION,
        **extra,
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


FRAMEWORK = Framework(
    id="mlx",
    display="MLX",
    order=5,
    aliases=("mlx.nn", "apple-mlx", "mlx-cpu"),
    checked="mlx 0.32.4",
    path_sep=".",
    cells={
        Kind.LSTM: (
            _class(
                "LSTM",
                Kind.LSTM,
                gates(("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")),
                (
                    Tensor("Wx", fused(Param.U, LSTM_ORDER), Role.INPUT),
                    Tensor("Wh", fused(Param.W, LSTM_ORDER), Role.RECURRENT),
                    Tensor("bias", fused(Param.BX, LSTM_ORDER), Role.BIAS, when=_has_bias),
                ),
            ),
        ),
        Kind.GRU: (
            _class(
                "GRU",
                Kind.GRU,
                gates(("r", "r"), ("z", "z"), ("n", "n")),
                (
                    Tensor("Wx", fused(Param.U, GRU_ORDER), Role.INPUT),
                    Tensor("Wh", fused(Param.W, GRU_ORDER), Role.RECURRENT),
                    Tensor("b", fused(Param.BX, GRU_ORDER), Role.BIAS, when=_has_bias),
                    Tensor("bhn", Block(Param.BH, "n"), Role.RECURRENT_BIAS, when=_has_bias),
                ),
                biases=gru_biases,
                fixed={"reset_after": True},
            ),
        ),
        Kind.RNN: (
            _class(
                "RNN",
                Kind.RNN,
                gates(("h", "h")),
                (
                    Tensor("Wxh", Block(Param.U, "h"), Role.INPUT),
                    Tensor("Whh", Block(Param.W, "h"), Role.RECURRENT),
                    Tensor("bias", Block(Param.BX, "h"), Role.BIAS, when=_has_bias),
                ),
                options=frozenset({"nonlinearity"}),
            ),
        ),
    },
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
            "conv",
            (
                LayerTensor("weight", lambda d: (d.F, d.K, d.I), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNorm",
            "layer_norm",
            (
                LayerTensor("weight", lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("bias", lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(),
    # mlx.nn's activations; leaky_relu's negative_slope defaults to 0.01, gelu is exact
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
        "hard_silu": None,
        "hard_tanh": None,
        "log_sigmoid": None,
        "tanh": None,
        "softplus": None,
        "softsign": None,
        "softmax": None,
        "log_softmax": None,
        "glu": None,
    },
    name_forbids=".",
    name_rule="an MLX module's attribute name has no '.' (it separates the parts of a parameter path)",
    notation=Notation(
        name="column vectors",
        row=False,
        input="W_x{g}",
        recurrent="W_h{g}",
        bias="b_{g}",
        input_bias="b_{g}",
        recurrent_bias="b_h{g}",
        projection="W_p",
    ),
    states=States.PER_CELL_HC,
    conv_channels_first=False,
    out_features_first=True,
    conv_kernel="FKI",
    layer_norm_epsilon=1e-5,
    note="MLX keeps Wx (G·H, I), Wh (G·H, H) and one bias per gate (a GRU also bhn).",
    input_symbol="W_x*",
    recurrent_symbol="W_h*",
    gate_legend="W_x* multiplies x_t and W_h* multiplies h_(t-1), as x_t Wxᵀ + h_(t-1) Whᵀ + b (shapes as MLX "
    "stores them, outputs first); each gate has its own weights and one bias (the GRU candidate a second, bhn).",
    arguments={"input_size": "input_size", "units": "hidden_size", "use_bias": "bias"},
    keys="tree_flatten(model.parameters()) paths: lstm.Wx",
    argument_aliases={"hidden_size": "units", "input_size": "input_size"},
)

"""Keras 3 (``keras``): ``LSTM``, ``GRU``, ``SimpleRNN`` and the layers around them.

Checked against keras 3.15 (``keras/src/layers/rnn/lstm.py``, ``gru.py``, ``simple_rnn.py``,
``bidirectional.py``): fused kernels ``(I, G·H)`` and ``(H, G·H)`` with the gates as column
blocks (LSTM i, f, c, o; GRU z, r, h), one bias per gate, and for a GRU that resets after the
recurrent product (the default) a ``(2, 3H)`` bias whose rows are the input and recurrent sides.
Each stacked layer is its own Keras layer; ``Bidirectional`` wraps a layer as ``forward_<name>``
and ``backward_<name>``.
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
    Role,
    Stacking,
    States,
    Tensor,
    gates,
)
from lstmcount.frameworks.layout import Layout, Stack
from lstmcount.frameworks.layout import gates as fused
from lstmcount.model.spec import ACTIVATIONS

LSTM_ORDER = ("i", "f", "g", "o")
GRU_ORDER = ("z", "r", "n")


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


def keras_cell_tensors(order: tuple[str, ...], suffix: str = "") -> tuple[Tensor, ...]:
    """``kernel``, ``recurrent_kernel`` and ``bias`` over the gates ``order``, as Keras 2 and 3 store them.

    A cell with two biases per gate keeps them as the rows of one ``(2, G·H)`` tensor (a GRU
    that resets after the product: the recurrent bias must sit inside ``r ⊙ (h W + b_rec)``).
    ``suffix`` ends each name (Keras 2's ``:0``).
    """

    def bias(cell: CellSpec) -> Layout:
        if cell.biases is Biases.TWO:
            return Stack((fused(Param.BX, order), fused(Param.BH, order)))
        return fused(Param.BX, order)

    return (
        Tensor("kernel" + suffix, fused(Param.U, order, axis=1, transpose=True), Role.INPUT),
        Tensor("recurrent_kernel" + suffix, fused(Param.W, order, axis=1, transpose=True), Role.RECURRENT),
        Tensor("bias" + suffix, bias, Role.BIAS, when=lambda cell: cell.biases is not Biases.NONE),
    )


def keras_layers(suffix: str = "") -> dict[str, LayerClass]:
    """The layers around the recurrent ones, as Keras 2 and 3 name their weights (``suffix``: Keras 2's ``:0``)."""
    return {
        "embedding": LayerClass(
            "Embedding", "embedding", (LayerTensor("embeddings" + suffix, lambda d: (d.V, d.F), Role.EMBEDDINGS),)
        ),
        "dense": LayerClass(
            "Dense",
            "dense",
            (
                LayerTensor("kernel" + suffix, lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("bias" + suffix, lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "dropout"),
        "conv1d": LayerClass(
            "Conv1D",
            "conv1d",
            (
                LayerTensor("kernel" + suffix, lambda d: (d.K, d.I, d.F), Role.KERNEL),
                LayerTensor("bias" + suffix, lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNormalization",
            "layer_normalization",
            (
                LayerTensor("gamma" + suffix, lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("beta" + suffix, lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    }


def gru_biases(use_bias: bool, reset_after: bool) -> Biases:
    """A Keras GRU keeps a second bias per gate when it resets after the recurrent product."""
    if not use_bias:
        return Biases.NONE
    return Biases.TWO if reset_after else Biases.ONE


def one_bias(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate, or none."""
    return Biases.ONE if use_bias else Biases.NONE


PATHS = Paths(
    single="{layer}/{scope}{tensor}",
    bidirectional="{layer}/{dir}_{inner}/{scope}{tensor}",
    directions=("forward", "backward"),
    stems={"bidirectional": "bidirectional"},
)
RECURRENT_OPTIONS = frozenset({"merge_mode", "activation", "recurrent_activation"})
FRAMEWORK = Framework(
    id="keras",
    display="Keras 3",
    order=0,
    aliases=("keras3", "keras_3", "keras-3", "keras.layers"),
    checked="keras 3.15",
    path_sep="/",
    cells={
        Kind.LSTM: (
            CellClass(
                name="LSTM",
                kind=Kind.LSTM,
                gates=gates(("i", "i"), ("f", "f"), ("c", "g"), ("o", "o")),
                tensors=keras_cell_tensors(LSTM_ORDER),
                biases=one_bias,
                stem="lstm",
                paths=PATHS,
                scope="lstm_cell/",
                stacking=Stacking.LAYERS,
                bidirectional=Bidirectional.WRAPPER,
                wrapper=("Bidirectional", "bidirectional"),
                options=RECURRENT_OPTIONS,
            ),
        ),
        Kind.GRU: (
            CellClass(
                name="GRU",
                kind=Kind.GRU,
                gates=gates(("z", "z"), ("r", "r"), ("h", "n")),
                tensors=keras_cell_tensors(GRU_ORDER),
                biases=gru_biases,
                stem="gru",
                paths=PATHS,
                scope="gru_cell/",
                stacking=Stacking.LAYERS,
                bidirectional=Bidirectional.WRAPPER,
                wrapper=("Bidirectional", "bidirectional"),
                options=RECURRENT_OPTIONS | {"reset_after"},
                defaults={"reset_after": True},
            ),
        ),
        Kind.RNN: (
            CellClass(
                name="SimpleRNN",
                kind=Kind.RNN,
                gates=gates(("h", "h")),
                tensors=keras_cell_tensors(("h",)),
                biases=one_bias,
                stem="simple_rnn",
                paths=PATHS,
                scope="simple_rnn_cell/",
                stacking=Stacking.LAYERS,
                bidirectional=Bidirectional.WRAPPER,
                wrapper=("Bidirectional", "bidirectional"),
                options=frozenset({"merge_mode", "nonlinearity"}),
            ),
        ),
    },
    layers=keras_layers(),
    auto_names_avoid_given=False,
    numbered_from_zero=False,
    restrictions=(),
    # keras/src/activations/__init__.py ALL_OBJECTS (threshold needs arguments, so no name alone
    # builds it); leaky_relu's negative_slope defaults to 0.2, hard_sigmoid is relu6(x + 3) / 6
    activations={a: {"leaky_relu": 0.2, "hard_sigmoid": 1 / 6}.get(a) for a in ACTIVATIONS if a != "softmin"},
    name_forbids="/",
    name_rule="Keras 3 layer names cannot contain '/' (it separates the parts of a weight's path)",
    notation=Notation(
        name="row vectors",
        row=True,
        input="U_{g}",
        recurrent="W_{g}",
        bias="b_{g}",
        input_bias="b^x_{g}",
        recurrent_bias="b^h_{g}",
        projection="W_r",
    ),
    states=States.PER_CELL_HC,
    conv_channels_first=False,
    out_features_first=False,
    conv_kernel="KIF",
    layer_norm_epsilon=1e-3,
    note="Keras keeps one fused kernel (I, G·U), one recurrent_kernel (U, G·U) and one bias per cell.",
    input_symbol="U",
    recurrent_symbol="W",
    gate_legend="U multiplies x_t and W multiplies h_(t-1), as x_t U + h_(t-1) W (shapes as Keras stores "
    "them, inputs first); each gate has its own U, W and bias.",
    arguments={"units": "units", "use_bias": "use_bias"},
    keys="each variable's path: lstm/lstm_cell/kernel (model.weights: w.path)",
)

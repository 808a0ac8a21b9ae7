"""Keras 2 (``keras2``): tf.keras / tf-keras ``LSTM``, ``GRU``, ``SimpleRNN``, their v1 forms and the cuDNN layers.

Checked against tf-keras 2.21 (``tf_keras/src/layers/rnn/``). ``LSTM``, ``GRU`` and ``SimpleRNN``
store their weights as Keras 3 does (fused ``kernel (I, G·H)``, ``recurrent_kernel (H, G·H)``,
LSTM i, f, c, o, GRU z, r, h, a ``(2, 3H)`` bias for a GRU that resets after), named with
TensorFlow's ``:0``: ``lstm/lstm_cell/kernel:0``. The TF1-era classes
(``tf.compat.v1.keras.layers``) keep the old defaults: ``v1.LSTM`` and ``v1.GRU`` use
``hard_sigmoid`` in Keras 2's own definition ``clip(0.2·x + 0.5, 0, 1)``, and ``v1.GRU`` resets
before the product. ``CuDNNLSTM`` and ``CuDNNGRU`` keep cuDNN's buffers: each gate's input
kernel block is cuDNN's row-major ``(H, I)`` matrix read as ``(I, H)``, each recurrent block is
stored untransposed, and the bias holds cuDNN's input-side and recurrent-side halves (``8H``,
``6H``); they use sigmoid and tanh and always have biases. The cuDNN layers run only on a GPU;
their recorded outputs are those of Keras's own conversion to ``LSTM``/``GRU``.
"""

from __future__ import annotations

from typing import Any

from lstmcount.cells import Biases, Kind, Param
from lstmcount.frameworks.base import (
    Bidirectional,
    CellClass,
    Framework,
    Notation,
    Paths,
    Role,
    Stacking,
    States,
    Tensor,
    gates,
)
from lstmcount.frameworks.keras import GRU_ORDER, LSTM_ORDER, gru_biases, keras_cell_tensors, keras_layers, one_bias
from lstmcount.frameworks.layout import Block, Cat
from lstmcount.frameworks.layout import gates as fused

LSTM_GATES = gates(("i", "i"), ("f", "f"), ("c", "g"), ("o", "o"))
GRU_GATES = gates(("z", "z"), ("r", "r"), ("h", "n"))
PATHS = Paths(
    single="{layer}/{scope}{tensor}",
    bidirectional="{layer}/{dir}_{inner}/{scope}{tensor}",
    directions=("forward", "backward"),
    stems={"bidirectional": "bidirectional"},
)
OPTIONS = frozenset({"merge_mode", "activation", "recurrent_activation"})


def two_biases(use_bias: bool, reset_after: bool) -> Biases:
    """cuDNN's input-side and recurrent-side bias per gate."""
    return Biases.TWO


def cudnn_tensors(order: tuple[str, ...]) -> tuple[Tensor, ...]:
    """``kernel``, ``recurrent_kernel`` and ``bias`` as a Keras 2 cuDNN layer stores cuDNN's buffers."""
    return (
        Tensor("kernel:0", Cat(1, tuple(Block(Param.U, r, reinterpret=True) for r in order)), Role.INPUT),
        Tensor("recurrent_kernel:0", Cat(1, tuple(Block(Param.W, r) for r in order)), Role.RECURRENT),
        Tensor("bias:0", Cat(0, (fused(Param.BX, order), fused(Param.BH, order))), Role.BIASES),
    )


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], stem: str, **extra: Any) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=extra.pop("biases", one_bias),
        stem=stem,
        paths=PATHS,
        scope=extra.pop("scope", f"{stem}_cell/"),
        stacking=Stacking.LAYERS,
        bidirectional=Bidirectional.WRAPPER,
        wrapper=("Bidirectional", "bidirectional"),
        **extra,
    )


HARD = {"recurrent_activation": "hard_sigmoid"}
CUDNN = "the cuDNN layer: runs on a GPU only; sigmoid and tanh, always with biases"

FRAMEWORK = Framework(
    id="keras2",
    display="Keras 2",
    order=8,
    aliases=("tf.keras", "tf_keras", "tf-keras", "tensorflow.keras", "keras-2", "keras_2", "tfkeras"),
    checked="tf-keras 2.21 (tensorflow 2.21)",
    path_sep="/",
    cells={
        Kind.LSTM: (
            _class("LSTM", Kind.LSTM, LSTM_GATES, keras_cell_tensors(LSTM_ORDER, ":0"), "lstm", options=OPTIONS),
            _class(
                "v1.LSTM",
                Kind.LSTM,
                LSTM_GATES,
                keras_cell_tensors(LSTM_ORDER, ":0"),
                "lstm",
                options=OPTIONS,
                defaults=HARD,
                about="tf.compat.v1.keras.layers.LSTM: recurrent_activation hard_sigmoid by default",
            ),
            _class(
                "CuDNNLSTM",
                Kind.LSTM,
                LSTM_GATES,
                cudnn_tensors(LSTM_ORDER),
                "cu_dnnlstm",
                scope="",
                biases=two_biases,
                bias_switch=False,
                options=frozenset({"merge_mode"}),
                about=CUDNN,
            ),
        ),
        Kind.GRU: (
            _class(
                "GRU",
                Kind.GRU,
                GRU_GATES,
                keras_cell_tensors(GRU_ORDER, ":0"),
                "gru",
                biases=gru_biases,
                options=OPTIONS | {"reset_after"},
                defaults={"reset_after": True},
            ),
            _class(
                "v1.GRU",
                Kind.GRU,
                GRU_GATES,
                keras_cell_tensors(GRU_ORDER, ":0"),
                "gru",
                biases=gru_biases,
                options=OPTIONS | {"reset_after"},
                defaults={"reset_after": False, **HARD},
                about="tf.compat.v1.keras.layers.GRU: hard_sigmoid, and the reset before the product, by default",
            ),
            _class(
                "CuDNNGRU",
                Kind.GRU,
                GRU_GATES,
                cudnn_tensors(GRU_ORDER),
                "cu_dnngru",
                scope="",
                biases=two_biases,
                bias_switch=False,
                fixed={"reset_after": True},
                options=frozenset({"merge_mode"}),
                about=CUDNN,
            ),
        ),
        Kind.RNN: (
            _class(
                "SimpleRNN",
                Kind.RNN,
                gates(("h", "h")),
                keras_cell_tensors(("h",), ":0"),
                "simple_rnn",
                options=frozenset({"merge_mode", "nonlinearity"}),
            ),
        ),
    },
    layers=keras_layers(":0"),
    auto_names_avoid_given=False,
    numbered_from_zero=False,
    restrictions=(),
    # tf_keras.activations; hard_sigmoid is Keras 2's clip(0.2 x + 0.5, 0, 1), gelu exact
    activations={
        "linear": None,
        "relu": None,
        "relu6": None,
        "elu": None,
        "selu": None,
        "gelu": None,
        "silu": None,
        "mish": None,
        "sigmoid": None,
        "hard_sigmoid": 0.2,
        "tanh": None,
        "softplus": None,
        "softsign": None,
        "softmax": None,
        "exponential": None,
    },
    name_forbids="/",
    name_rule="a Keras 2 layer name with '/' would split its weights' names into further scopes",
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
    note="Keras 2 keeps one fused kernel (I, G·U), one recurrent_kernel (U, G·U) and one bias per cell.",
    input_symbol="U",
    recurrent_symbol="W",
    gate_legend="U multiplies x_t and W multiplies h_(t-1), as x_t U + h_(t-1) W (shapes as Keras stores them, "
    "inputs first); each gate has its own U, W and bias (a cuDNN layer's blocks are cuDNN's, see explain).",
    arguments={"units": "units", "use_bias": "use_bias"},
    keys="each weight's name: lstm/lstm_cell/kernel:0 (model.weights: w.name)",
)

"""TensorFlow 1 (``tf1``): the ``tf.compat.v1.nn.rnn_cell`` cells run by ``dynamic_rnn``.

Checked against TensorFlow 2.21 with tf-keras 2.21 (the cells live in
``tf_keras/src/layers/rnn/legacy_cells.py`` and need ``TF_USE_LEGACY_KERAS=1``). Every cell
keeps one ``kernel`` over the concatenation ``[x, h]`` (input rows first) with the gates as column
blocks, and a ``bias`` (no cell has a bias switch):

* ``LSTMCell``: ``kernel [I + R, 4H]``, gates i, j, f, o (j the candidate), ``bias [4H]``; with
  ``use_peepholes`` the diagonal ``w_f_diag``, ``w_i_diag``, ``w_o_diag`` ``[H]`` (f and i read
  ``c_{t-1}``, o the new ``c_t``); with ``num_proj`` P, ``projection/kernel [H, P]``;
  ``forget_bias`` (default 1.0) is added to f at run time and stored nowhere;
* ``BasicLSTMCell``: ``kernel`` and ``bias`` only, the same gates and forget bias;
* ``GRUCell``: ``gates/kernel [I + H, 2H]`` (r, u) and ``gates/bias``, ``candidate/kernel
  [I + H, H]`` and ``candidate/bias``; the reset multiplies h before the product;
* ``BasicRNNCell``: ``kernel [I + H, H]`` and ``bias``.

Variables are named by scope: ``rnn/lstm_cell/kernel`` under ``dynamic_rnn``,
``rnn/multi_rnn_cell/cell_<k>/...`` for a ``MultiRNNCell`` stack,
``bidirectional_rnn/fw|bw/...`` under ``bidirectional_dynamic_rnn``, and
``stack_bidirectional_rnn/cell_<k>/bidirectional_rnn/fw|bw/...`` for stacked bidirectional
layers. States are ``LSTMStateTuple(c, h)``.
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
from lstmcount.frameworks.layout import Block, Cat
from lstmcount.frameworks.layout import gates as fused

#: TF1's LSTM gate order i, j, f, o, with j the candidate
LSTM_ORDER = ("i", "g", "f", "o")
LSTM_GATES = gates(("i", "i"), ("j", "g"), ("f", "f"), ("o", "o"))


def one_bias(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate, always."""
    return Biases.ONE


def over_x_and_h(order: tuple[str, ...]) -> Cat:
    """A kernel over ``[x, h]``: the input rows of every gate, then the recurrent rows."""
    return Cat(0, (fused(Param.U, order, axis=1, transpose=True), fused(Param.W, order, axis=1, transpose=True)))


PATHS = Paths(
    single="{layer}/{scope}{tensor}",
    stacked="{layer}/multi_rnn_cell/cell_{k}/{scope}{tensor}",
    bidirectional="{layer}/{dir}/{scope}{tensor}",
    stacked_bidirectional="{layer}/cell_{k}/bidirectional_rnn/{dir}/{scope}{tensor}",
    directions=("fw", "bw"),
    stems={
        "single": "rnn",
        "stacked": "rnn",
        "bidirectional": "bidirectional_rnn",
        "stacked_bidirectional": "stack_bidirectional_rnn",
    },
)
COMPOSITION = (
    "TensorFlow 1 has no num_layers or bidirectional option: counted as users build them, a MultiRNNCell stack "
    "under dynamic_rnn, bidirectional_dynamic_rnn for both directions, and stack_bidirectional_dynamic_rnn for both."
)
LSTM_CELL = (
    Tensor("kernel", over_x_and_h(LSTM_ORDER), Role.CONCAT),
    Tensor("bias", fused(Param.BX, LSTM_ORDER), Role.BIAS),
    *(
        Tensor(f"w_{role}_diag", Block(Param.PEEP, role), Role.PEEPHOLE, when=lambda cell: cell.peepholes)
        for role in ("f", "i", "o")
    ),
    Tensor("projection/kernel", Block(Param.PROJ, transpose=True), Role.PROJECTION, when=lambda cell: cell.proj > 0),
)


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], scope: str, **extra: Any) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=one_bias,
        stem="rnn",
        paths=PATHS,
        scope=scope,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.COMPOSED,
        bias_switch=False,
        composition=COMPOSITION,
        **extra,
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


#: tf.nn's activations by name (leaky_relu's alpha defaults to 0.2, gelu is exact)
TF_ACTIVATIONS: dict[str, float | None] = {
    "linear": None,
    "relu": None,
    "relu6": None,
    "leaky_relu": 0.2,
    "elu": None,
    "selu": None,
    "gelu": None,
    "silu": None,
    "sigmoid": None,
    "log_sigmoid": None,
    "tanh": None,
    "softplus": None,
    "softsign": None,
    "softmax": None,
    "log_softmax": None,
}
CELL_ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid", "linear", "relu6", "elu", "selu", "softsign", "softplus"})

FRAMEWORK = Framework(
    id="tf1",
    display="TensorFlow 1",
    order=7,
    aliases=("tf.compat.v1", "tensorflow1", "tf-1", "tf_v1", "tfv1", "tensorflow.compat.v1", "tf.nn.rnn_cell"),
    checked="tensorflow 2.21 with tf-keras 2.21 (TF_USE_LEGACY_KERAS=1)",
    path_sep="/",
    cells={
        Kind.LSTM: (
            _class(
                "LSTMCell",
                Kind.LSTM,
                LSTM_GATES,
                LSTM_CELL,
                "lstm_cell/",
                options=frozenset({"peepholes", "proj_size", "forget_bias", "activation"}),
                defaults={"forget_bias": 1.0},
                projection_below_units=False,  # num_proj may be as large as num_units, or larger
                cell_activations=CELL_ACTIVATIONS,
                about="peepholes, a projection (num_proj) and clipping available",
            ),
            _class(
                "BasicLSTMCell",
                Kind.LSTM,
                LSTM_GATES,
                (
                    Tensor("kernel", over_x_and_h(LSTM_ORDER), Role.CONCAT),
                    Tensor("bias", fused(Param.BX, LSTM_ORDER), Role.BIAS),
                ),
                "basic_lstm_cell/",
                options=frozenset({"forget_bias", "activation"}),
                defaults={"forget_bias": 1.0},
                cell_activations=CELL_ACTIVATIONS,
                about="the plain cell: kernel and bias only",
            ),
        ),
        Kind.GRU: (
            _class(
                "GRUCell",
                Kind.GRU,
                gates(("r", "r"), ("u", "z"), ("c", "n")),
                (
                    Tensor("gates/kernel", over_x_and_h(("r", "z")), Role.CONCAT),
                    Tensor("gates/bias", fused(Param.BX, ("r", "z")), Role.BIAS),
                    Tensor("candidate/kernel", over_x_and_h(("n",)), Role.CONCAT),
                    Tensor("candidate/bias", Block(Param.BX, "n"), Role.BIAS),
                ),
                "gru_cell/",
                options=frozenset({"activation"}),
                fixed={"reset_after": False},
                cell_activations=CELL_ACTIVATIONS,
            ),
        ),
        Kind.RNN: (
            _class(
                "BasicRNNCell",
                Kind.RNN,
                gates(("h", "h")),
                (Tensor("kernel", over_x_and_h(("h",)), Role.CONCAT), Tensor("bias", Block(Param.BX, "h"), Role.BIAS)),
                "basic_rnn_cell/",
                options=frozenset({"nonlinearity"}),
            ),
        ),
    },
    layers={
        "dense": LayerClass(
            "dense",
            "dense",
            (
                LayerTensor("kernel", lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("dropout", "dropout"),
        "conv1d": LayerClass(
            "conv1d",
            "conv1d",
            (
                LayerTensor("kernel", lambda d: (d.K, d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(),
    activations=TF_ACTIVATIONS,
    name_forbids="/",
    name_rule="a variable scope's name has no '/' (it separates the scopes of a variable's name)",
    notation=Notation(
        name="row vectors, one matrix per gate over [x_t, h_{t-1}]",
        row=True,
        concat=True,
        concat_first="x",
        input="W_x{g}",
        recurrent="W_h{g}",
        joined="W_{g}",
        bias="b_{g}",
        input_bias="b_{g}",
        recurrent_bias="b_{g}",
        peephole="w_{g}_diag",
        projection="W_proj",
    ),
    states=States.PER_CELL_CH,
    conv_channels_first=False,
    out_features_first=False,
    conv_kernel="KIF",
    layer_norm_epsilon=1e-12,
    note="TensorFlow 1 keeps one kernel (I + H, G·H) over [x, h] and one bias per cell.",
    input_symbol="W_x*",
    recurrent_symbol="W_h*",
    gate_legend="Each gate's kernel block has input rows W_x* that multiply x_t and recurrent rows W_h* that multiply "
    "h_(t-1), as [x_t, h_(t-1)] kernel + bias (shapes as TensorFlow stores them, inputs first); each gate has one "
    "bias.",
    keys="variable names without ':0' (checkpoint keys): rnn/lstm_cell/kernel",
    argument_aliases={"num_units": "units", "num_proj": "proj_size", "use_peepholes": "peepholes"},
    hints={
        "tensorflow": "write tf1 (tf.compat.v1 cells), keras2 (tf.keras, Keras 2) or keras (Keras 3, TensorFlow 2.16+)",
        "tf": "write tf1 (tf.compat.v1 cells), keras2 (tf.keras, Keras 2) or keras (Keras 3, TensorFlow 2.16+)",
    },
)

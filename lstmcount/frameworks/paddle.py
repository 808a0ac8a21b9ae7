"""PaddlePaddle (``paddle``): ``paddle.nn.LSTM``, ``GRU``, ``SimpleRNN``, the ``paddle.nn.RNN`` wrapper and the cells.

Checked against paddlepaddle 3.3.1 (``paddle/nn/layer/rnn.py``). Each cell keeps ``weight_ih``
``(G·H, I)`` and ``weight_hh`` ``(G·H, R)`` with the gates as row blocks (LSTM i, f, g, o; GRU
r, z, c), two bias vectors ``bias_ih`` and ``bias_hh``, and for an LSTM with ``proj_size`` P
``weight_ho`` ``(H, P)``, applied as ``h @ weight_ho``. A GRU resets after the recurrent product.

``nn.LSTM`` is a list of ``paddle.nn.RNN`` (or ``BiRNN``) layers, so every tensor has a nested
name (``0.cell.weight_ih``, ``0.cell_fw.weight_ih``), and the layer also registers the flat
names ``weight_ih_l0``, ``weight_hh_l0_reverse``, ... by zipping them with its parameters in
order: ``state_dict()`` holds both names, ``named_parameters()`` lists each tensor once under the
flat name. With a projection (five tensors per cell against four names) the zip runs out of
step once a layer has more than one cell, and the names land where Paddle puts them.

``bias_ih_attr=False`` / ``bias_hh_attr=False`` (``use_bias: false``) still create the biases,
as frozen zeros: stored and counted, not trainable. ``nn.LSTM`` built that way fails in Paddle
3.3.1, so lstmcount refuses it and points to the ``RNN`` class (``paddle.nn.RNN(LSTMCell(...))``).
"""

from __future__ import annotations

import dataclasses
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

ORDERS = {Kind.LSTM: ("i", "f", "g", "o"), Kind.GRU: ("r", "z", "n"), Kind.RNN: ("h",)}
GATES = {
    Kind.LSTM: gates(("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")),
    Kind.GRU: gates(("r", "r"), ("z", "z"), ("c", "n")),
    Kind.RNN: gates(("h", "h")),
}
LAYER_NAMES = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN: "SimpleRNN"}
CELL_NAMES = {Kind.LSTM: "LSTMCell", Kind.GRU: "GRUCell", Kind.RNN: "SimpleRNNCell"}
STEMS = {Kind.LSTM: "lstm", Kind.GRU: "gru", Kind.RNN: "rnn"}


def two_biases(use_bias: bool, reset_after: bool) -> Biases:
    """Two bias vectors per gate, always (without bias attributes they are frozen zeros)."""
    return Biases.TWO


def _frozen(layer: Any) -> bool:
    return not getattr(layer, "use_bias", True)


def cell_tensors(kind: Kind) -> tuple[Tensor, ...]:
    """``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (and ``weight_ho``) of one cell."""
    order = ORDERS[kind]
    return (
        Tensor("weight_ih", fused(Param.U, order), Role.INPUT),
        Tensor("weight_hh", fused(Param.W, order), Role.RECURRENT),
        Tensor("bias_ih", fused(Param.BX, order), Role.INPUT_BIAS, frozen=_frozen),
        Tensor("bias_hh", fused(Param.BH, order), Role.RECURRENT_BIAS, frozen=_frozen),
        Tensor("weight_ho", Block(Param.PROJ, transpose=True), Role.PROJECTION, when=lambda cell: cell.proj > 0),
    )


#: nn.LSTM: a LayerList of RNN layers (index k even for one layer), each holding its cell or cells
BASE_PATHS = Paths(
    single="{layer}.{k}.cell.{tensor}",
    bidirectional="{layer}.{k}.{dir}.{tensor}",
    directions=("cell_fw", "cell_bw"),
)
#: paddle.nn.RNN(cell) or BiRNN(cell_fw, cell_bw), in a LayerList when stacked
WRAPPER_PATHS = Paths(
    single="{layer}.cell.{tensor}",
    bidirectional="{layer}.{dir}.{tensor}",
    stacked="{layer}.{k}.cell.{tensor}",
    stacked_bidirectional="{layer}.{k}.{dir}.{tensor}",
    directions=("cell_fw", "cell_bw"),
)
CELL_PATHS = Paths(single="{layer}.{tensor}")
OPTIONS = {Kind.LSTM: frozenset({"proj_size"}), Kind.GRU: frozenset(), Kind.RNN: frozenset({"nonlinearity"})}


def flat_names(layer: Any, tensors: tuple[Any, ...]) -> tuple[Any, ...]:
    """The names ``named_parameters()`` gives an ``nn.LSTM``'s tensors: the flat ones, zipped in order.

    ``RNNBase`` names four tensors per cell (``weight_ih_l{k}{_reverse}``, ``weight_hh...``,
    ``bias_ih...``, ``bias_hh...``) and zips the names with all its parameters, so a fifth
    tensor (``weight_ho``) shifts every later name; a tensor left without a flat name keeps its
    nested one. Each tensor's nested name stays as an alias (``state_dict()`` holds both).
    """
    if not tensors:
        return tensors
    head = tensors[0].path.split(".", 1)[0]
    directions = 2 if getattr(layer, "bidirectional", False) else 1
    names = [
        f"{head}.{kind}_l{k}{'_reverse' if d else ''}"
        for k in range(layer.num_layers)
        for d in range(directions)
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    out = []
    for n, t in enumerate(tensors):
        if n < len(names):
            flat = names[n]
            out.append(t._replace(name=flat.split(".", 1)[1], path=flat, aliases=(t.path,)))
        else:
            out.append(t)
    return tuple(out)


def _classes(kind: Kind) -> tuple[CellClass, ...]:
    base: dict[str, Any] = dict(
        kind=kind, gates=GATES[kind], tensors=cell_tensors(kind), biases=two_biases, stem=STEMS[kind]
    )
    base["fixed"] = {"reset_after": True} if kind is Kind.GRU else {}
    layer = CellClass(
        name=LAYER_NAMES[kind],
        paths=BASE_PATHS,
        stacking=Stacking.NATIVE,
        bidirectional=Bidirectional.NATIVE,
        options=OPTIONS[kind],
        **base,
    )
    wrapper = CellClass(
        name="RNN",
        paths=WRAPPER_PATHS,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.WRAPPER,
        wrapper=("BiRNN", STEMS[kind]),
        options=OPTIONS[kind],
        composition="A stack of paddle.nn.RNN layers is counted as a LayerList of them (paths <layer>.<k>.cell...).",
        about=f"paddle.nn.RNN({CELL_NAMES[kind]}(...)), BiRNN when bidirectional",
        **base,
    )
    cell = CellClass(
        name=CELL_NAMES[kind],
        paths=CELL_PATHS,
        stacking=Stacking.NONE,
        bidirectional=Bidirectional.NONE,
        options=OPTIONS[kind],
        about="one time step; a loop over the sequence calls it (weights shared by every step)",
        **{**base, "stem": STEMS[kind] + "_cell"},
    )
    return layer, wrapper, cell


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


def _paddle_layer_class(layer: Any) -> bool:
    name = getattr(layer, "cell_class", None)
    return name is None or name.lower() in {n.lower() for n in LAYER_NAMES.values()}


def finish(layer: Any, tensors: tuple[Any, ...]) -> tuple[Any, ...]:
    """Flat names for ``nn.LSTM``, ``nn.GRU`` and ``nn.SimpleRNN`` layers; the other classes keep theirs."""
    return flat_names(layer, tensors) if _paddle_layer_class(layer) else tensors


FRAMEWORK = Framework(
    id="paddle",
    display="PaddlePaddle",
    order=9,
    aliases=("paddlepaddle", "paddle.nn", "pd"),
    checked="paddlepaddle 3.3.1",
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
                LayerTensor("weight", lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "dropout"),
        "conv1d": LayerClass(
            "Conv1D",
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
                LayerTensor("weight", lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("bias", lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(
        Restriction(
            frozenset({"lstm", "gru", "simple_rnn"}),
            "use_bias",
            lambda layer: not getattr(layer, "use_bias", True) and _paddle_layer_class(layer),
            "PaddlePaddle 3.3.1's nn.LSTM, nn.GRU and nn.SimpleRNN fail without bias attributes",
            "use {value:class=RNN} (paddle.nn.RNN around the cell), which keeps frozen zero biases",
        ),
        Restriction(
            frozenset({"lstm", "gru", "simple_rnn"}),
            "merge_mode",
            lambda layer: getattr(layer, "bidirectional", False) and getattr(layer, "merge_mode", "concat") != "concat",
            "PaddlePaddle always concatenates the two directions of a bidirectional layer",
            "use {value:merge_mode=concat} or {framework:keras}",
        ),
    ),
    # paddle.nn.functional; leaky_relu's negative_slope defaults to 0.01, hardsigmoid's slope to 1/6
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
        "hard_sigmoid": 1 / 6,
        "hard_silu": None,
        "log_sigmoid": None,
        "tanh": None,
        "hard_tanh": None,
        "tanh_shrink": None,
        "softplus": None,
        "softsign": None,
        "softmax": None,
        "log_softmax": None,
        "hard_shrink": None,
        "soft_shrink": None,
        "glu": None,
    },
    name_forbids=".",
    name_rule="a Paddle sublayer's name has no '.' (it separates the parts of a state-dict key)",
    notation=Notation(
        name="column vectors",
        row=False,
        input="W_i{g}",
        recurrent="W_h{g}",
        bias="b_{g}",
        input_bias="b_i{g}",
        recurrent_bias="b_h{g}",
        projection="W_ho",
    ),
    states=States.STACKED,
    conv_channels_first=True,
    out_features_first=False,
    conv_kernel="FIK",
    layer_norm_epsilon=1e-5,
    note="PaddlePaddle keeps weight_ih (G·H, I), weight_hh (G·H, H) and two bias vectors, bias_ih and bias_hh, "
    "per layer and direction.",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x_t and W_h* multiplies h_(t-1), as x_t W_i*ᵀ + h_(t-1) W_h*ᵀ (shapes as Paddle "
    "stores them, outputs first); each gate has its own weights and two biases, b_i* and b_h*.",
    module_state_dict=True,
    arguments={"input_size": "input_size", "units": "hidden_size", "num_layers": "num_layers"},
    keys="named_parameters() names: lstm.weight_ih_l0 (state_dict() also holds lstm.0.cell.weight_ih)",
    argument_aliases={"hidden_size": "units", "input_size": "input_size"},
    finish=finish,
)

__all__ = ["FRAMEWORK", "dataclasses"]

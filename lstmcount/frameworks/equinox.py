"""Equinox (``equinox``): ``eqx.nn.LSTMCell`` and ``eqx.nn.GRUCell``.

Checked against equinox 0.13.8 (``equinox/nn/_rnn.py``): ``weight_ih`` ``(G·H, I)`` and
``weight_hh`` ``(G·H, H)`` with the gates as row blocks (LSTM i, f, g, o; GRU r, z, n), applied as
``weight @ x``; an LSTM's one ``bias`` ``(4H,)``; a GRU's input-side ``bias`` ``(3H,)`` and
``bias_n`` ``(H,)``, the candidate's recurrent bias inside the reset. ``use_bias=False`` drops
them all. Equinox has no simple RNN cell and no sequence layer: users scan a cell over time,
and write stacks and both directions themselves; lstmcount counts them as a module with
``layers`` (a list) and ``forward``/``backward`` fields. States are ``(h, c)``.
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
from lstmcount.frameworks.flax import JAX_ACTIVATIONS
from lstmcount.frameworks.layout import Block
from lstmcount.frameworks.layout import gates as fused

LSTM_ORDER = ("i", "f", "g", "o")
GRU_ORDER = ("r", "z", "n")


def lstm_biases(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate, or none."""
    return Biases.ONE if use_bias else Biases.NONE


def gru_biases(use_bias: bool, reset_after: bool) -> Biases:
    """Input biases and the candidate's recurrent bias ``bias_n``, or none."""
    return Biases.HN if use_bias else Biases.NONE


PATHS = Paths(
    single="{layer}.{tensor}",
    bidirectional="{layer}.{dir}.{tensor}",
    stacked="{layer}.layers.{k}.{tensor}",
    stacked_bidirectional="{layer}.layers.{k}.{dir}.{tensor}",
    directions=("forward", "backward"),
)
COMPOSITION = (
    "Equinox has a cell and no sequence layer: counted as users compose one, a module whose layers list holds "
    "the stacked cells and whose forward and backward fields hold the two directions."
)


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], biases: Any, stem: str) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=biases,
        stem=stem,
        paths=PATHS,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.COMPOSED,
        composition=COMPOSITION,
        fixed={"reset_after": True} if kind is Kind.GRU else {},
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


FRAMEWORK = Framework(
    id="equinox",
    display="Equinox",
    order=6,
    aliases=("eqx", "equinox.nn", "eqx.nn"),
    checked="equinox 0.13.8 (jax 0.10.2)",
    path_sep=".",
    cells={
        Kind.LSTM: (
            _class(
                "LSTMCell",
                Kind.LSTM,
                gates(("i", "i"), ("f", "f"), ("g", "g"), ("o", "o")),
                (
                    Tensor("weight_ih", fused(Param.U, LSTM_ORDER), Role.INPUT),
                    Tensor("weight_hh", fused(Param.W, LSTM_ORDER), Role.RECURRENT),
                    Tensor("bias", fused(Param.BX, LSTM_ORDER), Role.BIAS, when=lambda c: c.biases is not Biases.NONE),
                ),
                lstm_biases,
                "lstm",
            ),
        ),
        Kind.GRU: (
            _class(
                "GRUCell",
                Kind.GRU,
                gates(("r", "r"), ("z", "z"), ("n", "n")),
                (
                    Tensor("weight_ih", fused(Param.U, GRU_ORDER), Role.INPUT),
                    Tensor("weight_hh", fused(Param.W, GRU_ORDER), Role.RECURRENT),
                    Tensor("bias", fused(Param.BX, GRU_ORDER), Role.BIAS, when=lambda c: c.biases is not Biases.NONE),
                    Tensor("bias_n", Block(Param.BH, "n"), Role.RECURRENT_BIAS, when=lambda c: c.biases is Biases.HN),
                ),
                gru_biases,
                "gru",
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
                LayerTensor("weight", lambda d: (d.F, d.I, d.K), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F, 1), Role.BIAS, when=_use_bias),
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
    activations=JAX_ACTIVATIONS,  # type: ignore[arg-type]
    name_forbids=".",
    name_rule="a module field's name has no '.' (it separates the parts of a leaf's path)",
    notation=Notation(
        name="column vectors",
        row=False,
        input="W_i{g}",
        recurrent="W_h{g}",
        bias="b_{g}",
        input_bias="b_{g}",
        recurrent_bias="b_h{g}",
        projection="W_p",
    ),
    states=States.PER_CELL_HC,
    conv_channels_first=True,
    out_features_first=True,
    conv_kernel="FIK",
    layer_norm_epsilon=1e-5,
    note="Equinox keeps weight_ih (G·H, I), weight_hh (G·H, H) and one bias per gate (a GRU also bias_n).",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x and W_h* multiplies h, as weight_ih @ x + weight_hh @ h + bias (shapes as "
    "Equinox stores them, outputs first); each gate has its own weights and one bias (the GRU candidate a second, "
    "bias_n).",
    arguments={"input_size": "input_size", "units": "hidden_size", "use_bias": "use_bias"},
    keys="the pytree's leaf paths joined by '.': the field names, list indices for layers",
    argument_aliases={"hidden_size": "units", "input_size": "input_size"},
)

"""Flax linen (``flax-linen``): ``nn.LSTMCell``, ``OptimizedLSTMCell``, ``GRUCell``, ``SimpleCell`` in ``nn.RNN``.

Checked against flax 0.12.8 (``flax/linen/recurrent.py``). Every cell is made of ``Dense``
layers, kernels ``(in, features)``: ``LSTMCell`` and ``OptimizedLSTMCell`` the same per-gate
names ``ii``, ``if``, ``ig``, ``io`` (kernels, no bias) and ``hi``, ``hf``, ``hg``, ``ho``
(kernels and biases); ``GRUCell`` ``ir``, ``iz``, ``in`` (kernels and biases) and ``hr``, ``hz``
(kernels) and ``hn`` (kernel and bias, ``b_hn`` inside the reset); ``SimpleCell`` ``i`` (kernel
and bias) and ``h`` (kernel). No cell has a bias switch.

Names are the ones a model written the usual way gets, ``x = nn.RNN(nn.LSTMCell(H))(x)`` inside
an ``@nn.compact`` method: the cell is bound to the enclosing module and numbered by its class,
``LSTMCell_0/ii/kernel``, ``LSTMCell_1/...`` (the RNN's own name never appears); a cell given a
name is that name. Each stacked layer is its own ``nn.RNN``, each bidirectional one an
``nn.Bidirectional`` of two, whose cells are numbered forward first. Carries are ``(c, h)``.
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
from lstmcount.frameworks.flax import JAX_ACTIVATIONS, LSTM_GATES, per_gate_lstm
from lstmcount.frameworks.layout import Block


def one_bias(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate: linen's cells have no bias switch."""
    return Biases.ONE


def hn_bias(use_bias: bool, reset_after: bool) -> Biases:
    """The GRU's input biases and the candidate's recurrent bias b_hn."""
    return Biases.HN


#: the collection of a variables dict (``model.init(...)``) that holds the parameters, and what the
#: others hold: BatchNorm's running statistics, a decoder's cache, sown intermediates
PARAMS = "params"
COLLECTIONS = {
    "batch_stats": "batch statistics (BatchNorm's running mean and variance), not parameters",
    "cache": "a decoding cache, not parameters",
    "intermediates": "intermediate values sown by the model, not parameters",
}

PATHS = Paths(single="{cell}/{tensor}", stems={"single": "RNN", "stacked": "RNN"})
LINEN_LSTM = per_gate_lstm("/", {"i": "i", "f": "f", "g": "g", "o": "o"})
GRU_TENSORS: tuple[Tensor, ...] = (
    *(
        t
        for r in ("r", "z", "n")
        for t in (
            Tensor(f"i{r}/kernel", Block(Param.U, r, transpose=True), Role.INPUT),
            Tensor(f"i{r}/bias", Block(Param.BX, r), Role.INPUT_BIAS),
        )
    ),
    Tensor("hr/kernel", Block(Param.W, "r", transpose=True), Role.RECURRENT),
    Tensor("hz/kernel", Block(Param.W, "z", transpose=True), Role.RECURRENT),
    Tensor("hn/kernel", Block(Param.W, "n", transpose=True), Role.RECURRENT),
    Tensor("hn/bias", Block(Param.BH, "n"), Role.RECURRENT_BIAS),
)


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], **extra: Any) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=extra.pop("biases", one_bias),
        stem="RNN",
        paths=PATHS,
        stacking=Stacking.LAYERS,
        bidirectional=Bidirectional.WRAPPER,
        wrapper=("Bidirectional", "Bidirectional"),
        bias_switch=False,
        cell_stem=name,
        **extra,
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


FRAMEWORK = Framework(
    id="flax-linen",
    display="Flax linen",
    order=4,
    aliases=("linen", "flax.linen", "flax_linen", "flaxlinen"),
    checked="flax 0.12.8 (jax 0.10.2)",
    path_sep="/",
    cells={
        Kind.LSTM: (
            _class("LSTMCell", Kind.LSTM, LSTM_GATES, LINEN_LSTM, about="per-gate Dense layers ii..io, hi..ho"),
            _class(
                "OptimizedLSTMCell",
                Kind.LSTM,
                LSTM_GATES,
                LINEN_LSTM,
                about="the same parameters as LSTMCell, joined into one product at run time",
            ),
        ),
        Kind.GRU: (
            _class(
                "GRUCell",
                Kind.GRU,
                gates(("r", "r"), ("z", "z"), ("n", "n")),
                GRU_TENSORS,
                biases=hn_bias,
                fixed={"reset_after": True},
            ),
        ),
        Kind.RNN: (
            _class(
                "SimpleCell",
                Kind.RNN,
                gates(("h", "h")),
                (
                    Tensor("i/kernel", Block(Param.U, "h", transpose=True), Role.INPUT),
                    Tensor("i/bias", Block(Param.BX, "h"), Role.BIAS),
                    Tensor("h/kernel", Block(Param.W, "h", transpose=True), Role.RECURRENT),
                ),
                options=frozenset({"nonlinearity"}),
            ),
        ),
    },
    layers={
        "embedding": LayerClass("Embed", "Embed", (LayerTensor("embedding", lambda d: (d.V, d.F), Role.EMBEDDINGS),)),
        "dense": LayerClass(
            "Dense",
            "Dense",
            (
                LayerTensor("kernel", lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "Dropout"),
        "conv1d": LayerClass(
            "Conv",
            "Conv",
            (
                LayerTensor("kernel", lambda d: (d.K, d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNorm",
            "LayerNorm",
            (
                LayerTensor("scale", lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("bias", lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=True,
    restrictions=(),
    activations=JAX_ACTIVATIONS,  # type: ignore[arg-type]
    name_forbids="/",
    name_rule="a linen module name has no '/' (it separates the parts of a parameter path)",
    notation=Notation(
        name="row vectors, x @ kernel",
        row=True,
        input="W_i{g}",
        recurrent="W_h{g}",
        bias="b_{g}",
        input_bias="b_i{g}",
        recurrent_bias="b_h{g}",
        projection="W_p",
    ),
    states=States.PER_CELL_CH,
    conv_channels_first=False,
    out_features_first=False,
    conv_kernel="KIF",
    layer_norm_epsilon=1e-6,
    note="Flax linen keeps a kernel (in, features) per Dense layer, one per gate and side.",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x and W_h* multiplies h, as x @ W_i* + h @ W_h* + b (shapes as linen stores its "
    "kernels, inputs first); each gate has its own kernels and one bias (the GRU candidate a second, b_hn).",
    keys="the params collection flattened with '/': LSTMCell_0/ii/kernel",
    argument_aliases={"features": "units"},
)

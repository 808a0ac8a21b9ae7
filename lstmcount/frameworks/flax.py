"""Flax NNX (``flax``): ``nnx.LSTMCell``, ``OptimizedLSTMCell``, ``GRUCell`` and ``SimpleCell`` in ``nnx.RNN``.

Checked against flax 0.12.8 (``flax/nnx/nn/recurrent.py``). Each cell is made of ``nnx.Linear``
layers whose kernels are ``(in, out)`` and multiply as ``x @ kernel``:

* ``LSTMCell`` keeps one ``Linear`` per gate and side: ``ii``, ``if_``, ``ig``, ``io`` (kernels
  ``(I, H)``, no bias) and ``hi``, ``hf``, ``hg``, ``ho`` (kernels ``(H, H)`` with the gate's one
  bias);
* ``OptimizedLSTMCell`` fuses them: ``dense_i`` ``(I, 4H)`` and ``dense_h`` ``(H, 4H)`` with its
  bias, gates i, f, g, o;
* ``GRUCell`` keeps ``dense_i`` ``(I, 3H)`` with a bias and ``dense_h`` ``(H, 3H)`` without any
  (no ``b_hn``), gates r, z, n, resetting after the recurrent product;
* ``SimpleCell`` keeps ``dense_i`` with a bias and ``dense_h`` without.

No cell has a bias switch. ``nnx.RNN`` holds its cell as ``cell``, ``nnx.Bidirectional`` its two
RNNs as ``forward_rnn`` and ``backward_rnn``; NNX has no ``num_layers``, and a stack is an
``nnx.Sequential`` (or ``nnx.List``) whose layers are ``layers.<k>``. Carries are ``(c, h)``.
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

LSTM_GATES = gates(("i", "i"), ("f", "f"), ("g", "g"), ("o", "o"))
GRU_GATES = gates(("r", "r"), ("z", "z"), ("n", "n"))
#: the NNX names of the per-gate Linear layers (``if`` is a Python keyword)
GATE_NAMES = {"i": "i", "f": "f_", "g": "g", "o": "o"}


def one_bias(use_bias: bool, reset_after: bool) -> Biases:
    """One bias per gate: Flax cells have no bias switch."""
    return Biases.ONE


def per_gate_lstm(sep: str, names: dict[str, str]) -> tuple[Tensor, ...]:
    """``ii``, ``if``, ``ig``, ``io`` kernels and ``hi``, ``hf``, ``hg``, ``ho`` kernels and biases (NNX and linen)."""
    inputs = tuple(
        Tensor(f"i{names[r]}{sep}kernel", Block(Param.U, r, transpose=True), Role.INPUT) for r in ("i", "f", "g", "o")
    )
    hidden: tuple[Tensor, ...] = ()
    for r in ("i", "f", "g", "o"):
        hidden += (
            Tensor(f"h{r}{sep}kernel", Block(Param.W, r, transpose=True), Role.RECURRENT),
            Tensor(f"h{r}{sep}bias", Block(Param.BX, r), Role.BIAS),
        )
    return inputs + hidden


#: what ``nnx.state(model)`` holds besides parameters, by a variable's own name: BatchNorm's batch
#: statistics (``nnx.BatchStat``), and the counters and keys of ``nnx.Rngs`` streams (under ``rngs``)
STATISTICS = frozenset({"mean", "var"})
RNG_STREAMS = "rngs"
RNG_STATE = frozenset({"count", "key"})
#: the class of a normalization layer whose statistics a file keeps beside its scale and bias
BATCH_NORM = "BatchNorm"

ORDER_LSTM = ("i", "f", "g", "o")
ORDER_GRU = ("r", "z", "n")

PATHS = Paths(
    single="{layer}.cell.{tensor}",
    bidirectional="{layer}.{dir}.cell.{tensor}",
    stacked="{layer}.layers.{k}.cell.{tensor}",
    stacked_bidirectional="{layer}.layers.{k}.{dir}.cell.{tensor}",
    directions=("forward_rnn", "backward_rnn"),
)
COMPOSITION = (
    "Flax NNX has no num_layers: counted as users stack it, an nnx.Sequential of nnx.RNN layers "
    "(paths layers.<k>.cell...)."
)


def _class(name: str, kind: Kind, cell_gates: Any, tensors: tuple[Tensor, ...], stem: str, **extra: Any) -> CellClass:
    return CellClass(
        name=name,
        kind=kind,
        gates=cell_gates,
        tensors=tensors,
        biases=one_bias,
        stem=stem,
        paths=PATHS,
        stacking=Stacking.COMPOSED,
        bidirectional=Bidirectional.WRAPPER,
        wrapper=("Bidirectional", stem),
        bias_switch=False,
        composition=COMPOSITION,
        **extra,
    )


def _use_bias(layer: Any) -> bool:
    return bool(getattr(layer, "use_bias", True))


#: jax.nn's activations by name; gelu is jax.nn.gelu's default, the tanh approximation
JAX_ACTIVATIONS: dict[str, float | str | None] = {
    "linear": None,
    "relu": None,
    "relu6": None,
    "leaky_relu": 0.01,
    "elu": None,
    "selu": None,
    "celu": None,
    "gelu": "tanh",
    "silu": None,
    "sigmoid": None,
    "hard_sigmoid": 1 / 6,
    "hard_silu": None,
    "hard_tanh": None,
    "log_sigmoid": None,
    "tanh": None,
    "softplus": None,
    "softsign": None,
    "softmax": None,
    "log_softmax": None,
    "glu": None,
}

FRAMEWORK = Framework(
    id="flax",
    display="Flax NNX",
    order=3,
    aliases=("nnx", "flax.nnx", "flax-nnx", "flax_nnx", "jax"),
    checked="flax 0.12.8 (jax 0.10.2)",
    path_sep=".",
    cells={
        Kind.LSTM: (
            _class(
                "LSTMCell",
                Kind.LSTM,
                LSTM_GATES,
                per_gate_lstm(".", GATE_NAMES),
                "lstm",
                about="one nnx.Linear per gate and side: ii, if_, ig, io and hi, hf, hg, ho",
            ),
            _class(
                "OptimizedLSTMCell",
                Kind.LSTM,
                LSTM_GATES,
                (
                    Tensor("dense_i.kernel", fused(Param.U, ORDER_LSTM, axis=1, transpose=True), Role.INPUT),
                    Tensor("dense_h.kernel", fused(Param.W, ORDER_LSTM, axis=1, transpose=True), Role.RECURRENT),
                    Tensor("dense_h.bias", fused(Param.BX, ORDER_LSTM), Role.BIAS),
                ),
                "lstm",
                about="the gates fused into dense_i and dense_h",
            ),
        ),
        Kind.GRU: (
            _class(
                "GRUCell",
                Kind.GRU,
                GRU_GATES,
                (
                    Tensor("dense_i.kernel", fused(Param.U, ORDER_GRU, axis=1, transpose=True), Role.INPUT),
                    Tensor("dense_i.bias", fused(Param.BX, ORDER_GRU), Role.BIAS),
                    Tensor("dense_h.kernel", fused(Param.W, ORDER_GRU, axis=1, transpose=True), Role.RECURRENT),
                ),
                "gru",
                fixed={"reset_after": True},
            ),
        ),
        Kind.RNN: (
            _class(
                "SimpleCell",
                Kind.RNN,
                gates(("h", "h")),
                (
                    Tensor("dense_i.kernel", Block(Param.U, "h", transpose=True), Role.INPUT),
                    Tensor("dense_i.bias", Block(Param.BX, "h"), Role.BIAS),
                    Tensor("dense_h.kernel", Block(Param.W, "h", transpose=True), Role.RECURRENT),
                ),
                "rnn",
                options=frozenset({"nonlinearity"}),
            ),
        ),
    },
    layers={
        "embedding": LayerClass("Embed", "embed", (LayerTensor("embedding", lambda d: (d.V, d.F), Role.EMBEDDINGS),)),
        "dense": LayerClass(
            "Linear",
            "linear",
            (
                LayerTensor("kernel", lambda d: (d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "dropout": LayerClass("Dropout", "dropout"),
        "conv1d": LayerClass(
            "Conv",
            "conv",
            (
                LayerTensor("kernel", lambda d: (d.K, d.I, d.F), Role.KERNEL),
                LayerTensor("bias", lambda d: (d.F,), Role.BIAS, when=_use_bias),
            ),
        ),
        "layer_normalization": LayerClass(
            "LayerNorm",
            "layer_norm",
            (
                LayerTensor("scale", lambda d: (d.F,), Role.SCALE, when=lambda layer: layer.scale),
                LayerTensor("bias", lambda d: (d.F,), Role.OFFSET, when=lambda layer: layer.center),
            ),
        ),
    },
    auto_names_avoid_given=True,
    numbered_from_zero=False,
    restrictions=(),
    activations=JAX_ACTIVATIONS,  # type: ignore[arg-type]
    name_forbids=".",
    name_rule="a module attribute's name has no '.' (it separates the parts of a state path)",
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
    note="Flax NNX keeps a kernel (in, out) per Linear layer and the gate's one bias on the recurrent side.",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x and W_h* multiplies h, as x @ W_i* + h @ W_h* + b (shapes as Flax stores "
    "its kernels, inputs first); each gate has its own kernels and one bias.",
    keys="nnx.state(model, nnx.Param) paths joined by '.': rnn.cell.ii.kernel",
    argument_aliases={"hidden_features": "units", "in_features": "input_size"},
)

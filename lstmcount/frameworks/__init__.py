"""Framework conventions: tensor names, shapes, gate order, bias vectors and what is allowed.

Everything that differs between Keras 3 and PyTorch lives in one :class:`Convention` table
per framework. The counter, the forward pass and the explainer read these tables; none of them
tests ``framework == ...``. A further framework is one more table in :data:`CONVENTIONS`.

Shapes are written as functions of :class:`Dims`, the sizes of one cell instance (one
direction of one stacked layer) or of one plain layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from lstmcount.model.spec import (
    ACTIVATIONS,
    Conv1DSpec,
    Framework,
    GRUSpec,
    LayerNormSpec,
    LayerSpec,
    LayerType,
    LSTMSpec,
    MergeMode,
    Padding,
    RecurrentSpec,
)

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Dims:
    """Sizes that tensor shapes are written in.

    ``I`` input features, ``H`` units, ``P`` projection size (0 = none), ``G`` gates of the
    cell, ``K`` kernel width, ``V`` vocabulary, ``F`` output features (dense, conv, embedding
    width, normalized features).
    """

    I: int = 0  # noqa: E741 - the conventional symbol for input size
    H: int = 0
    P: int = 0
    G: int = 1
    K: int = 0
    V: int = 0
    F: int = 0

    @property
    def R(self) -> int:  # noqa: N802 - symbol
        """Width of the recurrent input h_{t-1}: the projection size when there is one."""
        return self.P or self.H


class Role(StrEnum):
    """What a tensor is, in the notation the reports use (x_t U + h_{t-1} W + b)."""

    INPUT = "input"  # U: multiplies x_t
    RECURRENT = "recurrent"  # W: multiplies h_{t-1}
    BIAS = "bias"  # b (Keras GRU reset_after: row 0 input bias, row 1 recurrent bias)
    INPUT_BIAS = "input_bias"  # PyTorch b_i*
    RECURRENT_BIAS = "recurrent_bias"  # PyTorch b_h*
    PROJECTION = "projection"  # PyTorch weight_hr: h_t = W_hr (o * tanh(c))
    KERNEL = "kernel"
    EMBEDDINGS = "embeddings"
    SCALE = "scale"
    OFFSET = "offset"


@dataclass(frozen=True)
class TensorRule:
    """One tensor a layer creates: name template, shape, role, and when it exists.

    ``gate_axis`` is the axis along which the gates' blocks are stacked, in gate order;
    ``None`` for tensors that are not split by gate.
    """

    name: str
    shape: Callable[[Dims], Shape]
    role: Role
    gate_axis: int | None = None
    when: Callable[[LayerSpec], bool] = lambda layer: True


@dataclass(frozen=True)
class Gate:
    """One gate of a cell: its symbol in the framework's docs, its meaning, activation and role.

    ``role`` is the gate's part in the cell equations, whatever the framework calls it: ``i``,
    ``f``, ``g``, ``o`` (LSTM input, forget, candidate, output), ``r``, ``z``, ``n`` (GRU reset,
    update, candidate) or ``h`` (simple RNN).
    """

    symbol: str
    meaning: str
    activation: str
    role: str


@dataclass(frozen=True)
class Restriction:
    """An option combination a framework cannot build."""

    types: frozenset[LayerType]
    field: str
    broken: Callable[[LayerSpec], bool]
    message: str
    hint: str


def _bias(layer: LayerSpec) -> bool:
    return bool(getattr(layer, "use_bias", True))


def _proj(layer: LayerSpec) -> bool:
    return isinstance(layer, LSTMSpec) and layer.proj_size > 0


def _center(layer: LayerSpec) -> bool:
    return isinstance(layer, LayerNormSpec) and layer.center


def _scale(layer: LayerSpec) -> bool:
    return isinstance(layer, LayerNormSpec) and layer.scale


@dataclass(frozen=True)
class Convention:
    """Everything lstmcount knows about one framework's way of building layers."""

    framework: Framework
    display: str
    #: joins layer name and tensor name into the path a checkpoint uses
    path_sep: str
    #: the framework's class for each layer type
    class_names: Mapping[LayerType, str]
    #: stem of automatic layer names (a repeated stem gets _1, _2, ...)
    name_stems: Mapping[LayerType, str]
    #: whether automatic names step over names given in the spec; Keras does not (each class
    #: numbers its unnamed layers lstm, lstm_1, ... whatever names were given, and refuses a
    #: model whose layer names clash)
    auto_names_avoid_given: bool
    #: gates in the order their blocks are stacked in the fused tensors
    gates: Mapping[LayerType, tuple[Gate, ...]]
    #: tensors of one recurrent cell instance; names may use {k} (stacked index) and {sfx}
    recurrent_tensors: Mapping[LayerType, tuple[TensorRule, ...]]
    #: tensors of the other layers
    layer_tensors: Mapping[LayerType, tuple[TensorRule, ...]]
    #: True: num_layers stacks inside one module; False: one framework layer per stacked layer
    native_stacking: bool
    #: wrapper class for bidirectional layers, and the prefix of each direction's sub-layer
    #: (Keras: Bidirectional with forward_<inner>/ and backward_<inner>/), or None when the
    #: directions are told apart by a tensor-name suffix
    bidirectional_wrapper: str | None
    direction_suffixes: tuple[str, str]
    #: prefix of a cell's tensors inside its layer ("lstm_cell/" in Keras)
    cell_prefix: Callable[[LayerType], str]
    #: reset_after value when the spec leaves it unset (None: the framework has no such option)
    gru_reset_after_default: bool
    #: Conv1d output is (batch, channels, steps) rather than (batch, steps, channels)
    conv_channels_first: bool
    #: dense, conv and projection weights are stored output features first ((F, I), (F, I, K),
    #: (P, H)) and multiply as x Wᵀ, rather than input first ((I, F), (K, I, F)) as x W
    out_features_first: bool
    #: final states of a recurrent layer come as one (layers·directions, batch, width) array per
    #: state (PyTorch h_n, c_n) rather than one (batch, width) array per direction and state
    stacked_states: bool
    #: epsilon added to the variance in layer normalization
    layer_norm_epsilon: float
    restrictions: tuple[Restriction, ...]
    #: how the counts of a recurrent cell are spelt out, with symbols I, H, P, R, G
    note: str
    #: the activations a dense or conv layer may name (see :data:`lstmcount.model.spec.ACTIVATIONS`), each
    #: with the constant the framework gives it when named alone (leaky_relu's negative slope)
    activations: Mapping[str, float | None]
    #: characters a layer name may not contain, and why
    name_forbids: str
    name_rule: str
    #: the symbols of a gate's input and recurrent weights in the framework's docs, and a line saying
    #: what they multiply and in which orientation the framework stores them
    input_symbol: str
    recurrent_symbol: str
    gate_legend: str

    def class_name(self, layer: LayerSpec) -> str:
        """The framework class that builds ``layer`` (the wrapper for bidirectional Keras layers)."""
        if isinstance(layer, RecurrentSpec) and layer.bidirectional and self.bidirectional_wrapper:
            return self.bidirectional_wrapper
        return self.class_names[layer.TYPE]

    def bias_vectors(self, layer: RecurrentSpec) -> int:
        """Bias vectors per gate: 0 without bias, 2 for PyTorch and Keras GRU reset_after."""
        if not layer.use_bias:
            return 0
        rules = self.recurrent_tensors[layer.TYPE]
        dims = Dims(I=1, H=1, G=1)
        count = 0
        for rule in rules:
            if rule.role in (Role.BIAS, Role.INPUT_BIAS, Role.RECURRENT_BIAS) and rule.when(layer):
                shape = rule.shape(dims)
                count += shape[0] if len(shape) == 2 else 1
        return count


RECURRENT = frozenset({LayerType.LSTM, LayerType.GRU, LayerType.SIMPLE_RNN})

LSTM_GATES_DOC = {
    "i": "input gate: how much of the candidate enters the cell state",
    "f": "forget gate: how much of the previous cell state is kept",
    "g": "cell candidate: the new content proposed for the cell state",
    "o": "output gate: how much of tanh(cell state) becomes h_t",
}


def _keras_gru_reset_after(layer: LayerSpec) -> bool:
    return isinstance(layer, GRUSpec) and layer.reset_after is not False


def _keras_recurrent(cell_bias_two_rows: Callable[[LayerSpec], bool]) -> tuple[TensorRule, ...]:
    return (
        TensorRule("kernel", lambda d: (d.I, d.G * d.H), Role.INPUT, gate_axis=1),
        TensorRule("recurrent_kernel", lambda d: (d.H, d.G * d.H), Role.RECURRENT, gate_axis=1),
        # Keras GRU with reset_after keeps the input and recurrent biases apart, as rows 0 and 1
        # of one (2, 3U) tensor: the recurrent bias must sit inside r * (h W + b_rec).
        TensorRule(
            "bias",
            lambda d: (2, d.G * d.H),
            Role.BIAS,
            gate_axis=1,
            when=lambda layer: _bias(layer) and cell_bias_two_rows(layer),
        ),
        TensorRule(
            "bias",
            lambda d: (d.G * d.H,),
            Role.BIAS,
            gate_axis=0,
            when=lambda layer: _bias(layer) and not cell_bias_two_rows(layer),
        ),
    )


_KERAS_NO_TWO_ROWS: Callable[[LayerSpec], bool] = lambda layer: False  # noqa: E731

KERAS = Convention(
    framework=Framework.KERAS,
    display="Keras 3",
    path_sep="/",
    class_names={
        LayerType.LSTM: "LSTM",
        LayerType.GRU: "GRU",
        LayerType.SIMPLE_RNN: "SimpleRNN",
        LayerType.EMBEDDING: "Embedding",
        LayerType.DENSE: "Dense",
        LayerType.DROPOUT: "Dropout",
        LayerType.CONV1D: "Conv1D",
        LayerType.LAYER_NORMALIZATION: "LayerNormalization",
    },
    name_stems={
        LayerType.LSTM: "lstm",
        LayerType.GRU: "gru",
        LayerType.SIMPLE_RNN: "simple_rnn",
        LayerType.EMBEDDING: "embedding",
        LayerType.DENSE: "dense",
        LayerType.DROPOUT: "dropout",
        LayerType.CONV1D: "conv1d",
        LayerType.LAYER_NORMALIZATION: "layer_normalization",
    },
    auto_names_avoid_given=False,
    gates={
        LayerType.LSTM: (
            Gate("i", "input", "sigmoid", "i"),
            Gate("f", "forget", "sigmoid", "f"),
            Gate("c", "cell candidate", "tanh", "g"),
            Gate("o", "output", "sigmoid", "o"),
        ),
        LayerType.GRU: (
            Gate("z", "update", "sigmoid", "z"),
            Gate("r", "reset", "sigmoid", "r"),
            Gate("h", "candidate", "tanh", "n"),
        ),
        LayerType.SIMPLE_RNN: (Gate("h", "hidden", "tanh", "h"),),
    },
    recurrent_tensors={
        LayerType.LSTM: _keras_recurrent(_KERAS_NO_TWO_ROWS),
        LayerType.GRU: _keras_recurrent(_keras_gru_reset_after),
        LayerType.SIMPLE_RNN: _keras_recurrent(_KERAS_NO_TWO_ROWS),
    },
    layer_tensors={
        LayerType.EMBEDDING: (TensorRule("embeddings", lambda d: (d.V, d.F), Role.EMBEDDINGS),),
        LayerType.DENSE: (
            TensorRule("kernel", lambda d: (d.I, d.F), Role.KERNEL),
            TensorRule("bias", lambda d: (d.F,), Role.BIAS, when=_bias),
        ),
        LayerType.DROPOUT: (),
        LayerType.CONV1D: (
            TensorRule("kernel", lambda d: (d.K, d.I, d.F), Role.KERNEL),
            TensorRule("bias", lambda d: (d.F,), Role.BIAS, when=_bias),
        ),
        LayerType.LAYER_NORMALIZATION: (
            TensorRule("gamma", lambda d: (d.F,), Role.SCALE, when=_scale),
            TensorRule("beta", lambda d: (d.F,), Role.OFFSET, when=_center),
        ),
    },
    native_stacking=False,
    bidirectional_wrapper="Bidirectional",
    direction_suffixes=("", ""),
    cell_prefix=lambda t: f"{t.value}_cell/",
    gru_reset_after_default=True,
    conv_channels_first=False,
    out_features_first=False,
    stacked_states=False,
    layer_norm_epsilon=1e-3,
    restrictions=(
        Restriction(
            frozenset({LayerType.LSTM}),
            "proj_size",
            _proj,
            "Keras LSTM has no projection (proj_size is a PyTorch LSTM option)",
            "remove {field:proj_size} or use {framework:pytorch}",
        ),
    ),
    note="Keras keeps one fused kernel (I, G·U), one recurrent_kernel (U, G·U) and one bias per cell.",
    # keras/src/activations/__init__.py ALL_OBJECTS (threshold needs arguments, so no name alone
    # builds it); leaky_relu's negative_slope defaults to 0.2
    activations={a: (0.2 if a == "leaky_relu" else None) for a in ACTIVATIONS if a != "softmin"},
    name_forbids="/",
    name_rule="Keras 3 layer names cannot contain '/' (it separates the parts of a weight's path)",
    input_symbol="U",
    recurrent_symbol="W",
    gate_legend="U multiplies x_t and W multiplies h_(t-1), as x_t U + h_(t-1) W (shapes as Keras stores "
    "them, inputs first); each gate has its own U, W and bias.",
)


def _pt_recurrent() -> tuple[TensorRule, ...]:
    return (
        TensorRule("weight_ih_l{k}{sfx}", lambda d: (d.G * d.H, d.I), Role.INPUT, gate_axis=0),
        TensorRule("weight_hh_l{k}{sfx}", lambda d: (d.G * d.H, d.R), Role.RECURRENT, gate_axis=0),
        TensorRule("bias_ih_l{k}{sfx}", lambda d: (d.G * d.H,), Role.INPUT_BIAS, gate_axis=0, when=_bias),
        TensorRule("bias_hh_l{k}{sfx}", lambda d: (d.G * d.H,), Role.RECURRENT_BIAS, gate_axis=0, when=_bias),
        TensorRule("weight_hr_l{k}{sfx}", lambda d: (d.P, d.H), Role.PROJECTION, when=_proj),
    )


PYTORCH = Convention(
    framework=Framework.PYTORCH,
    display="PyTorch",
    path_sep=".",
    class_names={
        LayerType.LSTM: "LSTM",
        LayerType.GRU: "GRU",
        LayerType.SIMPLE_RNN: "RNN",
        LayerType.EMBEDDING: "Embedding",
        LayerType.DENSE: "Linear",
        LayerType.DROPOUT: "Dropout",
        LayerType.CONV1D: "Conv1d",
        LayerType.LAYER_NORMALIZATION: "LayerNorm",
    },
    name_stems={
        LayerType.LSTM: "lstm",
        LayerType.GRU: "gru",
        LayerType.SIMPLE_RNN: "rnn",
        LayerType.EMBEDDING: "embedding",
        LayerType.DENSE: "linear",
        LayerType.DROPOUT: "dropout",
        LayerType.CONV1D: "conv1d",
        LayerType.LAYER_NORMALIZATION: "layer_norm",
    },
    auto_names_avoid_given=True,
    gates={
        LayerType.LSTM: (
            Gate("i", "input", "sigmoid", "i"),
            Gate("f", "forget", "sigmoid", "f"),
            Gate("g", "cell candidate", "tanh", "g"),
            Gate("o", "output", "sigmoid", "o"),
        ),
        LayerType.GRU: (
            Gate("r", "reset", "sigmoid", "r"),
            Gate("z", "update", "sigmoid", "z"),
            Gate("n", "candidate", "tanh", "n"),
        ),
        LayerType.SIMPLE_RNN: (Gate("h", "hidden", "tanh", "h"),),
    },
    recurrent_tensors={t: _pt_recurrent() for t in RECURRENT},
    layer_tensors={
        LayerType.EMBEDDING: (TensorRule("weight", lambda d: (d.V, d.F), Role.EMBEDDINGS),),
        LayerType.DENSE: (
            TensorRule("weight", lambda d: (d.F, d.I), Role.KERNEL),
            TensorRule("bias", lambda d: (d.F,), Role.BIAS, when=_bias),
        ),
        LayerType.DROPOUT: (),
        LayerType.CONV1D: (
            TensorRule("weight", lambda d: (d.F, d.I, d.K), Role.KERNEL),
            TensorRule("bias", lambda d: (d.F,), Role.BIAS, when=_bias),
        ),
        LayerType.LAYER_NORMALIZATION: (
            TensorRule("weight", lambda d: (d.F,), Role.SCALE, when=_scale),
            TensorRule("bias", lambda d: (d.F,), Role.OFFSET, when=_center),
        ),
    },
    native_stacking=True,
    bidirectional_wrapper=None,
    direction_suffixes=("", "_reverse"),
    cell_prefix=lambda t: "",
    gru_reset_after_default=True,
    conv_channels_first=True,
    out_features_first=True,
    stacked_states=True,
    layer_norm_epsilon=1e-5,
    restrictions=(
        Restriction(
            frozenset({LayerType.GRU}),
            "reset_after",
            lambda layer: isinstance(layer, GRUSpec) and layer.reset_after is not None,
            "reset_after is a Keras GRU option; PyTorch's GRU always applies the reset gate "
            "after the recurrent product (Keras reset_after: true)",
            "remove {field:reset_after} or use {framework:keras}",
        ),
        Restriction(
            RECURRENT,
            "merge_mode",
            lambda layer: (
                isinstance(layer, RecurrentSpec) and layer.bidirectional and layer.merge_mode is not MergeMode.CONCAT
            ),
            "PyTorch always concatenates the two directions of a bidirectional layer",
            "use {value:merge_mode=concat} or {framework:keras}",
        ),
        Restriction(
            frozenset({LayerType.LAYER_NORMALIZATION}),
            "scale",
            lambda layer: _center(layer) and not _scale(layer),
            "PyTorch LayerNorm cannot learn an offset without a scale",
            "set {value:scale=true}, or {value:center=false}, or use {framework:keras}",
        ),
        Restriction(
            frozenset({LayerType.CONV1D}),
            "padding",
            lambda layer: isinstance(layer, Conv1DSpec) and layer.padding is Padding.SAME and layer.strides > 1,
            "PyTorch Conv1d does not support padding 'same' with strides > 1",
            "use {value:padding=valid}, {value:strides=1}, or {framework:keras}",
        ),
    ),
    note="PyTorch keeps weight_ih (G·H, I), weight_hh (G·H, H) and two bias vectors, "
    "bias_ih and bias_hh, per layer and direction.",
    # torch.nn.functional; leaky_relu's negative_slope defaults to 0.01
    activations={
        a: (0.01 if a == "leaky_relu" else None)
        for a in ACTIVATIONS
        if a not in ("exponential", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus")
    },
    name_forbids=".",
    name_rule="nn.Module.add_module refuses a name with '.' (it separates the parts of a state-dict key)",
    input_symbol="W_i*",
    recurrent_symbol="W_h*",
    gate_legend="W_i* multiplies x_t and W_h* multiplies h_(t-1), as W_ii x_t + W_hi h_(t-1) for gate i "
    "(shapes as PyTorch stores them, outputs first); each gate has its own weights and two biases, b_i* and b_h*.",
)

CONVENTIONS: Mapping[Framework, Convention] = {c.framework: c for c in (KERAS, PYTORCH)}


def convention(framework: Framework | str) -> Convention:
    """The convention table of ``framework``."""
    return CONVENTIONS[Framework(framework)]

"""What a framework module declares: the data that describes how one framework builds layers.

A framework is one module of :class:`Framework` data (``lstmcount/frameworks/<name>.py``): its
recurrent classes (:class:`CellClass`: gates in the framework's order, tensors as layouts over the
canonical blocks of :mod:`lstmcount.cells`, bias forms, options and defaults, how stacked and
bidirectional layers are named), its other layers (:class:`LayerClass`), how it names layers,
what it refuses, its activations, how it returns final states and how its documentation writes
the equations (:class:`Notation`). Nothing outside a framework's own module names it; the counter,
the forward pass, explain, costs and conversion read only these tables and :mod:`lstmcount.cells`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lstmcount.cells import ROLES, Biases, CellSpec, Kind
from lstmcount.frameworks.layout import Layout

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Dims:
    """Sizes the shapes of a non-recurrent layer's tensors are written in.

    ``I`` input features, ``F`` output features (dense, conv, embedding width, normalized
    features), ``K`` kernel width, ``V`` vocabulary.
    """

    I: int = 0  # noqa: E741 - the conventional symbol for input size
    F: int = 0
    K: int = 0
    V: int = 0


class Role(StrEnum):
    """What a tensor is, for tables, costs and pictures (its blocks say exactly what it holds)."""

    INPUT = "input"  # U: multiplies x_t
    RECURRENT = "recurrent"  # W: multiplies h_{t-1}
    CONCAT = "concat"  # U and W side by side, over [x; h] (TF1)
    BIAS = "bias"  # the bias (one per gate, or Keras's (2, 3H) GRU bias)
    INPUT_BIAS = "input_bias"  # b_i* of two
    RECURRENT_BIAS = "recurrent_bias"  # b_h* of two, or a GRU's b_hn
    BIASES = "biases"  # both biases in one tensor (ONNX B, cuDNN's 8H)
    PEEPHOLE = "peephole"  # diagonal peephole weights
    PROJECTION = "projection"  # h_t = P (o ⊙ tanh c_t)
    KERNEL = "kernel"
    EMBEDDINGS = "embeddings"
    SCALE = "scale"
    OFFSET = "offset"
    OTHER = "other"  # a tensor of a layer lstmcount does not model


#: roles whose tensors multiply (matrix products), and roles of bias-like tensors, for costs
MATRIX_ROLES = frozenset({Role.INPUT, Role.RECURRENT, Role.CONCAT, Role.PROJECTION, Role.KERNEL})


def always(cell: Any) -> bool:
    """A condition that always holds."""
    return True


@dataclass(frozen=True)
class Tensor:
    """One tensor of a recurrent cell: its name, its layout over the canonical blocks, its role.

    ``name`` may use ``{k}`` (the stacked layer) and ``{sfx}`` (the framework's direction
    suffix). ``layout`` is a :mod:`~lstmcount.frameworks.layout` expression, or a function of the
    cell instance for a layout that depends on its options. ``when`` says whether the cell has
    it. A ``per_layer`` tensor holds both directions (its layout uses ``Directions``).
    ``frozen`` says, from the layer's spec, whether the framework stores it untrained.
    """

    name: str
    layout: Layout | Callable[[CellSpec], Layout]
    role: Role
    when: Callable[[CellSpec], bool] = always
    per_layer: bool = False
    frozen: Callable[[Any], bool] | None = None

    def layout_for(self, cell: CellSpec) -> Layout:
        """The layout expression for ``cell``."""
        return self.layout(cell) if callable(self.layout) else self.layout


@dataclass(frozen=True)
class Gate:
    """One gate of a cell: its symbol in the framework's documentation and its role in the equations."""

    symbol: str
    role: str
    meaning: str = ""


def gates(*pairs: tuple[str, str]) -> tuple[Gate, ...]:
    """Gates from (symbol, role) pairs, in the framework's fused order."""
    return tuple(Gate(symbol, role) for symbol, role in pairs)


class Stacking(StrEnum):
    """How a framework builds ``num_layers`` stacked layers."""

    NATIVE = "native"  # one module holds them all (a num_layers option)
    LAYERS = "layers"  # one framework layer per stacked layer, each with its own name
    COMPOSED = "composed"  # no such option: one container the user writes holds them (said in the output)
    NONE = "none"  # refused (a lone cell class)


class Bidirectional(StrEnum):
    """How a framework builds a bidirectional layer."""

    NATIVE = "native"  # an option of the layer
    WRAPPER = "wrapper"  # a wrapper layer of its own class around a forward and a backward layer
    COMPOSED = "composed"  # no such thing: two layers the user writes (said in the output)
    NONE = "none"  # refused


@dataclass(frozen=True)
class Paths:
    """How the path of a recurrent tensor is formed, for each arrangement of the layer.

    Templates use ``{layer}`` (the layer's name), ``{k}`` (stacked index), ``{dir}`` (the
    direction's word), ``{inner}`` (a wrapped layer's own name), ``{cell}`` (a name of each cell
    instance's own, drawn like a layer's from the class's ``cell_stem``), ``{scope}`` (the cell's
    scope, with its separator) and ``{tensor}`` (the tensor's name). ``stems`` give the automatic
    names of layers in each arrangement (``single``, ``bidirectional``, ``stacked``,
    ``stacked_bidirectional``) where they differ from the class's stem.
    """

    single: str
    bidirectional: str = ""
    stacked: str = ""
    stacked_bidirectional: str = ""
    directions: tuple[str, str] = ("", "")
    suffixes: tuple[str, str] = ("", "")
    stems: Mapping[str, str] = field(default_factory=dict)

    def template(self, stacked: bool, bidirectional: bool) -> str:
        """The template of one arrangement (falling back to the simpler ones)."""
        if stacked and bidirectional:
            return self.stacked_bidirectional or self.stacked or self.bidirectional or self.single
        if stacked:
            return self.stacked or self.single
        if bidirectional:
            return self.bidirectional or self.single
        return self.single


def arrangement(stacked: bool, bidirectional: bool) -> str:
    """The name of an arrangement, as :attr:`Paths.stems` keys it."""
    return ("stacked_" if stacked else "") + ("bidirectional" if bidirectional else "") or "single"


@dataclass(frozen=True)
class CellClass:
    """One recurrent class of a framework (``LSTM``, ``OptimizedLSTMCell``, ``CuDNNGRU``, ...).

    ``gates`` are in the framework's fused order; ``tensors`` are the tensors of one cell
    instance (or one stacked layer, for ``per_layer`` tensors). ``biases`` gives the bias form
    for a layer's options, ``options`` names the spec fields the class accepts beyond the
    common ones (``proj_size``, ``peepholes``, ``forget_bias``, ``reset_after``, ``activation``,
    ``recurrent_activation``, ``nonlinearity``), with ``defaults`` for those the spec leaves out.
    """

    name: str
    kind: Kind
    gates: tuple[Gate, ...]
    tensors: tuple[Tensor, ...]
    #: the bias form of a layer, from its use_bias and its reset_after (the class's default when unset)
    biases: Callable[[bool, bool], Biases]
    stem: str
    paths: Paths
    scope: str = ""
    stacking: Stacking = Stacking.NATIVE
    bidirectional: Bidirectional = Bidirectional.NATIVE
    #: the wrapper's class name and automatic name stem, for Bidirectional.WRAPPER
    wrapper: tuple[str, str] = ("", "")
    #: spec fields this class takes, beyond units, use_bias, return_sequences, bidirectional, num_layers, dropout
    options: frozenset[str] = frozenset()
    #: values of options the spec leaves unset
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: whether use_bias: false is possible
    bias_switch: bool = True
    #: a sentence on how the class's layers are composed, where the framework has no such option
    composition: str = ""
    #: the class's description in a sentence (shown when a framework has several for one cell)
    about: str = ""
    #: options the class has with one value only, and that value (a GRU that always resets after)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: the stem of each cell instance's own name, for paths with ``{cell}`` (Flax linen)
    cell_stem: str = ""
    #: the activations the class accepts by name for its gates and its candidate (empty: the framework's)
    cell_activations: frozenset[str] = frozenset()
    #: whether a projection must be smaller than the cell (some frameworks refuse P >= H)
    projection_below_units: bool = True

    def __post_init__(self) -> None:
        if sorted(g.role for g in self.gates) != sorted(ROLES[self.kind]):
            raise ValueError(f"{self.name}: gates {self.gates} do not cover {ROLES[self.kind]}")


@dataclass(frozen=True)
class LayerTensor:
    """One tensor of a non-recurrent layer: name, shape in :class:`Dims`, role, and when it exists."""

    name: str
    shape: Callable[[Dims], Shape]
    role: Role
    when: Callable[[Any], bool] = always


@dataclass(frozen=True)
class LayerClass:
    """A framework's class for a non-recurrent layer type, and the tensors it creates."""

    name: str
    stem: str
    tensors: tuple[LayerTensor, ...] = ()


@dataclass(frozen=True)
class Restriction:
    """An option combination a framework cannot build: which layer types, which field, why, and the fix.

    ``message`` and ``hint`` may mark fields and frameworks (``{field:proj_size}``,
    ``{framework:pytorch}``), which specs and flags then write in their own terms.
    """

    types: frozenset[str]
    field: str
    broken: Callable[[Any], bool]
    message: str
    hint: str


class States(StrEnum):
    """How a framework returns a recurrent layer's final states."""

    STACKED = "stacked"  # h_n (and c_n), each (layers·directions, B, width)
    PER_CELL_HC = "per_cell_hc"  # h then c of each cell instance, each (B, width)
    PER_CELL_CH = "per_cell_ch"  # c then h of each cell instance, each (B, width)


@dataclass(frozen=True)
class Notation:
    """How one time step is written: orientation, and the symbol of every parameter.

    ``row`` vectors (``x_t U + h_{t-1} W``) or column vectors (``W x_t``); with ``transposed``
    the row form writes the column-oriented matrices transposed (``x_t W_iᵀ``); ``concat``
    writes one matrix per gate over ``[h_{t-1}, x_t]``, or ``[x_t, h_{t-1}]`` when
    ``concat_first`` is ``"x"``. The symbol templates take ``{g}``, the gate's symbol.
    """

    row: bool
    input: str  # the matrix multiplying x_t: "U_{g}", "W_i{g}"
    recurrent: str  # the matrix multiplying h_{t-1}: "W_{g}", "W_h{g}"
    bias: str  # a single bias: "b_{g}"
    input_bias: str  # of two biases, the input side: "b_i{g}"
    recurrent_bias: str  # of two, the recurrent side: "b_h{g}"
    projection: str = "W_hr"
    peephole: str = "p_{g}"
    concat: bool = False
    concat_first: str = "h"
    transposed: bool = False
    #: the concatenated matrix of a gate (concat notation)
    joined: str = "W_{g}"
    #: in words, for the explanation's first lines
    name: str = ""


#: The three ways of writing a step that ``explain --notation`` offers besides a framework's own.
ROW = Notation(True, "U_{g}", "W_{g}", "b_{g}", "b^x_{g}", "b^h_{g}", projection="W_r", name="row vectors")
COLUMN = Notation(False, "W_i{g}", "W_h{g}", "b_{g}", "b_i{g}", "b_h{g}", name="column vectors")
CONCAT = Notation(
    False, "W_i{g}", "W_h{g}", "b_{g}", "b_i{g}", "b_h{g}", concat=True, name="column vectors, one matrix per gate"
)


@dataclass(frozen=True)
class Framework:
    """Everything lstmcount knows about one framework's way of building layers."""

    id: str
    display: str
    #: where it comes when frameworks are compared (smaller first)
    order: int
    #: other spellings users type for it
    aliases: tuple[str, ...]
    #: the package and version the facts were checked against
    checked: str
    #: joins the parts of a path (layer, sub-layers, tensor)
    path_sep: str
    #: recurrent classes of each kind, the one users reach for first first
    cells: Mapping[Kind, tuple[CellClass, ...]]
    #: the other layer types it has (a missing type cannot be built)
    layers: Mapping[str, LayerClass]
    #: whether automatic names step over names given in the spec (Keras does not)
    auto_names_avoid_given: bool
    #: whether the first automatic name of a stem carries a number (Flax linen: Dense_0)
    numbered_from_zero: bool
    restrictions: tuple[Restriction, ...]
    #: the activations a dense or conv layer may name, each with the framework's constant
    activations: Mapping[str, float | None]
    #: characters a layer name may not contain, and why
    name_forbids: str
    name_rule: str
    notation: Notation
    states: States
    #: Conv1d output is (batch, channels, steps) rather than (batch, steps, channels)
    conv_channels_first: bool
    #: dense kernels are stored output features first and multiply as x Wᵀ
    out_features_first: bool
    layer_norm_epsilon: float
    #: the axes of a stored 1-D convolution kernel: K kernel width, I input channels, F filters
    conv_kernel: str
    #: how the counts of a recurrent cell are spelt out
    note: str
    #: the framework's own argument names users type in specs, mapped to the spec's fields
    argument_aliases: Mapping[str, str] = field(default_factory=dict)
    #: for spellings that name no framework alone (``tf``), what to write instead
    hints: Mapping[str, str] = field(default_factory=dict)
    #: whether its models save a state dict keyed by module path, a recurrent layer's tensors as
    #: weight_ih_l<k> and the like: a state dict that does not say whose it is is read in the first
    module_state_dict: bool = False
    #: a recurrent layer's constructor arguments by the spec field they set (input_size, units,
    #: num_layers, bidirectional, proj_size, use_bias), to write a rebuilt layer as it is built
    arguments: Mapping[str, str] = field(default_factory=lambda: {"input_size": "input_size", "units": "units"})
    #: a last pass over each recurrent layer's tensors (names a framework gives by its own rules)
    finish: Callable[[Any, tuple[Any, ...]], tuple[Any, ...]] | None = None
    #: the symbols of the gate tables' weight columns, and what the gate table's legend says
    input_symbol: str = "U"
    recurrent_symbol: str = "W"
    gate_legend: str = ""
    #: what the weights of a file in this framework's layout are keyed by, in a sentence
    keys: str = ""

    def cell_class(self, kind: Kind, name: str | None = None) -> CellClass:
        """The class ``name`` for cells of ``kind`` (the default when None); KeyError when it has none."""
        classes = self.cells.get(kind, ())
        if not classes:
            raise KeyError(kind)
        if name is None:
            return classes[0]
        for cls in classes:
            if cls.name.lower() == name.lower():
                return cls
        raise KeyError(name)

    def class_names(self, kind: Kind) -> tuple[str, ...]:
        """The names of the classes of ``kind``."""
        return tuple(c.name for c in self.cells.get(kind, ()))

"""The spec model: frozen dataclasses for a model description, and their validation.

A spec arrives as a plain mapping (from flags, YAML, JSON or a Python dict) and leaves as a
:class:`ModelSpec`, or as a :class:`~lstmcount.errors.SpecError` naming the field path. Each
layer's fields, with their type, range, aliases and description, are declared once on its
dataclass; validation and the JSON Schema are both read from those declarations.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from lstmcount.errors import SpecError

#: Largest accepted size of any dimension: frameworks index tensors with 32-bit sizes.
MAX_DIM = 2**31 - 1
#: Largest accepted number of stacked layers in one recurrent layer.
MAX_STACK = 1024


#: A framework's id (``lstmcount.frameworks`` lists them).
Framework = str
#: The framework a spec that names none is counted in.
DEFAULT_FRAMEWORK = "keras"


class LayerType(StrEnum):
    """The layer types a spec may contain."""

    LSTM = "lstm"
    GRU = "gru"
    SIMPLE_RNN = "simple_rnn"
    EMBEDDING = "embedding"
    DENSE = "dense"
    DROPOUT = "dropout"
    CONV1D = "conv1d"
    LAYER_NORMALIZATION = "layer_normalization"
    GENERIC = "generic"


RECURRENT_TYPES = frozenset({LayerType.LSTM, LayerType.GRU, LayerType.SIMPLE_RNN})

#: Other spellings of layer types that users type, mapped to the canonical one.
TYPE_ALIASES: Mapping[str, LayerType] = {
    "rnn": LayerType.SIMPLE_RNN,
    "simplernn": LayerType.SIMPLE_RNN,
    "linear": LayerType.DENSE,
    "layernorm": LayerType.LAYER_NORMALIZATION,
    "layer_norm": LayerType.LAYER_NORMALIZATION,
}


class MergeMode(StrEnum):
    """How a bidirectional layer combines its two directions."""

    CONCAT = "concat"
    SUM = "sum"
    AVE = "ave"
    MUL = "mul"


class Nonlinearity(StrEnum):
    """The activation of a simple RNN."""

    TANH = "tanh"
    RELU = "relu"


#: Every activation a layer may name, one name each. Which framework has which, and with what
#: constant (leaky_relu's slope), is in each framework's module.
ACTIVATIONS: tuple[str, ...] = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
    "sigmoid", "hard_sigmoid", "hard_silu", "log_sigmoid", "tanh", "hard_tanh", "tanh_shrink",
    "softplus", "softsign", "softmax", "log_softmax", "softmin", "sparsemax", "exponential",
    "hard_shrink", "soft_shrink", "sparse_plus", "sparse_sigmoid", "squareplus", "glu",
)  # fmt: skip
#: Other spellings users type, mapped to the names above.
ACTIVATION_ALIASES: Mapping[str, str] = {
    "identity": "linear",
    "swish": "silu",
    "hardsigmoid": "hard_sigmoid",
    "hardswish": "hard_silu",
    "hard_swish": "hard_silu",
    "hardtanh": "hard_tanh",
    "hardshrink": "hard_shrink",
    "softshrink": "soft_shrink",
    "tanhshrink": "tanh_shrink",
    "logsigmoid": "log_sigmoid",
    "leakyrelu": "leaky_relu",
    "logsoftmax": "log_softmax",
}
#: every accepted spelling of an activation (lower case, ``_`` for ``-``) -> its name
ACTIVATION_SPELLINGS: Mapping[str, str] = {**{a: a for a in ACTIVATIONS}, **ACTIVATION_ALIASES}


class Padding(StrEnum):
    """Padding of a 1-D convolution."""

    VALID = "valid"
    SAME = "same"


def spec_field(
    default: Any = dataclasses.MISSING,
    *,
    doc: str,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_maximum: bool = False,
    aliases: tuple[str, ...] = (),
    kind: str | None = None,
    default_factory: Any = dataclasses.MISSING,
    key: str | None = None,
) -> Any:
    """Declare a spec field with its description, range and accepted aliases.

    ``key`` is the name a spec writes it by where that is not a Python name (``class``).
    """
    meta = {
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "exclusive_maximum": exclusive_maximum,
        "aliases": aliases,
        "kind": kind,
        "key": key,
    }
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _dim(doc: str, *, aliases: tuple[str, ...] = (), default: Any = dataclasses.MISSING) -> Any:
    return spec_field(default, doc=doc, minimum=1, maximum=MAX_DIM, aliases=aliases)


# --------------------------------------------------------------------------- layers


@dataclass(frozen=True, kw_only=True)
class LayerSpec:
    """Fields every layer has."""

    TYPE: ClassVar[LayerType]
    name: str | None = spec_field(None, doc="Layer name; defaults to the framework's naming.")
    trainable: bool = spec_field(True, doc="false freezes the layer: its weights count as non-trainable.")
    scope: str | None = spec_field(
        None,
        doc="The module the layer sits in (an enclosing module's or nested model's path, parts joined by the "
        "framework's separator); its tensors' paths start with it.",
    )
    reads: str | tuple[str, ...] | None = spec_field(
        None,
        doc="What the layer reads: input (the model's input), an input of inputs, or an earlier layer's name; "
        "a generic merge layer reads a list of them; default the layer before it.",
        key="from",
        kind="sources",
    )
    tied: Mapping[str, str] = spec_field(
        doc="Tensors of this layer that are another layer's (tied weights): its tensor name -> the other "
        "tensor's path. Counted once, in the layer that owns them.",
        kind="str_map",
        default_factory=dict,
    )


@dataclass(frozen=True, kw_only=True)
class RecurrentSpec(LayerSpec):
    """Fields shared by the recurrent layers."""

    units: int = _dim(
        "Hidden size H: the width of the cell state, and of h without a projection.",
        aliases=("hidden_size", "hidden_features", "features", "num_units"),
    )
    input_size: int | None = _dim(
        "Input features of this layer; optional, checked against the previous layer.",
        aliases=("in_features",),
        default=None,
    )
    cell_class: str | None = spec_field(
        None,
        doc="The framework's own class for the layer, where it has several (lstmcount frameworks lists them); "
        "default: the one users reach for first.",
        key="class",
    )
    use_bias: bool = spec_field(True, doc="Whether the cell has bias vectors.", aliases=("bias",))
    return_sequences: bool = spec_field(
        False, doc="Return the output of every time step (true) or only the last one (false)."
    )
    bidirectional: bool = spec_field(False, doc="Run a second copy of the layer backwards in time.")
    merge_mode: MergeMode = spec_field(MergeMode.CONCAT, doc="How the two directions combine.")
    num_layers: int = spec_field(
        1, doc="Stacked layers (where a framework has no such option, that many layers).", minimum=1, maximum=MAX_STACK
    )
    dropout: float = spec_field(
        0.0,
        doc="Dropout between stacked layers; adds no parameters.",
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
    )


@dataclass(frozen=True, kw_only=True)
class LSTMSpec(RecurrentSpec):
    """A long short-term memory layer."""

    TYPE: ClassVar[LayerType] = LayerType.LSTM
    proj_size: int = spec_field(
        0,
        doc="Projection size P of h_t (0 = none); 0 < P < units.",
        minimum=0,
        maximum=MAX_DIM,
        aliases=("num_proj",),
    )
    peepholes: bool = spec_field(
        False,
        doc="Peephole connections from the cell state to the input, forget and output gates.",
        aliases=("use_peepholes",),
    )
    forget_bias: float | None = spec_field(
        None,
        doc="A constant added to the forget gate's pre-activation at run time, not stored (default: the framework's).",
    )
    activation: str | None = spec_field(
        None, doc="Activation of the candidate and the output (default tanh).", kind="activation"
    )
    recurrent_activation: str | None = spec_field(
        None, doc="Activation of the gates (default the framework's: sigmoid).", kind="activation"
    )


@dataclass(frozen=True, kw_only=True)
class GRUSpec(RecurrentSpec):
    """A gated recurrent unit layer."""

    TYPE: ClassVar[LayerType] = LayerType.GRU
    reset_after: bool | None = spec_field(
        None,
        doc="Apply the reset gate after the recurrent product, not to h before it (default: the framework's).",
        aliases=("linear_before_reset",),
    )
    activation: str | None = spec_field(None, doc="Activation of the candidate (default tanh).", kind="activation")
    recurrent_activation: str | None = spec_field(
        None, doc="Activation of the gates (default the framework's: sigmoid).", kind="activation"
    )


@dataclass(frozen=True, kw_only=True)
class SimpleRNNSpec(RecurrentSpec):
    """An Elman recurrent layer."""

    TYPE: ClassVar[LayerType] = LayerType.SIMPLE_RNN
    nonlinearity: Nonlinearity = spec_field(Nonlinearity.TANH, doc="Activation: tanh or relu.", aliases=("activation",))


@dataclass(frozen=True, kw_only=True)
class EmbeddingSpec(LayerSpec):
    """A lookup table from token ids to vectors; must be the first layer."""

    TYPE: ClassVar[LayerType] = LayerType.EMBEDDING
    dim: int = _dim("Vector width.", aliases=("output_dim", "embedding_dim"))
    vocab: int | None = _dim(
        "Vocabulary size; or give input.vocab.",
        aliases=("input_dim", "num_embeddings"),
        default=None,
    )


@dataclass(frozen=True, kw_only=True)
class DenseSpec(LayerSpec):
    """A fully connected layer; on a sequence it applies at every time step."""

    TYPE: ClassVar[LayerType] = LayerType.DENSE
    units: int = _dim("Output features.", aliases=("out_features",))
    use_bias: bool = spec_field(True, doc="Whether the layer has a bias vector.", aliases=("bias",))
    activation: str | None = spec_field(
        None, doc="Activation (relu, gelu, ...); adds no parameters.", kind="activation"
    )


@dataclass(frozen=True, kw_only=True)
class DropoutSpec(LayerSpec):
    """Dropout: identity at inference, no parameters."""

    TYPE: ClassVar[LayerType] = LayerType.DROPOUT
    rate: float = spec_field(
        doc="Fraction of inputs dropped in training, 0 <= rate < 1.",
        minimum=0,
        maximum=1,
        exclusive_maximum=True,
        aliases=("p",),
    )


@dataclass(frozen=True, kw_only=True)
class Conv1DSpec(LayerSpec):
    """A 1-D convolution over time (channels last)."""

    TYPE: ClassVar[LayerType] = LayerType.CONV1D
    filters: int = _dim("Output channels.", aliases=("out_channels",))
    kernel_size: int = _dim("Width of the kernel in time steps.")
    strides: int = _dim("Step between windows.", aliases=("stride",), default=1)
    padding: Padding = spec_field(Padding.VALID, doc="valid (no padding) or same.")
    use_bias: bool = spec_field(True, doc="Whether the layer has a bias vector.", aliases=("bias",))
    activation: str | None = spec_field(
        None, doc="Activation (relu, gelu, ...); adds no parameters.", kind="activation"
    )


@dataclass(frozen=True, kw_only=True)
class LayerNormSpec(LayerSpec):
    """Layer normalization over the feature axis."""

    TYPE: ClassVar[LayerType] = LayerType.LAYER_NORMALIZATION
    center: bool = spec_field(True, doc="Learn an offset (beta).")
    scale: bool = spec_field(True, doc="Learn a scale (gamma).")


@dataclass(frozen=True, kw_only=True)
class GenericSpec(LayerSpec):
    """A layer lstmcount does not model, counted from its stated parameters or tensors.

    ``tensors`` maps each tensor's name to its shape; without them ``params`` says the count.
    The layer passes its input's shape on, or gives ``units`` features when stated.
    """

    TYPE: ClassVar[LayerType] = LayerType.GENERIC
    params: int | None = spec_field(None, doc="Its parameters, when no tensors are listed.", minimum=0, maximum=2**53)
    tensors: Mapping[str, tuple[int, ...]] = spec_field(
        doc="Its tensors: name -> shape (a list of sizes).", kind="shape_map", default_factory=dict
    )
    frozen: tuple[str, ...] = spec_field(
        (), doc="Tensors stored but not trained (a batch normalization's moving statistics).", kind="names"
    )
    cell_class: str | None = spec_field(None, doc="The framework's class of the layer, as shown.", key="class")
    units: int | None = _dim("Features it outputs (default: as many as it reads).", default=None)
    sequence: bool | None = spec_field(
        None, doc="Whether it outputs a sequence (Flatten and pooling do not; RepeatVector does); default as it reads."
    )
    steps: int | None = _dim("Time steps of the sequence it outputs (RepeatVector), when known.", default=None)


LAYER_CLASSES: Mapping[LayerType, type[LayerSpec]] = {
    cls.TYPE: cls
    for cls in (
        LSTMSpec,
        GRUSpec,
        SimpleRNNSpec,
        EmbeddingSpec,
        DenseSpec,
        DropoutSpec,
        Conv1DSpec,
        LayerNormSpec,
        GenericSpec,
    )
}


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, kw_only=True)
class InputSpec:
    """The model's input: a sequence of feature vectors, or of token ids before an embedding."""

    features: int | None = _dim(
        "Features per time step (omit before an embedding).", aliases=("input_size",), default=None
    )
    timesteps: int | None = _dim("Sequence length; null for any length.", default=None)
    vocab: int | None = _dim("Vocabulary size of token-id input (before an embedding).", default=None)


@dataclass(frozen=True, kw_only=True)
class ExpectSpec:
    """Expected counts, checked by ``lstmcount check``."""

    total: int | None = spec_field(None, doc="Expected total parameters.", minimum=0)
    trainable: int | None = spec_field(None, doc="Expected trainable parameters.", minimum=0)
    non_trainable: int | None = spec_field(None, doc="Expected non-trainable parameters.", minimum=0)
    layers: Mapping[str, int] = spec_field(
        doc="Expected parameters per layer, by layer name.", kind="int_map", default_factory=dict
    )


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A whole model: framework, input and layers."""

    layers: tuple[LayerSpec, ...]
    input: InputSpec = InputSpec()
    framework: Framework = DEFAULT_FRAMEWORK
    #: further inputs, by name, that a layer reads with ``from`` (an encoder and a decoder in one model)
    inputs: Mapping[str, InputSpec] = dataclasses.field(default_factory=dict)
    name: str | None = None
    description: str | None = None
    expect: ExpectSpec | None = None

    def with_framework(self, framework: Framework) -> ModelSpec:
        """The same model under another framework's conventions."""
        return dataclasses.replace(self, framework=framework)


# --------------------------------------------------------------------------- validation


def _describe(value: Any) -> str:
    """How a received value is named in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"integer {value}" if abs(value) < 10**30 else f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"string {shown!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def suggest(word: str, choices: Sequence[str]) -> str | None:
    """A "did you mean" hint for a misspelt key or value."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _annotation(cls: type, name: str) -> str:
    hints = {f.name: f.type for f in dataclasses.fields(cls)}
    return str(hints[name])


def field_kind(cls: type, f: dataclasses.Field[Any]) -> str:
    """The value kind of a declared field: int, float, bool, str, enum:<Name>, int_map."""
    if f.metadata.get("kind"):
        return str(f.metadata["kind"])
    ann = str(f.type)
    for enum_cls in (MergeMode, Nonlinearity, Padding):
        if enum_cls.__name__ in ann:
            return f"enum:{enum_cls.__name__}"
    for kind in ("bool", "int", "float", "str"):
        if ann.startswith(kind):
            return kind
    raise TypeError(f"{cls.__name__}.{f.name}: unsupported annotation {ann}")  # pragma: no cover


ENUMS: Mapping[str, type[StrEnum]] = {e.__name__: e for e in (MergeMode, Nonlinearity, Padding)}


def field_nullable(f: dataclasses.Field[Any]) -> bool:
    """Whether a declared field accepts null."""
    return "None" in str(f.type)


def _convert(value: Any, kind: str, f: dataclasses.Field[Any], path: str) -> Any:
    """Check one value against its field's kind and range, returning the typed value."""
    if value is None:
        if field_nullable(f):
            return None
        raise SpecError("must not be null", path=path, expected=_expected(kind, f), received="null")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise SpecError("wrong type", path=path, expected="true or false", received=_describe(value))
    if kind == "str":
        if isinstance(value, str) and value.strip():
            return value
        raise SpecError("wrong type", path=path, expected="a non-empty string", received=_describe(value))
    if kind.startswith("enum:"):
        enum_cls = ENUMS[kind[5:]]
        choices = [m.value for m in enum_cls]
        if isinstance(value, str) and value.strip().lower() in choices:
            return enum_cls(value.strip().lower())
        hint = suggest(value, choices) if isinstance(value, str) else None
        raise SpecError("invalid value", path=path, expected=" | ".join(choices), received=_describe(value), hint=hint)
    if kind == "activation":
        if isinstance(value, str):
            key = value.strip().lower().replace("-", "_")
            if key in ACTIVATION_SPELLINGS:
                return ACTIVATION_SPELLINGS[key]
            raise SpecError(
                f"unknown activation {value!r}",
                path=path,
                expected="an activation (" + ", ".join(ACTIVATIONS[:8]) + ", ...)",
                received=_describe(value),
                hint=suggest(key, list(ACTIVATION_SPELLINGS)),
            )
        raise SpecError("wrong type", path=path, expected="an activation name", received=_describe(value))
    if kind == "shape_map":
        if not isinstance(value, Mapping):
            raise SpecError(
                "wrong type", path=path, expected="a mapping of tensor name to shape", received=_describe(value)
            )
        shapes = {}
        for key, item in value.items():
            sub = f"{path}.{key}"
            if not isinstance(item, (list, tuple)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= MAX_DIM for n in item
            ):
                raise SpecError(
                    "wrong type", path=sub, expected="a shape: a list of sizes >= 0", received=_describe(item)
                )
            if len(item) > 8:
                raise SpecError("too many axes", path=sub, expected="at most 8 sizes", received=f"{len(item)} sizes")
            shapes[str(key)] = tuple(item)
        return shapes
    if kind == "sources":
        if isinstance(value, str) and value.strip():
            return value
        if (
            isinstance(value, (list, tuple))
            and value
            and all(isinstance(n, str) and n.strip() for n in value)
            and len(value) <= 1024
        ):
            return tuple(value) if len(value) > 1 else value[0]
        raise SpecError(
            "wrong type", path=path, expected="a layer or input name, or a list of them", received=_describe(value)
        )
    if kind == "str_map":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()
        ):
            raise SpecError(
                "wrong type", path=path, expected="a mapping of tensor name to tensor path", received=_describe(value)
            )
        return dict(value)
    if kind == "names":
        if not isinstance(value, (list, tuple)) or not all(isinstance(n, str) and n for n in value):
            raise SpecError("wrong type", path=path, expected="a list of tensor names", received=_describe(value))
        return tuple(value)
    if kind == "int_map":
        if not isinstance(value, Mapping):
            raise SpecError(
                "wrong type", path=path, expected="a mapping of layer name to count", received=_describe(value)
            )
        out = {}
        for key, item in value.items():
            sub = f"{path}.{key}"
            if not isinstance(item, int) or isinstance(item, bool) or item < 0:
                raise SpecError("wrong type", path=sub, expected="an integer >= 0", received=_describe(item))
            out[str(key)] = item
        return out
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            hint = None
            if isinstance(value, float) and value.is_integer():
                hint = f"write {int(value)} without a decimal point"
            elif isinstance(value, str):
                hint = _number_text_hint(value)
            raise SpecError("wrong type", path=path, expected=_expected(kind, f), received=_describe(value), hint=hint)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = _float_text_hint(value) if isinstance(value, str) else None
            raise SpecError("wrong type", path=path, expected=_expected(kind, f), received=_describe(value), hint=hint)
        try:
            value = float(value)
        except OverflowError:
            raise SpecError("out of range", path=path, expected=_expected(kind, f), received=_describe(value)) from None
        if value != value:  # NaN
            raise SpecError("out of range", path=path, expected=_expected(kind, f), received="nan")
    lo, hi = f.metadata.get("minimum"), f.metadata.get("maximum")
    if not _in_range(value, lo, hi, bool(f.metadata.get("exclusive_maximum"))):
        raise SpecError("out of range", path=path, expected=_expected(kind, f), received=_describe(value))
    return value


def _expected(kind: str, f: dataclasses.Field[Any]) -> str:
    lo, hi = f.metadata.get("minimum"), f.metadata.get("maximum")
    noun = "an integer" if kind == "int" else "a number"
    if lo is not None and hi is not None:
        op = "<" if f.metadata.get("exclusive_maximum") else "<="
        hi_text = f"{hi:,}" if kind == "int" else f"{hi:g}"
        return f"{noun} with {lo:g} <= value {op} {hi_text}"
    if lo is not None:
        return f"{noun} >= {lo:g}"
    return noun


def field_key(f: dataclasses.Field[Any]) -> str:
    """The key a spec writes a field by: its name, or its declared ``key`` (``class``)."""
    return str(f.metadata.get("key") or f.name)


def fields_of(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """The user-facing fields of a spec dataclass, by the key a spec writes them by."""
    return {
        field_key(f): f for f in dataclasses.fields(cls) if f.init and not (cls is ModelSpec and f.name == "layers")
    }


@functools.cache
def _declarations(cls: type) -> tuple[dict[str, dataclasses.Field[Any]], dict[str, str], dict[str, str]]:
    """Per class, once: its fields by name, alias -> field name, and each field's value kind."""
    declared = fields_of(cls)
    alias_of = {a: name for name, f in declared.items() for a in f.metadata.get("aliases", ())}
    return declared, alias_of, {name: field_kind(cls, f) for name, f in declared.items()}


#: Hints for fields that frameworks have but a spec does not need (they add no parameters).
_FIELD_HINTS: Mapping[str, str] = {
    "input_length": "give the sequence length as input.timesteps",
    "input_shape": "give the input at the top level: input: {features: N, timesteps: T}",
    "input_dim": "give the input at the top level: input: {features: N}",
    "timesteps": "give the sequence length as input.timesteps",
    "sequence_length": "give the sequence length as input.timesteps",
    "batch_first": "remove it: shapes are always shown batch first",
    "batch_size": "remove it: the batch size does not change the count",
    "return_state": "remove it: returning the state adds no parameters",
    "stateful": "remove it: it adds no parameters",
    "unroll": "remove it: unrolling adds no parameters",
    "go_backwards": "remove it; for both directions use bidirectional: true",
    "recurrent_dropout": "remove it: dropout adds no parameters",
}
#: Hints for unknown top-level fields.
_TOP_HINTS: Mapping[str, str] = {
    "features": "put it under input: {features: N}",
    "timesteps": "put it under input: {timesteps: T}",
    "vocab": "put it under input: {vocab: N}",
    "model": "write framework, input and layers at the top level, not under model",
}


def field_hint(key: str, path: str) -> str | None:
    """A fix for an unknown field that users often write (a framework argument, a misplaced key)."""
    key = key.strip().lower()
    if not path:
        return _TOP_HINTS.get(key)
    if key.endswith(("_initializer", "_regularizer", "_constraint")):
        return "remove it: initializers, regularizers and constraints add no parameters"
    if path.startswith("layers["):
        return _FIELD_HINTS.get(key)
    return None


def _float_text_hint(value: str) -> str | None:
    """Why a fraction arrived as text (YAML 1.1 reads ``5e-1`` as a string), and how to write it."""
    text = value.strip()
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    if "e" in text.lower() and "." not in text.lower().split("e")[0]:
        mantissa, exponent = text.lower().split("e", 1)
        return f"YAML reads {text!r} as text; write {number!r} or {mantissa}.0e{exponent}"
    return "remove the quotes"


def _number_text_hint(value: str) -> str | None:
    """Why a number arrived as text, and what to write instead."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        if text.lstrip("-").startswith("0") and text.lstrip("-") != "0":
            return f"YAML reads a number with a leading zero as text; write {int(text)}"
        return "remove the quotes"
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        return None
    if number.is_integer() and abs(number) < 1e18:
        return f"YAML reads {text!r} as text; write {int(number)}"
    return None


def _in_range(value: float, lo: float | None, hi: float | None, exclusive_max: bool) -> bool:
    """Whether ``value`` lies within a field's declared minimum and maximum."""
    if lo is not None and value < lo:
        return False
    return hi is None or (value < hi if exclusive_max else value <= hi)


#: what :func:`_quick` returns for a value it does not accept as it is (``_convert`` then decides)
_UNSURE: Any = object()

#: per field: kind, minimum, maximum, exclusive maximum, nullable, and an enum's members by value
_Check = tuple[str, Any, Any, bool, bool, "Mapping[str, Any] | None"]


def _quick(value: Any, check: _Check) -> Any:
    """The value :func:`_convert` returns for a plain valid ``value``, or ``_UNSURE``.

    The common case of validation without building field paths or messages: exact types
    (``int``, not ``bool``), in range. Anything else goes to ``_convert``, which gives the same
    value, or the error with its path.
    """
    kind, lo, hi, excl, nullable, members = check
    if value is None:
        return None if nullable else _UNSURE
    cls = value.__class__
    if kind == "int":
        if cls is not int:
            return _UNSURE
    elif kind == "bool":
        return value if cls is bool else _UNSURE
    elif kind == "float":
        if cls is int:
            if not -(2**53) <= value <= 2**53:  # float() of a larger one may overflow: _convert says so
                return _UNSURE
            value = float(value)
        elif cls is not float or value != value:  # NaN
            return _UNSURE
    elif members is not None:
        return members.get(value.lower(), _UNSURE) if cls is str else _UNSURE
    elif kind == "str":
        return value if cls is str and value.strip() else _UNSURE
    else:
        return _UNSURE
    if not _in_range(value, lo, hi, excl):
        return _UNSURE
    return value


@functools.cache
def _checks(cls: type) -> tuple[dict[str, _Check], tuple[str, ...]]:
    """Per class, once: the :func:`_quick` check of each field, and the fields without a default."""
    declared, _, kinds = _declarations(cls)
    checks: dict[str, _Check] = {}
    for name, f in declared.items():
        kind = kinds[name]
        members: Mapping[str, Any] | None = None
        if kind.startswith("enum:"):
            members = {m.value: m for m in ENUMS[kind[5:]]}
        elif kind == "activation":
            members = ACTIVATION_SPELLINGS
        meta = f.metadata
        checks[name] = (kind, meta.get("minimum"), meta.get("maximum"), bool(meta.get("exclusive_maximum")),
                        field_nullable(f), members)  # fmt: skip
    required = tuple(
        name
        for name, f in declared.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    return checks, required


@functools.cache
def _blank(cls: type) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """Per spec class, once: each field's default (None where there is none) and its default factories."""
    template: dict[str, Any] = {}
    factories = []
    for f in dataclasses.fields(cls):
        template[f.name] = None if f.default is dataclasses.MISSING else f.default
        if f.default_factory is not dataclasses.MISSING:
            factories.append((f.name, f.default_factory))
    return template, tuple(factories)


def _new(cls: type, values: dict[str, Any]) -> Any:
    """``cls(**values)`` for a spec class (or a report's layer), given every field without a default.

    The frozen dataclass ``__init__`` sets each field through ``object.__setattr__``; this
    fills the instance's attributes at once, in field order, to the same values. The classes
    it builds have no ``__post_init__`` and no ``init=False`` field (a test pins both, and
    that the result equals ``cls(**values)``).
    """
    obj: Any = object.__new__(cls)
    template, factories = _blank(cls)
    attrs = obj.__dict__
    attrs.update(template)
    attrs.update(values)
    for name, factory in factories:
        if name not in values:
            attrs[name] = factory()
    return obj


def _build(cls: type, data: Any, path: str, skip: str | None = None) -> Any:
    """Validate ``data`` against dataclass ``cls`` and construct it (ignoring the key ``skip``)."""
    if data.__class__ is not dict and not isinstance(data, Mapping):  # a dict, nearly always
        raise SpecError(
            "must be a mapping", path=path or "<document>", expected="a mapping of fields", received=_describe(data)
        )
    declared, alias_of, kinds = _declarations(cls)
    checks, required = _checks(cls)
    values: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for raw_key, value in data.items():
        if skip is not None and raw_key == skip:
            continue
        key = str(raw_key)
        canonical = key if key in declared else alias_of.get(key)
        if canonical is None:
            names = list(declared) + list(alias_of)
            raise SpecError(
                "unknown field",
                path=f"{path}.{key}" if path else key,
                expected="one of " + ", ".join(sorted(declared)),
                received=repr(key),
                hint=field_hint(key, path) or suggest(key, names),
            )
        if canonical in given_as:
            raise SpecError(
                f"given twice, as {given_as[canonical]!r} and {key!r}",
                path=f"{path}.{key}" if path else key,
                hint="keep one",
            )
        given_as[canonical] = key
        converted = _quick(value, checks[canonical])
        if converted is _UNSURE:
            converted = _convert(value, kinds[canonical], declared[canonical], f"{path}.{key}" if path else key)
        values[declared[canonical].name] = converted
    for name in required:
        if declared[name].name not in values:
            f = declared[name]
            raise SpecError(
                "missing required field",
                path=f"{path}.{name}" if path else name,
                expected=_expected(field_kind(cls, f), f),
                received="nothing",
            )
    return _new(cls, values)


#: every accepted spelling of a layer type (canonical and aliases), lower case
_TYPES: Mapping[str, LayerType] = {**{t.value: t for t in LayerType}, **TYPE_ALIASES}


#: Layers that lstmcount does not model, by the spellings users give them:
#: no "did you mean" may turn one into a layer with other weights (conv2d is not conv1d).
OTHER_LAYERS = frozenset(
    (
        "batch_normalization", "batchnormalization", "batchnorm", "batch_norm", "batchnorm1d", "group_normalization",
        "groupnorm", "instance_normalization", "instancenorm", "rms_normalization", "rmsnorm", "unit_normalization",
        "conv2d", "conv3d", "conv1d_transpose", "conv2d_transpose", "conv3d_transpose", "convtranspose1d",
        "separable_conv1d", "separableconv1d", "depthwise_conv1d", "depthwiseconv1d", "conv_lstm1d", "convlstm1d",
        "conv_lstm2d", "convlstm2d", "max_pooling1d", "maxpooling1d", "maxpool1d", "average_pooling1d",
        "averagepooling1d", "avgpool1d", "global_max_pooling1d", "globalmaxpooling1d", "global_average_pooling1d",
        "globalaveragepooling1d", "adaptiveavgpool1d", "adaptivemaxpool1d", "flatten", "reshape", "permute",
        "attention",
        "additive_attention", "multi_head_attention", "multiheadattention", "transformer", "transformer_encoder",
        "transformerencoder", "transformer_decoder", "time_distributed", "timedistributed", "repeat_vector",
        "repeatvector", "masking", "spatial_dropout1d", "spatialdropout1d", "gaussian_noise", "gaussiannoise",
        "gaussian_dropout", "alpha_dropout", "activation", "prelu", "concatenate", "add", "subtract", "multiply",
        "average", "maximum", "minimum", "dot", "lambda", "lstm_cell", "lstmcell", "gru_cell", "grucell", "rnn_cell",
        "rnncell", "simple_rnn_cell", "simplernncell", "stacked_rnn_cells", "embedding_bag", "embeddingbag",
    )
)  # fmt: skip


def _typo_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) between two words: their typo distance."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return prev[-1]


def suggest_type(word: str) -> str | None:
    """A "did you mean" for a misspelt layer type: only a typo of one (a few edits), never another layer."""
    word = word.strip().lower()
    if word in OTHER_LAYERS or word.replace("_", "") in OTHER_LAYERS:
        return None
    limit = max(1, len(word) // 4)
    scored = sorted((_typo_distance(word, name), name) for name in _TYPES)
    distance, name = scored[0]
    return f"did you mean {name!r}?" if distance <= limit else None


def layer_type(value: Any, path: str) -> LayerType:
    """The canonical layer type for a spec's ``type`` value."""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TYPES:
            return _TYPES[key]
    valid = [t.value for t in LayerType]
    if isinstance(value, str):
        key = value.strip().lower()
        inner = key.removeprefix("bidirectional").removeprefix("bi").strip("_- ")
        hint = suggest_type(key)
        if inner != key and inner in _TYPES:
            hint = f"write type: {_TYPES[inner].value} with bidirectional: true"
        elif key in OTHER_LAYERS or key.replace("_", "") in OTHER_LAYERS:
            raise SpecError(
                f"lstmcount does not model {value!r} layers",
                path=path,
                expected=" | ".join(valid),
                received=_describe(value),
                hint="write it as type: generic, with its tensors (name: shape) or its params",
            )
        raise SpecError(
            f"unknown layer type {value!r}", path=path, expected=" | ".join(valid), received=_describe(value), hint=hint
        )
    raise SpecError(
        "wrong type", path=path, expected="a layer type (" + " | ".join(valid) + ")", received=_describe(value)
    )


def layer_from_dict(data: Any, path: str) -> LayerSpec:
    """Validate one layer mapping."""
    if data.__class__ is not dict and not isinstance(data, Mapping):  # a dict, nearly always
        raise SpecError(
            "must be a mapping", path=path, expected="a mapping with a 'type' field", received=_describe(data)
        )
    if "type" not in data:
        raise SpecError(
            "missing required field",
            path=f"{path}.type",
            expected="a layer type (" + " | ".join(t.value for t in LayerType) + ")",
            received="nothing",
        )
    kind = layer_type(data["type"], f"{path}.type")
    layer: LayerSpec = _build(LAYER_CLASSES[kind], data, path, skip="type")
    if isinstance(layer, GenericSpec):
        _check_generic(layer, data, path)
    if layer.scope is not None and any(not part.strip() for part in re.split(r"[./]", layer.scope)):
        raise SpecError(
            "a scope has an empty part",
            path=f"{path}.scope",
            expected="module names joined by the framework's separator",
            received=repr(layer.scope),
        )
    if isinstance(layer, RecurrentSpec) and not layer.bidirectional and "merge_mode" in data:
        raise SpecError(
            "merge_mode applies only to a bidirectional layer",
            path=f"{path}.merge_mode",
            hint="add {value:bidirectional=true}, or remove {field:merge_mode}",
        )
    return layer


def _check_generic(layer: GenericSpec, data: Mapping[str, Any], path: str) -> None:
    """A generic layer states its count one way: ``params`` or ``tensors`` (and ``frozen`` names some of them)."""
    if layer.params is None and not layer.tensors:
        raise SpecError(
            "a generic layer needs its count",
            path=f"{path}.params",
            expected="params: N, or tensors: {name: shape}",
            received="neither",
        )
    if layer.params is not None and layer.tensors:
        raise SpecError(
            "give params or tensors, not both",
            path=f"{path}.params",
            hint="tensors give the count: remove params",
        )
    unknown = [n for n in layer.frozen if n not in layer.tensors]
    if unknown:
        raise SpecError(
            f"frozen names no tensor of the layer: {unknown[0]!r}",
            path=f"{path}.frozen",
            expected="names of its tensors",
            received=repr(unknown[0]),
        )


_PLAIN: dataclasses.Field[Any] = dataclasses.field(metadata={})

TOP_LEVEL = ("framework", "input", "inputs", "layers", "expect", "name", "description")
#: a key editors read to find a JSON file's schema (``"$schema": "lstmcount.schema.json"``); ignored here
SCHEMA_KEY = "$schema"
_TOP_LEVEL = frozenset((*TOP_LEVEL, SCHEMA_KEY))
_NAME_CHECK: _Check = ("str", None, None, False, False, None)


def spec_from_dict(data: Any) -> ModelSpec:
    """Validate a spec mapping and build a :class:`ModelSpec`.

    Raises :class:`SpecError` with the field path of the first problem found.
    """
    if data.__class__ is not dict and not isinstance(data, Mapping):  # a dict, nearly always
        raise SpecError(
            "a spec must be a mapping", path="<document>", expected="a mapping with 'layers'", received=_describe(data)
        )
    schema = data.get(SCHEMA_KEY)
    if isinstance(schema, str) and "json-schema.org" in schema:
        raise SpecError(
            "this is a JSON Schema, not a spec",
            path=SCHEMA_KEY,
            hint="name it *.schema.json, which lstmcount check passes over in directories",
        )
    if schema is not None and not isinstance(schema, str):
        raise SpecError(
            "wrong type", path=SCHEMA_KEY, expected="the schema's file name or URL", received=_describe(schema)
        )
    for key in data:
        if key not in _TOP_LEVEL:
            raise SpecError(
                "unknown field",
                path=str(key),
                expected="one of " + ", ".join(TOP_LEVEL),
                received=repr(key),
                hint=field_hint(str(key), "") or suggest(str(key), TOP_LEVEL),
            )
    framework = DEFAULT_FRAMEWORK
    if "framework" in data:
        framework = framework_id(data["framework"], "framework")
    inp = _build(InputSpec, data["input"], "input") if data.get("input") is not None else InputSpec()
    inputs = _inputs(data.get("inputs"))
    if "layers" not in data:
        raise SpecError("missing required field", path="layers", expected="a list of layers", received="nothing")
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list):
        raise SpecError("wrong type", path="layers", expected="a list of layers", received=_describe(raw_layers))
    if not raw_layers:
        raise SpecError("no layers", path="layers", expected="at least one layer", received="an empty list")
    layers = tuple(layer_from_dict(item, f"layers[{i}]") for i, item in enumerate(raw_layers))
    expect = _build(ExpectSpec, data["expect"], "expect") if data.get("expect") is not None else None
    name = data.get("name")
    if name is not None and _quick(name, _NAME_CHECK) is _UNSURE:
        name = _convert(name, "str", _PLAIN, "name")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        raise SpecError("wrong type", path="description", expected="a string", received=_describe(description))
    return ModelSpec(
        layers=layers, input=inp, framework=framework, name=name, description=description, expect=expect, inputs=inputs
    )


def _inputs(data: Any) -> dict[str, InputSpec]:
    """The further inputs, by name (``input`` is the model's own)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise SpecError(
            "wrong type", path="inputs", expected="a mapping of input name to input", received=_describe(data)
        )
    out = {}
    for key, value in data.items():
        name = str(key)
        if name == "input" or not name.strip():
            raise SpecError("an input needs a name of its own", path=f"inputs.{name}", hint="input is the model's own")
        out[name] = _build(InputSpec, value, f"inputs.{name}") if value is not None else InputSpec()
    return out


def framework_id(value: Any, path: str) -> Framework:
    """The framework a spec's (or a flag's) value names, by any of its spellings; else a SpecError."""
    from lstmcount import frameworks

    if isinstance(value, str):
        found = frameworks.resolve(value)
        if found is not None:
            return found
    ids = frameworks.ids()  # only to say what was expected: loading every framework costs time
    if value is None:
        raise SpecError("must not be null", path=path, expected=" | ".join(ids), received="null")
    if isinstance(value, str):
        key = value.strip().lower()
        hint = frameworks.hints().get(key) or suggest(key, list(frameworks.spellings()))
        raise SpecError("invalid value", path=path, expected=" | ".join(ids), received=_describe(value), hint=hint)
    raise SpecError("wrong type", path=path, expected=" | ".join(ids), received=_describe(value))


def layer_to_dict(layer: LayerSpec) -> dict[str, Any]:
    """A layer as a plain mapping with only the fields that differ from their defaults."""
    out: dict[str, Any] = {"type": layer.TYPE.value}
    for f in dataclasses.fields(layer):
        value = getattr(layer, f.name)
        default = f.default
        if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        if value != default:
            if isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, tuple) and field_kind(type(layer), f) in ("sources", "names"):
                value = list(value)
            elif isinstance(value, Mapping):
                value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            out[field_key(f)] = value
    return out


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """A spec as a plain mapping, as it would be written in YAML or JSON."""
    inp = {k: v for k, v in dataclasses.asdict(spec.input).items() if v is not None}
    out: dict[str, Any] = {"framework": spec.framework}
    if spec.name:
        out["name"] = spec.name
    out["input"] = inp
    if spec.inputs:
        out["inputs"] = {
            k: {f: v for f, v in dataclasses.asdict(i).items() if v is not None} for k, i in spec.inputs.items()
        }
    out["layers"] = [layer_to_dict(layer) for layer in spec.layers]
    return out

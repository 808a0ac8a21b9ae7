"""The counter: pure arithmetic from a validated spec to a :class:`~lstmcount.model.report.Report`.

It walks the layers once, carrying the shape of the data between them, checks that each layer
can follow the previous one and that the framework can build it, and asks the framework's
convention table which tensors each layer creates. No numpy, no I/O.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from collections.abc import Callable, Iterator
from math import prod
from typing import Any, NamedTuple

from lstmcount import frameworks
from lstmcount.cells import CellSpec, Kind
from lstmcount.errors import SpecError
from lstmcount.frameworks.base import (
    Bidirectional,
    CellClass,
    Dims,
    Framework,
    LayerClass,
    Role,
    Stacking,
    arrangement,
)
from lstmcount.frameworks.layout import Placement, instantiate
from lstmcount.model.report import CellInfo, LayerReport, OutShape, Report, TensorReport, cell_formula, cell_params, fmt
from lstmcount.model.spec import (
    Conv1DSpec,
    DenseSpec,
    DropoutSpec,
    EmbeddingSpec,
    GenericSpec,
    GRUSpec,
    InputSpec,
    LayerNormSpec,
    LayerSpec,
    LayerType,
    LSTMSpec,
    MergeMode,
    ModelSpec,
    Padding,
    RecurrentSpec,
    SimpleRNNSpec,
    _new,
    suggest,
)

#: ``TensorReport(*fields)`` for all nine fields, without the named tuple's ``__new__`` in Python
_tensor: Callable[[tuple[object, ...]], TensorReport] = functools.partial(tuple.__new__, TensorReport)
#: the sizes of a layer without weights (Dims is frozen, so one instance serves every such layer)
_NO_DIMS = Dims()
SHARED_WEIGHTS_NOTE = "The same weights serve every time step, so the count does not depend on sequence length."


class Flow(NamedTuple):
    """The data between two layers: a sequence (batch, steps, features) or (batch, features)."""

    features: int
    sequence: bool
    steps: int | None
    produced_by: str  # what made it, for error messages

    @property
    def shape(self) -> OutShape:
        """The framework-neutral shape, batch axis first."""
        return (None, self.steps, self.features) if self.sequence else (None, self.features)


class _Namer:
    """Framework-style automatic layer names: lstm, lstm_1, ... (or Dense_0, Dense_1, ...); user names kept as given.

    With ``avoid`` the numbering steps over the names in ``taken``; without it (Keras) it
    counts only unnamed layers, and a clash is caught once every layer is named. With
    ``from_zero`` the first name of a stem is numbered too (``LSTMCell_0``).
    """

    def __init__(self, taken: set[str], avoid: bool = True, from_zero: bool = False) -> None:
        self.taken = set(taken)
        self.avoid = avoid
        self.from_zero = from_zero
        self.counts: dict[str, int] = {}

    def next(self, stem: str) -> str:
        while True:
            n = self.counts.get(stem, 0)
            self.counts[stem] = n + 1
            name = f"{stem}_{n}" if self.from_zero else (stem if n == 0 else f"{stem}_{n}")
            if not self.avoid or name not in self.taken:
                self.taken.add(name)
                return name


def count(spec: ModelSpec, framework: str | None = None) -> Report:
    """Count every parameter of ``spec`` in the conventions of ``framework``.

    ``framework`` defaults to the spec's own. Raises :class:`SpecError` when a layer cannot
    follow the previous one or the framework cannot build it.
    """
    fw = frameworks.get(framework or spec.framework)
    flow = _input_flow(spec)
    explicit = [layer.name for layer in spec.layers if layer.name]
    seen: set[tuple[str | None, str]] = set()
    for i, layer in enumerate(spec.layers):
        if not layer.name:
            continue
        if (layer.scope, layer.name) in seen:
            raise SpecError(
                f"duplicate layer name {layer.name!r}", path=f"layers[{i}].name", hint="layer names must be unique"
            )
        seen.add((layer.scope, layer.name))
    namer = _Namer(set(explicit), avoid=fw.auto_names_avoid_given, from_zero=fw.numbered_from_zero)
    layers: list[LayerReport] = []
    model_input = flow
    outputs: dict[str, Flow] = {}  # what each layer gives, by its name (for a layer that reads it)
    for i, layer in enumerate(spec.layers):
        _check_restrictions(fw, layer, i)
        if layer.reads is not None:
            flow = _reads(layer, model_input, outputs, i, spec)
        for report in _layer_reports(fw, spec, layer, i, flow, namer):
            if layer.scope:
                report = _scoped(report, layer.scope, fw.path_sep)
            if layer.tied:
                report = _tied(report, layer, i, layers)
            layers.append(report)
            outputs[report.name] = flow = _next_flow(report, flow, fw)
    _check_unique_names(fw, spec, layers)
    notes = [SHARED_WEIGHTS_NOTE] if any(r.recurrent for r in layers) else []
    notes += [note for note in dict.fromkeys(n for r in layers for n in r.notes)]
    return Report(
        framework=fw.id,
        framework_display=fw.display,
        input_shape=_input_shape(spec),
        layers=tuple(layers),
        model_name=spec.name,
        notes=tuple(notes),
    )


def _reads(layer: LayerSpec, model_input: Flow, outputs: dict[str, Flow], i: int, spec: ModelSpec) -> Flow:
    """What a layer with ``from`` reads; a merge (a generic layer) reads several, and passes the first's shape on."""
    if isinstance(layer.reads, str):
        return _read_flow(layer.reads, model_input, outputs, i, spec)
    sources = layer.reads or ()
    if not isinstance(layer, GenericSpec):
        raise SpecError(
            f"a {layer.TYPE.value} layer reads one input",
            path=f"layers[{i}].from",
            expected="one name (only a generic layer, a merge, reads several)",
            received=f"a list of {len(sources)}",
        )
    flows = [_read_flow(name, model_input, outputs, i, spec) for name in sources]
    return flows[0]


def _tied(report: LayerReport, layer: LayerSpec, i: int, before: list[LayerReport]) -> LayerReport:
    """``report`` without the tensors that are another layer's (tied weights): they are counted there."""
    owned = {t.path: t for earlier in before for t in earlier.tensors}
    kept = []
    notes = list(report.notes)
    names = {t.name for t in report.tensors}
    for name in layer.tied:
        if name not in names:
            raise SpecError(
                f"tied names no tensor of the layer: {name!r}",
                path=f"layers[{i}].tied.{name}",
                expected="one of " + ", ".join(sorted(names)),
                received=repr(name),
                hint=suggest(name, sorted(names)),
            )
    for t in report.tensors:
        target = layer.tied.get(t.name)
        if target is None:
            kept.append(t)
            continue
        other = owned.get(target)
        if other is None:
            raise SpecError(
                f"tied names no tensor of an earlier layer: {target!r}",
                path=f"layers[{i}].tied.{t.name}",
                expected="the path of an earlier layer's tensor",
                received=repr(target),
                hint=suggest(target, list(owned)),
            )
        if other.shape != t.shape and tuple(reversed(other.shape)) != t.shape:
            raise SpecError(
                f"a tied tensor has another shape: {t.path} is {t.shape}, {target} is {other.shape}",
                path=f"layers[{i}].tied.{t.name}",
                expected=f"a tensor of shape {t.shape}",
                received=f"{target} {other.shape}",
            )
        notes.append(f"{t.path} is {target} (tied weights): its {fmt(t.params)} parameters are counted there, once.")
    return dataclasses.replace(report, tensors=tuple(kept), notes=tuple(notes))


def _read_flow(reads: str, model_input: Flow, outputs: dict[str, Flow], i: int, spec: ModelSpec) -> Flow:
    """What a layer whose ``from`` names it reads: the model input, a further input, or an earlier layer's output."""
    if reads == "input":
        return model_input
    if reads in outputs:
        return outputs[reads]
    if reads in spec.inputs:
        other = spec.inputs[reads]
        if other.features is None and other.vocab is not None:  # token ids, for an embedding
            return Flow(features=0, sequence=True, steps=other.timesteps, produced_by=f"input {reads!r}")
        if other.features is None:
            raise SpecError(
                "the input has no feature count", path=f"inputs.{reads}.features", expected="an integer >= 1"
            )
        return Flow(features=other.features, sequence=True, steps=other.timesteps, produced_by=f"input {reads!r}")
    raise SpecError(
        f"from names no earlier layer: {reads!r}",
        path=f"layers[{i}].from",
        expected="input, an input of inputs, or the name of a layer before this one: "
        + ", ".join([*spec.inputs, *outputs]),
        received=repr(reads),
        hint=suggest(reads, [*outputs, *spec.inputs, "input"]),
    )


def _scoped(report: LayerReport, scope: str, sep: str) -> LayerReport:
    """``report`` inside the module ``scope``: its name and its tensors' paths start with it."""
    head = scope + sep
    tensors = tuple(t._replace(path=head + t.path, aliases=tuple(head + a for a in t.aliases)) for t in report.tensors)
    return dataclasses.replace(report, name=head + report.name, tensors=tensors)


def _check_unique_names(fw: Framework, spec: ModelSpec, layers: list[LayerReport]) -> None:
    """Refuse two layers of one name: an automatic name, or a stacked ``<name>_<k>``, may clash."""
    first: dict[str, int] = {}
    for layer in layers:
        i = layer.spec_index
        if layer.name in first:
            given = spec.layers[i].name
            how = f"named {layer.name!r} from {given!r}" if given else f"named {layer.name!r} by {fw.display}"
            raise SpecError(
                f"duplicate layer name {layer.name!r}",
                path=f"layers[{i}].name",
                expected="a name no other layer has",
                received=f"{how}, as layers[{first[layer.name]}] is",
                hint=f"give layers[{i}] (or layers[{first[layer.name]}]) another name",
            )
        first.setdefault(layer.name, i)


def _input_shape(spec: ModelSpec) -> OutShape:
    first = spec.layers[0]
    if isinstance(first, EmbeddingSpec):
        return (None, spec.input.timesteps)
    features = spec.input.features or getattr(first, "input_size", None)
    return (None, spec.input.timesteps, features)


def _token_input(spec: ModelSpec, layer: EmbeddingSpec) -> InputSpec | None:
    """The input of token ids a later embedding reads with ``from`` (None: it reads none)."""
    if isinstance(layer.reads, str) and layer.reads in spec.inputs and spec.inputs[layer.reads].vocab is not None:
        return spec.inputs[layer.reads]
    if layer.reads == "input" and spec.input.vocab is not None:
        return spec.input
    return None


def _input_flow(spec: ModelSpec) -> Flow:
    first = spec.layers[0]
    inp = spec.input
    for i, layer in enumerate(spec.layers[1:], start=1):
        if isinstance(layer, EmbeddingSpec) and _token_input(spec, layer) is None:
            raise SpecError(
                "an embedding must be the first layer, or read token ids with from",
                path=f"layers[{i}].type",
                expected="embedding at layers[0], or from: an input of inputs with a vocab",
                received=f"embedding at layers[{i}]",
                hint="move it first: it turns token ids into vectors",
            )
    if isinstance(first, EmbeddingSpec):
        if inp.features is not None:
            raise SpecError(
                "token-id input has no features",
                path="input.features",
                expected="no features before an embedding",
                received=f"integer {inp.features}",
                hint="give input.vocab (or the embedding's vocab) instead",
            )
        vocab = first.vocab or inp.vocab
        if vocab is None:
            raise SpecError(
                "the embedding has no vocabulary size",
                path="layers[0].vocab",
                expected="an integer >= 1 in layers[0].vocab or input.vocab",
                received="nothing",
            )
        if first.vocab and inp.vocab and first.vocab != inp.vocab:
            raise SpecError(
                "vocabulary sizes disagree",
                path="layers[0].vocab",
                expected=f"input.vocab {inp.vocab}",
                received=f"integer {first.vocab}",
                hint="give it in one place",
            )
        return Flow(features=0, sequence=True, steps=inp.timesteps, produced_by="the input")
    if inp.vocab is not None:
        raise SpecError(
            "input.vocab needs an embedding as the first layer",
            path="input.vocab",
            expected="an embedding at layers[0]",
            received=f"{first.TYPE.value} at layers[0]",
            hint="add {type: embedding, dim: N} first, or give input.features",
        )
    features = inp.features
    given = getattr(first, "input_size", None)
    if features is None and given is None:
        raise SpecError(
            "the input has no feature count",
            path="input.features",
            expected="an integer >= 1",
            received="nothing",
            hint="add input: {features: N}",
        )
    return Flow(features=features or given or 0, sequence=True, steps=inp.timesteps, produced_by="the input")


def _check_restrictions(fw: Framework, layer: LayerSpec, i: int) -> None:
    for rule in fw.restrictions:
        if layer.TYPE.value in rule.types and rule.broken(layer):
            raise SpecError(
                f"not valid for {fw.display}: {rule.message}", path=f"layers[{i}].{rule.field}", hint=rule.hint
            )
    if not isinstance(layer, (RecurrentSpec, GenericSpec)):
        if layer.TYPE.value not in fw.layers:
            raise SpecError(
                f"not valid for {fw.display}: it has no {layer.TYPE.value} layer",
                path=f"layers[{i}].type",
                hint=_elsewhere(lambda other: layer.TYPE.value in other.layers, "use another framework"),
            )
        _check_activation(fw, getattr(layer, "activation", None), frozenset(), f"layers[{i}].activation")
    if layer.name is not None and any(c in layer.name for c in fw.name_forbids):
        raise SpecError(
            f"not valid for {fw.display}: {fw.name_rule}",
            path=f"layers[{i}].name",
            received=repr(layer.name),
            expected=f"a name without {' or '.join(repr(c) for c in fw.name_forbids)}",
            hint="rename the layer",
        )


def _elsewhere(builds: Callable[[Framework], bool], otherwise: str | None = None) -> str | None:
    """A hint naming the first framework (in comparison order) for which ``builds`` holds."""
    for other in frameworks.every():
        if builds(other):
            return f"use {{framework:{other.id}}}"
    return otherwise


def _check_activation(fw: Framework, activation: str | None, allowed: frozenset[str], path: str) -> None:
    if activation is None or activation in (allowed or fw.activations):
        return
    hint: str | None
    if allowed:
        hint = "choose one of " + ", ".join(sorted(allowed))
    else:
        other = _elsewhere(lambda o: activation in o.activations)
        hint = f"choose another activation or {other}" if other else None
    raise SpecError(f"not valid for {fw.display}: it has no activation {activation!r}", path=path, hint=hint)


def _activated_width(layer: DenseSpec | Conv1DSpec, width: int, i: int) -> int:
    """Output features after the layer's activation: glu halves them (it gates one half with the other)."""
    if layer.activation != "glu":
        return width
    if width % 2:
        raise SpecError(
            "glu needs an even number of features to halve",
            path=f"layers[{i}].activation",
            expected="an even number of units or filters",
            received=f"integer {width}",
        )
    return width // 2


def _next_flow(last: LayerReport, flow: Flow, fw: Framework) -> Flow:
    shape = last.output_shape
    if fw.conv_channels_first and last.type is LayerType.CONV1D:
        shape = (shape[0], shape[2], shape[1])  # the next layer reads (batch, steps, channels)
    if len(shape) == 3:
        return Flow(features=int(shape[2] or 0), sequence=True, steps=shape[1], produced_by=f"layer {last.name!r}")
    return Flow(features=int(shape[1] or 0), sequence=False, steps=None, produced_by=f"layer {last.name!r}")


def _out(flow: Flow, width: int, sequence: bool | None = None) -> OutShape:
    seq = flow.sequence if sequence is None else sequence
    return (None, flow.steps, width) if seq else (None, width)


@functools.lru_cache(maxsize=4096)
def _tensor_name(template: str, k: int, sfx: str) -> str:
    """A recurrent tensor's name from its template (``weight_ih_l{k}{sfx}``)."""
    return template.format(k=k, sfx=sfx)


@functools.lru_cache(maxsize=4096)
def _placed(layout: Any, cell: CellSpec, directions: int) -> tuple[tuple[int, ...], tuple[Placement, ...]]:
    """:func:`~lstmcount.frameworks.layout.instantiate`, once per layout and cell (``check`` counts many alike)."""
    return instantiate(layout, cell, directions)


def _need_sequence(layer: LayerSpec, i: int, flow: Flow, prev: LayerSpec | None) -> None:
    if flow.sequence:
        return
    hint = None
    if isinstance(prev, RecurrentSpec):
        hint = f"set return_sequences: true on layers[{i - 1}]"
    raise SpecError(
        f"{layer.TYPE.value} needs a sequence (batch, steps, features)",
        path=f"layers[{i}].type",
        expected="a sequence input",
        received=f"{flow.produced_by} output (None, {flow.features})",
        hint=hint or "a recurrent or conv1d layer cannot follow a layer that outputs no sequence",
    )


def _layer_reports(
    fw: Framework, spec: ModelSpec, layer: LayerSpec, i: int, flow: Flow, namer: _Namer
) -> Iterator[LayerReport]:
    prev = spec.layers[i - 1] if i else None
    if isinstance(layer, RecurrentSpec):
        _need_sequence(layer, i, flow, prev)
        yield from _recurrent(fw, layer, i, flow, namer)
        return
    klass = _GENERIC if isinstance(layer, GenericSpec) else fw.layers[layer.TYPE.value]
    stem = _snake(layer.cell_class) if isinstance(layer, GenericSpec) and layer.cell_class else klass.stem
    name = layer.name or namer.next(stem)
    path = f"{name}{fw.path_sep}"
    out: OutShape
    if isinstance(layer, EmbeddingSpec):
        tokens = _token_input(spec, layer) if i else None
        vocab = layer.vocab or (tokens.vocab if tokens is not None else spec.input.vocab) or 0
        dims = Dims(V=vocab, F=layer.dim)
        out = (None, flow.steps, layer.dim)
        formula = f"{vocab}×{layer.dim} = {fmt(vocab * layer.dim)}"
        in_shape: OutShape = (None, flow.steps)
    elif isinstance(layer, DenseSpec):
        dims = Dims(I=flow.features, F=layer.units)
        out = _out(flow, _activated_width(layer, layer.units, i))
        p = flow.features * layer.units + (layer.units if layer.use_bias else 0)
        formula = f"{flow.features}×{layer.units}" + (f" + {layer.units}" if layer.use_bias else "")
        formula += f" = {fmt(p)}"
        in_shape = flow.shape
    elif isinstance(layer, Conv1DSpec):
        _need_sequence(layer, i, flow, prev)
        steps = _conv_steps(layer, flow.steps, i)
        dims = Dims(I=flow.features, F=layer.filters, K=layer.kernel_size)
        filters = _activated_width(layer, layer.filters, i)
        out = (None, filters, steps) if fw.conv_channels_first else (None, steps, filters)
        p = layer.kernel_size * flow.features * layer.filters + (layer.filters if layer.use_bias else 0)
        formula = f"{layer.kernel_size}×{flow.features}×{layer.filters}"
        formula += (f" + {layer.filters}" if layer.use_bias else "") + f" = {fmt(p)}"
        in_shape = flow.shape
    elif isinstance(layer, LayerNormSpec):
        dims = Dims(F=flow.features)
        out = flow.shape
        terms = [str(flow.features)] * (int(layer.center) + int(layer.scale))
        formula = (" + ".join(terms) or "0") + f" = {fmt(len(terms) * flow.features)}"
        in_shape = flow.shape
    elif isinstance(layer, DropoutSpec):
        dims = _NO_DIMS
        out = flow.shape
        formula = "0 (no weights)"
        in_shape = flow.shape
    elif isinstance(layer, GenericSpec):
        yield _generic(layer, i, flow, name, fw.path_sep)
        return
    else:  # pragma: no cover - every layer type is handled above
        raise TypeError(layer)
    trainable = layer.trainable
    tensors: list[TensorReport] = []
    for r in klass.tensors:
        if r.when(layer):
            shape = tuple(r.shape(dims))
            tensors.append(_tensor((r.name, path + r.name, shape, r.role, (), trainable, None, None, ())))
    yield _new(
        LayerReport,
        {
            "name": name,
            "type": layer.TYPE,
            "class_name": klass.name,
            "input_shape": in_shape,
            "output_shape": out,
            "tensors": tuple(tensors),
            "trainable": trainable,
            "arithmetic": formula,
            "spec_index": i,
        },
    )


def _snake(name: str) -> str:
    """A class name as an automatic layer name stem: ``BatchNormalization`` -> ``batch_normalization``."""
    out = "".join(
        "_" + c.lower() if c.isupper() and i and not name[i - 1].isupper() else c.lower() for i, c in enumerate(name)
    )
    return "".join(c if c.isalnum() or c == "_" else "_" for c in out) or "layer"


#: a layer lstmcount does not model, in any framework
_GENERIC = LayerClass("Generic", "layer")


def _generic(layer: GenericSpec, i: int, flow: Flow, name: str, sep: str) -> LayerReport:
    """A generic layer: its stated tensors (or count), passing its input's shape on (or ``units`` features)."""
    tensors: tuple[TensorReport, ...]
    if layer.tensors:
        tensors = tuple(
            _tensor((t, f"{name}{sep}{t}", shape, Role.OTHER, (), layer.trainable and t not in layer.frozen, None,
                     None, ()))
            for t, shape in layer.tensors.items()
        )  # fmt: skip
        formula = " + ".join("×".join(map(str, s)) or "1" for s in layer.tensors.values())
    else:
        count = layer.params or 0
        tensors = (
            (_tensor(("(parameters)", name, (count,), Role.OTHER, (), layer.trainable, None, None, ())),)
            if count
            else ()
        )
        formula = f"{count:,} (as stated)"
    total = sum(prod(t.shape) for t in tensors)
    width = flow.features if layer.units is None else layer.units
    if layer.sequence is None and layer.steps is None:
        out = flow.shape if layer.units is None else _out(flow, layer.units)
    elif layer.sequence is False:
        out = (None, width)
    else:
        out = (None, layer.steps if layer.steps is not None else flow.steps, width)
    report: LayerReport = _new(
        LayerReport,
        {
            "name": name,
            "type": layer.TYPE,
            "class_name": layer.cell_class or "generic",
            "input_shape": flow.shape,
            "output_shape": out,
            "tensors": tensors,
            "trainable": layer.trainable,
            "arithmetic": f"{formula} = {fmt(total)}" if layer.tensors else f"{fmt(total)} (as stated)",
            "spec_index": i,
            "notes": ("lstmcount does not model this layer: it is counted from its stated tensors or count.",)
            if total
            else (),
        },
    )
    return report


def _conv_steps(layer: Conv1DSpec, steps: int | None, i: int) -> int | None:
    if steps is None:
        return None
    if layer.padding is Padding.SAME:
        return -(-steps // layer.strides)
    if layer.kernel_size > steps:
        raise SpecError(
            "kernel wider than the sequence",
            path=f"layers[{i}].kernel_size",
            expected=f"at most {steps} (input.timesteps)",
            received=f"integer {layer.kernel_size}",
            hint="use padding: same or a smaller kernel",
        )
    return (steps - layer.kernel_size) // layer.strides + 1


#: the spec's option fields of a recurrent layer, and the value that leaves each out
_NEUTRAL: dict[str, Any] = {
    "proj_size": 0,
    "peepholes": False,
    "forget_bias": None,
    "reset_after": None,
    "activation": None,
    "recurrent_activation": None,
}


def _options_given(layer: RecurrentSpec) -> dict[str, Any]:
    """The options a layer sets away from their neutral values (a framework must have each)."""
    given = {}
    for name, neutral in _NEUTRAL.items():
        value = getattr(layer, name, neutral)
        if value != neutral and not (name == "forget_bias" and value == 0):
            given[name] = value
    if isinstance(layer, SimpleRNNSpec) and layer.nonlinearity.value != "tanh":
        given["nonlinearity"] = layer.nonlinearity.value
    if layer.bidirectional and layer.merge_mode is not MergeMode.CONCAT:
        given["merge_mode"] = layer.merge_mode.value
    return given


#: how a missing option is named in an error
_OPTION_WORDS = {
    "proj_size": "projection",
    "peepholes": "peepholes",
    "forget_bias": "run-time forget bias",
    "reset_after": "choice of where the reset gate applies",
    "activation": "choice of activation",
    "recurrent_activation": "choice of gate activation",
    "nonlinearity": "choice of activation",
    "merge_mode": "choice of merge mode",
}


def _has_option(cls: CellClass, name: str, value: Any) -> bool:
    if name in cls.fixed:
        return bool(cls.fixed[name] == value)
    return name in cls.options


def recurrent_class(fw: Framework, layer: RecurrentSpec, i: int) -> CellClass:
    """The framework's class for ``layer`` (its ``class``, or the default), checked against the layer's options."""
    kind = Kind(layer.TYPE.value)
    names = fw.class_names(kind)
    word = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN: "simple RNN"}[kind]
    if not names:
        raise SpecError(
            f"not valid for {fw.display}: it has no {word} layer",
            path=f"layers[{i}].type",
            hint=_elsewhere(lambda other: bool(other.class_names(kind)), "use another framework"),
        )
    try:
        cls = fw.cell_class(kind, layer.cell_class)
    except KeyError:
        asked = str(layer.cell_class)
        hint = _elsewhere(lambda other: asked.lower() in (n.lower() for n in other.class_names(kind)))
        lowered = [n.lower() for n in names]
        close = difflib.get_close_matches(asked.lower(), lowered, n=1, cutoff=0.75)
        if close and hint is None:
            hint = f"did you mean {names[lowered.index(close[0])]!r}?"
        raise SpecError(
            f"{fw.display} has no {word} class {asked!r}",
            path=f"layers[{i}].class",
            expected=" | ".join(names),
            received=repr(asked),
            hint=hint,
        ) from None
    where = f"{fw.display} {cls.name}"

    def others(name: str, value: Any) -> str | None:
        return _elsewhere(lambda other: any(_has_option(c, name, value) for c in other.cells.get(kind, ())))

    for name, value in _options_given(layer).items():
        if name in cls.fixed and cls.fixed[name] != value:
            fixed = str(cls.fixed[name]).lower()
            raise SpecError(
                f"not valid for {where}: it always has {{value:{name}={fixed}}}",
                path=f"layers[{i}].{name}",
                hint=" or ".join(filter(None, [f"remove {{field:{name}}}", others(name, value)])),
            )
        if name not in cls.fixed and name not in cls.options:
            raise SpecError(
                f"not valid for {where}: it has no {_OPTION_WORDS[name]} ({{field:{name}}})",
                path=f"layers[{i}].{name}",
                hint=" or ".join(filter(None, [f"remove {{field:{name}}}", others(name, value)])),
            )
    for name in ("activation", "recurrent_activation"):
        _check_activation(fw, getattr(layer, name, None), cls.cell_activations, f"layers[{i}].{name}")
    if not layer.use_bias and not cls.bias_switch:
        raise SpecError(
            f"not valid for {where}: it always has biases",
            path=f"layers[{i}].use_bias",
            hint=" or ".join(filter(None, ["remove {field:use_bias}", others("use_bias", False)])),
        )
    if layer.num_layers > 1 and cls.stacking is Stacking.NONE:
        raise SpecError(
            f"not valid for {where}: it is one cell and cannot stack",
            path=f"layers[{i}].num_layers",
            hint=_class_hint(fw, kind, lambda c: c.stacking is not Stacking.NONE, "num_layers"),
        )
    if layer.bidirectional and cls.bidirectional is Bidirectional.NONE:
        raise SpecError(
            f"not valid for {where}: it runs one direction",
            path=f"layers[{i}].bidirectional",
            hint=_class_hint(fw, kind, lambda c: c.bidirectional is not Bidirectional.NONE, "bidirectional"),
        )
    return cls


def _class_hint(fw: Framework, kind: Kind, ok: Callable[[CellClass], bool], field: str) -> str:
    for cls in fw.cells.get(kind, ()):
        if ok(cls):
            return f"use {{value:class={cls.name}}}, or remove {{field:{field}}}"
    return f"remove {{field:{field}}}"  # pragma: no cover - every framework has a class that stacks


def cell_spec(cls: CellClass, layer: RecurrentSpec, inputs: int) -> CellSpec:
    """The cell instance ``layer`` makes in class ``cls``, reading ``inputs`` features."""
    defaults = cls.defaults
    reset_after = True
    if isinstance(layer, GRUSpec):
        reset_after = (
            layer.reset_after
            if layer.reset_after is not None
            else cls.fixed.get("reset_after", defaults.get("reset_after", True))
        )
    forget_bias = getattr(layer, "forget_bias", None)
    if forget_bias is None:
        forget_bias = defaults.get("forget_bias", 0.0)
    if isinstance(layer, SimpleRNNSpec):
        cell_activation = layer.nonlinearity.value
    else:
        cell_activation = getattr(layer, "activation", None) or defaults.get("activation", "tanh")
    gate_activation = getattr(layer, "recurrent_activation", None) or defaults.get("recurrent_activation", "sigmoid")
    return CellSpec(
        kind=cls.kind,
        inputs=inputs,
        units=layer.units,
        proj=layer.proj_size if isinstance(layer, LSTMSpec) else 0,
        biases=cls.biases(layer.use_bias, bool(reset_after)),
        peepholes=bool(getattr(layer, "peepholes", False)),
        reset_after=bool(reset_after),
        forget_bias=float(forget_bias),
        gate_activation=gate_activation,
        cell_activation=cell_activation,
    )


def _recurrent(fw: Framework, layer: RecurrentSpec, i: int, flow: Flow, namer: _Namer) -> Iterator[LayerReport]:
    cls = recurrent_class(fw, layer, i)
    proj = layer.proj_size if isinstance(layer, LSTMSpec) else 0
    if proj and proj >= layer.units and cls.projection_below_units:
        raise SpecError(
            f"not valid for {fw.display} {cls.name}: {{field:proj_size}} must be smaller than {{field:units}}",
            path=f"layers[{i}].proj_size",
            expected=f"0 < {{field:proj_size}} < {layer.units}",
            received=f"integer {proj}",
        )
    if layer.input_size is not None and layer.input_size != flow.features:
        raise SpecError(
            "input_size does not match the previous layer",
            path=f"layers[{i}].input_size",
            expected=f"{flow.features} (from {flow.produced_by})",
            received=f"integer {layer.input_size}",
            hint="remove it or fix it",
        )
    directions = 2 if layer.bidirectional else 1
    h_out = proj or layer.units
    merged = h_out * directions if layer.merge_mode is MergeMode.CONCAT else h_out
    stacked, bidirectional = layer.num_layers > 1, layer.bidirectional
    paths = cls.paths
    template = paths.template(stacked, bidirectional)
    stem = paths.stems.get(arrangement(stacked, bidirectional), cls.stem)
    wrapped = bidirectional and cls.bidirectional is Bidirectional.WRAPPER
    if cls.stacking is Stacking.LAYERS:
        groups = []
        for k in range(layer.num_layers):
            last = k == layer.num_layers - 1
            if layer.name:
                name = layer.name if layer.num_layers == 1 else f"{layer.name}_{k}"
            elif wrapped:
                name = namer.next(cls.wrapper[1])
            else:
                name = namer.next(stem)
            groups.append((name, [k], layer.return_sequences if last else True))
    else:
        groups = [(layer.name or namer.next(stem), list(range(layer.num_layers)), layer.return_sequences)]
    class_name = cls.wrapper[0] if wrapped else cls.name
    per_cell_names = "{cell}" in template
    trainable = layer.trainable
    frozen = {t.name: bool(t.frozen and t.frozen(layer)) for t in cls.tensors}
    notes: tuple[str, ...] = ()
    if (stacked and cls.stacking is Stacking.COMPOSED) or (
        bidirectional and cls.bidirectional is Bidirectional.COMPOSED
    ):
        notes = (cls.composition,) if cls.composition else ()
    width = flow.features
    for name, ks, return_sequences in groups:
        inner = namer.next(cls.stem) if wrapped and "{inner}" in template else name
        in_shape = _out(flow, width, True)
        tensors: list[TensorReport] = []
        cells: list[CellInfo] = []
        instances = len(ks) * directions
        for k in ks:
            cell = cell_spec(cls, layer, width)
            cells.append(CellInfo(k, cell))
            rules = [t for t in cls.tensors if t.when(cell)]
            for d in range(directions):
                own = ""
                if per_cell_names:
                    if layer.name:
                        own = name if instances == 1 else f"{name}_{len(cells) * directions - directions + d}"
                    else:
                        own = namer.next(cls.cell_stem)
                values = {
                    "layer": name,
                    "k": k,
                    "dir": paths.directions[d],
                    "inner": inner,
                    "cell": own,
                    "scope": cls.scope,
                }
                for t in rules:
                    if t.per_layer and d:
                        continue
                    shape, placements = _placed(t.layout_for(cell), cell, directions if t.per_layer else 1)
                    tensor_name = _tensor_name(t.name, k, paths.suffixes[d])
                    path = template.format(tensor=tensor_name, **values)
                    tensors.append(
                        _tensor(
                            (
                                tensor_name,
                                path,
                                shape,
                                t.role,
                                placements,
                                trainable and not frozen[t.name],
                                k,
                                None if t.per_layer else d,
                                (),
                            )
                        )
                    )
            width = merged
        out = _out(flow, merged, return_sequences)
        finished = tuple(tensors) if fw.finish is None else fw.finish(layer, tuple(tensors))
        yield _new(
            LayerReport,
            {
                "name": name,
                "type": layer.TYPE,
                "class_name": class_name,
                "input_shape": in_shape,
                "output_shape": out,
                "tensors": finished,
                "trainable": trainable,
                "spec_index": i,
                "gate_defs": cls.gates,
                "cells": tuple(cells),
                "directions": directions,
                "notes": notes,
            },
        )


__all__ = ["cell_formula", "cell_params", "count", "fmt"]

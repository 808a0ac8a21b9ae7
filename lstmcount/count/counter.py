"""The counter: pure arithmetic from a validated spec to a :class:`~lstmcount.model.report.Report`.

It walks the layers once, carrying the shape of the data between them, checks that each layer
can follow the previous one and that the framework can build it, and asks the framework's
convention table which tensors each layer creates. No numpy, no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import NamedTuple

from lstmcount.errors import SpecError
from lstmcount.frameworks import CONVENTIONS, Convention, Dims, convention
from lstmcount.model.report import CellInfo, LayerReport, OutShape, Report, TensorReport, cell_formula, cell_params, fmt
from lstmcount.model.spec import (
    Conv1DSpec,
    DenseSpec,
    DropoutSpec,
    EmbeddingSpec,
    Framework,
    LayerNormSpec,
    LayerSpec,
    LayerType,
    LSTMSpec,
    MergeMode,
    ModelSpec,
    Padding,
    RecurrentSpec,
    _new,
)

#: ``TensorReport(*fields)`` for all eight fields, without the named tuple's ``__new__`` in Python
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
    """Framework-style automatic layer names: lstm, lstm_1, ...; user names kept as given.

    With ``avoid`` the numbering steps over the names in ``taken``; without it (Keras) it
    counts only unnamed layers, and a clash is caught once every layer is named.
    """

    def __init__(self, taken: set[str], avoid: bool = True) -> None:
        self.taken = set(taken)
        self.avoid = avoid
        self.counts: dict[str, int] = {}

    def next(self, stem: str) -> str:
        while True:
            n = self.counts.get(stem, 0)
            self.counts[stem] = n + 1
            name = stem if n == 0 else f"{stem}_{n}"
            if not self.avoid or name not in self.taken:
                self.taken.add(name)
                return name


def count(spec: ModelSpec, framework: Framework | str | None = None) -> Report:
    """Count every parameter of ``spec`` in the conventions of ``framework``.

    ``framework`` defaults to the spec's own. Raises :class:`SpecError` when a layer cannot
    follow the previous one or the framework cannot build it.
    """
    conv = convention(framework or spec.framework)
    flow = _input_flow(spec)
    explicit = [layer.name for layer in spec.layers if layer.name]
    seen: set[str] = set()
    for i, layer in enumerate(spec.layers):
        if layer.name and layer.name in seen:
            raise SpecError(
                f"duplicate layer name {layer.name!r}", path=f"layers[{i}].name", hint="layer names must be unique"
            )
        if layer.name:
            seen.add(layer.name)
    namer = _Namer(set(explicit), avoid=conv.auto_names_avoid_given)
    layers: list[LayerReport] = []
    for i, layer in enumerate(spec.layers):
        _check_restrictions(conv, layer, i)
        for report in _layer_reports(conv, spec, layer, i, flow, namer):
            layers.append(report)
        flow = _next_flow(layers[-1], flow, conv)
    _check_unique_names(conv, spec, layers)
    notes = [SHARED_WEIGHTS_NOTE] if any(r.recurrent for r in layers) else []
    return Report(
        framework=conv.framework,
        framework_display=conv.display,
        input_shape=_input_shape(spec),
        layers=tuple(layers),
        model_name=spec.name,
        notes=tuple(notes),
    )


def _check_unique_names(conv: Convention, spec: ModelSpec, layers: list[LayerReport]) -> None:
    """Refuse two layers of one name: an automatic name, or a stacked ``<name>_<k>``, may clash."""
    first: dict[str, int] = {}
    for layer in layers:
        i = layer.spec_index
        if layer.name in first:
            given = spec.layers[i].name
            how = f"named {layer.name!r} from {given!r}" if given else f"named {layer.name!r} by {conv.display}"
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


def _input_flow(spec: ModelSpec) -> Flow:
    first = spec.layers[0]
    inp = spec.input
    for i, layer in enumerate(spec.layers[1:], start=1):
        if isinstance(layer, EmbeddingSpec):
            raise SpecError(
                "an embedding must be the first layer",
                path=f"layers[{i}].type",
                expected="embedding only at layers[0]",
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


def _check_restrictions(conv: Convention, layer: LayerSpec, i: int) -> None:
    for rule in conv.restrictions:
        if layer.TYPE in rule.types and rule.broken(layer):
            raise SpecError(
                f"not valid for {conv.display}: {rule.message}", path=f"layers[{i}].{rule.field}", hint=rule.hint
            )
    activation = getattr(layer, "activation", None)
    if activation is not None and activation not in conv.activations:
        others = [c.framework.value for c in CONVENTIONS.values() if activation in c.activations]
        raise SpecError(
            f"not valid for {conv.display}: it has no activation {activation!r}",
            path=f"layers[{i}].activation",
            hint=f"choose another activation or use {{framework:{others[0]}}}" if others else None,
        )
    if layer.name is not None and any(c in layer.name for c in conv.name_forbids):
        raise SpecError(
            f"not valid for {conv.display}: {conv.name_rule}",
            path=f"layers[{i}].name",
            received=repr(layer.name),
            expected=f"a name without {' or '.join(repr(c) for c in conv.name_forbids)}",
            hint="rename the layer",
        )


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


def _next_flow(last: LayerReport, flow: Flow, conv: Convention) -> Flow:
    shape = last.output_shape
    if conv.conv_channels_first and last.type is LayerType.CONV1D:
        shape = (shape[0], shape[2], shape[1])  # the next layer reads (batch, steps, channels)
    if len(shape) == 3:
        return Flow(features=int(shape[2] or 0), sequence=True, steps=shape[1], produced_by=f"layer {last.name!r}")
    return Flow(features=int(shape[1] or 0), sequence=False, steps=None, produced_by=f"layer {last.name!r}")


def _out(flow: Flow, width: int, sequence: bool | None = None) -> OutShape:
    seq = flow.sequence if sequence is None else sequence
    return (None, flow.steps, width) if seq else (None, width)


@functools.lru_cache(maxsize=4096)
def _tensor_name(template: str, k: int, sfx: str) -> str:
    """A recurrent tensor's name from its convention template (``weight_ih_l{k}{sfx}``)."""
    return template.format(k=k, sfx=sfx)


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
    conv: Convention, spec: ModelSpec, layer: LayerSpec, i: int, flow: Flow, namer: _Namer
) -> Iterator[LayerReport]:
    prev = spec.layers[i - 1] if i else None
    if isinstance(layer, RecurrentSpec):
        _need_sequence(layer, i, flow, prev)
        yield from _recurrent(conv, layer, i, flow, namer)
        return
    name = layer.name or namer.next(conv.name_stems[layer.TYPE])
    path = f"{name}{conv.path_sep}"
    rules = conv.layer_tensors[layer.TYPE]
    klass = conv.class_name(layer)
    out: OutShape
    if isinstance(layer, EmbeddingSpec):
        vocab = layer.vocab or spec.input.vocab or 0
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
        out = (None, filters, steps) if conv.conv_channels_first else (None, steps, filters)
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
    else:  # pragma: no cover - every layer type is handled above
        raise TypeError(layer)
    trainable = layer.trainable
    tensors: list[TensorReport] = []
    for r in rules:
        if r.when(layer):
            tensor_name = r.name.format()
            shape = tuple(r.shape(dims))
            tensors.append(
                _tensor((tensor_name, path + tensor_name, shape, r.role, r.gate_axis, trainable, None, None))
            )
    yield _new(
        LayerReport,
        {
            "name": name,
            "type": layer.TYPE,
            "class_name": klass,
            "input_shape": in_shape,
            "output_shape": out,
            "tensors": tuple(tensors),
            "trainable": trainable,
            "arithmetic": formula,
            "spec_index": i,
        },
    )


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


def _recurrent(conv: Convention, layer: RecurrentSpec, i: int, flow: Flow, namer: _Namer) -> Iterator[LayerReport]:
    proj = layer.proj_size if isinstance(layer, LSTMSpec) else 0
    if proj and proj >= layer.units:
        raise SpecError(
            "{field:proj_size} must be smaller than {field:units}",
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
    stem = conv.name_stems[layer.TYPE]
    if conv.native_stacking:
        name = layer.name or namer.next(stem)
        stacks = [(name, list(range(layer.num_layers)), layer.return_sequences)]
    else:
        stacks = []
        for k in range(layer.num_layers):
            last = k == layer.num_layers - 1
            if layer.name:
                name = layer.name if layer.num_layers == 1 else f"{layer.name}_{k}"
            elif layer.bidirectional and conv.bidirectional_wrapper:
                name = namer.next(conv.bidirectional_wrapper.lower())
            else:
                name = namer.next(stem)
            stacks.append((name, [k], layer.return_sequences if last else True))
    # what every cell instance of the layer shares: the convention's tensors for these options
    rules = [r for r in conv.recurrent_tensors[layer.TYPE] if r.when(layer)]
    gate_defs = conv.gates[layer.TYPE]
    bias_vectors = conv.bias_vectors(layer)
    class_name = conv.class_name(layer)
    wrapped = bool(layer.bidirectional and conv.bidirectional_wrapper)
    cell_prefix = conv.cell_prefix(layer.TYPE)
    suffixes = conv.direction_suffixes
    trainable = layer.trainable
    width = flow.features
    for name, ks, return_sequences in stacks:
        inner = namer.next(stem) if wrapped else name
        in_shape = _out(flow, width, True)
        head = name + conv.path_sep
        if wrapped:
            prefixes = [f"{head}{side}_{inner}/{cell_prefix}" for side in ("forward", "backward")]
        else:
            prefixes = [head + cell_prefix] * directions
        tensors: list[TensorReport] = []
        cells: list[CellInfo] = []
        for k in ks:
            dims = Dims(I=width, H=layer.units, P=proj, G=len(gate_defs))
            cells.append(
                CellInfo(
                    stack_index=k,
                    input_size=width,
                    units=layer.units,
                    proj_size=proj,
                    gates=dims.G,
                    bias_vectors=bias_vectors,
                )
            )
            shapes = [tuple(r.shape(dims)) for r in rules]  # the same in both directions
            for d in range(directions):
                prefix, sfx = prefixes[d], suffixes[d]
                for r, shape in zip(rules, shapes, strict=True):
                    tensor_name = _tensor_name(r.name, k, sfx)
                    tensors.append(
                        _tensor((tensor_name, prefix + tensor_name, shape, r.role, r.gate_axis, trainable, k, d))
                    )
            width = merged
        out = _out(flow, merged, return_sequences)
        yield _new(
            LayerReport,
            {
                "name": name,
                "type": layer.TYPE,
                "class_name": class_name,
                "input_shape": in_shape,
                "output_shape": out,
                "tensors": tuple(tensors),
                "trainable": trainable,
                "spec_index": i,
                "gate_defs": gate_defs,
                "cells": tuple(cells),
                "directions": directions,
            },
        )


__all__ = ["cell_formula", "cell_params", "count", "fmt"]

"""ONNX models (``.onnx``, with external data beside them): the graph read from its protobuf, tensor data never.

The file is one ``ModelProto`` (field numbers from ``onnx/onnx.proto``), parsed in place from a
memory map with :mod:`lstmcount.importers.protobuf`: an initializer's ``raw_data`` is stepped
over, so a gigabyte of weights costs what its headers cost. External data (``data_location``
EXTERNAL) must name a file inside the model's directory that holds every byte the tensor
declares; it is checked with ``stat``, not read.

The model is rebuilt from the operators: each ``LSTM``, ``GRU`` and ``RNN`` node is a recurrent
layer (its W, R, B and P inputs are its weights, whichever nodes compute them from the
initializers: PyTorch's dynamo exporter slices and concatenates the module's own tensors into
ONNX's gate order), consecutive nodes of one module one stacked layer; ``MatMul`` on a weight
(with the ``Add`` of its bias) and ``Gemm`` a dense layer; ``Gather`` from a weight an embedding;
``Conv`` with a 3-D weight a 1-D convolution; ``LayerNormalization`` a layer normalization. Any
other node that reads a weight is a generic layer of those tensors (with the initializers of the
graphs inside it, an If's branches or a Loop's body, however deep). A weight is counted once, in
the first layer that reads it: a node reading only weights counted before (a loop the exporter
unrolled, a module applied twice) is that layer again. The file's tensors are its initializers
and its ``Constant`` nodes' values; what reaches no weight input (shapes, indices, scalars,
initial states) is set aside by name.
"""

from __future__ import annotations

import mmap
import os
import stat
from dataclasses import dataclass, field
from math import prod
from pathlib import Path
from typing import Any

from lstmcount.importers.base import (
    MAX_AXES,
    MAX_DEPTH,
    MAX_ELEMENTS,
    MAX_TENSORS,
    Contents,
    DataRef,
    FileTensor,
    ModelFileError,
)
from lstmcount.importers.protobuf import FIXED32, LENGTH, VARINT, Span, WireError, fields, floats, ints, varint
from lstmcount.importers.reconstruct import sequences

#: ONNX's DataType codes -> (dtype name, bits per element)
DTYPES = {
    1: ("float32", 32),
    2: ("uint8", 8),
    3: ("int8", 8),
    4: ("uint16", 16),
    5: ("int16", 16),
    6: ("int32", 32),
    7: ("int64", 64),
    8: ("string", 0),
    9: ("bool", 8),
    10: ("float16", 16),
    11: ("float64", 64),
    12: ("uint32", 32),
    13: ("uint64", 64),
    14: ("complex64", 64),
    15: ("complex128", 128),
    16: ("bfloat16", 16),
    17: ("float8_e4m3fn", 8),
    18: ("float8_e4m3fnuz", 8),
    19: ("float8_e5m2", 8),
    20: ("float8_e5m2fnuz", 8),
    21: ("uint4", 4),
    22: ("int4", 4),
    23: ("float4_e2m1", 4),
    24: ("float8_e8m0", 8),
    25: ("uint2", 2),
    26: ("int2", 2),
    27: ("float6_e2m3", 6),
    28: ("float6_e3m2", 6),
}
FLOATS = frozenset(n for n, (name, _) in DTYPES.items() if name.startswith(("float", "bfloat", "complex")))
#: the typed data fields of a TensorProto and the width of one value (0: varints)
TYPED = {4: 4, 5: 0, 7: 0, 10: 8, 11: 0}
#: most nodes, attributes or values one graph may declare
MAX_NODES = MAX_TENSORS
#: longest string read (a name, an attribute)
MAX_STRING = 1 << 16

#: recurrent operators: gates, and the input positions of W, R, B, the initial states and P
RECURRENT = {
    "LSTM": ("lstm", 4, {1: "W", 2: "R", 3: "B", 7: "P"}, (5, 6)),
    "GRU": ("gru", 3, {1: "W", 2: "R", 3: "B"}, (5,)),
    "RNN": ("simple_rnn", 1, {1: "W", 2: "R", 3: "B"}, (5,)),
}
#: operators that only rearrange constants: what a weight input is computed through (their data inputs)
REARRANGE = {
    "Slice": (0,),
    "Concat": None,
    "Unsqueeze": (0,),
    "Squeeze": (0,),
    "Transpose": (0,),
    "Reshape": (0,),
    "Identity": (0,),
    "Cast": (0,),
    "Split": (0,),
    "Flatten": (0,),
    "Expand": (0,),
}
#: operators a sequence passes through between layers (a layer reads the layer they come from)
PASS = {
    "Transpose",
    "Reshape",
    "Squeeze",
    "Unsqueeze",
    "Identity",
    "Cast",
    "Dropout",
    "Flatten",
    "Relu",
    "Tanh",
    "Sigmoid",
    "Softmax",
    "LogSoftmax",
    "Gather",
    "Slice",
    "Split",
    "Concat",
    "Expand",
}


@dataclass
class Tensor:
    """An initializer (or a Constant node's value): name, shape, dtype code; its data not read."""

    name: str
    dims: tuple[int, ...]
    dtype: int
    #: where its values lie (raw_data, packed float_data or double_data, or external data)
    data: DataRef | None = None

    @property
    def elements(self) -> int:
        return prod(self.dims)

    def file_tensor(self) -> FileTensor:
        return FileTensor(self.name, self.dims, DTYPES.get(self.dtype, ("unknown", 0))[0], self.data)


@dataclass
class Node:
    """One operator: its type, name, inputs and outputs by value name, and the attributes lstmcount reads."""

    op: str
    name: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    #: the module path a PyTorch exporter records (``metadata_props`` namespace)
    namespace: str = ""
    #: initializers of the graphs inside it (an If's branches, a Loop's body), however deep
    inner: list[Tensor] = field(default_factory=list)


@dataclass
class Graph:
    """A graph's nodes in order, its initializers, and its inputs with their shapes."""

    nodes: list[Node] = field(default_factory=list)
    initializers: list[Tensor] = field(default_factory=list)
    inputs: dict[str, tuple[int | str | None, ...]] = field(default_factory=dict)


class _Reader:
    """Parses one model file's messages; every error becomes a :class:`ModelFileError` naming the file."""

    def __init__(self, path: str | os.PathLike[str], buf: Any) -> None:
        self.path = path
        self.buf = buf
        self.directory = Path(path).resolve().parent
        self.tensors = 0
        self.external: dict[str, int] = {}  # external file -> its size

    def fail(self, problem: str) -> ModelFileError:
        return ModelFileError(self.path, problem)

    def model(self) -> tuple[Graph, dict[str, Any]]:
        graph: Graph | None = None
        info: dict[str, Any] = {"opset": None, "producer": ""}
        producer, version = "", ""
        for number, wire, value in fields(self.buf):
            if number == 7 and wire == LENGTH:
                graph = self.graph(value, 0)
            elif number == 2 and wire == LENGTH:
                producer = value.text(MAX_STRING)
            elif number == 3 and wire == LENGTH:
                version = value.text(MAX_STRING)
            elif number == 8 and wire == LENGTH:
                domain, opset = "", None
                for n, w, v in fields(self.buf, value.start, value.end):
                    if n == 1 and w == LENGTH:
                        domain = v.text(MAX_STRING)
                    elif n == 2 and w == VARINT:
                        opset = v
                if domain in ("", "ai.onnx"):
                    info["opset"] = opset
        if graph is None:
            raise self.fail("an ONNX model with no graph")
        info["producer"] = " ".join(x for x in (producer, version) if x)
        return graph, info

    def graph(self, span: Span, depth: int) -> Graph:
        if depth > MAX_DEPTH:
            raise self.fail("graphs nest deeper than lstmcount reads")
        out = Graph()
        for number, wire, value in fields(self.buf, span.start, span.end):
            if wire != LENGTH:
                continue
            if number == 1:
                if len(out.nodes) >= MAX_NODES:
                    raise self.fail(f"a graph of more than {MAX_NODES:,} nodes")
                out.nodes.append(self.node(value, depth))
            elif number == 5:
                out.initializers.append(self.tensor(value))
            elif number == 15:
                out.initializers.append(self.sparse(value))
            elif number == 11:
                name, dims = self.value_info(value)
                out.inputs[name] = dims
        return out

    def node(self, span: Span, depth: int) -> Node:
        node = Node("", "", [], [])
        for number, wire, value in fields(self.buf, span.start, span.end):
            if wire != LENGTH:
                continue
            if number == 1:
                node.inputs.append(value.text(MAX_STRING))
            elif number == 2:
                node.outputs.append(value.text(MAX_STRING))
            elif number == 3:
                node.name = value.text(MAX_STRING)
            elif number == 4:
                node.op = value.text(MAX_STRING)
            elif number == 5:
                self.attribute(value, node, depth)
            elif number == 9:
                entry = self.entry(value)
                if entry[0] == "namespace":
                    node.namespace = entry[1]
        return node

    def attribute(self, span: Span, node: Node, depth: int) -> None:
        name = ""
        found: Any = None
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number == 1 and wire == LENGTH:
                name = value.text(MAX_STRING)
            elif number == 2 and wire == FIXED32:
                found = floats(wire, value, 1)[0]
            elif number == 3 and wire == VARINT:
                found = ints(wire, value, 1)[0]
            elif number == 4 and wire == LENGTH:
                found = value.text(MAX_STRING)
            elif number == 5 and wire == LENGTH:
                found = self.tensor(value, inline_only=False)
            elif number in (6, 11) and wire == LENGTH:
                inner = self.graph(value, depth + 1)
                node.inner += inner.initializers + [t for n in inner.nodes for t in n.inner]
            elif number == 8:
                found = (found if isinstance(found, list) else []) + ints(wire, value, MAX_STRING)
            elif number == 9 and wire == LENGTH:
                found = (found if isinstance(found, list) else []) + [value.text(MAX_STRING)]
            elif number == 10 and wire == LENGTH:
                node.inner.append(self.tensor(value))
        if name and found is not None:
            node.attrs[name] = found

    def entry(self, span: Span) -> tuple[str, str]:
        key = text = ""
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number == 1 and wire == LENGTH:
                key = value.text(MAX_STRING)
            elif number == 2 and wire == LENGTH:
                text = value.text(MAX_STRING)
        return key, text

    def value_info(self, span: Span) -> tuple[str, tuple[int | str | None, ...]]:
        name = ""
        dims: tuple[int | str | None, ...] = ()
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number == 1 and wire == LENGTH:
                name = value.text(MAX_STRING)
            elif number == 2 and wire == LENGTH:
                for n, w, v in fields(self.buf, value.start, value.end):
                    if n == 1 and w == LENGTH:  # tensor_type
                        dims = self.shape(v)
        return name, dims

    def shape(self, span: Span) -> tuple[int | str | None, ...]:
        out: list[int | str | None] = []
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number != 2 or wire != LENGTH:
                continue
            for n, w, v in fields(self.buf, value.start, value.end):  # TensorShapeProto.dim
                if n != 1 or w != LENGTH:
                    continue
                dim: int | str | None = None
                for dn, dw, dv in fields(self.buf, v.start, v.end):
                    if dn == 1 and dw == VARINT:
                        dim = dv
                    elif dn == 2 and dw == LENGTH:
                        dim = dv.text(MAX_STRING)
                out.append(dim)
                if len(out) > MAX_AXES:
                    raise self.fail("an input declares more axes than any tensor has")
        return tuple(out)

    def tensor(self, span: Span, *, inline_only: bool = False) -> Tensor:
        """A TensorProto's name, dims and type, its data's size checked against them."""
        self.tensors += 1
        if self.tensors > MAX_TENSORS:
            raise self.fail(f"more than {MAX_TENSORS:,} tensors")
        name, dims, dtype, location = "", [], 1, 0
        data: Span | None = None
        typed: dict[int, int] = {}  # typed field -> bytes
        packed: list[Span] = []  # the length-delimited chunks of the typed fields
        external: dict[str, str] = {}
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number == 1:
                dims += ints(wire, value, MAX_AXES + 1)
                if len(dims) > MAX_AXES:
                    raise self.fail("a tensor declares more axes than lstmcount reads")
            elif number == 2 and wire == VARINT:
                dtype = value
            elif number == 8 and wire == LENGTH:
                name = value.text(MAX_STRING)
            elif number == 9 and wire == LENGTH:
                data = value
            elif number in TYPED and wire == LENGTH:
                typed[number] = typed.get(number, 0) + len(value)
                packed.append(value)
            elif number in TYPED and wire in (VARINT, FIXED32, 1):
                typed[number] = typed.get(number, 0) + (4 if wire == FIXED32 else 8)
            elif number == 13 and wire == LENGTH:
                key, text = self.entry(value)
                external[key] = text
            elif number == 14 and wire == VARINT:
                location = value
            elif number == 3:
                raise self.fail(f"tensor {name or '?'!r} is split into segments, which lstmcount does not read")
        label = name or "(unnamed)"
        if any(d < 0 for d in dims):
            raise self.fail(f"tensor {label!r} declares shape {dims}, not sizes >= 0")
        shape = tuple(dims)
        elements = prod(shape)
        if elements > MAX_ELEMENTS:
            raise self.fail(f"tensor {label!r} declares {elements:,} elements, more than any file holds")
        if dtype not in DTYPES:
            raise self.fail(f"tensor {label!r} has data type {dtype}, which ONNX does not define")
        bits = DTYPES[dtype][1]
        need = (elements * bits + 7) // 8
        where: DataRef | None = None
        if location == 1:
            where = self._external(label, external, need)
        elif data is not None:
            where = DataRef(os.fspath(self.path), data.start)
            if bits and len(data) != need:
                raise self.fail(
                    f"tensor {label!r} declares {elements:,} values of {DTYPES[dtype][0]}, "
                    f"{need:,} bytes, and its raw_data holds {len(data):,}"
                )
        elif typed and bits:
            width = TYPED[next(iter(typed))]
            held = sum(typed.values())
            if (width and held // width < elements) or (not width and held < elements):
                raise self.fail(f"tensor {label!r} declares {elements:,} values and its data holds fewer")
            field_of = {1: 4, 11: 10}  # float32 in float_data, float64 in double_data: packed, little-endian
            if len(packed) == 1 and list(typed) == [field_of.get(dtype)]:
                where = DataRef(os.fspath(self.path), packed[0].start)
        elif elements and bits:
            raise self.fail(f"tensor {label!r} declares {elements:,} values and holds no data")
        return Tensor(name, shape, dtype, where)

    def sparse(self, span: Span) -> Tensor:
        """A sparse initializer: counted by its dense shape, as ONNX runtimes materialize it."""
        dims: list[int] = []
        values: Tensor | None = None
        for number, wire, value in fields(self.buf, span.start, span.end):
            if number == 1 and wire == LENGTH:
                values = self.tensor(value)
            elif number == 3:
                dims += ints(wire, value, MAX_AXES + 1)
        if values is None or len(dims) > MAX_AXES or any(d < 0 for d in dims):
            raise self.fail("a sparse initializer without values or a valid shape")
        return Tensor(values.name, tuple(dims), values.dtype)

    def _external(self, label: str, entry: dict[str, str], need: int) -> DataRef:
        """Check an external tensor's file: inside the model's directory, and holding every byte declared."""
        location = entry.get("location", "")
        if not location:
            raise self.fail(f"tensor {label!r} is external and names no file")
        if (
            os.path.isabs(location)
            or location.startswith(("/", "\\"))
            or ".." in location.replace("\\", "/").split("/")
        ):
            raise self.fail(f"tensor {label!r} keeps its data at {location!r}, outside the model's directory")
        target = (self.directory / location).resolve()
        if not target.is_relative_to(self.directory):
            raise self.fail(
                f"tensor {label!r} keeps its data at {location!r}, which leads outside the model's directory"
            )
        size = self.external.get(str(target))
        if size is None:
            try:
                info = os.stat(target)
            except OSError:
                raise self.fail(f"tensor {label!r} keeps its data in {location!r}, which is missing") from None
            if not stat.S_ISREG(info.st_mode):
                raise self.fail(f"tensor {label!r} keeps its data in {location!r}, which is not a file")
            size = self.external[str(target)] = info.st_size
        try:
            offset = int(entry.get("offset", "0") or 0)
            length = int(entry["length"]) if entry.get("length") else size - offset
        except ValueError:
            raise self.fail(f"tensor {label!r} gives its external offset or length as no number") from None
        if offset < 0 or length < 0 or offset + length > size:
            raise self.fail(
                f"tensor {label!r} declares bytes {offset:,} to {offset + length:,} of {location!r}, "
                f"which holds {size:,}"
            )
        if length < need:
            raise self.fail(f"tensor {label!r} declares {need:,} bytes and its external data holds {length:,}")
        return DataRef(str(target), offset)


def read(path: str | os.PathLike[str]) -> Contents:
    """An ONNX model's graph, rebuilt as a spec in ONNX's conventions, with its initializers accounted for."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise ModelFileError(path, "an empty file")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                reader = _Reader(path, buf)
                graph, info = reader.model()
    except WireError as exc:
        raise ModelFileError(path, f"not a well-formed ONNX model ({exc})") from None
    except RecursionError:
        raise ModelFileError(path, "the model nests deeper than lstmcount reads") from None
    fmt = "ONNX model"
    details = [f"opset {info['opset']}" if info["opset"] is not None else "", info["producer"]]
    if any(details):
        fmt += " (" + ", ".join(d for d in details if d) + ")"
    return _Rebuild(path, graph, fmt).contents()


def _module_path(node: Node) -> str:
    """The module a node comes from: the dynamo exporter's namespace, or the TorchScript exporter's node name."""
    return _module_key(node) or ""


def _module_key(node: Node) -> str | None:
    """The module a node comes from, ``""`` for the exported module itself; None when the node does not say.

    The dynamo exporter's namespace lists the modules from the root down, each as ``path: class``
    with its full path (``: Model/encoder: Encoder/encoder.rnn: LSTM/lstm: aten.lstm.input``, the
    root's path empty), then the operator; the TorchScript exporter names a node by its module's
    scopes (``/encoder/rnn/LSTM``, ``/LSTM`` in the root).
    """
    if node.namespace:
        parts = [p.split(":", 1)[0].strip() for p in node.namespace.split("/")]
        return parts[-2] if len(parts) > 1 else ""
    if node.name.startswith("/"):
        return ".".join(p for p in node.name.strip("/").split("/")[:-1] if p)
    return None


class _Rebuild:
    """The spec of a graph: one layer per operator that reads weights, in the graph's order."""

    def __init__(self, path: str | os.PathLike[str], graph: Graph, fmt: str) -> None:
        self.path, self.graph, self.fmt = path, graph, fmt
        self.tensors: dict[str, Tensor] = {t.name: t for t in graph.initializers}
        initializers = set(self.tensors)
        self.producers: dict[str, Node] = {}
        self.consumers: dict[str, list[Node]] = {}
        for node in graph.nodes:
            for out in node.outputs:
                self.producers[out] = node
            for name in node.inputs:
                self.consumers.setdefault(name, []).append(node)
            if node.op == "Constant" and isinstance(node.attrs.get("value"), Tensor) and node.outputs:
                value = node.attrs["value"]
                self.tensors[node.outputs[0]] = Tensor(node.outputs[0], value.dims, value.dtype)
        #: the Constant nodes' values, under their outputs' names
        self.constants = [t for name, t in self.tensors.items() if name not in initializers]
        self._sources: dict[str, frozenset[str]] = {}
        self.layers: list[dict[str, Any]] = []
        self.bindings: dict[str, list[str]] = {}
        self.weights: set[str] = set()
        self.owners: dict[str, str] = {}  # weight -> the layer it is counted in
        self.states: set[str] = set()
        self.outputs: dict[str, str] = {}  # value name -> the layer whose output it is
        self.gives: dict[str, int | None] = {}  # layer name -> the features it outputs
        self.extra_inputs: dict[str, dict[str, int]] = {}
        self.names: set[tuple[str, str]] = set()
        self.notes: list[str] = []
        self.inner: list[Tensor] = []  # initializers of graphs inside nodes, counted in those nodes' layers
        self.first_reads: int | None = None  # the features the first layer reads

    def sources(self, value: str, depth: int = 0) -> frozenset[str]:
        """The initializers a value is computed from by rearranging operators alone (empty: it is data)."""
        if value in self._sources:
            return self._sources[value]
        if depth > 200:
            raise ModelFileError(self.path, "a chain of operators longer than lstmcount follows")
        found: frozenset[str] = frozenset()
        if value in self.tensors:
            found = frozenset((value,))
        else:
            node = self.producers.get(value)
            if node is not None and node.op in REARRANGE:
                positions = REARRANGE[node.op]
                data = node.inputs if positions is None else [node.inputs[i] for i in positions if i < len(node.inputs)]
                parts = [self.sources(v, depth + 1) for v in data if v]
                if parts and all(parts):
                    found = frozenset().union(*parts)
        self._sources[value] = found
        return found

    def weight(self, node: Node, position: int) -> frozenset[str]:
        """The floating-point initializers behind one input of a node."""
        if position >= len(node.inputs) or not node.inputs[position]:
            return frozenset()
        found = self.sources(node.inputs[position])
        return frozenset(n for n in found if self.tensors[n].dtype in FLOATS)

    def elements(self, names: frozenset[str]) -> int:
        return sum(self.tensors[n].elements for n in names)

    def reads(self, node: Node, skip: set[int]) -> str | None:
        """The layer (or input) whose output a node's data input comes from, through operators that pass it on."""
        for i, value in enumerate(node.inputs):
            if i in skip or not value or self.sources(value):
                continue
            return self._origin(value, 0)
        return None

    def _origin(self, value: str, depth: int) -> str | None:
        if value in self.outputs:
            return self.outputs[value]
        if value in self.graph.inputs:
            return "input:" + value
        node = self.producers.get(value)
        if node is None or node.op not in PASS or depth > 200:
            return None
        for v in node.inputs:
            if v and not self.sources(v):
                return self._origin(v, depth + 1)
        return None

    def unique(self, node: Node, fallback: str) -> tuple[str, str | None]:
        """A layer name and scope for a node: its module's path, else its operator's name."""
        path = _module_path(node) or fallback
        scope, _, name = path.rpartition(".")
        name = "".join(c if c.isalnum() or c in "_-" else "_" for c in name) or fallback
        base, n = name, 1
        while (scope, name) in self.names:
            name = f"{base}_{n}"
            n += 1
        self.names.add((scope, name))
        return name, scope or None

    def contents(self) -> Contents:
        consumed: set[int] = set()
        for index, node in enumerate(self.graph.nodes):
            if index in consumed:
                continue
            self.layer(node, index, consumed)
        return self._finish()

    def layer(self, node: Node, index: int, consumed: set[int]) -> None:
        """The spec layer a node makes, if it reads weights (each counted once: in the first layer that reads it)."""
        read = frozenset().union(*(self.weight(node, i) for i in range(len(node.inputs)))) - self.states
        again = read & self.weights
        if again and node.op not in RECURRENT and node.op not in REARRANGE:
            owner = self.owners.get(next(iter(sorted(again))))
            if again == read:  # the same layer applied again: its output is that layer's
                if owner is not None:
                    for out in node.outputs[:1]:
                        self.outputs[out] = owner
                return
            self.generic(node)  # its own tensors besides the shared ones: counted as they are
            return
        if node.op in RECURRENT:
            self.recurrent(node)
        elif node.op == "MatMul" and len(self.weight(node, 1)) and not self.weight(node, 0):
            self.dense(node, self.weight(node, 1), consumed)
        elif node.op == "Gemm" and self.weight(node, 1):
            self.gemm(node)
        elif node.op == "Gather" and self.weight(node, 0) and not self.sources(node.inputs[1]):
            self.embedding(node)
        elif node.op == "Conv" and self.weight(node, 1):
            self.conv(node)
        elif node.op == "LayerNormalization" and self.weight(node, 1):
            self.layer_norm(node)
        elif node.op not in REARRANGE and node.op != "Constant":
            self.generic(node)

    def _add(
        self,
        node: Node,
        fields_: dict[str, Any],
        reads: int | None,
        gives: int | None,
        bound: dict[str, frozenset[str]],
        skip: set[int],
    ) -> None:
        name, scope = self.unique(node, fields_.pop("_fallback"))
        layer: dict[str, Any] = {**fields_, "name": name}
        if scope:
            layer["scope"] = scope
        origin = self.reads(node, skip)
        previous = self.layers[-1]["_full"] if self.layers else None
        if not self.layers:
            self.first_reads = reads
        elif reads is not None:
            if origin is not None and not origin.startswith("input:") and self.gives.get(origin) == reads:
                if origin != previous:
                    layer["from"] = origin
            else:
                label = f"{name}_input"
                self.extra_inputs[label] = {"features": reads}
                layer["from"] = label
        full = f"{scope}.{name}" if scope else name
        layer["_full"] = full
        self.layers.append(layer)
        for out in node.outputs[:1]:
            self.outputs[out] = full
        self.gives[full] = gives
        for key, names in bound.items():
            if names:
                self.bindings[f"{full}.{key}"] = sorted(names)
                self.weights |= names
                self.owners |= dict.fromkeys(names, full)

    def recurrent(self, node: Node) -> None:
        kind, gates, positions, states = RECURRENT[node.op]
        direction = node.attrs.get("direction", "forward")
        directions = 2 if direction == "bidirectional" else 1
        w, r, b = (self.weight(node, i) for i in (1, 2, 3))
        p = self.weight(node, 7) if node.op == "LSTM" else frozenset()
        hidden = node.attrs.get("hidden_size")
        if not isinstance(hidden, int) or hidden <= 0:
            per = self.elements(r) // max(1, directions * gates)
            hidden = round(per**0.5)
        if not w or not r or self.elements(r) != directions * gates * hidden * hidden:
            self.generic(node)
            return
        inputs = self.elements(w) // (directions * gates * hidden)
        for i in states:
            self.states |= self.weight(node, i)
        fields_: dict[str, Any] = {"type": kind, "units": hidden, "_fallback": kind}
        if directions == 2:
            fields_["bidirectional"] = True
        if not b:
            fields_["use_bias"] = False
        if p:
            fields_["peepholes"] = True
        if node.op == "GRU":
            fields_["reset_after"] = bool(node.attrs.get("linear_before_reset", 0))
        if node.op == "RNN":
            acts = node.attrs.get("activations") or ["Tanh"]
            if isinstance(acts, list) and str(acts[0]).lower() == "relu":
                fields_["nonlinearity"] = "relu"
        if direction == "reverse":
            self.notes.append(f"{node.name or node.op} runs in reverse, which counts as forward does.")
        if self._stack(node, fields_, inputs, directions, {"W": w, "R": r, "B": b, "P": p}):
            return
        bound = {"W": w, "R": r, "B": b, "P": p}
        self._add(node, fields_, inputs, hidden * directions, bound, set(positions) | set(states))
        self.layers[-1]["_stack"] = {"op": node.op, "module": _module_key(node), "input": inputs, "k": 0}

    def _stack(
        self, node: Node, fields_: dict[str, Any], inputs: int, directions: int, bound: dict[str, frozenset[str]]
    ) -> bool:
        """Whether ``node`` is the next stacked layer of the last layer (one module, reading its output)."""
        if not self.layers or "_stack" not in self.layers[-1]:
            return False
        last = self.layers[-1]
        info = last["_stack"]
        module = _module_key(node)
        options = ("type", "units", "bidirectional", "use_bias", "peepholes", "reset_after", "nonlinearity")
        same = all(fields_.get(k) == last.get(k) for k in options)
        origin = self.reads(node, {1, 2, 3, 5, 6, 7})
        one = module is not None and module == info["module"]
        if not (one and node.op == info["op"] and same and origin == last["_full"]):
            return False
        if inputs != fields_["units"] * directions:
            return False
        info["k"] += 1
        k = info["k"]
        full = last["_full"]
        if k == 1:  # the first stacked layer's tensors move under index 0
            for key in ("W", "R", "B", "P"):
                if f"{full}.{key}" in self.bindings:
                    self.bindings[f"{full}.0.{key}"] = self.bindings.pop(f"{full}.{key}")
        last["num_layers"] = k + 1
        for key, names in bound.items():
            if names:
                self.bindings[f"{full}.{k}.{key}"] = sorted(names)
                self.weights |= names
        for out in node.outputs[:1]:
            self.outputs[out] = full
        return True

    def dense(self, node: Node, kernel: frozenset[str], consumed: set[int]) -> None:
        tensors = [self.tensors[n] for n in kernel]
        if len(tensors) != 1 or len(tensors[0].dims) != 2:
            self.generic(node)
            return
        reads, units = tensors[0].dims
        bias: frozenset[str] = frozenset()
        after = self.consumers.get(node.outputs[0], []) if node.outputs else []
        if len(after) == 1 and after[0].op == "Add":
            add = after[0]
            other = 1 if add.inputs[0] == node.outputs[0] else 0
            found = self.weight(add, other)
            if len(found) == 1 and self.tensors[next(iter(found))].dims in ((units,), (1, units)):
                bias = found
                consumed.add(self.graph.nodes.index(add))
                node = Node(node.op, node.name, node.inputs, add.outputs, node.attrs, node.namespace)
        fields_: dict[str, Any] = {"type": "dense", "units": units, "_fallback": "dense"}
        if not bias:
            fields_["use_bias"] = False
        self._add(node, fields_, reads, units, {"MatMul.B": kernel, "Add.B": bias}, {1})

    def gemm(self, node: Node) -> None:
        kernel = self.weight(node, 1)
        tensors = [self.tensors[n] for n in kernel]
        if len(tensors) != 1 or len(tensors[0].dims) != 2:
            self.generic(node)
            return
        rows, cols = tensors[0].dims
        reads, units = (cols, rows) if node.attrs.get("transB", 0) else (rows, cols)
        bias = self.weight(node, 2)
        fields_: dict[str, Any] = {"type": "dense", "units": units, "_fallback": "dense"}
        if not bias:
            fields_["use_bias"] = False
        self._add(node, fields_, reads, units, {"MatMul.B": kernel, "Add.B": bias}, {1, 2})

    def embedding(self, node: Node) -> None:
        table = self.weight(node, 0)
        tensors = [self.tensors[n] for n in table]
        if self.layers or len(tensors) != 1 or len(tensors[0].dims) != 2:
            self.generic(node)
            return
        vocab, dim = tensors[0].dims
        self._add(
            node,
            {"type": "embedding", "vocab": vocab, "dim": dim, "_fallback": "embedding"},
            None,
            dim,
            {"data": table},
            {0},
        )

    def conv(self, node: Node) -> None:
        kernel, bias = self.weight(node, 1), self.weight(node, 2)
        tensors = [self.tensors[n] for n in kernel]
        if len(tensors) != 1 or len(tensors[0].dims) != 3 or node.attrs.get("group", 1) != 1:
            self.generic(node)
            return
        filters, channels, width = tensors[0].dims
        fields_: dict[str, Any] = {"type": "conv1d", "filters": filters, "kernel_size": width, "_fallback": "conv1d"}
        if not bias:
            fields_["use_bias"] = False
        self._add(node, fields_, channels, filters, {"W": kernel, "B": bias}, {1, 2})

    def layer_norm(self, node: Node) -> None:
        scale, bias = self.weight(node, 1), self.weight(node, 2)
        tensors = [self.tensors[n] for n in scale]
        if len(tensors) != 1 or len(tensors[0].dims) != 1:
            self.generic(node)
            return
        (features,) = tensors[0].dims
        fields_: dict[str, Any] = {"type": "layer_normalization", "_fallback": "layer_norm"}
        if not bias:
            fields_["center"] = False
        self._add(node, fields_, features, features, {"Scale": scale, "B": bias}, {1, 2})

    def generic(self, node: Node) -> None:
        """A node lstmcount does not model: a generic layer of the weights it reads, if any."""
        names: list[str] = []
        for i in range(len(node.inputs)):
            for n in sorted(self.weight(node, i)):
                t = self.tensors[n]
                if t.elements > 1 and n not in self.weights and n not in names:
                    names.append(n)
        inner = [t for t in node.inner if t.dtype in FLOATS and t.elements > 1]
        if not names and not inner:
            return
        tensors = {_key(n): list(self.tensors[n].dims) for n in names}
        tensors |= {_key(t.name): list(t.dims) for t in inner}
        frozen = [_key(n) for n in names if node.op == "BatchNormalization" and node.inputs.index(n) in (3, 4)]
        fields_: dict[str, Any] = {
            "type": "generic",
            "class": node.op,
            "tensors": tensors,
            "_fallback": node.op.lower() or "node",
        }
        if frozen:
            fields_["frozen"] = frozen
        skip = {i for i, v in enumerate(node.inputs) if self.sources(v)}
        bound = {_key(n): frozenset((n,)) for n in names} | {_key(t.name): frozenset((t.name,)) for t in inner}
        self._add(node, fields_, None, None, bound, skip)
        self.inner += inner

    def _finish(self) -> Contents:
        contents = Contents(path=str(self.path), format=self.fmt, framework="onnx")
        inner = [t for n in self.graph.nodes for t in n.inner]
        all_tensors = list(self.graph.initializers) + self.constants + inner
        contents.tensors = [t.file_tensor() for t in all_tensors]
        used = self.weights | {t.name for t in self.inner}
        aside = [t for t in self.graph.initializers + self.constants + inner if t.name not in used]
        states = [t for t in aside if t.name in self.states]
        others = [t for t in aside if t.name not in self.states]
        if states:
            contents.set_aside.append(
                (", ".join(t.name for t in states), sum(t.elements for t in states), "initial states, not weights")
            )
        if others:
            contents.set_aside.append(
                (
                    _listed([t.name for t in others]),
                    sum(t.elements for t in others),
                    "constants of the graph: shapes, indices, scalars, not weights",
                )
            )
        contents.aside = frozenset(t.name for t in aside)
        if not self.layers:
            raise ModelFileError(self.path, "the graph reads no weights: there is no layer to count")
        layers = []
        for layer in self.layers:
            layer.pop("_full", None)
            layer.pop("_stack", None)
            layers.append(layer)
        first = layers[0]
        if first["type"] == "embedding":
            model_input: dict[str, Any] = {"vocab": first["vocab"]}
        else:
            model_input = {"features": self.first_reads or 1}
        spec: dict[str, Any] = {"framework": "onnx", "input": model_input}
        if self.extra_inputs:
            spec["inputs"] = self.extra_inputs
        spec["layers"] = layers
        sequences(layers)
        contents.spec = spec
        contents.bindings = self.bindings
        contents.notes += self.notes
        return contents


def _key(name: str) -> str:
    """A tensor's key in a generic layer: its initializer name, made a spec key."""
    return name.replace("::", "_").replace(":", "_") or "tensor"


def _listed(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


__all__ = ["read", "varint"]

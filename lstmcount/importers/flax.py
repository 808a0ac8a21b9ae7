"""Flax checkpoints: ``flax.serialization.to_bytes(variables)``, a msgpack tree of arrays, read without Flax.

The file is one msgpack map (:mod:`lstmcount.importers.msgpack`): nested maps keyed by module
and variable names, each array an ext of type 1 (``flax.serialization``'s ``ndarray``, type 3 for
a NumPy scalar) whose payload is ``[shape, dtype name, data]``; only the shape and dtype are
decoded, the data bytes are stepped over. An array above 1 GiB is a map
``{"__msgpack_chunked_array__": True, "shape": {...}, "chunks": {...}}`` of 1-D chunks.

A linen variables dict (``model.init(...)``) has the collections at its top: ``params`` holds the
parameters, named as linen does (``LSTMCell_0/ii/kernel``); ``batch_stats`` and any other
collection are set aside. Any other tree is an NNX state (``nnx.state(model, nnx.Param)`` or the
whole state as a pure dict), named as NNX does (``lstm.cell.ii.kernel``); BatchNorm's statistics
and the random streams' state are set aside by their names.

The layers are rebuilt from the framework's own data (:mod:`lstmcount.frameworks`): a module
whose tensors are exactly a recurrent class's is a cell of that class, its sizes found from the
shapes and checked by counting it; cells whose paths follow the framework's templates for
bidirectional and stacked layers (``forward_rnn``/``backward_rnn``, ``layers.<k>``) are one
layer. A module with a layer class's tensors is that layer (embedding, dense, conv, layer
normalization), one with statistics set aside a BatchNorm; anything else is a generic layer of
its tensors, so the count always equals the file's.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from math import prod
from typing import Any

from lstmcount.errors import SpecError
from lstmcount.frameworks.base import Dims, Framework, Role
from lstmcount.importers.base import ITEMSIZE, MAX_TENSORS, Contents, DataRef, FileTensor, ModelFileError, check_shape
from lstmcount.importers.msgpack import Ext, Span, Unpacker, open_file
from lstmcount.importers.reconstruct import sequences

#: ``flax.serialization``'s ext type codes
EXT_NDARRAY = 1
EXT_COMPLEX = 2
EXT_SCALAR = 3
#: the key that marks an array written in chunks
CHUNKED = "__msgpack_chunked_array__"
#: the spec fields a layer type's optional tensors are switched off by, tried in turn
VARIANTS: dict[str, tuple[dict[str, Any], ...]] = {
    "embedding": ({},),
    "dense": ({}, {"use_bias": False}),
    "conv1d": ({}, {"use_bias": False}),
    "layer_normalization": ({}, {"center": False}, {"scale": False}),
}
#: a recurrent layer's arrangements, the richest first, as :class:`~lstmcount.frameworks.base.Paths` names them
ARRANGEMENTS = ("stacked_bidirectional", "stacked", "bidirectional", "single")
#: stands for the file's root in a path matched against a template
ROOT = "\x00"


@dataclass
class Leaf:
    """One array of the tree: its path, shape and dtype, and where its values start (None: in chunks)."""

    parts: tuple[str, ...]
    shape: tuple[int, ...]
    dtype: str
    offset: int | None = None


def _array(unpacker: Unpacker, name: str, value: Ext) -> tuple[tuple[int, ...], str, int]:
    """The shape, dtype and data offset of an ndarray ext, checked against the bytes it holds (which are not read)."""
    payload = unpacker.unpack(value.offset, value.offset + value.length)
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[2], Span)):
        raise unpacker.fail(f"array {name!r} is not [shape, dtype, data] as flax.serialization writes one")
    shape, dtype, data = payload
    if not isinstance(dtype, str) or dtype not in ITEMSIZE:
        raise unpacker.fail(f"array {name!r} has dtype {dtype!r}, which lstmcount does not know")
    dims = check_shape(unpacker.path, name, shape)
    if value.code == EXT_SCALAR and dims:
        raise unpacker.fail(f"scalar {name!r} declares shape {list(dims)}")
    if prod(dims) * ITEMSIZE[dtype] != data.length:
        raise unpacker.fail(
            f"array {name!r} declares shape {list(dims)} ({prod(dims):,} {dtype} values) "
            f"but holds {data.length:,} bytes"
        )
    return dims, dtype, data.offset


def _chunked(unpacker: Unpacker, name: str, value: dict[Any, Any]) -> tuple[tuple[int, ...], str]:
    """The shape and dtype of an array written in chunks, each chunk checked."""
    shape, chunks = value.get("shape"), value.get("chunks")
    if not isinstance(shape, dict) or not isinstance(chunks, dict) or set(value) != {CHUNKED, "shape", "chunks"}:
        raise unpacker.fail(f"chunked array {name!r} lacks its shape or chunks")
    if set(shape) != {str(i) for i in range(len(shape))} or set(chunks) != {str(i) for i in range(len(chunks))}:
        raise unpacker.fail(f"chunked array {name!r} numbers its axes or chunks wrongly")
    dims = check_shape(unpacker.path, name, [shape[str(i)] for i in range(len(shape))])
    dtypes, elements = set(), 0
    for i in range(len(chunks)):
        chunk = chunks[str(i)]
        if not isinstance(chunk, Ext) or chunk.code != EXT_NDARRAY:
            raise unpacker.fail(f"chunk {i} of array {name!r} is not an array")
        part, dtype, _ = _array(unpacker, f"{name} chunk {i}", chunk)
        if len(part) != 1:
            raise unpacker.fail(f"chunk {i} of array {name!r} is not 1-D")
        dtypes.add(dtype)
        elements += part[0]
    if len(dtypes) != 1 or elements != prod(dims):
        raise unpacker.fail(
            f"the chunks of array {name!r} hold {elements:,} values of {sorted(dtypes)}, not its shape's"
        )
    return dims, dtypes.pop()


def _leaves(unpacker: Unpacker, tree: dict[Any, Any]) -> tuple[list[Leaf], int]:
    """Every array of the tree in the file's order, and how many plain values (numbers, strings) it holds."""
    out: list[Leaf] = []
    plain = 0
    stack: list[tuple[tuple[str, ...], Any]] = [((), tree)]
    while stack:
        parts, value = stack.pop()
        name = "/".join(parts)
        if isinstance(value, dict) and value.get(CHUNKED) is True:
            out.append(Leaf(parts, *_chunked(unpacker, name, value)))
        elif isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack += reversed([((*parts, str(k)), v) for k, v in items])
        elif isinstance(value, Ext) and value.code in (EXT_NDARRAY, EXT_SCALAR):
            out.append(Leaf(parts, *_array(unpacker, name, value)))
        elif isinstance(value, Ext) and value.code != EXT_COMPLEX:
            raise unpacker.fail(
                f"{name!r} is an ext value of type {value.code}, which flax.serialization does not write"
            )
        else:
            plain += 1
        if len(out) > MAX_TENSORS:
            raise unpacker.fail(f"more than {MAX_TENSORS:,} arrays")
    return out, plain


def _sorted(tree: dict[Any, Any]) -> bool:
    """Whether every map of the tree has its keys in sorted order (as an NNX state's pure dict has)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        keys = [str(k) for k in node]
        if keys != sorted(keys):
            return False
        stack += [v for v in node.values() if isinstance(v, dict)]
    return True


def _frameworks() -> tuple[Framework, Framework, Any, Any]:
    """The two Flax frameworks, and their modules' data on what a checkpoint holds besides parameters."""
    from lstmcount import frameworks
    from lstmcount.frameworks import flax as nnx_data
    from lstmcount.frameworks import flax_linen as linen_data

    return frameworks.get("flax"), frameworks.get("flax-linen"), nnx_data, linen_data


def read(path: str | os.PathLike[str]) -> Contents:
    """The arrays of a Flax checkpoint, and the model rebuilt from their paths and shapes."""
    with open_file(path) as unpacker:
        tree = unpacker.unpack()
        if not isinstance(tree, dict):
            raise ModelFileError(path, f"a msgpack file holding a {type(tree).__name__}, not a Flax checkpoint's tree")
        leaves, plain = _leaves(unpacker, tree)
    if not leaves:
        raise ModelFileError(path, "a msgpack file without arrays, not a Flax checkpoint")
    nnx, linen, nnx_data, linen_data = _frameworks()
    collections = linen_data.PARAMS in tree and all(isinstance(v, dict) for v in tree.values())
    ordered = not _sorted(tree)
    if collections:
        read_as = [_read_as(path, linen, leaves, ordered, linen_data.PARAMS, linen_data, nnx_data)]
    else:  # an NNX state, or a linen params collection saved alone: whichever explains more tensors
        read_as = [_read_as(path, fw, leaves, ordered, None, linen_data, nnx_data) for fw in (nnx, linen)]
    fw, tensors, aside, spec, _ = max(read_as, key=lambda found: found[-1])
    notes = []
    bindings = _bindings(spec, fw, {t.name for t in tensors})
    if plain:
        notes.append(f"The tree also holds {plain:,} plain values (numbers or strings), which are not arrays.")
    return Contents(
        path=str(path),
        format="Flax msgpack checkpoint (flax.serialization)",
        framework=fw.id,
        tensors=tensors,
        set_aside=[
            (", ".join(t.name for t in found), sum(t.params for t in found), why) for why, found in aside.items()
        ],
        spec=spec,
        rebuilt=True,
        notes=notes,
        aside=frozenset(t.name for found in aside.values() for t in found),
        bindings=bindings,
    )


def _bindings(spec: dict[str, Any], fw: Framework, names: set[str]) -> dict[str, list[str]] | None:
    """The file's tensor behind each tensor of the rebuilt model (a layer the file gives no name is named by lstmcount).

    None when the spec cannot be counted (the inspection then says why).
    """
    from lstmcount.counting.counter import count
    from lstmcount.model.spec import spec_from_dict

    try:
        report = count(spec_from_dict(spec))
    except SpecError:
        return None
    out: dict[str, list[str]] = {}
    for layer in report.layers:
        unnamed = "name" not in spec["layers"][layer.spec_index]
        for t in layer.tensors:
            name = t.path
            if name not in names and unnamed and name.startswith(layer.name + fw.path_sep):
                name = name[len(layer.name) + len(fw.path_sep) :]
            out[t.path] = [name]
    return out


def _read_as(
    path: str | os.PathLike[str],
    fw: Framework,
    leaves: list[Leaf],
    ordered: bool,
    collection: str | None,
    linen_data: Any,
    nnx_data: Any,
) -> tuple[Framework, list[FileTensor], dict[str, list[FileTensor]], dict[str, Any], tuple[int, int]]:
    """The tensors named as ``fw`` names them, those set aside (by why), the spec, and how many it explains.

    How many: the tensors of recurrent layers, then those of any layer lstmcount knows.

    With ``collection``, the tree's top level holds the collections of a linen variables dict and
    ``collection`` the parameters; without, it is a tree of parameters and state (an NNX state).
    """
    sep = fw.path_sep
    tensors: list[FileTensor] = []
    params: list[tuple[tuple[str, ...], FileTensor]] = []
    aside: dict[str, list[FileTensor]] = {}
    statistics: set[tuple[str, ...]] = set()  # modules whose statistics are set aside
    names: dict[tuple[str, ...], set[str]] = {}
    for leaf in leaves:
        names.setdefault(leaf.parts[:-1], set()).add(leaf.parts[-1])
    for leaf in leaves:
        parts = leaf.parts
        why = None
        if collection is not None:
            if parts[0] == collection:
                parts = parts[1:]
            else:
                why = linen_data.COLLECTIONS.get(parts[0], f"the {parts[0]} collection, not parameters")
                statistics.add(parts[1:-1])
        elif parts[-1] in nnx_data.RNG_STATE and nnx_data.RNG_STREAMS in parts[:-1]:
            why = "the state of random number streams, not parameters"
        elif parts[-1] in nnx_data.STATISTICS and names[parts[:-1]] >= nnx_data.STATISTICS:
            why = "batch statistics (BatchNorm's mean and variance), not parameters"
            statistics.add(parts[:-1])
        # flax.serialization writes the values in C order and the machine's byte order: little-endian
        data = None if leaf.offset is None else DataRef(str(path), leaf.offset, "<")
        t = FileTensor(sep.join(parts), leaf.shape, leaf.dtype, data)
        tensors.append(t)
        if why is None:
            params.append((parts, t))
        else:
            aside.setdefault(why, []).append(t)
    spec, recurrent = rebuild(fw, params, statistics, nnx_data.BATCH_NORM, ordered=ordered)
    generic = sum(len(layer.get("tensors", ())) for layer in spec["layers"])
    return fw, tensors, aside, spec, (recurrent, len(params) - generic)


# --------------------------------------------------------------------------- the layers


def _count(fw: Framework, fields: dict[str, Any], reads: int | None) -> dict[str, tuple[int, ...]] | None:
    """The tensors (own name -> shape) a one-layer model of ``fields`` reading ``reads`` has, or None."""
    from lstmcount.counting.counter import count
    from lstmcount.model.spec import spec_from_dict

    model_input = {"vocab": fields["vocab"]} if fields["type"] == "embedding" else {"features": reads}
    try:
        report = count(spec_from_dict({"framework": fw.id, "input": model_input, "layers": [dict(fields)]}))
    except SpecError:
        return None
    return {t.name: t.shape for layer in report.layers for t in layer.tensors}


def _cell(fw: Framework, own: str, tensors: dict[str, FileTensor]) -> tuple[Any, int, int] | None:
    """The recurrent class whose cell has exactly these tensors (named within the cell), with its input and units."""
    shapes = {name: t.shape for name, t in tensors.items()}
    classes = [cls for kind in fw.cells for cls in fw.cells[kind] if {t.name for t in cls.tensors} == set(shapes)]
    classes.sort(key=lambda cls: not re.fullmatch(rf"{re.escape(cls.name)}(_\d+)?", own))
    for cls in classes:
        roles = {t.name: t.role for t in cls.tensors}
        units = {n for name, s in shapes.items() if roles[name] is Role.RECURRENT for n in s}
        inputs = {n for name, s in shapes.items() if roles[name] is Role.INPUT for n in s}
        for i, h in itertools.product(sorted(inputs), sorted(units)):
            fields = {"type": cls.kind.value, "class": cls.name, "units": h}
            if h and i and _count(fw, fields, i) == shapes:
                return cls, i, h
    return None


def _sizes(klass: Any, shapes: dict[str, tuple[int, ...]]) -> dict[str, int] | None:
    """The sizes (``Dims`` letters) a layer class's tensors of these shapes are made of, or None if they disagree."""
    probe = {2: "I", 3: "F", 5: "K", 7: "V"}
    sizes: dict[str, int] = {}
    for t in klass.tensors:
        if t.name not in shapes:
            continue
        axes = t.shape(Dims(I=2, F=3, K=5, V=7))
        if len(axes) != len(shapes[t.name]):
            return None
        for letter, size in zip(axes, shapes[t.name], strict=True):
            if sizes.setdefault(probe[letter], size) != size or not size:
                return None
    return sizes


def _plain(fw: Framework, tensors: dict[str, FileTensor]) -> tuple[dict[str, Any], int | None] | None:
    """The layer type whose tensors these are, with its fields and the features it reads, or None."""
    shapes = {name: t.shape for name, t in tensors.items()}
    for kind, klass in fw.layers.items():
        if not shapes or kind not in VARIANTS or not set(shapes) <= {t.name for t in klass.tensors}:
            continue
        sizes = _sizes(klass, shapes)
        if sizes is None:
            continue
        fields: dict[str, Any] = {"type": kind}
        if kind == "embedding":
            fields |= {"vocab": sizes["V"], "dim": sizes["F"]}
        elif kind == "dense":
            fields["units"] = sizes["F"]
        elif kind == "conv1d":
            fields |= {"filters": sizes["F"], "kernel_size": sizes["K"]}
        reads = None if kind == "embedding" else sizes.get("I", sizes.get("F"))
        for extra in VARIANTS[kind]:
            if _count(fw, fields | extra, reads) == shapes:
                return fields | extra, reads
    return None


def _template(fw: Framework, cls: Any, arrangement: str) -> re.Pattern[str] | None:
    """A regular expression for the path of a cell (before its tensors) in one arrangement, or None if it has none."""
    text = getattr(cls.paths, arrangement)
    if not text:
        return None
    sep = re.escape(fw.path_sep)
    tail = sep + re.escape("{tensor}")
    pattern = re.escape(text)
    if not pattern.endswith(tail):
        return None
    pattern = pattern[: -len(tail)]
    dirs = "|".join(re.escape(d) for d in cls.paths.directions if d)
    pattern = (
        pattern.replace(re.escape("{layer}"), "(?P<layer>.+)")
        .replace(re.escape("{k}"), r"(?P<k>\d+)")
        .replace(re.escape("{dir}"), f"(?P<dir>{dirs or '$^'})")
        .replace(re.escape("{cell}"), f"(?P<cell>[^{sep}]+)")
        .replace(re.escape("{inner}"), f"[^{sep}]+")
        .replace(re.escape("{scope}"), re.escape(cls.scope))
    )
    if "(?P<layer>" not in pattern:
        pattern = f"(?P<layer>.+){sep}" + pattern
    return re.compile(pattern)


def _placements(fw: Framework, cls: Any, parts: tuple[str, ...]) -> list[tuple[str, str, int, int]]:
    """Each arrangement whose template the cell's path fits: (arrangement, layer path, k, direction)."""
    joined = fw.path_sep.join((ROOT, *parts))
    found = []
    for arrangement in ARRANGEMENTS:
        pattern = _template(fw, cls, arrangement)
        match = pattern.fullmatch(joined) if pattern else None
        if match is None:
            continue
        groups = match.groupdict()
        layer = groups["layer"]
        if groups.get("cell"):  # the cell's own name is the layer's (Flax linen)
            layer = fw.path_sep.join((layer, groups["cell"]))
        d = cls.paths.directions.index(groups["dir"]) if groups.get("dir") else 0
        found.append((arrangement, layer, int(groups.get("k") or 0), d))
    return found


def _named(fields: dict[str, Any], layer: str, sep: str) -> None:
    """Give ``fields`` the name and scope of the layer path ``layer`` (the root's own module has none)."""
    parts = [p for p in layer.split(sep) if p != ROOT]
    if parts:
        fields["name"] = parts[-1]
        if len(parts) > 1:
            fields["scope"] = sep.join(parts[:-1])


Cell = tuple[int, tuple[str, ...], Any, int, int]  # (first tensor's index, path, class, input, units)


def _group(fw: Framework, cells: list[Cell]) -> list[tuple[int, dict[str, Any], int]]:
    """Cells joined into recurrent layers where their paths and sizes say so: (first index, fields, input size).

    A bidirectional or stacked group must have every direction and layer, one class and one
    size, each stacked layer reading the one before; other cells are layers of their own.
    """
    placed = {c[0]: _placements(fw, c[2], c[1]) for c in cells}
    taken: set[int] = set()
    out: list[tuple[int, dict[str, Any], int]] = []
    for arrangement in ARRANGEMENTS:
        groups: dict[str, dict[tuple[int, int], Cell]] = {}
        clashes: set[str] = set()
        for c in cells:
            place = next((p for p in placed[c[0]] if p[0] == arrangement), None)
            if c[0] in taken or place is None:
                continue
            _, layer, k, d = place
            if (k, d) in groups.setdefault(layer, {}):
                clashes.add(layer)
            groups[layer][k, d] = c
        for layer, members in groups.items():
            bidirectional, stacked = "bidirectional" in arrangement, "stacked" in arrangement
            directions = 2 if bidirectional else 1
            ks = sorted({k for k, _ in members})
            first = members[min(members)]
            _, _, cls, inputs, units = first
            complete = (
                layer not in clashes
                and ks == list(range(len(ks)))
                and len(members) == len(ks) * directions
                and all(c[2] is cls and c[4] == units for c in members.values())
                and all(c[3] == (units * directions if k else inputs) for (k, _), c in members.items())
                and (len(ks) > 1) == stacked
            )
            if not complete and arrangement != "single":
                continue
            fields: dict[str, Any] = {"type": cls.kind.value, "class": cls.name, "units": units}
            if stacked:
                fields["num_layers"] = len(ks)
            if bidirectional:
                fields["bidirectional"] = True
            _named(fields, layer, fw.path_sep)
            taken.update(c[0] for c in members.values())
            out.append((min(c[0] for c in members.values()), fields, inputs))
    return out


def _output(fields: dict[str, Any], reads: int | None) -> int | None:
    """The features a layer gives."""
    kind = fields["type"]
    if kind in ("lstm", "gru", "simple_rnn"):
        return int(fields["units"]) * (2 if fields.get("bidirectional") else 1)
    if kind == "dense":
        return int(fields["units"])
    if kind == "conv1d":
        return int(fields["filters"])
    if kind == "embedding":
        return int(fields["dim"])
    return reads


def rebuild(
    fw: Framework,
    params: list[tuple[tuple[str, ...], FileTensor]],
    statistics: set[tuple[str, ...]],
    batch_norm: str,
    ordered: bool = True,
) -> tuple[dict[str, Any], int]:
    """The spec of ``params`` (each with its path's parts) in ``fw``'s naming, and how many tensors its cells hold."""
    sep = fw.path_sep
    # every module (a path prefix) with the tensors under it, in the file's order
    under: dict[tuple[str, ...], dict[str, FileTensor]] = {}
    for parts, t in params:
        for n in range(len(parts)):
            under.setdefault(parts[:n], {})[sep.join(parts[n:])] = t
    claimed: set[str] = set()
    order = {t.name: n for n, (_, t) in enumerate(params)}
    cells: list[Cell] = []
    for prefix, tensors in sorted(under.items(), key=lambda item: len(item[0])):
        if any(t.name in claimed for t in tensors.values()):
            continue
        found = _cell(fw, prefix[-1] if prefix else "", tensors)
        if found is not None and _placements(fw, found[0], prefix):
            cls, inputs, units = found
            cells.append((min(order[t.name] for t in tensors.values()), prefix, cls, inputs, units))
            claimed.update(t.name for t in tensors.values())
    entries: list[tuple[int, dict[str, Any], int | None]] = list(_group(fw, cells))
    modules: dict[tuple[str, ...], dict[str, FileTensor]] = {}
    for parts, t in params:
        if t.name not in claimed:
            modules.setdefault(parts[:-1], {})[parts[-1]] = t
    for prefix, tensors in modules.items():
        fields: dict[str, Any] | None = None
        reads: int | None = None
        plain = None if prefix in statistics else _plain(fw, tensors)
        if plain is not None:
            fields, reads = plain
        else:
            fields = {"type": "generic", "tensors": {k: list(v.shape) for k, v in tensors.items()}}
            if prefix in statistics:
                fields["class"] = batch_norm
                widths = {v.shape[0] for v in tensors.values() if len(v.shape) == 1}
                reads = widths.pop() if len(widths) == 1 else None
        _named(fields, sep.join((ROOT, *prefix)), sep)
        entries.append((min(order[t.name] for t in tensors.values()), fields, reads))
    entries.sort(key=lambda e: e[0])
    layers = [(fields, reads) for _, fields, reads in entries]
    return _chain(layers if ordered else _chained(layers), fw), len(claimed)


def _chained(layers: list[tuple[dict[str, Any], int | None]]) -> list[tuple[dict[str, Any], int | None]]:
    """Layers of a file that sorts its keys (an NNX state), put where each reads the last one's output.

    From each layer, the layers that read what the last one gives follow while there are any; the
    longest such chain is kept (an embedding's first, when it ties), the rest keep their order.
    """
    gives = [_output(fields, reads) for fields, reads in layers]

    def chain(first: int) -> list[int]:
        out = [first]
        while True:
            after = next(
                (
                    j
                    for j, (_, reads) in enumerate(layers)
                    if j not in out and reads is not None and reads == gives[out[-1]]
                ),
                None,
            )
            if after is None:
                return out
            out.append(after)

    chains = [chain(n) for n in range(len(layers))]
    best = max(chains, key=lambda c: (len(c), layers[c[0]][0]["type"] == "embedding"), default=[])
    return [layers[n] for n in best] + [layer for n, layer in enumerate(layers) if n not in best]


def _chain(layers: list[tuple[dict[str, Any], int | None]], fw: Framework) -> dict[str, Any]:
    """The spec of these layers in order: each reads the previous one's output, or an input of its own."""
    out: list[dict[str, Any]] = []
    inputs: dict[str, dict[str, Any]] = {}
    model_input: dict[str, Any] = {}
    flow: int | None = None
    for n, (fields, reads) in enumerate(layers):
        own = "_".join(x for x in (fields.get("scope", "").replace(fw.path_sep, "_"), fields.get("name")) if x)
        if n == 0:
            if fields["type"] == "embedding":
                model_input = {"vocab": fields.pop("vocab")}
            elif reads is not None:
                model_input = {"features": reads}
        elif fields["type"] == "embedding":
            tokens = f"{own or 'embedding'}_tokens"
            inputs[tokens] = {"vocab": fields.pop("vocab")}
            fields["from"] = tokens
        elif reads is not None and reads != flow:
            if model_input.get("features") == reads:
                fields["from"] = "input"
            else:
                name = f"{own or 'layer'}_input"
                inputs[name] = {"features": reads}
                fields["from"] = name
        out.append(fields)
        flow = _output(fields, reads if reads is not None else flow)
    sequences(out)
    spec: dict[str, Any] = {"framework": fw.id, "input": model_input or {"features": 1}}
    if inputs:
        spec["inputs"] = inputs
    spec["layers"] = out
    return spec


__all__ = ["read", "rebuild"]

"""A model's weights as Keras 3's ``model.save_weights`` writes them: an HDF5 file of objects and their variables.

Keras 3 does not address a layer by its name. It walks the model: the model's layers are
``layers/<class in snake case>`` (``lstm``, ``lstm_1``, ... counted per class, in the order of
``model.layers``), a recurrent layer's variables sit in its ``cell``, a Bidirectional's in
``forward_layer`` and ``backward_layer``, and each object's variables are the datasets
``vars/0``, ``vars/1``, ... in the order it created them (its trainable variables, then the
others). Every ``vars`` group carries the object's name as its ``name`` attribute, which is
how lstmcount (and a reader of the file) tells the objects apart. ``model.load_weights`` reads
each object's ``vars`` back by position, so the file is written from the target model's report:
one report layer is one layer of the model, its tensors in the order the layer creates them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcount.errors import UsageError
from lstmcount.model.report import LayerReport
from lstmcount.model.spec import RecurrentSpec

if TYPE_CHECKING:
    from lstmcount.numeric.forward import Model

H5_EXTRA = "pip install 'lstmcount[h5]'"
#: the name of a file of this format ends so (``model.load_weights`` chooses its reader by it)
SUFFIX = ".weights.h5"


@dataclass(frozen=True)
class Group:
    """One object of the file: its group, its name, and the tensor paths of its variables in order."""

    path: str
    name: str
    tensors: tuple[str, ...] = ()


def _h5py() -> Any:
    try:
        import h5py  # type: ignore[import-untyped]  # h5py ships no type information
    except ImportError:
        raise UsageError(f"-o: writing {SUFFIX} needs h5py: {H5_EXTRA}") from None
    return h5py


def _snake(name: str) -> str:
    """A class name as the file names its objects (``SimpleRNN`` -> ``simple_rnn``, ``Conv1D`` -> ``conv1d``)."""
    import re

    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _class(model: Model, layer: LayerReport) -> str:
    """The snake-case class of the model's layer that ``layer`` reports (before any wrapper)."""
    spec = model.spec.layers[layer.spec_index]
    if isinstance(spec, RecurrentSpec) and spec.cell_class:
        return _snake(spec.cell_class)
    return layer.type.value  # the layer types are spelled as the classes are in snake case


def groups(model: Model) -> list[Group]:
    """Every object of the file ``model`` (a target model in Keras 3's layout) saves, parents before children."""
    out = [Group("", model.spec.name or "sequential")]
    used: dict[str, int] = {}
    for layer in model.report.layers:
        if "/" in layer.name:
            raise UsageError(f"-o: layer {layer.name!r} sits in a nested model, which {SUFFIX} is not written for")
        wrapped = layer.recurrent and layer.directions == 2
        cls = "bidirectional" if wrapped else _class(model, layer)
        used[cls] = used.get(cls, -1) + 1
        base = f"layers/{cls}_{used[cls]}" if used[cls] else f"layers/{cls}"
        prefix = f"{layer.name}/"
        parts = {t.path: t.path[len(prefix) :].split("/") for t in layer.tensors}
        for path, rest in parts.items():
            if not path.startswith(prefix) or len(rest) != 1 + layer.recurrent + wrapped:
                raise UsageError(f"-o: {path} is no tensor path of a layer {SUFFIX} holds")
        if not layer.recurrent:
            out.append(Group(base, layer.name, tuple(parts)))
            continue
        out.append(Group(base, layer.name))
        owners = [("forward_layer", "forward_"), ("backward_layer", "backward_")] if wrapped else [("", "")]
        for attribute, start in owners:
            mine = [path for path, rest in parts.items() if not wrapped or rest[0].startswith(start)]
            if not mine:
                continue
            inner = f"{base}/{attribute}" if attribute else base
            if wrapped:
                out.append(Group(inner, parts[mine[0]][0]))
            out.append(Group(f"{inner}/cell", parts[mine[0]][-2], tuple(mine)))
    return out


def write(path: str | os.PathLike[str], weights: Mapping[str, Any], model: Model) -> None:
    """Write ``weights`` (the target model's tensors by path) as the weights file of ``model``."""
    if model.report.framework != "keras":
        raise UsageError(f"-o: a {SUFFIX} file holds Keras 3's layout; convert with --to keras to write one")
    h5py = _h5py()
    layout = groups(model)
    wanted = {t for g in layout for t in g.tensors}
    stray = [name for name in weights if name not in wanted]
    if stray:
        raise UsageError(
            f"-o: {SUFFIX} holds a whole model's layers, and {stray[0]!r} is none of its tensors "
            "(write one layer's tensors as .safetensors or .npz)"
        )
    missing = sorted(wanted - set(weights))
    if missing:
        raise UsageError(f"-o: no tensor {missing[0]!r} to write")
    with h5py.File(os.fspath(path), "w") as handle:
        for group in layout:
            vars_ = handle.require_group(group.path).create_group("vars") if group.path else handle.create_group("vars")
            vars_.attrs["name"] = group.name
            for i, tensor in enumerate(group.tensors):
                vars_.create_dataset(str(i), data=np.ascontiguousarray(np.asarray(weights[tensor])))


__all__ = ["SUFFIX", "Group", "groups", "write"]

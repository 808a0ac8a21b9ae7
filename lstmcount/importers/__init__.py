"""Model files read without their framework: metadata only, nothing from the file ever run.

:func:`inspect` recognises a file by its content (:mod:`lstmcount.io.sniff`), reads its tensors'
names, shapes and dtypes (or, for a graph format, its layers), rebuilds the model as a spec,
counts it in the framework's conventions and accounts for every tensor of the file: those the
model explains, those set aside (an optimizer's state, buffers), and any left over. Standard
library only; a format that needs a library (HDF5) names the extra to install.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lstmcount.errors import SpecError
from lstmcount.importers.base import Contents, FileTensor, ModelFileError
from lstmcount.model.report import Report


@dataclass
class Inspection:
    """A model file, read: where it came from, the spec rebuilt from it, its count, and its tensors accounted for."""

    path: str
    format: str
    framework: str
    spec: dict[str, Any]
    report: Report
    file_total: int
    tensors: int
    set_aside: list[tuple[str, int, str]] = field(default_factory=list)
    unexplained: list[FileTensor] = field(default_factory=list)
    missing: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: every tensor the file holds (its names, shapes and dtypes)
    file_tensors: tuple[FileTensor, ...] = ()
    #: the file's tensors the rebuilt model explains (each is one of its tensors, or part of one)
    explained: frozenset[str] = frozenset()
    #: whether the layers are the file's own (a graph format) rather than rebuilt from tensor names
    graph: bool = False
    #: each tensor of the report, by its path, as the names of the file's tensors that hold it
    bindings: dict[str, list[str]] = field(default_factory=dict)

    def source(self) -> dict[str, Any]:
        """The file, its format and the framework it is read in, for the JSON document."""
        return {"file": self.path, "format": self.format, "framework": self.framework}

    def accounting(self) -> dict[str, Any]:
        """Every tensor of the file accounted for, for the JSON document."""
        return {
            "total": self.file_total,
            "tensors": self.tensors,
            "model_total": self.report.total,
            "set_aside": [{"name": n, "params": c, "why": w} for n, c, w in self.set_aside],
            "unexplained": [{"name": t.name, "shape": list(t.shape)} for t in self.unexplained],
            "aliases": dict(self.aliases),
        }


def read(path: str | os.PathLike[str]) -> Contents:
    """The contents of a model file, by what the file holds."""
    from lstmcount.io.sniff import Kind, sniff

    p = Path(path)
    try:
        info = os.stat(p)
        if stat.S_ISDIR(info.st_mode):
            raise ModelFileError(path, "a directory, not a model file")
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(path, "not a regular file (a device or a pipe), which lstmcount does not read")
        if info.st_size == 0:
            raise ModelFileError(path, "an empty file")
        kind = sniff(p)
    except FileNotFoundError:
        raise ModelFileError(path, "no such file") from None
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if kind is Kind.SAFETENSORS:
        from lstmcount.importers import safetensors

        return safetensors.read(p)
    if kind is Kind.NPZ:
        from lstmcount.importers import npz

        return npz.read(p)
    if kind in (Kind.PYTORCH_ZIP, Kind.PYTORCH_LEGACY, Kind.PICKLE):
        from lstmcount.importers import torch_files

        reader = {Kind.PYTORCH_ZIP: torch_files.read_zip, Kind.PYTORCH_LEGACY: torch_files.read_legacy}
        return reader.get(kind, torch_files.read_pickle)(p)
    if kind is Kind.KERAS:
        from lstmcount.importers import keras

        return keras.read_archive(p)
    if kind is Kind.HDF5:
        from lstmcount.importers import keras

        return keras.read_h5(p)
    if kind is Kind.TEXT:
        from lstmcount.importers import keras

        with open(p, "rb") as handle:
            head = handle.read(4096)
        if keras.looks_like_config(head):
            return keras.read_config(p)
        raise ModelFileError(path, "a text file, not a model file (a spec is counted with lstmcount SPEC)")
    if kind is Kind.ONNX:
        from lstmcount.importers import onnx

        return onnx.read(p)
    if kind is Kind.ZIP:
        from lstmcount.importers.zips import open_archive

        with open_archive(p):  # a damaged archive says what is wrong with it
            pass
        from lstmcount.io.sniff import ZIP_FORMATS

        formats = ", ".join(k.value for k in ZIP_FORMATS)
        raise ModelFileError(path, f"a zip archive that is none of the formats lstmcount reads ({formats})")
    if kind is Kind.MIXED:
        import zipfile

        from lstmcount.io.sniff import zip_kinds

        with zipfile.ZipFile(p) as archive:
            kinds = " and ".join(k.value for k in zip_kinds(archive.namelist()))
        raise ModelFileError(path, f"a zip archive that is {kinds} at once; lstmcount reads a file as one format")
    if kind is Kind.MSGPACK:
        from lstmcount.importers import flax as msgpack_trees

        return msgpack_trees.read(p)
    if kind is Kind.TORCHSCRIPT:
        from lstmcount.importers import torch_files

        torch_files.refuse_script(p)
    raise ModelFileError(path, f"this is {kind.value}, which lstmcount does not read as a model")


def with_weights(path: str | os.PathLike[str], weights: str | os.PathLike[str]) -> Contents:
    """A model's architecture (a Keras config or a spec) with its weights from another file."""
    from lstmcount.importers import keras
    from lstmcount.io.sniff import HEAD, Kind, sniff

    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD)
        config = sniff(path, head) is Kind.TEXT and keras.looks_like_config(head)
        hdf5 = sniff(weights) is Kind.HDF5
    except OSError:  # read() below names what is wrong with either file
        config = hdf5 = False
    if config and hdf5:
        return keras.read_config(path, weights=weights)  # the weights name the config's layers
    try:
        contents = read(path)
    except ModelFileError as exc:
        if not exc.problem.startswith("a text file"):
            raise
        from lstmcount.io.loader import load_spec
        from lstmcount.model.spec import spec_to_dict

        spec = load_spec(path)
        contents = Contents(path=str(path), format="a spec", framework=spec.framework, spec=spec_to_dict(spec))
    if contents.spec is None:
        raise ModelFileError(path, "holds weights, not an architecture: give a config or spec, and --weights")
    if hdf5:
        held = keras.read_weights(weights)
    else:
        held = read(weights)
        if held.spec is not None:
            raise ModelFileError(weights, "a whole model, not a weights file: inspect it on its own")
    contents.tensors = held.tensors
    contents.binder = held.binder
    contents.aliases = held.aliases
    contents.set_aside += held.set_aside
    contents.format = f"{contents.format}, with weights from {held.path} ({held.format})"
    return contents


def inspect(
    path: str | os.PathLike[str], framework: str | None = None, weights: str | os.PathLike[str] | None = None
) -> Inspection:
    """Read a model file, rebuild its spec, count it and account for every tensor.

    With ``weights``, ``path`` is a Keras config or a spec and the tensors come from ``weights``.
    """
    from lstmcount.counting.counter import count
    from lstmcount.importers.reconstruct import from_state_dict
    from lstmcount.model.spec import spec_from_dict

    contents = read(path) if weights is None else with_weights(path, weights)
    notes = list(contents.notes)
    set_aside = list(contents.set_aside)
    aside = set(contents.aside)
    if contents.spec is not None:
        spec_dict = contents.spec
    else:
        from lstmcount import frameworks

        fid = framework or contents.framework or frameworks.state_dict_reader()
        rebuilt = from_state_dict(contents, fid)
        spec_dict = rebuilt.spec
        set_aside += rebuilt.set_aside
        notes += rebuilt.notes
        aside |= rebuilt.aside
    try:
        spec = spec_from_dict(spec_dict)
        report = count(spec)
    except SpecError as exc:
        raise ModelFileError(path, f"the rebuilt model cannot be counted: {exc.one_line()}") from None
    tensors = [t for t in contents.tensors if t.name not in aside]
    have = {t.name: t for t in tensors}
    explained: set[str] = set()
    missing = []
    resolved: dict[str, list[str]] = {}
    bindings = contents.bindings
    if bindings is None and contents.binder is not None:
        bindings = contents.binder(report)
    if contents.spec is not None and not contents.tensors:
        pass  # a config alone: no weights to account for
    elif bindings is not None:
        resolved = {path: list(names) for path, names in bindings.items()}
        for layer in report.layers:
            for t in layer.tensors:
                names = bindings.get(t.path, [])
                held = [have[n] for n in names if n in have]
                if len(held) != len(names) or not names or sum(x.params for x in held) != t.params:
                    missing.append((t.path, t.shape))
                explained.update(x.name for x in held)
    else:
        paths = _file_names(spec, report)
        named = {t.path for layer in report.layers for t in layer.tensors}
        if any(p not in named for p in paths):
            layer = next(x for x in report.layers if x.tensors)
            notes.append(
                f"The file is one module's own state dict (its names have no module path, as {next(iter(paths))}); "
                f"lstmcount calls the module {layer.name}."
            )
        for p, (report_path, shape) in paths.items():
            found = have.get(p)
            if found is None or found.shape != shape:
                missing.append((p, shape))
            else:
                explained.add(p)
                resolved[report_path] = [p]
    unexplained = [t for t in tensors if t.name not in explained]
    return Inspection(
        path=str(path),
        format=contents.format,
        framework=report.framework,
        spec=spec_dict,
        report=report,
        file_total=contents.total,
        tensors=len(contents.tensors) + len(contents.aliases),
        set_aside=set_aside,
        unexplained=unexplained,
        missing=missing,
        aliases=dict(contents.aliases),
        notes=notes,
        graph=contents.spec is not None and not contents.rebuilt,
        explained=frozenset(explained),
        file_tensors=tuple(contents.tensors),
        bindings=resolved,
    )


def _file_names(spec: Any, report: Report) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each report tensor's path and shape, by the name the file gives it (a bare module's have no module name)."""
    from lstmcount import frameworks

    sep = frameworks.get(report.framework).path_sep
    out: dict[str, tuple[str, tuple[int, ...]]] = {}
    for layer in report.layers:
        bare = spec.layers[layer.spec_index].name is None and len([x for x in report.layers if x.tensors]) == 1
        for t in layer.tensors:
            name = t.path[len(layer.name) + len(sep) :] if bare and t.path.startswith(layer.name + sep) else t.path
            out[name] = (t.path, t.shape)
    return out


__all__ = ["Contents", "FileTensor", "Inspection", "ModelFileError", "inspect", "read"]

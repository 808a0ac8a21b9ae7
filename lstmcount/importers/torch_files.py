"""PyTorch checkpoints (``torch.save``: the zip archive and the legacy stream) and plain pickles of arrays.

The records are unpickled with :mod:`lstmcount.importers.safe_pickle` (nothing runs); tensor
data stays unread. A state dict may sit inside a training checkpoint: the model's tensors are
found under the usual keys, and an optimizer's state is recognised and set aside. A Paddle
``.pdparams`` file (a pickle of NumPy arrays with Paddle's name map) is read the same way.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from lstmcount.importers.base import (
    ITEMSIZE,
    MAX_DEPTH,
    MAX_HEADER,
    MAX_PICKLE,
    MAX_TENSORS,
    Contents,
    DataRef,
    FileTensor,
    ModelFileError,
)
from lstmcount.importers.safe_pickle import ArrayStub, Pickled, StorageStub, TensorStub, load, scan
from lstmcount.importers.zips import data_start, open_archive, read_member

#: keys under which checkpoints keep the model's state dict, in the order they are tried
MODEL_KEYS = (
    "state_dict",
    "model_state_dict",
    "model",
    "model_state",
    "net",
    "network",
    "module",
    "weights",
    "params",
    "ema_state_dict",
)
#: Paddle's map from each state-dict key to its tensor's internal name
PADDLE_NAMES = "StructuredToParameterName@@"


def _is_tensor(value: Any) -> bool:
    return isinstance(value, (TensorStub, ArrayStub))


class _Walk:
    """Finds every tensor in an unpickled structure, visiting at most ``budget`` objects.

    A pickle can refer to one list from many places (ten references, nine levels deep: a
    billion visits from a few hundred bytes). A checkpoint's structure is a tree whose size its
    pickle bounds, so visiting more objects than the pickle has opcodes (and a margin for the
    tensors two names share) means the file is such a bomb.
    """

    def __init__(self, path: str | os.PathLike[str], budget: int) -> None:
        self.path = path
        self.budget = budget

    def tensors(self, obj: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
        """Every tensor in ``obj``, with its key path."""
        self.budget -= 1
        if self.budget < 0:
            raise ModelFileError(self.path, "the pickle refers to its own objects over and over (a pickle bomb)")
        if depth > MAX_DEPTH:
            raise ModelFileError(self.path, "the checkpoint nests deeper than lstmcount reads")
        if _is_tensor(obj):
            yield prefix, obj
        elif isinstance(obj, dict):
            for key, value in obj.items():
                yield from self.tensors(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
        elif isinstance(obj, (list, tuple)):
            for n, value in enumerate(obj):
                yield from self.tensors(value, f"{prefix}.{n}" if prefix else str(n), depth + 1)


def _state_dict(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and bool(obj)
        and all(isinstance(k, str) for k in obj)
        and all(_is_tensor(v) for k, v in obj.items() if k != PADDLE_NAMES)
    )


def _file_tensor(name: str, stub: Any, where: Where | None) -> FileTensor:
    data = None
    if where is not None and isinstance(stub, TensorStub) and stub.storage is not None:
        start = where.storages.get(stub.storage.key)
        if start is not None:
            itemsize = ITEMSIZE.get(stub.dtype, 1)
            data = DataRef(where.file, start + stub.offset * itemsize, where.order, stub.stride)
    return FileTensor(name, tuple(stub.shape), stub.dtype or "unknown", data)


@dataclass(frozen=True)
class Where:
    """Where each storage's data starts in the file (a storage kept compressed has none), and its byte order."""

    file: str
    storages: dict[str, int]
    order: str = "<"


def contents_of(pickled: Pickled, path: str | os.PathLike[str], fmt: str, located: Where | None = None) -> Contents:
    """The model's tensors in an unpickled checkpoint, and what else it holds, set aside."""
    obj = pickled.obj
    contents = Contents(path=str(path), format=fmt, framework="pytorch")
    walk = _Walk(path, 2 * pickled.ops + 1000)
    found = list(walk.tensors(obj))
    for name, stub in found:
        _check_extent(path, name, stub)
    if len(found) > MAX_TENSORS:
        raise ModelFileError(path, f"the checkpoint holds {len(found):,} tensors")
    model: dict[str, Any] | None = None
    where = ""
    if _state_dict(obj):
        model = obj
    elif isinstance(obj, dict):
        for key in MODEL_KEYS:
            if _state_dict(obj.get(key)):
                model, where = obj[key], key
                break
        if model is None:
            candidates = [k for k, v in obj.items() if _state_dict(v) and "optim" not in str(k).lower()]
            if len(candidates) == 1:
                model, where = obj[candidates[0]], candidates[0]
    if model is None:
        if not found:
            raise ModelFileError(path, "the file holds no tensors")
        raise ModelFileError(path, "no state dict found in the checkpoint (its tensors are not under one key)")
    if where:
        contents.notes.append(f"The model's state dict is the checkpoint's {where!r}.")
    names = model.get(PADDLE_NAMES) if isinstance(model.get(PADDLE_NAMES), dict) else None
    if names is not None or any(isinstance(v, ArrayStub) for v in model.values()):
        contents.framework = "paddle" if names is not None else None
    seen: dict[Any, str] = {}
    for key, stub in model.items():
        if key == PADDLE_NAMES:
            continue
        identity = _identity(key, stub, names)
        if identity in seen:
            contents.aliases[key] = seen[identity]  # one tensor under two names: counted once
            continue
        seen[identity] = key
        contents.tensors.append(_file_tensor(key, stub, located))
    if isinstance(obj, dict) and where:
        for key, value in obj.items():
            if key == where:
                continue
            elements = sum(stub_size(s) for _, s in walk.tensors(value))
            why = "an optimizer's state" if "optim" in str(key).lower() else "not the model's state dict"
            if elements or "optim" in str(key).lower():
                contents.set_aside.append((str(key), elements, why))
    return contents


def _check_extent(path: str | os.PathLike[str], name: str, stub: Any) -> None:
    """A tensor lies inside its storage: from its offset, its sizes and strides reach no further than its end."""
    if not isinstance(stub, TensorStub) or stub.storage is None:
        return
    if stub.offset + stub.extent > stub.storage.numel:
        raise ModelFileError(
            path,
            f"tensor {name!r} reaches element {stub.offset + stub.extent:,} of storage "
            f"{stub.storage.key!r}, which holds {stub.storage.numel:,}",
        )


def stub_size(stub: Any) -> int:
    """Elements of a stub tensor."""
    n = 1
    for d in stub.shape:
        n *= d
    return n


def _identity(key: str, stub: Any, names: dict[str, Any] | None) -> Any:
    """What makes two names one tensor: the same storage at the same offset (PyTorch), or one internal name (Paddle)."""
    if names is not None and key in names:
        return ("paddle", names[key])
    if isinstance(stub, TensorStub) and stub.storage is not None:
        return ("torch", stub.storage.key, stub.offset, stub.shape)
    return ("key", key)


def read_zip(path: str | os.PathLike[str]) -> Contents:
    """A ``torch.save`` zip archive: ``<name>/data.pkl`` holds the records, ``<name>/data/<key>`` each storage."""
    with open_archive(path) as archive:
        names = archive.namelist()
        records = [n for n in names if n == "data.pkl" or n.endswith("/data.pkl")]
        if len(records) != 1:
            raise ModelFileError(path, "a PyTorch archive holds one data.pkl; this one holds " + str(len(records)))
        data = read_member(path, archive, records[0], MAX_PICKLE)
        pickled = load(data, path)
        if pickled.end != len(data):
            raise ModelFileError(path, f"{records[0]} holds {len(data) - pickled.end:,} bytes after its pickle ends")
        root = records[0][: -len("data.pkl")]
        starts = {}
        for key, storage in pickled.storages.items():
            member = f"{root}data/{key}"
            if member not in names:
                raise ModelFileError(path, f"storage {key!r} is missing from the archive")
            info = archive.getinfo(member)
            _check_storage(path, key, storage, info.file_size)
            if info.compress_type == zipfile.ZIP_STORED:
                starts[key] = data_start(archive, info)
        order = "<"
        if f"{root}byteorder" in names:
            order = ">" if read_member(path, archive, f"{root}byteorder", 16).strip() == b"big" else "<"
    where = Where(os.fspath(path), starts, order)
    return contents_of(pickled, path, "PyTorch checkpoint (torch.save zip archive)", where)


def _check_storage(path: str | os.PathLike[str], key: str, storage: StorageStub, size: int) -> None:
    if storage.numel * ITEMSIZE.get(storage.dtype, 1) > size:
        raise ModelFileError(
            path, f"storage {key!r} declares {storage.numel:,} values, more than its {size:,} bytes hold"
        )


def refuse_script(path: str | os.PathLike[str]) -> None:
    """A TorchScript archive is code: say so, and what to save instead."""
    raise ModelFileError(
        path,
        "a TorchScript archive (torch.jit.save) holds code, which lstmcount does not run; "
        "save model.state_dict() with torch.save and inspect that",
    )


def read_legacy(path: str | os.PathLike[str]) -> Contents:
    """A legacy ``torch.save`` stream: magic, protocol, system info, the records, the storage keys, the storages.

    Each storage is its element count (8 bytes) then its data: the counts are read and the data
    stepped over, so that the file must end exactly where its last storage does.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        for _ in range(3):  # magic number, protocol version, system info: plain values
            _plain(handle, path, size)
        pickled = load(handle, path, min(size - handle.tell(), MAX_PICKLE))
        keys = _plain(handle, path, size)
        if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise ModelFileError(path, "the legacy storage keys are not a list of names")
        if set(keys) != set(pickled.storages):
            raise ModelFileError(path, "the legacy storage keys are not the storages the records refer to")
        starts = {}
        for key in keys:
            storage = pickled.storages[key]
            head = handle.read(8)
            if len(head) < 8:
                raise ModelFileError(path, f"storage {key!r} lies beyond the end of the file")
            numel = int.from_bytes(head, "little", signed=True)
            if numel != storage.numel:
                raise ModelFileError(path, f"storage {key!r} holds {numel:,} values; the records say {storage.numel:,}")
            _check_storage(path, key, storage, size - handle.tell())
            starts[key] = handle.tell()
            handle.seek(numel * ITEMSIZE.get(storage.dtype, 1), os.SEEK_CUR)
        if handle.tell() != size:
            raise ModelFileError(
                path, f"{size - handle.tell():,} bytes follow the last storage (another file appended?)"
            )
    where = Where(os.fspath(path), starts)
    return contents_of(pickled, path, "PyTorch checkpoint (legacy format, before PyTorch 1.6)", where)


def _plain(handle: BinaryIO, path: str | os.PathLike[str], size: int) -> Any:
    """One small pickle of plain values (no globals) at ``handle``'s position."""
    _, length = scan(handle, min(size - handle.tell(), MAX_HEADER), path)
    handle.seek(-length, os.SEEK_CUR)
    try:
        return _Plain(io.BytesIO(handle.read(length))).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, RecursionError) as exc:
        raise ModelFileError(path, f"the legacy header cannot be read ({exc or type(exc).__name__})") from None


class _Plain(pickle.Unpickler):
    """An unpickler for a header of plain values: it resolves no global at all."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} in the legacy header")


def read_pickle(path: str | os.PathLike[str]) -> Contents:
    """A plain pickle of a state dict (a Paddle ``.pdparams``, a pickled dict of arrays)."""
    size = os.path.getsize(path)
    if size > MAX_PICKLE:
        raise ModelFileError(path, f"a pickle of {size:,} bytes is larger than lstmcount reads ({MAX_PICKLE:,})")
    with open(path, "rb") as handle:
        data = handle.read()
    pickled = load(data, path)
    if pickled.end != len(data):
        raise ModelFileError(
            path, f"{len(data) - pickled.end:,} bytes follow the pickle's end (another file appended?)"
        )
    contents = contents_of(pickled, path, "a pickle of arrays")
    if contents.framework == "paddle":
        contents.format = "PaddlePaddle state dict (.pdparams)"
    return contents

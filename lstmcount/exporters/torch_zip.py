"""A state dict written as ``torch.save`` writes it: a zip archive of a pickle and one stored member per tensor.

The pickle is written opcode by opcode (protocol 2), naming only the globals
``torch.load(weights_only=True)`` allows: ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the storage types. Each tensor's data is its own
storage, little-endian and contiguous, in ``<archive>/data/<n>``.
"""

from __future__ import annotations

import os
import struct
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from lstmcount.errors import UsageError
from lstmcount.importers import safe_pickle

#: dtype names -> the storage class that holds them (the reader's table, turned round)
STORAGES = {dtype: name for name, dtype in safe_pickle.STORAGES.items() if not dtype.startswith(("complex", "bfloat"))}


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def _int(value: int) -> bytes:
    if 0 <= value < 256:
        return b"K" + bytes([value])  # BININT1
    if 0 <= value < 2**31:
        return b"J" + struct.pack("<i", value)  # BININT
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw  # LONG1


def _tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t" if items else b")"  # MARK ... TUPLE, or EMPTY_TUPLE


def _global(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()  # GLOBAL


def pickle_state_dict(shapes: Mapping[str, tuple[tuple[int, ...], str]]) -> bytes:
    """The records of a state dict: name -> (shape, dtype), each tensor its own storage, keyed by its position."""
    ordered = _global("collections", "OrderedDict") + b")R"  # OrderedDict()
    out = [b"\x80\x02", ordered, b"("]  # PROTO 2, the dict, MARK for SETITEMS
    for n, (name, (shape, dtype)) in enumerate(shapes.items()):
        numel = int(np.prod(shape)) if shape else 1
        strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
        storage = _tuple(
            [_text("storage"), _global("torch", STORAGES[dtype]), _text(str(n)), _text("cpu"), _int(numel)]
        )
        args = [
            storage + b"Q",  # BINPERSID
            _int(0),
            _tuple([_int(d) for d in shape]),
            _tuple([_int(s) for s in strides]),
            b"\x89",  # NEWFALSE: requires_grad
            ordered,  # backward hooks
        ]
        out.append(_text(name) + _global("torch._utils", "_rebuild_tensor_v2") + _tuple(args) + b"R")
    out.append(b"u.")  # SETITEMS, STOP
    return b"".join(out)


def write(path: str | os.PathLike[str], weights: Mapping[str, Any], *, archive: str = "archive") -> None:
    """Write ``weights`` (name -> array) as a ``torch.save`` zip archive at ``path``."""
    arrays: dict[str, Any] = {}
    for name, value in weights.items():
        given = np.asarray(value)
        a = np.ascontiguousarray(given).reshape(given.shape)  # a 0-d array stays 0-d
        if a.dtype.name not in STORAGES:
            raise UsageError(f"cannot store {name!r} of dtype {a.dtype} in a PyTorch checkpoint")
        arrays[name] = a.astype(a.dtype.newbyteorder("<"), copy=False)
    shapes = {k: (tuple(int(n) for n in v.shape), str(v.dtype.name)) for k, v in arrays.items()}
    records = pickle_state_dict(shapes)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as out:
        out.writestr(f"{archive}/data.pkl", records)
        out.writestr(f"{archive}/byteorder", "little")
        for n, a in enumerate(arrays.values()):
            out.writestr(f"{archive}/data/{n}", a.tobytes())
        out.writestr(f"{archive}/version", "3\n")

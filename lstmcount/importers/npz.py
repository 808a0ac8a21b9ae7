"""NumPy .npz archives: a zip of .npy files. Only each member's header is read."""

from __future__ import annotations

import ast
import os
import struct
import zipfile
from dataclasses import dataclass
from math import prod

from lstmcount.importers.base import (
    ITEMSIZE,
    MAX_TENSORS,
    Contents,
    DataRef,
    FileTensor,
    ModelFileError,
    check_shape,
)
from lstmcount.importers.zips import data_start, open_archive, read_head

#: .npy dtype strings (without byte order) -> dtype names
DTYPES = {
    "f8": "float64",
    "f4": "float32",
    "f2": "float16",
    "i8": "int64",
    "i4": "int32",
    "i2": "int16",
    "i1": "int8",
    "u8": "uint64",
    "u4": "uint32",
    "u2": "uint16",
    "u1": "uint8",
    "b1": "bool",
    "c8": "complex64",
    "c16": "complex128",
}


@dataclass(frozen=True)
class NpyHeader:
    """What a .npy header declares: shape, dtype, byte order, order of the axes, and its own length."""

    shape: tuple[int, ...]
    dtype: str
    order: str
    fortran: bool
    length: int


def npy_header(path: str | os.PathLike[str], member: str, head: bytes) -> NpyHeader:
    """The shape and dtype a .npy header declares (its dict literal is read as a literal, never run)."""
    if not head.startswith(b"\x93NUMPY") or len(head) < 10:
        raise ModelFileError(path, f"{member} is not a .npy array")
    major = head[6]
    if major == 1:
        (length,), start = struct.unpack("<H", head[8:10]), 10
    elif major in (2, 3):
        (length,), start = struct.unpack("<I", head[8:12]), 12
    else:
        raise ModelFileError(path, f"{member}: unknown .npy version {major}")
    text = head[start : start + length]
    if len(text) < length:
        raise ModelFileError(path, f"{member}: the .npy header is cut short")
    try:
        info = ast.literal_eval(text.decode("latin-1"))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ModelFileError(path, f"{member}: the .npy header is not a literal") from None
    if not isinstance(info, dict) or not {"descr", "shape", "fortran_order"} <= set(info):
        raise ModelFileError(path, f"{member}: the .npy header lacks descr, shape or fortran_order")
    descr = info["descr"]
    if not isinstance(descr, str) or descr.lstrip("<>|=") not in DTYPES:
        raise ModelFileError(path, f"{member} holds {descr!r} values (objects, records or strings), not numbers")
    order = ">" if descr.startswith(">") else "<"
    shape = check_shape(path, member, info["shape"])
    return NpyHeader(shape, DTYPES[descr.lstrip("<>|=")], order, info["fortran_order"] is True, start + length)


def read(path: str | os.PathLike[str]) -> Contents:
    """Each member's name (without .npy), shape and dtype, checked against the member's size."""
    tensors = []
    with open_archive(path) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_TENSORS:
            raise ModelFileError(path, f"the archive has {len(members):,} members")
        for info in members:
            if not info.filename.endswith(".npy"):
                raise ModelFileError(path, f"{info.filename} is not a .npy member")
            head = read_head(path, archive, info, 65_536 + 12)
            npy = npy_header(path, info.filename, head)
            strides = None
            if npy.fortran:
                strides = tuple(prod(npy.shape[:axis]) for axis in range(len(npy.shape)))
            if info.compress_type == zipfile.ZIP_STORED:
                where = DataRef(os.fspath(path), data_start(archive, info) + npy.length, npy.order, strides)
            else:
                where = DataRef(os.fspath(path), npy.length, npy.order, strides, member=info.filename)
            tensor = FileTensor(info.filename[: -len(".npy")], npy.shape, npy.dtype, where)
            if tensor.params * ITEMSIZE[npy.dtype] > info.file_size:
                raise ModelFileError(path, f"{info.filename} declares {tensor.params:,} values, more than it holds")
            tensors.append(tensor)
    return Contents(path=str(path), format="NumPy .npz", framework=None, tensors=tensors)


__all__ = ["npy_header", "read", "zipfile"]

"""safetensors: an 8-byte little-endian header length, a JSON header, the data. Only the header is read."""

from __future__ import annotations

import itertools
import os
import struct
from typing import Any

from lstmcount.importers.base import (
    ITEMSIZE,
    MAX_HEADER,
    MAX_TENSORS,
    Contents,
    DataRef,
    FileTensor,
    ModelFileError,
    check_shape,
    load_json,
)

#: safetensors dtype codes -> the dtype names lstmcount shows
DTYPES = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U64": "uint64",
    "U32": "uint32",
    "U16": "uint16",
    "U8": "uint8",
    "BOOL": "bool",
}


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, Any], int]:
    """The header and the size of the data section, checked against the file's size."""
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ModelFileError(path, "too short to be a safetensors file")
        (length,) = struct.unpack("<Q", head)
        if length > min(MAX_HEADER, size - 8):
            raise ModelFileError(path, f"the header declares {length:,} bytes, more than the file holds")
        raw = handle.read(length)
    header = load_json(path, raw, "the safetensors header")
    if not isinstance(header, dict):
        raise ModelFileError(path, "the safetensors header is not a JSON object")
    if len(header) > MAX_TENSORS:
        raise ModelFileError(path, f"the header declares {len(header):,} tensors")
    return header, size - 8 - length


def read(path: str | os.PathLike[str]) -> Contents:
    """Every tensor's name, shape and dtype, each checked to lie inside the data section."""
    header, data = read_header(path)
    start = os.path.getsize(path) - data  # the data section follows the header
    tensors = []
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            raise ModelFileError(path, f"tensor {name!r} has no dtype, shape and data_offsets")
        code, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if code not in DTYPES:
            raise ModelFileError(path, f"tensor {name!r} has unknown dtype {code!r}")
        dims = check_shape(path, name, shape)
        if not (
            isinstance(offsets, list)
            and len(offsets) == 2
            and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            and 0 <= offsets[0] <= offsets[1] <= data
        ):
            raise ModelFileError(path, f"tensor {name!r} lies outside the file's data")
        tensor = FileTensor(name, dims, DTYPES[code], DataRef(os.fspath(path), start + offsets[0]))
        if offsets[1] - offsets[0] != tensor.params * ITEMSIZE[tensor.dtype]:
            raise ModelFileError(
                path,
                f"tensor {name!r} declares shape {list(dims)} ({tensor.params:,} {tensor.dtype} values) "
                f"but {offsets[1] - offsets[0]:,} bytes",
            )
        spans.append((offsets[0], offsets[1], name))
        tensors.append(tensor)
    spans.sort()
    for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
        if begin < end:
            raise ModelFileError(path, f"tensors {first!r} and {second!r} overlap in the file")
    return Contents(path=str(path), format="safetensors", framework=None, tensors=tensors, ordered=False)

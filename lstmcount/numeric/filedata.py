"""A model file's tensor values, read where its importer found them: for ``verify FILE``, never for inspecting.

An importer records each tensor's :class:`~lstmcount.importers.base.DataRef`: a byte range of
the file (with its byte order and strides), a compressed zip member, or an HDF5 dataset. Only the
tensors asked for are read, each from its own bytes, as float arrays of their declared shapes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping
from math import prod
from typing import Any

import numpy as np

from lstmcount.importers.base import FileTensor, ModelFileError
from lstmcount.importers.npz import DTYPES

#: dtype names -> NumPy type codes (without byte order), the .npy reader's table turned round; bfloat16 is read
#: as its 16 bits
CODES = {name: code for code, name in DTYPES.items() if not name.startswith("complex")} | {"bfloat16": "u2"}


def read_values(tensors: Iterable[FileTensor], source: str = "") -> dict[str, Any]:
    """Each tensor's values, by its name in the file (a tensor whose data cannot be located is an error)."""
    return {t.name: read_tensor(t, source) for t in tensors}


def read_tensor(tensor: FileTensor, source: str = "") -> Any:
    """One tensor's values as an array of its shape (bfloat16 widened to float32); ``source`` names the file."""
    ref = tensor.data
    if ref is None:
        raise ModelFileError(
            source or tensor.name,
            f"tensor {tensor.name!r} keeps its values where lstmcount does not read them (a sparse tensor, a graph's "
            "constant, values spelled as varints)",
        )
    if ref.dataset is not None:
        return _h5_dataset(tensor)
    code = CODES.get(tensor.dtype)
    if code is None:
        raise ModelFileError(
            ref.file, f"tensor {tensor.name!r} holds {tensor.dtype} values, which lstmcount cannot read"
        )
    dtype = np.dtype(ref.order + code if code[1:] != "1" else code)
    count = _extent(tensor.shape, ref.strides)
    if ref.member is not None:
        with zipfile.ZipFile(ref.file) as archive, archive.open(ref.member) as handle:
            handle.read(ref.offset)
            raw = handle.read(count * dtype.itemsize)
        flat = np.frombuffer(raw, dtype=dtype)
    else:
        with open(ref.file, "rb") as handle:
            handle.seek(ref.offset)
            flat = np.fromfile(handle, dtype=dtype, count=count)
    if flat.size < count:
        raise ModelFileError(ref.file, f"tensor {tensor.name!r}: the file ends inside its values")
    if ref.strides is None:
        values = flat.reshape(tensor.shape)
    else:
        strides = tuple(s * dtype.itemsize for s in ref.strides)
        values = np.lib.stride_tricks.as_strided(flat, shape=tensor.shape, strides=strides).copy()
    if tensor.dtype == "bfloat16":
        values = (values.astype(np.uint32) << 16).view(np.float32)
    return np.ascontiguousarray(values)


def _extent(shape: tuple[int, ...], strides: tuple[int, ...] | None) -> int:
    """Elements from the first to the last a tensor reaches."""
    if any(n == 0 for n in shape):
        return 0
    if strides is None:
        return prod(shape)
    return 1 + sum((n - 1) * abs(s) for n, s in zip(shape, strides, strict=True))


def _h5_dataset(tensor: FileTensor) -> Any:
    """An HDF5 dataset's values (of the file, or of the HDF5 file inside a zip member)."""
    ref = tensor.data
    assert ref is not None and ref.dataset is not None
    try:
        import h5py  # type: ignore[import-untyped]  # h5py ships no type information
    except ImportError:
        raise ModelFileError(ref.file, "reading HDF5 needs h5py: pip install 'lstmcount[h5]'") from None
    try:
        if ref.member is None:
            with h5py.File(ref.file, "r") as handle:
                return np.asarray(handle[ref.dataset][()])
        with zipfile.ZipFile(ref.file) as archive, archive.open(ref.member) as member:
            source = (
                member if archive.getinfo(ref.member).compress_type == zipfile.ZIP_STORED else io.BytesIO(member.read())
            )
            with h5py.File(source, "r") as handle:
                return np.asarray(handle[ref.dataset][()])
    except (OSError, KeyError, ValueError) as exc:
        raise ModelFileError(ref.file, f"tensor {tensor.name!r} cannot be read ({exc})") from None


def bound_values(found: Any) -> Mapping[str, Any]:
    """The rebuilt model's weights, by the report's tensor paths, read from the inspected file.

    Each tensor of the report must be one tensor of the file, of its shape; a model whose weights
    the file keeps otherwise (split or joined across tensors) is refused with what differs.
    """
    by_name = {t.name: t for t in found.file_tensors}
    shapes = {t.path: t.shape for layer in found.report.layers for t in layer.tensors}
    out: dict[str, Any] = {}
    for path, names in found.bindings.items():
        if len(names) != 1 or names[0] not in by_name:
            raise ModelFileError(
                found.path, f"{path} is {len(names)} tensors of the file; verify reads weights kept one per tensor"
            )
        tensor = by_name[names[0]]
        values = read_tensor(tensor, found.path)
        wanted = shapes[path]
        if values.shape != wanted:  # a graph may add or drop axes of one (ONNX's Unsqueeze of a 2-D weight)
            if [d for d in values.shape if d != 1] != [d for d in wanted if d != 1]:
                raise ModelFileError(
                    found.path,
                    f"{path} is {tensor.name} {list(values.shape)} rearranged; verify reads weights as stored",
                )
            values = values.reshape(wanted)
        out[path] = values
    return out

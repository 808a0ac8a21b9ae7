"""msgpack, read in place and bounded: maps, arrays and scalars decoded, bin and ext payloads stepped over.

The file is memory-mapped and decoded from its bytes with the standard library (the format is
the msgpack specification's: big-endian headers, one type byte per value). A ``bin`` or an
``ext`` is returned as its span in the file (:class:`Span`, :class:`Ext`), never copied, so a
gigabyte of array data costs nothing to step over; an ext's payload is decoded on request with
:meth:`Unpacker.unpack` over its span. Every length and count is checked against the bytes left
before anything is made of it, nesting is limited to :data:`~lstmcount.importers.base.MAX_DEPTH`
and the values of a file to :data:`MAX_VALUES`. Any problem is a :class:`ModelFileError`.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lstmcount.importers.base import MAX_DEPTH, MAX_HEADER, MAX_TENSORS, ModelFileError

#: Most values (map entries count two) one decoding makes, whatever the file's size.
MAX_VALUES = 8 * MAX_TENSORS


@dataclass(frozen=True)
class Span:
    """A ``bin`` value: where its bytes lie in the file."""

    offset: int
    length: int


@dataclass(frozen=True)
class Ext:
    """An ``ext`` value: its type code and where its payload lies in the file."""

    code: int
    offset: int
    length: int


#: the fixed-width values: type byte -> (struct format, what it is)
_FIXED = {
    0xCA: ">f",
    0xCB: ">d",
    0xCC: ">B",
    0xCD: ">H",
    0xCE: ">I",
    0xCF: ">Q",
    0xD0: ">b",
    0xD1: ">h",
    0xD2: ">i",
    0xD3: ">q",
}
#: the length prefixes of str, bin, ext, array and map: type byte -> struct format
_LENGTH = {
    0xC4: ">B",
    0xC5: ">H",
    0xC6: ">I",
    0xC7: ">B",
    0xC8: ">H",
    0xC9: ">I",
    0xD9: ">B",
    0xDA: ">H",
    0xDB: ">I",
    0xDC: ">H",
    0xDD: ">I",
    0xDE: ">H",
    0xDF: ">I",
}


class Unpacker:
    """Decodes msgpack values from ``data`` (the file's bytes), naming ``path`` in every error."""

    def __init__(self, path: str | os.PathLike[str], data: bytes | mmap.mmap | memoryview) -> None:
        self.path = path
        self.data = memoryview(data)
        self.values = 0

    def fail(self, problem: str) -> ModelFileError:
        """The error for a problem at some place in the file."""
        return ModelFileError(self.path, problem)

    def unpack(self, start: int = 0, end: int | None = None, *, whole: bool = True) -> Any:
        """The value at ``start``, which must end at ``end`` (the file's end by default) when ``whole``."""
        end = len(self.data) if end is None else end
        if not 0 <= start <= end <= len(self.data):
            raise self.fail("a msgpack value lies outside the file")
        value, at = self._value(start, end, 0)
        if whole and at != end:
            what = "the file" if end == len(self.data) else "its ext payload"
            raise self.fail(f"{end - at:,} bytes follow the msgpack value in {what}")
        return value

    def _take(self, at: int, n: int, end: int, what: str) -> int:
        if n > end - at:
            raise self.fail(f"truncated: {what} needs {n:,} bytes at offset {at:,}, {max(end - at, 0):,} remain")
        return at + n

    def _length(self, b: int, at: int, end: int) -> tuple[int, int]:
        fmt = _LENGTH[b]
        size = struct.calcsize(fmt)
        after = self._take(at, size, end, "a length")
        return struct.unpack_from(fmt, self.data, at)[0], after

    def _count(self, n: int, at: int, end: int, each: int, what: str) -> None:
        if n * each > end - at:
            raise self.fail(f"{what} declares {n:,} entries, more than the {end - at:,} bytes left hold")
        self.values += n * (2 if each == 2 else 1)
        if self.values > MAX_VALUES:
            raise self.fail(f"more than {MAX_VALUES:,} msgpack values")

    def _value(self, at: int, end: int, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise self.fail(f"msgpack values nested more than {MAX_DEPTH} deep")
        start = at
        at = self._take(at, 1, end, "a value")
        b = self.data[start]
        if b <= 0x7F:
            return b, at
        if b >= 0xE0:
            return b - 0x100, at
        if b <= 0x8F:
            return self._map(b & 0x0F, at, end, depth)
        if b <= 0x9F:
            return self._array(b & 0x0F, at, end, depth)
        if b <= 0xBF:
            return self._str(b & 0x1F, at, end)
        if b == 0xC0:
            return None, at
        if b in (0xC2, 0xC3):
            return b == 0xC3, at
        if b in _FIXED:
            fmt = _FIXED[b]
            after = self._take(at, struct.calcsize(fmt), end, "a number")
            return struct.unpack_from(fmt, self.data, at)[0], after
        if 0xD4 <= b <= 0xD8:  # fixext 1, 2, 4, 8, 16
            return self._ext(1 << (b - 0xD4), at, end)
        if b in _LENGTH:
            n, at = self._length(b, at, end)
            if b <= 0xC6:
                return Span(at, n), self._take(at, n, end, f"a bin of {n:,} bytes")
            if b <= 0xC9:
                return self._ext(n, at, end)
            if b <= 0xDB:
                return self._str(n, at, end)
            if b <= 0xDD:
                return self._array(n, at, end, depth)
            return self._map(n, at, end, depth)
        raise self.fail(f"byte 0x{b:02x} at offset {start:,} starts no msgpack value")

    def _str(self, n: int, at: int, end: int) -> tuple[str, int]:
        if n > MAX_HEADER:
            raise self.fail(f"a string of {n:,} bytes, more than lstmcount reads")
        after = self._take(at, n, end, f"a string of {n:,} bytes")
        try:
            return str(self.data[at:after], "utf-8"), after
        except UnicodeDecodeError:
            raise self.fail(f"the string at offset {at:,} is not UTF-8") from None

    def _ext(self, n: int, at: int, end: int) -> tuple[Ext, int]:
        after = self._take(at, 1, end, "an ext type")
        code = struct.unpack_from(">b", self.data, at)[0]
        return Ext(code, after, n), self._take(after, n, end, f"an ext payload of {n:,} bytes")

    def _array(self, n: int, at: int, end: int, depth: int) -> tuple[list[Any], int]:
        self._count(n, at, end, 1, "an array")
        out = []
        for _ in range(n):
            value, at = self._value(at, end, depth + 1)
            out.append(value)
        return out, at

    def _map(self, n: int, at: int, end: int, depth: int) -> tuple[dict[Any, Any], int]:
        self._count(n, at, end, 2, "a map")
        out: dict[Any, Any] = {}
        for _ in range(n):
            key_at = at
            key, at = self._value(at, end, depth + 1)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise self.fail(f"a map key at offset {key_at:,} is a {type(key).__name__}, not a string or number")
            if key in out:
                raise self.fail(f"a map repeats the key {key!r}")
            out[key], at = self._value(at, end, depth + 1)
        return out, at


@contextmanager
def open_file(path: str | os.PathLike[str]) -> Iterator[Unpacker]:
    """An unpacker over the file's bytes, memory-mapped (nothing is read until it is decoded)."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                raise ModelFileError(path, "an empty file")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                unpacker = Unpacker(path, data)
                try:
                    yield unpacker
                finally:
                    unpacker.data.release()
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc})") from None


__all__ = ["MAX_VALUES", "Ext", "Span", "Unpacker", "open_file"]

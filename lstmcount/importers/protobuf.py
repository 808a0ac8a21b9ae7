"""The protobuf wire format, read in place: fields of a message as (number, wire type, value or span).

A message is a run of ``key, value`` records, the key a varint ``number << 3 | wire type``. A
length-delimited value (strings, bytes, sub-messages, packed numbers) is returned as a
:class:`Span` into the buffer, not copied, so that a reader can step over a gigabyte of tensor
data without touching it; the buffer is usually a memory map of the file. Every length is
checked against the enclosing message's end before it is used.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """Bytes that are not a well-formed message: a truncated varint, a length past the end, an unknown wire type."""


@dataclass(frozen=True)
class Span:
    """A length-delimited value: ``buf[start:end]``, not copied."""

    buf: Any  # bytes, or an mmap
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def bytes(self, limit: int) -> bytes:
        """The value's bytes (a string or a small number list), at most ``limit`` of them."""
        if len(self) > limit:
            raise WireError(f"a value of {len(self):,} bytes where at most {limit:,} are read")
        return bytes(self.buf[self.start : self.end])

    def text(self, limit: int = 1 << 20) -> str:
        """The value as UTF-8 text."""
        try:
            return self.bytes(limit).decode("utf-8")
        except UnicodeDecodeError:
            raise WireError("a string that is not UTF-8") from None


def varint(buf: Any, pos: int, end: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = shift = 0
    while True:
        if pos >= end:
            raise WireError("a number cut off by the end of its message")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("a number longer than ten bytes")


def fields(buf: Any, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, Any]]:
    """Each field of the message in ``buf[start:end]``: (number, wire type, value).

    A varint is an int; a fixed-width value is its bytes; a length-delimited value a :class:`Span`.
    """
    end = len(buf) if end is None else end
    pos = start
    while pos < end:
        key, pos = varint(buf, pos, end)
        number, wire = key >> 3, key & 7
        value: Any
        if number == 0:
            raise WireError("a field numbered 0")
        if wire == VARINT:
            value, pos = varint(buf, pos, end)
        elif wire == LENGTH:
            size, pos = varint(buf, pos, end)
            if size > end - pos:
                raise WireError(f"a field declares {size:,} bytes, more than its message holds ({end - pos:,})")
            value, pos = Span(buf, pos, pos + size), pos + size
        elif wire in (FIXED64, FIXED32):
            width = 8 if wire == FIXED64 else 4
            if pos + width > end:
                raise WireError("a fixed-width number cut off by the end of its message")
            value, pos = bytes(buf[pos : pos + width]), pos + width
        else:
            raise WireError(f"wire type {wire}, which no field of this format has")
        yield number, wire, value


def signed(value: int) -> int:
    """A 64-bit two's complement varint as a signed number (ONNX writes int64 so, not zigzag)."""
    return value - (1 << 64) if value >= 1 << 63 else value


def ints(wire: int, value: Any, limit: int) -> list[int]:
    """A repeated integer field's values from one record, packed or not."""
    if wire == VARINT:
        return [signed(value)]
    if wire != LENGTH:
        raise WireError("an integer field of the wrong wire type")
    out: list[int] = []
    pos = value.start
    while pos < value.end:
        if len(out) >= limit:
            raise WireError(f"more than {limit:,} numbers in one field")
        number, pos = varint(value.buf, pos, value.end)
        out.append(signed(number))
    return out


def floats(wire: int, value: Any, limit: int) -> list[float]:
    """A repeated float field's values from one record, packed or not."""
    if wire == FIXED32:
        return [struct.unpack("<f", value)[0]]
    if wire != LENGTH or len(value) % 4:
        raise WireError("a float field of the wrong wire type or length")
    if len(value) // 4 > limit:
        raise WireError(f"more than {limit:,} numbers in one field")
    raw = value.bytes(4 * limit)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))

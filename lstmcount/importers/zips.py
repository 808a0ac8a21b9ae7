"""Zip archives read safely: members that stay inside, sizes that add up, no decompression bombs.

The standard library's reader trusts the central directory; a hostile archive can make it say
one thing and the local headers another, list one member twice, or point two members at the
same bytes, so that two readers of the same file see two different models. Before any member is
read, :func:`open_archive` checks that the directory, each local header and the end record agree,
and that the members' bytes lie one after another inside the file, without overlapping.
"""

from __future__ import annotations

import io
import itertools
import os
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lstmcount.importers.base import MAX_TENSORS, ModelFileError

#: most a member may expand by (stored members do not expand at all)
MAX_RATIO = 200
#: a local file header: signature, version, flags, method, time, date, crc, sizes, name and extra lengths
LOCAL = struct.Struct("<4s5H3I2H")
#: the end of central directory record
END = struct.Struct("<4s4H2IH")
#: zip64's end of central directory locator, just before the end record
LOCATOR = struct.Struct("<4sIQI")
#: zip64's end of central directory record (its fixed part)
END64 = struct.Struct("<4sQ2H2I4Q")
#: general-purpose flag bits: encrypted; sizes in a data descriptor after the data
ENCRYPTED, DESCRIPTOR = 0x1, 0x8


@contextmanager
def open_archive(path: str | os.PathLike[str]) -> Iterator[zipfile.ZipFile]:
    """The archive, once every member's name and declared sizes are checked."""
    size = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        why = "no end record: cut short?" if str(exc) == "File is not a zip file" else str(exc)
        raise ModelFileError(path, f"a zip archive whose directory cannot be read ({why})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_TENSORS:
            raise ModelFileError(path, f"the archive declares {len(infos):,} members")
        names: set[str] = set()
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name[:3]:
                raise ModelFileError(path, f"member {name!r} points outside the archive")
            if name in names:
                raise ModelFileError(path, f"member {name!r} is listed twice (readers disagree on which one counts)")
            names.add(name)
            if info.flag_bits & ENCRYPTED:
                raise ModelFileError(path, f"member {name!r} is encrypted, which no model file is")
            if info.compress_size > size or info.header_offset > size:
                raise ModelFileError(path, f"member {name!r} declares more bytes than the file holds")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ModelFileError(path, f"member {name!r} declares two sizes for its stored bytes")
            if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 1024:
                raise ModelFileError(
                    path, f"member {name!r} would expand {info.file_size:,} bytes from {info.compress_size:,}"
                )
        if archive.fp is None:  # pragma: no cover - an open ZipFile has its file
            raise ModelFileError(path, "the archive cannot be read")
        _check_layout(path, archive.fp, infos, size)
        yield archive


def _check_layout(path: str | os.PathLike[str], fp: Any, infos: list[zipfile.ZipInfo], size: int) -> None:
    """The end record counts the directory's members; each local header agrees with its entry; no bytes overlap."""
    _check_count(path, fp, len(infos), size)
    spans = []
    for info in infos:
        local = _local(fp, info)
        if local is None:
            raise ModelFileError(path, f"member {info.filename!r}: the directory points at no local header")
        (_, _, flags, method, _, _, crc, csize, usize, name_len, extra_len), local_name = local
        if local_name.decode("utf-8" if flags & 0x800 else "cp437", "replace") != info.orig_filename:
            raise ModelFileError(path, f"member {info.filename!r}: its local header names another member")
        if method != info.compress_type:
            raise ModelFileError(path, f"member {info.filename!r}: its local header says another compression")
        sized = not flags & DESCRIPTOR and 0xFFFFFFFF not in (csize, usize)
        if sized and (crc, csize, usize) != (info.CRC, info.compress_size, info.file_size):
            raise ModelFileError(
                path, f"member {info.filename!r}: its local header declares other sizes than the directory"
            )
        start = info.header_offset
        end = start + LOCAL.size + name_len + extra_len + info.compress_size
        if end > size:
            raise ModelFileError(path, f"member {info.filename!r} declares more bytes than the file holds")
        spans.append((start, end, info.filename))
    spans.sort()
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        if start < end:
            raise ModelFileError(path, f"members {first!r} and {second!r} overlap (one set of bytes read twice)")


def _check_count(path: str | os.PathLike[str], fp: Any, count: int, size: int) -> None:
    """The end record (or zip64's) declares as many members as the directory lists."""
    tail = min(size, END.size + 65_535)
    fp.seek(size - tail)
    data = fp.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + END.size > len(data):  # pragma: no cover - the standard reader found it
        raise ModelFileError(path, "the archive has no end record")
    declared = END.unpack_from(data, at)[4]
    if declared == 0xFFFF and at >= LOCATOR.size:
        sig, _, where, _ = LOCATOR.unpack_from(data, at - LOCATOR.size)
        if sig == b"PK\x06\x07" and where + END64.size <= size:
            fp.seek(where)
            record = fp.read(END64.size)
            if record[:4] == b"PK\x06\x06":
                declared = END64.unpack(record)[7]
    if declared != count:
        raise ModelFileError(
            path, f"the archive's end record declares {declared:,} members; its directory lists {count:,}"
        )


def _local(fp: Any, info: zipfile.ZipInfo) -> tuple[tuple[Any, ...], bytes] | None:
    """A member's local header fields and the name it gives; None where the directory points at no header."""
    fp.seek(info.header_offset)
    raw = fp.read(LOCAL.size)
    if len(raw) < LOCAL.size or raw[:4] != b"PK\x03\x04":
        return None
    fields = LOCAL.unpack(raw)
    return fields, fp.read(fields[-2])


def data_start(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where a member's (stored or compressed) bytes start in the file: after its local header."""
    local = _local(archive.fp, info)
    if local is None:  # pragma: no cover - open_archive has checked every local header
        raise ValueError(f"member {info.filename!r} has no local header")
    fields, _ = local
    return int(info.header_offset + LOCAL.size + fields[-2] + fields[-1])


class StoredMember(io.RawIOBase):
    """A stored (uncompressed) member as a seekable file of its own: its bytes, read in place from the archive.

    The standard library's member stream rewinds to the start and reads forward on every
    backward seek; a reader that seeks about (HDF5) would read a large member many times over.
    """

    def __init__(self, path: str | os.PathLike[str], start: int, size: int) -> None:
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed with the member
        self._start, self._size, self._at = start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at, os.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self._size - self._at))
        self._file.seek(self._start + self._at)
        got = self._file.readinto(memoryview(buffer)[:n])
        self._at += got or 0
        return got or 0

    def close(self) -> None:
        self._file.close()
        super().close()


def stored_member(path: str | os.PathLike[str], archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> StoredMember:
    """A stored member, opened in place (see :class:`StoredMember`)."""
    return StoredMember(path, data_start(archive, info), info.file_size)


def read_head(path: str | os.PathLike[str], archive: zipfile.ZipFile, info: zipfile.ZipInfo, n: int) -> bytes:
    """The first ``n`` bytes of a member (a member that cannot be read is a ModelFileError)."""
    try:
        with archive.open(info) as handle:
            return handle.read(n)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ModelFileError(path, f"member {info.filename!r} cannot be read ({exc})") from None


def read_member(path: str | os.PathLike[str], archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, at most ``limit`` of them (a larger member is an error)."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ModelFileError(
            path, f"member {name!r} declares {info.file_size:,} bytes, more than lstmcount reads ({limit:,})"
        )
    try:
        with archive.open(info) as handle:
            data = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise ModelFileError(path, f"member {name!r} cannot be read ({exc})") from None
    if len(data) > limit:
        raise ModelFileError(path, f"member {name!r} expands beyond {limit:,} bytes")
    return data

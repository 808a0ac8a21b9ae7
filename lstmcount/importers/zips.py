"""Zip archives read safely: members that stay inside, sizes that add up, no decompression bombs."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from lstmcount.importers.base import MAX_TENSORS, ModelFileError

#: most a member may expand by (stored members do not expand at all)
MAX_RATIO = 200


@contextmanager
def open_archive(path: str | os.PathLike[str]) -> Iterator[zipfile.ZipFile]:
    """The archive, once every member's name and declared sizes are checked."""
    size = os.path.getsize(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise ModelFileError(path, f"not a readable zip archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_TENSORS:
            raise ModelFileError(path, f"the archive declares {len(infos):,} members")
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/") or ":" in name[:3]:
                raise ModelFileError(path, f"member {name!r} points outside the archive")
            if info.compress_size > size or info.header_offset > size:
                raise ModelFileError(path, f"member {name!r} declares more bytes than the file holds")
            if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
                raise ModelFileError(path, f"member {name!r} declares two sizes for its stored bytes")
            if info.file_size > MAX_RATIO * max(info.compress_size, 1) + 1024:
                raise ModelFileError(
                    path, f"member {name!r} would expand {info.file_size:,} bytes from {info.compress_size:,}"
                )
        yield archive


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
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ModelFileError(path, f"member {name!r} cannot be read ({exc})") from None
    if len(data) > limit:
        raise ModelFileError(path, f"member {name!r} expands beyond {limit:,} bytes")
    return data

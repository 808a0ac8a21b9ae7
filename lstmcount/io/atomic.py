"""Writing a file whole or not at all: a temporary file next to it, then one rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lstmcount.errors import UsageError


def output_path(path: str, *, option: str, suffixes: tuple[str, ...]) -> Path:
    """Where an output option writes: exactly the ``path`` given, a file named as ``suffixes`` in an existing directory.

    ``option`` names the option in the one-line errors. The suffix is required so that a slip
    of the keyboard cannot overwrite a spec or a model.
    """
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{option}: {path} is a directory; name a {suffixes[0]} file in it")
    if p.suffix.lower() not in suffixes:
        raise UsageError(f"{option}: {path}: the file name must end in {' or '.join(suffixes)}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"{option}: {path}: no such directory {str(parent)!r}")
    return parent / p.name


@contextmanager
def replacing(path: Path, *, suffix: str = ".tmp", mode: int | None = None) -> Iterator[str]:
    """The name of a temporary file beside ``path``; when the block ends without error it replaces ``path``.

    A reader never sees half a file, and a failed write leaves ``path`` as it was and no
    temporary file behind. ``mode`` sets the new file's permissions; by default they are those
    of any new file (``0o666`` less the umask), not the temporary file's owner-only ones.
    """
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)

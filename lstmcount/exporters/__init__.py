"""Weights written as files a framework loads with its ordinary call: chosen by the file's suffix, written atomically.

* ``.safetensors`` and ``.npz``: every tensor by its path (``lstmcount.numeric.weights``);
* ``.pt`` / ``.pth`` / ``.bin``: a ``torch.save`` zip archive of a state dict, which
  ``torch.load(weights_only=True)`` reads (:mod:`lstmcount.exporters.torch_zip`).

A file is written beside its destination and moved into place, so that a failure leaves
nothing half-written; an existing file is replaced only when the caller says so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lstmcount.errors import UsageError

#: the suffixes lstmcount writes weights as
SUFFIXES = (".safetensors", ".npz", ".pt", ".pth", ".bin")


def write(path: str | os.PathLike[str], weights: Mapping[str, Any], *, force: bool = False) -> Path:
    """Write ``weights`` (path -> array) to ``path`` in the format its suffix names; the file written."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"-o: {p.name} has no suffix lstmcount writes weights as ({', '.join(SUFFIXES)})")
    if p.exists() and not force:
        raise UsageError(f"-o: {p} exists; give --force to replace it")
    if p.is_dir():
        raise UsageError(f"-o: {p} is a directory")
    if not p.parent.is_dir():
        raise UsageError(f"-o: no such directory {str(p.parent)!r}")
    handle, temporary = tempfile.mkstemp(prefix=f".{p.name}.", suffix=suffix, dir=p.parent)
    os.close(handle)
    try:
        if suffix in (".safetensors", ".npz"):
            from lstmcount.numeric.weights import write_weights

            write_weights(temporary, weights)
        else:
            from lstmcount.exporters import torch_zip

            torch_zip.write(temporary, weights, archive=p.stem or "archive")
        os.replace(temporary, p)
    except OSError as exc:
        raise UsageError(f"-o: cannot write {p} ({exc.strerror or exc})") from None
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return p


__all__ = ["SUFFIXES", "write"]

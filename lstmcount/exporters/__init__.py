"""Weights written as files a framework loads with its ordinary call: chosen by the file's suffix, written atomically.

* ``.safetensors`` and ``.npz``: every tensor by its path (``lstmcount.numeric.weights``);
* ``.pt`` / ``.pth`` / ``.bin``: a ``torch.save`` zip archive of a state dict, which
  ``torch.load(weights_only=True)`` reads (:mod:`lstmcount.exporters.torch_zip`);
* ``.weights.h5``: a Keras 3 weights file, which ``model.load_weights`` reads
  (:mod:`lstmcount.exporters.keras_h5`; it needs the target ``model`` the weights are laid out for);
* ``.msgpack``: a Flax checkpoint as ``flax.serialization.to_bytes`` writes it, which
  ``flax.serialization.from_bytes`` reads (:mod:`lstmcount.exporters.flax_msgpack`; it needs the
  target ``model``, a Flax NNX or linen one, whose path separator nests the tensors).

A file is written beside its destination and moved into place, so that a failure leaves
nothing half-written; an existing file is replaced only when the caller says so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lstmcount.errors import UsageError
from lstmcount.io.atomic import replacing

#: the suffixes lstmcount writes weights as
SUFFIXES = (".safetensors", ".npz", ".pt", ".pth", ".bin", ".msgpack", ".weights.h5")


def write(path: str | os.PathLike[str], weights: Mapping[str, Any], *, force: bool = False, model: Any = None) -> Path:
    """Write ``weights`` (path -> array) to ``path`` in the format its suffix names; the file written.

    ``model`` (a :class:`lstmcount.numeric.forward.Model`) is the model the weights are laid out
    for: a format that stores a model's structure along with its tensors (``.weights.h5``) needs it.
    """
    p = Path(path)
    suffix = ".weights.h5" if p.name.lower().endswith(".weights.h5") else p.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(f"-o: {p.name} has no suffix lstmcount writes weights as ({', '.join(SUFFIXES)})")
    framework = getattr(getattr(model, "report", None), "framework", None)
    if suffix == ".msgpack" and framework not in ("flax", "flax-linen"):
        raise UsageError(f"-o: {p.name} is a Flax checkpoint, written for --to flax or --to flax-linen only")
    if p.exists() and not force:
        raise UsageError(f"-o: {p} exists; give --force to replace it")
    if p.is_dir():
        raise UsageError(f"-o: {p} is a directory")
    if not p.parent.is_dir():
        raise UsageError(f"-o: no such directory {str(p.parent)!r}")
    try:
        with replacing(p, suffix=suffix) as temporary:
            _write(temporary, suffix, weights, model, framework, p)
    except OSError as exc:
        raise UsageError(f"-o: cannot write {p} ({exc.strerror or exc})") from None
    return p


def _write(temporary: str, suffix: str, weights: Any, model: Any, framework: Any, p: Path) -> None:
    """Write ``weights`` in the format of ``suffix`` to the file ``temporary``."""
    if suffix in (".safetensors", ".npz"):
        from lstmcount.numeric.weights import write_weights

        write_weights(temporary, weights)
    elif suffix == ".weights.h5":
        from lstmcount.exporters import keras_h5

        if model is None:
            raise UsageError(f"-o: {p.name}: a .weights.h5 file is written only for a model")
        keras_h5.write(temporary, weights, model)
    elif suffix == ".msgpack":
        from lstmcount import frameworks
        from lstmcount.exporters import flax_msgpack

        sep = frameworks.get(str(framework)).path_sep
        flax_msgpack.write(temporary, weights, sep=sep, linen=framework == "flax-linen")
    else:
        from lstmcount.exporters import torch_zip

        torch_zip.write(temporary, weights, archive=p.stem or "archive")


__all__ = ["SUFFIXES", "write"]

"""The frameworks: one module of data each (see :mod:`lstmcount.frameworks.base`), found by their file names.

Every module of this package other than ``base`` and ``layout`` is a framework whose id is its
file name with ``-`` for ``_`` (``flax_linen.py`` is ``flax-linen``) and which defines
``FRAMEWORK``. A framework's module is imported only when that framework is asked for: counting
in one framework loads one module. Adding a framework is adding its module.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from lstmcount.frameworks.base import Framework

#: modules of this package that are not frameworks
_NOT_FRAMEWORKS = frozenset({"base", "layout"})
_LOADED: dict[str, Framework] = {}


@functools.cache
def _modules() -> dict[str, str]:
    """Every framework's id -> its module name, from the package's files (nothing imported)."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg and info.name not in _NOT_FRAMEWORKS and not info.name.startswith("_"):
            found[info.name.replace("_", "-")] = f"{__name__}.{info.name}"
    return found


def _load(fid: str) -> Framework:
    found = _LOADED.get(fid)
    if found is None:
        found = _LOADED[fid] = importlib.import_module(_modules()[fid]).FRAMEWORK
    return found


@functools.cache
def ids() -> tuple[str, ...]:
    """Every framework's id, in the order frameworks are compared (each module's ``order``)."""
    return tuple(sorted(_modules(), key=lambda fid: (_load(fid).order, fid)))


@functools.cache
def spellings() -> dict[str, str]:
    """Every accepted spelling of a framework (lower case) -> its id."""
    out: dict[str, str] = {}
    for fid in ids():
        for spelling in (fid, *_load(fid).aliases):
            out[spelling.lower()] = fid
    return out


@functools.cache
def hints() -> dict[str, str]:
    """For spellings that name no framework alone (``tf``), what to write instead."""
    return {key: text for fid in ids() for key, text in _load(fid).hints.items()}


def _keys(name: str) -> tuple[str, ...]:
    key = name.strip().lower().replace(" ", "")
    return (key, key.replace("_", "-"), key.replace(".", "-"), key.replace("-", "_"))


def resolve(name: str) -> str | None:
    """The id a user's spelling names (``torch`` -> ``pytorch``), or None.

    An id itself is found without importing any framework; another spelling imports them all.
    """
    keys = _keys(name)
    for key in keys:
        if key in _modules():
            return key
    table = spellings()
    for key in keys:
        if key in table:
            return table[key]
    return None


def get(framework: str) -> Framework:
    """The framework ``framework`` names (an id or any of its spellings); KeyError when none."""
    fid = resolve(framework)
    if fid is None:
        raise KeyError(framework)
    return _load(fid)


def every() -> tuple[Framework, ...]:
    """Every framework, in comparison order."""
    return tuple(_load(fid) for fid in ids())


def state_dict_reader() -> str:
    """The framework a state dict keyed by module paths is read in when its file does not say whose it is."""
    return next(fw.id for fw in every() if fw.module_state_dict)


def display(framework: str) -> str:
    """How ``framework`` is shown (``Keras 3``)."""
    fid = resolve(framework)
    return _load(fid).display if fid else framework


__all__ = ["Framework", "display", "every", "get", "hints", "ids", "resolve", "spellings", "state_dict_reader"]

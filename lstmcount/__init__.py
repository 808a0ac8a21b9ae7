"""lstmcount: count and explain the parameters of recurrent neural networks.

The Python API is imported on first use of a name (``lstmcount.count``), so that importing a
submodule (the command line, the forward pass) costs no more than that submodule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "compare": "lstmcount.api",
    "count": "lstmcount.api",
    "count_dict": "lstmcount.api",
    "load": "lstmcount.api",
    "LstmcountError": "lstmcount.errors",
    "SpecError": "lstmcount.errors",
    "Report": "lstmcount.report",
    "Framework": "lstmcount.spec",
    "ModelSpec": "lstmcount.spec",
    "spec_from_dict": "lstmcount.spec",
}

if TYPE_CHECKING:
    from lstmcount.api import compare, count, count_dict, load
    from lstmcount.errors import LstmcountError, SpecError
    from lstmcount.report import Report
    from lstmcount.spec import Framework, ModelSpec, spec_from_dict


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lstmcount' has no attribute {name!r}")


__all__ = [
    "Framework",
    "LstmcountError",
    "ModelSpec",
    "Report",
    "SpecError",
    "__version__",
    "compare",
    "count",
    "count_dict",
    "load",
    "spec_from_dict",
]

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
    "forward": "lstmcount.numeric.forward",
    "LstmcountError": "lstmcount.errors",
    "SpecError": "lstmcount.errors",
    "Report": "lstmcount.model.report",
    "Framework": "lstmcount.model.spec",
    "ModelSpec": "lstmcount.model.spec",
    "spec_from_dict": "lstmcount.model.spec",
}

if TYPE_CHECKING:
    from lstmcount.api import compare, count, count_dict, load
    from lstmcount.errors import LstmcountError, SpecError
    from lstmcount.model.report import Report
    from lstmcount.model.spec import Framework, ModelSpec, spec_from_dict
    from lstmcount.numeric.forward import forward


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
    "forward",
    "load",
    "spec_from_dict",
]

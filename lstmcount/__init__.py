"""lstmcount: count and explain the parameters of recurrent neural networks."""

from __future__ import annotations

__version__ = "0.1.0"

from lstmcount.api import compare, count, count_dict, load
from lstmcount.errors import LstmcountError, SpecError
from lstmcount.report import Report
from lstmcount.spec import Framework, ModelSpec, spec_from_dict

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

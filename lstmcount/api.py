"""The Python API: load a spec from a file or a dict, count it, compare frameworks.

>>> from lstmcount import api
>>> report = api.count_dict({"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}]})
>>> report.total
117248
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from lstmcount.counting.counter import count as _count
from lstmcount.errors import LstmcountError, SpecError
from lstmcount.model.report import Report
from lstmcount.model.spec import ModelSpec, spec_from_dict, suggest

if TYPE_CHECKING:
    from lstmcount.renderers.report import Comparison


def load(source: str | os.PathLike[str]) -> ModelSpec:
    """Read and validate a spec file (YAML or JSON)."""
    from lstmcount.io.loader import load_spec

    return load_spec(source)


def count(spec: ModelSpec | Mapping[str, Any] | str | os.PathLike[str], framework: str | None = None) -> Report:
    """Count a spec given as a :class:`ModelSpec`, a mapping or a file path."""
    return _count(as_spec(spec), framework)


def as_spec(spec: ModelSpec | Mapping[str, Any] | str | os.PathLike[str]) -> ModelSpec:
    """A validated spec from a :class:`ModelSpec`, a mapping, or a spec file's path."""
    if isinstance(spec, ModelSpec):
        return spec
    if isinstance(spec, Mapping):
        return spec_from_dict(spec)
    return load(spec)


def count_dict(data: Mapping[str, Any], framework: str | None = None) -> Report:
    """Validate and count a spec given as a plain mapping."""
    return _count(spec_from_dict(data), framework)


class Origin(Protocol):
    """Where a spec came from (a file's positions, or the flags that built it): puts an error in its terms."""

    def locate(self, error: SpecError) -> LstmcountError:
        """``error`` with its place in the user's input."""


def count_located(spec: ModelSpec, framework: str | None, document: Origin | None) -> Report:
    """Count, placing any error where the user wrote the field (a file's line, or a flag)."""
    try:
        report = _count(spec, framework)
        if report.framework == spec.framework:
            check_expect_names(spec, report)
        return report
    except SpecError as exc:
        raise (document.locate(exc) if document else exc) from None


def check_expect_names(spec: ModelSpec, report: Report) -> None:
    """Refuse an ``expect.layers`` entry that names no layer of the report (names follow the spec's framework)."""
    if spec.expect is None:
        return
    names = [layer.name for layer in report.layers]
    for name in spec.expect.layers:
        if name not in names:
            raise SpecError(
                f"unknown layer name {name!r} in expect.layers",
                path=f"expect.layers.{name}",
                expected="one of " + ", ".join(names),
                received=repr(name),
                hint=suggest(name, names),
            )


def compare(spec: ModelSpec, framework: str | None = None, *, document: Origin | None = None) -> Comparison:
    """Count ``spec`` in one framework, in several (``"onnx,flax"``), or in every one (``"all"``).

    With several, the frameworks that cannot build the model are listed with the reason, and
    the comparison fails only when none can.
    """
    from lstmcount import frameworks
    from lstmcount.renderers.report import Comparison

    if framework is None or ("," not in framework and framework != "all"):
        return Comparison((count_located(spec, framework, document),))
    wanted = frameworks.ids() if framework == "all" else tuple(framework.split(","))
    reports, failures = [], []
    for fid in wanted:
        try:
            report = _count(spec, fid)
            if report.framework == spec.framework:
                check_expect_names(spec, report)
            reports.append(report)
        except SpecError as exc:
            failures.append((fid, (document.locate(exc) if document else exc).one_line()))
    if not reports:
        from lstmcount.errors import UsageError

        raise UsageError("no framework can build this model: " + "; ".join(f"{f}: {w}" for f, w in failures))
    return Comparison(tuple(reports), tuple(failures), brief=framework == "all")

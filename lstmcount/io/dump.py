"""Specs written as YAML, as a person would write them: keys in spec order, shapes and name lists on one line."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes a list of plain values (a shape, a list of names) in flow style."""


def _list(dumper: yaml.SafeDumper, value: Any) -> yaml.Node:
    flow = all(isinstance(v, (int, float, str, bool)) or v is None for v in value) and len(value) <= 16
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=flow)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(tuple, _list)


def spec_yaml(spec: dict[str, Any], header: list[str] | None = None) -> str:
    """``spec`` as YAML text (after ``header`` lines as comments), which lstmcount check reads back."""
    head = "".join(f"# {line}\n" for line in header or [])
    return head + yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

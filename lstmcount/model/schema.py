"""The JSON Schema of the spec format, generated from the field declarations in :mod:`lstmcount.model.spec`.

Every layer field's type, range, default, aliases and description is read from its
``spec_field`` declaration, so the schema cannot drift from the loader. The loader reads layer
types and enum values case-insensitively; the schema offers the canonical spellings for
completion and accepts the other spellings through a pattern. What only the counter can
judge (which layer may follow which, what a framework can build) is beyond the schema.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from lstmcount.model.spec import (
    ACTIVATION_SPELLINGS,
    DEFAULT_FRAMEWORK,
    ENUMS,
    LAYER_CLASSES,
    MAX_DIM,
    SCHEMA_KEY,
    TYPE_ALIASES,
    ExpectSpec,
    InputSpec,
    LayerType,
    ModelSpec,
    field_kind,
    field_nullable,
    fields_of,
)

#: Descriptions of the top-level fields, which are plain dataclass fields of ModelSpec.
TOP_LEVEL_DOCS = {
    "framework": "Weight layout the counts follow",
    "name": "Model name, shown in reports.",
    "description": "Free text about the model.",
    "input": "The model input: features per step, or vocab before an embedding; timesteps.",
    "inputs": "Further inputs by name, which a layer reads with from: (an encoder and a decoder in one model).",
    "layers": "The layers, first to last.",
    "expect": "Expected counts, checked by lstmcount check (and written by lstmcount check --update).",
}


def _ci_pattern(words: list[str], *, strip: bool = False) -> str:
    """An ECMA-262 pattern matching any of ``words`` in any letter case."""

    def one(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)

    space = r"\s*" if strip else ""
    return "^" + space + "(" + "|".join(one(w) for w in words) + ")" + space + "$"


def _choice(values: list[str], *, strip: bool = False) -> dict[str, Any]:
    return {"anyOf": [{"enum": values}, {"type": "string", "pattern": _ci_pattern(values, strip=strip)}]}


def _value_schema(cls: type, f: dataclasses.Field[Any]) -> dict[str, Any]:
    kind = field_kind(cls, f)
    meta = f.metadata
    out: dict[str, Any]
    if kind == "bool":
        out = {"type": "boolean"}
    elif kind == "str":
        out = {"type": "string", "pattern": r"\S"}
    elif kind.startswith("enum:"):
        out = _choice([m.value for m in ENUMS[kind[5:]]])
    elif kind == "activation":
        out = _choice(list(ACTIVATION_SPELLINGS), strip=True)
    elif kind == "int_map":
        out = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    elif kind == "shape_map":
        sizes = {"type": "integer", "minimum": 0, "maximum": MAX_DIM}
        out = {"type": "object", "additionalProperties": {"type": "array", "items": sizes, "maxItems": 8}}
    elif kind == "names":
        out = {"type": "array", "items": {"type": "string", "minLength": 1}}
    elif kind == "sources":
        name = {"type": "string", "pattern": r"\S"}
        out = {"anyOf": [name, {"type": "array", "items": name, "minItems": 1, "maxItems": 1024}]}
    elif kind == "str_map":
        out = {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}
    else:
        out = {"type": "integer" if kind == "int" else "number"}
        if meta.get("minimum") is not None:
            out["minimum"] = meta["minimum"]
        if meta.get("maximum") is not None:
            out["exclusiveMaximum" if meta.get("exclusive_maximum") else "maximum"] = meta["maximum"]
    if field_nullable(f):
        out = {"anyOf": [out, {"type": "null"}]} if "type" not in out else {**out, "type": [out["type"], "null"]}
    out["description"] = meta["doc"]
    default = f.default
    if default is not dataclasses.MISSING and default is not None:
        out["default"] = list(default) if isinstance(default, tuple) else getattr(default, "value", default)
    return out


def object_schema(cls: type, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The schema of one spec dataclass: its fields and their aliases, nothing else."""
    properties: dict[str, Any] = dict(extra or {})
    required: list[dict[str, Any]] = []
    exclusive: list[dict[str, Any]] = []
    for name, f in fields_of(cls).items():
        value = _value_schema(cls, f)
        properties[name] = value
        aliases = tuple(f.metadata.get("aliases", ()))
        layer_type = getattr(cls, "TYPE", None)
        if name == "class" and layer_type is not None and layer_type.value in ("lstm", "gru", "simple_rnn"):
            value = {**value, "description": value["description"] + " " + _classes_text(cls)}
            properties[name] = value
        for alias in aliases:
            users = _users_of(alias)
            said = f"Alias of {name}" + (f", as {users} name it" if users else "")
            properties[alias] = {**value, "description": f"{said}. {value['description']}"}
        spellings = [name, *aliases]
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append({"anyOf": [{"required": [s]} for s in spellings]} if aliases else {"required": [name]})
        for i, a in enumerate(spellings):
            for b in spellings[i + 1 :]:
                exclusive.append({"not": {"required": [a, b]}})
    out: dict[str, Any] = {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "properties": properties,
        "additionalProperties": False,
    }
    if extra:
        out["required"] = sorted(extra)
    constraints = required + exclusive
    if constraints:
        out["allOf"] = constraints
    return out


def _users_of(alias: str) -> str:
    """The frameworks whose own argument name ``alias`` is, as a phrase."""
    from lstmcount import frameworks

    names = [fw.display for fw in frameworks.every() if alias in fw.argument_aliases]
    return ", ".join(names)


def _classes_text(cls: type) -> str:
    """Each framework's classes for a recurrent layer type, as a sentence."""
    from lstmcount import frameworks
    from lstmcount.cells import Kind

    kind = Kind(cls.TYPE.value)  # type: ignore[attr-defined]
    parts = [f"{fw.id}: {', '.join(fw.class_names(kind))}" for fw in frameworks.every() if fw.class_names(kind)]
    return "Classes: " + "; ".join(parts) + "."


def _layer_schema(layer_type: LayerType) -> dict[str, Any]:
    spellings = [layer_type.value] + [alias for alias, t in TYPE_ALIASES.items() if t is layer_type]
    type_field = {
        **_choice(spellings, strip=True),
        "description": "Layer type" + (f" (also {', '.join(spellings[1:])})" if spellings[1:] else "") + ".",
    }
    cls = LAYER_CLASSES[layer_type]
    schema = object_schema(cls, {"type": type_field})
    schema["title"] = layer_type.value
    if "merge_mode" in fields_of(cls):  # how two directions combine needs two directions
        schema["dependentSchemas"] = {
            "merge_mode": {"required": ["bidirectional"], "properties": {"bidirectional": {"const": True}}}
        }
    return schema


def spec_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a spec file."""
    from lstmcount import frameworks

    model_fields = {f.name for f in dataclasses.fields(ModelSpec)}
    if model_fields != set(TOP_LEVEL_DOCS):  # pragma: no cover - guarded by a test
        raise RuntimeError(f"TOP_LEVEL_DOCS does not match ModelSpec fields: {sorted(model_fields)}")
    layer_types = [t.value for t in LayerType] + list(TYPE_ALIASES)
    input_schema = object_schema(InputSpec)
    expect_schema = object_schema(ExpectSpec)
    properties: dict[str, Any] = {
        SCHEMA_KEY: {"type": "string", "description": "The schema of this file, for editors (ignored by lstmcount)."},
        "framework": {
            **_choice(sorted(frameworks.spellings())),
            "default": DEFAULT_FRAMEWORK,
            "description": TOP_LEVEL_DOCS["framework"]
            + ": "
            + ", ".join(f"{fw.id} ({fw.display})" for fw in frameworks.every())
            + "; other spellings accepted.",
        },
        "name": {"type": ["string", "null"], "pattern": r"\S", "description": TOP_LEVEL_DOCS["name"]},
        "description": {"type": ["string", "null"], "description": TOP_LEVEL_DOCS["description"]},
        "input": {
            "anyOf": [input_schema, {"type": "null"}],
            "description": TOP_LEVEL_DOCS["input"],
        },
        "inputs": {
            "type": "object",
            "additionalProperties": input_schema,
            "propertyNames": {"not": {"const": "input"}},
            "description": TOP_LEVEL_DOCS["inputs"],
        },
        "layers": {
            "type": "array",
            "minItems": 1,
            "description": TOP_LEVEL_DOCS["layers"],
            "items": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": _choice(layer_types, strip=True)},
                "oneOf": [_layer_schema(t) for t in LayerType],
            },
        },
        "expect": {
            "anyOf": [expect_schema, {"type": "null"}],
            "description": TOP_LEVEL_DOCS["expect"],
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "lstmcount model spec",
        "description": (
            "A recurrent model for lstmcount: framework, input and layers, with optional expected "
            f"counts. Sizes are integers from 1 to {MAX_DIM:,}."
        ),
        "type": "object",
        "required": ["layers"],
        "additionalProperties": False,
        "properties": properties,
    }


def schema_text() -> str:
    """The schema as the ``lstmcount schema`` command prints it."""
    return json.dumps(spec_schema(), indent=2) + "\n"

"""The JSON Schema: well formed, generated from the field declarations, and in agreement with the loader.

Agreement is checked both ways on random specs (hypothesis) and on the malformed-spec catalogue.
The one deliberate difference from plain JSON Schema: JSON Schema calls ``3.0`` an integer and
the loader does not, so the validator here uses a strict integer type.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, validators

from lstmcount.cli import run
from lstmcount.errors import SpecError
from lstmcount.io.loader import load_document
from lstmcount.model.schema import TOP_LEVEL_DOCS, schema_text, spec_schema
from lstmcount.model.spec import LAYER_CLASSES, MAX_DIM, ExpectSpec, InputSpec, ModelSpec, field_key, spec_from_dict

ROOT = Path(__file__).parent.parent
CATALOGUE = Path(__file__).parent / "catalogue"


def _strict_int(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


StrictValidator = validators.extend(
    Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_int)
)
SCHEMA = spec_schema()
VALIDATOR = StrictValidator(SCHEMA)


def loader_accepts(data: Any) -> bool:
    """Whether the spec validation (not the counter) accepts ``data``."""
    try:
        spec_from_dict(data)
    except SpecError:
        return False
    return True


def test_schema_is_valid_draft_2020_12() -> None:
    """The generated schema is itself a valid JSON Schema."""
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """``lstmcount schema`` prints the same document as JSON."""
    assert run(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == schema_text()
    assert json.loads(out) == SCHEMA


def test_every_declared_field_is_described() -> None:
    """Each dataclass field (and alias) appears with its declared description, range and default."""
    layer_branches = {b["title"]: b for b in SCHEMA["properties"]["layers"]["items"]["oneOf"]}
    assert set(layer_branches) == {t.value for t in LAYER_CLASSES}
    owners: list[tuple[type, dict[str, Any]]] = [(cls, layer_branches[t.value]) for t, cls in LAYER_CLASSES.items()]
    owners.append((InputSpec, SCHEMA["properties"]["input"]["anyOf"][0]))
    owners.append((ExpectSpec, SCHEMA["properties"]["expect"]["anyOf"][0]))
    for cls, branch in owners:
        props = branch["properties"]
        for f in dataclasses.fields(cls):
            key = field_key(f)
            assert props[key]["description"].startswith(f.metadata["doc"]), (cls, key)
            for alias in f.metadata["aliases"]:
                assert re.match(rf"Alias of {key}[.,]", props[alias]["description"]), (cls, alias)
            if f.metadata["minimum"] is not None:
                assert props[key].get("minimum") == f.metadata["minimum"], (cls, key)
        assert branch["additionalProperties"] is False
    units = layer_branches["lstm"]["properties"]["units"]
    assert units["type"] == "integer" and units["minimum"] == 1 and units["maximum"] == MAX_DIM
    assert layer_branches["dropout"]["properties"]["rate"]["exclusiveMaximum"] == 1
    assert (
        set(SCHEMA["properties"]) - {"$schema"}
        == set(TOP_LEVEL_DOCS)
        == {f.name for f in dataclasses.fields(ModelSpec)}
    )


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name)
def test_examples_validate(example: Path) -> None:
    """Every shipped example is valid under the schema."""
    data = load_document(example).data
    assert VALIDATOR.is_valid(data), [e.message for e in VALIDATOR.iter_errors(data)]


def test_readme_spec_snippet_validates() -> None:
    """The spec shown in the README's format section is valid under the schema and the loader."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(# yaml-language-server.*?)```", readme, re.S)
    assert block is not None
    from lstmcount.io.loader import parse_text

    data = parse_text(block.group(1), "README.md").data
    assert VALIDATOR.is_valid(data) and loader_accepts(data)


def _catalogue_data() -> list[tuple[str, Any]]:
    out = []
    for path in sorted(CATALOGUE.iterdir()):
        if path.suffix == ".expected":
            continue
        try:
            out.append((path.name, load_document(path).data))
        except SpecError:
            continue  # not parseable: nothing for a schema to judge
    return out


@pytest.mark.parametrize(("case", "data"), _catalogue_data(), ids=[c for c, _ in _catalogue_data()])
def test_schema_agrees_with_loader_on_catalogue(case: str, data: Any) -> None:
    """On every parseable catalogue case the schema and the spec validation give the same verdict."""
    if isinstance(data, dict) and isinstance(data.get("layers"), list):
        floats = [v for layer in data["layers"] if isinstance(layer, dict) for v in layer.values()]
        if any(isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))) for v in floats):
            pytest.skip("NaN and infinity are not JSON values")
    assert VALIDATOR.is_valid(data) == loader_accepts(data), case


# --------------------------------------------------------------------------- random agreement

SIZES = st.one_of(st.sampled_from([0, 1, 2, 8, 128, MAX_DIM, MAX_DIM + 1, -1, 1024, 1025]), st.integers(-5, 300))
BAD = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", " ", "x", "128", "lstm"]),
    st.lists(st.integers(0, 3), max_size=2),
)
RATES = st.one_of(st.floats(-0.5, 1.5, allow_nan=False), st.sampled_from([0, 1, 0.0, 0.999]))
ENUM_WORDS = ["concat", "sum", "ave", "mul", "SUM", "tanh", "relu", "ReLU", "valid", "same", "causal", "sigmoid"]
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "units": SIZES,
    "hidden_size": SIZES,
    "input_size": SIZES,
    "dim": SIZES,
    "vocab": SIZES,
    "output_dim": SIZES,
    "filters": SIZES,
    "kernel_size": SIZES,
    "strides": SIZES,
    "num_layers": SIZES,
    "proj_size": SIZES,
    "out_features": SIZES,
    "features": SIZES,
    "timesteps": SIZES,
    "rate": RATES,
    "dropout": RATES,
    "p": RATES,
    "use_bias": st.booleans(),
    "bias": st.booleans(),
    "return_sequences": st.booleans(),
    "bidirectional": st.booleans(),
    "trainable": st.booleans(),
    "center": st.booleans(),
    "scale": st.booleans(),
    "reset_after": st.one_of(st.booleans(), st.none()),
    "merge_mode": st.sampled_from(ENUM_WORDS),
    "nonlinearity": st.sampled_from(ENUM_WORDS),
    "activation": st.sampled_from([*ENUM_WORDS, "", None]),
    "padding": st.sampled_from(ENUM_WORDS),
    "name": st.sampled_from(["enc", "", " ", None]),
}
LAYER_KEYS = sorted({*FIELD_VALUES, "typo", "stride", "embedding_dim"} - {"features", "timesteps"})
TYPES = ["lstm", "gru", "simple_rnn", "rnn", "embedding", "dense", "linear", "dropout", "conv1d",
         "layer_normalization", "layer_norm", "LSTM", " gru ", "lstn", "transformer", 5, None]  # fmt: skip


CLEAN_SIZES = st.integers(1, 300)


def _value(key: str, mess: bool) -> st.SearchStrategy[Any]:
    good = FIELD_VALUES.get(key, st.integers(1, 10))
    if not mess:
        return CLEAN_SIZES if good is SIZES else good
    return st.one_of(good, good, good, BAD)


def _fields_of_type(name: Any) -> list[str]:
    from lstmcount.model.spec import TYPE_ALIASES, LayerType

    key = name.strip().lower() if isinstance(name, str) else None
    kind = TYPE_ALIASES.get(key or "") or (LayerType(key) if key in {t.value for t in LayerType} else None)
    if kind is None:
        return LAYER_KEYS
    fields = dataclasses.fields(LAYER_CLASSES[kind])
    return sorted({f.name for f in fields} | {a for f in fields for a in f.metadata["aliases"]})


@st.composite
def layer_dicts(draw: st.DrawFn, mess: bool) -> dict[str, Any]:
    """A layer mapping: a type and some of its fields; when ``mess``, wrong kinds and strangers too."""
    layer: dict[str, Any] = {}
    if not mess or draw(st.integers(0, 20)):
        layer["type"] = draw(st.sampled_from(TYPES if mess else TYPES[:12]))
    own = _fields_of_type(layer.get("type"))
    for required in ("units", "dim", "rate", "filters", "kernel_size"):
        if required in own and (not mess or draw(st.integers(0, 6))):
            layer[required] = draw(_value(required, mess))
    canonical = {k for k in own if k in ("units", "dim", "rate", "filters", "kernel_size")}
    optional = [k for k in own if mess or k not in FIELD_VALUES or not _aliases_clash(k, canonical)]
    for key in draw(st.lists(st.sampled_from(optional), max_size=3, unique=True)):
        if mess or not _aliases_clash(key, set(layer)):
            layer[key] = draw(_value(key, mess))
    if mess and draw(st.integers(0, 6)) == 0:
        key = draw(st.sampled_from(LAYER_KEYS))
        layer[key] = draw(_value(key, mess))
    return layer


ALIAS_GROUPS = [{"units", "hidden_size", "out_features"}, {"dim", "output_dim", "embedding_dim"},
                {"rate", "p"}, {"filters", "out_channels"}, {"strides", "stride"}, {"use_bias", "bias"},
                {"vocab", "input_dim", "num_embeddings"}, {"nonlinearity", "activation"}]  # fmt: skip


def _aliases_clash(key: str, present: set[str]) -> bool:
    return key in present or any(key in group and group & present for group in ALIAS_GROUPS)


@st.composite
def spec_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A whole spec mapping: half of them clean (mostly valid), half messy (mostly invalid)."""
    mess = draw(st.booleans())
    data: dict[str, Any] = {}
    if draw(st.booleans()):
        frameworks = ["keras", "pytorch", "PyTorch", "tensorflow", None, 1]
        data["framework"] = draw(st.sampled_from(frameworks if mess else frameworks[:3]))
    if draw(st.booleans()):
        names = ["features", "timesteps", "vocab", "input_size", "feature"]
        keys = draw(st.lists(st.sampled_from(names if mess else names[:3]), max_size=2, unique=True))
        data["input"] = {k: draw(_value(k, mess)) for k in keys}
    if not mess or draw(st.integers(0, 10)):
        data["layers"] = draw(st.lists(layer_dicts(mess), min_size=0 if mess else 1, max_size=3))
    if draw(st.integers(0, 3)) == 0:
        sizes = SIZES if mess else CLEAN_SIZES
        data["expect"] = draw(st.one_of(
            st.none(), *([st.integers(0, 5)] if mess else []),
            st.fixed_dictionaries({}, optional={"total": st.one_of(sizes, BAD) if mess else sizes, "trainable": sizes,
                                                "layers": st.dictionaries(st.sampled_from(["lstm", "x"]),
                                                                          sizes, max_size=2)}),
        ))  # fmt: skip
    if draw(st.integers(0, 5)) == 0:
        key = draw(st.sampled_from(["name", "description", "layer", "extra"] if mess else ["name", "description"]))
        data[key] = draw(st.one_of(st.sampled_from(["m", "", " "]), BAD) if mess else st.just("m"))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_dicts())
def test_schema_agrees_with_loader_on_random_specs(data: dict[str, Any]) -> None:
    """For random near-valid specs the schema accepts exactly what the spec validation accepts."""
    assert VALIDATOR.is_valid(data) == loader_accepts(data), [e.message for e in VALIDATOR.iter_errors(data)]


def test_random_strategy_reaches_both_verdicts() -> None:
    """The generator yields specs the loader accepts as well as ones it refuses (else agreement is hollow)."""
    valid = find(spec_dicts(), lambda d: loader_accepts(d) and len(d.get("layers", [])) >= 2,
                 settings=settings(max_examples=500, database=None, phases=[Phase.generate]))  # fmt: skip
    assert VALIDATOR.is_valid(valid)
    find(spec_dicts(), lambda d: not loader_accepts(d), settings=settings(database=None, phases=[Phase.generate]))


def test_case_aliases_and_whole_floats() -> None:
    """Both accept any letter case and aliases, refuse a field given twice, and refuse 4.0 for an integer."""
    layer = {"type": " LSTM ", "hidden_size": 4, "bidirectional": True, "merge_mode": "SUM"}
    valid = {"input": {"features": 8}, "layers": [layer]}
    assert VALIDATOR.is_valid(valid) and loader_accepts(valid)
    both = {"input": {"features": 8}, "layers": [{"type": "lstm", "units": 4, "hidden_size": 4}]}
    assert not VALIDATOR.is_valid(both) and not loader_accepts(both)
    whole_float = {"input": {"features": 8}, "layers": [{"type": "lstm", "units": 4.0}]}
    assert not VALIDATOR.is_valid(whole_float) and not loader_accepts(whole_float)

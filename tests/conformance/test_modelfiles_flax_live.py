"""Flax models saved there and then with flax.serialization.to_bytes, inspected as the recorded ones are."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import need
from modelfiles import compare

from lstmcount.importers import inspect, read

FLAX_CASES = [
    "nnx_lstm_100_128",
    "nnx_gru_100_128",
    "nnx_stacked",
    "nnx_bidirectional",
    "nnx_tagger",
    "nnx_conv_recurrent",
    "nnx_mixed",
    "linen_lstm_100_128",
    "linen_gru_100_128",
    "linen_tagger",
    "linen_conv_recurrent",
    "linen_setup",
]


#: the 128-unit layers on 100 features: Flax's count, and the last gate's share of it
ONE_LAYER = {
    "nnx_lstm_100_128": (117_248, 29_312),
    "nnx_gru_100_128": (87_936, 29_312),
    "linen_lstm_100_128": (117_248, 29_312),
    "linen_gru_100_128": (88_064, 29_440),  # the candidate gate's second bias, b_hn
}


@pytest.mark.parametrize("case", FLAX_CASES)
def test_flax_files(case: str, tmp_path: Path) -> None:
    """Each Flax case saved in every form of its API is read as Flax says (a lone layer with its per-gate table)."""
    need("flax")
    from facts import models_flax

    facts = models_flax.save(case, tmp_path)
    assert facts["files"]
    for name, form in facts["files"].items():
        found = inspect(tmp_path / name)
        assert compare(found, facts, form) == [], name
        if case in ONE_LAYER:
            total, gate = ONE_LAYER[case]
            (layer,) = found.report.layers
            assert (facts["total"], found.report.total, found.file_total) == (total, total, total)
            assert [g.params for g in layer.gates][-1] == gate


def test_the_cases_are_the_recorders() -> None:
    """The live grid runs every case the recorder has."""
    need("flax")
    from facts import models_flax

    assert list(models_flax.CASES) == FLAX_CASES


@pytest.mark.parametrize("case", ["nnx_conv_recurrent", "linen_setup"])
def test_a_case_saves_as_its_initialised_model_does(case: str, tmp_path: Path) -> None:
    """The cases are built abstractly (zeros for weights): their files have a real model's names, shapes and order."""
    need("flax")
    import jax
    import jax.numpy as jnp
    from facts import models_flax
    from flax import nnx, serialization

    api, build, init = models_flax.CASES[case]
    if api == "nnx":
        model = build()
        trees = {
            "nnx_params": nnx.to_pure_dict(nnx.state(model, nnx.Param)),
            "nnx_state": nnx.to_pure_dict(nnx.state(model, nnx.Not(nnx.RngState))),
        }
    else:
        assert init is not None
        variables = build().init(jax.random.key(0), jnp.ones(*init))
        trees = {"linen_variables": variables, "linen_params": variables["params"]}
    facts = models_flax.save(case, tmp_path)
    for name, form in facts["files"].items():
        real = tmp_path / f"real.{name}"
        real.write_bytes(serialization.to_bytes(trees[form]))
        assert real.stat().st_size == (tmp_path / name).stat().st_size
        assert read(real).tensors == read(tmp_path / name).tensors

"""Keras 2 (tf-keras) models saved there and then, inspected by lstmcount as the recorded ones are."""

from __future__ import annotations

from math import prod
from pathlib import Path

import pytest
from conftest import need
from modelfiles import compare, inspect_file

from lstmcount.importers import ModelFileError, inspect
from lstmcount.importers.keras import read_config

KERAS2_CASES = [
    "lstm_100_128",
    "gru_reset_after",
    "gru_reset_before",
    "simple_rnn",
    "bidirectional_concat",
    "bidirectional_sum",
    "stacked",
    "no_bias",
    "embedding_lstm",
    "time_distributed",
    "attention",
    "multi_head_attention",
    "batch_norm",
    "pooling_flatten",
    "repeat_vector",
    "shape_layers",
    "merges",
    "two_inputs",
    "shared_layer",
    "nested",
    "conv_lstm",
    "conv_lstm_1d",
    "conv_lstm_2d",
    "custom_layer",
]


@pytest.fixture(scope="module")
def models_keras2():  # type: ignore[no-untyped-def]
    need("tf_keras")
    need("h5py")
    from facts import models_keras2

    return models_keras2


@pytest.mark.parametrize("case", KERAS2_CASES)
def test_keras2_files(case: str, tmp_path: Path, models_keras2) -> None:  # type: ignore[no-untyped-def]
    """Each tf-keras case saved in every form tf-keras writes is read as tf-keras says."""
    facts = models_keras2.save(case, tmp_path, forms=models_keras2.FORMS_OF.get(case, models_keras2.FORMS))
    for name, form in facts["files"].items():
        assert compare(inspect_file(tmp_path, facts, name), facts, form) == [], name
        assert inspect_file(tmp_path, facts, name).framework == "keras2", name


def test_the_cases_are_the_recorders(models_keras2) -> None:  # type: ignore[no-untyped-def]
    """The live grid runs every case the recorder has."""
    assert list(models_keras2.CASES) == KERAS2_CASES


def test_the_readme_model_is_117377(tmp_path: Path, models_keras2) -> None:  # type: ignore[no-untyped-def]
    """LSTM(128) on 100 features and Dense(1) in tf-keras: 117,377 in every form, the LSTM 117,248."""
    facts = models_keras2.save("lstm_100_128", tmp_path)
    assert facts["total"] == 117_377
    for name in facts["files"]:
        found = inspect_file(tmp_path, facts, name)
        assert found.report.total == 117_377, name
        assert next(x for x in found.report.layers if x.cells).params == 117_248, name


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
def test_a_config_with_a_class_of_the_users_own(tmp_path: Path, models_keras2) -> None:  # type: ignore[no-untyped-def]
    """A tf-keras config with a class lstmcount does not know is refused in one line; its .h5 counts it generically."""
    K = models_keras2.keras()
    from facts import models_keras

    model = models_keras.build(K, "custom_layer")
    path = tmp_path / "custom.to_json"
    path.write_text(model.to_json(), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"'feature_scale' is a .*FeatureScale, .*counts from its weights"):
        inspect(path)
    model.save(tmp_path / "custom.h5")
    found = inspect(tmp_path / "custom.h5")
    layer = next(x for x in found.spec["layers"] if x["name"] == "feature_scale")
    assert layer["type"] == "generic" and layer["class"].endswith("FeatureScale")
    assert next(x for x in found.report.layers if x.name == "feature_scale").params == 2 * 6
    for weights in ("custom_weights.h5", "custom.weights.h5"):  # Keras 2's HDF5 weights, and tf-keras's newer ones
        model.save_weights(tmp_path / weights)
        contents = read_config(path, weights=tmp_path / weights)
        rebuilt = next(x for x in contents.spec["layers"] if x["name"] == "feature_scale")
        assert rebuilt["type"] == "generic" and sum(map(prod, rebuilt["tensors"].values())) == 2 * 6, weights
        assert sum(t.params for t in contents.tensors) == model.count_params(), weights

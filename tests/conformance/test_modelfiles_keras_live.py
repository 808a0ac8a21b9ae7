"""Keras 3 models saved there and then (torch backend), inspected by lstmcount as the recorded ones are."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import need
from modelfiles import compare, inspect_file

from lstmcount.importers import ModelFileError, inspect
from lstmcount.importers.keras import read_config

KERAS_CASES = [
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
#: the frameworks lstmcount never imports to read a model file
FRAMEWORKS = ("keras", "tensorflow", "tf_keras", "torch", "jax", "flax", "onnx", "paddle")


@pytest.fixture(scope="module")
def models_keras():  # type: ignore[no-untyped-def]
    need("torch")
    need("keras")
    need("h5py")
    from facts import models_keras

    return models_keras


@pytest.mark.parametrize("case", KERAS_CASES)
def test_keras_files(case: str, tmp_path: Path, models_keras) -> None:  # type: ignore[no-untyped-def]
    """Each Keras 3 case saved in every form Keras writes is read as Keras says."""
    facts = models_keras.save(case, tmp_path, forms=models_keras.FORMS_OF.get(case, models_keras.FORMS))
    for name, form in facts["files"].items():
        assert compare(inspect_file(tmp_path, facts, name), facts, form) == [], name


def test_the_cases_are_the_recorders(models_keras) -> None:  # type: ignore[no-untyped-def]
    """The live grid runs every case the recorder has."""
    assert list(models_keras.CASES) == KERAS_CASES


def test_the_readme_model_in_every_form(tmp_path: Path, models_keras) -> None:  # type: ignore[no-untyped-def]
    """LSTM(128) on 100 features and Dense(1): 117,248 + 129 = 117,377, with its gate table, in every form."""
    from click.testing import CliRunner

    from lstmcount.cli import main

    facts = models_keras.save("lstm_100_128", tmp_path)
    assert facts["total"] == 117_377
    assert set(facts["files"].values()) == set(models_keras.FORMS)
    for name in facts["files"]:
        config = facts["forms"][facts["files"][name]].get("config")
        args = [str(tmp_path / config), "--weights", str(tmp_path / name)] if config else [str(tmp_path / name)]
        result = CliRunner().invoke(main, ["inspect", *args])
        assert result.exit_code == 0, (name, result.output)
        assert "117,377" in result.output and "117,248 + 129 = 117,377" in result.output, name
        assert "f (forget)" in result.output and "(100, 128)   (128, 128)   (128,)   29,312" in result.output, name


def test_a_config_with_a_class_of_the_users_own(tmp_path: Path, models_keras) -> None:  # type: ignore[no-untyped-def]
    """A to_json() config with a class lstmcount does not know: refused in one line that says what to give."""
    K = models_keras.keras()
    model = models_keras.build(K, "custom_layer")
    path = tmp_path / "custom.to_json"
    path.write_text(model.to_json(), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"'feature_scale' is a FeatureScale, .*counts from its weights"):
        inspect(path)
    model.save(tmp_path / "custom.keras")  # with its weights: a generic layer of the class's own name
    found = inspect(tmp_path / "custom.keras")
    layer = next(x for x in found.spec["layers"] if x["name"] == "feature_scale")
    assert layer["type"] == "generic" and layer["class"] == "FeatureScale"
    assert next(x for x in found.report.layers if x.name == "feature_scale").params == 2 * 6
    model.save_weights(tmp_path / "custom.weights.h5")  # the config read with the weights beside it
    contents = read_config(path, weights=tmp_path / "custom.weights.h5")
    assert [x for x in contents.spec["layers"] if x["name"] == "feature_scale"] == [layer]
    assert sum(t.params for t in contents.tensors) == model.count_params()


def test_no_framework_is_imported_to_read_keras_files(tmp_path: Path, models_keras) -> None:  # type: ignore[no-untyped-def]
    """Reading a .keras archive and a .h5 model imports none of the frameworks, in a fresh interpreter."""
    facts = models_keras.save("bidirectional_concat", tmp_path, forms=("keras", "h5"))
    files = [str(tmp_path / name) for name in facts["files"]]
    code = textwrap.dedent(
        f"""
        import json, sys
        from lstmcount.importers import inspect
        totals = [inspect(f).report.total for f in {files!r}]
        print(json.dumps({{"totals": totals, "loaded": [m for m in {list(FRAMEWORKS)!r} if m in sys.modules]}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out == {"totals": [facts["total"]] * 2, "loaded": []}

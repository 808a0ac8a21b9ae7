"""Counts, names, shapes and forward passes against fixtures recorded from the real frameworks.

Each ``tests/fixtures/recorded/<framework>/<case>.json`` was written by
``tests/facts/record.py`` from the framework itself: the case (cell, sizes, options, class),
the framework's own parameter paths, shapes and trainable flags, its totals, and in the
``.npz`` beside it the weights, an input batch and the framework's outputs and final states.
These tests need no framework installed; ``tests/conformance/`` runs the same comparisons
live against the installed packages.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from recorded import expected_path, per_cell, spec_of, tensors_by_path

import lstmcount
from lstmcount import frameworks
from lstmcount.numeric.forward import forward

RECORDED = Path(__file__).parent / "fixtures" / "recorded"


def _cases() -> list[tuple[str, str]]:
    out = []
    for folder in sorted(RECORDED.iterdir()):
        fid = folder.name.replace("_", "-")
        for path in sorted(folder.glob("*.json")):
            if path.stem != "unsupported":
                out.append((fid, path.stem))
    return out


CASES = _cases()


def load(fid: str, case: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A recorded case's JSON and arrays."""
    folder = RECORDED / fid.replace("-", "_")
    data = json.loads((folder / f"{case}.json").read_text(encoding="utf-8"))
    with np.load(folder / f"{case}.npz") as arrays:
        return data, {k: arrays[k] for k in arrays.files}


@pytest.mark.parametrize(("fid", "case"), CASES, ids=[f"{f}/{c}" for f, c in CASES])
def test_counts_names_and_shapes_are_the_frameworks(fid: str, case: str) -> None:
    """Every recorded parameter has lstmcount's path, shape and trainable flag, and the totals agree."""
    data, _ = load(fid, case)
    spec = spec_of(fid, data["case"])
    if spec is None:
        pytest.skip("the case is built in a way a spec does not describe")
    report = lstmcount.count(spec)
    tensors = tensors_by_path(report, nested=(data["case"].get("options") or {}).get("paths") == "nested")
    recorded = {expected_path(fid, report, p["path"]): p for p in data["parameters"]}
    assert sorted(tensors) == sorted(recorded)
    for path, p in recorded.items():
        assert tensors[path].shape == tuple(p["shape"]), path
        assert tensors[path].trainable == p["trainable"], path
    assert report.total == data["total"]
    assert report.trainable == data["trainable"]


@pytest.mark.parametrize(("fid", "case"), CASES, ids=[f"{f}/{c}" for f, c in CASES])
def test_forward_pass_gives_the_frameworks_outputs(fid: str, case: str) -> None:
    """lstmcount's NumPy pass on the recorded weights gives the framework's outputs and final states."""
    data, arrays = load(fid, case)
    spec = spec_of(fid, data["case"])
    if spec is None:
        pytest.skip("the case is built in a way a spec does not describe")
    if "output" not in arrays:
        pytest.skip("the framework cannot run this layer here (recorded without outputs)")
    report = lstmcount.count(spec)
    fw = frameworks.get(fid)
    weights = {expected_path(fid, report, p["path"]): arrays[p["path"]] for p in data["parameters"]}  # any spelling
    x = arrays["x"]
    result = forward(spec, weights, x, dtype=str(x.dtype) if x.dtype.kind == "f" else None)
    tolerance = 1e-6 if arrays["output"].dtype == np.float64 else 1e-4
    if fid == "mlx":  # MLX's float64 exp (and so sigmoid) is float32-accurate
        tolerance = 1e-6
    np.testing.assert_allclose(result.output, arrays["output"], atol=tolerance, rtol=0)
    finals = per_cell(fw, report, result)
    names = sorted({k.split("_")[1] for k in arrays if k.startswith("final_")}, key=int)
    assert len(finals) == len(names)
    for i, mine in zip(names, finals, strict=True):
        for kind, value in mine.items():
            np.testing.assert_allclose(value, arrays[f"final_{i}_{kind}"], atol=tolerance, rtol=0, err_msg=kind)

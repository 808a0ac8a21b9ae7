"""Every framework beyond Keras 3 and PyTorch, live: what it builds, names and computes, against lstmcount.

For each framework a seeded grid of layers (every class, with and without bias, stacked and
bidirectional, and each option that changes the layer) is built in the installed framework by
``tests/facts/facts_<framework>.py``. For each case:

* the framework builds it exactly when lstmcount counts it (a layer one refuses, the other
  refuses too);
* lstmcount's paths, shapes, trainable flags and totals are the framework's own;
* for most cases, lstmcount's NumPy pass on random weights gives the framework's outputs and
  final states (float64 within 1e-6 where the framework computes in float64, float32 within 1e-4).

These run in CI (``.ci/run`` installs every framework and makes a missing one a failure).
"""

from __future__ import annotations

import importlib
import itertools
import os
import random
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from conftest import need
from recorded import expected_path, per_cell, spec_of, tensors_by_path

import lstmcount
from lstmcount import frameworks
from lstmcount.cells import Kind
from lstmcount.errors import SpecError
from lstmcount.numeric.forward import forward

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # the tf.compat.v1 cells live in tf-keras

#: the packages each framework's facts module needs
PACKAGES = {
    "onnx": ("onnx", "onnxruntime"),
    "flax": ("jax", "flax"),
    "flax-linen": ("jax", "flax"),
    "equinox": ("jax", "equinox"),
    "mlx": ("mlx.core",),
    "paddle": ("paddle",),
    "tf1": ("tensorflow", "tf_keras"),
    "keras2": ("tensorflow", "tf_keras"),
}
SEED = 20261201
#: one case in this many also runs the forward pass (building and running is the slow part)
FORWARD_EVERY = 2
CELLS = {Kind.LSTM: "lstm", Kind.GRU: "gru", Kind.RNN: "rnn"}


def _options(fw: frameworks.Framework, kind: Kind) -> list[dict[str, Any]]:
    """The option settings worth a case for cells of ``kind``: each option any class of the framework has."""
    names = {o for cls in fw.cells.get(kind, ()) for o in cls.options} | {
        o for cls in fw.cells.get(kind, ()) for o in cls.fixed
    }
    out: list[dict[str, Any]] = [{}]
    if kind is Kind.LSTM:
        out += [{"proj_size": 2}, {"peepholes": True}, {"forget_bias": 0.5}, {"peepholes": True, "proj_size": 2}]
    if kind is Kind.GRU:
        out += [{"reset_after": True}, {"reset_after": False}]
    if kind is Kind.RNN:
        out += [{"nonlinearity": "relu"}]
    # a setting the framework has nowhere is still tried once: both sides must refuse it
    return [o for o in out if not o or set(o) <= names] + [o for o in out if o and not set(o) <= names][:1]


def grid(fid: str) -> list[dict[str, Any]]:
    """Seeded cases for one framework: class x bias x arrangement x options, with drawn sizes."""
    fw = frameworks.get(fid)
    rng = random.Random(f"{SEED}-{fid}")
    cases = []
    for kind in (Kind.LSTM, Kind.GRU, Kind.RNN):
        classes: list[str | None] = [None, *fw.class_names(kind)[1:]] if fw.class_names(kind) else [None]
        for cls, bias, (layers, bidirectional), options in itertools.product(
            classes, (True, False), ((1, False), (2, False), (1, True), (2, True)), _options(fw, kind)
        ):
            if (layers, bidirectional) != (1, False) and options and rng.random() < 0.5:
                continue  # every option once per class and bias, and in some of the arrangements
            case = {
                "cell": CELLS[kind],
                "class": cls,
                "input_size": rng.randint(1, 6),
                "hidden_size": rng.randint(3, 6),
                "num_layers": layers,
                "bidirectional": bidirectional,
                "bias": bias,
                "proj_size": 0,
                "peepholes": False,
                "forget_bias": None,
                "reset_after": None,
                "nonlinearity": "tanh",
                "options": {},
            }
            case.update(options)
            cases.append(case)
    return cases


def _ids(fid: str) -> Iterator[str]:
    for n, c in enumerate(grid(fid)):
        extra = "-".join(
            f"{k}={v}"
            for k, v in c.items()
            if k in ("proj_size", "peepholes", "forget_bias", "reset_after", "nonlinearity")
            and v not in (0, False, None, "tanh")
        )
        arrangement = f"L{c['num_layers']}{'bi' if c['bidirectional'] else ''}{'' if c['bias'] else '-nobias'}"
        yield f"{fid}-{n}-{c['cell']}-{c['class'] or 'default'}-{arrangement}" + (f"-{extra}" if extra else "")


CASES = [(fid, case) for fid in PACKAGES for case in grid(fid)]
IDS = [i for fid in PACKAGES for i in _ids(fid)]


def _facts(fid: str) -> ModuleType:
    for package in PACKAGES[fid]:
        need(package)
    return importlib.import_module("facts.facts_" + fid.replace("-", "_"))


def _count(spec: dict[str, Any]) -> lstmcount.Report | str:
    try:
        return lstmcount.count(spec)
    except SpecError as exc:
        return exc.one_line()


@pytest.mark.parametrize(("fid", "case"), CASES, ids=IDS)
def test_framework_and_lstmcount_agree(fid: str, case: dict[str, Any]) -> None:
    """The framework builds the case exactly when lstmcount counts it, with the same tensors and outputs."""
    facts = _facts(fid)
    spec = spec_of(fid, case)
    assert spec is not None
    why_not = facts.supported(case)
    report = _count(spec)
    if why_not is not None or isinstance(report, str):
        ours = report if isinstance(report, str) else f"counts {report.total}"
        assert why_not is not None and isinstance(report, str), f"the framework: {why_not}; lstmcount: {ours}"
        return
    parameters = facts.parameters(case)
    tensors = tensors_by_path(report)
    theirs = {expected_path(fid, report, p["path"]): p for p in parameters}
    assert sorted(tensors) == sorted(theirs)
    for path, p in theirs.items():
        assert tensors[path].shape == tuple(p["shape"]), path
        assert tensors[path].trainable == p["trainable"], path
    assert report.total == sum(int(np.prod(p["shape"])) for p in parameters)
    if CASES.index((fid, case)) % FORWARD_EVERY:
        return
    rng = np.random.default_rng(abs(hash(tuple(sorted(str(v) for v in case.values())))) % 2**32)
    weights = {p["path"]: rng.uniform(-0.8, 0.8, p["shape"]) for p in parameters}
    x = rng.standard_normal((2, 4, case["input_size"]))
    if fid == "onnx":  # onnxruntime computes in float32 only
        weights = {k: v.astype(np.float32) for k, v in weights.items()}
        x = x.astype(np.float32)
    expected = facts.forward(case, weights, x)
    mine = forward(spec, {expected_path(fid, report, k): v for k, v in weights.items()}, x, dtype=str(x.dtype))
    tolerance = 1e-4 if x.dtype == np.float32 else (1e-6 if fid == "mlx" else 1e-9)
    np.testing.assert_allclose(mine.output, np.asarray(expected["output"]), atol=tolerance, rtol=0)
    finals = per_cell(frameworks.get(fid), report, mine)
    assert len(finals) == len(expected["final"])
    for ours, theirs_state in zip(finals, expected["final"], strict=True):
        for kind, value in ours.items():
            np.testing.assert_allclose(value, np.asarray(theirs_state[kind]), atol=tolerance, rtol=0, err_msg=kind)

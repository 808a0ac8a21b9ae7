"""`lstmcount verify`: per-layer shapes and counts, states, weight sharing, weight files, exit codes."""

from __future__ import annotations

import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lstmcount.api import count_dict
from lstmcount.cli import run
from lstmcount.numeric.forward import build, forward
from lstmcount.numeric.verify import parse_size, verify_model
from lstmcount.numeric.weights import write_weights

ROOT = Path(__file__).resolve().parent.parent
SEED_SPEC = {"input": {"features": 100}, "layers": [{"type": "lstm", "units": 128}, {"type": "dense", "units": 1}]}


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `lstmcount verify ARGS` in-process, returning (exit code, stdout, stderr)."""
    code = run(["verify", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def seed_weights(framework: str = "keras") -> dict[str, np.ndarray]:
    """Random weights for the seed model, keyed by tensor path."""
    rng = np.random.default_rng(1)
    report = count_dict({**SEED_SPEC, "framework": framework})
    return {t.path: rng.uniform(-0.1, 0.1, t.shape) for layer in report.layers for t in layer.tensors}


def test_seed_model_passes(capsys: pytest.CaptureFixture[str], golden) -> None:  # type: ignore[no-untyped-def]
    """`verify 100 128 --dense 1`: every layer ✓, 117,377 counted and allocated, exit 0."""
    code, out, err = verify(capsys, "100", "128", "--dense", "1")
    assert code == 0 and err == ""
    assert "lstm   LSTM   (2, 128)        (2, 128)      117,248    117,248  ✓" in out
    assert "117,377    117,377  ✓" in out
    assert "lstm: h (2, 128), c (2, 128) ✓" in out
    assert (
        "lstm: all 6 steps of its cell read the same arrays (3 in all), made once from 3 tensors; the layer has 3"
        in " ".join(out.split())  # a sentence wraps at the width
    )
    assert "✗" not in out
    golden("verify_seed.txt", out)


def test_counted_column_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    """The per-layer Counted column sums to the printed total and to the count command's total."""
    code, out, _ = verify(capsys, "20", "16", "12", "--cell", "gru", "--bidirectional", "--dense", "3", "--dense", "2")
    assert code == 0
    lines = out.splitlines()
    table = lines[lines.index(next(x for x in lines if x.startswith("───"))) + 1 :]
    total_line = next(line for line in table if line.startswith("Total"))
    rows = [line.split() for line in table[: table.index(total_line)]]
    counted = [int(r[-3].replace(",", "")) for r in rows]
    assert sum(counted) == int(total_line.split()[1].replace(",", ""))
    layers = [
        {"type": "gru", "units": 16, "bidirectional": True, "return_sequences": True},
        {"type": "gru", "units": 12, "bidirectional": True},
        {"type": "dense", "units": 3},
        {"type": "dense", "units": 2},
    ]
    spec = {"input": {"features": 20}, "layers": layers}
    assert sum(counted) == count_dict(spec).total


def test_pytorch_states_and_sharing(capsys: pytest.CaptureFixture[str]) -> None:
    """PyTorch stacked bidirectional LSTM with projection: h_n (L·D, B, P), c_n (L·D, B, H); 20 tensors."""
    code, out, _ = verify(
        capsys,
        "10",
        "8",
        "--framework",
        "pytorch",
        "--bidirectional",
        "--num-layers",
        "2",
        "--proj-size",
        "3",
        "--batch",
        "5",
        "--timesteps",
        "4",
    )
    assert code == 0
    assert "lstm: h_n (4, 5, 3), c_n (4, 5, 8) ✓" in out
    sentence = "all 4 steps of each of its 4 cells read the same arrays (16 in all), made once from 20 tensors"
    assert sentence in " ".join(out.split())  # a sentence wraps at the width


def test_huge_model_is_refused_politely(capsys: pytest.CaptureFixture[str]) -> None:
    """`verify 100000 100000` exits 2 with one line naming the estimate and --max-memory, allocating nothing."""
    code, out, err = verify(capsys, "100000", "100000")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert (
        "needs about 1.2 TiB" in err
        and "the weights alone take 298.0 GiB" in err
        and "above --max-memory 2.0 GiB" in err
    )
    code, _, err = verify(capsys, "100", "128", "--batch", "10000", "--max-memory", "10MiB")
    assert code == 2 and "lower --batch or --timesteps" in err


def test_max_memory_sizes() -> None:
    """--max-memory takes bytes with decimal or binary units."""
    assert parse_size("2GiB") == 2 * 1024**3
    assert parse_size("512 MB") == 512 * 10**6
    assert parse_size("1e9") == 10**9
    assert parse_size("4096") == 4096


def test_bad_max_memory_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable --max-memory is a usage error."""
    code, _, err = verify(capsys, "100", "128", "--max-memory", "lots")
    assert code == 2 and "--max-memory" in err


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_weights_file_that_fits(capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str) -> None:
    """A weight file with exactly the model's tensors passes and is used."""
    path = tmp_path / f"w{suffix}"
    write_weights(path, seed_weights())
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 0
    assert "Weights: 5 of 5 tensors match by name, shape and values ✓" in out


def test_weights_file_larger_than_the_limit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A weight file that would not fit under --max-memory is refused before it is read."""
    path = tmp_path / "w.npz"
    write_weights(path, seed_weights())
    code, _, err = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path), "--max-memory", "2.5MiB")
    assert code == 2 and "--weights" in err and "above --max-memory 2.5 MiB" in err


def test_weights_file_with_model_prefix(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Keys under a common 'sequential/' prefix (Keras weight.path) are accepted, and the output says so."""
    path = tmp_path / "w.npz"
    write_weights(path, {f"sequential/{k}": v for k, v in seed_weights().items()})
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 0
    assert "removed the prefix 'sequential/' common to every key" in out


def test_weights_file_that_does_not_fit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Missing, unexpected and transposed tensors are listed with their expected shapes; exit 1."""
    weights = seed_weights()
    del weights["dense/bias"]
    weights["lstm/lstm_cell/kernel"] = weights["lstm/lstm_cell/kernel"].T
    weights["lstm/lstm_cell/bias_hh"] = np.zeros(512)
    path = tmp_path / "w.safetensors"
    write_weights(path, weights)
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1
    assert "missing: dense/bias (expected shape (1,))" in out
    assert "unexpected: lstm/lstm_cell/bias_hh (shape (512,))" in out
    assert "wrong shape: lstm/lstm_cell/kernel: expected (100, 512), received (512, 100)" in out
    assert "no forward pass was run" in out


def test_pytorch_checkpoint_against_keras_layout_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """PyTorch-named weights checked as a Keras model: every tensor is missing or unexpected."""
    path = tmp_path / "w.npz"
    write_weights(path, seed_weights("pytorch"))
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1 and "missing: lstm/lstm_cell/kernel" in out and "unexpected: lstm.weight_ih_l0" in out
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path), "--framework", "pytorch")
    assert code == 0


def test_input_and_save_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--input sets batch and steps; --save-output writes what the Python API returns for the same weights."""
    weights_path, x_path, out_path = tmp_path / "w.npz", tmp_path / "x.npy", tmp_path / "y.npy"
    weights = seed_weights("pytorch")
    write_weights(weights_path, weights)
    x = np.random.default_rng(2).standard_normal((3, 7, 100)).astype(np.float32)
    np.save(x_path, x)
    code, out, _ = verify(
        capsys,
        "100",
        "128",
        "--dense",
        "1",
        "--framework",
        "pytorch",
        "--weights",
        str(weights_path),
        "--input",
        str(x_path),
        "--save-output",
        str(out_path),
    )
    assert code == 0 and "batch 3, 7 steps" in out
    saved = np.load(out_path)
    expected = forward({**SEED_SPEC, "framework": "pytorch"}, weights, x, dtype="float32").output
    assert saved.shape == (3, 1)
    np.testing.assert_allclose(saved, expected, atol=1e-6)


def test_bad_input_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An input of the wrong width, or not a .npy file, exits 2 with one line."""
    np.save(tmp_path / "x.npy", np.zeros((2, 3, 99)))
    code, _, err = verify(capsys, "100", "128", "--input", str(tmp_path / "x.npy"))
    assert code == 2 and "(B, T, 100)" in err
    (tmp_path / "junk.npy").write_text("no")
    code, _, err = verify(capsys, "100", "128", "--input", str(tmp_path / "junk.npy"))
    assert code == 2 and err == "lstmcount: error: --input: junk.npy is a text file, not a NumPy .npy array\n"


def test_spec_file_with_embedding_and_float64(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A YAML spec with an embedding runs on token ids, in float64, with its own timesteps."""
    spec = tmp_path / "m.yaml"
    spec.write_text(
        "input: {vocab: 50, timesteps: 9}\nlayers:\n  - {type: embedding, dim: 8}\n"
        "  - {type: gru, units: 4, reset_after: false}\n  - {type: dense, units: 2, activation: softmax}\n"
    )
    code, out, _ = verify(capsys, str(spec), "--dtype", "float64")
    assert code == 0
    assert "batch 2, 9 steps, float64" in out
    assert "embedding  Embedding  (2, 9, 8)" in out


def test_help_ends_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    """`lstmcount verify --help` documents the options and ends with a real example."""
    assert run(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--weights" in out and "--max-memory" in out and "lstmcount verify 100 128 --dense 1" in out


def test_verify_imports_no_framework() -> None:
    """verify runs on numpy alone: neither torch nor keras is imported."""
    probe = (
        "import sys, runpy\nsys.argv = ['lstmcount', 'verify', '10', '8']\n"
        "try:\n    runpy.run_module('lstmcount', run_name='__main__')\nexcept SystemExit as e:\n    assert not e.code\n"
        "print([m for m in ('torch', 'keras') if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_default_length_fits_the_convolutions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Without timesteps, verify picks the shortest length >= 6 that every valid conv1d accepts."""
    spec = tmp_path / "m.yaml"
    spec.write_text(
        "input: {features: 3}\nlayers:\n  - {type: conv1d, filters: 4, kernel_size: 5, strides: 2}\n"
        "  - {type: conv1d, filters: 4, kernel_size: 4}\n  - {type: lstm, units: 3}\n"
    )
    code, out, _ = verify(capsys, str(spec))
    assert code == 0
    assert "batch 2, 11 steps" in out  # 11 -> 4 -> 1


@pytest.mark.parametrize(
    "spec",
    [
        {
            "input": {"features": 64},
            "layers": [{"type": "lstm", "units": 128, "return_sequences": True}, {"type": "dense", "units": 10}],
        },
        {
            "framework": "pytorch",
            "input": {"features": 32},
            "layers": [{"type": "gru", "units": 64, "num_layers": 2, "bidirectional": True}],
        },
        {
            "framework": "pytorch",
            "input": {"features": 16},
            "layers": [{"type": "lstm", "units": 48, "proj_size": 16, "bidirectional": True, "return_sequences": True}],
        },
        {
            "input": {"vocab": 1000},
            "layers": [
                {"type": "embedding", "dim": 64},
                {"type": "conv1d", "filters": 32, "kernel_size": 3},
                {"type": "lstm", "units": 64, "bidirectional": True, "return_sequences": True},
                {"type": "layer_normalization"},
            ],
        },
    ],
)
def test_memory_estimate_bounds_the_real_peak(spec: dict[str, object]) -> None:
    """What verify allocates (traced by tracemalloc) stays under its estimate, and the estimate within 2.5x."""
    model = build(spec)
    for batch, steps in ((8, 50), (32, 20)):
        for dtype in ("float32", "float64"):
            tracemalloc.start()
            try:
                result = verify_model(model, batch=batch, steps=steps, seed=0, dtype=dtype, max_memory=2**40)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert result.ok
            assert peak <= result.estimate <= 2.5 * peak, (batch, steps, dtype, peak, result.estimate)


@pytest.mark.parametrize("framework", ["keras", "pytorch"])
def test_random_specs_verify_clean(framework: str) -> None:
    """Random specs each framework can build pass verify: every shape, count, state and sharing line holds."""
    import random

    from frameworks import random_spec

    from lstmcount.model.spec import spec_from_dict
    from lstmcount.numeric.verify import default_steps

    rng = random.Random(99)
    for _ in range(30):
        spec = spec_from_dict(random_spec(rng, framework))
        model = build(spec)
        steps = spec.input.timesteps or default_steps(spec)
        result = verify_model(model, batch=3, steps=steps, seed=1, dtype="float64", max_memory=2**31)
        assert result.ok, spec


VERIFY_TOP = {
    "schema_version",
    "framework",
    "batch",
    "timesteps",
    "dtype",
    "weights_source",
    "estimated_bytes",
    "ok",
    "ran",
    "weights",
    "layers",
    "counted",
    "allocated",
    "states",
    "sharing",
}
VERIFY_LAYER = {"name", "class_name", "expected_shape", "shape", "counted", "allocated", "finite", "ok"}
VERIFY_STATE = {"layer", "names", "expected_shapes", "shapes", "ok"}
VERIFY_SHARING = {"layer", "steps", "steps_run", "same_arrays_every_step", "arrays", "tensors_read", "tensors", "ok"}
VERIFY_WEIGHTS = {
    "ok",
    "matched",
    "expected",
    "missing",
    "unexpected",
    "wrong_shape",
    "wrong_values",
    "removed_prefix",
    "added_layer_prefix",
    "hints",
}


def verify_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    """`lstmcount verify ARGS --format json`: exit code and the parsed document (nothing on stderr)."""
    import json

    code, out, err = verify(capsys, *args, "--format", "json")
    assert err == ""
    doc: dict[str, object] = json.loads(out)
    return code, doc


@pytest.mark.parametrize(
    ("args", "framework"),
    [
        (("100", "128", "--dense", "1"), "keras"),
        (("10", "8", "--cell", "gru", "--bidirectional", "--framework", "pytorch", "--num-layers", "2"), "pytorch"),
        (("6", "5", "--proj-size", "3", "--framework", "pytorch", "--timesteps", "4", "--batch", "3"), "pytorch"),
        (("7", "4", "--return-sequences", "--dense", "2"), "keras"),  # the time axis is None in the count
    ],
)
def test_json_document_keys_and_values(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], framework: str
) -> None:
    """Keys are pinned (schema_version 1); counts equal count's JSON; states and sharing name the report's tensors."""
    import json

    code, doc = verify_json(capsys, *args)
    assert code == 0 and set(doc) == VERIFY_TOP
    assert doc["schema_version"] == 1 and doc["ok"] is True and doc["ran"] is True and doc["weights"] is None
    assert doc["framework"] == framework and doc["dtype"] == "float32"
    assert run([*args, "--format", "json"]) == 0
    counted = json.loads(capsys.readouterr().out)
    assert doc["counted"] == doc["allocated"] == counted["total"]
    layers = doc["layers"]
    assert isinstance(layers, list)
    assert [layer["name"] for layer in layers] == [layer["name"] for layer in counted["layers"]]
    for mine, theirs in zip(layers, counted["layers"], strict=True):
        assert set(mine) == VERIFY_LAYER and mine["ok"] is True
        assert mine["counted"] == mine["allocated"] == theirs["params"]
        rest = [doc["timesteps"] if n is None else n for n in theirs["output_shape"][1:]]
        assert mine["shape"] == mine["expected_shape"] == [doc["batch"], *rest]
    recurrent = {layer["name"]: layer for layer in counted["layers"] if "gates" in layer}
    states, sharing = doc["states"], doc["sharing"]
    assert isinstance(states, list) and isinstance(sharing, list)
    assert [s["layer"] for s in states] == [s["layer"] for s in sharing] == list(recurrent)
    for state in states:
        assert set(state) == VERIFY_STATE and state["ok"] is True and state["shapes"] == state["expected_shapes"]
    for share in sharing:
        assert set(share) == VERIFY_SHARING and share["ok"] is True and share["same_arrays_every_step"] is True
        paths = sorted(t["path"] for t in recurrent[share["layer"]]["tensors"])
        assert share["tensors"] == share["tensors_read"] == paths
        assert set(share["steps_run"]) == {doc["timesteps"]}


def test_json_document_for_weights_that_do_not_fit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A weight file that does not fit: exit 1, every problem listed with its shapes, no pass run."""
    weights = seed_weights()
    weights["lstm/lstm_cell/bias"] = np.zeros(3)
    del weights["dense/kernel"]
    weights["stray"] = np.zeros((2, 2))
    path = tmp_path / "w.npz"
    write_weights(path, weights)
    code, doc = verify_json(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1 and doc["ok"] is False and doc["ran"] is False
    assert doc["layers"] == doc["states"] == doc["sharing"] == []
    check = doc["weights"]
    assert isinstance(check, dict) and set(check) == VERIFY_WEIGHTS
    assert check["ok"] is False and check["expected"] == 5 and check["matched"] == 3
    assert check["missing"] == [{"path": "dense/kernel", "expected_shape": [128, 1]}]
    assert check["unexpected"] == [{"key": "stray", "shape": [2, 2]}]
    assert check["wrong_shape"] == [{"path": "lstm/lstm_cell/bias", "expected_shape": [512], "shape": [3]}]
    assert doc["weights_source"] == str(path)


def test_json_bad_input_is_still_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input with --format json: exit 2 and one line on stderr, nothing on stdout."""
    code, out, err = verify(capsys, "100", "128", "--format", "json", "--max-memory", "1KiB")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda a: a.astype(np.complex128), "complex128 values, not floating point"),
        (lambda a: a > 0, "bool values, not floating point"),
        (lambda a: (a * 100).astype(np.int64), "int64 values, not floating point"),
        (lambda a: np.where(a > 0.09, np.nan, a), r"[\d,]+ NaN of 51,200 values"),
        (lambda a: np.where(a > 0.09, np.inf, a), r"[\d,]+ infinite of 51,200 values"),
    ],
    ids=["complex", "bool", "int", "nan", "inf"],
)
def test_weights_that_cannot_be_weights_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: object, problem: str
) -> None:
    """Complex, boolean, integer, NaN or infinite weights fail (exit 1) naming the tensor, and nothing runs."""
    weights = seed_weights()
    weights["lstm/lstm_cell/kernel"] = change(weights["lstm/lstm_cell/kernel"])  # type: ignore[operator]
    path = tmp_path / "w.npz"
    np.savez(path, **weights)  # type: ignore[arg-type]
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1
    assert re.search(f"wrong values: lstm/lstm_cell/kernel: {problem}", out), out
    assert "no forward pass was run" in out and "All shapes and counts match" not in out


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.full((2, 3, 100), np.nan), "has 600 NaN of 600 values"),
        (np.full((2, 3, 100), np.inf), "has 600 infinite of 600 values"),
        (np.zeros((2, 3, 100), np.complex64), "has complex64 values, not floating point"),
        (np.zeros((2, 3, 100), bool), "has bool values, not floating point"),
        (np.zeros((2, 3, 100), np.int32), "int32 values for a model that takes features"),
    ],
    ids=["nan", "inf", "complex", "bool", "int"],
)
def test_inputs_that_cannot_be_features_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, array: np.ndarray, message: str
) -> None:
    """--input with NaN, infinite, complex, boolean or integer features is one line, exit 2."""
    np.save(tmp_path / "x.npy", array)
    code, out, err = verify(capsys, "100", "128", "--input", str(tmp_path / "x.npy"))
    assert code == 2 and out == ""
    assert err.startswith("lstmcount: error: --input: ") and message in err and err.count("\n") == 1


def test_save_output_writes_the_path_given_or_refuses_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--save-output writes exactly FILE.npy; a directory, another suffix or a missing directory is one line."""
    target = tmp_path / "out.npy"
    assert verify(capsys, "10", "4", "--save-output", str(target))[0] == 0
    assert np.load(target).shape == (2, 4) and sorted(p.name for p in tmp_path.iterdir()) == ["out.npy"]
    for bad, message in (
        (str(tmp_path), "is a directory; name a .npy file in it"),
        (str(tmp_path / "o.txt"), "the file name must end in .npy"),
        ("/nonexistent/dir/o.npy", "no such directory '/nonexistent/dir'"),
    ):
        code, out, err = verify(capsys, "10", "4", "--save-output", bad)
        assert code == 2 and out == "" and message in err and err.count("\n") == 1, bad
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.npy"]


def test_input_of_another_length_says_how_to_run_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An input of 11 steps for a model of 200 says to give --timesteps 11."""
    np.save(tmp_path / "x.npy", np.zeros((2, 11, 10), np.float32))
    code, _, err = verify(capsys, "10", "4", "--timesteps", "200", "--input", str(tmp_path / "x.npy"))
    assert code == 2 and "has 11 steps, the model takes 200" in err and "give --timesteps 11" in err


def test_weights_of_the_other_framework_suggest_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """PyTorch-named weights checked in Keras's layout fail with the hint to use --framework pytorch."""
    path = tmp_path / "w.safetensors"
    write_weights(path, seed_weights("pytorch"))
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1
    assert "hint: these are PyTorch tensor names: use --framework pytorch" in out


def test_weights_from_a_notebook_session_suggest_names(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Weights saved under automatic names that counted up (lstm_1, dense_2) suggest naming the layers so."""
    renamed = {k.replace("lstm/", "lstm_1/", 1).replace("dense/", "dense_2/", 1): v for k, v in seed_weights().items()}
    path = tmp_path / "w.npz"
    np.savez(path, **renamed)  # type: ignore[arg-type]
    code, out, _ = verify(capsys, "100", "128", "--dense", "1", "--weights", str(path))
    assert code == 1
    assert "hint: the file names its layers otherwise ('lstm' is 'lstm_1', 'dense' is 'dense_2';" in out

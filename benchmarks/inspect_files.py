"""Benchmark: ``lstmcount inspect`` on a 1 GiB checkpoint, against each framework's own way of listing its tensors.

Generates one recurrent language model of about ``--size-gib`` GiB of float32 values, an
Embedding(V, 1024), a 4-layer LSTM(1024 → 2048) and a Linear(2048 → V) head (V chosen so that
the total comes to the size asked for; smaller sizes shrink the widths too), and saves it as:

- ``.pt``: ``torch.save`` of the state dict (the zip format);
- ``.safetensors``: ``safetensors.torch.save_file`` of the same state dict;
- ``.onnx``: a graph built with ``onnx.helper``: Gather for the embedding, one LSTM node per layer
  (W, R and B initializers in ONNX's layout), MatMul and Add for the head, weights inline as
  ``raw_data`` (so the file must stay under protobuf's 2 GB);
- ``.keras``: a ``keras.Sequential`` of Embedding, LSTM and Dense layers, ``model.save``.

The PyTorch and ONNX weights are zeros, which neither format compresses. The Keras model keeps
its default initializers and so its random weights: ``load_model`` runs the initializers named in
the archive's config before it reads the weights, and a real model names those.

Then, in one session and round-robin (so that a busy machine slows every command alike), each
command runs ``--repeats`` times in a fresh interpreter and its medians are taken:

- ``python -m lstmcount inspect FILE --format json``: the whole process;
- ``lstmcount.importers.inspect(FILE)`` in a process that has imported lstmcount first: the call alone;
- the framework's own listing of the same tensors' names and shapes, timed both as a whole process and
  as the call after the framework's import: ``torch.load(weights_only=True)`` (and with
  ``mmap=True``), ``safetensors.safe_open(FILE, "np")`` keys and ``get_slice(k).get_shape()``,
  ``onnx.load`` and the initializers, ``keras.saving.load_model`` and ``model.weights``.

Peak memory is each process's ``ru_maxrss`` from ``os.wait4``. A child's figure starts at the
high-water mark of the process that spawned it, so the commands are spawned by a small launcher
process that imports next to nothing (``python -c pass`` is reported as the floor), and each
format is generated in a process of its own. The warm-up run of each command writes its
bytecode and brings the files into the page cache, so every timed run reads them from memory.

Goals, for each format: ``lstmcount inspect`` under 0.5 s and under 100 MiB, and no slower than
``safetensors.safe_open`` listing the keys and shapes of the same model's .safetensors file. A
format lstmcount cannot read yet is reported as such.

    python benchmarks/inspect_files.py                           # 1 GiB, all four formats, 3 runs each
    python benchmarks/inspect_files.py --formats pt,safetensors --repeats 5
    python benchmarks/inspect_files.py --dir /data/ckpt --keep   # keep the files; a later run reuses them
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("pt", "safetensors", "onnx", "keras")
LAYERS = 4
GOAL_SECONDS = 0.5
GOAL_MIB = 100.0
ONNX_LIMIT = 2**31 - 2**24  # protobuf's 2 GB, less room for the graph around the weights

#: A child that times one listing: ``{setup}`` (the imports) runs before the clock starts, ``{listing}``
#: is timed and ``{count}`` then sets ``count`` and ``params`` (and may time more, into ``extra``);
#: it prints one JSON line.
CHILD = """\
import json, math, sys, time
{setup}
path = sys.argv[1]
extra = {{}}
try:
    start = time.perf_counter()
{listing}
    elapsed = time.perf_counter() - start
{count}
except Exception as exc:
    print(json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}))
    sys.exit(2)
print(json.dumps({{"call": elapsed, "tensors": count, "params": params, **extra}}))
"""

#: What a framework's listing leaves, ``tensors`` as (name, shape) pairs, counted.
COUNTED = """\
    count, params = len(tensors), sum(math.prod(shape) for _, shape in tensors)"""

#: lstmcount's call, timed first as a user's one call (its lazy imports included), then again, and
#: then :func:`lstmcount.importers.read` alone: the names, shapes and dtypes, without the rebuilt model.
LSTMCOUNT_CALL = (
    "import lstmcount.importers as importers",
    "    found = importers.inspect(path)",
    """\
    count, params = found.tensors, found.file_total
    for name, fn in (("again", importers.inspect), ("read", importers.read)):
        start = time.perf_counter()
        fn(path)
        extra[name] = time.perf_counter() - start""",
)

#: format -> [(what the reference does, its imports, its listing)]
REFERENCES: dict[str, list[tuple[str, str, str]]] = {
    "pt": [
        (
            "torch.load(weights_only=True)",
            "import torch",
            """\
    state = torch.load(path, weights_only=True)
    tensors = [(k, tuple(v.shape)) for k, v in state.items()]""",
        ),
        (
            "torch.load(weights_only=True, mmap=True)",
            "import torch",
            """\
    state = torch.load(path, weights_only=True, mmap=True)
    tensors = [(k, tuple(v.shape)) for k, v in state.items()]""",
        ),
    ],
    "safetensors": [
        (
            "safetensors.safe_open",
            "import numpy\nfrom safetensors import safe_open",
            """\
    with safe_open(path, "np") as f:
        tensors = [(k, tuple(f.get_slice(k).get_shape())) for k in f.keys()]""",
        ),
    ],
    "onnx": [
        (
            "onnx.load",
            "import onnx",
            """\
    model = onnx.load(path)
    tensors = [(t.name, tuple(t.dims)) for t in model.graph.initializer]""",
        ),
    ],
    "keras": [
        (
            "keras.saving.load_model",
            "import keras",
            """\
    model = keras.saving.load_model(path)
    tensors = [(w.path, tuple(w.shape)) for w in model.weights]""",
        ),
    ],
}


@dataclass(frozen=True)
class Dims:
    """The generated model's sizes: vocabulary, embedding width, hidden size."""

    vocab: int
    embed: int
    hidden: int

    @classmethod
    def for_size(cls, size_gib: float) -> Dims:
        """Widths 1024 and 2048 at 1 GiB (scaled by the square root of the size), the vocabulary filling the rest."""
        scale = math.sqrt(size_gib)
        hidden = max(8, round(2048 * scale / 8) * 8)
        embed = max(8, round(1024 * scale / 8) * 8)
        lstm = 4 * hidden * (embed + hidden) + 8 * hidden + (LAYERS - 1) * (4 * hidden * 2 * hidden + 8 * hidden)
        budget = int(size_gib * 2**30 / 4)
        vocab = max(16, (budget - lstm) // (embed + hidden + 1))
        return cls(vocab, embed, hidden)

    def values(self) -> int:
        """Float32 values in PyTorch's layout (two bias vectors per LSTM layer)."""
        V, E, H = self.vocab, self.embed, self.hidden
        lstm = 4 * H * (E + H) + 8 * H + (LAYERS - 1) * (4 * H * 2 * H + 8 * H)
        return V * E + lstm + H * V + V

    def describe(self) -> str:
        """The model in one line."""
        V, E, H = self.vocab, self.embed, self.hidden
        return f"Embedding({V:,}, {E}) + LSTM({E} → {H}, {LAYERS} layers) + Linear({H} → {V:,})"


# ---------------------------------------------------------------- generating (each in a process of its own)


def generate_torch(dims: Dims, pt: Path, st: Path) -> None:
    """The state dict of an nn.Module, zeros, as .pt (torch.save) and .safetensors."""
    import torch
    from safetensors.torch import save_file

    class LanguageModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(dims.vocab, dims.embed)
            self.lstm = torch.nn.LSTM(dims.embed, dims.hidden, num_layers=LAYERS, batch_first=True)
            self.head = torch.nn.Linear(dims.hidden, dims.vocab)

    with torch.device("meta"):
        model = LanguageModel()
    model = model.to_empty(device="cpu")
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    state = model.state_dict()
    torch.save(state, pt)
    save_file(state, st)


def generate_onnx(dims: Dims, path: Path) -> None:
    """The same model as an ONNX graph: Gather, one LSTM node per layer, MatMul + Add; weights inline."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    V, E, H = dims.vocab, dims.embed, dims.hidden

    def zeros(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array(np.zeros(shape, np.float32), name)

    inits = [zeros("embedding.weight", V, E), numpy_helper.from_array(np.array([1], np.int64), "squeeze_axes")]
    nodes = [helper.make_node("Gather", ["embedding.weight", "tokens"], ["x0"], name="embedding")]
    width = E
    for i in range(LAYERS):
        inits += [
            zeros(f"lstm.{i}.W", 1, 4 * H, width),
            zeros(f"lstm.{i}.R", 1, 4 * H, H),
            zeros(f"lstm.{i}.B", 1, 8 * H),
        ]
        nodes.append(
            helper.make_node(
                "LSTM",
                [f"x{i}", f"lstm.{i}.W", f"lstm.{i}.R", f"lstm.{i}.B"],
                [f"y{i}"],
                name=f"lstm_{i}",
                hidden_size=H,
                direction="forward",
            )
        )
        nodes.append(helper.make_node("Squeeze", [f"y{i}", "squeeze_axes"], [f"x{i + 1}"], name=f"squeeze_{i}"))
        width = H
    inits += [zeros("head.weight", H, V), zeros("head.bias", V)]
    nodes.append(helper.make_node("MatMul", [f"x{LAYERS}", "head.weight"], ["z"], name="head_matmul"))
    nodes.append(helper.make_node("Add", ["z", "head.bias"], ["logits"], name="head_add"))
    graph = helper.make_graph(
        nodes,
        "lstm_language_model",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, ["time", "batch"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["time", "batch", V])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="benchmarks")
    model.ir_version = 8
    onnx.save(model, path)


def generate_keras(dims: Dims, path: Path) -> None:
    """The same model in Keras 3, with its default initializers, built and saved as .keras."""
    import keras

    layers: list[keras.Layer] = [keras.layers.Embedding(dims.vocab, dims.embed, name="embedding")]
    layers += [keras.layers.LSTM(dims.hidden, return_sequences=True, name=f"lstm_{i}") for i in range(LAYERS)]
    layers.append(keras.layers.Dense(dims.vocab, name="head"))
    model = keras.Sequential([keras.Input(shape=(None,), dtype="int32"), *layers], name="lstm_language_model")
    model.save(path)


def file_names(directory: Path, size_gib: float) -> dict[str, Path]:
    """Where each format's file goes; the size is in the name, so that a kept directory is reused safely."""
    return {fmt: directory / f"lstm-{size_gib:g}gib.{fmt}" for fmt in FORMATS}


def generate(group: str, directory: Path, size_gib: float) -> None:
    """Write one framework's files (``torch``: .pt and .safetensors; ``onnx``; ``keras``)."""
    dims, paths = Dims.for_size(size_gib), file_names(directory, size_gib)
    if group == "torch":
        generate_torch(dims, paths["pt"], paths["safetensors"])
    elif group == "onnx":
        generate_onnx(dims, paths["onnx"])
    else:
        generate_keras(dims, paths["keras"])


def ensure_files(formats: list[str], directory: Path, size_gib: float, env: dict[str, str]) -> list[Path]:
    """Generate what is missing, each framework in a fresh process; the files this run wrote.

    Each is written to a staging directory and moved into place once whole, so that a run cut
    short leaves nothing a later run would take for a finished file.
    """
    paths = file_names(directory, size_gib)
    groups = {"pt": "torch", "safetensors": "torch", "onnx": "onnx", "keras": "keras"}
    staging = directory / ".generating"
    written: list[Path] = []
    for group in dict.fromkeys(groups[f] for f in formats):
        mine = [fmt for fmt, g in groups.items() if g == group]
        names = ", ".join(paths[f].name for f in mine)
        if all(paths[f].exists() for f in mine):
            print(f"reusing {names}", file=sys.stderr)
            continue
        start = time.perf_counter()
        argv = [sys.executable, __file__, "--generate", group, "--dir", str(staging), "--size-gib", str(size_gib)]
        try:
            staging.mkdir(exist_ok=True)
            done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"generating {names} failed:\n{done.stdout}{done.stderr}")
            for fmt in mine:
                file_names(staging, size_gib)[fmt].replace(paths[fmt])
                written.append(paths[fmt])
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        print(f"generated {names} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return written


# ---------------------------------------------------------------- measuring


@dataclass
class Sample:
    """One run of a command: wall time, the call's own time where it reports one, peak memory."""

    seconds: float
    call: float | None
    peak_mib: float
    tensors: int | None = None
    params: int | None = None
    again: float | None = None
    read: float | None = None


@dataclass
class Command:
    """A command measured ``--repeats`` times, or the reason it could not run."""

    argv: list[str]
    samples: list[Sample] = field(default_factory=list)
    error: str | None = None

    def median(self, attr: str) -> float:
        """The median of one figure over the samples."""
        return statistics.median(getattr(s, attr) for s in self.samples)

    @property
    def ok(self) -> bool:
        """Whether it ran (and so has samples to show)."""
        return self.error is None and bool(self.samples)


class Launcher:
    """A small process that spawns each measured command and reports its wall time and ``ru_maxrss``.

    A child's ``ru_maxrss`` starts at the high-water mark of the memory it was spawned from
    (``exec`` records the old address space's), so the commands are not spawned from this
    process, whose imports would set a floor under every figure, but from this launcher: an
    isolated interpreter without ``site`` that imports four modules.
    """

    CODE = """\
import json, os, sys, time
for line in sys.stdin:
    argv, out, err = json.loads(line)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    print(json.dumps([seconds, os.waitstatus_to_exitcode(status), usage.ru_maxrss]), flush=True)
"""

    def __init__(self, env: dict[str, str], scratch: Path) -> None:
        self.scratch = scratch
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", self.CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=ROOT,
            text=True,
        )

    def spawn(self, argv: list[str]) -> tuple[Sample, int, str, str]:
        """Run a command in a fresh process: its sample, exit code, stdout and stderr."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        out, err = self.scratch / "stdout", self.scratch / "stderr"
        self.proc.stdin.write(json.dumps([argv, str(out), str(err)]) + "\n")
        self.proc.stdin.flush()
        seconds, code, maxrss_kib = json.loads(self.proc.stdout.readline())
        stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
        return Sample(seconds, None, maxrss_kib / 1024), code, stdout, stderr  # ru_maxrss is in KiB on Linux

    def close(self) -> None:
        """End the launcher (it ends when its input does)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


def run_once(command: Command, launcher: Launcher, keep: bool) -> None:
    """One run of a command; a failure is kept as its error, and the command not run again."""
    sample, code, stdout, stderr = launcher.spawn(command.argv)
    report = None
    if command.argv[1] == "-c" and stdout.strip():
        report = json.loads(stdout.strip().splitlines()[-1])
    if code != 0 or (report is not None and "error" in report):
        reason = (report or {}).get("error") or (stderr.strip().splitlines() or [f"exit status {code}"])[-1]
        command.error = reason
        return
    if report is not None:
        sample.call, sample.tensors, sample.params = report["call"], report["tensors"], report["params"]
        sample.again, sample.read = report.get("again"), report.get("read")
    if keep:
        command.samples.append(sample)


def child(setup: str, listing: str, count: str, path: Path) -> list[str]:
    """The argv of a child that times ``listing`` on ``path`` after ``setup``, then runs ``count``."""
    return [sys.executable, "-c", CHILD.format(setup=setup, listing=listing, count=count), str(path)]


@dataclass
class Row:
    """One format's commands: lstmcount's process and call, and the framework's listings."""

    fmt: str
    path: Path
    cli: Command
    call: Command
    references: list[tuple[str, Command]]


def build_rows(formats: list[str], paths: dict[str, Path]) -> tuple[list[Row], Command]:
    """The commands of every format asked for, and safe_open on the .safetensors file (always measured)."""
    rows = []
    for fmt in formats:
        path = paths[fmt]
        cli = Command([sys.executable, "-m", "lstmcount", "inspect", str(path), "--format", "json"])
        call = Command(child(*LSTMCOUNT_CALL, path))
        refs = [(what, Command(child(setup, listing, COUNTED, path))) for what, setup, listing in REFERENCES[fmt]]
        rows.append(Row(fmt, path, cli, call, refs))
    st = next((row for row in rows if row.fmt == "safetensors"), None)
    if st is not None:
        return rows, st.references[0][1]
    _, setup, listing = REFERENCES["safetensors"][0]
    return rows, Command(child(setup, listing, COUNTED, paths["safetensors"]))


# ---------------------------------------------------------------- reporting


def size_text(path: Path) -> str:
    """A file's size in GiB, or MiB when small."""
    size = path.stat().st_size
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 / 10 else f"{size / 2**20:.1f} MiB"


def archive_note(path: Path) -> str:
    """How a zip archive stores its largest member (stored or deflated)."""
    with zipfile.ZipFile(path) as archive:
        big = max(archive.infolist(), key=lambda i: i.file_size)
    how = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}.get(
        big.compress_type, str(big.compress_type)
    )
    return f"{path.suffix}: zip, largest member {big.filename} ({big.file_size / 2**20:,.0f} MiB) {how}"


def figures(process: Command, call: Command) -> tuple[str, str, str]:
    """Process seconds and peak MiB of one command, call milliseconds of another (or the same), as cells."""
    proc, peak = (f"{process.median('seconds'):.3f}", f"{process.median('peak_mib'):.0f}") if process.ok else ("—", "—")
    if not call.ok:
        return proc, "—", peak
    ms = [
        f"{1000 * call.median(attr):.1f}"
        for attr in ("call", "again", "read")
        if getattr(call.samples[0], attr) is not None
    ]
    return proc, " / ".join(ms), peak


def ratios(mine: Row, other: Command) -> str:
    """lstmcount's process and call times ÷ another command's, as "process× / call×"."""
    if not (mine.cli.ok and mine.call.ok and other.ok):
        return "—"
    process = mine.cli.median("seconds") / other.median("seconds")
    call = mine.call.median("call") / other.median("call")
    return f"{process:.2f} / {call:.2f}"


def tensors_text(row: Row, ref: Command) -> str:
    """Tensors (and values) as lstmcount and the reference count them."""

    def one(command: Command) -> str:
        return f"{command.samples[0].tensors}" if command.ok else "—"

    text = f"{one(row.call)} / {one(ref)}"
    if row.call.ok and ref.ok and row.call.samples[0].params != ref.samples[0].params:
        text += f" (values {row.call.samples[0].params:,} / {ref.samples[0].params:,})"
    return text


def table(rows: list[Row], safe_open: Command) -> list[str]:
    """The markdown table: one line per format and reference."""
    lines = [
        "| format | file | tensors (lstmcount / ref.) | lstmcount process s "
        "| lstmcount call ms (first / again / read) | lstmcount peak MiB | reference | ref. process s "
        "| ref. call ms | ref. peak MiB | ÷ ref. (process / call) | ÷ safe_open (process / call) |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        proc, call, peak = figures(row.cli, row.call)
        if not row.cli.ok:
            proc = "not readable yet"
        if not row.call.ok:
            call = "not readable yet"
        for what, ref in row.references:
            r_proc, r_call, r_peak = figures(ref, ref)
            if not ref.ok:
                r_proc = f"failed: {ref.error}"
            lines.append(
                f"| {row.fmt} | {size_text(row.path)} | {tensors_text(row, ref)} | {proc} | {call} | {peak} "
                f"| `{what}` | {r_proc} | {r_call} | {r_peak} | {ratios(row, ref)} | {ratios(row, safe_open)} |"
            )
    return lines


def goals(rows: list[Row], safe_open: Command) -> tuple[list[str], bool]:
    """A line per format saying whether each goal holds, and whether all of them do."""
    lines, all_met = [], True

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for row in rows:
        if not (row.cli.ok and row.call.ok):
            all_met = False
            reason = row.cli.error or row.call.error
            lines.append(f"- {row.fmt}: not readable yet ({reason})")
            continue
        seconds, peak = row.cli.median("seconds"), row.cli.median("peak_mib")
        parts = [
            f"{seconds:.3f} s < {GOAL_SECONDS} s {verdict(seconds < GOAL_SECONDS)}",
            f"{peak:.0f} MiB < {GOAL_MIB:.0f} MiB {verdict(peak < GOAL_MIB)}",
        ]
        met = seconds < GOAL_SECONDS and peak < GOAL_MIB
        if safe_open.ok:
            process = seconds / safe_open.median("seconds")
            call = row.call.median("call") / safe_open.median("call")
            read = row.call.median("read") / safe_open.median("call")
            parts.append(
                f"≤ safe_open: process {process:.2f}× {verdict(process <= 1)}, call {call:.2f}× {verdict(call <= 1)}"
                f" (read() alone, warm: {read:.2f}×)"
            )
            met = met and process <= 1 and call <= 1
        else:
            parts.append(f"≤ safe_open: not measured ({safe_open.error})")
            met = False
        all_met = all_met and met
        lines.append(f"- {row.fmt}: " + "; ".join(parts))
    return lines, all_met


def versions() -> str:
    """The versions of Python and the frameworks (from their metadata, nothing imported)."""
    out = [f"Python {sys.version.split()[0]}"]
    for dist in ("numpy", "torch", "safetensors", "onnx", "keras", "h5py"):
        try:
            out.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            out.append(f"{dist} (not installed)")
    return ", ".join(out)


# ---------------------------------------------------------------- main


def parse() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated, of " + ", ".join(FORMATS))
    parser.add_argument("--size-gib", type=float, default=1.0, help="float32 size of the generated model")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command (median taken)")
    parser.add_argument("--dir", type=Path, help="where the files go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--generate", choices=("torch", "onnx", "keras"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(args.formats) - set(FORMATS))
    if unknown or not args.formats:
        parser.error(f"--formats takes {', '.join(FORMATS)}; got {', '.join(unknown) or 'none'}")
    if args.repeats < 1 or args.size_gib <= 0:
        parser.error("--repeats and --size-gib must be positive")
    onnx_bytes = 4 * Dims.for_size(args.size_gib).values()
    if "onnx" in args.formats and not args.generate and onnx_bytes > ONNX_LIMIT:
        parser.error(f"an ONNX file of {onnx_bytes / 2**30:.2f} GiB would need external data: leave onnx out")
    return args


def child_env() -> dict[str, str]:
    """The children's environment: this checkout's lstmcount, Keras on PyTorch, bytecode written, no colour."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("KERAS_BACKEND", "torch")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env["NO_COLOR"] = "1"
    return env


def main() -> int:
    """Generate the files, measure every command together, print the table and the goals."""
    args = parse()
    env = child_env()
    if args.generate:
        os.environ.update(KERAS_BACKEND=env["KERAS_BACKEND"])
        generate(args.generate, args.dir, args.size_gib)
        return 0

    directory = args.dir or Path(tempfile.mkdtemp(prefix="lstmcount-inspect-"))
    directory.mkdir(parents=True, exist_ok=True)
    needed = list(dict.fromkeys([*args.formats, "safetensors"]))
    written: list[Path] = []
    try:
        written = ensure_files(needed, directory, args.size_gib, env)
        paths = file_names(directory, args.size_gib)
        rows, safe_open = build_rows(args.formats, paths)
        commands = [c for row in rows for c in (row.cli, row.call, *(ref for _, ref in row.references))]
        if not any(c is safe_open for c in commands):
            commands.append(safe_open)
        floor = Command([sys.executable, "-c", "pass"])
        commands.append(floor)
        scratch = tempfile.TemporaryDirectory(prefix="lstmcount-inspect-out-")
        launcher = Launcher(env, Path(scratch.name))
        try:
            for command in commands:  # warm-up: bytecode written, files in the page cache, failures found
                run_once(command, launcher, keep=False)
            for _ in range(args.repeats):
                for command in commands:
                    if command.error is None:
                        run_once(command, launcher, keep=True)
        finally:
            launcher.close()
            scratch.cleanup()

        dims = Dims.for_size(args.size_gib)
        print(f"{versions()}; median of {args.repeats} runs each, measured together, files in the page cache")
        print(f"model: {dims.describe()}: {dims.values():,} float32 values ({4 * dims.values() / 2**30:.2f} GiB)")
        for fmt in ("pt", "keras"):
            if fmt in needed:
                print(archive_note(paths[fmt]))
        if floor.ok:
            print(
                f"`python -c pass` alone: {floor.median('seconds'):.3f} s, {floor.median('peak_mib'):.0f} MiB "
                "(the floor under every process figure)"
            )
        print()
        print("\n".join(table(rows, safe_open)))
        print()
        print(
            "lstmcount call: the first inspect() in a process that has imported lstmcount (its lazy imports "
            "included), the same call again, and read() alone (names, shapes, dtypes; no model rebuilt). "
            "Ratios are lstmcount ÷ the other (below 1: lstmcount is faster): its whole process against the "
            "other's, its first inspect() call against the other's listing after its import."
        )
        lines, met = goals(rows, safe_open)
        print(f"Goals (lstmcount inspect under {GOAL_SECONDS} s, under {GOAL_MIB:.0f} MiB, no slower than safe_open):")
        print("\n".join(lines))
        return 0 if met else 1
    finally:
        if args.keep:
            print(f"files kept in {directory}", file=sys.stderr)
        else:
            for path in written:
                path.unlink(missing_ok=True)
            if args.dir is None:
                shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

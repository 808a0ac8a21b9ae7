"""Benchmark: how long the command takes, as a ratio to importing what every CLI of its kind imports.

In one session, round-robin (so that a busy machine slows every command alike), each command is
run R times in a fresh interpreter and its median wall time taken:

- reference: ``python -c "import click, rich.console, rich.table"``;
- ``lstmcount 100 128`` (the default table) and ``lstmcount 100 128 --format json``;
- ``lstmcount SPEC`` for generated specs of 250 and 4,000 layers (LSTM and dense, alternating).

Goals: the default table at most 1.25 × the reference, the 4,000-layer spec under 1 s. The
commands run as an installed user runs them, with compiled bytecode: one warm-up run of each
writes it, even where ``PYTHONDONTWRITEBYTECODE`` is set.

    python benchmarks/startup.py            # 7 runs of each
    python benchmarks/startup.py -r 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_RATIO = 1.25
GOAL_BIG_SECONDS = 1.0


def big_spec(path: Path, layers: int) -> Path:
    """A spec of ``layers`` layers: LSTMs returning sequences, each followed by a dense layer."""
    lines = ["input: {features: 8}", "layers:"]
    for i in range(layers):
        if i % 2:
            lines.append("  - {type: dense, units: 8}")
        else:
            lines.append("  - {type: lstm, units: 8, return_sequences: true}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lstmcount_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m lstmcount``."""
    script = Path(sys.executable).with_name("lstmcount")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lstmcount"]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--runs", type=int, default=7, help="runs of each command (median taken)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["NO_COLOR"] = "1"
    tool = lstmcount_command()
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "reference: import click, rich.console, rich.table": [
                sys.executable,
                "-c",
                "import click, rich.console, rich.table",
            ],
            "lstmcount 100 128": [*tool, "100", "128"],
            "lstmcount 100 128 --format json": [*tool, "100", "128", "--format", "json"],
            "lstmcount SPEC (250 layers)": [*tool, str(big_spec(Path(tmp) / "s250.yaml", 250))],
            "lstmcount SPEC (4,000 layers)": [*tool, str(big_spec(Path(tmp) / "s4000.yaml", 4000))],
        }
        for argv in commands.values():  # warm-up: bytecode written, caches filled
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    reference = medians["reference: import click, rich.console, rich.table"]
    print(f"Python {sys.version.split()[0]}, median of {args.runs} runs each, measured together")
    print(f"{'command':<52} {'seconds':>8} {'ratio':>6}")
    for name, seconds in medians.items():
        print(f"{name:<52} {seconds:>8.3f} {seconds / reference:>6.2f}")
    table = medians["lstmcount 100 128"] / reference
    big = medians["lstmcount SPEC (4,000 layers)"]
    ok = table <= GOAL_RATIO and big < GOAL_BIG_SECONDS
    print(
        f"goals: default table {table:.2f} × reference (at most {GOAL_RATIO}), "
        f"4,000 layers {big:.3f} s (under {GOAL_BIG_SECONDS:.0f} s): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

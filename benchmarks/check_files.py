"""Benchmark: ``lstmcount check`` on many spec files against a bare ``yaml.safe_load`` loop.

Writes N varied spec files (YAML, a tenth of them JSON) to a temporary directory, then times,
in one process and best of R rounds:

- parse: ``yaml.load(text, Loader=CSafeLoader)`` (the C loader when PyYAML has it) over every file;
- check: :func:`lstmcount.counting.check.check_paths` over the directory (read, compose with positions,
  validate, count, compare with the expect block).

Reports time per file and the ratio check / parse; the goal is at most 1.5.

    python benchmarks/check_files.py            # 1,000 files, best of 5
    python benchmarks/check_files.py -n 5000 -r 3
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lstmcount.counting.check import Status, check_paths
from lstmcount.counting.counter import count
from lstmcount.io.loader import load_document, spec_from_document

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def spec_text(rng: random.Random, i: int) -> tuple[dict[str, object], str]:
    """One spec (as data and as commented YAML) of 2 to 6 layers."""
    framework = rng.choice(["keras", "pytorch"])
    layers: list[dict[str, object]] = []
    inp: dict[str, object] = {"timesteps": rng.choice([None, 50, 200])}
    if rng.random() < 0.3:
        inp["vocab"] = rng.randint(1000, 50000)
        layers.append({"type": "embedding", "dim": rng.choice([64, 128, 300])})
    else:
        inp["features"] = rng.randint(4, 512)
    for k in range(rng.randint(1, 3)):
        layer: dict[str, object] = {"type": rng.choice(["lstm", "gru"]), "units": rng.choice([32, 64, 128, 256])}
        layer["return_sequences"] = True
        if rng.random() < 0.4:
            layer["bidirectional"] = True
        if k == 0 and rng.random() < 0.3:
            layer["num_layers"] = 2
        layers.append(layer)
    layers[-1]["return_sequences"] = False
    layers.append({"type": "dropout", "rate": 0.25})
    layers.append({"type": "dense", "units": rng.randint(1, 20), "activation": "softmax"})
    data = {"framework": framework, "name": f"model_{i}", "input": inp, "layers": layers}
    lines = [f"# benchmark spec {i}", f"framework: {framework}", f"name: model_{i}",
             "input: " + json.dumps(inp).replace('"', "").replace("null", "null"), "layers:"]  # fmt: skip
    for layer in layers:
        body = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in layer.items())
        lines.append(f"  - {{{body}}}")
    return data, "\n".join(lines) + "\n"


def write_specs(root: Path, n: int, seed: int = 7) -> list[Path]:
    """Write ``n`` spec files with correct expect blocks (counted once, before timing)."""
    from lstmcount.api import count_dict

    rng = random.Random(seed)
    paths = []
    for i in range(n):
        data, text = spec_text(rng, i)
        total = count_dict(data).total
        if i % 10 == 9:
            path = root / f"spec_{i:05d}.json"
            path.write_text(json.dumps({**data, "expect": {"total": total}}, indent=2), encoding="utf-8")
        else:
            path = root / f"spec_{i:05d}.yaml"
            path.write_text(text + f"expect: {{total: {total}}}\n", encoding="utf-8")
        paths.append(path)
    return paths


def best_of(rounds: int, func: Callable[[], object]) -> float:
    """The fastest of ``rounds`` runs of ``func``, in seconds."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--files", type=int, default=1000)
    parser.add_argument("-r", "--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_specs(root, args.files)
        results = check_paths([str(root)])
        assert len(results) == args.files and all(r.status is Status.OK for r in results), "specs must pass"

        def parse() -> None:
            for path in paths:
                yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)

        def check() -> None:
            check_paths([str(root)])

        def safe_load() -> None:
            for path in paths:
                yaml.safe_load(path.read_text(encoding="utf-8"))

        docs = [load_document(p) for p in paths]
        specs = [spec_from_document(d) for d in docs]
        parse()  # warm the page cache and imports
        gc.collect()
        gc.freeze()  # the inputs kept for the parts below are not traversed by the collector while timing
        rows = {
            f"yaml.load ({LOADER.__name__})": best_of(args.rounds, parse),
            "yaml.safe_load (pure Python)": best_of(max(1, args.rounds // 2), safe_load),
            "lstmcount check": best_of(args.rounds, check),
            "  of which: load with positions": best_of(args.rounds, lambda: [load_document(p) and None for p in paths]),
            "  of which: validate": best_of(args.rounds, lambda: [spec_from_document(d) and None for d in docs]),
            "  of which: count": best_of(args.rounds, lambda: [count(s) and None for s in specs]),
        }
        gc.unfreeze()
    n = args.files
    print(f"{n:,} spec files, best of {args.rounds}")
    for name, seconds in rows.items():
        print(f"{name:<34} {seconds * 1e3:8.1f} ms {seconds / n * 1e6:8.1f} us/file")
    t_check = rows["lstmcount check"]
    print(f"ratio check / yaml.load ({LOADER.__name__}): {t_check / rows[next(iter(rows))]:.2f}  (goal <= 1.5)")
    print(f"ratio check / yaml.safe_load: {t_check / rows['yaml.safe_load (pure Python)']:.2f}")


if __name__ == "__main__":
    main()

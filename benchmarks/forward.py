"""Benchmark: the NumPy forward pass against torch.nn.LSTM, and against a plain NumPy matmul.

Runs both in one process with the same thread count, float32, B=64, T=100, I=256, H=512
(a one-layer LSTM and a 2-layer bidirectional LSTM), on the same weights and input, and prints
the time ratio and the achieved GFLOP/s of the pass's matrix products next to those of one
plain NumPy matmul with the same number of floating-point operations. Each is timed in
blocks that take turns, and the best time counts.

    python benchmarks/forward.py [--threads N] [--repeats R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

B, T, I, H = 64, 100, 256, 512  # noqa: E741 - the conventional symbols
CASES = (("LSTM", 1, False), ("2-layer BiLSTM", 2, True))


def parse() -> argparse.Namespace:
    """Command-line options; the BLAS thread count is fixed before numpy is imported."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="BLAS and torch threads")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per block (the best counts)")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    return args


def best_times(fns: list[Callable[[], Any]], repeats: int, rounds: int = 2) -> list[float]:
    """The fastest timed call of each function: ``rounds`` rounds of a warm-up and ``repeats`` calls each.

    Each function runs in a block of its own (torch's and OpenBLAS's worker threads would
    otherwise wake each other), and the blocks take turns, so a burst of load from elsewhere is
    unlikely to hit only one of them.
    """
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            fn()
            for _ in range(repeats):
                start = time.perf_counter()
                fn()
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def gemm_flops(layers: int, directions: int) -> int:
    """Floating-point operations of the products: U x over all steps, then W h per step."""
    flops, width = 0, I
    for _ in range(layers):
        flops += directions * 2 * B * T * (width * 4 * H + H * 4 * H)
        width = directions * H
    return flops


def bench_case(name: str, layers: int, bidirectional: bool, repeats: int) -> str:
    """One case: NumPy pass, torch.nn.LSTM and an equal-work matmul, as one line of the table."""
    import numpy as np
    import torch

    from lstmcount.numeric.forward import build, run

    spec = {
        "framework": "pytorch",
        "input": {"features": I, "timesteps": T},
        "layers": [
            {"type": "lstm", "units": H, "num_layers": layers, "bidirectional": bidirectional, "return_sequences": True}
        ],
    }
    model = build(spec)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional, batch_first=True).eval()
    weights = {f"lstm.{k}": v.detach().numpy().copy() for k, v in lstm.state_dict().items()}
    x = np.random.default_rng(0).standard_normal((B, T, I)).astype(np.float32)
    xt = torch.from_numpy(x)

    def numpy_pass() -> Any:
        return run(model, weights, x, dtype=np.float32).output

    def torch_pass() -> Any:
        with torch.inference_mode():
            return lstm(xt)[0]

    diff = float(np.abs(numpy_pass() - torch_pass().numpy()).max())
    directions = 2 if bidirectional else 1
    flops = gemm_flops(layers, directions)
    # one plain matmul (M, K) x (K, 4H) doing the same number of operations
    m, n = B * T * layers * directions // 4, 4 * H
    k = max(1, round(flops / (2 * m * n)))
    a = np.random.default_rng(1).standard_normal((m, k)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((k, n)).astype(np.float32)
    t_np, t_torch, t_mm = best_times([numpy_pass, torch_pass, lambda: a @ b], repeats)
    rate, mm_rate = flops / t_np / 1e9, 2 * m * k * n / t_mm / 1e9
    return (
        f"{name:<16} {t_np:8.3f} {t_torch:8.3f} {t_np / t_torch:6.2f} {rate:8.1f} {mm_rate:8.1f} "
        f"{rate / mm_rate:6.0%}  {diff:.1e}"
    )


def main() -> None:
    """Print the table."""
    args = parse()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    print(f"float32, B={B}, T={T}, I={I}, H={H}, {args.threads} thread(s), best of 2 × {args.repeats}")
    print(f"numpy {np.__version__}, torch {torch.__version__}")
    header = f"{'case':<16} {'numpy s':>8} {'torch s':>8} {'ratio':>6} {'GFLOP/s':>8} {'matmul':>8} {'share':>6}"
    print(header + "  max |diff|")
    print("─" * (len(header) + 12))
    for name, layers, bidirectional in CASES:
        print(bench_case(name, layers, bidirectional, args.repeats))
    print("ratio = numpy time / torch time (goal <= 1.25); share = pass GFLOP/s / matmul GFLOP/s (goal >= 70%)")


if __name__ == "__main__":
    main()

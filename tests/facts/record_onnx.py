"""Write tests/fixtures/recorded/onnx/<case_id>.json and .npz for a grid of small ONNX LSTM/GRU/RNN cases.

Cases run with onnxruntime are float32 (its CPU LSTM/GRU/RNN kernels have no double); the
cases with options.runtime == "reference" are float64 (onnx.reference.ReferenceEvaluator).
Each json also holds "second_opinion_max_abs_diff": the largest difference between the
recorded outputs and the other runtime on the same values (float64 reference for onnxruntime
cases; onnxruntime with layout 0 for reference cases).
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import facts_onnx as F  # noqa: E402

SEED = 20240601


def base(cell, **kw):
    case = {
        "cell": cell,
        "class": None,
        "input_size": 3,
        "hidden_size": 4,
        "num_layers": 1,
        "bidirectional": False,
        "bias": True,
        "proj_size": 0,
        "peepholes": False,
        "forget_bias": None,
        "reset_after": None,
        "nonlinearity": "tanh",
        "options": {},
    }
    case.update(kw)
    return case


def grid() -> list[tuple[dict, int, int]]:
    """(case, batch, seq) triples."""
    out = []
    for cell in ("lstm", "gru", "rnn"):
        out += [
            (base(cell), 2, 5),
            (base(cell, bias=False), 2, 4),
            (base(cell, num_layers=2), 2, 4),
            (base(cell, bidirectional=True), 2, 5),
            (base(cell, num_layers=3, bidirectional=True, input_size=2, hidden_size=3), 3, 4),
            (base(cell, options={"direction": "reverse"}), 2, 5),
            (base(cell, num_layers=2, options={"direction": "reverse"}), 1, 3),
            (base(cell, input_size=1, hidden_size=1), 1, 6),
            (base(cell, input_size=7, hidden_size=7), 1, 1),
            (base(cell, input_size=5, hidden_size=2, bias=False, num_layers=2, bidirectional=True), 2, 3),
            (base(cell, options={"opset": 14}), 2, 3),
            (base(cell, num_layers=2, bidirectional=True, options={"opset": 7}), 2, 3),
            (base(cell, num_layers=2, bidirectional=True, options={"runtime": "reference"}), 2, 4),
            (base(cell, bidirectional=True, options={"runtime": "reference", "layout": 1}), 2, 3),
        ]
    out += [
        (base("lstm", peepholes=True), 2, 5),
        (base("lstm", peepholes=True, bidirectional=True), 2, 4),
        (base("lstm", peepholes=True, num_layers=2, bias=False), 2, 4),
        (base("lstm", peepholes=True, options={"direction": "reverse"}), 2, 4),
        (base("lstm", peepholes=True, input_size=1, hidden_size=1), 1, 5),
        (base("lstm", peepholes=True, num_layers=2, bidirectional=True, options={"runtime": "reference"}), 2, 4),
    ]
    for ra in (False, True):
        out += [
            (base("gru", reset_after=ra), 2, 5),
            (base("gru", reset_after=ra, bidirectional=True, num_layers=2), 2, 4),
            (base("gru", reset_after=ra, bias=False), 2, 4),
            (base("gru", reset_after=ra, input_size=1, hidden_size=1), 1, 5),
            (base("gru", reset_after=ra, options={"runtime": "reference"}), 2, 4),
        ]
    out += [
        (base("rnn", nonlinearity="relu"), 2, 5),
        (base("rnn", nonlinearity="relu", bidirectional=True, num_layers=2), 2, 4),
        (base("rnn", nonlinearity="relu", bias=False, options={"direction": "reverse"}), 2, 4),
    ]
    return out


def case_id(case: dict) -> str:
    parts = [case["cell"], f"i{case['input_size']}", f"h{case['hidden_size']}", f"l{case['num_layers']}"]
    if case["bidirectional"]:
        parts.append("bi")
    if not case["bias"]:
        parts.append("nobias")
    if case["peepholes"]:
        parts.append("peep")
    if case["reset_after"] is not None:
        parts.append(f"lbr{int(bool(case['reset_after']))}")
    if case["cell"] == "rnn" and case["nonlinearity"] != "tanh":
        parts.append(case["nonlinearity"])
    for k in sorted(case["options"]):
        parts.append(f"{k}-{case['options'][k]}")
    return "_".join(parts)


def record(out_dir: str) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    ids = []
    for case, batch, seq in grid():
        reason = F.supported(case)
        if reason is not None:
            raise RuntimeError(f"{case}: {reason}")
        cid = case_id(case)
        if cid in ids:
            raise RuntimeError(f"duplicate case id {cid}")
        ids.append(cid)
        x64 = rng.uniform(-1, 1, (batch, seq, case["input_size"]))
        dtype = F.compute_dtype(case, x64)
        params = F.parameters(case)
        weights = {p["path"]: rng.uniform(-0.6, 0.6, p["shape"]).astype(dtype) for p in params}
        x = x64.astype(dtype)
        res = F.forward(case, weights, x)
        other = dict(case, options=dict(case["options"]))
        if F.runtime(case) == "onnxruntime":
            other["options"]["runtime"] = "reference"
            ow = {k: v.astype(np.float64) for k, v in weights.items()}
            ox = x.astype(np.float64)
        else:
            other["options"]["runtime"] = "onnxruntime"
            other["options"].pop("layout", None)
            ow, ox = weights, x
        if F.supported(other) is None:
            res2 = F.forward(other, ow, ox)
            diffs = [np.abs(res["output"] - res2["output"]).max()]
            for a, b in zip(res["final"], res2["final"], strict=True):
                diffs += [np.abs(a[k] - b[k]).max() for k in a]
            second = float(max(diffs))
        else:
            second = None
        total, trainable = F.count(case)
        meta = {
            "case": case,
            "framework_version": F.versions(),
            "parameters": params,
            "total": total,
            "trainable": trainable,
            "batch": batch,
            "seq": seq,
            "runtime": F.runtime(case),
            "dtype": np.dtype(dtype).name,
            "opset": F.opset(case),
            "node_op_type": F.OP_TYPE[case["cell"]],
            "node_attributes": F.node_attributes(case),
            "second_opinion_max_abs_diff": second,
        }
        arrays = dict(weights)
        arrays["x"] = x
        arrays["output"] = res["output"]
        for k, st in enumerate(res["final"]):
            arrays[f"final_{k}_h"] = st["h"]
            if "c" in st:
                arrays[f"final_{k}_c"] = st["c"]
        with open(os.path.join(out_dir, cid + ".json"), "w") as fh:
            json.dump(meta, fh, indent=1, sort_keys=True)
        np.savez(os.path.join(out_dir, cid + ".npz"), **arrays)
    return ids


def main(argv):
    out_dir = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(HERE), "fixtures", "recorded", "onnx")
    ids = record(out_dir)
    print(f"wrote {len(ids)} cases to {out_dir}")


if __name__ == "__main__":
    main(sys.argv)

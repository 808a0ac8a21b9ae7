"""Write tests/fixtures/recorded/<fw>/<case_id>.json and .npz for fw in flax (NNX), flax_linen, equinox.

usage: python record_jax.py [flax|flax_linen|equinox|all] [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import sys
from pathlib import Path

import numpy as np

SEED = 20240601
CONFIGS = [  # (input_size, hidden_size, num_layers, bidirectional)
    (1, 1, 1, False),
    (3, 2, 1, False),
    (7, 5, 1, False),
    (2, 3, 1, True),
    (4, 2, 2, False),
    (3, 4, 2, True),
    (5, 1, 3, False),
    (2, 2, 3, True),
]
SHORT = CONFIGS[1:4] + CONFIGS[5:6]


def case(cell, I, H, L=1, bi=False, cls=None, **kw):
    c = {
        "cell": cell,
        "class": cls,
        "input_size": I,
        "hidden_size": H,
        "num_layers": L,
        "bidirectional": bi,
        "bias": True,
        "proj_size": 0,
        "peepholes": False,
        "forget_bias": None,
        "reset_after": None,
        "nonlinearity": "tanh",
        "options": {},
    }
    c.update(kw)
    return c


def grid(fw: str) -> list[dict]:
    out = []
    if fw == "flax":
        for cell, cls in (("lstm", None), ("lstm", "OptimizedLSTMCell"), ("gru", None), ("rnn", None)):
            out += [case(cell, *cfg, cls=cls) for cfg in CONFIGS]
        out += [
            case("rnn", 3, 2, nonlinearity="relu"),
            case("rnn", 2, 3, 1, True, nonlinearity="relu"),
            case("rnn", 3, 3, options={"residual": True}),
            case("lstm", 3, 2, 2, False, options={"style": "list"}),
            case("gru", 2, 3, 2, True, options={"style": "list"}),
        ]
        out += [
            case("lstm", 3, 2, bias=False),
            case("gru", 3, 2, reset_after=False),
            case("lstm", 3, 2, proj_size=1),
            case("lstm", 3, 2, peepholes=True),
            case("lstm", 3, 2, forget_bias=1.0),
            case("rnn", 3, 2, nonlinearity="sigmoid"),
        ]
    elif fw == "flax_linen":
        for cell, cls in (("lstm", None), ("lstm", "OptimizedLSTMCell"), ("gru", None), ("rnn", None)):
            out += [case(cell, *cfg, cls=cls) for cfg in CONFIGS]
        out += [case("gru", *cfg, cls="MGUCell") for cfg in SHORT]
        out += [case("gru", 3, 2, cls="MGUCell", options={"reset_gate": False})]
        out += [case("rnn", 3, 2, nonlinearity="relu"), case("rnn", 3, 3, options={"residual": True})]
        for style in ("named", "setup", "bare"):
            out += [case("lstm", 3, 2, options={"style": style}), case("gru", 2, 3, 2, True, options={"style": style})]
        out += [
            case("lstm", 3, 2, bias=False),
            case("gru", 3, 2, reset_after=False),
            case("lstm", 3, 2, proj_size=1),
            case("lstm", 3, 2, peepholes=True),
            case("lstm", 3, 2, forget_bias=1.0),
            case("lstm", 3, 2, cls="ConvLSTMCell"),
        ]
    elif fw == "equinox":
        for cell in ("lstm", "gru"):
            out += [case(cell, *cfg) for cfg in CONFIGS]
            out += [case(cell, *cfg, bias=False) for cfg in SHORT]
        out += [
            case("rnn", 3, 2),
            case("lstm", 3, 2, proj_size=1),
            case("lstm", 3, 2, peepholes=True),
            case("gru", 3, 2, reset_after=False),
            case("lstm", 3, 2, forget_bias=1.0),
        ]
    else:
        raise ValueError(fw)
    return out


def case_id(c: dict) -> str:
    parts = [
        c["cell"],
        c["class"] or "default",
        f"i{c['input_size']}",
        f"h{c['hidden_size']}",
        f"l{c['num_layers']}",
        "bi" if c["bidirectional"] else "uni",
    ]
    if not c["bias"]:
        parts.append("nobias")
    if c["cell"] == "rnn" and c["nonlinearity"] != "tanh":
        parts.append(c["nonlinearity"])
    for k in sorted(c["options"]):
        parts.append(f"{k}-{c['options'][k]}")
    return "_".join(parts)


def record(fw: str, out_dir: Path) -> int:
    F = importlib.import_module(
        {"flax": "facts_flax", "flax_linen": "facts_flax_linen", "equinox": "facts_equinox"}[fw]
    )
    version = F.framework_version()
    d = out_dir / fw
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    unsupported = []
    n = 0
    seen = set()
    for c in grid(fw):
        reason = F.supported(c)
        if reason:
            unsupported.append({"case": c, "reason": reason})
            continue
        cid = case_id(c)
        if cid in seen:
            raise AssertionError(f"duplicate case id {cid}")
        seen.add(cid)
        params = F.parameters(c)
        total = sum(math.prod(p["shape"]) for p in params)
        trainable = sum(math.prod(p["shape"]) for p in params if p["trainable"])
        weights = {p["path"]: rng.uniform(-0.8, 0.8, size=p["shape"]) for p in params}
        B, T = 2, int(rng.integers(3, 6))
        x = rng.normal(size=(B, T, c["input_size"]))
        res = F.forward(c, weights, x)
        arrays = dict(weights)
        arrays["x"] = x
        arrays["output"] = res["output"]
        for k, fin in enumerate(res["final"]):
            arrays[f"final_{k}_h"] = fin["h"]
            if "c" in fin:
                arrays[f"final_{k}_c"] = fin["c"]
        for k, v in arrays.items():
            if np.asarray(v).dtype != np.float64:
                raise AssertionError(f"{cid}: {k} is {np.asarray(v).dtype}")
        np.savez(d / f"{cid}.npz", **arrays)
        meta = {
            "case": c,
            "framework_version": version,
            "parameters": params,
            "total": total,
            "trainable": trainable,
            "batch": B,
            "steps": T,
            "seed": SEED,
            "dtype": "float64",
        }
        (d / f"{cid}.json").write_text(json.dumps(meta, indent=1) + "\n")
        n += 1
    (d / "unsupported.json").write_text(
        json.dumps({"framework_version": version, "cases": unsupported}, indent=1) + "\n"
    )
    print(f"{fw}: {n} fixtures, {len(unsupported)} unsupported cases -> {d}")
    return n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("fw", nargs="?", default="all", choices=["flax", "flax_linen", "equinox", "all"])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "fixtures" / "recorded"))
    a = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    for fw in ["flax", "flax_linen", "equinox"] if a.fw == "all" else [a.fw]:
        record(fw, Path(a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

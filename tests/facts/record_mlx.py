"""Write tests/fixtures/recorded/mlx/<case_id>.json and .npz from facts_mlx (float64, fixed seeds)."""

import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import facts_mlx as F

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "recorded", "mlx")


def case(cell, I, H, L=1, bi=False, bias=True, **kw):
    c = {
        "cell": cell,
        "class": None,
        "input_size": I,
        "hidden_size": H,
        "num_layers": L,
        "bidirectional": bi,
        "bias": bias,
        "proj_size": 0,
        "peepholes": False,
        "forget_bias": None,
        "reset_after": None,
        "nonlinearity": "tanh",
        "options": {},
    }
    c.update(kw)
    return c


def grid():
    cases = []
    sizes = {"lstm": (3, 4), "gru": (4, 3), "rnn": (5, 2)}
    for cell in ("lstm", "gru", "rnn"):
        I, H = sizes[cell]
        for L in (1, 2):
            for bi in (False, True):
                for bias in (True, False):
                    cases.append(case(cell, I, H, L, bi, bias))
        for I, H in ((1, 1), (7, 2), (2, 7)):
            cases.append(case(cell, I, H))
    cases.append(case("rnn", 3, 4, nonlinearity="relu"))
    cases.append(case("rnn", 2, 3, L=2, bi=True, nonlinearity="relu"))
    cases.append(case("gru", 3, 5, reset_after=True))
    cases.append(case("lstm", 2, 3, L=3, bi=True))
    cases.append(case("gru", 6, 1, L=3))
    cases.append(case("lstm", 3, 2, L=2, bi=True, options={"prefix": "lstm_layers", "directions": ["fwd", "bwd"]}))
    return cases


def case_id(c):
    s = f"{c['cell']}_I{c['input_size']}_H{c['hidden_size']}_L{c['num_layers']}"
    s += "_bi" if c["bidirectional"] else "_uni"
    s += "" if c["bias"] else "_nobias"
    if c["cell"] == "rnn" and c["nonlinearity"] != "tanh":
        s += "_" + c["nonlinearity"]
    if c["reset_after"] is not None:
        s += f"_ra{int(c['reset_after'])}"
    if c["options"]:
        s += "_" + c["options"].get("prefix", "opts")
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    ver = F.version()
    for c in grid():
        assert F.supported(c) is None, (c, F.supported(c))
        cid = case_id(c)
        rng = np.random.default_rng(zlib.crc32(cid.encode()))
        params = F.parameters(c)
        w = {p["path"]: rng.uniform(-0.7, 0.7, p["shape"]) for p in params}
        x = rng.standard_normal((2, 4, c["input_size"]))
        r = F.forward(c, w, x)
        arrays = dict(w)
        arrays["x"] = x
        arrays["output"] = r["output"]
        for k, st in enumerate(r["final"]):
            arrays[f"final_{k}_h"] = st["h"]
            if "c" in st:
                arrays[f"final_{k}_c"] = st["c"]
        np.savez(os.path.join(OUT, cid + ".npz"), **arrays)
        total = sum(int(np.prod(p["shape"])) for p in params)
        trainable = sum(int(np.prod(p["shape"])) for p in params if p["trainable"])
        with open(os.path.join(OUT, cid + ".json"), "w") as f:
            json.dump(
                {"case": c, "framework_version": ver, "parameters": params, "total": total, "trainable": trainable},
                f,
                indent=1,
            )
        print(cid, total)


if __name__ == "__main__":
    main()

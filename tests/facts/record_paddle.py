"""Write tests/fixtures/recorded/paddle/<case_id>.json and .npz from facts_paddle (float64, fixed seeds).

Trainable parameters get random values; frozen ones (biases of ``bias_*_attr=False``) keep the
framework's own value, zero.  The JSON also carries ``state_dict_keys`` ([key, shape] of
``state_dict()``, both spellings for class None).
"""

import json
import os
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import facts_paddle as F

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "recorded", "paddle")


def case(cell, I, H, L=1, bi=False, bias=True, cls=None, **kw):
    c = {
        "cell": cell,
        "class": cls,
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
    cs = []
    sizes = {"lstm": (3, 4), "gru": (4, 3), "rnn": (5, 2)}
    for cell in ("lstm", "gru", "rnn"):
        I, H = sizes[cell]
        for L in (1, 2):
            for bi in (False, True):
                cs.append(case(cell, I, H, L, bi))
                cs.append(case(cell, H, I, L, bi, bias=False, cls="RNN"))
        cs.append(case(cell, 2, 3, 2, True, cls="RNN"))
    for L in (1, 2):
        for bi in (False, True):
            cs.append(case("lstm", 3, 5, L, bi, proj_size=2))
    cs.append(case("lstm", 2, 4, 2, True, proj_size=3, cls="RNN"))
    cs.append(case("lstm", 4, 3, 1, False, proj_size=1, cls="RNN"))
    cs.append(case("lstm", 3, 5, 2, True, proj_size=2, options={"paths": "nested"}))
    cs.append(case("gru", 2, 3, 2, True, options={"paths": "nested"}))
    cs.append(case("lstm", 2, 3, 1, True, options={"direction": "bidirectional"}))
    cs.append(case("rnn", 3, 4, nonlinearity="relu"))
    cs.append(case("rnn", 2, 3, 2, True, nonlinearity="relu"))
    cs.append(case("rnn", 3, 2, 2, False, bias=False, cls="RNN", nonlinearity="relu"))
    cs.append(case("gru", 3, 4, cls="RNN", options={"bias_ih": False}))
    cs.append(case("lstm", 3, 4, 1, True, cls="RNN", options={"bias_hh": False}))
    for cell, I, H in (("lstm", 1, 1), ("gru", 7, 2), ("rnn", 2, 7)):
        cs.append(case(cell, I, H))
    cs.append(case("gru", 3, 5, reset_after=True))
    cs.append(case("lstm", 2, 3, cls="LSTMCell"))
    cs.append(case("lstm", 3, 5, cls="LSTMCell", proj_size=2))
    cs.append(case("lstm", 2, 3, cls="LSTMCell", bias=False))
    cs.append(case("gru", 4, 2, cls="GRUCell"))
    cs.append(case("gru", 2, 4, cls="GRUCell", bias=False))
    cs.append(case("rnn", 3, 3, cls="SimpleRNNCell"))
    cs.append(case("rnn", 3, 3, cls="SimpleRNNCell", nonlinearity="relu"))
    cs.append(case("rnn", 1, 6, cls="SimpleRNNCell", bias=False))
    return cs


def case_id(c):
    s = f"{c['cell']}_{c['class'] or 'base'}_I{c['input_size']}_H{c['hidden_size']}_L{c['num_layers']}"
    s += "_bi" if c["bidirectional"] else "_uni"
    s += "" if c["bias"] else "_nobias"
    if c["proj_size"]:
        s += f"_P{c['proj_size']}"
    if c["cell"] == "rnn" and c["nonlinearity"] != "tanh":
        s += "_" + c["nonlinearity"]
    if c["reset_after"] is not None:
        s += f"_ra{int(c['reset_after'])}"
    for k, v in sorted(c["options"].items()):
        s += f"_{k}-{v}"
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    ver = F.version()
    seen = set()
    for c in grid():
        assert F.supported(c) is None, (c, F.supported(c))
        cid = case_id(c)
        assert cid not in seen, cid
        seen.add(cid)
        rng = np.random.default_rng(zlib.crc32(cid.encode()))
        params = F.parameters(c)
        w = {
            p["path"]: (rng.uniform(-0.7, 0.7, p["shape"]) if p["trainable"] else np.zeros(p["shape"])) for p in params
        }
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
                {
                    "case": c,
                    "framework_version": ver,
                    "parameters": params,
                    "total": total,
                    "trainable": trainable,
                    "state_dict_keys": F.state_dict_keys(c),
                },
                f,
                indent=1,
            )
        print(cid, total, trainable)


if __name__ == "__main__":
    main()

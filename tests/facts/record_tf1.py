"""Record tests/fixtures/recorded/tf1/<case_id>.json and .npz from facts_tf1 (float64, fixed seed)."""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import facts_tf1 as F  # noqa: E402

SEED = 20240601


def case(cell="lstm", I=3, H=4, **kw):
    c = {
        "cell": cell,
        "class": None,
        "input_size": I,
        "hidden_size": H,
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
    c.update(kw)
    return c


GRID = {
    "lstm": case(),
    "lstm_i1_h1": case(I=1, H=1),
    "lstm_i7_h2": case(I=7, H=2),
    "lstm_fb0": case(forget_bias=0.0),
    "lstm_fb2.5": case(forget_bias=2.5),
    "lstm_peep": case(peepholes=True),
    "lstm_proj2": case(proj_size=2),
    "lstm_i5_h6_proj7": case(I=5, H=6, proj_size=7),
    "lstm_peep_proj3": case(peepholes=True, proj_size=3),
    "lstm_cellclip": case(options={"cell_clip": 0.3}),
    "lstm_peep_proj_clips": case(peepholes=True, proj_size=2, options={"cell_clip": 0.5, "proj_clip": 0.2}),
    "lstm_act_relu": case(options={"activation": "relu"}),
    "lstm_l2": case(num_layers=2),
    "lstm_l3_proj2": case(num_layers=3, proj_size=2),
    "lstm_bi": case(bidirectional=True),
    "lstm_bi_l2": case(bidirectional=True, num_layers=2),
    "lstm_bi_l2_multicell": case(bidirectional=True, num_layers=2, options={"bidi_stacking": "multi_rnn_cell"}),
    "lstm_bi_l2_peep_proj2": case(bidirectional=True, num_layers=2, peepholes=True, proj_size=2),
    "basiclstm": case(**{"class": "BasicLSTMCell"}),
    "basiclstm_i2_h5_fb0": case(I=2, H=5, forget_bias=0.0, **{"class": "BasicLSTMCell"}),
    "basiclstm_l2": case(num_layers=2, **{"class": "BasicLSTMCell"}),
    "basiclstm_bi": case(bidirectional=True, **{"class": "BasicLSTMCell"}),
    "basiclstm_bi_l2": case(bidirectional=True, num_layers=2, **{"class": "BasicLSTMCell"}),
    "gru": case("gru"),
    "gru_i1_h1": case("gru", 1, 1),
    "gru_i7_h5": case("gru", 7, 5),
    "gru_act_relu": case("gru", options={"activation": "relu"}),
    "gru_l3": case("gru", num_layers=3),
    "gru_bi": case("gru", bidirectional=True),
    "gru_bi_l2": case("gru", bidirectional=True, num_layers=2),
    "gru_bi_l2_multicell": case("gru", bidirectional=True, num_layers=2, options={"bidi_stacking": "multi_rnn_cell"}),
    "rnn": case("rnn"),
    "rnn_relu": case("rnn", nonlinearity="relu"),
    "rnn_i6_h1": case("rnn", 6, 1),
    "rnn_i1_h7": case("rnn", 1, 7),
    "rnn_l2": case("rnn", num_layers=2),
    "rnn_bi": case("rnn", bidirectional=True),
    "rnn_bi_l2_relu": case("rnn", bidirectional=True, num_layers=2, nonlinearity="relu"),
}


def record(out_dir: str, grid: dict = GRID) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    version = F.framework_version()
    written = []
    for k, (cid, c) in enumerate(sorted(grid.items())):
        reason = F.supported(c)
        if reason is not None:
            raise ValueError(f"{cid}: {reason}")
        rng = np.random.default_rng(SEED + k)
        params = F.parameters(c)
        weights = {p["path"]: rng.uniform(-0.8, 0.8, p["shape"]) for p in params}
        x = rng.standard_normal((2, 4, c["input_size"]))
        res = F.forward(c, weights, x)
        arrays = dict(weights)
        arrays["x"] = x
        arrays["output"] = res["output"]
        for j, f in enumerate(res["final"]):
            arrays[f"final_{j}_h"] = f["h"]
            if "c" in f:
                arrays[f"final_{j}_c"] = f["c"]
        np.savez_compressed(os.path.join(out_dir, cid + ".npz"), **arrays)
        total = sum(math.prod(p["shape"]) for p in params)
        meta = {
            "case": c,
            "framework_version": version,
            "parameters": params,
            "total": total,
            "trainable": sum(math.prod(p["shape"]) for p in params if p["trainable"]),
        }
        with open(os.path.join(out_dir, cid + ".json"), "w") as fh:
            json.dump(meta, fh, indent=1)
            fh.write("\n")
        written.append(cid)
    return written


if __name__ == "__main__":
    done = record(os.path.join(os.path.dirname(HERE), "fixtures", "recorded", "tf1"))
    print(f"{len(done)} cases written")

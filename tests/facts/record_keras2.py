"""Record tests/fixtures/recorded/keras2/<case_id>.json and .npz from facts_keras2.

float64, fixed seed; the CuDNN classes run through Keras's own weight conversion.
"""

from __future__ import annotations

import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import facts_keras2 as F  # noqa: E402

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
    "lstm_i7_h5": case(I=7, H=5),
    "lstm_nobias": case(bias=False),
    "lstm_hardsig": case(options={"recurrent_activation": "hard_sigmoid"}),
    "lstm_act_relu": case(options={"activation": "relu"}),
    "lstm_impl1": case(options={"implementation": 1}),
    "lstm_l2": case(num_layers=2),
    "lstm_bi": case(bidirectional=True),
    "lstm_bi_l2": case(bidirectional=True, num_layers=2),
    "v1lstm": case(**{"class": "v1.LSTM"}),
    "v1lstm_sigmoid": case(options={"recurrent_activation": "sigmoid"}, **{"class": "v1.LSTM"}),
    "v1lstm_nobias": case(bias=False, **{"class": "v1.LSTM"}),
    "v1lstm_bi_l2": case(bidirectional=True, num_layers=2, **{"class": "v1.LSTM"}),
    "cudnnlstm": case(**{"class": "CuDNNLSTM"}),
    "cudnnlstm_i1_h1": case(I=1, H=1, **{"class": "CuDNNLSTM"}),
    "cudnnlstm_i6_h2": case(I=6, H=2, **{"class": "CuDNNLSTM"}),
    "cudnnlstm_l2": case(num_layers=2, **{"class": "CuDNNLSTM"}),
    "cudnnlstm_bi": case(bidirectional=True, **{"class": "CuDNNLSTM"}),
    "gru": case("gru"),
    "gru_i1_h1": case("gru", 1, 1),
    "gru_i7_h6": case("gru", 7, 6),
    "gru_resetbefore": case("gru", reset_after=False),
    "gru_nobias": case("gru", bias=False),
    "gru_resetbefore_nobias": case("gru", reset_after=False, bias=False),
    "gru_hardsig": case("gru", options={"recurrent_activation": "hard_sigmoid"}),
    "gru_l2": case("gru", num_layers=2),
    "gru_bi": case("gru", bidirectional=True),
    "gru_bi_l2": case("gru", bidirectional=True, num_layers=2),
    "v1gru": case("gru", **{"class": "v1.GRU"}),
    "v1gru_resetafter": case("gru", reset_after=True, **{"class": "v1.GRU"}),
    "v1gru_bi": case("gru", bidirectional=True, **{"class": "v1.GRU"}),
    "v1gru_nobias": case("gru", bias=False, **{"class": "v1.GRU"}),
    "cudnngru": case("gru", **{"class": "CuDNNGRU"}),
    "cudnngru_i2_h5": case("gru", 2, 5, **{"class": "CuDNNGRU"}),
    "cudnngru_l2": case("gru", num_layers=2, **{"class": "CuDNNGRU"}),
    "cudnngru_bi": case("gru", bidirectional=True, **{"class": "CuDNNGRU"}),
    "rnn": case("rnn"),
    "rnn_i1_h1": case("rnn", 1, 1),
    "rnn_i7_h3": case("rnn", 7, 3),
    "rnn_relu": case("rnn", nonlinearity="relu"),
    "rnn_nobias": case("rnn", bias=False),
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
        if c["class"] in F.CUDNN:
            meta["note"] = F.CUDNN_FORWARD_NOTE
        with open(os.path.join(out_dir, cid + ".json"), "w") as fh:
            json.dump(meta, fh, indent=1)
            fh.write("\n")
        written.append(cid)
    return written


if __name__ == "__main__":
    done = record(os.path.join(os.path.dirname(HERE), "fixtures", "recorded", "keras2"))
    print(f"{len(done)} cases written")

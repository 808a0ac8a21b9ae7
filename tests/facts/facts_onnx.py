"""Ground-truth builder for the ONNX operators LSTM, GRU and RNN (default domain).

A case is built as exporters build it: one node per stacked layer, W, R, B (optional) and
P (optional, LSTM peepholes) stored as initializers, the next layer reading the previous
layer's Y reshaped to [seq, batch, num_directions*H] (layout 0) or [batch, seq,
num_directions*H] (layout 1).

Initializer names chosen here: "<cell>.<layer>.W", ".R", ".B", ".P" (e.g. "lstm.0.W").
ONNX itself has no naming convention; see REPORT.md for the names PyTorch's exporters emit.

case["options"] keys understood here:
  "direction": "reverse"           only with bidirectional=False (default "forward";
                                   bidirectional=True gives "bidirectional")
  "layout": 0 | 1                  node attribute layout (default 0; needs opset >= 14;
                                   onnxruntime refuses 1, so 1 needs runtime "reference")
  "opset": int                     default-domain opset of the model (default 22)
  "runtime": "onnxruntime" | "reference"
                                   onnxruntime (default) runs float32 only: its CPU LSTM/GRU
                                   kernels reject double and it has no double RNN kernel, so
                                   float64 inputs are cast to float32. "reference" runs
                                   onnx.reference.ReferenceEvaluator in the dtype of x.
"""

from __future__ import annotations

import numpy as np

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
OP_TYPE = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
RNN_ACTIVATION = {"tanh": "Tanh", "relu": "Relu"}
KNOWN_OPTIONS = {"direction", "layout", "opset", "runtime"}
DEFAULT_OPSET = 22


def _opts(case: dict) -> dict:
    return case.get("options") or {}


def direction(case: dict) -> str:
    if case.get("bidirectional"):
        return "bidirectional"
    return _opts(case).get("direction", "forward")


def num_directions(case: dict) -> int:
    return 2 if case.get("bidirectional") else 1


def layout(case: dict) -> int:
    return int(_opts(case).get("layout", 0))


def opset(case: dict) -> int:
    return int(_opts(case).get("opset", DEFAULT_OPSET))


def runtime(case: dict) -> str:
    return _opts(case).get("runtime", "onnxruntime")


def supported(case: dict) -> str | None:
    """None if the framework can build this case as users do, else the reason (one sentence)."""
    cell = case.get("cell")
    if cell not in GATES:
        return f"ONNX has no recurrent operator for cell {cell!r}."
    cls = case.get("class")
    if cls is not None and cls != OP_TYPE[cell]:
        return f"The ONNX operator for cell {cell!r} is {OP_TYPE[cell]!r}, not {cls!r}."
    for key in ("input_size", "hidden_size", "num_layers"):
        if int(case.get(key, 1)) < 1:
            return f"{key} must be at least 1."
    if case.get("proj_size", 0):
        return "ONNX LSTM has no projection (proj_size); exporters refuse LSTMs with projections."
    if case.get("peepholes") and cell != "lstm":
        return "Only the ONNX LSTM has peepholes (input P)."
    if case.get("forget_bias") not in (None, 0, 0.0):
        return "ONNX LSTM has no run-time forget bias; fold it into B instead."
    if case.get("reset_after") is not None and cell != "gru":
        return "reset_after (linear_before_reset) exists only for the ONNX GRU."
    nl = case.get("nonlinearity", "tanh")
    if cell == "rnn" and nl not in RNN_ACTIVATION:
        return f"RNN nonlinearity {nl!r} is not mapped here (tanh or relu)."
    opts = _opts(case)
    unknown = set(opts) - KNOWN_OPTIONS
    if unknown:
        return f"Unknown options {sorted(unknown)} (clip, input_forget, activations and sequence_lens are refused)."
    d = opts.get("direction", "forward")
    if d not in ("forward", "reverse"):
        return f"options.direction must be 'forward' or 'reverse', not {d!r}."
    if d == "reverse" and case.get("bidirectional"):
        return "options.direction='reverse' contradicts bidirectional=True."
    if layout(case) not in (0, 1):
        return "options.layout must be 0 or 1."
    op = opset(case)
    if op < 7:
        return "Opsets below 7 have older LSTM/GRU/RNN signatures (GRU-1 has no linear_before_reset)."
    if layout(case) == 1 and op < 14:
        return "The layout attribute exists from opset 14."
    if runtime(case) not in ("onnxruntime", "reference"):
        return "options.runtime must be 'onnxruntime' or 'reference'."
    if runtime(case) == "onnxruntime" and layout(case) == 1:
        return "onnxruntime's CPU kernels refuse layout=1 (use options.runtime='reference')."
    if runtime(case) == "reference" and cell == "rnn" and nl != "tanh":
        return "onnx.reference implements only Tanh and Affine RNN activations."
    return None


def _check(case: dict) -> None:
    reason = supported(case)
    if reason is not None:
        raise ValueError(reason)


def _layer_input_size(case: dict, layer: int) -> int:
    if layer == 0:
        return int(case["input_size"])
    return num_directions(case) * int(case["hidden_size"])


def parameters(case: dict) -> list[dict]:
    """Initializers of the graph, in graph.initializer order (layer by layer: W, R, B, P)."""
    _check(case)
    cell = case["cell"]
    g, h, d = GATES[cell], int(case["hidden_size"]), num_directions(case)
    out = []
    for layer in range(int(case.get("num_layers", 1))):
        pre = f"{cell}.{layer}."
        out.append({"path": pre + "W", "shape": [d, g * h, _layer_input_size(case, layer)], "trainable": True})
        out.append({"path": pre + "R", "shape": [d, g * h, h], "trainable": True})
        if case.get("bias", True):
            out.append({"path": pre + "B", "shape": [d, 2 * g * h], "trainable": True})
        if cell == "lstm" and case.get("peepholes"):
            out.append({"path": pre + "P", "shape": [d, 3 * h], "trainable": True})
    return out


def node_attributes(case: dict) -> dict:
    """Attributes set on each node (attributes left at their schema default are omitted)."""
    _check(case)
    cell = case["cell"]
    attrs = {"hidden_size": int(case["hidden_size"])}
    if direction(case) != "forward":
        attrs["direction"] = direction(case)
    if layout(case):
        attrs["layout"] = 1
    if cell == "gru" and case.get("reset_after") is not None:
        attrs["linear_before_reset"] = 1 if case["reset_after"] else 0
    if cell == "rnn":
        nl = RNN_ACTIVATION[case.get("nonlinearity", "tanh")]
        if nl != "Tanh":
            attrs["activations"] = [nl] * num_directions(case)
    return attrs


def build_model(case: dict, weights: dict, dtype=np.float32):
    """The ONNX ModelProto for the case with the given weights as initializers."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    _check(case)
    cell = case["cell"]
    op_type = OP_TYPE[cell]
    elem = TensorProto.DOUBLE if np.dtype(dtype) == np.float64 else TensorProto.FLOAT
    n_layers = int(case.get("num_layers", 1))
    lay = layout(case)
    attrs = node_attributes(case)
    initializers, nodes, outputs = [], [], []
    for p in parameters(case):
        arr = np.asarray(weights[p["path"]], dtype=dtype)
        if list(arr.shape) != p["shape"]:
            raise ValueError(f"{p['path']}: shape {list(arr.shape)} != {p['shape']}")
        initializers.append(numpy_helper.from_array(arr, name=p["path"]))
    if n_layers > 1:
        nodes.append(
            helper.make_node(
                "Constant", [], ["concat_shape"], value=numpy_helper.from_array(np.array([0, 0, -1], dtype=np.int64))
            )
        )
    x_name = "X"
    for layer in range(n_layers):
        pre = f"{cell}.{layer}."
        ins = [x_name, pre + "W", pre + "R", pre + "B" if case.get("bias", True) else "", "", "", ""]
        if cell == "lstm" and case.get("peepholes"):
            ins.append(pre + "P")
        if cell != "lstm":
            ins = ins[:6]
        while ins and ins[-1] == "":
            ins.pop()
        outs = [f"Y_{layer}", f"Y_h_{layer}"] + ([f"Y_c_{layer}"] if cell == "lstm" else [])
        nodes.append(helper.make_node(op_type, ins, outs, name=f"{cell}.{layer}", **attrs))
        outputs.extend(outs[1:])
        if layer < n_layers - 1:
            y = outs[0]
            if lay == 0:
                nodes.append(helper.make_node("Transpose", [y], [f"Y_t_{layer}"], perm=[0, 2, 1, 3]))
                y = f"Y_t_{layer}"
            nodes.append(helper.make_node("Reshape", [y, "concat_shape"], [f"X_{layer + 1}"]))
            x_name = f"X_{layer + 1}"
    outputs = [f"Y_{n_layers - 1}", *outputs]
    d, h = num_directions(case), int(case["hidden_size"])
    if lay == 0:
        x_shape, y_shape, s_shape = ["seq", "batch", int(case["input_size"])], ["seq", d, "batch", h], [d, "batch", h]
    else:
        x_shape, y_shape, s_shape = ["batch", "seq", int(case["input_size"])], ["batch", "seq", d, h], ["batch", d, h]
    graph = helper.make_graph(
        nodes,
        f"{cell}_graph",
        [helper.make_tensor_value_info("X", elem, x_shape)],
        [helper.make_tensor_value_info(o, elem, y_shape if i == 0 else s_shape) for i, o in enumerate(outputs)],
        initializers,
    )
    op_id = helper.make_opsetid("", opset(case))
    model = helper.make_model(
        graph,
        opset_imports=[op_id],
        producer_name="facts_onnx",
        ir_version=max(4, helper.find_min_ir_version_for([op_id])),
    )
    onnx.checker.check_model(model)
    return model


def run_model(case: dict, model, x_onnx: np.ndarray) -> list[np.ndarray]:
    """Run the model on X (already in the node's layout) with the case's runtime."""
    if runtime(case) == "reference":
        from onnx.reference import ReferenceEvaluator

        return [np.asarray(a) for a in ReferenceEvaluator(model).run(None, {"X": x_onnx})]
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": x_onnx})


def compute_dtype(case: dict, x: np.ndarray):
    if runtime(case) == "reference" and np.asarray(x).dtype == np.float64:
        return np.float64
    return np.float32


def forward(case: dict, weights: dict, x: np.ndarray) -> dict:
    """Run x (B, T, I) through the graph and return batch-first outputs and final states."""
    _check(case)
    x = np.asarray(x)
    dtype = compute_dtype(case, x)
    model = build_model(case, weights, dtype)
    lay = layout(case)
    x_onnx = np.ascontiguousarray(x.astype(dtype) if lay else x.astype(dtype).transpose(1, 0, 2))
    res = run_model(case, model, x_onnx)
    y = np.asarray(res[0])
    d, h = num_directions(case), int(case["hidden_size"])
    if lay == 0:
        y = y.transpose(2, 0, 1, 3)
    b, t = y.shape[0], y.shape[1]
    output = y.reshape(b, t, d * h)
    is_lstm = case["cell"] == "lstm"
    per_layer = 2 if is_lstm else 1
    final = []
    for layer in range(int(case.get("num_layers", 1))):
        yh = np.asarray(res[1 + per_layer * layer])
        yc = np.asarray(res[2 + per_layer * layer]) if is_lstm else None
        for k in range(d):
            entry = {"h": yh[k] if lay == 0 else yh[:, k]}
            if is_lstm:
                entry["c"] = yc[k] if lay == 0 else yc[:, k]
            final.append(entry)
    return {"output": output, "final": final}


def count(case: dict) -> tuple[int, int]:
    """(total, trainable) element counts of the initializers."""
    ps = parameters(case)
    n = sum(int(np.prod(p["shape"])) for p in ps)
    return n, sum(int(np.prod(p["shape"])) for p in ps if p["trainable"])


def versions() -> dict:
    import onnx
    import onnxruntime

    return {"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}

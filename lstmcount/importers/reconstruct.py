"""From a state dict's tensor names and shapes to a spec: which modules it holds, with their options.

A PyTorch (or Paddle) state dict names each tensor by its module's path and its own name. Each
module is recognised from its tensors:

* a recurrent layer by ``weight_ih_l<k>`` / ``weight_hh_l<k>`` (``_reverse`` for the backward
  direction, ``weight_hr_l<k>`` for a projection): the gate count from ``weight_hh``'s rows over
  its columns (4 an LSTM, 3 a GRU, 1 a simple RNN), the input size from ``weight_ih_l0``, the
  layers and directions from the suffixes, the bias from ``bias_ih``;
* its cell form by ``weight_ih`` / ``weight_hh`` without a layer suffix;
* a linear layer by a 2-D ``weight`` (and its ``bias``), an embedding by a 2-D ``weight`` without
  bias in a module whose name says so, a 1-D convolution by a 3-D ``weight``, a layer
  normalization by 1-D ``weight`` and ``bias``;
* a batch normalization's running statistics are buffers, not parameters: they are set aside.

Anything else is kept as a generic layer of its own tensors, so the count always equals the
file's. Modules are read in the file's order; one that does not read the previous one's output
reads the model's input, or an input of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lstmcount.importers.base import Contents, FileTensor

#: a recurrent tensor of a layer: kind, side, stacked index, direction
RECURRENT = re.compile(r"^(weight|bias)_(ih|hh|hr)_l(\d+)(_reverse)?$")
CELL = re.compile(r"^(weight|bias)_(ih|hh)$")
GATES = {4: "lstm", 3: "gru", 1: "simple_rnn"}
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


@dataclass
class Module:
    """The tensors of one module, by their own names, and its path in the state dict."""

    path: str
    tensors: dict[str, FileTensor] = field(default_factory=dict)
    #: its tensors that are another module's (a second name of one tensor): leaf -> the first name
    tied: dict[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str | None:
        """The enclosing modules' path."""
        return self.path.rsplit(".", 1)[0] if "." in self.path else None

    @property
    def name(self) -> str:
        """The module's own attribute name."""
        return self.path.rsplit(".", 1)[-1]


@dataclass
class Reconstruction:
    """A spec made from a state dict, and what the file holds that is not the model's parameters."""

    spec: dict[str, Any]
    set_aside: list[tuple[str, int, str]]
    notes: list[str]
    #: the file's tensors that are not the model's parameters (buffers), set aside by name
    aside: frozenset[str] = frozenset()


def _modules(tensors: list[FileTensor], aliases: dict[str, str]) -> list[Module]:
    """The modules of a state dict, in the order their first tensors appear; a second name is a tied tensor."""
    out: dict[str, Module] = {}
    by_name = {t.name: t for t in tensors}
    order = [(t.name, t) for t in tensors] + [(a, by_name[b]) for a, b in aliases.items() if b in by_name]
    for name, t in order:
        path, _, leaf = name.rpartition(".")
        module = out.setdefault(path, Module(path))
        module.tensors[leaf] = FileTensor(name, t.shape, t.dtype)
        if name != t.name:
            module.tied[leaf] = t.name
    return list(out.values())


def _known(module: Module) -> bool:
    return bool(_recurrent(module) or _cell(module) or _plain(module))


def _merge_unknown(modules: list[Module]) -> list[Module]:
    """A module lstmcount does not know takes in the modules inside it: one generic layer of all their tensors."""
    unknown = [m.path for m in modules if m.path and not _known(m)]
    out: list[Module] = []
    owners: dict[str, Module] = {}
    for module in modules:
        owner = next((u for u in unknown if module.path.startswith(u + ".")), None)
        if owner is not None and owner in owners:
            for leaf, t in module.tensors.items():
                owners[owner].tensors[module.path[len(owner) + 1 :] + "." + leaf] = t
            continue
        if module.path in unknown:
            owners[module.path] = module
        out.append(module)
    return out


def _recurrent(module: Module) -> dict[str, Any] | None:
    """A recurrent layer's spec fields, when every tensor of the module is one of its (else None)."""
    found = {leaf: RECURRENT.match(leaf) for leaf in module.tensors}
    if (
        not found
        or not all(found.values())
        or "weight_hh_l0" not in module.tensors
        or "weight_ih_l0" not in module.tensors
    ):
        return None
    hh, ih = module.tensors["weight_hh_l0"].shape, module.tensors["weight_ih_l0"].shape
    if len(hh) != 2 or len(ih) != 2:
        return None
    proj = module.tensors.get("weight_hr_l0")
    if proj is not None:
        if len(proj.shape) != 2:
            return None
        width, units = proj.shape
    else:
        width = units = hh[1]
    if units == 0 or hh[0] % units or hh[0] // units not in GATES or hh[1] != width:
        return None
    layers = 1 + max(int(m.group(3)) for m in found.values() if m)
    directions = 2 if any(m and m.group(4) for m in found.values()) else 1
    fields: dict[str, Any] = {"type": GATES[hh[0] // units], "units": units, "input_size": ih[1]}
    if layers > 1:
        fields["num_layers"] = layers
    if directions == 2:
        fields["bidirectional"] = True
    if "bias_ih_l0" not in module.tensors:
        fields["use_bias"] = False
    if proj is not None:
        fields["proj_size"] = width
    return fields


def _cell(module: Module) -> dict[str, Any] | None:
    leaves = set(module.tensors)
    if not leaves or not all(CELL.match(x) for x in leaves) or not {"weight_ih", "weight_hh"} <= leaves:
        return None
    hh, ih = module.tensors["weight_hh"].shape, module.tensors["weight_ih"].shape
    if len(hh) != 2 or len(ih) != 2 or hh[1] == 0 or hh[0] % hh[1] or hh[0] // hh[1] not in GATES:
        return None
    kind = GATES[hh[0] // hh[1]]
    fields: dict[str, Any] = {"type": kind, "units": hh[1], "input_size": ih[1]}
    fields["class"] = {"lstm": "LSTMCell", "gru": "GRUCell", "simple_rnn": "RNNCell"}[kind]
    if "bias_ih" not in leaves:
        fields["use_bias"] = False
    return fields


def _plain(module: Module) -> tuple[dict[str, Any], int | None] | None:
    """A plain layer's spec fields and the features it reads (None: none asked), or None."""
    t = module.tensors
    leaves = set(t)
    weight, bias = t.get("weight"), t.get("bias")
    if weight is None or not leaves <= {"weight", "bias"}:
        return None
    if bias is not None and (len(bias.shape) != 1 or bias.shape[0] != weight.shape[0]):
        return None
    embedding = "emb" in module.name.lower()
    if len(weight.shape) == 2 and embedding and bias is None:
        return {"type": "embedding", "vocab": weight.shape[0], "dim": weight.shape[1]}, None
    if len(weight.shape) == 2:
        fields: dict[str, Any] = {"type": "dense", "units": weight.shape[0]}
        if bias is None:
            fields["use_bias"] = False
        return fields, weight.shape[1]
    if len(weight.shape) == 3:
        fields = {"type": "conv1d", "filters": weight.shape[0], "kernel_size": weight.shape[2]}
        if bias is None:
            fields["use_bias"] = False
        return fields, weight.shape[1]
    if len(weight.shape) == 1 and bias is not None:
        return {"type": "layer_normalization"}, weight.shape[0]
    return None


def _output(fields: dict[str, Any], reads: int | None) -> int | None:
    """The features a layer gives."""
    kind = fields["type"]
    if kind in ("lstm", "gru", "simple_rnn"):
        width = fields.get("proj_size") or fields["units"]
        return int(width) * (2 if fields.get("bidirectional") else 1)
    if kind == "dense":
        return int(fields["units"])
    if kind == "conv1d":
        return int(fields["filters"])
    if kind == "embedding":
        return int(fields["dim"])
    return reads


def from_state_dict(contents: Contents, framework: str) -> Reconstruction:
    """The spec of a state dict keyed by module paths, in ``framework``: one layer per module, in the file's order."""
    set_aside: list[tuple[str, int, str]] = []
    notes: list[str] = []
    kept: list[FileTensor] = []
    buffers: dict[str, list[FileTensor]] = {}  # module path -> its running statistics
    for t in contents.tensors:
        path, _, leaf = t.name.rpartition(".")
        if leaf in BUFFERS:
            buffers.setdefault(path, []).append(t)
        else:
            kept.append(t)
    for found in buffers.values():
        names = ", ".join(t.name for t in found)
        set_aside.append((names, sum(t.params for t in found), "buffers: running statistics, not parameters"))
    layers: list[dict[str, Any]] = []
    inputs: dict[str, dict[str, Any]] = {}
    model_input: dict[str, Any] = {}
    flow: int | None = None  # the features the previous layer gives
    modules = _merge_unknown(_modules(kept, contents.aliases))
    if not contents.ordered:
        modules = _chained(modules)
    for n, module in enumerate(modules):
        fields = _recurrent(module) or _cell(module)
        reads: int | None
        if fields is not None:
            reads = fields.pop("input_size")
        else:
            plain = _plain(module)
            if plain is not None and module.path in buffers:  # a batch normalization: not a spec layer type
                fields = {
                    "type": "generic",
                    "class": "BatchNorm",
                    "tensors": {k: list(v.shape) for k, v in module.tensors.items()},
                }
                reads = plain[1]
            elif plain is not None:
                fields, reads = plain
            else:
                fields = {"type": "generic", "tensors": {k: list(v.shape) for k, v in module.tensors.items()}}
                reads = None
        if module.path:
            fields["name"] = module.name
            if module.scope:
                fields["scope"] = module.scope
        if n == 0:
            if fields["type"] == "embedding":
                model_input = {"vocab": fields["vocab"]}
            elif reads is not None:
                model_input = {"features": reads}
        elif reads is not None and reads != flow:
            if model_input.get("features") == reads:
                fields["from"] = "input"
            else:
                name = f"{module.path or 'input'}_input".replace(".", "_")
                inputs[name] = {"features": reads}
                fields["from"] = name
        if fields["type"] == "embedding" and n:  # a later embedding reads token ids of its own
            tokens = f"{module.path or 'embedding'}_tokens".replace(".", "_")
            inputs[tokens] = {"vocab": fields.pop("vocab")}
            fields["from"] = tokens
            reads = None
        tied = {leaf: target for leaf, target in module.tied.items()}
        if tied:
            fields["tied"] = tied
        layers.append(fields)
        flow = _output(fields, reads if reads is not None else flow)
    sequences(layers)
    rnns = [f.get("name") or "the RNN" for f in layers if f["type"] == "simple_rnn"]
    if rnns:
        notes.append(
            f"A simple RNN's nonlinearity (tanh or relu) is not in its tensors: {', '.join(rnns)} is rebuilt with "
            "tanh, the default; the count is the same with either, a forward pass (verify) is not."
        )
    if not model_input:
        first = next((f for f in layers if f["type"] != "generic"), None)
        model_input = {"features": 1} if first is None else model_input
    spec: dict[str, Any] = {"framework": framework, "input": model_input}
    if inputs:
        spec["inputs"] = inputs
    spec["layers"] = layers
    aside = frozenset(t.name for found in buffers.values() for t in found)
    return Reconstruction(spec, set_aside, notes, aside)


def _reads_and_gives(module: Module) -> tuple[int | None, int | None]:
    fields = _recurrent(module) or _cell(module)
    if fields is not None:
        reads = fields.pop("input_size")
        return reads, _output(fields, reads)
    plain = _plain(module)
    if plain is None:
        return None, None
    return plain[1], _output(plain[0], plain[1])


def _chained(modules: list[Module]) -> list[Module]:
    """Modules of a file that keeps no order (safetensors sorts its keys), put where each reads the last one's output.

    From each module, the modules that read what the last one gives follow while there are any;
    the longest such chain is kept (an embedding's first, when it ties), the rest keep their order.
    """
    sizes = {id(m): _reads_and_gives(m) for m in modules}

    def chain(first: Module) -> list[Module]:
        out = [first]
        while True:
            gives = sizes[id(out[-1])][1]
            after = next((m for m in modules if m not in out and gives is not None and sizes[id(m)][0] == gives), None)
            if after is None:
                return out
            out.append(after)

    chains = [chain(m) for m in modules]
    best = max(chains, key=lambda c: (len(c), "emb" in c[0].name.lower()), default=[])
    return best + [m for m in modules if m not in best]


def sequences(layers: list[dict[str, Any]]) -> None:
    """A recurrent layer returns every step when a layer that reads it needs a sequence (counts do not depend on it).

    A layer reads the one before it, or the layer its ``from`` names (by scope and name).
    """
    for n, layer in enumerate(layers):
        if layer["type"] not in ("lstm", "gru", "simple_rnn"):
            continue
        full = ".".join(x for x in (layer.get("scope"), layer.get("name")) if x)
        readers = [f for f in layers[n + 1 : n + 2] if "from" not in f]
        readers += [f for f in layers[n + 1 :] if full and (f.get("from") == full or full in (f.get("from") or ()))]
        if any(f["type"] in ("lstm", "gru", "simple_rnn", "conv1d") for f in readers):
            layer["return_sequences"] = True

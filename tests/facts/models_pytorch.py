"""PyTorch models saved as the files people have, with what PyTorch itself says about each.

Each case builds a module, saves it in every form a PyTorch user meets (a ``torch.save`` zip
archive as ``.pt``, ``.pth`` and ``.bin``, the legacy format, a training checkpoint with the
optimizer's state, ``.safetensors``), and returns the facts read from PyTorch: the parameter
count (``model.parameters()``, where a tied tensor is one parameter), each parameter's name and
shape, the state dict's total (buffers included) and each recurrent module's constructor
arguments. ``tests/modelfiles.py`` compares ``lstmcount inspect`` with them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

#: a case's module, built with a fixed seed
Builder = Callable[[], nn.Module]


class Tagger(nn.Module):
    """Embedding, a stacked bidirectional LSTM and a linear head: a sequence tagger."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(50, 8)
        self.lstm = nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(32, 5)


class Seq2Seq(nn.Module):
    """An encoder and a decoder in one state dict, each with its own embedding: no single chain."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.ModuleDict({"embedding": nn.Embedding(30, 6), "rnn": nn.GRU(6, 12, batch_first=True)})
        self.decoder = nn.ModuleDict({"embedding": nn.Embedding(40, 7), "rnn": nn.GRU(7, 12, batch_first=True)})
        self.out = nn.Linear(12, 40)


class TiedLanguageModel(nn.Module):
    """A language model whose output layer shares the embedding's weight (one tensor, two names)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(60, 10)
        self.rnn = nn.LSTM(10, 10, batch_first=True)
        self.decoder = nn.Linear(10, 60)
        self.decoder.weight = self.embedding.weight


class ConvRecurrent(nn.Module):
    """A 1-D convolution, batch normalization, an LSTM with a projection and a layer normalization."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(6, 9, kernel_size=3)
        self.bn = nn.BatchNorm1d(9)
        self.lstm = nn.LSTM(9, 12, proj_size=5, batch_first=True)
        self.norm = nn.LayerNorm(5)
        self.head = nn.Linear(5, 2, bias=False)


class Cells(nn.Module):
    """Each cell class once, looped by the user's own code."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm_cell = nn.LSTMCell(4, 6)
        self.gru_cell = nn.GRUCell(6, 5, bias=False)
        self.rnn_cell = nn.RNNCell(5, 3, nonlinearity="relu")


class WithAttention(nn.Module):
    """A GRU followed by multi-head attention, which lstmcount does not model: counted from its tensors."""

    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(8, 16, num_layers=3, batch_first=True)
        self.attention = nn.MultiheadAttention(16, 2, batch_first=True)
        self.head = nn.Linear(16, 3)


#: the cases, by name
CASES: dict[str, Builder] = {
    "lstm_100_128": lambda: nn.LSTM(100, 128),
    "gru_bidirectional_no_bias": lambda: nn.GRU(7, 9, num_layers=2, bidirectional=True, bias=False),
    "rnn_relu": lambda: nn.RNN(5, 4, nonlinearity="relu"),
    "lstm_projection_stacked": lambda: nn.LSTM(6, 10, num_layers=3, proj_size=4, bidirectional=True),
    "sequential": lambda: nn.Sequential(nn.Linear(3, 8), nn.LSTM(8, 4)),
    "tagger": Tagger,
    "seq2seq": Seq2Seq,
    "tied_language_model": TiedLanguageModel,
    "conv_recurrent": ConvRecurrent,
    "cells": Cells,
    "attention": WithAttention,
}


#: every form a case is saved in
FORMS = ("pt", "pth", "bin", "legacy", "checkpoint", "safetensors")
#: the forms a large case is recorded in (the live tests save every form)
RECORDED_FORMS = {"lstm_100_128": ("pt", "safetensors")}


def _recurrent(path: str, module: nn.Module) -> dict[str, Any] | None:
    """A recurrent module's constructor arguments, as PyTorch holds them."""
    if isinstance(module, nn.RNNBase):
        return {
            "path": path,
            "class": type(module).__name__,
            "input_size": module.input_size,
            "hidden_size": module.hidden_size,
            "num_layers": module.num_layers,
            "bidirectional": module.bidirectional,
            "bias": module.bias,
            "proj_size": getattr(module, "proj_size", 0),
        }
    if isinstance(module, nn.RNNCellBase):
        return {
            "path": path,
            "class": type(module).__name__,
            "input_size": module.input_size,
            "hidden_size": module.hidden_size,
            "num_layers": 1,
            "bidirectional": False,
            "bias": module.bias,
            "proj_size": 0,
        }
    return None


def facts(model: nn.Module) -> dict[str, Any]:
    """What PyTorch says about ``model``: its counts, its parameters, its recurrent modules."""
    state = model.state_dict()
    storages = {(t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape)): t for t in state.values()}
    return {
        "total": sum(p.numel() for p in model.parameters()),
        "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "file_total": sum(t.numel() for t in storages.values()),
        "parameters": {name: list(p.shape) for name, p in model.named_parameters()},
        "state_dict": {name: list(t.shape) for name, t in state.items()},
        "recurrent": [r for path, m in model.named_modules() if (r := _recurrent(path, m)) is not None],
    }


def _step(model: nn.Module) -> torch.optim.Optimizer:
    """An Adam optimizer after one step, so that its state holds a moment per parameter."""
    optimizer = torch.optim.Adam(model.parameters())
    loss = sum((p.float() ** 2).sum() for p in model.parameters())
    loss.backward()  # type: ignore[union-attr]
    optimizer.step()
    return optimizer


def save(name: str, out: Path, *, forms: tuple[str, ...] = FORMS) -> dict[str, Any]:
    """Build case ``name``, save it in each of ``forms`` into ``out``; the facts, with the files written."""
    from safetensors.torch import save_model

    torch.manual_seed(0)
    model = CASES[name]()
    found = facts(model)
    files: dict[str, str] = {}
    for form in forms:
        if form in ("pt", "pth", "bin"):
            path = out / f"{name}.{form}"
            torch.save(model.state_dict(), path)
        elif form == "legacy":
            path = out / f"{name}.legacy.pt"
            torch.save(model.state_dict(), path, _use_new_zipfile_serialization=False)
        elif form == "checkpoint":
            path = out / f"{name}.checkpoint.pt"
            optimizer = _step(model)
            torch.save(
                {"epoch": 3, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict()},
                path,
            )
        elif form == "safetensors":
            path = out / f"{name}.safetensors"
            save_model(model, str(path))  # drops the second name of a tied tensor
        else:
            raise ValueError(form)
        files[path.name] = form
    found["files"] = files
    if "safetensors" in forms:
        from safetensors import safe_open

        with safe_open(str(out / f"{name}.safetensors"), "np") as handle:
            found["safetensors"] = {k: list(handle.get_slice(k).get_shape()) for k in handle.keys()}  # noqa: SIM118
    return found

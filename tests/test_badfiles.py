"""The bad-file catalogue: every hostile or broken model file is refused with one line, exit 2, nothing run.

``tests/badfiles/make.py`` writes the files of ``tests/badfiles/files/`` (its docstring says what
each attack is). Each file is copied alone (with its companions) into a fresh directory and read
there by ``lstmcount inspect FILE`` and by ``lstmcount FILE``, each in its own process with a time
limit and (on Linux) an address-space cap, its peak memory measured. Every run must exit 2 with
nothing on standard output and exactly one line on standard error, ``lstmcount: error: FILE: ...``,
and leave the directory as it found it: no ``CANARY`` (the file the malicious pickles try to
create), no other file. The messages are kept in ``tests/badfiles/expected.txt``;
``--update-goldens`` rewrites it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.pool import ThreadPool
from pathlib import Path
from types import ModuleType

import pytest
from _pytest.mark import ParameterSet

ROOT = Path(__file__).resolve().parent.parent
BADFILES = ROOT / "tests" / "badfiles"
FILES = BADFILES / "files"
EXPECTED = BADFILES / "expected.txt"
#: a case's companion files (an ONNX model's external data) are named <case>.data
COMPANION = ".data"
CASES = sorted(p.name for p in FILES.iterdir() if not p.name.endswith(COMPANION)) if FILES.is_dir() else []
#: the two ways a file is read: ``lstmcount inspect FILE`` and ``lstmcount FILE``
COMMANDS = {"inspect": ["inspect"], "count": []}
#: seconds a run may take (a run takes a fraction of a second)
TIMEOUT = 10
#: most a run may use, peak resident memory in KiB
MAX_RSS_KIB = 300 * 1024
#: the address-space cap of each run, so that a bomb cannot take the machine with it
ADDRESS_SPACE = 4 * 2**30
#: runs at once
WORKERS = 2


@dataclass(frozen=True)
class Run:
    """One run of lstmcount on a case: what it printed, how it ended, what it cost, what it left."""

    code: int | None
    stdout: bytes
    stderr: str
    rss_kib: int
    seconds: float
    left: frozenset[str]
    canaries: tuple[str, ...]

    @property
    def lines(self) -> list[str]:
        return self.stderr.splitlines()

    def message(self) -> str:
        """What follows ``lstmcount: error: `` when the run printed one error line, else how it ended."""
        prefix = "lstmcount: error: "
        if self.code == 2 and len(self.lines) == 1 and self.lines[0].startswith(prefix):
            return self.lines[0][len(prefix) :]
        ending = "timed out" if self.code is None else f"exit {self.code}"
        last = self.lines[-1][:200] if self.lines else "nothing on stderr"
        return f"<{ending}, {len(self.lines)} stderr lines: {last}>"


def companions(case: str) -> list[str]:
    """The files that go with a case (its external data)."""
    return sorted(p.name for p in FILES.iterdir() if p.name.startswith(case + ".") and p.name.endswith(COMPANION))


#: The launcher: forks, caps the child's address space, runs ``python -m lstmcount ARGS`` in it with a time
#: limit, and writes the child's exit code, peak RSS and whether it was killed to REPORT. A fresh fork of
#: this small process is measured because a process's peak RSS counts from its parent's at exec: run
#: straight from pytest, every child would report pytest's own peak.
LAUNCH = """
import os, resource, signal, sys, time
report, cap, limit, args = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
pid = os.fork()
if pid == 0:
    if cap:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    os.execv(sys.executable, [sys.executable, "-m", "lstmcount", *args])
deadline, killed = time.monotonic() + limit, 0
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        killed = 1
        break
    time.sleep(0.005)
with open(report, "w") as handle:
    handle.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {killed}")
"""


def lstmcount(args: list[str], cwd: Path, logs: Path) -> tuple[int | None, bytes, str, int, float]:
    """Run ``python -m lstmcount ARGS`` in ``cwd``: exit code (None if killed at the limit), output, peak RSS, time."""
    env = {k: v for k, v in os.environ.items() if k != "LSTMCOUNT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    out_path, err_path, report = (logs.with_suffix(s) for s in (".out", ".err", ".report"))
    cap = ADDRESS_SPACE if sys.platform.startswith("linux") else 0
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        subprocess.run(
            [sys.executable, "-S", "-c", LAUNCH, str(report), str(cap), str(TIMEOUT), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            timeout=TIMEOUT + 30,
            check=False,
        )
    seconds = time.monotonic() - start
    code, rss, killed = (int(n) for n in report.read_text().split())
    stderr = err_path.read_bytes().decode("utf-8", "replace")
    return None if killed else code, out_path.read_bytes(), stderr, rss, seconds


def run_case(case: str, command: str, root: Path) -> Run:
    """Copy the case (and its companions) into a fresh directory and read it there by its bare name."""
    work = root / f"{case}.{command}"
    work.mkdir()
    for name in [case, *companions(case)]:
        shutil.copy2(FILES / name, work / name, follow_symlinks=False)
    before = set(os.listdir(work))
    code, out, err, rss, seconds = lstmcount([*COMMANDS[command], case], work, root / "logs" / f"{case}.{command}")
    left = frozenset(set(os.listdir(work)) - before)
    canaries = tuple(sorted(str(p.relative_to(root)) for p in root.rglob("CANARY")))
    return Run(code, out, err, rss, seconds, left, canaries)


def read_expected() -> dict[str, str]:
    """The expected messages, by key: the case's name for inspect, ``<case> (lstmcount FILE)`` where that differs."""
    if not EXPECTED.exists():
        return {}
    found = {}
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            key, message = line.split("\t", 1)
            found[key] = message
    return found


def count_key(case: str) -> str:
    """The key of a case's ``lstmcount FILE`` message, where it differs from inspect's."""
    return f"{case} (lstmcount FILE)"


def expected_message(expected: dict[str, str], case: str, command: str) -> str | None:
    """The message a case must print under a command."""
    if command == "count" and count_key(case) in expected:
        return expected[count_key(case)]
    return expected.get(case)


def write_expected(runs: dict[tuple[str, str], Run]) -> None:
    """Rewrite expected.txt from these runs, keeping the lines of cases not run."""
    found = read_expected()
    for case in CASES:
        if (case, "inspect") in runs:
            found[case] = runs[case, "inspect"].message()
        if (case, "count") in runs:
            found.pop(count_key(case), None)
            if runs[case, "count"].message() != found.get(case):
                found[count_key(case)] = runs[case, "count"].message()
    keys = [k for case in CASES for k in (case, count_key(case)) if k in found]
    head = [
        "# What lstmcount prints after 'lstmcount: error: ' for each file of tests/badfiles/files/, one a line:",
        "# `lstmcount inspect FILE`, and a second line '<file> (lstmcount FILE)' where `lstmcount FILE` differs.",
        "# Written by pytest tests/test_badfiles.py --update-goldens.",
    ]
    EXPECTED.write_text("\n".join([*head, *(f"{k}\t{found[k]}" for k in keys)]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[tuple[str, str], Run]]:
    """Every selected case read by both commands, two processes at a time."""
    this = sys.modules[__name__]
    selected = {
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "module", None) is this and "case" in getattr(getattr(item, "callspec", None), "params", {})
    }
    wanted = [(case, command) for case in CASES if case in selected for command in COMMANDS]
    root = tmp_path_factory.mktemp("badfiles")
    (root / "logs").mkdir()
    with ThreadPool(WORKERS) as pool:
        done = pool.starmap(run_case, [(case, command, root) for case, command in wanted])
    found = dict(zip(wanted, done, strict=True))
    update = request.config.getoption("--update-goldens")
    if update or not EXPECTED.exists():
        if not update and os.environ.get("CI"):
            pytest.fail("tests/badfiles/expected.txt is missing; run pytest --update-goldens")
        write_expected(found)
    yield found


PARAMS = [pytest.param(case, command, id=f"{case}-{command}") for case in CASES for command in COMMANDS]


@pytest.mark.parametrize(("case", "command"), PARAMS)
def test_refused_with_one_line(case: str, command: str, runs: dict[tuple[str, str], Run]) -> None:
    """The file is refused: exit 2, nothing on stdout, one stderr line naming the file as given, no traceback."""
    run = runs[case, command]
    assert run.code is not None, f"still running after {TIMEOUT} s"
    assert run.code == 2, run.message()
    assert run.stdout == b""
    assert len(run.lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    # `lstmcount FILE` reads a file of no model format as a spec, whose errors give a line and column
    where = r"(:\d+(:\d+)?)?" if command == "count" else ""
    assert re.match(rf"lstmcount: error: {re.escape(case)}{where}: \S", run.lines[0]), run.lines[0]


@pytest.mark.parametrize(("case", "command"), PARAMS)
def test_nothing_from_the_file_runs(case: str, command: str, runs: dict[tuple[str, str], Run]) -> None:
    """No CANARY appears anywhere, and the directory holding the file gains nothing."""
    run = runs[case, command]
    assert run.canaries == ()
    assert run.left == frozenset()


@pytest.mark.parametrize(("case", "command"), PARAMS)
def test_bounded_time_and_memory(case: str, command: str, runs: dict[tuple[str, str], Run]) -> None:
    """The run ends within the time limit and its peak resident memory stays under 300 MiB."""
    run = runs[case, command]
    assert run.code is not None, f"killed after {TIMEOUT} s"
    assert run.rss_kib < MAX_RSS_KIB, f"peak RSS {run.rss_kib / 1024:.0f} MiB"


@pytest.mark.parametrize(("case", "command"), PARAMS)
def test_message_is_the_expected_one(case: str, command: str, runs: dict[tuple[str, str], Run]) -> None:
    """The message is the one recorded in tests/badfiles/expected.txt (rewritten by --update-goldens)."""
    expected = expected_message(read_expected(), case, command)
    assert expected is not None, f"{case} is not in expected.txt; run pytest --update-goldens"
    assert runs[case, command].message() == expected


def load_make() -> ModuleType:
    """tests/badfiles/make.py as a module."""
    spec = importlib.util.spec_from_file_location("badfiles_make", BADFILES / "make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_catalogue_is_large_and_described() -> None:
    """There are at least 50 cases, each described in one line, and every file is a case or a case's companion."""
    make = load_make()
    assert len(make.CASES) >= 50
    assert sorted(make.CASES) == CASES
    for name, (description, _) in make.CASES.items():
        assert description and "\n" not in description, name
    for path in FILES.iterdir():
        assert path.name in make.CASES or any(path.name.startswith(c + ".") for c in make.CASES), path.name
    expected = read_expected()
    stale = {k for k in expected if k not in CASES and k.removesuffix(" (lstmcount FILE)") not in CASES}
    assert not stale, f"expected.txt names files that are gone: {sorted(stale)}"


def snapshot(directory: Path) -> dict[str, bytes | str]:
    """Each file's bytes (a symbolic link's target) by name."""
    return {p.name: (os.readlink(p) if p.is_symlink() else p.read_bytes()) for p in sorted(directory.iterdir())}


def test_generator_reproduces_the_catalogue(tmp_path: Path) -> None:
    """make.py, run into an empty directory, writes the committed files byte for byte."""
    made = subprocess.run(
        [sys.executable, str(BADFILES / "make.py"), str(tmp_path / "files")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    fresh, committed = snapshot(tmp_path / "files"), snapshot(FILES)
    assert sorted(fresh) == sorted(committed)
    differ = [name for name in fresh if fresh[name] != committed[name]]
    assert not differ, f"regenerate with python tests/badfiles/make.py: {differ}"


#: the formats whose readers are still to come: their baselines get the generic refusal until then
NOT_READ_YET = "which lstmcount does not read as a model"
#: what a weights file alone gets: its architecture is in a config, given with --weights
WEIGHTS_ONLY = "holds no architecture; inspect the model's config"


def test_baselines_are_read(tmp_path: Path) -> None:
    """The valid files the cases are built from are read and counted (a weights file alone: sent to its config)."""
    baselines = load_make().BASELINES
    made = subprocess.run(
        [sys.executable, str(BADFILES / "make.py"), "--baselines", str(tmp_path / "base")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    (tmp_path / "logs").mkdir()
    assert sorted(p.name for p in (tmp_path / "base").iterdir()) == sorted(baselines)
    for name, (params, _) in sorted(baselines.items()):
        args = ["inspect", name, "--format", "json"]
        code, out, err, _, _ = lstmcount(args, tmp_path / "base", tmp_path / "logs" / name)
        refused = code == 2 and (NOT_READ_YET in err or (name.endswith(".h5") and WEIGHTS_ONLY in err))
        assert code == 0 or refused, f"{name}: exit {code}: {err}"
        if code == 0:
            assert json.loads(out)["total"] == params, name


#: Unpickles every pickle a file holds with the standard, unrestricted unpickler: what lstmcount must never do.
UNRESTRICTED = """
import io, pickle, sys, zipfile

def every_pickle(stream):
    while True:
        try:
            pickle.load(stream, encoding="latin1")
        except Exception:
            return

path = sys.argv[1]
if zipfile.is_zipfile(path):
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".pkl"):
                every_pickle(io.BytesIO(archive.read(name)))
            elif name.endswith(".npy"):
                import numpy
                try:
                    numpy.load(io.BytesIO(archive.read(name)), allow_pickle=True)
                except Exception:
                    pass
with open(path, "rb") as handle:
    every_pickle(handle)
"""
#: the cases whose payload the unrestricted unpickler runs (the others need a framework's own loader to fire)
FIRES: list[str | ParameterSet] = [
    "legacy_magic_pickle_global.pt",
    "legacy_records_global.pt",
    "legacy_sys_info_global.pt",
    "mixed_pickle_then_zip.pt",
    "npz_object_pickle.npz",
    "pickle_build_setstate.pt",
    "pickle_builtin_import.pt",
    "pickle_builtins_eval.pt",
    "pickle_builtins_exec.pt",
    "pickle_builtins_getattr.pt",
    "pickle_builtins_open.pt",
    "pickle_code_object.pt",
    "pickle_copyreg_reconstructor.pt",
    "pickle_functools_partial.pt",
    "pickle_importlib.pt",
    pytest.param(
        "pickle_in_persistent_id.pt",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("torch") is None, reason="its payload follows a torch global"
        ),
    ),
    "pickle_inst_opcode.pt",
    "pickle_malicious.pdparams",
    "pickle_newobj_partial.pt",
    "pickle_numpy_object_array.pdparams",
    "pickle_numpy_runstring.pt",
    "pickle_obj_opcode.pt",
    "pickle_os_system.pt",
    "pickle_plain_builtins_exec.pkl",
    "pickle_posix_system.pt",
    "pickle_protocol0.pkl",
    "pickle_runpy.pt",
    "pickle_stack_global.pt",
    "pickle_stack_global_dotted.pt",
    "pickle_subprocess_popen.pt",
]


@pytest.mark.parametrize("case", FIRES)
def test_the_canary_proves_something(case: str, tmp_path: Path) -> None:
    """The standard unpickler, given the same file, creates CANARY: its absence after lstmcount means nothing ran."""
    shutil.copy2(FILES / case, tmp_path / case)
    subprocess.run(
        [sys.executable, "-c", UNRESTRICTED, case],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert (tmp_path / "CANARY").exists()

"""Files are written whole or not at all, with a new file's usual permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lstmcount.io.atomic import replacing


def test_a_failed_write_leaves_the_file_and_no_temporary(tmp_path: Path) -> None:
    """An error inside the block keeps the old file as it was and removes the temporary file."""
    target = tmp_path / "out.svg"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        Path(tmp).write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"]


def test_a_new_file_has_the_umask_permissions(tmp_path: Path) -> None:
    """The file written is readable as any new file is (0o666 less the umask), not owner-only."""
    old = os.umask(0o022)
    try:
        target = tmp_path / "report.html"
        with replacing(target) as tmp:
            Path(tmp).write_text("<html></html>", encoding="utf-8")
    finally:
        os.umask(old)
    assert target.stat().st_mode & 0o777 == 0o644
    assert target.read_text(encoding="utf-8") == "<html></html>"

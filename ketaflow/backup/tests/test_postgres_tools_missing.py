"""Without the PostgreSQL client tools, backup and restore say what to install (no traceback)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketaflow.backup.services import BackupRefused, _run


def test_a_missing_pg_dump_is_named_with_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no pg_dump on the path

    with pytest.raises(BackupRefused, match=r"pg_dump not found: install .*postgresql-client"):
        _run(["pg_dump", "--version"])

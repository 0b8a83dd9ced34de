"""The backup file: a gzipped tar of `manifest.json` and the database copy it describes.

The copy is the database's own format (a SQLite file, or a pg_dump custom-format archive that
`pg_restore` reads), so `tar -xzf` gets it back by hand if Ketaflow is not at hand. The
manifest names the copy's SHA-256 and size; a file that does not match is refused whole.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "ketaflow-backup"
VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupRefused(Exception):
    """The backup cannot be used (unreadable, altered, or the wrong kind)."""


@dataclass(frozen=True)
class Archive:
    manifest: dict[str, Any]
    payload: Path  # the database copy, extracted and checked

    @property
    def vendor(self) -> str:
        return str(self.manifest["vendor"])

    @property
    def facts(self) -> dict[str, Any]:
        return dict(self.manifest["facts"])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write(output: Path, manifest: dict[str, Any], payload: Path) -> None:
    """Write the archive beside `output`, readable by its owner only, then move it in place."""
    body = {
        **manifest,
        "format": FORMAT,
        "version": VERSION,
        "payload": {
            "name": payload.name,
            "sha256": sha256_of(payload),
            "bytes": payload.stat().st_size,
        },
    }
    partial = output.with_name(f".{output.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            data = json.dumps(body, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
            tar.add(payload, arcname=payload.name, recursive=False)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def read(path: Path, into: Path) -> Archive:
    """Open a backup, extract its database copy into the folder `into` and check it whole."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            manifest = _manifest(tar)
            name = manifest["payload"]["name"]
            if name != PAYLOADS.get(manifest.get("vendor", "")):
                raise BackupRefused(f"unexpected database copy {name!r} in the backup")
            member = tar.extractfile(name)
            if member is None:
                raise BackupRefused(f"{name} is not a file in the backup")
            payload = into / name
            with member, payload.open("wb") as out:
                while chunk := member.read(1 << 20):
                    out.write(chunk)
            expected = manifest["payload"]
            intact = payload.stat().st_size == expected["bytes"]
            intact = intact and sha256_of(payload) == expected["sha256"]
    except (tarfile.TarError, EOFError, zlib.error, KeyError, TypeError, OSError) as exc:
        raise BackupRefused(f"not a readable Ketaflow backup ({exc!r})") from exc
    if not intact:
        raise BackupRefused(
            "the database copy does not match the manifest's SHA-256: the backup was altered "
            "or damaged"
        )
    return Archive(manifest, payload)


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    member = tar.extractfile(MANIFEST)
    if member is None:
        raise BackupRefused("the backup has no manifest")
    try:
        manifest = json.loads(member.read())
    except ValueError as exc:
        raise BackupRefused(f"the manifest is not JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused("not a Ketaflow backup (no ketaflow-backup manifest)")
    if manifest.get("version") != VERSION:
        raise BackupRefused(f"backup format version {manifest.get('version')!r} is not known")
    return manifest

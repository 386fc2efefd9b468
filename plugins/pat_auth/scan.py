"""`release-host tokens scan PATH…`: find `rpa_` tokens in files offline, by format and checksum,
as a secret scanner would; print file, line and hint, never the secret. With `--revoke`, the live
ones are revoked as leaked (`leaks.revoke`), their owners told.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from host import Host
from plugins.pat_auth import leaks, tokens

FINDER = re.compile(tokens.PATTERN)
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are skipped (and said so): logs are read whole


@dataclass(frozen=True)
class Found:
    path: str
    line: int
    secret: str


def _files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d != ".git")
                yield from (Path(root) / name for name in sorted(names))
        else:
            yield path


def scan(paths: list[str], skipped: list[str]) -> list[Found]:
    """Every well-formed token (checksum right) in these files and folders, in order."""
    found = []
    for path in _files(paths):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                skipped.append(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            skipped.append(f"{path}: {exc.strerror or type(exc).__name__}")
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in FINDER.finditer(line):
                if tokens.shape(match.group(0)) is tokens.Shape.OK:
                    found.append(Found(str(path), number, match.group(0)))
    return found


def cmd_scan(host: Host, args: argparse.Namespace) -> int:
    """Exit 1 when a token was found (as scanners do, for CI), else 0."""
    skipped: list[str] = []
    found = scan(args.paths, skipped)
    for path in skipped:
        print(f"skipped {path}")
    live: set[int] = set()
    if args.revoke and found:
        secrets = sorted({item.secret for item in found})
        with host.connection():
            ids = leaks.live_ids(host, secrets)
            revoked = leaks.revoke(host, ids, "release-host tokens scan", None, "cli-scan")
        live = set(ids)
        print(f"revoked {revoked} live token(s)")
    for item in found:
        print(f"{item.path}:{item.line}: {tokens.hint(item.secret)}")
    print(f"{len(found)} token(s) found{'' if not args.revoke else f', {len(live)} of them live'}")
    return 1 if found else 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scan", help="find rpa_ tokens in files offline; --revoke revokes the live ones")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (.git is skipped)")
    parser.add_argument("--revoke", action="store_true", help="revoke the live tokens found, as leaked")
    parser.set_defaults(handler=cmd_scan)

"""Virus scanning of uploads: the scanner interface, ClamAV's daemon, and no scanner."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import anyio

from tribune.uploads import iter_file

# -- virus scanning -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanResult:
    clean: bool
    signature: str | None = None
    """The name of what was found, when not clean."""


class ScannerUnavailable(Exception):  # noqa: N818 - reads as a state, like TimeoutError
    """The scanner could not give a verdict (down, timed out, refused the file, odd reply)."""


class Scanner(Protocol):
    async def scan(self, path: Path) -> ScanResult:
        """Return the verdict on the file at `path`; raises `ScannerUnavailable` without one."""
        ...


class AcceptAllScanner:
    """The default: every file is clean (development, or no scanner in the deployment)."""

    async def scan(self, path: Path) -> ScanResult:
        return ScanResult(clean=True)


CLAMD_DEFAULT_PORT = 3310
CLAMD_CHUNK_SIZE = 64 * 1024
_CLAMD_MAX_REPLY = 4096
_CLAMD_FOUND = re.compile(r"stream: (.+) FOUND")


class ClamdScanner:
    """Scans with ClamAV's daemon over TCP using its INSTREAM command.

    clamd refuses streams longer than its `StreamMaxLength` (25 MB by default): set it at least
    to the largest upload allowed, or larger files come back as `ScannerUnavailable`.
    """

    def __init__(
        self,
        host: str,
        port: int = CLAMD_DEFAULT_PORT,
        timeout: float = 60.0,
        chunk_size: int = CLAMD_CHUNK_SIZE,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.chunk_size = chunk_size

    async def scan(self, path: Path) -> ScanResult:
        try:
            with anyio.fail_after(self.timeout):
                reply = await self._instream(path)
        except (OSError, TimeoutError, anyio.EndOfStream, anyio.BrokenResourceError) as error:
            raise ScannerUnavailable(
                f"clamd at {self.host}:{self.port}: {type(error).__name__}"
            ) from error
        if reply == "stream: OK":
            return ScanResult(clean=True)
        found = _CLAMD_FOUND.fullmatch(reply)
        if found:
            return ScanResult(clean=False, signature=found.group(1))
        raise ScannerUnavailable(f"clamd at {self.host}:{self.port} replied {reply[:200]!r}")

    async def _instream(self, path: Path) -> str:
        """Send the file as length-prefixed chunks ended by an empty one; return the reply."""
        async with await anyio.connect_tcp(self.host, self.port) as connection:
            # The "z" prefix asks for NUL-terminated replies.
            await connection.send(b"zINSTREAM\0")
            async for chunk in iter_file(path, self.chunk_size):
                await connection.send(struct.pack("!I", len(chunk)) + chunk)
            await connection.send(struct.pack("!I", 0))
            reply = b""
            while b"\0" not in reply:
                reply += await connection.receive()
                if len(reply) > _CLAMD_MAX_REPLY:
                    break
        return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def scanner_from_url(url: str | None) -> Scanner:
    """Return the scanner a setting names: empty for none, or `clamd://host:port?timeout=60`."""
    if not url:
        return AcceptAllScanner()
    parts = urlsplit(url)
    if parts.scheme != "clamd" or not parts.hostname:
        raise ValueError(f"unsupported scanner URL {url!r}: expected clamd://host:port")
    query = parse_qs(parts.query)
    timeout = float(query["timeout"][0]) if "timeout" in query else 60.0
    return ClamdScanner(parts.hostname, parts.port or CLAMD_DEFAULT_PORT, timeout=timeout)

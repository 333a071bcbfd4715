"""What every document store offers (the `Storage` protocol), object keys, and the streams
and thread helpers the backends share."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, TypeVar

import anyio
import anyio.to_thread

logger = logging.getLogger(__name__)
# The local folder batches small chunks into blocks of this size before handing them to a thread.
LOCAL_WRITE_BLOCK_SIZE = 1024 * 1024
DEFAULT_READ_CHUNK_SIZE = 64 * 1024
MAX_KEY_LENGTH = 512
HEALTH_PREFIX = "_health/"
# Keys listed per round trip (S3's own maximum per ListObjectsV2 page).
LIST_PAGE_SIZE = 1000

_KEY_PATTERN = re.compile(r"[a-z0-9/_-]+")

_T = TypeVar("_T")

Chunks = bytes | AsyncIterable[bytes] | Iterable[bytes]
"""What `put` accepts: one bytes object, or an iterable (sync or async) of bytes chunks."""


class StorageError(Exception):
    """The object store refused or failed an operation."""


class ObjectNotFound(StorageError):  # noqa: N818 - reads as a state, like FileNotFoundError
    """No object is stored under the requested key."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    size: int
    sha256: str  # hex digest of the stored bytes


class Storage(Protocol):
    async def put(self, key: str, chunks: Chunks) -> StoredObject:
        """Store the streamed bytes under `key`, replacing any previous object atomically."""
        ...

    async def put_file(self, key: str, path: str | os.PathLike[str]) -> StoredObject:
        """Store a copy of a local file (e.g. a spooled upload) under `key`.

        Same result as `put` with the file's bytes, but the store may read the file in
        parallel ranges instead of one stream, which is several times faster for S3.
        """
        ...

    async def open(self, key: str, *, chunk_size: int = DEFAULT_READ_CHUNK_SIZE) -> ObjectStream:
        """Start reading the object; raises `ObjectNotFound` before any byte is returned."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    async def exists(self, key: str) -> bool: ...

    def list_keys(self, older_than: datetime | None = None) -> AsyncGenerator[str, None]:
        """Yield the key of every object last written before `older_than` (of every object if
        None), health probes and unfinished writes excepted, in no particular order."""
        ...

    async def check_writable(self) -> None:
        """Write, read back and delete a probe object; raises `StorageError` on any failure."""
        ...

    def close(self) -> None:
        """Release connections; call once at application shutdown."""
        ...


def new_object_key() -> str:
    """Return a fresh random key such as `3f/9c41...`; the prefix spreads objects over folders."""
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:]}"


def validate_key(key: str) -> str:
    """Return `key` if it is a well-formed object key, else raise `StorageError`."""
    if not isinstance(key, str) or not key:
        raise StorageError("object key must be a non-empty string")
    if len(key) > MAX_KEY_LENGTH:
        raise StorageError(f"object key is longer than {MAX_KEY_LENGTH} characters")
    if not _KEY_PATTERN.fullmatch(key):
        raise StorageError(f"object key {key!r} may only contain a-z, 0-9, '/', '_' and '-'")
    # The character set already excludes '.', but keys also map to file paths: stay explicit.
    if ".." in key or key.startswith("/") or key.endswith("/") or "//" in key:
        raise StorageError(f"object key {key!r} has an empty or relative path segment")
    return key


class ObjectStream:
    """Async iterator over the bytes of one stored object; also an async context manager.

    Reads run in a worker thread. The underlying file or connection is closed at the end of the
    data, on `aclose()`, or when the stream is garbage-collected (an HTTP client may disconnect
    before the end, and streaming responses do not close their iterator).
    """

    def __init__(
        self,
        read: Callable[[int], bytes],
        close: Callable[[], None],
        *,
        size: int,
        chunk_size: int = DEFAULT_READ_CHUNK_SIZE,
    ) -> None:
        self._closed = False
        self._close = close
        self._read = read
        self._chunk_size = checked_chunk_size(chunk_size)
        self.size = size

    def __aiter__(self) -> ObjectStream:
        return self

    async def __anext__(self) -> bytes:
        if self._closed:
            raise StopAsyncIteration
        try:
            chunk = await anyio.to_thread.run_sync(self._read, self._chunk_size)
        except BaseException:
            await self.aclose()
            raise
        if not chunk:
            await self.aclose()
            raise StopAsyncIteration
        return chunk

    async def read_all(self) -> bytes:
        """Read the rest of the object into memory; meant for small objects only."""
        return b"".join([chunk async for chunk in self])

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._close)

    async def __aenter__(self) -> ObjectStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __del__(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._close()


async def check_writable(storage: Storage) -> None:
    key = HEALTH_PREFIX + secrets.token_hex(8)  # random so that concurrent probes do not collide
    probe = b"tribune storage probe " + secrets.token_bytes(16)
    try:
        await storage.put(key, probe)  # a failed put leaves nothing behind
        try:
            async with await storage.open(key) as stream:
                content = await stream.read_all()
        finally:
            with anyio.CancelScope(shield=True):
                await storage.delete(key)
    except StorageError as error:
        raise StorageError(f"storage is not writable: {error}") from error
    if content != probe:
        raise StorageError("storage is not writable: the probe object read back differs")


async def run_in_thread(function: Callable[..., _T], *args: Any) -> _T:
    return await anyio.to_thread.run_sync(function, *args)


async def in_blocks(chunks: Chunks, block_size: int) -> AsyncGenerator[bytes, None]:
    """Regroup chunks into blocks of exactly `block_size` bytes (the last one may be shorter).

    At most one block plus one chunk is held in memory.
    """
    buffer = bytearray()
    async with contextlib.aclosing(iterate_chunks(chunks)) as chunk_iterator:
        async for chunk in chunk_iterator:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"storage chunks must be bytes, not {type(chunk).__name__}")
            buffer += chunk
            while len(buffer) >= block_size:
                yield bytes(buffer[:block_size])
                del buffer[:block_size]
    if buffer:
        yield bytes(buffer)


async def iterate_chunks(chunks: Chunks) -> AsyncGenerator[bytes, None]:
    if isinstance(chunks, bytes | bytearray | memoryview):
        yield bytes(chunks)
    elif isinstance(chunks, AsyncIterable):
        async for async_chunk in chunks:
            yield async_chunk
    elif isinstance(chunks, list | tuple):
        # Already in memory: iterating cannot block.
        for sequence_chunk in chunks:
            yield sequence_chunk
    else:
        # A generator may read a file or a socket, so it is advanced in a worker thread.
        iterator: Iterator[bytes] = iter(chunks)

        def advance() -> bytes | None:
            return next(iterator, None)

        try:
            while (next_chunk := await run_in_thread(advance)) is not None:
                yield next_chunk
        finally:
            # Close an abandoned generator now, rather than in whichever thread collects it.
            close = getattr(iterator, "close", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await run_in_thread(close)


async def file_blocks(path: Path, block_size: int) -> AsyncGenerator[bytes, None]:
    """Yield a local file's bytes in blocks, each read in a worker thread."""
    try:
        file: IO[bytes] = await run_in_thread(lambda: path.open("rb"))
    except OSError as error:
        raise StorageError(f"cannot read {path}: {error}") from error
    try:
        while block := await run_in_thread(wrap_os_errors(file.read, str(path)), block_size):
            yield block
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_thread(file.close)


def sha256_of_file(path: Path) -> tuple[str, int]:
    """Return the hex SHA-256 digest and the size of a local file."""
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as file:
            while block := file.read(LOCAL_WRITE_BLOCK_SIZE):
                digest.update(block)
                size += len(block)
    except OSError as error:
        raise StorageError(f"cannot read {path}: {error}") from error
    return digest.hexdigest(), size


def raising_storage_error(function: Callable[[], _T], message: str) -> Callable[[], _T]:
    def call() -> _T:
        try:
            return function()
        except OSError as error:
            raise StorageError(f"{message}: {error}") from error

    return call


def wrap_os_errors(read: Callable[[int], bytes], key: str) -> Callable[[int], bytes]:
    def wrapped(size: int) -> bytes:
        try:
            return read(size)
        except OSError as error:
            raise StorageError(f"cannot read object {key!r}: {error}") from error

    return wrapped


def is_listed_key(key: str) -> bool:
    """Return whether a stored name is an object's key worth listing (health probes are not)."""
    if key.startswith(HEALTH_PREFIX):
        return False
    try:
        validate_key(key)
    except StorageError:
        return False
    return True


def checked_chunk_size(chunk_size: int) -> int:
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return chunk_size

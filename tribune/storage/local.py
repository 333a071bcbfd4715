"""Documents in a local folder: written to a temporary file and renamed into place."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import tempfile
from collections.abc import AsyncGenerator, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

import anyio
import anyio.to_thread

from tribune.storage.base import (
    DEFAULT_READ_CHUNK_SIZE,
    HEALTH_PREFIX,
    LIST_PAGE_SIZE,
    LOCAL_WRITE_BLOCK_SIZE,
    Chunks,
    ObjectNotFound,
    ObjectStream,
    StorageError,
    StoredObject,
    check_writable,
    checked_chunk_size,
    file_blocks,
    in_blocks,
    is_listed_key,
    raising_storage_error,
    run_in_thread,
    validate_key,
    wrap_os_errors,
)


class LocalFolderStorage:
    """Objects as files under a root folder; for development, tests and single-host setups."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalFolderStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, chunks: Chunks) -> StoredObject:
        path = self._path(key)
        digest = hashlib.sha256()
        size = 0
        # The temporary name contains '.', which no valid key does: it can never pass for an object.
        file, temp_path = await run_in_thread(_create_temp_file, path)
        try:
            async with contextlib.aclosing(in_blocks(chunks, LOCAL_WRITE_BLOCK_SIZE)) as blocks:
                async for block in blocks:
                    await run_in_thread(_hash_and_write, digest, file, block)
                    size += len(block)
            await run_in_thread(_publish_file, file, temp_path, path)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_thread(_discard_temp_file, file, temp_path)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def put_file(self, key: str, path: str | os.PathLike[str]) -> StoredObject:
        return await self.put(key, file_blocks(Path(path), LOCAL_WRITE_BLOCK_SIZE))

    async def open(self, key: str, *, chunk_size: int = DEFAULT_READ_CHUNK_SIZE) -> ObjectStream:
        path = self._path(key)
        checked_chunk_size(chunk_size)

        def open_file() -> tuple[IO[bytes], int]:
            try:
                file = path.open("rb")
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                raise ObjectNotFound(key) from None
            except OSError as error:
                raise StorageError(f"cannot open object {key!r}: {error}") from error
            return file, os.fstat(file.fileno()).st_size

        file, size = await run_in_thread(open_file)
        return ObjectStream(
            wrap_os_errors(file.read, key), file.close, size=size, chunk_size=chunk_size
        )

    async def delete(self, key: str) -> None:
        path = self._path(key)

        def remove() -> None:
            if path.is_dir():
                return  # a folder of other keys, not an object
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                path.unlink()

        await run_in_thread(raising_storage_error(remove, f"cannot delete object {key!r}"))

    async def exists(self, key: str) -> bool:
        return await run_in_thread(self._path(key).is_file)

    async def list_keys(self, older_than: datetime | None = None) -> AsyncGenerator[str, None]:
        cutoff = older_than.timestamp() if older_than is not None else None

        def walk() -> Iterator[str]:
            for folder, subfolders, files in os.walk(self.root):
                relative = Path(folder).relative_to(self.root).parts
                if not relative and HEALTH_PREFIX.rstrip("/") in subfolders:
                    subfolders.remove(HEALTH_PREFIX.rstrip("/"))  # probes: not worth a walk
                for name in files:
                    # Temporary files of writes in progress start with '.': never a valid key.
                    key = "/".join((*relative, name))
                    if not is_listed_key(key):
                        continue
                    try:
                        modified = os.stat(os.path.join(folder, name)).st_mtime
                    except FileNotFoundError:
                        continue  # deleted since the folder was read
                    if cutoff is None or modified < cutoff:
                        yield key

        keys = walk()

        def next_page() -> list[str]:
            return list(itertools.islice(keys, LIST_PAGE_SIZE))

        # The walk reads the disk, so it advances in a worker thread, a page at a time.
        while page := await run_in_thread(raising_storage_error(next_page, "cannot list objects")):
            for key in page:
                yield key

    async def check_writable(self) -> None:
        await check_writable(self)

    def close(self) -> None:
        pass  # files are opened and closed per operation


def _create_temp_file(path: Path) -> tuple[IO[bytes], Path]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temp_name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise StorageError(f"cannot create a file in {path.parent}: {error}") from error
    return os.fdopen(descriptor, "wb"), Path(temp_name)


def _hash_and_write(digest: hashlib._Hash, file: IO[bytes], block: bytes) -> None:
    digest.update(block)
    try:
        file.write(block)
    except OSError as error:
        raise StorageError(f"cannot write {file.name}: {error}") from error


def _publish_file(file: IO[bytes], temp_path: Path, path: Path) -> None:
    try:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(temp_path, path)
        # The rename itself is durable only once the folder entry is synced.
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as error:
        raise StorageError(f"cannot store {path}: {error}") from error


def _discard_temp_file(file: IO[bytes], temp_path: Path) -> None:
    with contextlib.suppress(OSError):
        file.close()
    with contextlib.suppress(FileNotFoundError):
        temp_path.unlink()

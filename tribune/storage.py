"""Object store for documents: a local folder for development and tests, S3 or MinIO in production.

Objects are addressed by opaque keys (see `new_object_key`) and are written and read as streams,
so memory use does not grow with the size of a document.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import anyio
import anyio.to_thread
import boto3
import boto3.exceptions
import boto3.s3.transfer
import botocore.config
import botocore.exceptions

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

logger = logging.getLogger(__name__)

# S3 parts must be at least 5 MiB (except the last); 8 MiB keeps requests few while bounding memory.
S3_PART_SIZE = 8 * 1024 * 1024
# `put_file` sends a file smaller than this as one PutObject streamed from disk: below it, the
# three extra requests of a multipart upload cost more than parallel parts gain.
S3_SINGLE_PUT_LIMIT = 32 * 1024 * 1024
# Parts of one object sent at once by `put_file` (boto3's transfer manager default is 10).
S3_PARALLEL_PARTS = 4
# The local folder batches small chunks into blocks of this size before handing them to a thread.
LOCAL_WRITE_BLOCK_SIZE = 1024 * 1024
DEFAULT_READ_CHUNK_SIZE = 64 * 1024
MAX_KEY_LENGTH = 512
HEALTH_PREFIX = "_health/"
# Keys listed per round trip (S3's own maximum per ListObjectsV2 page).
LIST_PAGE_SIZE = 1000

_KEY_PATTERN = re.compile(r"[a-z0-9/_-]+")
_BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

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
        self._chunk_size = _checked_chunk_size(chunk_size)
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
        file, temp_path = await _run(_create_temp_file, path)
        try:
            async with contextlib.aclosing(_blocks(chunks, LOCAL_WRITE_BLOCK_SIZE)) as blocks:
                async for block in blocks:
                    await _run(_hash_and_write, digest, file, block)
                    size += len(block)
            await _run(_publish_file, file, temp_path, path)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await _run(_discard_temp_file, file, temp_path)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def put_file(self, key: str, path: str | os.PathLike[str]) -> StoredObject:
        return await self.put(key, _file_blocks(Path(path), LOCAL_WRITE_BLOCK_SIZE))

    async def open(self, key: str, *, chunk_size: int = DEFAULT_READ_CHUNK_SIZE) -> ObjectStream:
        path = self._path(key)
        _checked_chunk_size(chunk_size)

        def open_file() -> tuple[IO[bytes], int]:
            try:
                file = path.open("rb")
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                raise ObjectNotFound(key) from None
            except OSError as error:
                raise StorageError(f"cannot open object {key!r}: {error}") from error
            return file, os.fstat(file.fileno()).st_size

        file, size = await _run(open_file)
        return ObjectStream(
            _wrap_os_errors(file.read, key), file.close, size=size, chunk_size=chunk_size
        )

    async def delete(self, key: str) -> None:
        path = self._path(key)

        def remove() -> None:
            if path.is_dir():
                return  # a folder of other keys, not an object
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                path.unlink()

        await _run(_raising_storage_error(remove, f"cannot delete object {key!r}"))

    async def exists(self, key: str) -> bool:
        return await _run(self._path(key).is_file)

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
                    if not _is_listed_key(key):
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
        while page := await _run(_raising_storage_error(next_page, "cannot list objects")):
            for key in page:
                yield key

    async def check_writable(self) -> None:
        await _check_writable(self)

    def close(self) -> None:
        pass  # files are opened and closed per operation


class S3Storage:
    """Objects in an S3 bucket (AWS, MinIO or any S3-compatible service).

    Credentials come from boto3's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
    profiles, instance roles...). `prefix` scopes every key to a folder of the bucket.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        create_bucket_if_missing: bool = False,
        connect_timeout: float = 5,
        read_timeout: float = 60,
        max_attempts: int = 3,
    ) -> None:
        if not _BUCKET_PATTERN.fullmatch(bucket):
            raise ValueError(f"invalid S3 bucket name {bucket!r}")
        self.bucket = bucket
        prefix = prefix.strip("/")
        if prefix:
            try:
                validate_key(prefix)
            except StorageError as error:
                raise ValueError(f"invalid S3 key prefix: {error}") from None
        self.prefix = f"{prefix}/" if prefix else ""
        self.region = region
        config = botocore.config.Config(
            signature_version="s3v4",
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            # Above anyio's default of 40 worker threads would only queue; 10 (boto's) is too few.
            max_pool_connections=32,
        )
        # A session per storage: boto3's default session is shared global state and not
        # thread-safe, whereas the client built here is.
        session = boto3.session.Session()
        self._client: S3Client = session.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )
        self._transfer_config = boto3.s3.transfer.TransferConfig(
            multipart_threshold=S3_SINGLE_PUT_LIMIT,
            multipart_chunksize=S3_PART_SIZE,
            max_concurrency=S3_PARALLEL_PARTS,
        )
        self._create_bucket_if_missing = create_bucket_if_missing
        self._bucket_lock = threading.Lock()
        self._bucket_ready = False

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def close(self) -> None:
        """Release the client's pooled connections."""
        self._client.close()

    def _name(self, key: str) -> str:
        return self.prefix + validate_key(key)

    async def put(self, key: str, chunks: Chunks) -> StoredObject:
        name = self._name(key)
        digest = hashlib.sha256()
        size = 0
        upload_id: str | None = None
        parts: list[CompletedPartTypeDef] = []
        # One block is held back so that an object of at most one part is sent as a single
        # PutObject; only a second block proves that a multipart upload is needed.
        pending: bytes | None = None
        try:
            async with contextlib.aclosing(_blocks(chunks, S3_PART_SIZE)) as blocks:
                async for block in blocks:
                    if pending is not None:
                        if upload_id is None:
                            upload_id = await self._call(self._start_multipart, name)
                        parts.append(
                            await self._call(
                                self._upload_part, name, upload_id, len(parts) + 1, digest, pending
                            )
                        )
                        size += len(pending)
                    pending = block
            if upload_id is None:
                body = pending or b""
                await self._call(self._put_object, name, digest, body)
                size += len(body)
            else:
                if pending is not None:
                    parts.append(
                        await self._call(
                            self._upload_part, name, upload_id, len(parts) + 1, digest, pending
                        )
                    )
                    size += len(pending)
                await self._call(self._complete_multipart, name, upload_id, parts)
        except BaseException:
            if upload_id is not None:
                with anyio.CancelScope(shield=True):
                    await _run(self._abort_multipart, name, upload_id)
            raise
        return StoredObject(key=key, size=size, sha256=digest.hexdigest())

    async def put_file(self, key: str, path: str | os.PathLike[str]) -> StoredObject:
        name = self._name(key)
        source = Path(path)
        results: dict[str, Any] = {}

        async def upload() -> None:
            # boto3's transfer manager sends parts in parallel, each read from its own range of
            # the file when its turn comes: memory holds a few reads, never whole parts. It
            # aborts the multipart upload itself if a part fails.
            await self._call(
                self._client.upload_file,
                str(source),
                self.bucket,
                name,
                {"ChecksumAlgorithm": "CRC32"},
                None,
                self._transfer_config,
            )

        async def hash_file() -> None:
            results["sha256"], results["size"] = await _run(_hash_file, source)

        try:
            # The digest is computed while the parts are in flight, in another thread.
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(upload)
                task_group.start_soon(hash_file)
        except BaseExceptionGroup as group:
            # Callers expect the error itself, as a sequential upload would raise it.
            raise _first_error(group) from None
        return StoredObject(key=key, size=results["size"], sha256=results["sha256"])

    async def open(self, key: str, *, chunk_size: int = DEFAULT_READ_CHUNK_SIZE) -> ObjectStream:
        name = self._name(key)
        _checked_chunk_size(chunk_size)

        def get_object() -> Any:
            try:
                return self._client.get_object(Bucket=self.bucket, Key=name)
            except botocore.exceptions.ClientError as error:
                if _is_not_found(error):
                    raise ObjectNotFound(key) from None
                raise

        response = await self._call(get_object)
        body = response["Body"]
        return ObjectStream(
            _wrap_boto_errors(body.read, key),
            body.close,
            size=response["ContentLength"],
            chunk_size=chunk_size,
        )

    async def delete(self, key: str) -> None:
        name = self._name(key)
        # DeleteObject succeeds on a missing key, which makes this idempotent.
        await self._call(lambda: self._client.delete_object(Bucket=self.bucket, Key=name))

    async def exists(self, key: str) -> bool:
        name = self._name(key)

        def head_object() -> bool:
            try:
                self._client.head_object(Bucket=self.bucket, Key=name)
            except botocore.exceptions.ClientError as error:
                if _is_not_found(error):
                    return False
                raise
            return True

        return await self._call(head_object)

    async def list_keys(self, older_than: datetime | None = None) -> AsyncGenerator[str, None]:
        pages = iter(
            self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket,
                Prefix=self.prefix,
                PaginationConfig={"PageSize": LIST_PAGE_SIZE},
            )
        )
        # Each page is one ListObjectsV2 request, sent from a worker thread.
        while (page := await self._call(next, pages, None)) is not None:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                if _is_listed_key(key) and (
                    older_than is None or item["LastModified"] < older_than
                ):
                    yield key

    async def check_writable(self) -> None:
        await _check_writable(self)

    async def _call(self, function: Callable[..., _T], *args: Any) -> _T:
        def call() -> _T:
            try:
                self._ensure_bucket()
                return function(*args)
            except (
                botocore.exceptions.BotoCoreError,
                botocore.exceptions.ClientError,
                boto3.exceptions.S3UploadFailedError,
            ) as error:
                raise StorageError(f"S3 bucket {self.bucket!r}: {error}") from error

        return await _run(call)

    # Everything below runs in worker threads.

    def _ensure_bucket(self) -> None:
        if not self._create_bucket_if_missing or self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            try:
                self._client.head_bucket(Bucket=self.bucket)
            except botocore.exceptions.ClientError as error:
                if not _is_not_found(error):
                    raise
                try:
                    if self.region and self.region != "us-east-1":
                        self._client.create_bucket(
                            Bucket=self.bucket,
                            CreateBucketConfiguration={"LocationConstraint": self.region},  # type: ignore[typeddict-item]
                        )
                    else:
                        self._client.create_bucket(Bucket=self.bucket)
                except self._client.exceptions.BucketAlreadyOwnedByYou:
                    pass  # another process created it in the meantime
            self._bucket_ready = True

    def _put_object(self, name: str, digest: hashlib._Hash, body: bytes) -> None:
        digest.update(body)
        self._client.put_object(Bucket=self.bucket, Key=name, Body=body)

    def _start_multipart(self, name: str) -> str:
        # The CRC32 part checksums mirror what boto3's own upload_fileobj does by default.
        response = self._client.create_multipart_upload(
            Bucket=self.bucket, Key=name, ChecksumAlgorithm="CRC32"
        )
        return response["UploadId"]

    def _upload_part(
        self, name: str, upload_id: str, part_number: int, digest: hashlib._Hash, body: bytes
    ) -> CompletedPartTypeDef:
        digest.update(body)
        response = self._client.upload_part(
            Bucket=self.bucket,
            Key=name,
            UploadId=upload_id,
            PartNumber=part_number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        part: CompletedPartTypeDef = {"PartNumber": part_number, "ETag": response["ETag"]}
        if "ChecksumCRC32" in response:
            part["ChecksumCRC32"] = response["ChecksumCRC32"]
        return part

    def _complete_multipart(
        self, name: str, upload_id: str, parts: list[CompletedPartTypeDef]
    ) -> None:
        self._client.complete_multipart_upload(
            Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    def _abort_multipart(self, name: str, upload_id: str) -> None:
        # Best effort: the original error matters more. A bucket lifecycle rule
        # (AbortIncompleteMultipartUpload) catches what is left after a crash or a failed abort.
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
            logger.warning(
                "could not abort multipart upload of %s in bucket %s",
                name,
                self.bucket,
                exc_info=True,
            )


def storage_from_url(
    url: str, *, s3_endpoint_url: str | None = None, s3_region: str | None = None
) -> Storage:
    """Build the storage named by a URL: `file:///abs/path`, a plain path, or `s3://bucket[/prefix]`."""
    expected = "expected file:///absolute/path, a plain folder path or s3://bucket[/prefix]"
    if not url or not url.strip():
        raise ValueError(f"empty storage URL; {expected}")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "" or (len(scheme) == 1 and url[1:2] == ":"):  # the latter: a Windows drive
        return LocalFolderStorage(url)
    if parts.query or parts.fragment:
        raise ValueError(f"storage URL {url!r} must not have a query or fragment; {expected}")
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file storage URL {url!r} must not name a host; {expected}")
        if not parts.path.startswith("/"):
            raise ValueError(f"file storage URL {url!r} needs an absolute path; {expected}")
        return LocalFolderStorage(unquote(parts.path))
    if scheme == "s3":
        bucket = parts.netloc
        if not bucket:
            raise ValueError(f"S3 storage URL {url!r} has no bucket; {expected}")
        if not _BUCKET_PATTERN.fullmatch(bucket):
            raise ValueError(f"S3 storage URL {url!r} has an invalid bucket name {bucket!r}")
        return S3Storage(bucket, prefix=parts.path, endpoint_url=s3_endpoint_url, region=s3_region)
    raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} in {url!r}; {expected}")


async def _check_writable(storage: Storage) -> None:
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


async def _run(function: Callable[..., _T], *args: Any) -> _T:
    return await anyio.to_thread.run_sync(function, *args)


async def _blocks(chunks: Chunks, block_size: int) -> AsyncGenerator[bytes, None]:
    """Regroup chunks into blocks of exactly `block_size` bytes (the last one may be shorter).

    At most one block plus one chunk is held in memory.
    """
    buffer = bytearray()
    async with contextlib.aclosing(_iterate(chunks)) as chunk_iterator:
        async for chunk in chunk_iterator:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"storage chunks must be bytes, not {type(chunk).__name__}")
            buffer += chunk
            while len(buffer) >= block_size:
                yield bytes(buffer[:block_size])
                del buffer[:block_size]
    if buffer:
        yield bytes(buffer)


async def _iterate(chunks: Chunks) -> AsyncGenerator[bytes, None]:
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
            while (next_chunk := await _run(advance)) is not None:
                yield next_chunk
        finally:
            # Close an abandoned generator now, rather than in whichever thread collects it.
            close = getattr(iterator, "close", None)
            if close is not None:
                with anyio.CancelScope(shield=True):
                    await _run(close)


async def _file_blocks(path: Path, block_size: int) -> AsyncGenerator[bytes, None]:
    """Yield a local file's bytes in blocks, each read in a worker thread."""
    try:
        file: IO[bytes] = await _run(lambda: path.open("rb"))
    except OSError as error:
        raise StorageError(f"cannot read {path}: {error}") from error
    try:
        while block := await _run(_wrap_os_errors(file.read, str(path)), block_size):
            yield block
    finally:
        with anyio.CancelScope(shield=True):
            await _run(file.close)


def _hash_file(path: Path) -> tuple[str, int]:
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


def _raising_storage_error(function: Callable[[], _T], message: str) -> Callable[[], _T]:
    def call() -> _T:
        try:
            return function()
        except OSError as error:
            raise StorageError(f"{message}: {error}") from error

    return call


def _wrap_os_errors(read: Callable[[int], bytes], key: str) -> Callable[[int], bytes]:
    def wrapped(size: int) -> bytes:
        try:
            return read(size)
        except OSError as error:
            raise StorageError(f"cannot read object {key!r}: {error}") from error

    return wrapped


def _wrap_boto_errors(read: Callable[[int], bytes], key: str) -> Callable[[int], bytes]:
    def wrapped(size: int) -> bytes:
        try:
            return read(size)
        except (botocore.exceptions.BotoCoreError, OSError) as error:
            raise StorageError(f"cannot read object {key!r}: {error}") from error

    return wrapped


def _is_listed_key(key: str) -> bool:
    """Return whether a stored name is an object's key worth listing (health probes are not)."""
    if key.startswith(HEALTH_PREFIX):
        return False
    try:
        validate_key(key)
    except StorageError:
        return False
    return True


def _first_error(group: BaseExceptionGroup) -> BaseException:
    """Return the first exception of a (possibly nested) group that is not a cancellation."""
    cancelled = anyio.get_cancelled_exc_class()
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, cancelled):
            return error
    return group.exceptions[0]


def _checked_chunk_size(chunk_size: int) -> int:
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    return chunk_size


def _is_not_found(error: botocore.exceptions.ClientError) -> bool:
    # HEAD responses have no body, hence the bare status code.
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")

"""Behaviour of the document store, run alike against a local folder and moto's S3 server."""

import asyncio
import hashlib
import random
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import tribune.storage.local
import tribune.storage.s3
from tribune.storage import storage_from_url
from tribune.storage.base import (
    HEALTH_PREFIX,
    Chunks,
    ObjectNotFound,
    Storage,
    StorageError,
    StoredObject,
    new_object_key,
    validate_key,
)
from tribune.storage.local import LocalFolderStorage
from tribune.storage.s3 import S3_PART_SIZE, S3_SINGLE_PUT_LIMIT, S3Storage

MiB = 1024 * 1024


@dataclass
class Backend:
    name: str
    storage: Storage
    # Everything the backend holds, as raw names: files (temporary ones too), objects, and
    # pending multipart uploads; lets tests check that nothing is left behind.
    raw_entries: Callable[[], list[str]]
    # Bytes the backend has received so far, finished or not.
    bytes_received: Callable[[], int]
    s3: Any = None  # the admin client, for S3-only assertions
    bucket: str = ""


def local_backend(root: Path) -> Backend:
    def raw_entries() -> list[str]:
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

    def bytes_received() -> int:
        return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())

    return Backend("local", LocalFolderStorage(root), raw_entries, bytes_received)


def s3_backend(endpoint: str, s3_admin: Any, bucket: str) -> Backend:
    def pending_uploads() -> list[dict[str, Any]]:
        uploads: list[dict[str, Any]] = s3_admin.list_multipart_uploads(Bucket=bucket).get(
            "Uploads", []
        )
        return uploads

    def raw_entries() -> list[str]:
        objects = s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])
        uploads = [f"pending upload of {upload['Key']}" for upload in pending_uploads()]
        return sorted([item["Key"] for item in objects] + uploads)

    def bytes_received() -> int:
        objects = s3_admin.list_objects_v2(Bucket=bucket).get("Contents", [])
        total: int = sum(item["Size"] for item in objects)
        for upload in pending_uploads():
            parts = s3_admin.list_parts(
                Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            ).get("Parts", [])
            total += sum(part["Size"] for part in parts)
        return total

    storage = S3Storage(bucket, endpoint_url=endpoint, region="us-east-1")
    return Backend("s3", storage, raw_entries, bytes_received, s3=s3_admin, bucket=bucket)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        yield local_backend(tmp_path / "objects")
        return
    endpoint = request.getfixturevalue("moto_endpoint")
    s3_admin = request.getfixturevalue("s3_admin")
    bucket_name = request.getfixturevalue("bucket")
    created = s3_backend(endpoint, s3_admin, bucket_name)
    yield created
    created.storage.close()


@pytest.fixture
def storage(backend: Backend) -> Storage:
    return backend.storage


def random_chunks(seed: int, count: int, chunk_size: int) -> Iterator[bytes]:
    generator = random.Random(seed)
    for _ in range(count):
        yield generator.randbytes(chunk_size)


def sha256_of(chunks: Iterator[bytes]) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


async def read_object(storage: Storage, key: str) -> bytes:
    async with await storage.open(key) as stream:
        return await stream.read_all()


async def sha256_of_object(storage: Storage, key: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    async with await storage.open(key, chunk_size=MiB) as stream:
        async for chunk in stream:
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


@pytest.mark.parametrize("size", [0, 1, 100_000, S3_PART_SIZE, S3_PART_SIZE + 1])
async def test_round_trip_keeps_content_size_and_sha256(storage: Storage, size: int) -> None:
    content = random.Random(size).randbytes(size)
    key = new_object_key()

    stored = await storage.put(key, [content[:7], content[7:]])

    assert stored == StoredObject(key=key, size=size, sha256=hashlib.sha256(content).hexdigest())
    assert await storage.exists(key)
    async with await storage.open(key) as stream:
        assert stream.size == size
        assert await stream.read_all() == content


async def test_put_accepts_bytes_sync_and_async_iterables(storage: Storage) -> None:
    async def async_chunks() -> AsyncIterator[bytes]:
        yield b"async "
        yield b"chunks"

    def sync_chunks() -> Iterator[bytes]:
        yield b"sync "
        yield b"chunks"

    cases: list[tuple[str, Chunks, bytes]] = [
        ("a/bytes", b"plain bytes", b"plain bytes"),
        ("a/list", [b"list ", b"of ", b"chunks"], b"list of chunks"),
        ("a/generator", sync_chunks(), b"sync chunks"),
        ("a/async", async_chunks(), b"async chunks"),
    ]
    for key, chunks, expected in cases:
        stored = await storage.put(key, chunks)
        assert stored.size == len(expected)
        assert await read_object(storage, key) == expected


async def test_put_refuses_chunks_that_are_not_bytes(backend: Backend) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        await backend.storage.put("a/text", ["not bytes"])  # type: ignore[list-item]
    assert backend.raw_entries() == []


async def test_put_replaces_previous_object(storage: Storage) -> None:
    await storage.put("doc/1", b"first version")
    await storage.put("doc/1", b"second")
    assert await read_object(storage, "doc/1") == b"second"


async def test_large_object_round_trip_in_parts(backend: Backend) -> None:
    key = new_object_key()
    expected_size, expected_sha256 = sha256_of(random_chunks(20, 20, MiB))

    stored = await backend.storage.put(key, random_chunks(20, 20, MiB))

    assert (stored.size, stored.sha256) == (expected_size, expected_sha256)
    assert await sha256_of_object(backend.storage, key) == (expected_size, expected_sha256)
    if backend.name == "s3":
        # A multipart object's ETag ends with the part count: 8 + 8 + 4 MiB.
        etag = backend.s3.head_object(Bucket=backend.bucket, Key=key)["ETag"]
        assert etag.strip('"').endswith("-3")


@pytest.mark.parametrize(
    "size", [0, 1, S3_PART_SIZE + 1, S3_SINGLE_PUT_LIMIT, S3_SINGLE_PUT_LIMIT + 12345]
)
async def test_put_file_stores_a_copy_of_a_local_file(
    backend: Backend, tmp_path: Path, size: int
) -> None:
    source = tmp_path / "spooled-upload"
    source.write_bytes(random.Random(size).randbytes(size))
    expected = (size, hashlib.sha256(source.read_bytes()).hexdigest())

    stored = await backend.storage.put_file("copied/file", source)

    assert (stored.size, stored.sha256) == expected
    assert await sha256_of_object(backend.storage, "copied/file") == expected
    assert source.exists()  # a copy: the caller still owns the file
    assert backend.raw_entries() == ["copied/file"]
    if backend.name == "s3":
        etag = backend.s3.head_object(Bucket=backend.bucket, Key="copied/file")["ETag"]
        if size >= S3_SINGLE_PUT_LIMIT:
            parts = -(-size // S3_PART_SIZE)
            assert etag.strip('"').endswith(f"-{parts}")  # multipart, 8 MiB parts
        else:
            assert "-" not in etag  # one PutObject


async def test_put_file_of_a_missing_file_stores_nothing(backend: Backend, tmp_path: Path) -> None:
    with pytest.raises((StorageError, OSError)):
        await backend.storage.put_file("never/stored", tmp_path / "gone")

    assert not await backend.storage.exists("never/stored")
    assert backend.raw_entries() == []


async def test_put_file_to_a_missing_bucket_raises_storage_error(
    tmp_path: Path, moto_endpoint: str, aws_environment: None
) -> None:
    source = tmp_path / "spooled-upload"
    source.write_bytes(bytes(2 * S3_PART_SIZE))
    storage = S3Storage("no-such-bucket", endpoint_url=moto_endpoint, region="us-east-1")
    try:
        with pytest.raises(StorageError, match="no-such-bucket"):
            await storage.put_file("some/key", source)
    finally:
        storage.close()


async def test_s3_object_of_one_part_is_a_single_put(
    moto_endpoint: str, s3_admin: Any, bucket: str
) -> None:
    storage = S3Storage(bucket, endpoint_url=moto_endpoint, region="us-east-1")
    await storage.put("one/part", random_chunks(1, 8, MiB))
    storage.close()
    etag = s3_admin.head_object(Bucket=bucket, Key="one/part")["ETag"]
    assert "-" not in etag


async def test_put_streams_without_holding_the_whole_body(backend: Backend) -> None:
    chunk_size = 256 * 1024
    chunk_count = 40 * MiB // chunk_size
    largest_lag = 0

    def chunks() -> Iterator[bytes]:
        nonlocal largest_lag
        sent = 0
        for chunk in random_chunks(40, chunk_count, chunk_size):
            largest_lag = max(largest_lag, sent - backend.bytes_received())
            yield chunk
            sent += len(chunk)

    stored = await backend.storage.put("big/stream", chunks())

    assert stored.size == 40 * MiB
    # At most one S3 part held back plus one being filled; had the body been gathered first,
    # the lag would have reached the full 40 MiB.
    assert largest_lag <= 2 * S3_PART_SIZE + chunk_size


async def test_object_is_invisible_until_put_completes(storage: Storage) -> None:
    seen_during_upload: list[bool] = []

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in random_chunks(3, 12, MiB):
            yield chunk
            seen_during_upload.append(await storage.exists("in/progress"))

    await storage.put("in/progress", chunks())

    assert seen_during_upload == [False] * 12
    assert await storage.exists("in/progress")


async def test_missing_object_raises_object_not_found(storage: Storage) -> None:
    assert not await storage.exists("no/such-object")
    with pytest.raises(ObjectNotFound):
        await storage.open("no/such-object")
    assert issubclass(ObjectNotFound, StorageError)


async def test_folder_of_keys_is_not_an_object(storage: Storage) -> None:
    await storage.put("folder/inside", b"x")
    assert not await storage.exists("folder")
    with pytest.raises(ObjectNotFound):
        await storage.open("folder")
    await storage.delete("folder")
    assert await storage.exists("folder/inside")


async def test_delete_is_idempotent(backend: Backend) -> None:
    await backend.storage.put("to/delete", b"content")

    await backend.storage.delete("to/delete")
    await backend.storage.delete("to/delete")

    assert not await backend.storage.exists("to/delete")
    assert backend.raw_entries() == []


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "A B",
        "Upper",
        "a/./b",
        "a//b",
        "trailing/",
        "",
        "dot.pdf",
        "a\\b",
        "x" * 513,
    ],
)
async def test_bad_keys_are_refused(backend: Backend, key: str) -> None:
    with pytest.raises(StorageError):
        await backend.storage.put(key, b"content")
    with pytest.raises(StorageError):
        await backend.storage.open(key)
    with pytest.raises(StorageError):
        await backend.storage.exists(key)
    with pytest.raises(StorageError):
        await backend.storage.delete(key)
    assert backend.raw_entries() == []


async def test_check_writable_leaves_no_probe_behind(backend: Backend) -> None:
    await backend.storage.check_writable()
    assert backend.raw_entries() == []


class ChunkSourceError(Exception):
    pass


@pytest.mark.parametrize("failing_after_mib", [0, 3, 20])
async def test_failed_put_leaves_nothing_behind(backend: Backend, failing_after_mib: int) -> None:
    def chunks() -> Iterator[bytes]:
        yield from random_chunks(5, failing_after_mib, MiB)
        raise ChunkSourceError

    with pytest.raises(ChunkSourceError):
        await backend.storage.put("half/written", chunks())

    assert not await backend.storage.exists("half/written")
    assert backend.raw_entries() == []


async def test_failed_put_keeps_the_previous_version(backend: Backend) -> None:
    await backend.storage.put("kept/version", b"previous version")

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in random_chunks(6, 17, MiB):
            yield chunk
        raise ChunkSourceError

    with pytest.raises(ChunkSourceError):
        await backend.storage.put("kept/version", chunks())

    assert await read_object(backend.storage, "kept/version") == b"previous version"
    assert backend.raw_entries() == ["kept/version"]


async def test_open_streams_in_requested_chunk_size(storage: Storage) -> None:
    await storage.put("chunked/read", bytes(10_000))

    async with await storage.open("chunked/read", chunk_size=4096) as stream:
        sizes = [len(chunk) async for chunk in stream]

    assert sizes == [4096, 4096, 1808]


async def test_stream_closed_early_or_abandoned_releases_resources(storage: Storage) -> None:
    await storage.put("early/close", bytes(1_000_000))

    stream = await storage.open("early/close", chunk_size=1000)
    assert len(await anext(stream)) == 1000
    await stream.aclose()
    assert [chunk async for chunk in stream] == []

    abandoned = await storage.open("early/close", chunk_size=1000)
    await anext(abandoned)
    del abandoned  # filterwarnings=error turns an unclosed file or socket into a failure


async def test_check_writable_fails_when_the_store_is_unusable(
    tmp_path: Path, moto_endpoint: str, aws_environment: None
) -> None:
    root = tmp_path / "objects"
    local = LocalFolderStorage(root)
    root.rmdir()
    root.write_bytes(b"a file where the folder should be")
    with pytest.raises(StorageError, match="not writable"):
        await local.check_writable()

    missing_bucket = S3Storage("no-such-bucket", endpoint_url=moto_endpoint, region="us-east-1")
    with pytest.raises(StorageError, match="not writable"):
        await missing_bucket.check_writable()
    missing_bucket.close()


async def test_s3_storage_creates_missing_bucket_when_asked(
    moto_endpoint: str, s3_admin: Any, aws_environment: None
) -> None:
    name = f"tribune-created-{secrets.token_hex(4)}"
    storage = S3Storage(
        name, endpoint_url=moto_endpoint, region="eu-west-3", create_bucket_if_missing=True
    )
    try:
        await storage.check_writable()
        await storage.put("x/y", b"content")
        assert await read_object(storage, "x/y") == b"content"
        assert s3_admin.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-3"
    finally:
        await storage.delete("x/y")
        s3_admin.delete_bucket(Bucket=name)
        storage.close()


async def test_s3_prefix_scopes_keys(moto_endpoint: str, s3_admin: Any, bucket: str) -> None:
    storage = storage_from_url(f"s3://{bucket}/tribune/docs", s3_endpoint_url=moto_endpoint)
    assert isinstance(storage, S3Storage)
    try:
        await storage.put("ab/cd", b"content")
        keys = [item["Key"] for item in s3_admin.list_objects_v2(Bucket=bucket)["Contents"]]
        assert keys == ["tribune/docs/ab/cd"]
        assert await read_object(storage, "ab/cd") == b"content"
    finally:
        storage.close()


def test_new_object_key_is_random_and_valid() -> None:
    keys = {new_object_key() for _ in range(1000)}
    assert len(keys) == 1000
    for key in keys:
        assert validate_key(key) == key
        prefix, rest = key.split("/")
        assert len(prefix) == 2
        assert len(rest) == 30
    assert not any(key.startswith(HEALTH_PREFIX) for key in keys)


def test_storage_from_url_local_forms(tmp_path: Path) -> None:
    from_file_url = storage_from_url(f"file://{tmp_path}/a")
    assert isinstance(from_file_url, LocalFolderStorage)
    assert from_file_url.root == tmp_path / "a"

    from_path = storage_from_url(str(tmp_path / "b"))
    assert isinstance(from_path, LocalFolderStorage)
    assert from_path.root == tmp_path / "b"
    assert from_path.root.is_dir()


def test_storage_from_url_s3_forms(aws_environment: None) -> None:
    plain = storage_from_url("s3://documents", s3_region="eu-west-3")
    assert isinstance(plain, S3Storage)
    assert (plain.bucket, plain.prefix, plain.region) == ("documents", "", "eu-west-3")
    plain.close()

    prefixed = storage_from_url("s3://documents/tribune/prod/", s3_endpoint_url="http://minio:9000")
    assert isinstance(prefixed, S3Storage)
    assert (prefixed.bucket, prefixed.prefix) == ("documents", "tribune/prod/")
    prefixed.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty storage URL"),
        ("gs://bucket", "unsupported storage URL scheme 'gs'"),
        ("http://example.org/docs", "unsupported storage URL scheme 'http'"),
        ("s3://", "has no bucket"),
        ("s3://Bad_Bucket", "invalid bucket name"),
        ("s3://bucket/Bad Prefix", "invalid S3 key prefix"),
        ("s3://bucket?versioned=1", "query or fragment"),
        ("file://server/share", "must not name a host"),
    ],
)
def test_storage_from_url_rejects_unusable_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        storage_from_url(url)


# -- listing keys (what the sweep of orphaned objects walks) -----------------------------------


def leave_unfinished_write(backend: Backend) -> None:
    """Leave what a put interrupted by a crash leaves: a temporary file, or a pending upload."""
    if backend.s3 is not None:
        backend.s3.create_multipart_upload(Bucket=backend.bucket, Key="crashed/upload")
    else:
        assert isinstance(backend.storage, LocalFolderStorage)
        folder = backend.storage.root / "crashed"
        folder.mkdir(parents=True)
        (folder / ".upload.x1y2z3.tmp").write_bytes(b"half a file")


async def listed(storage: Storage, older_than: datetime | None = None) -> list[str]:
    return sorted([key async for key in storage.list_keys(older_than)])


async def test_list_keys_lists_objects_but_not_probes_or_unfinished_writes(
    backend: Backend,
) -> None:
    for key in ("ab/one", "cd/two", "three"):
        await backend.storage.put(key, b"content")
    await backend.storage.put(HEALTH_PREFIX + "probe", b"left by a crashed health check")
    leave_unfinished_write(backend)

    assert await listed(backend.storage) == ["ab/one", "cd/two", "three"]


async def test_list_keys_keeps_only_objects_written_before_the_cutoff(storage: Storage) -> None:
    await storage.put("old/object", b"written first")
    # S3 gives modification times to the second: a whole second apart, on a whole second.
    await asyncio.sleep(1.1)
    cutoff = datetime.now(UTC).replace(microsecond=0)
    await storage.put("new/object", b"written after the cutoff")

    assert await listed(storage, older_than=cutoff) == ["old/object"]
    assert await listed(storage, older_than=cutoff - timedelta(days=1)) == []
    assert await listed(storage, older_than=cutoff + timedelta(days=1)) == [
        "new/object",
        "old/object",
    ]


async def test_list_keys_goes_through_every_page(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each backend reads the page size where it lists.
    monkeypatch.setattr(tribune.storage.local, "LIST_PAGE_SIZE", 2)
    monkeypatch.setattr(tribune.storage.s3, "LIST_PAGE_SIZE", 2)
    keys = [f"page/{n}" for n in range(5)]
    for key in keys:
        await storage.put(key, b"content")

    assert await listed(storage) == keys


async def test_s3_list_keys_stays_within_the_prefix(
    moto_endpoint: str, s3_admin: Any, bucket: str
) -> None:
    s3_admin.put_object(Bucket=bucket, Key="elsewhere/ab/cd", Body=b"not ours")
    storage = storage_from_url(f"s3://{bucket}/tribune/docs", s3_endpoint_url=moto_endpoint)
    try:
        await storage.put("ab/cd", b"content")
        assert await listed(storage) == ["ab/cd"]
    finally:
        storage.close()

"""Documents in S3 or MinIO through boto3: parts sent in parallel, streamed reads."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import threading
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import boto3
import boto3.exceptions
import boto3.s3.transfer
import botocore.config
import botocore.exceptions

from tribune.storage.base import (
    DEFAULT_READ_CHUNK_SIZE,
    LIST_PAGE_SIZE,
    Chunks,
    ObjectNotFound,
    ObjectStream,
    StorageError,
    StoredObject,
    check_writable,
    checked_chunk_size,
    in_blocks,
    is_listed_key,
    run_in_thread,
    sha256_of_file,
    validate_key,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

# S3 parts must be at least 5 MiB (except the last); 8 MiB keeps requests few while bounding memory.
S3_PART_SIZE = 8 * 1024 * 1024
# `put_file` sends a file smaller than this as one PutObject streamed from disk: below it, the
# three extra requests of a multipart upload cost more than parallel parts gain.
S3_SINGLE_PUT_LIMIT = 32 * 1024 * 1024
# Parts of one object sent at once by `put_file` (boto3's transfer manager default is 10).
S3_PARALLEL_PARTS = 4
BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


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
        if not BUCKET_PATTERN.fullmatch(bucket):
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
            async with contextlib.aclosing(in_blocks(chunks, S3_PART_SIZE)) as blocks:
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
                    await run_in_thread(self._abort_multipart, name, upload_id)
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
            results["sha256"], results["size"] = await run_in_thread(sha256_of_file, source)

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
        checked_chunk_size(chunk_size)

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
                if is_listed_key(key) and (older_than is None or item["LastModified"] < older_than):
                    yield key

    async def check_writable(self) -> None:
        await check_writable(self)

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

        return await run_in_thread(call)

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


def _wrap_boto_errors(read: Callable[[int], bytes], key: str) -> Callable[[int], bytes]:
    def wrapped(size: int) -> bytes:
        try:
            return read(size)
        except (botocore.exceptions.BotoCoreError, OSError) as error:
            raise StorageError(f"cannot read object {key!r}: {error}") from error

    return wrapped


def _first_error(group: BaseExceptionGroup) -> BaseException:
    """Return the first exception of a (possibly nested) group that is not a cancellation."""
    cancelled = anyio.get_cancelled_exc_class()
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if not isinstance(error, cancelled):
            return error
    return group.exceptions[0]


def _is_not_found(error: botocore.exceptions.ClientError) -> bool:
    # HEAD responses have no body, hence the bare status code.
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")

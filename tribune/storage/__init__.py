"""Object store for documents: a local folder for development and tests (``local``), S3 or
MinIO in production (``s3``), both behind the ``base.Storage`` protocol.

Objects are addressed by opaque keys (see ``base.new_object_key``) and are written and read
as streams, so memory use does not grow with the size of a document. ``storage_from_url``
picks the backend.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from tribune.storage.base import Storage
from tribune.storage.local import LocalFolderStorage
from tribune.storage.s3 import BUCKET_PATTERN, S3Storage


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
        if not BUCKET_PATTERN.fullmatch(bucket):
            raise ValueError(f"S3 storage URL {url!r} has an invalid bucket name {bucket!r}")
        return S3Storage(bucket, prefix=parts.path, endpoint_url=s3_endpoint_url, region=s3_region)
    raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} in {url!r}; {expected}")

"""Filing test set-up: the app's document store on each backend, and sample files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tribune.storage.base import Storage
from tribune.storage.local import LocalFolderStorage
from tribune.storage.s3 import S3Storage


@dataclass
class DocumentStore:
    name: str
    storage: Storage
    # Every object key the backend holds, to check that nothing is stored or left behind.
    keys: Callable[[], list[str]]


@pytest.fixture(params=["local", "s3"])
def document_store(
    request: pytest.FixtureRequest, app: Starlette, tmp_path: Path
) -> Iterator[DocumentStore]:
    """Put the app's documents in a local folder, or in moto's S3 server on loopback."""
    if request.param == "local":
        root = tmp_path / "documents"
        local = LocalFolderStorage(root)

        def local_keys() -> list[str]:
            return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

        store = DocumentStore("local", local, local_keys)
    else:
        endpoint: str = request.getfixturevalue("moto_endpoint")
        bucket: str = request.getfixturevalue("bucket")
        admin = request.getfixturevalue("s3_admin")

        def s3_keys() -> list[str]:
            listed = admin.list_objects_v2(Bucket=bucket).get("Contents", [])
            return sorted(item["Key"] for item in listed)

        store = DocumentStore(
            "s3", S3Storage(bucket, endpoint_url=endpoint, region="us-east-1"), s3_keys
        )
    app.state.storage = store.storage
    yield store
    store.storage.close()

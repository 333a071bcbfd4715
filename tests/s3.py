"""moto's real S3 server on loopback, shared by the tests of the S3 adapter and of uploads.

Loaded as a pytest plugin from tests/conftest.py.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
import requests
from moto.server import ThreadedMotoServer

DUMMY_AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
# Variables that would make boto3 look beyond the dummy credentials and the moto endpoint.
AWS_VARIABLES_TO_CLEAR = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint
    # Reset disposes of the temporary files moto keeps per key; otherwise they warn when collected.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    server.stop()
    if server._server is not None:  # stop() leaves the listening socket open
        server._server.server_close()


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in AWS_VARIABLES_TO_CLEAR:
        monkeypatch.delenv(name, raising=False)
    for name, value in DUMMY_AWS_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture(scope="session")
def s3_admin(moto_endpoint: str) -> Iterator[Any]:
    """A client of the tests' own, to prepare and inspect buckets behind the storage's back."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(signature_version="s3v4"),
    )
    yield client
    client.close()


@pytest.fixture
def bucket(s3_admin: Any, aws_environment: None) -> Iterator[str]:
    name = f"tribune-test-{secrets.token_hex(4)}"
    s3_admin.create_bucket(Bucket=name)
    yield name
    for upload in s3_admin.list_multipart_uploads(Bucket=name).get("Uploads", []):
        s3_admin.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for item in s3_admin.list_objects_v2(Bucket=name).get("Contents", []):
        s3_admin.delete_object(Bucket=name, Key=item["Key"])
    s3_admin.delete_bucket(Bucket=name)

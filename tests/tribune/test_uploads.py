"""Streaming multipart uploads: limits checked while reading, CSRF before file bytes, low memory.

Covered, through a small Starlette app with the real CSRF cookie middleware and httpx: fields and
files arrive with their size, SHA-256 and first bytes, the files on disk as sent; a file or a
body over its limit is refused while it is read (the rest is never pulled from the client) and
an announced Content-Length over the limit before anything is read; too many files or fields,
an oversized field; the CSRF token (field before the files, or header) and its absence or
forgery, with no file bytes written; malformed bodies; file inputs left empty; a client that
goes away half way; every failure leaves the temporary folder empty; a received file streamed
into the document store; and a 200 MB upload whose peak traced memory stays at a few megabytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import tracemalloc
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tribune.middleware import CSRFCookieMiddleware
from tribune.security import csrf_token_for
from tribune.settings import Settings
from tribune.storage.base import new_object_key
from tribune.storage.local import LocalFolderStorage
from tribune.uploads import (
    HEAD_SIZE,
    ReceivedForm,
    UploadError,
    UploadLimits,
    iter_file,
    receive_multipart,
    request_csrf_verifier,
)

MiB = 1024 * 1024
BOUNDARY = "tribune-test-boundary-7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
LIMITS = UploadLimits(max_file_size=MiB, max_files=3, max_fields=10, max_field_size=1024)


@dataclass
class Uploads:
    client: httpx.AsyncClient
    token: str
    temp_dir: Path

    def leftovers(self) -> list[str]:
        return sorted(path.name for path in self.temp_dir.iterdir())


@contextlib.asynccontextmanager
async def uploads(
    settings: Settings, temp_dir: Path, limits: UploadLimits = LIMITS
) -> AsyncIterator[Uploads]:
    """Serve a form page and an upload endpoint; yield a client holding its CSRF cookie."""

    async def form_page(request: Request) -> Response:
        return PlainTextResponse(csrf_token_for(settings.secret_key, request.state.csrf_cookie))

    async def upload(request: Request) -> Response:
        try:
            form = await receive_multipart(
                request,
                limits,
                verify_csrf=request_csrf_verifier(request, settings.secret_key),
                temp_dir=temp_dir,
            )
        except UploadError as error:
            return JSONResponse({"error": error.code}, status_code=error.status_code)
        try:
            return JSONResponse(describe(form))
        finally:
            form.cleanup()

    app = Starlette(
        routes=[Route("/form", form_page), Route("/upload", upload, methods=["POST"])],
        middleware=[Middleware(CSRFCookieMiddleware, settings=settings)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = (await client.get("/form")).text
        yield Uploads(client, token, temp_dir)


def describe(form: ReceivedForm) -> dict[str, object]:
    files = []
    for received in form.files:
        with received.path.open("rb") as temporary_file:
            on_disk = hashlib.file_digest(temporary_file, "sha256").hexdigest()
        files.append(
            {
                "field": received.field_name,
                "filename": received.filename,
                "size": received.size,
                "sha256": received.sha256,
                "head": received.head.hex(),
                "on_disk_sha256": on_disk,
            }
        )
    return {"fields": form.fields, "files": files}


# -- hand-built bodies, as browsers send them ---------------------------------------------------


def field_part(name: str, value: str | bytes) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )


def file_header(name: str, filename: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def file_part(name: str, filename: str, content: bytes) -> bytes:
    return file_header(name, filename) + content + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


class StreamedBody:
    """A request body sent chunk by chunk, counting what the server pulled."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self.pieces = pieces
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            self.pulled += len(piece)
            yield piece


def streamed_file(token: str, size: int, chunk: bytes = b"x" * (64 * 1024)) -> Iterable[bytes]:
    """Yield a form with the CSRF token and one file of `size` bytes, without building it whole."""
    yield field_part("csrf_token", token) + file_header("evidence", "big.bin")
    sent = 0
    while sent < size:
        piece = chunk[: size - sent]
        sent += len(piece)
        yield piece
    yield b"\r\n" + body()


async def post(
    uploads: Uploads, content: bytes | AsyncIterable[bytes], **headers: str
) -> httpx.Response:
    return await uploads.client.post(
        "/upload", content=content, headers={"content-type": MULTIPART, **headers}
    )


# -- what arrives --------------------------------------------------------------------------------


async def test_fields_and_files_arrive_with_their_size_and_checksum(
    settings: Settings, tmp_path: Path
) -> None:
    decision = b"%PDF-1.7\n" + bytes(range(256)) * 100
    photo = b"\xff\xd8\xff\xe0" + b"\x00" * 20_000
    async with uploads(settings, tmp_path) as upload:
        response = await upload.client.post(
            "/upload",
            data={"csrf_token": upload.token, "summary": "Décision du 3 mars", "topic": ["a", "b"]},
            files=[
                ("decision", ("décision été.pdf", decision, "application/pdf")),
                ("evidence", ("photo.jpg", photo, "image/jpeg")),
                ("evidence", ("notes.txt", b"hello\n", "text/plain")),
            ],
        )
        assert response.status_code == 200
        received = response.json()
        assert received["fields"] == {"summary": ["Décision du 3 mars"], "topic": ["a", "b"]}
        assert [(f["field"], f["filename"], f["size"]) for f in received["files"]] == [
            ("decision", "décision été.pdf", len(decision)),
            ("evidence", "photo.jpg", len(photo)),
            ("evidence", "notes.txt", 6),
        ]
        assert received["files"][0]["sha256"] == hashlib.sha256(decision).hexdigest()
        assert bytes.fromhex(received["files"][0]["head"]) == decision[:HEAD_SIZE]
        assert [f["on_disk_sha256"] for f in received["files"]] == [
            hashlib.sha256(content).hexdigest() for content in (decision, photo, b"hello\n")
        ]
        assert upload.leftovers() == []


async def test_file_inputs_left_empty_are_ignored_but_empty_files_are_kept(
    settings: Settings, tmp_path: Path
) -> None:
    async with uploads(settings, tmp_path) as upload:
        response = await post(
            upload,
            body(
                field_part("csrf_token", upload.token),
                file_part("decision", "", b""),  # a browser's file input with nothing chosen
                file_part("evidence", "empty.pdf", b""),
                file_part("evidence", "letter.txt", b"Dear tribunal"),
            ),
        )
        assert response.status_code == 200
        files = response.json()["files"]
        assert [(f["field"], f["filename"], f["size"]) for f in files] == [
            ("evidence", "empty.pdf", 0),
            ("evidence", "letter.txt", 13),
        ]
        assert files[0]["sha256"] == hashlib.sha256(b"").hexdigest()


async def test_a_received_file_streams_into_the_document_store(tmp_path: Path) -> None:
    content = bytes(range(256)) * 10_000  # 2.5 MB: several chunks
    path = tmp_path / "upload"
    path.write_bytes(content)
    storage = LocalFolderStorage(tmp_path / "store")

    stored = await storage.put(new_object_key(), iter_file(path, chunk_size=MiB))

    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()


# -- limits --------------------------------------------------------------------------------------


async def test_a_file_over_the_limit_is_refused_while_it_is_read(
    settings: Settings, tmp_path: Path
) -> None:
    async with uploads(settings, tmp_path) as upload:
        streamed = StreamedBody(streamed_file(upload.token, 20 * MiB))
        response = await post(upload, streamed)

        assert response.status_code == 413
        assert response.json() == {"error": "too_large"}
        # Reading stopped at the limit: the other 19 MB were never pulled from the client.
        assert streamed.pulled < LIMITS.max_file_size + 2 * 64 * 1024
        assert upload.leftovers() == []


async def test_a_file_exactly_at_the_limit_is_accepted(settings: Settings, tmp_path: Path) -> None:
    async with uploads(settings, tmp_path) as upload:
        response = await post(upload, StreamedBody(streamed_file(upload.token, MiB)))
        assert response.status_code == 200
        assert response.json()["files"][0]["size"] == MiB


async def test_a_body_announced_over_the_limit_is_refused_before_reading(
    settings: Settings, tmp_path: Path
) -> None:
    limits = UploadLimits(max_file_size=MiB, max_files=3, max_body_size=2 * MiB)
    async with uploads(settings, tmp_path, limits) as upload:
        streamed = StreamedBody(streamed_file(upload.token, 3 * MiB))
        response = await post(upload, streamed, **{"content-length": str(3 * MiB + 500)})

        assert response.status_code == 413
        assert response.json() == {"error": "too_large"}
        assert streamed.pulled == 0


async def test_a_body_over_the_limit_is_refused_and_files_already_received_are_removed(
    settings: Settings, tmp_path: Path
) -> None:
    limits = UploadLimits(max_file_size=MiB, max_files=5, max_body_size=2 * MiB)
    chunk = b"y" * 700_000
    async with uploads(settings, tmp_path, limits) as upload:
        # Three files each under the file limit, together over the body limit; no Content-Length.
        streamed = StreamedBody(
            [
                field_part("csrf_token", upload.token),
                *[file_part("evidence", f"part-{n}.bin", chunk) for n in range(3)],
                body(file_part("evidence", "never-read.bin", chunk)),
            ]
        )
        response = await post(upload, streamed)

        assert response.status_code == 413
        assert response.json() == {"error": "too_large"}
        assert streamed.pulled < 3 * len(chunk) + 2000
        assert upload.leftovers() == []


async def test_too_many_files_are_refused(settings: Settings, tmp_path: Path) -> None:
    async with uploads(settings, tmp_path) as upload:
        files = [file_part("evidence", f"{n}.txt", b"text") for n in range(LIMITS.max_files + 1)]
        response = await post(upload, body(field_part("csrf_token", upload.token), *files))

        assert response.status_code == 413
        assert response.json() == {"error": "too_many_files"}
        assert upload.leftovers() == []


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ([("comment", "x" * 1025)], 413, "field_too_large"),
        ([("comment", "x" * 1024)], 200, None),
        ([(f"field{n}", "x") for n in range(10)], 400, "too_many_fields"),
        ([(f"field{n}", "x") for n in range(9)], 200, None),
    ],
    ids=["field over its limit", "field at its limit", "too many fields", "fields at the limit"],
)
async def test_limits_on_fields(
    settings: Settings,
    tmp_path: Path,
    fields: list[tuple[str, str]],
    status: int,
    code: str | None,
) -> None:
    async with uploads(settings, tmp_path) as upload:
        # The CSRF token counts as one of the ten fields allowed.
        parts = [field_part("csrf_token", upload.token)]
        parts += [field_part(name, value) for name, value in fields]
        response = await post(upload, body(*parts, file_part("evidence", "a.txt", b"text")))

        assert response.status_code == status
        if code:
            assert response.json() == {"error": code}
        else:
            assert response.json()["fields"] == {name: [value] for name, value in fields}
        assert upload.leftovers() == []


# -- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arrangement",
    ["token after the file", "no token", "forged token", "token of another visitor"],
)
async def test_a_file_without_a_valid_csrf_token_first_is_refused_unwritten(
    settings: Settings, tmp_path: Path, arrangement: str
) -> None:
    async with uploads(settings, tmp_path) as upload:
        token = {
            "token after the file": upload.token,
            "no token": None,
            "forged token": "forged-token",
            "token of another visitor": csrf_token_for(settings.secret_key, "x" * 43),
        }[arrangement]
        before = [] if token is None or arrangement == "token after the file" else [token]
        after = [upload.token] if arrangement == "token after the file" else []
        streamed = StreamedBody(
            [
                *[field_part("csrf_token", value) for value in before],
                file_header("evidence", "a.pdf"),
                b"%PDF-1.7" * 10_000,
                b"\r\n",
                body(*[field_part("csrf_token", value) for value in after]),
            ]
        )
        response = await post(upload, streamed)

        assert response.status_code == 403
        assert response.json() == {"error": "csrf"}
        assert streamed.pulled < 1000  # refused at the file's headers, before its bytes
        assert upload.leftovers() == []


async def test_a_form_without_files_still_needs_its_csrf_token(
    settings: Settings, tmp_path: Path
) -> None:
    async with uploads(settings, tmp_path) as upload:
        response = await post(upload, body(field_part("comment", "no token")))
        assert response.status_code == 403
        assert response.json() == {"error": "csrf"}


async def test_csrf_token_in_the_htmx_header(settings: Settings, tmp_path: Path) -> None:
    async with uploads(settings, tmp_path) as upload:
        content = body(file_part("evidence", "a.txt", b"text"))

        accepted = await post(upload, content, **{"x-csrf-token": upload.token})
        forged = await post(upload, content, **{"x-csrf-token": "forged"})

        assert accepted.status_code == 200
        assert accepted.json()["files"][0]["filename"] == "a.txt"
        assert forged.status_code == 403
        assert upload.leftovers() == []


# -- malformed bodies and broken connections ------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("application/x-www-form-urlencoded", b"csrf_token=x&a=b"),
        ("multipart/form-data", b"--x\r\n\r\n--x--\r\n"),
        (MULTIPART, b"this is not a multipart body at all"),
        (MULTIPART, f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb'.encode()),
        (MULTIPART, body(f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nno name\r\n".encode())),
        (MULTIPART, body(field_part("comment", "caf\xe9".encode("latin-1")))),
        (MULTIPART, b""),
    ],
    ids=[
        "not multipart",
        "no boundary",
        "garbage",
        "cut short",
        "part without a name",
        "value not UTF-8",
        "empty body",
    ],
)
async def test_malformed_bodies_are_refused(
    settings: Settings, tmp_path: Path, content_type: str, content: bytes
) -> None:
    async with uploads(settings, tmp_path) as upload:
        response = await upload.client.post(
            "/upload",
            content=content,
            headers={"content-type": content_type, "x-csrf-token": upload.token},
        )
        assert response.status_code == 400
        assert response.json() == {"error": "malformed"}
        assert upload.leftovers() == []


async def test_a_client_that_goes_away_half_way_leaves_no_temporary_file(
    settings: Settings, tmp_path: Path
) -> None:
    def interrupted() -> Iterable[bytes]:
        yield field_part("csrf_token", upload.token) + file_part("evidence", "a.txt", b"done")
        yield file_header("evidence", "b.bin") + b"z" * (MiB // 2)
        raise ConnectionResetError("the client went away")

    async with uploads(settings, tmp_path) as upload:
        with pytest.raises(ConnectionResetError):
            await post(upload, StreamedBody(interrupted()))
        assert upload.leftovers() == []


# -- memory --------------------------------------------------------------------------------------


async def test_a_200_mb_upload_does_not_grow_memory(settings: Settings, tmp_path: Path) -> None:
    size = 200 * MiB
    limits = UploadLimits(max_file_size=size, max_files=1)
    chunk = bytes(range(256)) * 256  # 64 KiB, sent again and again
    expected = hashlib.sha256()
    for _ in range(size // len(chunk)):
        expected.update(chunk)
    async with uploads(settings, tmp_path, limits) as upload:
        tracemalloc.start()
        try:
            response = await post(upload, StreamedBody(streamed_file(upload.token, size, chunk)))
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        print(f"peak traced memory for a 200 MB upload: {peak / MiB:.2f} MiB")

    assert response.status_code == 200
    assert response.json()["files"][0]["size"] == size
    assert response.json()["files"][0]["sha256"] == expected.hexdigest()
    assert response.json()["files"][0]["on_disk_sha256"] == expected.hexdigest()
    assert peak < 4 * MiB

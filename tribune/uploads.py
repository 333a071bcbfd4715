"""Streaming reader of `multipart/form-data` request bodies: uploads with bounded memory.

Starlette's `request.form()` spools every file to disk before the endpoint can look at it, so
limits could only be checked after the whole upload was received. `receive_multipart` parses the
body as it arrives instead (with `python_multipart`'s streaming parser) and:

- writes each file to a temporary file while computing its SHA-256 and size, holding at most one
  write block per file in memory, so memory does not grow with the size of the upload;
- stops reading the moment a limit is passed (the announced `Content-Length`, the body size, a
  file's size, the number of files or fields, a field's size) and removes every temporary file;
- checks the CSRF token before the first byte of a file is written: the token comes from the
  `X-CSRF-Token` header (htmx) or from the `csrf_token` field, which must come before any file
  part, as it does when forms put the hidden field first.

The caller owns the temporary files it gets back and removes them with `cleanup()` (or
`ReceivedForm.cleanup()`) once they are stored, whatever happened;
`tribune.storage.Storage.put_file` copies them to the document store.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.requests import Request

from tribune.security import CSRF_FIELD, CSRF_HEADER, csrf_token_for

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

logger = logging.getLogger(__name__)

HEAD_SIZE = 8 * 1024
"""How many leading bytes of each file are kept in memory, for sniffing its kind."""
WRITE_BLOCK_SIZE = 512 * 1024
"""File data is gathered into blocks of this size before a worker thread writes it out."""
READ_CHUNK_SIZE = 1024 * 1024
PART_OVERHEAD = 8 * 1024
"""Room per part for its boundary and headers when the body limit is derived from the others."""
TEMP_FILE_PREFIX = "tribune-upload-"

# Error codes, for pages to pick their message.
MALFORMED = "malformed"
TOO_LARGE = "too_large"
TOO_MANY_FILES = "too_many_files"
TOO_MANY_FIELDS = "too_many_fields"
FIELD_TOO_LARGE = "field_too_large"
CSRF = "csrf"


class UploadError(Exception):
    """The request body was refused; `status_code` and `code` say why.

    400 `malformed` (not multipart, broken framing, undecodable names or values) or
    `too_many_fields`; 413 `too_large` (a file, or the whole body), `too_many_files` or
    `field_too_large`; 403 `csrf`.
    """

    def __init__(self, status_code: int, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.status_code = status_code
        self.code = code


@dataclass(frozen=True, slots=True)
class UploadLimits:
    max_file_size: int
    """Bytes per file."""
    max_files: int
    """Files per request (file inputs left empty do not count)."""
    max_fields: int = 50
    """Non-file parts per request, the CSRF token and empty file inputs included."""
    max_field_size: int = 64 * 1024
    """Bytes per non-file value."""
    max_body_size: int | None = None
    """Bytes of the whole body; by default, room for the maximum files and fields."""

    @property
    def body_size_limit(self) -> int:
        if self.max_body_size is not None:
            return self.max_body_size
        parts = self.max_files + self.max_fields
        return (
            self.max_files * self.max_file_size
            + self.max_fields * self.max_field_size
            + (parts + 1) * PART_OVERHEAD
        )


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    field_name: str
    filename: str
    """As the browser sent it: untrusted, normalise it before showing or storing it."""
    size: int
    sha256: str
    """Hex digest of the received bytes."""
    path: Path
    """The temporary file holding the bytes; removed by `cleanup()`."""
    head: bytes
    """The first `HEAD_SIZE` bytes, for sniffing the kind of file."""


def cut_received_file(file: ReceivedFile, length: int) -> ReceivedFile:
    """Cut the received file to its first `length` bytes and return it with its new size and
    digest (blocking: call it in a worker thread)."""
    hasher = hashlib.sha256()
    with open(file.path, "r+b") as stream:
        stream.truncate(length)
        while block := stream.read(WRITE_BLOCK_SIZE):
            hasher.update(block)
    return replace(file, size=length, sha256=hasher.hexdigest(), head=file.head[:length])


@dataclass(slots=True)
class ReceivedForm:
    fields: dict[str, list[str]]
    """Non-file values by field name, in the order received (the CSRF token left out)."""
    files: list[ReceivedFile]
    """Non-empty file inputs, in the order received."""

    def get(self, name: str, default: str = "") -> str:
        """Return the first value sent for `name`, or `default` if there was none."""
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self.fields.get(name, ()))

    def files_for(self, field_name: str) -> list[ReceivedFile]:
        return [received for received in self.files if received.field_name == field_name]

    def cleanup(self) -> None:
        """Remove the temporary files; safe to call more than once."""
        cleanup(self.files)


def cleanup(files: Iterable[ReceivedFile]) -> None:
    """Remove the temporary files of received files; never raises (a failure is logged)."""
    for received in files:
        _remove(received.path)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.warning("could not remove temporary upload %s", path, exc_info=True)


async def iter_file(path: Path, chunk_size: int = READ_CHUNK_SIZE) -> AsyncIterator[bytes]:
    """Yield the bytes of a file in chunks, read in a worker thread (for `Storage.put`)."""
    async with await anyio.open_file(path, "rb") as stream:
        while chunk := await stream.read(chunk_size):
            yield chunk


def request_csrf_verifier(request: Request, secret_key: str) -> Callable[[str], bool]:
    """Return a check of a CSRF token against the visitor's cookie (see `tribune.security`)."""
    cookie_value: str | None = getattr(request.state, "csrf_cookie", None)

    def verify(token: str) -> bool:
        if not cookie_value or not token:
            return False
        return hmac.compare_digest(token, csrf_token_for(secret_key, cookie_value))

    return verify


@dataclass(eq=False, slots=True)
class _IncomingFile:
    field_name: str
    filename: str
    temp_dir: Path
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    buffer: bytearray = field(default_factory=bytearray)
    hasher: hashlib._Hash = field(default_factory=hashlib.sha256)
    path: Path | None = None
    fd: int | None = None
    finished: bool = False

    def open(self) -> None:
        # Opened on the event loop: creating a file is quick, and a descriptor opened in a thread
        # would leak if the request were cancelled while the thread ran.
        path = self.temp_dir / f"{TEMP_FILE_PREFIX}{secrets.token_hex(16)}"
        self.path = path  # recorded first, so cleanup finds the file whatever happens next
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)

    def write_block(self, block: bytearray) -> None:
        """Hash and write one block (runs in a worker thread; hashlib releases the GIL)."""
        assert self.fd is not None
        self.hasher.update(block)
        view = memoryview(block)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def received(self) -> ReceivedFile:
        assert self.path is not None
        return ReceivedFile(
            field_name=self.field_name,
            filename=self.filename,
            size=self.size,
            sha256=self.hasher.hexdigest(),
            path=self.path,
            head=bytes(self.head),
        )


_O_BINARY: int = getattr(os, "O_BINARY", 0)


@dataclass(eq=False, slots=True)
class _IncomingField:
    name: str
    data: bytearray = field(default_factory=bytearray)


@dataclass(eq=False, slots=True)
class _MaybeEmptyFile:
    """A file part with an empty filename: a file input left empty, unless bytes arrive."""

    field_name: str


class _MultipartReader:
    """The parser's callbacks: they check limits at once; file I/O happens in `flush`."""

    def __init__(
        self,
        limits: UploadLimits,
        verify_csrf: Callable[[str], bool],
        temp_dir: Path,
        *,
        csrf_verified: bool,
    ) -> None:
        self.limits = limits
        self.verify_csrf = verify_csrf
        self.temp_dir = temp_dir
        self.csrf_verified = csrf_verified
        self.fields: dict[str, list[str]] = {}
        self.files: list[ReceivedFile] = []
        self.every_file: list[_IncomingFile] = []  # for cleanup on failure
        self.unflushed: list[_IncomingFile] = []
        self.field_count = 0
        self.file_count = 0
        self.part: _IncomingField | _IncomingFile | _MaybeEmptyFile | None = None
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition: bytes | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.part = None
        self.disposition = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self.disposition)
        if disposition != b"form-data" or b"name" not in options:
            raise UploadError(400, MALFORMED, "part without a form-data name")
        name = _decode(options[b"name"])
        if b"filename" not in options:
            self.count_field()
            self.part = _IncomingField(name)
            return
        filename = _decode(options[b"filename"])
        if not filename:
            self.part = _MaybeEmptyFile(name)
            return
        self.part = self.start_file(name, filename)

    def count_field(self) -> None:
        self.field_count += 1
        if self.field_count > self.limits.max_fields:
            raise UploadError(400, TOO_MANY_FIELDS)

    def start_file(self, field_name: str, filename: str) -> _IncomingFile:
        if not self.csrf_verified:
            raise UploadError(403, CSRF, "a file came before a valid CSRF token")
        self.file_count += 1
        if self.file_count > self.limits.max_files:
            raise UploadError(413, TOO_MANY_FILES)
        incoming = _IncomingFile(field_name, filename, self.temp_dir)
        self.every_file.append(incoming)
        self.unflushed.append(incoming)
        return incoming

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if isinstance(part, _MaybeEmptyFile):
            part = self.part = self.start_file(part.field_name, "")
        if isinstance(part, _IncomingFile):
            part.size += end - start
            if part.size > self.limits.max_file_size:
                raise UploadError(413, TOO_LARGE, "a file is over the size limit")
            if len(part.head) < HEAD_SIZE:
                part.head += data[start : min(end, start + HEAD_SIZE - len(part.head))]
            part.buffer += data[start:end]
        elif isinstance(part, _IncomingField):
            if len(part.data) + end - start > self.limits.max_field_size:
                raise UploadError(413, FIELD_TOO_LARGE)
            part.data += data[start:end]

    def on_part_end(self) -> None:
        part = self.part
        self.part = None
        if isinstance(part, _MaybeEmptyFile):
            self.count_field()  # a file input left empty: ignored, but it is a part
        elif isinstance(part, _IncomingFile):
            part.finished = True
        elif isinstance(part, _IncomingField):
            value = _decode(bytes(part.data))
            if part.name == CSRF_FIELD:
                if not self.csrf_verified:
                    if not self.verify_csrf(value):
                        raise UploadError(403, CSRF, "invalid CSRF token")
                    self.csrf_verified = True
            else:
                self.fields.setdefault(part.name, []).append(value)

    async def flush(self) -> None:
        """Write out full blocks and finished files; called after each chunk is parsed."""
        still_open: list[_IncomingFile] = []
        for incoming in self.unflushed:
            if incoming.finished or len(incoming.buffer) >= WRITE_BLOCK_SIZE:
                if incoming.fd is None:
                    incoming.open()
                if incoming.buffer:
                    block, incoming.buffer = incoming.buffer, bytearray()
                    await anyio.to_thread.run_sync(incoming.write_block, block)
            if incoming.finished:
                incoming.close()
                self.files.append(incoming.received())
            else:
                still_open.append(incoming)
        self.unflushed = still_open

    def discard(self) -> None:
        for incoming in self.every_file:
            with contextlib.suppress(OSError):
                incoming.close()
            if incoming.path is not None:
                _remove(incoming.path)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UploadError(400, MALFORMED, "a name or value is not UTF-8") from None


def _announced_length(request: Request) -> int | None:
    header = request.headers.get("content-length")
    if header is None:
        return None
    if not header.strip().isdigit():
        raise UploadError(400, MALFORMED, "invalid Content-Length")
    return int(header)


async def receive_multipart(
    request: Request,
    limits: UploadLimits,
    *,
    verify_csrf: Callable[[str], bool],
    temp_dir: Path | None = None,
) -> ReceivedForm:
    """Return the fields and files of a multipart request, the files in temporary files.

    Raises `UploadError` as soon as the body breaks a limit, is malformed or lacks a valid CSRF
    token; by then every temporary file is removed. On success the caller must remove the files
    (`ReceivedForm.cleanup()`) once done with them. The rest of the body after the closing
    boundary is not read.
    """
    media_type, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if media_type != b"multipart/form-data" or not boundary:
        raise UploadError(400, MALFORMED, "not a multipart/form-data body")
    body_limit = limits.body_size_limit
    announced = _announced_length(request)
    if announced is not None and announced > body_limit:
        raise UploadError(413, TOO_LARGE, "the announced body is over the size limit")

    header_token = request.headers.get(CSRF_HEADER)
    if header_token is not None and not verify_csrf(header_token):
        raise UploadError(403, CSRF, "invalid CSRF header")

    reader = _MultipartReader(
        limits,
        verify_csrf,
        Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir()),
        csrf_verified=header_token is not None,
    )
    try:
        try:
            parser = MultipartParser(boundary, reader.callbacks())
        except FormParserError as error:
            raise UploadError(400, MALFORMED, str(error)) from None
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
            if received > body_limit:
                raise UploadError(413, TOO_LARGE, "the body is over the size limit")
            try:
                parser.write(chunk)
            except FormParserError as error:
                raise UploadError(400, MALFORMED, str(error)) from None
            await reader.flush()
            if parser.state == MultipartState.END:
                break
        if parser.state != MultipartState.END:
            raise UploadError(400, MALFORMED, "the body ended before its closing boundary")
        if not reader.csrf_verified:
            raise UploadError(403, CSRF, "no CSRF token")
    except BaseException:
        reader.discard()
        raise
    return ReceivedForm(reader.fields, reader.files)

"""What an uploaded file is, judged by its content; safe display names; the virus scanner hook.

Covered: real sample files made here (PDFs from pypdf, plain, encrypted, broken, with
JavaScript or launch actions, with an escaped name outside the cross-reference table; PNG and
JPEG written by Pillow or byte by byte, multi-picture JPEGs, images that do not decode, claim
too many pixels, or carry a program after their end; Word documents built with zipfile, with
macros as named parts, as VBA storages under other names, declared in content types past the
first MiB, by character reference or in UTF-16, with a part named twice, a DTD, a part too
large or a zip bomb; executables, HTML, SVG, XHTML and XML under misleading names; UTF-8,
Latin-1 and binary text, text with markup anywhere; empty files), each with its verdict;
damaged files of every kind (a property test); a slot's allowed kinds; file name
normalisation (paths, control and bidi characters, long names, wrong extensions); the clamd
scanner against a local server speaking clamd's INSTREAM protocol (clean file, the EICAR test
file, a server that hangs up, hangs, refuses or errs) and the scanner chosen by URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import random
import socket
import string
import struct
import time
import warnings
import zipfile
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from filings.documents.inspection import (
    MAX_ZIP_ENTRIES,
    MAX_ZIP_PART_SIZE,
    TEXT_READ_SIZE,
    FileKind,
    Inspection,
    Problem,
    inspect,
    normalise_filename,
)
from filings.documents.scanning import (
    AcceptAllScanner,
    ClamdScanner,
    ScannerUnavailable,
    ScanResult,
    scanner_from_url,
)
from tests.helpers import pdf_bytes

# -- sample files -------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data))


PIXELS = zlib.compress(b"\x00\xcc\x33\x00")  # a filter byte, then one RGB pixel


def png(width: int = 1, height: int = 1) -> bytes:
    """A PNG whose header claims `width` × `height` (one RGB pixel's data, whatever it claims)."""
    header = struct.pack("!IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", PIXELS)
        + png_chunk(b"IEND", b"")
    )


def image(kind: str, size: tuple[int, int] = (32, 24), **options: object) -> bytes:
    """A real image written by Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 60, 20)).save(buffer, kind, **options)
    return buffer.getvalue()


def jpeg() -> bytes:
    return image("JPEG")


def multi_picture_jpeg() -> bytes:
    """A JPEG with a second picture after the first, as phones write depth and HDR maps."""
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (32, 24), "red"), Image.new("L", (16, 12), 128)
    first.save(buffer, "MPO", save_all=True, append_images=[second])
    return buffer.getvalue()


def program_between_pictures() -> bytes:
    """A multi-picture JPEG with a program between its pictures, its header pointing past it
    to the second picture."""
    pictures = multi_picture_jpeg()
    header = pictures.index(b"MPF\x00") + 4
    second = pictures.index(b"\xff\xd8\xff", 2)
    order = "<I" if pictures[header : header + 2] == b"II" else ">I"
    offset = struct.pack(order, second - header)
    first = pictures[:second].replace(offset, struct.pack(order, second - header + len(ELF)), 1)
    assert first != pictures[:second]
    return first + ELF + pictures[second:]


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56 + b"\x90" * 64
WINDOWS_PROGRAM = b"MZ\x90\x00\x03\x00" + b"\x00" * 58 + b"This program cannot be run in DOS mode"


def zip_of(entries: dict[str, bytes]) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return output.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def content_types(main: str = WORD_MAIN) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main}"/></Types>'
    ).encode()


WORD_BODY = (
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Avis d'appel</w:t></w:r></w:p></w:body></w:document>"
)


def docx(**extra: bytes) -> bytes:
    return zip_of(
        {
            "[Content_Types].xml": content_types(),
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": WORD_BODY,
            **extra,
        }
    )


def ole(*stream_names: str, content: bytes = b"") -> bytes:
    """The start of an OLE compound file naming the given storages and streams (UTF-16)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entries = b"".join(
        name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64 for name in stream_names
    )
    return header + entries + content


def padded_content_types(padding: int) -> bytes:
    """Content types of a macro document, the macro one after `padding` characters of a
    comment (random letters, which do not compress away)."""
    letters = "".join(random.Random(3).choices(string.ascii_letters, k=padding))
    return (
        content_types()
        .replace(b"<Default", f"<!-- {letters} --><Default".encode())
        .replace(
            b"</Types>",
            f'<Override PartName="/word/x.xml" ContentType="{MACRO_MAIN}"/></Types>'.encode(),
        )
    )


def docx_with_two_content_types() -> bytes:
    """Two parts named [Content_Types].xml: the first declares macros, zipfile reads the last."""
    output = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name, and writes it
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", content_types(MACRO_MAIN))
            archive.writestr("word/document.xml", WORD_BODY)
            archive.writestr("[Content_Types].xml", content_types())
    return output.getvalue()


def pdf_with_action(action: dict[str, str]) -> bytes:
    """A real PDF whose /OpenAction is the given action (names as keys, values as names but
    /JS and /F, which are strings)."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {
            NameObject(key): TextStringObject(value) if key in ("/JS", "/F") else NameObject(value)
            for key, value in action.items()
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


JAVASCRIPT_ACTION = {"/S": "/JavaScript", "/JS": "app.alert(1)"}
LAUNCH_ACTION = {"/S": "/Launch", "/F": "calc.exe"}


@dataclass(frozen=True)
class Sample:
    name: str  # the name it is saved under: never what the verdict rests on
    content: Callable[[], bytes]
    kind: FileKind | None
    problem: Problem | None
    detected: str | None = field(default=None, compare=False)


SAMPLES = {
    "pdf": Sample("decision.pdf", pdf_bytes, FileKind.PDF, None),
    "pdf with a password": Sample(
        "locked.pdf", lambda: pdf_bytes(password="secret"), FileKind.PDF, Problem.ENCRYPTED_PDF
    ),
    "pdf with owner restrictions only": Sample(
        "restricted.pdf",
        lambda: pdf_bytes(password="", owner_password="owner"),
        FileKind.PDF,
        Problem.ENCRYPTED_PDF,
    ),
    "pdf cut in half": Sample(
        "cut.pdf", lambda: pdf_bytes()[: len(pdf_bytes()) // 2], FileKind.PDF, Problem.BROKEN_PDF
    ),
    "pdf header then garbage": Sample(
        "garbage.pdf",
        lambda: b"%PDF-1.7\n" + random.Random(7).randbytes(5000),
        FileKind.PDF,
        Problem.BROKEN_PDF,
    ),
    "png": Sample("scan.png", png, FileKind.PNG, None),
    "png signature then garbage": Sample(
        "scan.png", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, FileKind.PNG, Problem.BROKEN_IMAGE
    ),
    "png written by Pillow": Sample("scan.png", lambda: image("PNG"), FileKind.PNG, None),
    "png claiming 100,000 × 100,000 pixels": Sample(
        "scan.png", lambda: png(100_000, 100_000), FileKind.PNG, Problem.IMAGE_TOO_LARGE
    ),
    "png of 10,001 pixels wide": Sample(
        "scan.png", lambda: png(10_001, 1), FileKind.PNG, Problem.IMAGE_TOO_LARGE
    ),
    "png of 8,000 × 6,500 pixels (52 megapixels)": Sample(
        "scan.png", lambda: png(8_000, 6_500), FileKind.PNG, Problem.IMAGE_TOO_LARGE
    ),
    "png with a broken checksum": Sample(
        "scan.png",
        lambda: png().replace(png_chunk(b"IDAT", PIXELS)[-4:], b"\x00\x00\x00\x00"),
        FileKind.PNG,
        Problem.BROKEN_IMAGE,
    ),
    "jpeg": Sample("photo.jpg", jpeg, FileKind.JPEG, None),
    "jpeg named .txt": Sample("photo.txt", jpeg, FileKind.JPEG, None),
    "progressive jpeg": Sample(
        "photo.jpg", lambda: image("JPEG", progressive=True), FileKind.JPEG, None
    ),
    "jpeg with a second picture (MPO)": Sample(
        "photo.jpg", multi_picture_jpeg, FileKind.JPEG, None
    ),
    "FF D8 FF then a Linux program": Sample(
        "photo.jpg", lambda: b"\xff\xd8\xff" + ELF, FileKind.JPEG, Problem.BROKEN_IMAGE
    ),
    "FF D8 FF then a Windows program": Sample(
        "photo.jpg", lambda: b"\xff\xd8\xff" + WINDOWS_PROGRAM, FileKind.JPEG, Problem.BROKEN_IMAGE
    ),
    "jpeg header without a picture": Sample(
        "photo.jpg",
        lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
        FileKind.JPEG,
        Problem.BROKEN_IMAGE,
    ),
    "jpeg with a program between its pictures": Sample(
        "photo.jpg", program_between_pictures, FileKind.JPEG, Problem.IMAGE_TRAILING_DATA
    ),
    "jpeg cut short": Sample(
        "photo.jpg", lambda: image("JPEG", (256, 256))[:-300], FileKind.JPEG, Problem.BROKEN_IMAGE
    ),
    "png named .jpg": Sample("photo.jpg", png, FileKind.PNG, None),
    "docx": Sample("letter.docx", docx, FileKind.DOCX, None),
    "docx with macros": Sample(
        "letter.docx",
        lambda: docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"}),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx with a VBA project named as an image": Sample(
        "letter.docx",
        lambda: docx(**{"word/media/image1.bin": ole("Root Entry", "VBA", "_VBA_PROJECT", "dir")}),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx with a VBA project under another name, storages in lower case": Sample(
        "letter.docx",
        lambda: docx(
            **{"word/embeddings/oleObject1.dat": ole("Root Entry", "vba", "_vba_project")}
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx with VBA module source in a .bin part": Sample(
        "letter.docx",
        lambda: docx(**{"word/media/image2.bin": b"\x01\x16\x01\x00Attribut\x00e VB_Name"}),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx with an embedded OLE object without macros": Sample(
        "letter.docx",
        lambda: docx(**{"word/embeddings/oleObject1.bin": ole("Root Entry", "Equation Native")}),
        FileKind.DOCX,
        None,
    ),
    "docx declaring macros after 1 MiB of content types": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": padded_content_types(1024 * 1024 + 100),
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx declaring macros with a character reference": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": content_types(MACRO_MAIN.replace("E", "&#69;")),
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx declaring macros in UTF-16": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": content_types(MACRO_MAIN)
                .decode()
                .replace("UTF-8", "UTF-16")
                .encode("utf-16"),
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx declaring an ActiveX control": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": content_types().replace(
                    b"</Types>",
                    b'<Default Extension="bin" '
                    b'ContentType="application/vnd.ms-office.activeX"/></Types>',
                ),
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "docx with [Content_Types].xml twice": Sample(
        "letter.docx", docx_with_two_content_types, FileKind.DOCX, Problem.BROKEN_DOCX
    ),
    "docx with two parts named alike but for case": Sample(
        "letter.docx",
        lambda: docx(**{"WORD/document.xml": WORD_BODY}),
        FileKind.DOCX,
        Problem.BROKEN_DOCX,
    ),
    "docx whose content types declare a DTD": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": b'<!DOCTYPE Types [<!ENTITY m "macroEnabled">]>'
                + content_types()[38:],
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.BROKEN_DOCX,
    ),
    "docx with a .bin part over the size limit": Sample(
        "letter.docx",
        lambda: docx(
            **{"word/media/image1.bin": random.Random(5).randbytes(MAX_ZIP_PART_SIZE + 1)}
        ),
        FileKind.DOCX,
        Problem.DOCX_PART_TOO_LARGE,
    ),
    "docx with a zip bomb in its content types": Sample(
        "letter.docx",
        lambda: zip_of(
            {
                "[Content_Types].xml": content_types().replace(
                    b"<Default", b"<!--" + b" " * (5 * 1024 * 1024) + b"--><Default"
                ),
                "word/document.xml": WORD_BODY,
            }
        ),
        FileKind.DOCX,
        Problem.DOCX_PART_TOO_LARGE,
    ),
    "docm content type without macro part": Sample(
        "letter.docm",
        lambda: zip_of(
            {"[Content_Types].xml": content_types(MACRO_MAIN), "word/document.xml": WORD_BODY}
        ),
        FileKind.DOCX,
        Problem.MACRO_DOCUMENT,
    ),
    "zip archive named .docx": Sample(
        "letter.docx", lambda: zip_of({"evidence.txt": b"text"}), None, Problem.NOT_ALLOWED
    ),
    "xlsx spreadsheet": Sample(
        "sheet.xlsx",
        lambda: zip_of({"[Content_Types].xml": content_types(), "xl/workbook.xml": b"<x/>"}),
        None,
        Problem.NOT_ALLOWED,
    ),
    "zip cut short": Sample(
        "letter.docx", lambda: docx()[:100], None, Problem.NOT_ALLOWED, "broken zip"
    ),
    "old Word .doc": Sample(
        "letter.doc",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
        None,
        Problem.LEGACY_OFFICE,
    ),
    "ELF executable named .pdf": Sample(
        "decision.pdf",
        lambda: b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56,
        None,
        Problem.NOT_ALLOWED,
        "executable",
    ),
    "Windows executable named .pdf": Sample(
        "decision.pdf",
        lambda: b"MZ\x90\x00\x03\x00" + b"\x00" * 58 + b"This program cannot be run in DOS mode",
        None,
        Problem.NOT_ALLOWED,
        "executable",
    ),
    "shell script named .txt": Sample(
        "notes.txt", lambda: b"#!/bin/sh\nrm -rf ~\n", None, Problem.NOT_ALLOWED, "script"
    ),
    "gif": Sample("photo.gif", lambda: b"GIF89a\x01\x00\x01\x00", None, Problem.NOT_ALLOWED),
    "html named .txt": Sample(
        "notes.txt",
        lambda: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        None,
        Problem.TEXT_MARKUP,
        "markup",
    ),
    "html after a BOM and blank lines": Sample(
        "notes.txt",
        lambda: "\ufeff \r\n\t<HTML><body>hi</body></HTML>".encode(),
        None,
        Problem.TEXT_MARKUP,
        "markup",
    ),
    "svg named .txt": Sample(
        "notes.txt",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        None,
        Problem.TEXT_MARKUP,
        "markup",
    ),
    "xml named .txt": Sample(
        "notes.txt", lambda: b'<?xml version="1.0"?><note/>', None, Problem.TEXT_MARKUP
    ),
    "script tag named .txt": Sample(
        "notes.txt", lambda: b"<script>alert(1)</script>", None, Problem.TEXT_MARKUP
    ),
    "marquee tag in .txt": Sample(
        "notes.txt", lambda: b"<marquee onstart=alert(1)>hello</marquee>", None, Problem.TEXT_MARKUP
    ),
    "markup after a line of text": Sample(
        "notes.txt",
        lambda: b"Dear tribunal,\n<img src=x onerror=alert(1)>",
        None,
        Problem.TEXT_MARKUP,
    ),
    "XHTML-namespaced document in .txt": Sample(
        "notes.txt",
        lambda: (
            b'<x:html xmlns:x="http://www.w3.org/1999/xhtml"><x:script>alert(1)</x:script></x:html>'
        ),
        None,
        Problem.TEXT_MARKUP,
    ),
    "SVG-namespaced document in .txt": Sample(
        "notes.txt",
        lambda: b'<s:svg xmlns:s="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        None,
        Problem.TEXT_MARKUP,
    ),
    "end tag in .txt": Sample("notes.txt", lambda: b"fin </p>", None, Problem.TEXT_MARKUP),
    "comment in .txt": Sample("notes.txt", lambda: b"x <!-- y -->", None, Problem.TEXT_MARKUP),
    "text with an address in angle brackets": Sample(
        "notes.txt",
        lambda: "De : Zoë Tremblay <zoe.tremblay@example.ca>\nObjet : appel".encode(),
        FileKind.TEXT,
        None,
    ),
    "text with < before digits and spaces": Sample(
        "notes.txt", lambda: b"montant < 500 $ et 3<4, <= 5", FileKind.TEXT, None
    ),
    "utf-8 text with accents": Sample(
        "notes.txt",
        lambda: "Je conteste la décision du 3 mars.\r\n\tMerci — Zoë\f\n".encode(),
        FileKind.TEXT,
        None,
    ),
    "utf-8 text with a BOM": Sample(
        "notes.txt", lambda: "\ufeffÉté 2026".encode(), FileKind.TEXT, None
    ),
    "text that starts with < but is no markup": Sample(
        "notes.txt", lambda: b"<3 merci pour votre aide", FileKind.TEXT, None
    ),
    "latin-1 text": Sample(
        "notes.txt", lambda: "Décision contestée".encode("latin-1"), None, Problem.TEXT_NOT_UTF8
    ),
    "text with a NUL byte": Sample(
        "notes.txt", lambda: b"hello\x00world", None, Problem.NOT_ALLOWED, "binary"
    ),
    "text with an escape sequence": Sample(
        "notes.txt", lambda: b"hello \x1b[31mred", None, Problem.NOT_ALLOWED, "binary"
    ),
    "random bytes": Sample(
        "data.pdf", lambda: random.Random(1).randbytes(4096), None, Problem.NOT_ALLOWED
    ),
    "empty file": Sample("decision.pdf", lambda: b"", None, Problem.EMPTY),
    "blank text": Sample("notes.txt", lambda: b" \r\n\t\n", None, Problem.EMPTY),
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_files_are_judged_by_their_content(tmp_path: Path, sample: Sample) -> None:
    content = sample.content()
    path = tmp_path / sample.name
    path.write_bytes(content)

    inspection = inspect(path, len(content))

    assert (inspection.kind, inspection.problem) == (sample.kind, sample.problem)
    assert inspection.accepted is (sample.problem is None)
    if sample.detected:
        assert inspection.detected == sample.detected


@pytest.mark.parametrize(
    ("picture", "after"),
    [
        (png, ELF),
        (jpeg, WINDOWS_PROGRAM),
        (lambda: image("JPEG"), b"\x00\x00MotionPhoto_Data" + b"\x00\x00\x00\x18ftypmp42" * 40),
        (multi_picture_jpeg, ELF),
    ],
    ids=["program after a png", "program after a jpeg", "motion photo", "program after an mpo"],
)
def test_only_the_picture_is_kept_of_an_image_followed_by_other_data(
    tmp_path: Path, picture: Callable[[], bytes], after: bytes
) -> None:
    content = picture()
    path = tmp_path / "photo"
    path.write_bytes(content + after)

    inspection = inspect(path, len(content) + len(after))

    assert inspection.accepted
    assert inspection.picture_length == len(content)


def test_zero_bytes_after_a_picture_are_kept_as_they_are(tmp_path: Path) -> None:
    content = png() + b"\x00" * 100
    path = tmp_path / "scan.png"
    path.write_bytes(content)
    assert inspect(path, len(content)) == Inspection(FileKind.PNG, None)


def test_a_long_text_file_is_read_to_its_end(tmp_path: Path) -> None:
    # The defect comes after the first block read, and a multi-byte character straddles it.
    good = ("é" * 700_000).encode()
    path = tmp_path / "notes.txt"
    path.write_bytes(good)
    assert inspect(path, len(good)).kind is FileKind.TEXT
    path.write_bytes(good + b"\x00")
    assert inspect(path, len(good) + 1).problem is Problem.NOT_ALLOWED


def test_markup_split_across_two_blocks_is_seen(tmp_path: Path) -> None:
    content = b"a" * (TEXT_READ_SIZE - 1) + b"<script>alert(1)</script>"
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    assert inspect(path, len(content)).problem is Problem.TEXT_MARKUP


PDF_SAMPLES = {
    "plain pdf": (pdf_bytes, False),
    "pdf with an /OpenAction running JavaScript": (
        lambda: pdf_with_action(JAVASCRIPT_ACTION),
        True,
    ),
    "pdf with a /Launch action": (lambda: pdf_with_action(LAUNCH_ACTION), True),
    "pdf with a /JS key under another action type": (
        lambda: pdf_with_action({"/S": "/Rendition", "/JS": "app.alert(1)"}),
        True,
    ),
    "pdf with an /OpenAction to a page": (lambda: pdf_with_action({"/S": "/GoTo"}), False),
}


@pytest.mark.parametrize(("content", "active"), PDF_SAMPLES.values(), ids=PDF_SAMPLES.keys())
def test_pdfs_with_javascript_or_launch_actions_are_marked(
    tmp_path: Path, content: Callable[[], bytes], active: bool
) -> None:
    data = content()
    path = tmp_path / "decision.pdf"
    path.write_bytes(data)
    inspection = inspect(path, len(data))
    assert (inspection.kind, inspection.problem) == (FileKind.PDF, None)
    assert inspection.active_content is active


def test_a_pdf_naming_javascript_with_escaped_letters_is_marked(tmp_path: Path) -> None:
    # "/J#61v#61Script" is "/JavaScript"; here in an object after the end, outside the
    # cross-reference table, which a reader repairing the file may use: only the scan of the
    # bytes finds it.
    data = pdf_bytes().replace(b"%%EOF", b"%%EOF\n9 0 obj << /S /J#61v#61Script >> endobj\n")
    path = tmp_path / "decision.pdf"
    path.write_bytes(data)
    assert inspect(path, len(data)).active_content


def test_a_big_image_is_checked_in_reasonable_time(tmp_path: Path) -> None:
    # 48 megapixels, just under the limit: decoded whole in about half a second of CPU. The
    # bound is on this thread's CPU time, not the wall clock, so that a busy machine cannot
    # fail it, and loose enough to catch only a decoder gone pathological.
    for kind in ("PNG", "JPEG"):
        data = image(kind, (8_000, 6_000))
        path = tmp_path / f"scan.{kind.lower()}"
        path.write_bytes(data)
        started = time.thread_time()
        assert inspect(path, len(data)).accepted
        assert time.thread_time() - started < 5


DAMAGEABLE: dict[str, Callable[[], bytes]] = {
    "jpeg": lambda: image("JPEG", progressive=True),
    "multi-picture jpeg": multi_picture_jpeg,
    "png": lambda: image("PNG"),
    "docx": lambda: docx(**{"word/embeddings/oleObject1.bin": ole("Root Entry", "Ole")}),
    "pdf": lambda: pdf_with_action(JAVASCRIPT_ACTION),
    "text": lambda: "Décision contestée, été 2026\n".encode() * 20,
}
DAMAGEABLE_BYTES = {name: make() for name, make in DAMAGEABLE.items()}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.sampled_from(sorted(DAMAGEABLE_BYTES)),
    cut=st.floats(0, 1),
    changes=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_files_get_a_verdict_never_an_error(
    tmp_path: Path, name: str, cut: float, changes: list[tuple[float, int]]
) -> None:
    # Bytes changed and the end cut off, as a bad download or a crafted file has them: each
    # gets a verdict (a 500 would be the alternative).
    content = bytearray(DAMAGEABLE_BYTES[name])
    for where, value in changes:
        content[int(where * (len(content) - 1))] = value
    content = content[: max(1, int(cut * len(content)))]
    path = tmp_path / "upload.bin"
    path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pypdf and Pillow warn about what they repair
        inspection = inspect(path, len(content))
    assert inspection.accepted or inspection.problem in set(Problem)


def test_a_slot_takes_only_its_kinds(tmp_path: Path) -> None:
    path = tmp_path / "scan.png"
    path.write_bytes(png())
    inspection = inspect(path, path.stat().st_size)

    assert inspection.problem_for({FileKind.PNG, FileKind.JPEG}) is None
    assert inspection.problem_for({FileKind.PDF}) is Problem.NOT_ALLOWED
    path.write_bytes(b"")
    assert inspect(path, 0).problem_for({FileKind.PNG}) is Problem.EMPTY


def test_kinds_have_a_mime_type_label_and_extension() -> None:
    assert FileKind("pdf").mime_type == "application/pdf"
    assert FileKind.DOCX.extension == ".docx"
    assert FileKind.JPEG.mime_type == "image/jpeg"
    assert FileKind.TEXT.mime_type == "text/plain; charset=utf-8"
    assert all(kind.label and kind.extension in kind.extensions for kind in FileKind)


# -- file names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("../../etc/passwd", None, "passwd"),
        ("../../etc/passwd", FileKind.TEXT, "passwd.txt"),
        ("C:\\Users\\x\\evil.pdf", FileKind.PDF, "evil.pdf"),
        ("décision.pdf", FileKind.PDF, "décision.pdf"),
        ("de\u0301cision.pdf", FileKind.PDF, "décision.pdf"),  # decomposed accents composed
        ("SCAN.PDF", FileKind.PDF, "SCAN.PDF"),
        ("photo.jpeg", FileKind.JPEG, "photo.jpeg"),
        ("photo.txt", FileKind.JPEG, "photo.txt.jpg"),
        ("invoice.exe", FileKind.PDF, "invoice.exe.pdf"),
        ("scan", FileKind.PDF, "scan.pdf"),
        ("data.csv", FileKind.TEXT, "data.csv"),
        ("nul\x00byte.pdf", FileKind.PDF, "nulbyte.pdf"),
        ("two\nlines\r.pdf", FileKind.PDF, "two lines.pdf"),
        ("esc\x1b[31m.txt", FileKind.TEXT, "esc[31m.txt"),
        ("invoice\u202egpj.exe", None, "invoicegpj.exe"),  # shows as "invoiceexe.jpg"
        ("invoice\u202egpj.exe", FileKind.PDF, "invoicegpj.exe.pdf"),
        ("zero\u200bwidth\u2066isolate.pdf", FileKind.PDF, "zerowidthisolate.pdf"),
        ("  my   file \t name.pdf  ", FileKind.PDF, "my file name.pdf"),
        (".htaccess", None, "htaccess"),
        ("notes.txt.", FileKind.TEXT, "notes.txt"),
        ("", None, "document"),
        ("", FileKind.PDF, "document.pdf"),
        ("...", FileKind.DOCX, "document.docx"),
        ("/", FileKind.PNG, "document.png"),
        ("證據 📷.png", FileKind.PNG, "證據 📷.png"),
    ],
)
def test_file_names_are_made_safe_to_show(raw: str, kind: FileKind | None, expected: str) -> None:
    assert normalise_filename(raw, kind) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "ending"),
    [
        ("a" * 1000 + ".pdf", FileKind.PDF, "a.pdf"),
        ("b" * 1000 + ".exe", FileKind.PDF, "b.pdf"),
        ("c" * 1000, None, "c"),
        ("é" * 999 + ".txt", None, "é.txt"),
        ("x." + "y" * 998, FileKind.TEXT, "y.txt"),
    ],
)
def test_long_file_names_are_cut_keeping_the_extension(
    raw: str, kind: FileKind | None, ending: str
) -> None:
    name = normalise_filename(raw, kind)
    assert len(name) == 150
    assert name.endswith(ending)


# -- the virus scanner --------------------------------------------------------------------------

# The anti-virus test file, split so that scanners of this repository do not quarantine it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass
class ClamdStub:
    port: int
    streams: list[bytes]  # what each INSTREAM session delivered, decoded from its chunks


@contextlib.asynccontextmanager
async def clamd_stub(behaviour: str = "scan") -> AsyncIterator[ClamdStub]:
    """Serve clamd's INSTREAM command on loopback as its documentation describes it.

    The command is `zINSTREAM\\0`, then chunks each prefixed by their length as 4 bytes in
    network order, then a zero length; the reply is `stream: OK` or `stream: <name> FOUND`,
    ended by NUL. `behaviour` makes it misbehave: "hang up" after the command, "hang" without
    replying, "error" as clamd does when a stream is over StreamMaxLength, or "garble".
    """
    streams: list[bytes] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            command = await reader.readuntil(b"\0")
            if behaviour == "hang up":
                return
            if command != b"zINSTREAM\0":
                writer.write(b"UNKNOWN COMMAND\0")
                return
            data = bytearray()
            while length := struct.unpack("!I", await reader.readexactly(4))[0]:
                data += await reader.readexactly(length)
            streams.append(bytes(data))
            if behaviour == "hang":
                await done.wait()
                return
            reply = {
                "error": b"INSTREAM size limit exceeded. ERROR\0",
                "garble": b"PONG\0",
            }.get(behaviour)
            if reply is None:
                reply = (
                    b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0"
                )
            writer.write(reply)
            await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield ClamdStub(server.sockets[0].getsockname()[1], streams)
    finally:
        done.set()
        server.close()
        await server.wait_closed()


def write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return path


async def test_clamd_passes_a_clean_file_sent_in_chunks(tmp_path: Path) -> None:
    content = random.Random(3).randbytes(200_000)  # four chunks of 64 KiB and a bit
    async with clamd_stub() as clamd:
        result = await ClamdScanner("127.0.0.1", clamd.port).scan(write(tmp_path, content))

    assert result == ScanResult(clean=True, signature=None)
    assert clamd.streams == [content]


async def test_clamd_reports_the_eicar_test_file(tmp_path: Path) -> None:
    content = random.Random(4).randbytes(100_000) + EICAR  # found past the first chunk
    async with clamd_stub() as clamd:
        scanner = scanner_from_url(f"clamd://127.0.0.1:{clamd.port}?timeout=5")
        result = await scanner.scan(write(tmp_path, content))

    assert result == ScanResult(clean=False, signature="Eicar-Test-Signature")
    assert clamd.streams == [content]


@pytest.mark.parametrize("behaviour", ["hang up", "hang", "error", "garble"])
async def test_clamd_without_a_verdict_is_unavailable(tmp_path: Path, behaviour: str) -> None:
    async with clamd_stub(behaviour) as clamd:
        scanner = ClamdScanner("127.0.0.1", clamd.port, timeout=0.5)
        with pytest.raises(ScannerUnavailable):
            await scanner.scan(write(tmp_path, b"x" * 300_000))


async def test_clamd_not_listening_is_unavailable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ScannerUnavailable):
        await ClamdScanner("127.0.0.1", port, timeout=2).scan(write(tmp_path, b"text"))


async def test_the_default_scanner_accepts_every_file(tmp_path: Path) -> None:
    for url in (None, ""):
        scanner = scanner_from_url(url)
        assert isinstance(scanner, AcceptAllScanner)
        assert await scanner.scan(write(tmp_path, EICAR)) == ScanResult(clean=True)


def test_scanner_urls() -> None:
    scanner = scanner_from_url("clamd://clamav.internal:3311?timeout=5")
    assert isinstance(scanner, ClamdScanner)
    assert (scanner.host, scanner.port, scanner.timeout) == ("clamav.internal", 3311, 5.0)
    default_port = scanner_from_url("clamd://clamav")
    assert isinstance(default_port, ClamdScanner)
    assert default_port.port == 3310
    for wrong in ("http://clamav:3310", "clamd://", "clamav:3310"):
        with pytest.raises(ValueError, match="scanner URL"):
            scanner_from_url(wrong)


def test_a_word_file_of_too_many_parts_is_refused_before_its_directory_is_read(
    tmp_path: Path,
) -> None:
    # 200,000 entries took seconds of CPU to list; the archive's own count is read first. CPU
    # time of this thread, so that a busy machine cannot fail it.
    parts = {f"word/media/part{n}.xml": b"" for n in range(MAX_ZIP_ENTRIES + 1)}
    content = docx(**parts)
    path = tmp_path / "appeal.docx"
    path.write_bytes(content)
    started = time.thread_time()
    inspection = inspect(path, len(content))
    assert inspection.problem is Problem.TOO_MANY_PARTS
    assert time.thread_time() - started < 0.5
    path.write_bytes(docx())
    assert inspect(path, path.stat().st_size).accepted

"""What a file is, by its content: magic bytes, PDF, ZIP and text checks, and safe file names."""

from __future__ import annotations

import codecs
import enum
import logging
import mmap
import re
import struct
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from PIL import Image, MpoImagePlugin
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

logger = logging.getLogger(__name__)


class FileKind(enum.Enum):
    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    DOCX = "docx"
    TEXT = "text"

    @property
    def mime_type(self) -> str:
        return _MIME_TYPES[self]

    @property
    def label(self) -> str:
        """An English name for people; pages translate it (these are not in the catalogue)."""
        return _LABELS[self]

    @property
    def extension(self) -> str:
        """The extension given to names that lack a fitting one, with its dot."""
        return _EXTENSIONS[self][0]

    @property
    def extensions(self) -> tuple[str, ...]:
        """Extensions (lower case, with the dot) that fit this kind of content."""
        return _EXTENSIONS[self]


_MIME_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
    FileKind.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.TEXT: "text/plain; charset=utf-8",
}
_LABELS = {
    FileKind.PDF: "PDF",
    FileKind.JPEG: "JPEG image",
    FileKind.PNG: "PNG image",
    FileKind.DOCX: "Word document (.docx)",
    FileKind.TEXT: "plain text",
}
_EXTENSIONS = {
    FileKind.PDF: (".pdf",),
    FileKind.JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    FileKind.PNG: (".png",),
    FileKind.DOCX: (".docx",),
    FileKind.TEXT: (".txt", ".text", ".csv", ".tsv", ".md", ".log"),
}


class Problem(enum.StrEnum):
    EMPTY = "empty"
    """No bytes, or a text file with nothing but white space."""
    NOT_ALLOWED = "not_allowed"
    """A kind of file that is not accepted (or not accepted for this slot)."""
    ENCRYPTED_PDF = "encrypted_pdf"
    """A PDF with a password or owner's restrictions: the tribunal must open, print, redact it."""
    BROKEN_PDF = "broken_pdf"
    """Starts like a PDF but does not open."""
    MACRO_DOCUMENT = "macro_document"
    """A Word file with macros (.docm)."""
    LEGACY_OFFICE = "legacy_office"
    """An old binary Office file (.doc, .xls) or a password-protected Word file."""
    TEXT_NOT_UTF8 = "text_not_utf8"
    """Text in an older encoding (Windows-1252, Latin-1): to be saved again as UTF-8."""
    TOO_MANY_PARTS = "too_many_parts"
    """A Word file of more parts than any document has: reading them all would take seconds."""
    BROKEN_DOCX = "broken_docx"
    """A Word file that is damaged: a part named twice, or a list of content types that does
    not parse. Word would read one of the two parts, the check another."""
    DOCX_PART_TOO_LARGE = "docx_part_too_large"
    """A Word file with a part that must be read to be checked but is too large, or compressed
    too tightly (a zip bomb), to read."""
    BROKEN_IMAGE = "broken_image"
    """Starts like a JPEG or PNG image but does not decode as one."""
    IMAGE_TOO_LARGE = "image_too_large"
    """An image of more pixels than `MAX_IMAGE_SIDE` or `MAX_IMAGE_PIXELS` allow."""
    IMAGE_TRAILING_DATA = "image_trailing_data"
    """An image followed by other data (a motion photo's video, or an appended program)."""
    TEXT_MARKUP = "text_markup"
    """A text file holding markup (HTML, SVG, XML): a program could show it as a page."""
    ACTIVE_PDF = "active_pdf"
    """A PDF with JavaScript or launch actions, refused where the tribunal chose so."""


@dataclass(frozen=True, slots=True)
class Inspection:
    kind: FileKind | None
    """What the content is, when recognised as one of the kinds (even if it has a problem)."""
    problem: Problem | None
    """Why the file is refused; None when it is accepted."""
    detected: str | None = None
    """For logs: what a refused file looked like ("executable", "zip", "html", ...)."""
    picture_length: int | None = None
    """For an image followed by other data (the video of a motion photo, a phone maker's
    trailer, or something hidden there): the length of the picture alone, which is all that
    is kept of the file."""
    active_content: bool = False
    """A PDF with JavaScript or actions that launch programs: the tribunal's setting says
    whether it is refused (`Problem.ACTIVE_PDF`) or stored with a warning."""

    @property
    def accepted(self) -> bool:
        return self.problem is None

    def problem_for(self, allowed: Collection[FileKind]) -> Problem | None:
        """Return the problem, `NOT_ALLOWED` for a kind the slot does not take, or None.

        A file of a kind the slot does not take is `NOT_ALLOWED` whatever else is wrong with
        it: "must be a PDF" helps more than why the image or text would be refused."""
        if self.problem is not None:
            if self.problem is Problem.TEXT_MARKUP and FileKind.TEXT not in allowed:
                return Problem.NOT_ALLOWED
            if self.kind is not None and self.kind not in allowed:
                return Problem.NOT_ALLOWED
            return self.problem
        if self.kind not in allowed:
            return Problem.NOT_ALLOWED
        return None


HEAD_SIZE = 8 * 1024
TEXT_READ_SIZE = 1024 * 1024
# A Word document holds a few dozen parts (a few hundred with many images); the archive's own
# count is read before its directory, whose every entry costs time to load.
MAX_ZIP_ENTRIES = 2000
# Parts of a Word file that are read to be checked ([Content_Types].xml, binary parts) are read
# whole, up to this size each; a larger one is refused rather than checked in part.
MAX_ZIP_PART_SIZE = 10 * 1024 * 1024
# A part read must not expand more than this from its compressed size (zip bombs) ...
MAX_ZIP_COMPRESSION_RATIO = 100
# ... past this size (small XML parts compress tightly and cost nothing to read) ...
ZIP_RATIO_FLOOR = 1024 * 1024
# ... and all the parts read add up to no more than this.
MAX_ZIP_READ_TOTAL = 64 * 1024 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_OF_DIRECTORY_SEARCH = 64 * 1024 + 22  # the record, after a comment of at most 64 KiB

# Images are decoded whole (a worker thread, about 0.6 s and 150 MB for a 48-megapixel PNG):
# a scan at 600 dpi of a letter page is 34 megapixels, a phone photo 12 to 50.
MAX_IMAGE_SIDE = 10_000
MAX_IMAGE_PIXELS = 50_000_000
# Pillow refuses (DecompressionBombError) past twice this, and warns past it.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

# Checking a PDF for JavaScript walks every object; past these it counts as having some.
MAX_PDF_OBJECTS = 200_000
PDF_CHECK_SECONDS = 10.0

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Content that is refused, recognised so that logs can say what it was.
_REFUSED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "executable"),
    (b"\x7fELF", "executable"),
    (b"\xfe\xed\xfa\xce", "executable"),
    (b"\xfe\xed\xfa\xcf", "executable"),
    (b"\xce\xfa\xed\xfe", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\xca\xfe\xba\xbe", "executable"),  # Mach-O universal binary (and Java classes)
    (b"#!", "script"),
    (b"\x00asm", "executable"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"PK\x05\x06", "zip"),  # an empty archive
    (b"\xff\xfe", "utf-16 text"),
    (b"\xfe\xff", "utf-16 text"),
    (b"{\\rtf", "rtf"),
)
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Text files are letters and notes: printable characters and tab, line feed, form feed and
# carriage return; no C0 or C1 control character.
_FORBIDDEN_TEXT_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TEXT_WHITESPACE = "\t\n\x0c\r "
# And no markup at all: a `<` that opens a tag, end tag, comment, doctype or processing
# instruction in HTML, SVG or XML (any namespace), wherever it is. An address in angle brackets
# ("Jean <jean@example.ca>", as mail programs write it) stays: it has no attribute to run.
_MARKUP = re.compile(
    r"<(?![A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,255}>)[A-Za-z/!?]",
)
# How much of the previous block is read again with the next, so markup split across blocks
# is still seen (an address in angle brackets is shorter).
_MARKUP_OVERLAP = 400


def inspect(path: Path, size: int) -> Inspection:
    """Return what the file at `path` (of `size` bytes) is and whether it is accepted.

    Blocking and CPU-bound (images are decoded, PDFs walked): call it from a worker thread.
    """
    if size == 0:
        return Inspection(None, Problem.EMPTY)
    with open(path, "rb") as stream:
        head = stream.read(HEAD_SIZE)
    if head.startswith(b"%PDF-"):
        return _inspect_pdf(path)
    if head.startswith(b"\xff\xd8\xff"):
        return _inspect_image(path, FileKind.JPEG)
    if head.startswith(PNG_SIGNATURE):
        return _inspect_image(path, FileKind.PNG)
    if head.startswith(b"PK\x03\x04"):
        return _inspect_zip(path)
    if head.startswith(_OLE_SIGNATURE):
        return Inspection(None, Problem.LEGACY_OFFICE, "ole")
    for signature, name in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            return Inspection(None, Problem.NOT_ALLOWED, name)
    return _inspect_text(path)


# -- images -------------------------------------------------------------------------------------

_PILLOW_FORMATS = {FileKind.JPEG: "JPEG", FileKind.PNG: "PNG"}
# Multi-picture JPEG: phones add a second image (a depth or HDR gain map) after the first.
_JPEG_FORMATS = {"JPEG", "MPO"}


def _inspect_image(path: Path, kind: FileKind) -> Inspection:
    """Return the kind for an image that decodes whole as that kind, within the size limits,
    with the length of its picture when other data follows it (only zero bytes may lie
    between the pictures of a multi-picture JPEG)."""
    expected = _PILLOW_FORMATS[kind]
    try:
        if kind is FileKind.PNG:
            # verify() checks every chunk's CRC, which decoding does not; the image must be
            # opened again after it.
            with Image.open(path, formats=[expected]) as image:
                image.verify()
        with Image.open(path, formats=[expected]) as image:
            width, height = image.size
            if (
                width > MAX_IMAGE_SIDE
                or height > MAX_IMAGE_SIDE
                or width * height > MAX_IMAGE_PIXELS
            ):
                return Inspection(kind, Problem.IMAGE_TOO_LARGE, f"{width}x{height}")
            if image.format not in (_JPEG_FORMATS if kind is FileKind.JPEG else {expected}):
                return Inspection(kind, Problem.BROKEN_IMAGE, image.format)
            if kind is FileKind.JPEG:
                # Decoding at an eighth of the size reads every coded byte all the same, in
                # 1/64 of the memory.
                image.draft(image.mode, (width // 8, height // 8))
            image.load()
            later_pictures: list[int] = []  # offsets from the multi-picture header
            if isinstance(image, MpoImagePlugin.MpoImageFile) and image.mpinfo is not None:
                entries: list[dict[str, Any]] = image.mpinfo[0xB002]
                later_pictures = [int(entry["DataOffset"]) for entry in entries[1:]]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return Inspection(kind, Problem.IMAGE_TOO_LARGE, "decompression bomb")
    except Exception as error:  # Pillow reports broken images with many kinds of error
        logger.info("image does not decode: %s", type(error).__name__)
        return Inspection(kind, Problem.BROKEN_IMAGE, type(error).__name__)
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = _png_end(data) if kind is FileKind.PNG else _jpeg_pictures_end(data, later_pictures)
        size = len(data)
    if end is None:
        return Inspection(kind, Problem.BROKEN_IMAGE, "no end")
    if end == _BETWEEN_PICTURES:
        return Inspection(kind, Problem.IMAGE_TRAILING_DATA, "data between pictures")
    if end < size:
        return Inspection(kind, None, "data after the picture", picture_length=end)
    return Inspection(kind, None)


_JPEG_SCAN_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_segments(data: mmap.mmap, at: int) -> Iterator[tuple[int, int, int]]:
    """Yield (marker, data start, data end) for each marker segment of the JPEG starting at
    `at`, stepping over entropy-coded data, up to its end of image (marker 0xD9, with data
    start and end both just past it). Stops early on a broken structure."""
    size = len(data)
    if data[at : at + 2] != b"\xff\xd8":
        return
    position = at + 2
    while position < size:
        if data[position] != 0xFF:
            return
        while position < size and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= size:
            return
        marker = data[position]
        position += 1
        if marker == 0xD9:
            yield marker, position, position
            return
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if position + 2 > size:
            return
        (length,) = struct.unpack_from(">H", data, position)
        if length < 2 or position + length > size:
            return
        yield marker, position + 2, position + length
        position += length
        if marker == 0xDA:  # start of scan: coded data runs to the next real marker
            found = _JPEG_SCAN_MARKER.search(data, position)
            if found is None:
                return
            position = found.start()


def _jpeg_end(data: mmap.mmap, at: int) -> int | None:
    """Return where the JPEG starting at `at` ends (just past its end of image), or None."""
    for marker, start, _end in _jpeg_segments(data, at):
        if marker == 0xD9:
            return start
    return None


# What `_jpeg_pictures_end` answers when other data lies between a JPEG's pictures.
_BETWEEN_PICTURES = -1


def _jpeg_pictures_end(data: mmap.mmap, later_pictures: list[int]) -> int | None:
    """Return where the JPEG's pictures (the first, then those at `later_pictures` from its
    multi-picture header) end, followed by nothing but zero bytes, if they follow each other
    with only zero bytes between them; `_BETWEEN_PICTURES` if other data lies between them;
    None if a picture has no end."""
    header = next(
        (
            start + 4
            for marker, start, _end in _jpeg_segments(data, 0)
            if marker == 0xE2 and data[start : start + 4] == b"MPF\x00"
        ),
        None,
    )
    if later_pictures and header is None:
        return None
    position = 0
    starts = [0] if header is None else [0] + [header + offset for offset in later_pictures]
    for start in sorted(starts):
        if start < position or not _only_padding(data, position, start):
            return _BETWEEN_PICTURES
        end = _jpeg_end(data, start)
        if end is None:
            return None
        position = end
    return _end_of_padding(data, position)


def _png_end(data: mmap.mmap) -> int | None:
    """Return where the PNG's chunks end at its IEND chunk, followed by nothing but zero
    bytes, or None if there is no IEND."""
    position = len(PNG_SIGNATURE)
    size = len(data)
    while position + 12 <= size:
        (length,) = struct.unpack_from(">I", data, position)
        chunk_type = data[position + 4 : position + 8]
        position += 12 + length
        if chunk_type == b"IEND":
            return _end_of_padding(data, position) if position <= size else None
    return None


_NOT_PADDING = re.compile(rb"[^\x00]")


def _only_padding(data: mmap.mmap, start: int, end: int) -> bool:
    return start >= end or _NOT_PADDING.search(data, start, end) is None


def _end_of_padding(data: mmap.mmap, start: int) -> int:
    """Return the end of the file if only zero bytes follow `start`, else `start`."""
    return len(data) if _only_padding(data, start, len(data)) else start


# -- PDF ----------------------------------------------------------------------------------------


def _inspect_pdf(path: Path) -> Inspection:
    try:
        # An open file, not the path: given a path, pypdf reads the whole file into memory.
        with open(path, "rb") as stream:
            reader = PdfReader(stream, strict=False)
            if reader.is_encrypted:
                # Refused even when it opens without a password: owners' restrictions can forbid
                # printing or copying, and checking an empty password needs AES for newer files.
                return Inspection(FileKind.PDF, Problem.ENCRYPTED_PDF)
            if len(reader.pages) == 0:
                return Inspection(FileKind.PDF, Problem.BROKEN_PDF, "no pages")
            active = _pdf_has_active_objects(reader)
    except Exception as error:  # pypdf raises many kinds of error on broken files
        logger.info("PDF does not open: %s", type(error).__name__)
        return Inspection(FileKind.PDF, Problem.BROKEN_PDF, type(error).__name__)
    if active or _pdf_names_active_content(path):
        return Inspection(FileKind.PDF, None, "javascript or launch", active_content=True)
    return Inspection(FileKind.PDF, None)


# Keys and action types that run code or open programs: a JavaScript action (/S /JavaScript,
# its script under /JS), the document's JavaScript name tree (/JavaScript), a launch action
# (/S /Launch, or /Launch parameters). Additional actions (/AA) and /OpenAction are flagged
# through the actions they hold.
_ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch"})
_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch"})
_MAX_PDF_NESTING = 64


def _pdf_has_active_objects(reader: PdfReader) -> bool:
    """Return True if any object of the PDF, those inside object streams included, is or holds
    a JavaScript or launch action; or if there are too many objects to check in time."""
    deadline = time.monotonic() + PDF_CHECK_SECONDS
    references = [
        IndirectObject(number, generation, reader)
        for generation, numbers in reader.xref.items()
        for number in numbers
    ] + [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    if len(references) > MAX_PDF_OBJECTS:
        logger.info("PDF of %s objects: not checked, counted as active", len(references))
        return True
    for count, reference in enumerate(references):
        if count % 256 == 0 and time.monotonic() > deadline:
            logger.info("PDF check out of time: counted as active")
            return True
        try:
            value = reader.get_object(reference)
        except Exception as error:  # pypdf raises many kinds of error on broken objects
            # Readers skip a broken object too; the scan of the bytes still sees its names.
            logger.info("PDF object does not parse: %s", type(error).__name__)
            continue
        if value is not None and _holds_active_content(value, 0):
            return True
    return False


def _holds_active_content(value: PdfObject, depth: int) -> bool:
    """Return True if a dictionary in `value` (indirect objects aside: each is checked on its
    own) has an active key or is a JavaScript or launch action."""
    if depth > _MAX_PDF_NESTING:
        return True
    if isinstance(value, DictionaryObject):
        if _ACTIVE_KEYS.intersection(value.keys()):
            return True
        action = value.get("/S")
        if isinstance(action, NameObject) and action in _ACTIVE_ACTIONS:
            return True
        children: Collection[PdfObject] = list(value.values())
    elif isinstance(value, ArrayObject):
        children = value
    else:
        return False
    return any(
        _holds_active_content(child, depth + 1)
        for child in children
        if not isinstance(child, IndirectObject)
    )


def _name_pattern(name: str) -> bytes:
    """A PDF name (case counts), any character of which may be written as #xx, in either case
    (/J#61vaScript)."""
    return b"".join(
        b"(?:"
        + re.escape(character.encode())
        + b"|#"
        + b"".join(
            f"[{digit}{digit.upper()}]".encode() if digit.isalpha() else digit.encode()
            for digit in f"{ord(character):02x}"
        )
        + b")"
        for character in name
    )


# The same names, sought in the raw bytes too: they find objects outside the cross-reference
# table that a reader repairing the file could still use. /JS is left to the object walk: three
# letters turn up by chance in compressed streams.
_ACTIVE_NAMES = re.compile(
    b"/(?:" + b"|".join(_name_pattern(name) for name in ("JavaScript", "Launch")) + b")"
    rb"(?![A-Za-z0-9#])"
)
_PDF_SCAN_BLOCK = 1024 * 1024
_PDF_SCAN_OVERLAP = 64


def _pdf_names_active_content(path: Path) -> bool:
    """Return True if the file's bytes name JavaScript or a launch action anywhere."""
    with open(path, "rb") as stream:
        previous = b""
        while block := stream.read(_PDF_SCAN_BLOCK):
            if _ACTIVE_NAMES.search(previous + block):
                return True
            previous = block[-_PDF_SCAN_OVERLAP:]
    return False


# -- Word documents (ZIP) -----------------------------------------------------------------------

# What a content type of a macro or ActiveX part says, in any case: macro-enabled documents and
# templates, VBA projects and their data, ActiveX controls.
_MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject", "vbadata", "ms-office.activex")
_MACRO_PART_NAMES = frozenset({"vbaproject.bin", "vbadata.xml"})
# VBA inside an OLE file: its storages (names in UTF-16, compared without case), and the start
# of a module's compressed source ("Attribute VB_Name = ..." after a flag byte).
_VBA_SIGNATURES = (
    b"vbaproject",
    "_vba_project".encode("utf-16-le"),
    "vba".encode("utf-16-le") + b"\x00\x00",
    b"\x00attribut",
)


class _UnreadablePartError(Exception):
    """A part that must be read is too large, or compressed too tightly, to read."""


class _BrokenPackageError(Exception):
    """A part that must be read is damaged (its content types do not parse)."""


def _zip_entry_count(path: Path) -> int | None:
    """Return the number of entries an archive's end record announces, or None if there is no
    such record (then zipfile refuses it too). A ZIP64 archive announces 0xFFFF here."""
    with path.open("rb") as file:
        file.seek(0, 2)
        size = file.tell()
        file.seek(max(0, size - _END_OF_DIRECTORY_SEARCH))
        tail = file.read()
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) < at + 12:
        return None
    count: int = struct.unpack_from("<H", tail, at + 10)[0]
    return count


def _inspect_zip(path: Path) -> Inspection:
    """Return DOCX for a Word document without macros; any other ZIP is refused."""
    entries = _zip_entry_count(path)
    if entries is not None and entries > MAX_ZIP_ENTRIES:
        return Inspection(FileKind.DOCX, Problem.TOO_MANY_PARTS)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_ZIP_ENTRIES:
                return Inspection(FileKind.DOCX, Problem.TOO_MANY_PARTS)
            by_name = {part.filename.casefold(): part for part in parts}
            if "[content_types].xml" not in by_name or "word/document.xml" not in by_name:
                return Inspection(None, Problem.NOT_ALLOWED, "zip")
            if len(by_name) != len(parts):
                # Part names are compared without case; with two parts of one name, Word and
                # this check could each read a different one.
                return Inspection(FileKind.DOCX, Problem.BROKEN_DOCX, "duplicate part")
            if _has_macros(archive, parts, by_name["[content_types].xml"]):
                return Inspection(FileKind.DOCX, Problem.MACRO_DOCUMENT)
    except _UnreadablePartError as error:
        return Inspection(FileKind.DOCX, Problem.DOCX_PART_TOO_LARGE, str(error))
    except _BrokenPackageError as error:
        return Inspection(FileKind.DOCX, Problem.BROKEN_DOCX, str(error))
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
        zlib.error,
    ):
        return Inspection(None, Problem.NOT_ALLOWED, "broken zip")
    except RuntimeError:  # an encrypted member
        return Inspection(None, Problem.NOT_ALLOWED, "encrypted zip")
    except Exception as error:  # crafted archives make zipfile raise others (struct.error)
        logger.info("ZIP does not open: %s", type(error).__name__)
        return Inspection(None, Problem.NOT_ALLOWED, "broken zip")
    return Inspection(FileKind.DOCX, None)


def _has_macros(
    archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo], content_types: zipfile.ZipInfo
) -> bool:
    """Return True if any part of the package is, or is declared as, a macro or ActiveX part."""
    budget = [MAX_ZIP_READ_TOTAL]
    declared = _declared_content_types(_read_part(archive, content_types, budget))
    if any(marker in declared.casefold() for marker in _MACRO_CONTENT_TYPES):
        return True
    for part in parts:
        name = part.filename.casefold()
        if name.rsplit("/", 1)[-1] in _MACRO_PART_NAMES:
            return True
        if part.is_dir() or part.file_size < len(_OLE_SIGNATURE):
            continue
        if not name.endswith(".bin"):
            with archive.open(part) as member:
                if member.read(len(_OLE_SIGNATURE)) != _OLE_SIGNATURE:
                    continue
        content = _read_part(archive, part, budget).lower()
        if any(signature in content for signature in _VBA_SIGNATURES):
            return True
    return False


def _read_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, budget: list[int]) -> bytes:
    """Return a part's bytes; raise `_UnreadablePartError` past the size, ratio or total limits.

    zipfile stops at the size the directory declares and checks the CRC at the end, so the
    declared size bounds what is read."""
    size = part.file_size
    if size > MAX_ZIP_PART_SIZE:
        raise _UnreadablePartError("part too large")
    if size > ZIP_RATIO_FLOOR and size > MAX_ZIP_COMPRESSION_RATIO * max(part.compress_size, 1):
        raise _UnreadablePartError("compression ratio")
    budget[0] -= size
    if budget[0] < 0:
        raise _UnreadablePartError("parts too large in all")
    with archive.open(part) as member:
        content = member.read(MAX_ZIP_PART_SIZE + 1)
    if len(content) > MAX_ZIP_PART_SIZE:
        raise _UnreadablePartError("part too large")
    return content


def _declared_content_types(document: bytes) -> str:
    """Return every content type `[Content_Types].xml` declares, one per line; raise
    `_BrokenPackageError` if it does not parse or declares a DTD (which packages may not have)."""
    found: list[str] = []

    def start(_name: str, attributes: dict[str, str]) -> None:
        for key, value in attributes.items():
            if key.rsplit(" ", 1)[-1] == "ContentType":
                found.append(value)

    def doctype(*_arguments: object) -> None:
        raise _BrokenPackageError("content types with a DTD")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(document, True)
    except expat.ExpatError as error:
        raise _BrokenPackageError("content types do not parse") from error
    return "\n".join(found)


# -- text ---------------------------------------------------------------------------------------


def _inspect_text(path: Path) -> Inspection:
    """Return TEXT for UTF-8 text of printable characters, tabs and line breaks, without
    markup."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    has_content = False
    previous = ""  # the end of the previous block, read again for markup across blocks
    with open(path, "rb") as stream:
        try:
            while True:
                block = stream.read(TEXT_READ_SIZE)
                text = decoder.decode(block, final=not block)
                if _FORBIDDEN_TEXT_CHARACTERS.search(text):
                    return Inspection(None, Problem.NOT_ALLOWED, "binary")
                if _MARKUP.search(previous + text):
                    return Inspection(None, Problem.TEXT_MARKUP, "markup")
                previous = (previous + text)[-_MARKUP_OVERLAP:]
                has_content = has_content or bool(text.strip(_TEXT_WHITESPACE))
                if not block:
                    break
        except UnicodeDecodeError:
            return _inspect_legacy_text(path)
    if not has_content:
        return Inspection(None, Problem.EMPTY)
    return Inspection(FileKind.TEXT, None)


def _inspect_legacy_text(path: Path) -> Inspection:
    """Tell text saved in Windows-1252 (or Latin-1) from other bytes that are not UTF-8."""
    with open(path, "rb") as stream:
        while block := stream.read(TEXT_READ_SIZE):
            try:
                text = block.decode("cp1252")
            except UnicodeDecodeError:
                return Inspection(None, Problem.NOT_ALLOWED, "binary")
            if _FORBIDDEN_TEXT_CHARACTERS.search(text):
                return Inspection(None, Problem.NOT_ALLOWED, "binary")
    return Inspection(None, Problem.TEXT_NOT_UTF8, "text")


# -- file names ---------------------------------------------------------------------------------

MAX_FILENAME_LENGTH = 150
DEFAULT_STEM = "document"
_MAX_EXTENSION_LENGTH = 10
_EXTENSION = re.compile(rf"\.[A-Za-z0-9]{{1,{_MAX_EXTENSION_LENGTH}}}")


def normalise_filename(raw: str, kind: FileKind | None = None) -> str:
    """Return a name that is safe to show and to offer on download, from the name a browser sent.

    Keeps only the last path part (after `/` or `\\`); NFC; drops control, format and bidi
    characters (U+202E would show "cod.exe" as "exe.doc"); collapses white space; strips dots and
    spaces at both ends (no hidden or relative names); caps the length at 150 characters,
    keeping the extension. When `kind` is given and the extension does not fit it, the kind's
    extension is appended rather than replaced, so "photo.txt" holding a JPEG becomes
    "photo.txt.jpg": the name the person chose stays recognisable and opens with the right
    program. An empty result becomes "document" with the kind's extension.
    """
    name = re.split(r"[/\\]", raw)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(_display_character(character) for character in name)
    name = " ".join(name.split())
    name = name.strip(". ")
    stem, extension = _split_extension(name)
    stem = stem.rstrip(" ")  # "report .pdf" reads as "report.pdf"
    if kind is not None and extension.lower() not in kind.extensions:
        stem, extension = name, kind.extension
    if not stem.strip(". "):
        stem = DEFAULT_STEM
    if len(stem) + len(extension) > MAX_FILENAME_LENGTH:
        stem = stem[: MAX_FILENAME_LENGTH - len(extension)].rstrip(". ")
    return stem + extension


def _display_character(character: str) -> str:
    category = unicodedata.category(character)
    if category in ("Zl", "Zp"):
        return " "
    if category in ("Cc", "Cf", "Cs", "Cn"):
        # Cc: controls; Cf: format characters, the bidi overrides and zero-width ones among
        # them; Cs: lone surrogates; Cn: unassigned code points.
        return " " if character in "\t\n\r\x0b\x0c" else ""
    return character


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and _EXTENSION.fullmatch(dot + suffix):
        return stem, dot + suffix
    return name, ""

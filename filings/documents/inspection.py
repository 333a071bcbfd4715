"""What a file is, by its content: magic bytes, PDF, ZIP and text checks, and safe file names."""

from __future__ import annotations

import codecs
import enum
import logging
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

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


@dataclass(frozen=True, slots=True)
class Inspection:
    kind: FileKind | None
    """What the content is, when recognised as one of the kinds (even if it has a problem)."""
    problem: Problem | None
    """Why the file is refused; None when it is accepted."""
    detected: str | None = None
    """For logs: what a refused file looked like ("executable", "zip", "html", ...)."""

    @property
    def accepted(self) -> bool:
        return self.problem is None

    def problem_for(self, allowed: Collection[FileKind]) -> Problem | None:
        """Return the problem, `NOT_ALLOWED` for a kind the slot does not take, or None."""
        if self.problem is not None:
            return self.problem
        if self.kind not in allowed:
            return Problem.NOT_ALLOWED
        return None


HEAD_SIZE = 8 * 1024
TEXT_READ_SIZE = 1024 * 1024
# [Content_Types].xml of a real document is a few kilobytes; reading stops here (zip bombs).
MAX_CONTENT_TYPES_SIZE = 1024 * 1024
# A Word document holds a few dozen parts (a few hundred with many images); the archive's own
# count is read before its directory, whose every entry costs time to load.
MAX_ZIP_ENTRIES = 2000
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_OF_DIRECTORY_SEARCH = 64 * 1024 + 22  # the record, after a comment of at most 64 KiB

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

# Control characters other than tab, line feed, form feed and carriage return, and C1 controls.
_FORBIDDEN_TEXT_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_TEXT_WHITESPACE = "\t\n\x0c\r "
# Starts that a browser sniffing content would take for markup (after the WHATWG MIME sniffing
# standard's HTML patterns), plus XML and SVG; a tag name must end with space, `>` or `/`.
_MARKUP_START = re.compile(
    r"<(?:!doctype|!--|\?xml|\?|(?:html|head|body|script|iframe|svg|style|title|meta|link|"
    r"object|embed|h1|div|font|table|a|b|br|p|img|math|form)(?=[\s>/]|$))",
    re.IGNORECASE,
)
_MARKUP_PREFIX_LENGTH = 16


def inspect(path: Path, size: int) -> Inspection:
    """Return what the file at `path` (of `size` bytes) is and whether it is accepted."""
    if size == 0:
        return Inspection(None, Problem.EMPTY)
    with open(path, "rb") as stream:
        head = stream.read(HEAD_SIZE)
    if head.startswith(b"%PDF-"):
        return _inspect_pdf(path)
    if head.startswith(b"\xff\xd8\xff"):
        return Inspection(FileKind.JPEG, None)
    if head.startswith(PNG_SIGNATURE):
        if head[12:16] != b"IHDR":  # the first chunk of every PNG
            return Inspection(None, Problem.NOT_ALLOWED, "broken png")
        return Inspection(FileKind.PNG, None)
    if head.startswith(b"PK\x03\x04"):
        return _inspect_zip(path)
    if head.startswith(_OLE_SIGNATURE):
        return Inspection(None, Problem.LEGACY_OFFICE, "ole")
    for signature, name in _REFUSED_SIGNATURES:
        if head.startswith(signature):
            return Inspection(None, Problem.NOT_ALLOWED, name)
    return _inspect_text(path)


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
    except Exception as error:  # pypdf raises many kinds of error on broken files
        logger.info("PDF does not open: %s", type(error).__name__)
        return Inspection(FileKind.PDF, Problem.BROKEN_PDF, type(error).__name__)
    return Inspection(FileKind.PDF, None)


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
            names = archive.namelist()
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                return Inspection(None, Problem.NOT_ALLOWED, "zip")
            if any(name.rsplit("/", 1)[-1].lower() == "vbaproject.bin" for name in names):
                return Inspection(FileKind.DOCX, Problem.MACRO_DOCUMENT)
            with archive.open("[Content_Types].xml") as member:
                content_types = member.read(MAX_CONTENT_TYPES_SIZE)
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
    if b"macroenabled" in content_types.lower():
        return Inspection(FileKind.DOCX, Problem.MACRO_DOCUMENT)
    return Inspection(FileKind.DOCX, None)


def _inspect_text(path: Path) -> Inspection:
    """Return TEXT for UTF-8 text without control characters that does not start like markup."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    prefix = ""  # the first characters after leading white space
    with open(path, "rb") as stream:
        try:
            while True:
                block = stream.read(TEXT_READ_SIZE)
                text = decoder.decode(block, final=not block)
                if _FORBIDDEN_TEXT_CHARACTERS.search(text):
                    return Inspection(None, Problem.NOT_ALLOWED, "binary")
                if len(prefix) < _MARKUP_PREFIX_LENGTH:
                    prefix += (text if prefix else text.lstrip(_TEXT_WHITESPACE))[
                        : _MARKUP_PREFIX_LENGTH - len(prefix)
                    ]
                if not block:
                    break
        except UnicodeDecodeError:
            return _inspect_legacy_text(path)
    if not prefix:
        return Inspection(None, Problem.EMPTY)
    if _MARKUP_START.match(prefix):
        return Inspection(None, Problem.NOT_ALLOWED, "markup")
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

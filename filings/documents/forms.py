"""What the upload pages tell people: the messages for refused and broken uploads."""

from __future__ import annotations

from filings.casetypes.labels import kinds_text
from filings.documents.inspection import (
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_ZIP_PART_SIZE,
    Problem,
)
from filings.documents.services import SlotRules, UploadProblem, UploadProblemKind
from tribunals.models import Tribunal
from tribune.i18n import format_number
from tribune.i18n import gettext as _
from tribune.security import CSRFError
from tribune.uploads import UploadError


def upload_problem_message(problem: UploadProblem, slot: SlotRules, tribunal: Tribunal) -> str:
    """Return what to tell the person whose files for `slot` were refused, in their language."""
    match problem.kind:
        case UploadProblemKind.NO_FILE:
            return _("Select a file")
        case UploadProblemKind.TOO_MANY_FILES:
            return _("You can upload up to %(n)s files here", n=slot.max_files)
        case UploadProblemKind.CASE_TOO_LARGE:
            return _(
                "The files of one case must add up to %(size)s MB or less",
                size=tribunal.max_case_megabytes,
            )
        case UploadProblemKind.CONTENT:
            assert problem.content is not None
            return f"{problem.filename}: {content_message(problem.content, list(slot.kinds))}"
        case UploadProblemKind.DUPLICATE:
            return _("You have already uploaded this file: %(filename)s", filename=problem.filename)
        case UploadProblemKind.VIRUS:
            return _(
                "%(filename)s contains a virus and was not accepted", filename=problem.filename
            )


def content_message(problem: Problem, kinds: list[str]) -> str:
    messages = {
        Problem.EMPTY: _("The selected file is empty"),
        Problem.NOT_ALLOWED: _("The selected file must be a %(kinds)s", kinds=kinds_text(kinds)),
        Problem.ENCRYPTED_PDF: _(
            "The PDF is protected by a password or restrictions. "
            "Print it to a new PDF, then upload that file"
        ),
        Problem.BROKEN_PDF: _("The PDF cannot be opened. Check the file and upload it again"),
        Problem.MACRO_DOCUMENT: _(
            "The Word document contains macros. Save it as a .docx document and upload it again"
        ),
        Problem.LEGACY_OFFICE: _(
            "Save the document as a .docx document without a password and upload it again"
        ),
        Problem.TEXT_NOT_UTF8: _("Save the text file with UTF-8 encoding and upload it again"),
        Problem.TOO_MANY_PARTS: _(
            "The Word document is made of too many parts. Save it again as a .docx document, "
            "or as a PDF, and upload it again"
        ),
        Problem.BROKEN_DOCX: _(
            "The Word document is damaged. Open it in Word, save it again as a .docx document "
            "and upload it again"
        ),
        Problem.DOCX_PART_TOO_LARGE: _(
            "The Word document holds an embedded file too large to check (over %(size)s MB). "
            "Save it as a PDF and upload that file",
            size=MAX_ZIP_PART_SIZE // (1024 * 1024),
        ),
        Problem.BROKEN_IMAGE: _("The image cannot be opened. Check the file and upload it again"),
        Problem.IMAGE_TOO_LARGE: _(
            "The image is too large: it can be up to %(side)s pixels wide and high, and "
            "%(megapixels)s megapixels in all. Make it smaller and upload it again",
            side=format_number(MAX_IMAGE_SIDE),
            megapixels=MAX_IMAGE_PIXELS // 1_000_000,
        ),
        Problem.IMAGE_TRAILING_DATA: _(
            "The image file holds other data between its pictures. Save the picture again as a "
            "still image, or take a screenshot of it, and upload that"
        ),
        Problem.TEXT_MARKUP: _(
            "The text file contains markup such as HTML tags (a < followed by a letter, /, ! or "
            "?). Remove it, or save the file as a PDF, and upload it again"
        ),
        Problem.ACTIVE_PDF: _(
            "The PDF contains JavaScript or actions that open other programs. Print it to a "
            "new PDF, then upload that file"
        ),
    }
    return messages[problem]


def upload_error_message(error: UploadError, tribunal: Tribunal, max_files: int) -> str:
    """Return the message for an upload that did not arrive whole (a forged one raises)."""
    if error.code == "csrf":
        raise CSRFError()
    if error.code in ("too_large", "field_too_large"):
        return _(
            "The selected file must be smaller than %(size)s MB", size=tribunal.max_file_megabytes
        )
    if error.code == "too_many_files":
        return _("You can upload up to %(n)s files here", n=max_files)
    return _("The upload did not arrive complete. Try again")

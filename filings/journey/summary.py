"""A filing's answers and documents by section, for "Check your answers" and the case pages."""

from __future__ import annotations

from typing import Any

from filings.casetypes.answers import display_answer
from filings.casetypes.services import definition_of
from filings.journey import forms
from filings.models import CaseTypeVersion, Document, Filing
from tribune.i18n import gettext as _
from tribune.i18n import localised


def answer_sections(
    filing: Filing, version: CaseTypeVersion, documents: list[Document]
) -> list[dict[str, Any]]:
    """Return the answers by section, for "Check your answers" and the case page."""
    titles = {
        "about_you": _("About you"),
        "representative": _("Your representative"),
        "accessibility": _("Accessibility and accommodation"),
    }
    sections = []
    for name, title in titles.items():
        saved = filing.answers.get(name)
        sections.append(
            {
                "step": name,
                "title": title,
                "missing": saved is None,
                "rows": forms.summary_rows(name, saved or {}),
            }
        )
    questions = filing.answers.get("questions")
    sections.append(
        {
            "step": "questions",
            "title": localised(version, "title"),
            "missing": questions is None,
            "rows": question_rows(version, questions or {}),
        }
    )
    document_rows = []
    missing_documents = False
    for slot in definition_of(version).document_slots:
        names = [d.filename for d in documents if d.slot == slot.key]
        missing_documents = missing_documents or (slot.required and not names)
        document_rows.append((slot.label.current(), "\n".join(names) or _("None")))
    sections.append(
        {
            "step": "documents",
            "title": _("Documents"),
            "missing": missing_documents or "documents" not in filing.answers,
            "rows": document_rows,
        }
    )
    return sections


# -- the case type's own questions ---------------------------------------------------------


def question_rows(version: CaseTypeVersion, answers: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (question.label.current(), display_answer(question, answers[question.key]))
        for question in definition_of(version).questions
        if question.key in answers
    ]

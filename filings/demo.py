"""Demo data: two realistic kinds of case for each demo tribunal, and a few cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from accounts.services import ensure_user
from filings.casetypes.services import create_case_type, published_versions
from filings.deadlines import add_business_days
from filings.journey.services import next_case_number
from filings.models import CaseType, CaseTypeVersion, DueFrom, Filing, FilingStatus
from filings.seeding import LaterEvent, seed_submitted_case
from tribunals.models import Tribunal
from tribunals.services import tribunal_by_slug
from tribune.db import utcnow


def _text(en: str, fr: str) -> dict[str, str]:
    return {"en": en, "fr": fr}


DECISION_SLOT = {
    "key": "decision",
    "label": _text("The decision you are appealing", "La décision que vous portez en appel"),
    "hint": _text(
        "A copy of the letter or decision, as a PDF, photo or Word document.",
        "Une copie de la lettre ou de la décision, en PDF, en photo ou en document Word.",
    ),
    "required": True,
    "max_files": 5,
    "kinds": ["pdf", "jpeg", "png", "docx"],
}
EVIDENCE_SLOT = {
    "key": "evidence",
    "label": _text("Other evidence (optional)", "Autres éléments de preuve (facultatif)"),
    "hint": _text(
        "Medical reports, letters, photos or anything else that supports your case.",
        "Rapports médicaux, lettres, photos ou tout autre document à l'appui de votre dossier.",
    ),
    "required": False,
    "max_files": 20,
    "kinds": ["pdf", "jpeg", "png", "docx", "text"],
}

# What a respondent answers when they respond to a case (filings.parties).
RESPONSE_SECTION: dict[str, Any] = {
    "questions": [
        {
            "key": "agrees",
            "type": "yes_no",
            "label": _text("Do you agree with the claim?", "Êtes-vous d'accord avec la demande?"),
            "required": True,
        },
        {
            "key": "reasons",
            "type": "long_text",
            "label": _text("Your reasons", "Vos motifs"),
            "hint": _text(
                "Explain what you agree or disagree with, and why.",
                "Expliquez ce avec quoi vous êtes d'accord ou non, et pourquoi.",
            ),
            "required": True,
            "validation": {"max_length": 10000},
        },
    ],
    "document_slots": [
        {
            "key": "response_evidence",
            "label": _text("Your evidence (optional)", "Vos éléments de preuve (facultatif)"),
            "hint": _text(
                "Letters, records, photos or anything else that supports your response.",
                "Lettres, dossiers, photos ou tout autre document à l'appui de votre réponse.",
            ),
            "required": False,
            "max_files": 20,
            "kinds": ["pdf", "jpeg", "png", "docx", "text"],
        }
    ],
}
# An employer answering a certification application must give its list of employees.
CERTIFICATION_RESPONSE_SECTION: dict[str, Any] = {
    **RESPONSE_SECTION,
    "document_slots": [
        {
            "key": "employee_list",
            "label": _text(
                "List of employees in the proposed unit",
                "Liste des salariés de l'unité proposée",
            ),
            "hint": _text(
                "Names and job titles of the employees on the date of the application.",
                "Nom et poste des salariés à la date de la demande.",
            ),
            "required": True,
            "max_files": 3,
            "kinds": ["pdf", "docx"],
        },
        *RESPONSE_SECTION["document_slots"],
    ],
}

DEMO_CASE_TYPES: dict[str, list[dict[str, Any]]] = {
    "wcat": [
        {
            "code": "benefits-appeal",
            "title_en": "Appeal a decision about compensation benefits",
            "title_fr": "Faire appel d'une décision sur les prestations d'indemnisation",
            "description_en": "For workers and employers who disagree with a final decision "
            "of the compensation board about benefits.",
            "description_fr": "Pour les travailleurs et les employeurs en désaccord avec une "
            "décision définitive de la commission sur les prestations.",
            "eligibility_en": "You can appeal if the board has made a final decision (after "
            "its internal review) about your claim, and you are the worker, the employer, or "
            "someone acting for them.",
            "eligibility_fr": "Vous pouvez faire appel si la commission a rendu une décision "
            "définitive (après sa révision interne) sur votre demande et que vous êtes le "
            "travailleur, l'employeur ou une personne qui agit pour eux.",
            "definition": {
                "questions": [
                    {
                        "key": "decision_date",
                        "type": "date",
                        "label": _text("Date of the decision", "Date de la décision"),
                        "hint": _text("For example, 27 3 2026", "Par exemple, 27 3 2026"),
                        "required": True,
                        "validation": {"not_in_future": True},
                    },
                    {
                        "key": "claim_number",
                        "type": "text",
                        "label": _text("Board claim number", "Numéro de dossier de la commission"),
                        "hint": _text(
                            "8 digits, on the decision letter",
                            "8 chiffres, sur la lettre de décision",
                        ),
                        "required": True,
                        "validation": {"pattern": "[0-9]{8}", "max_length": 8},
                    },
                    {
                        "key": "issue",
                        "type": "single_choice",
                        "label": _text(
                            "What is the decision about?", "Sur quoi porte la décision?"
                        ),
                        "required": True,
                        "choices": [
                            {
                                "value": "entitlement",
                                "label": _text("Entitlement to benefits", "Droit aux prestations"),
                            },
                            {
                                "value": "loss_of_earnings",
                                "label": _text(
                                    "Loss of earnings benefits", "Prestations pour perte de gains"
                                ),
                            },
                            {
                                "value": "health_care",
                                "label": _text("Health care costs", "Frais de soins de santé"),
                            },
                            {"value": "other", "label": _text("Something else", "Autre chose")},
                        ],
                    },
                    {
                        "key": "reasons",
                        "type": "long_text",
                        "label": _text(
                            "Why do you disagree with the decision?",
                            "Pourquoi êtes-vous en désaccord avec la décision?",
                        ),
                        "required": True,
                        "validation": {"max_length": 5000},
                    },
                ],
                "document_slots": [DECISION_SLOT, EVIDENCE_SLOT],
                "response": RESPONSE_SECTION,
                "deadline": {"days": 180, "from_question": "decision_date"},
                "fee": None,
            },
        },
        {
            "code": "extension-request",
            "title_en": "Ask for more time to appeal",
            "title_fr": "Demander un délai supplémentaire pour faire appel",
            "description_en": "If you missed the six-month deadline, explain why and ask the "
            "tribunal to accept your appeal late.",
            "description_fr": "Si vous avez manqué le délai de six mois, expliquez pourquoi et "
            "demandez au tribunal d'accepter votre appel en retard.",
            "eligibility_en": "You can ask for more time if the deadline to appeal a final "
            "decision of the board has passed.",
            "eligibility_fr": "Vous pouvez demander plus de temps si le délai pour faire appel "
            "d'une décision définitive de la commission est passé.",
            "definition": {
                "questions": [
                    {
                        "key": "decision_date",
                        "type": "date",
                        "label": _text("Date of the decision", "Date de la décision"),
                        "required": True,
                        "validation": {"not_in_future": True},
                    },
                    {
                        "key": "reasons",
                        "type": "long_text",
                        "label": _text(
                            "Why did you miss the deadline?", "Pourquoi avez-vous manqué le délai?"
                        ),
                        "required": True,
                        "validation": {"max_length": 5000},
                    },
                ],
                "document_slots": [DECISION_SLOT],
                "response": RESPONSE_SECTION,
                "deadline": None,
                "fee": None,
            },
        },
    ],
    "lrb": [
        {
            "code": "unfair-practice",
            "title_en": "Complain of an unfair labour practice",
            "title_fr": "Déposer une plainte de pratique déloyale de travail",
            "description_en": "For employees, unions and employers who believe the labour "
            "relations law was broken.",
            "description_fr": "Pour les salariés, les syndicats et les employeurs qui croient "
            "que la loi sur les relations de travail n'a pas été respectée.",
            "eligibility_en": "You can complain within 90 days of the events, if they happened "
            "in a workplace under provincial labour law.",
            "eligibility_fr": "Vous pouvez porter plainte dans les 90 jours suivant les faits, "
            "s'ils ont eu lieu dans un milieu de travail régi par la loi provinciale.",
            "definition": {
                "questions": [
                    {
                        "key": "events_date",
                        "type": "date",
                        "label": _text("When did it happen?", "Quand les faits ont-ils eu lieu?"),
                        "required": True,
                        "validation": {"not_in_future": True},
                    },
                    {
                        "key": "employer",
                        "type": "text",
                        "label": _text("Name of the employer", "Nom de l'employeur"),
                        "required": True,
                        "validation": {"max_length": 200},
                    },
                    {
                        "key": "unionised",
                        "type": "yes_no",
                        "label": _text(
                            "Is the workplace unionised?", "Le milieu de travail est-il syndiqué?"
                        ),
                        "required": True,
                    },
                    {
                        "key": "facts",
                        "type": "long_text",
                        "label": _text("What happened?", "Que s'est-il passé?"),
                        "required": True,
                        "validation": {"max_length": 10000},
                    },
                ],
                "document_slots": [
                    {**EVIDENCE_SLOT, "key": "evidence"},
                ],
                "response": RESPONSE_SECTION,
                "deadline": {"days": 90, "from_question": "events_date"},
                "fee": {"applies": True},
            },
        },
        {
            "code": "certification",
            "title_en": "Apply for union certification",
            "title_fr": "Demander l'accréditation syndicale",
            "description_en": "For unions applying to represent a group of employees.",
            "description_fr": "Pour les syndicats qui demandent à représenter un groupe de "
            "salariés.",
            "eligibility_en": "A union can apply when it has membership evidence from at least "
            "40 per cent of the employees in the proposed bargaining unit.",
            "eligibility_fr": "Un syndicat peut présenter une demande lorsqu'il a des preuves "
            "d'adhésion d'au moins 40 pour cent des salariés de l'unité de négociation proposée.",
            "definition": {
                "questions": [
                    {
                        "key": "employer",
                        "type": "text",
                        "label": _text("Name of the employer", "Nom de l'employeur"),
                        "required": True,
                        "validation": {"max_length": 200},
                    },
                    {
                        "key": "employees",
                        "type": "number",
                        "label": _text(
                            "How many employees are in the proposed unit?",
                            "Combien de salariés compte l'unité proposée?",
                        ),
                        "required": True,
                        "validation": {"min": 1, "max": 100000},
                    },
                    {
                        "key": "workplace_address",
                        "type": "address",
                        "label": _text("Address of the workplace", "Adresse du lieu de travail"),
                        "required": True,
                    },
                ],
                "document_slots": [
                    {
                        "key": "membership",
                        "label": _text("Membership evidence", "Preuves d'adhésion"),
                        "required": True,
                        "max_files": 10,
                        "kinds": ["pdf"],
                    }
                ],
                "response": CERTIFICATION_RESPONSE_SECTION,
                "deadline": None,
                "fee": {"applies": True},
            },
        },
    ],
}


async def load_demo_case_types(db: AsyncSession) -> int:
    """Create and publish the demo case types once; return how many were created."""
    created = 0
    for slug, case_types in DEMO_CASE_TYPES.items():
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        for spec in case_types:
            exists = await db.execute(
                select(CaseType.id).where(
                    CaseType.tribunal_id == tribunal.id, CaseType.code == spec["code"]
                )
            )
            if exists.first() is not None:
                continue
            await create_case_type(db, tribunal, **spec, publish=True)
            created += 1
    return created


# Demo claimants, with accounts (password: the demo password) so each view can be tried.
DEMO_CLAIMANTS = [
    ("claimant@example.org", "Sam Claimant", "en"),
    ("marie.tremblay@example.org", "Marie Tremblay", "fr"),
    ("david.chen@example.org", "David Chen", "en"),
    ("amina.diallo@example.org", "Amina Diallo", "fr"),
    ("john.macdonald@example.org", "John MacDonald", "en"),
]
# (claimant index, status, representative or None, days ago received, sign language asked).
# The accepted cases are ready to schedule, one of them with an ASL interpreter to book; the
# scheduled ones get their hearings from hearings.demo (held yesterday, weeks ahead, and a
# video hearing whose room is open when the demo data is loaded).
DEMO_CASES: list[tuple[int, FilingStatus, str | None, int, str]] = [
    (0, FilingStatus.SUBMITTED, None, 1, "none"),
    (1, FilingStatus.SUBMITTED, "Isabelle Gagnon", 2, "none"),
    (2, FilingStatus.RETURNED, None, 9, "none"),
    (3, FilingStatus.ACCEPTED, "Paul Okafor", 20, "asl"),
    (4, FilingStatus.ACCEPTED, None, 26, "none"),
    (0, FilingStatus.SCHEDULED, None, 45, "none"),
    (1, FilingStatus.SCHEDULED, None, 38, "none"),
    (0, FilingStatus.SCHEDULED, None, 30, "none"),
    (2, FilingStatus.WITHDRAWN, None, 60, "none"),
]


async def load_demo_cases(db: AsyncSession, password: str) -> int:
    """Give each demo tribunal a few cases in different states, once; return how many."""
    created = 0
    claimants = [
        await ensure_user(db, email=email, name=name, password=password, language=language)
        for email, name, language in DEMO_CLAIMANTS
    ]
    for slug in DEMO_CASE_TYPES:
        tribunal = await tribunal_by_slug(db, slug)
        if tribunal is None:
            continue
        has_cases = await db.execute(select(Filing.id).where(Filing.tribunal_id == tribunal.id))
        if has_cases.first() is not None:
            continue
        version = (await published_versions(db, tribunal.id))[0]
        for index, status, representative, days_ago, sign_language in DEMO_CASES:
            await _demo_case(
                db,
                tribunal,
                version,
                claimants[index],
                status,
                representative,
                utcnow() - timedelta(days=days_ago),
                await next_case_number(db, tribunal.id, utcnow().year),
                sign_language=sign_language,
            )
            created += 1
    return created


def demo_answers(claimant: User, *, sign_language: str = "none") -> dict[str, Any]:
    """Return the answers of a demo claimant's filing without a representative: their
    contact details in Toronto, no interpreter, the declaration made."""
    return {
        "eligibility": {"eligible": True},
        "about_you": {
            "full_name": claimant.name,
            "email": claimant.email,
            "phone": "416 555 0199",
            "address_line1": "100 Queen Street West",
            "address_line2": "",
            "city": "Toronto",
            "province": "ON",
            "postal_code": "M5H 2N2",
            "case_language": claimant.language,
            "hearing_language": claimant.language,
            "contact_method": "email",
        },
        "representative": {"has_representative": False},
        "accessibility": {
            "needs_interpreter": False,
            "interpreter_language": "",
            "sign_language": sign_language,
            "other_needs": "",
        },
        "questions": {},
        "declaration": {"declared": True},
    }


async def _demo_case(
    db: AsyncSession,
    tribunal: Tribunal,
    version: CaseTypeVersion,
    claimant: User,
    status: FilingStatus,
    representative: str | None,
    received: datetime,
    number: int,
    *,
    sign_language: str = "none",
) -> Filing:
    answers = demo_answers(claimant, sign_language=sign_language)
    if representative:
        answers["representative"] = {
            "has_representative": True,
            "representative_name": representative,
            "representative_firm": "Community Legal Clinic",
            "representative_licence": "P" + str(number).zfill(5),
            "representative_email": representative.lower().replace(" ", ".") + "@example.org",
            "representative_phone": "",
            "representative_consent": True,
        }
    later = received + timedelta(days=2)
    due: tuple[date, DueFrom, str] | None = None
    later_events: list[LaterEvent] = []
    if status is FilingStatus.RETURNED:
        due_on = add_business_days(
            later.date(), tribunal.completion_business_days, tribunal.province
        )
        due = (due_on, DueFrom.CLAIMANT, "completion")
        later_events.append(
            LaterEvent(
                "returned",
                later,
                details={
                    "from": "submitted",
                    "to": "returned",
                    "role": "clerk",
                    "reason": "The copy of the decision is missing its second page. "
                    "Please add the whole decision.",
                },
            )
        )
    if status in (FilingStatus.ACCEPTED, FilingStatus.SCHEDULED):
        later_events.append(LaterEvent("accepted", later, details={"role": "clerk"}))
    if status is FilingStatus.SCHEDULED:
        later_events.append(LaterEvent("scheduled", later + timedelta(days=5)))
    if status is FilingStatus.WITHDRAWN:
        later_events.append(
            LaterEvent("withdrawn", later, actor_id=claimant.id, details={"to": "withdrawn"})
        )
    return await seed_submitted_case(
        db,
        tribunal,
        version,
        claimant,
        answers=answers,
        received=received,
        language=claimant.language,
        number=number,
        status=status,
        due=due,
        later_events=later_events,
    )

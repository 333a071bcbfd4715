"""Case types and their versions: drafts, edits, publishing, the published versions."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import User
from filings.casetypes.definitions import CaseTypeDefinition, DefinitionError
from filings.casetypes.parsing import parse_definition
from filings.models import CaseType, CaseTypeVersion, VersionStatus
from tribunals.models import Tribunal
from tribune import audit
from tribune.audit import AuditAction
from tribune.db import utcnow


async def published_versions(db: AsyncSession, tribunal_id: uuid.UUID) -> list[CaseTypeVersion]:
    """Return the published version of each of a tribunal's case types, by title."""
    rows = await db.execute(
        select(CaseTypeVersion)
        .where(
            CaseTypeVersion.tribunal_id == tribunal_id,
            CaseTypeVersion.status == VersionStatus.PUBLISHED,
        )
        .order_by(CaseTypeVersion.title_en)
    )
    return list(rows.scalars())


async def published_version(
    db: AsyncSession, tribunal_id: uuid.UUID, version_id: uuid.UUID
) -> CaseTypeVersion | None:
    """Return a published version of one of the tribunal's case types, or None."""
    version = await db.get(CaseTypeVersion, version_id)
    if version is None or version.tribunal_id != tribunal_id:
        return None
    return version if version.status is VersionStatus.PUBLISHED else None


async def create_case_type(
    db: AsyncSession,
    tribunal: Tribunal,
    *,
    code: str,
    title_en: str,
    title_fr: str,
    description_en: str = "",
    description_fr: str = "",
    eligibility_en: str = "",
    eligibility_fr: str = "",
    definition: dict[str, Any],
    publish: bool = False,
) -> CaseTypeVersion:
    """Create a case type with its first version (a draft unless ``publish``)."""
    case_type = CaseType(tribunal_id=tribunal.id, code=code)
    db.add(case_type)
    await db.flush()
    version = CaseTypeVersion(
        tribunal_id=tribunal.id,
        case_type_id=case_type.id,
        number=1,
        title_en=title_en,
        title_fr=title_fr,
        description_en=description_en,
        description_fr=description_fr,
        eligibility_en=eligibility_en,
        eligibility_fr=eligibility_fr,
        definition=definition,
    )
    db.add(version)
    await db.flush()
    if publish:
        await publish_version(db, version)
    return version


async def publish_version(db: AsyncSession, version: CaseTypeVersion) -> None:
    """Publish a version; the one it replaces is retired but kept for its filings."""
    await db.execute(
        update(CaseTypeVersion)
        .where(
            CaseTypeVersion.case_type_id == version.case_type_id,
            CaseTypeVersion.status == VersionStatus.PUBLISHED,
            CaseTypeVersion.id != version.id,
        )
        .values(status=VersionStatus.RETIRED)
        .execution_options(synchronize_session=False)
    )
    version.status = VersionStatus.PUBLISHED
    version.published_at = utcnow()


# -- case types, as a tribunal administrator edits them ----------------------------------------

# A new case type starts with nothing to ask; publishing needs at least one question or slot.
EMPTY_DEFINITION: dict[str, Any] = {
    "questions": [],
    "document_slots": [],
    "deadline": None,
    "fee": None,
}


class VersionNotEditableError(Exception):
    """Only a draft version can change: a published or retired one is what filings rely on."""


class DraftExistsError(Exception):
    """A case type has one draft at a time; ``draft`` is the one it has."""

    def __init__(self, draft: CaseTypeVersion | None) -> None:
        super().__init__("the case type already has a draft")
        self.draft = draft


class NothingToPublishError(Exception):
    """A draft with no question and no document slot would give claimants nothing to file."""


@dataclass
class CaseTypeSummary:
    case_type: CaseType
    # Every version, the newest first.
    versions: list[CaseTypeVersion]

    @property
    def latest(self) -> CaseTypeVersion:
        return self.versions[0]

    @property
    def draft(self) -> CaseTypeVersion | None:
        return next((v for v in self.versions if v.status is VersionStatus.DRAFT), None)


async def case_types_of(db: AsyncSession, tribunal_id: uuid.UUID) -> list[CaseTypeSummary]:
    """Return a tribunal's case types with all their versions, by code (one query)."""
    rows = await db.execute(
        select(CaseType, CaseTypeVersion)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == CaseType.id)
        .where(CaseType.tribunal_id == tribunal_id)
        .order_by(CaseType.code, CaseTypeVersion.number.desc())
    )
    summaries: dict[uuid.UUID, CaseTypeSummary] = {}
    for case_type, version in rows:
        summaries.setdefault(case_type.id, CaseTypeSummary(case_type, [])).versions.append(version)
    return list(summaries.values())


async def case_type_code_taken(db: AsyncSession, tribunal_id: uuid.UUID, code: str) -> bool:
    """Return whether the tribunal already has a case type with this code."""
    found = await db.execute(
        select(CaseType.id).where(CaseType.tribunal_id == tribunal_id, CaseType.code == code)
    )
    return found.first() is not None


class CodeTakenError(Exception):
    """The tribunal already has a case type with this code."""


async def create_draft_case_type(
    db: AsyncSession, tribunal: Tribunal, code: str, texts: dict[str, str], *, actor: User
) -> CaseTypeVersion:
    """Create a case type whose version 1 is a draft asking nothing yet; return that draft.

    Raises CodeTakenError if the code is taken (also by a request at the same moment).
    """
    if await case_type_code_taken(db, tribunal.id, code):
        raise CodeTakenError
    try:
        async with db.begin_nested():
            version = await create_case_type(
                db,
                tribunal,
                code=code,
                title_en=texts["title_en"],
                title_fr=texts["title_fr"],
                description_en=texts.get("description_en", ""),
                description_fr=texts.get("description_fr", ""),
                eligibility_en=texts.get("eligibility_en", ""),
                eligibility_fr=texts.get("eligibility_fr", ""),
                definition=copy_json(EMPTY_DEFINITION),
            )
    except IntegrityError:
        raise CodeTakenError from None
    audit.record(
        db,
        AuditAction.CASE_TYPE_CREATED,
        actor_id=actor.id,
        tribunal_id=tribunal.id,
        subject_type="case_type_version",
        subject_id=version.id,
    )
    return version


async def version_in(
    db: AsyncSession, tribunal_id: uuid.UUID, version_id: uuid.UUID, *, for_update: bool = False
) -> tuple[CaseType, CaseTypeVersion] | None:
    """Return one of the tribunal's case type versions with its case type, or None.

    Another tribunal's version is None (its page is a 404). ``for_update`` locks the
    version's row until the transaction ends (on PostgreSQL), so two administrators
    editing one draft at once take turns instead of overwriting each other's change.
    """
    query = (
        select(CaseType, CaseTypeVersion)
        .join(CaseTypeVersion, CaseTypeVersion.case_type_id == CaseType.id)
        .where(CaseTypeVersion.id == version_id, CaseTypeVersion.tribunal_id == tribunal_id)
    )
    if for_update:
        query = query.with_for_update(of=CaseTypeVersion)
    row = (await db.execute(query)).one_or_none()
    return (row[0], row[1]) if row else None


async def versions_of(db: AsyncSession, case_type: CaseType) -> list[CaseTypeVersion]:
    """Return a case type's versions, the newest first."""
    rows = await db.execute(
        select(CaseTypeVersion)
        .where(CaseTypeVersion.case_type_id == case_type.id)
        .order_by(CaseTypeVersion.number.desc())
    )
    return list(rows.scalars())


def update_draft_texts(version: CaseTypeVersion, texts: dict[str, str]) -> None:
    """Change a draft's title, description and eligibility guidance (``title_en``, ...)."""
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    for name in (
        "title_en",
        "title_fr",
        "description_en",
        "description_fr",
        "eligibility_en",
        "eligibility_fr",
    ):
        if name in texts:
            setattr(version, name, texts[name])


def update_draft_definition(version: CaseTypeVersion, definition: dict[str, Any]) -> None:
    """Replace a draft's definition, after checking it in full.

    Raises DefinitionError listing every problem (and changes nothing), or
    VersionNotEditableError if the version is not a draft.
    """
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    # Stored as parsed, so it reads back the same wherever it is used.
    version.definition = checked_definition(definition)


# The parts of a definition an administrator edits: what a claimant files, and the
# respondents' "response" section (read by filings.parties), each with its questions and
# document slots.
FILING = "filing"
RESPONSE = "response"


def checked_definition(definition: dict[str, Any]) -> dict[str, Any]:
    """Return a definition as parsed in full, its response section included.

    Raises DefinitionError listing every problem of both parts; those of the response
    section say so.
    """
    problems: list[str] = []
    checked: dict[str, Any] = {}
    try:
        checked = parse_definition(definition).to_json()
    except DefinitionError as error:
        problems += error.problems
    section = definition.get("response")
    if section is not None:
        try:
            response = parse_response(section)
            checked["response"] = {
                **copy_json(section),
                "questions": [question.to_json() for question in response.questions],
                "document_slots": [slot.to_json() for slot in response.document_slots],
            }
        except DefinitionError as error:
            problems += error.problems
    if problems:
        raise DefinitionError(problems)
    return checked


def parse_response(section: object, *, stored: bool = False) -> CaseTypeDefinition:
    """Return a response section's questions and slots, read as
    ``response_definition_of`` reads them.

    Raises DefinitionError whose problems each say they are the response's.
    """
    if not isinstance(section, dict):
        raise DefinitionError(['In the response: the "response" section must be an object'])
    try:
        return parse_definition(
            {
                "questions": section.get("questions") or [],
                "document_slots": section.get("document_slots") or [],
            },
            stored=stored,
        )
    except DefinitionError as error:
        raise DefinitionError([f"In the response: {p}" for p in error.problems]) from None


async def new_draft_from(
    db: AsyncSession, version: CaseTypeVersion, *, actor: User
) -> CaseTypeVersion:
    """Copy a published (or retired) version into the case type's next version, a draft.

    Raises DraftExistsError if the case type has a draft already (also when another
    request made one at the same moment), VersionNotEditableError if ``version`` is
    itself the draft.
    """
    if version.status is VersionStatus.DRAFT:
        raise VersionNotEditableError
    versions = list(
        (
            await db.execute(
                select(CaseTypeVersion)
                .where(CaseTypeVersion.case_type_id == version.case_type_id)
                .order_by(CaseTypeVersion.number.desc())
            )
        ).scalars()
    )
    draft = next((v for v in versions if v.status is VersionStatus.DRAFT), None)
    if draft is not None:
        raise DraftExistsError(draft)
    copy = CaseTypeVersion(
        tribunal_id=version.tribunal_id,
        case_type_id=version.case_type_id,
        number=versions[0].number + 1,
        status=VersionStatus.DRAFT,
        title_en=version.title_en,
        title_fr=version.title_fr,
        description_en=version.description_en,
        description_fr=version.description_fr,
        eligibility_en=version.eligibility_en,
        eligibility_fr=version.eligibility_fr,
        definition=copy_json(version.definition or EMPTY_DEFINITION),
    )
    try:
        # Two requests at once both pick number N+1; the unique (case type, number)
        # lets one in and turns the other away, with its savepoint rolled back.
        async with db.begin_nested():
            db.add(copy)
    except IntegrityError:
        raise DraftExistsError(None) from None
    audit.record(
        db,
        AuditAction.CASE_TYPE_DRAFT_STARTED,
        actor_id=actor.id,
        tribunal_id=version.tribunal_id,
        subject_type="case_type_version",
        subject_id=copy.id,
        copied_from=str(version.id),
    )
    return copy


def publishing_problems(version: CaseTypeVersion) -> list[str]:
    """Return why a draft cannot be published (its definition's problems), or [].

    Raises NothingToPublishError if it parses but has no question and no document slot.
    """
    try:
        definition = parse_definition(checked_definition(version.definition or EMPTY_DEFINITION))
    except DefinitionError as error:
        return error.problems
    if not definition.questions and not definition.document_slots:
        raise NothingToPublishError
    return []


async def publish_draft(db: AsyncSession, version: CaseTypeVersion, *, actor: User) -> None:
    """Publish a draft; the version it replaces is retired, and keeps its filings.

    Raises VersionNotEditableError if it is not a draft, DefinitionError if its
    definition cannot be used, NothingToPublishError if it asks nothing.
    """
    if version.status is not VersionStatus.DRAFT:
        raise VersionNotEditableError
    problems = publishing_problems(version)
    if problems:
        raise DefinitionError(problems)
    await publish_version(db, version)
    audit.record(
        db,
        AuditAction.CASE_TYPE_PUBLISHED,
        actor_id=actor.id,
        tribunal_id=version.tribunal_id,
        subject_type="case_type_version",
        subject_id=version.id,
        number=version.number,
    )


def copy_json(data: dict[str, Any]) -> dict[str, Any]:
    """Return a deep copy of a JSON definition, so editing it leaves the stored one alone."""
    copied: dict[str, Any] = json.loads(json.dumps(data))
    return copied


def _lists_of(definition: dict[str, Any], part: str) -> dict[str, Any]:
    """Return the object holding a part's lists: the definition itself for the filing, its
    "response" section (made if missing, in a definition being changed) for the response."""
    if part == FILING:
        return definition
    section = definition.get("response")
    if not isinstance(section, dict):
        section = definition["response"] = {}
    return section


def with_item(
    definition: dict[str, Any],
    list_name: str,
    item: dict[str, Any],
    *,
    replacing: str | None,
    part: str = FILING,
) -> dict[str, Any]:
    """Return the definition with a question or slot added at the end of the part's list,
    or put in place of the one keyed ``replacing``. A filing question's new key is followed
    by the deadline rule."""
    changed = copy_json(definition)
    items: list[dict[str, Any]] = _lists_of(changed, part).setdefault(list_name, [])
    position = _position(items, replacing) if replacing is not None else None
    if position is None:
        items.append(item)
    else:
        items[position] = item
    deadline = changed.get("deadline")
    if (
        part == FILING
        and list_name == "questions"
        and replacing is not None
        and isinstance(deadline, dict)
        and deadline.get("from_question") == replacing
    ):
        deadline["from_question"] = item.get("key")
    return changed


def without_item(
    definition: dict[str, Any], list_name: str, key: str, *, part: str = FILING
) -> dict[str, Any]:
    """Return the definition without the part's question or slot with this key."""
    changed = copy_json(definition)
    lists = _lists_of(changed, part)
    lists[list_name] = [item for item in lists.get(list_name) or [] if item.get("key") != key]
    return changed


def with_item_moved(
    definition: dict[str, Any], list_name: str, key: str, offset: int, *, part: str = FILING
) -> dict[str, Any]:
    """Return the definition with a question or slot moved ``offset`` places (-1 is up)."""
    changed = copy_json(definition)
    items: list[dict[str, Any]] = _lists_of(changed, part).get(list_name) or []
    position = _position(items, key)
    if position is not None:
        target = min(max(position + offset, 0), len(items) - 1)
        items.insert(target, items.pop(position))
    return changed


def item_of(
    definition: dict[str, Any], list_name: str, key: str, *, part: str = FILING
) -> dict[str, Any] | None:
    """Return the part's question or slot with this key, or None if there is none."""
    lists = definition if part == FILING else definition.get("response")
    items = lists.get(list_name) if isinstance(lists, dict) else None
    if not isinstance(items, list):
        return None
    position = _position(items, key)
    return items[position] if position is not None else None


def with_deadline(
    definition: dict[str, Any], days: int | None, from_question: str | None
) -> dict[str, Any]:
    """Return the definition with a filing deadline (or none, when ``days`` is None)."""
    changed = copy_json(definition)
    changed["deadline"] = None if days is None else {"days": days, "from_question": from_question}
    return changed


def with_fee(definition: dict[str, Any], applies: bool) -> dict[str, Any]:
    changed = copy_json(definition)
    changed["fee"] = {"applies": applies}
    return changed


def _position(items: list[dict[str, Any]], key: str) -> int | None:
    return next((n for n, item in enumerate(items) if item.get("key") == key), None)


# Only drafts change: a published or retired version's definition is read once per process.
_READ_CACHE_SIZE = 1024
_read_definitions: OrderedDict[uuid.UUID, tuple[CaseTypeDefinition, CaseTypeDefinition]] = (
    OrderedDict()
)


def _read(version: CaseTypeVersion) -> tuple[CaseTypeDefinition, CaseTypeDefinition]:
    cached = _read_definitions.get(version.id)
    if cached is not None:
        _read_definitions.move_to_end(version.id)
        return cached
    definition = parse_definition(version.definition or {}, stored=True)
    try:
        response = parse_response((version.definition or {}).get("response") or {}, stored=True)
    except DefinitionError:
        response = CaseTypeDefinition()
    if version.status is not VersionStatus.DRAFT:
        _read_definitions[version.id] = (definition, response)
        if len(_read_definitions) > _READ_CACHE_SIZE:
            _read_definitions.popitem(last=False)
    return definition, response


def definition_of(version: CaseTypeVersion) -> CaseTypeDefinition:
    """Return what a version asks of a filer: its questions, document slots and rules."""
    return _read(version)[0]


def response_definition_of(version: CaseTypeVersion) -> CaseTypeDefinition:
    """Return the version's response questions and slots (none if it has no such section)."""
    return _read(version)[1]

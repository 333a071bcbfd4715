"""The outcome and decision forms: what was typed, checked into typed values, with messages
in the user's language; and the names of outcomes, adjournment reasons and kinds of document."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from filings.models import CaseParty
from hearings.models import AdjournmentReason, DecisionKind, OutcomeResult
from hearings.outcomes.services import (
    CORRECTION_REASON_MAX_LENGTH,
    NEXT_STEPS_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    OutcomeValues,
)
from tribune.forms import Form
from tribune.i18n import gettext as _
from tribune.uploads import ReceivedForm

# The choices of the outcome form's first question.
HELD = "held"
ADJOURNED = "adjourned"
ABSENT = "absent"


def outcome_names() -> dict[str, str]:
    return {
        HELD: _("The hearing was held"),
        ADJOURNED: _("The hearing was adjourned"),
        ABSENT: _("A party did not attend"),
    }


def adjournment_reason_names() -> dict[str, str]:
    return {
        AdjournmentReason.NO_INTERPRETER.value: _("No interpreter"),
        AdjournmentReason.PARTY_UNAVAILABLE.value: _("A party was unavailable"),
        AdjournmentReason.EVIDENCE_OUTSTANDING.value: _("Evidence is outstanding"),
        AdjournmentReason.ADJUDICATOR_UNAVAILABLE.value: _("The adjudicator was unavailable"),
        AdjournmentReason.OTHER.value: _("Another reason"),
    }


def result_names() -> dict[str, str]:
    return {OutcomeResult.HELD.value: _("Held"), OutcomeResult.ADJOURNED.value: _("Adjourned")}


def kind_names() -> dict[str, str]:
    return {
        DecisionKind.DECISION.value: _("Decision"),
        DecisionKind.INTERIM_ORDER.value: _("Interim order"),
    }


def outcome_form(
    data: Mapping[str, Any], absent_choices: Sequence[CaseParty]
) -> tuple[Form, OutcomeValues | None]:
    """Return the form with its errors, and the outcome it records when it has none."""
    form = Form(data)
    outcome = form.choice(
        "outcome", outcome_names(), required=_("Select what happened at the hearing")
    )
    party_id: uuid.UUID | None = None
    went_ahead = True
    if outcome == ABSENT:
        chosen = form.choice(
            "absent_party",
            [str(party.id) for party in absent_choices],
            required=_("Select the party who did not attend"),
        )
        party_id = uuid.UUID(chosen) if "absent_party" not in form.errors else None
        went_ahead = (
            form.choice(
                "went_ahead",
                ("yes", "no"),
                required=_("Select whether the hearing went ahead without them"),
            )
            == "yes"
        )
    adjourned = outcome == ADJOURNED or (outcome == ABSENT and not went_ahead)
    reason: AdjournmentReason | None = None
    next_steps = form.text(
        "next_steps",
        required=_("Enter the next steps") if adjourned else None,
        max_length=NEXT_STEPS_MAX_LENGTH,
        multiline=True,
    )
    if adjourned:
        code = form.choice(
            "adjournment_reason",
            adjournment_reason_names(),
            required=_("Select why the hearing was adjourned"),
        )
        reason = AdjournmentReason(code) if "adjournment_reason" not in form.errors else None
    try:
        sequence = int(form.value("sequence"))
    except ValueError:
        sequence = -1  # a form that did not come from the page: refused as stale
    if not form.is_valid or not outcome:
        return form, None
    return form, OutcomeValues(
        result=OutcomeResult.ADJOURNED if adjourned else OutcomeResult.HELD,
        absent_party_id=party_id,
        adjournment_reason=reason,
        next_steps=next_steps if adjourned else "",
        sequence=sequence,
    )


def received_form(received: ReceivedForm | None) -> Form:
    """Return the text fields of a multipart form as a Form (empty if none arrived)."""
    if received is None:
        return Form()
    pairs = [(name, value) for name, values in received.fields.items() for value in values]
    return Form(ImmutableMultiDict(pairs))


def decision_form(
    form: Form, kinds: Sequence[DecisionKind], *, correction: bool
) -> tuple[DecisionKind | None, str, str]:
    """Check the decision form's text fields; return the kind (None when not chosen), the
    summary and, for a correction, its reason."""
    kind: DecisionKind | None = None
    if not correction:
        if len(kinds) == 1:
            kind = kinds[0]
        else:
            chosen = form.choice(
                "kind",
                [k.value for k in kinds],
                required=_("Select whether this is a decision or an interim order"),
            )
            kind = DecisionKind(chosen) if "kind" not in form.errors else None
    reason = ""
    if correction:
        reason = form.text(
            "correction_reason",
            required=_("Enter the reason for the correction"),
            max_length=CORRECTION_REASON_MAX_LENGTH,
            multiline=True,
        )
    summary = form.text(
        "summary",
        required=_("Enter a short summary"),
        max_length=SUMMARY_MAX_LENGTH,
        multiline=True,
    )
    return kind, summary, reason

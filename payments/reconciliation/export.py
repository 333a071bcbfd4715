"""The words of a reconciliation (shared by its pages and its CSV), and the CSV of a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from payments.models import PaymentMethod
from payments.providers import TransactionKind
from payments.reconciliation.services import (
    REGISTRY,
    Difference,
    LedgerEntry,
    Line,
    Reconciliation,
)
from tribune import i18n
from tribune.csvcells import csv_line
from tribune.i18n import gettext as _


def kind_label(kind: TransactionKind) -> str:
    return _("Payment") if kind is TransactionKind.PAYMENT else _("Refund")


def method_label(method: PaymentMethod) -> str:
    return {
        PaymentMethod.CARD: _("Card, on the payment page"),
        PaymentMethod.COUNTER: _("At the counter"),
        PaymentMethod.CHEQUE: _("Cheque"),
    }[method]


def source_label(source: str) -> str:
    return _("The registry") if source == REGISTRY else source


def status_label(status: str) -> str:
    labels = {
        "succeeded": _("Succeeded"),
        "partly_refunded": _("Succeeded, partly refunded since"),
        "refunded": _("Succeeded, refunded since"),
        "recorded": _("Recorded by the payment service"),
    }
    return labels.get(status, status)


def difference_label(difference: Difference | None) -> str:
    if difference is None:
        return _("Matches")
    return {
        Difference.PROVIDER_ONLY: _("With the provider, not on the platform"),
        Difference.PLATFORM_ONLY: _("On the platform, not with the provider"),
        Difference.AMOUNT: _("Amounts differ"),
    }[difference]


LABELS = {
    "kind_label": kind_label,
    "method_label": method_label,
    "source_label": source_label,
    "status_label": status_label,
    "difference_label": difference_label,
}


def _amount(cents: int | None) -> str:
    """An amount as a spreadsheet reads it: 1234.50."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _moment(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def csv_header() -> list[str]:
    return [
        _("Result"),
        _("Kind"),
        _("Method"),
        _("Provider"),
        _("Status on the platform"),
        _("Case"),
        _("Provider's reference"),
        _("Amount on the platform"),
        _("Amount with the provider"),
        _("Currency"),
        _("When"),
        _("Day from"),
        _("Day to"),
    ]


def _line_cells(line: Line, found: Reconciliation) -> list[str]:
    window = found.window
    entry, theirs = line.platform, line.provider
    return [
        difference_label(line.difference),
        kind_label(line.kind),
        method_label(PaymentMethod.CARD),
        source_label(entry.provider if entry else found.provider),
        status_label(entry.state) if entry else "",
        entry.case_reference if entry else "",
        line.reference,
        _amount(entry.amount_cents if entry else None),
        _amount(theirs.amount_cents if theirs else None),
        (entry.currency if entry else theirs.currency if theirs else "").upper(),
        _moment(line.occurred_at, window.zone),
        window.shown(window.start),
        window.shown(window.end),
    ]


def _registry_cells(entry: LedgerEntry, found: Reconciliation) -> list[str]:
    window = found.window
    return [
        _("Taken by the registry: no provider record"),
        kind_label(entry.kind),
        method_label(entry.method),
        source_label(entry.provider),
        status_label(entry.state),
        entry.case_reference,
        "",
        _amount(entry.amount_cents),
        "",
        entry.currency.upper(),
        _moment(entry.occurred_at, window.zone),
        window.shown(window.start),
        window.shown(window.end),
    ]


def csv_lines(found: Reconciliation, language: str) -> Iterator[str]:
    """Yield the day's CSV, line by line, in the given language: every card payment and
    refund of either side with its result, then those the registry took."""
    with i18n.use_language(language):
        lines = [csv_line(csv_header())]
        lines += [csv_line(_line_cells(line, found)) for line in found.lines]
        lines += [csv_line(_registry_cells(entry, found)) for entry in found.registry]
    yield "\ufeff" + lines[0]
    yield from lines[1:]

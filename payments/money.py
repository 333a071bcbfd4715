"""Amounts of money: integer cents with an ISO 4217 currency, shown in the reader's language
("$1,234.50" in English, "1 234,50 $" in French), and read from what staff type."""

from __future__ import annotations

import re

from tribune import i18n

# What staff type for an amount: "50", "50.00", "1,234.50", "1 234,50", "$50"; at most two
# decimals, at most ten million dollars.
_AMOUNT = re.compile(r"(\d{1,8})(?:[.,](\d{1,2}))?")
MAX_CENTS = 10_000_000_00


def format_money(cents: int, currency: str, language: str | None = None) -> str:
    """Return an amount as its reader writes it (the request's language unless given); in
    templates, the ``money`` filter: ``{{ cents | money(currency) }}``."""
    if language is None:
        return i18n.format_money(cents, currency)
    with i18n.use_language(language):
        return i18n.format_money(cents, currency)


def parse_cents(text: str) -> int | None:
    """Return the cents of an amount typed in English or French style, or None if it is not
    an amount (negative amounts, three decimals and letters are not)."""
    cleaned = text.strip().replace("$", "").replace("\u00a0", "").replace("\u202f", "")
    cleaned = cleaned.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", cleaned):
        cleaned = cleaned.replace(",", "")  # 1,234.50
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        return None
    cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
    return cents if cents <= MAX_CENTS else None

"""English and French: the current language, message catalogues and formatting.

The language of a request is picked once (see ``negotiate``) and kept in a
context variable, so code and templates translate without passing it around.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from babel.support import LazyProxy, NullTranslations, Translations

LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
LANGUAGE_COOKIE = "tribune_lang"


def language_cookie_name(cookie_prefix: str) -> str:
    """The language switch's cookie, with the deployment's prefix (``__Host-`` in production)."""
    return f"{cookie_prefix}{LANGUAGE_COOKIE}"


TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

_current_language: ContextVar[str] = ContextVar("tribune_language", default=DEFAULT_LANGUAGE)


@cache
def translations_for(language: str) -> NullTranslations:
    """Return the compiled catalogue for a language (English is the source language)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")


def get_language() -> str:
    return _current_language.get()


def set_language(language: str) -> None:
    _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@contextlib.contextmanager
def use_language(language: str) -> Iterator[None]:
    """Translate in another language for a while (an email in its recipient's language)."""
    token = _current_language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current_language.reset(token)


def gettext(message: str, **variables: Any) -> str:
    translated = translations_for(get_language()).gettext(message)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    translated = translations_for(get_language()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return translated % variables


def lazy_gettext(message: str) -> LazyProxy:
    """Return a message translated when it is shown, for module-level constants."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def parse_accept_language(header: str | None) -> str | None:
    """Return the first supported language in an Accept-Language header, or None."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for parameter in pieces[1:]:
            name, _sep, value = parameter.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, position, primary))
    return min(choices)[2] if choices else None


def negotiate(
    *,
    saved: str | None,
    cookie: str | None,
    accept_language: str | None,
    tribunal_default: str | None,
) -> str:
    """Return the request's language: saved preference, then the switch, then the browser."""
    for candidate in (saved, cookie, parse_accept_language(accept_language), tribunal_default):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def other_language(language: str | None = None) -> str:
    return "fr" if (language or get_language()) == "en" else "en"


# Parsed once: Locale.parse on every date or number costs more than the formatting.
_LOCALES = {"fr": Locale.parse("fr_CA"), "en": Locale.parse("en_CA")}


def _locale() -> Locale:
    return _LOCALES["fr" if get_language() == "fr" else "en"]


def format_date(value: date | datetime, format: str = "long", zone: str | None = None) -> str:
    if isinstance(value, datetime):
        value = (value.astimezone(ZoneInfo(zone)) if zone else value).date()
    return _formatted_date(value, format, get_language())


@lru_cache(maxsize=4096)
def _formatted_date(day: date, format: str, language: str) -> str:
    # A page lists many rows over few days: the same dates are formatted again and again.
    return dates.format_date(day, format=format, locale=_LOCALES[language])


def format_datetime(value: datetime, zone: str = "America/Toronto", format: str = "long") -> str:
    return dates.format_datetime(value, format=format, tzinfo=ZoneInfo(zone), locale=_locale())


def format_number(value: int | float) -> str:
    return _formatted_number(value, get_language())


@lru_cache(maxsize=4096)
def _formatted_number(value: int | float, language: str) -> str:
    # Counts and totals repeat from page to page; Babel formats each in tens of microseconds.
    return numbers.format_decimal(value, locale=_LOCALES[language])


def format_money(cents: int, currency: str = "CAD") -> str:
    return numbers.format_currency(cents / 100, currency, locale=_locale())


def in_language(texts: Mapping[str, Any] | None) -> str:
    """Return a text written in both languages (``{"en": ..., "fr": ...}``) in the current
    language, falling back to English when there is none in it."""
    if not texts:
        return ""
    return str(texts.get(get_language()) or texts.get(DEFAULT_LANGUAGE) or "")


def localised(obj: Any, field: str) -> str:
    """Return ``obj.<field>_<language>``, falling back to English when it is empty."""
    value = getattr(obj, f"{field}_{get_language()}", None)
    return str(value or getattr(obj, f"{field}_{DEFAULT_LANGUAGE}", "") or "")

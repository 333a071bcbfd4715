"""The languages a party may need an interpreter for, and that interpreters work in: ISO 639
codes for the spoken and signed languages most asked for at Canadian tribunals, each with its
name in English and French. (The languages of the pages themselves are ``tribune.i18n``'s.)

Codes are ISO 639-1 where there is one, ISO 639-3 otherwise: ``ase`` is American Sign
Language (ASL), ``fcs`` Quebec Sign Language (langue des signes québécoise, LSQ), and
Mandarin (``cmn``) and Cantonese (``yue``) are told apart, since an interpreter of one
cannot stand in for the other.
"""

from __future__ import annotations

import unicodedata

from babel.support import LazyProxy

from tribune.i18n import LANGUAGES as PAGE_LANGUAGES
from tribune.i18n import lazy_gettext, use_language

SIGN_LANGUAGES = ("ase", "fcs")

LANGUAGES: dict[str, LazyProxy] = {
    "ase": lazy_gettext("American Sign Language (ASL)"),
    "fcs": lazy_gettext("Quebec Sign Language (LSQ)"),
    "en": lazy_gettext("English"),
    "fr": lazy_gettext("French"),
    "ar": lazy_gettext("Arabic"),
    "bn": lazy_gettext("Bengali"),
    "yue": lazy_gettext("Cantonese"),
    "cr": lazy_gettext("Cree"),
    "fa": lazy_gettext("Persian (Farsi)"),
    "de": lazy_gettext("German"),
    "el": lazy_gettext("Greek"),
    "gu": lazy_gettext("Gujarati"),
    "ht": lazy_gettext("Haitian Creole"),
    "hi": lazy_gettext("Hindi"),
    "iu": lazy_gettext("Inuktitut"),
    "it": lazy_gettext("Italian"),
    "ko": lazy_gettext("Korean"),
    "cmn": lazy_gettext("Mandarin"),
    "oj": lazy_gettext("Ojibwe"),
    "pa": lazy_gettext("Punjabi"),
    "pl": lazy_gettext("Polish"),
    "pt": lazy_gettext("Portuguese"),
    "ru": lazy_gettext("Russian"),
    "so": lazy_gettext("Somali"),
    "es": lazy_gettext("Spanish"),
    "tl": lazy_gettext("Tagalog (Filipino)"),
    "ta": lazy_gettext("Tamil"),
    "ti": lazy_gettext("Tigrinya"),
    "uk": lazy_gettext("Ukrainian"),
    "ur": lazy_gettext("Urdu"),
    "vi": lazy_gettext("Vietnamese"),
}


def language_name(code: str) -> str:
    """Return a language's name in the current language (the code itself if unknown)."""
    name = LANGUAGES.get(code)
    return str(name) if name is not None else code


def _sort_key(name: str) -> str:
    # "Espagnol" after "Cri" and before "Farsi": accents do not move a name to the end.
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def language_choices() -> list[tuple[str, str]]:
    """Return (code, name) for every language, sign languages first, then by name."""
    signed = [(code, language_name(code)) for code in SIGN_LANGUAGES]
    spoken = sorted(
        ((code, language_name(code)) for code in LANGUAGES if code not in SIGN_LANGUAGES),
        key=lambda item: _sort_key(item[1]),
    )
    return signed + spoken


def _folded(text: str) -> str:
    return " ".join(_sort_key(text).split())


def _names_of(code: str) -> set[str]:
    """Return a language's names in every page language, folded: "Persian (Farsi)" is known
    by its whole name, "persian" and "farsi"."""
    names = {code}
    for page_language in PAGE_LANGUAGES:
        with use_language(page_language):
            name = language_name(code)
        main, _, aside = name.partition("(")
        names.update(_folded(part) for part in (name, main, aside.rstrip(")")) if part.strip())
    return names


def code_for_name(text: str) -> str | None:
    """Return the code of the language a person typed by name, in English or French ("spanish",
    "Espagnol", "ASL"), or None if it is not one of the list."""
    wanted = _folded(text)
    if not wanted:
        return None
    for code in LANGUAGES:
        if wanted in _names_of(code):
            return code
    return None

"""Removing what identifies a person from the text people send us: email addresses, and
numbers that look like social insurance, health card or telephone numbers.

The forms ask people not to write such things; some do anyway, and the text is stored and
read by staff. Each match is replaced by a visible marker ("[removed]"), so a reader knows
something was there. The patterns lean towards removing too much: a number shaped like one
of these is removed whatever it was.

The matching runs in a worker thread, never on the event loop, on text cut to
``MAX_SCRUBBED_LENGTH`` characters (the forms refuse longer text before it gets here).
"""

from __future__ import annotations

import asyncio
import re

MAX_SCRUBBED_LENGTH = 2000

# Neither a letter nor a digit on either side: "SIN:046454286." matches, "A046454286" does not.
_BEFORE = r"(?<![0-9A-Za-z])"
_AFTER = r"(?![0-9A-Za-z])"
_SEPARATOR = r"[ .-]?"

_PATTERNS = (
    # An email address: anything around an @ up to a space or punctuation that cannot be in one.
    re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+"),
    # A Quebec health insurance (RAMQ) number: 4 letters and 8 digits, "TREM 1234 5678".
    re.compile(_BEFORE + r"[A-Za-z]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}" + _AFTER),
    # An Ontario health card number: 10 digits (4-3-3), with or without its 2-letter version code.
    re.compile(_BEFORE + r"[0-9]{4}[ -]?[0-9]{3}[ -]?[0-9]{3}(?:[ -]?[A-Za-z]{2})?" + _AFTER),
    # A North American telephone number: an optional +1 or 1, the area code (in brackets or
    # not), 3 and 4 digits, separated by spaces, dots or dashes or not; an optional extension.
    re.compile(
        r"(?<![0-9A-Za-z+])(?:\+?1"
        + _SEPARATOR
        + r")?(?:\([0-9]{3}\)\s?|[0-9]{3}"
        + _SEPARATOR
        + r")[0-9]{3}"
        + _SEPARATOR
        + r"[0-9]{4}(?:\s*(?:ext\.?|x|poste|#)\s*[0-9]{1,6})?"
        + _AFTER,
        re.IGNORECASE,
    ),
    # A social insurance number: 9 digits (3-3-3), with or without spaces or dashes.
    re.compile(_BEFORE + r"[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{3}" + _AFTER),
    # Any other run of 9 digits or more: an identifier of some kind.
    re.compile(r"[0-9]{9,}"),
)


def scrub(text: str, marker: str) -> str:
    """Return the text, cut to MAX_SCRUBBED_LENGTH characters, with every email address and
    personal number replaced by `marker`."""
    text = text[:MAX_SCRUBBED_LENGTH]
    for pattern in _PATTERNS:
        text = pattern.sub(marker, text)
    return text


async def scrubbed(text: str, marker: str) -> str:
    """Return ``scrub(text, marker)``, computed in a worker thread."""
    return await asyncio.to_thread(scrub, text, marker)

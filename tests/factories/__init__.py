"""Small factory functions, one module per domain: `accounts`, `tribunals`, `filings`.

Each returns a committed row (or rows) with sensible defaults that a test overrides by
keyword. The helpers that are not factories (forms, sign-in, messages, HTML) are in
`tests.helpers`.
"""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    """Return the prefix followed by ten random hexadecimal digits: a value no other test has."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"

"""Tables of `accountability.feedback`."""

from __future__ import annotations

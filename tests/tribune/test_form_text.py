"""Text answers: one line refuses every control and format character, a textarea keeps its
line breaks and tabs only."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from tribune.forms import Form

CONTROL_OR_FORMAT = [
    chr(code)
    for code in range(sys.maxunicode + 1)
    if unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp")
]
MESSAGE = "Remove the control characters from this answer"


def read(value: str, *, multiline: bool = False) -> Form:
    form = Form({"answer": value})
    form.text("answer", multiline=multiline)
    return form


def test_a_single_line_refuses_every_control_and_format_character() -> None:
    accepted = [f"U+{ord(char):04X}" for char in CONTROL_OR_FORMAT if read(f"a{char}b").is_valid]
    assert accepted == []


@pytest.mark.parametrize(
    "value", ["Lee\r\nLawyer", "Lee\nLawyer", "Lee\tLawyer", "Lee\u202eLawyer"]
)
def test_a_single_line_says_what_to_remove(value: str) -> None:
    assert read(value).errors == {"answer": MESSAGE}


def test_a_textarea_keeps_line_breaks_and_tabs_and_refuses_the_rest() -> None:
    assert read("First line\r\nSecond\tline\n", multiline=True).is_valid
    refused = [
        f"U+{ord(char):04X}"
        for char in CONTROL_OR_FORMAT
        if char not in "\t\n\r" and read(f"a{char}b", multiline=True).is_valid
    ]
    assert refused == []


def test_names_in_every_script_are_accepted() -> None:
    for name in ("Marie-Ève Tremblay", "Nguyễn Văn An", "ᐊᓂᕐᓂᖅ", "محمد", "O'Brien & Sons, LLP"):
        assert read(name).is_valid, name

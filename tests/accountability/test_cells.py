"""Small cells: public figures never show a count under 10, nor a share, median or 90th
percentile computed from fewer than 10 stopped cases."""

from __future__ import annotations

from accountability.standards.cells import public_count, public_figures
from accountability.standards.measurement import Figures
from tribune.i18n import use_language


def test_a_count_under_10_is_shown_as_fewer_than_10() -> None:
    assert public_count(9).text == "fewer than 10"
    assert public_count(0).text == "fewer than 10"
    assert public_count(9).json_value == "<10"
    assert public_count(10).text == "10"
    assert public_count(1234).text == "1,234"
    assert public_count(12).json_value == 12
    with use_language("fr"):
        assert public_count(3).text == "moins de 10"


def test_a_share_from_fewer_than_10_stopped_cases_is_suppressed() -> None:
    few = public_figures(Figures(met=8, missed=1, open_past_limit=25, median_days=4, p90_days=9))
    assert few.share_met.suppressed
    assert few.median_days.suppressed
    assert few.p90_days.suppressed
    assert few.met.text == "fewer than 10"
    assert few.open_past_limit.text == "25"
    assert few.to_json() == {
        "met": "<10",
        "missed": "<10",
        "stopped": "<10",
        "open_past_limit": 25,
        "open_within_limit": "<10",
        "excluded": "<10",
        "share_met_percent": "<10",
        "median_days": "<10",
        "p90_days": "<10",
    }

    enough = public_figures(Figures(met=17, missed=3, median_days=4, p90_days=12))
    assert enough.share_met.text == "85%"
    assert enough.share_met.json_value == 85.0
    assert (enough.median_days.text, enough.p90_days.text) == ("4", "12")
    assert enough.missed.text == "fewer than 10"  # its count alone stays suppressed
    with use_language("fr"):
        assert enough.share_met.text == "85\u00a0%"
    third = public_figures(Figures(met=10, missed=20))
    assert third.share_met.text == "33.3%"

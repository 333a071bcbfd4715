"""The quarters' chart is well-formed SVG that names itself, draws each share to scale, says
"fewer than 10" where a share is not shown, and escapes what it is given."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from accountability.standards.chart import Bar, quarters_chart
from tribune.i18n import use_language

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_draws_each_share_against_the_target() -> None:
    svg = quarters_chart(
        chart_id="standard-1",
        title="Filings checked within 10 business days",
        description="Share met each quarter: 2026 Q1 90 %, 2026 Q2 fewer than 10 cases.",
        bars=[
            Bar("2026 Q1", 90.0),
            Bar("2026 Q2", None, "fewer than 10"),
            Bar("2026 Q3", 45.0),
        ],
        target=80,
        target_label="Target 80 %",
    )
    root = ET.fromstring(str(svg))  # noqa: S314
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "standard-1-title standard-1-desc"
    assert root.findtext(f"{SVG}title") == "Filings checked within 10 business days"
    assert [desc.get("id") for desc in root.iter(f"{SVG}desc")] == ["standard-1-desc"]
    heights = [float(rect.get("height", "")) for rect in root.iter(f"{SVG}rect")]
    assert len(heights) == 2  # the quarter with too few cases has no bar
    assert abs(heights[0] / heights[1] - 2.0) < 0.01  # 90 % is twice 45 %
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "fewer than 10" in texts
    assert "Target 80 %" in texts
    assert {"2026 Q1", "2026 Q2", "2026 Q3"} <= set(texts)
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1
    # The target line sits at 80 %: between the 75 % and 100 % grid lines.
    target_y = float(dashed[0].get("y1", ""))
    grid = sorted({float(line.get("y1", "")) for line in root.iter(f"{SVG}line")} - {target_y})
    assert grid[0] < target_y < grid[1]  # between the 100 % and 75 % grid lines


def test_what_the_chart_is_given_is_escaped() -> None:
    svg = quarters_chart(
        chart_id="x",
        title="<script>alert(1)</script>",
        description="a & b",
        bars=[Bar("<b>", 50.0)],
        target=50,
        target_label="<i>",
    )
    assert "<script>" not in svg
    assert "<b>" not in svg
    ET.fromstring(str(svg))  # noqa: S314 - still well-formed


def test_the_chart_writes_percentages_as_the_tables_do_in_each_language() -> None:
    def texts(language: str) -> list[str | None]:
        with use_language(language):
            svg = quarters_chart(
                chart_id="c",
                title="t",
                description="d",
                bars=[Bar("Q1", 84.4)],
                target=80,
                target_label="",
            )
        return [text.text for text in ET.fromstring(str(svg)).iter(f"{SVG}text")]  # noqa: S314

    assert {"84%", "100%"} <= set(texts("en"))
    assert {"84\u00a0%", "100\u00a0%"} <= set(texts("fr"))  # a non-breaking space

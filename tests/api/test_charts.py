"""Server-rendered charts: legible text, empty states, German labels, small stages visible."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from api import charts
from tests.api.conftest import bearer
from tests.api.world import World

CSS = Path(charts.__file__).parent / "static" / "app.css"


def _sizes(markup: str) -> list[int]:
    return [int(size) for size in re.findall(r'font-size="(\d+)"', markup)]


def test_text_is_at_least_12_px_at_the_smallest_drawing_width() -> None:
    drawn = [
        charts.stacked_bars(
            "r", ["2026-10", "2026-11"], {"Preis": [1, 2]}, x_title="Monat", y_title="Nennungen"
        ),  # fmt: skip
        charts.share_bar("s", [("intern", 0.7), ("extern", 0.3)]),
        charts.funnel("f", [("geplant", 40), ("reaktiviert", 2)], scale_note="log"),
        charts.pareto("p", [(1, 0.5), (2, 1.0)], 1, x_title="Anrufe", y_title="Anteil"),
    ]
    for svg in drawn:
        assert _sizes(svg) and min(_sizes(svg)) >= 12, svg
        assert f'viewBox="0 0 {charts.W} ' in svg
    # The stylesheet never scales a chart below its drawing width: user units = CSS px.
    css = CSS.read_text()
    assert re.search(rf"svg\.chart \{{[^}}]*min-width: {charts.W}px", css)
    assert ".chart-wrap, .table-wrap { overflow-x: auto; }" in css


def test_nothing_to_show_draws_nothing() -> None:
    assert charts.stacked_bars("r", [], {}) == ""
    assert charts.stacked_bars("r", ["2026-11"], {"Preis": [0]}) == ""
    assert charts.share_bar("s", [("intern", 0.0), ("extern", 0.0)]) == ""
    assert charts.funnel("f", [("geplant", 0), ("angerufen", 0)]) == ""
    assert charts.pareto("p", [], 0) == ""


def test_small_funnel_stages_stay_visible() -> None:
    # On a linear scale 3 of 400 would be a 2-px sliver; the log scale keeps it readable.
    svg = charts.funnel("f", [("geplant", 400), ("angerufen", 60), ("reaktiviert", 3)])
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 3 and widths[0] > widths[1] > widths[2]
    assert widths[2] / widths[0] > 0.2
    assert ">3<" in svg and ">400<" in svg  # exact counts on the bars


def test_many_months_get_labels_that_do_not_run_together() -> None:
    months = [f"{2024 + (m // 12)}-{m % 12 + 1:02d}" for m in range(36)]
    svg = charts.stacked_bars("r", months, {"Preis": [1] * 36})
    labels = re.findall(r'text-anchor="middle">(\d{4}-\d{2})</text>', svg)
    assert 4 <= len(labels) < 36
    room = (charts.W - charts.LEFT) / len(labels)
    assert room >= 7 * charts.FONT * 0.6  # "2026-11" at about 0.6 em per character


def test_legend_keys_use_the_palette_in_the_stylesheet() -> None:
    css = CSS.read_text()
    for i, colour in enumerate(charts.PALETTE):
        assert f".key-{i} {{ background: {colour}; }}" in css
    legend = charts.legend(["Preis <b>", "Service"])
    assert "Preis &lt;b&gt;" in legend and "key-1" in legend


def test_analytics_page_names_codes_in_german_with_axis_titles(
    client: TestClient, world: World
) -> None:
    boss = bearer(world, "boss")
    nid = world.objects["rep1"].note
    assert client.post(f"/api/notes/{nid}/approve", json={}, headers=boss).status_code == 200
    page = client.get("/analytics?as_of=2026-11-30", headers=boss).text
    assert "Liefertreue" in page and ">delivery_reliability<" not in page
    assert "Nennungen" in page and "Monat" in page
    english = client.get("/analytics?as_of=2026-11-30", headers=boss,
                         cookies={"winback_lang": "en"}).text  # fmt: skip
    assert "Mentions" in english and "delivery reliability" in english
    assert "Liefertreue" not in english

"""Markdown, HTML (escaped) and JSON renderings of a brief."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from agent.brief.render import to_html, to_json, to_markdown
from agent.brief.schema import Brief, ChurnHypothesis, Claim, Evidence, KeyFact, Objection


def sample(language: str = "de") -> Brief:
    return Brief(
        tenant="acme",
        account_id=1,
        account_external_id="K-1",
        account_name='<script>alert("x")</script> GmbH',
        language=language,  # type: ignore[arg-type]
        as_of=date(2026, 11, 2),
        should_call=True,
        call_reason="Anrufen: lange nichts bestellt.",
        plan_rank=1,
        plan_score=87.5,
        situation=[Claim(text="Letzte Bestellung am 20.05.2025.", sources=["order:3"])],
        key_facts=[
            KeyFact(
                id="F1",
                topic="last_order",
                text="Letzte Bestellung am 20.05.2025",
                sources=["order:3"],
            )
        ],
        churn_hypotheses=[
            ChurnHypothesis(
                code="delivery_reliability",
                group="internal",
                confidence=0.8,
                basis="call_label",
                evidence=[
                    Evidence(
                        source="note:1", day=date(2025, 4, 2), quote="kam 12 Tage zu spät | <b>"
                    )
                ],
            )
        ],
        opening_question=Claim(text="Wie geht es Ihnen?"),
        talking_points=[Claim(text="Nach Lieferungen fragen.")],
        objections=[
            Objection(
                situation="hesitant",
                strategy="Anreiz (Rückholköder) anbieten",
                objection="Zu teuer.",
                answer="Wir finden eine Lösung.",
            )
        ],
        avoid=[Claim(text="Nicht drängen.")],
        model="qwen",
        created_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
    )


def test_markdown_has_every_part_with_sources_model_and_date() -> None:
    md = to_markdown(sample())
    for heading in (
        "## Lage",
        "## Eröffnungsfrage",
        "## Gesprächspunkte",
        "## Mögliche Einwände",
        "## Vermeiden",
        "## Wahrscheinliche Gründe",
        "## Fakten",
    ):
        assert heading in md
    assert "Letzte Bestellung am 20.05.2025. [order:3]" in md
    assert "**Rang im Plan:** 1 (score 87.50)" in md
    assert "kam 12 Tage zu spät \\| <b>" in md  # table cells stay intact
    assert "Erstellt von qwen am 2026-11-02 08:00 UTC" in md
    assert "## Call brief" not in md and "# Call brief" in to_markdown(sample("en"))


def test_html_escapes_crm_text() -> None:
    page = to_html(sample())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; GmbH" in page
    assert "&lt;b&gt;" in page and 'lang="de"' in page


def test_json_round_trips() -> None:
    brief = sample()
    assert Brief.model_validate(json.loads(to_json(brief))) == brief

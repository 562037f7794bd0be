"""The manager's review in real headless Chromium, on a laptop and on a phone.

A draft note waits in the queue (its outcome undecided, one reason, one step,
the recording stored). The manager opens it, plays the recording from a
transcript line, corrects every field — a quote that the customer did not
say is refused next to its field with the typed summary kept — saves,
approves, and finds the effects on the account: its status, the reason with
the customer's words, the dated tasks. Every step waits for the state the
server answered with. Screenshots go to ``artifacts/screenshots/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.crm.db import open_store
from agent.settings import configure
from tests.browser.axe import check_accessibility
from tests.browser.live import serving
from tests.browser.test_web_flow import ARGS, CHROMIUM, JFK, SHOTS, _login, _playwright

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CALL_DAY = date.today() - timedelta(days=1)
SEGMENTS = [
    (0.0, 2.5, "rep", "Guten Tag, hier ist Anna Keller von Schäfer Industriebedarf."),
    (2.5, 6.0, "customer", "Ehrlich gesagt kamen Ihre Lieferungen ständig zu spät."),
    (6.0, 11.0, "customer", "Und Ihre Preise sind uns zuletzt einfach zu hoch geworden."),
]


def _draft(settings: Any) -> tuple[int, int]:
    """A draft of a call with a.keller's first account, its recording in the store."""
    from sqlalchemy import select

    from agent.analysis.analyzer import AnalysisResult
    from agent.analysis.notes import store_draft
    from agent.analysis.schema import CallAnalysis, Candidate, NextStep, ReasonLabel, Uncertain
    from agent.audio_store import get_audio_store
    from agent.crm.models import (
        Account,
        CallRecording,
        ConsentMethod,
        ConsentRecord,
        Tenant,
        Transcript,
        TranscriptSegment,
        User,
    )

    store = open_store(settings.db_url)
    with store.session() as s, JFK.open("rb") as fh:
        tenant = s.scalar(select(Tenant).where(Tenant.slug == "demo"))
        assert tenant is not None
        rep = s.scalar(select(User).where(User.tenant_id == tenant.id, User.username == "a.keller"))
        assert rep is not None
        account = s.scalars(
            select(Account).where(Account.owner_id == rep.id).order_by(Account.id)
        ).first()
        assert account is not None
        consent = ConsentRecord(tenant_id=tenant.id, account_id=account.id, given_by="Herr Kunde",
                                method=ConsentMethod.verbal_at_call_start,
                                given_at=time_now(), text_version="v1")  # fmt: skip
        s.add(consent)
        s.flush()
        key = get_audio_store(settings).put(fh, max_bytes=10**7)
        recording = CallRecording(
            tenant_id=tenant.id, account_id=account.id, consent_id=consent.id,
            uploaded_by_id=rep.id, storage_key=key.key, content_sha256=key.sha256,
            size_bytes=key.size_bytes, container="flac", duration_s=11.0, call_date=CALL_DAY,
            status="analyzed",
        )  # fmt: skip
        s.add(recording)
        s.flush()
        transcript = Transcript(tenant_id=tenant.id, account_id=account.id,
                                recording_id=recording.id, language="de", duration_s=11.0,
                                text=" ".join(t for *_, t in SEGMENTS))  # fmt: skip
        transcript.segments = [
            TranscriptSegment(idx=i, start_s=a, end_s=b, speaker=who, text=text)
            for i, (a, b, who, text) in enumerate(SEGMENTS)
        ]
        s.add(transcript)
        s.flush()
        analysis = CallAnalysis(
            language="de",
            summary="Der Kunde beklagt verspätete Lieferungen.",
            churn_reasons=[
                ReasonLabel(code="delivery_speed", evidence=SEGMENTS[1][3], confidence=0.6)
            ],  # fmt: skip
            outcome=None,
            uncertain=[
                Uncertain(
                    field="outcome",
                    candidates=[
                        Candidate(code="follow_up", probability=0.5),
                        Candidate(code="not_now", probability=0.3),
                    ],
                )
            ],  # fmt: skip
            next_steps=[NextStep(type="send_offer", owner="rep", description=SEGMENTS[2][3])],
            sentiment="negative",
        )
        result = AnalysisResult("ok", analysis, "fake", "learned", 1.0)  # type: ignore[arg-type]
        note = store_draft(s, tenant.id, account, result, call_date=CALL_DAY,
                           recording_id=recording.id, transcript_id=transcript.id)  # fmt: skip
        return note.id, account.id


def time_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


@pytest.fixture
def review_server(tmp_path: Path) -> Iterator[tuple[str, int, int]]:

    from agent.auth import set_demo_passwords
    from agent.demo import seed
    from agent.jobs.queue import forget_queues
    from api.app import create_app

    settings = configure(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        chat_backend="fake",
        embeddings_backend="fake",
        transcriber_backend="fake",
        data_dir=tmp_path / "data",
    )
    store = open_store(settings.db_url)
    seed(store, "demo")
    set_demo_passwords(store, "demo", settings.demo_password)
    note_id, account_id = _draft(settings)
    forget_queues()
    try:
        with serving(create_app(settings)) as base:
            yield base, note_id, account_id
    finally:
        forget_queues()


#: What the manager's pages say in each language, where the test reads a text. The
#: account's status reason and task descriptions are in the call's language (German).
WORDS = {
    "de": {"approved": "freigegeben", "quote": "Das hat der Kunde im Gespräch so nicht gesagt.",
           "active": "aktiv", "reliability": "Liefertreue", "price": "Preis"},
    "en": {"approved": "approved", "quote": "The customer did not say this in the call.",
           "active": "active", "reliability": "delivery reliability", "price": "price and terms"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("width", "height", "lang"), [(1366, 900, "de"), (390, 844, "de"), (1366, 900, "en")]
)
def test_manager_corrects_approves_and_sees_the_account_change(
    review_server: tuple[str, int, int], width: int, height: int, lang: str
) -> None:
    sync_playwright = _playwright()
    pytest.importorskip("axe_playwright_python")
    base, note_id, account_id = review_server
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(
            path=str(SHOTS / f"review_{lang}_{width}x{height}_{name}.png"), full_page=True
        )

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on("pageerror", lambda e: problems.append(str(e)))
            # Every answer but the refused form (422, on purpose) and the browser's favicon.
            page.on(
                "response",
                lambda r: (
                    problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith(("/edit", "/favicon.ico"))
                    else None
                ),
            )
            _login(page, base, "t.schaefer", "winback-demo")
            assert "/review" in page.url
            if lang == "en":
                with page.expect_navigation():
                    page.click("a[href^='/lang/en']")
            page.wait_for_selector(f"html[lang={lang}]")
            words = WORDS[lang]
            shot("01_queue")
            check_accessibility(page, "01_queue")
            with page.expect_navigation():
                page.click(f"a[href='/notes/{note_id}']")
            page.wait_for_selector("#note-editor")
            # the analysis did not decide the outcome: nothing is chosen for the manager
            assert page.locator("input[name=outcome]:checked").count() == 0
            assert page.locator("#uncertain-outcome").is_visible()
            shot("02_draft")
            check_accessibility(page, "02_draft")

            # play the recording from the customer's second line
            page.click("#transcript li:nth-child(3) a.play")
            page.wait_for_function(
                "() => { const a = document.getElementById('recording');"
                " return a.currentTime >= 6 && !a.paused; }"
            )
            page.eval_on_selector("#recording", "a => a.pause()")

            # correct every field; first with a quote the customer never said
            page.fill("textarea[name=summary]", "Lieferverzug und Preise; Kunde bestellt wieder.")
            page.check("input[name=outcome][value=reactivated]")
            page.uncheck("input[name='reason.delivery_speed']")
            page.check("input[name='reason.delivery_reliability']")
            page.fill("input[name='reason.delivery_reliability.evidence']", "Alles war schlecht")
            page.check("input[name='reason.price_terms']")
            page.focus("input[name='reason.price_terms.evidence']")
            page.click("#transcript li:nth-child(3) button.use-quote")
            assert page.input_value("input[name='reason.price_terms.evidence']") == SEGMENTS[2][3]
            page.select_option("select[name='step.0.type']", "offer_incentive")
            page.fill(
                "input[name='step.0.description']", "3 % Rückkehrrabatt auf die erste Bestellung"
            )
            page.fill("input[name='step.0.due']", (CALL_DAY + timedelta(days=7)).isoformat())
            page.select_option("select[name='step.1.type']", "send_sample")
            page.fill("input[name='step.1.description']", "Muster Nitrilhandschuhe Gr. 9")
            page.click("#add-step")  # a row more, without a round trip
            page.wait_for_selector("select[name='step.2.type']")
            page.select_option("select[name='step.2.type']", "schedule_call")
            page.select_option("select[name='step.2.owner']", "customer")
            page.fill("textarea[name=expectations]", "Pünktliche Lieferung, faire Preise")
            page.select_option("select[name=sentiment]", "mixed")
            with page.expect_navigation():
                page.click("#save-note")
            page.wait_for_selector("#form-errors")
            assert words["quote"] in page.inner_text("#e-delivery_reliability")
            assert page.input_value("textarea[name=summary]").startswith("Lieferverzug und Preise")
            shot("03_error_kept_input")
            check_accessibility(page, "03_error_kept_input")
            page.fill("input[name='reason.delivery_reliability.evidence']", SEGMENTS[1][3])
            with page.expect_navigation():
                page.click("#save-note")
            page.wait_for_selector("#note-editor:not(:has(#form-errors))")
            assert page.locator("input[name=outcome][value=reactivated]").is_checked(), (
                page.url,
                page.inner_text("#outcome-field"),
            )
            assert page.locator("#reasons .edited").count() == 1
            shot("04_edited")
            check_accessibility(page, "04_edited")

            with page.expect_navigation():
                page.click("#approve")
            page.wait_for_selector(f"#note-status:has-text('{words['approved']}')")
            shot("05_approved")
            check_accessibility(page, "05_approved")

            with page.expect_navigation():
                page.click(f"h1 a[href='/accounts/{account_id}']")
            page.wait_for_selector("#winback")
            history = page.inner_text("#winback")
            assert words["active"] in history and "Reaktiviert im Gespräch vom" in history
            assert words["reliability"] in history and words["price"] in history
            assert SEGMENTS[2][3] in history
            tasks = page.inner_text("#open-tasks")
            assert "Anreiz umsetzen: 3 % Rückkehrrabatt" in tasks
            assert "Muster senden: Muster Nitrilhandschuhe" in tasks
            assert "Rückmeldung des Kunden nachhalten: Anrufen" in tasks
            assert "zu hoch" not in tasks  # never the customer's sentence as a task
            page.locator("#winback").scroll_into_view_if_needed()
            shot("06_account")
            check_accessibility(page, "06_account")
            # the history fits the screen of a phone
            wide = page.evaluate(
                "() => [...document.querySelectorAll('#winback, #winback *')]"
                ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                ".map(e => e.tagName + '.' + e.className)"
            )
            assert not wide, wide
            page.goto(f"{base}/analytics")
            page.wait_for_selector("#chart-funnel")
            shot("07_analytics")
            check_accessibility(page, "07_analytics")
        finally:
            browser.close()
    assert not problems, problems


def test_chromium_is_debians() -> None:
    _playwright()
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()

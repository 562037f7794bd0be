"""The whole web flow in real headless Chromium (Debian's ``chromium`` driven by Playwright).

A rep logs in, opens an account from today's calls, prepares the brief,
uploads ``jfk.flac`` with the consent confirmation and follows the job until
the draft note is ready; a manager then approves the note and sees the
analytics change. The server is the real app under uvicorn on loopback with
the embedded queue worker; only the models are fakes (chat: scripted
replies; transcriber: the package's fake). Screenshots go to
``artifacts/screenshots/``.

Skips when ``/usr/bin/chromium`` or Playwright is missing; ``.ci/run``
installs both (``apt-get install -y chromium``, ``pip install playwright``;
never ``playwright install``, which downloads a browser).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.crm.db import open_store
from agent.settings import Settings, configure
from tests.browser.live import serving

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
JFK = REPO / "tests" / "fixtures" / "audio" / "jfk.flac"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BRIEF_DRAFT = {
    "situation": [
        {"text": "Der Kunde hat seit längerer Zeit nicht mehr bestellt.", "facts": []},
        {"text": "Die Gründe sind noch nicht im Gespräch geklärt worden.", "facts": []},
        {"text": "Ein persönlicher Anruf ist der nächste sinnvolle Schritt.", "facts": []},
    ],
    "opening_question": "Geht es Ihnen gut? Was können wir tun, damit Sie wieder bei uns kaufen?",
    "talking_points": [
        {"text": "Nach der Zufriedenheit mit den letzten Lieferungen fragen.", "facts": []},
        {"text": "Zuhören und die Gründe ohne Rechtfertigung aufnehmen.", "facts": []},
        {"text": "Einen konkreten nächsten Schritt vereinbaren.", "facts": []},
    ],
    "objections": [
        {
            "situation": "status_quo",
            "objection": "Wir sind mit dem neuen Lieferanten zufrieden.",
            "answer": "Das freut mich; darf ich Ihnen trotzdem ein Vergleichsangebot schicken?",
        },
    ],
    "avoid": ["Keine Vorwürfe wegen der Funkstille machen."],
}

ANALYSIS_REPLIES = [
    json.dumps(
        {
            "rationale": "Angebot vereinbart.",
            "outcome": "follow_up",
            "sentiment": "neutral",
            "expectations": "",
        }
    ),
    json.dumps({"reasons": [{"code": "delivery_speed", "turn": 1}]}),
    json.dumps(
        {"steps": [{"type": "send_offer", "owner": "rep", "turn": 1, "when": "bis Freitag"}]}
    ),
    json.dumps({"summary": "Der Kunde meldete sich. Ein Angebot wird bis Freitag geschickt."}),
]


def brief_reply() -> str:
    """The scripted draft, adapted to the current :class:`BriefDraft` (sentence or string)."""
    import pydantic

    from agent.brief.schema import BriefDraft

    data: dict[str, Any] = dict(BRIEF_DRAFT)
    try:
        BriefDraft.model_validate(data)
    except pydantic.ValidationError:
        data["opening_question"] = {"text": data["opening_question"], "facts": []}
    BriefDraft.model_validate(data)
    return json.dumps(data)


def _playwright() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright)")
    return sync_playwright


def _fake_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scripted chat replies for briefs, and the analyze step's analysis with scripted replies."""
    from agent.calls import pipeline
    from agent.llm import chat
    from agent.testing import FakeChatModel

    def fake_chat(settings: Settings, **overrides: Any) -> FakeChatModel:
        return FakeChatModel(**overrides).enqueue(*[brief_reply()] * 4)

    monkeypatch.setitem(chat.CHAT_BACKENDS, "fake", fake_chat)

    def analyse(settings: Settings, session: Any, recording: Any, transcript: Any) -> dict:
        from agent.analysis.analyzer import Analyzer
        from agent.analysis.notes import store_draft
        from agent.analysis.sources import input_from_transcript
        from agent.crm.models import Account

        account = session.get(Account, recording.account_id)
        call = input_from_transcript(session, transcript, account, recording.call_date)
        model = FakeChatModel().enqueue(*ANALYSIS_REPLIES)
        result = Analyzer(model, settings=settings).analyze(call)  # type: ignore[arg-type]
        note = store_draft(
            session,
            account.tenant_id,
            account,
            result,
            call_date=call.call_date,
            recording_id=recording.id,
            transcript_id=transcript.id,
        )
        return {"note_id": note.id}

    # The analyze step's own composition (agent/analysis/draft.py) with a scripted model.
    def prepare(settings: Settings, store: Any, recording_id: str) -> Any:
        return lambda session, recording, transcript: analyse(
            settings, session, recording, transcript
        )

    monkeypatch.setattr(pipeline, "prepare_draft", prepare)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:

    from agent.auth import set_demo_passwords
    from agent.demo import seed
    from agent.jobs.queue import forget_queues
    from agent.jobs.worker import embedded_worker
    from api.app import create_app

    settings = configure(
        database_url=f"sqlite:///{tmp_path / 'web.db'}",
        chat_backend="fake",
        # the scripted chat replies answer the decomposed design's questions
        analysis_design="decomposed",
        analyze_after_transcription=True,
        embeddings_backend="fake",
        transcriber_backend="fake",
        # the fake transcriber labels its one segment with the first channel's speaker
        transcription_channels="customer,rep",
        data_dir=tmp_path / "data",
    )
    store = open_store(settings.db_url)
    seed(store, "demo")
    set_demo_passwords(store, "demo", settings.demo_password)
    _fake_models(monkeypatch)
    forget_queues()
    with embedded_worker(settings), serving(create_app(settings)) as base:
        yield base
    forget_queues()


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=tenant]", "demo")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # A click that navigates: wait for the new page, not for the old one to be idle.
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_rep_and_manager_in_chromium(server: str) -> None:
    sync_playwright = _playwright()
    SHOTS.mkdir(parents=True, exist_ok=True)
    csp_violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on(
                "console",
                lambda m: (
                    csp_violations.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            _login(page, server, "a.keller", "winback-demo")
            assert "/today" in page.url
            page.screenshot(path=str(SHOTS / "01_rep_today.png"), full_page=True)
            page.click("#calls tbody tr:first-child a")
            page.wait_for_selector("#prepare-brief")

            # prepare the brief: progress, then the brief, marked as AI-generated
            page.click("#prepare-brief")
            page.wait_for_selector("#brief", timeout=60_000)
            assert page.locator("#brief .ai").count() >= 1
            assert "Geht es Ihnen gut?" in page.inner_text("#brief")
            page.screenshot(path=str(SHOTS / "02_rep_brief.png"), full_page=True)

            # upload the recording with consent; follow the job to the draft note
            page.set_input_files("#upload-file", str(JFK))
            page.fill("input[name=given_by]", "Herr Kennedy")
            page.check("input[name=confirm]")
            page.click("#upload-button")
            page.wait_for_selector("#note-ready:not([hidden])", timeout=120_000)
            assert page.eval_on_selector("#upload-progress", "e => e.value") == 1
            page.screenshot(path=str(SHOTS / "03_rep_upload_done.png"), full_page=True)
            note_url = page.get_attribute("#note-link", "href")
            assert note_url and note_url.startswith("/notes/")
            with page.expect_navigation():
                page.click("button:has-text('Abmelden')")
            page.wait_for_load_state("networkidle")

            # manager: analytics before, review queue, approve, analytics after
            _login(page, server, "t.schaefer", "winback-demo")
            assert "/review" in page.url
            page.goto(f"{server}/analytics")
            before = page.locator("[data-reason=delivery_speed]").all_inner_texts()
            page.goto(f"{server}/review")
            page.screenshot(path=str(SHOTS / "04_manager_review_queue.png"), full_page=True)
            page.click(f"a[href='{note_url}']")
            page.wait_for_selector("#transcript")
            assert page.locator("mark.evidence").count() >= 1, (
                page.inner_text("#reasons"),
                page.inner_text("#transcript"),
            )
            page.screenshot(path=str(SHOTS / "05_manager_note.png"), full_page=True)
            with page.expect_navigation():
                page.click("#approve")
            # The POST answers with a redirect to the note: wait for the page it leads to
            # (reading right after the first navigation event saw the old page once).
            try:
                page.wait_for_selector("#note-status:has-text('freigegeben')", timeout=30_000)
            except Exception as exc:  # noqa: BLE001 - Playwright's timeout, with the page shown
                raise AssertionError(page.url + "\n" + page.inner_text("body")[:3000]) from exc
            page.goto(f"{server}/analytics")
            after = page.locator("[data-reason=delivery_speed]").all_inner_texts()
            assert int(after[0]) == (int(before[0]) if before else 0) + 1
            page.screenshot(path=str(SHOTS / "06_manager_analytics.png"), full_page=True)
        finally:
            browser.close()
    assert not csp_violations, csp_violations


def test_chromium_is_used_not_a_downloaded_browser() -> None:
    _playwright()
    assert shutil.which("chromium") == CHROMIUM or Path(CHROMIUM).exists()

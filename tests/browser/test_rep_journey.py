"""The rep's journey in real headless Chromium, on a laptop and a phone, in German and English.

Plan → call page (brief) → upload with consent → the recording's lasting
progress (the upload page, "Meine Notizen", the recording's own page) →
the draft note, shown without reloading. Each page is checked with
axe-core (the copy bundled in ``axe-playwright-python``, so no network)
and photographed into ``artifacts/screenshots/rep/``.

Every step waits for what the server shows (a selector, a text), never
for a fixed time. The analysis is held at a gate until the test has seen
the recording listed while it is being analysed, so the "lasting" part is
looked at every run instead of only when the machine happens to be slow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.axe import check_accessibility
from tests.browser.test_web_flow import (  # noqa: F401 - server is a fixture
    ARGS,
    CHROMIUM,
    JFK,
    SHOTS,
    _playwright,
    server,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: Laptop and phone (iPhone 12-14 size).
VIEWPORTS = {"laptop": (1366, 900), "phone": (390, 844)}
#: What the pages say in each language, where the test waits for a text.
WORDS = {
    "de": {"analysing": "Analyse läuft", "ready": "Entwurf fertig", "login": "Anmelden"},
    "en": {"analysing": "Analysing", "ready": "Draft ready", "login": "Log in"},
}
#: How long the server may take for a step (the brief and the pipeline run on a shared CPU).
STEP_MS = 90_000


class Gate:
    """Holds every analysis until :meth:`open` (or a minute), so a test can look meanwhile."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wrap(self, hook: Any) -> Any:
        def held(*args: Any, **kwargs: Any) -> Any:
            self.event.wait(timeout=60)
            return hook(*args, **kwargs)

        return held

    def open(self) -> None:
        self.event.set()


@pytest.fixture
def gate(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:  # noqa: F811
    from agent.calls import pipeline

    held = Gate()
    monkeypatch.setattr(pipeline, "prepare_draft", held.wrap(pipeline.prepare_draft))
    yield held
    held.open()  # never leave a worker thread waiting


def shoot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page: Any) -> None:
    """The page itself never scrolls sideways (wide tables scroll inside their card)."""
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide} px wider than the screen"


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_rep_plans_prepares_uploads_and_gets_the_draft(
    server: str,  # noqa: F811
    gate: Gate,
    device: str,
    lang: str,
) -> None:
    sync_playwright = _playwright()
    pytest.importorskip("axe_playwright_python")
    width, height = VIEWPORTS[device]
    folder = SHOTS / "rep" / f"{lang}-{device}"
    folder.mkdir(parents=True, exist_ok=True)
    words = WORDS[lang]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(STEP_MS)

            # Log in without typing the tenant: the username is unique on the instance.
            page.goto(f"{server}/login")
            if lang == "en":
                with page.expect_navigation():
                    page.click("a[href^='/lang/en']")
            page.wait_for_selector(f"html[lang={lang}]")
            check_accessibility(page, "login")
            shoot(page, folder, "01_login")
            page.fill("input[name=username]", "a.keller")
            page.fill("input[name=password]", "winback-demo")
            with page.expect_navigation(url="**/today"):
                page.click(f"button[type=submit]:has-text('{words['login']}')")

            # Plan: today's calls.
            page.wait_for_selector("#calls tbody tr")
            no_horizontal_scroll(page)
            check_accessibility(page, "today")
            shoot(page, folder, "02_today")
            with page.expect_navigation(url="**/call"):
                page.click("#calls tbody tr:first-child a[href$='/call']")

            # Brief: prepared on request; the opening question is on the first screen.
            page.wait_for_selector("#prepare-brief")
            page.click("#prepare-brief")
            page.wait_for_selector("#opening")
            box = page.locator("#opening").bounding_box()
            assert box is not None and box["y"] < height, f"opening question at {box}"
            assert page.locator("#talking-points li").count() == 3
            assert "[order:" not in page.inner_text("#brief")
            no_horizontal_scroll(page)
            check_accessibility(page, "call page with brief")
            shoot(page, folder, "03_brief")

            # Upload with consent; the stage follows the server until the analysis.
            page.set_input_files("#upload-file", str(JFK))
            page.fill("input[name=given_by]", "Herr Kennedy")
            page.check("input[name=confirm]")
            page.click("#upload-button")
            page.wait_for_selector(f"#upload-stage .stage-label:has-text('{words['analysing']}')")
            check_accessibility(page, "upload in progress")
            shoot(page, folder, "04_upload_progress")
            recording = page.get_attribute("#upload-stage", "data-recording")
            assert recording

            # Lasting: the recording is listed in the rep's notes with its stage...
            page.goto(f"{server}/notes")
            row = page.locator(f"#open-recordings [data-recording='{recording}']")
            row.locator(f".stage-label:has-text('{words['analysing']}')").wait_for()
            no_horizontal_scroll(page)
            check_accessibility(page, "my notes with a recording in progress")
            shoot(page, folder, "05_notes_in_progress")

            # ...and on its own page, which shows the draft once it exists, without a reload.
            page.goto(f"{server}/recordings/{recording}")
            page.wait_for_selector("#recording [role=status]")
            assert page.locator("#recording .note-ready").is_hidden()
            check_accessibility(page, "recording page in progress")
            gate.open()
            page.wait_for_selector(
                "#recording .note-ready:not([hidden]) a.note-link[href^='/notes/']"
            )
            page.wait_for_selector(f"#recording .stage-label:has-text('{words['ready']}')")
            page.wait_for_selector("#recording .note-summary:not([hidden])")
            check_accessibility(page, "recording page with the draft")
            shoot(page, folder, "06_recording_draft_ready")
            with page.expect_navigation(url="**/notes/*"):
                page.click("#recording a.note-link")
            page.wait_for_selector("#note-status")
            shoot(page, folder, "07_draft_note")
        finally:
            browser.close()

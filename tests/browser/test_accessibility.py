"""What axe-core does not measure: the focus ring and input borders against their page (≥ 3:1).

WCAG 2.2 asks 3:1 for the parts of a control a person must see (1.4.11), and
a visible keyboard focus (2.4.7); the call page's drop area must not be a tab
stop that does nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_web_flow import (  # noqa: F401 - server is a fixture
    ARGS,
    CHROMIUM,
    _playwright,
    server,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

#: The relative luminance contrast of two CSS ``rgb(...)`` colours, in the page's script.
CONTRAST_JS = """([a, b]) => {
  const lum = (c) => {
    const [r, g, bl] = c.match(/[\\d.]+/g).slice(0, 3).map((v) => {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)];
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}"""


def contrast(page: Any, a: str, b: str) -> float:
    return float(page.evaluate(CONTRAST_JS, [a, b]))


def test_focus_ring_and_input_borders_stand_out_and_the_drop_area_is_no_dead_stop(
    server: str,  # noqa: F811
) -> None:
    sync_playwright = _playwright()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{server}/login")
            page.wait_for_selector("input[name=username]")
            background = page.evaluate(
                "getComputedStyle(document.querySelector('.card')).backgroundColor"
            )
            border = page.evaluate(
                "getComputedStyle(document.querySelector('input[name=username]')).borderTopColor"
            )
            assert contrast(page, border, background) >= 3, (border, background)
            # Keyboard focus on the first field: its ring stands out from the card.
            page.focus("input[name=tenant]")
            page.keyboard.press("Tab")
            ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
            width = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
            assert page.evaluate("document.activeElement.name") == "username"
            assert float(width.rstrip("px")) >= 2 and contrast(page, ring, background) >= 3

            page.fill("input[name=username]", "a.keller")
            page.fill("input[name=password]", "winback-demo")
            with page.expect_navigation(url="**/today"):
                page.click("button[type=submit]")
            link = page.locator("#calls a[href$='/call']").first.get_attribute("href")
            page.goto(f"{server}{link}")
            page.wait_for_selector("#upload-form")
            # Tab through the upload form: every stop is a control, never the drop area itself.
            page.focus("#prepare-brief")
            stops = []
            for _ in range(8):
                page.keyboard.press("Tab")
                stops.append(
                    page.evaluate("document.activeElement.id || document.activeElement.name")
                )
            assert "dropzone" not in stops and "upload-file" in stops, stops
        finally:
            browser.close()

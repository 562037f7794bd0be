"""axe-core in the browser tests: the copy bundled in ``axe-playwright-python`` (no network)."""

from __future__ import annotations

from typing import Any


def check_accessibility(page: Any, where: str) -> None:
    """axe-core on the page as it is now: no violations (the report lists them otherwise)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"

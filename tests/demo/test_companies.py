"""Invented names use reserved domains and phone ranges."""

from __future__ import annotations

import random

from agent.demo.companies import (
    DE_PHONE_PREFIXES,
    Place,
    ascii_slug,
    company_domain,
    email_for,
    phone_for,
)


def test_domain_and_email_are_ascii_and_reserved() -> None:
    domain = company_domain("Müller & Söhne Präzisionsteile GmbH & Co. KG")
    assert domain == "mueller-soehne-praezisionsteile.example"
    assert email_for("Jürgen", "Weiß", domain) == f"j.weiss@{domain}"
    assert ascii_slug("O'Brien") == "o-brien"


def test_phones_come_from_fictitious_ranges() -> None:
    rng = random.Random(1)
    de = phone_for(rng, Place("Ulm", "Deutschland", "de"))
    assert de is not None and any(de.startswith(p) for p in DE_PHONE_PREFIXES)
    assert len(de.rsplit(" ", 1)[1]) == 3
    assert phone_for(rng, Place("Leeds", "United Kingdom", "en")).startswith("+44 113 496 0")
    us = phone_for(rng, Place("Cleveland", "United States", "en", "216"))
    assert us is not None and us.startswith("+1 216 555-01")
    assert phone_for(rng, Place("Cork", "Ireland", "en")) is None

"""PII redaction: placeholders out, originals back only through our mapping."""

from __future__ import annotations

from agent.analysis.redaction import (
    Redactor,
    iban_valid,
    luhn_valid,
    name_parts,
    needs_redaction,
    redact,
)
from agent.settings import Settings

TEXT = (
    "Meine IBAN ist DE89 3704 0044 0532 0130 00, schreiben Sie an jana.ostrowski@rabe-guss.de "
    "oder rufen Sie +49 5121 123456 an. Unsere USt-IdNr. ist DE123456789, meine Steuer-ID "
    "12 345 678 901. Karte 4111 1111 1111 1111. Frau Ostrowski bestellt 4.000 Stück am 12.02.2026."
)


def test_redacts_every_kind_and_restores() -> None:
    result = redact(TEXT, names=name_parts("Dr. Jana Ostrowski (Gießereileiterin)"))
    for secret in (
        "DE89 3704 0044 0532 0130 00",
        "jana.ostrowski@rabe-guss.de",
        "+49 5121 123456",
        "DE123456789",
        "12 345 678 901",
        "4111 1111 1111 1111",
        "Ostrowski",
    ):
        assert secret not in result.text, secret
    kinds = {k.strip("[]").rsplit("_", 1)[0] for k in result.mapping}
    assert kinds == {"IBAN", "EMAIL", "PHONE", "VAT_ID", "TAX_ID", "CARD", "NAME"}
    # amounts and dates are not PII and stay readable for the model
    assert "4.000 Stück" in result.text and "12.02.2026" in result.text
    assert result.restore(result.text) == TEXT


def test_checksums_decide_for_iban_and_cards() -> None:
    assert iban_valid("DE89 3704 0044 0532 0130 00")
    assert not iban_valid("DE88 3704 0044 0532 0130 00")
    assert luhn_valid("4111 1111 1111 1111")
    assert not luhn_valid("4111 1111 1111 1112")
    text = redact("Bestellnummer 4111 1111 1111 1112").text
    assert "[CARD" not in text


def test_same_value_same_placeholder_across_texts() -> None:
    redactor = Redactor()
    a = redactor.redact("Mail an a.b@example.com")
    b = redactor.redact("nochmal: a.b@example.com")
    assert a.endswith("[EMAIL_1]") and b.endswith("[EMAIL_1]")
    assert redactor.mapping == {"[EMAIL_1]": "a.b@example.com"}


def test_only_non_local_backends_need_redaction() -> None:
    assert not needs_redaction(Settings(chat_backend="local"))
    assert not needs_redaction(Settings(chat_backend="fake"))
    assert needs_redaction(Settings(chat_backend="openai"))

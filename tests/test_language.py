"""The stop-word language check used for briefs and the brief eval."""

from agent.language import guess_language, is_language


def test_guesses_german_and_english() -> None:
    assert guess_language("Wir haben lange nichts mehr von Ihnen gehört, was ist los?") == "de"
    assert guess_language("We have not heard from you in a long time, what is wrong?") == "en"
    assert guess_language("OK.") is None


def test_is_language() -> None:
    assert is_language("Die Lieferung kam zu spät und war nicht vollständig.", "de")
    assert not is_language("The delivery was late and it was not complete.", "de")
    assert is_language("Danke!", "en")  # too short to tell: not held against the text

"""The summary of a call note, composed by code from the decided fields and verbatim quotes.

With the small local model the summary is not written by a model at all:
it says what the fields say (outcome, churn reasons, agreed steps), each
with the customer's own words in quotation marks, from reviewed sentence
templates in German and English (``[summary]`` in the catalogue). So it is
grammatical, in the call's language, and cannot state a discount, an order
or a reactivation that the fields do not hold: every sentence, quotes
included, passes :mod:`agent.analysis.support`, and an uncertain field is
named as uncertain rather than guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from agent.analysis.schema import CallAnalysis, Turn
from agent.analysis.support import problems
from agent.catalogue.vocabulary import vocabulary

#: Quotes in the summary are cut to this many characters.
SUMMARY_QUOTE_CHARS = 160
_OPEN = {"de": "„", "en": "“"}
_CLOSE = {"de": "“", "en": "”"}


def _quoted(text: str | None, language: str) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    if len(text) > SUMMARY_QUOTE_CHARS:
        text = text[:SUMMARY_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{_OPEN[language]}{text}{_CLOSE[language]}"


def _date(value: date, language: str) -> str:
    fmt = vocabulary().summary[language]["date_format"]
    return value.strftime(fmt)


def compose(
    analysis: CallAnalysis, turns: Sequence[Turn], *, instructed: bool = False
) -> tuple[str, list[str]]:
    """The summary of ``analysis`` and a warning for every quote left out as unsupported."""
    lang = analysis.language
    vocab = vocabulary()
    t = vocab.summary[lang]
    warnings: list[str] = []

    def checked(quote: str | None) -> str | None:
        """The quote in quotation marks, or None when it states what the fields do not hold."""
        if not quote:
            return None
        found = problems(quote, lang, analysis)
        if found:
            warnings.append(f"quote left out of the summary ({found[0].detail}): {quote[:100]}")
            return None
        return _quoted(quote, lang)

    parts: list[str] = []
    outcome = analysis.outcome
    if outcome is None:
        # The candidates are shown beside the summary, not in it: naming "reactivated" as a
        # possibility in the text would read as a claim.
        parts.append(t["outcome_uncertain"])
    else:
        quote = checked(analysis.outcome_evidence)
        key: str = outcome
        if outcome == "not_now" and quote:
            key = "not_now_quote"
        template = t[key]
        if "{quote}" in template:
            parts.append(template.format(quote=quote) if quote else
                         vocab.outcome_name(outcome, lang).capitalize() + ".")  # fmt: skip
        else:
            parts.append(template)
    if instructed:
        parts.append(t["instruction"])
        if outcome != "reactivated":
            parts.append(t["no_order"])

    items = []
    for reason in analysis.churn_reasons:
        quote = checked(reason.evidence)
        name = vocab.reason_name(reason.code, lang)
        items.append(t["reason_item"].format(name=name, quote=quote) if quote else name)
    parts.append(t["reasons"].format(items="; ".join(items)) if items else t["no_reason"])
    open_reasons = [vocab.reason_name(c.code, lang)
                    for u in analysis.uncertain if u.field == "churn_reasons"
                    for c in u.candidates]  # fmt: skip
    if open_reasons:
        parts.append(t["reasons_uncertain"].format(names=", ".join(open_reasons)))

    steps = []
    for step in analysis.next_steps:
        if step.type == "none":
            continue
        text = vocab.step_name(step.type, lang)
        extras = []
        if step.owner == "customer":
            extras.append(t["step_customer"])
        if step.due_date:
            extras.append(t["step_due"].format(date=_date(step.due_date, lang)))
        text = f"{text} ({', '.join(extras)})" if extras else text
        quote = checked(step.description) if step.description else None
        steps.append(f"{text}: {quote}" if quote else text)
    parts.append(t["steps"].format(items="; ".join(steps)) if steps else t["no_step"])
    return " ".join(parts), warnings

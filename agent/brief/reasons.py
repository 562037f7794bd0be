"""The table of evidence: likely churn reasons, whether to call, strategies and incentives.

All of it is decided by code from the account's history, so it is repeatable
and every hypothesis carries dated quotes from the records behind it:

* reasons labelled on earlier analysed calls (strongest evidence),
* the account's CRM status (insolvent, lost, do not contact),
* notes, complaints, call summaries and transcript chunks matched against the
  catalogue's German and English cue words per churn-reason code (on word
  boundaries, negated mentions excepted).

Cue words are plain; the confidence says how much to trust them.
"""

from __future__ import annotations

import re
from datetime import date

from dateutil.relativedelta import relativedelta

from agent.brief.facts import fmt_date
from agent.brief.schema import ChurnHypothesis, Claim, Evidence
from agent.catalogue.cues import CueHit, reason_matcher
from agent.catalogue.vocabulary import LANGUAGES, vocabulary
from agent.codes import ReasonCode, ReasonGroup, parse_reason
from agent.history.retrieval import AccountHistory

HESITANT_REASONS = {"price_terms", "competitor_offer"}
WRITTEN_OFF_OUTCOMES = {"lost", "disqualified"}


def _group(code: ReasonCode) -> ReasonGroup:
    return vocabulary().reasons[code].group


def _cues(text: str) -> dict[str, CueHit]:
    """Code -> its first cue hit (not negated) in ``text``, German or English."""
    found: dict[str, CueHit] = {}
    for language in LANGUAGES:
        for code, hit in reason_matcher(language).codes(text).items():
            found.setdefault(code, hit)
    return found


def _quote(text: str, hit: CueHit, limit: int = 220) -> str:
    """The sentence of ``text`` that contains the cue ``hit``, shortened."""
    start = 0
    for part in re.split(r"((?<=[.!?])\s+|\n)", text):
        end = start + len(part)
        if start <= hit.start < end and part.strip():
            sentence = part.strip()
            return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
        start = end
    return text[:limit]


def _texts(history: AccountHistory) -> list[tuple[str, date | None, str, bool]]:
    """(source id, day, text, is complaint) of every text the lexicon looks at."""
    items: list[tuple[str, date | None, str, bool]] = []
    seen: set[str] = set()
    for note in history.notes:
        text = "\n".join(str(note.fields.get(k) or "") for k in ("subject", "body"))
        items.append((note.source_id, note.day, text, note.fields.get("kind") == "complaint"))
        seen.add(note.source_id)
    for call in history.calls:
        items.append((call.source_id, call.day, call.summary, False))
        seen.add(call.source_id)
    for hit in history.hits:
        if hit.chunk.source_id not in seen:
            items.append((hit.chunk.source_id, hit.chunk.day, hit.chunk.text, False))
    return items


def hypotheses(history: AccountHistory, max_items: int = 3) -> list[ChurnHypothesis]:
    """Likely churn reasons with evidence, strongest first."""
    found: dict[str, ChurnHypothesis] = {}
    for call in history.calls:
        for code in call.reasons:
            hyp = found.setdefault(
                code,
                ChurnHypothesis(code=code, group=_group(code), confidence=0.0, basis=""),
            )
            hyp.confidence = max(hyp.confidence, 0.8 if call.status == "approved" else 0.6)
            hyp.basis = "call_label"
            hyp.evidence.append(
                Evidence(source=call.source_id, day=call.day, quote=call.summary[:220])
            )
    account = history.account
    if account.status.value == "insolvent":
        found["insolvency"] = ChurnHypothesis(
            code="insolvency",
            group="external",
            confidence=0.95,
            basis="crm_status",
            evidence=[
                Evidence(
                    source=history.account_record.source_id,
                    quote=account.status_reason or "status: insolvent",
                )
            ],
        )
    matches: dict[ReasonCode, list[tuple[str, date | None, str, bool]]] = {}
    for source, day, text, complaint in _texts(history):
        for cue_code, hit in _cues(text).items():
            entry = (source, day, _quote(text, hit), complaint)
            matches.setdefault(parse_reason(cue_code), []).append(entry)
    for code, items in matches.items():
        confidence = 0.3 + 0.15 * min(len(items), 3) + (0.1 if any(c for *_, c in items) else 0)
        known_hyp = found.get(code)
        if known_hyp is None:
            known_hyp = found[code] = ChurnHypothesis(
                code=code,
                group=_group(code),
                confidence=0.0,
                basis="keywords",
            )
        hyp = known_hyp
        hyp.confidence = round(max(hyp.confidence, min(confidence, 0.85)), 2)
        known = {e.source for e in hyp.evidence}
        for source, day, quote, _ in items[:3]:
            if source not in known:
                hyp.evidence.append(Evidence(source=source, day=day, quote=quote))
    ranked = sorted(found.values(), key=lambda h: (-h.confidence, h.code))
    return ranked[:max_items]


def call_decision(
    history: AccountHistory, hyps: list[ChurnHypothesis], language: str, inactive_months: int
) -> tuple[bool, str]:
    """Whether to call at all (method steps 1 and 3) and why, in ``language``."""
    de = language == "de"
    account = history.account
    reason = f" ({account.status_reason})" if account.status_reason else ""
    if account.status.value != "active":
        return False, (
            f"Nicht anrufen: Der Kunde ist im CRM als '{account.status.value}' markiert{reason}."
            if de
            else f"Don't call: the account is marked '{account.status.value}' in the CRM{reason}."
        )
    for call in history.calls:
        if call.outcome in WRITTEN_OFF_OUTCOMES:
            day = fmt_date(call.day, language) if call.day else "?"
            return False, (
                f"Nicht anrufen: Beim Anruf am {day} wurde ein dauerhafter Grund genannt "
                f"(Ergebnis '{call.outcome}'); der Kunde ist abgeschrieben."
                if de
                else f"Don't call: the call on {day} ended with a lasting reason (outcome "
                f"'{call.outcome}'); the account is written off."
            )
    if any(h.code == "insolvency" and h.confidence >= 0.6 for h in hyps):
        return False, (
            "Nicht anrufen, erst klären: Die Notizen deuten auf Zahlungsprobleme oder Insolvenz."
            if de
            else "Don't call yet: the notes point to payment problems or insolvency; check first."
        )
    if not history.orders:
        return False, (
            "Nicht anrufen: Es gibt keine Bestellungen, also nichts zurückzugewinnen."
            if de
            else "Don't call: there are no orders, so there is nothing to win back."
        )
    last = history.orders[-1].day
    assert last is not None
    if last >= history.as_of - relativedelta(months=inactive_months):
        return False, (
            f"Kein Rückgewinnungsfall: Die letzte Bestellung am {fmt_date(last, language)} "
            f"liegt weniger als {inactive_months} Monate zurück."
            if de
            else f"Not a win-back case: the last order on {fmt_date(last, language)} is less than "
            f"{inactive_months} months ago."
        )
    return True, (
        f"Anrufen: Seit der letzten Bestellung am {fmt_date(last, language)} ist mehr als "
        f"{inactive_months} Monate nichts mehr gekommen."
        if de
        else f"Call: nothing has been ordered since {fmt_date(last, language)}, more than "
        f"{inactive_months} months ago."
    )


def incentive(history: AccountHistory, hyps: list[ChurnHypothesis], language: str) -> Claim | None:
    """An incentive idea ("Rückholköder") when the customer looks hesitant, else ``None``."""
    hesitant = [h for h in hyps if h.code in HESITANT_REASONS]
    open_call = next((c for c in history.calls if c.outcome in ("not_now", "follow_up")), None)
    if not hesitant and open_call is None:
        return None
    sources = [e.source for h in hesitant for e in h.evidence[:1]]
    if open_call:
        sources.append(open_call.source_id)
    if any(h.code == "price_terms" for h in hesitant) or any(
        h.code == "competitor_offer" for h in hesitant
    ):
        text = (
            "Rückholköder: eine Sonderkondition für die erste Bestellung nach der Pause anbieten "
            "(Höhe vorher mit der Vertriebsleitung abstimmen), dazu kostenlose Muster eines neuen "
            "Produkts."
            if language == "de"
            else "Incentive: offer special terms on the first order after the break (agree the "
            "amount with sales management first), plus free samples of a new product."
        )
    else:
        text = (
            "Rückholköder: kostenlose Muster eines neuen Produkts anbieten – zurückkehrende "
            "Kunden sind gute Erstkäufer neuer Produkte."
            if language == "de"
            else "Incentive: offer free samples of a new product – returning customers are "
            "good first buyers of new products."
        )
    return Claim(text=text, sources=sorted(set(sources)))

"""The objection playbook: likely objections, answers and what to avoid, per churn reason.

Objections and "what to avoid" follow from the churn-reason hypotheses and
DESIGN.md's situation -> strategy table, not from the account's numbers, so
code writes them from the reviewed playbook of the catalogue
(``[reasons.<code>.playbook]`` in ``agent/catalogue/data/``) in both languages.
The model's few output tokens go to the parts that need the account's history
(situation, opening question, talking points); on this CPU every generated
token costs about a tenth of a second.
"""

from __future__ import annotations

from agent.brief.schema import STRATEGIES, ChurnHypothesis, Claim, Objection
from agent.catalogue.vocabulary import Play, vocabulary


def plays(hyps: list[ChurnHypothesis], limit: int = 2) -> list[tuple[Play, list[str]]]:
    """The plays for the strongest hypotheses (with their evidence sources), else the default."""
    vocab = vocabulary()
    chosen = [
        (vocab.reasons[h.code].play, sorted({e.source for e in h.evidence[:2]}))
        for h in sorted(hyps, key=lambda h: -h.confidence)
        if h.code in vocab.reasons
    ]
    return chosen[:limit] or [(vocab.unknown_play, [])]


def objections(hyps: list[ChurnHypothesis], language: str) -> list[Objection]:
    """Likely objections with answers that follow the situation's strategy."""
    return [
        Objection(
            situation=play.situation,
            strategy=STRATEGIES[play.situation][language],
            objection=play.objection[language],
            answer=play.answer[language],
            sources=sources,
        )
        for play, sources in plays(hyps)
    ]


def avoid(hyps: list[ChurnHypothesis], language: str) -> list[Claim]:
    """What the rep should not do in this call."""
    return [Claim(text=play.avoid[language]) for play, _ in plays(hyps)]

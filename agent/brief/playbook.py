"""The objection playbook: likely objections, answers and what to avoid, per churn reason.

Objections and "what to avoid" follow from the churn-reason hypotheses and
DESIGN.md's situation -> strategy table, not from the account's numbers, so
code writes them from this reviewed table in both languages. The model's
few output tokens go to the parts that need the account's history
(situation, opening question, talking points); on this CPU every generated
token costs about a tenth of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.brief.schema import STRATEGIES, ChurnHypothesis, Claim, Objection


@dataclass(frozen=True)
class Play:
    """What a customer who left for one reason is likely to say, and how to answer."""

    situation: str
    objection: dict[str, str]
    answer: dict[str, str]
    avoid: dict[str, str]


PLAYBOOK: dict[str, Play] = {
    "delivery_reliability": Play(
        "unexpected_reaction",
        {
            "de": "Bei Ihnen kamen die Lieferungen zu oft zu spät oder unvollständig.",
            "en": "Your deliveries were too often late or incomplete.",
        },
        {
            "de": "Den Fehler offen zugeben, fragen, welche Lieferung am meisten geschadet hat, "
            "und sagen, was sich in der Logistik seitdem geändert hat.",
            "en": "Admit the failure openly, ask which delivery hurt most and say what has "
            "changed in our logistics since.",
        },
        {
            "de": "Die Lieferprobleme nicht kleinreden oder auf den Spediteur schieben.",
            "en": "Do not play down the delivery problems or blame the carrier.",
        },
    ),
    "delivery_speed": Play(
        "status_quo",
        {
            "de": "Ein anderer Lieferant liefert uns schneller.",
            "en": "Another supplier delivers faster.",
        },
        {
            "de": "Fragen, welche Lieferzeit der Kunde wirklich braucht, und Lager- oder "
            "Expressoptionen für seine wichtigsten Artikel prüfen.",
            "en": "Ask which lead time the customer really needs and check stock or express "
            "options for their key items.",
        },
        {
            "de": "Keine Lieferzeit zusagen, die nicht mit der Logistik abgestimmt ist.",
            "en": "Do not promise a lead time that logistics has not confirmed.",
        },
    ),
    "product_quality": Play(
        "unexpected_reaction",
        {
            "de": "Mit der Qualität Ihrer Ware hatten wir zu viele Probleme.",
            "en": "We had too many problems with the quality of your goods.",
        },
        {
            "de": "Nach dem konkreten Mangel fragen, die Ursache und die Abhilfe erklären und "
            "ein Muster zur Prüfung anbieten.",
            "en": "Ask about the specific defect, explain the cause and the fix, and offer a "
            "sample for testing.",
        },
        {
            "de": "Die Reklamation nicht als erledigt darstellen, bevor der Kunde das bestätigt.",
            "en": "Do not call the complaint settled before the customer agrees it is.",
        },
    ),
    "service_neglect": Play(
        "uncertain_status",
        {
            "de": "Bei Ihnen hat sich ja niemand mehr gemeldet.",
            "en": "Nobody from your side got in touch any more.",
        },
        {
            "de": "Das Versäumnis anerkennen, einen festen Ansprechpartner nennen und regelmäßige "
            "Rückmeldungen anbieten.",
            "en": "Acknowledge the neglect, name a fixed contact person and offer regular "
            "check-ins.",
        },
        {
            "de": "Nicht gleich verkaufen wollen, bevor der Kunde sich gehört fühlt.",
            "en": "Do not start selling before the customer feels heard.",
        },
    ),
    "poor_treatment": Play(
        "right_tone",
        {
            "de": "So, wie man uns damals behandelt hat, arbeiten wir nicht mehr mit Ihnen.",
            "en": "After the way we were treated, we do not want to work with you.",
        },
        {
            "de": "Sich ohne Ausreden entschuldigen, zuhören und um offenes Feedback bitten, "
            "wie die Zusammenarbeit wieder passen kann.",
            "en": "Apologise without excuses, listen, and ask for open feedback on how the "
            "relationship could work again.",
        },
        {
            "de": "Den damaligen Vorfall nicht rechtfertigen oder dem Kunden die Schuld geben.",
            "en": "Do not justify the incident or put the blame on the customer.",
        },
    ),
    "price_terms": Play(
        "hesitant",
        {
            "de": "Ihre Preise und Konditionen sind uns zu hoch.",
            "en": "Your prices and terms are too high for us.",
        },
        {
            "de": "Nach Bedarf und Mengen fragen, den Gesamtnutzen zeigen und eine mit der "
            "Vertriebsleitung abgestimmte Sonderkondition für die erste Bestellung anbieten.",
            "en": "Ask about needs and volumes, show the overall value, and offer special terms "
            "for the first order agreed with sales management.",
        },
        {
            "de": "Nicht mit einem Rabatt eröffnen, bevor der Bedarf geklärt ist.",
            "en": "Do not open with a discount before the need is clear.",
        },
    ),
    "competitor_offer": Play(
        "hesitant",
        {
            "de": "Wir haben inzwischen einen anderen Lieferanten, der uns ein gutes Angebot "
            "macht.",
            "en": "We now have another supplier who gives us a good offer.",
        },
        {
            "de": "Fragen, was am neuen Angebot überzeugt, und eine Testbestellung oder ein "
            "Muster als unverbindlichen Vergleich anbieten.",
            "en": "Ask what convinced them about the new offer and suggest a trial order or a "
            "sample as a no-obligation comparison.",
        },
        {
            "de": "Den Wettbewerber nicht schlechtreden.",
            "en": "Do not run down the competitor.",
        },
    ),
    "buyer_change": Play(
        "inefficiency",
        {
            "de": "Bei uns entscheidet jetzt jemand anderes über die Lieferanten.",
            "en": "Someone else decides on suppliers here now.",
        },
        {
            "de": "Nach dem neuen Entscheider fragen, sich vorstellen lassen und die "
            "Kontaktdaten im CRM aktualisieren.",
            "en": "Ask for the new decision-maker, ask to be introduced and update the contact "
            "in the CRM.",
        },
        {
            "de": "Nicht voraussetzen, dass der neue Ansprechpartner die frühere Zusammenarbeit "
            "kennt.",
            "en": "Do not assume the new contact knows the earlier business.",
        },
    ),
    "insolvency": Play(
        "uncertain_status",
        {
            "de": "Wir müssen gerade jede Ausgabe genau prüfen.",
            "en": "We have to scrutinise every expense right now.",
        },
        {
            "de": "Verständnis zeigen, behutsam nach der Lage fragen und die Zahlungsbedingungen "
            "vor einer Bestellung mit der Buchhaltung klären.",
            "en": "Show understanding, ask gently about the situation and clear payment terms "
            "with accounting before any order.",
        },
        {
            "de": "Nicht nach Gerüchten über die finanzielle Lage fragen oder Druck machen.",
            "en": "Do not ask about rumours of financial trouble or put on pressure.",
        },
    ),
    "need_gone": Play(
        "inefficiency",
        {
            "de": "Das brauchen wir gar nicht mehr.",
            "en": "We no longer need that.",
        },
        {
            "de": "Fragen, was sich im Betrieb geändert hat, und prüfen, ob andere Produkte aus "
            "dem Sortiment zum neuen Bedarf passen.",
            "en": "Ask what has changed in their operations and check whether other products "
            "from the range fit the new need.",
        },
        {
            "de": "Nicht die alten Produkte anbieten, als hätte sich nichts geändert.",
            "en": "Do not offer the old products as if nothing had changed.",
        },
    ),
    "other": Play(
        "uncertain_status",
        {
            "de": "Im Moment passt es bei uns einfach nicht.",
            "en": "It just does not fit for us at the moment.",
        },
        {
            "de": "Offen nach dem Grund fragen, zuhören und einen späteren Kontakt vereinbaren.",
            "en": "Ask openly for the reason, listen, and agree on a later contact.",
        },
        {
            "de": "Keinen Grund unterstellen, den der Kunde nicht selbst nennt.",
            "en": "Do not assume a reason the customer has not given.",
        },
    ),
}

#: When no reason is known: the customer simply drifted away.
UNKNOWN = Play(
    "uncertain_status",
    {
        "de": "Wir sind mit unserem jetzigen Lieferanten eigentlich zufrieden.",
        "en": "We are actually happy with our current supplier.",
    },
    {
        "de": "Nach Feedback fragen: was damals gefehlt hat und was heute wichtig wäre.",
        "en": "Ask for feedback: what was missing back then and what would matter today.",
    },
    {
        "de": "Keinen Abwanderungsgrund unterstellen; erst fragen, dann anbieten.",
        "en": "Do not assume a churn reason; ask first, offer later.",
    },
)


def plays(hyps: list[ChurnHypothesis], limit: int = 2) -> list[tuple[Play, list[str]]]:
    """The plays for the strongest hypotheses (with their evidence sources), else the default."""
    chosen = [
        (PLAYBOOK[h.code], sorted({e.source for e in h.evidence[:2]}))
        for h in sorted(hyps, key=lambda h: -h.confidence)
        if h.code in PLAYBOOK
    ]
    return chosen[:limit] or [(UNKNOWN, [])]


def objections(hyps: list[ChurnHypothesis], language: str) -> list[Objection]:
    """Likely objections with answers that follow the situation's strategy."""
    return [
        Objection(
            situation=play.situation,  # type: ignore[arg-type]
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

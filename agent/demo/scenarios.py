"""Churn stories of the demo tenant: which causes occur how often, and the notes they leave.

Each lapsed demo account gets one hidden cause (a churn-reason code from
DESIGN.md). The cause decides what the CRM history shows (the note texts are
in :mod:`agent.demo.note_templates`), whether the order volume fades out and
whether the account ends up excluded from calls. Internal causes dominate, as
the practitioner articles report (about nine in ten reasons are the
supplier's own doing).
"""

from __future__ import annotations

#: Relative frequency of each cause among lapsed accounts (internal ≈ 85%).
CAUSE_WEIGHTS: dict[str, int] = {
    "delivery_reliability": 20,
    "service_neglect": 16,
    "product_quality": 14,
    "price_terms": 13,
    "delivery_speed": 12,
    "poor_treatment": 10,
    "competitor_offer": 5,
    "buyer_change": 4,
    "insolvency": 4,
    "need_gone": 2,
}
#: Causes whose order volume fades out before the last order (others stop abruptly).
GRADUAL_CAUSES = frozenset(
    {
        "delivery_reliability",
        "delivery_speed",
        "product_quality",
        "service_neglect",
        "price_terms",
        "insolvency",
        "need_gone",
    }
)

#: Status texts for accounts marked as not worth calling.
STATUS_REASONS: dict[str, dict[str, str]] = {
    "insolvent": {
        "de": "Insolvenzverfahren eröffnet (Amtsgericht), Geschäftsbetrieb eingestellt.",
        "en": "Insolvency proceedings opened; the business has ceased trading.",
    },
    "lost": {
        "de": "Kunde hat dauerhaft auf anderen Lieferanten umgestellt (Rahmenvertrag).",
        "en": "Customer moved to another supplier for good (framework agreement).",
    },
    "lost_need": {
        "de": "Bedarf entfällt dauerhaft nach Umstellung der Fertigung.",
        "en": "Need gone for good after a process change.",
    },
    "do_not_contact": {
        "de": "Kunde wünscht ausdrücklich keine weiteren Anrufe.",
        "en": "Customer explicitly asked not to be called again.",
    },
}

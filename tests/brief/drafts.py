"""Scripted model replies for the brief tests (the only fake: the chat model)."""

from __future__ import annotations

import json
from typing import Any

from agent.brief.facts import build_facts
from agent.crm.db import Store, get_tenant
from agent.history.retrieval import retrieve
from tests.history.fixtures import AS_OF


def facts_of(store: Store, tenant: str, account: str, language: str) -> dict[str, Any]:
    """The key facts the generator will build, by topic (first of each topic)."""
    with store.session() as s:
        history = retrieve(s, get_tenant(s, tenant).id, account, AS_OF)
        facts = build_facts(history, language)
    by_topic: dict[str, Any] = {}
    for fact in facts:
        by_topic.setdefault(fact.topic, fact)
    return by_topic


def good_draft(facts: dict[str, Any], language: str = "de", **changes: Any) -> str:
    """A draft a good model would write: sentences copy facts and cite their ids."""
    last, orders = facts["last_order"], facts["orders"]
    de = language == "de"
    draft: dict[str, Any] = {
        "situation": [
            {"text": f"{orders.text}.", "facts": [orders.id]},
            {"text": f"{last.text}.", "facts": [last.id]},
            {
                "text": (
                    "Seitdem hat der Kunde nichts mehr bei uns bestellt."
                    if de
                    else "Since then the customer has not ordered from us."
                ),
                "facts": [last.id],
            },
        ],
        "opening_question": {
            "text": (
                "Wie geht es Ihnen? Wir haben lange nichts mehr von Ihnen gehört – was können "
                "wir tun, damit Sie wieder gerne bei uns einkaufen?"
                if de
                else "How are you? We haven't heard from you in a while – what can we do for you?"
            ),
            "facts": [],
        },
        "talking_points": [
            {
                "text": "Fragen Sie nach den Erfahrungen mit unseren Lieferungen."
                if de
                else "Ask about their experience with our deliveries.",
                "facts": [],
            },
            {
                "text": "Bieten Sie an, die Ursachen der Verspätungen zu klären."
                if de
                else "Offer to look into the causes of the problems.",
                "facts": [],
            },
            {"text": f"{last.text}.", "facts": [last.id]},
        ],
    }
    draft.update(changes)
    return json.dumps(draft, ensure_ascii=False)

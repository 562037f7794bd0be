"""Which parts of a stored brief a language model wrote: the parts marked "AI-generated".

The brief page and the API's brief JSON both mark them, and both ask
:func:`ai_parts`, so the two cannot disagree. Code always writes the facts,
the evidence table, the objections and what to avoid (the reviewed
playbook); of the sentence parts, the brief design (:mod:`agent.brief.designs`)
decides which the model writes, and the generator records the decision in
the brief's ``authored`` (``"situation" -> "code" | "model"``).
"""

from __future__ import annotations

from agent.brief.schema import RULES_MODEL
from agent.crm.models import StoredBrief

#: The parts of a brief a language model can write, in the order the brief shows them.
MODEL_PARTS = ("situation", "opening_question", "talking_points")


def ai_parts(row: StoredBrief | None) -> set[str]:
    """The parts of the stored brief ``row`` that a language model wrote.

    A brief written by code alone (a written-off account, no history) has
    none; with the ``compact`` design only the opening question is the
    model's. A brief stored before ``authored`` was recorded counts every
    part a model can write as the model's, since nothing says otherwise.
    """
    if not (row and row.model and row.model != RULES_MODEL):
        return set()
    authored = (row.content or {}).get("authored") or {}
    return {part for part in MODEL_PARTS if authored.get(part, "model") == "model"}

"""The brief's designs by name: who writes the situation, opening question and talking points.

The ``brief_design`` setting picks one (``auto``: ``compact`` with the local
model, else ``full``; :func:`agent.brief.generator.design_of`):

* ``compact``: code writes the situation and the talking points from the
  records (:mod:`agent.brief.compose`), the model only the opening question
  (:class:`QuestionDraft`), which takes about 10 s on two cores instead of
  45-110 s for a whole draft (figures in evals/README.md);
* ``full``: the model writes the bounded :class:`BriefDraft` (situation,
  opening question, talking points).

A design says what code writes, what the model is asked (prompt, schema,
token budget) and how the sentences the grounding check rejected are asked
for again; :func:`agent.brief.generator.generate_brief` runs the check and
the fallbacks the same way for every design.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from agent.brief import compose
from agent.brief.facts import fmt_date
from agent.brief.grounding import check_claim
from agent.brief.schema import (
    Brief,
    BriefDraft,
    Claim,
    DraftSentence,
    Flag,
    KeyFact,
    QuestionDraft,
    Redo,
)
from agent.catalogue.vocabulary import vocabulary
from agent.history.records import RecordBook
from agent.history.retrieval import AccountHistory
from agent.llm.structured import generate_structured
from agent.llm.usage import Usage
from agent.prompts import fence, render_prompt
from agent.settings import Settings

#: Room for the bounded draft; German text costs the Qwen tokenizer about 1.5x English.
DRAFT_MAX_TOKENS = 600
#: Room for the opening question alone (at most 30 words plus its JSON).
QUESTION_MAX_TOKENS = 120

#: Phone numbers stay in the brief's facts but are left out of the prompt (tokens).
_PHONE = re.compile(r",\s*\+?[\d][\d\s/()-]{5,}$")


def _excerpts(history: AccountHistory, limit: int = 3, chars: int = 220) -> str:
    items: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for record in history.open_complaints:
        body = " ".join(str(record.fields.get(k) or "") for k in ("subject", "body"))
        items.append((record.source_id, record.day.isoformat() if record.day else "", body))
        seen.add(record.source_id)
    for hit in history.hits:
        if hit.chunk.source_id not in seen:
            items.append((hit.chunk.source_id, hit.chunk.day.isoformat(), hit.chunk.text))
            seen.add(hit.chunk.source_id)
    lines = []
    for source, day, text in items[:limit]:
        text = " ".join(text.split())
        lines.append(f"[{source}, {day}] {text[:chars]}")
    return fence("\n".join(lines)) if lines else "-"


def _messages(brief: Brief, history: AccountHistory) -> list[BaseMessage]:
    lang = brief.language
    facts = "\n".join(f"{f.id}: {_PHONE.sub('', f.text)}" for f in brief.key_facts)
    reasons = (
        "\n".join(
            f"- {h.code} ({h.group}, {h.confidence:.2f}): "
            + ", ".join(e.source for e in h.evidence[:3])
            for h in brief.churn_hypotheses
        )
        or "-"
    )
    # The system prompt is the same for every account, so llama.cpp can reuse its
    # evaluated prefix from one brief to the next; everything per account follows.
    system = render_prompt(f"brief/system_{lang}")
    data = render_prompt(
        f"brief/data_{lang}",
        as_of=fmt_date(brief.as_of, lang),
        facts=fence(facts),
        reasons=reasons,
        excerpts=_excerpts(history),
    )
    return [SystemMessage(content=system), HumanMessage(content=data)]


def _topic(brief: Brief, history: AccountHistory, lang: str) -> str:
    """The main topic the opening question should take up, with its fact id."""
    by_topic: dict[str, KeyFact] = {}
    for fact in brief.key_facts:
        by_topic.setdefault(fact.topic, fact)
    if "complaint" in by_topic and history.open_complaints:
        note = history.open_complaints[0].fields
        subject = " ".join(str(note.get("subject") or note.get("body") or "").split())[:80]
        label = "offene Reklamation „{}“" if lang == "de" else 'open complaint "{}"'
        return f"{label.format(subject)} ({by_topic['complaint'].id})"
    if brief.churn_hypotheses:
        # The reason and the question behind it (reviewed, per code); the model phrases the
        # opening question around it. Asked for the reason alone, the 1.5B model wrote
        # "wie decken Sie heute Ihren Bedarf an Preise und Konditionen".
        code = brief.churn_hypotheses[0].code
        core = "Kernfrage" if lang == "de" else "core question"
        vocab = vocabulary()
        return f"{vocab.reason_name(code, lang)} – {core}: {vocab.reasons[code].question[lang]}"
    if history.top_products:
        # The item's name without its code and pack size: the question names no numbers.
        name = compose.item_name(history.top_products[0].description)
        label = "meistgekaufter Artikel" if lang == "de" else "item bought most"
        product = by_topic.get("product")
        return f"{label}: {name}" + (f" ({product.id})" if product else "")
    return "-"


def _question_messages(brief: Brief, history: AccountHistory) -> list[BaseMessage]:
    """The short prompt for the opening question alone (``compact`` design)."""
    lang = brief.language
    shown: list[KeyFact] = []
    seen: set[str] = set()
    for fact in brief.key_facts:
        if fact.topic in ("account", "last_order", "complaint", "call", "product", "contact") and (
            fact.topic not in seen or fact.topic == "complaint"
        ):
            seen.add(fact.topic)
            shown.append(fact)
    lines = []
    for f in shown:
        text = _PHONE.sub("", f.text)
        if f.topic == "product" and history.top_products:
            # The item by its plain name: copied into the question, codes and sizes jar.
            text = (
                text.split(":")[0] + ": " + compose.item_name(history.top_products[0].description)
            )
        lines.append(f"{f.id}: {text}")
    facts = "\n".join(lines)
    system = render_prompt(f"brief/question_system_{lang}")
    data = render_prompt(
        f"brief/question_data_{lang}",
        facts=fence(facts),
        # The topic quotes a complaint's subject: CRM text, so it is fenced as data too.
        topic=fence(_topic(brief, history, lang)),
    )
    return [SystemMessage(content=system), HumanMessage(content=data)]


def _claim(sentence: DraftSentence | QuestionDraft, facts: dict[str, KeyFact]) -> Claim:
    sources: list[str] = []
    for fid in sentence.facts:
        # An unknown fact id becomes a citation of a record that does not exist,
        # so the checker rejects it like any other bad citation.
        for source in facts[fid].sources if fid in facts else [f"fact:{fid}"]:
            if source not in sources:
                sources.append(source)
    return Claim(text=sentence.text.strip(), sources=sources, facts=list(sentence.facts))


def _parts(draft: BriefDraft, facts: dict[str, KeyFact]) -> dict[str, Claim]:
    """The draft as brief parts keyed by name (``situation[0]``, ``opening_question`` ...)."""
    parts: dict[str, Claim] = {}
    for i, s in enumerate(draft.situation):
        parts[f"situation[{i}]"] = _claim(s, facts)
    parts["opening_question"] = _claim(draft.opening_question, facts)
    for i, s in enumerate(draft.talking_points):
        parts[f"talking_points[{i}]"] = _claim(s, facts)
    return parts


def _code_parts(
    brief: Brief, history: AccountHistory, book: RecordBook, names: list[str]
) -> dict[str, Claim]:
    """The situation and talking points written by code, checked like any other sentence.

    A composed sentence that fails the check is a bug; it is removed and flagged
    so that it shows, never sent to the model.
    """
    hyps = brief.churn_hypotheses
    parts: dict[str, Claim] = {}
    for prefix, claims in (
        ("situation", compose.situation(history, hyps, brief.language)),
        ("talking_points", compose.talking_points(history, hyps, brief.language)),
    ):
        for i, claim in enumerate(claims):
            problems = check_claim(claim, book, names, require_source=prefix == "situation")
            if problems:
                brief.flags.append(
                    Flag(part=f"{prefix}[{i}]", reason="; ".join(problems), text=claim.text)
                )
            else:
                parts[f"{prefix}[{i}]"] = claim
    return parts


class BriefDesign(ABC):
    """Who writes which language part of a brief, and how the model is asked."""

    #: The name in the registry and in ``brief_design``.
    name: ClassVar[str]
    #: Who writes each part ("code" or "model"), shown with the brief.
    authored: ClassVar[dict[str, str]]
    #: The first question: reply schema, token budget, purpose in the usage log.
    schema: ClassVar[type[QuestionDraft] | type[BriefDraft]]
    max_tokens: ClassVar[int]
    purpose: ClassVar[str]
    #: The prompt (``prompts/brief/<name>_<lang>.md``) that lists the rejected sentences.
    retry_prompt: ClassVar[str]

    def code_parts(
        self, brief: Brief, history: AccountHistory, book: RecordBook, names: list[str]
    ) -> dict[str, Claim]:
        """The parts code writes, checked; none by default."""
        return {}

    @abstractmethod
    def messages(self, brief: Brief, history: AccountHistory) -> list[BaseMessage]:
        """The prompt of the first question."""

    @abstractmethod
    def written(self, value: Any, facts: dict[str, KeyFact]) -> dict[str, Claim]:
        """The model's answer as brief parts keyed by name."""

    #: The schema that asks for the rejected parts again.
    rewrite_schema: ClassVar[type[QuestionDraft] | type[Redo]]

    def rewrite_tokens(self, failing: list[str]) -> int:
        """Token budget for writing the ``failing`` parts again."""
        return self.max_tokens

    @abstractmethod
    def rewritten(
        self, value: Any, failing: list[str], facts: dict[str, KeyFact]
    ) -> dict[str, Claim]:
        """The answer to the re-ask as brief parts keyed by name."""

    def rewrite(
        self,
        model: BaseChatModel,
        retry: list[BaseMessage],
        failing: list[str],
        facts: dict[str, KeyFact],
        settings: Settings,
    ) -> tuple[dict[str, Claim], Usage]:
        """Ask again for the parts named in ``failing``; the new parts and what it cost."""
        result = generate_structured(
            model,
            retry,
            self.rewrite_schema,
            max_tokens=self.rewrite_tokens(failing),
            purpose="brief-retry",
            settings=settings,
        )
        return self.rewritten(result.value, failing, facts), result.usage


class CompactDesign(BriefDesign):
    """Code writes the situation and talking points, the model the opening question."""

    name = "compact"
    authored = {"situation": "code", "talking_points": "code", "opening_question": "model"}
    schema = QuestionDraft
    max_tokens = QUESTION_MAX_TOKENS
    purpose = "brief-question"
    retry_prompt = "question_retry"
    # Only the question can fail here: ask for one sentence, not a list.
    rewrite_schema = QuestionDraft

    def code_parts(
        self, brief: Brief, history: AccountHistory, book: RecordBook, names: list[str]
    ) -> dict[str, Claim]:
        return _code_parts(brief, history, book, names)

    def messages(self, brief: Brief, history: AccountHistory) -> list[BaseMessage]:
        return _question_messages(brief, history)

    def written(self, value: Any, facts: dict[str, KeyFact]) -> dict[str, Claim]:
        return {"opening_question": _claim(value, facts)}

    def rewritten(
        self, value: Any, failing: list[str], facts: dict[str, KeyFact]
    ) -> dict[str, Claim]:
        return self.written(value, facts)


class FullDesign(BriefDesign):
    """The model writes the situation, the opening question and the talking points."""

    name = "full"
    authored = {"situation": "model", "opening_question": "model", "talking_points": "model"}
    schema = BriefDraft
    max_tokens = DRAFT_MAX_TOKENS
    purpose = "brief"
    retry_prompt = "retry"
    rewrite_schema = Redo

    def messages(self, brief: Brief, history: AccountHistory) -> list[BaseMessage]:
        return _messages(brief, history)

    def written(self, value: Any, facts: dict[str, KeyFact]) -> dict[str, Claim]:
        return _parts(value, facts)

    def rewrite_tokens(self, failing: list[str]) -> int:
        return 60 + 70 * len(failing)

    def rewritten(
        self, value: Any, failing: list[str], facts: dict[str, KeyFact]
    ) -> dict[str, Claim]:
        return {
            name: _claim(sentence, facts)
            for name, sentence in zip(failing, value.sentences, strict=False)
        }


#: Design name -> class.
BRIEF_DESIGNS: dict[str, type[BriefDesign]] = {
    CompactDesign.name: CompactDesign,
    FullDesign.name: FullDesign,
}

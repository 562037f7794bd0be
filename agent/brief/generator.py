"""The brief flow: code builds the facts, the model writes only the language.

1. Retrieve the account's history (CRM facts + semantic hits).
2. Build key facts, churn-reason hypotheses, the call decision, an
   incentive idea, the likely objections and what to avoid by code
   (:mod:`agent.brief.facts`, :mod:`agent.brief.reasons`, :mod:`agent.brief.playbook`).
3. Accounts not to call, or without any history, get a short brief written by
   code alone - there is nothing for a model to add and nothing to invent.
4. Otherwise, by ``settings.brief_design``:

   * ``compact`` (the default with the local model): code writes the situation
     and the talking points from the records (:mod:`agent.brief.compose`) and
     the model only the opening question (:class:`DraftSentence`), which takes
     about 10 s on two cores instead of 45-110 s for a whole draft;
   * ``full``: the model writes the bounded :class:`BriefDraft` (situation,
     opening question, talking points).

   The model writes in the account's language and cites fact ids; CRM text
   reaches it only fenced as data.
5. The grounding checker tests every sentence; failing parts are regenerated
   once (the model sees the problems), then removed and flagged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from sqlalchemy.orm import Session

from agent.brief import compose, playbook
from agent.brief.facts import build_facts, fmt_date
from agent.brief.grounding import check_claim
from agent.brief.reasons import call_decision, hypotheses, incentive
from agent.brief.schema import (
    RULES_MODEL,
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
from agent.crm.db import get_tenant
from agent.errors import ModelError, StructuredOutputError
from agent.history.index import HistoryIndex
from agent.history.records import RecordBook
from agent.history.retrieval import AccountHistory, find_account, retrieve
from agent.history.sync import sync_account
from agent.language import is_language
from agent.prompts import fence, render_prompt
from agent.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Room for the bounded draft; German text costs the Qwen tokenizer about 1.5x English.
DRAFT_MAX_TOKENS = 600
#: Room for the opening question alone (at most 30 words plus its JSON).
QUESTION_MAX_TOKENS = 120
STANDARD_OPENING = {
    "de": "Wir haben lange nichts mehr von Ihnen gehört – was können wir tun, damit Sie wieder "
    "gerne bei uns einkaufen?",
    "en": "We haven't heard from you in a long time – what can we do so that you enjoy buying "
    "from us again?",
}


@dataclass
class BriefRun:
    """A generated brief plus what went into it (for evals and benchmarks)."""

    brief: Brief
    history: AccountHistory
    book: RecordBook
    names: list[str]
    latency_s: float


def known_names(history: AccountHistory) -> list[str]:
    """Person names the checker insists are cited when a sentence mentions them."""
    names = [str(c.fields["name"]) for c in history.contacts if c.fields.get("name")]
    if history.account.owner:
        names.append(history.account.owner.name)
    return names


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


def design_of(settings: Settings) -> str:
    """The brief design in effect: ``auto`` is ``compact`` for the local model, else ``full``."""
    if settings.brief_design != "auto":
        return settings.brief_design
    return "compact" if settings.chat_backend == "local" else "full"


def warm_up(settings: Settings | None = None) -> float:
    """Load the local model and evaluate the opening question's system prompts (de and en).

    The prompt state cache keeps them, so the first brief of a worker costs what
    any later one does (about 8 s on 2 cores instead of 20-25 s: model load
    plus about 700 system prompt tokens). Returns the seconds spent; 0 when
    there is nothing to warm (switched off, another backend, the ``full``
    design, no prompt cache).
    """
    settings = settings or get_settings()
    if (
        not settings.brief_warm_up
        or settings.chat_backend != "local"
        or design_of(settings) != "compact"
        or settings.local_prompt_cache_mb <= 0
    ):
        return 0.0
    from agent.llm import get_chat_model
    from agent.llm.structured import bounded_schema, with_instruction

    started = time.perf_counter()
    model = get_chat_model(settings)
    schema = bounded_schema(QuestionDraft.model_json_schema())
    for lang in ("de", "en"):
        system = SystemMessage(content=render_prompt(f"brief/question_system_{lang}"))
        model.invoke(with_instruction([system, HumanMessage(content="-")], schema), max_tokens=1)
    return time.perf_counter() - started


def start_warm_up(settings: Settings) -> threading.Thread:
    """Run :func:`warm_up` in a daemon thread of a long-running worker; failures are logged."""

    def run() -> None:
        try:
            seconds = warm_up(settings)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never take a worker down
            log.warning("brief model warm-up failed: %s", exc)
            return
        if seconds:
            log.info("brief model warmed up in %.1f s", seconds)

    thread = threading.Thread(target=run, name="winback-brief-warm-up", daemon=True)
    thread.start()
    return thread


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


def _problems(name: str, claim: Claim, book: RecordBook, names: list[str], lang: str) -> list[str]:
    problems = check_claim(claim, book, names, require_source=name.startswith("situation"))
    if not is_language(claim.text, lang):
        problems.append(f"not written in {lang}")
    return problems


def _assemble(brief: Brief, parts: dict[str, Claim]) -> None:
    def ordered(prefix: str) -> list[Claim]:
        keys = sorted(
            (k for k in parts if k.startswith(prefix + "[")),
            key=lambda k: int(k[len(prefix) + 1 : -1]),
        )
        seen: set[str] = set()
        kept = []
        for key in keys:
            # The small model sometimes writes the same sentence twice: show it once.
            text = " ".join(re.findall(r"\w+", parts[key].text.lower()))
            if text not in seen:
                seen.add(text)
                kept.append(parts[key])
        return kept

    brief.situation = ordered("situation")[:5]
    brief.opening_question = parts.get("opening_question")
    brief.talking_points = ordered("talking_points")[:5]


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


def _write_language(
    brief: Brief,
    history: AccountHistory,
    book: RecordBook,
    names: list[str],
    model: BaseChatModel,
    settings: Settings,
) -> None:
    """Let the model write the language parts; check, regenerate once, remove and flag."""
    from agent.llm import generate_structured

    lang = brief.language
    facts = {f.id: f for f in brief.key_facts}
    compact = design_of(settings) == "compact"
    parts: dict[str, Claim] = {}
    if compact:
        parts = _code_parts(brief, history, book, names)
        brief.authored = {
            "situation": "code",
            "talking_points": "code",
            "opening_question": "model",
        }
        messages = _question_messages(brief, history)
    else:
        brief.authored = {k: "model" for k in ("situation", "opening_question", "talking_points")}
        messages = _messages(brief, history)
    try:
        first = generate_structured(
            model,
            messages,
            QuestionDraft if compact else BriefDraft,
            max_tokens=QUESTION_MAX_TOKENS if compact else DRAFT_MAX_TOKENS,
            purpose="brief-question" if compact else "brief",
            settings=settings,
        )
        first_raw, usages = first.raw, [first.usage]
        if isinstance(first.value, QuestionDraft):
            written = {"opening_question": _claim(first.value, facts)}
        else:
            assert isinstance(first.value, BriefDraft)
            written = _parts(first.value, facts)
    except StructuredOutputError as exc:
        # The facts, reasons and decision stand without the model; say what is missing.
        _assemble(brief, parts)
        if not brief.situation:
            brief.situation = _rule_situation(brief)
            brief.authored["situation"] = "code"
        brief.opening_question = Claim(text=STANDARD_OPENING[lang])
        brief.authored["opening_question"] = "code"
        brief.flags.append(Flag(part="language", reason=f"model gave no valid draft: {exc}"))
        brief.model = f"{getattr(model, 'model_name', 'model')} (failed; parts by code)"
        return
    failing = {
        n: p for n, p in ((n, _problems(n, v, book, names, lang)) for n, v in written.items()) if p
    }
    parts.update(written)

    rejected = {name: "; ".join(problems) for name, problems in failing.items()}
    if failing:
        # Only the rejected sentences are written again (in order), not the whole draft:
        # on this CPU the full draft costs several times the few sentences that failed.
        problems = "\n".join(
            f'{i}. {n}: "{parts[n].text}" - {"; ".join(p)}'
            for i, (n, p) in enumerate(failing.items(), 1)
        )
        retry_prompt = "question_retry" if compact else "retry"
        retry = [
            *messages,
            AIMessage(content=first_raw),
            HumanMessage(content=render_prompt(f"brief/{retry_prompt}_{lang}", problems=problems)),
        ]
        try:
            again: dict[str, Claim] = {}
            if compact:
                # Only the question can fail here: ask for one sentence, not a list.
                redone = generate_structured(
                    model,
                    retry,
                    QuestionDraft,
                    max_tokens=QUESTION_MAX_TOKENS,
                    purpose="brief-retry",
                    settings=settings,
                )
                usages.append(redone.usage)
                again = {"opening_question": _claim(redone.value, facts)}
            else:
                second = generate_structured(
                    model,
                    retry,
                    Redo,
                    max_tokens=60 + 70 * len(failing),
                    purpose="brief-retry",
                    settings=settings,
                )
                usages.append(second.usage)
                again = {
                    name: _claim(sentence, facts)
                    for name, sentence in zip(failing, second.value.sentences, strict=False)
                }
        except ModelError as exc:  # incl. a context overflow: keep what passed, flag the rest
            brief.flags.append(Flag(part="regeneration", reason=f"failed: {exc}"))
        for name in list(failing):
            candidate = again.get(name)
            if candidate is not None and not _problems(name, candidate, book, names, lang):
                parts[name] = candidate
                del failing[name]
    for name, reasons in failing.items():
        removed = parts.pop(name)
        brief.flags.append(Flag(part=name, reason="; ".join(reasons), text=removed.text))
    if "opening_question" not in parts:
        parts["opening_question"] = Claim(text=STANDARD_OPENING[lang])
        brief.authored["opening_question"] = "code"
        brief.flags.append(Flag(part="opening_question", reason="standard question used"))
    _assemble(brief, parts)
    if not brief.situation:
        brief.situation = _rule_situation(brief)
        brief.authored["situation"] = "code"
        brief.flags.append(Flag(part="situation", reason="written by code after the check"))
    brief.model = usages[0].model
    brief.usage = {
        "design": "compact" if compact else "full",
        "prompt_tokens": sum(u.prompt_tokens for u in usages),
        "completion_tokens": sum(u.completion_tokens for u in usages),
        "model_latency_s": round(sum(u.latency_s for u in usages), 3),
        "calls": len(usages),
        "attempts": sum(u.attempts for u in usages),
        # What the check rejected in the first draft (for evals and tuning the prompt).
        "rejected": rejected,
    }


def _rule_situation(brief: Brief) -> list[Claim]:
    """A situation made of the call decision and the key facts themselves (no model)."""
    claims = [
        Claim(text=f.text, sources=f.sources, facts=[f.id])
        for f in brief.key_facts
        if f.topic in ("no_history", "status", "last_order", "orders", "call")
    ]
    return claims[:4] or [Claim(text=brief.key_facts[0].text, sources=brief.key_facts[0].sources)]


def generate_brief(
    session: Session,
    tenant: str,
    account: str | int,
    *,
    as_of: date | None = None,
    model: BaseChatModel | None = None,
    index: HistoryIndex | None = None,
    settings: Settings | None = None,
    plan_rank: int | None = None,
    plan_score: float | None = None,
) -> BriefRun:
    """Build the brief of ``account`` (database id or external id) in ``tenant``.

    Raises :class:`~agent.errors.NotFoundError` for an unknown tenant or
    account. ``model`` defaults to the chat model of the settings and is only
    created when the account is worth a call and has a history.
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    as_of = as_of or date.today()
    tenant_row = get_tenant(session, tenant)
    book = RecordBook(session, tenant_row.id)
    found = find_account(session, tenant_row.id, account)
    if index is not None:
        # Bring this account's chunks up to date first (cheap when nothing changed).
        sync_account(session, index, tenant_row.id, found.id)
    history = retrieve(
        session,
        tenant_row.id,
        found.external_id,
        as_of,
        index=index,
        k=settings.brief_semantic_hits,
        book=book,
    )
    lang = history.account.language.value
    hyps = hypotheses(history)
    should_call, reason = call_decision(history, hyps, lang, settings.inactive_months)
    brief = Brief(
        tenant=tenant,
        account_id=history.account.id,
        account_external_id=history.account.external_id,
        account_name=history.account.name,
        language=lang,  # type: ignore[arg-type]
        as_of=as_of,
        should_call=should_call,
        call_reason=reason,
        plan_rank=plan_rank,
        plan_score=plan_score,
        key_facts=build_facts(history, lang),
        churn_hypotheses=hyps,
        model=RULES_MODEL,
        created_at=datetime.now(UTC),
    )
    names = known_names(history)
    # Code-made facts are checked too: a failure here is a bug, and it must show.
    for fact in list(brief.key_facts):
        problems = check_claim(Claim(text=fact.text, sources=fact.sources), book, names)
        if problems:
            brief.key_facts.remove(fact)
            brief.flags.append(
                Flag(part=f"key_facts[{fact.id}]", reason="; ".join(problems), text=fact.text)
            )
    if should_call and not history.is_empty:
        brief.incentive = incentive(history, hyps, lang)
        brief.objections = playbook.objections(hyps, lang)
        brief.avoid = playbook.avoid(hyps, lang)
        if model is None:
            from agent.llm import get_chat_model

            model = get_chat_model(settings)
        _write_language(brief, history, book, names, model, settings)
    else:
        brief.situation = _rule_situation(brief)
    brief.usage["latency_s"] = round(time.perf_counter() - started, 3)
    return BriefRun(
        brief=brief,
        history=history,
        book=book,
        names=names,
        latency_s=time.perf_counter() - started,
    )

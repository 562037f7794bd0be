"""The brief flow: code builds the facts, the model writes only the language.

1. Retrieve the account's history (CRM facts + semantic hits).
2. Build key facts, churn-reason hypotheses, the call decision, an
   incentive idea, the likely objections and what to avoid by code
   (:mod:`agent.brief.facts`, :mod:`agent.brief.reasons`, :mod:`agent.brief.playbook`).
3. Accounts not to call, or without any history, get a short brief written by
   code alone - there is nothing for a model to add and nothing to invent.
4. Otherwise the design of ``settings.brief_design`` (:mod:`agent.brief.designs`:
   ``compact``, the default with the local model, where code writes the
   situation and talking points and the model the opening question; ``full``,
   where the model writes all three) says what code writes and what the
   model is asked. The model writes in the account's language and cites fact ids; CRM text
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

from agent.brief import playbook
from agent.brief.designs import BRIEF_DESIGNS, BriefDesign
from agent.brief.facts import build_facts
from agent.brief.grounding import check_claim
from agent.brief.reasons import call_decision, hypotheses, incentive
from agent.brief.schema import RULES_MODEL, Brief, Claim, Flag, QuestionDraft
from agent.codes import parse_language_code
from agent.crm.db import get_tenant
from agent.errors import ModelError, StructuredOutputError
from agent.history.index import HistoryIndex
from agent.history.records import RecordBook
from agent.history.retrieval import AccountHistory, find_account, retrieve
from agent.history.sync import sync_account
from agent.language import is_language
from agent.llm.structured import generate_structured
from agent.prompts import render_prompt
from agent.settings import Settings, get_settings

log = logging.getLogger(__name__)

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


def _write_language(
    brief: Brief,
    history: AccountHistory,
    book: RecordBook,
    names: list[str],
    model: BaseChatModel,
    settings: Settings,
) -> None:
    """Let the model write the design's language parts; check, regenerate once, remove and flag."""
    design = BRIEF_DESIGNS[design_of(settings)]()
    facts = {f.id: f for f in brief.key_facts}
    parts = design.code_parts(brief, history, book, names)
    brief.authored = dict(design.authored)
    messages = design.messages(brief, history)
    try:
        first = generate_structured(
            model,
            messages,
            design.schema,
            max_tokens=design.max_tokens,
            purpose=design.purpose,
            settings=settings,
        )
    except StructuredOutputError as exc:
        _without_model(brief, parts, model, exc)
        return
    usages = [first.usage]
    written = design.written(first.value, facts)
    lang = brief.language
    failing = {
        n: p for n, p in ((n, _problems(n, v, book, names, lang)) for n, v in written.items()) if p
    }
    parts.update(written)
    rejected = {name: "; ".join(problems) for name, problems in failing.items()}
    if failing:
        retry = _retry_messages(design, brief, parts, failing, messages, first.raw)
        try:
            again, usage = design.rewrite(model, retry, list(failing), facts, settings)
            usages.append(usage)
        except ModelError as exc:  # incl. a context overflow: keep what passed, flag the rest
            again = {}
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
        "design": design.name,
        "prompt_tokens": sum(u.prompt_tokens for u in usages),
        "completion_tokens": sum(u.completion_tokens for u in usages),
        "model_latency_s": round(sum(u.latency_s for u in usages), 3),
        "calls": len(usages),
        "attempts": sum(u.attempts for u in usages),
        # What the check rejected in the first draft (for evals and tuning the prompt).
        "rejected": rejected,
    }


def _without_model(
    brief: Brief, parts: dict[str, Claim], model: BaseChatModel, exc: StructuredOutputError
) -> None:
    """Finish a brief the model gave no valid draft for: code writes what is missing.

    The facts, reasons and decision stand without the model; a flag says what
    is missing.
    """
    _assemble(brief, parts)
    if not brief.situation:
        brief.situation = _rule_situation(brief)
        brief.authored["situation"] = "code"
    brief.opening_question = Claim(text=STANDARD_OPENING[brief.language])
    brief.authored["opening_question"] = "code"
    brief.flags.append(Flag(part="language", reason=f"model gave no valid draft: {exc}"))
    brief.model = f"{getattr(model, 'model_name', 'model')} (failed; parts by code)"


def _retry_messages(
    design: BriefDesign,
    brief: Brief,
    parts: dict[str, Claim],
    failing: dict[str, list[str]],
    messages: list[BaseMessage],
    first_raw: str,
) -> list[BaseMessage]:
    """The first question, its answer and the rejected sentences with their problems.

    Only the rejected sentences are written again (in order), not the whole
    draft: on this CPU the full draft costs several times the few sentences
    that failed.
    """
    problems = "\n".join(
        f'{i}. {n}: "{parts[n].text}" - {"; ".join(p)}'
        for i, (n, p) in enumerate(failing.items(), 1)
    )
    prompt = render_prompt(f"brief/{design.retry_prompt}_{brief.language}", problems=problems)
    return [*messages, AIMessage(content=first_raw), HumanMessage(content=prompt)]


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
    lang = parse_language_code(history.account.language.value)
    hyps = hypotheses(history)
    should_call, reason = call_decision(history, hyps, lang, settings.inactive_months)
    brief = Brief(
        tenant=tenant,
        account_id=history.account.id,
        account_external_id=history.account.external_id,
        account_name=history.account.name,
        language=lang,
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

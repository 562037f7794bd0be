"""The brief eval: grounding, coverage, language, latency and tokens of pre-call briefs.

Runs over the demo tenant (whose hidden scenarios give the ground truth: each
lapsed account's main complaint note) or over any tenant (then the newest
open complaint stands in for the main complaint). Graders are plain code:

* **grounding rate** - share of claims whose cited records support them
  (:func:`agent.brief.grounding.grounding_rate`, checked against the DB);
* **coverage** - the brief mentions the last order date, and cites the main
  complaint (in the evidence table or a sentence); measured over the whole
  brief and over the model-written text alone;
* **reason top-1/top-3** - the hidden churn cause is the first / among the
  hypotheses (demo only);
* **language** - the model-written text reads as the account's language
  (stop-word check);
* **latency and tokens** per brief.

Usage::

    python -m evals.brief --db sqlite:///demo.db --tenant demo --limit 15 --as-of 2026-11-02

Each run writes per-account rows to ``evals/runs/brief-<time>.jsonl`` and
prints the metrics dict as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.brief.facts import fmt_date
from agent.brief.generator import BriefRun, generate_brief
from agent.brief.grounding import grounding_rate
from agent.brief.schema import Brief
from agent.crm.db import Store, get_tenant, open_store
from agent.crm.models import Note
from agent.history.index import HistoryIndex
from agent.language import guess_language
from agent.settings import Settings

RUNS_DIR = Path(__file__).parent / "runs"


def model_text(brief: Brief) -> str:
    """The text the model wrote: of situation, opening question and talking points, those
    ``brief.authored`` does not give to code (briefs stored before it existed: all three)."""

    def by_model(part: str) -> bool:
        return brief.authored.get(part, "model") == "model"

    parts = [c.text for c in brief.situation] if by_model("situation") else []
    if brief.opening_question and by_model("opening_question"):
        parts.append(brief.opening_question.text)
    if by_model("talking_points"):
        parts += [c.text for c in brief.talking_points]
    return "\n".join(parts)


def full_text(brief: Brief) -> str:
    """Everything a rep reads in the brief, facts, playbook and evidence included."""
    extra = [f"{o.objection} {o.answer}" for o in brief.objections]
    extra += [c.text for c in brief.avoid]
    extra += [f.text for f in brief.key_facts] + [brief.call_reason]
    extra += [e.quote for h in brief.churn_hypotheses for e in h.evidence]
    return model_text(brief) + "\n" + "\n".join(extra)


def cited_sources(brief: Brief, model_only: bool = False) -> set[str]:
    """Every record id the brief cites (optionally only in model-written sentences)."""
    if model_only:
        return {s for c in brief.situation + brief.talking_points for s in c.sources}
    sources = {s for _, c in brief.claims() for s in c.sources}
    return sources | {e.source for h in brief.churn_hypotheses for e in h.evidence}


def grade(run: BriefRun, main_complaint: str | None, cause: str | None) -> dict[str, Any]:
    """Grade one brief; ``main_complaint`` is a source id like ``note:12``."""
    brief, history = run.brief, run.history
    supported, total = grounding_rate(brief, run.book, run.names)
    last = history.last_order.day if history.last_order else None
    last_forms = {fmt_date(last, "de"), fmt_date(last, "en")} if last else set()
    text_model, text_all = model_text(brief), full_text(brief)
    codes = [h.code for h in brief.churn_hypotheses]
    guessed = guess_language(text_model) if text_model.strip() else None
    return {
        "account": brief.account_external_id,
        "language": brief.language,
        "should_call": brief.should_call,
        "model": brief.model,
        "claims": total,
        "claims_supported": supported,
        "last_order_in_brief": bool(last and any(f in text_all for f in last_forms)),
        "last_order_in_model_text": bool(last and any(f in text_model for f in last_forms)),
        "main_complaint": main_complaint,
        "main_complaint_cited": bool(main_complaint and main_complaint in cited_sources(brief)),
        "main_complaint_in_model_text": bool(
            main_complaint and main_complaint in cited_sources(brief, model_only=True)
        ),
        "cause": cause,
        "reason_top1": bool(cause and codes[:1] == [cause]),
        "reason_top3": bool(cause and cause in codes[:3]),
        "language_guess": guessed,
        "language_ok": guessed is None or guessed == brief.language,
        "language_checked": guessed is not None,
        "flags": len(brief.flags),
        "latency_s": brief.usage.get("latency_s", run.latency_s),
        "prompt_tokens": brief.usage.get("prompt_tokens", 0),
        "completion_tokens": brief.usage.get("completion_tokens", 0),
    }


def nearest_rank_percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (``q`` in 0..100); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return round(ordered[rank - 1], 3)


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics over graded rows (only briefs the model wrote count for language)."""

    def share(key: str, among: Sequence[dict[str, Any]]) -> float | None:
        return round(sum(bool(r[key]) for r in among) / len(among), 3) if among else None

    with_complaint = [r for r in rows if r["main_complaint"]]
    with_cause = [r for r in rows if r["cause"]]
    called = [r for r in rows if r["should_call"]]
    checked = [r for r in called if r["language_checked"]]
    claims = sum(r["claims"] for r in rows)
    latencies = [r["latency_s"] for r in rows]
    model_latencies = [r["latency_s"] for r in called]
    return {
        "n": len(rows),
        "n_written_by_model": len(called),
        "models": sorted({r["model"] for r in rows}),
        "grounding_rate": round(sum(r["claims_supported"] for r in rows) / claims, 3)
        if claims
        else None,
        "claims": claims,
        "coverage_last_order": share("last_order_in_brief", [r for r in rows if r["claims"]]),
        "coverage_last_order_model_text": share("last_order_in_model_text", called),
        "coverage_main_complaint": share("main_complaint_cited", with_complaint),
        "coverage_main_complaint_model_text": share("main_complaint_in_model_text", with_complaint),
        "reason_top1": share("reason_top1", with_cause),
        "reason_top3": share("reason_top3", with_cause),
        "language_correct": share("language_ok", checked),
        "language_checked": len(checked),
        "flags_per_brief": round(sum(r["flags"] for r in rows) / len(rows), 2) if rows else None,
        "latency_s": {
            "p50": nearest_rank_percentile(latencies, 50),
            "p95": nearest_rank_percentile(latencies, 95),
            "model_p50": nearest_rank_percentile(model_latencies, 50),
            "model_p95": nearest_rank_percentile(model_latencies, 95),
        },
        "tokens_per_brief": {
            "prompt": round(sum(r["prompt_tokens"] for r in called) / len(called)) if called else 0,
            "completion": round(sum(r["completion_tokens"] for r in called) / len(called))
            if called
            else 0,
        },
    }


def demo_truth(session: Session, tenant_id: int, seed: int = 7) -> dict[str, dict[str, Any]]:
    """Hidden demo scenarios by account external id: cause and main complaint source id."""
    from agent.demo import generate

    truth: dict[str, dict[str, Any]] = {}
    note_ids = dict(
        session.execute(select(Note.external_id, Note.id).where(Note.tenant_id == tenant_id)).all()
    )
    for account in generate(seed).lapsed_accounts():
        key = account.scenario.key_note_id
        truth[account.external_id] = {
            "cause": account.scenario.cause,
            "main_complaint": f"note:{note_ids[key]}" if key in note_ids else None,
            "language": account.language,
        }
    return truth


def pick_accounts(
    session: Session, tenant_id: int, as_of: date, limit: int, languages: dict[str, str]
) -> list[str]:
    """The plan's callable accounts by rank, with about a fifth English ones when there are any."""
    from agent.plan import build_plan

    ranked = [c.external_id for c in build_plan(session, tenant_id, as_of).callable]
    english = [a for a in ranked if languages.get(a) == "en"][: max(1, limit // 5)]
    rest = [a for a in ranked if a not in english][: limit - len(english)]
    chosen = set(english + rest)
    return [a for a in ranked if a in chosen]


def run_eval(
    store: Store,
    tenant: str,
    as_of: date,
    *,
    index: HistoryIndex | None,
    model: Any = None,
    accounts: Sequence[str] | None = None,
    limit: int = 15,
    seed: int = 7,
    out: Path | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Generate and grade briefs; write per-account rows to ``out``; return the metrics."""
    with store.session() as session:
        tenant_id = get_tenant(session, tenant).id
        truth = demo_truth(session, tenant_id, seed) if tenant == "demo" else {}
        if accounts is None:
            languages = {k: v["language"] for k, v in truth.items()}
            if not languages:
                from agent.crm.models import Account

                languages = dict(
                    session.execute(
                        select(Account.external_id, Account.language).where(
                            Account.tenant_id == tenant_id
                        )
                    ).all()
                )
                languages = {k: getattr(v, "value", v) for k, v in languages.items()}
            accounts = pick_accounts(session, tenant_id, as_of, limit, languages)
    rows: list[dict[str, Any]] = []
    for account in accounts:
        started = time.perf_counter()
        with store.session() as session:
            run = generate_brief(
                session, tenant, account, as_of=as_of, index=index, model=model, settings=settings
            )
            known = truth.get(account)
            if known is not None:
                complaint, cause = known["main_complaint"], known["cause"]
            else:
                newest = run.history.open_complaints[:1]
                complaint, cause = (newest[0].source_id if newest else None), None
            row = grade(run, complaint, cause)
        row["wall_s"] = round(time.perf_counter() - started, 3)
        rows.append(row)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            with out.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    metrics = summarise(rows)
    metrics.update({"tenant": tenant, "as_of": as_of.isoformat(), "spec": "brief.demo.v0"})
    return metrics


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Command-line entry: run the eval with the configured models and print the metrics."""
    from agent.history.index import open_index
    from agent.history.sync import rebuild
    from agent.llm import get_chat_model
    from agent.settings import configure, get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="Database URL (default: the configured one).")
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: demo day)")
    parser.add_argument("--limit", type=int, default=15)
    parser.add_argument("--account", action="append", help="Only these accounts (repeatable).")
    parser.add_argument("--rebuild-index", action="store_true")
    parser.add_argument(
        "--design",
        choices=["auto", "compact", "full"],
        default=None,
        help="Brief design (default: the configured one; see WINBACK_BRIEF_DESIGN).",
    )
    args = parser.parse_args(argv)
    overrides = {"database_url": args.db} if args.db else {}
    if args.design:
        overrides["brief_design"] = args.design
    settings = configure(**overrides) if overrides else get_settings()
    from agent.demo import DEMO_AS_OF

    as_of = date.fromisoformat(args.as_of) if args.as_of else DEMO_AS_OF
    store = open_store(settings.db_url)
    index = open_index(settings)
    with store.session() as session:
        tenant_id = get_tenant(session, args.tenant).id
        if args.rebuild_index or index.count(tenant_id) == 0:
            rebuild(session, index, tenant_id)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    out = RUNS_DIR / f"brief-{stamp}.jsonl"
    metrics = run_eval(
        store,
        args.tenant,
        as_of,
        index=index,
        model=get_chat_model(settings),
        accounts=args.account,
        limit=args.limit,
        out=out,
        settings=settings,
    )
    metrics["results_file"] = str(out)
    print(json.dumps(metrics, ensure_ascii=False, indent=2))
    return metrics


if __name__ == "__main__":
    main()

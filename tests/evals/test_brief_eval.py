"""The brief eval: graders and the runner (scripted chat model, real CRM store)."""

from __future__ import annotations

import json
from pathlib import Path

from agent.crm.db import Store, get_tenant
from agent.crm.models import Note
from agent.settings import get_settings
from agent.testing import FakeChatModel
from evals.brief import demo_truth, nearest_rank_percentile, run_eval, summarise
from tests.brief.drafts import facts_of, good_draft
from tests.history import fixtures
from tests.history.fixtures import AS_OF, Crm

crm = fixtures.crm  # the hand-written CRM fixture, shared with tests/history


def test_run_eval_over_a_tenant_without_ground_truth(
    store: Store, crm: Crm, tmp_path: Path
) -> None:
    facts = facts_of(store, "acme", "K-100", "de")
    english = json.loads(good_draft(facts))
    english["talking_points"][0] = {
        "text": "Ask them how the last deliveries went for them.",
        "facts": [],
    }
    # The regenerated sentence is English again, so it is removed and flagged.
    again = {"sentences": [english["talking_points"][0]]}
    model = FakeChatModel().enqueue(json.dumps(english), json.dumps(again))
    out = tmp_path / "rows.jsonl"
    metrics = run_eval(
        store,
        "acme",
        AS_OF,
        index=None,
        model=model,
        accounts=["K-100", "K-400", "K-300"],
        out=out,
        settings=get_settings().model_copy(update={"brief_design": "full"}),
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["account"] for r in rows] == ["K-100", "K-400", "K-300"]
    assert metrics["n"] == 3 and metrics["n_written_by_model"] == 1
    assert metrics["grounding_rate"] == 1.0  # the English sentence was removed and flagged
    assert metrics["flags_per_brief"] == round(1 / 3, 2)
    # K-100: the newest open complaint stands in for the main complaint.
    assert rows[0]["main_complaint"] == f"note:{crm.complaint_note}"
    assert metrics["coverage_main_complaint"] == 1.0
    assert metrics["coverage_last_order_model_text"] == 1.0
    assert metrics["language_correct"] == 1.0
    assert metrics["reason_top1"] is None  # no hidden causes outside the demo
    assert metrics["latency_s"]["p50"] is not None


def test_compact_briefs_grade_only_the_question_as_model_text(
    store: Store, crm: Crm, tmp_path: Path
) -> None:
    asked = "Wir haben lange nichts von Ihnen gehört – was können wir für Sie tun?"
    model = FakeChatModel().enqueue(json.dumps({"text": asked, "facts": []}))
    out = tmp_path / "rows.jsonl"
    metrics = run_eval(
        store,
        "acme",
        AS_OF,
        index=None,
        model=model,
        accounts=["K-100"],
        out=out,
        settings=get_settings().model_copy(update={"brief_design": "compact"}),
    )
    assert metrics["grounding_rate"] == 1.0 and metrics["coverage_last_order"] == 1.0
    # The code-written situation names the last order; the model's question does not.
    assert metrics["coverage_last_order_model_text"] == 0.0
    assert metrics["coverage_main_complaint"] == 1.0
    assert metrics["language_correct"] == 1.0


def test_summarise_counts_failures() -> None:
    row = {
        "account": "A",
        "language": "de",
        "should_call": True,
        "model": "m",
        "claims": 4,
        "claims_supported": 3,
        "last_order_in_brief": True,
        "last_order_in_model_text": False,
        "main_complaint": "note:1",
        "main_complaint_cited": False,
        "main_complaint_in_model_text": False,
        "cause": "price_terms",
        "reason_top1": False,
        "reason_top3": True,
        "language_guess": "en",
        "language_ok": False,
        "language_checked": True,
        "flags": 2,
        "latency_s": 12.0,
        "prompt_tokens": 900,
        "completion_tokens": 300,
    }
    metrics = summarise(
        [row, {**row, "claims_supported": 4, "language_ok": True, "latency_s": 30.0}]
    )
    assert metrics["grounding_rate"] == 0.875
    assert metrics["language_correct"] == 0.5
    assert metrics["coverage_main_complaint"] == 0.0 and metrics["reason_top3"] == 1.0
    assert metrics["latency_s"]["p50"] == 12.0 and metrics["latency_s"]["p95"] == 30.0
    assert metrics["tokens_per_brief"] == {"prompt": 900, "completion": 300}


def test_nearest_rank_percentile() -> None:
    assert nearest_rank_percentile([], 50) is None
    assert nearest_rank_percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert nearest_rank_percentile(list(range(1, 21)), 95) == 19


def test_demo_ground_truth_points_at_real_notes(sqlite_url: str) -> None:
    from agent.crm.db import open_store
    from agent.demo import seed

    store = open_store(sqlite_url)
    seed(store, "demo")
    with store.session() as s:
        tenant_id = get_tenant(s, "demo").id
        truth = demo_truth(s, tenant_id)
        assert truth and all(t["cause"] for t in truth.values())
        with_note = [t for t in truth.values() if t["main_complaint"]]
        assert len(with_note) > len(truth) / 2
        for t in with_note[:20]:
            note = s.get(Note, int(t["main_complaint"].split(":")[1]))
            assert note is not None and note.tenant_id == tenant_id

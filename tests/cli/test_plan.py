"""``winback plan`` and ``winback plan daily``: JSON contract, table, files, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar

from agent.crm.db import open_store
from agent.crm.models import AccountStatus
from tests.conftest import Cli
from tests.plan.conftest import Seeder
from tests.plan.test_backtest import future_orders
from tests.plan.test_valuation import fill


@pytest.fixture
def filled_db(sqlite_url: str) -> str:
    seed = Seeder(open_store(sqlite_url))
    t = seed.tenant("default")
    anna = seed.user(t, "anna")
    for i in range(8):
        status = AccountStatus.insolvent if i == 7 else AccountStatus.active
        account = seed.account(
            t,
            f"{17000 + i}",
            name=f"Firma {i}",
            status=status,
            ease=1 + i % 5,
            owner_id=anna if i % 2 else None,
        )
        seed.order(t, account, date(2010, 2 + i, 3), 100.0 * (i + 1))
    recent = seed.account(t, "99999", name="Aktiv AG")
    seed.order(t, recent, date(2011, 11, 30), 50)
    return sqlite_url


def test_plan_json_contract(filled_db: str, cli: Cli) -> None:
    code, out, _ = cli(
        ["plan", "--as-of", "2011-12-09", "--inactive-months", "12", "--json", "--db", filled_db]
    )
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2011-12-09" and data["inactive_months"] == 12
    customers = data["customers"]
    assert len(customers) == 8  # the active customer is not lapsed
    assert [c["rank"] for c in customers] == [1, 2, 3, 4, 5, 6, 7, None]
    assert customers[-1]["excluded"] == "insolvent"
    assert all(c["excluded"] is None for c in customers[:-1])
    scores = [c["score"] for c in customers[:-1]]
    assert scores == sorted(scores, reverse=True)
    first = customers[0]
    assert set(first) == {
        "external_id",
        "account_id",
        "name",
        "last_order_date",
        "rank",
        "score",
        "score_parts",
        "excluded",
        "follow_up_due",
    }
    assert date.fromisoformat(first["last_order_date"])
    assert {
        "revenue",
        "frequency",
        "recency_days",
        "tenure_days",
        "expected_value",
        "ease",
        "how_long_ago",
        "points",
    } <= set(first["score_parts"])
    pareto = data["pareto"]
    assert 1 <= pareto["cutoff_rank"] <= 7
    assert pareto["points"][-1] == [7, 1.0]


def test_plan_limit_and_months(filled_db: str, cli: Cli) -> None:
    code, out, _ = cli(
        ["plan", "--as-of", "2011-12-09", "--json", "--limit", "2", "--db", filled_db]
    )
    assert code == 0 and len(json.loads(out)["customers"]) == 2
    code, out, _ = cli(
        ["plan", "--as-of", "2011-12-09", "--inactive-months", "1", "--json", "--db", filled_db]
    )
    assert code == 0
    assert "99999" not in {c["external_id"] for c in json.loads(out)["customers"]}
    code, out, _ = cli(
        ["plan", "--as-of", "2012-01-09", "--inactive-months", "1", "--json", "--db", filled_db]
    )
    assert "99999" in {c["external_id"] for c in json.loads(out)["customers"]}


def test_plan_table(filled_db: str, cli: Cli) -> None:
    code, out, _ = cli(["plan", "--as-of", "2011-12-09", "--db", filled_db])
    assert code == 0
    assert "Firma" in out
    assert "Excluded (not called): 1 (insolvent: 1)" in out
    assert "Pareto cut-off" in out


def test_daily_writes_ics_and_json(filled_db: str, tmp_path: Path, cli: Cli) -> None:
    folder = tmp_path / "ics"
    code, out, _ = cli(
        [
            "plan",
            "daily",
            "--days",
            "2",
            "--per-rep",
            "1",
            "--ics",
            str(folder),
            "--as-of",
            "2011-12-09",
            "--json",
            "--db",
            filled_db,
        ]
    )
    assert code == 0
    data = json.loads(out)
    assert data["days"] == ["2011-12-12", "2011-12-13"]
    (rep,) = data["reps"]
    assert rep["username"] == "anna" and len(rep["calls"]) == 2
    assert data["ics_files"] == [str(folder / "anna.ics")]
    events = list(Calendar.from_ical((folder / "anna.ics").read_bytes()).walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == [f"Win-back: {c['name']}" for c in rep["calls"]]
    code, out, _ = cli(["plan", "daily", "--days", "1", "--as-of", "2011-12-09", "--db", filled_db])
    assert code == 0 and "Anna (anna): 2 calls" in out


def test_plan_table_explains_the_value_and_the_fallback(filled_db: str, cli: Cli) -> None:
    code, out, err = cli(["plan", "--as-of", "2011-12-09", "--db", filled_db])
    assert code == 0
    assert "P(return)" in out and "Erwarteter Wert in den nächsten 12 Monaten" in out
    # Eight one-order customers: too little history, and the plan says so.
    assert "Too little order history" in " ".join(err.split())


def test_backtest_json_and_table(sqlite_url: str, cli: Cli) -> None:
    store = open_store(sqlite_url)
    t = Seeder(store).tenant("default")
    ids = fill(store, t)
    future_orders(store, t, ids, date(2011, 12, 9))
    argv = ["plan", "backtest", "--as-of", "2011-10-01", "--horizon-months", "2"]
    code, out, _ = cli([*argv, "--inactive-months", "3", "--json", "--db", sqlite_url])
    assert code == 0
    data = json.loads(out)
    assert data["lapsed"] == 20 and data["returners"] == 4 and data["horizon_months"] == 2
    assert {r["name"] for r in data["rankings"]} >= {"plan", "past_revenue", "old_score", "random"}
    assert set(data["rankings"][0]["value_share"]) == {"top_10", "top_20", "top_30"}
    code, out, _ = cli([*argv, "--inactive-months", "3", "--db", sqlite_url])
    assert code == 0
    assert "old_score" in out and "Predicted return probability in deciles" in out


def test_empty_database(sqlite_url: str, cli: Cli) -> None:
    code, out, err = cli(["plan", "--as-of", "2011-12-09", "--json", "--db", sqlite_url])
    assert code == 0
    assert json.loads(out)["customers"] == []
    assert "no orders imported yet" in err.lower()
    code, out, err = cli(["plan", "daily", "--db", sqlite_url])
    assert code == 0 and "no orders imported yet" in err.lower()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--as-of", "2011-02-30"], "--as-of"),
        (["plan", "--as-of", "09.12.2011"], "YYYY-MM-DD"),
        (["plan", "--inactive-months", "0"], "--inactive-months"),
        (["plan", "--limit", "0"], "--limit"),
        (["plan", "daily", "--days", "0"], "--days"),
        (["plan", "daily", "--per-rep", "0"], "--per-rep"),
        (["plan", "daily", "--start", "morgen"], "--start"),
        (["plan", "backtest", "--as-of", "2011-06-31"], "--as-of"),
        (
            ["plan", "backtest", "--as-of", "2011-06-01", "--horizon-months", "0"],
            "--horizon-months",
        ),
        (
            ["plan", "backtest", "--as-of", "2011-06-01", "--horizon-months", "99"],
            "between 1 and 60",
        ),
        (["plan", "backtest", "--as-of", "2012-06-01"], "not after --as-of 2012-06-01"),
        (["plan", "backtest"], "--as-of"),
    ],
)
def test_bad_input_exits_with_a_message(
    filled_db: str, argv: list[str], message: str, cli: Cli
) -> None:
    code, out, err = cli([*argv, "--db", filled_db])
    assert code == 2
    assert message in err and "Traceback" not in err + out


def test_unknown_tenant_is_an_error(filled_db: str, cli: Cli) -> None:
    code, _, err = cli(["plan", "--tenant", "nope", "--db", filled_db])
    assert code == 4 and "nope" in err

"""Win-back planning: who lapsed, who to call first, and each rep's calls per day.

The public API used by the CLI, the web app and the demo:

* :func:`build_plan` — lapsed customers as of a date, excluded or ranked by
  score, with the Pareto curve (:class:`Plan`; ``model_dump(mode="json")``
  is the ``winback plan --json`` contract);
* :func:`daily_plan` — one or two calls per rep and working day
  (:class:`DailyPlan`);
* :func:`write_ics` — one iCalendar file per rep;
* :func:`run_backtest` — the plan as of a past day, scored on what followed
  (:class:`Backtest`).

How customers are valued: :mod:`agent.plan.valuation` (the BG/NBD and
Gamma-Gamma models of :mod:`agent.plan.clv`, or the transparent prior of
:mod:`agent.plan.scoring`), with the win-back chance per segment of
:mod:`agent.plan.chances`.
"""

from agent.plan.backtest import Backtest, run_backtest
from agent.plan.chances import SegmentChance
from agent.plan.daily import CallCandidate, DailyPlan, PlannedCall, RepPlan, daily_plan
from agent.plan.ics import write_ics
from agent.plan.lapse import LapsedAccount, find_lapsed, lapse_cutoff
from agent.plan.pareto import Pareto, pareto_curve
from agent.plan.ranking import Plan, PlanCustomer, build_plan
from agent.plan.scoring import WEIGHTS, ScoreParts
from agent.plan.valuation import ValueModel

__all__ = [
    "WEIGHTS",
    "Backtest",
    "SegmentChance",
    "ValueModel",
    "CallCandidate",
    "DailyPlan",
    "LapsedAccount",
    "Pareto",
    "Plan",
    "PlanCustomer",
    "PlannedCall",
    "RepPlan",
    "ScoreParts",
    "build_plan",
    "daily_plan",
    "find_lapsed",
    "lapse_cutoff",
    "pareto_curve",
    "run_backtest",
    "write_ics",
]

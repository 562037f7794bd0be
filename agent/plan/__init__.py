"""Win-back planning: who lapsed, who to call first, and each rep's calls per day.

The public API used by the CLI, the web app and the demo:

* :func:`build_plan` — lapsed customers as of a date, excluded or ranked by
  score, with the Pareto curve (:class:`Plan`; ``model_dump(mode="json")``
  is the ``winback plan --json`` contract);
* :func:`daily_plan` — one or two calls per rep and working day
  (:class:`DailyPlan`);
* :func:`write_ics` — one iCalendar file per rep.
"""

from agent.plan.daily import CallCandidate, DailyPlan, PlannedCall, RepPlan, daily_plan
from agent.plan.ics import write_ics
from agent.plan.lapse import LapsedAccount, find_lapsed, lapse_cutoff
from agent.plan.pareto import Pareto, pareto_curve
from agent.plan.ranking import Plan, PlanCustomer, build_plan
from agent.plan.scoring import WEIGHTS, ScoreParts

__all__ = [
    "WEIGHTS",
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
    "write_ics",
]

"""The demo tenant: a German industrial-consumables supplier with three years of history.

``generate(seed)`` builds the data in memory (deterministic, with each
account's hidden churn story as ground truth for evals); ``seed(store)``
writes it to the CRM store, replacing an earlier demo tenant of the same slug.
"""

from __future__ import annotations

from agent.demo.generator import DEMO_AS_OF, DEMO_TENANT_NAME, DEMO_TENANT_SLUG, generate
from agent.demo.records import (
    DemoAccount,
    DemoContact,
    DemoData,
    DemoLine,
    DemoNote,
    DemoOrder,
    DemoUser,
    Scenario,
)
from agent.demo.seed import SeedStats, seed

__all__ = [
    "DEMO_AS_OF",
    "DEMO_TENANT_NAME",
    "DEMO_TENANT_SLUG",
    "DemoAccount",
    "DemoContact",
    "DemoData",
    "DemoLine",
    "DemoNote",
    "DemoOrder",
    "DemoUser",
    "Scenario",
    "SeedStats",
    "generate",
    "seed",
]

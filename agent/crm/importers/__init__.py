"""Importing CRM exports: orders (generic CSV or UCI Online Retail), accounts, contacts, notes.

Each ``import_*`` function checks the whole file first and writes nothing when
any row is bad (:class:`~agent.errors.ImportRowError` lists every problem);
re-importing the same file changes nothing. Each run is recorded as an
``ImportRun`` row. The layouts are documented in docs/import-formats.md.
"""

from __future__ import annotations

from agent.crm.importers.accounts import import_accounts
from agent.crm.importers.contacts import import_contacts
from agent.crm.importers.notes import import_notes
from agent.crm.importers.orders import import_orders
from agent.crm.importers.report import ImportStats

__all__ = ["ImportStats", "import_accounts", "import_contacts", "import_notes", "import_orders"]
